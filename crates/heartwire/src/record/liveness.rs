//! How a monitor judges a service from its last record: [`Liveness`] and [`classify`]
//! (`spec/record.md` §10).

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use super::Record;
use crate::time::UnixTime;

/// The seed's `HEARTBEAT_INTERVAL`: a record every 60 seconds.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(60);

/// How far in the future a record's timestamp may be and still count as sent now
/// (`spec/record.md` §10.2): 5 seconds.
///
/// Hosts that synchronise their clocks agree to within milliseconds; 5 seconds covers
/// one that has drifted a little, and a clock further off than that is an error worth
/// seeing ([`Liveness::Skewed`]) rather than a service that looks alive for longer.
pub const MAX_CLOCK_SKEW: Duration = Duration::from_secs(5);

/// A monitor's verdict on a service, from the age of its last record.
///
/// ```
/// use std::time::Duration;
/// use heartwire::record::{DEFAULT_INTERVAL, Liveness, classify_at};
/// use heartwire::time::Timestamp;
///
/// let sent = Timestamp::parse("2025-01-16T08:30:00.123456+00:00")?.unix_time();
/// let at = |secs: i64| sent.checked_add_secs(secs).expect("in range");
/// assert_eq!(classify_at(sent, at(89), DEFAULT_INTERVAL), Liveness::Alive);
/// assert_eq!(classify_at(sent, at(90), DEFAULT_INTERVAL), Liveness::Stale);
/// assert_eq!(classify_at(sent, at(180), DEFAULT_INTERVAL), Liveness::Dead);
/// // The publisher's clock is ahead: a little is forgiven, more is a verdict of its own.
/// assert_eq!(classify_at(sent, at(-5), DEFAULT_INTERVAL), Liveness::Alive);
/// assert_eq!(classify_at(sent, at(-6), DEFAULT_INTERVAL), Liveness::Skewed);
/// # Ok::<(), heartwire::time::TimestampError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Liveness {
    /// The record is younger than 1.5 intervals: the service is alive.
    Alive,
    /// The record is at least 1.5 and under 3 intervals old: a record or two went
    /// missing.
    Stale,
    /// The record is 3 intervals old or older: the service is presumed dead.
    Dead,
    /// The record's timestamp is more than [`MAX_CLOCK_SKEW`] in the future: the
    /// publisher's clock or the monitor's is wrong, so the age means nothing.
    Skewed,
}

impl Liveness {
    /// The verdict's name in vectors and in the seed's admin panel: `alive`, `stale`,
    /// `dead`, `skewed`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Liveness::Alive => "alive",
            Liveness::Stale => "stale",
            Liveness::Dead => "dead",
            Liveness::Skewed => "skewed",
        }
    }
}

impl fmt::Display for Liveness {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A verdict name that is not one of `alive`, `stale`, `dead`, `skewed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct UnknownLiveness;

impl fmt::Display for UnknownLiveness {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("expected \"alive\", \"stale\", \"dead\" or \"skewed\"")
    }
}

impl std::error::Error for UnknownLiveness {}

impl FromStr for Liveness {
    type Err = UnknownLiveness;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "alive" => Ok(Liveness::Alive),
            "stale" => Ok(Liveness::Stale),
            "dead" => Ok(Liveness::Dead),
            "skewed" => Ok(Liveness::Skewed),
            _ => Err(UnknownLiveness),
        }
    }
}

/// The verdict on a service whose last record is `record`, at `now`, for a publisher
/// that sends a record every `interval` ([`DEFAULT_INTERVAL`] for the seed's).
pub fn classify(record: &Record<'_>, now: UnixTime, interval: Duration) -> Liveness {
    classify_at(record.timestamp().unix_time(), now, interval)
}

/// The verdict on a record sent at `sent` (its timestamp), at `now`.
///
/// Exact to the nanosecond, in integers: alive while `age < 1.5 × interval`, stale while
/// `age < 3 × interval`, dead after. A timestamp up to [`MAX_CLOCK_SKEW`] ahead of `now`
/// counts as age zero; further ahead, the verdict is [`Liveness::Skewed`]. With a zero
/// interval every record is dead.
pub fn classify_at(sent: UnixTime, now: UnixTime, interval: Duration) -> Liveness {
    let age = now.as_nanos() - sent.as_nanos();
    let age = if age >= 0 {
        age.unsigned_abs()
    } else if age.unsigned_abs() <= MAX_CLOCK_SKEW.as_nanos() {
        0
    } else {
        return Liveness::Skewed;
    };
    let interval = interval.as_nanos();
    // Twice the age against three times the interval: 1.5 intervals without fractions.
    // Ages (from instants within ±2^63 s) and intervals are under 2^95 ns, so nothing
    // here overflows a u128.
    if age * 2 < interval * 3 {
        Liveness::Alive
    } else if age < interval * 3 {
        Liveness::Stale
    } else {
        Liveness::Dead
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64, nanos: u32) -> UnixTime {
        UnixTime::new(1_737_016_200 + secs, nanos)
    }

    #[test]
    fn boundaries_are_exact() {
        let sent = at(0, 0);
        let v = |now: UnixTime| classify_at(sent, now, DEFAULT_INTERVAL);
        assert_eq!(v(at(0, 0)), Liveness::Alive);
        assert_eq!(v(at(89, 999_999_999)), Liveness::Alive);
        assert_eq!(v(at(90, 0)), Liveness::Stale);
        assert_eq!(v(at(179, 999_999_999)), Liveness::Stale);
        assert_eq!(v(at(180, 0)), Liveness::Dead);
        assert_eq!(v(at(-5, 0)), Liveness::Alive);
        assert_eq!(v(at(-6, 999_999_999)), Liveness::Skewed);
        assert_eq!(v(at(-5, 999_999_999)), Liveness::Alive);
        // 5 s and 1 ns ahead.
        assert_eq!(
            v(UnixTime::new(at(0, 0).secs() - 6, 999_999_999)),
            Liveness::Skewed
        );
    }

    #[test]
    fn odd_intervals() {
        let sent = at(0, 0);
        assert_eq!(classify_at(sent, sent, Duration::ZERO), Liveness::Dead);
        assert_eq!(classify_at(sent, at(1, 0), Duration::MAX), Liveness::Alive);
        // 1.5 × 1 ns is 1.5 ns: 1 ns is alive, 2 ns stale, 3 ns dead.
        let ns = Duration::from_nanos(1);
        assert_eq!(classify_at(sent, at(0, 1), ns), Liveness::Alive);
        assert_eq!(classify_at(sent, at(0, 2), ns), Liveness::Stale);
        assert_eq!(classify_at(sent, at(0, 3), ns), Liveness::Dead);
        let far = UnixTime::new(-62_135_596_800, 0);
        let late = UnixTime::new(253_402_300_799, 999_999_999);
        assert_eq!(classify_at(far, late, Duration::MAX), Liveness::Alive);
        assert_eq!(classify_at(late, far, Duration::MAX), Liveness::Skewed);
        assert_eq!("skewed".parse(), Ok(Liveness::Skewed));
    }
}
