//! HTTP pings on a schedule: what a ping says, and what a monitor keeps of each ping
//! process besides its state (`spec/liveness.md` §3.4).

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use heartwire::schedule::{Cron, LAST_FIRE_TIME, Rate};
use heartwire::time::UnixTime;

use crate::monitor::{nanos, unix};

/// The longest run id a monitor keeps, in bytes (`spec/liveness.md` §3.4): a UUID is 36,
/// a ULID 26. A longer one is refused by [`RunId::new`].
pub const MAX_RUN_ID_LEN: usize = 64;

/// The most scheduled pings that may be missing before a ping process is dead
/// (`spec/liveness.md` §3.4): a larger [`Config::ping_missed`](crate::Config::ping_missed)
/// counts as this, and a snapshot with more is refused.
pub const MAX_PING_MISSED: u32 = 1000;

/// The longest grace of a ping process, 7 days (`spec/liveness.md` §3.4): a larger
/// grace given at registration, or [`Config::ping_grace`](crate::Config::ping_grace),
/// counts as this, and a snapshot with more is refused.
pub const MAX_PING_GRACE: Duration = Duration::from_secs(7 * 24 * 3600);

/// When the pings of a ping process are expected (`spec/liveness.md` §3.4).
///
/// ```
/// use heartwire::schedule::Cron;
/// use heartwire_liveness::PingSchedule;
///
/// let rate = PingSchedule::Rate("Minutes(5)".parse()?);
/// let cron = PingSchedule::cron(Cron::with_time_zone("0 9 * * *", "Europe/Paris")?);
/// assert_eq!(rate.to_string(), "Minutes(5)");
/// assert_eq!(cron.to_string(), "0 9 * * * [Europe/Paris]");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PingSchedule {
    /// At the fire times of a rate (interval rates counted from an anchor).
    Rate(Rate),
    /// At the fire times of a five-field crontab line in its time zone, boxed so that a
    /// rate's processes pay nothing for it.
    Cron(Box<Cron>),
}

impl PingSchedule {
    /// A cron schedule.
    pub fn cron(cron: Cron) -> PingSchedule {
        PingSchedule::Cron(Box::new(cron))
    }

    /// The rate, if it is one.
    pub const fn rate(&self) -> Option<Rate> {
        match self {
            PingSchedule::Rate(rate) => Some(*rate),
            PingSchedule::Cron(_) => None,
        }
    }

    /// The cron schedule, if it is one.
    pub fn as_cron(&self) -> Option<&Cron> {
        match self {
            PingSchedule::Rate(_) => None,
            PingSchedule::Cron(cron) => Some(cron),
        }
    }
}

impl From<Rate> for PingSchedule {
    fn from(rate: Rate) -> PingSchedule {
        PingSchedule::Rate(rate)
    }
}

impl From<Cron> for PingSchedule {
    fn from(cron: Cron) -> PingSchedule {
        PingSchedule::cron(cron)
    }
}

impl fmt::Display for PingSchedule {
    /// A rate as it parses (`Minutes(5)`); a cron schedule as [`Cron`] shows it, the
    /// expression then the time zone in brackets unless it is UTC.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PingSchedule::Rate(rate) => rate.fmt(f),
            PingSchedule::Cron(cron) => cron.fmt(f),
        }
    }
}

/// What one HTTP ping said, by its path (`spec/http.md` §5.1).
///
/// ```
/// use heartwire_liveness::PingOutcome;
///
/// assert_eq!(PingOutcome::Exit(3).kind(), "fail");
/// assert_eq!(PingOutcome::Exit(3).exit_status(), Some(3));
/// assert!(PingOutcome::Fail.is_failure());
/// assert!(!PingOutcome::Exit(0).is_failure());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PingOutcome {
    /// `/ping/<name>`: the job succeeded, or the pinger is alive.
    Success,
    /// `/start`: a run of the job began.
    Start,
    /// `/log`: a run goes on (a beat in a run).
    Log,
    /// `/fail`: the job failed, without an exit status.
    Fail,
    /// `/<status>`: the job ended with this exit status; 0 is a success.
    Exit(u8),
}

impl PingOutcome {
    /// The kind of ping, as `spec/http.md` §5.4 names it (`last_ping`): `success`
    /// (also exit status 0), `start`, `log` or `fail` (also a non-zero exit status).
    pub const fn kind(self) -> &'static str {
        match self {
            PingOutcome::Success | PingOutcome::Exit(0) => "success",
            PingOutcome::Start => "start",
            PingOutcome::Log => "log",
            PingOutcome::Fail | PingOutcome::Exit(_) => "fail",
        }
    }

    /// The exit status it carried, if it was one (`/0` to `/255`).
    pub const fn exit_status(self) -> Option<u8> {
        match self {
            PingOutcome::Exit(status) => Some(status),
            _ => None,
        }
    }

    /// Whether it reports a failure: `/fail` or a non-zero exit status.
    pub const fn is_failure(self) -> bool {
        matches!(self, PingOutcome::Fail | PingOutcome::Exit(1..))
    }

    /// The outcome of a kind and an exit status as [`kind`](Self::kind) and
    /// [`exit_status`](Self::exit_status) give them; `None` for a pair no outcome gives.
    pub fn from_parts(kind: &str, exit_status: Option<u8>) -> Option<PingOutcome> {
        Some(match (kind, exit_status) {
            ("success", None) => PingOutcome::Success,
            ("start", None) => PingOutcome::Start,
            ("log", None) => PingOutcome::Log,
            ("fail", None) => PingOutcome::Fail,
            ("success", Some(0)) => PingOutcome::Exit(0),
            ("fail", Some(status @ 1..)) => PingOutcome::Exit(status),
            _ => return None,
        })
    }
}

impl fmt::Display for PingOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PingOutcome::Exit(status) => write!(f, "exit {status}"),
            other => f.write_str(other.kind()),
        }
    }
}

/// The run id of a ping (`?rid=`), which pairs a run's start with its end: 1 to
/// [`MAX_RUN_ID_LEN`] bytes of visible ASCII (`!` to `~`). A longer one is refused, not
/// cut: two ids that differ after the cut would pair runs that are not one, and the
/// sender learns at once that its id is not kept. Control characters and spaces are
/// refused because the id is shown in tables and logs.
///
/// ```
/// use heartwire_liveness::{RunId, RunIdError};
///
/// let rid = RunId::new("019ab0e2-7c41-7d2e-8f1a-0b9c8d7e6f5a")?;
/// assert_eq!(rid.as_str().len(), 36);
/// assert_eq!(RunId::new(&"x".repeat(65)), Err(RunIdError::TooLong { len: 65 }));
/// assert_eq!(RunId::new("a\nb"), Err(RunIdError::InvalidByte { offset: 1, byte: b'\n' }));
/// # Ok::<(), RunIdError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RunId(Box<str>);

impl RunId {
    /// The run id `text`, if it is one.
    pub fn new(text: &str) -> Result<RunId, RunIdError> {
        if text.is_empty() {
            return Err(RunIdError::Empty);
        }
        if text.len() > MAX_RUN_ID_LEN {
            return Err(RunIdError::TooLong { len: text.len() });
        }
        if let Some(offset) = text.bytes().position(|b| !b.is_ascii_graphic()) {
            return Err(RunIdError::InvalidByte {
                offset,
                byte: text.as_bytes()[offset],
            });
        }
        Ok(RunId(text.into()))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for RunId {
    type Err = RunIdError;

    fn from_str(text: &str) -> Result<RunId, RunIdError> {
        RunId::new(text)
    }
}

impl AsRef<str> for RunId {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Display for RunId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a text is no [`RunId`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RunIdError {
    /// The text is empty.
    Empty,
    /// Longer than [`MAX_RUN_ID_LEN`] bytes.
    TooLong {
        /// Its length in bytes.
        len: usize,
    },
    /// A byte that is not visible ASCII (a control character, a space, or part of a
    /// non-ASCII character).
    InvalidByte {
        /// Where, in bytes from the start.
        offset: usize,
        /// The byte.
        byte: u8,
    },
}

impl fmt::Display for RunIdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RunIdError::Empty => f.write_str("empty run id"),
            RunIdError::TooLong { len } => {
                write!(
                    f,
                    "run id of {len} bytes, expected at most {MAX_RUN_ID_LEN}"
                )
            }
            RunIdError::InvalidByte { offset, byte } => write!(
                f,
                "byte 0x{byte:02x} at offset {offset} of the run id, expected visible ASCII (! to ~)"
            ),
        }
    }
}

impl std::error::Error for RunIdError {}

/// A ping process as a monitor knows it besides its state ([`ProcessView::ping`]):
/// its schedule and what its last ping said.
///
/// [`ProcessView::ping`]: crate::ProcessView::ping
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct PingView<'a> {
    /// When pings are expected: a rate or a cron schedule.
    pub schedule: &'a PingSchedule,
    /// Where interval rates count from (the epoch unless registered otherwise).
    pub anchor: UnixTime,
    /// How long after a fire time a ping may arrive before the process is late.
    pub grace: Duration,
    /// What the last accepted ping said; `None` before the first.
    pub last_ping: Option<PingOutcome>,
    /// The run id of the last accepted ping, if it had one.
    pub rid: Option<&'a RunId>,
}

/// A ping process's schedule.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PingPlan {
    pub(crate) schedule: PingSchedule,
    /// Where the interval rates count from, in nanoseconds since the epoch (0: the
    /// epoch, so `Minutes(5)` fires when the minute is divisible by 5).
    pub(crate) anchor: u64,
    /// At most [`MAX_PING_GRACE`], in nanoseconds.
    pub(crate) grace: u64,
    /// 1 to [`MAX_PING_MISSED`].
    pub(crate) missed: u32,
}

impl PingPlan {
    /// `grace` after the `k`-th fire time after `last`, in constant time whatever `k`.
    /// A cron schedule's `k`-th fire time is found one fire time after the other: `k` is
    /// 1 but for the dead deadline, computed once a process is late.
    pub(crate) fn due(&self, last: u64, k: u32) -> Option<u64> {
        let fire = match &self.schedule {
            PingSchedule::Rate(rate) => nth_fire_time(*rate, unix(last), unix(self.anchor), k)?,
            PingSchedule::Cron(cron) => cron
                .fire_times(unix(last))
                .nth(k.max(1) as usize - 1)
                .filter(|t| t.secs() <= LAST_FIRE_TIME.secs())?,
        };
        Some(nanos(fire).saturating_add(self.grace))
    }
}

/// What a monitor keeps of a ping process: in a map beside the slots, so that the
/// processes of other sources pay nothing for it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PingProcess {
    pub(crate) plan: PingPlan,
    pub(crate) last: Option<PingOutcome>,
    pub(crate) rid: Option<RunId>,
}

impl PingProcess {
    pub(crate) fn view(&self) -> PingView<'_> {
        PingView {
            schedule: &self.plan.schedule,
            anchor: unix(self.plan.anchor),
            grace: Duration::from_nanos(self.plan.grace),
            last_ping: self.last,
            rid: self.rid.as_ref(),
        }
    }

    /// The bytes it holds on the heap.
    pub(crate) fn heap_bytes(&self) -> usize {
        let cron = self.plan.schedule.as_cron().map_or(0, |c| {
            size_of::<Cron>() + c.expression().len() + c.time_zone().len()
        });
        self.rid.as_ref().map_or(0, |r| r.as_str().len()) + cron
    }
}

/// The `k`-th fire time of `rate` strictly after `after` (the first for `k` 0 or 1),
/// interval rates counted from `anchor`. The fire times of every rate but `Single`
/// repeat with a period (the interval, a day, a week of 5 or 6 fire days), so the
/// `k`-th is one of the first period's moved by whole periods: at most 6 steps, not `k`.
pub(crate) fn nth_fire_time(
    rate: Rate,
    after: UnixTime,
    anchor: UnixTime,
    k: u32,
) -> Option<UnixTime> {
    const DAY: i64 = 86_400;
    let (period, per_period): (i64, u32) = match rate {
        Rate::Single { .. } if k <= 1 => return rate.next_after_anchored(after, anchor),
        Rate::Single { .. } => return None,
        Rate::Minutes(n) => (i64::from(n.get()) * 60, 1),
        Rate::Hours(n) => (i64::from(n.get()) * 3_600, 1),
        Rate::Days(n) => (i64::from(n.get()) * DAY, 1),
        Rate::Daily { .. } => (DAY, 1),
        Rate::Weekdays { .. } => (7 * DAY, 5),
        Rate::WeekdaysAndSaturday { .. } => (7 * DAY, 6),
    };
    let k = k.max(1) - 1;
    let first = rate
        .fire_times_anchored(after, anchor)
        .nth((k % per_period) as usize)?;
    let secs = first
        .secs()
        .checked_add(i64::from(k / per_period).checked_mul(period)?)?;
    (secs <= LAST_FIRE_TIME.secs()).then(|| UnixTime::new(secs, 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_nth_fire_time_is_the_nth_of_the_series() {
        let rates = [
            "Minutes(1)",
            "Minutes(7)",
            "Hours(5)",
            "Days(3)",
            "Daily(9,0)",
            "Weekdays(17,30)",
            "WeekdaysAndSaturday(0,0)",
            "Single(2024,3,1,12,0)",
        ];
        let afters = [
            UnixTime::new(1_709_290_000, 0),
            UnixTime::new(1_709_337_600, 0),
            UnixTime::new(1_709_596_799, 999_999_999),
            UnixTime::new(-86_400 * 3, 0),
        ];
        let anchors = [UnixTime::EPOCH, UnixTime::new(15 * 60 + 42, 0)];
        for rate in rates {
            let rate: Rate = rate.parse().expect(rate);
            for after in afters {
                for anchor in anchors {
                    let series: Vec<UnixTime> =
                        rate.fire_times_anchored(after, anchor).take(40).collect();
                    for k in 1..=40u32 {
                        assert_eq!(
                            nth_fire_time(rate, after, anchor, k),
                            series.get(k as usize - 1).copied(),
                            "{rate} after {after:?} from {anchor:?}, k = {k}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn the_nth_fire_time_ends_with_the_series() {
        let rate: Rate = "Weekdays(23,59)".parse().expect("a rate");
        let late = UnixTime::new(253_402_000_000, 0);
        let left = rate.fire_times(late).count() as u32;
        assert!(left > 0);
        assert!(nth_fire_time(rate, late, UnixTime::EPOCH, left).is_some());
        assert_eq!(nth_fire_time(rate, late, UnixTime::EPOCH, left + 1), None);
        assert_eq!(
            nth_fire_time(rate, UnixTime::EPOCH, UnixTime::EPOCH, u32::MAX),
            None
        );
        let minutes: Rate = "Minutes(1)".parse().expect("a rate");
        assert_eq!(
            nth_fire_time(minutes, UnixTime::EPOCH, UnixTime::EPOCH, 1_000_000),
            Some(UnixTime::new(60_000_000, 0))
        );
        // 2^32 − 1 minutes after 1970 is past 9999.
        assert_eq!(
            nth_fire_time(minutes, UnixTime::EPOCH, UnixTime::EPOCH, u32::MAX),
            None
        );
    }

    #[test]
    fn outcomes_by_their_parts() {
        for outcome in [
            PingOutcome::Success,
            PingOutcome::Start,
            PingOutcome::Log,
            PingOutcome::Fail,
            PingOutcome::Exit(0),
            PingOutcome::Exit(1),
            PingOutcome::Exit(255),
        ] {
            assert_eq!(
                PingOutcome::from_parts(outcome.kind(), outcome.exit_status()),
                Some(outcome)
            );
        }
        for (kind, status) in [
            ("start", Some(0)),
            ("log", Some(3)),
            ("success", Some(3)),
            ("fail", Some(0)),
            ("exit", None),
        ] {
            assert_eq!(PingOutcome::from_parts(kind, status), None, "{kind}");
        }
    }
}
