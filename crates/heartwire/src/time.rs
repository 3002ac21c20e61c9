//! Timestamps on the wire, and the calendar arithmetic the formats need.
//!
//! One grammar for every timestamp of every JSON format (`spec/json.md` §4): an RFC 3339
//! `date-time`, which includes what Python's `datetime.isoformat()` writes
//! (`2025-01-16T08:30:00.123456+00:00`) and what JavaScript's `toISOString()` writes
//! (`2024-01-26T10:30:00.000Z`). A [`Timestamp`] keeps its text exactly as given, so a
//! decode/encode round trip never changes it; it becomes an instant ([`UnixTime`]) only
//! when asked.
//!
//! The calendar is the proleptic Gregorian one, in UTC, with no leap seconds: the model of
//! Unix time, of Python's `datetime` and of JavaScript's `Date`.

use std::borrow::Cow;
use std::fmt::{self, Write as _};
use std::time::{Duration, SystemTime};

use nom::IResult;

/// What the timestamp grammar expected where it failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TimestampExpected {
    /// Four digits of the year.
    Year,
    /// Two digits of the month, `01` to `12`.
    Month,
    /// Two digits of the day, `01` to the last day of the month.
    Day,
    /// The date and time separator `T` (or `t`).
    Separator,
    /// Two digits of the hour, `00` to `23`.
    Hour,
    /// Two digits of the minute, `00` to `59`.
    Minute,
    /// Two digits of the second, `00` to `59`.
    Second,
    /// One to nine digits of the fraction, after `.`.
    Fraction,
    /// The offset: `Z`, `z`, `+HH:MM` or `-HH:MM`.
    Offset,
    /// A literal character of the grammar (`-` or `:`).
    Char(char),
    /// The end of the timestamp.
    End,
}

impl fmt::Display for TimestampExpected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TimestampExpected::Year => f.write_str("a four-digit year"),
            TimestampExpected::Month => f.write_str("a month 01-12"),
            TimestampExpected::Day => f.write_str("a day of the month"),
            TimestampExpected::Separator => f.write_str("'T' between date and time"),
            TimestampExpected::Hour => f.write_str("an hour 00-23"),
            TimestampExpected::Minute => f.write_str("a minute 00-59"),
            TimestampExpected::Second => f.write_str("a second 00-59"),
            TimestampExpected::Fraction => f.write_str("1 to 9 fraction digits"),
            TimestampExpected::Offset => f.write_str("an offset 'Z' or +HH:MM or -HH:MM"),
            TimestampExpected::Char(c) => write!(f, "{c:?}"),
            TimestampExpected::End => f.write_str("the end of the timestamp"),
        }
    }
}

/// A timestamp that breaks the grammar of `spec/json.md` §4.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TimestampError {
    /// Byte offset in the timestamp's text where it fails.
    pub offset: usize,
    /// What the grammar expected there.
    pub expected: TimestampExpected,
    /// The character found there, if any (`None` at the end of the text).
    pub found: Option<char>,
}

impl fmt::Display for TimestampError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "expected {} at byte {}", self.expected, self.offset)?;
        match self.found {
            Some(c) => write!(f, ", found {c:?}"),
            None => f.write_str(", found the end"),
        }
    }
}

impl std::error::Error for TimestampError {}

/// An RFC 3339 timestamp, kept as the text it was given in.
///
/// ```
/// use heartwire::time::Timestamp;
///
/// let ts = Timestamp::parse("2025-01-16T08:30:00.123456+00:00")?;
/// assert_eq!(ts.as_str(), "2025-01-16T08:30:00.123456+00:00");
/// assert_eq!(ts.unix_time().as_nanos(), 1_737_016_200_123_456_000);
/// // Same instant, other offset: equal instants, different texts.
/// let other = Timestamp::parse("2025-01-16T09:30:00.123456+01:00")?;
/// assert_eq!(ts.unix_time(), other.unix_time());
/// # Ok::<(), heartwire::time::TimestampError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Timestamp<'a> {
    text: Cow<'a, str>,
    at: UnixTime,
}

impl<'a> Timestamp<'a> {
    /// Parses a timestamp, borrowing its text.
    pub fn parse(text: &'a str) -> Result<Timestamp<'a>, TimestampError> {
        let at = parse_rfc3339(text)?;
        Ok(Timestamp {
            text: Cow::Borrowed(text),
            at,
        })
    }

    /// Parses a timestamp from text that may be owned (a JSON string with escapes).
    pub fn from_cow(text: Cow<'a, str>) -> Result<Timestamp<'a>, TimestampError> {
        let at = parse_rfc3339(&text)?;
        Ok(Timestamp { text, at })
    }

    /// The timestamp of an instant, written the way Python's `isoformat()` writes an
    /// aware UTC datetime: microseconds and `+00:00` (`2025-01-16T08:30:00.123456+00:00`).
    /// Sub-microsecond digits are truncated, as Python keeps none.
    pub fn from_unix_micros(at: UnixTime) -> Timestamp<'static> {
        Timestamp::written(at, 6, "+00:00")
    }

    /// The timestamp of an instant, written the way JavaScript's `toISOString()` writes
    /// it: milliseconds and `Z` (`2024-01-26T10:30:00.000Z`). Sub-millisecond digits are
    /// truncated.
    pub fn from_unix_millis(at: UnixTime) -> Timestamp<'static> {
        Timestamp::written(at, 3, "Z")
    }

    /// An instant in UTC with `digits` fraction digits (more are truncated) and `offset`.
    fn written(at: UnixTime, digits: u32, offset: &str) -> Timestamp<'static> {
        let unit = 10u32.pow(9 - digits);
        let at = UnixTime::new(at.secs, at.nanos / unit * unit);
        let mut text = String::with_capacity(32);
        // Writing into a String cannot fail.
        let _ = write_date_time(&mut text, &at.civil()).and_then(|()| {
            write!(
                text,
                ".{:0width$}{offset}",
                at.nanos / unit,
                width = digits as usize
            )
        });
        Timestamp {
            text: Cow::Owned(text),
            at,
        }
    }

    /// The text, exactly as given.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The instant it names.
    pub const fn unix_time(&self) -> UnixTime {
        self.at
    }

    /// The instant as a [`SystemTime`].
    pub fn system_time(&self) -> SystemTime {
        self.at.system_time()
    }

    /// A copy that owns its text.
    pub fn into_owned(self) -> Timestamp<'static> {
        Timestamp {
            text: Cow::Owned(self.text.into_owned()),
            at: self.at,
        }
    }
}

impl fmt::Display for Timestamp<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// `YYYY-MM-DDTHH:MM:SS` of a civil time in UTC: what every RFC 3339 form heartwire
/// writes starts with.
fn write_date_time(w: &mut impl fmt::Write, c: &Civil) -> fmt::Result {
    write!(
        w,
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        c.year, c.month, c.day, c.hour, c.minute, c.second
    )
}

/// RFC 3339 in UTC, as `spec/json.md` §9 writes an instant: `Z`, the fraction without
/// trailing zeros and none when it is zero.
///
/// ```
/// use heartwire::time::UnixTime;
///
/// assert_eq!(UnixTime::new(7, 500_000_000).to_string(), "1970-01-01T00:00:07.5Z");
/// assert_eq!(UnixTime::new(1_735_689_600, 0).to_string(), "2025-01-01T00:00:00Z");
/// ```
impl fmt::Display for UnixTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = self.civil();
        write_date_time(f, &c)?;
        if c.nanos != 0 {
            let (mut digits, mut width) = (c.nanos, 9);
            while digits % 10 == 0 {
                digits /= 10;
                width -= 1;
            }
            write!(f, ".{digits:0width$}")?;
        }
        f.write_str("Z")
    }
}

/// An instant: seconds and nanoseconds since 1970-01-01T00:00:00Z, without leap seconds.
///
/// Ordered, so instants compare; any year 0000 to 9999 fits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UnixTime {
    secs: i64,
    nanos: u32,
}

impl UnixTime {
    /// 1970-01-01T00:00:00Z.
    pub const EPOCH: UnixTime = UnixTime { secs: 0, nanos: 0 };

    /// An instant from seconds since the epoch and nanoseconds (carried into seconds when
    /// 10^9 or more).
    pub const fn new(secs: i64, nanos: u32) -> UnixTime {
        UnixTime {
            secs: secs + (nanos / NANOS_PER_SEC) as i64,
            nanos: nanos % NANOS_PER_SEC,
        }
    }

    /// The instant of a civil date and time in UTC, or `None` if it is not a real one
    /// (month 13, 31 April, 29 February of a common year, hour 24, ...).
    pub fn from_civil(civil: Civil) -> Option<UnixTime> {
        let valid = (1..=12).contains(&civil.month)
            && civil.day >= 1
            && civil.day <= days_in_month(civil.year, civil.month)
            && civil.hour < 24
            && civil.minute < 60
            && civil.second < 60
            && civil.nanos < NANOS_PER_SEC;
        valid.then(|| {
            let days = days_from_civil(civil.year, civil.month, civil.day);
            let secs = days * 86_400
                + i64::from(civil.hour) * 3600
                + i64::from(civil.minute) * 60
                + i64::from(civil.second);
            UnixTime::new(secs, civil.nanos)
        })
    }

    /// The instant of a [`SystemTime`], or `None` outside the years this type covers
    /// arithmetic for (beyond ±2^63 seconds).
    pub fn from_system_time(time: SystemTime) -> Option<UnixTime> {
        match time.duration_since(SystemTime::UNIX_EPOCH) {
            Ok(after) => Some(UnixTime::new(
                i64::try_from(after.as_secs()).ok()?,
                after.subsec_nanos(),
            )),
            Err(before) => {
                let before = before.duration();
                let secs = i64::try_from(before.as_secs()).ok()?;
                Some(match before.subsec_nanos() {
                    0 => UnixTime::new(-secs, 0),
                    n => UnixTime::new(-secs - 1, NANOS_PER_SEC - n),
                })
            }
        }
    }

    /// As a [`SystemTime`].
    pub fn system_time(self) -> SystemTime {
        let since = Duration::new(self.secs.unsigned_abs(), 0);
        let base = if self.secs >= 0 {
            SystemTime::UNIX_EPOCH + since
        } else {
            SystemTime::UNIX_EPOCH - since
        };
        base + Duration::from_nanos(u64::from(self.nanos))
    }

    /// Whole seconds since the epoch (rounded towards minus infinity).
    pub const fn secs(self) -> i64 {
        self.secs
    }

    /// Nanoseconds into the second, `0..10^9`.
    pub const fn subsec_nanos(self) -> u32 {
        self.nanos
    }

    /// Nanoseconds since the epoch.
    pub const fn as_nanos(self) -> i128 {
        self.secs as i128 * NANOS_PER_SEC as i128 + self.nanos as i128
    }

    /// The civil date and time in UTC.
    pub fn civil(self) -> Civil {
        let days = self.secs.div_euclid(86_400);
        let rem = self.secs.rem_euclid(86_400);
        let (year, month, day) = civil_from_days(days);
        Civil {
            year,
            month,
            day,
            hour: (rem / 3600) as u8,
            minute: (rem / 60 % 60) as u8,
            second: (rem % 60) as u8,
            nanos: self.nanos,
        }
    }

    /// The day of the week in UTC.
    pub fn weekday(self) -> Weekday {
        weekday_from_days(self.secs.div_euclid(86_400))
    }

    /// How long after `earlier` this instant is, or `Err` with how long before it is.
    pub fn since(self, earlier: UnixTime) -> Result<Duration, Duration> {
        let diff = self.as_nanos() - earlier.as_nanos();
        let d = |n: i128| {
            let n = n.unsigned_abs();
            Duration::new(
                u64::try_from(n / u128::from(NANOS_PER_SEC)).unwrap_or(u64::MAX),
                (n % u128::from(NANOS_PER_SEC)) as u32,
            )
        };
        if diff >= 0 { Ok(d(diff)) } else { Err(d(diff)) }
    }

    /// This instant plus a number of seconds, or `None` on overflow.
    pub fn checked_add_secs(self, secs: i64) -> Option<UnixTime> {
        Some(UnixTime {
            secs: self.secs.checked_add(secs)?,
            nanos: self.nanos,
        })
    }
}

/// Where the wall-clock time comes from, so that code stamping messages with the current
/// time can be tested with a fixed one.
pub trait WallClock {
    /// The current instant.
    fn now(&self) -> UnixTime;
}

/// The system's wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl WallClock for SystemClock {
    fn now(&self) -> UnixTime {
        UnixTime::from_system_time(SystemTime::now()).unwrap_or(UnixTime::EPOCH)
    }
}

/// A clock that always says the same instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FixedClock(pub UnixTime);

impl WallClock for FixedClock {
    fn now(&self) -> UnixTime {
        self.0
    }
}

/// A civil date and time in UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Civil {
    /// Year, proleptic Gregorian.
    pub year: i32,
    /// Month, 1 to 12.
    pub month: u8,
    /// Day of the month, from 1.
    pub day: u8,
    /// Hour, 0 to 23.
    pub hour: u8,
    /// Minute, 0 to 59.
    pub minute: u8,
    /// Second, 0 to 59.
    pub second: u8,
    /// Nanoseconds into the second.
    pub nanos: u32,
}

/// A day of the week.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Weekday {
    /// Monday.
    Monday,
    /// Tuesday.
    Tuesday,
    /// Wednesday.
    Wednesday,
    /// Thursday.
    Thursday,
    /// Friday.
    Friday,
    /// Saturday.
    Saturday,
    /// Sunday.
    Sunday,
}

impl Weekday {
    /// Days since Monday, 0 to 6.
    pub const fn days_from_monday(self) -> u8 {
        self as u8
    }
}

const NANOS_PER_SEC: u32 = 1_000_000_000;

/// Whether `year` is a leap year of the Gregorian calendar.
pub const fn is_leap_year(year: i32) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

/// The number of days of a month (1 to 12) of a year; 0 for a month out of range.
pub const fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap_year(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Days since 1970-01-01 of a civil date (Howard Hinnant's `days_from_civil`).
pub const fn days_from_civil(year: i32, month: u8, day: u8) -> i64 {
    let y = year as i64 - if month <= 2 { 1 } else { 0 };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = month as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + day as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date of a number of days since 1970-01-01 (Hinnant's `civil_from_days`).
pub const fn civil_from_days(days: i64) -> (i32, u8, u8) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    let year = (yoe + era * 400 + if month <= 2 { 1 } else { 0 }) as i32;
    (year, month, day)
}

/// The weekday of a number of days since 1970-01-01 (a Thursday).
pub const fn weekday_from_days(days: i64) -> Weekday {
    match (days + 3).rem_euclid(7) {
        0 => Weekday::Monday,
        1 => Weekday::Tuesday,
        2 => Weekday::Wednesday,
        3 => Weekday::Thursday,
        4 => Weekday::Friday,
        5 => Weekday::Saturday,
        _ => Weekday::Sunday,
    }
}

type In<'a> = &'a [u8];

/// A failure inside the grammar: where (the remaining input) and what was expected.
struct Fail<'a> {
    rest: In<'a>,
    expected: TimestampExpected,
}

impl<'a> nom::error::ParseError<In<'a>> for Fail<'a> {
    fn from_error_kind(rest: In<'a>, _: nom::error::ErrorKind) -> Self {
        Fail {
            rest,
            expected: TimestampExpected::End,
        }
    }

    fn append(_: In<'a>, _: nom::error::ErrorKind, other: Self) -> Self {
        other
    }
}

type Res<'a, T> = IResult<In<'a>, T, Fail<'a>>;

fn fail<T>(rest: In<'_>, expected: TimestampExpected) -> Res<'_, T> {
    Err(nom::Err::Failure(Fail { rest, expected }))
}

/// `n` ASCII digits as a number, in `range`: a byte that is not a digit (or the end of
/// the text) fails where it stands, a value out of range at the field's first byte
/// (`spec/json.md` §4.2).
fn digits(
    n: usize,
    range: std::ops::RangeInclusive<u32>,
    expected: TimestampExpected,
) -> impl Fn(In<'_>) -> Res<'_, u32> {
    move |input| digits_in(input, n, &range, expected)
}

/// The parser of [`digits`], inlined into each use: the fields are read on every
/// timestamp decoded, and `n` is then a constant.
#[inline(always)]
fn digits_in<'a>(
    input: In<'a>,
    n: usize,
    range: &std::ops::RangeInclusive<u32>,
    expected: TimestampExpected,
) -> Res<'a, u32> {
    let (ds, rest) = match input.split_at_checked(n) {
        Some((ds, rest)) if ds.iter().all(u8::is_ascii_digit) => (ds, rest),
        _ => {
            let bad = input
                .iter()
                .take(n)
                .position(|b| !b.is_ascii_digit())
                .unwrap_or(input.len());
            return fail(&input[bad..], expected);
        }
    };
    let value = ds
        .iter()
        .fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0'));
    if range.contains(&value) {
        Ok((rest, value))
    } else {
        fail(input, expected)
    }
}

fn literal(c: u8, expected: TimestampExpected) -> impl Fn(In<'_>) -> Res<'_, ()> {
    move |input| match input.split_first() {
        Some((&b, rest)) if b == c => Ok((rest, ())),
        _ => fail(input, expected),
    }
}

fn one_of(cs: &'static [u8], expected: TimestampExpected) -> impl Fn(In<'_>) -> Res<'_, u8> {
    move |input| match input.split_first() {
        Some((&b, rest)) if cs.contains(&b) => Ok((rest, b)),
        _ => fail(input, expected),
    }
}

/// What a fraction of `n` digits is multiplied by to make nanoseconds: 10^(9 - n). The
/// one table, for the fractions of timestamps and of the text convention's numbers.
pub(crate) const SCALE: [u32; 10] = [
    1_000_000_000,
    100_000_000,
    10_000_000,
    1_000_000,
    100_000,
    10_000,
    1_000,
    100,
    10,
    1,
];

/// `.` and 1 to 9 digits, as nanoseconds; nothing at all is 0.
fn fraction(input: In<'_>) -> Res<'_, u32> {
    let Some((b'.', after_dot)) = input.split_first() else {
        return Ok((input, 0));
    };
    // One pass: the value of up to nine digits and how many there are.
    let mut value = 0u32;
    let mut len = 0;
    for &d in after_dot.iter().take(10) {
        if !d.is_ascii_digit() {
            break;
        }
        value = value.wrapping_mul(10).wrapping_add(u32::from(d - b'0'));
        len += 1;
    }
    match (len, after_dot.get(len..), SCALE.get(len)) {
        (0, _, _) => fail(after_dot, TimestampExpected::Fraction),
        (1..=9, Some(rest), Some(&scale)) => Ok((rest, value * scale)),
        _ => fail(
            after_dot.get(9..).unwrap_or_default(),
            TimestampExpected::Offset,
        ),
    }
}

/// The offset east of UTC in seconds: `Z`, `z`, `+HH:MM`, `-HH:MM`.
fn offset(input: In<'_>) -> Res<'_, i64> {
    let (rest, sign) = one_of(b"Zz+-", TimestampExpected::Offset)(input)?;
    if matches!(sign, b'Z' | b'z') {
        return Ok((rest, 0));
    }
    let (rest, h) = digits(2, 0..=23, TimestampExpected::Hour)(rest)?;
    let (rest, ()) = literal(b':', TimestampExpected::Char(':'))(rest)?;
    let (rest, m) = digits(2, 0..=59, TimestampExpected::Minute)(rest)?;
    let secs = i64::from(h * 3600 + m * 60);
    Ok((rest, if sign == b'-' { -secs } else { secs }))
}

fn date_time(input: In<'_>) -> Res<'_, UnixTime> {
    use TimestampExpected as E;
    // Each step is a nom parser called in sequence: the same grammar as a tuple of
    // parsers, without the generic dispatch of `Parser::process` for every field (this
    // runs on every record and envelope decoded).
    let (rest, year) = digits(4, 0..=9999, E::Year)(input)?;
    let (rest, ()) = literal(b'-', E::Char('-'))(rest)?;
    let (rest, month) = digits(2, 1..=12, E::Month)(rest)?;
    let (rest, ()) = literal(b'-', E::Char('-'))(rest)?;
    let (year, month) = (year as i32, month as u8);
    let last = u32::from(days_in_month(year, month));
    let (rest, day) = digits(2, 1..=last, E::Day)(rest)?;
    let (rest, _) = one_of(b"Tt", E::Separator)(rest)?;
    let (rest, hour) = digits(2, 0..=23, E::Hour)(rest)?;
    let (rest, ()) = literal(b':', E::Char(':'))(rest)?;
    let (rest, minute) = digits(2, 0..=59, E::Minute)(rest)?;
    let (rest, ()) = literal(b':', E::Char(':'))(rest)?;
    let (rest, second) = digits(2, 0..=59, E::Second)(rest)?;
    let (rest, nanos) = fraction(rest)?;
    let (rest, east) = offset(rest)?;
    if !rest.is_empty() {
        return fail(rest, E::End);
    }
    let local = days_from_civil(year, month, day as u8) * 86_400
        + i64::from(hour * 3600 + minute * 60 + second);
    Ok((rest, UnixTime::new(local - east, nanos)))
}

/// A timestamp read at fixed offsets, the fields in the order of the grammar: `None`
/// for anything [`date_time`] might reject, which then reads it again and says why.
/// Every field is checked as `date_time` checks it, so that `Some` is always its answer
/// (the property `the_fixed_offset_reading_is_the_grammar_s`); it exists because this
/// runs on every record and envelope decoded, where the grammar's step-by-step reading
/// was about a tenth of a record's decode (issue 21).
#[inline]
fn fixed_offsets(text: &[u8]) -> Option<UnixTime> {
    // `YYYY-MM-DDTHH:MM:SS` as three little-endian words: `YYYY-MM-`, `DDTHH:MM`, `:SS`.
    let (w0, rest) = text.split_first_chunk::<8>()?;
    let (w1, rest) = rest.split_first_chunk::<8>()?;
    let (&[a, b, c], rest) = rest.split_first_chunk::<3>()?;
    let (w0, w1) = (u64::from_le_bytes(*w0), u64::from_le_bytes(*w1));
    let w2 = u64::from(a) | u64::from(b) << 8 | u64::from(c) << 16;
    // The separators (`T` or `t`: the bit of case set), then the digits: a byte is one
    // when its high nibble is 3 and adding 6 keeps it so (no byte carries: the
    // separators are known by then, and 0x3f + 6 stays in its byte).
    const SEPARATORS: [u64; 3] = [0xff00_00ff_0000_0000, 0x0000_ff00_00ff_0000, 0x0000_00ff];
    const DIGITS: [u64; 3] = [0x00ff_ff00_ffff_ffff, 0xffff_00ff_ff00_ffff, 0x00ff_ff00];
    let w1 = w1 | 0x0000_0000_0020_0000;
    if w0 & SEPARATORS[0] != 0x2d00_002d_0000_0000
        || w1 & SEPARATORS[1] != 0x0000_3a00_0074_0000
        || w2 & SEPARATORS[2] != 0x0000_003a
    {
        return None;
    }
    let nibbles = 0xf0f0_f0f0_f0f0_f0f0u64;
    let threes = 0x3030_3030_3030_3030u64;
    let sixes = 0x0606_0606_0606_0606u64;
    let not_digits =
        |w: u64, mask: u64| ((w & nibbles ^ threes) | ((w + sixes) & nibbles ^ threes)) & mask != 0;
    if not_digits(w0, DIGITS[0]) | not_digits(w1, DIGITS[1]) | not_digits(w2, DIGITS[2]) {
        return None;
    }
    // Each digit's value: its low nibble.
    let d = |w: u64, i: u32| (w >> (8 * i)) as u32 & 0xf;
    let year = (d(w0, 0) * 1000 + d(w0, 1) * 100 + d(w0, 2) * 10 + d(w0, 3)) as i32;
    let month = d(w0, 5) * 10 + d(w0, 6);
    let day = d(w1, 0) * 10 + d(w1, 1);
    let hour = d(w1, 3) * 10 + d(w1, 4);
    let minute = d(w1, 6) * 10 + d(w1, 7);
    let second = d(w2, 1) * 10 + d(w2, 2);
    if !(1..=12).contains(&month)
        || day == 0
        || day > u32::from(days_in_month(year, month as u8))
        || hour > 23
        || minute > 59
        || second > 59
    {
        return None;
    }
    let (nanos, offset) = match rest.split_first() {
        Some((b'.', fraction)) => {
            // One pass: the value of up to nine digits and how many there are.
            let (mut value, mut len) = (0u32, 0);
            for &b in fraction.iter().take(10) {
                let digit = b.wrapping_sub(b'0');
                if digit > 9 {
                    break;
                }
                value = value.wrapping_mul(10).wrapping_add(u32::from(digit));
                len += 1;
            }
            let offset = fraction.get(len..)?;
            let scale = *SCALE.get(len).filter(|_| (1..=9).contains(&len))?;
            (value * scale, offset)
        }
        _ => (0, rest),
    };
    let east = match offset {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let [h1, h2, m1, m2] = [h1, h2, m1, m2].map(|b| u32::from(b.wrapping_sub(b'0')));
            let (h, m) = (h1 * 10 + h2, m1 * 10 + m2);
            if h1 > 9 || h2 > 9 || m1 > 9 || m2 > 9 || h > 23 || m > 59 {
                return None;
            }
            let secs = i64::from(h * 3600 + m * 60);
            if *sign == b'-' { -secs } else { secs }
        }
        _ => return None,
    };
    // `days_from_civil` in unsigned arithmetic: the year moved on by a whole era of 400
    // years (146,097 days), so that no quantity is negative, even for January 0000.
    let shifted = year as u32 + 400 - u32::from(month <= 2);
    let (era, year_of_era) = (shifted / 400, shifted % 400);
    let day_of_year = (153 * if month > 2 { month - 3 } else { month + 9 } + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    let days = i64::from(era * 146_097 + day_of_era) - 719_468 - 146_097;
    let local = days * 86_400 + i64::from(hour * 3600 + minute * 60 + second);
    Some(UnixTime::new(local - east, nanos))
}

/// The one timestamp parser (`spec/json.md` §4): the common forms at fixed offsets,
/// anything else (and every error) by the grammar.
fn parse_rfc3339(text: &str) -> Result<UnixTime, TimestampError> {
    if let Some(at) = fixed_offsets(text.as_bytes()) {
        return Ok(at);
    }
    match date_time(text.as_bytes()) {
        Ok((_, at)) => Ok(at),
        Err(nom::Err::Error(f) | nom::Err::Failure(f)) => {
            let offset = text.len() - f.rest.len();
            Err(TimestampError {
                offset,
                expected: f.expected,
                found: text.get(offset..).and_then(|s| s.chars().next()),
            })
        }
        Err(nom::Err::Incomplete(_)) => Err(TimestampError {
            offset: text.len(),
            expected: TimestampExpected::End,
            found: None,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> (usize, TimestampExpected) {
        let e = Timestamp::parse(text).expect_err(text);
        (e.offset, e.expected)
    }

    #[test]
    fn python_and_javascript_forms() {
        let py = Timestamp::parse("2025-01-16T08:30:00.123456+00:00").expect("python");
        let js = Timestamp::parse("2025-01-16T08:30:00.123456Z").expect("js");
        assert_eq!(py.unix_time(), js.unix_time());
        assert_eq!(py.unix_time().secs(), 1_737_016_200);
        assert_eq!(py.unix_time().subsec_nanos(), 123_456_000);
        let east = Timestamp::parse("2025-01-16T10:00:00+01:30").expect("east");
        assert_eq!(east.unix_time().civil().hour, 8);
        assert_eq!(east.unix_time().civil().minute, 30);
        let nine = Timestamp::parse("2025-01-16T08:30:00.123456789z").expect("nine");
        assert_eq!(nine.unix_time().subsec_nanos(), 123_456_789);
        let early = Timestamp::parse("0001-01-01t00:00:00-23:59").expect("early");
        assert!(early.unix_time() < UnixTime::EPOCH);
    }

    #[test]
    fn rejections_say_where() {
        use TimestampExpected as E;
        assert_eq!(err(""), (0, E::Year));
        // A field short of digits fails at the first byte that is not one; a field of
        // digits out of range, at its first digit.
        assert_eq!(err("2025-1-16T08:30:00Z"), (6, E::Month));
        assert_eq!(err("25-01-16T08:30:00Z"), (2, E::Year));
        assert_eq!(err("2025-01-16T8:30:00Z"), (12, E::Hour));
        assert_eq!(err("2025-01-16T08:30:00+01"), (22, E::Char(':')));
        assert_eq!(err("2025-01-16T08:30:00+01:0"), (24, E::Minute));
        assert_eq!(err("2025-01"), (7, E::Char('-')));
        assert_eq!(err("202"), (3, E::Year));
        assert_eq!(err("2025-02-29T08:30:00Z"), (8, E::Day));
        assert_eq!(err("2024-02-30T08:30:00Z"), (8, E::Day));
        assert_eq!(err("2025-01-16 08:30:00Z"), (10, E::Separator));
        assert_eq!(err("2025-01-16T24:00:00Z"), (11, E::Hour));
        assert_eq!(err("2025-01-16T23:60:00Z"), (14, E::Minute));
        assert_eq!(err("2025-01-16T23:59:60Z"), (17, E::Second));
        assert_eq!(err("2025-01-16T23:59:59.Z"), (20, E::Fraction));
        assert_eq!(err("2025-01-16T23:59:59.1234567891Z"), (29, E::Offset));
        assert_eq!(err("2025-01-16T23:59:59"), (19, E::Offset));
        assert_eq!(err("2025-01-16T23:59:59+0100"), (22, E::Char(':')));
        assert_eq!(err("2025-01-16T23:59:59+24:00"), (20, E::Hour));
        assert_eq!(err("2025-01-16T23:59:59Z "), (20, E::End));
        assert_eq!(err("2025-01-16T23:59:59Z[UTC]"), (20, E::End));
    }

    #[test]
    fn civil_round_trip_over_four_centuries() {
        for days in (-800_000i64..800_000).step_by(7) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
            assert!(d >= 1 && d <= days_in_month(y, m));
        }
        assert_eq!(weekday_from_days(0), Weekday::Thursday);
        assert_eq!(civil_from_days(days_from_civil(2024, 2, 29)), (2024, 2, 29));
    }

    #[test]
    fn writers_match_python_and_javascript() {
        let at = UnixTime::new(1_737_016_200, 123_456_789);
        assert_eq!(
            Timestamp::from_unix_micros(at).as_str(),
            "2025-01-16T08:30:00.123456+00:00"
        );
        assert_eq!(
            Timestamp::from_unix_millis(at).as_str(),
            "2025-01-16T08:30:00.123Z"
        );
    }

    /// The grammar's answer, without the fixed-offset reading.
    fn by_grammar(text: &str) -> Option<UnixTime> {
        date_time(text.as_bytes()).ok().map(|(_, at)| at)
    }

    #[test]
    fn the_fixed_offset_reading_takes_the_common_forms() {
        for text in [
            "2025-01-16T08:30:00.123456+00:00",
            "2024-01-26T10:30:00.000Z",
            "2024-02-29t23:59:59z",
            "0001-01-01T00:00:00-23:59",
            "9999-12-31T23:59:59.999999999+23:59",
        ] {
            let fast = fixed_offsets(text.as_bytes());
            assert!(fast.is_some(), "{text}");
            assert_eq!(fast, by_grammar(text), "{text}");
        }
    }

    /// Timestamps of every field value, valid and out of range, and with a byte changed
    /// anywhere: the fixed-offset reading either declines or gives the grammar's instant.
    fn timestamps() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let fraction = prop_oneof![Just(String::new()), "\\.[0-9]{0,11}"];
        let offset = prop_oneof![
            Just("Z".to_owned()),
            Just("z".to_owned()),
            "[+-][0-9]{2}:[0-9]{2}",
            "[+-][0-9]{1,3}:?[0-9]{1,3}",
        ];
        let valid = (
            0u32..10_000,
            0u32..14,
            0u32..33,
            "[Tt ]",
            0u32..26,
            0u32..61,
            0u32..61,
            fraction,
            offset,
        )
            .prop_map(|(y, mo, d, t, h, mi, s, f, o)| {
                format!("{y:04}-{mo:02}-{d:02}{t}{h:02}:{mi:02}:{s:02}{f}{o}")
            });
        (valid, any::<usize>(), any::<u8>(), any::<bool>()).prop_map(|(text, at, byte, damage)| {
            let mut bytes = text.into_bytes();
            if damage && !bytes.is_empty() {
                let at = at % bytes.len();
                bytes[at] = byte;
            }
            String::from_utf8_lossy(&bytes).into_owned()
        })
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(8192))]

        #[test]
        fn the_fixed_offset_reading_is_the_grammar_s(text in timestamps()) {
            let fast = fixed_offsets(text.as_bytes());
            let slow = by_grammar(&text);
            proptest::prop_assert!(fast.is_none() || fast == slow, "{:?}: {:?} {:?}", text, fast, slow);
            proptest::prop_assert_eq!(Timestamp::parse(&text).ok().map(|t| t.unix_time()), slow, "{:?}", text);
        }
    }

    #[test]
    fn system_time_round_trip() {
        for at in [
            UnixTime::new(1_737_016_200, 5),
            UnixTime::new(-1, 999_999_999),
            UnixTime::EPOCH,
        ] {
            assert_eq!(UnixTime::from_system_time(at.system_time()), Some(at));
        }
    }
}
