//! Rates and the small validated numbers they are made of.

use std::fmt;
use std::num::NonZeroU32;
use std::str::FromStr;

use crate::time::days_in_month;

use super::error::{Field, ScheduleError};

/// The largest count of an interval rate: 2^31-1, the largest `int` of ReScript, the
/// language of the Reventless framework (`spec/schedule.md` §4.5).
pub const MAX_COUNT: u32 = i32::MAX as u32;

/// The first year of a `Single` rate: the first year of EventBridge's cron year field.
pub const MIN_YEAR: u16 = 1970;

/// The last year of a `Single` rate: the last year of EventBridge's cron year field.
pub const MAX_YEAR: u16 = 2199;

/// An hour of the day in UTC, 0 to 23.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Hour(u8);

impl Hour {
    /// The hour, or `None` above 23.
    pub const fn new(hour: u8) -> Option<Hour> {
        if hour < 24 { Some(Hour(hour)) } else { None }
    }

    /// The hour, 0 to 23.
    pub const fn get(self) -> u8 {
        self.0
    }
}

/// A minute of the hour, 0 to 59.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Minute(u8);

impl Minute {
    /// The minute, or `None` above 59.
    pub const fn new(minute: u8) -> Option<Minute> {
        if minute < 60 {
            Some(Minute(minute))
        } else {
            None
        }
    }

    /// The minute, 0 to 59.
    pub const fn get(self) -> u8 {
        self.0
    }
}

/// How many units an interval rate waits: 1 to [`MAX_COUNT`].
///
/// Zero is not a count: `Minutes(0)` would fire continuously, and EventBridge requires a
/// positive value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Count(NonZeroU32);

impl Count {
    /// The count, or `None` for 0 and above [`MAX_COUNT`].
    pub const fn new(count: u32) -> Option<Count> {
        match NonZeroU32::new(count) {
            Some(n) if count <= MAX_COUNT => Some(Count(n)),
            _ => None,
        }
    }

    /// The count, 1 to [`MAX_COUNT`].
    pub const fn get(self) -> u32 {
        self.0.get()
    }
}

/// A date that exists, in the years [`MIN_YEAR`] to [`MAX_YEAR`]: the day of a
/// `Single` rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    year: u16,
    month: u8,
    day: u8,
}

impl Date {
    /// The date, or `None` when it does not exist (30 February, 29 February 2100) or its
    /// year is outside [`MIN_YEAR`]..=[`MAX_YEAR`].
    pub const fn new(year: u16, month: u8, day: u8) -> Option<Date> {
        if year < MIN_YEAR || year > MAX_YEAR || month < 1 || month > 12 {
            return None;
        }
        if day < 1 || day > days_in_month(year as i32, month) {
            return None;
        }
        Some(Date { year, month, day })
    }

    /// The year, [`MIN_YEAR`] to [`MAX_YEAR`].
    pub const fn year(self) -> u16 {
        self.year
    }

    /// The month, 1 to 12.
    pub const fn month(self) -> u8 {
        self.month
    }

    /// The day of the month, from 1.
    pub const fn day(self) -> u8 {
        self.day
    }
}

/// Which rate, without its arguments: the constructor name of the Reventless `rate` type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RateKind {
    /// `Single(year, month, day, hour, minute)`.
    Single,
    /// `Minutes(n)`.
    Minutes,
    /// `Hours(n)`.
    Hours,
    /// `Days(n)`.
    Days,
    /// `Daily(hour, minute)`.
    Daily,
    /// `Weekdays(hour, minute)`.
    Weekdays,
    /// `WeekdaysAndSaturday(hour, minute)`.
    WeekdaysAndSaturday,
}

impl RateKind {
    /// Every kind, in the order of the Reventless type.
    pub const ALL: [RateKind; 7] = [
        RateKind::Single,
        RateKind::Minutes,
        RateKind::Hours,
        RateKind::Days,
        RateKind::Daily,
        RateKind::Weekdays,
        RateKind::WeekdaysAndSaturday,
    ];

    /// The constructor name, as written in every encoding: `Daily`.
    pub const fn as_str(self) -> &'static str {
        match self {
            RateKind::Single => "Single",
            RateKind::Minutes => "Minutes",
            RateKind::Hours => "Hours",
            RateKind::Days => "Days",
            RateKind::Daily => "Daily",
            RateKind::Weekdays => "Weekdays",
            RateKind::WeekdaysAndSaturday => "WeekdaysAndSaturday",
        }
    }

    /// The kind of a constructor name (case-sensitive, as in ReScript).
    pub fn from_name(name: &[u8]) -> Option<RateKind> {
        RateKind::ALL
            .into_iter()
            .find(|k| k.as_str().as_bytes() == name)
    }

    /// How many arguments the constructor takes: 5, 1 or 2.
    pub const fn arity(self) -> usize {
        self.fields().len()
    }

    /// The fields of the arguments, in order.
    pub const fn fields(self) -> &'static [Field] {
        match self {
            RateKind::Single => &[
                Field::Year,
                Field::Month,
                Field::Day,
                Field::Hour,
                Field::Minute,
            ],
            RateKind::Minutes | RateKind::Hours | RateKind::Days => &[Field::Count],
            RateKind::Daily | RateKind::Weekdays | RateKind::WeekdaysAndSaturday => {
                &[Field::Hour, Field::Minute]
            }
        }
    }

    /// The arity as the error of a wrong number of arguments says it.
    pub(crate) const fn arity_expected(self) -> &'static str {
        match self {
            RateKind::Single => "5 arguments for Single: year, month, day, hour, minute",
            RateKind::Minutes => "1 argument for Minutes: a count",
            RateKind::Hours => "1 argument for Hours: a count",
            RateKind::Days => "1 argument for Days: a count",
            RateKind::Daily => "2 arguments for Daily: hour, minute",
            RateKind::Weekdays => "2 arguments for Weekdays: hour, minute",
            RateKind::WeekdaysAndSaturday => "2 arguments for WeekdaysAndSaturday: hour, minute",
        }
    }
}

impl fmt::Display for RateKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// When a schedule fires: the `rate` of the Reventless Scheduler (`spec/schedule.md` §4).
///
/// Every value is valid: the hours, minutes, counts and dates are checked when they are
/// made. All times are UTC.
///
/// ```
/// use heartwire::schedule::Rate;
///
/// let rate: Rate = "Weekdays(17, 0)".parse()?;
/// assert_eq!(rate, Rate::weekdays(17, 0).unwrap());
/// assert_eq!(rate.to_string(), "Weekdays(17,0)");
/// assert_eq!(rate.expression(), "cron(0 17 ? * MON-FRI *)");
/// assert_eq!(Rate::from_expression("cron(0 17 ? * MON-FRI *)")?, rate);
/// # Ok::<(), heartwire::schedule::ScheduleError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Rate {
    /// Once, at a minute of a day.
    Single {
        /// The day.
        date: Date,
        /// The hour.
        hour: Hour,
        /// The minute.
        minute: Minute,
    },
    /// Every `n` minutes.
    Minutes(Count),
    /// Every `n` hours.
    Hours(Count),
    /// Every `n` days.
    Days(Count),
    /// Every day at a time.
    Daily {
        /// The hour.
        hour: Hour,
        /// The minute.
        minute: Minute,
    },
    /// Monday to Friday at a time.
    Weekdays {
        /// The hour.
        hour: Hour,
        /// The minute.
        minute: Minute,
    },
    /// Monday to Saturday at a time.
    WeekdaysAndSaturday {
        /// The hour.
        hour: Hour,
        /// The minute.
        minute: Minute,
    },
}

impl Rate {
    /// `Single(year, month, day, hour, minute)`, or `None` if any part is out of range.
    pub const fn single(year: u16, month: u8, day: u8, hour: u8, minute: u8) -> Option<Rate> {
        match (
            Date::new(year, month, day),
            Hour::new(hour),
            Minute::new(minute),
        ) {
            (Some(date), Some(hour), Some(minute)) => Some(Rate::Single { date, hour, minute }),
            _ => None,
        }
    }

    /// `Minutes(n)`, or `None` if `n` is not a [`Count`].
    pub const fn minutes(n: u32) -> Option<Rate> {
        match Count::new(n) {
            Some(n) => Some(Rate::Minutes(n)),
            None => None,
        }
    }

    /// `Hours(n)`, or `None` if `n` is not a [`Count`].
    pub const fn hours(n: u32) -> Option<Rate> {
        match Count::new(n) {
            Some(n) => Some(Rate::Hours(n)),
            None => None,
        }
    }

    /// `Days(n)`, or `None` if `n` is not a [`Count`].
    pub const fn days(n: u32) -> Option<Rate> {
        match Count::new(n) {
            Some(n) => Some(Rate::Days(n)),
            None => None,
        }
    }

    /// `Daily(hour, minute)`, or `None` if either is out of range.
    pub const fn daily(hour: u8, minute: u8) -> Option<Rate> {
        match (Hour::new(hour), Minute::new(minute)) {
            (Some(hour), Some(minute)) => Some(Rate::Daily { hour, minute }),
            _ => None,
        }
    }

    /// `Weekdays(hour, minute)`, or `None` if either is out of range.
    pub const fn weekdays(hour: u8, minute: u8) -> Option<Rate> {
        match (Hour::new(hour), Minute::new(minute)) {
            (Some(hour), Some(minute)) => Some(Rate::Weekdays { hour, minute }),
            _ => None,
        }
    }

    /// `WeekdaysAndSaturday(hour, minute)`, or `None` if either is out of range.
    pub const fn weekdays_and_saturday(hour: u8, minute: u8) -> Option<Rate> {
        match (Hour::new(hour), Minute::new(minute)) {
            (Some(hour), Some(minute)) => Some(Rate::WeekdaysAndSaturday { hour, minute }),
            _ => None,
        }
    }

    /// Parses the string form, `Daily(9,0)` (`spec/schedule.md` §4.2).
    pub fn parse(text: &str) -> Result<Rate, ScheduleError> {
        super::grammar::rate(text)
    }

    /// Which rate this is.
    pub const fn kind(&self) -> RateKind {
        match self {
            Rate::Single { .. } => RateKind::Single,
            Rate::Minutes(_) => RateKind::Minutes,
            Rate::Hours(_) => RateKind::Hours,
            Rate::Days(_) => RateKind::Days,
            Rate::Daily { .. } => RateKind::Daily,
            Rate::Weekdays { .. } => RateKind::Weekdays,
            Rate::WeekdaysAndSaturday { .. } => RateKind::WeekdaysAndSaturday,
        }
    }

    /// The arguments, in the order of the constructor (`[2024, 12, 25, 14, 30]` for
    /// `Single(2024,12,25,14,30)`), and how many there are.
    pub fn args(&self) -> ([u32; 5], usize) {
        match *self {
            Rate::Single { date, hour, minute } => (
                [
                    u32::from(date.year),
                    u32::from(date.month),
                    u32::from(date.day),
                    u32::from(hour.0),
                    u32::from(minute.0),
                ],
                5,
            ),
            Rate::Minutes(n) | Rate::Hours(n) | Rate::Days(n) => ([n.get(), 0, 0, 0, 0], 1),
            Rate::Daily { hour, minute }
            | Rate::Weekdays { hour, minute }
            | Rate::WeekdaysAndSaturday { hour, minute } => {
                ([u32::from(hour.0), u32::from(minute.0), 0, 0, 0], 2)
            }
        }
    }

    /// The rate of a kind and its arguments, or the index of the first argument that is
    /// out of its range (checked in order, so a day is checked against the year and the
    /// month before it). Extra arguments are ignored; missing ones are out of range.
    pub(crate) fn from_args(kind: RateKind, args: &[u64]) -> Result<Rate, usize> {
        let arg = |i: usize| args.get(i).copied().unwrap_or(u64::MAX);
        for (i, &field) in kind.fields().iter().enumerate() {
            if !in_range(field, arg(i), args) {
                return Err(i);
            }
        }
        // Every argument is in range, so these conversions and constructors succeed; the
        // fallback is never taken.
        let small = |i: usize| u8::try_from(arg(i)).unwrap_or(u8::MAX);
        let count = |i: usize| u32::try_from(arg(i)).unwrap_or(0);
        let rate = match kind {
            RateKind::Single => Rate::single(
                u16::try_from(arg(0)).unwrap_or(0),
                small(1),
                small(2),
                small(3),
                small(4),
            ),
            RateKind::Minutes => Rate::minutes(count(0)),
            RateKind::Hours => Rate::hours(count(0)),
            RateKind::Days => Rate::days(count(0)),
            RateKind::Daily => Rate::daily(small(0), small(1)),
            RateKind::Weekdays => Rate::weekdays(small(0), small(1)),
            RateKind::WeekdaysAndSaturday => Rate::weekdays_and_saturday(small(0), small(1)),
        };
        rate.ok_or(0)
    }
}

/// Whether `value` is in the range of `field`; a day is checked against the year and
/// month at the start of `args` (the order of `Single`).
pub(crate) fn in_range(field: Field, value: u64, args: &[u64]) -> bool {
    match field {
        Field::Year => (u64::from(MIN_YEAR)..=u64::from(MAX_YEAR)).contains(&value),
        Field::Month => (1..=12).contains(&value),
        Field::Day => match (args.first(), args.get(1)) {
            (Some(&year), Some(&month)) if year <= u64::from(MAX_YEAR) && month <= 12 => {
                value >= 1 && value <= u64::from(days_in_month(year as i32, month as u8))
            }
            _ => false,
        },
        Field::Hour => value < 24,
        Field::Minute => value < 60,
        Field::Count => (1..=u64::from(MAX_COUNT)).contains(&value),
        Field::Second => value == 0,
        Field::DayOfWeek => false,
    }
}

impl fmt::Display for Rate {
    /// The string form: `Daily(9,0)`, `Hours(6)`, `Single(2024,12,25,14,30)`, no spaces,
    /// no leading zeros.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (args, n) = self.args();
        f.write_str(self.kind().as_str())?;
        f.write_str("(")?;
        for (i, a) in args.iter().take(n).enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{a}")?;
        }
        f.write_str(")")
    }
}

impl FromStr for Rate {
    type Err = ScheduleError;

    /// Parses the string form (see [`Rate::parse`]).
    fn from_str(s: &str) -> Result<Rate, ScheduleError> {
        Rate::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constructors_check_ranges() {
        assert!(Hour::new(23).is_some() && Hour::new(24).is_none());
        assert!(Minute::new(59).is_some() && Minute::new(60).is_none());
        assert!(Count::new(0).is_none() && Count::new(1).is_some());
        assert!(Count::new(MAX_COUNT).is_some() && Count::new(MAX_COUNT + 1).is_none());
        assert!(Date::new(2024, 2, 29).is_some());
        assert!(Date::new(2100, 2, 29).is_none(), "2100 is not a leap year");
        assert!(Date::new(2000, 2, 29).is_some(), "2000 is a leap year");
        assert!(Date::new(2023, 4, 31).is_none());
        assert!(Date::new(1969, 12, 31).is_none());
        assert!(Date::new(2200, 1, 1).is_none());
        assert!(Date::new(2024, 13, 1).is_none() && Date::new(2024, 0, 1).is_none());
        assert!(Date::new(2024, 1, 0).is_none());
    }

    #[test]
    fn display_and_args() {
        let single = Rate::single(2024, 12, 25, 14, 30).expect("valid");
        assert_eq!(single.to_string(), "Single(2024,12,25,14,30)");
        assert_eq!(single.args(), ([2024, 12, 25, 14, 30], 5));
        assert_eq!(Rate::hours(6).expect("valid").to_string(), "Hours(6)");
        assert_eq!(
            Rate::weekdays_and_saturday(0, 5)
                .expect("valid")
                .to_string(),
            "WeekdaysAndSaturday(0,5)"
        );
        for kind in RateKind::ALL {
            assert_eq!(RateKind::from_name(kind.as_str().as_bytes()), Some(kind));
        }
        assert_eq!(RateKind::from_name(b"daily"), None);
    }

    #[test]
    fn from_args_reports_the_first_bad_argument() {
        assert_eq!(
            Rate::from_args(RateKind::Single, &[2023, 2, 29, 0, 0]),
            Err(2)
        );
        assert_eq!(
            Rate::from_args(RateKind::Single, &[2024, 2, 29, 24, 60]),
            Err(3)
        );
        assert_eq!(Rate::from_args(RateKind::Daily, &[9]), Err(1));
        assert_eq!(Rate::from_args(RateKind::Minutes, &[0]), Err(0));
        assert_eq!(
            Rate::from_args(RateKind::Minutes, &[u64::MAX]),
            Err(0),
            "no overflow"
        );
        assert_eq!(
            Rate::from_args(RateKind::Weekdays, &[17, 0]),
            Ok(Rate::weekdays(17, 0).expect("valid"))
        );
    }
}
