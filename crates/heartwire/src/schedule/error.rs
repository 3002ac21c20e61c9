//! The one error type of the schedule's text forms: rate strings, EventBridge expressions
//! and schedule names.

use std::fmt;

/// A field of a rate, of an EventBridge expression or of a schedule name that a value
/// breaks the range of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Field {
    /// The year of a `Single` rate, 1970 to 2199.
    Year,
    /// A month, 1 to 12.
    Month,
    /// A day of the month, 1 to the last day of that month.
    Day,
    /// An hour, 0 to 23.
    Hour,
    /// A minute, 0 to 59.
    Minute,
    /// The second of an `at()` expression, which must be 0.
    Second,
    /// The count of an interval rate, 1 to [`MAX_COUNT`](super::MAX_COUNT).
    Count,
    /// The day-of-week field of a cron expression.
    DayOfWeek,
}

impl Field {
    /// The field's range as the error messages name it: `an hour 0-23`.
    pub const fn expected(self) -> &'static str {
        match self {
            Field::Year => YEAR_EXPECTED,
            Field::Month => "a month 1-12",
            Field::Day => "a day that exists in that month",
            Field::Hour => "an hour 0-23",
            Field::Minute => "a minute 0-59",
            Field::Second => "second 00",
            Field::Count => COUNT_EXPECTED,
            Field::DayOfWeek => "'*', 'MON-FRI' or 'MON-SAT'",
        }
    }
}

// Spelled out so that they stay `&'static str`; a unit test checks them against the
// constants.
const YEAR_EXPECTED: &str = "a year 1970-2199";
const COUNT_EXPECTED: &str = "a count 1-2147483647";

/// What a grammar expected where it failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Expected {
    /// The name of a rate: `Single`, `Minutes`, `Hours`, `Days`, `Daily`, `Weekdays` or
    /// `WeekdaysAndSaturday`.
    RateName,
    /// The start of an EventBridge expression: `rate(`, `cron(` or `at(`.
    ExpressionKind,
    /// One literal character.
    Char(char),
    /// A decimal digit.
    Digit,
    /// A number without a superfluous leading zero (`9`, not `09`).
    NoLeadingZero,
    /// The unit of a `rate()` expression: singular (`minute`, `hour`, `day`) after 1,
    /// plural (`minutes`, `hours`, `days`) after any other number.
    Unit {
        /// Whether the singular was expected.
        singular: bool,
    },
    /// A field of a cron expression: letters, digits and `* ? , / - #`.
    CronField,
    /// The end of the text.
    End,
}

impl fmt::Display for Expected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Expected {
    /// What was expected, as the error messages say it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Expected::RateName => {
                "a rate: Single, Minutes, Hours, Days, Daily, Weekdays or WeekdaysAndSaturday"
            }
            Expected::ExpressionKind => "an expression starting rate(, cron( or at(",
            Expected::Char('(') => "'('",
            Expected::Char(')') => "')'",
            Expected::Char(',') => "','",
            Expected::Char(' ') => "a space",
            Expected::Char('-') => "'-'",
            Expected::Char(':') => "':'",
            Expected::Char('T') => "'T'",
            Expected::Char(_) => "a punctuation character",
            Expected::Digit => "a digit",
            Expected::NoLeadingZero => "a number without a leading zero",
            Expected::Unit { singular: true } => "the singular unit minute, hour or day after 1",
            Expected::Unit { singular: false } => "a plural unit minutes, hours or days",
            Expected::CronField => "a cron field of letters, digits and * ? , / - #",
            Expected::End => "the end of the text",
        }
    }
}

/// What is wrong; see [`ScheduleError`] for where.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ScheduleErrorKind {
    /// The text does not follow its grammar.
    Syntax {
        /// What the grammar expected.
        expected: Expected,
        /// The character found instead; `None` at the end of the text.
        found: Option<char>,
    },
    /// A number outside its field's range: an hour 24, a count 0, 30 February.
    OutOfRange {
        /// The field.
        field: Field,
    },
    /// A cron expression that does not have `?` in exactly one of day-of-month and
    /// day-of-week, as the Reventless framework writes `cron(m h * * * *)`: EventBridge
    /// rejects it.
    DayFields,
    /// A valid EventBridge expression that no rate stands for, such as
    /// `cron(0/15 * * * ? *)` or `cron(0 9 ? * MON *)`.
    Unsupported {
        /// The field that no rate has this value in.
        field: Field,
        /// What a rate would have there.
        expected: &'static str,
    },
    /// A schedule name that is empty.
    EmptyName,
    /// A schedule name longer than [`MAX_NAME_LEN`](super::MAX_NAME_LEN) bytes.
    NameTooLong {
        /// Its length in bytes.
        len: usize,
    },
    /// A schedule name with a character outside `0-9 A-Z a-z . _ -`.
    NameChar {
        /// The character.
        found: char,
    },
}

/// A rate string, an EventBridge expression or a schedule name that breaks a rule of
/// `spec/schedule.md`: what, and at which byte of the text.
///
/// [`ScheduleError::class`] gives the stable name the conformance vectors use. Inside a
/// JSON document the error becomes a [`JsonError`](crate::json::JsonError) of class
/// `json.value` whose offset points at the same byte of the document.
///
/// ```
/// use heartwire::schedule::{Field, Rate, ScheduleError, ScheduleErrorKind};
///
/// let e = "Daily(24,0)".parse::<Rate>().unwrap_err();
/// assert_eq!(e, ScheduleError { offset: 6, kind: ScheduleErrorKind::OutOfRange { field: Field::Hour } });
/// assert_eq!(e.class(), "schedule.range");
/// assert_eq!(e.to_string(), "expected an hour 0-23 at byte 6");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ScheduleError {
    /// The byte offset in the text that the error points at.
    pub offset: usize,
    /// What is wrong.
    pub kind: ScheduleErrorKind,
}

impl ScheduleError {
    pub(crate) const fn new(offset: usize, kind: ScheduleErrorKind) -> ScheduleError {
        ScheduleError { offset, kind }
    }

    /// The stable error class used by the conformance vectors (`spec/schedule.md` §7).
    pub const fn class(&self) -> &'static str {
        match self.kind {
            ScheduleErrorKind::Syntax { .. } => "schedule.syntax",
            ScheduleErrorKind::OutOfRange { .. } => "schedule.range",
            ScheduleErrorKind::DayFields => "schedule.cron-days",
            ScheduleErrorKind::Unsupported { .. } => "schedule.unsupported",
            ScheduleErrorKind::EmptyName
            | ScheduleErrorKind::NameTooLong { .. }
            | ScheduleErrorKind::NameChar { .. } => "schedule.name",
        }
    }

    /// What was expected where the error points, in a few words; the `expected` of the
    /// `json.value` error a document reports for it.
    pub const fn expected(&self) -> &'static str {
        match self.kind {
            ScheduleErrorKind::Syntax { expected, .. } => expected.as_str(),
            ScheduleErrorKind::OutOfRange { field } => field.expected(),
            ScheduleErrorKind::DayFields => DAY_FIELDS_EXPECTED,
            ScheduleErrorKind::Unsupported { expected, .. } => expected,
            ScheduleErrorKind::EmptyName
            | ScheduleErrorKind::NameTooLong { .. }
            | ScheduleErrorKind::NameChar { .. } => NAME_EXPECTED,
        }
    }
}

const DAY_FIELDS_EXPECTED: &str = "'?' in exactly one of day-of-month and day-of-week";
pub(crate) const NAME_EXPECTED: &str =
    "a name of 1 to 64 characters, each a letter, a digit, '.', '_' or '-'";

impl fmt::Display for ScheduleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = self.offset;
        match self.kind {
            ScheduleErrorKind::Syntax { expected, found } => match found {
                Some(c) => write!(f, "expected {expected} at byte {at}, found {c:?}"),
                None => write!(f, "expected {expected} at byte {at}, found the end"),
            },
            ScheduleErrorKind::OutOfRange { field } => {
                write!(f, "expected {} at byte {at}", field.expected())
            }
            ScheduleErrorKind::DayFields => write!(
                f,
                "expected {DAY_FIELDS_EXPECTED} at byte {at}: EventBridge rejects \
                 cron(m h * * * *), a daily rate is cron(m h * * ? *)"
            ),
            ScheduleErrorKind::Unsupported { field, expected } => write!(
                f,
                "no rate has this {} at byte {at}: expected {expected}",
                match field {
                    Field::Year => "year",
                    Field::Month => "month",
                    Field::Day => "day-of-month",
                    Field::Hour => "hour",
                    Field::Minute => "minute",
                    Field::Second => "second",
                    Field::Count => "count",
                    Field::DayOfWeek => "day-of-week",
                }
            ),
            ScheduleErrorKind::EmptyName => {
                write!(
                    f,
                    "expected {NAME_EXPECTED} at byte {at}, found an empty name"
                )
            }
            ScheduleErrorKind::NameTooLong { len } => {
                write!(
                    f,
                    "expected {NAME_EXPECTED} at byte {at}, found {len} bytes"
                )
            }
            ScheduleErrorKind::NameChar { found } => {
                write!(f, "expected {NAME_EXPECTED} at byte {at}, found {found:?}")
            }
        }
    }
}

impl std::error::Error for ScheduleError {}

#[cfg(test)]
mod tests {
    use super::super::rate::{MAX_COUNT, MAX_YEAR, MIN_YEAR};
    use super::*;

    #[test]
    fn spelled_out_ranges_match_the_constants() {
        assert_eq!(YEAR_EXPECTED, format!("a year {MIN_YEAR}-{MAX_YEAR}"));
        assert_eq!(COUNT_EXPECTED, format!("a count 1-{MAX_COUNT}"));
    }
}
