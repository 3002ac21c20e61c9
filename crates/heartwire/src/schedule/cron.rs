//! Five-field crontab schedules in a time zone, with healthchecks.io's rules for daylight
//! saving time (`spec/schedule.md` §12).
//!
//! The matcher is a bit set per field over a civil calendar; the time zone (an IANA name,
//! UTC by default) comes from jiff's bundled copy of the tz database, so a machine
//! without `/usr/share/zoneinfo` answers the same. The rules follow cronsim, the library
//! healthchecks.io evaluates its cron checks with:
//!
//! - a *fixed-time* schedule (neither the minute nor the hour field starts with `*`) is
//!   matched against the wall clock: a time the clock skips (spring forward) fires at the
//!   first valid wall-clock minute after it, a time the clock repeats (fall back) fires
//!   once, at its first occurrence;
//! - any other schedule (`*/15 * * * *`, `0 * * * *`) is matched against every real
//!   minute: times the clock skips do not fire, times it repeats fire at each occurrence.

use std::fmt;

use jiff::civil::DateTime;
use jiff::tz::{AmbiguousOffset, TimeZone};

use crate::time::{UnixTime, civil_from_days, days_from_civil, days_in_month, weekday_from_days};

/// How far [`Cron::next_after`] looks before it says the schedule never fires again
/// (cronsim's limit too).
pub const SEARCH_YEARS: i32 = 50;

/// The longest expression [`Cron::parse`] reads, in bytes.
pub const MAX_CRON_LEN: usize = 256;

const SECS_PER_DAY: i64 = 86_400;

/// One of the five fields, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CronField {
    /// Minute, 0-59.
    Minute,
    /// Hour, 0-23.
    Hour,
    /// Day of the month, 1-31.
    DayOfMonth,
    /// Month, 1-12 or `JAN`-`DEC`.
    Month,
    /// Day of the week, 0-7 (0 and 7 are Sunday) or `SUN`-`SAT`.
    DayOfWeek,
}

impl CronField {
    const ALL: [CronField; 5] = [
        CronField::Minute,
        CronField::Hour,
        CronField::DayOfMonth,
        CronField::Month,
        CronField::DayOfWeek,
    ];

    /// The field's name as messages write it.
    pub const fn as_str(self) -> &'static str {
        match self {
            CronField::Minute => "minute",
            CronField::Hour => "hour",
            CronField::DayOfMonth => "day-of-month",
            CronField::Month => "month",
            CronField::DayOfWeek => "day-of-week",
        }
    }

    const fn bounds(self) -> (u8, u8) {
        match self {
            CronField::Minute => (0, 59),
            CronField::Hour => (0, 23),
            CronField::DayOfMonth => (1, 31),
            CronField::Month => (1, 12),
            CronField::DayOfWeek => (0, 7),
        }
    }

    const fn expected(self) -> &'static str {
        match self {
            CronField::Minute => "a minute 0-59",
            CronField::Hour => "an hour 0-23",
            CronField::DayOfMonth => "a day-of-month 1-31",
            CronField::Month => "a month 1-12 or JAN-DEC",
            CronField::DayOfWeek => "a day-of-week 0-7 or SUN-SAT",
        }
    }

    fn name_value(self, name: &str) -> Option<u8> {
        const MONTHS: [&str; 12] = [
            "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
        ];
        const DAYS: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];
        let names: &[&str] = match self {
            CronField::Month => &MONTHS,
            CronField::DayOfWeek => &DAYS,
            _ => return None,
        };
        let i = names.iter().position(|n| n.eq_ignore_ascii_case(name))?;
        let first = if self == CronField::Month { 1 } else { 0 };
        u8::try_from(i).ok().map(|i| i + first)
    }
}

/// What is wrong with a cron schedule.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CronErrorKind {
    /// Not five fields of digits, names, `*`, `,`, `-` and `/`: `cron.syntax`.
    Syntax {
        /// What was expected there.
        expected: &'static str,
    },
    /// A number outside its field, a range that ends before it starts, a step of 0, or a
    /// day-of-month no selected month has: `cron.range`.
    Range {
        /// The field.
        field: CronField,
        /// What was expected there.
        expected: &'static str,
    },
    /// Syntax of other crons that healthchecks' five fields here do not take (`L`, `W`,
    /// `#`, `?`): `cron.unsupported`.
    Unsupported {
        /// The character.
        found: char,
    },
    /// A time zone that is no IANA name of the bundled database: `cron.time-zone`.
    TimeZone {
        /// The name given.
        name: String,
    },
}

/// A cron schedule that cannot be read, at a byte offset of the expression (0 for a time
/// zone, which is its own argument).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CronError {
    /// Byte offset in the expression (or the time zone's name).
    pub offset: usize,
    /// What is wrong.
    pub kind: CronErrorKind,
}

impl CronError {
    const fn syntax(offset: usize, expected: &'static str) -> CronError {
        CronError {
            offset,
            kind: CronErrorKind::Syntax { expected },
        }
    }

    const fn range(offset: usize, field: CronField, expected: &'static str) -> CronError {
        CronError {
            offset,
            kind: CronErrorKind::Range { field, expected },
        }
    }

    /// The error class of the conformance vectors.
    pub const fn class(&self) -> &'static str {
        match self.kind {
            CronErrorKind::Syntax { .. } => "cron.syntax",
            CronErrorKind::Range { .. } => "cron.range",
            CronErrorKind::Unsupported { .. } => "cron.unsupported",
            CronErrorKind::TimeZone { .. } => "cron.time-zone",
        }
    }
}

impl fmt::Display for CronError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = self.offset;
        match &self.kind {
            CronErrorKind::Syntax { expected } => write!(f, "expected {expected} at byte {at}"),
            CronErrorKind::Range { field, expected } => {
                write!(
                    f,
                    "bad {} at byte {at}: expected {expected}",
                    field.as_str()
                )
            }
            CronErrorKind::Unsupported { found } => write!(
                f,
                "{found:?} at byte {at} is not taken: five fields of numbers, names, \
                 '*', ',', '-' and '/'"
            ),
            CronErrorKind::TimeZone { name } => {
                write!(
                    f,
                    "{name:?} is no time zone: expected an IANA name such as Europe/Paris"
                )
            }
        }
    }
}

impl std::error::Error for CronError {}

/// A five-field crontab schedule (`m h dom mon dow`) in a time zone.
///
/// ```
/// use heartwire::schedule::Cron;
/// use heartwire::time::Timestamp;
///
/// // 02:30 does not exist in Paris on 30 March 2025: the job fires at 03:00.
/// let cron = Cron::with_time_zone("30 2 * * *", "Europe/Paris").unwrap();
/// let after = Timestamp::parse("2025-03-29T12:00:00Z").unwrap().unix_time();
/// let next = cron.next_after(after).unwrap();
/// assert_eq!(next, Timestamp::parse("2025-03-30T01:00:00Z").unwrap().unix_time());
/// ```
#[derive(Clone)]
pub struct Cron {
    expression: String,
    zone: TimeZone,
    zone_name: String,
    minutes: u64,
    hours: u32,
    days: u32,
    months: u16,
    weekdays: u8,
    /// Day-of-month and day-of-week both have to match (one of them starts with `*`);
    /// otherwise either does.
    day_and: bool,
    /// Neither minute nor hour starts with `*`: the wall-clock rules of a fixed time.
    fixed: bool,
}

impl fmt::Debug for Cron {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cron")
            .field("expression", &self.expression)
            .field("time_zone", &self.zone_name)
            .finish()
    }
}

impl PartialEq for Cron {
    fn eq(&self, other: &Cron) -> bool {
        self.expression == other.expression && self.zone_name == other.zone_name
    }
}

impl Eq for Cron {}

impl fmt::Display for Cron {
    /// The expression, then the time zone in brackets unless it is UTC.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.expression)?;
        if self.zone_name != "UTC" {
            write!(f, " [{}]", self.zone_name)?;
        }
        Ok(())
    }
}

impl Cron {
    /// Reads a five-field expression in UTC.
    pub fn parse(expression: &str) -> Result<Cron, CronError> {
        Cron::with_time_zone(expression, "UTC")
    }

    /// Reads a five-field expression in the time zone of an IANA name (`Europe/Paris`,
    /// `UTC`).
    pub fn with_time_zone(expression: &str, time_zone: &str) -> Result<Cron, CronError> {
        if expression.len() > MAX_CRON_LEN {
            return Err(CronError::syntax(
                MAX_CRON_LEN,
                "an expression of at most 256 bytes",
            ));
        }
        let mut fields = [(0usize, ""); 5];
        let mut n = 0;
        let bytes = expression.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b' ' || bytes[i] == b'\t' {
                i += 1;
                continue;
            }
            let start = i;
            while i < bytes.len() && bytes[i] != b' ' && bytes[i] != b'\t' {
                i += 1;
            }
            if n == 5 {
                return Err(CronError::syntax(start, "the end after five fields"));
            }
            fields[n] = (start, &expression[start..i]);
            n += 1;
        }
        if n < 5 {
            return Err(CronError::syntax(
                expression.len(),
                "five fields: minute hour day-of-month month day-of-week",
            ));
        }
        let mut sets = [0u64; 5];
        for (k, field) in CronField::ALL.into_iter().enumerate() {
            let (at, text) = fields[k];
            sets[k] = parse_field(field, text, at)?;
        }
        // Day-of-week 7 is Sunday.
        let weekdays = (sets[4] & 0x7f) | ((sets[4] >> 7) & 1);
        let days = u32::try_from(sets[2]).unwrap_or(0);
        let months = u16::try_from(sets[3]).unwrap_or(0);
        // A day-of-month no selected month has (`0 0 30 2 *`) never fires.
        let first_day = days.trailing_zeros();
        let longest = (1..=12u8)
            .filter(|m| months & (1 << m) != 0)
            .map(|m| u32::from(days_in_month(2000, m)))
            .max()
            .unwrap_or(0);
        if first_day > longest {
            return Err(CronError::range(
                fields[2].0,
                CronField::DayOfMonth,
                "a day-of-month that one of the months has",
            ));
        }
        let zone = TimeZone::get(time_zone).map_err(|_| CronError {
            offset: 0,
            kind: CronErrorKind::TimeZone {
                name: time_zone.to_owned(),
            },
        })?;
        let zone_name = zone.iana_name().unwrap_or(time_zone).to_owned();
        Ok(Cron {
            expression: expression.to_owned(),
            zone,
            zone_name,
            minutes: sets[0],
            hours: u32::try_from(sets[1]).unwrap_or(0),
            days,
            months,
            weekdays: u8::try_from(weekdays).unwrap_or(0),
            day_and: fields[2].1.starts_with('*') || fields[4].1.starts_with('*'),
            fixed: !fields[0].1.starts_with('*') && !fields[1].1.starts_with('*'),
        })
    }

    /// The expression as given.
    pub fn expression(&self) -> &str {
        &self.expression
    }

    /// The time zone's IANA name.
    pub fn time_zone(&self) -> &str {
        &self.zone_name
    }

    /// Whether the fixed-time rules apply (neither minute nor hour starts with `*`).
    pub const fn is_fixed_time(&self) -> bool {
        self.fixed
    }

    /// The first fire time strictly after `after`, or `None` when there is none within
    /// [`SEARCH_YEARS`].
    pub fn next_after(&self, after: UnixTime) -> Option<UnixTime> {
        let t = after.secs();
        // A wall-clock time is within a day and a half of its instants (offsets are under
        // 26 hours); a skipped time can move a fixed-time job by a day at most.
        let margin = 2 * SECS_PER_DAY;
        let first_day = (t - margin).div_euclid(SECS_PER_DAY);
        let (start_year, _, _) = civil_from_days(first_day);
        let last_day = days_from_civil(start_year.saturating_add(SEARCH_YEARS), 1, 1);
        let mut best: Option<i64> = None;
        let mut day = first_day;
        while day < last_day {
            if best.is_some_and(|b| day * SECS_PER_DAY - margin > b) {
                break;
            }
            let (year, month, dom) = civil_from_days(day);
            if self.months & (1 << month) == 0 {
                // On to the first of the next month.
                let (y, m) = if month == 12 {
                    (year + 1, 1)
                } else {
                    (year, month + 1)
                };
                day = days_from_civil(y, m, 1);
                continue;
            }
            if self.day_matches(day, dom) {
                for hour in bits(u64::from(self.hours)) {
                    for minute in bits(self.minutes) {
                        let wall =
                            day * SECS_PER_DAY + i64::from(hour) * 3600 + i64::from(minute) * 60;
                        if wall < t - margin {
                            continue;
                        }
                        if best.is_some_and(|b| wall - margin > b) {
                            break;
                        }
                        self.instants(wall, |instant| {
                            if instant > t && best.is_none_or(|b| instant < b) {
                                best = Some(instant);
                            }
                        });
                    }
                }
            }
            day += 1;
        }
        best.map(|s| UnixTime::new(s, 0))
    }

    /// The fire times after `after`, in order.
    pub fn fire_times(&self, after: UnixTime) -> impl Iterator<Item = UnixTime> + '_ {
        let mut at = after;
        std::iter::from_fn(move || {
            let next = self.next_after(at)?;
            at = next;
            Some(next)
        })
    }

    fn day_matches(&self, day: i64, dom: u8) -> bool {
        let weekday = (weekday_from_days(day).days_from_monday() + 1) % 7;
        let dom_ok = self.days & (1 << dom) != 0;
        let dow_ok = self.weekdays & (1 << weekday) != 0;
        if self.day_and {
            dom_ok && dow_ok
        } else {
            dom_ok || dow_ok
        }
    }

    /// The instants (seconds) a matching wall-clock time (seconds as if UTC) fires at.
    fn instants(&self, wall: i64, mut fire: impl FnMut(i64)) {
        match self.offset_at(wall) {
            Some(AmbiguousOffset::Unambiguous { offset }) => {
                fire(wall - i64::from(offset.seconds()))
            }
            Some(AmbiguousOffset::Fold { before, after }) => {
                fire(wall - i64::from(before.seconds()));
                if !self.fixed {
                    fire(wall - i64::from(after.seconds()));
                }
            }
            Some(AmbiguousOffset::Gap { .. }) if self.fixed => {
                // The first wall-clock minute after the gap (cronsim: minute by minute).
                let mut w = wall;
                for _ in 0..(2 * 1440) {
                    w += 60;
                    match self.offset_at(w) {
                        Some(AmbiguousOffset::Unambiguous { offset })
                        | Some(AmbiguousOffset::Fold { before: offset, .. }) => {
                            fire(w - i64::from(offset.seconds()));
                            return;
                        }
                        Some(AmbiguousOffset::Gap { .. }) => {}
                        None => return,
                    }
                }
            }
            Some(AmbiguousOffset::Gap { .. }) | None => {}
        }
    }

    fn offset_at(&self, wall: i64) -> Option<AmbiguousOffset> {
        let days = wall.div_euclid(SECS_PER_DAY);
        let secs = wall.rem_euclid(SECS_PER_DAY);
        let (year, month, day) = civil_from_days(days);
        let dt = DateTime::new(
            i16::try_from(year).ok()?,
            i8::try_from(month).ok()?,
            i8::try_from(day).ok()?,
            i8::try_from(secs / 3600).ok()?,
            i8::try_from(secs % 3600 / 60).ok()?,
            0,
            0,
        )
        .ok()?;
        Some(self.zone.to_ambiguous_timestamp(dt).offset())
    }
}

/// The set bits of a word, lowest first.
fn bits(mut word: u64) -> impl Iterator<Item = u32> {
    std::iter::from_fn(move || {
        if word == 0 {
            return None;
        }
        let bit = word.trailing_zeros();
        word &= word - 1;
        Some(bit)
    })
}

/// One field: a comma-separated list of `*`, `v`, `a-b`, each with an optional `/step`.
fn parse_field(field: CronField, text: &str, at: usize) -> Result<u64, CronError> {
    let (lo, hi) = field.bounds();
    let mut set = 0u64;
    let mut offset = at;
    for item in text.split(',') {
        let (base, step) = match item.find('/') {
            Some(slash) => (
                &item[..slash],
                Some((offset + slash + 1, &item[slash + 1..])),
            ),
            None => (item, None),
        };
        let step = match step {
            None => None,
            Some((step_at, digits)) => {
                let n = number(digits, step_at)?;
                if n == 0 {
                    return Err(CronError::range(step_at, field, "a step of 1 or more"));
                }
                Some(n)
            }
        };
        let (start, end) = if base == "*" {
            (lo, hi)
        } else if let Some(dash) = base.find('-') {
            let a = value(field, &base[..dash], offset)?;
            let b_at = offset + dash + 1;
            let b = value(field, &base[dash + 1..], b_at)?;
            if b < a {
                return Err(CronError::range(
                    b_at,
                    field,
                    "a range that ends at or after its start",
                ));
            }
            (a, b)
        } else {
            let a = value(field, base, offset)?;
            (a, if step.is_some() { hi } else { a })
        };
        let step = usize::try_from(step.unwrap_or(1)).unwrap_or(usize::MAX);
        for v in (start..=end).step_by(step) {
            set |= 1 << v;
        }
        offset += item.len() + 1;
    }
    Ok(set)
}

/// A step: digits.
fn number(digits: &str, at: usize) -> Result<u32, CronError> {
    if let Some((i, c)) = digits.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        return Err(bad_char(c, at + i, "a digit"));
    }
    if digits.is_empty() {
        return Err(CronError::syntax(at, "a digit"));
    }
    Ok(digits.parse::<u32>().unwrap_or(u32::MAX))
}

/// A value of a field: digits in its bounds, or a name of three letters.
fn value(field: CronField, text: &str, at: usize) -> Result<u8, CronError> {
    if text.is_empty() {
        return Err(CronError::syntax(at, field.expected()));
    }
    if let Some(v) = field.name_value(text) {
        return Ok(v);
    }
    if let Some((i, c)) = text.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        if text.bytes().all(|b| b.is_ascii_alphabetic()) && !matches!(text, "L" | "W" | "LW") {
            return Err(CronError::syntax(at, field.expected()));
        }
        return Err(bad_char(c, at + i, field.expected()));
    }
    let (lo, hi) = field.bounds();
    text.parse::<u32>()
        .ok()
        .and_then(|v| u8::try_from(v).ok())
        .filter(|v| (lo..=hi).contains(v))
        .ok_or_else(|| CronError::range(at, field, field.expected()))
}

fn bad_char(c: char, at: usize, expected: &'static str) -> CronError {
    if matches!(c, 'L' | 'W' | '#' | '?' | 'l' | 'w') {
        CronError {
            offset: at,
            kind: CronErrorKind::Unsupported { found: c },
        }
    } else {
        CronError::syntax(at, expected)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::Timestamp;

    fn at(text: &str) -> UnixTime {
        Timestamp::parse(text).expect("a timestamp").unix_time()
    }

    fn next(expr: &str, tz: &str, after: &str, n: usize) -> Vec<String> {
        let cron = Cron::with_time_zone(expr, tz).expect("valid");
        cron.fire_times(at(after))
            .take(n)
            .map(|t| Timestamp::from_unix_millis(t).as_str().to_owned())
            .collect()
    }

    #[test]
    fn every_fifteen_minutes() {
        assert_eq!(
            next("*/15 * * * *", "UTC", "2025-01-01T00:07:00Z", 3),
            [
                "2025-01-01T00:15:00.000Z",
                "2025-01-01T00:30:00.000Z",
                "2025-01-01T00:45:00.000Z"
            ]
        );
    }

    #[test]
    fn spring_forward_fixed_fires_at_the_end_of_the_gap() {
        assert_eq!(
            next("30 2 * * *", "Europe/Paris", "2025-03-29T12:00:00Z", 2),
            ["2025-03-30T01:00:00.000Z", "2025-03-31T00:30:00.000Z"]
        );
    }

    #[test]
    fn fall_back_fixed_fires_once_interval_twice() {
        assert_eq!(
            next("30 2 * * *", "Europe/Paris", "2025-10-25T12:00:00Z", 2),
            ["2025-10-26T00:30:00.000Z", "2025-10-27T01:30:00.000Z"]
        );
        assert_eq!(
            next("30 * * * *", "Europe/Paris", "2025-10-25T23:00:00Z", 3),
            [
                "2025-10-25T23:30:00.000Z",
                "2025-10-26T00:30:00.000Z",
                "2025-10-26T01:30:00.000Z"
            ]
        );
    }

    #[test]
    fn day_rules() {
        assert_eq!(
            next("0 0 29 2 *", "UTC", "2025-01-01T00:00:00Z", 2),
            ["2028-02-29T00:00:00.000Z", "2032-02-29T00:00:00.000Z"]
        );
        // Both day fields restricted: either matches (Vixie cron).
        assert_eq!(
            next("0 0 13 * FRI", "UTC", "2025-06-01T00:00:00Z", 3),
            [
                "2025-06-06T00:00:00.000Z",
                "2025-06-13T00:00:00.000Z",
                "2025-06-20T00:00:00.000Z"
            ]
        );
        assert_eq!(
            next("0 0 * * 7", "UTC", "2025-06-01T00:00:00Z", 1),
            ["2025-06-08T00:00:00.000Z"]
        );
    }

    #[test]
    fn errors() {
        let class = |e: &str| {
            Cron::parse(e)
                .map(|_| ())
                .map_err(|e| (e.class(), e.offset))
        };
        assert_eq!(class("60 * * * *"), Err(("cron.range", 0)));
        assert_eq!(class("* * * * MON-"), Err(("cron.syntax", 12)));
        assert_eq!(class("* * *"), Err(("cron.syntax", 5)));
        assert_eq!(class("* * * * * *"), Err(("cron.syntax", 10)));
        assert_eq!(class("0 0 L * *"), Err(("cron.unsupported", 4)));
        assert_eq!(class("0 0 * * 5#2"), Err(("cron.unsupported", 9)));
        assert_eq!(class("*/0 * * * *"), Err(("cron.range", 2)));
        assert_eq!(class("0 5-2 * * *"), Err(("cron.range", 4)));
        assert_eq!(class("0 0 30 2 *"), Err(("cron.range", 4)));
        assert_eq!(class("0 0 * JAN-MON *"), Err(("cron.syntax", 10)));
        assert!(Cron::parse("0 9 * jan-mar mon-fri").is_ok());
        assert_eq!(
            Cron::with_time_zone("* * * * *", "Mars/Olympus")
                .map(|_| ())
                .map_err(|e| e.class()),
            Err("cron.time-zone")
        );
    }
}
