//! `heartwire schedule run`: runs schedules as a service (`spec/schedule.md` §13).
//! Loads schedule documents from files, takes creates and deletes through the control
//! API ([`api`](super::api)), fires each payload to its target at its fire times, keeps
//! its state in `--state FILE`, and prints one JSON line per fire.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use heartwire::schedule::{Name, Schedule};
use heartwire::text::Process;
use heartwire::time::{SystemClock, UnixTime, WallClock};
use heartwire_publish::scheduler::{Firing, Scheduler};
use hyper::StatusCode;
use tokio::sync::mpsc;

use super::api::{self, Answer, Asked, Call};
use super::documents::{Refused, checked, load_files, target_of};
use super::limits::{
    MAX_DOCUMENTS_LEN, MAX_EVENT_AGE, MAX_SCHEDULES, MAX_SLEEP, PUBLISH_TIMEOUT, RETRY_MAX,
    RETRY_MIN,
};
use super::state;
use super::target::{FireTarget, FireTargetError};
use crate::brokers::{Address, Outlets};
use crate::duration;

/// How long closing the connections may hold up the exit.
const CLOSE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

/// The port the control API listens on by default (the monitor's is 8387).
pub(crate) const DEFAULT_PORT: u16 = 8388;

/// `heartwire schedule run`'s options.
#[derive(Debug, Args)]
pub(crate) struct RunArgs {
    /// Files of schedule documents, one JSON document per line ({"name":...,"rate":
    /// ...,"payload":...}); `-` is stdin. A document may name its own target in a
    /// `target` member: "#ADDRESS" on the --to broker, or "URL#ADDRESS" without
    /// credentials.
    #[arg(value_name = "FILE")]
    files: Vec<PathBuf>,
    /// Where payloads go unless a schedule says otherwise: a broker URL and an address
    /// on it, `URL#ADDRESS` (nats://127.0.0.1:4222#orders.process: a NATS subject, a
    /// Redis channel, an MQTT topic, or a routing key on the AMQP exchange `heartbeat`).
    #[arg(long, value_name = "URL#ADDRESS")]
    to: Option<String>,
    /// Where the control API listens (POST /schedules, DELETE /schedules/NAME, GET
    /// /schedules); port 0 picks a free one, printed on stderr.
    #[arg(long, value_name = "ADDR", default_value_t = SocketAddr::from(([127, 0, 0, 1], DEFAULT_PORT)))]
    listen: SocketAddr,
    /// Keep the schedules and their last fires in FILE, so that a restart neither
    /// fires twice nor skips a fire.
    #[arg(long, value_name = "FILE")]
    state: Option<PathBuf>,
    /// The process name of this scheduler. Accepted and checked, but shown to no
    /// broker: its MQTT connections carry no presence (a Will would say `offline`
    /// whenever one of them is closed while it runs).
    #[arg(long, value_name = "NAME", default_value = "heartwire-schedule")]
    process: String,
    /// Stop after this long (`90s`, `10m`); by default run until SIGINT or SIGTERM.
    #[arg(long, value_parser = duration::parse, value_name = "DURATION")]
    exit_after: Option<std::time::Duration>,
}

/// The schedules and everything the loop needs to fire them.
struct Runner {
    scheduler: Scheduler,
    default: Option<FireTarget>,
    outlets: Outlets,
    state: Option<PathBuf>,
    /// Fires recorded in `scheduler` but not yet in the state file, in order: each is
    /// reported once the state holding it is written (§13.4), never before.
    unsaved: Vec<Done>,
    /// Whether the last write of the state file failed (said once until one succeeds).
    save_failed: bool,
    /// The URLs (credentials included: never shown) whose last publish failed or went
    /// unanswered, until when they are not tried again, and why: one silent host costs
    /// one [`PUBLISH_TIMEOUT`] per retry, not one per schedule that targets it.
    failing: HashMap<String, (UnixTime, String)>,
}

/// A fire that is over: published, or given up after [`MAX_EVENT_AGE`].
enum Done {
    Fired(serde_json::Value),
    GivenUp { name: String, due: UnixTime },
}

/// Runs until stopped: exit 0 when stopped, 1 on bad documents or state, 2 on bad usage.
pub(crate) fn run(args: RunArgs) -> ExitCode {
    let default = match args.to.as_deref().map(FireTarget::parse).transpose() {
        Ok(target) => target,
        // As every command refuses a broker it was built without: exit status 1.
        Err(e @ FireTargetError::NotBuilt { .. }) => {
            note!("heartwire schedule run: --to: {e}");
            return ExitCode::from(1);
        }
        Err(e) => return crate::usage("schedule run", format_args!("--to: {e}")),
    };
    if let Err(e) = Process::new(args.process.as_str()) {
        return crate::usage("schedule run", format_args!("--process: {e}"));
    }
    let Some(loaded) = load_files(&args.files, default.as_ref()) else {
        return ExitCode::from(1);
    };
    let now = SystemClock.now();
    let mut scheduler = Scheduler::new();
    let mut restored: Vec<String> = Vec::new();
    if let Some(path) = &args.state {
        match state::load(path) {
            Ok(saved) => {
                for s in saved.into_iter().flatten() {
                    restored.push(s.schedule.name().as_str().to_owned());
                    scheduler.restore(s.schedule, s.created, s.last_fired);
                }
            }
            Err(e) => {
                note!("heartwire schedule run: --state {}: {e}", path.display());
                return ExitCode::from(1);
            }
        }
    }
    for schedule in loaded {
        // Unchanged since the last run: keeps its phase and last fire.
        let name = schedule.name().as_str().to_owned();
        if scheduler.get(&name) != Some(&schedule) {
            restored.retain(|r| *r != name);
            scheduler.create(schedule, now);
        }
    }
    if !startable(
        &scheduler,
        &restored,
        default.as_ref(),
        args.state.as_deref(),
    ) {
        return ExitCode::from(1);
    }
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            note!("heartwire schedule run: cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let mut runner = Runner {
        scheduler,
        default,
        outlets: Outlets::new(),
        state: args.state,
        unsaved: Vec::new(),
        save_failed: false,
        failing: HashMap::new(),
    };
    runtime.block_on(runner.serve(args.listen, args.exit_after))
}

/// Whether the schedules to start with (those of `restored` from the `state` file, the
/// others from the files) can run: each restored one has a target under the
/// current `--to` and build, with a payload it takes (the files' were checked when read),
/// and all of them together are within [`MAX_SCHEDULES`] and [`MAX_DOCUMENTS_LEN`], as
/// creates through the API are. False after saying what is wrong, and where.
fn startable(
    scheduler: &Scheduler,
    restored: &[String],
    default: Option<&FireTarget>,
    state: Option<&std::path::Path>,
) -> bool {
    let shown = state.map(|p| p.display().to_string()).unwrap_or_default();
    let holders = match state {
        Some(_) => format!("--state {shown} and the files hold"),
        None => "the files hold".to_owned(),
    };
    let mut valid = true;
    let mut names: Vec<&str> = restored.iter().map(String::as_str).collect();
    names.sort_unstable();
    names.dedup();
    for name in names {
        let Some(schedule) = scheduler.get(name) else {
            continue;
        };
        if let Err(e) = target_of(schedule, default) {
            note!("heartwire schedule run: --state {shown}: schedule {name}: {e}");
            valid = false;
        }
    }
    if scheduler.len() > MAX_SCHEDULES {
        note!(
            "heartwire schedule run: {holders} {} schedules together, expected at most {MAX_SCHEDULES}",
            scheduler.len()
        );
        valid = false;
    }
    let total: usize = scheduler
        .plans()
        .map(|p| p.schedule().to_string().len())
        .sum();
    if total > MAX_DOCUMENTS_LEN {
        note!(
            "heartwire schedule run: {holders} {total} bytes of schedule documents together, expected at most {MAX_DOCUMENTS_LEN}"
        );
        valid = false;
    }
    valid
}

impl Runner {
    async fn serve(
        &mut self,
        listen: SocketAddr,
        exit_after: Option<std::time::Duration>,
    ) -> ExitCode {
        let listener = match tokio::net::TcpListener::bind(listen).await {
            Ok(l) => l,
            Err(e) => {
                note!("heartwire schedule run: cannot listen on {listen}: {e}");
                return ExitCode::from(1);
            }
        };
        let bound = listener.local_addr().unwrap_or(listen);
        let (calls, mut asked) = mpsc::channel::<Asked>(64);
        tokio::spawn(api::serve(listener, calls));
        if !self.save() {
            return ExitCode::from(1);
        }
        note!(
            "heartwire schedule run: {} schedules; control API on http://{bound}/schedules",
            self.scheduler.len()
        );
        let stop = stop_signal(exit_after);
        tokio::pin!(stop);
        loop {
            // A stop does not wait for a publish to answer: the fires done in this pass
            // are recorded (saved below), the one in flight stays due, so it fires again
            // after a restart (at least once, §13.4).
            tokio::select! {
                () = self.fire_due(&mut asked) => {}
                () = &mut stop => break,
            }
            let now = SystemClock.now();
            let wait = self
                .scheduler
                .next_deadline()
                .map_or(MAX_SLEEP, |at| at.since(now).unwrap_or_default())
                .min(MAX_SLEEP);
            tokio::select! {
                Some((call, reply)) = asked.recv() => {
                    let answer = self.answer(call);
                    let _ = reply.send(answer);
                }
                () = tokio::time::sleep(wait) => {}
                () = &mut stop => break,
            }
        }
        if !self.unsaved.is_empty() {
            self.save();
        }
        // A goodbye a dead broker does not take does not hold up the exit.
        let _ = tokio::time::timeout(CLOSE_TIMEOUT, self.outlets.close()).await;
        ExitCode::SUCCESS
    }

    /// Fires every schedule due now, earliest first, then writes the state once for
    /// all of them and reports them: whoever saw a line and kills us finds its fire in
    /// the state. A kill before the write makes this pass's fires happen again after a
    /// restart (at least once, §13.4). When the write fails, the fires stay unreported
    /// and the write is tried again at the next pass.
    ///
    /// The API is answered while a publish is in flight: the connections are taken out
    /// of the runner for the pass (dropped with it when a stop cuts it short), so that
    /// the publish borrows them alone. A schedule deleted or replaced meanwhile is not
    /// recorded as fired ([`Scheduler::fired`] refuses it).
    async fn fire_due(&mut self, asked: &mut mpsc::Receiver<Asked>) {
        let now = SystemClock.now();
        self.failing.retain(|_, (until, _)| *until > now);
        let mut outlets = std::mem::replace(&mut self.outlets, Outlets::new());
        while let Some(firing) = self.scheduler.next_due(now) {
            let fired = self.fire(&mut outlets, asked, &firing, now).await;
            if fired.is_none()
                && let Some(until) = retry_at(firing.at, now)
            {
                self.scheduler.postpone(&firing, until, now);
                continue;
            }
            self.scheduler.fired(&firing, now);
            self.unsaved.push(match fired {
                Some(line) => Done::Fired(line),
                None => Done::GivenUp {
                    name: firing.schedule.name().as_str().to_owned(),
                    due: firing.at,
                },
            });
        }
        self.outlets = outlets;
        if !self.unsaved.is_empty() {
            self.save();
        }
    }

    /// Reports the fires the state file now holds.
    fn report_saved(&mut self) {
        for done in self.unsaved.drain(..) {
            match done {
                Done::Fired(line) => say!("{line}"),
                Done::GivenUp { name, due } => note!(
                    "heartwire schedule run: {name} due {due}: given up after {MAX_EVENT_AGE:?}"
                ),
            }
        }
    }

    /// Publishes the payload of `firing`; the line that reports it, once published.
    /// A URL whose publish failed in this pass, or since, is not tried again before the
    /// retry of that failure ([`Runner::failing`]).
    async fn fire(
        &mut self,
        outlets: &mut Outlets,
        asked: &mut mpsc::Receiver<Asked>,
        firing: &Firing,
        now: UnixTime,
    ) -> Option<serde_json::Value> {
        let name = firing.schedule.name().as_str();
        let target = match target_of(&firing.schedule, self.default.as_ref()) {
            Ok(t) => t,
            Err(e) => {
                note!(
                    "heartwire schedule run: {name} due {}: not fired: {e}",
                    firing.at
                );
                return None;
            }
        };
        let sent = match self.failing.get(target.url()) {
            Some((until, why)) if *until > now => {
                Err(format!("{why} (not tried again before {until})"))
            }
            _ => {
                let publish = publish(outlets, &target, firing);
                let timeout = tokio::time::sleep(PUBLISH_TIMEOUT);
                tokio::pin!(publish, timeout);
                let sent = loop {
                    tokio::select! {
                        sent = &mut publish => break sent,
                        () = &mut timeout => {
                            break Err(format!("no answer within {PUBLISH_TIMEOUT:?}"));
                        }
                        Some((call, reply)) = asked.recv() => {
                            let answer = self.answer(call);
                            let _ = reply.send(answer);
                        }
                    }
                };
                match &sent {
                    Ok(()) => {
                        self.failing.remove(target.url());
                    }
                    Err(why) => {
                        let until = retry_at(firing.at, now).unwrap_or(now);
                        self.failing
                            .insert(target.url().to_owned(), (until, why.clone()));
                    }
                }
                sent
            }
        };
        match sent {
            Ok(()) => Some(serde_json::json!({
                "event": "fired",
                "schedule": name,
                "due": firing.at.to_string(),
                "fired": SystemClock.now().to_string(),
                "target": target.to_string(),
            })),
            Err(e) => {
                note!(
                    "heartwire schedule run: {name} due {}: not published to {target}: {e}",
                    firing.at
                );
                None
            }
        }
    }

    /// Writes the state file, if any, then reports the fires it holds; false after
    /// saying why it could not (once while it keeps failing), the fires unreported.
    fn save(&mut self) -> bool {
        let Some(path) = &self.state else {
            self.report_saved();
            return true;
        };
        match state::save(path, &self.scheduler) {
            Ok(()) => {
                if std::mem::take(&mut self.save_failed) {
                    note!(
                        "heartwire schedule run: --state {}: written again",
                        path.display()
                    );
                }
                self.report_saved();
                true
            }
            Err(e) => {
                if !std::mem::replace(&mut self.save_failed, true) {
                    let waiting = match self.unsaved.len() {
                        0 => String::new(),
                        n => format!(
                            "; {n} fire(s) not reported until it is written (tried again every second)"
                        ),
                    };
                    note!(
                        "heartwire schedule run: --state {}: cannot write it: {e}{waiting}",
                        path.display()
                    );
                }
                false
            }
        }
    }

    fn answer(&mut self, call: Call) -> Answer {
        match call {
            Call::List => self.list(),
            Call::Delete(name) => {
                let Ok(name) = Name::new(name.as_str()) else {
                    return Answer::error(StatusCode::NOT_FOUND, "no such schedule");
                };
                match self.scheduler.delete(name.as_str()) {
                    Some(_) => self.saved(StatusCode::NO_CONTENT, String::new()),
                    None => Answer::error(
                        StatusCode::NOT_FOUND,
                        format!("no schedule {}", name.as_str()),
                    ),
                }
            }
            Call::Create(body) => self.create(&body),
        }
    }

    fn create(&mut self, body: &[u8]) -> Answer {
        let schedule = match checked(body, self.default.as_ref()) {
            Ok(s) => s,
            Err(Refused::Document(e)) => {
                return Answer {
                    status: StatusCode::BAD_REQUEST,
                    body: serde_json::json!({
                        "error": e.to_string(),
                        "class": e.class(),
                        "offset": e.offset,
                        "path": e.path,
                    })
                    .to_string(),
                };
            }
            Err(Refused::Target(e)) => return Answer::error(StatusCode::BAD_REQUEST, e),
        };
        let name = schedule.name().as_str().to_owned();
        let replacing = self.scheduler.get(&name).is_some();
        let len = |s: &Schedule<'_>| s.to_string().len();
        let total: usize = self
            .scheduler
            .schedules()
            .filter(|(s, _)| s.name().as_str() != name)
            .map(|(s, _)| len(s))
            .sum();
        if !replacing && self.scheduler.len() >= MAX_SCHEDULES {
            return Answer::error(
                StatusCode::INSUFFICIENT_STORAGE,
                format!("at most {MAX_SCHEDULES} schedules"),
            );
        }
        if total + len(&schedule) > MAX_DOCUMENTS_LEN {
            return Answer::error(
                StatusCode::INSUFFICIENT_STORAGE,
                format!("all schedule documents together are at most {MAX_DOCUMENTS_LEN} bytes"),
            );
        }
        self.scheduler.create(schedule, SystemClock.now());
        let status = if replacing {
            StatusCode::OK
        } else {
            StatusCode::CREATED
        };
        let body = self.describe(&name).to_string();
        self.saved(status, body)
    }

    /// The answer, once the state is saved; `500` when it could not be.
    fn saved(&mut self, status: StatusCode, body: String) -> Answer {
        if self.save() {
            Answer { status, body }
        } else {
            Answer::error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "applied, but the state file could not be written",
            )
        }
    }

    fn list(&self) -> Answer {
        let mut names: Vec<&str> = self
            .scheduler
            .plans()
            .map(|p| p.schedule().name().as_str())
            .collect();
        names.sort_unstable();
        let schedules: Vec<serde_json::Value> = names.iter().map(|n| self.describe(n)).collect();
        Answer {
            status: StatusCode::OK,
            body: serde_json::json!({ "schedules": schedules }).to_string(),
        }
    }

    /// A schedule as the API shows it: never the credentials of its target.
    fn describe(&self, name: &str) -> serde_json::Value {
        let Some(p) = self.scheduler.planned(name) else {
            return serde_json::Value::Null;
        };
        let s = p.schedule();
        let time = |t: Option<UnixTime>| t.map(|t| t.to_string());
        serde_json::json!({
            "name": name,
            "rate": s.rate().to_string(),
            "expression": s.rate().expression(),
            "target": target_of(s, self.default.as_ref()).ok().map(|t| t.to_string()),
            "created": p.created().to_string(),
            "last_fired": time(p.last_fired()),
            "next": time(p.next()),
        })
    }
}

/// Sends the payload of `firing` to `target` through `outlets`: at its address on a
/// broker; to an SQS queue as the body, on a FIFO queue with the ids of the fire (§13.2).
async fn publish(
    outlets: &mut Outlets,
    target: &FireTarget,
    firing: &Firing,
) -> Result<(), String> {
    let payload = firing.schedule.payload().as_bytes();
    match target {
        FireTarget::Broker {
            broker,
            url,
            address,
        } => {
            outlets
                .send(*broker, url, Address::Named(address), payload)
                .await
        }
        #[cfg(feature = "sqs")]
        FireTarget::Sqs { url } => {
            let (group, deduplication) =
                super::target::fire_ids(firing.schedule.name().as_str(), firing.at);
            let queue = Address::Queue {
                group: &group,
                deduplication: &deduplication,
            };
            outlets
                .send(crate::brokers::Broker::Sqs, url, queue, payload)
                .await
        }
    }
}

/// When to try again a fire due at `due` that failed at `now`: half its age later,
/// from 1 s to a minute, in whole seconds (1, 1, 2, 3, 4, 6, ...); `None` once it is older than
/// [`MAX_EVENT_AGE`], EventBridge Scheduler's default, when it is given up.
fn retry_at(due: UnixTime, now: UnixTime) -> Option<UnixTime> {
    let age = now.since(due).unwrap_or_default();
    if age >= MAX_EVENT_AGE {
        return None;
    }
    let wait = (age / 2).clamp(RETRY_MIN, RETRY_MAX);
    // Whole seconds, rounded up.
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    now.checked_add_secs(i64::try_from(secs).unwrap_or(i64::MAX))
}

/// Resolves at SIGINT, SIGTERM or after `exit_after`.
async fn stop_signal(exit_after: Option<std::time::Duration>) {
    let after = async {
        match exit_after {
            Some(d) => tokio::time::sleep(d).await,
            None => std::future::pending().await,
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = after => {}
        () = term => {}
        _ = tokio::signal::ctrl_c() => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failed_fires_are_tried_again_later_and_later_for_a_day() {
        let due = UnixTime::new(1_000_000, 0);
        let at = |secs: i64| UnixTime::new(1_000_000 + secs, 0);
        assert_eq!(retry_at(due, due), Some(at(1)));
        assert_eq!(retry_at(due, at(10)), Some(at(15)));
        assert_eq!(retry_at(due, at(3600)), Some(at(3660)));
        assert_eq!(retry_at(due, at(24 * 3600 - 1)), Some(at(24 * 3600 + 59)));
        assert_eq!(retry_at(due, at(24 * 3600)), None);
    }
}
