//! The timing rules of Reventless heartbeats (`spec/command.md` §5): the timeout a
//! `Heartbeat` carries, how long the monitor waits before it disconnects a silent
//! plugin, and the schedule expression that sends the beats.

use std::fmt;
use std::num::NonZeroU32;
use std::str::FromStr;

use crate::json::Number;

/// The timeout a heartbeat carries when it carries none that can be used: 10 minutes,
/// the framework's default (`spec/command.md` §5.1).
pub const DEFAULT_TIMEOUT_MINUTES: NonZeroU32 = match NonZeroU32::new(10) {
    Some(ten) => ten,
    None => unreachable!(),
};

/// The largest timeout in minutes: 2^31 − 1, the largest integer sury's `S.int` (the
/// framework's decoder) accepts, so no timeout means more here than there.
pub const MAX_TIMEOUT_MINUTES: u32 = i32::MAX as u32;

/// The payload of a `Heartbeat` or `RedetectPlugin`: the interval in minutes, kept as
/// the JSON number it was given as (or absent), with the rule that turns it into
/// minutes (`spec/command.md` §5.1).
///
/// Nothing a peer sends is lost: `10.0`, `0` or `-3` come back out as written, and only
/// [`Timeout::minutes`] applies the default.
///
/// ```
/// use heartwire::command::{Timeout, TimeoutSetting};
///
/// let ten = Timeout::from_minutes(10);
/// assert_eq!(ten.minutes().get(), 10);
/// // Unset, zero and unusable numbers all mean the default 10 minutes.
/// assert_eq!(Timeout::unset().minutes().get(), 10);
/// assert_eq!(Timeout::from_minutes(0).setting(), TimeoutSetting::Zero);
/// assert_eq!(Timeout::from_minutes(0).minutes().get(), 10);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Timeout<'a> {
    number: Option<Number<'a>>,
}

/// What a [`Timeout`] says, read by the rule of `spec/command.md` §5.1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimeoutSetting {
    /// No payload at all (`"Heartbeat"`, `["Heartbeat"]`): the default applies.
    Unset,
    /// A number whose value is zero (`0`, `0.0`, `-0`): the default applies.
    Zero,
    /// A whole number of minutes from 1 to [`MAX_TIMEOUT_MINUTES`] (`10`, `10.0`, `1e1`).
    Minutes(NonZeroU32),
    /// A number that is no count of minutes (negative, fractional, too large): the
    /// default applies.
    Unparsable,
}

impl<'a> Timeout<'a> {
    /// No timeout given: the default applies.
    pub const fn unset() -> Timeout<'static> {
        Timeout { number: None }
    }

    /// A timeout of `minutes`, written as a plain integer (`0` means the default).
    pub fn from_minutes(minutes: u32) -> Timeout<'static> {
        Timeout {
            number: Some(Number::from_u64(u64::from(minutes))),
        }
    }

    /// A timeout given as a JSON number, kept as written.
    pub const fn from_number(number: Number<'a>) -> Timeout<'a> {
        Timeout {
            number: Some(number),
        }
    }

    /// The number as given, if any.
    pub const fn number(&self) -> Option<&Number<'a>> {
        self.number.as_ref()
    }

    /// What the number says.
    pub fn setting(&self) -> TimeoutSetting {
        match &self.number {
            None => TimeoutSetting::Unset,
            Some(n) => match whole_number(n.as_str()) {
                Some(0) => TimeoutSetting::Zero,
                Some(m) => u32::try_from(m)
                    .ok()
                    .filter(|m| *m <= MAX_TIMEOUT_MINUTES)
                    .and_then(NonZeroU32::new)
                    .map_or(TimeoutSetting::Unparsable, TimeoutSetting::Minutes),
                None => TimeoutSetting::Unparsable,
            },
        }
    }

    /// The interval in minutes: the number when it is a whole number of minutes from 1
    /// to [`MAX_TIMEOUT_MINUTES`], else [`DEFAULT_TIMEOUT_MINUTES`].
    pub fn minutes(&self) -> NonZeroU32 {
        match self.setting() {
            TimeoutSetting::Minutes(m) => m,
            _ => DEFAULT_TIMEOUT_MINUTES,
        }
    }

    /// A copy that owns its text.
    pub fn into_owned(self) -> Timeout<'static> {
        Timeout {
            number: self.number.map(Number::into_owned),
        }
    }
}

/// The exact value of a JSON number when it is a whole number that fits a `u64` (sign
/// allowed for zero only), without going through a float: `1e1` is 10, `10.50e1` is
/// 105, `-0.0` is 0, `1.5` and `-1` are `None`.
fn whole_number(text: &str) -> Option<u64> {
    let (negative, text) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (mantissa, exponent) = match text.find(['e', 'E']) {
        Some(at) => (text.get(..at)?, text.get(at + 1..)?),
        None => (text, "0"),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = || int.bytes().chain(frac.bytes());
    if !digits().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if digits().all(|b| b == b'0') {
        return Some(0);
    }
    if negative {
        return None;
    }
    // The exponent saturates: anything beyond a few dozen digits is out of range anyway.
    let (exp_negative, exp_digits) = match exponent.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, exponent.strip_prefix('+').unwrap_or(exponent)),
    };
    let exp = exp_digits.bytes().try_fold(0i64, |acc, b| {
        b.is_ascii_digit()
            .then(|| acc.saturating_mul(10).saturating_add(i64::from(b - b'0')))
    })?;
    let exp = if exp_negative { -exp } else { exp };
    // value = digits × 10^(exp − len(frac)), with leading and trailing zeros dropped.
    let trailing = digits().rev().take_while(|&b| b == b'0').count();
    let significant = digits().skip_while(|&b| b == b'0').count() - trailing;
    let frac_len = i64::try_from(frac.len()).ok()?;
    let scale = exp
        .saturating_sub(frac_len)
        .saturating_add(i64::try_from(trailing).ok()?);
    if scale < 0 || i64::try_from(significant).ok()?.saturating_add(scale) > 20 {
        return None;
    }
    let mut value = digits()
        .skip_while(|&b| b == b'0')
        .take(significant)
        .try_fold(0u64, |acc, d| {
            acc.checked_mul(10)?.checked_add(u64::from(d - b'0'))
        })?;
    for _ in 0..scale {
        value = value.checked_mul(10)?;
    }
    Some(value)
}

/// The minutes the monitor waits after a beat before it disconnects the plugin:
/// `interval + max(2, interval / 2)`, integer division (5 → 7, 10 → 15, 60 → 90, and
/// 3 → 5). The margin scales so that one late beat of a long interval does not disconnect
/// a plugin, and is never under the two minutes a schedule needs (`spec/command.md` §5.2).
pub const fn disconnect_grace(interval: u32) -> u32 {
    let half = interval / 2;
    interval.saturating_add(if half > 2 { half } else { 2 })
}

/// The older rule, `interval + 2`: one minute because schedules are created by the
/// minute, one for latency (10 → 12).
pub const fn disconnect_grace_fixed(interval: u32) -> u32 {
    interval.saturating_add(2)
}

/// Which rule computes the disconnect grace: the current one or the older one, for a
/// monitor that must behave like an older deployment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum GraceRule {
    /// `interval + max(2, interval / 2)`, [`disconnect_grace`]: what the framework does
    /// now, and the default.
    #[default]
    Scaled,
    /// `interval + 2`, [`disconnect_grace_fixed`]: what older deployments did.
    Fixed,
}

impl GraceRule {
    /// The grace in minutes for a beat interval in minutes.
    pub const fn grace(self, interval: u32) -> u32 {
        match self {
            GraceRule::Scaled => disconnect_grace(interval),
            GraceRule::Fixed => disconnect_grace_fixed(interval),
        }
    }

    /// The rule's name: `scaled` or `fixed`.
    pub const fn as_str(self) -> &'static str {
        match self {
            GraceRule::Scaled => "scaled",
            GraceRule::Fixed => "fixed",
        }
    }
}

impl fmt::Display for GraceRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is not one of [`GraceRule`]'s.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownGraceRule;

impl fmt::Display for UnknownGraceRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("unknown grace rule, expected `scaled` or `fixed`")
    }
}

impl std::error::Error for UnknownGraceRule {}

impl FromStr for GraceRule {
    type Err = UnknownGraceRule;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "scaled" => Ok(GraceRule::Scaled),
            "fixed" => Ok(GraceRule::Fixed),
            _ => Err(UnknownGraceRule),
        }
    }
}

/// The EventBridge schedule expression that sends a beat every `minutes` minutes, as the
/// framework deploys it: `rate(10 minutes)`, and `rate(1 minute)` because EventBridge
/// wants the singular for 1 (`spec/command.md` §5.3).
///
/// ```
/// use std::num::NonZeroU32;
/// use heartwire::command::deploy_rule;
///
/// let one = NonZeroU32::MIN;
/// assert_eq!(deploy_rule(one), "rate(1 minute)");
/// assert_eq!(deploy_rule(NonZeroU32::new(5).unwrap()), "rate(5 minutes)");
/// ```
pub fn deploy_rule(minutes: NonZeroU32) -> String {
    if minutes.get() == 1 {
        "rate(1 minute)".to_owned()
    } else {
        format!("rate({minutes} minutes)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::Doc;

    fn timeout(text: &str) -> TimeoutSetting {
        let (doc, raw) = Doc::parse(text.as_bytes()).expect("a number");
        Timeout::from_number(doc.number(raw).expect("a number")).setting()
    }

    fn minutes(m: u32) -> TimeoutSetting {
        TimeoutSetting::Minutes(NonZeroU32::new(m).expect("not zero"))
    }

    #[test]
    fn whole_numbers_are_exact() {
        assert_eq!(whole_number("10"), Some(10));
        assert_eq!(whole_number("10.0"), Some(10));
        assert_eq!(whole_number("1e1"), Some(10));
        assert_eq!(whole_number("1E+1"), Some(10));
        assert_eq!(whole_number("10.50e1"), Some(105));
        assert_eq!(whole_number("1000e-2"), Some(10));
        assert_eq!(whole_number("0.001e3"), Some(1));
        assert_eq!(whole_number("-0"), Some(0));
        assert_eq!(whole_number("-0.0e-7"), Some(0));
        assert_eq!(whole_number("0e999999999999999999999"), Some(0));
        assert_eq!(whole_number("1.5"), None);
        assert_eq!(whole_number("-1"), None);
        assert_eq!(whole_number("1e-1"), None);
        assert_eq!(whole_number("1e-999999999999999999999"), None);
        assert_eq!(whole_number("1e999999999999999999999"), None);
        assert_eq!(whole_number("18446744073709551615"), Some(u64::MAX));
        assert_eq!(whole_number("18446744073709551616"), None);
    }

    #[test]
    fn settings() {
        assert_eq!(Timeout::unset().setting(), TimeoutSetting::Unset);
        assert_eq!(timeout("0"), TimeoutSetting::Zero);
        assert_eq!(timeout("0.0"), TimeoutSetting::Zero);
        assert_eq!(timeout("5"), minutes(5));
        assert_eq!(timeout("60.0"), minutes(60));
        assert_eq!(timeout("2147483647"), minutes(MAX_TIMEOUT_MINUTES));
        assert_eq!(timeout("2147483648"), TimeoutSetting::Unparsable);
        assert_eq!(timeout("-5"), TimeoutSetting::Unparsable);
        assert_eq!(timeout("1.5"), TimeoutSetting::Unparsable);
        let unusable = Timeout::from_minutes(u32::MAX);
        assert_eq!(unusable.minutes(), DEFAULT_TIMEOUT_MINUTES);
    }

    #[test]
    fn grace_rules() {
        let scaled: Vec<u32> = [0, 1, 3, 4, 5, 6, 10, 60].map(disconnect_grace).to_vec();
        assert_eq!(scaled, [2, 3, 5, 6, 7, 9, 15, 90]);
        assert_eq!(GraceRule::Fixed.grace(10), 12);
        assert_eq!(disconnect_grace(u32::MAX), u32::MAX);
        assert_eq!(
            disconnect_grace(MAX_TIMEOUT_MINUTES),
            MAX_TIMEOUT_MINUTES + MAX_TIMEOUT_MINUTES / 2
        );
        assert_eq!("fixed".parse(), Ok(GraceRule::Fixed));
        assert_eq!("legacy".parse::<GraceRule>(), Err(UnknownGraceRule));
    }

    #[test]
    fn deploy_rules() {
        let rule = |m| deploy_rule(NonZeroU32::new(m).expect("not zero"));
        assert_eq!(rule(1), "rate(1 minute)");
        assert_eq!(rule(2), "rate(2 minutes)");
        assert_eq!(rule(60), "rate(60 minutes)");
    }
}
