//! What a monitor says: [`State`]s, the [`Event`]s that change them, and why
//! (`spec/liveness.md` §2 and §7).

use std::fmt;

use heartwire::time::UnixTime;
use serde::{Deserialize, Serialize};

mod json;

/// The state of a process (`spec/liveness.md` §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[repr(u8)]
pub enum State {
    /// Sent `start/W` (or a plugin connected, or a ping was registered): the first beat
    /// is due.
    Starting = 0,
    /// Its last signal said it works, and the next is not overdue.
    Alive = 1,
    /// Its last signal was `degraded/P`.
    Degraded = 2,
    /// A deadline passed without a signal (a record's `stale`).
    Late = 3,
    /// Silent beyond its tolerance.
    Dead = 4,
    /// Said `stop`; never declared dead.
    Stopped = 5,
    /// A Reventless plugin silent for its disconnect grace, or disconnected.
    Disconnected = 6,
    /// A ping process reported a failure (`/fail`, a non-zero exit status); only a
    /// success revives it.
    Failed = 7,
}

impl State {
    /// Every state, in the order of their numbers.
    pub const ALL: [State; 8] = [
        State::Starting,
        State::Alive,
        State::Degraded,
        State::Late,
        State::Dead,
        State::Stopped,
        State::Disconnected,
        State::Failed,
    ];

    /// The state's name: `starting`, `alive`, ...
    pub const fn as_str(self) -> &'static str {
        match self {
            State::Starting => "starting",
            State::Alive => "alive",
            State::Degraded => "degraded",
            State::Late => "late",
            State::Dead => "dead",
            State::Stopped => "stopped",
            State::Disconnected => "disconnected",
            State::Failed => "failed",
        }
    }

    /// Whether only an observation can change it (`dead`, `stopped`, `disconnected`,
    /// `failed`).
    pub const fn is_terminal(self) -> bool {
        matches!(
            self,
            State::Dead | State::Stopped | State::Disconnected | State::Failed
        )
    }

    pub(crate) const fn from_u8(n: u8) -> State {
        match n {
            0 => State::Starting,
            1 => State::Alive,
            2 => State::Degraded,
            3 => State::Late,
            4 => State::Dead,
            5 => State::Stopped,
            6 => State::Disconnected,
            _ => State::Failed,
        }
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which input a process is known from; the same name under two sources is two
/// processes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[repr(u8)]
pub enum Source {
    /// beatit text messages (`heartbeat.<process>`).
    Text = 0,
    /// JSON liveness records, by `service_name`.
    Record = 1,
    /// Reventless commands, by envelope `id`.
    Command = 2,
    /// HTTP pings on a schedule, by registered name.
    Ping = 3,
}

impl Source {
    /// The source's name: `text`, `record`, `command`, `ping`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Source::Text => "text",
            Source::Record => "record",
            Source::Command => "command",
            Source::Ping => "ping",
        }
    }

    pub(crate) const fn from_u8(n: u8) -> Source {
        match n & 3 {
            0 => Source::Text,
            1 => Source::Record,
            2 => Source::Command,
            _ => Source::Ping,
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a state changed (`spec/liveness.md` §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Reason {
    /// `start/W`.
    Start,
    /// `beat/P`.
    Beat,
    /// `degraded/P`.
    Degraded,
    /// `stop`.
    Stop,
    /// A liveness record (whose age may make it stale or dead at once).
    Record,
    /// A Reventless `Heartbeat` or `RedetectPlugin`.
    Heartbeat,
    /// A Reventless `ConnectPlugin`.
    Connect,
    /// A Reventless `DisconnectPlugin`.
    Disconnect,
    /// An HTTP ping.
    Ping,
    /// A ping schedule was registered.
    Registered,
    /// A deadline passed: late.
    Overdue,
    /// The tolerance passed: dead.
    Silent,
    /// A scheduled ping is missing: late.
    Missed,
    /// The disconnect grace passed.
    Grace,
    /// An adaptive detector's suspicion crossed its suspect threshold.
    Suspected,
    /// An adaptive detector's suspicion crossed its conviction threshold.
    Convicted,
    /// The process's connection ended without a goodbye: an MQTT Last Will
    /// (`spec/transports.md`), seen at once instead of after a timeout.
    Gone,
    /// A ping said the job failed (`/fail`), without an exit status.
    Failed,
    /// A ping said the job ended with this exit status, never 0 (`/3`).
    Exit(u8),
}

impl Reason {
    /// The reason's name in `spec/liveness.md` §7.
    pub const fn as_str(self) -> &'static str {
        match self {
            Reason::Start => "start",
            Reason::Beat => "beat",
            Reason::Degraded => "degraded",
            Reason::Stop => "stop",
            Reason::Record => "record",
            Reason::Heartbeat => "heartbeat",
            Reason::Connect => "connect",
            Reason::Disconnect => "disconnect",
            Reason::Ping => "ping",
            Reason::Registered => "registered",
            Reason::Overdue => "overdue",
            Reason::Silent => "silent",
            Reason::Missed => "missed",
            Reason::Grace => "grace",
            Reason::Suspected => "suspected",
            Reason::Convicted => "convicted",
            Reason::Gone => "gone",
            Reason::Failed => "failed",
            Reason::Exit(_) => "exit",
        }
    }

    /// The exit status a job reported, for [`Reason::Exit`].
    pub const fn exit_status(self) -> Option<u8> {
        match self {
            Reason::Exit(status) => Some(status),
            _ => None,
        }
    }
}

/// The name, and for [`Reason::Exit`] the status: `exit 3`.
impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::Exit(status) => write!(f, "exit {status}"),
            _ => f.write_str(self.as_str()),
        }
    }
}

/// Which cap rejected an observation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Cap {
    /// The number of tracked processes.
    Processes,
    /// Observations per process per second.
    Rate,
}

/// A change of state of one process.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Change {
    /// The process's name.
    pub process: String,
    /// Where it is known from.
    pub source: Source,
    /// The state before; `None` when the process was first seen.
    pub old: Option<State>,
    /// The state after.
    pub new: State,
    /// Why.
    pub reason: Reason,
    /// When the change happened: a deadline's instant, or an observation's time.
    pub at: UnixTime,
}

/// What a monitor reports (`spec/liveness.md` §7).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Event {
    /// A process changed state.
    Changed(Change),
    /// A poll came long after the previous one: nobody was convicted for the gap, and
    /// the deadlines were moved by it.
    Stalled {
        /// The previous poll.
        from: UnixTime,
        /// This poll.
        to: UnixTime,
    },
    /// A cap rejected an observation.
    Capped {
        /// Which cap.
        cap: Cap,
        /// The process the observation was about.
        process: String,
        /// Its source.
        source: Source,
        /// The observation's time.
        at: UnixTime,
    },
}

impl Event {
    /// When it happened: the change's instant, the poll that found the stall, the
    /// rejected observation's time.
    pub const fn at(&self) -> UnixTime {
        match self {
            Event::Changed(c) => c.at,
            Event::Stalled { to, .. } => *to,
            Event::Capped { at, .. } => *at,
        }
    }

    /// The process it is about (none for a stall), as (source, name).
    pub(crate) fn subject(&self) -> Option<(u8, &str)> {
        match self {
            Event::Changed(c) => Some((c.source as u8, c.process.as_str())),
            Event::Stalled { .. } => None,
            Event::Capped {
                process, source, ..
            } => Some((*source as u8, process.as_str())),
        }
    }

    /// The change, if this event is one.
    pub const fn change(&self) -> Option<&Change> {
        match self {
            Event::Changed(c) => Some(c),
            _ => None,
        }
    }
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Event::Changed(c) => {
                let at = c.at.as_nanos();
                match c.old {
                    Some(old) => write!(
                        f,
                        "{at} {} {}: {old} -> {} ({})",
                        c.source, c.process, c.new, c.reason
                    ),
                    None => write!(
                        f,
                        "{at} {} {}: {} ({})",
                        c.source, c.process, c.new, c.reason
                    ),
                }
            }
            Event::Stalled { from, to } => {
                write!(f, "{} stalled since {}", to.as_nanos(), from.as_nanos())
            }
            Event::Capped {
                cap,
                process,
                source,
                at,
            } => {
                let cap = cap.as_str();
                write!(f, "{} {source} {process}: capped ({cap})", at.as_nanos())
            }
        }
    }
}
