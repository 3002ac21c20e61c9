//! The pinger: one ping, tried as the policy says, its last result kept
//! (`spec/http.md` §2).

use std::sync::Mutex;
use std::time::Duration;

use heartwire::time::{SystemClock, UnixTime, WallClock};

use crate::aligned::{Plan, Trigger};
use crate::result::{Cause, Outcome, ResultLine};
use crate::service::{Method, PingRequest};

/// How a ping is tried; [`PingPolicy::default`] is the Intervalometerator's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PingPolicy {
    /// The whole of one attempt, connection to last byte (10 s).
    pub timeout: Duration,
    /// How many redirects are followed (5); 0 follows none, and a 3xx is a `Redir error`.
    pub max_redirects: u32,
    /// How many attempts at most (2).
    pub attempts: u32,
    /// The wait between two attempts (20 s).
    pub spacing: Duration,
}

impl Default for PingPolicy {
    fn default() -> Self {
        PingPolicy {
            timeout: Duration::from_secs(10),
            max_redirects: 5,
            attempts: 2,
            spacing: Duration::from_secs(20),
        }
    }
}

/// Sends pings with a policy and keeps the last result.
#[derive(Debug)]
pub struct Pinger {
    agent: ureq::Agent,
    policy: PingPolicy,
    last: Mutex<Option<ResultLine>>,
}

impl Pinger {
    /// A pinger with `policy`.
    pub fn new(policy: PingPolicy) -> Pinger {
        let config = ureq::Agent::config_builder()
            .timeout_global(Some(policy.timeout))
            .http_status_as_error(false)
            .max_redirects(policy.max_redirects)
            .max_redirects_will_error(true)
            .user_agent(concat!("heartwire/", env!("CARGO_PKG_VERSION")))
            .build();
        Pinger {
            agent: config.into(),
            policy,
            last: Mutex::new(None),
        }
    }

    /// Its policy.
    pub fn policy(&self) -> &PingPolicy {
        &self.policy
    }

    /// Sends `request`: attempts until one succeeds or [`PingPolicy::attempts`] are
    /// spent, calling `sleep` for the spacing between two. Returns the last attempt's
    /// result, which is also kept as [`Pinger::last_result`].
    pub fn send_with(
        &self,
        request: &PingRequest,
        clock: &dyn WallClock,
        sleep: &mut dyn FnMut(Duration),
    ) -> ResultLine {
        self.send_explained(request, clock, &mut |d| {
            sleep(d);
            true
        })
        .line
    }

    /// [`Pinger::send_with`], saying why the last attempt failed and how many were made.
    /// `wait` waits the spacing between two attempts and says whether to go on: `false`
    /// ends the ping with the attempts made so far (a caller whose time is up).
    pub fn send_explained(
        &self,
        request: &PingRequest,
        clock: &dyn WallClock,
        wait: &mut dyn FnMut(Duration) -> bool,
    ) -> Ping {
        self.send_explained_within(request, clock, wait, &|| self.policy.timeout)
    }

    /// [`Pinger::send_explained`] with each attempt's timeout asked of `timeout` when
    /// the attempt starts (at most the policy's): a caller with a deadline gives each
    /// attempt the time left, so that a fast failure and a retry that hangs still end
    /// by it.
    pub fn send_explained_within(
        &self,
        request: &PingRequest,
        clock: &dyn WallClock,
        wait: &mut dyn FnMut(Duration) -> bool,
        timeout: &dyn Fn() -> Duration,
    ) -> Ping {
        let mut outcome = Outcome::Unknown;
        let mut cause = None;
        let mut attempts = 0;
        for attempt in 0..self.policy.attempts.max(1) {
            if attempt > 0 && !wait(self.policy.spacing) {
                break;
            }
            attempts += 1;
            let tried = self.attempt_within(request, timeout().min(self.policy.timeout));
            outcome = tried.0;
            cause = tried.1;
            if outcome.is_success() {
                break;
            }
        }
        let line = ResultLine {
            at: clock.now(),
            outcome,
        };
        if let Ok(mut last) = self.last.lock() {
            *last = Some(line);
        }
        Ping {
            line,
            cause,
            attempts,
        }
    }

    /// Sends `request` on the system clock, sleeping the thread between attempts.
    pub fn send(&self, request: &PingRequest) -> ResultLine {
        self.send_with(request, &SystemClock, &mut std::thread::sleep)
    }

    /// The result of the last ping sent, if any.
    pub fn last_result(&self) -> Option<ResultLine> {
        self.last.lock().ok().and_then(|last| *last)
    }

    /// One attempt, no retry.
    pub fn attempt(&self, request: &PingRequest) -> Outcome {
        self.attempt_explained(request).0
    }

    /// One attempt, no retry, with why it failed.
    fn attempt_explained(&self, request: &PingRequest) -> (Outcome, Option<Cause>) {
        self.attempt_within(request, self.policy.timeout)
    }

    /// One attempt that takes at most `timeout`, with why it failed.
    fn attempt_within(&self, request: &PingRequest, timeout: Duration) -> (Outcome, Option<Cause>) {
        // The agent's own timeout unless this attempt has less time.
        let shorter = (timeout < self.policy.timeout).then_some(timeout);
        let response = match (request.method, &request.body) {
            (Method::Post, body) => {
                let post = self.agent.post(&request.url);
                let post = match shorter {
                    Some(t) => post.config().timeout_global(Some(t)).build(),
                    None => post,
                };
                match body {
                    Some(body) => post
                        .content_type("text/plain; charset=utf-8")
                        .send(&body[..]),
                    None => post.send_empty(),
                }
            }
            (Method::Get, _) => {
                let get = self.agent.get(&request.url);
                let get = match shorter {
                    Some(t) => get.config().timeout_global(Some(t)).build(),
                    None => get,
                };
                get.call()
            }
        };
        match response {
            Ok(mut response) => {
                let status = response.status().as_u16();
                // Read what little there is, so the connection can be reused.
                let _ = response
                    .body_mut()
                    .with_config()
                    .limit(64 * 1024)
                    .read_to_vec();
                let outcome = Outcome::of_status(status);
                let cause = match outcome {
                    Outcome::Success(_) => None,
                    Outcome::Redirect => Some(Cause::Redirect),
                    _ => Some(Cause::Http(status)),
                };
                (outcome, cause)
            }
            Err(e) => (outcome_of_error(&e), Some(cause_of_error(&e))),
        }
    }
}

/// A ping sent: its result line, why its last attempt failed, and how many attempts
/// were made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ping {
    /// The result line (`spec/http.md` §2.3).
    pub line: ResultLine,
    /// Why the last attempt failed; `None` when it succeeded.
    pub cause: Option<Cause>,
    /// The attempts made.
    pub attempts: u32,
}

/// Why a wait of [`Pinger::follow`] ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wake {
    /// The time waited for has come.
    Time,
    /// Someone asked for a ping now.
    Demand,
    /// Stop following.
    Stop,
}

impl Pinger {
    /// Pings `request` as `plan` says (once at start, at every fire time, and on
    /// demand) until `wait` says [`Wake::Stop`]. `wait(d)` waits at most `d` (a sleep, or
    /// a channel's `recv_timeout`); `clock` and `wait` may be virtual. Each ping's
    /// trigger and result go to `report`.
    pub fn follow(
        &self,
        request: &PingRequest,
        plan: &mut Plan,
        clock: &dyn WallClock,
        wait: &mut dyn FnMut(Duration) -> Wake,
        report: &mut dyn FnMut(Trigger, ResultLine),
    ) {
        loop {
            while let Some(trigger) = plan.due(clock.now()) {
                let line = self.send_with(request, clock, &mut |d| {
                    // A stop asked for during the spacing is seen at the next wait.
                    let _ = wait(d);
                });
                report(trigger, line);
            }
            let now = clock.now();
            let until = plan
                .next_due()
                .and_then(|next| next.since(now).ok())
                .unwrap_or(Duration::ZERO);
            match wait(until) {
                Wake::Time => {}
                Wake::Demand => plan.demand(),
                Wake::Stop => return,
            }
        }
    }
}

impl Default for Pinger {
    fn default() -> Self {
        Pinger::new(PingPolicy::default())
    }
}

fn outcome_of_error(e: &ureq::Error) -> Outcome {
    use ureq::Error as E;
    match e {
        E::StatusCode(code) => Outcome::of_status(*code),
        E::Timeout(_) => Outcome::Timeout,
        E::Io(io) if is_timeout(io.kind()) => Outcome::Timeout,
        E::Io(_) | E::HostNotFound | E::ConnectionFailed | E::Tls(_) | E::Rustls(_) => {
            Outcome::Connection
        }
        E::TooManyRedirects | E::RedirectFailed => Outcome::Redirect,
        _ => Outcome::Unknown,
    }
}

/// Why an attempt failed, as precisely as the client says: a name not resolved and a
/// refused connection are told apart from the other connection failures.
fn cause_of_error(e: &ureq::Error) -> Cause {
    use std::io::ErrorKind as K;
    use ureq::Error as E;
    match e {
        E::StatusCode(code) => Cause::Http(*code),
        E::Timeout(_) => Cause::Timeout,
        E::HostNotFound => Cause::Dns,
        E::Io(io) if is_timeout(io.kind()) => Cause::Timeout,
        E::Io(io) if io.kind() == K::ConnectionRefused => Cause::Refused,
        // The system resolver's failure comes as an I/O error of no particular kind
        // ("failed to lookup address information", "Name or service not known").
        E::Io(io) if is_lookup_failure(&io.to_string()) => Cause::Dns,
        E::Io(_) | E::ConnectionFailed | E::Tls(_) | E::Rustls(_) => Cause::Connection,
        E::TooManyRedirects | E::RedirectFailed => Cause::Redirect,
        _ => Cause::Unknown,
    }
}

fn is_lookup_failure(text: &str) -> bool {
    let text = text.to_ascii_lowercase();
    [
        "lookup",
        "resolve",
        "name or service not known",
        "nodename nor servname",
    ]
    .iter()
    .any(|w| text.contains(w))
}

fn is_timeout(kind: std::io::ErrorKind) -> bool {
    matches!(
        kind,
        std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock
    )
}

/// The time now, for callers without a clock of their own.
pub fn now() -> UnixTime {
    SystemClock.now()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io;

    #[test]
    fn causes_tell_dns_refused_and_timeout_apart() {
        let io = |kind, text: &str| ureq::Error::Io(io::Error::new(kind, text.to_owned()));
        assert_eq!(cause_of_error(&ureq::Error::HostNotFound), Cause::Dns);
        let lookup = io(
            io::ErrorKind::Other,
            "failed to lookup address information: Name or service not known",
        );
        assert_eq!(cause_of_error(&lookup), Cause::Dns);
        let refused = io(io::ErrorKind::ConnectionRefused, "Connection refused");
        assert_eq!(cause_of_error(&refused), Cause::Refused);
        assert_eq!(
            cause_of_error(&io(io::ErrorKind::TimedOut, "timed out")),
            Cause::Timeout
        );
        let reset = io(io::ErrorKind::ConnectionReset, "reset");
        assert_eq!(cause_of_error(&reset), Cause::Connection);
        assert_eq!(
            cause_of_error(&ureq::Error::StatusCode(503)),
            Cause::Http(503)
        );
        assert_eq!(Cause::Http(503).to_string(), "HTTP status 503");
        assert!(Cause::Dns.to_string().starts_with("DNS"));
    }
}
