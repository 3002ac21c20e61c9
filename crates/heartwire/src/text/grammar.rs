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

use nom::error::{ErrorKind, ParseError};
use nom::sequence::preceded;
use nom::{IResult, Parser};

use super::{NumberExpected, Part, SignalKind, TextError};
use crate::time::SCALE;

/// Nanoseconds in a second.
const NANOS_PER_SEC: u64 = 1_000_000_000;

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
    Signal,
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
    #[cold]
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
            Expected::Signal => TextError::UnknownSignal { offset },
        };
        reported(input, part, error)
    }
}

/// The error to report for `input`, decoded as `part`, that broke a rule with `error`:
/// an encoding error comes first (§8), so bytes that are not UTF-8 are reported as such
/// even when the grammar failed earlier in the input.
#[cold]
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
#[inline]
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

/// Whether a byte is in the portable token set, `tchar` (§3.2): ASCII letters, digits,
/// `_` and `-`. The one definition, used by the process names of the text convention and
/// the service names of records (`spec/record.md` §3).
pub(crate) const fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

/// The class of each byte in a process name, as a table so the test is one load per
/// byte: `tchar`, the portable token set (ASCII letters, digits, `_` and `-`, §3.2), the
/// dot between tokens, or anything else.
const NAME: [u8; 256] = {
    let mut table = [OTHER; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        if is_token_byte(c) {
            table[b] = TCHAR;
        } else if c == b'.' {
            table[b] = DOT;
        }
        b += 1;
    }
    table
};
const OTHER: u8 = 0;
const TCHAR: u8 = 1;
const DOT: u8 = 2;

/// `process = token *("." token)` with `token = 1*tchar`: the longest run of name
/// bytes, in which every `.` must stand between two tokens. Stops before the first byte
/// that cannot continue the name.
///
/// A name of 9 bytes or more is first checked whole, 16 bytes a step ([`whole_name`]):
/// names are the bulk of every message, and the chunk check costs half the byte loop.
/// When it says no, the byte loop finds where and why, so both paths give the same
/// answer (the property tests of `text::fast_properties` hold them to it).
#[inline]
pub(crate) fn process(input: &[u8]) -> PResult<'_, &[u8]> {
    if whole_name(input) {
        let (name, rest) = input.split_at(input.len());
        return Ok((rest, name));
    }
    process_by_byte(input)
}

/// [`process`] one byte at a time: the reference the chunk check is tested against, and
/// the path that reports where a name breaks a rule.
///
/// One pass with a byte-class table rather than `many0`/`take_while1`: nom's generic
/// primitives measured about 1 ns per byte here.
pub(crate) fn process_by_byte(input: &[u8]) -> PResult<'_, &[u8]> {
    let mut token_expected = true;
    let mut end = input.len();
    for (i, &b) in input.iter().enumerate() {
        match NAME[usize::from(b)] {
            TCHAR => token_expected = false,
            DOT if !token_expected => token_expected = true,
            DOT => return Err(nom::Err::Failure(Failure::at(&input[i..], Expected::Token))),
            _ => {
                end = i;
                break;
            }
        }
    }
    let (name, rest) = input.split_at(end);
    if token_expected {
        // Empty, or a trailing dot: a token was due where the run ended.
        return Err(nom::Err::Failure(Failure::at(rest, Expected::Token)));
    }
    Ok((rest, name))
}

/// Whether byte `b`, after byte `before`, breaks the name rule: it is not a name byte
/// (`tchar` or `.`), or it is the second dot of a `..`.
///
/// Without tables or branches, so that a loop of it over a chunk of bytes compiles to
/// SIMD (on x86-64, about 20 SSE2 instructions for 16 bytes) in safe, portable code.
#[inline(always)]
const fn breaks_name(before: u8, b: u8) -> bool {
    // Setting bit 5 folds `A-Z` onto `a-z`, and puts no other byte there.
    let letter = (b | 0x20).wrapping_sub(b'a') < 26;
    let digit = b.wrapping_sub(b'0') < 10;
    let dot = b == b'.';
    let name_byte = letter | digit | (b == b'_') | (b == b'-') | dot;
    !name_byte | (dot & (before == b'.'))
}

/// Whether all of `input` is a process name, checked `N` bytes a step (16 from 17
/// bytes on, 8 from 9); `false` for shorter input, which [`process_by_byte`] checks.
///
/// Each byte from the second on is checked with the byte before it, by reading each
/// chunk twice: at its place and one byte earlier. The last chunk ends at the end of
/// the input, overlapping the one before: checking a byte twice gives the same answer.
/// The first byte must start a token, and the last must not be a dot.
#[inline]
pub(crate) fn whole_name(input: &[u8]) -> bool {
    match (input.first(), input.last()) {
        (Some(&first), Some(&last)) if NAME[usize::from(first)] == TCHAR && last != b'.' => {
            match input.len() {
                17.. => rest_of_name::<16>(input),
                9.. => rest_of_name::<8>(input),
                _ => false,
            }
        }
        _ => false,
    }
}

/// Whether no byte after the first of `input` (more than `N` bytes) breaks the name
/// rule, `N` bytes a step.
#[inline(always)]
fn rest_of_name<const N: usize>(input: &[u8]) -> bool {
    let mut faults = [false; N];
    let mut at = 1;
    loop {
        // The last chunk ends at the end of the input.
        let start = at.min(input.len().saturating_sub(N));
        let (Some(before), Some(chunk)) = (
            input.get(start - 1..).and_then(<[u8]>::first_chunk::<N>),
            input.get(start..).and_then(<[u8]>::first_chunk::<N>),
        ) else {
            return false;
        };
        for ((fault, &before), &b) in faults.iter_mut().zip(before).zip(chunk) {
            *fault |= breaks_name(before, b);
        }
        if start + N == input.len() {
            return faults == [false; N];
        }
        at += N;
    }
}

/// The literal bytes `lit`.
#[inline]
/// A fixed-size array, so the comparison compiles to a few word compares.
fn literal<'a, const N: usize>(
    lit: &'static [u8; N],
) -> impl Fn(&'a [u8]) -> PResult<'a, &'a [u8]> {
    move |input| match input.split_first_chunk::<N>() {
        Some((head, rest)) if head == lit => Ok((rest, head.as_slice())),
        _ => Err(nom::Err::Error(Failure::at(input, Expected::Syntax))),
    }
}

/// The literal that starts every subject.
pub(crate) const PREFIX: &str = "heartbeat.";
const PREFIX_BYTES: &[u8; 10] = b"heartbeat.";

/// `subject = "heartbeat." process`; returns the process name.
#[inline]
pub(crate) fn subject(input: &[u8]) -> PResult<'_, &[u8]> {
    preceded(expect(Expected::Prefix, literal(PREFIX_BYTES)), process).parse(input)
}

/// The signal word: `"start" / "beat" / "degraded" / "stop"`, case-sensitive, as a
/// whole word, so `beats/5` is an unknown signal rather than `beat` followed by junk.
///
/// Dispatches on the first byte and compares one fixed-size array, rather than reading
/// the word and comparing it with four slices: measured a tenth of a decode cheaper.
#[inline]
pub(crate) fn signal(input: &[u8]) -> PResult<'_, SignalKind> {
    fn word<const N: usize>(input: &[u8], word: &[u8; N]) -> bool {
        input.first_chunk::<N>() == Some(word)
    }
    let found = match input.first() {
        Some(b'b') if word(input, b"beat") => Some((SignalKind::Beat, 4)),
        Some(b'd') if word(input, b"degraded") => Some((SignalKind::Degraded, 8)),
        Some(b's') if word(input, b"start") => Some((SignalKind::Start, 5)),
        Some(b's') if word(input, b"stop") => Some((SignalKind::Stop, 4)),
        _ => None,
    };
    match found {
        Some((kind, len)) if !input.get(len).is_some_and(u8::is_ascii_alphabetic) => {
            Ok((&input[len..], kind))
        }
        _ => Err(nom::Err::Error(Failure::at(input, Expected::Signal))),
    }
}

/// The payloads publishers send nearly always, in one scan: `stop`, or `start`, `beat`
/// or `degraded`, `/` and a plain number (at most 10 integer digits without a leading
/// zero, and at most 9 fraction digits), to the end of the input. The output is the
/// kind and the value in nanoseconds (`None` for `stop`), exact without rounding.
///
/// Fails, with a nom `Error`, for everything else, valid or not: the caller then runs
/// the general grammar ([`signal`], [`value`], [`number`]), which reads every form and
/// says where a payload breaks a rule. The general path costs twice this one, mostly in
/// building a [`Decimal`] and reading its digits a second time.
///
/// What it accepts is at most 29 bytes (`degraded/`, 10 digits, a point and 9 digits),
/// within [`MAX_PAYLOAD_LEN`](super::MAX_PAYLOAD_LEN), so skipping the length check
/// loses no error. Always inlined into [`Signal::decode`](super::Signal::decode): see
/// there.
#[inline(always)]
pub(crate) fn plain_payload(input: &[u8]) -> PResult<'_, (SignalKind, Option<u64>)> {
    let not_plain = || Err(nom::Err::Error(Failure::at(input, Expected::Syntax)));
    // Four bytes compared as one `u32`: a match on byte arrays compares byte by byte.
    const fn word(bytes: &[u8; 4]) -> u32 {
        u32::from_le_bytes(*bytes)
    }
    const BEAT: u32 = word(b"beat");
    const STOP: u32 = word(b"stop");
    const STAR: u32 = word(b"star");
    const DEGR: u32 = word(b"degr");
    const ADED: u32 = word(b"aded");
    let Some((head, after)) = input.split_first_chunk::<4>() else {
        return not_plain();
    };
    let (kind, value) = match (word(head), after) {
        (BEAT, value) => (SignalKind::Beat, value),
        (STOP, []) => return Ok((&[], (SignalKind::Stop, None))),
        (STAR, [b't', value @ ..]) => (SignalKind::Start, value),
        (DEGR, after) => match after.split_first_chunk::<4>() {
            Some((tail, value)) if word(tail) == ADED => (SignalKind::Degraded, value),
            _ => return not_plain(),
        },
        _ => return not_plain(),
    };
    match value.split_first() {
        Some((b'/', number)) => match plain_nanos(number) {
            Some(nanos) => Ok((&[], (kind, Some(nanos)))),
            None => not_plain(),
        },
        _ => not_plain(),
    }
}

/// `int ["." 1*9DIGIT]` filling all of `input`, with `int` at most 10 digits, in
/// nanoseconds: at most 9,999,999,999.999999999 s, which fits a `u64`.
#[inline]
fn plain_nanos(input: &[u8]) -> Option<u64> {
    let mut int = 0u64;
    let mut int_len = 0;
    for &b in input {
        let digit = b.wrapping_sub(b'0');
        if digit >= 10 {
            break;
        }
        // Wraps only past 10 digits, which the length test below turns away.
        int = int.wrapping_mul(10).wrapping_add(u64::from(digit));
        int_len += 1;
    }
    if int_len == 0 || int_len > 10 || (int_len > 1 && input[0] == b'0') {
        return None;
    }
    let frac = match &input[int_len..] {
        [] => 0,
        [b'.', frac @ ..] if (1..=9).contains(&frac.len()) => {
            let mut value = 0u64;
            for &b in frac {
                let digit = b.wrapping_sub(b'0');
                if digit >= 10 {
                    return None;
                }
                value = value * 10 + u64::from(digit);
            }
            value * u64::from(SCALE[frac.len()])
        }
        _ => return None,
    };
    Some(int * NANOS_PER_SEC + frac)
}

/// `"/" number`, after a signal that takes a value.
///
/// Written out rather than as `preceded(tag("/"), cut(number))`: nom's generic plumbing
/// around a one-byte literal measured as a third of the payload's cost.
pub(crate) fn value(signal: SignalKind) -> impl Fn(&[u8]) -> PResult<'_, Decimal<'_>> {
    move |input| match input.split_first() {
        Some((b'/', rest)) => number(rest).map_err(|e| match e {
            // After the slash a number is required: `cut`.
            nom::Err::Error(f) => nom::Err::Failure(f),
            other => other,
        }),
        _ => Err(nom::Err::Error(Failure::at(input, Expected::Slash(signal)))),
    }
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
///
/// One scan rather than a combinator per part: the number is in every payload, and
/// the scan is as short as the grammar.
#[inline]
pub(crate) fn number(input: &[u8]) -> PResult<'_, Decimal<'_>> {
    let fail = |at: usize, expected| Err(nom::Err::Failure(Failure::at(&input[at..], expected)));
    let int_end = digit_run(input, 0);
    if int_end == 0 {
        return Err(nom::Err::Error(Failure::at(
            input,
            Expected::Number(NumberExpected::Digit),
        )));
    }
    if int_end > 1 && input[0] == b'0' {
        return fail(1, Expected::LeadingZero);
    }
    let mut end = int_end;
    let mut frac: &[u8] = &[];
    if input.get(end) == Some(&b'.') {
        let frac_end = digit_run(input, end + 1);
        if frac_end == end + 1 {
            return fail(end + 1, Expected::Number(NumberExpected::FractionDigit));
        }
        frac = &input[end + 1..frac_end];
        end = frac_end;
    }
    let mut exp: &[u8] = &[];
    let mut exp_negative = false;
    if matches!(input.get(end), Some(b'e' | b'E')) {
        let mut start = end + 1;
        if let Some(&sign @ (b'+' | b'-')) = input.get(start) {
            exp_negative = sign == b'-';
            start += 1;
        }
        let exp_end = digit_run(input, start);
        if exp_end == start {
            return fail(start, Expected::Number(NumberExpected::ExponentDigit));
        }
        exp = &input[start..exp_end];
        end = exp_end;
    }
    Ok((
        &input[end..],
        Decimal {
            int: &input[..int_end],
            frac,
            exp_negative,
            exp,
        },
    ))
}

/// Where the run of ASCII digits starting at `from` ends.
#[inline]
fn digit_run(input: &[u8], from: usize) -> usize {
    let tail = input.get(from..).unwrap_or_default();
    from + tail
        .iter()
        .position(|b| !b.is_ascii_digit())
        .unwrap_or(tail.len())
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
