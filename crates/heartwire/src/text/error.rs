//! The one error type of the text convention.

use std::fmt;

use super::SignalKind;

/// Which piece of input an error points into.
///
/// Offsets in [`TextError`] count bytes from the start of this piece.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Part {
    /// A subject (`heartbeat.<process>`).
    Subject,
    /// A process name given on its own, without the `heartbeat.` prefix.
    Process,
    /// A payload (`beat/5`).
    Payload,
    /// A line form message (`<subject> <payload>`).
    Line,
    /// The canonical JSON form of a message (`spec/text.md` §9).
    Json,
}

impl Part {
    /// The lower-case name used in messages and error classes.
    pub const fn as_str(self) -> &'static str {
        match self {
            Part::Subject => "subject",
            Part::Process => "process",
            Part::Payload => "payload",
            Part::Line => "line",
            Part::Json => "JSON form",
        }
    }
}

/// What the number grammar expected where it failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum NumberExpected {
    /// The first digit of the number (found a sign, a letter, a space or nothing).
    Digit,
    /// A digit after the decimal point.
    FractionDigit,
    /// A digit of the exponent, after `e`, `e+` or `e-`.
    ExponentDigit,
}

/// A text message, subject, payload or number that breaks a rule of `spec/text.md`.
///
/// Every variant says what was expected and at which byte offset. The offset counts from
/// the start of the piece of input that was decoded: the subject, the payload, or the
/// whole line for the line form (see [`Part`]). Errors compare with `==`, so a test can
/// assert the exact error, and [`TextError::class`] gives the stable name that the
/// conformance vectors use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TextError {
    /// The input is not valid UTF-8; `offset` is the first byte of the bad sequence.
    NotUtf8 {
        /// Where the input was given.
        part: Part,
        /// First byte that is not part of a valid UTF-8 sequence.
        offset: usize,
    },
    /// The input is longer than its limit.
    TooLong {
        /// Which limit applies.
        part: Part,
        /// The first byte past the limit: the limit itself, or more for a payload inside
        /// a line.
        offset: usize,
        /// The length of the input in bytes.
        len: usize,
        /// The limit in bytes.
        max: usize,
    },
    /// A subject that does not start with `heartbeat.`.
    MissingPrefix {
        /// First byte that differs from the prefix.
        offset: usize,
    },
    /// A process name with an empty token: empty, leading or trailing `.`, or `..`.
    EmptyToken {
        /// Where a token was expected.
        offset: usize,
    },
    /// A character outside the portable token set (letters, digits, `_`, `-`, and `.`
    /// between tokens).
    ForbiddenChar {
        /// Where the character starts.
        offset: usize,
        /// The character found.
        found: char,
    },
    /// A payload whose signal word is not `start`, `beat`, `degraded` or `stop`.
    UnknownSignal {
        /// Start of the signal word.
        offset: usize,
    },
    /// `start`, `beat` or `degraded` without `/` and a number.
    MissingValue {
        /// Where the `/` was expected.
        offset: usize,
        /// The signal that needs a value.
        signal: SignalKind,
    },
    /// `stop` followed by anything.
    UnexpectedValue {
        /// First byte after `stop`.
        offset: usize,
    },
    /// A number that does not follow the number grammar.
    InvalidNumber {
        /// Where the grammar failed.
        offset: usize,
        /// What the grammar expected there.
        expected: NumberExpected,
        /// The character found instead; `None` at the end of the input.
        found: Option<char>,
    },
    /// A number with a superfluous leading zero (`05`).
    LeadingZero {
        /// The digit after the leading zero.
        offset: usize,
    },
    /// Characters after a complete payload (`beat/5 `, `beat/5/6`).
    TrailingInput {
        /// First byte after the complete payload.
        offset: usize,
    },
    /// A duration that is zero, or rounds to zero nanoseconds.
    ZeroDuration {
        /// Start of the number.
        offset: usize,
    },
    /// A duration longer than [`MAX_SECONDS`](super::MAX_SECONDS) seconds.
    OutOfRange {
        /// Start of the number.
        offset: usize,
    },
    /// A line form message without the single space between subject and payload.
    MissingSeparator {
        /// Where the space was expected (the end of the line).
        offset: usize,
    },
}

impl TextError {
    /// The byte offset the error points at, counted from the start of the input that was
    /// decoded (the subject, the payload or the line; see the type's docs).
    pub const fn offset(&self) -> usize {
        match *self {
            TextError::NotUtf8 { offset, .. }
            | TextError::TooLong { offset, .. }
            | TextError::MissingPrefix { offset }
            | TextError::EmptyToken { offset }
            | TextError::ForbiddenChar { offset, .. }
            | TextError::UnknownSignal { offset }
            | TextError::MissingValue { offset, .. }
            | TextError::UnexpectedValue { offset }
            | TextError::InvalidNumber { offset, .. }
            | TextError::LeadingZero { offset }
            | TextError::TrailingInput { offset }
            | TextError::ZeroDuration { offset }
            | TextError::OutOfRange { offset }
            | TextError::MissingSeparator { offset } => offset,
        }
    }

    /// The stable error class used by the conformance vectors (`spec/text.md` §8).
    pub const fn class(&self) -> &'static str {
        match self {
            TextError::NotUtf8 { .. } => "encoding.utf8",
            TextError::TooLong { .. } => "limit.length",
            TextError::MissingPrefix { .. } => "subject.prefix",
            TextError::EmptyToken { .. } => "subject.empty-token",
            TextError::ForbiddenChar { .. } => "subject.forbidden-char",
            TextError::UnknownSignal { .. } => "payload.unknown-signal",
            TextError::MissingValue { .. } => "payload.missing-value",
            TextError::UnexpectedValue { .. } => "payload.unexpected-value",
            TextError::TrailingInput { .. } => "payload.trailing-input",
            TextError::InvalidNumber { .. } => "number.syntax",
            TextError::LeadingZero { .. } => "number.leading-zero",
            TextError::ZeroDuration { .. } => "number.zero",
            TextError::OutOfRange { .. } => "number.range",
            TextError::MissingSeparator { .. } => "line.separator",
        }
    }

    /// The same error pointing at `to` instead: a fault inside a JSON string with
    /// escapes is reported at the string's opening quote (`spec/text.md` §9), since the
    /// unescaped text has no position in the JSON text.
    pub(crate) fn moved_to(mut self, to: usize) -> Self {
        match &mut self {
            TextError::NotUtf8 { offset, .. }
            | TextError::TooLong { offset, .. }
            | TextError::MissingPrefix { offset }
            | TextError::EmptyToken { offset }
            | TextError::ForbiddenChar { offset, .. }
            | TextError::UnknownSignal { offset }
            | TextError::MissingValue { offset, .. }
            | TextError::UnexpectedValue { offset }
            | TextError::InvalidNumber { offset, .. }
            | TextError::LeadingZero { offset }
            | TextError::TrailingInput { offset }
            | TextError::ZeroDuration { offset }
            | TextError::OutOfRange { offset }
            | TextError::MissingSeparator { offset } => *offset = to,
        }
        self
    }

    /// The same error with its offset moved by `by` bytes, for an input embedded in a
    /// larger one (a payload inside a line).
    pub(crate) const fn shifted(self, by: usize) -> Self {
        match self {
            TextError::NotUtf8 { part, offset } => TextError::NotUtf8 {
                part,
                offset: offset + by,
            },
            TextError::TooLong {
                part,
                offset,
                len,
                max,
            } => TextError::TooLong {
                part,
                offset: offset + by,
                len,
                max,
            },
            TextError::MissingPrefix { offset } => TextError::MissingPrefix {
                offset: offset + by,
            },
            TextError::EmptyToken { offset } => TextError::EmptyToken {
                offset: offset + by,
            },
            TextError::ForbiddenChar { offset, found } => TextError::ForbiddenChar {
                offset: offset + by,
                found,
            },
            TextError::UnknownSignal { offset } => TextError::UnknownSignal {
                offset: offset + by,
            },
            TextError::MissingValue { offset, signal } => TextError::MissingValue {
                offset: offset + by,
                signal,
            },
            TextError::UnexpectedValue { offset } => TextError::UnexpectedValue {
                offset: offset + by,
            },
            TextError::InvalidNumber {
                offset,
                expected,
                found,
            } => TextError::InvalidNumber {
                offset: offset + by,
                expected,
                found,
            },
            TextError::LeadingZero { offset } => TextError::LeadingZero {
                offset: offset + by,
            },
            TextError::TrailingInput { offset } => TextError::TrailingInput {
                offset: offset + by,
            },
            TextError::ZeroDuration { offset } => TextError::ZeroDuration {
                offset: offset + by,
            },
            TextError::OutOfRange { offset } => TextError::OutOfRange {
                offset: offset + by,
            },
            TextError::MissingSeparator { offset } => TextError::MissingSeparator {
                offset: offset + by,
            },
        }
    }
}

/// Why a character is unsafe in a process name, for the error message.
fn why_forbidden(c: char) -> &'static str {
    match c {
        '*' | '>' => "a NATS wildcard",
        '+' | '#' => "an MQTT wildcard",
        '?' | '[' | ']' | '^' | '\\' => "a Redis glob character",
        '/' => "the MQTT topic separator",
        '$' => "reserved by NATS and MQTT",
        c if c.is_whitespace() => "whitespace",
        c if c.is_control() => "a control character",
        c if !c.is_ascii() => "not ASCII",
        _ => "not portable across brokers",
    }
}

impl fmt::Display for TextError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = self.offset();
        match *self {
            TextError::NotUtf8 { part, .. } => {
                write!(f, "{} is not valid UTF-8 at byte {at}", part.as_str())
            }
            TextError::TooLong { part, len, max, .. } => write!(
                f,
                "{} is {len} bytes long, expected at most {max} (byte {at})",
                part.as_str()
            ),
            TextError::MissingPrefix { .. } => {
                write!(
                    f,
                    "expected subject to start with \"heartbeat.\" at byte {at}"
                )
            }
            TextError::EmptyToken { .. } => write!(
                f,
                "expected a process name token (letters, digits, '_' or '-') at byte {at}, found an empty token"
            ),
            TextError::ForbiddenChar { found, .. } => write!(
                f,
                "expected a letter, digit, '_', '-' or '.' at byte {at}, found {found:?} ({})",
                why_forbidden(found)
            ),
            TextError::UnknownSignal { .. } => write!(
                f,
                "expected a signal (start, beat, degraded or stop) at byte {at}"
            ),
            TextError::MissingValue { signal, .. } => write!(
                f,
                "expected '/' and a number of seconds after {} at byte {at}",
                signal.as_str()
            ),
            TextError::UnexpectedValue { .. } => {
                write!(f, "expected the end of the payload after stop at byte {at}")
            }
            TextError::InvalidNumber {
                expected, found, ..
            } => {
                let what = match expected {
                    NumberExpected::Digit => "a digit",
                    NumberExpected::FractionDigit => "a digit after the decimal point",
                    NumberExpected::ExponentDigit => "a digit in the exponent",
                };
                match found {
                    Some(c) => write!(f, "expected {what} at byte {at}, found {c:?}"),
                    None => write!(f, "expected {what} at byte {at}, found the end"),
                }
            }
            TextError::LeadingZero { .. } => write!(
                f,
                "expected '.', 'e' or the end of the number after a leading zero at byte {at}"
            ),
            TextError::TrailingInput { .. } => {
                write!(f, "expected the end of the payload at byte {at}")
            }
            TextError::ZeroDuration { .. } => write!(
                f,
                "expected a duration of at least 1 nanosecond at byte {at}, found zero"
            ),
            TextError::OutOfRange { .. } => write!(
                f,
                "expected a duration of at most {} seconds at byte {at}",
                super::MAX_SECONDS
            ),
            TextError::MissingSeparator { .. } => write!(
                f,
                "expected a space between subject and payload at byte {at}"
            ),
        }
    }
}

impl std::error::Error for TextError {}
