//! [`Seconds`]: the exact duration carried by `start`, `beat` and `degraded`.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use super::grammar::{self, Decimal, reported};
use super::{Part, TextError};
use crate::time::SCALE;

/// The longest duration the text convention carries, in seconds (`spec/text.md` §5.3):
/// about 31.7 years, far beyond any useful heartbeat period, and small enough that the
/// nanosecond count fits a `u64` with room to spare.
pub const MAX_SECONDS: u64 = 1_000_000_000;

const NANOS_PER_SEC: u64 = 1_000_000_000;
const MAX_NANOS: u64 = MAX_SECONDS * NANOS_PER_SEC;

/// The longest canonical number: 10 integer digits, a point and 9 fraction digits.
pub(crate) const MAX_CANONICAL_LEN: usize = 20;

/// A positive duration as the text convention writes it: a decimal number of seconds.
///
/// It is exact to the nanosecond, from 1 ns to [`MAX_SECONDS`]: `0.1` is exactly 100 ms,
/// with no binary floating point anywhere. A `Seconds` is never zero, because a promise
/// to beat again "within 0 seconds" cannot be kept and is always a caller's bug.
///
/// [`Display`](fmt::Display) writes the canonical form of `spec/text.md` §6 (`5`,
/// `0.5`, never `5.0` or `5e0`); [`FromStr`] reads every form the number grammar accepts.
///
/// ```
/// use heartwire::text::Seconds;
///
/// let half: Seconds = "0.5".parse()?;
/// assert_eq!(half.as_nanos(), 500_000_000);
/// assert_eq!(half.to_string(), "0.5");
/// assert_eq!("5.0".parse::<Seconds>()?.to_string(), "5");
/// assert_eq!("1e-05".parse::<Seconds>()?.to_string(), "0.00001");
/// # Ok::<(), heartwire::text::TextError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Seconds(u64);

/// Why a value cannot be a [`Seconds`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SecondsRangeError {
    /// Zero, negative, not a number, or rounds to zero nanoseconds.
    NotPositive,
    /// Longer than [`MAX_SECONDS`].
    TooLong,
}

impl fmt::Display for SecondsRangeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SecondsRangeError::NotPositive => {
                f.write_str("expected a duration of at least 1 nanosecond")
            }
            SecondsRangeError::TooLong => {
                write!(f, "expected a duration of at most {MAX_SECONDS} seconds")
            }
        }
    }
}

impl std::error::Error for SecondsRangeError {}

impl Seconds {
    /// The shortest duration, one nanosecond.
    pub const MIN: Seconds = Seconds(1);
    /// The longest duration, [`MAX_SECONDS`].
    pub const MAX: Seconds = Seconds(MAX_NANOS);

    /// A whole number of seconds; `None` when zero or above [`MAX_SECONDS`].
    pub const fn from_secs(secs: u64) -> Option<Seconds> {
        if secs > MAX_SECONDS {
            return None;
        }
        Seconds::from_nanos(secs * NANOS_PER_SEC)
    }

    /// A number of milliseconds; `None` when zero or above [`MAX_SECONDS`].
    pub const fn from_millis(millis: u64) -> Option<Seconds> {
        match millis.checked_mul(1_000_000) {
            Some(nanos) => Seconds::from_nanos(nanos),
            None => None,
        }
    }

    /// A number of nanoseconds; `None` when zero or above [`MAX_SECONDS`].
    pub const fn from_nanos(nanos: u64) -> Option<Seconds> {
        if nanos == 0 || nanos > MAX_NANOS {
            None
        } else {
            Some(Seconds(nanos))
        }
    }

    /// The duration in nanoseconds.
    pub const fn as_nanos(self) -> u64 {
        self.0
    }

    /// The duration as a [`std::time::Duration`]; exact.
    pub const fn as_duration(self) -> Duration {
        Duration::from_nanos(self.0)
    }

    /// Reads a number of the grammar of `spec/text.md` §5.1 (the text after `/`).
    ///
    /// Errors count offsets from the start of `text`.
    pub fn parse(text: &str) -> Result<Seconds, TextError> {
        let bytes = text.as_bytes();
        // A number alone is reported like the value of a payload.
        let (rest, decimal) =
            grammar::run(bytes, grammar::number).map_err(|f| f.into_error(bytes, Part::Payload))?;
        if !rest.is_empty() {
            return Err(reported(
                bytes,
                Part::Payload,
                TextError::TrailingInput {
                    offset: bytes.len() - rest.len(),
                },
            ));
        }
        Seconds::from_decimal(&decimal, 0)
    }

    /// The exact value of a parsed number, rounded to the nanosecond (half to even);
    /// `offset` is where the number starts, for the error.
    pub(crate) fn from_decimal(d: &Decimal<'_>, offset: usize) -> Result<Seconds, TextError> {
        let nanos = match Seconds::plain_nanos(d) {
            Some(nanos) => nanos,
            None => Seconds::rounded_nanos(d, offset)?,
        };
        match nanos {
            0 => Err(TextError::ZeroDuration { offset }),
            n if n > MAX_NANOS => Err(TextError::OutOfRange { offset }),
            n => Ok(Seconds(n)),
        }
    }

    /// The fast path for what publishers write nearly always: no exponent, at most
    /// nine fraction digits and ten integer digits, so the value is exact in a `u64`
    /// without rounding. `None` for anything else.
    fn plain_nanos(d: &Decimal<'_>) -> Option<u64> {
        if !d.exp.is_empty() || d.frac.len() > 9 || d.int.len() > 10 {
            return None;
        }
        let digits = |s: &[u8]| s.iter().fold(0u64, |n, b| n * 10 + u64::from(b - b'0'));
        Some(digits(d.int) * NANOS_PER_SEC + digits(d.frac) * u64::from(SCALE[d.frac.len()]))
    }

    /// The general path: any exponent and any number of digits, rounded half to even at
    /// the nanosecond. Fails early, without overflow, for values far out of range.
    #[inline(never)]
    fn rounded_nanos(d: &Decimal<'_>, offset: usize) -> Result<u64, TextError> {
        // All significant digits in one sequence; the decimal point sits after
        // `point` of them (which may be negative or beyond the end).
        let digits = || d.int.iter().chain(d.frac).map(|b| b - b'0');
        let leading_zeros = digits().take_while(|&v| v == 0).count();
        let significant = d.int.len() + d.frac.len() - leading_zeros;
        if significant == 0 {
            return Err(TextError::ZeroDuration { offset });
        }
        // The exponent only matters up to a size where the result is already zero or
        // out of range, so saturating keeps the arithmetic bounded for any input.
        let exp = d.exp.iter().fold(0i64, |acc, b| {
            (acc * 10 + i64::from(b - b'0')).min(1_000_000)
        });
        let exp = if d.exp_negative { -exp } else { exp };
        let int_len = i64::try_from(d.int.len()).unwrap_or(i64::MAX);
        let leading = i64::try_from(leading_zeros).unwrap_or(i64::MAX);
        // How many of the significant digits lie before the nanosecond point.
        let whole = int_len + exp - leading + 9;
        if whole > 19 {
            // At least 10^19 ns, beyond MAX_NANOS (10^18).
            return Err(TextError::OutOfRange { offset });
        }
        let mut sig = digits().skip(leading_zeros);
        let mut nanos: u64 = 0;
        for _ in 0..whole.max(0) {
            // Past the written digits the value continues with zeros.
            nanos = nanos * 10 + u64::from(sig.next().unwrap_or(0));
        }
        // Round half to even on the first dropped digit and whether any other is nonzero.
        let (round, sticky) = if whole < 0 {
            (0, true)
        } else {
            (sig.next().unwrap_or(0), sig.any(|v| v != 0))
        };
        if round > 5 || (round == 5 && (sticky || !nanos.is_multiple_of(2))) {
            nanos += 1;
        }
        Ok(nanos)
    }

    /// Writes the canonical form into `buf` and returns its length.
    pub(crate) fn write_canonical(self, buf: &mut [u8; MAX_CANONICAL_LEN]) -> usize {
        let (secs, frac) = (self.0 / NANOS_PER_SEC, self.0 % NANOS_PER_SEC);
        let mut len = write_u64(secs, buf);
        if frac != 0 {
            buf[len] = b'.';
            len += 1;
            let mut digits = [0u8; 9];
            let mut rest = frac;
            for d in digits.iter_mut().rev() {
                *d = b'0' + (rest % 10) as u8;
                rest /= 10;
            }
            let used = 9 - trailing_decimal_zeros(frac);
            buf[len..len + used].copy_from_slice(&digits[..used]);
            len += used;
        }
        len
    }
}

/// Decimal digits of `n` into the front of `buf`; returns how many.
fn write_u64(mut n: u64, buf: &mut [u8]) -> usize {
    let mut tmp = [0u8; 20];
    let mut i = tmp.len();
    loop {
        i -= 1;
        tmp[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    let len = tmp.len() - i;
    buf[..len].copy_from_slice(&tmp[i..]);
    len
}

/// How many decimal zeros `n` ends with (none for zero).
fn trailing_decimal_zeros(mut n: u64) -> usize {
    let mut count = 0;
    while n != 0 && n.is_multiple_of(10) {
        n /= 10;
        count += 1;
    }
    count
}

impl fmt::Display for Seconds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut buf = [0u8; MAX_CANONICAL_LEN];
        let len = self.write_canonical(&mut buf);
        // The canonical form is ASCII digits and '.'.
        f.write_str(std::str::from_utf8(&buf[..len]).map_err(|_| fmt::Error)?)
    }
}

impl FromStr for Seconds {
    type Err = TextError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Seconds::parse(s)
    }
}

impl From<Seconds> for Duration {
    fn from(s: Seconds) -> Duration {
        s.as_duration()
    }
}

impl TryFrom<Duration> for Seconds {
    type Error = SecondsRangeError;

    /// Exact; fails for zero and for more than [`MAX_SECONDS`].
    fn try_from(d: Duration) -> Result<Self, Self::Error> {
        match u64::try_from(d.as_nanos()) {
            Ok(0) => Err(SecondsRangeError::NotPositive),
            Ok(n) if n <= MAX_NANOS => Ok(Seconds(n)),
            _ => Err(SecondsRangeError::TooLong),
        }
    }
}

impl TryFrom<f64> for Seconds {
    type Error = SecondsRangeError;

    /// Converts through the float's shortest decimal form, the digits Python's `repr`
    /// and Rust's `Display` print, so `0.1_f64` is exactly 100 ms, as `0.1` on the wire
    /// would be. More than nine fraction digits round to the nanosecond (half to even),
    /// as on decode.
    fn try_from(value: f64) -> Result<Self, Self::Error> {
        if value.is_nan() || value < 5e-10 {
            return Err(SecondsRangeError::NotPositive);
        }
        if value > MAX_SECONDS as f64 {
            return Err(SecondsRangeError::TooLong);
        }
        // In this range the shortest form has at most ~30 characters.
        let mut buf = FixedBuf::<48>::new();
        fmt::Write::write_fmt(&mut buf, format_args!("{value}"))
            .map_err(|_| SecondsRangeError::TooLong)?;
        match Seconds::parse(buf.as_str()) {
            Ok(s) => Ok(s),
            Err(TextError::OutOfRange { .. }) => Err(SecondsRangeError::TooLong),
            Err(_) => Err(SecondsRangeError::NotPositive),
        }
    }
}

/// A stack buffer that `format_args!` can write into, so converting a float does not
/// allocate.
struct FixedBuf<const N: usize> {
    bytes: [u8; N],
    len: usize,
}

impl<const N: usize> FixedBuf<N> {
    const fn new() -> Self {
        FixedBuf {
            bytes: [0; N],
            len: 0,
        }
    }

    fn as_str(&self) -> &str {
        // Only `write_str` fills the buffer, with whole `&str`s.
        std::str::from_utf8(&self.bytes[..self.len]).unwrap_or("")
    }
}

impl<const N: usize> fmt::Write for FixedBuf<N> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len + s.len();
        if end > N {
            return Err(fmt::Error);
        }
        self.bytes[self.len..end].copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nanos(s: &str) -> Result<u64, TextError> {
        Seconds::parse(s).map(Seconds::as_nanos)
    }

    #[test]
    fn exact_decimals() {
        assert_eq!(nanos("5"), Ok(5_000_000_000));
        assert_eq!(nanos("5.0"), Ok(5_000_000_000));
        assert_eq!(nanos("0.5"), Ok(500_000_000));
        assert_eq!(nanos("0.1"), Ok(100_000_000));
        assert_eq!(nanos("1e-05"), Ok(10_000));
        assert_eq!(nanos("1E+3"), Ok(1_000_000_000_000));
        assert_eq!(nanos("0.000000001"), Ok(1));
        assert_eq!(nanos("1000000000"), Ok(MAX_NANOS));
        assert_eq!(
            nanos("0.00000000000000000000000000000000001e35"),
            Ok(1_000_000_000)
        );
    }

    #[test]
    fn rounds_half_to_even_at_the_nanosecond() {
        assert_eq!(nanos("0.30000000000000004"), Ok(300_000_000));
        assert_eq!(nanos("0.0000000015"), Ok(2));
        assert_eq!(nanos("0.0000000025"), Ok(2));
        assert_eq!(nanos("0.00000000250001"), Ok(3));
        assert_eq!(
            nanos("0.0000000005"),
            Err(TextError::ZeroDuration { offset: 0 })
        );
        assert_eq!(nanos("0.0000000005000001"), Ok(1));
        assert_eq!(nanos("1e-10"), Err(TextError::ZeroDuration { offset: 0 }));
    }

    #[test]
    fn range() {
        assert_eq!(nanos("0"), Err(TextError::ZeroDuration { offset: 0 }));
        assert_eq!(nanos("0.0e5"), Err(TextError::ZeroDuration { offset: 0 }));
        assert_eq!(
            nanos("1000000000.000000001"),
            Err(TextError::OutOfRange { offset: 0 })
        );
        assert_eq!(nanos("1e+16"), Err(TextError::OutOfRange { offset: 0 }));
        assert_eq!(
            nanos("1e999999999999999999"),
            Err(TextError::OutOfRange { offset: 0 })
        );
        assert_eq!(
            nanos("1e-999999999999999999"),
            Err(TextError::ZeroDuration { offset: 0 })
        );
    }

    #[test]
    fn canonical_form() {
        let canon = |s: &str| Seconds::parse(s).map(|v| v.to_string());
        assert_eq!(canon("5.0").as_deref(), Ok("5"));
        assert_eq!(canon("0.50").as_deref(), Ok("0.5"));
        assert_eq!(canon("1e-05").as_deref(), Ok("0.00001"));
        assert_eq!(canon("1000000000").as_deref(), Ok("1000000000"));
        assert_eq!(
            canon("999999999.999999999").as_deref(),
            Ok("999999999.999999999")
        );
    }

    #[test]
    fn from_f64_uses_the_shortest_decimal() {
        assert_eq!(
            Seconds::try_from(0.1).map(Seconds::as_nanos),
            Ok(100_000_000)
        );
        assert_eq!(Seconds::try_from(1e-5).map(Seconds::as_nanos), Ok(10_000));
        assert_eq!(
            Seconds::try_from(0.1 + 0.2).map(Seconds::as_nanos),
            Ok(300_000_000)
        );
        assert_eq!(Seconds::try_from(0.0), Err(SecondsRangeError::NotPositive));
        assert_eq!(Seconds::try_from(-1.0), Err(SecondsRangeError::NotPositive));
        assert_eq!(
            Seconds::try_from(f64::NAN),
            Err(SecondsRangeError::NotPositive)
        );
        assert_eq!(
            Seconds::try_from(f64::INFINITY),
            Err(SecondsRangeError::TooLong)
        );
        assert_eq!(
            Seconds::try_from(1e9),
            Seconds::from_secs(1_000_000_000).ok_or(SecondsRangeError::TooLong)
        );
    }

    #[test]
    fn syntax_errors_name_the_offset() {
        use super::super::NumberExpected::*;
        let syntax = |offset, expected, found| {
            Err(TextError::InvalidNumber {
                offset,
                expected,
                found,
            })
        };
        assert_eq!(nanos(""), syntax(0, Digit, None));
        assert_eq!(nanos("-5"), syntax(0, Digit, Some('-')));
        assert_eq!(nanos("5."), syntax(2, FractionDigit, None));
        assert_eq!(nanos(".5"), syntax(0, Digit, Some('.')));
        assert_eq!(nanos("5e"), syntax(2, ExponentDigit, None));
        assert_eq!(nanos("5e+x"), syntax(3, ExponentDigit, Some('x')));
        assert_eq!(nanos("05"), Err(TextError::LeadingZero { offset: 1 }));
        assert_eq!(nanos("5 "), Err(TextError::TrailingInput { offset: 1 }));
    }
}
