//! `heartwire monitor`: subscribes to brokers, feeds every heartbeat to the liveness
//! engine, and shows who is alive: a live table on a terminal, one JSON line per state
//! change otherwise.

use std::collections::HashMap;
use std::io::{self, IsTerminal, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use clap::{Args, ValueEnum};
use heartwire::text::{Message, Signal};
use heartwire::time::{SystemClock, Timestamp, UnixTime, WallClock};
use heartwire::transport::{Content, Delivery, Invalid, Presence, redact_url};
use heartwire_http::{DEFAULT_PORT, Receiver, ReceiverConfig};
use heartwire_liveness::detector::{DetectorChoice, ExponentialConfig, PhiConfig, Tolerance};
use heartwire_liveness::{Config, Event, Monitor, Snapshot, Source, State};
use serde_json::json;
use tokio::sync::mpsc;

use crate::brokers::{Broker, Subscriber};

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
    /// Keep the state in FILE: read at start (nobody is forgotten, nobody convicted for
    /// the time the monitor was away), written every 10 seconds and at exit.
    #[arg(long, value_name = "FILE")]
    snapshot: Option<PathBuf>,
    /// How often the table is drawn, in milliseconds (deadlines are checked at least
    /// every second).
    #[arg(long, value_name = "MS", default_value_t = 500, value_parser = clap::value_parser!(u64).range(10..=60_000))]
    refresh: u64,
    /// Stop after this many seconds (for scripts and demonstrations).
    #[arg(long, value_name = "SECONDS")]
    exit_after: Option<f64>,
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

/// What the subscriptions hand the monitor's loop.
enum Incoming {
    Message(Result<Delivery, Invalid>),
    /// A connection notice for stderr.
    Notice(String),
}

/// Runs the monitor until interrupted (or `--exit-after`); exit 0, or 2 for a URL of
/// no known broker or a snapshot that cannot be read.
pub(crate) fn run(args: MonitorArgs) -> ExitCode {
    let mut sources = Vec::new();
    for url in &args.from {
        match Broker::of(url) {
            Some(broker) => sources.push((broker, url.clone())),
            None => {
                eprintln!(
                    "heartwire monitor: {}: expected a nats://, redis://, mqtt:// or amqp:// URL",
                    redact_url(url)
                );
                return ExitCode::from(2);
            }
        }
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
    let engine: Monitor = match args.snapshot.as_deref().map(read_snapshot) {
        None | Some(Ok(None)) => Monitor::new(config),
        Some(Ok(Some(snapshot))) => match Monitor::restore(config, snapshot) {
            Ok(engine) => engine,
            Err(e) => {
                eprintln!("heartwire monitor: cannot restore the snapshot: {e}");
                return ExitCode::from(2);
            }
        },
        Some(Err(e)) => {
            eprintln!("heartwire monitor: {e}");
            return ExitCode::from(2);
        }
    };
    let engine = Arc::new(Mutex::new(engine));
    let listen = match (args.listen, sources.is_empty()) {
        (Some(addr), _) => Some(addr),
        (None, true) => Some(SocketAddr::from(([127, 0, 0, 1], DEFAULT_PORT))),
        (None, false) => None,
    };
    if let Some(addr) = listen {
        let receiver = match Receiver::bind(addr, ReceiverConfig::default()) {
            Ok(receiver) => receiver,
            Err(e) => {
                eprintln!("heartwire monitor: cannot listen on {addr}: {e}");
                return ExitCode::from(1);
            }
        };
        let shown = receiver.local_addr().unwrap_or(addr);
        eprintln!(
            "heartwire monitor: listening on http://{shown}/ (GET /ping/<process>, POST /beat, GET /status)"
        );
        let shared = Arc::clone(&engine);
        std::thread::spawn(move || {
            if let Err(e) = receiver.run_blocking(shared, || SystemClock.now()) {
                eprintln!("heartwire monitor: the HTTP receiver stopped: {e}");
            }
        });
    }
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("heartwire monitor: cannot start: {e}");
            return ExitCode::from(1);
        }
    };
    let view = if args.json || !io::stdout().is_terminal() {
        View::Json
    } else {
        View::Table
    };
    runtime.block_on(watch(args, sources, engine, view))
}

/// How the states are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum View {
    Table,
    Json,
}

async fn watch(
    args: MonitorArgs,
    sources: Vec<(Broker, String)>,
    engine: Arc<Mutex<Monitor>>,
    view: View,
) -> ExitCode {
    let (tx, mut rx) = mpsc::channel(4096);
    for (broker, url) in sources {
        tokio::spawn(subscribe(broker, url, tx.clone()));
    }
    // Kept, so that the loop runs on with no broker (the HTTP receiver alone).
    let _idle = tx;
    let mut state = Watch {
        engine,
        last: HashMap::new(),
        recent: Vec::new(),
        view,
        invalid: 0,
    };
    let mut tick = tokio::time::interval(Duration::from_millis(args.refresh));
    // Deadlines are checked every second whatever --refresh is: a poll later than its
    // deadline by the engine's stall_after (5 s) would be taken for a stall.
    let mut check = tokio::time::interval(Duration::from_millis(args.refresh.min(1000)));
    let mut save = tokio::time::interval(Duration::from_secs(10));
    let stop_at = args
        .exit_after
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(|s| tokio::time::Instant::now() + Duration::from_secs_f64(s.min(1e9)));
    let stop = async {
        match stop_at {
            Some(at) => tokio::time::sleep_until(at).await,
            None => std::future::pending().await,
        }
    };
    tokio::pin!(stop);
    let terminate = terminated();
    tokio::pin!(terminate);
    loop {
        tokio::select! {
            incoming = rx.recv() => match incoming {
                Some(Incoming::Message(item)) => state.observe(item),
                Some(Incoming::Notice(text)) => eprintln!("heartwire monitor: {text}"),
                None => break,
            },
            _ = tick.tick() => state.show(),
            _ = check.tick() => state.poll(SystemClock.now()),
            _ = save.tick() => {
                if let Some(path) = &args.snapshot {
                    state.save(path);
                }
            }
            () = &mut stop => break,
            () = &mut terminate => break,
        }
    }
    state.show();
    if let Some(path) = &args.snapshot {
        state.save(path);
    }
    ExitCode::SUCCESS
}

/// Resolves on SIGINT or SIGTERM.
async fn terminated() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// One subscription, connected again whenever it fails or ends, with a growing pause.
async fn subscribe(broker: Broker, url: String, tx: mpsc::Sender<Incoming>) {
    let shown = redact_url(&url);
    let mut pause = Duration::from_millis(250);
    loop {
        match Subscriber::connect(broker, &url).await {
            Ok(mut subscriber) => {
                pause = Duration::from_millis(250);
                let notice = Incoming::Notice(format!("subscribed to {shown}"));
                if tx.send(notice).await.is_err() {
                    return;
                }
                for item in subscriber.present().await {
                    if tx.send(Incoming::Message(item)).await.is_err() {
                        return;
                    }
                }
                while let Some(item) = subscriber.next().await {
                    if tx.send(Incoming::Message(item)).await.is_err() {
                        return;
                    }
                }
                let notice = Incoming::Notice(format!("{shown}: the subscription ended"));
                if tx.send(notice).await.is_err() {
                    return;
                }
            }
            Err(e) => {
                let notice = format!("{shown}: {e}; trying again in {} ms", pause.as_millis());
                if tx.send(Incoming::Notice(notice)).await.is_err() {
                    return;
                }
            }
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_secs(10));
    }
}

/// The monitor's loop state.
struct Watch {
    /// Shared with the HTTP receiver's thread, when there is one.
    engine: Arc<Mutex<Monitor>>,
    /// The last signal of each process, as the table shows it.
    last: HashMap<(Source, String), String>,
    /// The latest events, for the table.
    recent: Vec<String>,
    view: View,
    invalid: u64,
}

impl Watch {
    fn engine(&self) -> MutexGuard<'_, Monitor> {
        // A panic elsewhere cannot leave the monitor half-changed for what is read here.
        self.engine.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn observe(&mut self, item: Result<Delivery, Invalid>) {
        let now = SystemClock.now();
        let delivery = match item {
            Ok(delivery) => delivery,
            Err(invalid) => {
                self.invalid += 1;
                eprintln!("heartwire monitor: {invalid}");
                return;
            }
        };
        let (observed, key, signal) = match &delivery.content {
            Content::Text(message) => (
                self.engine().observe_text(message, now),
                (Source::Text, message.process().as_str().to_owned()),
                message.signal().to_string(),
            ),
            Content::Record { record, .. } => (
                self.engine().observe_record(record, now),
                (Source::Record, record.service_name().as_str().to_owned()),
                "record".to_owned(),
            ),
            Content::Presence {
                process, presence, ..
            } => {
                let observed = match presence {
                    Presence::Online => return,
                    Presence::Offline => self.engine().observe_gone(process, now),
                    Presence::Stopped => self
                        .engine()
                        .observe_text(&Message::new(process.clone(), Signal::Stop), now),
                };
                (
                    observed,
                    (Source::Text, process.as_str().to_owned()),
                    format!("will ({presence})"),
                )
            }
            _ => return,
        };
        match observed {
            Ok(_) => {
                self.last.insert(key, signal);
            }
            Err(rejected) => eprintln!(
                "heartwire monitor: {} from {}: not counted: {rejected}",
                key.1, delivery.origin
            ),
        }
        self.poll(now);
    }

    /// Takes the engine's events up to `now`, and prints them (JSON) or keeps the latest
    /// (table).
    fn poll(&mut self, now: UnixTime) {
        let events: Vec<Event> = self.engine().poll(now).collect();
        if events.is_empty() {
            return;
        }
        let stdout = io::stdout();
        let mut out = stdout.lock();
        for event in &events {
            match self.view {
                View::Json => {
                    // A reader that went away ends nothing: the monitor keeps watching.
                    let _ = writeln!(out, "{}", event_json(event));
                }
                View::Table => self.recent.push(event_line(event)),
            }
        }
        let _ = out.flush();
        let keep = self.recent.len().saturating_sub(8);
        self.recent.drain(..keep);
    }

    fn show(&mut self) {
        let now = SystemClock.now();
        self.poll(now);
        if self.view == View::Table {
            let table = self.table(now);
            let stdout = io::stdout();
            let mut out = stdout.lock();
            // Home and clear, then the table.
            let _ = write!(out, "\x1b[H\x1b[2J{table}");
            let _ = out.flush();
        }
    }

    fn table(&self, now: UnixTime) -> String {
        let engine = self.engine();
        let mut rows: Vec<[String; 7]> = engine
            .processes()
            .map(|p| {
                let key = (p.source, p.name.to_owned());
                let next = engine.next_change(p.source, p.name).map_or_else(
                    || "-".to_owned(),
                    |(at, state)| format!("{state} in {}", span(at.since(now).unwrap_or_default())),
                );
                let suspicion = engine
                    .suspicion(p.source, p.name, now)
                    .map_or_else(|| "-".to_owned(), |s| format!("{s:.2}"));
                [
                    p.name.to_owned(),
                    p.source.to_string(),
                    p.state.to_string(),
                    self.last.get(&key).cloned().unwrap_or_else(|| {
                        // Pings and beats the HTTP receiver took.
                        if p.source == Source::Ping { "ping" } else { "" }.to_owned()
                    }),
                    span(now.since(p.last).unwrap_or_default()),
                    next,
                    suspicion,
                ]
            })
            .collect();
        rows.sort();
        let header = [
            "PROCESS",
            "SOURCE",
            "STATE",
            "LAST SIGNAL",
            "AGE",
            "NEXT",
            "SUSPICION",
        ];
        let mut widths = header.map(str::len);
        for row in &rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.len());
            }
        }
        let mut text = String::new();
        let mut line = |cells: &[&str]| {
            for (i, cell) in cells.iter().enumerate() {
                let w = widths[i];
                text.push_str(&format!("{cell:<w$}  "));
            }
            text.truncate(text.trim_end().len());
            text.push('\n');
        };
        line(&header);
        for row in &rows {
            line(&row.each_ref().map(String::as_str));
        }
        text.push_str(&format!(
            "\n{} processes, {} invalid messages. Latest events:\n",
            rows.len(),
            self.invalid
        ));
        for event in &self.recent {
            text.push_str(event);
            text.push('\n');
        }
        text
    }

    fn save(&self, path: &Path) {
        let snapshot = self.engine().snapshot();
        if let Err(e) = write_snapshot(path, &snapshot) {
            eprintln!("heartwire monitor: cannot write {}: {e}", path.display());
        }
    }
}

/// An instant as RFC 3339, in UTC, to the millisecond.
fn time(at: UnixTime) -> String {
    Timestamp::from_unix_millis(at).as_str().to_owned()
}

/// A duration for the table: `850ms`, `12.5s`, `4m05s`, `3h02m`.
fn span(d: Duration) -> String {
    let secs = d.as_secs();
    if secs < 1 {
        format!("{}ms", d.as_millis())
    } else if secs < 60 {
        format!("{:.1}s", d.as_secs_f64())
    } else if secs < 3600 {
        format!("{}m{:02}s", secs / 60, secs % 60)
    } else {
        format!("{}h{:02}m", secs / 3600, secs / 60 % 60)
    }
}

/// An event as one line of the table's list of latest events.
fn event_line(event: &Event) -> String {
    match event {
        Event::Changed(c) => format!(
            "{} {} ({}): {} -> {} ({})",
            time(c.at),
            c.process,
            c.source,
            c.old.map_or("new", State::as_str),
            c.new,
            c.reason
        ),
        Event::Stalled { from, to } => format!(
            "{} the monitor stalled since {}: deadlines moved, nobody convicted",
            time(*to),
            time(*from)
        ),
        Event::Capped {
            cap,
            process,
            source,
            at,
        } => format!(
            "{} {process} ({source}): not counted, over the {cap:?} cap",
            time(*at)
        ),
        other => format!("{} {other}", time(other.at())),
    }
}

/// An event as one JSON line (`spec/liveness.md` §7).
fn event_json(event: &Event) -> serde_json::Value {
    match event {
        Event::Changed(c) => json!({
            "event": "changed",
            "process": c.process,
            "source": c.source.as_str(),
            "old": c.old.map(State::as_str),
            "new": c.new.as_str(),
            "reason": c.reason.as_str(),
            "at": time(c.at),
        }),
        Event::Stalled { from, to } => json!({
            "event": "stalled",
            "from": time(*from),
            "to": time(*to),
        }),
        Event::Capped {
            cap,
            process,
            source,
            at,
        } => json!({
            "event": "capped",
            "cap": cap,
            "process": process,
            "source": source.as_str(),
            "at": time(*at),
        }),
        other => json!({ "event": other.to_string() }),
    }
}

/// The snapshot in `path`, or `None` when there is no such file yet.
fn read_snapshot(path: &Path) -> Result<Option<Snapshot>, String> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| format!("{}: not a snapshot: {e}", path.display())),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("cannot read {}: {e}", path.display())),
    }
}

/// Writes the snapshot beside `path` and renames it into place, so that a crash while
/// writing leaves the previous one whole.
fn write_snapshot(path: &Path, snapshot: &Snapshot) -> io::Result<()> {
    let text = serde_json::to_vec(snapshot).map_err(io::Error::other)?;
    let mut part = path.as_os_str().to_owned();
    part.push(".part");
    std::fs::write(&part, text)?;
    std::fs::rename(&part, path)
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn spans_read_at_a_glance() {
        assert_eq!(span(Duration::from_millis(850)), "850ms");
        assert_eq!(span(Duration::from_millis(12_500)), "12.5s");
        assert_eq!(span(Duration::from_secs(245)), "4m05s");
        assert_eq!(span(Duration::from_secs(3 * 3600 + 120)), "3h02m");
    }
}
