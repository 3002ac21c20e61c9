//! Where `heartwire run` and `heartwire beat` send signals (`spec/http.md` §6).
//!
//! Where signals go is a [`Target`], one arm per kind of `--to` URL: `http(s)://` pings a
//! service (its signal table, `spec/http.md` §4), and `nats://`, `redis://`, `mqtt://`
//! and `amqp://` publish beatit text on `heartbeat.<process>` through the broker adapters
//! ([`brokers`], `spec/transports.md`), mapped as the `beatit` service is: a job's success
//! is `stop`, and a failure sends nothing, so that its silence makes it late, then dead.

use std::time::{Duration, Instant};

use clap::{Args, ValueEnum};
use heartwire::text::{Message, Process, Signal};
use heartwire_http::{JobSignal, Ping, PingPolicy, Pinger, RunId, Service};

use crate::brokers::{self, Broker, Ending, Session};
use crate::duration;

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

/// Where and how `run` and `beat` send signals.
#[derive(Debug, Args)]
pub(crate) struct SendArgs {
    /// Where to send: an http:// or https:// URL (for healthchecks.io the ping URL; a
    /// URL ending in `/` gets the process name appended, as heartwire's receiver at
    /// http://127.0.0.1:8387/ping/ wants), or a broker: nats://, redis://, mqtt:// or
    /// amqp:// URLs get beatit text on `heartbeat.<process>` (spec/transports.md).
    #[arg(long, value_name = "URL")]
    pub(crate) to: String,
    /// The process name (letters, digits, `_`, `-` and `.`).
    #[arg(long, value_name = "NAME", required = true)]
    pub(crate) process: Option<String>,
    /// What the URL is; by default `beatit` when its path ends with /beat, else
    /// `healthchecks`.
    #[arg(long, value_enum)]
    pub(crate) service: Option<ServiceArg>,
    #[command(flatten)]
    pub(crate) policy: PolicyArgs,
}

/// How pings are sent: the Intervalometerator's policy unless told otherwise (`run`,
/// `beat` and `ping`).
#[derive(Debug, Args)]
pub(crate) struct PolicyArgs {
    /// The time one attempt may take, a duration (`10s`, `500ms`).
    #[arg(long, default_value = "10s", value_parser = duration::parse, value_name = "DURATION")]
    timeout: Duration,
    /// Attempts per ping.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=10))]
    attempts: u32,
    /// The wait between two attempts, a duration (`20s`, `1m`).
    #[arg(long, default_value = "20s", value_parser = duration::parse, value_name = "DURATION")]
    retry_after: Duration,
}

impl PolicyArgs {
    /// A pinger that follows the policy.
    pub(crate) fn pinger(&self) -> Pinger {
        Pinger::new(PingPolicy {
            timeout: self.timeout,
            attempts: self.attempts,
            spacing: self.retry_after,
            ..PingPolicy::default()
        })
    }
}

/// Why a `--to` cannot be used. The text it holds is redacted: a `--to` without a
/// scheme may still hold credentials (`user:password@host`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TargetError {
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
pub(crate) enum Target {
    /// An HTTP(S) ping URL of a service.
    Http {
        url: String,
        service: Service,
        pinger: Pinger,
    },
    /// A broker, through its adapter: beatit text (`spec/transports.md`). With a
    /// session, one connection for the life of a `run`; without, one per signal.
    Broker {
        broker: Broker,
        url: String,
        session: Option<Session>,
    },
}

/// What sending one signal came to.
pub(crate) enum Sent {
    /// The service has no such signal: nothing was sent.
    Skipped,
    /// Sent; the result line says how it went, the cause why it failed.
    Done(Ping),
    /// Published to a broker, which has it (flushed, replied, acknowledged or
    /// confirmed).
    Published,
    /// A broker could not take it (the adapter's error; never the URL's credentials).
    NotPublished(String),
    /// A failure told to a broker by silence, as the `beatit` service tells it: no
    /// message, and over MQTT the presence `offline`.
    Silence,
}

impl Target {
    pub(crate) fn parse(args: &SendArgs) -> Result<Target, TargetError> {
        let scheme = scheme_of(&args.to)?;
        match scheme.to_ascii_lowercase().as_str() {
            "http" | "https" => Ok(Target::Http {
                url: args.to.clone(),
                service: args
                    .service
                    .map_or_else(|| Service::guess(&args.to), ServiceArg::service),
                pinger: args.policy.pinger(),
            }),
            _ => match Broker::of(&args.to) {
                Some(broker) => Ok(Target::Broker {
                    broker,
                    url: args.to.clone(),
                    session: None,
                }),
                None => Err(TargetError::UnknownScheme(scheme.to_owned())),
            },
        }
    }

    /// The same target holding one broker connection for the life of a job (`run`),
    /// so that an MQTT Last Will covers the whole job; an HTTP target is unchanged.
    pub(crate) fn for_run(self, process: &Process<'static>) -> Target {
        match self {
            Target::Broker { broker, url, .. } => Target::Broker {
                session: Some(Session::open(broker, url.clone(), process.clone())),
                broker,
                url,
            },
            http @ Target::Http { .. } => http,
        }
    }

    /// The target as it may be shown: a broker URL without its credentials, a ping URL
    /// without its path beyond a first plain word (a ping key is a secret:
    /// `http://127.0.0.1:8387/ping/…`).
    pub(crate) fn shown(&self) -> String {
        match self {
            Target::Http { url, .. } => crate::monitor::alerts::redact_alert_url(url),
            Target::Broker { url, .. } => heartwire_broker::redact_url(url),
        }
    }

    /// Sends one signal with the policy of `--timeout`, `--attempts` and
    /// `--retry-after`, sleeping between attempts.
    pub(crate) fn send(
        &self,
        process: &Process<'_>,
        signal: JobSignal,
        run: Option<&RunId>,
        output: Option<&str>,
    ) -> Sent {
        let mut sleep = |d| {
            std::thread::sleep(d);
            true
        };
        self.send_within(process, signal, run, output, &mut sleep, None)
    }

    /// Sends one signal; over HTTP, `wait` waits between two attempts and says whether
    /// to go on, and a `deadline` shortens the policy so that the ping ends by it
    /// (each attempt's timeout at most the time left, at least [`MIN_FINAL_ATTEMPT`];
    /// retries [`FINAL_SPACING`] apart while time is left).
    pub(crate) fn send_within(
        &self,
        process: &Process<'_>,
        signal: JobSignal,
        run: Option<&RunId>,
        output: Option<&str>,
        wait: &mut dyn FnMut(Duration) -> bool,
        deadline: Option<Instant>,
    ) -> Sent {
        match self {
            Target::Http {
                url,
                service,
                pinger,
            } => match service.request(url, process, signal, run, output) {
                None => Sent::Skipped,
                Some(request) => Sent::Done(match deadline {
                    None => pinger.send_explained(&request, &heartwire::time::SystemClock, wait),
                    Some(deadline) => {
                        let left = || deadline.saturating_duration_since(Instant::now());
                        let policy = pinger.policy();
                        let last = Pinger::new(PingPolicy {
                            spacing: policy.spacing.min(FINAL_SPACING),
                            ..*policy
                        });
                        // Each attempt gets the time left when it starts.
                        let timeout = || left().max(MIN_FINAL_ATTEMPT);
                        let mut in_time = |spacing: Duration| {
                            let go_on = left() >= spacing + MIN_FINAL_ATTEMPT;
                            if go_on {
                                std::thread::sleep(spacing);
                            }
                            go_on
                        };
                        last.send_explained_within(
                            &request,
                            &heartwire::time::SystemClock,
                            &mut in_time,
                            &timeout,
                        )
                    }
                }),
            },
            // As the `beatit` service of spec/http.md §4: a job's success is `stop`; a
            // failure sends nothing, so that its silence makes it late, then dead.
            Target::Broker {
                broker,
                url,
                session,
            } => {
                let (signal, ending) = match signal {
                    JobSignal::Text(Signal::Stop) | JobSignal::Exit(0) => {
                        (Some(Signal::Stop), Some(Ending::Stopped))
                    }
                    JobSignal::Text(signal) => (Some(signal), None),
                    JobSignal::Exit(_) | JobSignal::Fail => (None, Some(Ending::Failed)),
                };
                let published = match session {
                    Some(session) => signal
                        .map_or(Ok(()), |s| session.publish(s))
                        .and_then(|()| ending.map_or(Ok(()), |e| session.end(e))),
                    None => match signal {
                        Some(signal) => {
                            let message = Message::new(process.borrowed(), signal);
                            tokio::runtime::Builder::new_current_thread()
                                .enable_all()
                                .build()
                                .map_err(|e| e.to_string())
                                .and_then(|rt| {
                                    rt.block_on(brokers::publish(*broker, url, &message))
                                })
                        }
                        // One signal alone says nothing of a failure but by silence.
                        None => return Sent::Silence,
                    },
                };
                match published {
                    Ok(()) if signal.is_none() => Sent::Silence,
                    Ok(()) => Sent::Published,
                    Err(e) => Sent::NotPublished(e),
                }
            }
        }
    }
}

/// The shortest time an attempt of the end's ping is given, however little of the
/// final budget is left.
pub(crate) const MIN_FINAL_ATTEMPT: Duration = Duration::from_secs(1);
/// The wait between two attempts of the end's ping (shorter than `--retry-after`, so
/// that a retry fits in the final budget).
pub(crate) const FINAL_SPACING: Duration = Duration::from_secs(1);

/// A signal's name as messages show it: `start`, `beat`, `exit 3`, `fail`.
pub(crate) fn name(signal: JobSignal) -> String {
    match signal {
        JobSignal::Text(Signal::Start { .. }) => "start".to_owned(),
        JobSignal::Text(Signal::Beat { .. }) => "beat".to_owned(),
        JobSignal::Text(Signal::Degraded { .. }) => "degraded".to_owned(),
        JobSignal::Text(Signal::Stop) => "stop".to_owned(),
        JobSignal::Exit(code) => format!("exit {code}"),
        JobSignal::Fail => "fail".to_owned(),
    }
}

/// The scheme of a `--to` URL, checked.
fn scheme_of(to: &str) -> Result<&str, TargetError> {
    let no_scheme = || TargetError::NoScheme(heartwire_broker::redact_url(to));
    let Some((scheme, _)) = to.split_once("://") else {
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
    Ok(scheme)
}

/// The broker of a broker URL, read as `--to` is (`heartwire schedule run`'s targets).
pub(crate) fn broker_of(url: &str) -> Result<Broker, TargetError> {
    let scheme = scheme_of(url)?;
    Broker::of(url).ok_or_else(|| TargetError::UnknownScheme(scheme.to_owned()))
}

/// Reports a failed ping or publish on stderr, naming the target (redacted) and the
/// cause; true when it failed.
pub(crate) fn report(command: &str, target: &Target, signal: JobSignal, sent: &Sent) -> bool {
    let what = name(signal);
    let to = target.shown();
    match sent {
        Sent::Done(ping) if !ping.line.outcome.is_success() => {
            let cause = ping
                .cause
                .map_or_else(|| ping.line.outcome.to_string(), |c| c.to_string());
            let tries = match ping.attempts {
                1 => "1 attempt".to_owned(),
                n => format!("{n} attempts"),
            };
            note!(
                "heartwire {command}: {what} ping to {to} failed after {tries}: {cause} ({})",
                ping.line
            );
            true
        }
        Sent::NotPublished(why) => {
            note!("heartwire {command}: {what} not published to {to}: {why}");
            true
        }
        _ => false,
    }
}
