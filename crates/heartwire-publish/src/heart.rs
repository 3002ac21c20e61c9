//! The publishing side of the text convention: beatit's `Heart`, in Rust.
//!
//! A [`Heart`] (blocking) or [`AsyncHeart`] sends `start`, `beat`, `degraded` and `stop`
//! for one process through a publisher the caller provides ([`Publish`] or
//! [`AsyncPublish`]), with beatit's [`Throttle`]: a `beat` or `degraded` sent less than
//! [`DEFAULT_MAX_FREQUENCY`] after the last one *of the same kind* is dropped; `start`
//! and `stop` are never dropped. The clock is a parameter ([`Clock`]), so the throttle is
//! tested with a [`ManualClock`](crate::clock::ManualClock) instead of sleeping. Liveness
//! records, whose channels are not subjects, go through
//! [`PublishRecord`](crate::PublishRecord) or
//! [`AsyncPublishRecord`](crate::AsyncPublishRecord) instead.
//!
//! ```
//! use heartwire::text::{Process, Seconds, Subject};
//! use heartwire_publish::Publish;
//! use heartwire_publish::clock::ManualClock;
//! use heartwire_publish::heart::{Heart, Outcome};
//! use std::time::Duration;
//!
//! /// Collects what would go to a broker.
//! #[derive(Default)]
//! struct Log(Vec<String>);
//!
//! impl Publish for Log {
//!     type Error = std::convert::Infallible;
//!     fn publish(&mut self, subject: &Subject<'_>, payload: &[u8]) -> Result<(), Self::Error> {
//!         self.0.push(format!("{subject} {}", String::from_utf8_lossy(payload)));
//!         Ok(())
//!     }
//! }
//!
//! let clock = ManualClock::new();
//! let name = Process::new("my.process.identifier").unwrap();
//! let mut heart = Heart::with_clock(&name, Log::default(), clock.clone());
//! let five = Seconds::from_secs(5).unwrap();
//!
//! heart.start(Seconds::from_secs(60).unwrap())?;
//! assert_eq!(heart.beat(five)?, Outcome::Published);
//! assert_eq!(heart.beat(five)?, Outcome::Throttled);
//! assert_eq!(heart.degraded(five)?, Outcome::Published); // throttled separately
//! clock.advance(Duration::from_secs(1));
//! assert_eq!(heart.beat(five)?, Outcome::Published);
//! heart.stop()?;
//!
//! assert_eq!(heart.publisher().0, [
//!     "heartbeat.my.process.identifier start/60",
//!     "heartbeat.my.process.identifier beat/5",
//!     "heartbeat.my.process.identifier degraded/5",
//!     "heartbeat.my.process.identifier beat/5",
//!     "heartbeat.my.process.identifier stop",
//! ]);
//! # Ok::<(), std::convert::Infallible>(())
//! ```

use std::time::Duration;

use heartwire::text::{MAX_PAYLOAD_LEN, Process, Seconds, Signal, Subject};

use crate::clock::{Clock, MonotonicClock};
use crate::contract::{AsyncPublish, Publish};
#[cfg(doc)]
use crate::throttle::DEFAULT_MAX_FREQUENCY;
use crate::throttle::Throttle;

/// What a call on a heart did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// The signal was handed to the publisher.
    Published,
    /// The signal was dropped by the throttle; nothing was published.
    Throttled,
}

/// What both hearts share: the subject, the throttle, the clock and a payload buffer
/// reused for every signal, so a beat allocates nothing.
#[derive(Debug)]
struct Rhythm<C> {
    subject: Subject<'static>,
    throttle: Throttle,
    clock: C,
    payload: Vec<u8>,
}

impl<C: Clock> Rhythm<C> {
    fn new(process: &Process<'_>, clock: C) -> Self {
        Rhythm {
            subject: process.subject(),
            throttle: Throttle::default(),
            clock,
            payload: Vec::with_capacity(MAX_PAYLOAD_LEN),
        }
    }

    /// The time of this signal when the throttle admits it, with its payload encoded.
    fn admit(&mut self, signal: Signal) -> Option<Duration> {
        let now = self.clock.now();
        if !self.throttle.admits(signal.kind(), now) {
            return None;
        }
        self.payload.clear();
        signal.encode(&mut self.payload);
        Some(now)
    }
}

/// beatit's `Heart` over a blocking [`Publish`]er; see the [module docs](self).
#[derive(Debug)]
pub struct Heart<P, C = MonotonicClock> {
    rhythm: Rhythm<C>,
    publisher: P,
}

impl<P: Publish> Heart<P> {
    /// A heart for `process` on the real clock.
    pub fn new(process: &Process<'_>, publisher: P) -> Self {
        Heart::with_clock(process, publisher, MonotonicClock::new())
    }
}

impl<P: Publish, C: Clock> Heart<P, C> {
    /// A heart for `process` on `clock`.
    pub fn with_clock(process: &Process<'_>, publisher: P, clock: C) -> Self {
        Heart {
            rhythm: Rhythm::new(process, clock),
            publisher,
        }
    }

    /// Replaces the throttle's interval ([`DEFAULT_MAX_FREQUENCY`] by default).
    #[must_use]
    pub fn max_frequency(mut self, max_frequency: Duration) -> Self {
        self.rhythm.throttle = Throttle::new(max_frequency);
        self
    }

    /// Sends `start/<warmup>`; never throttled.
    pub fn start(&mut self, warmup: Seconds) -> Result<Outcome, P::Error> {
        self.send(Signal::Start { warmup })
    }

    /// Sends `beat/<period>` unless a beat was sent within the throttle interval.
    pub fn beat(&mut self, period: Seconds) -> Result<Outcome, P::Error> {
        self.send(Signal::Beat { period })
    }

    /// Sends `degraded/<period>` unless a degraded was sent within the throttle interval.
    pub fn degraded(&mut self, period: Seconds) -> Result<Outcome, P::Error> {
        self.send(Signal::Degraded { period })
    }

    /// Sends `stop`; never throttled.
    pub fn stop(&mut self) -> Result<Outcome, P::Error> {
        self.send(Signal::Stop)
    }

    /// Sends any signal through the throttle.
    pub fn send(&mut self, signal: Signal) -> Result<Outcome, P::Error> {
        let Some(now) = self.rhythm.admit(signal) else {
            return Ok(Outcome::Throttled);
        };
        self.publisher
            .publish(&self.rhythm.subject, &self.rhythm.payload)?;
        self.rhythm.throttle.record(signal.kind(), now);
        Ok(Outcome::Published)
    }

    /// The subject this heart publishes on.
    pub fn subject(&self) -> &Subject<'static> {
        &self.rhythm.subject
    }

    /// The publisher.
    pub fn publisher(&self) -> &P {
        &self.publisher
    }

    /// The publisher, mutably.
    pub fn publisher_mut(&mut self) -> &mut P {
        &mut self.publisher
    }

    /// The publisher, giving up the heart.
    pub fn into_publisher(self) -> P {
        self.publisher
    }
}

/// beatit's `Heart` over an [`AsyncPublish`]er: the same rules as [`Heart`], awaited.
#[derive(Debug)]
pub struct AsyncHeart<P, C = MonotonicClock> {
    rhythm: Rhythm<C>,
    publisher: P,
}

impl<P: AsyncPublish> AsyncHeart<P> {
    /// A heart for `process` on the real clock.
    pub fn new(process: &Process<'_>, publisher: P) -> Self {
        AsyncHeart::with_clock(process, publisher, MonotonicClock::new())
    }
}

impl<P: AsyncPublish, C: Clock> AsyncHeart<P, C> {
    /// A heart for `process` on `clock`.
    pub fn with_clock(process: &Process<'_>, publisher: P, clock: C) -> Self {
        AsyncHeart {
            rhythm: Rhythm::new(process, clock),
            publisher,
        }
    }

    /// Replaces the throttle's interval ([`DEFAULT_MAX_FREQUENCY`] by default).
    #[must_use]
    pub fn max_frequency(mut self, max_frequency: Duration) -> Self {
        self.rhythm.throttle = Throttle::new(max_frequency);
        self
    }

    /// Sends `start/<warmup>`; never throttled.
    pub async fn start(&mut self, warmup: Seconds) -> Result<Outcome, P::Error> {
        self.send(Signal::Start { warmup }).await
    }

    /// Sends `beat/<period>` unless a beat was sent within the throttle interval.
    pub async fn beat(&mut self, period: Seconds) -> Result<Outcome, P::Error> {
        self.send(Signal::Beat { period }).await
    }

    /// Sends `degraded/<period>` unless a degraded was sent within the throttle interval.
    pub async fn degraded(&mut self, period: Seconds) -> Result<Outcome, P::Error> {
        self.send(Signal::Degraded { period }).await
    }

    /// Sends `stop`; never throttled.
    pub async fn stop(&mut self) -> Result<Outcome, P::Error> {
        self.send(Signal::Stop).await
    }

    /// Sends any signal through the throttle.
    pub async fn send(&mut self, signal: Signal) -> Result<Outcome, P::Error> {
        let Some(now) = self.rhythm.admit(signal) else {
            return Ok(Outcome::Throttled);
        };
        self.publisher
            .publish(&self.rhythm.subject, &self.rhythm.payload)
            .await?;
        self.rhythm.throttle.record(signal.kind(), now);
        Ok(Outcome::Published)
    }

    /// The subject this heart publishes on.
    pub fn subject(&self) -> &Subject<'static> {
        &self.rhythm.subject
    }

    /// The publisher.
    pub fn publisher(&self) -> &P {
        &self.publisher
    }

    /// The publisher, mutably.
    pub fn publisher_mut(&mut self) -> &mut P {
        &mut self.publisher
    }

    /// The publisher, giving up the heart.
    pub fn into_publisher(self) -> P {
        self.publisher
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    #[derive(Default)]
    struct Flaky {
        fail_next: bool,
        sent: Vec<Vec<u8>>,
    }

    impl Publish for Flaky {
        type Error = &'static str;
        fn publish(&mut self, _: &Subject<'_>, payload: &[u8]) -> Result<(), Self::Error> {
            if std::mem::take(&mut self.fail_next) {
                return Err("broker down");
            }
            self.sent.push(payload.to_vec());
            Ok(())
        }
    }

    fn secs(n: u64) -> Seconds {
        Seconds::from_secs(n).unwrap_or(Seconds::MIN)
    }

    #[test]
    fn throttle_is_per_kind_and_measured_from_the_last_send() {
        let clock = ManualClock::new();
        let name = Process::new("p").unwrap_or_else(|e| panic!("{e}"));
        let mut heart = Heart::with_clock(&name, Flaky::default(), clock.clone());
        assert_eq!(heart.beat(secs(5)), Ok(Outcome::Published));
        clock.advance(Duration::from_millis(999));
        assert_eq!(heart.beat(secs(5)), Ok(Outcome::Throttled));
        assert_eq!(heart.degraded(secs(5)), Ok(Outcome::Published));
        assert_eq!(heart.start(secs(5)), Ok(Outcome::Published));
        assert_eq!(heart.start(secs(5)), Ok(Outcome::Published));
        clock.advance(Duration::from_millis(1));
        assert_eq!(heart.beat(secs(5)), Ok(Outcome::Published));
        assert_eq!(heart.stop(), Ok(Outcome::Published));
        assert_eq!(heart.stop(), Ok(Outcome::Published));
        let sent: Vec<_> = heart
            .publisher()
            .sent
            .iter()
            .map(|p| p.as_slice())
            .collect();
        let expected: [&[u8]; 7] = [
            b"beat/5",
            b"degraded/5",
            b"start/5",
            b"start/5",
            b"beat/5",
            b"stop",
            b"stop",
        ];
        assert_eq!(sent, expected);
    }

    #[test]
    fn a_failed_publish_does_not_use_up_the_throttle() {
        let clock = ManualClock::new();
        let name = Process::new("p").unwrap_or_else(|e| panic!("{e}"));
        let mut heart = Heart::with_clock(&name, Flaky::default(), clock);
        heart.publisher_mut().fail_next = true;
        assert_eq!(heart.beat(secs(5)), Err("broker down"));
        assert_eq!(heart.beat(secs(5)), Ok(Outcome::Published));
        assert_eq!(heart.beat(secs(5)), Ok(Outcome::Throttled));
    }

    #[test]
    fn custom_max_frequency() {
        let clock = ManualClock::new();
        let name = Process::new("p").unwrap_or_else(|e| panic!("{e}"));
        let mut heart = Heart::with_clock(&name, Flaky::default(), clock.clone())
            .max_frequency(Duration::from_secs(10));
        assert_eq!(heart.beat(secs(5)), Ok(Outcome::Published));
        clock.advance(Duration::from_secs(9));
        assert_eq!(heart.beat(secs(5)), Ok(Outcome::Throttled));
        clock.set(Duration::from_secs(10));
        assert_eq!(heart.beat(secs(5)), Ok(Outcome::Published));
    }
}
