//! Instants and durations as the `u64` nanoseconds the monitor keeps.

use std::time::Duration;

use heartwire::time::UnixTime;

pub(super) const NANOS_PER_SEC: u64 = 1_000_000_000;

/// An instant as nanoseconds since the Unix epoch; earlier instants are the epoch.
pub(crate) fn nanos(t: UnixTime) -> u64 {
    u64::try_from(t.as_nanos().max(0)).unwrap_or(u64::MAX)
}

/// The instant of nanoseconds since the Unix epoch.
pub(crate) fn unix(n: u64) -> UnixTime {
    // n / 10^9 < 2^35: no wrap.
    UnixTime::new((n / NANOS_PER_SEC) as i64, (n % NANOS_PER_SEC) as u32)
}

pub(super) fn duration_nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}
