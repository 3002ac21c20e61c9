//! Where `heartwire run` and `heartwire beat` send signals (`spec/http.md` §6).
//!
//! Where signals go is a [`Target`], one arm per kind of `--to` URL: `http(s)://` pings a
//! service (its signal table, `spec/http.md` §4), and `nats://`, `redis://`, `mqtt://`
//! and `amqp://` publish beatit text on `heartbeat.<process>` through the broker adapters
//! ([`brokers`], `spec/transports.md`), mapped as the `beatit` service is: a job's success
//! is `stop`, and a failure sends nothing, so that its silence makes it late, then dead.

use std::time::Duration;

use clap::{Args, ValueEnum};
use heartwire::text::{Message, Process, Signal};
use heartwire_http::{JobSignal, PingPolicy, Pinger, ResultLine, RunId, Service};

use crate::brokers::{self, Broker};
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
    #[arg(long, value_name = "NAME")]
    pub(crate) process: String,
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
    /// A broker, through its adapter: beatit text (`spec/transports.md`).
    Broker { broker: Broker, url: String },
}

/// What sending one signal came to.
pub(crate) enum Sent {
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
                }),
                None => Err(TargetError::UnknownScheme(scheme.to_owned())),
            },
        }
    }

    pub(crate) fn send(
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

/// Reports a failed ping on stderr; true when it failed.
pub(crate) fn report(command: &str, sent: &Sent) -> bool {
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
