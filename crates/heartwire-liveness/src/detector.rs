//! Failure detectors: how suspicious a silence is (`spec/liveness.md` §4).
//!
//! Every detector implements [`Detector`]: it is told the arrival times of heartbeats
//! and answers, for any later instant, a continuous [`suspicion`](Detector::suspicion),
//! a [`Verdict`], and the instant at which a verdict will be reached if nothing more
//! arrives, which is what lets the monitor keep every process in a deadline index.
//!
//! Instants are nanoseconds on the monitor's clock (any origin, the same for all calls).
//!
//! ```
//! use heartwire_liveness::detector::{Detector, PhiAccrual, PhiConfig, Verdict};
//!
//! const MS: u64 = 1_000_000;
//! let mut phi = PhiAccrual::new(PhiConfig::default());
//! for beat in 0..10 {
//!     phi.heartbeat(beat * 1000 * MS);
//! }
//! assert_eq!(phi.verdict(9_500 * MS), Verdict::Healthy);
//! // Akka's defaults: 3 s of acceptable pause, then a 100 ms standard deviation.
//! assert_eq!(phi.verdict(14_000 * MS), Verdict::Convicted);
//! let when = phi.reached_at(Verdict::Convicted).unwrap();
//! assert!(phi.suspicion(when) >= 8.0 && phi.suspicion(when - 1) < 8.0);
//! ```

use std::collections::VecDeque;
use std::f64::consts::{LN_10, SQRT_2};
use std::fmt;

use serde::{Deserialize, Serialize};

const NANOS_PER_MILLI: f64 = 1_000_000.0;

/// A detector's judgement of a silence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Nothing to worry about.
    Healthy,
    /// Overdue: the monitor's `late`.
    Suspect,
    /// Presumed crashed: the monitor's `dead`.
    Convicted,
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Verdict::Healthy => "healthy",
            Verdict::Suspect => "suspect",
            Verdict::Convicted => "convicted",
        })
    }
}

/// A failure detector for one process.
pub trait Detector {
    /// A heartbeat arrived at `at` (never earlier than the previous one).
    fn heartbeat(&mut self, at: u64);

    /// The arrival time of the last heartbeat, if any.
    fn last_heartbeat(&self) -> Option<u64>;

    /// How suspicious the silence is at `now`: 0 right after a heartbeat, growing with
    /// time. Its scale is the detector's (a fraction of the period, or phi).
    fn suspicion(&self, now: u64) -> f64;

    /// The verdict at `now`, if no heartbeat arrives meanwhile.
    fn verdict(&self, now: u64) -> Verdict;

    /// The first instant at which the verdict is at least `verdict` if no heartbeat
    /// arrives; `None` before the first heartbeat or when it is never reached.
    fn reached_at(&self, verdict: Verdict) -> Option<u64>;
}

/// How far past a declared duration a process becomes late and dead: factors in
/// thousandths, so that the rule is exact in integers.
///
/// The default is the seed's record rule, late at 1.5 and dead at 3 times the period
/// (`spec/liveness.md` §3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Tolerance {
    late: u32,
    dead: u32,
}

impl Tolerance {
    /// Late at 1.5 and dead at 3 periods: `record.md` §10.1's ratios.
    pub const SEED: Tolerance = Tolerance {
        late: 1500,
        dead: 3000,
    };

    /// Factors in thousandths (`1500` is 1.5 periods); `None` unless
    /// `0 < late <= dead`.
    pub const fn from_permille(late: u32, dead: u32) -> Option<Tolerance> {
        if late == 0 || late > dead {
            None
        } else {
            Some(Tolerance { late, dead })
        }
    }

    /// The late factor, in thousandths.
    pub const fn late_permille(self) -> u32 {
        self.late
    }

    /// The dead factor, in thousandths.
    pub const fn dead_permille(self) -> u32 {
        self.dead
    }

    /// `last + ceil(period × permille / 1000)`, saturating: the first instant `t` with
    /// `1000 × (t − last) >= permille × period`.
    pub(crate) fn after(last: u64, period: u64, permille: u32) -> u64 {
        // u64 when it fits (periods under 213 days at 86x): the division by a constant is
        // then a multiplication, where a u128 one is a call.
        let span = match period.checked_mul(u64::from(permille)) {
            Some(product) => product.div_ceil(1000),
            None => {
                let span = (u128::from(period) * u128::from(permille)).div_ceil(1000);
                u64::try_from(span).unwrap_or(u64::MAX)
            }
        };
        last.saturating_add(span)
    }
}

impl Default for Tolerance {
    fn default() -> Self {
        Tolerance::SEED
    }
}

/// The deadline detector: the process's own declared period, times a [`Tolerance`].
///
/// Suspicion is the silence in periods; suspect at the late factor, convicted at the dead
/// factor. Without a declared period it never suspects anybody.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Deadline {
    tolerance: Tolerance,
    period: u64,
    last: Option<u64>,
}

impl Deadline {
    /// A detector for a process that declares `period` nanoseconds.
    pub const fn new(tolerance: Tolerance, period: u64) -> Deadline {
        Deadline {
            tolerance,
            period,
            last: None,
        }
    }

    /// The same detector, as after a heartbeat at `last`.
    pub const fn at(tolerance: Tolerance, period: u64, last: u64) -> Deadline {
        Deadline {
            tolerance,
            period,
            last: Some(last),
        }
    }

    /// A new declared period (`beat/P` after `beat/Q`).
    pub fn declare(&mut self, period: u64) {
        self.period = period;
    }
}

impl Detector for Deadline {
    fn heartbeat(&mut self, at: u64) {
        self.last = Some(at);
    }

    fn last_heartbeat(&self) -> Option<u64> {
        self.last
    }

    fn suspicion(&self, now: u64) -> f64 {
        match self.last {
            Some(last) if self.period > 0 => now.saturating_sub(last) as f64 / self.period as f64,
            _ => 0.0,
        }
    }

    fn verdict(&self, now: u64) -> Verdict {
        match (
            self.reached_at(Verdict::Suspect),
            self.reached_at(Verdict::Convicted),
        ) {
            (_, Some(dead)) if now >= dead => Verdict::Convicted,
            (Some(late), _) if now >= late => Verdict::Suspect,
            _ => Verdict::Healthy,
        }
    }

    fn reached_at(&self, verdict: Verdict) -> Option<u64> {
        let last = self.last?;
        Some(match verdict {
            Verdict::Healthy => last,
            Verdict::Suspect => Tolerance::after(last, self.period, self.tolerance.late),
            Verdict::Convicted => Tolerance::after(last, self.period, self.tolerance.dead),
        })
    }
}

/// Which normal CDF the phi accrual detector uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Cdf {
    /// Akka's logistic approximation, `1 / (1 + exp(−y (1.5976 + 0.070566 y²)))`.
    #[default]
    Logistic,
    /// The exact normal CDF, `erfc(−y/√2) / 2`.
    Exact,
}

/// The settings of [`PhiAccrual`], with Akka's defaults.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PhiConfig {
    /// Phi at which a process is convicted (Akka's `threshold`, 8.0).
    pub threshold: f64,
    /// Phi at which a process is suspect, `late` (1.0: the beat was due with 90%
    /// probability).
    pub suspect: f64,
    /// How many intervals the history keeps (Akka's `max-sample-size`, 1000).
    pub max_sample_size: usize,
    /// The smallest standard deviation used, in nanoseconds (Akka's
    /// `min-std-deviation`, 100 ms).
    pub min_std_deviation: u64,
    /// Added to the mean interval, in nanoseconds (Akka's
    /// `acceptable-heartbeat-pause`, 3 s).
    pub acceptable_heartbeat_pause: u64,
    /// The interval assumed before any was measured, in nanoseconds (Akka's
    /// `heartbeat-interval` used as first estimate, 1 s).
    pub first_heartbeat_estimate: u64,
    /// Logistic (Akka's) or exact normal CDF.
    pub cdf: Cdf,
}

impl Default for PhiConfig {
    fn default() -> Self {
        PhiConfig {
            threshold: 8.0,
            suspect: 1.0,
            max_sample_size: 1000,
            min_std_deviation: 100_000_000,
            acceptable_heartbeat_pause: 3_000_000_000,
            first_heartbeat_estimate: 1_000_000_000,
            cdf: Cdf::Logistic,
        }
    }
}

/// The phi accrual failure detector (Hayashibara et al.), as Akka implements it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PhiAccrual {
    config: PhiConfig,
    history: VecDeque<u64>,
    #[serde(skip)]
    sum: u128,
    #[serde(skip)]
    squares: u128,
    last: Option<u64>,
}

impl PhiAccrual {
    /// A detector with no heartbeat yet; its history holds Akka's first estimate.
    pub fn new(config: PhiConfig) -> PhiAccrual {
        let mut detector = PhiAccrual {
            config,
            history: VecDeque::new(),
            sum: 0,
            squares: 0,
            last: None,
        };
        let mean = config.first_heartbeat_estimate;
        let deviation = mean / 4;
        detector.record(mean - deviation);
        detector.record(mean + deviation);
        detector
    }

    /// The settings.
    pub const fn config(&self) -> &PhiConfig {
        &self.config
    }

    /// The intervals in the history, oldest first, in nanoseconds.
    pub fn intervals(&self) -> impl ExactSizeIterator<Item = u64> + '_ {
        self.history.iter().copied()
    }

    fn record(&mut self, interval: u64) {
        if self.history.len() >= self.config.max_sample_size.max(1)
            && let Some(old) = self.history.pop_front()
        {
            self.sum -= u128::from(old);
            self.squares = self.squares.saturating_sub(square(old));
        }
        self.history.push_back(interval);
        self.sum += u128::from(interval);
        // Two intervals near 2^64 ns (585 years) would overflow it: only a snapshot
        // holds such, and a saturated sum gives a wide distribution, not a panic.
        self.squares = self.squares.saturating_add(square(interval));
    }

    /// Recomputes the running sums from the history (after deserializing).
    pub(crate) fn repair(&mut self) {
        let cap = self.config.max_sample_size.max(1);
        while self.history.len() > cap {
            self.history.pop_front();
        }
        self.sum = self.history.iter().map(|&i| u128::from(i)).sum();
        self.squares = self
            .history
            .iter()
            .fold(0u128, |sum, &i| sum.saturating_add(square(i)));
    }

    /// Moves the last arrival forward by `by`, never past `limit` (a monitor stall).
    pub(crate) fn shift(&mut self, by: u64, limit: u64) {
        if let Some(last) = &mut self.last {
            *last = last.saturating_add(by).min(limit).max(*last);
        }
    }

    /// The mean and standard deviation of the history, in milliseconds, with the
    /// acceptable pause added to the mean and the minimum deviation applied.
    fn distribution(&self) -> (f64, f64) {
        let n = self.history.len().max(1) as f64;
        let mean = self.sum as f64 / n / NANOS_PER_MILLI;
        let mean_square = self.squares as f64 / n / (NANOS_PER_MILLI * NANOS_PER_MILLI);
        let deviation = (mean_square - mean * mean).max(0.0).sqrt();
        let min = self.config.min_std_deviation as f64 / NANOS_PER_MILLI;
        let pause = self.config.acceptable_heartbeat_pause as f64 / NANOS_PER_MILLI;
        (mean + pause, deviation.max(min))
    }

    fn phi_at(&self, now: u64) -> f64 {
        match self.last {
            None => 0.0,
            Some(last) => {
                let (mean, deviation) = self.distribution();
                let elapsed = now.saturating_sub(last) as f64 / NANOS_PER_MILLI;
                phi(elapsed, mean, deviation, self.config.cdf)
            }
        }
    }

    fn threshold(&self, verdict: Verdict) -> f64 {
        match verdict {
            Verdict::Healthy => f64::NEG_INFINITY,
            Verdict::Suspect => self.config.suspect.min(self.config.threshold),
            Verdict::Convicted => self.config.threshold,
        }
    }
}

impl Detector for PhiAccrual {
    fn heartbeat(&mut self, at: u64) {
        if let Some(last) = self.last {
            // Akka: the first interval after a failure would skew the history.
            if self.verdict(at) != Verdict::Convicted {
                self.record(at.saturating_sub(last));
            }
        }
        self.last = Some(at.max(self.last.unwrap_or(0)));
    }

    fn last_heartbeat(&self) -> Option<u64> {
        self.last
    }

    fn suspicion(&self, now: u64) -> f64 {
        self.phi_at(now)
    }

    fn verdict(&self, now: u64) -> Verdict {
        let phi = self.phi_at(now);
        if phi >= self.threshold(Verdict::Convicted) {
            Verdict::Convicted
        } else if phi >= self.threshold(Verdict::Suspect) {
            Verdict::Suspect
        } else {
            Verdict::Healthy
        }
    }

    fn reached_at(&self, verdict: Verdict) -> Option<u64> {
        let last = self.last?;
        let threshold = self.threshold(verdict);
        first_instant(last, |t| self.phi_at(t) >= threshold)
    }
}

fn square(interval: u64) -> u128 {
    u128::from(interval) * u128::from(interval)
}

/// Equal settings, history and last arrival (the running sums follow from the history).
impl PartialEq for PhiAccrual {
    fn eq(&self, other: &Self) -> bool {
        (self.config, &self.history, self.last) == (other.config, &other.history, other.last)
    }
}

/// Phi for an elapsed time, mean and standard deviation (any one unit), computed in log
/// space so that it stays finite: Akka's formula where Akka's is finite.
///
/// ```
/// use heartwire_liveness::detector::{Cdf, phi};
///
/// assert!((phi(1000.0, 1000.0, 100.0, Cdf::Logistic) - 0.3).abs() < 0.1);
/// assert!((phi(1600.0, 1000.0, 100.0, Cdf::Logistic) - 10.8).abs() < 0.1);
/// // The exact CDF: 6 standard deviations is a probability of about 1e-9.
/// assert!((phi(1600.0, 1000.0, 100.0, Cdf::Exact) - 9.0).abs() < 0.05);
/// ```
pub fn phi(elapsed: f64, mean: f64, deviation: f64, cdf: Cdf) -> f64 {
    let y = (elapsed - mean) / deviation;
    let ln_tail = match cdf {
        // 1 − F = e / (1 + e) with e = exp(−a): ln(1 − F) = −a − ln(1 + exp(−a)).
        Cdf::Logistic => {
            let a = y * (1.5976 + 0.070566 * y * y);
            -a - softplus(-a)
        }
        // 1 − Φ(y) = erfc(y/√2) / 2.
        Cdf::Exact => ln_erfc(y / SQRT_2) - std::f64::consts::LN_2,
    };
    (-ln_tail / LN_10).max(0.0)
}

/// `ln(1 + exp(x))` without overflow.
fn softplus(x: f64) -> f64 {
    if x > 0.0 {
        x + (-x).exp().ln_1p()
    } else {
        x.exp().ln_1p()
    }
}

/// `ln(erfc(x))`, with a relative error of erfc under 1.2e-7 everywhere (the Chebyshev
/// fit of Numerical Recipes, `erfcc`), in log space so that far tails do not underflow.
pub fn ln_erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98
                                + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let ln_upper = t.ln() + poly;
    if x >= 0.0 {
        ln_upper
    } else {
        (2.0 - ln_upper.exp()).ln()
    }
}

/// `erfc(x)`, the complementary error function (see [`ln_erfc`]).
pub fn erfc(x: f64) -> f64 {
    ln_erfc(x).exp()
}

/// The first instant `t >= from` at which `reached(t)` holds, for a `reached` that is
/// monotonic in `t`; `None` if it does not hold at `u64::MAX`.
fn first_instant(from: u64, reached: impl Fn(u64) -> bool) -> Option<u64> {
    if reached(from) {
        return Some(from);
    }
    // Grow a bracket from 1 ms, then bisect to the nanosecond.
    let mut step = 1_000_000u64;
    let mut lo = from;
    let hi = loop {
        let probe = from.saturating_add(step);
        if reached(probe) {
            break probe;
        }
        if probe == u64::MAX {
            return None;
        }
        lo = probe;
        step = step.saturating_mul(2);
    };
    let (mut lo, mut hi) = (lo, hi);
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if reached(mid) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Some(hi)
}

/// The settings of [`Exponential`], with Cassandra's defaults.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ExponentialConfig {
    /// Phi above which a process is convicted (Cassandra's `phi_convict_threshold`, 8).
    pub threshold: f64,
    /// Phi at which a process is suspect, `late` (1.0, about 2.3 mean intervals).
    pub suspect: f64,
    /// How many intervals the window keeps (Cassandra's 1000).
    pub window: usize,
    /// The interval assumed at the first heartbeat, in nanoseconds (Cassandra's
    /// `fd_initial_value_ms`, 2 s).
    pub initial: u64,
    /// Intervals longer than this are not recorded, in nanoseconds (Cassandra's
    /// `fd_max_interval_ms`); `None` records every interval.
    pub max_interval: Option<u64>,
}

impl Default for ExponentialConfig {
    fn default() -> Self {
        ExponentialConfig {
            threshold: 8.0,
            suspect: 1.0,
            window: 1000,
            initial: 2_000_000_000,
            max_interval: None,
        }
    }
}

/// Cassandra's exponential detector: `phi = elapsed / mean × 1/ln 10`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Exponential {
    config: ExponentialConfig,
    window: VecDeque<u64>,
    #[serde(skip)]
    sum: u128,
    last: Option<u64>,
}

impl Exponential {
    /// A detector with no heartbeat yet.
    pub fn new(config: ExponentialConfig) -> Exponential {
        Exponential {
            config,
            window: VecDeque::new(),
            sum: 0,
            last: None,
        }
    }

    /// The settings.
    pub const fn config(&self) -> &ExponentialConfig {
        &self.config
    }

    fn record(&mut self, interval: u64) {
        if self.window.len() >= self.config.window.max(1)
            && let Some(old) = self.window.pop_front()
        {
            self.sum -= u128::from(old);
        }
        self.window.push_back(interval);
        self.sum += u128::from(interval);
    }

    pub(crate) fn repair(&mut self) {
        let cap = self.config.window.max(1);
        while self.window.len() > cap {
            self.window.pop_front();
        }
        self.sum = self.window.iter().map(|&i| u128::from(i)).sum();
    }

    pub(crate) fn shift(&mut self, by: u64, limit: u64) {
        if let Some(last) = &mut self.last {
            *last = last.saturating_add(by).min(limit).max(*last);
        }
    }

    fn mean(&self) -> f64 {
        if self.window.is_empty() {
            self.config.initial as f64
        } else {
            self.sum as f64 / self.window.len() as f64
        }
    }

    fn reached(&self, phi: f64, verdict: Verdict) -> bool {
        match verdict {
            Verdict::Healthy => true,
            Verdict::Suspect => phi >= self.config.suspect.min(self.config.threshold),
            // Cassandra convicts strictly above the threshold.
            Verdict::Convicted => phi > self.config.threshold,
        }
    }
}

impl Detector for Exponential {
    fn heartbeat(&mut self, at: u64) {
        match self.last {
            // Cassandra adds the initial value as the first interval.
            None => self.record(self.config.initial),
            Some(last) => {
                let interval = at.saturating_sub(last);
                if self.config.max_interval.is_none_or(|max| interval <= max) {
                    self.record(interval);
                }
            }
        }
        self.last = Some(at.max(self.last.unwrap_or(0)));
    }

    fn last_heartbeat(&self) -> Option<u64> {
        self.last
    }

    fn suspicion(&self, now: u64) -> f64 {
        match self.last {
            None => 0.0,
            Some(last) => now.saturating_sub(last) as f64 / self.mean() / LN_10,
        }
    }

    fn verdict(&self, now: u64) -> Verdict {
        let phi = self.suspicion(now);
        if self.reached(phi, Verdict::Convicted) {
            Verdict::Convicted
        } else if self.reached(phi, Verdict::Suspect) {
            Verdict::Suspect
        } else {
            Verdict::Healthy
        }
    }

    fn reached_at(&self, verdict: Verdict) -> Option<u64> {
        let last = self.last?;
        first_instant(last, |t| self.reached(self.suspicion(t), verdict))
    }
}

/// Equal settings, window and last arrival (the running sum follows from the window).
impl PartialEq for Exponential {
    fn eq(&self, other: &Self) -> bool {
        (self.config, &self.window, self.last) == (other.config, &other.window, other.last)
    }
}

/// Which detector judges a beatit process, with its settings.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(tag = "detector", rename_all = "lowercase")]
pub enum DetectorChoice {
    /// [`Deadline`] with the monitor's [`Tolerance`].
    #[default]
    Deadline,
    /// [`PhiAccrual`].
    Phi(PhiConfig),
    /// [`Exponential`].
    Exponential(ExponentialConfig),
}

/// The state of an adaptive detector kept by a monitor for one process.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "detector", rename_all = "lowercase")]
pub(crate) enum Adaptive {
    Phi(PhiAccrual),
    Exponential(Exponential),
}

impl Adaptive {
    pub(crate) fn new(choice: DetectorChoice) -> Option<Adaptive> {
        match choice {
            DetectorChoice::Deadline => None,
            DetectorChoice::Phi(c) => Some(Adaptive::Phi(PhiAccrual::new(c))),
            DetectorChoice::Exponential(c) => Some(Adaptive::Exponential(Exponential::new(c))),
        }
    }

    pub(crate) fn fresh(&self) -> Adaptive {
        match self {
            Adaptive::Phi(d) => Adaptive::Phi(PhiAccrual::new(d.config)),
            Adaptive::Exponential(d) => Adaptive::Exponential(Exponential::new(d.config)),
        }
    }

    pub(crate) fn detector(&self) -> &dyn Detector {
        match self {
            Adaptive::Phi(d) => d,
            Adaptive::Exponential(d) => d,
        }
    }

    pub(crate) fn heartbeat(&mut self, at: u64) {
        match self {
            Adaptive::Phi(d) => d.heartbeat(at),
            Adaptive::Exponential(d) => d.heartbeat(at),
        }
    }

    pub(crate) fn shift(&mut self, by: u64, limit: u64) {
        match self {
            Adaptive::Phi(d) => d.shift(by, limit),
            Adaptive::Exponential(d) => d.shift(by, limit),
        }
    }

    pub(crate) fn repair(&mut self) {
        match self {
            Adaptive::Phi(d) => d.repair(),
            Adaptive::Exponential(d) => d.repair(),
        }
    }

    pub(crate) fn heap_bytes(&self) -> usize {
        match self {
            Adaptive::Phi(d) => d.history.capacity() * 8,
            Adaptive::Exponential(d) => d.window.capacity() * 8,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: u64 = 1_000_000;

    #[test]
    fn akka_published_values() {
        // Akka's PhiAccrualFailureDetectorSpec, "return realistic phi values".
        let expected = [
            (0.0, 0.0),
            (500.0, 0.1),
            (1000.0, 0.3),
            (1200.0, 1.6),
            (1400.0, 4.7),
            (1600.0, 10.8),
            (1700.0, 15.3),
        ];
        for (elapsed, want) in expected {
            let got = phi(elapsed, 1000.0, 100.0, Cdf::Logistic);
            assert!(
                (got - want).abs() <= 0.1,
                "phi({elapsed}) = {got}, Akka {want}"
            );
        }
    }

    #[test]
    fn exact_cdf_matches_known_tails() {
        // 1 − Φ(y) for y = 0, 1, 2, 3, 6, 10.
        let tails: [(f64, f64); 6] = [
            (0.0, 0.5),
            (1.0, 0.158_655_253_931_457_05),
            (2.0, 0.022_750_131_948_179_2),
            (3.0, 0.001_349_898_031_630_095),
            (6.0, 9.865_876_450_376_98e-10),
            (10.0, 7.619_853_024_160_527e-24),
        ];
        for (y, tail) in tails {
            let got = phi(1000.0 + 100.0 * y, 1000.0, 100.0, Cdf::Exact);
            let want = -tail.log10();
            assert!((got - want).abs() < 1e-6, "y = {y}: {got} vs {want}");
        }
        assert!((erfc(0.0) - 1.0).abs() < 1e-7);
        assert!((erfc(-1.0) - 1.842_700_792_949_715).abs() < 1e-6);
        // Far tails stay finite and keep growing.
        assert!(phi(1e9, 1000.0, 100.0, Cdf::Exact).is_finite());
        assert!(phi(1e9, 1000.0, 100.0, Cdf::Logistic).is_finite());
        assert!(
            phi(5000.0, 1000.0, 100.0, Cdf::Logistic) > phi(4000.0, 1000.0, 100.0, Cdf::Logistic)
        );
    }

    #[test]
    fn phi_accrual_follows_akka() {
        let mut d = PhiAccrual::new(PhiConfig::default());
        assert_eq!(d.suspicion(10_000 * MS), 0.0, "phi is 0 before any beat");
        assert_eq!(d.reached_at(Verdict::Convicted), None);
        // The first estimate: 750 and 1250 ms.
        assert_eq!(d.intervals().collect::<Vec<_>>(), [750 * MS, 1250 * MS]);
        for i in 0..5 {
            d.heartbeat(i * 1000 * MS);
        }
        assert_eq!(d.intervals().len(), 6);
        // A long silence convicts; the interval that ends it is not recorded.
        assert_eq!(d.verdict(30_000 * MS), Verdict::Convicted);
        d.heartbeat(30_000 * MS);
        assert_eq!(d.intervals().len(), 6);
        let suspect = d.reached_at(Verdict::Suspect).unwrap_or(0);
        let convicted = d.reached_at(Verdict::Convicted).unwrap_or(0);
        assert!(30_000 * MS < suspect && suspect < convicted);
        assert_eq!(d.verdict(suspect - 1), Verdict::Healthy);
        assert_eq!(d.verdict(suspect), Verdict::Suspect);
        assert_eq!(d.verdict(convicted - 1), Verdict::Suspect);
        assert_eq!(d.verdict(convicted), Verdict::Convicted);
    }

    #[test]
    fn window_is_bounded() {
        let config = PhiConfig {
            max_sample_size: 3,
            ..PhiConfig::default()
        };
        let mut d = PhiAccrual::new(config);
        for i in 0..10 {
            d.heartbeat(i * 500 * MS);
        }
        assert_eq!(d.intervals().collect::<Vec<_>>(), [500 * MS; 3]);
        let mut copy = d.clone();
        copy.sum = 0;
        copy.squares = 0;
        copy.repair();
        assert_eq!((copy.sum, copy.squares), (d.sum, d.squares));
    }

    #[test]
    fn exponential_convicts_at_eight_ln_ten_means() {
        let mut d = Exponential::new(ExponentialConfig::default());
        assert_eq!(d.suspicion(1), 0.0);
        d.heartbeat(0);
        // The initial 2 s is the only interval: convicted after 8 × ln 10 × 2 s ≈ 36.8 s.
        let at = d.reached_at(Verdict::Convicted).unwrap_or(0);
        assert!(at.abs_diff((8.0 * LN_10 * 2e9) as u64) <= 2, "{at}");
        assert_eq!(d.verdict(at - 1), Verdict::Suspect);
        assert_eq!(d.verdict(at), Verdict::Convicted);
        assert!((d.suspicion(2_000_000_000) - 1.0 / LN_10).abs() < 1e-12);
    }

    #[test]
    fn deadline_is_exact() {
        let d = Deadline::at(Tolerance::SEED, 3, 100);
        // 1.5 × 3 ns = 4.5 ns: late at 105 (1000 × 5 >= 1500 × 3), dead at 109.
        assert_eq!(d.reached_at(Verdict::Suspect), Some(105));
        assert_eq!(d.reached_at(Verdict::Convicted), Some(109));
        assert_eq!(d.verdict(104), Verdict::Healthy);
        assert_eq!(d.verdict(105), Verdict::Suspect);
        assert_eq!(d.verdict(109), Verdict::Convicted);
        assert_eq!(
            Deadline::new(Tolerance::SEED, 3).verdict(u64::MAX),
            Verdict::Healthy
        );
        assert_eq!(Tolerance::from_permille(2000, 1000), None);
        assert_eq!(Tolerance::from_permille(0, 1000), None);
    }
}
