//! # heartwire-liveness
//!
//! The receiving side of heartbeats: a sans-I/O engine that turns the beats of every
//! heartwire format into one state per process (`starting`, `alive`, `degraded`, `late`,
//! `dead`, `stopped`, `disconnected`, `failed`) and reports every change exactly once, as
//! `spec/liveness.md` specifies. No sockets, no threads, no clock: broker adapters and
//! the command line feed it decoded messages with their receive time, and poll it with
//! the current time.
//!
//! - [`Monitor`]: observations of beatit messages ([`Monitor::observe_text`], or
//!   [`Monitor::observe_texts`] for a batch, faster with many processes), liveness
//!   records ([`Monitor::observe_record`]), Reventless commands
//!   ([`Monitor::observe_command`]) and HTTP pings on a schedule
//!   ([`Monitor::expect_pings`], [`Monitor::observe_ping_outcome`] with a
//!   [`PingOutcome`] and a [`RunId`]: a failure is `failed` at once);
//!   [`Monitor::poll`] for the [`Event`]s; [`Monitor::processes`] for the current states
//!   (and a ping process's schedule and last ping, [`PingView`]); a [`Snapshot`] to
//!   survive a restart, restored in bounded time whatever the file says.
//! - [`detector`]: the deadline, phi accrual (Akka-compatible) and exponential
//!   (Cassandra-style) failure detectors behind one [`Detector`](detector::Detector)
//!   trait.
//!
//! Deadlines live in an index, so a poll costs in proportion to what is due, not to the
//! number of processes; a poll long after the previous one is a stall of the monitor,
//! for which nobody is convicted; processes and observations per process per second are
//! capped; a tracked process costs at most 64 bytes besides its name (61 with a million). On Linux, tables of
//! 4 MiB and more are advised for transparent huge pages (`madvise`, a hint the kernel
//! may ignore), which spares a beat most of its TLB misses with many processes.
//!
//! The publishing side (beatit's `Heart`, the record publisher, the schedule runtime) is
//! the crate `heartwire-publish`.
//!
//! ## Usage
//!
//! ```
//! use heartwire::text::Message;
//! use heartwire::time::UnixTime;
//! use heartwire_liveness::{Event, Monitor, Reason, Source, State};
//!
//! let mut monitor = Monitor::default();
//! let at = |secs: i64| UnixTime::new(1_700_000_000 + secs, 0);
//!
//! let beat = Message::decode(b"heartbeat.billing.worker-1", b"beat/5")?;
//! monitor.observe_text(&beat, at(0))?;
//! // Late at 1.5 periods, dead at 3 (the seed's ratios), each change reported once.
//! let events: Vec<Event> = monitor.poll(at(20)).collect();
//! let changes: Vec<(Option<State>, State, Reason)> = events
//!     .iter()
//!     .filter_map(Event::change)
//!     .map(|c| (c.old, c.new, c.reason))
//!     .collect();
//! assert_eq!(changes, [
//!     (None, State::Alive, Reason::Beat),
//!     (Some(State::Alive), State::Late, Reason::Overdue),
//!     (Some(State::Late), State::Dead, Reason::Silent),
//! ]);
//! assert_eq!(events[1].change().map(|c| c.at), Some(UnixTime::new(1_700_000_007, 500_000_000)));
//! assert_eq!(monitor.poll(at(21)).count(), 0);
//!
//! let stop = Message::decode(b"heartbeat.billing.worker-1", b"stop")?;
//! assert_eq!(monitor.observe_text(&stop, at(22))?, State::Stopped);
//! let view = monitor.get(Source::Text, "billing.worker-1").map(|p| p.state);
//! assert_eq!(view, Some(State::Stopped));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Feature flags
//!
//! None: the engine has no optional part.
//!
//! ## Supported Rust versions
//!
//! The minimum supported Rust version is 1.89 (the `rust-version` of the workspace).
// `deny`, so that `prefetch` and `huge_pages` alone can `allow` it: the two `unsafe` of
// the crate.
#![deny(unsafe_code)]

pub mod detector;
mod event;
mod huge_pages;
mod index;
mod link;
mod monitor;
mod ping;
mod prefetch;
pub mod scenario;
mod snapshot;

pub use event::{Cap, Change, Event, Reason, Source, State};
pub use link::Link;
pub use monitor::{
    Config, Footprint, MAX_NAME_LEN, MAX_PROCESSES, Monitor, ProcessView, RecordFacts, Rejected,
};
pub use ping::{
    MAX_PING_GRACE, MAX_PING_MISSED, MAX_RUN_ID_LEN, PingOutcome, PingSchedule, PingView, RunId,
    RunIdError,
};
pub use snapshot::{RestoreError, Snapshot};

/// The example of this crate's README (its page on crates.io), run as a doc test.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct CrateReadme;
