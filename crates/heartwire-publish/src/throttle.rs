//! beatit's throttle: when a `beat` or a `degraded` may be sent again.

use std::time::Duration;

use heartwire::text::SignalKind;

/// beatit's `max_frequency`: the shortest time between two sent `beat`s, and between
/// two sent `degraded`s.
pub const DEFAULT_MAX_FREQUENCY: Duration = Duration::from_secs(1);

/// beatit's throttle, on its own: when `beat` and `degraded` may be sent again.
///
/// Each throttled kind has its own last-sent time, as in beatit. A signal is admitted
/// when at least `max_frequency` has passed since the last one of its kind was sent (or
/// none was); only a publish that succeeded counts as sent, so a failed `beat` can be
/// retried at once. (beatit records the time before publishing; with a publisher that
/// never fails, both behave the same.)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Throttle {
    max_frequency: Duration,
    last_beat: Option<Duration>,
    last_degraded: Option<Duration>,
}

impl Throttle {
    /// A throttle that lets a signal of each kind through at most once per
    /// `max_frequency`.
    pub const fn new(max_frequency: Duration) -> Self {
        Throttle {
            max_frequency,
            last_beat: None,
            last_degraded: None,
        }
    }

    fn last(&mut self, kind: SignalKind) -> Option<&mut Option<Duration>> {
        match kind {
            SignalKind::Beat => Some(&mut self.last_beat),
            SignalKind::Degraded => Some(&mut self.last_degraded),
            SignalKind::Start | SignalKind::Stop => None,
        }
    }

    /// Whether a signal of `kind` may be sent at `now`.
    pub fn admits(&mut self, kind: SignalKind, now: Duration) -> bool {
        let max_frequency = self.max_frequency;
        match self.last(kind) {
            Some(Some(last)) => now.saturating_sub(*last) >= max_frequency,
            Some(None) | None => true,
        }
    }

    /// Records that a signal of `kind` was sent at `now`.
    pub fn record(&mut self, kind: SignalKind, now: Duration) {
        if let Some(last) = self.last(kind) {
            *last = Some(now);
        }
    }
}

impl Default for Throttle {
    fn default() -> Self {
        Throttle::new(DEFAULT_MAX_FREQUENCY)
    }
}
