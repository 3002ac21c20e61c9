//! The nom parsers of `spec/text.md`: the only place the text grammar is written down in
//! code. Everything that reads a subject, a payload or a number goes through here.
//!
//! The parsers work on complete byte input (the callers check lengths first), never
//! allocate, and fail with [`Failure`], which remembers where and what was expected;
//! [`Failure::into_error`] turns that into the public [`TextError`]. nom's own types stay
//! inside this module.
//!
//! They run on bytes rather than `&str` because everything the grammar accepts is ASCII:
//! a byte test per character is all the work there is, and UTF-8 only needs checking on
//! the error path, where an encoding error is reported before a grammar error (§8).

use nom::bytes::complete::{tag, take_while, take_while1};
use nom::character::complete::{digit1, one_of};
use nom::combinator::{cut, opt, recognize};
use nom::error::{ErrorKind, ParseError};
use nom::multi::many0_count;
use nom::sequence::preceded;
use nom::{IResult, Parser};

use super::{NumberExpected, Part, SignalKind, TextError};

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
    rest: &'a [u8],
    expected: Expected,
}

impl<'a> ParseError<&'a [u8]> for Failure<'a> {
    fn from_error_kind(input: &'a [u8], _kind: ErrorKind) -> Self {
        Failure {
            rest: input,
            expected: Expected::Syntax,
        }
    }

    fn append(_input: &'a [u8], _kind: ErrorKind, other: Self) -> Self {
        other
    }
}

impl<'a> Failure<'a> {
    /// A failure at `rest`, the part of the input not consumed.
    pub(crate) const fn at(rest: &'a [u8], expected: Expected) -> Self {
        Failure { rest, expected }
    }

    /// The public error for a failure in `input`, the bytes the failed parser was first
    /// given, whose decoding is reported as `part`. The offset counts from the start of
    /// `input`. Input that is not UTF-8 is reported as such first (§8).
    pub(crate) fn into_error(self, input: &[u8], part: Part) -> TextError {
        let offset = input.len() - self.rest.len();
        let next = char_at(self.rest);
        let error = match self.expected {
            Expected::Token | Expected::Syntax => match next {
                None | Some('.') => TextError::EmptyToken { offset },
                Some(found) => TextError::ForbiddenChar { offset, found },
            },
            Expected::Prefix => TextError::MissingPrefix {
                offset: offset
                    + self
                        .rest
                        .iter()
                        .zip(PREFIX.as_bytes())
                        .take_while(|(a, b)| a == b)
                        .count(),
            },
            Expected::Number(expected) => TextError::InvalidNumber {
                offset,
                expected,
                found: next,
            },
            Expected::LeadingZero => TextError::LeadingZero { offset },
            Expected::Slash(signal) => TextError::MissingValue { offset, signal },
        };
        reported(input, part, error)
    }
}

/// The error to report for `input`, decoded as `part`, that broke a rule with `error`:
/// an encoding error comes first (§8), so bytes that are not UTF-8 are reported as such
/// even when the grammar failed earlier in the input.
pub(crate) fn reported(input: &[u8], part: Part, error: TextError) -> TextError {
    match std::str::from_utf8(input) {
        Ok(_) => error,
        Err(e) => TextError::NotUtf8 {
            part,
            offset: e.valid_up_to(),
        },
    }
}

/// The character that `bytes` (valid UTF-8 from a character boundary on) starts with.
fn char_at(bytes: &[u8]) -> Option<char> {
    let len = bytes.len().min(4);
    (1..=len)
        .find_map(|n| std::str::from_utf8(&bytes[..n]).ok())
        .and_then(|s| s.chars().next())
}

type PResult<'a, O> = IResult<&'a [u8], O, Failure<'a>>;

/// Runs `parser` and, when it fails, says that `expected` was expected where it failed.
fn expect<'a, O>(
    expected: Expected,
    mut parser: impl Parser<&'a [u8], Output = O, Error = Failure<'a>>,
) -> impl Parser<&'a [u8], Output = O, Error = Failure<'a>> {
    move |input: &'a [u8]| {
        parser
            .parse(input)
            .map_err(|e| e.map(|f| Failure { expected, ..f }))
    }
}

/// `tchar`, the portable token set: ASCII letters, digits, `_` and `-` (§3.2), as a
/// table so the test is one load per byte.
const TOKEN: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = c.is_ascii_alphanumeric() || c == b'_' || c == b'-';
        b += 1;
    }
    table
};

/// Whether `b` is in the portable token set.
pub(crate) const fn is_token_byte(b: u8) -> bool {
    TOKEN[b as usize]
}

/// `token = 1*tchar`
fn token(input: &[u8]) -> PResult<'_, &[u8]> {
    expect(Expected::Token, take_while1(is_token_byte)).parse(input)
}

/// `process = token *("." token)`; stops before the first byte that cannot continue it.
pub(crate) fn process(input: &[u8]) -> PResult<'_, &[u8]> {
    recognize((token, many0_count(preceded(tag(&b"."[..]), cut(token))))).parse(input)
}

/// The literal that starts every subject.
pub(crate) const PREFIX: &str = "heartbeat.";

/// `subject = "heartbeat." process`; returns the process name.
pub(crate) fn subject(input: &[u8]) -> PResult<'_, &[u8]> {
    preceded(expect(Expected::Prefix, tag(PREFIX.as_bytes())), process).parse(input)
}

/// The signal word of a payload, `*ALPHA`, checked against the four signals by the
/// caller. Reading the whole word first makes `beats/5` an unknown signal rather than
/// `beat` followed by junk.
pub(crate) fn signal_word(input: &[u8]) -> PResult<'_, &[u8]> {
    take_while(|b: u8| b.is_ascii_alphabetic()).parse(input)
}

/// `"/" number`, after a signal that takes a value.
pub(crate) fn value(signal: SignalKind) -> impl Fn(&[u8]) -> PResult<'_, Decimal<'_>> {
    move |input| preceded(expect(Expected::Slash(signal), tag(&b"/"[..])), cut(number)).parse(input)
}

/// A number as written: `int [frac] [exp]`, split into its digit strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Decimal<'a> {
    /// `"0"` or digits without a leading zero.
    pub(crate) int: &'a [u8],
    /// Digits after the point; empty when there is no point.
    pub(crate) frac: &'a [u8],
    /// Whether the exponent is negative.
    pub(crate) exp_negative: bool,
    /// Digits of the exponent; empty when there is no exponent.
    pub(crate) exp: &'a [u8],
}

/// `number = int [ "." 1*DIGIT ] [ ("e" / "E") [ "+" / "-" ] 1*DIGIT ]` with
/// `int = "0" / %x31-39 *DIGIT`: JSON's number grammar without the minus sign.
pub(crate) fn number(input: &[u8]) -> PResult<'_, Decimal<'_>> {
    let (rest, int) = expect(Expected::Number(NumberExpected::Digit), digit1).parse(input)?;
    if int.len() > 1 && int[0] == b'0' {
        return Err(nom::Err::Failure(Failure::at(
            &input[1..],
            Expected::LeadingZero,
        )));
    }
    let fraction_digits = expect(Expected::Number(NumberExpected::FractionDigit), digit1);
    let (rest, frac) = opt(preceded(tag(&b"."[..]), cut(fraction_digits))).parse(rest)?;
    let exponent_digits = expect(Expected::Number(NumberExpected::ExponentDigit), digit1);
    let (rest, exp) = opt(preceded(
        one_of("eE"),
        cut((opt(one_of("+-")), exponent_digits)),
    ))
    .parse(rest)?;
    let (sign, exp) = exp.unwrap_or((None, &[]));
    Ok((
        rest,
        Decimal {
            int,
            frac: frac.unwrap_or(&[]),
            exp_negative: sign == Some('-'),
            exp,
        },
    ))
}

/// Runs `parser` over `input`: the output and what is left over, or the failure.
pub(crate) fn run<'a, O>(
    input: &'a [u8],
    mut parser: impl Parser<&'a [u8], Output = O, Error = Failure<'a>>,
) -> Result<(&'a [u8], O), Failure<'a>> {
    match parser.parse(input) {
        Ok((rest, out)) => Ok((rest, out)),
        Err(nom::Err::Error(f) | nom::Err::Failure(f)) => Err(f),
        // The parsers here are all `complete`; treat the impossible case as a failure at
        // the end of the input rather than panicking.
        Err(nom::Err::Incomplete(_)) => Err(Failure::at(&[], Expected::Syntax)),
    }
}

/// Runs `parser` over the whole of `input`, decoded as `part`: a byte left over is a
/// character the grammar does not allow there.
pub(crate) fn run_all<'a, O>(
    input: &'a [u8],
    part: Part,
    parser: impl Parser<&'a [u8], Output = O, Error = Failure<'a>>,
) -> Result<O, TextError> {
    match run(input, parser) {
        Ok(([], out)) => Ok(out),
        Ok((rest, _)) => Err(Failure::at(rest, Expected::Token).into_error(input, part)),
        Err(f) => Err(f.into_error(input, part)),
    }
}
