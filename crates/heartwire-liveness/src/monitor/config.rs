//! How a monitor judges: its configuration, the chapter's defaults.

use std::time::Duration;

use heartwire::command::GraceRule;

use crate::detector::{DetectorChoice, Tolerance};
#[cfg(doc)]
use crate::ping::{MAX_PING_GRACE, MAX_PING_MISSED};

/// How a monitor judges (`spec/liveness.md`); [`Config::default`] is the chapter's
/// defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Late and dead factors of a beatit process's declared duration.
    pub tolerance: Tolerance,
    /// The detector of beatit processes, unless chosen per process.
    pub detector: DetectorChoice,
    /// The interval liveness records are published at (the seed's 60 s).
    pub record_interval: Duration,
    /// The Reventless disconnect grace rule.
    pub grace_rule: GraceRule,
    /// How long after a scheduled fire time a ping may arrive, unless registered with a
    /// grace of its own (60 s; more than [`MAX_PING_GRACE`] counts as that).
    pub ping_grace: Duration,
    /// How many scheduled pings may be missing before a ping process is dead (3; 0
    /// counts as 1, more than [`MAX_PING_MISSED`] as that).
    pub ping_missed: u32,
    /// The most processes tracked (2^20).
    pub max_processes: usize,
    /// The most observations accepted per process per second (16).
    pub max_beats_per_second: u16,
    /// A poll this long after it was due (after the previous poll and after the first
    /// deadline then pending) is a stall of the monitor itself (5 s, Cassandra's pause).
    pub stall_after: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            tolerance: Tolerance::SEED,
            detector: DetectorChoice::Deadline,
            record_interval: heartwire::record::DEFAULT_INTERVAL,
            grace_rule: GraceRule::Scaled,
            ping_grace: Duration::from_secs(60),
            ping_missed: 3,
            max_processes: 1 << 20,
            max_beats_per_second: 16,
            stall_after: Duration::from_secs(5),
        }
    }
}
