//! Alerts of `heartwire monitor` (`spec/alerts.md`): on each state change that matters,
//! a notification to every target (a webhook with a JSON body, a Slack incoming
//! webhook, a command), delivered by a thread per target so that the monitor never
//! waits for one; with `--snapshot FILE`, remembered in `FILE.alerts` so that a restart
//! neither loses a pending alert nor sends one twice.

mod deliver;
mod ledger;

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use clap::Args;
use heartwire_broker::redact_url;
use heartwire_liveness::{Change, Event, State};
use sha2::{Digest, Sha256};

use super::events::{event_json, time};
use super::{View, Watch};
pub(crate) use deliver::Gate;
use deliver::{Context, Kind, Outcome, Queued, Report, Target, Worker};
use ledger::{Entry, Key, Ledger};

/// The reports of workers waiting for the monitor's loop; beyond, they are counted.
const MAX_REPORTS: usize = 1_000;

/// How long the monitor, stopping, waits for the queues to empty.
const FINISH_GRACE: Duration = Duration::from_secs(3);

/// `heartwire monitor`'s alert options.
#[derive(Debug, Args)]
pub(crate) struct AlertArgs {
    /// On each state change that matters (--alert-on), POST a JSON body to URL
    /// (spec/alerts.md, spec/schema/alert.schema.json). Repeatable. The URL is shown
    /// with its path and query hidden.
    #[arg(long = "alert-webhook", value_name = "URL")]
    webhook: Vec<String>,
    /// The same, as a Slack incoming webhook's message (`{"text": ...}`) to URL.
    /// Repeatable.
    #[arg(long = "alert-slack", value_name = "URL")]
    slack: Vec<String>,
    /// The same, running COMMAND (a program and its arguments, split as a shell would
    /// split words, but run without a shell: write `sh -c '...'` for one) with the alert
    /// in its environment: HEARTWIRE_PROCESS, HEARTWIRE_SOURCE, HEARTWIRE_STATE,
    /// HEARTWIRE_OLD_STATE, HEARTWIRE_REASON, HEARTWIRE_AT, HEARTWIRE_ALERT_ID,
    /// HEARTWIRE_KIND and HEARTWIRE_EVENT (the JSON body). Exit status 0 is delivered.
    /// Repeatable.
    #[arg(long = "alert-command", value_name = "COMMAND")]
    command: Vec<String>,
    /// The states that alert, comma-separated: dead, failed, late, disconnected,
    /// degraded, stopped; and alive, for a process back alive after an alert.
    #[arg(
        long = "alert-on",
        value_name = "STATES",
        value_delimiter = ',',
        default_value = "dead,failed,alive",
        value_parser = parse_alert_on
    )]
    on: Vec<AlertOn>,
    /// Attempts at each alert per target before it is given up (waits of 1 s, 2 s, 4 s,
    /// ... at most 60 s between two).
    #[arg(long = "alert-attempts", value_name = "N", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=20))]
    attempts: u32,
}

/// One state of `--alert-on`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AlertOn {
    /// A change to this state alerts.
    Down(State),
    /// A process back alive after an alert.
    Up,
}

fn parse_alert_on(text: &str) -> Result<AlertOn, String> {
    match ledger::state_named(text.trim()) {
        Some(State::Alive) => Ok(AlertOn::Up),
        Some(State::Starting) | None => Err(format!(
            "{text:?}: expected dead, failed, late, disconnected, degraded, stopped or alive"
        )),
        Some(state) => Ok(AlertOn::Down(state)),
    }
}

/// Which changes alert.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Rule {
    down: Vec<State>,
    up: bool,
}

/// What a change does to the alerts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Decision {
    /// Nothing.
    Nothing,
    /// An alert, `down` or `up`, and the process's entry after it.
    Alert { up: bool, entry: Entry },
    /// The process's entry changes, without an alert.
    Mark(Entry),
}

impl Rule {
    /// What `change` (at `at` nanoseconds) does, given what the alerts last did for
    /// its process (spec/alerts.md §6):
    /// - a change no later than the last one acted on is history, replayed after a
    ///   restart: nothing;
    /// - to a state of `--alert-on`: an alert, unless the last alert was of that very
    ///   state with no sign of life since (the restored engine found the same death
    ///   again, at another instant);
    /// - to alive after a `down` alert: an `up` alert if `--alert-on` has alive, and
    ///   the entry says alive either way;
    /// - to starting, degraded or stopped after a `down` alert: a sign of life, so that
    ///   the next death alerts again.
    fn decide(&self, change: &Change, at: i128, last: Option<Entry>) -> Decision {
        if last.is_some_and(|e| at <= e.at) {
            return Decision::Nothing;
        }
        let down_before = last.is_some_and(|e| e.state != State::Alive);
        if self.down.contains(&change.new) {
            if last.is_some_and(|e| e.state == change.new && !e.spoke) {
                return Decision::Nothing;
            }
            return Decision::Alert {
                up: false,
                entry: Entry {
                    state: change.new,
                    spoke: false,
                    at,
                },
            };
        }
        let alive = Entry {
            state: State::Alive,
            spoke: false,
            at,
        };
        match change.new {
            State::Alive if down_before && self.up => Decision::Alert {
                up: true,
                entry: alive,
            },
            State::Alive if down_before => Decision::Mark(alive),
            State::Starting | State::Degraded | State::Stopped if down_before => match last {
                Some(e) if !e.spoke => Decision::Mark(Entry {
                    spoke: true,
                    at,
                    ..e
                }),
                _ => Decision::Nothing,
            },
            _ => Decision::Nothing,
        }
    }
}

/// Checks the targets of the options (before the monitor starts listening): a URL
/// that is not http(s) or a command that does not split is a usage error.
pub(crate) fn check(args: &AlertArgs) -> Result<(), String> {
    targets(args).map(|_| ())
}

/// Where the alerts' ledger is kept.
pub(crate) enum LedgerAt<'a> {
    /// In memory only (no `--snapshot`).
    Memory,
    /// In `FILE.alerts` beside the snapshot `FILE`.
    File(&'a Path),
    /// Shared by replicas (`--replicated`): read from what the last leader stored, and
    /// stored again by the caller when it changed ([`Alerts::ledger_since`]).
    Shared(&'a [u8]),
}

/// The alerts of a running monitor.
pub(crate) struct Alerts {
    rule: Rule,
    workers: Vec<Worker>,
    ledger: Arc<Mutex<Ledger>>,
    reports: Receiver<Report>,
    sender: SyncSender<Report>,
    host: String,
    /// Whether the ledger is the replicas' (stored by the caller).
    shared: bool,
    /// Rung when the ledger changed.
    changed: Arc<tokio::sync::Notify>,
}

fn lock(ledger: &Mutex<Ledger>) -> MutexGuard<'_, Ledger> {
    ledger.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Alerts {
    /// Starts a worker per target and re-queues what a previous run left pending;
    /// `None` without targets. An error is a usage error (a URL or command that cannot
    /// be used, an alerts file that cannot be opened).
    pub(crate) fn start(
        args: &AlertArgs,
        kept: LedgerAt<'_>,
        gate: Option<Arc<Gate>>,
    ) -> Result<Option<Alerts>, String> {
        let targets = targets(args)?;
        if targets.is_empty() {
            return Ok(None);
        }
        let shared = matches!(kept, LedgerAt::Shared(_));
        let ledger = match kept {
            LedgerAt::Shared(text) => {
                let (ledger, restored) = Ledger::from_text(text);
                if restored.skipped > 0 {
                    note!(
                        "heartwire monitor: the shared alerts ledger: {} lines that do not read were skipped",
                        restored.skipped
                    );
                }
                ledger
            }
            LedgerAt::File(snapshot) => {
                let path = alerts_path(snapshot);
                let (ledger, restored) = Ledger::open(&path)
                    .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
                if restored.skipped > 0 {
                    note!(
                        "heartwire monitor: {}: {} lines that do not read were skipped",
                        path.display(),
                        restored.skipped
                    );
                }
                ledger
            }
            LedgerAt::Memory => {
                note!(
                    "heartwire monitor: alerts without --snapshot: those not yet delivered when the monitor stops are lost, and a restart may alert again"
                );
                Ledger::in_memory()
            }
        };
        let pending = ledger.pending();
        let ledger = Arc::new(Mutex::new(ledger));
        let (sender, reports) = sync_channel(MAX_REPORTS);
        let changed = Arc::new(tokio::sync::Notify::new());
        let context = Context {
            changed: Arc::clone(&changed),
            gate,
            ledger: Arc::clone(&ledger),
            reports: sender.clone(),
            attempts: args.attempts,
        };
        let mut workers = Vec::new();
        for target in targets {
            let shown = target.shown.clone();
            let worker = Worker::start(target, context.clone())
                .map_err(|e| format!("cannot start the alerts to {shown}: {e}"))?;
            workers.push(worker);
        }
        let mut again = 0u64;
        let mut unknown = Vec::new();
        for p in pending {
            match workers.iter().find(|w| w.target().id == p.target) {
                Some(worker) => {
                    again += 1;
                    worker.push(Queued::new(p.id, p.body));
                }
                None => unknown.push(p),
            }
        }
        if again > 0 {
            note!(
                "heartwire monitor: {again} alerts not delivered before the restart are sent again"
            );
        }
        if !unknown.is_empty() {
            note!(
                "heartwire monitor: {} alerts pending for targets no longer given are dropped",
                unknown.len()
            );
            let mut ledger = lock(&ledger);
            for p in unknown {
                ledger.done(&p.target, &p.id);
            }
        }
        let mut rule = Rule {
            down: Vec::new(),
            up: false,
        };
        for on in &args.on {
            match *on {
                AlertOn::Down(state) if !rule.down.contains(&state) => rule.down.push(state),
                AlertOn::Down(_) => {}
                AlertOn::Up => rule.up = true,
            }
        }
        Ok(Some(Alerts {
            rule,
            workers,
            ledger,
            reports,
            sender,
            host: host_name(),
            shared,
            changed,
        }))
    }

    /// How many changes the ledger has had, and (when `since` is another count) what is
    /// live in it: what a replica shares.
    #[cfg_attr(not(feature = "nats"), allow(dead_code))]
    pub(crate) fn ledger_since(&self, since: u64) -> Option<(u64, String)> {
        let ledger = lock(&self.ledger);
        let changes = ledger.changes();
        (changes != since).then(|| (changes, ledger.live_text()))
    }

    /// Rung whenever the ledger changed (an alert queued, a delivery finished).
    #[cfg_attr(not(feature = "nats"), allow(dead_code))]
    pub(crate) fn changed(&self) -> Arc<tokio::sync::Notify> {
        Arc::clone(&self.changed)
    }

    /// Stops the workers at once (a replica that no longer leads): what they have not
    /// sent stays pending in the shared ledger, for the next leader.
    #[cfg_attr(not(feature = "nats"), allow(dead_code))]
    pub(crate) fn abandon(self) {
        for worker in &self.workers {
            worker.stop();
        }
    }

    /// Queues the alerts of `events`; never waits for a delivery.
    pub(crate) fn observe(&mut self, events: &[Event]) {
        for event in events {
            if let Event::Changed(change) = event {
                self.change(change);
            }
        }
    }

    fn change(&mut self, change: &Change) {
        let at = nanos(change);
        let mut ledger = lock(&self.ledger);
        let last = ledger.entry(change.source, &change.process);
        let decision = self.rule.decide(change, at, last);
        if decision == Decision::Nothing {
            return;
        }
        let id = change_id(change);
        if ledger.seen(&id) {
            return;
        }
        let key: Key = (change.source, change.process.clone());
        match decision {
            Decision::Nothing => {}
            Decision::Mark(entry) => {
                ledger.mark(&id, &key, entry);
                self.changed.notify_one();
            }
            Decision::Alert { up, entry } => {
                let body: Arc<str> = Arc::from(body(change, &id, up, &self.host).to_string());
                let targets: Vec<String> =
                    self.workers.iter().map(|w| w.target().id.clone()).collect();
                ledger.alert(&id, &key, entry, &targets, &body);
                drop(ledger);
                self.changed.notify_one();
                for worker in &self.workers {
                    let queued = Queued::new(id.clone(), Arc::clone(&body));
                    if let Some(dropped) = worker.push(queued) {
                        lock(&self.ledger).done(&worker.target().id, &dropped.id);
                        note!(
                            "heartwire monitor: alert to {}: its queue is full ({} alerts); the oldest is dropped",
                            worker.target().shown,
                            deliver::MAX_QUEUE
                        );
                        self.report_dropped(worker, dropped);
                    }
                }
            }
        }
    }

    fn report_dropped(&self, worker: &Worker, dropped: Queued) {
        // Written with the workers' reports at the next poll.
        let _ = self.sender.try_send(Report {
            target: worker.target().shown.clone(),
            id: dropped.id,
            body: dropped.body,
            outcome: Outcome::Dropped,
            attempts: 0,
            error: Some("the queue was full".to_owned()),
        });
    }

    /// What the workers reported since the last call, as (line, JSON event).
    fn take_reports(&mut self) -> Vec<(String, serde_json::Value)> {
        let mut out = Vec::new();
        for report in self.reports.try_iter().take(MAX_REPORTS) {
            out.push(report_lines(&report));
        }
        out
    }

    /// Waits (a few seconds at most) for the queues to empty, then stops the workers
    /// and says what was not delivered.
    pub(crate) fn finish(&mut self) -> Vec<(String, serde_json::Value)> {
        let until = Instant::now() + FINISH_GRACE;
        while Instant::now() < until && self.workers.iter().any(|w| w.outstanding() > 0) {
            std::thread::sleep(Duration::from_millis(20));
        }
        for worker in &self.workers {
            worker.stop();
        }
        let left: usize = self.workers.iter().map(Worker::outstanding).sum();
        if left > 0 && self.shared {
            note!(
                "heartwire monitor: {left} alerts not delivered yet stay pending in the shared ledger, for whoever leads next"
            );
        } else if left > 0 {
            match lock(&self.ledger).path() {
                Some(path) => note!(
                    "heartwire monitor: {left} alerts not delivered yet are kept in {} and sent at the next start",
                    path.display()
                ),
                None => {
                    note!("heartwire monitor: {left} alerts not delivered are lost (no --snapshot)")
                }
            }
        }
        self.take_reports()
    }
}

impl Watch {
    /// Queues the alerts of `events` and writes what the alert workers reported, as
    /// `alert` events (JSON) or lines of the table.
    pub(super) fn alert(&mut self, events: &[Event]) {
        let Some(alerts) = &mut self.alerts else {
            return;
        };
        alerts.observe(events);
        let lines = alerts.take_reports();
        self.write_alert_lines(lines);
    }

    /// At exit: gives the queues a moment, and says what is left.
    pub(super) fn finish_alerts(&mut self) {
        if let Some(alerts) = &mut self.alerts {
            let lines = alerts.finish();
            self.write_alert_lines(lines);
        }
    }

    fn write_alert_lines(&mut self, lines: Vec<(String, serde_json::Value)>) {
        if lines.is_empty() {
            return;
        }
        match self.view {
            View::Json => {
                let mut text = String::new();
                for (_, json) in &lines {
                    text.push_str(&json.to_string());
                    text.push('\n');
                }
                let mut out = io::stdout().lock();
                let written = out.write_all(text.as_bytes()).and_then(|()| out.flush());
                self.check_written(written);
            }
            View::Table => {
                self.recent.extend(lines.into_iter().map(|(line, _)| line));
                self.trim_recent();
            }
        }
    }
}

/// A report as a table line and an `alert` event (spec/alerts.md §7).
fn report_lines(report: &Report) -> (String, serde_json::Value) {
    let body: serde_json::Value = serde_json::from_str(&report.body).unwrap_or_default();
    let event = &body["event"];
    let mut json = serde_json::json!({
        "event": "alert",
        "target": report.target,
        "id": report.id,
        "kind": body["kind"],
        "process": event["process"],
        "source": event["source"],
        "new": event["new"],
        "outcome": report.outcome.as_str(),
        "attempts": report.attempts,
        "at": time(heartwire::time::WallClock::now(&heartwire::time::SystemClock)),
    });
    if let Some(error) = &report.error {
        json["error"] = error.as_str().into();
    }
    let line = format!(
        "alert to {}: {} ({}) {}: {}{}",
        report.target,
        event["process"].as_str().unwrap_or("?"),
        event["source"].as_str().unwrap_or("?"),
        event["new"].as_str().unwrap_or("?"),
        report.outcome.as_str(),
        report
            .error
            .as_ref()
            .map_or(String::new(), |e| format!(" ({e})"))
    );
    (line, json)
}

/// `FILE.alerts` beside the snapshot `FILE`.
fn alerts_path(snapshot: &Path) -> PathBuf {
    let mut name = snapshot.as_os_str().to_owned();
    name.push(".alerts");
    PathBuf::from(name)
}

/// The targets of the options, in the order webhooks, Slack, commands.
fn targets(args: &AlertArgs) -> Result<Vec<Target>, String> {
    let mut targets = Vec::new();
    for (urls, option, slack) in [
        (&args.webhook, "--alert-webhook", false),
        (&args.slack, "--alert-slack", true),
    ] {
        for url in urls {
            let shown = redact_alert_url(url);
            let valid = url.parse::<ureq::http::Uri>().ok().is_some_and(|uri| {
                matches!(uri.scheme_str(), Some("http" | "https")) && uri.host().is_some()
            });
            if !valid {
                return Err(format!(
                    "{option} {shown}: expected an http:// or https:// URL"
                ));
            }
            let (kind, name) = if slack {
                (Kind::Slack(url.clone()), "slack")
            } else {
                (Kind::Webhook(url.clone()), "webhook")
            };
            targets.push(Target {
                kind,
                shown: format!("{name} {shown}"),
                id: fingerprint(&[name, url]),
            });
        }
    }
    for command in &args.command {
        let words = split_words(command).map_err(|e| format!("--alert-command: {e}"))?;
        let Some(program) = words.first() else {
            return Err("--alert-command: an empty command".to_owned());
        };
        // Arguments may hold a token (`curl -H 'Authorization: ...'`): not shown.
        let shown = if words.len() > 1 {
            format!("command {program} …")
        } else {
            format!("command {program}")
        };
        let id = fingerprint(&["command", command]);
        targets.push(Target {
            kind: Kind::Command(words),
            shown,
            id,
        });
    }
    // One target given twice is one target.
    let mut seen = std::collections::HashSet::new();
    targets.retain(|t| seen.insert(t.id.clone()));
    Ok(targets)
}

/// An alert URL as it may be shown: its user information, path and query hidden (a
/// Slack webhook's path is its secret), but a first path segment that is a plain word
/// (`services`, `hooks`): `https://hooks.slack.com/services/…`.
pub(crate) fn redact_alert_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return "…".to_owned();
    };
    // The user information ends at the last `@`, and may hold `/`, `?` and `#`
    // (spec/transports.md §1.6): the authority's end is searched for after it. An `@`
    // in the path hides more, never less.
    let start = rest.rfind('@').map_or(0, |at| at + 1);
    let end = rest[start..]
        .find(['/', '?', '#'])
        .map_or(rest.len(), |i| start + i);
    let (authority, tail) = rest.split_at(end);
    let mut shown = redact_url(&format!("{scheme}://{authority}"));
    if tail.is_empty() {
        return shown;
    }
    let first = tail
        .strip_prefix('/')
        .map(|path| path.split(['/', '?', '#']).next().unwrap_or(""))
        .unwrap_or("");
    let plain = (1..=16).contains(&first.len())
        && first
            .bytes()
            .all(|b| b.is_ascii_alphabetic() || b == b'-' || b == b'_');
    if plain && tail.len() == first.len() + 1 {
        shown.push('/');
        shown.push_str(first);
    } else if plain {
        shown.push('/');
        shown.push_str(first);
        shown.push_str("/…");
    } else {
        shown.push_str("/…");
    }
    shown
}

/// Splits a command line into words as a POSIX shell would, without expanding
/// anything: blanks separate words, `'...'` is literal, `"..."` is literal but for
/// `\"`, `\\`, `\$` and `` \` ``, a backslash outside quotes takes the next character.
fn split_words(text: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' | '\n' => {
                if let Some(w) = word.take() {
                    words.push(w);
                }
            }
            '\'' => {
                let w = word.get_or_insert_with(String::new);
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => w.push(c),
                        None => return Err("a ' is not closed".to_owned()),
                    }
                }
            }
            '"' => {
                let w = word.get_or_insert_with(String::new);
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(c @ ('"' | '\\' | '$' | '`')) => w.push(c),
                            Some('\n') => {}
                            Some(c) => {
                                w.push('\\');
                                w.push(c);
                            }
                            None => return Err("a \" is not closed".to_owned()),
                        },
                        Some(c) => w.push(c),
                        None => return Err("a \" is not closed".to_owned()),
                    }
                }
            }
            '\\' => match chars.next() {
                Some('\n') => {}
                Some(c) => word.get_or_insert_with(String::new).push(c),
                None => return Err("a \\ ends the command".to_owned()),
            },
            c => word.get_or_insert_with(String::new).push(c),
        }
    }
    if let Some(w) = word {
        words.push(w);
    }
    Ok(words)
}

/// 16 hexadecimal digits of a SHA-256 of `parts`: a target's name in `FILE.alerts`
/// that does not hold its URL.
fn fingerprint(parts: &[&str]) -> String {
    let mut hash = Sha256::new();
    for part in parts {
        hash.update(part.as_bytes());
        hash.update([0]);
    }
    hex(&hash.finalize()[..8])
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// The change's id (spec/alerts.md §3): 32 hexadecimal digits of a SHA-256 of the
/// process's source and name, the new state and the instant to the nanosecond. A
/// journaled ping applied again after a restart gives the same change, so the same id.
fn change_id(change: &Change) -> String {
    let mut hash = Sha256::new();
    hash.update(change.source.as_str().as_bytes());
    hash.update([0]);
    hash.update(change.process.as_bytes());
    hash.update([0]);
    hash.update(change.new.as_str().as_bytes());
    hash.update([0]);
    hash.update(nanos(change).to_string().as_bytes());
    hex(&hash.finalize()[..16])
}

/// The change's instant in nanoseconds since the epoch.
fn nanos(change: &Change) -> i128 {
    i128::from(change.at.secs()) * 1_000_000_000 + i128::from(change.at.subsec_nanos())
}

/// The generic body (spec/alerts.md §3, spec/schema/alert.schema.json).
fn body(change: &Change, id: &str, up: bool, host: &str) -> serde_json::Value {
    let was = change.old.map_or(String::new(), |old| {
        format!(", was {old}", old = old.as_str())
    });
    let text = if up {
        format!(
            "{} ({}) is back alive: {}{was}, at {}",
            change.process,
            change.source,
            change.reason,
            time(change.at)
        )
    } else {
        format!(
            "{} ({}) is {}: {}{was}, at {}",
            change.process,
            change.source,
            change.new.as_str(),
            change.reason,
            time(change.at)
        )
    };
    serde_json::json!({
        "version": 1,
        "id": id,
        "kind": if up { "up" } else { "down" },
        "host": host,
        "monitor": concat!("heartwire ", env!("CARGO_PKG_VERSION")),
        "text": text,
        "event": event_json(&Event::Changed(change.clone())),
    })
}

/// A Slack incoming-webhook message of the generic body: `{"text": ...}`, the text
/// escaped as Slack asks (`&`, `<`, `>`), with a mark of down or up and the host.
fn slack_body(body: &str) -> String {
    let body: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
    let text = body["text"]
        .as_str()
        .unwrap_or("an alert of heartwire monitor");
    let escaped = text
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    let mark = if body["kind"] == "up" {
        ":white_check_mark:"
    } else {
        ":red_circle:"
    };
    let host = body["host"].as_str().unwrap_or("");
    serde_json::json!({ "text": format!("{mark} {escaped} (heartwire monitor on {host})") })
        .to_string()
}

/// The environment of an `--alert-command` (spec/alerts.md §4.3), from the generic
/// body. A NUL, which an environment cannot hold, is replaced by U+FFFD.
fn environment(body: &str) -> Vec<(&'static str, String)> {
    let value: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
    let event = &value["event"];
    let text = |v: &serde_json::Value| match v {
        serde_json::Value::String(s) => s.replace('\0', "\u{fffd}"),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    };
    let mut env = vec![
        ("HEARTWIRE_PROCESS", text(&event["process"])),
        ("HEARTWIRE_SOURCE", text(&event["source"])),
        ("HEARTWIRE_STATE", text(&event["new"])),
        ("HEARTWIRE_OLD_STATE", text(&event["old"])),
        ("HEARTWIRE_REASON", text(&event["reason"])),
        ("HEARTWIRE_AT", text(&event["at"])),
        ("HEARTWIRE_ALERT_ID", text(&value["id"])),
        ("HEARTWIRE_KIND", text(&value["kind"])),
        ("HEARTWIRE_HOST", text(&value["host"])),
        ("HEARTWIRE_TEXT", text(&value["text"])),
        ("HEARTWIRE_EVENT", body.replace('\0', "\u{fffd}")),
    ];
    if !event["exit_status"].is_null() {
        env.push(("HEARTWIRE_EXIT_STATUS", text(&event["exit_status"])));
    }
    env
}

/// This machine's name, for the body's `host`.
pub(crate) fn host_name() -> String {
    #[cfg(unix)]
    if let Ok(name) = nix::unistd::gethostname()
        && let Some(name) = name.to_str()
        && !name.is_empty()
    {
        return name.to_owned();
    }
    ["HOSTNAME", "COMPUTERNAME"]
        .into_iter()
        .find_map(|v| std::env::var(v).ok().filter(|n| !n.is_empty()))
        .unwrap_or_else(|| "unknown".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use heartwire::time::UnixTime;
    use heartwire_liveness::{Reason, Source};

    fn change(new: State, old: Option<State>, secs: i64) -> Change {
        Change {
            process: "job".to_owned(),
            source: Source::Ping,
            old,
            new,
            reason: Reason::Ping,
            at: UnixTime::new(secs, 0),
        }
    }

    fn default_rule() -> Rule {
        Rule {
            down: vec![State::Dead, State::Failed],
            up: true,
        }
    }

    /// Feeds changes through the rule as the monitor does, and says which alerted.
    fn alerts_of(rule: &Rule, changes: &[Change]) -> Vec<(State, bool)> {
        let mut last: Option<Entry> = None;
        let mut out = Vec::new();
        for c in changes {
            match rule.decide(c, nanos(c), last) {
                Decision::Nothing => {}
                Decision::Mark(e) => last = Some(e),
                Decision::Alert { up, entry } => {
                    out.push((c.new, up));
                    last = Some(entry);
                }
            }
        }
        out
    }

    #[test]
    fn dead_failed_and_back_alive_alert_once_each() {
        use State::*;
        let changes = [
            change(Alive, None, 1),
            change(Late, Some(Alive), 2),
            change(Dead, Some(Late), 3),
            // The restored engine finds the same death again, later.
            change(Late, Some(Alive), 10),
            change(Dead, Some(Late), 11),
            change(Alive, Some(Dead), 12),
            change(Alive, Some(Late), 13),
            change(Failed, Some(Alive), 14),
            change(Alive, Some(Failed), 15),
        ];
        assert_eq!(
            alerts_of(&default_rule(), &changes),
            [(Dead, false), (Alive, true), (Failed, false), (Alive, true)]
        );
    }

    #[test]
    fn a_sign_of_life_lets_the_next_death_alert_and_history_is_ignored() {
        use State::*;
        let changes = [
            change(Dead, Some(Late), 3),
            change(Starting, Some(Dead), 4),
            change(Dead, Some(Starting), 9),
            // A replayed start before the last alert is history.
            change(Starting, Some(Alive), 5),
            change(Dead, Some(Starting), 12),
        ];
        assert_eq!(
            alerts_of(&default_rule(), &changes),
            [(Dead, false), (Dead, false)]
        );
        let quiet = Rule {
            down: vec![Dead],
            up: false,
        };
        let changes = [
            change(Dead, Some(Late), 3),
            change(Alive, Some(Dead), 4),
            change(Dead, Some(Late), 9),
        ];
        assert_eq!(alerts_of(&quiet, &changes), [(Dead, false), (Dead, false)]);
    }

    #[test]
    fn alert_urls_never_show_their_secret() {
        assert_eq!(
            redact_alert_url("https://hooks.slack.com/services/T000/B000/XXXXsecret"),
            "https://hooks.slack.com/services/…"
        );
        assert_eq!(
            redact_alert_url("http://127.0.0.1:9/s3cr3t-t0ken?key=v"),
            "http://127.0.0.1:9/…"
        );
        assert_eq!(
            redact_alert_url("https://user:pw@example.com/hooks"),
            "https://***@example.com/hooks"
        );
        assert_eq!(
            redact_alert_url("https://example.com"),
            "https://example.com"
        );
        assert_eq!(
            redact_alert_url("https://example.com?token=x"),
            "https://example.com/…"
        );
        assert_eq!(redact_alert_url("no scheme secret"), "…");
        // A password may hold `/`, `?` and `#` (spec/transports.md §1.6).
        for url in [
            "https://user:pa/ss@hc.example/ping/x",
            "https://user:pa?ss@hc.example/ping/x",
            "https://user:pa#ss@hc.example",
        ] {
            let shown = redact_alert_url(url);
            assert!(
                !shown.contains("pa") && !shown.contains("ss@"),
                "{url}: {shown}"
            );
            assert!(shown.starts_with("https://***"), "{url}: {shown}");
        }
    }

    #[test]
    fn commands_split_as_a_shell_would_without_one() {
        assert_eq!(
            split_words(r#"sh -c 'echo "$HEARTWIRE_PROCESS" > f' x\ y "a \"b\"""#),
            Ok(vec![
                "sh".to_owned(),
                "-c".to_owned(),
                r#"echo "$HEARTWIRE_PROCESS" > f"#.to_owned(),
                "x y".to_owned(),
                r#"a "b""#.to_owned()
            ])
        );
        assert!(split_words("sh -c 'open").is_err());
        assert_eq!(split_words("  "), Ok(vec![]));
    }

    #[test]
    fn ids_are_the_same_for_the_same_change_only() {
        let a = change(State::Dead, Some(State::Late), 3);
        let mut b = a.clone();
        b.old = Some(State::Alive);
        assert_eq!(
            change_id(&a),
            change_id(&b),
            "the state before is not in it"
        );
        let c = change(State::Dead, Some(State::Late), 4);
        assert_ne!(change_id(&a), change_id(&c));
        assert_eq!(change_id(&a).len(), 32);
    }

    #[test]
    fn slack_text_is_escaped_and_the_environment_holds_the_event() {
        let mut c = change(State::Failed, Some(State::Alive), 3);
        c.process = "a<b>&c".to_owned();
        c.reason = Reason::Exit(3);
        let body = body(&c, "00", false, "h").to_string();
        let slack: serde_json::Value = serde_json::from_str(&slack_body(&body)).expect("JSON");
        let text = slack["text"].as_str().expect("text");
        assert!(
            text.contains("a&lt;b&gt;&amp;c (ping) is failed: exit 3"),
            "{text}"
        );
        let env: std::collections::HashMap<_, _> = environment(&body).into_iter().collect();
        assert_eq!(env["HEARTWIRE_PROCESS"], "a<b>&c");
        assert_eq!(env["HEARTWIRE_STATE"], "failed");
        assert_eq!(env["HEARTWIRE_OLD_STATE"], "alive");
        assert_eq!(env["HEARTWIRE_EXIT_STATUS"], "3");
        assert_eq!(env["HEARTWIRE_EVENT"], body);
    }
}
