//! Saving and restoring a monitor (`spec/liveness.md` §6.3).
//!
//! A [`Snapshot`] is plain data with serde, so it can be written as JSON (or any serde
//! format) and read back by a monitor that restarted. The restored monitor's first poll
//! treats the time since the snapshot's last poll as a stall: it convicts nobody for the
//! time it was down.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use heartwire::record::ServiceName;
use heartwire::schedule::Rate;
use heartwire::text::Process;
use serde::{Deserialize, Serialize};

use crate::detector::Adaptive;
use crate::event::{Source, State};
use crate::monitor::{Config, Monitor, PingPlan, Rejected, RestoredProcess};

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
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct SavedPing {
    rate: String,
    /// Nanoseconds since the epoch; absent for the epoch (and in older snapshots).
    #[serde(default, skip_serializing_if = "is_zero")]
    anchor: u64,
    grace: u64,
    missed: u32,
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
                ping: p.ping.map(|plan| SavedPing {
                    rate: plan.rate.to_string(),
                    anchor: plan.anchor,
                    grace: plan.grace,
                    missed: plan.missed,
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

    /// A monitor with `config` and the state of `snapshot`.
    pub fn restore(config: Config, snapshot: Snapshot) -> Result<Monitor, RestoreError> {
        let mut monitor = Monitor::new(config);
        monitor.reserve(snapshot.processes.len(), 0);
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
            let ping = match (p.source, p.ping) {
                (Source::Ping, Some(ping)) => {
                    let rate: Rate = ping
                        .rate
                        .parse()
                        .map_err(|_| RestoreError::InvalidPing { index })?;
                    Some(PingPlan {
                        rate,
                        anchor: ping.anchor,
                        grace: ping.grace,
                        missed: ping.missed.max(1),
                    })
                }
                (Source::Ping, None) => return Err(RestoreError::InvalidPing { index }),
                _ => None,
            };
            let restored = RestoredProcess {
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

fn is_zero(n: &u64) -> bool {
    *n == 0
}
