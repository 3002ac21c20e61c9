//! Delivering alerts (`spec/alerts.md` §5): one thread per target with a bounded queue,
//! so that a target that hangs or fails holds up its own alerts and nothing else; the
//! monitor's loop only ever pushes onto a queue.

use std::collections::VecDeque;
use std::io;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::SyncSender;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use super::ledger::{Ledger, TargetId};

/// Alerts a target's queue holds; a full queue drops its oldest.
pub(crate) const MAX_QUEUE: usize = 1_000;

/// How long one attempt may take: an HTTP request, or a command until it is killed.
pub(crate) const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);

/// The first wait between two attempts; each next one doubles, up to [`MAX_BACKOFF`].
pub(crate) const FIRST_BACKOFF: Duration = Duration::from_secs(1);

/// The longest wait between two attempts.
pub(crate) const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// How often failures of one target are reported on stderr, at most.
pub(crate) const REPORT_EVERY: Duration = Duration::from_secs(60);

/// The largest response body read (and thrown away) from a webhook.
const MAX_RESPONSE: u64 = 64 * 1024;

/// Where alerts go.
#[derive(Debug, Clone)]
pub(crate) enum Kind {
    /// The generic JSON body POSTed to the URL.
    Webhook(String),
    /// A Slack incoming-webhook body POSTed to the URL.
    Slack(String),
    /// A program and its arguments, run with the alert in its environment.
    Command(Vec<String>),
}

/// A target: what it is, how it is shown (secrets hidden), its fingerprint.
#[derive(Debug)]
pub(crate) struct Target {
    pub(crate) kind: Kind,
    pub(crate) shown: String,
    pub(crate) id: TargetId,
}

/// An alert queued for a target.
#[derive(Debug, Clone)]
pub(crate) struct Queued {
    pub(crate) id: String,
    /// The generic body, as sent to webhooks.
    pub(crate) body: Arc<str>,
    /// Attempts made.
    attempts: u32,
    /// When the next attempt is due.
    due: Instant,
}

impl Queued {
    /// An alert to send now.
    pub(crate) fn new(id: String, body: Arc<str>) -> Queued {
        Queued {
            id,
            body,
            attempts: 0,
            due: Instant::now(),
        }
    }
}

/// How a target finished with an alert, for the `alert` event line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Accepted (a 2xx, or exit status 0).
    Delivered,
    /// Refused for good, or failed at every attempt: not sent.
    Failed,
    /// Pushed out of a full queue: not sent.
    Dropped,
}

impl Outcome {
    pub(crate) const fn as_str(self) -> &'static str {
        match self {
            Outcome::Delivered => "delivered",
            Outcome::Failed => "failed",
            Outcome::Dropped => "dropped",
        }
    }
}

/// What a worker tells the monitor's loop, which writes it as an `alert` event.
#[derive(Debug, Clone)]
pub(crate) struct Report {
    pub(crate) target: String,
    pub(crate) id: String,
    pub(crate) body: Arc<str>,
    pub(crate) outcome: Outcome,
    pub(crate) attempts: u32,
    pub(crate) error: Option<String>,
}

/// What one attempt gave.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Attempt {
    Delivered,
    /// Worth another attempt: a timeout, a connection that failed, a 5xx, 408, 429, a
    /// command that failed.
    Retry(String),
    /// Not worth another: a 4xx, a redirect, a command that cannot be run.
    Permanent(String),
}

/// A target's queue, shared by the monitor's loop (which pushes) and its worker.
#[derive(Debug, Default)]
struct Queue {
    items: VecDeque<Queued>,
    /// The worker is sending an alert (taken off the queue).
    busy: bool,
    stop: bool,
}

/// A running target: its queue and its worker.
pub(crate) struct Worker {
    target: Arc<Target>,
    shared: Arc<(Mutex<Queue>, Condvar)>,
}

/// What every worker shares.
#[derive(Clone)]
pub(crate) struct Context {
    /// Alerts are sent only while it is open: a replica's lease (spec/liveness.md
    /// §6.6); always open for a monitor alone.
    pub(crate) gate: Option<Arc<Gate>>,
    /// Rung when the ledger changed, so that a replica stores it at once.
    pub(crate) changed: Arc<tokio::sync::Notify>,
    pub(crate) ledger: Arc<Mutex<Ledger>>,
    pub(crate) reports: SyncSender<Report>,
    pub(crate) attempts: u32,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Worker {
    /// Starts the target's thread.
    pub(crate) fn start(target: Target, context: Context) -> io::Result<Worker> {
        let target = Arc::new(target);
        let shared = Arc::new((Mutex::new(Queue::default()), Condvar::new()));
        let worker = Worker {
            target: Arc::clone(&target),
            shared: Arc::clone(&shared),
        };
        std::thread::Builder::new()
            .name("heartwire-alert".to_owned())
            .spawn(move || run(&target, &shared, &context))?;
        Ok(worker)
    }

    /// The target.
    pub(crate) fn target(&self) -> &Target {
        &self.target
    }

    /// Queues an alert; a full queue gives back its oldest, which is dropped.
    pub(crate) fn push(&self, alert: Queued) -> Option<Queued> {
        let (queue, ring) = &*self.shared;
        let mut queue = lock(queue);
        let dropped = if queue.items.len() >= MAX_QUEUE {
            // The oldest: alerts are pushed in order, and retried ones go to the back.
            queue.items.pop_front()
        } else {
            None
        };
        queue.items.push_back(alert);
        ring.notify_one();
        dropped
    }

    /// Alerts queued or being sent.
    pub(crate) fn outstanding(&self) -> usize {
        let queue = lock(&self.shared.0);
        queue.items.len() + usize::from(queue.busy)
    }

    /// Tells the worker to stop at its next wait: what it has not sent stays pending.
    pub(crate) fn stop(&self) {
        let (queue, ring) = &*self.shared;
        lock(queue).stop = true;
        ring.notify_all();
    }
}

/// Whether alerts may be sent now: until an instant that a replica's lease moves on at
/// each renewal, shared by the workers, which look at it before each attempt.
#[derive(Debug)]
pub(crate) struct Gate {
    base: Instant,
    /// Nanoseconds after `base` until which it is open.
    until: AtomicU64,
}

#[cfg_attr(not(feature = "nats"), allow(dead_code))]
impl Gate {
    /// Open until `until`.
    pub(crate) fn new(until: Instant) -> Gate {
        let gate = Gate {
            base: Instant::now(),
            until: AtomicU64::new(0),
        };
        gate.open_until(until);
        gate
    }

    /// Open until `until` (a lease renewed).
    pub(crate) fn open_until(&self, until: Instant) {
        let nanos = until.saturating_duration_since(self.base).as_nanos();
        self.until
            .store(u64::try_from(nanos).unwrap_or(u64::MAX), Ordering::SeqCst);
    }

    /// Closed from now on (the lease is lost).
    pub(crate) fn close(&self) {
        self.until.store(0, Ordering::SeqCst);
    }

    /// Whether it is open now.
    pub(crate) fn is_open(&self) -> bool {
        let now = Instant::now()
            .saturating_duration_since(self.base)
            .as_nanos();
        now < u128::from(self.until.load(Ordering::SeqCst))
    }
}

/// How long a worker waits for a closed gate before it looks again.
const GATE_RECHECK: Duration = Duration::from_millis(100);

/// The worker's loop: the alert due first, one at a time; one that fails goes back on
/// the queue with its next attempt's time, so that an alert being retried holds up no
/// other (a receiver refusing one body may take the next). Ends when told to stop.
fn run(target: &Target, shared: &(Mutex<Queue>, Condvar), context: &Context) {
    let (queue, ring) = shared;
    let agent = agent();
    let mut reporter = FailureReporter::new(&target.shown);
    loop {
        let mut alert = {
            let mut q = lock(queue);
            q.busy = false;
            loop {
                if q.stop {
                    return;
                }
                let now = Instant::now();
                let first = q
                    .items
                    .iter()
                    .enumerate()
                    .min_by_key(|(_, a)| a.due)
                    .map(|(i, a)| (i, a.due));
                let wait = match first {
                    Some((i, due)) if due <= now => {
                        if let Some(alert) = q.items.remove(i) {
                            q.busy = true;
                            break alert;
                        }
                        Duration::ZERO
                    }
                    Some((_, due)) => (due - now).min(Duration::from_secs(1)),
                    None => Duration::from_secs(1),
                };
                q = ring
                    .wait_timeout(q, wait)
                    .map_or_else(|e| e.into_inner().0, |(q, _)| q);
            }
        };
        if context.gate.as_ref().is_some_and(|g| !g.is_open()) {
            // Not this replica's to send (it may no longer lead): back on the queue,
            // pending in the ledger for whoever leads.
            alert.due = Instant::now() + GATE_RECHECK;
            lock(queue).items.push_back(alert);
            continue;
        }
        alert.attempts += 1;
        let attempts = alert.attempts;
        let (outcome, error) = match send(&agent, &target.kind, &alert) {
            Attempt::Delivered => (Outcome::Delivered, None),
            Attempt::Permanent(why) => {
                reporter.failed(&format!("refused ({why}); not sent again"));
                (Outcome::Failed, Some(why))
            }
            Attempt::Retry(why) if attempts >= context.attempts => {
                reporter.failed(&format!(
                    "failed ({why}); given up after {attempts} attempts"
                ));
                (Outcome::Failed, Some(why))
            }
            Attempt::Retry(why) => {
                let wait = backoff(attempts);
                reporter.failed(&format!(
                    "failed ({why}); attempt {attempts} of {}, the next in {:.1} s",
                    context.attempts,
                    wait.as_secs_f64()
                ));
                alert.due = Instant::now() + wait;
                // Back on the queue (which may hold one more than its bound until the
                // next push drops the oldest).
                lock(queue).items.push_back(alert);
                continue;
            }
        };
        lock(&context.ledger).done(&target.id, &alert.id);
        context.changed.notify_one();
        let _ = context.reports.try_send(Report {
            target: target.shown.clone(),
            id: alert.id,
            body: alert.body,
            outcome,
            attempts,
            error,
        });
    }
}

/// The wait after the `attempts`-th failed attempt: 1 s, 2 s, 4 s, ... at most 60 s,
/// each within ±20% at random, so that targets failing together do not retry together.
pub(crate) fn backoff(attempts: u32) -> Duration {
    let base = FIRST_BACKOFF
        .saturating_mul(1 << attempts.saturating_sub(1).min(16))
        .min(MAX_BACKOFF);
    base.mul_f64(0.8 + 0.4 * jitter())
}

/// A number in [0, 1) from the clock's nanoseconds and a counter: jitter, not secrets.
fn jitter() -> f64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0x9e37_79b9_7f4a_7c15);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::from(d.subsec_nanos()));
    let mut x = COUNTER.fetch_add(0x9e37_79b9_7f4a_7c15, Ordering::Relaxed) ^ nanos;
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    (x >> 11) as f64 / (1u64 << 53) as f64
}

/// Failures of one target on stderr: the first at once, then at most one line a
/// minute, saying how many were not shown.
struct FailureReporter<'a> {
    shown: &'a str,
    last: Option<Instant>,
    unshown: u64,
}

impl<'a> FailureReporter<'a> {
    fn new(shown: &'a str) -> FailureReporter<'a> {
        FailureReporter {
            shown,
            last: None,
            unshown: 0,
        }
    }

    fn failed(&mut self, what: &str) {
        let now = Instant::now();
        if self
            .last
            .is_some_and(|last| now.duration_since(last) < REPORT_EVERY)
        {
            self.unshown += 1;
            return;
        }
        let more = match self.unshown {
            0 => String::new(),
            n => format!(" ({n} more failures in the last minute not shown)"),
        };
        note!("heartwire monitor: alert to {}: {what}{more}", self.shown);
        self.last = Some(now);
        self.unshown = 0;
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_global(Some(ATTEMPT_TIMEOUT))
        .http_status_as_error(false)
        // A redirect is refused, not followed: the body would go where the URL's owner
        // did not say.
        .max_redirects(0)
        .user_agent(concat!("heartwire/", env!("CARGO_PKG_VERSION")))
        .build()
        .into()
}

/// One attempt to deliver `alert` to a target.
fn send(agent: &ureq::Agent, kind: &Kind, alert: &Queued) -> Attempt {
    match kind {
        Kind::Webhook(url) => post(agent, url, &alert.id, alert.body.as_bytes()),
        Kind::Slack(url) => {
            let body = super::slack_body(&alert.body);
            post(agent, url, &alert.id, body.as_bytes())
        }
        Kind::Command(argv) => run_command(argv, &alert.body),
    }
}

/// POSTs a JSON body. What goes wrong is said in words of our own: a client library's
/// message may quote the URL, and so its secret.
fn post(agent: &ureq::Agent, url: &str, id: &str, body: &[u8]) -> Attempt {
    let response = agent
        .post(url)
        .header("Idempotency-Key", id)
        .content_type("application/json")
        .send(body);
    match response {
        Ok(mut response) => {
            let status = response.status().as_u16();
            // Read what little there is, so the connection can be reused.
            let _ = response
                .body_mut()
                .with_config()
                .limit(MAX_RESPONSE)
                .read_to_vec();
            match status {
                200..=299 => Attempt::Delivered,
                408 | 429 | 500..=599 => Attempt::Retry(format!("HTTP {status}")),
                300..=399 => Attempt::Permanent(format!("HTTP {status}, a redirect")),
                400..=499 => Attempt::Permanent(format!("HTTP {status}")),
                _ => Attempt::Retry(format!("HTTP {status}")),
            }
        }
        Err(e) => {
            use ureq::Error as E;
            let why = match &e {
                E::StatusCode(code) => format!("HTTP {code}"),
                E::Timeout(_) => format!("no answer within {} s", ATTEMPT_TIMEOUT.as_secs()),
                E::Io(io) => format!("{}", io.kind()),
                E::HostNotFound => "host not found".to_owned(),
                E::ConnectionFailed => "connection failed".to_owned(),
                E::Tls(_) | E::Rustls(_) => "TLS failed".to_owned(),
                E::TooManyRedirects | E::RedirectFailed => {
                    return Attempt::Permanent("a redirect".to_owned());
                }
                E::BadUri(_) | E::Http(_) => return Attempt::Permanent("a bad URL".to_owned()),
                _ => "HTTP failed".to_owned(),
            };
            Attempt::Retry(why)
        }
    }
}

/// Runs the command with the alert in its environment (`spec/alerts.md` §4.3): no shell,
/// stdin and stdout closed (stdout is the monitor's event stream), stderr the monitor's;
/// killed after [`ATTEMPT_TIMEOUT`].
fn run_command(argv: &[String], body: &str) -> Attempt {
    let Some((program, args)) = argv.split_first() else {
        return Attempt::Permanent("an empty command".to_owned());
    };
    let mut command = Command::new(program);
    command
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
    for (name, value) in super::environment(body) {
        command.env(name, value);
    }
    let mut child = match command.spawn() {
        Ok(child) => child,
        Err(e) => return Attempt::Permanent(format!("cannot run it: {}", e.kind())),
    };
    let started = Instant::now();
    // Bounded: every 20 ms until the timeout.
    while started.elapsed() < ATTEMPT_TIMEOUT {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => return Attempt::Delivered,
            Ok(Some(status)) => {
                return Attempt::Retry(match status.code() {
                    Some(code) => format!("exit status {code}"),
                    None => "killed by a signal".to_owned(),
                });
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => return Attempt::Retry(format!("cannot wait for it: {}", e.kind())),
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    Attempt::Retry(format!(
        "still running after {} s; killed",
        ATTEMPT_TIMEOUT.as_secs()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_a_minute_with_jitter() {
        for (attempts, base) in [(1, 1.0), (2, 2.0), (3, 4.0), (7, 60.0), (30, 60.0)] {
            let wait = backoff(attempts).as_secs_f64();
            assert!(
                wait >= base * 0.8 - 1e-9 && wait <= base * 1.2 + 1e-9,
                "{attempts}: {wait}"
            );
        }
    }

    #[test]
    fn a_command_is_run_without_a_shell_and_its_status_counts() {
        let ok = run_command(&["true".to_owned()], "{}");
        assert_eq!(ok, Attempt::Delivered);
        let failed = run_command(&["false".to_owned()], "{}");
        assert_eq!(failed, Attempt::Retry("exit status 1".to_owned()));
        let missing = run_command(&["/nonexistent/heartwire-alert".to_owned()], "{}");
        assert!(matches!(missing, Attempt::Permanent(_)), "{missing:?}");
    }
}
