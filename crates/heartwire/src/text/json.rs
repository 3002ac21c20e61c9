//! The canonical JSON form of a text message (`spec/text.md` §9):
//! `{"format":"text","process":"my.process","signal":"beat","period":5}`.
//!
//! Numbers are written and read as exact decimals: the value of `period` or `warmup` is
//! handed to the number grammar of the text convention as it stands in the JSON text,
//! never through a binary float.

use std::borrow::Cow;
use std::fmt;

use super::{Message, Part, Process, Seconds, SignalKind, TextError};
use crate::json::{Doc, JsonError, JsonErrorKind, Raw};

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
/// escapes without letting a reader buffer without bound. The form's own limit, far
/// below the [`MAX_DOCUMENT_LEN`](crate::json::MAX_DOCUMENT_LEN) of the JSON formats.
pub const MAX_JSON_LEN: usize = 1024;

/// The members of the form as raw values, each seen once.
struct Members<'a> {
    format: Raw<'a>,
    process: Raw<'a>,
    signal: Raw<'a>,
    period: Option<Raw<'a>>,
    warmup: Option<Raw<'a>>,
}

/// Reads the form with the JSON scanner of every format. Its errors are the crate's one
/// [`JsonError`], with the classes `spec/text.md` §9 gives the form: a fault of the JSON
/// itself or of the object's shape is a [`JsonErrorKind::Shape`] (`json.shape`), a fault
/// of a member against the text convention a [`JsonErrorKind::Text`] at the member's path.
pub(super) fn decode(json: &str) -> Result<Message<'_>, JsonError> {
    if json.len() > MAX_JSON_LEN {
        let error = TextError::TooLong {
            part: Part::Json,
            offset: MAX_JSON_LEN,
            len: json.len(),
            max: MAX_JSON_LEN,
        };
        return Err(text_error("", error));
    }
    let (doc, object) = Doc::parse(json.as_bytes()).map_err(shape)?;
    let members = read_members(&doc, object).map_err(shape)?;

    // The members are checked in the order of §9, whatever their order in the text.
    let format = string(&doc, members.format)?;
    if format.text != "text" {
        return Err(JsonError::new(
            JsonErrorKind::Format { expected: "text" },
            doc.offset(members.format),
        )
        .in_field("format"));
    }

    let name = string(&doc, members.process)?;
    let process = Process::from_cow(name.text)
        .map_err(|error| text_error("process", name.at.place(error)))?;

    let word = string(&doc, members.signal)?;
    let kind = SignalKind::from_word(&word.text).ok_or_else(|| {
        text_error(
            "signal",
            word.at.place(TextError::UnknownSignal { offset: 0 }),
        )
    })?;

    let expected = kind.value_name();
    let wrong_value = |offset: usize| {
        JsonError::new(
            JsonErrorKind::Value {
                expected: value_rule(kind),
            },
            offset,
        )
    };
    // A member the signal does not take is reported at its value, the first in the
    // text when there are two; a value the signal needs and lacks, at the object (§9).
    let at = |raw: Raw<'_>| doc.offset(raw);
    let unwanted = match expected {
        Some("period") => members.warmup,
        Some(_) => members.period,
        None => match (members.period, members.warmup) {
            (Some(p), Some(w)) => Some(if at(w) < at(p) { w } else { p }),
            (p, w) => p.or(w),
        },
    };
    if let Some(raw) = unwanted {
        return Err(wrong_value(at(raw)));
    }
    let value = match (expected, members.period, members.warmup) {
        (Some("period"), Some(raw), _) | (Some(_), _, Some(raw)) => {
            let field = expected.unwrap_or("period");
            // The number's JSON text, read with the number grammar of §5: exact.
            let seconds = Seconds::parse(raw.get())
                .map_err(|error| text_error(field, error.shifted(at(raw))))?;
            Some(seconds)
        }
        (None, _, _) => None,
        (Some(_), _, _) => return Err(wrong_value(0)),
    };
    let signal = kind.with_value(value).ok_or_else(|| wrong_value(0))?;
    Ok(Message::new(process, signal))
}

/// The object's members, each once and none unknown, the three required present.
fn read_members<'a>(doc: &Doc<'a>, object: Raw<'a>) -> Result<Members<'a>, JsonError> {
    let [mut format, mut process, mut signal, mut period, mut warmup] = [None; 5];
    doc.object(object, |key, value| {
        let slot = match key.as_ref() {
            "format" => &mut format,
            "process" => &mut process,
            "signal" => &mut signal,
            "period" => &mut period,
            "warmup" => &mut warmup,
            _ => return Err(doc.unknown(&key, value).in_field(&key)),
        };
        doc.once(slot, &key, value).map_err(|e| e.in_field(&key))?;
        *slot = Some(value);
        Ok(())
    })?;
    let required = |slot: Option<Raw<'a>>, field| {
        slot.ok_or_else(|| JsonError::new(JsonErrorKind::Missing { field }, doc.offset(object)))
    };
    Ok(Members {
        format: required(format, "format")?,
        process: required(process, "process")?,
        signal: required(signal, "signal")?,
        period,
        warmup,
    })
}

/// What a signal takes, for the `json.value` error of a value missing or present
/// against it.
const fn value_rule(kind: SignalKind) -> &'static str {
    match kind {
        SignalKind::Start => "a warmup and no period for signal start",
        SignalKind::Beat => "a period and no warmup for signal beat",
        SignalKind::Degraded => "a period and no warmup for signal degraded",
        SignalKind::Stop => "no period or warmup for signal stop",
    }
}

/// A fault of the JSON or of the object's shape, as the form's one class for them.
fn shape(e: JsonError) -> JsonError {
    JsonError {
        kind: JsonErrorKind::Shape(Box::new(e.kind)),
        ..e
    }
}

/// A member's error against the text convention, at the member's path.
fn text_error(field: &str, error: TextError) -> JsonError {
    JsonError::new(JsonErrorKind::Text(error), error.offset()).in_field(field)
}

/// A JSON string value of the form, with where it stands in the JSON text.
struct JsonString<'a> {
    /// The value, unescaped; borrowed when the string has no escapes.
    text: Cow<'a, str>,
    at: Quoted,
}

/// Where a string stands in the JSON text.
#[derive(Clone, Copy)]
struct Quoted {
    /// The offset of the string's opening quote.
    quote: usize,
    /// Whether the string has escapes.
    escaped: bool,
}

impl Quoted {
    /// `error`, found in the unescaped value, as an error in the JSON text: shifted to
    /// where the value starts, or at the opening quote when the string has escapes
    /// (`spec/text.md` §9, as `spec/json.md` §3 reports a string's faults).
    fn place(self, error: TextError) -> TextError {
        if self.escaped {
            error.moved_to(self.quote)
        } else {
            error.shifted(self.quote + 1)
        }
    }
}

/// A string member; not a string is a fault of the shape.
fn string<'a>(doc: &Doc<'a>, raw: Raw<'a>) -> Result<JsonString<'a>, JsonError> {
    let text = doc.string(raw).map_err(shape)?;
    let at = Quoted {
        quote: doc.offset(raw),
        escaped: matches!(text, Cow::Owned(_)),
    };
    Ok(JsonString { text, at })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(json: &str) -> JsonError {
        decode(json).expect_err(json)
    }

    #[test]
    fn shape_errors_keep_their_cause() {
        let e = err(r#"{"format":"text","process":"p","signal":"stop","signal":"stop"}"#);
        assert_eq!(e.class(), "json.shape");
        assert_eq!(e.path, "signal");
        assert!(matches!(&e.kind, JsonErrorKind::Shape(cause)
            if matches!(**cause, JsonErrorKind::DuplicateKey { .. })));
        let e = err(r#"{"format":"text","process":"p","signal":"stop","x":1}"#);
        assert!(matches!(&e.kind, JsonErrorKind::Shape(cause)
            if matches!(**cause, JsonErrorKind::Unknown { .. })));
        let e = err(r#"{"format":"text","signal":"stop"}"#);
        assert!(matches!(&e.kind, JsonErrorKind::Shape(cause)
            if **cause == JsonErrorKind::Missing { field: "process" }));
        let e = err(r#"{"format":"text","process":1,"signal":"stop"}"#);
        assert_eq!((e.class(), e.offset), ("json.shape", 27));
        assert_eq!(err("[1,").class(), "json.shape");
    }

    #[test]
    fn text_errors_name_the_member() {
        let e = err(r#"{"format":"text","process":"a*b","signal":"stop"}"#);
        assert_eq!(
            (e.class(), e.offset, e.path.as_str()),
            ("subject.forbidden-char", 29, "process")
        );
        assert!(
            e.to_string().starts_with("process: expected a letter"),
            "{e}"
        );
        let e = err(r#"{"format":"text","process":"p","signal":"beat","period":"5"}"#);
        assert_eq!((e.class(), e.path.as_str()), ("number.syntax", "period"));
        let e = err(r#"{"format":"record","process":"p","signal":"stop"}"#);
        assert_eq!((e.class(), e.offset), ("json.format", 10));
        let e = err(r#"{"format":"text","process":"p","signal":"stop","period":1}"#);
        assert_eq!((e.class(), e.offset), ("json.value", 56));
        let long = format!("{:1025}", "{}");
        let e = err(&long);
        assert_eq!((e.class(), e.offset), ("limit.length", MAX_JSON_LEN));
    }
}
