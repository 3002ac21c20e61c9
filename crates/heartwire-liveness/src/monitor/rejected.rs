//! Why an observation changed nothing: the rejections of `spec/liveness.md` §5.

use std::fmt;
use std::time::Duration;

use heartwire::time::UnixTime;

#[cfg(doc)]
use super::Config;
use super::names::MAX_NAME_LEN;

/// Why an observation changed nothing (`spec/liveness.md` §5).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Rejected {
    /// The name is longer than [`MAX_NAME_LEN`] bytes.
    NameTooLong {
        /// Its length in bytes.
        len: usize,
    },
    /// A new process, and [`Config::max_processes`] are tracked already.
    TooManyProcesses,
    /// More than [`Config::max_beats_per_second`] observations of this process in this
    /// second.
    RateLimited,
    /// Older than the last accepted observation of the process.
    OutOfOrder {
        /// The time of the last accepted one.
        last: UnixTime,
    },
    /// A record with the timestamp of the last accepted one.
    Duplicate,
    /// A record dated more than 5 s after it was received.
    FutureDated {
        /// How far ahead of the receive time it is.
        ahead: Duration,
    },
    /// A command that is no heartbeat (`ForwardCommand`, ...).
    NotAHeartbeat {
        /// The command's name.
        command: String,
    },
    /// A ping for a name with no ping schedule registered.
    NotRegistered,
}

impl Rejected {
    /// The rejection's name in the conformance vectors (`spec/vectors/liveness.json`):
    /// `name_too_long`, `too_many_processes`, `rate_limited`, `out_of_order`,
    /// `duplicate`, `future_dated`, `not_a_heartbeat`, `not_registered`.
    pub const fn code(&self) -> &'static str {
        match self {
            Rejected::NameTooLong { .. } => "name_too_long",
            Rejected::TooManyProcesses => "too_many_processes",
            Rejected::RateLimited => "rate_limited",
            Rejected::OutOfOrder { .. } => "out_of_order",
            Rejected::Duplicate => "duplicate",
            Rejected::FutureDated { .. } => "future_dated",
            Rejected::NotAHeartbeat { .. } => "not_a_heartbeat",
            Rejected::NotRegistered => "not_registered",
        }
    }
}

impl fmt::Display for Rejected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rejected::NameTooLong { len } => {
                write!(f, "name of {len} bytes, expected at most {MAX_NAME_LEN}")
            }
            Rejected::TooManyProcesses => f.write_str("too many processes tracked"),
            Rejected::RateLimited => f.write_str("too many observations this second"),
            Rejected::OutOfOrder { last } => {
                write!(
                    f,
                    "out of order: older than the last accepted, at {}",
                    last.as_nanos()
                )
            }
            Rejected::Duplicate => f.write_str("duplicate record"),
            Rejected::FutureDated { ahead } => {
                write!(
                    f,
                    "record dated {} s after it was received",
                    ahead.as_secs_f64()
                )
            }
            Rejected::NotAHeartbeat { command } => {
                write!(f, "command {command} is not a heartbeat")
            }
            Rejected::NotRegistered => f.write_str("no ping schedule registered"),
        }
    }
}

impl std::error::Error for Rejected {}
