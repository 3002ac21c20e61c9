//! The delay between connection attempts (`spec/transports.md` §1.5).

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::time::Duration;

/// Delays between connection attempts: the ceiling doubles from [`Backoff::FIRST`] to
/// [`Backoff::MAX`] (one second, the most the spec allows), and each delay is drawn
/// between half the ceiling and the ceiling ("equal jitter"), so that a fleet of
/// monitors that lost the broker at the same instant spreads its attempts out.
///
/// ```
/// use heartwire_broker::Backoff;
///
/// let mut backoff = Backoff::new();
/// for _ in 0..20 {
///     let delay = backoff.next_delay();
///     assert!(delay <= Backoff::MAX && delay >= Backoff::FIRST / 2);
/// }
/// backoff.reset(); // after a connection that worked
/// ```
#[derive(Debug, Clone, Default)]
pub struct Backoff {
    attempt: u32,
}

impl Backoff {
    /// The ceiling of the first delay.
    pub const FIRST: Duration = Duration::from_millis(100);

    /// The longest delay: one second.
    pub const MAX: Duration = Duration::from_secs(1);

    /// A backoff before its first attempt.
    pub const fn new() -> Backoff {
        Backoff { attempt: 0 }
    }

    /// The delay before the next attempt.
    pub fn next_delay(&mut self) -> Duration {
        let delay = Backoff::delay(self.attempt);
        self.attempt = self.attempt.saturating_add(1);
        delay
    }

    /// Starts again from the shortest delay (after a connection that worked).
    pub fn reset(&mut self) {
        self.attempt = 0;
    }

    /// After a connection that was up for `lasted` and ended: one that lasted at least
    /// [`Backoff::MAX`] starts the delays over (`None`: connect again at once), one that
    /// failed at once (a server that takes the subscription and closes it) waits like a
    /// failed attempt, so that a broker refusing every session is not hammered.
    pub fn after_connection(&mut self, lasted: Duration) -> Option<Duration> {
        if lasted >= Backoff::MAX {
            self.reset();
            None
        } else {
            Some(self.next_delay())
        }
    }

    /// The delay before attempt `attempt` (0 for the first retry), with fresh jitter: a
    /// function for client libraries that count the attempts themselves (async-nats's
    /// `reconnect_delay_callback`).
    pub fn delay(attempt: u32) -> Duration {
        let ceiling = Backoff::FIRST
            .saturating_mul(1u32 << attempt.min(4))
            .min(Backoff::MAX);
        let half = ceiling / 2;
        // std's RandomState is seeded per instance: a jitter source without a dependency.
        let draw = RandomState::new().hash_one(attempt);
        let span = u64::try_from(half.as_micros()).unwrap_or(u64::MAX).max(1);
        half + Duration::from_micros(draw % (span + 1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_to_one_second_and_never_beyond() {
        let mut backoff = Backoff::new();
        let delays: Vec<Duration> = (0..50).map(|_| backoff.next_delay()).collect();
        assert!(delays.iter().all(|d| *d <= Backoff::MAX), "{delays:?}");
        assert!(delays[0] <= Backoff::FIRST && delays[0] >= Backoff::FIRST / 2);
        // From the fifth attempt on, the ceiling is the maximum: half a second at least.
        assert!(
            delays[5..].iter().all(|d| *d >= Backoff::MAX / 2),
            "{delays:?}"
        );
        backoff.reset();
        assert!(backoff.next_delay() <= Backoff::FIRST);
    }

    #[test]
    fn a_connection_that_lasted_starts_over_and_one_that_did_not_waits() {
        let mut backoff = Backoff::new();
        for _ in 0..6 {
            backoff.next_delay();
        }
        let pause = backoff.after_connection(Duration::from_millis(10));
        assert!(pause.is_some_and(|p| p >= Backoff::MAX / 2), "{pause:?}");
        assert_eq!(backoff.after_connection(Duration::from_secs(5)), None);
        assert!(backoff.next_delay() <= Backoff::FIRST);
    }

    #[test]
    fn delays_are_jittered() {
        let draws: std::collections::HashSet<Duration> =
            (0..64).map(|_| Backoff::delay(10)).collect();
        assert!(draws.len() > 8, "{draws:?}");
    }
}
