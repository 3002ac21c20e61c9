//! `heartwire monitor`: subscribes to brokers, feeds every heartbeat to the liveness
//! engine, and shows who is alive: a live table on a terminal, one JSON line per state
//! change otherwise.

pub(crate) mod alerts;
#[cfg(feature = "nats")]
mod durable;
mod events;
mod ingest;
mod journal;
#[cfg(feature = "nats")]
mod replica;
mod table;
mod throttle;

use std::collections::BTreeMap;
use std::io::{self, IsTerminal, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use clap::{Args, ValueEnum};
use heartwire::time::{SystemClock, UnixTime, WallClock};
use heartwire::transport::ExtensionPoint;
use heartwire_broker::redact_url;
use heartwire_broker::{LinkStatus, Loss};
use heartwire_http::receiver::{Exposition, History, HistoryLimits, MetricKind};
use heartwire_http::{DEFAULT_PORT, PingKey, Receiver, ReceiverConfig};
use heartwire_liveness::detector::{DetectorChoice, ExponentialConfig, PhiConfig, Tolerance};
use heartwire_liveness::{Config, Event, Link, Monitor, Snapshot};
use tokio::sync::Notify;

use crate::brokers::Broker;
use crate::duration;
use crate::signals::{self, Caught};
use events::{EventWriter, LinkEvent, event_line, lost_json, lost_line};
use ingest::{Feed, LinkInfo};
use journal::Journal;
use table::{Size, Table};

/// `heartwire monitor`'s options.
#[derive(Debug, Args)]
pub(crate) struct MonitorArgs {
    /// A broker to subscribe to, for every heartbeat it carries: nats://HOST:PORT,
    /// redis://HOST:PORT, mqtt://HOST:PORT or amqp://USER:PASSWORD@HOST:PORT/VHOST.
    /// Repeat it to watch several at once. Without --from, the monitor is heartwire's
    /// HTTP receiver instead (see --listen).
    #[arg(long = "from", value_name = "URL")]
    from: Vec<String>,
    /// Receive HTTP pings and beatit text on this address (spec/http.md §5): the default
    /// when there is no --from, at 127.0.0.1:8387. Pings: GET /ping/<process>[/start|
    /// /fail|/<exit status>][?period=Minutes(5)]; beatit text: POST /beat with a line
    /// such as `heartbeat.api beat/5`; the state of every process: GET /status.
    #[arg(long, value_name = "ADDRESS")]
    listen: Option<std::net::SocketAddr>,
    /// Require the ping key in FILE (16 to 128 URL-safe bytes, one line) of the HTTP
    /// receiver's clients: /ping/<key>/<process> or the header X-Heartwire-Key, the
    /// header for POST /beat and GET /status (spec/http.md §5.6). Without it, any client
    /// may ping any name. The key is never printed.
    #[arg(long, value_name = "FILE")]
    ping_key_file: Option<PathBuf>,
    /// One JSON line per state change, even on a terminal.
    #[arg(long)]
    json: bool,
    /// The failure detector of beatit processes.
    #[arg(long, value_enum, default_value_t = DetectorArg::Deadline)]
    detector: DetectorArg,
    /// When a silent process is dead, in multiples of the period it declared: DEAD, or
    /// LATE,DEAD (default 1.5,3). It is late from LATE periods on.
    #[arg(long, value_name = "[LATE,]DEAD", value_parser = parse_tolerance)]
    tolerance: Option<Tolerance>,
    /// The interval liveness records are sent at (spec/record.md §10): a service is late
    /// after 1.5 and dead after 3 intervals without a record. The seed's
    /// HEARTBEAT_INTERVAL by default.
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = duration::parse)]
    record_interval: Duration,
    /// Keep the state in FILE: read at start (nobody is forgotten, nobody convicted for
    /// the time the monitor was away), written every 10 seconds and at exit; every ping
    /// and beat the HTTP receiver acknowledges is journaled beside it before the answer
    /// (FILE.journal.N), so that not even kill -9 loses one (spec/http.md §5.9).
    #[arg(long, value_name = "FILE")]
    snapshot: Option<PathBuf>,
    /// How often the table is drawn, a duration from 10ms to 60s (deadlines are checked
    /// at least every second).
    #[arg(long, value_name = "DURATION", default_value = "500ms", value_parser = parse_refresh)]
    refresh: Duration,
    /// Stop after this long, a duration such as 90s (for scripts and demonstrations).
    #[arg(long, value_name = "DURATION", value_parser = duration::parse)]
    exit_after: Option<Duration>,
    /// For a NATS server that requires TLS (subscribed to through the general client):
    /// how many received messages the client may hold before the monitor takes them;
    /// beyond it messages are dropped by the client, and reported as lost. Plain NATS
    /// is read without such a buffer: nothing is dropped, the socket waits.
    #[arg(long, value_name = "MESSAGES", default_value_t = heartwire_broker::DEFAULT_SUBSCRIPTION_CAPACITY, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=1 << 24))]
    nats_buffer: usize,
    /// Watch the Reventless plugins of this extension point: the command envelopes
    /// (Heartbeat, RedetectPlugin, DisconnectPlugin, ...) on its command address of each
    /// --from broker, `command.NAME` (MQTT `command/...`, spec/transports.md §1.7).
    /// Repeat it for several; default Platform.Plugin (older deployments: Core.Plugin).
    #[arg(long = "extension-point", value_name = "NAME", value_parser = parse_extension_point)]
    extension_points: Vec<ExtensionPoint<'static>>,
    /// Read every nats:// --from through the JetStream durable consumer NAME (1 to 32
    /// of A-Z a-z 0-9 _ -) of the stream HEARTWIRE, created if absent
    /// (spec/transports.md §2.1): what is published while the monitor is away is kept
    /// and read when it is back, each beat at the time the server took it, so a restart
    /// convicts whoever died meanwhile and nobody else (spec/liveness.md §6.5). The
    /// position is kept in the --snapshot, which it needs, and acknowledged to the
    /// server once a snapshot holds it.
    #[cfg(feature = "nats")]
    #[arg(long, value_name = "NAME", value_parser = parse_consumer_name)]
    durable: Option<heartwire_nats::ConsumerName>,
    /// With --durable: how many servers of a NATS cluster keep the stream when the
    /// monitor creates it, 1 to 5 (3 survive the loss of one server). A stream that
    /// exists keeps its own.
    #[cfg(feature = "nats")]
    #[arg(long, value_name = "N", default_value_t = 1, requires = "durable", value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=5))]
    durable_replicas: usize,
    /// With --durable: run as one of several replicas of this monitor, on any machines
    /// (spec/liveness.md §6.6). One leads: it reads the stream, keeps the state in the
    /// JetStream key-value bucket HEARTWIRE_STATE_NAME instead of a --snapshot file, and
    /// alone sends alerts; the others wait, and one takes over within about a --lease
    /// of the leader's death, from the state it left. Not with --snapshot or --listen.
    #[cfg(feature = "nats")]
    #[arg(long, requires = "durable", conflicts_with_all = ["snapshot", "listen"])]
    replicated: bool,
    /// With --replicated: how long a leader that stopped renewing (dead, or cut off
    /// from NATS) still leads, from 1s to 300s; every replica must give the same.
    #[cfg(feature = "nats")]
    #[arg(long, value_name = "DURATION", default_value = "10s", requires = "replicated", value_parser = parse_lease)]
    lease: Duration,
    /// With --replicated: the name the other replicas are told leads (default:
    /// HOST:PID).
    #[cfg(feature = "nats")]
    #[arg(long, value_name = "NAME", requires = "replicated")]
    replica_name: Option<String>,
    #[command(flatten)]
    alerts: alerts::AlertArgs,
}

/// `--durable`: a consumer name.
#[cfg(feature = "nats")]
fn parse_consumer_name(text: &str) -> Result<heartwire_nats::ConsumerName, String> {
    heartwire_nats::ConsumerName::new(text).map_err(|e| format!("{text:?}: {e}"))
}

/// `--lease`: a duration from 1 s to 300 s.
#[cfg(feature = "nats")]
fn parse_lease(text: &str) -> Result<Duration, String> {
    use heartwire_nats::ReplicaConfig;
    let lease = duration::parse(text)?;
    if (ReplicaConfig::MIN_LEASE..=ReplicaConfig::MAX_LEASE).contains(&lease) {
        Ok(lease)
    } else {
        Err(format!("{text:?}: expected from 1s to 300s"))
    }
}

/// `--extension-point`: a name of the process-name grammar.
fn parse_extension_point(text: &str) -> Result<ExtensionPoint<'static>, String> {
    ExtensionPoint::new(text)
        .map(ExtensionPoint::into_owned)
        .map_err(|e| format!("{text:?}: {e}"))
}

/// `--detector`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum DetectorArg {
    /// The declared period times the tolerance.
    Deadline,
    /// Akka's phi accrual.
    Phi,
    /// Cassandra's exponential model.
    Exponential,
}

/// `--refresh`: a duration from 10 ms to 60 s.
fn parse_refresh(text: &str) -> Result<Duration, String> {
    let refresh = duration::parse(text)?;
    if (Duration::from_millis(10)..=Duration::from_secs(60)).contains(&refresh) {
        Ok(refresh)
    } else {
        Err(format!("{text:?}: expected from 10ms to 60s"))
    }
}

fn parse_tolerance(text: &str) -> Result<Tolerance, String> {
    let permille = |t: &str| -> Result<u32, String> {
        let f: f64 = t
            .trim()
            .parse()
            .map_err(|_| format!("{t:?} is not a number"))?;
        if !(f > 0.0 && f <= 1000.0) {
            return Err(format!("{t} is not a factor from 0 to 1000"));
        }
        Ok((f * 1000.0).round() as u32)
    };
    let (late, dead) = match text.split_once(',') {
        Some((late, dead)) => (permille(late)?, permille(dead)?),
        None => {
            let dead = permille(text)?;
            (dead.min(Tolerance::SEED.late_permille()), dead)
        }
    };
    Tolerance::from_permille(late, dead).ok_or_else(|| "LATE must not be above DEAD".to_owned())
}

/// Runs the monitor until interrupted (or `--exit-after`); exit 0, 1 for a URL of a
/// broker this binary was built without, or 2 for a URL of no known broker, more brokers
/// than links, or a snapshot that cannot be read.
pub(crate) fn run(args: MonitorArgs) -> ExitCode {
    // Caught from the start: a stop asked for while the monitor starts is a clean stop
    // as soon as it runs.
    let terminated = Arc::new(Notify::new());
    let _catching = {
        let terminated = Arc::clone(&terminated);
        signals::catch(&[Caught::Interrupt, Caught::Terminate], move |_| {
            terminated.notify_one();
        })
        .map_err(|e| note!("heartwire monitor: cannot catch signals ({e}); stop it with SIGKILL"))
        .ok()
    };
    let mut links = Vec::new();
    for url in &args.from {
        if let Some(refused) = crate::brokers::refuse_unbuilt("monitor", url) {
            return refused;
        }
        let Some(broker) = Broker::of(url) else {
            note!(
                "heartwire monitor: {}: expected a nats://, redis://, mqtt:// or amqp:// URL",
                redact_url(url)
            );
            return ExitCode::from(2);
        };
        let Some(link) = u8::try_from(links.len() + 1).ok().and_then(Link::new) else {
            note!(
                "heartwire monitor: at most {} --from, expected fewer",
                Link::MAX
            );
            return ExitCode::from(2);
        };
        links.push(LinkInfo::new(link, broker, url.clone()));
    }
    if let Err(e) = alerts::check(&args.alerts) {
        note!("heartwire monitor: {e}");
        return ExitCode::from(2);
    }
    let mut config = Config {
        detector: match args.detector {
            DetectorArg::Deadline => DetectorChoice::Deadline,
            DetectorArg::Phi => DetectorChoice::Phi(PhiConfig::default()),
            DetectorArg::Exponential => DetectorChoice::Exponential(ExponentialConfig::default()),
        },
        ..Config::default()
    };
    if let Some(tolerance) = args.tolerance {
        config.tolerance = tolerance;
    }
    config.record_interval = args.record_interval;
    #[cfg(feature = "nats")]
    if args.durable.is_some() && args.snapshot.is_none() && !args.replicated {
        note!(
            "heartwire monitor: --durable keeps its position in the state: expected --snapshot FILE, or --replicated"
        );
        return ExitCode::from(2);
    }
    #[cfg(feature = "nats")]
    if args.replicated {
        return replica::run(args, links, config, terminated);
    }
    // The history of every process (spec/http.md 5.11), kept with the snapshot.
    let history = Arc::new(History::new(HistoryLimits::default()));
    let saved = match args.snapshot.as_deref().map(read_snapshot) {
        None | Some(Ok(None)) => None,
        Some(Ok(Some(saved))) => Some(saved),
        Some(Err(e)) => {
            note!("heartwire monitor: {e}");
            return ExitCode::from(2);
        }
    };
    let (mut engine, generation) = match restore(config, saved, &history, &args, &mut links) {
        Ok(restored) => restored,
        Err(e) => {
            note!("heartwire monitor: {e}");
            return ExitCode::from(2);
        }
    };
    let links: Vec<Arc<LinkInfo>> = links.into_iter().map(Arc::new).collect();
    // What the receiver acknowledged after the snapshot, applied again.
    let journal = match &args.snapshot {
        Some(path) => match restore_journal(path, generation, &mut engine, &history) {
            Ok(journal) => Some(Arc::new(Mutex::new(journal))),
            Err(e) => {
                note!("heartwire monitor: {e}");
                return ExitCode::from(2);
            }
        },
        None => None,
    };
    let engine = Arc::new(Mutex::new(engine));
    let listen = match (args.listen, links.is_empty()) {
        (Some(addr), _) => Some(addr),
        (None, true) => Some(SocketAddr::from(([127, 0, 0, 1], DEFAULT_PORT))),
        (None, false) => None,
    };
    let mut listening = None;
    if let Some(addr) = listen {
        let mut receiver_config = ReceiverConfig::default();
        if let Some(file) = &args.ping_key_file {
            match read_ping_key(file) {
                Ok(key) => receiver_config.ping_key = Some(key),
                Err(e) => {
                    note!("heartwire monitor: {e}");
                    return ExitCode::from(2);
                }
            }
        }
        let receiver = match Receiver::bind(addr, receiver_config) {
            Ok(receiver) => receiver,
            Err(e) => {
                note!("heartwire monitor: cannot listen on {addr}: {e}");
                return ExitCode::from(1);
            }
        };
        let shown = receiver.local_addr().unwrap_or(addr);
        let listed = links.clone();
        let recent = Arc::clone(&history);
        let receiver = receiver.history(Arc::clone(&history));
        let receiver = receiver.status_members(move |out| {
            recent.write_recent(out);
            if listed.is_empty() {
                return;
            }
            out.push_str(",\"links\":[");
            for (i, info) in listed.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                info.write_status(out);
            }
            out.push(']');
        });
        let listed = links.clone();
        let receiver = receiver.metrics(move |out| link_metrics(&listed, out));
        let receiver = match &journal {
            Some(journal) => {
                let journal = Arc::clone(journal);
                receiver.journal(move |accepted| {
                    lock_journal(&journal).append(accepted.to_line().as_bytes())
                })
            }
            None => receiver,
        };
        note!(
            "heartwire monitor: listening on http://{shown}/ (GET /ping/<process>, POST /beat, GET /status, GET /metrics)"
        );
        listening = Some(format!("http://{shown}/"));
        let shared = Arc::clone(&engine);
        std::thread::spawn(move || {
            if let Err(e) = receiver.run_blocking(shared, || SystemClock.now()) {
                note!("heartwire monitor: the HTTP receiver stopped: {e}");
            }
        });
    }
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            note!("heartwire monitor: cannot start: {e}");
            return ExitCode::from(1);
        }
    };
    let view = if args.json || !io::stdout().is_terminal() {
        View::Json
    } else {
        View::Table
    };
    let store = match &args.snapshot {
        Some(path) => Store::File(path.clone()),
        None => Store::Nothing,
    };
    let stop_at = args
        .exit_after
        .and_then(|after| std::time::Instant::now().checked_add(after));
    let parts = Parts {
        links,
        engine,
        journal,
        history,
        view,
        listening,
        terminated,
        store,
        ledger: None,
        stop_at,
        keeps_history: listen.is_some() || args.snapshot.is_some(),
    };
    match runtime.block_on(watch(&args, parts)) {
        Ended::Exit(code) => code,
        #[cfg(feature = "nats")]
        Ended::Deposed => ExitCode::from(1),
    }
}

/// The engine of `saved` (a new one without), its history restored, and its durable
/// links (`--durable`) held until each has replayed what its stream kept since the
/// state was saved; the journal generation that follows it.
fn restore(
    config: Config,
    saved: Option<SavedState>,
    history: &History,
    args: &MonitorArgs,
    links: &mut [LinkInfo],
) -> Result<(Monitor, u64), String> {
    #[cfg_attr(not(feature = "nats"), allow(unused_mut))]
    let (mut engine, generation, positions) = match saved {
        None => (Monitor::new(config), 0, BTreeMap::new()),
        Some(saved) => {
            history.restore(&saved.history);
            let engine = Monitor::restore(config, saved.snapshot)
                .map_err(|e| format!("cannot restore the snapshot: {e}"))?;
            (engine, saved.journal, saved.positions)
        }
    };
    #[cfg(feature = "nats")]
    if let Some(name) = &args.durable {
        if !links.iter().any(|l| l.broker == Broker::Nats) {
            return Err("--durable reads NATS links: expected a nats:// --from".to_owned());
        }
        let since = engine.last_poll().unwrap_or_else(|| SystemClock.now());
        for info in links.iter_mut().filter(|l| l.broker == Broker::Nats) {
            let key = durable::DurableLink::key_of(name, &info.shown);
            let start = positions.get(&key).copied();
            let config =
                heartwire_nats::DurableConfig::new(name.clone()).replicas(args.durable_replicas);
            info.durable = Some(durable::DurableLink::new(config, start));
            engine.link_replaying(info.link, since);
        }
    }
    #[cfg(not(feature = "nats"))]
    let _ = (positions, args, links);
    Ok((engine, generation))
}

/// Where the state is kept.
enum Store {
    /// Nowhere: a restart begins anew.
    Nothing,
    /// In `--snapshot FILE`.
    File(PathBuf),
    /// In the replicas' buckets, while this replica leads (`--replicated`).
    #[cfg(feature = "nats")]
    Shared(replica::Leading),
}

impl Store {
    /// What opens and closes the alert workers' sending: a replica's lease.
    fn gate(&self) -> Option<Arc<alerts::Gate>> {
        match self {
            #[cfg(feature = "nats")]
            Store::Shared(leading) => Some(leading.gate()),
            _ => None,
        }
    }

    /// Rung when a replica loses its lease.
    fn lost(&self) -> Option<Arc<Notify>> {
        match self {
            #[cfg(feature = "nats")]
            Store::Shared(leading) => Some(leading.lost()),
            _ => None,
        }
    }

    /// At a clean stop: a replica gives its lease up.
    async fn release(&self) {
        #[cfg(feature = "nats")]
        if let Store::Shared(leading) = self {
            leading.release().await;
        }
    }
}

/// What the loop is given.
struct Parts {
    links: Vec<Arc<LinkInfo>>,
    engine: Arc<Mutex<Monitor>>,
    journal: Option<Arc<Mutex<Journal>>>,
    history: Arc<History>,
    view: View,
    listening: Option<String>,
    terminated: Arc<Notify>,
    store: Store,
    /// With `--replicated`: the alerts' ledger the last leader stored (empty if none).
    ledger: Option<Vec<u8>>,
    /// When to stop (`--exit-after`).
    stop_at: Option<std::time::Instant>,
    /// Whether state changes go into the history: only where something can read it
    /// (the HTTP receiver's `/status/<name>`, or a snapshot a later run may serve).
    keeps_history: bool,
}

/// How the loop ended.
enum Ended {
    /// Stopped (asked to, or stdout unwritable): the monitor's exit status.
    Exit(ExitCode),
    /// This replica no longer leads (`--replicated`): what it held is dropped, and it
    /// waits again as a standby.
    #[cfg(feature = "nats")]
    Deposed,
}

/// How the states are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum View {
    Table,
    Json,
}

/// The monitor's loop, from the parts `run` prepared (or a replica's leadership).
async fn watch(args: &MonitorArgs, parts: Parts) -> Ended {
    let Parts {
        links,
        engine,
        journal,
        history,
        view,
        listening,
        terminated,
        store,
        ledger,
        stop_at,
        keeps_history,
    } = parts;
    // Each link's task feeds the engine itself, a batch at a time, and rings the bell;
    // this loop takes the events, checks the links and deadlines, and draws.
    let wake = Arc::new(Notify::new());
    let save_soon = Arc::new(Notify::new());
    let feed = Arc::new(Feed {
        save_soon: Arc::clone(&save_soon),
        engine: Arc::clone(&engine),
        wake: Arc::clone(&wake),
        nats_buffer: args.nats_buffer,
        extension_points: if args.extension_points.is_empty() {
            vec![ExtensionPoint::default()]
        } else {
            args.extension_points.clone()
        },
        journal: journal.clone(),
    });
    let tasks: Vec<tokio::task::JoinHandle<()>> = links
        .iter()
        .map(|info| tokio::spawn(ingest::run(Arc::clone(info), Arc::clone(&feed))))
        .collect();
    let kept = match (&store, &ledger) {
        (_, Some(text)) => alerts::LedgerAt::Shared(text),
        (Store::File(path), None) => alerts::LedgerAt::File(path),
        _ => alerts::LedgerAt::Memory,
    };
    let alerts = match alerts::Alerts::start(&args.alerts, kept, store.gate()) {
        Ok(alerts) => alerts,
        Err(e) => {
            note!("heartwire monitor: {e}");
            return Ended::Exit(ExitCode::from(2));
        }
    };
    let lost = store.lost();
    let mut state = Watch {
        engine,
        seen: vec![None; links.len()],
        links,
        recent: Vec::new(),
        view,
        unwritable: None,
        journal,
        history,
        writer: EventWriter::default(),
        lines: String::new(),
        listening,
        screen: (view == View::Table).then(Screen::enter),
        alerts,
        store,
        alerts_stored: 0,
        deposed: false,
        keeps_history,
    };
    let mut tick = tokio::time::interval(args.refresh);
    // Deadlines and links are checked every second whatever --refresh is: a poll later
    // than its deadline by the engine's stall_after (5 s) would be taken for a stall.
    let mut check = tokio::time::interval(args.refresh.min(Duration::from_secs(1)));
    let mut save = tokio::time::interval(Duration::from_secs(10));
    let mut events = tokio::time::interval(Duration::from_millis(10));
    events.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // A replica stores the alerts' ledger as soon as it changed.
    let ledger_changed = state
        .shares()
        .then(|| state.alerts.as_ref().map(alerts::Alerts::changed))
        .flatten();
    let mut pending = false;
    let stop = async {
        match stop_at {
            Some(at) => tokio::time::sleep_until(at.into()).await,
            None => std::future::pending().await,
        }
    };
    tokio::pin!(stop);
    loop {
        tokio::select! {
            // Events are taken at most every 10 ms however often batches come: a
            // batch rings, the next tick of `events` takes what it rang for.
            () = wake.notified() => pending = true,
            _ = events.tick(), if pending => {
                pending = false;
                state.poll(SystemClock.now());
            }
            _ = tick.tick() => state.show(),
            _ = check.tick() => {
                let now = SystemClock.now();
                state.check_links(now);
                state.poll(now);
                // A ledger whose store failed (the bucket's stream electing a leader) is
                // stored again within a second, not at its next change: until it is, a
                // takeover would send again what was delivered.
                state.share_alerts().await;
                // A journal past its bound is checkpointed at once, so that a restore
                // replays a bounded amount whatever the rate of pings.
                if state.journal_full() {
                    state.save().await;
                }
            }
            _ = save.tick() => state.save().await,
            // A durable link has applied many messages since the last snapshot.
            () = save_soon.notified() => state.save().await,
            () = wait_for(ledger_changed.as_deref()) => state.share_alerts().await,
            () = wait_for(lost.as_deref()) => state.deposed = true,
            () = &mut stop => break,
            () = terminated.notified() => break,
        }
        if state.unwritable.is_some() || state.deposed {
            break;
        }
    }
    for task in &tasks {
        task.abort();
    }
    #[cfg(feature = "nats")]
    if state.deposed {
        drop(state.screen.take());
        if let Some(alerts) = state.alerts.take() {
            alerts.abandon();
        }
        state.summarise();
        return Ended::Deposed;
    }
    let now = SystemClock.now();
    state.check_links(now);
    // The last table is drawn where it stays: on the terminal's own screen, after the
    // alternate one is left.
    drop(state.screen.take());
    state.show();
    state.summarise();
    state.finish_alerts();
    state.save().await;
    state.share_alerts().await;
    state.store.release().await;
    Ended::Exit(match state.unwritable {
        Some(e) => {
            note!("heartwire monitor: cannot write to stdout ({e}); stopping");
            ExitCode::from(1)
        }
        None => ExitCode::SUCCESS,
    })
}

/// Waits for `notify`, or forever without one.
async fn wait_for(notify: Option<&Notify>) {
    match notify {
        Some(notify) => notify.notified().await,
        None => std::future::pending().await,
    }
}

/// The broker links' families of `/metrics` (spec/http.md §5.10), labelled by the
/// link's URL as shown (password redacted).
fn link_metrics(links: &[Arc<LinkInfo>], out: &mut Exposition<'_>) {
    if links.is_empty() {
        return;
    }
    let statuses: Vec<LinkStatus> = links.iter().map(|l| l.health.status()).collect();
    let family =
        |out: &mut Exposition<'_>, name: &str, kind, help, value: &dyn Fn(usize) -> u64| {
            out.family(name, kind, help);
            for (i, info) in links.iter().enumerate() {
                out.sample(name, &[("link", &info.shown)], value(i) as f64);
            }
        };
    family(
        out,
        "heartwire_link_up",
        MetricKind::Gauge,
        "1 while the monitor is connected to the broker.",
        &|i| u64::from(statuses[i].connected),
    );
    family(
        out,
        "heartwire_link_received_total",
        MetricKind::Counter,
        "Messages received from the broker.",
        &|i| links[i].received.load(Ordering::Relaxed),
    );
    family(
        out,
        "heartwire_link_invalid_total",
        MetricKind::Counter,
        "Messages received from the broker that no format accepts.",
        &|i| links[i].invalid.load(Ordering::Relaxed),
    );
    family(
        out,
        "heartwire_link_outages_total",
        MetricKind::Counter,
        "Times the link to the broker was lost.",
        &|i| statuses[i].outages,
    );
    out.family(
        "heartwire_link_lost_total",
        MetricKind::Counter,
        "Messages lost on the link, counted, by why (spec/transports.md).",
    );
    for (info, status) in links.iter().zip(&statuses) {
        for reason in Loss::ALL {
            out.sample(
                "heartwire_link_lost_total",
                &[("link", &info.shown), ("reason", reason.as_str())],
                status.lost(reason) as f64,
            );
        }
    }
}

/// The monitor's loop state.
struct Watch {
    /// Shared with the HTTP receiver's thread, when there is one.
    engine: Arc<Mutex<Monitor>>,
    /// The brokers, by link number - 1.
    links: Vec<Arc<LinkInfo>>,
    /// What each link's health was at the last check.
    seen: Vec<Option<LinkStatus>>,
    /// The latest events, for the table.
    recent: Vec<String>,
    view: View,
    /// Why stdout could not be written, once it could not.
    unwritable: Option<io::Error>,
    /// The receiver's write-ahead journal, with `--snapshot`.
    journal: Option<Arc<Mutex<Journal>>>,
    /// Every process's latest changes, pings and beats (`/status/<name>`), fed with the
    /// changes here and saved with the snapshot.
    history: Arc<History>,
    writer: EventWriter,
    /// The JSON lines of one poll, kept allocated between polls.
    lines: String,
    /// Where the HTTP receiver listens (`http://127.0.0.1:8387/`), shown in the table.
    listening: Option<String>,
    /// The alternate screen the table is drawn on while the monitor runs.
    screen: Option<Screen>,
    /// The alert targets and their queues (`--alert-*`, spec/alerts.md).
    alerts: Option<alerts::Alerts>,
    /// Where the state is saved.
    store: Store,
    /// The ledger's change count last stored (`--replicated`).
    #[cfg_attr(not(feature = "nats"), allow(dead_code))]
    alerts_stored: u64,
    /// Whether this replica found that it no longer leads.
    deposed: bool,
    /// Whether the engine's changes go into `history` (see [`Parts`]).
    keeps_history: bool,
}

/// The terminal's alternate screen, left when dropped (also when the monitor stops on
/// an error or a panic unwinds): what was on the terminal before comes back, and the
/// cursor is shown again.
struct Screen;

impl Screen {
    fn enter() -> Screen {
        let mut out = io::stdout().lock();
        // A terminal that cannot be written is noticed at the first draw.
        let _ = out
            .write_all(b"\x1b[?1049h\x1b[?25l")
            .and_then(|()| out.flush());
        Screen
    }
}

impl Drop for Screen {
    fn drop(&mut self) {
        let mut out = io::stdout().lock();
        let _ = out
            .write_all(b"\x1b[?25h\x1b[?1049l")
            .and_then(|()| out.flush());
    }
}

impl Watch {
    fn engine(&self) -> MutexGuard<'_, Monitor> {
        // A panic elsewhere cannot leave the monitor half-changed for what is read here.
        self.engine.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Reads every link's health: outages begin and end in the engine (§6.4), and each
    /// change and each second's losses are reported, on stderr and as events.
    fn check_links(&mut self, now: UnixTime) {
        for info in &self.links {
            info.throttles().tick(now.secs());
        }
        let mut lines: Vec<(String, serde_json::Value)> = Vec::new();
        for (i, info) in self.links.iter().enumerate() {
            let status = info.health.status();
            let before = self.seen[i];
            let link_events = link_events(before.as_ref(), &status, now);
            {
                let mut engine = self.engine.lock().unwrap_or_else(PoisonError::into_inner);
                for event in &link_events {
                    match *event {
                        LinkEvent::Down { at } => engine.link_down(info.link, at),
                        LinkEvent::Back { down_since, at } => {
                            engine.link_down(info.link, down_since);
                            // A durable link is up once it has caught up: its task says.
                            if !info.is_durable() {
                                engine.link_up(info.link, at);
                            }
                        }
                        LinkEvent::Up { .. } => {}
                    }
                }
            }
            for event in link_events {
                lines.push((event.line(&info.shown), event.json(&info.shown)));
            }
            for reason in Loss::ALL {
                let total = status.lost(reason);
                let count = total - before.map_or(0, |b| b.lost(reason));
                if count > 0 {
                    lines.push((
                        lost_line(&info.shown, reason, count, total),
                        lost_json(&info.shown, reason, count, total, now),
                    ));
                }
            }
            self.seen[i] = Some(status);
        }
        if lines.is_empty() {
            return;
        }
        let stdout = io::stdout();
        let mut out = stdout.lock();
        for (line, json) in lines {
            note!("heartwire monitor: {line}");
            match self.view {
                View::Json => {
                    let written = writeln!(out, "{json}");
                    self.check_written(written);
                }
                View::Table => self.recent.push(line),
            }
        }
        let flushed = out.flush();
        self.check_written(flushed);
        self.trim_recent();
    }

    /// Remembers that stdout could not be written: the loop ends, exit 1 (events that
    /// cannot be delivered are not to be dropped silently).
    fn check_written(&mut self, written: io::Result<()>) {
        if let Err(e) = written {
            self.unwritable.get_or_insert(e);
        }
    }

    /// Takes the engine's events up to `now`, and prints them (JSON) or keeps the latest
    /// (table).
    fn poll(&mut self, now: UnixTime) {
        let events: Vec<Event> = self.engine().poll(now).collect();
        self.alert(&events);
        if events.is_empty() {
            return;
        }
        if self.keeps_history {
            self.history
                .changes(events.iter().filter_map(Event::change));
        }
        match self.view {
            View::Json => {
                let mut text = std::mem::take(&mut self.lines);
                text.clear();
                for event in &events {
                    self.writer.line(event, &mut text);
                }
                let written = io::stdout().lock().write_all(text.as_bytes());
                self.check_written(written);
                // A burst's memory is not kept.
                if text.capacity() > 1 << 20 {
                    text = String::new();
                }
                self.lines = text;
            }
            View::Table => {
                self.recent.extend(events.iter().map(event_line));
                self.trim_recent();
            }
        }
    }

    fn trim_recent(&mut self) {
        let keep = self.recent.len().saturating_sub(table::RECENT);
        self.recent.drain(..keep);
    }

    fn show(&mut self) {
        let now = SystemClock.now();
        self.poll(now);
        if self.view == View::Table {
            let table = Table::read(&self.engine(), &self.links, self.listening.as_deref(), now);
            // On the alternate screen the table fits the terminal; the last one, on the
            // terminal's own screen, is whole.
            let size = self.screen.as_ref().and_then(|_| terminal_size());
            let text = table.render(&self.recent, size);
            let stdout = io::stdout();
            let mut out = stdout.lock();
            let written = if self.screen.is_some() {
                // Home and clear, then the table, without the newline after its last
                // line: on a full screen that would scroll the first one away.
                write!(out, "\x1b[H\x1b[2J{}", text.trim_end_matches('\n'))
            } else {
                write!(out, "{text}")
            }
            .and_then(|()| out.flush());
            self.check_written(written);
        }
    }

    /// One line per link on stderr: what it received, and what it lost; first the
    /// counts of the throttled second that is not over yet.
    fn summarise(&mut self) {
        for info in &self.links {
            info.throttles().tick(i64::MAX);
        }
        for info in &self.links {
            let status = info.health.status();
            note!(
                "heartwire monitor: {}: {} received ({} invalid), {} lost (overflow {}, oversized {}, dropped {}, expired {}), {} outages",
                info.shown,
                info.received.load(Ordering::Relaxed),
                info.invalid.load(Ordering::Relaxed),
                status.lost_total(),
                status.lost(Loss::Overflow),
                status.lost(Loss::Oversized),
                status.lost(Loss::Dropped),
                status.lost(Loss::Expired),
                status.outages,
            );
        }
    }

    /// Saves the state where it is kept (`--snapshot`, or the replicas' bucket), the
    /// journal's checkpoint: the snapshot is taken and the journal moved to its next
    /// generation under the engine's lock, so that every acknowledged change is in one
    /// or the other; the older journals are removed once the snapshot saying so is in
    /// place, and durable links acknowledge what it holds.
    async fn save(&mut self) {
        if matches!(self.store, Store::Nothing) {
            return;
        }
        let (snapshot, generation, applied) = {
            let engine = self.engine();
            let snapshot = engine.snapshot();
            // Read under the engine's lock: a link applies, then says so, so a position
            // read now is never ahead of the state (at worst behind it: a few messages
            // read again after a restart, at their own times).
            let applied = self.durable_positions();
            let generation = match &self.journal {
                Some(journal) => {
                    let mut journal = lock_journal(journal);
                    if let Err(e) = journal.rotate() {
                        note!("heartwire monitor: cannot start a new journal: {e}");
                    }
                    journal.generation()
                }
                None => 0,
            };
            (snapshot, generation, applied)
        };
        let saved = SavedState {
            journal: generation,
            snapshot,
            history: self.history.save(),
            positions: applied
                .iter()
                .map(|(key, sequence, _)| (key.clone(), *sequence))
                .collect(),
        };
        let written = match &mut self.store {
            Store::Nothing => return,
            Store::File(path) => write_snapshot(path, &saved)
                .map_err(|e| note!("heartwire monitor: cannot write {}: {e}", path.display()))
                .is_ok(),
            #[cfg(feature = "nats")]
            Store::Shared(leading) => match serde_json::to_vec(&saved) {
                Ok(bytes) => match leading.store(replica::Blob::State, bytes).await {
                    replica::Outcome::Written => true,
                    replica::Outcome::Failed => false,
                    replica::Outcome::Fenced => {
                        self.deposed = true;
                        false
                    }
                },
                Err(e) => {
                    note!("heartwire monitor: cannot write the state: {e}");
                    false
                }
            },
        };
        if written {
            if let Some(journal) = &self.journal {
                lock_journal(journal).remove_before();
            }
            // Held by the file now: the server may forget them.
            for (_, _, saved) in applied {
                saved();
            }
        }
    }

    /// Whether this loop shares the alerts' ledger (`--replicated`).
    fn shares(&self) -> bool {
        #[cfg(feature = "nats")]
        {
            matches!(self.store, Store::Shared(_)) && self.alerts.is_some()
        }
        #[cfg(not(feature = "nats"))]
        false
    }

    /// A replica: stores the alerts' ledger if it changed since it was last stored.
    async fn share_alerts(&mut self) {
        #[cfg(feature = "nats")]
        if let (Store::Shared(leading), Some(alerts)) = (&mut self.store, &self.alerts)
            && let Some((changes, text)) = alerts.ledger_since(self.alerts_stored)
        {
            match leading
                .store(replica::Blob::Alerts, text.into_bytes())
                .await
            {
                replica::Outcome::Written => self.alerts_stored = changes,
                replica::Outcome::Failed => {}
                replica::Outcome::Fenced => self.deposed = true,
            }
        }
    }

    /// Each durable link's key, the stream sequence applied, and what tells the link
    /// that a written snapshot holds it.
    fn durable_positions(&self) -> Vec<SavedPosition> {
        #[cfg(feature = "nats")]
        {
            self.links
                .iter()
                .filter_map(|info| {
                    let durable = info.durable.as_ref()?;
                    let position = durable.applied_position()?;
                    let key = durable.key(&info.shown);
                    let sequence = position.sequence;
                    let info = Arc::clone(info);
                    let saved: Box<dyn FnOnce() + Send> = Box::new(move || {
                        if let Some(durable) = &info.durable {
                            durable.saved(position);
                        }
                    });
                    Some((key, sequence, saved))
                })
                .collect()
        }
        #[cfg(not(feature = "nats"))]
        Vec::new()
    }

    /// Whether the journal has grown past its bound (a snapshot is due early).
    fn journal_full(&self) -> bool {
        self.journal
            .as_ref()
            .is_some_and(|journal| lock_journal(journal).is_full())
    }
}

/// What changed in a link's connection between two looks at its health; an outage
/// that began and ended in between is still one (its counter grew).
fn link_events(before: Option<&LinkStatus>, now: &LinkStatus, at: UnixTime) -> Vec<LinkEvent> {
    let outages_before = before.map_or(0, |b| b.outages);
    let was_up = before.is_some_and(|b| b.connected);
    let mut events = Vec::new();
    if before.is_none_or(|b| b.up_since.is_none()) && now.up_since.is_some() && now.outages == 0 {
        events.push(LinkEvent::Up {
            at: now.up_since.unwrap_or(at),
        });
        return events;
    }
    let new_outage = now.outages > outages_before;
    if new_outage && (was_up || before.is_none()) {
        events.push(LinkEvent::Down {
            at: now.down_since.unwrap_or(at),
        });
    }
    if let Some((down_since, up)) = now.last_outage()
        && (new_outage || !was_up)
    {
        events.push(LinkEvent::Back { down_since, at: up });
    }
    events
}

/// A durable link's position in a snapshot being written: its key, the stream
/// sequence applied, and what tells the link once the snapshot is written.
type SavedPosition = (String, u64, Box<dyn FnOnce() + Send>);

/// What `--snapshot FILE` holds: the engine's snapshot and the journal generation that
/// follows it.
#[derive(serde::Serialize, serde::Deserialize)]
struct SavedState {
    journal: u64,
    snapshot: Snapshot,
    /// The history of every process (spec/http.md 5.11); absent from the snapshots of
    /// older versions.
    #[serde(default)]
    history: serde_json::Value,
    /// Where each durable link's state ends (`--durable`): the stream sequence of the
    /// last message applied, by consumer and server; absent without.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    positions: BTreeMap<String, u64>,
}

/// The snapshot in `path`, or `None` when there is no such file yet; a file written
/// before the journal (a bare snapshot) is read as generation 0.
fn read_snapshot(path: &Path) -> Result<Option<SavedState>, String> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice::<SavedState>(&bytes)
            .or_else(|e| {
                serde_json::from_slice::<Snapshot>(&bytes)
                    .map(|snapshot| SavedState {
                        journal: 0,
                        snapshot,
                        history: serde_json::Value::Null,
                        positions: BTreeMap::new(),
                    })
                    .map_err(|_| e)
            })
            .map(Some)
            .map_err(|e| format!("{}: not a snapshot: {e}", path.display())),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("cannot read {}: {e}", path.display())),
    }
}

/// The ping key in `file`: its one line, without the line end. Errors name the file,
/// never what it holds.
/// The size of the terminal that stdout is, read at each draw so that the table follows
/// a resized window.
fn terminal_size() -> Option<Size> {
    let (rows, cols) = console::Term::stdout().size_checked()?;
    Some(Size { rows, cols })
}

fn read_ping_key(file: &Path) -> Result<PingKey, String> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| format!("cannot read the ping key file {}: {e}", file.display()))?;
    let key = text.strip_suffix('\n').unwrap_or(&text);
    let key = key.strip_suffix('\r').unwrap_or(key);
    PingKey::new(key).map_err(|e| format!("the ping key in {}: {e}", file.display()))
}

fn lock_journal(journal: &Mutex<Journal>) -> MutexGuard<'_, Journal> {
    journal.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Applies the journals from `generation` on to `engine`, and opens the last one to go
/// on appending. An entry that does not read or apply is reported and skipped: the
/// journal is ours, so that is a bug or a torn disk, not a reason to refuse to start.
fn restore_journal(
    path: &Path,
    generation: u64,
    engine: &mut Monitor,
    history: &History,
) -> Result<Journal, String> {
    let mut applied = 0u64;
    let mut skipped = 0u64;
    let last = journal::replay(
        path,
        generation,
        |line| match journal::CommandEntry::from_line(line) {
            // A command an SQS link took (spec/transports.md 6.3).
            Some(Ok(entry)) => match engine.observe_command(&entry.envelope, entry.at) {
                Ok(_) => applied += 1,
                Err(_) => skipped += 1,
            },
            Some(Err(_)) => skipped += 1,
            None => match heartwire_http::Accepted::from_line(line) {
                Ok(accepted) => match accepted.apply(engine) {
                    Ok(()) => {
                        remember(history, &accepted);
                        applied += 1;
                    }
                    Err(_) => skipped += 1,
                },
                Err(_) => skipped += 1,
            },
        },
    )
    .map_err(|e| format!("cannot read the journal of {}: {e}", path.display()))?;
    if applied + skipped > 0 {
        note!(
            "heartwire monitor: {} changes acknowledged after the snapshot applied again from its journal{}",
            applied,
            if skipped > 0 {
                format!(", {skipped} skipped")
            } else {
                String::new()
            }
        );
    }
    Journal::open(path, last)
        .map_err(|e| format!("cannot open the journal of {}: {e}", path.display()))
}

/// Puts a change replayed from the journal into the history, as the receiver did when
/// it acknowledged it.
fn remember(history: &History, accepted: &heartwire_http::Accepted) {
    match accepted {
        heartwire_http::Accepted::Ping {
            process,
            outcome,
            rid,
            at,
            ..
        } => history.ping(process.as_str(), *outcome, rid.as_ref(), *at),
        heartwire_http::Accepted::Beats { messages, at } => {
            for message in messages {
                history.beat(message.process().as_str(), message.signal(), *at);
            }
        }
        heartwire_http::Accepted::Forget { process } => {
            history.forget(heartwire_liveness::Source::Ping, process.as_str());
        }
        _ => {}
    }
}

/// Writes the snapshot beside `path` and renames it into place, so that a crash while
/// writing leaves the previous one whole. The file beside it is made anew, readable by
/// its owner only, and never through a link: whatever was planted at `<path>.part`
/// (a symlink to a file of someone else's) is removed, not followed.
pub(crate) fn write_snapshot(path: &Path, snapshot: &impl serde::Serialize) -> io::Result<()> {
    let text = serde_json::to_vec(snapshot).map_err(io::Error::other)?;
    let mut part = path.as_os_str().to_owned();
    part.push(".part");
    let part = PathBuf::from(part);
    match std::fs::remove_file(&part) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    let mut options = std::fs::OpenOptions::new();
    // create_new: O_CREAT|O_EXCL, which never follows a symlink, even a dangling one.
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&part)?;
    file.write_all(&text)?;
    file.sync_all()?;
    drop(file);
    std::fs::rename(&part, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn snapshots_are_private_and_a_planted_link_is_not_followed() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("heartwire-snap-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("a folder");
        let victim = dir.join("victim");
        std::fs::write(&victim, "precious").expect("the victim");
        let path = dir.join("state.json");
        std::os::unix::fs::symlink(&victim, dir.join("state.json.part")).expect("the link");
        let snapshot = Monitor::default().snapshot();
        write_snapshot(&path, &snapshot).expect("written");
        assert_eq!(
            std::fs::read_to_string(&victim).ok().as_deref(),
            Some("precious")
        );
        let mode = std::fs::metadata(&path)
            .expect("the snapshot")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
        assert!(read_snapshot(&path).is_ok_and(|s| s.is_some()));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn tolerance_is_dead_or_late_and_dead() {
        let permille = |t: Tolerance| (t.late_permille(), t.dead_permille());
        assert_eq!(parse_tolerance("3").map(permille), Ok((1500, 3000)));
        assert_eq!(parse_tolerance("1.2").map(permille), Ok((1200, 1200)));
        assert_eq!(parse_tolerance("2,4.5").map(permille), Ok((2000, 4500)));
        assert!(parse_tolerance("4,2").is_err());
        assert!(parse_tolerance("0").is_err());
        assert!(parse_tolerance("-1").is_err());
        assert!(parse_tolerance("nan").is_err());
        assert!(parse_tolerance("x").is_err());
    }
}
