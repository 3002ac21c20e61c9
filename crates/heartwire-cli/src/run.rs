//! `heartwire run` and `heartwire beat`: a job wrapped the way cron users wrap backups,
//! and one signal sent (`spec/http.md` §6).
//!
//! Where signals go is a [`Target`], one arm per kind of `--to` URL: `http(s)://` pings a
//! service (its signal table, `spec/http.md` §4), and `nats://`, `redis://`, `mqtt://`
//! and `amqp://` publish beatit text on `heartbeat.<process>` through the broker adapters
//! ([`brokers`], `spec/transports.md`), mapped as the `beatit` service is: a job's success
//! is `stop`, and a failure sends nothing, so that its silence makes it late, then dead.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::io::{self, Read, Write};
use std::process::{Command, ExitCode, Stdio};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::Duration;

use clap::{Args, ValueEnum};
use heartwire::text::{Message, Process, Seconds, Signal};
use heartwire::time::{SystemClock, WallClock};
use heartwire_http::{
    AlignedSchedule, Alignment, Frequency, JobSignal, PingPolicy, PingRequest, Pinger, Plan,
    ResultLine, RunId, Service, Trigger, Wake,
};

use crate::brokers::{self, Broker};

/// The output lines kept for the end-of-job ping.
const TAIL_LINES: usize = 20;
/// The longest output line kept, in bytes (longer ones are cut).
const TAIL_LINE_LEN: usize = 1_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ServiceArg {
    /// healthchecks.io and heartwire's receiver: /start, /fail, /<exit status>, ?rid=
    Healthchecks,
    /// Dead Man's Snitch: ?s=<exit status>&m=<message>
    Snitch,
    /// Cronitor: ?state=run|complete|fail
    Cronitor,
    /// A plain URL: a GET on success, nothing otherwise
    Plain,
    /// beatit text POSTed (heartwire's receiver at /beat)
    Beatit,
}

impl ServiceArg {
    fn service(self) -> Service {
        match self {
            ServiceArg::Healthchecks => Service::Healthchecks,
            ServiceArg::Snitch => Service::Snitch,
            ServiceArg::Cronitor => Service::Cronitor,
            ServiceArg::Plain => Service::Plain,
            ServiceArg::Beatit => Service::Beatit,
        }
    }
}

/// How pings are sent: the Intervalometerator's policy unless told otherwise.
#[derive(Debug, Args)]
pub(crate) struct SendArgs {
    /// Where to send: an http:// or https:// URL (for healthchecks.io the ping URL; a
    /// URL ending in `/` gets the process name appended, as heartwire's receiver at
    /// http://127.0.0.1:8387/ping/ wants), or a broker: nats://, redis://, mqtt:// or
    /// amqp:// URLs get beatit text on `heartbeat.<process>` (spec/transports.md).
    #[arg(long, value_name = "URL")]
    to: String,
    /// The process name (letters, digits, `_`, `-` and `.`).
    #[arg(long, value_name = "NAME")]
    process: String,
    /// What the URL is; by default `beatit` when its path ends with /beat, else
    /// `healthchecks`.
    #[arg(long, value_enum)]
    service: Option<ServiceArg>,
    /// The time one attempt may take.
    #[arg(long, default_value = "10s", value_parser = parse_duration, value_name = "DURATION")]
    timeout: Duration,
    /// Attempts per ping.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=10))]
    attempts: u32,
    /// The wait between two attempts.
    #[arg(long, default_value = "20s", value_parser = parse_duration, value_name = "DURATION")]
    retry_after: Duration,
}

#[derive(Debug, Args)]
pub(crate) struct RunArgs {
    #[command(flatten)]
    send: SendArgs,
    /// How often to beat while the job runs (`30s`, `5m`, `1h`; a bare number is
    /// seconds).
    #[arg(long, default_value = "30s", value_parser = parse_duration, value_name = "DURATION")]
    period: Duration,
    /// The job and its arguments, after `--`.
    #[arg(last = true, required = true, value_name = "COMMAND")]
    command: Vec<OsString>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum SignalArg {
    /// start/<period>: expect a beat within the period
    Start,
    /// beat/<period>: alive, expect the next within the period
    Beat,
    /// degraded/<period>: alive but degraded
    Degraded,
    /// stop: a graceful end, expect nothing
    Stop,
    /// the job failed (use --exit-status to say how)
    Fail,
}

#[derive(Debug, Args)]
pub(crate) struct BeatArgs {
    #[command(flatten)]
    send: SendArgs,
    /// The signal.
    #[arg(
        long,
        value_enum,
        default_value = "beat",
        conflicts_with = "exit_status"
    )]
    signal: SignalArg,
    /// The job ended with this exit status instead (0 success).
    #[arg(long, value_name = "STATUS")]
    exit_status: Option<u8>,
    /// The period (or warm-up of `start`) in seconds, a beatit number: `5`, `0.5`.
    #[arg(long, default_value = "60", value_parser = parse_seconds)]
    period: Seconds,
    /// A run id pairing this signal with others of the same run (`?rid=`).
    #[arg(long, value_name = "ID")]
    run_id: Option<String>,
    /// A message or body to attach where the service takes one.
    #[arg(long, value_name = "TEXT")]
    message: Option<String>,
}

/// `30`, `30s`, `1.5s`, `5m`, `1h`: a beatit number and an optional unit.
fn parse_duration(text: &str) -> Result<Duration, String> {
    let (number, scale) = match text.as_bytes().last() {
        Some(b's') => (&text[..text.len() - 1], 1),
        Some(b'm') => (&text[..text.len() - 1], 60),
        Some(b'h') => (&text[..text.len() - 1], 3_600),
        _ => (text, 1),
    };
    let seconds = parse_seconds(number)?;
    seconds
        .as_duration()
        .checked_mul(scale)
        .ok_or_else(|| format!("{text:?} is too long"))
}

fn parse_seconds(text: &str) -> Result<Seconds, String> {
    Seconds::parse(text).map_err(|e| format!("{e}, expected a number of seconds such as 30 or 0.5"))
}

/// Why a `--to` cannot be used. The text it holds is redacted: a `--to` without a
/// scheme may still hold credentials (`user:password@host`).
#[derive(Debug, Clone, PartialEq, Eq)]
enum TargetError {
    NoScheme(String),
    UnknownScheme(String),
}

impl std::fmt::Display for TargetError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TargetError::NoScheme(to) => {
                write!(
                    f,
                    "--to {to:?} has no scheme, expected http://, https://, nats://, redis://, mqtt:// or amqp://"
                )
            }
            TargetError::UnknownScheme(scheme) => write!(
                f,
                "unknown --to scheme {scheme}://, expected http://, https://, nats://, redis://, mqtt:// or amqp://"
            ),
        }
    }
}

/// Where signals go: one arm per `--to` scheme.
enum Target {
    /// An HTTP(S) ping URL of a service.
    Http {
        url: String,
        service: Service,
        pinger: Pinger,
    },
    /// A broker, through its adapter: beatit text (`spec/transports.md`).
    Broker { broker: Broker, url: String },
}

/// What sending one signal came to.
enum Sent {
    /// The service has no such signal: nothing was sent.
    Skipped,
    /// Sent; the result line says how it went.
    Done(ResultLine),
    /// Published to a broker, which has it (flushed, replied, acknowledged or
    /// confirmed).
    Published,
    /// A broker could not take it (the adapter's error; never the URL's credentials).
    NotPublished(String),
}

impl Target {
    fn parse(args: &SendArgs) -> Result<Target, TargetError> {
        let no_scheme = || TargetError::NoScheme(heartwire_broker::redact_url(&args.to));
        let Some((scheme, _)) = args.to.split_once("://") else {
            return Err(no_scheme());
        };
        // RFC 3986: a letter, then letters, digits, `+`, `-` and `.`; anything else
        // before `://` (credentials, say) is no scheme, and not to be repeated.
        let valid = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
        if !valid {
            return Err(no_scheme());
        }
        match scheme.to_ascii_lowercase().as_str() {
            "http" | "https" => Ok(Target::Http {
                url: args.to.clone(),
                service: args
                    .service
                    .map_or_else(|| Service::guess(&args.to), ServiceArg::service),
                pinger: Pinger::new(PingPolicy {
                    timeout: args.timeout,
                    attempts: args.attempts,
                    spacing: args.retry_after,
                    ..PingPolicy::default()
                }),
            }),
            _ => match Broker::of(&args.to) {
                Some(broker) => Ok(Target::Broker {
                    broker,
                    url: args.to.clone(),
                }),
                None => Err(TargetError::UnknownScheme(scheme.to_owned())),
            },
        }
    }

    fn send(
        &self,
        process: &Process<'_>,
        signal: JobSignal,
        run: Option<&RunId>,
        output: Option<&str>,
    ) -> Sent {
        match self {
            Target::Http {
                url,
                service,
                pinger,
            } => match service.request(url, process, signal, run, output) {
                None => Sent::Skipped,
                Some(request) => Sent::Done(pinger.send(&request)),
            },
            // As the `beatit` service of spec/http.md §4: a job's success is `stop`; a
            // failure sends nothing, so that its silence makes it late, then dead.
            Target::Broker { broker, url } => {
                let signal = match signal {
                    JobSignal::Text(signal) => signal,
                    JobSignal::Exit(0) => Signal::Stop,
                    JobSignal::Exit(_) | JobSignal::Fail => return Sent::Skipped,
                };
                let message = Message::new(process.borrowed(), signal);
                let published = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(|e| e.to_string())
                    .and_then(|rt| rt.block_on(brokers::publish(*broker, url, &message)));
                match published {
                    Ok(()) => Sent::Published,
                    Err(e) => Sent::NotPublished(e),
                }
            }
        }
    }
}

/// Reports a failed ping on stderr; true when it failed.
fn report(command: &str, sent: &Sent) -> bool {
    match sent {
        Sent::Done(line) if !line.outcome.is_success() => {
            note!("heartwire {command}: ping failed: {line}");
            true
        }
        Sent::NotPublished(why) => {
            note!("heartwire {command}: not published: {why}");
            true
        }
        _ => false,
    }
}

fn usage(command: &str, message: impl std::fmt::Display) -> ExitCode {
    note!("heartwire {command}: {message}");
    ExitCode::from(2)
}

/// `heartwire beat`: one signal. Exit 0 when it was sent (or the service has no such
/// signal), 1 when it failed, 2 on a usage error.
pub(crate) fn beat(args: BeatArgs) -> ExitCode {
    if let Some(refused) = brokers::refuse_unbuilt("beat", &args.send.to) {
        return refused;
    }
    let target = match Target::parse(&args.send) {
        Ok(target) => target,
        Err(e) => return usage("beat", e),
    };
    let process = match Process::new(&args.send.process) {
        Ok(process) => process,
        Err(e) => return usage("beat", format_args!("--process: {e}")),
    };
    let signal = match (args.exit_status, args.signal) {
        (Some(code), _) => JobSignal::Exit(code),
        (None, SignalArg::Start) => JobSignal::Text(Signal::Start {
            warmup: args.period,
        }),
        (None, SignalArg::Beat) => JobSignal::Text(Signal::Beat {
            period: args.period,
        }),
        (None, SignalArg::Degraded) => JobSignal::Text(Signal::Degraded {
            period: args.period,
        }),
        (None, SignalArg::Stop) => JobSignal::Text(Signal::Stop),
        (None, SignalArg::Fail) => JobSignal::Fail,
    };
    let run = args.run_id.map(RunId::from_text);
    let sent = target.send(&process, signal, run.as_ref(), args.message.as_deref());
    match sent {
        Sent::Skipped => {
            note!("heartwire beat: not sent: this service has no such signal");
            ExitCode::SUCCESS
        }
        Sent::Done(line) => {
            say!("{line}");
            if line.outcome.is_success() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Sent::Published => ExitCode::SUCCESS,
        sent @ Sent::NotPublished(_) => {
            report("beat", &sent);
            ExitCode::from(1)
        }
    }
}

/// The last lines of a job's output, bounded.
#[derive(Debug, Default)]
struct Tail {
    lines: VecDeque<String>,
    partial: Vec<u8>,
}

impl Tail {
    fn push(&mut self, bytes: &[u8]) {
        for &b in bytes {
            if b == b'\n' {
                let line = String::from_utf8_lossy(&self.partial).into_owned();
                self.partial.clear();
                if self.lines.len() == TAIL_LINES {
                    self.lines.pop_front();
                }
                self.lines.push_back(line);
            } else if self.partial.len() < TAIL_LINE_LEN {
                self.partial.push(b);
            }
        }
    }

    fn text(&self) -> String {
        let mut text = String::new();
        for line in &self.lines {
            text.push_str(line);
            text.push('\n');
        }
        text.push_str(&String::from_utf8_lossy(&self.partial));
        text
    }
}

/// A writer of its own on the descriptor of `stream`: `main` holds the lock of
/// `io::stdout()` for the whole command, so the pumps write around it.
#[cfg(unix)]
fn own<S: std::os::fd::AsFd + Write + Send + 'static>(stream: S) -> Box<dyn Write + Send> {
    match stream.as_fd().try_clone_to_owned() {
        Ok(fd) => Box::new(std::fs::File::from(fd)),
        Err(_) => Box::new(stream),
    }
}

#[cfg(not(unix))]
fn own<S: Write + Send + 'static>(stream: S) -> Box<dyn Write + Send> {
    Box::new(stream)
}

/// Copies `from` to `to` as it comes, keeping the last lines in `tail`; says `done`
/// at end of input.
fn pump(
    mut from: impl Read + Send + 'static,
    mut to: impl Write + Send + 'static,
    tail: Arc<Mutex<Tail>>,
    done: mpsc::Sender<()>,
) {
    thread::spawn(move || {
        let mut buf = [0u8; 8192];
        loop {
            match from.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    // A closed terminal must not stop the job.
                    let _ = to.write_all(&buf[..n]).and_then(|()| to.flush());
                    tail.lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .push(&buf[..n]);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => break,
            }
        }
        let _ = done.send(());
    });
}

/// `heartwire run`: start, a beat every period, the exit status at the end; the job's
/// own exit status is heartwire's.
pub(crate) fn run(args: RunArgs) -> ExitCode {
    if let Some(refused) = brokers::refuse_unbuilt("run", &args.send.to) {
        return refused;
    }
    let target = match Target::parse(&args.send) {
        Ok(target) => Arc::new(target),
        Err(e) => return usage("run", e),
    };
    let process = match Process::new(&args.send.process) {
        Ok(process) => process.into_owned(),
        Err(e) => return usage("run", format_args!("--process: {e}")),
    };
    let Some((program, job_args)) = args.command.split_first() else {
        return usage("run", "no command given after --");
    };
    let Some(period) =
        Seconds::from_nanos(u64::try_from(args.period.as_nanos()).unwrap_or(u64::MAX))
    else {
        return usage("run", "--period must be more than 0");
    };
    let run_id = RunId::new(SystemClock.now());

    // Start and beats go from one thread, in order, so a slow service never holds the job.
    let (stop_beats, beats_stopped) = mpsc::channel::<()>();
    let beats = {
        let target = Arc::clone(&target);
        let process = process.clone();
        let run_id = run_id.clone();
        thread::spawn(move || {
            let start = JobSignal::Text(Signal::Start { warmup: period });
            report("run", &target.send(&process, start, Some(&run_id), None));
            let beat = JobSignal::Text(Signal::Beat { period });
            while let Err(RecvTimeoutError::Timeout) =
                beats_stopped.recv_timeout(period.as_duration())
            {
                report("run", &target.send(&process, beat, Some(&run_id), None));
            }
        })
    };

    let tail = Arc::new(Mutex::new(Tail::default()));
    let mut forwarding = signals::catch();
    let spawned = Command::new(program)
        .args(job_args)
        .stdin(Stdio::inherit())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let status = match spawned {
        Err(e) => {
            drop(forwarding);
            // The shell's status for a command not found or not executable: a job that
            // never ran is a failure, sent as one (never a success, never nothing).
            let status = if e.kind() == io::ErrorKind::NotFound {
                127
            } else {
                126
            };
            let message = format!("cannot run {}: {e}", program.to_string_lossy());
            note!("heartwire run: {message}; reporting exit status {status}");
            tail.lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(format!("{message}\n").as_bytes());
            status
        }
        Ok(mut child) => {
            let (done, outputs_done) = mpsc::channel();
            if let Some(stdout) = child.stdout.take() {
                pump(stdout, own(io::stdout()), Arc::clone(&tail), done.clone());
            }
            if let Some(stderr) = child.stderr.take() {
                pump(stderr, own(io::stderr()), Arc::clone(&tail), done.clone());
            }
            drop(done);
            forwarding.to(child.id());
            let waited = child.wait();
            drop(forwarding);
            // A grandchild holding the pipes open must not hold heartwire: wait a
            // moment for the last output, then go on.
            for _ in 0..2 {
                if outputs_done.recv_timeout(Duration::from_secs(1)).is_err() {
                    break;
                }
            }
            match waited {
                Ok(status) => exit_code(status),
                Err(e) => {
                    note!("heartwire run: cannot wait for the job: {e}");
                    1
                }
            }
        }
    };
    let _ = stop_beats.send(());
    let _ = beats.join();
    let output = tail.lock().unwrap_or_else(PoisonError::into_inner).text();
    let sent = target.send(
        &process,
        JobSignal::Exit(status),
        Some(&run_id),
        Some(&output),
    );
    report("run", &sent);
    ExitCode::from(status)
}

/// The job's exit status as a shell reports it: its code, or 128 + the signal that
/// killed it.
fn exit_code(status: std::process::ExitStatus) -> u8 {
    if let Some(code) = status.code() {
        return u8::try_from(code & 0xff).unwrap_or(1);
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            return u8::try_from(128 + signal).unwrap_or(255);
        }
    }
    1
}

#[cfg(unix)]
mod signals {
    //! SIGINT, SIGTERM, SIGHUP and SIGQUIT caught on a thread and sent on to the job.

    use std::sync::mpsc;

    use nix::sys::signal::{Signal, kill};
    use nix::unistd::Pid;
    use signal_hook::consts::{SIGHUP, SIGINT, SIGQUIT, SIGTERM};
    use signal_hook::iterator::{Handle, Signals};

    /// Signals caught from before the job starts (none is lost in between) until
    /// dropped, which must happen once the job is reaped, before its pid can be reused.
    pub(super) struct Forwarding {
        handle: Option<Handle>,
        pid: Option<mpsc::Sender<i32>>,
    }

    impl Forwarding {
        /// Sends what is caught, from now on, to `child`.
        pub(super) fn to(&mut self, child: u32) {
            if let (Some(pid), Ok(child)) = (self.pid.take(), i32::try_from(child)) {
                let _ = pid.send(child);
            }
        }
    }

    impl Drop for Forwarding {
        fn drop(&mut self) {
            if let Some(handle) = &self.handle {
                handle.close();
            }
        }
    }

    pub(super) fn catch() -> Forwarding {
        let Ok(mut signals) = Signals::new([SIGINT, SIGTERM, SIGHUP, SIGQUIT]) else {
            note!("heartwire run: cannot catch signals; they will not be forwarded");
            return Forwarding {
                handle: None,
                pid: None,
            };
        };
        let handle = signals.handle();
        let (pid, child) = mpsc::channel::<i32>();
        std::thread::spawn(move || {
            // No job (it could not start): nothing to forward to.
            let Ok(child) = child.recv() else { return };
            for number in signals.forever() {
                if let Ok(signal) = Signal::try_from(number) {
                    let _ = kill(Pid::from_raw(child), signal);
                }
            }
        });
        Forwarding {
            handle: Some(handle),
            pid: Some(pid),
        }
    }
}

#[cfg(not(unix))]
mod signals {
    pub(super) struct Forwarding;

    impl Forwarding {
        pub(super) fn to(&mut self, _child: u32) {}
    }

    pub(super) fn catch() -> Forwarding {
        Forwarding
    }
}

/// `heartwire ping`'s options.
#[derive(Debug, Args)]
pub(crate) struct PingArgs {
    /// The http:// or https:// URL to GET.
    #[arg(long, value_name = "URL")]
    url: String,
    /// How often, in minutes: 5, 10, 15, 20, 30 or 60. It pings when the minute (UTC) is
    /// divisible by it, and once at start.
    #[arg(long, value_name = "MINUTES")]
    every: u32,
    /// The Intervalometerator's alignment: every 30 minutes at :15 and :45, every 60 at
    /// :30 (spec/http.md §3).
    #[arg(long)]
    intervalometerator: bool,
    /// The time one attempt may take.
    #[arg(long, default_value = "10s", value_parser = parse_duration, value_name = "DURATION")]
    timeout: Duration,
    /// Attempts per ping.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=10))]
    attempts: u32,
    /// The wait between two attempts.
    #[arg(long, default_value = "20s", value_parser = parse_duration, value_name = "DURATION")]
    retry_after: Duration,
    /// Stop after this many seconds (for scripts and tests).
    #[arg(long, value_name = "SECONDS")]
    exit_after: Option<f64>,
}

/// `heartwire ping`: the Intervalometerator's pinger. Pings once at start, at every
/// aligned fire time, and on demand (SIGUSR1), printing each result line with what
/// triggered it, until SIGINT or SIGTERM (exit 0); exit 2 on a usage error.
pub(crate) fn ping(args: PingArgs) -> ExitCode {
    let Some(frequency) = Frequency::from_minutes(args.every) else {
        return usage("ping", "--every takes 5, 10, 15, 20, 30 or 60 (minutes)");
    };
    let scheme = args
        .url
        .split_once("://")
        .map(|(s, _)| s.to_ascii_lowercase());
    if !matches!(scheme.as_deref(), Some("http" | "https")) {
        return usage("ping", "--url takes an http:// or https:// URL");
    }
    let alignment = if args.intervalometerator {
        Alignment::Intervalometerator
    } else {
        Alignment::Divisible
    };
    let mut plan = Plan::new(AlignedSchedule::new(frequency, alignment));
    let pinger = Pinger::new(PingPolicy {
        timeout: args.timeout,
        attempts: args.attempts,
        spacing: args.retry_after,
        ..PingPolicy::default()
    });
    let request = PingRequest::get(args.url.as_str());
    let (tx, wakes) = mpsc::channel();
    let _signals = ping_signals::catch(tx);
    let deadline = args
        .exit_after
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(|s| std::time::Instant::now() + Duration::from_secs_f64(s.min(1e9)));
    let mut wait = |most: Duration| -> Wake {
        let left = deadline.map(|d| d.saturating_duration_since(std::time::Instant::now()));
        let bounded = left.map_or(most, |left| left.min(most));
        match wakes.recv_timeout(bounded) {
            Ok(wake) => wake,
            Err(_) if left.is_some_and(|left| left <= most) => Wake::Stop,
            Err(RecvTimeoutError::Timeout) => Wake::Time,
            Err(RecvTimeoutError::Disconnected) => {
                thread::sleep(bounded);
                Wake::Time
            }
        }
    };
    let stdout = io::stdout();
    pinger.follow(
        &request,
        &mut plan,
        &SystemClock,
        &mut wait,
        &mut |trigger, line| {
            let why = match trigger {
                Trigger::Start => "start",
                Trigger::Scheduled => "scheduled",
                Trigger::OnDemand => "on demand",
            };
            let mut out = stdout.lock();
            let _ = writeln!(out, "{line} {why}");
            let _ = out.flush();
        },
    );
    ExitCode::SUCCESS
}

#[cfg(unix)]
mod ping_signals {
    use std::sync::mpsc;

    use heartwire_http::Wake;
    use signal_hook::consts::{SIGINT, SIGTERM, SIGUSR1};
    use signal_hook::iterator::{Handle, Signals};

    /// Catches SIGUSR1 (ping now), SIGINT and SIGTERM (stop) until dropped.
    pub(super) struct Caught(Option<Handle>);

    impl Drop for Caught {
        fn drop(&mut self) {
            if let Some(handle) = self.0.take() {
                handle.close();
            }
        }
    }

    pub(super) fn catch(tx: mpsc::Sender<Wake>) -> Caught {
        let Ok(mut signals) = Signals::new([SIGUSR1, SIGINT, SIGTERM]) else {
            note!("heartwire ping: cannot catch signals; stop it with SIGKILL");
            return Caught(None);
        };
        let handle = signals.handle();
        std::thread::spawn(move || {
            for signal in signals.forever() {
                let wake = if signal == SIGUSR1 {
                    Wake::Demand
                } else {
                    Wake::Stop
                };
                if tx.send(wake).is_err() {
                    return;
                }
            }
        });
        Caught(Some(handle))
    }
}

#[cfg(not(unix))]
mod ping_signals {
    use std::sync::mpsc;

    use heartwire_http::Wake;

    pub(super) struct Caught;

    pub(super) fn catch(_: mpsc::Sender<Wake>) -> Caught {
        Caught
    }
}
