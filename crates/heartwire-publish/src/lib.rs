//! # heartwire-publish
//!
//! The publishing side of heartbeats: what a service runs to say it is alive. No
//! sockets, no runtime: everything here builds payloads and decides when they are due,
//! then hands them to a publisher the caller provides, through the contracts at the root
//! of this crate (the only thing read from the system is the memory, CPU and start time
//! of this process or of one given by its PID, with the `process-usage` feature). The broker adapters (`heartwire-nats`, `-redis`,
//! `-mqtt`, `-amqp`) implement the contracts; so can a test that collects what was sent.
//! (The receiving side is `heartwire-liveness`.)
//!
//! - The contracts: [`Publish`] and [`AsyncPublish`] (beatit's `publish(subject,
//!   payload)`), [`PublishRecord`] and [`AsyncPublishRecord`] (a liveness record, which
//!   names its channel itself).
//! - [`heart`]: beatit's `Heart` ([`Heart`](heart::Heart), [`AsyncHeart`](heart::AsyncHeart)),
//!   `start`, `beat`, `degraded` and `stop` for one process, with beatit's
//!   [`throttle`] on a [`clock`] of your choice.
//! - [`records`]: the seed's `HeartbeatPublisher`, a liveness record (`spec/record.md`)
//!   every interval, with this process's [`usage`] and members of your own.
//! - [`scheduler`]: a runtime that fires schedules (`Daily(9,0)`, `Minutes(15)`, ...),
//!   created and deleted while it runs, and publishes their payloads.
//!
//! ## Usage
//!
//! ```
//! use std::convert::Infallible;
//!
//! use heartwire::schedule::{Name, Schedule};
//! use heartwire::text::{Process, Seconds, Subject};
//! use heartwire::time::UnixTime;
//! use heartwire_publish::Publish;
//! use heartwire_publish::heart::{Heart, Outcome};
//! use heartwire_publish::scheduler::{PublishTarget, Scheduler};
//!
//! /// What would go to a broker.
//! #[derive(Default)]
//! struct Sent(Vec<String>);
//!
//! impl Publish for Sent {
//!     type Error = Infallible;
//!     fn publish(&mut self, subject: &Subject<'_>, payload: &[u8]) -> Result<(), Infallible> {
//!         self.0.push(format!("{subject} {}", String::from_utf8_lossy(payload)));
//!         Ok(())
//!     }
//! }
//!
//! // A heart: a second beat within a second of the first is dropped.
//! let process = Process::new("billing.worker-1")?;
//! let mut heart = Heart::new(&process, Sent::default());
//! let five = Seconds::from_secs(5).ok_or("zero")?;
//! assert_eq!(heart.beat(five)?, Outcome::Published);
//! assert_eq!(heart.beat(five)?, Outcome::Throttled);
//! assert_eq!(heart.publisher().0, ["heartbeat.billing.worker-1 beat/5"]);
//!
//! // A schedule runtime: each fire time publishes the schedule's payload.
//! let mut scheduler = Scheduler::new();
//! let at = |secs: i64| UnixTime::new(1_700_000_000 + secs, 0);
//! let quarterly = Schedule::new(Name::new("quarterly")?, "Minutes(15)".parse()?, "beat/900");
//! scheduler.create(quarterly, at(0));
//! let mut target = PublishTarget::new(Sent::default(), process.subject());
//! let next = scheduler.next_deadline().ok_or("a fire time")?;
//! assert_eq!(scheduler.fire_due(next, &mut target)?, 1);
//! assert_eq!(target.publisher().0, ["heartbeat.billing.worker-1 beat/900"]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Feature flags
//!
//! - `process-usage` (default): [`usage::ProcessUsage`], the memory and CPU of this
//!   process (or of another, by PID, with its start for the uptime) for the record
//!   publisher, from the `sysinfo` crate (its `system` feature only).
//!   Without it, records carry what [`usage::NoUsage`] or a sampler of your own gives.
//!
//! ## Supported Rust versions
//!
//! The minimum supported Rust version is 1.89 (the `rust-version` of the workspace).
#![forbid(unsafe_code)]

pub mod clock;
mod contract;
pub mod heart;
pub mod plugin;
pub mod records;
pub mod scheduler;
pub mod throttle;
pub mod usage;

pub use contract::{AsyncPublish, AsyncPublishRecord, Publish, PublishRecord};

/// The example of this crate's README (its page on crates.io), run as a doc test.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct CrateReadme;
