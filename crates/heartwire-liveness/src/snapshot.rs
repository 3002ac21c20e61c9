//! Saving and restoring a monitor (`spec/liveness.md` §6.3).
//!
//! A [`Snapshot`] is plain data with serde, so it can be written as JSON (or any serde
//! format) and read back by a monitor that restarted. The restored monitor's first poll
//! treats the time since the snapshot's last poll as a stall: it convicts nobody for the
//! time it was down.
//!
//! A snapshot is read from a file, so it is not trusted: restoring costs time in
//! proportion to the processes it holds, whatever its numbers say, and a value no
//! monitor writes is a [`RestoreError`] naming its member. Members added since the
//! first snapshots (a ping's anchor, last ping, cron schedule and time zone) are
//! optional, so older snapshots stay readable.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use heartwire::record::ServiceName;
use heartwire::schedule::{Cron, CronErrorKind, Rate};
use heartwire::text::Process;
use serde::{Deserialize, Serialize};

use crate::detector::Adaptive;
use crate::event::{Source, State};
use crate::link::Link;
use crate::monitor::{Config, MAX_PROCESSES, Monitor, Rejected, RestoredProcess};
use crate::ping::{
    MAX_PING_GRACE, MAX_PING_MISSED, PingOutcome, PingPlan, PingProcess, PingSchedule, RunId,
};

/// A monitor's state: every process and the time of its last poll.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// The last poll, in nanoseconds since the Unix epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    polled_at: Option<u64>,
    processes: Vec<SavedProcess>,
    /// Record intervals set per service ([`Monitor::set_record_interval`]), in
    /// nanoseconds.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    record_intervals: BTreeMap<String, u64>,
}

/// One process of a [`Snapshot`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct SavedProcess {
    source: Source,
    name: String,
    state: State,
    base: State,
    last: u64,
    aux: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    detector: Option<Adaptive>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ping: Option<SavedPing>,
    /// The link it was last heard through (1 to [`Link::MAX`]), so that a durable
    /// link replays it after a restart (`spec/liveness.md` §6.5); absent for none, and
    /// in older snapshots.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    link: Option<u8>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct SavedPing {
    /// The rate; empty (absent) for a cron schedule.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    rate: String,
    /// A five-field crontab line, instead of a rate (absent in older snapshots).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    cron: Option<String>,
    /// The IANA time zone of `cron`; absent for UTC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    tz: Option<String>,
    /// Nanoseconds since the epoch; absent for the epoch (and in older snapshots).
    #[serde(default, skip_serializing_if = "is_zero")]
    anchor: u64,
    /// Nanoseconds, at most [`MAX_PING_GRACE`].
    grace: u64,
    missed: u32,
    /// The kind of the last ping (absent before the first, and in older snapshots).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    last_ping: Option<PingKind>,
    /// The exit status of the last ping, when it had one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    exit_status: Option<u8>,
    /// The run id of the last ping, when it had one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    rid: Option<String>,
}

/// A ping's kind as `spec/http.md` §5.4 names it ([`PingOutcome::kind`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum PingKind {
    Success,
    Start,
    Log,
    Fail,
}

impl PingKind {
    fn of(outcome: PingOutcome) -> PingKind {
        match outcome {
            PingOutcome::Success | PingOutcome::Exit(0) => PingKind::Success,
            PingOutcome::Start => PingKind::Start,
            PingOutcome::Log => PingKind::Log,
            PingOutcome::Fail | PingOutcome::Exit(_) => PingKind::Fail,
        }
    }

    const fn as_str(self) -> &'static str {
        match self {
            PingKind::Success => "success",
            PingKind::Start => "start",
            PingKind::Log => "log",
            PingKind::Fail => "fail",
        }
    }
}

/// Why a snapshot cannot be restored.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RestoreError {
    /// A process's name breaks its source's grammar.
    InvalidName {
        /// The process's position in the snapshot.
        index: usize,
    },
    /// A process appears twice.
    Duplicate {
        /// The second one's position.
        index: usize,
    },
    /// A ping process without a schedule, or with a rate that does not parse.
    InvalidPing {
        /// The process's position.
        index: usize,
    },
    /// A record interval is set for a name that is not a service name.
    InvalidInterval,
    /// A member of a process holds a value no monitor writes.
    InvalidValue {
        /// The process's position.
        index: usize,
        /// The member: `state`, `ping.cron`, `ping.tz`, `ping.grace`, `ping.missed`,
        /// `ping.exit_status` or `ping.rid`.
        field: &'static str,
        /// What it must be.
        expected: &'static str,
    },
    /// The monitor's configuration does not admit the process.
    Rejected {
        /// The process's position.
        index: usize,
        /// Why.
        reason: Rejected,
    },
}

impl fmt::Display for RestoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RestoreError::InvalidName { index } => write!(f, "process {index}: invalid name"),
            RestoreError::Duplicate { index } => write!(f, "process {index}: duplicate"),
            RestoreError::InvalidInterval => {
                f.write_str("a record interval of an invalid service name")
            }
            RestoreError::InvalidPing { index } => {
                write!(
                    f,
                    "process {index}: expected a ping schedule with a valid rate"
                )
            }
            RestoreError::InvalidValue {
                index,
                field,
                expected,
            } => write!(f, "process {index}: {field}: expected {expected}"),
            RestoreError::Rejected { index, reason } => write!(f, "process {index}: {reason}"),
        }
    }
}

impl std::error::Error for RestoreError {}

impl Snapshot {
    /// How many processes it holds.
    pub fn len(&self) -> usize {
        self.processes.len()
    }

    /// Whether it holds no process.
    pub fn is_empty(&self) -> bool {
        self.processes.is_empty()
    }
}

impl Monitor {
    /// The monitor's state, to restore later with [`Monitor::restore`]. Events not yet
    /// drained are not part of it.
    pub fn snapshot(&self) -> Snapshot {
        let parts = self.parts();
        let mut processes: Vec<SavedProcess> = parts
            .processes
            .map(|p| SavedProcess {
                source: p.source,
                name: p.name.to_owned(),
                state: p.state,
                base: p.base,
                last: p.last,
                aux: p.aux,
                detector: p.adaptive.cloned(),
                link: p.link.map(Link::get),
                ping: p.ping.map(|ping| SavedPing {
                    rate: ping
                        .plan
                        .schedule
                        .rate()
                        .map(|r| r.to_string())
                        .unwrap_or_default(),
                    cron: ping
                        .plan
                        .schedule
                        .as_cron()
                        .map(|c| c.expression().to_owned()),
                    tz: ping
                        .plan
                        .schedule
                        .as_cron()
                        .map(Cron::time_zone)
                        .filter(|tz| *tz != "UTC")
                        .map(str::to_owned),
                    anchor: ping.plan.anchor,
                    grace: ping.plan.grace,
                    missed: ping.plan.missed,
                    last_ping: ping.last.map(PingKind::of),
                    exit_status: ping.last.and_then(PingOutcome::exit_status),
                    rid: ping.rid.as_ref().map(|r| r.as_str().to_owned()),
                }),
            })
            .collect();
        // A stable order, so that equal monitors give equal snapshots.
        processes.sort_by(|a, b| (a.source, &a.name).cmp(&(b.source, &b.name)));
        Snapshot {
            polled_at: parts.last_poll,
            processes,
            record_intervals: self
                .record_intervals()
                .map(|(name, nanos)| (name.to_owned(), nanos))
                .collect(),
        }
    }

    /// A monitor with `config` and the state of `snapshot`, in time in proportion to
    /// the processes and record intervals it holds, whatever the values in it.
    pub fn restore(config: Config, snapshot: Snapshot) -> Result<Monitor, RestoreError> {
        // More than the monitor admits fails when the cap is reached: room for that many.
        let room = config.max_processes.min(MAX_PROCESSES);
        let mut monitor = Monitor::new(config);
        monitor.reserve(snapshot.processes.len().min(room), 0);
        for (service, nanos) in snapshot.record_intervals {
            let name = ServiceName::new(&service).map_err(|_| RestoreError::InvalidInterval)?;
            monitor.set_record_interval(&name, Duration::from_nanos(nanos));
        }
        for (index, p) in snapshot.processes.into_iter().enumerate() {
            let valid = match p.source {
                Source::Text | Source::Ping => Process::new(&p.name).is_ok(),
                Source::Record => ServiceName::new(&p.name).is_ok(),
                Source::Command => !p.name.is_empty(),
            };
            if !valid {
                return Err(RestoreError::InvalidName { index });
            }
            if p.state == State::Failed && p.source != Source::Ping {
                return Err(RestoreError::InvalidValue {
                    index,
                    field: "state",
                    expected: "failed only for a ping process",
                });
            }
            let ping = match (p.source, p.ping) {
                (Source::Ping, Some(ping)) => Some(restore_ping(index, ping)?),
                (Source::Ping, None) => return Err(RestoreError::InvalidPing { index }),
                _ => None,
            };
            let link = match p.link {
                None => None,
                Some(n) => Some(Link::new(n).ok_or(RestoreError::InvalidValue {
                    index,
                    field: "link",
                    expected: "a link number from 1 to 15",
                })?),
            };
            let restored = RestoredProcess {
                link,
                source: p.source,
                name: p.name,
                state: p.state,
                base: p.base,
                last: p.last,
                aux: p.aux,
                adaptive: p.detector.filter(|_| p.source == Source::Text),
                ping,
            };
            match monitor.restore_process(restored) {
                Ok(true) => {}
                Ok(false) => return Err(RestoreError::Duplicate { index }),
                Err(reason) => return Err(RestoreError::Rejected { index, reason }),
            }
        }
        monitor.set_last_poll(snapshot.polled_at);
        Ok(monitor)
    }
}

/// A ping process's schedule and last ping, checked.
fn restore_ping(index: usize, ping: SavedPing) -> Result<PingProcess, RestoreError> {
    let invalid = |field, expected| RestoreError::InvalidValue {
        index,
        field,
        expected,
    };
    let schedule = match (ping.cron, ping.tz) {
        (None, None) => PingSchedule::Rate(
            ping.rate
                .parse::<Rate>()
                .map_err(|_| RestoreError::InvalidPing { index })?,
        ),
        (None, Some(_)) => return Err(invalid("ping.tz", "none without ping.cron")),
        (Some(_), _) if !ping.rate.is_empty() => {
            return Err(invalid("ping.cron", "none with a rate"));
        }
        (Some(cron), tz) => {
            let cron =
                Cron::with_time_zone(&cron, tz.as_deref().unwrap_or("UTC")).map_err(|e| match e
                    .kind
                {
                    CronErrorKind::TimeZone { .. } => {
                        invalid("ping.tz", "an IANA time zone such as Europe/Paris")
                    }
                    _ => invalid("ping.cron", "a five-field crontab line"),
                })?;
            PingSchedule::cron(cron)
        }
    };
    if u128::from(ping.grace) > MAX_PING_GRACE.as_nanos() {
        return Err(invalid("ping.grace", "at most 7 days in nanoseconds"));
    }
    // The k-th fire time costs nothing more for a larger k, but a count no monitor
    // writes is no state to resume from.
    if !(1..=MAX_PING_MISSED).contains(&ping.missed) {
        return Err(invalid("ping.missed", "1 to 1000"));
    }
    let last = match (ping.last_ping, ping.exit_status) {
        (None, None) => None,
        (None, Some(_)) => return Err(invalid("ping.exit_status", "none without last_ping")),
        (Some(kind), status) => Some(PingOutcome::from_parts(kind.as_str(), status).ok_or(
            invalid(
                "ping.exit_status",
                "0 for success, 1 to 255 for fail, none for start and log",
            ),
        )?),
    };
    let rid = match ping.rid {
        None => None,
        Some(rid) => Some(
            RunId::new(&rid).map_err(|_| invalid("ping.rid", "1 to 64 bytes of visible ASCII"))?,
        ),
    };
    Ok(PingProcess {
        plan: PingPlan {
            schedule,
            anchor: ping.anchor,
            grace: ping.grace,
            missed: ping.missed,
        },
        last,
        rid,
    })
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}
