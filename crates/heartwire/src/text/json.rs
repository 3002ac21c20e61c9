//! The canonical JSON form of a text message (`spec/text.md` §9):
//! `{"format":"text","process":"my.process","signal":"beat","period":5}`.
//!
//! Numbers are written and read as exact decimals: the value of `period` or `warmup` is
//! handed to the number grammar of the text convention as it stands in the JSON text,
//! never through a binary float.

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::{Message, Process, Seconds, SignalKind, TextError};

/// Displays a [`Message`] in its canonical JSON form; made by [`Message::json`].
#[derive(Debug, Clone, Copy)]
pub struct JsonForm<'m, 'a> {
    message: &'m Message<'a>,
}

impl<'m, 'a> JsonForm<'m, 'a> {
    pub(crate) const fn new(message: &'m Message<'a>) -> Self {
        JsonForm { message }
    }
}

impl fmt::Display for JsonForm<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let signal = self.message.signal();
        // Process names are letters, digits, '_', '-' and '.': nothing to escape.
        write!(
            f,
            r#"{{"format":"text","process":"{}","signal":"{}""#,
            self.message.process(),
            signal.kind()
        )?;
        if let (Some(name), Some(value)) = (signal.kind().value_name(), signal.value()) {
            write!(f, r#","{name}":{value}"#)?;
        }
        f.write_str("}")
    }
}

/// The longest JSON form accepted, in bytes (`spec/text.md` §7): the canonical form of
/// the longest message is under 320 bytes; the rest leaves room for whitespace and
/// escapes without letting a reader buffer without bound.
pub const MAX_JSON_LEN: usize = 1024;

/// A JSON object that is not the canonical form of a text message.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum JsonError {
    /// The JSON text is longer than [`MAX_JSON_LEN`].
    TooLong {
        /// Its length in bytes.
        len: usize,
    },
    /// Not a JSON object with exactly the expected keys and JSON types (syntax error,
    /// missing, unknown or duplicate key, wrong type).
    Shape {
        /// Byte offset in the JSON text near which the problem was found.
        offset: usize,
        /// What serde_json said, without its line and column.
        message: String,
    },
    /// `format` is not `"text"`.
    Format {
        /// Start of the `format` value.
        offset: usize,
    },
    /// `period` or `warmup` missing for a signal that needs it, or present where the
    /// signal takes no such value.
    Value {
        /// Start of the object, or of the value that should not be there.
        offset: usize,
        /// The signal of the object.
        signal: SignalKind,
        /// What the signal takes: `"period"`, `"warmup"` or `"no value"`.
        expected: &'static str,
    },
    /// A field breaks a rule of the text convention.
    Text {
        /// The field (`process`, `signal`, `period` or `warmup`).
        field: &'static str,
        /// The error, with its offset counted from the start of the JSON text.
        error: TextError,
    },
}

impl JsonError {
    /// The byte offset in the JSON text.
    pub fn offset(&self) -> usize {
        match self {
            JsonError::TooLong { .. } => MAX_JSON_LEN,
            JsonError::Shape { offset, .. }
            | JsonError::Format { offset }
            | JsonError::Value { offset, .. } => *offset,
            JsonError::Text { error, .. } => error.offset(),
        }
    }

    /// The stable error class of the conformance vectors: `json.shape`, `json.format`,
    /// `json.value`, or the class of the text error.
    pub fn class(&self) -> &'static str {
        match self {
            JsonError::TooLong { .. } => "limit.length",
            JsonError::Shape { .. } => "json.shape",
            JsonError::Format { .. } => "json.format",
            JsonError::Value { .. } => "json.value",
            JsonError::Text { error, .. } => error.class(),
        }
    }
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JsonError::TooLong { len } => write!(
                f,
                "JSON form is {len} bytes long, expected at most {MAX_JSON_LEN} (byte {MAX_JSON_LEN})"
            ),
            JsonError::Shape { offset, message } => write!(f, "{message} at byte {offset}"),
            JsonError::Format { offset } => {
                write!(f, "expected \"format\":\"text\" at byte {offset}")
            }
            JsonError::Value {
                offset,
                signal,
                expected,
            } => write!(
                f,
                "expected {expected} for signal {signal} at byte {offset}"
            ),
            JsonError::Text { field, error } => write!(f, "{field}: {error}"),
        }
    }
}

impl std::error::Error for JsonError {}

/// The object as serde sees it: each value kept as its raw JSON text, so numbers reach
/// our own grammar and every error can point into the input.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Wire<'a> {
    #[serde(borrow)]
    format: &'a RawValue,
    #[serde(borrow)]
    process: &'a RawValue,
    #[serde(borrow)]
    signal: &'a RawValue,
    #[serde(borrow, default)]
    period: Option<&'a RawValue>,
    #[serde(borrow, default)]
    warmup: Option<&'a RawValue>,
}

pub(super) fn decode(json: &str) -> Result<Message<'_>, JsonError> {
    if json.len() > MAX_JSON_LEN {
        return Err(JsonError::TooLong { len: json.len() });
    }
    let wire: Wire<'_> = serde_json::from_str(json).map_err(|e| shape_error(json, &e))?;
    let at = |raw: &RawValue| offset_in(json, raw.get());

    let format = string(json, wire.format)?;
    if format.text != "text" {
        return Err(JsonError::Format {
            offset: at(wire.format),
        });
    }

    let name = string(json, wire.process)?;
    let (first, escaped) = (name.first, name.escaped);
    let process = Process::from_cow(name.text).map_err(|error| JsonError::Text {
        field: "process",
        error: place(first, escaped, error),
    })?;

    let word = string(json, wire.signal)?;
    let kind = SignalKind::from_word(&word.text).ok_or(JsonError::Text {
        field: "signal",
        error: place(
            word.first,
            word.escaped,
            TextError::UnknownSignal { offset: 0 },
        ),
    })?;

    let expected = kind.value_name();
    // A member the signal does not take is reported at its value, the first in the
    // text when there are two; a value the signal needs and lacks, at the object (§9).
    let unwanted = match expected {
        Some("period") => wire.warmup,
        Some(_) => wire.period,
        None => match (wire.period, wire.warmup) {
            (Some(p), Some(w)) => Some(if at(w) < at(p) { w } else { p }),
            (p, w) => p.or(w),
        },
    };
    if let Some(raw) = unwanted {
        return Err(JsonError::Value {
            offset: at(raw),
            signal: kind,
            expected: expected.unwrap_or("no value"),
        });
    }
    let value = match (expected, wire.period, wire.warmup) {
        (Some("period"), Some(raw), _) | (Some(_), _, Some(raw)) => {
            let field = expected.unwrap_or("period");
            let seconds = Seconds::parse(raw.get()).map_err(|error| JsonError::Text {
                field,
                error: error.shifted(at(raw)),
            })?;
            Some(seconds)
        }
        (None, _, _) => None,
        (Some(_), _, _) => {
            return Err(JsonError::Value {
                offset: 0,
                signal: kind,
                expected: expected.unwrap_or("no value"),
            });
        }
    };
    let signal = kind.with_value(value).ok_or(JsonError::Value {
        offset: 0,
        signal: kind,
        expected: expected.unwrap_or("no value"),
    })?;
    Ok(Message::new(process, signal))
}

/// A JSON string value of the form, with where it stands in the JSON text.
struct JsonString<'a> {
    /// The value, unescaped; borrowed when the string has no escapes.
    text: Cow<'a, str>,
    /// The offset of the string's first character (after the opening quote).
    first: usize,
    /// Whether the string has escapes.
    escaped: bool,
}

/// `error`, found in the unescaped value of a string whose first character is at
/// `first`, as an error in the JSON text: shifted to where the value starts, or at the
/// opening quote when the string has escapes (`spec/text.md` §9, as `spec/json.md` §3
/// reports a string's faults).
fn place(first: usize, escaped: bool, error: TextError) -> TextError {
    if escaped {
        error.moved_to(first - 1)
    } else {
        error.shifted(first)
    }
}

/// A JSON string value: borrowed when it has no escapes, with the offset of its first
/// character in `json`.
fn string<'a>(json: &str, raw: &'a RawValue) -> Result<JsonString<'a>, JsonError> {
    let text = raw.get();
    let start = offset_in(json, text);
    let not_a_string = || JsonError::Shape {
        offset: start,
        message: "expected a string".to_owned(),
    };
    let inner = text
        .strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .ok_or_else(not_a_string)?;
    if inner.contains('\\') {
        let owned: String = serde_json::from_str(text).map_err(|_| not_a_string())?;
        Ok(JsonString {
            text: Cow::Owned(owned),
            first: start + 1,
            escaped: true,
        })
    } else {
        Ok(JsonString {
            text: Cow::Borrowed(inner),
            first: start + 1,
            escaped: false,
        })
    }
}

/// Where `part`, a slice of `json`, starts in it.
fn offset_in(json: &str, part: &str) -> usize {
    (part.as_ptr() as usize)
        .saturating_sub(json.as_ptr() as usize)
        .min(json.len())
}

/// serde_json's error as a byte offset: it counts lines and byte columns, 1-based.
fn shape_error(json: &str, e: &serde_json::Error) -> JsonError {
    let line_start: usize = json
        .split_inclusive('\n')
        .take(e.line().saturating_sub(1))
        .map(str::len)
        .sum();
    let offset = (line_start + e.column().saturating_sub(1)).min(json.len());
    let message = e.to_string();
    // serde_json appends " at line L column C"; the offset replaces it.
    let message = match message.rfind(" at line ") {
        Some(cut) => message[..cut].to_owned(),
        None => message,
    };
    JsonError::Shape { offset, message }
}
