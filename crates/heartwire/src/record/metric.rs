//! [`Metric`]: a measurement a publisher reports, a JSON number that is not negative,
//! kept as its text (`spec/record.md` §5).

use std::fmt;

use crate::json::Number;

/// A non-negative JSON number kept exactly as it was written (`3600.5`, `156.30`,
/// `1e-05`), so that a record decodes and encodes without changing a digit
/// (`spec/json.md` §5, `spec/record.md` §5).
///
/// Negative means less than zero: `-0` and `-0.0` are zero and are kept as written.
///
/// ```
/// use heartwire::record::Metric;
///
/// let cpu = Metric::from_f64(212.5).expect("not negative"); // 2 cores and a bit
/// assert_eq!(cpu.as_str(), "212.5");
/// assert_eq!(Metric::from_f64(-1.0), None);
/// assert_eq!(Metric::from_f64(f64::NAN), None);
/// assert_eq!(Metric::from_u64(1380).as_str(), "1380");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Metric<'a>(Number<'a>);

impl<'a> Metric<'a> {
    /// A number as a metric, or `None` if it is negative.
    pub fn new(number: Number<'a>) -> Option<Metric<'a>> {
        (!is_negative(number.as_str())).then_some(Metric(number))
    }

    /// The metric of an `f64`, written as serde_json writes it (`3600.5`, `60.0`), or
    /// `None` for a negative number, NaN and the infinities. `-0.0` becomes `0.0`.
    pub fn from_f64(value: f64) -> Option<Metric<'static>> {
        if value < 0.0 {
            return None;
        }
        // Adding positive zero turns a negative zero into a positive one.
        Number::from_f64(value + 0.0).map(Metric)
    }

    /// The metric of a `u64`.
    pub fn from_u64(value: u64) -> Metric<'static> {
        Metric(Number::from_u64(value))
    }

    /// The number.
    pub const fn as_number(&self) -> &Number<'a> {
        &self.0
    }

    /// The number's text, exactly as given.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// The number as the nearest `f64`.
    pub fn as_f64(&self) -> f64 {
        self.0.as_f64()
    }

    /// A copy that owns its text.
    pub fn into_owned(self) -> Metric<'static> {
        Metric(self.0.into_owned())
    }
}

impl<'a> From<Metric<'a>> for Number<'a> {
    fn from(metric: Metric<'a>) -> Number<'a> {
        metric.0
    }
}

impl fmt::Display for Metric<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Whether the text of a JSON number names a value below zero: a minus sign and a digit
/// other than zero before the exponent. Exact, without going through `f64` (which would
/// call `-1e-400` zero).
fn is_negative(number: &str) -> bool {
    let Some(unsigned) = number.strip_prefix('-') else {
        return false;
    };
    unsigned
        .bytes()
        .take_while(|&b| b != b'e' && b != b'E')
        .any(|b| matches!(b, b'1'..=b'9'))
}

#[cfg(test)]
mod tests {
    use super::is_negative;

    #[test]
    fn negative_is_by_value() {
        for n in ["-1", "-0.5", "-1e-400", "-0.0001", "-10E+3"] {
            assert!(is_negative(n), "{n}");
        }
        for n in ["0", "-0", "-0.0", "-0e5", "-0.000E-9", "1", "1e-5", "0.0"] {
            assert!(!is_negative(n), "{n}");
        }
    }
}
