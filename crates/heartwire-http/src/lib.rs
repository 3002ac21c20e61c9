//! HTTP ping heartbeats, both ends (`spec/http.md`).
//!
//! - [`ping`]: the pinger, with the Intervalometerator's policy by default (10 s
//!   timeout, redirects followed, success on any 2xx, 2 attempts 20 s apart) and the
//!   last result in its one-line form ([`result`]).
//! - [`aligned`]: schedules that fire when the minute is divisible by 5 to 60, once at
//!   start, and on demand; pure, so a virtual clock drives them.
//! - [`service`]: what beatit's signals and a job's exit status become for
//!   healthchecks.io, Dead Man's Snitch, Cronitor, a plain URL, or heartwire's
//!   receiver.
//! - [`receiver`]: an HTTP/1.1 server (hyper on tokio) that feeds pings and beatit text
//!   into a shared [`heartwire_liveness::Monitor`], forgets a ping process on `DELETE`,
//!   serves the state at `/status` a page at a time, and bounds everything a client can
//!   make it use ([`ReceiverConfig`], `spec/http.md` §5.5); with a [`PingKey`], only
//!   clients that know it are heard.
//!
//! # Usage
//!
//! ```
//! use heartwire::text::{Process, Seconds, Signal};
//! use heartwire_http::service::{JobSignal, Service};
//!
//! let process = Process::new("backup")?;
//! let beat = JobSignal::Text(Signal::Start { warmup: Seconds::from_secs(60).ok_or("0")? });
//! let request = Service::Healthchecks
//!     .request("https://hc-ping.com/KEY/", &process, beat, None, None)
//!     .ok_or("not sent")?;
//! assert_eq!(request.url, "https://hc-ping.com/KEY/backup/start");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The receiver, as `heartwire monitor` runs it: bound on 127.0.0.1:8387, serving from
//! a thread of its own, while the caller polls the shared monitor:
//!
//! ```no_run
//! use std::sync::{Arc, Mutex};
//!
//! use heartwire::time::{SystemClock, WallClock};
//! use heartwire_http::{DEFAULT_PORT, Receiver, ReceiverConfig};
//! use heartwire_liveness::{Config, Monitor};
//!
//! let monitor = Arc::new(Mutex::new(Monitor::new(Config::default())));
//! let receiver = Receiver::bind(([127, 0, 0, 1], DEFAULT_PORT).into(), ReceiverConfig::default())?;
//! println!("listening on http://{}/", receiver.local_addr()?);
//! let shared = Arc::clone(&monitor);
//! std::thread::spawn(move || receiver.run_blocking(shared, || SystemClock.now()));
//! loop {
//!     std::thread::sleep(std::time::Duration::from_secs(1));
//!     let mut monitor = monitor.lock().map_err(|_| "poisoned")?;
//!     for event in monitor.poll(SystemClock.now()) {
//!         println!("{event:?}");
//!     }
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Feature flags
//!
//! None. HTTPS uses rustls with the ring provider and the webpki roots.
//!
//! # Supported Rust versions
//!
//! The workspace's `rust-version` (1.89) and newer.
#![forbid(unsafe_code)]

pub mod aligned;
pub mod ping;
pub mod receiver;
pub mod result;
pub mod service;

pub use aligned::{AlignedSchedule, Alignment, Frequency, Plan, Trigger};
pub use ping::{Ping, PingPolicy, Pinger, Wake};
pub use receiver::{
    Accepted, DEFAULT_PORT, Journal, JournalError, PingKey, PingKeyError, RateLimit, Receiver,
    ReceiverConfig, ReceiverError, ReceiverStats, Target, TargetError,
};
pub use result::{Cause, Outcome, ResultLine};
pub use service::{JobSignal, Method, PingRequest, RunId, Service};

/// The example of this crate's README (its page on crates.io), run as a doc test.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct CrateReadme;
