//! The nom parsers of `spec/text.md`: the only place the text grammar is written down in
//! code. Everything that reads a subject, a payload or a number goes through here.
//!
//! The parsers work on complete `&str` input (the callers check length and UTF-8 first),
//! never allocate, and fail with [`Failure`], which remembers where and what was expected;
//! [`Failure::into_error`] turns that into the public [`TextError`]. nom's own types stay
//! inside this module.

use nom::bytes::complete::{tag, take_while, take_while1};
use nom::character::complete::{char, digit1, one_of};
use nom::combinator::{cut, opt, recognize};
use nom::error::{ErrorKind, ParseError};
use nom::multi::many0_count;
use nom::sequence::preceded;
use nom::{IResult, Parser};

use super::{NumberExpected, SignalKind, TextError};

/// What a parser expected where it failed; the offset comes from [`Failure::rest`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Expected {
    /// A generic nom failure; never escapes a parser of this module unmapped.
    Syntax,
    Prefix,
    Token,
    Number(NumberExpected),
    LeadingZero,
    Slash(SignalKind),
}

/// The error of the parsers in this module: the input left where it failed, and what
/// was expected there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Failure<'a> {
    rest: &'a str,
    expected: Expected,
}

impl<'a> ParseError<&'a str> for Failure<'a> {
    fn from_error_kind(input: &'a str, _kind: ErrorKind) -> Self {
        Failure {
            rest: input,
            expected: Expected::Syntax,
        }
    }

    fn append(_input: &'a str, _kind: ErrorKind, other: Self) -> Self {
        other
    }
}

impl Failure<'_> {
    /// The public error, with the offset counted from the start of `input`, the string
    /// the failed parser was first given.
    pub(crate) fn into_error(self, input: &str) -> TextError {
        let offset = input.len() - self.rest.len();
        match self.expected {
            Expected::Token | Expected::Syntax => match self.rest.chars().next() {
                None | Some('.') => TextError::EmptyToken { offset },
                Some(found) => TextError::ForbiddenChar { offset, found },
            },
            Expected::Prefix => TextError::MissingPrefix {
                offset: offset
                    + self
                        .rest
                        .bytes()
                        .zip(PREFIX.bytes())
                        .take_while(|(a, b)| a == b)
                        .count(),
            },
            Expected::Number(expected) => TextError::InvalidNumber {
                offset,
                expected,
                found: self.rest.chars().next(),
            },
            Expected::LeadingZero => TextError::LeadingZero { offset },
            Expected::Slash(signal) => TextError::MissingValue { offset, signal },
        }
    }
}

type PResult<'a, O> = IResult<&'a str, O, Failure<'a>>;

/// Runs `parser` and, when it fails, says that `expected` was expected where it failed.
fn expect<'a, O>(
    expected: Expected,
    mut parser: impl Parser<&'a str, Output = O, Error = Failure<'a>>,
) -> impl Parser<&'a str, Output = O, Error = Failure<'a>> {
    move |input: &'a str| {
        parser
            .parse(input)
            .map_err(|e| e.map(|f| Failure { expected, ..f }))
    }
}

/// The portable token set: ASCII letters, digits, `_` and `-` (`spec/text.md` §3).
pub(crate) const fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

/// `token = 1*tchar`
fn token(input: &str) -> PResult<'_, &str> {
    expect(Expected::Token, take_while1(is_token_char)).parse(input)
}

/// `process = token *("." token)`; stops before the first byte that cannot continue it.
pub(crate) fn process(input: &str) -> PResult<'_, &str> {
    recognize((token, many0_count(preceded(char('.'), cut(token))))).parse(input)
}

/// The literal that starts every subject.
pub(crate) const PREFIX: &str = "heartbeat.";

/// `subject = "heartbeat." process`; returns the process name.
pub(crate) fn subject(input: &str) -> PResult<'_, &str> {
    preceded(expect(Expected::Prefix, tag(PREFIX)), process).parse(input)
}

/// The signal word of a payload, `1*ALPHA`, checked against the four signals by the
/// caller. Reading the whole word first makes `beats/5` an unknown signal rather than
/// `beat` followed by junk.
pub(crate) fn signal_word(input: &str) -> PResult<'_, &str> {
    take_while(|c: char| c.is_ascii_alphabetic()).parse(input)
}

/// `"/" number`, after a signal that takes a value.
pub(crate) fn value(signal: SignalKind) -> impl FnMut(&str) -> PResult<'_, Decimal<'_>> {
    move |input| preceded(expect(Expected::Slash(signal), char('/')), cut(number)).parse(input)
}

/// A number as written: `int [frac] [exp]`, split into its digit strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Decimal<'a> {
    /// `"0"` or digits without a leading zero.
    pub(crate) int: &'a str,
    /// Digits after the point; empty when there is no point.
    pub(crate) frac: &'a str,
    /// Whether the exponent is negative.
    pub(crate) exp_negative: bool,
    /// Digits of the exponent; empty when there is no exponent.
    pub(crate) exp: &'a str,
}

/// `number = int [ "." 1*DIGIT ] [ ("e" / "E") [ "+" / "-" ] 1*DIGIT ]` with
/// `int = "0" / %x31-39 *DIGIT`: JSON's number grammar without the minus sign.
pub(crate) fn number(input: &str) -> PResult<'_, Decimal<'_>> {
    let (rest, int) = expect(Expected::Number(NumberExpected::Digit), digit1).parse(input)?;
    if int.len() > 1 && int.starts_with('0') {
        return Err(nom::Err::Failure(Failure {
            rest: &input[1..],
            expected: Expected::LeadingZero,
        }));
    }
    let fraction_digits = expect(Expected::Number(NumberExpected::FractionDigit), digit1);
    let (rest, frac) = opt(preceded(char('.'), cut(fraction_digits))).parse(rest)?;
    let exponent_digits = expect(Expected::Number(NumberExpected::ExponentDigit), digit1);
    let (rest, exp) = opt(preceded(
        one_of("eE"),
        cut((opt(one_of("+-")), exponent_digits)),
    ))
    .parse(rest)?;
    let (sign, exp) = exp.unwrap_or((None, ""));
    Ok((
        rest,
        Decimal {
            int,
            frac: frac.unwrap_or(""),
            exp_negative: sign == Some('-'),
            exp,
        },
    ))
}

/// Runs `parser` over the whole of `input`: the output and what is left over, or the
/// failure as a [`TextError`] with its offset counted from the start of `input`.
pub(crate) fn run<'a, O>(
    input: &'a str,
    mut parser: impl Parser<&'a str, Output = O, Error = Failure<'a>>,
) -> Result<(&'a str, O), TextError> {
    match parser.parse(input) {
        Ok((rest, out)) => Ok((rest, out)),
        Err(nom::Err::Error(f) | nom::Err::Failure(f)) => Err(f.into_error(input)),
        // The parsers here are all `complete`; treat the impossible case as a failure at
        // the end of the input rather than panicking.
        Err(nom::Err::Incomplete(_)) => Err(Failure {
            rest: "",
            expected: Expected::Syntax,
        }
        .into_error(input)),
    }
}
