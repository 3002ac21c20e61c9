//! The nom parsers of `spec/schedule.md`: the rate string form (§4.2) and the EventBridge
//! expressions (§9.4). The only place these grammars are written down in code.
//!
//! Each text is read in two stages, as the chapter says: first its syntax, left to right,
//! then the values of its numbers and fields, left to right, so that the first fault in
//! reading order is the one reported. The parsers work on the bytes of complete input,
//! never allocate, and fail with [`Fail`], which remembers where and what was expected;
//! nom's own types stay inside this module.

use nom::bytes::complete::{take_while, take_while1};
use nom::character::complete::char;
use nom::combinator::opt;
use nom::error::{ErrorKind, ParseError};
use nom::{IResult, Parser};

use super::error::{Expected, Field, ScheduleError, ScheduleErrorKind};
use super::rate::{Rate, RateKind, in_range};

type In<'a> = &'a [u8];

/// A failure of a parser: the input left where it failed, and what was expected there.
#[derive(Debug, Clone, Copy)]
struct Fail<'a> {
    rest: In<'a>,
    expected: Expected,
}

impl<'a> ParseError<In<'a>> for Fail<'a> {
    fn from_error_kind(rest: In<'a>, _: ErrorKind) -> Self {
        Fail {
            rest,
            expected: Expected::End,
        }
    }

    fn append(_: In<'a>, _: ErrorKind, other: Self) -> Self {
        other
    }
}

type Res<'a, T> = IResult<In<'a>, T, Fail<'a>>;

fn fail<T>(rest: In<'_>, expected: Expected) -> Res<'_, T> {
    Err(nom::Err::Failure(Fail { rest, expected }))
}

/// Runs `parser`; when it fails, `expected` was expected where it started.
fn expect<'a, O>(
    expected: Expected,
    mut parser: impl Parser<In<'a>, Output = O, Error = Fail<'a>>,
) -> impl FnMut(In<'a>) -> Res<'a, O> {
    move |input| {
        parser.parse(input).map_err(|e| match e {
            nom::Err::Error(_) | nom::Err::Incomplete(_) => nom::Err::Failure(Fail {
                rest: input,
                expected,
            }),
            failure => failure,
        })
    }
}

/// One literal character.
fn lit<'a>(c: char) -> impl FnMut(In<'a>) -> Res<'a, char> {
    expect(Expected::Char(c), char(c))
}

/// The end of the input.
fn end(input: In<'_>) -> Res<'_, ()> {
    if input.is_empty() {
        Ok((input, ()))
    } else {
        fail(input, Expected::End)
    }
}

/// A number as written: the input from its first digit on, and its value (saturating at
/// `u64::MAX`, which is out of every range).
#[derive(Debug, Clone, Copy)]
struct Num<'a> {
    at: In<'a>,
    value: u64,
}

impl Num<'_> {
    const NONE: Num<'static> = Num { at: &[], value: 0 };
}

fn value_of(digits: &[u8]) -> u64 {
    digits.iter().fold(0u64, |acc, d| {
        acc.saturating_mul(10).saturating_add(u64::from(d - b'0'))
    })
}

/// `"0" / %x31-39 *DIGIT`: a decimal number without a superfluous leading zero.
fn number(input: In<'_>) -> Res<'_, Num<'_>> {
    let (rest, digits) = expect(Expected::Digit, take_while1(|b: u8| b.is_ascii_digit()))(input)?;
    if digits.len() > 1 && digits.first() == Some(&b'0') {
        return fail(input.get(1..).unwrap_or_default(), Expected::NoLeadingZero);
    }
    Ok((
        rest,
        Num {
            at: input,
            value: value_of(digits),
        },
    ))
}

/// Exactly `n` digits, as in `at()` (which writes leading zeros).
fn fixed(n: usize) -> impl Fn(In<'_>) -> Res<'_, Num<'_>> {
    move |input| {
        match input.iter().take(n).position(|b| !b.is_ascii_digit()) {
            Some(bad) => return fail(input.get(bad..).unwrap_or_default(), Expected::Digit),
            None if input.len() < n => return fail(&input[input.len()..], Expected::Digit),
            None => {}
        }
        let (digits, rest) = input.split_at(n);
        Ok((
            rest,
            Num {
                at: input,
                value: value_of(digits),
            },
        ))
    }
}

/// An ASCII word: the rate's name or the expression's keyword.
fn word(input: In<'_>) -> Res<'_, In<'_>> {
    take_while(|b: u8| b.is_ascii_alphabetic())(input)
}

/// The error for a failure of a parser given `text`.
fn syntax_error(text: &str, fail: Fail<'_>) -> ScheduleError {
    let offset = offset_of(text, fail.rest);
    ScheduleError::new(
        offset,
        ScheduleErrorKind::Syntax {
            expected: fail.expected,
            found: text.get(offset..).and_then(|s| s.chars().next()),
        },
    )
}

/// Runs a whole-text parser and turns its failure into the public error.
fn run<'a, T>(
    text: &'a str,
    parser: impl FnOnce(In<'a>) -> Res<'a, T>,
) -> Result<T, ScheduleError> {
    match parser(text.as_bytes()) {
        Ok((_, value)) => Ok(value),
        Err(nom::Err::Error(f) | nom::Err::Failure(f)) => Err(syntax_error(text, f)),
        Err(nom::Err::Incomplete(_)) => Err(ScheduleError::new(
            text.len(),
            ScheduleErrorKind::Syntax {
                expected: Expected::End,
                found: None,
            },
        )),
    }
}

/// The offset in `text` of a piece of it (a token, or the rest of the input).
fn offset_of(text: &str, at: In<'_>) -> usize {
    (at.as_ptr() as usize)
        .saturating_sub(text.as_ptr() as usize)
        .min(text.len())
}

fn out_of_range(text: &str, at: In<'_>, field: Field) -> ScheduleError {
    ScheduleError::new(offset_of(text, at), ScheduleErrorKind::OutOfRange { field })
}

/// Checks the numbers of a rate against their fields, in order, and builds the rate.
fn build(text: &str, kind: RateKind, nums: &[Num<'_>]) -> Result<Rate, ScheduleError> {
    let mut values = [0u64; 5];
    for (i, n) in nums.iter().enumerate() {
        let field = kind.fields().get(i).copied().unwrap_or(Field::Count);
        if !in_range(field, n.value, values.get(..i).unwrap_or_default()) {
            return Err(out_of_range(text, n.at, field));
        }
        if let Some(v) = values.get_mut(i) {
            *v = n.value;
        }
    }
    let at = |i: usize| nums.get(i).map_or(&[][..], |n| n.at);
    Rate::from_args(kind, values.get(..nums.len()).unwrap_or_default()).map_err(|i| {
        out_of_range(
            text,
            at(i),
            kind.fields().get(i).copied().unwrap_or(Field::Count),
        )
    })
}

// ---------------------------------------------------------------------------------------
// The string form: `Daily(9,0)`, `Single(2024, 12, 25, 14, 30)` (§4.2).

fn rate_name(input: In<'_>) -> Res<'_, RateKind> {
    let (rest, name) = word(input)?;
    match RateKind::from_name(name) {
        Some(kind) => Ok((rest, kind)),
        None => fail(input, Expected::RateName),
    }
}

/// `"," [ SP ]`.
fn separator(input: In<'_>) -> Res<'_, ()> {
    let (rest, _) = (lit(','), opt(char(' '))).parse(input)?;
    Ok((rest, ()))
}

fn rate_syntax(input: In<'_>) -> Res<'_, (RateKind, [Num<'_>; 5])> {
    let (mut rest, (kind, _)) = (rate_name, lit('(')).parse(input)?;
    let mut nums = [Num::NONE; 5];
    for (i, slot) in nums.iter_mut().take(kind.arity()).enumerate() {
        if i > 0 {
            rest = separator(rest)?.0;
        }
        let (after, n) = number(rest)?;
        *slot = n;
        rest = after;
    }
    let (rest, _) = (lit(')'), end).parse(rest)?;
    Ok((rest, (kind, nums)))
}

/// Parses the string form of a rate.
pub(super) fn rate(text: &str) -> Result<Rate, ScheduleError> {
    let (kind, nums) = run(text, rate_syntax)?;
    build(text, kind, nums.get(..kind.arity()).unwrap_or_default())
}

// ---------------------------------------------------------------------------------------
// EventBridge expressions: `rate(5 minutes)`, `cron(0 9 * * ? *)`, `at(2024-12-25T14:30:00)`
// (§9.4).

/// The unit of a `rate()` expression.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unit {
    Minute,
    Hour,
    Day,
}

fn unit(singular: bool) -> impl Fn(In<'_>) -> Res<'_, Unit> {
    move |input| {
        let (rest, w) = word(input)?;
        let unit = match (w, singular) {
            (b"minute", true) | (b"minutes", false) => Unit::Minute,
            (b"hour", true) | (b"hours", false) => Unit::Hour,
            (b"day", true) | (b"days", false) => Unit::Day,
            _ => return fail(input, Expected::Unit { singular }),
        };
        Ok((rest, unit))
    }
}

fn rate_expression(input: In<'_>) -> Res<'_, (Num<'_>, Unit)> {
    let (rest, (n, _)) = (number, lit(' ')).parse(input)?;
    let (rest, (u, _, _)) = (unit(n.value == 1), lit(')'), end).parse(rest)?;
    Ok((rest, (n, u)))
}

fn is_cron_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'*' | b'?' | b',' | b'/' | b'-' | b'#')
}

fn cron_field(input: In<'_>) -> Res<'_, In<'_>> {
    expect(Expected::CronField, take_while1(is_cron_char))(input)
}

fn cron_expression(input: In<'_>) -> Res<'_, [In<'_>; 6]> {
    let (mut rest, first) = cron_field(input)?;
    let mut fields = [first; 6];
    for slot in fields.iter_mut().skip(1) {
        let (after, (_, f)) = (lit(' '), cron_field).parse(rest)?;
        *slot = f;
        rest = after;
    }
    let (rest, _) = (lit(')'), end).parse(rest)?;
    Ok((rest, fields))
}

fn at_expression(input: In<'_>) -> Res<'_, [Num<'_>; 6]> {
    let (rest, (y, _, mo, _, d, _, h, _, mi, _, s, _, _)) = (
        fixed(4),
        lit('-'),
        fixed(2),
        lit('-'),
        fixed(2),
        lit('T'),
        fixed(2),
        lit(':'),
        fixed(2),
        lit(':'),
        fixed(2),
        lit(')'),
        end,
    )
        .parse(input)?;
    Ok((rest, [y, mo, d, h, mi, s]))
}

/// Which expression, from its keyword and `(`.
#[derive(Debug, Clone, Copy)]
enum Keyword {
    Rate,
    Cron,
    At,
}

fn keyword(input: In<'_>) -> Res<'_, Keyword> {
    let (rest, w) = word(input)?;
    let k = match w {
        b"rate" => Keyword::Rate,
        b"cron" => Keyword::Cron,
        b"at" => Keyword::At,
        _ => return fail(input, Expected::ExpressionKind),
    };
    let (rest, _) = lit('(')(rest)?;
    Ok((rest, k))
}

/// The syntax of an expression, before its values are checked.
enum Parsed<'a> {
    Rate(Num<'a>, Unit),
    Cron([In<'a>; 6]),
    At([Num<'a>; 6]),
}

fn expression_syntax(input: In<'_>) -> Res<'_, Parsed<'_>> {
    let (rest, k) = keyword(input)?;
    match k {
        Keyword::Rate => rate_expression(rest).map(|(r, (n, u))| (r, Parsed::Rate(n, u))),
        Keyword::Cron => cron_expression(rest).map(|(r, f)| (r, Parsed::Cron(f))),
        Keyword::At => at_expression(rest).map(|(r, n)| (r, Parsed::At(n))),
    }
}

/// Parses an EventBridge schedule expression back into the rate it stands for.
pub(super) fn expression(text: &str) -> Result<Rate, ScheduleError> {
    match run(text, expression_syntax)? {
        Parsed::Rate(n, u) => {
            let kind = match u {
                Unit::Minute => RateKind::Minutes,
                Unit::Hour => RateKind::Hours,
                Unit::Day => RateKind::Days,
            };
            build(text, kind, &[n])
        }
        Parsed::At(nums) => {
            let [year, month, day, hour, minute, second] = nums;
            let rate = build(text, RateKind::Single, &[year, month, day, hour, minute])?;
            if second.value != 0 {
                return Err(unsupported(
                    text,
                    second.at,
                    Field::Second,
                    "second 00: rates fire on whole minutes",
                ));
            }
            Ok(rate)
        }
        Parsed::Cron(fields) => cron(text, fields),
    }
}

fn unsupported(text: &str, at: In<'_>, field: Field, expected: &'static str) -> ScheduleError {
    ScheduleError::new(
        offset_of(text, at),
        ScheduleErrorKind::Unsupported { field, expected },
    )
}

/// A cron field that must be a plain number (a fixed minute, hour, day, month or year):
/// its value, or the error for a field no rate has.
fn cron_number<'a>(
    text: &str,
    field: In<'a>,
    which: Field,
    expected: &'static str,
) -> Result<Num<'a>, ScheduleError> {
    if !field.iter().all(u8::is_ascii_digit) {
        return Err(unsupported(text, field, which, expected));
    }
    match number(field) {
        Ok((_, n)) => Ok(n),
        Err(nom::Err::Error(f) | nom::Err::Failure(f)) => Err(syntax_error(text, f)),
        Err(nom::Err::Incomplete(_)) => Err(unsupported(text, field, which, expected)),
    }
}

/// Reads the six fields of a cron expression as a rate: the day-field rule of EventBridge
/// first, then each field left to right, then whether the date of a `Single` exists.
fn cron(text: &str, fields: [In<'_>; 6]) -> Result<Rate, ScheduleError> {
    let [minute, hour, dom, month, dow, year] = fields;
    if (dom == b"?") == (dow == b"?") {
        return Err(ScheduleError::new(
            offset_of(text, dow),
            ScheduleErrorKind::DayFields,
        ));
    }
    let check = |n: Num<'_>, field: Field, before: &[u64]| {
        if in_range(field, n.value, before) {
            Ok(n.value)
        } else {
            Err(out_of_range(text, n.at, field))
        }
    };
    let star = |f: In<'_>, which: Field, expected: &'static str| {
        if f == b"*" {
            Ok(())
        } else {
            Err(unsupported(text, f, which, expected))
        }
    };
    let m = check(
        cron_number(text, minute, Field::Minute, "a fixed minute 0-59")?,
        Field::Minute,
        &[],
    )?;
    let h = check(
        cron_number(text, hour, Field::Hour, "a fixed hour 0-23")?,
        Field::Hour,
        &[],
    )?;
    let clock = |kind: RateKind| Rate::from_args(kind, &[h, m]);
    let kind = match dom {
        b"*" => {
            star(month, Field::Month, "'*' when day-of-month is '*'")?;
            star(year, Field::Year, "'*' for a daily rate")?;
            RateKind::Daily
        }
        b"?" => {
            star(month, Field::Month, "'*' when day-of-week is used")?;
            let kind = match dow {
                b"*" => RateKind::Daily,
                b"MON-FRI" => RateKind::Weekdays,
                b"MON-SAT" => RateKind::WeekdaysAndSaturday,
                _ => {
                    return Err(unsupported(
                        text,
                        dow,
                        Field::DayOfWeek,
                        Field::DayOfWeek.expected(),
                    ));
                }
            };
            star(year, Field::Year, "'*' for a weekly rate")?;
            kind
        }
        _ => {
            let d = cron_number(text, dom, Field::Day, "'*', '?' or a day of the month 1-31")?;
            if !(1..=31).contains(&d.value) {
                return Err(out_of_range(text, d.at, Field::Day));
            }
            let mo = check(
                cron_number(text, month, Field::Month, "a month 1-12 for a single date")?,
                Field::Month,
                &[],
            )?;
            let y = cron_number(
                text,
                year,
                Field::Year,
                "a year 1970-2199 for a single date",
            )?;
            let y = check(y, Field::Year, &[])?;
            let _ = check(d, Field::Day, &[y, mo])?;
            return Rate::from_args(RateKind::Single, &[y, mo, d.value, h, m])
                .map_err(|_| out_of_range(text, d.at, Field::Day));
        }
    };
    clock(kind).map_err(|_| out_of_range(text, hour, Field::Hour))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> (usize, &'static str, Option<Expected>) {
        let e = rate(text).expect_err(text);
        let expected = match e.kind {
            ScheduleErrorKind::Syntax { expected, .. } => Some(expected),
            _ => None,
        };
        (e.offset, e.class(), expected)
    }

    fn expr_err(text: &str) -> (usize, &'static str) {
        let e = expression(text).expect_err(text);
        (e.offset, e.class())
    }

    #[test]
    fn string_forms() {
        assert_eq!(rate("Daily(9,0)"), Ok(Rate::daily(9, 0).expect("valid")));
        assert_eq!(rate("Daily(9, 0)"), Ok(Rate::daily(9, 0).expect("valid")));
        assert_eq!(
            rate("Single(2024, 12, 25, 14, 30)"),
            Ok(Rate::single(2024, 12, 25, 14, 30).expect("valid"))
        );
        assert_eq!(
            rate("WeekdaysAndSaturday(0,0)"),
            Ok(Rate::weekdays_and_saturday(0, 0).expect("valid"))
        );
        assert_eq!(
            rate("Minutes(2147483647)").map(|r| r.to_string()),
            Ok("Minutes(2147483647)".into())
        );
    }

    #[test]
    fn string_form_rejections() {
        use Expected as E;
        assert_eq!(err(""), (0, "schedule.syntax", Some(E::RateName)));
        assert_eq!(err("daily(9,0)"), (0, "schedule.syntax", Some(E::RateName)));
        assert_eq!(
            err("Weekday(9,0)"),
            (0, "schedule.syntax", Some(E::RateName))
        );
        assert_eq!(
            err("Daily (9,0)"),
            (5, "schedule.syntax", Some(E::Char('(')))
        );
        assert_eq!(err("Daily(9)"), (7, "schedule.syntax", Some(E::Char(','))));
        assert_eq!(err("Daily(9,0"), (9, "schedule.syntax", Some(E::Char(')'))));
        assert_eq!(
            err("Daily(9,0,1)"),
            (9, "schedule.syntax", Some(E::Char(')')))
        );
        assert_eq!(err("Daily(9,0) "), (10, "schedule.syntax", Some(E::End)));
        assert_eq!(err("Daily( 9,0)"), (6, "schedule.syntax", Some(E::Digit)));
        assert_eq!(err("Daily(9,  0)"), (9, "schedule.syntax", Some(E::Digit)));
        assert_eq!(
            err("Daily(9 ,0)"),
            (7, "schedule.syntax", Some(E::Char(',')))
        );
        assert_eq!(err("Daily(-1,0)"), (6, "schedule.syntax", Some(E::Digit)));
        assert_eq!(
            err("Daily(09,0)"),
            (7, "schedule.syntax", Some(E::NoLeadingZero))
        );
        assert_eq!(
            err("Daily(9.5,0)"),
            (7, "schedule.syntax", Some(E::Char(',')))
        );
        // Syntax is checked over the whole text before any value.
        assert_eq!(
            err("Daily(24,0"),
            (10, "schedule.syntax", Some(E::Char(')')))
        );
        assert_eq!(err("Daily(24,60)"), (6, "schedule.range", None));
        assert_eq!(err("Daily(23,60)"), (9, "schedule.range", None));
        assert_eq!(err("Minutes(0)"), (8, "schedule.range", None));
        assert_eq!(err("Minutes(2147483648)"), (8, "schedule.range", None));
        assert_eq!(
            err("Minutes(99999999999999999999999)"),
            (8, "schedule.range", None)
        );
        assert_eq!(err("Single(2023,2,29,0,0)"), (14, "schedule.range", None));
        assert_eq!(err("Single(1969,12,31,0,0)"), (7, "schedule.range", None));
        assert_eq!(err("Single(2024,13,1,0,0)"), (12, "schedule.range", None));
        let e = rate("Daily(9,x)").expect_err("x");
        assert_eq!(e.to_string(), "expected a digit at byte 8, found 'x'");
        let e = rate("Daily(9,").expect_err("end");
        assert_eq!(e.to_string(), "expected a digit at byte 8, found the end");
        let e = rate("Dailé(9,0)").expect_err("non-ascii");
        assert_eq!((e.offset, e.class()), (0, "schedule.syntax"));
    }

    #[test]
    fn expressions() {
        let ok = |t: &str| expression(t).map(|r| r.to_string());
        assert_eq!(ok("rate(1 minute)"), Ok("Minutes(1)".into()));
        assert_eq!(ok("rate(5 minutes)"), Ok("Minutes(5)".into()));
        assert_eq!(ok("rate(1 hour)"), Ok("Hours(1)".into()));
        assert_eq!(ok("rate(12 hours)"), Ok("Hours(12)".into()));
        assert_eq!(ok("rate(1 day)"), Ok("Days(1)".into()));
        assert_eq!(ok("cron(0 9 * * ? *)"), Ok("Daily(9,0)".into()));
        assert_eq!(ok("cron(0 9 ? * * *)"), Ok("Daily(9,0)".into()));
        assert_eq!(ok("cron(0 17 ? * MON-FRI *)"), Ok("Weekdays(17,0)".into()));
        assert_eq!(
            ok("cron(15 6 ? * MON-SAT *)"),
            Ok("WeekdaysAndSaturday(6,15)".into())
        );
        assert_eq!(
            ok("cron(30 14 25 12 ? 2024)"),
            Ok("Single(2024,12,25,14,30)".into())
        );
        assert_eq!(
            ok("at(2024-12-25T14:30:00)"),
            Ok("Single(2024,12,25,14,30)".into())
        );
    }

    #[test]
    fn expression_rejections() {
        assert_eq!(expr_err(""), (0, "schedule.syntax"));
        assert_eq!(expr_err("rate(1 minutes)"), (7, "schedule.syntax"));
        assert_eq!(expr_err("rate(5 minute)"), (7, "schedule.syntax"));
        assert_eq!(expr_err("rate(0 minutes)"), (5, "schedule.range"));
        assert_eq!(expr_err("rate(5 seconds)"), (7, "schedule.syntax"));
        assert_eq!(expr_err("rate(5  minutes)"), (7, "schedule.syntax"));
        assert_eq!(expr_err("rate(5 minutes) "), (15, "schedule.syntax"));
        assert_eq!(expr_err("cron(0 9 * * * *)"), (13, "schedule.cron-days"));
        assert_eq!(expr_err("cron(0 9 ? * ? *)"), (13, "schedule.cron-days"));
        assert_eq!(expr_err("cron(0 9 * * ?)"), (14, "schedule.syntax"));
        assert_eq!(expr_err("cron(0 9 * * ? * *)"), (16, "schedule.syntax"));
        assert_eq!(
            expr_err("cron(0/15 * * * ? *)"),
            (5, "schedule.unsupported")
        );
        assert_eq!(
            expr_err("cron(0 9 ? * MON *)"),
            (13, "schedule.unsupported")
        );
        assert_eq!(expr_err("cron(0 9 1 * ? *)"), (11, "schedule.unsupported"));
        assert_eq!(
            expr_err("cron(0 9 * * ? 2024)"),
            (15, "schedule.unsupported")
        );
        assert_eq!(expr_err("cron(60 9 * * ? *)"), (5, "schedule.range"));
        assert_eq!(expr_err("cron(0 24 * * ? *)"), (7, "schedule.range"));
        assert_eq!(expr_err("cron(0 9 30 2 ? 2024)"), (9, "schedule.range"));
        assert_eq!(expr_err("cron(0 9 32 1 ? 2024)"), (9, "schedule.range"));
        assert_eq!(expr_err("cron(0 9 1 1 ? 2200)"), (15, "schedule.range"));
        assert_eq!(expr_err("cron(00 9 * * ? *)"), (6, "schedule.syntax"));
        assert_eq!(
            expr_err("at(2024-12-25T14:30:15)"),
            (20, "schedule.unsupported")
        );
        assert_eq!(expr_err("at(2024-02-30T14:30:00)"), (11, "schedule.range"));
        assert_eq!(expr_err("at(2024-12-25 14:30:00)"), (13, "schedule.syntax"));
        assert_eq!(expr_err("at(2024-12-25T14:3)"), (18, "schedule.syntax"));
        assert_eq!(
            expr_err("at(2024-12-25T14:30:00Z)"),
            (22, "schedule.syntax")
        );
        assert_eq!(expr_err("Rate(5 minutes)"), (0, "schedule.syntax"));
    }
}
