//! What the JSON wire formats share (`spec/json.md`): limits, the error type with a field
//! path and a byte offset, numbers kept as their text, extra members kept in order, and
//! the zero-copy reading of a document.
//!
//! Every JSON format is read in two steps with one parser, serde_json: an object's members
//! are taken as raw text ([`RawValue`], borrowed from the input), and each member is then
//! read by the rule of its field. Raw members know where they are in the document, so
//! every error points at a byte offset, and a member nobody knows is kept verbatim.

use std::borrow::Cow;
use std::fmt;

use bytes::{BufMut, BytesMut};
use serde::de::{self, DeserializeSeed, Deserializer as _, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use smallvec::SmallVec;

use crate::time::{Timestamp, TimestampError};

/// The largest document any JSON format accepts, in bytes: 64 KiB.
pub const MAX_DOCUMENT_LEN: usize = 64 * 1024;

/// The deepest nesting of arrays and objects in a document; the document itself is
/// depth 1.
pub const MAX_DEPTH: usize = 32;

/// What kind of JSON value a member holds (from its first byte).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool,
    /// A number.
    Number,
    /// A string.
    String,
    /// An array.
    Array,
    /// An object.
    Object,
}

impl Kind {
    /// The kind of a raw value.
    pub fn of(raw: &RawValue) -> Kind {
        Kind::of_text(raw.get())
    }

    /// The kind of the text of a valid JSON value (without leading white space).
    fn of_text(text: &str) -> Kind {
        match text.as_bytes().first() {
            Some(b'n') => Kind::Null,
            Some(b't' | b'f') => Kind::Bool,
            Some(b'"') => Kind::String,
            Some(b'[') => Kind::Array,
            Some(b'{') => Kind::Object,
            _ => Kind::Number,
        }
    }

    /// The name used in messages: `null`, `a boolean`, `a number`, ...
    pub const fn as_str(self) -> &'static str {
        match self {
            Kind::Null => "null",
            Kind::Bool => "a boolean",
            Kind::Number => "a number",
            Kind::String => "a string",
            Kind::Array => "an array",
            Kind::Object => "an object",
        }
    }
}

/// What is wrong with a JSON document; see [`JsonError`] for where.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum JsonErrorKind {
    /// The document is larger than [`MAX_DOCUMENT_LEN`].
    TooLarge {
        /// Its length in bytes.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The document is not valid UTF-8.
    NotUtf8,
    /// The document is not JSON; serde_json's message, without its position.
    Syntax {
        /// What the JSON parser said.
        message: String,
    },
    /// Arrays and objects nest deeper than [`MAX_DEPTH`].
    TooDeep {
        /// The limit.
        max: usize,
    },
    /// An object has the same key twice.
    DuplicateKey {
        /// The key.
        key: String,
    },
    /// A required member is missing; the path names the object it is missing from.
    Missing {
        /// The member's key.
        field: &'static str,
    },
    /// A member holds the wrong kind of value.
    Type {
        /// What the rule wants.
        expected: &'static str,
        /// What was found.
        found: Kind,
    },
    /// A member holds a value of the right kind that breaks its rule (a negative count,
    /// an hour 24, an unknown variant, a name with a glob character...).
    Value {
        /// What the rule wants.
        expected: &'static str,
    },
    /// A timestamp breaks the grammar of `spec/json.md` §4.
    Timestamp(TimestampError),
}

impl JsonErrorKind {
    /// The stable error class used by the conformance vectors.
    pub const fn class(&self) -> &'static str {
        match self {
            JsonErrorKind::TooLarge { .. } => "json.size",
            JsonErrorKind::NotUtf8 => "json.utf8",
            JsonErrorKind::Syntax { .. } => "json.syntax",
            JsonErrorKind::TooDeep { .. } => "json.depth",
            JsonErrorKind::DuplicateKey { .. } => "json.duplicate",
            JsonErrorKind::Missing { .. } => "json.missing",
            JsonErrorKind::Type { .. } => "json.type",
            JsonErrorKind::Value { .. } => "json.value",
            JsonErrorKind::Timestamp(_) => "json.timestamp",
        }
    }
}

impl fmt::Display for JsonErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JsonErrorKind::TooLarge { len, max } => {
                write!(f, "document of {len} bytes is over the limit of {max}")
            }
            JsonErrorKind::NotUtf8 => f.write_str("not valid UTF-8"),
            JsonErrorKind::Syntax { message } => write!(f, "not JSON: {message}"),
            JsonErrorKind::TooDeep { max } => write!(f, "nested deeper than {max} levels"),
            JsonErrorKind::DuplicateKey { key } => write!(f, "duplicate key {key:?}"),
            JsonErrorKind::Missing { field } => write!(f, "missing member {field:?}"),
            JsonErrorKind::Type { expected, found } => {
                write!(f, "expected {expected}, found {}", found.as_str())
            }
            JsonErrorKind::Value { expected } => write!(f, "expected {expected}"),
            JsonErrorKind::Timestamp(e) => write!(f, "timestamp: {e}"),
        }
    }
}

/// A JSON document that breaks a rule: what, at which field and at which byte.
///
/// `path` names the member (`meta.msgId`, `command[1]`; empty for the document itself)
/// and `offset` counts bytes from the start of the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonError {
    /// What is wrong.
    pub kind: JsonErrorKind,
    /// The member it is wrong in.
    pub path: String,
    /// The byte offset it points at.
    pub offset: usize,
}

impl JsonError {
    /// An error at an offset, in the document itself (the path is added on the way out).
    pub const fn new(kind: JsonErrorKind, offset: usize) -> JsonError {
        JsonError {
            kind,
            path: String::new(),
            offset,
        }
    }

    /// The stable error class used by the conformance vectors.
    pub const fn class(&self) -> &'static str {
        self.kind.class()
    }

    /// The same error inside member `key` of an enclosing object.
    #[must_use]
    pub fn in_field(mut self, key: &str) -> JsonError {
        self.path = match self.path.as_bytes().first() {
            None => key.to_owned(),
            Some(b'[') => format!("{key}{}", self.path),
            Some(_) => format!("{key}.{}", self.path),
        };
        self
    }

    /// The same error inside element `index` of an enclosing array.
    #[must_use]
    pub fn in_index(mut self, index: usize) -> JsonError {
        self.path = match self.path.as_bytes().first() {
            None | Some(b'[') => format!("[{index}]{}", self.path),
            Some(_) => format!("[{index}].{}", self.path),
        };
        self
    }
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "at byte {}: {}", self.offset, self.kind)
        } else {
            write!(f, "at byte {} ({}): {}", self.offset, self.path, self.kind)
        }
    }
}

impl std::error::Error for JsonError {}

/// A JSON number, kept as the text it was given in, so that `156.30` or Python's `1e-05`
/// come back out unchanged; read it with [`Number::as_f64`] or [`Number::as_u64`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Number<'a>(Cow<'a, str>);

impl<'a> Number<'a> {
    /// The number's text, exactly as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The number as an unsigned integer, if it is written as one (no fraction, no
    /// exponent, no sign) and fits.
    pub fn as_u64(&self) -> Option<u64> {
        if self.0.bytes().all(|b| b.is_ascii_digit()) {
            self.0.parse().ok()
        } else {
            None
        }
    }

    /// The number as the nearest `f64` (finite: JSON numbers that overflow are rejected
    /// when read).
    pub fn as_f64(&self) -> f64 {
        self.0.parse().unwrap_or(f64::NAN)
    }

    /// The number of an `f64`, written as serde_json writes it (`3600.5`, `60.0`), or
    /// `None` for NaN and the infinities, which JSON cannot hold.
    pub fn from_f64(value: f64) -> Option<Number<'static>> {
        serde_json::Number::from_f64(value).map(|n| Number(Cow::Owned(n.to_string())))
    }

    /// The number of a `u64`.
    pub fn from_u64(value: u64) -> Number<'static> {
        Number(Cow::Owned(value.to_string()))
    }

    /// A copy that owns its text.
    pub fn into_owned(self) -> Number<'static> {
        Number(Cow::Owned(self.0.into_owned()))
    }
}

impl fmt::Display for Number<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One member nobody has a rule for: its key, and its value as the exact JSON text given.
pub type Extra<'a> = (Cow<'a, str>, Cow<'a, RawValue>);

/// The members of an object that no rule knows, in document order, kept verbatim so that
/// encoding writes them back unchanged. Up to eight are held without a heap allocation.
#[derive(Debug, Clone, Default)]
pub struct Extras<'a>(SmallVec<[Extra<'a>; 8]>);

impl<'a> Extras<'a> {
    /// No extra members.
    pub fn new() -> Extras<'a> {
        Extras(SmallVec::new())
    }

    /// Adds a member at the end. The caller makes sure keys stay unique (decoding
    /// rejects duplicates; [`Extras::insert`] replaces).
    pub(crate) fn push(&mut self, key: Cow<'a, str>, value: &'a RawValue) {
        self.0.push((key, Cow::Borrowed(value)));
    }

    /// Sets a member: replaces the value of an existing key in place, or adds it at the
    /// end. Returns the old value.
    pub fn insert(
        &mut self,
        key: impl Into<Cow<'a, str>>,
        value: Box<RawValue>,
    ) -> Option<Cow<'a, RawValue>> {
        let key = key.into();
        match self.0.iter_mut().find(|(k, _)| *k == key) {
            Some((_, v)) => Some(std::mem::replace(v, Cow::Owned(value))),
            None => {
                self.0.push((key, Cow::Owned(value)));
                None
            }
        }
    }

    /// The raw value of a key.
    pub fn get(&self, key: &str) -> Option<&RawValue> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_ref())
    }

    /// Whether a key is among them.
    pub fn contains_key(&self, key: &str) -> bool {
        self.0.iter().any(|(k, _)| k == key)
    }

    /// The members in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&str, &RawValue)> {
        self.0.iter().map(|(k, v)| (k.as_ref(), v.as_ref()))
    }

    /// How many there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// A copy that owns its keys and values.
    pub fn into_owned(self) -> Extras<'static> {
        Extras(
            self.0
                .into_iter()
                .map(|(k, v)| (Cow::Owned(k.into_owned()), Cow::Owned(v.into_owned())))
                .collect(),
        )
    }
}

impl PartialEq for Extras<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len()
            && self
                .iter()
                .zip(other.iter())
                .all(|((ka, va), (kb, vb))| ka == kb && va.get() == vb.get())
    }
}

impl Eq for Extras<'_> {}

/// One JSON value of a document being read, as its text: the document itself (from
/// [`Doc::parse`]) or a member of it (a `&RawValue`, which converts into this).
///
/// The document is not a `&RawValue` because serde_json, skipping over a whole document
/// to make one, allocates a stack for every level of nesting past the first; reading the
/// top-level object member by member keeps a typical document free of allocations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Raw<'a>(&'a str);

impl<'a> Raw<'a> {
    /// The value's JSON text.
    pub const fn get(self) -> &'a str {
        self.0
    }

    /// What kind of value it is.
    pub fn kind(self) -> Kind {
        Kind::of_text(self.0)
    }
}

impl<'a> From<&'a RawValue> for Raw<'a> {
    fn from(raw: &'a RawValue) -> Raw<'a> {
        Raw(raw.get())
    }
}

/// A document being read: its whole text, so that raw members can say where they are.
#[derive(Debug, Clone, Copy)]
pub struct Doc<'a> {
    text: &'a str,
}

impl<'a> Doc<'a> {
    /// Checks the limits of a document and gives its top-level value.
    ///
    /// The size limit comes first, then UTF-8 (`spec/json.md` §3). A top-level object is
    /// then read member by member by [`Doc::object`], which checks the syntax as it goes,
    /// so a document is read once, front to back, and its first fault is the one
    /// reported; any other top-level value is checked here, whole.
    pub fn parse(bytes: &'a [u8]) -> Result<(Doc<'a>, Raw<'a>), JsonError> {
        if bytes.len() > MAX_DOCUMENT_LEN {
            return Err(JsonError::new(
                JsonErrorKind::TooLarge {
                    len: bytes.len(),
                    max: MAX_DOCUMENT_LEN,
                },
                MAX_DOCUMENT_LEN,
            ));
        }
        let text = std::str::from_utf8(bytes)
            .map_err(|e| JsonError::new(JsonErrorKind::NotUtf8, e.valid_up_to()))?;
        let doc = Doc { text };
        let value = text.trim_matches(|c| matches!(c, ' ' | '\t' | '\n' | '\r'));
        if !value.starts_with('{') {
            // Not an object, so no format's document: its syntax is checked whole (serde
            // skips it without recursion) so that garbage is a syntax error, not a type.
            serde_json::from_str::<de::IgnoredAny>(text).map_err(|e| doc.serde(text, &e))?;
        }
        Ok((doc, Raw(value)))
    }

    /// A value of this document as a serde_json [`RawValue`], for keeping it verbatim:
    /// one more pass over it, which allocates only if it nests arrays or objects two
    /// levels deep.
    pub fn raw_value(&self, raw: Raw<'a>) -> Result<&'a RawValue, JsonError> {
        serde_json::from_str(raw.get()).map_err(|e| self.serde(raw.get(), &e))
    }

    /// The byte offset of a value of this document.
    pub fn offset<'r>(&self, raw: impl Into<Raw<'r>>) -> usize {
        (raw.into().0.as_ptr() as usize).saturating_sub(self.text.as_ptr() as usize)
    }

    /// The text of the whole document.
    pub const fn text(&self) -> &'a str {
        self.text
    }

    /// An error of a serde_json parse of `part` (a slice of this document).
    fn serde(&self, part: &str, e: &serde_json::Error) -> JsonError {
        let base = (part.as_ptr() as usize).saturating_sub(self.text.as_ptr() as usize);
        let line_start: usize = part
            .split_inclusive('\n')
            .take(e.line().saturating_sub(1))
            .map(str::len)
            .sum();
        let message = e.to_string();
        // serde_json's column is 1-based at the byte it stopped on; at the end of the
        // input it names the last byte, but the error is after it.
        let offset = if e.is_eof() {
            base + part.len()
        } else {
            base + (line_start + e.column().saturating_sub(1)).min(part.len())
        };
        let message = match message.rfind(" at line ") {
            Some(at) => message[..at].to_owned(),
            None => message,
        };
        let offset = base + string_fault(part.as_bytes(), offset - base, &message);
        let kind = if message.contains("recursion limit") {
            JsonErrorKind::TooDeep { max: MAX_DEPTH }
        } else {
            JsonErrorKind::Syntax { message }
        };
        JsonError::new(kind, offset)
    }

    /// A type error at a raw value.
    pub fn type_error<'r>(&self, raw: impl Into<Raw<'r>>, expected: &'static str) -> JsonError {
        let raw = raw.into();
        JsonError::new(
            JsonErrorKind::Type {
                expected,
                found: raw.kind(),
            },
            self.offset(raw),
        )
    }

    /// A value error at a raw value.
    pub fn value_error<'r>(&self, raw: impl Into<Raw<'r>>, expected: &'static str) -> JsonError {
        JsonError::new(JsonErrorKind::Value { expected }, self.offset(raw))
    }

    /// The error for a key seen twice in an object; it points at the second key.
    pub fn duplicate<'r>(&self, key: &str, value: impl Into<Raw<'r>>) -> JsonError {
        JsonError::new(
            JsonErrorKind::DuplicateKey {
                key: key.to_owned(),
            },
            self.key_offset(value.into()),
        )
    }

    /// The offset of the opening quote of the key of a member, found from its value:
    /// back over `:` and white space to the key's closing quote, then back to the first
    /// quote not escaped by an odd run of backslashes.
    fn key_offset(&self, value: Raw<'_>) -> usize {
        let bytes = self.text.as_bytes();
        let at = self.offset(value);
        let before = &bytes[..at.min(bytes.len())];
        let Some(close) = before
            .iter()
            .rposition(|&b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r' | b':'))
        else {
            return at;
        };
        let mut i = close;
        while let Some(q) = before[..i].iter().rposition(|&b| b == b'"') {
            let slashes = before[..q]
                .iter()
                .rev()
                .take_while(|&&b| b == b'\\')
                .count();
            if slashes % 2 == 0 {
                return q;
            }
            i = q;
        }
        at
    }

    /// Calls `member` for each member of an object, in order, with its key (borrowed
    /// unless it has escapes) and its raw value. Fails with a type error if `raw` is not
    /// an object; stops at the first error `member` returns.
    pub fn object(
        &self,
        raw: impl Into<Raw<'a>>,
        mut member: impl FnMut(Cow<'a, str>, &'a RawValue) -> Result<(), JsonError>,
    ) -> Result<(), JsonError> {
        let raw = raw.into();
        if raw.kind() != Kind::Object {
            return Err(self.type_error(raw, "an object"));
        }
        let mut failed = None;
        let visitor = Members {
            member: &mut member,
            failed: &mut failed,
            _marker: std::marker::PhantomData,
        };
        let mut de = serde_json::Deserializer::from_str(raw.get());
        // `end` rejects anything after the object: only the document itself can have it.
        let result = de.deserialize_map(visitor).and_then(|()| de.end());
        match (failed, result) {
            (Some(e), _) => Err(e),
            (None, Ok(())) => Ok(()),
            (None, Err(e)) => Err(self.serde(raw.get(), &e)),
        }
    }

    /// Calls `element` for each element of an array, in order, with its index and raw
    /// value. Fails with a type error if `raw` is not an array.
    pub fn array(
        &self,
        raw: impl Into<Raw<'a>>,
        mut element: impl FnMut(usize, &'a RawValue) -> Result<(), JsonError>,
    ) -> Result<(), JsonError> {
        let raw = raw.into();
        if raw.kind() != Kind::Array {
            return Err(self.type_error(raw, "an array"));
        }
        let mut failed = None;
        let visitor = Elements {
            element: &mut element,
            failed: &mut failed,
            _marker: std::marker::PhantomData,
        };
        let result = serde_json::Deserializer::from_str(raw.get()).deserialize_seq(visitor);
        match (failed, result) {
            (Some(e), _) => Err(e),
            (None, Ok(())) => Ok(()),
            (None, Err(e)) => Err(self.serde(raw.get(), &e)),
        }
    }

    /// A string member, borrowed unless it has escapes.
    pub fn string(&self, raw: impl Into<Raw<'a>>) -> Result<Cow<'a, str>, JsonError> {
        let raw = raw.into();
        if raw.kind() != Kind::String {
            return Err(self.type_error(raw, "a string"));
        }
        // A string that was read once already (every raw value was) and has no escape is
        // its text between the quotes: no second pass through the JSON parser.
        let text = raw.get();
        if let Some(inner) = text
            .get(1..text.len().saturating_sub(1))
            .filter(|_| !text.contains('\\'))
        {
            return Ok(Cow::Borrowed(inner));
        }
        serde_json::Deserializer::from_str(raw.get())
            .deserialize_str(StrVisitor)
            .map_err(|e| self.serde(raw.get(), &e))
    }

    /// A number member, kept as its text. Numbers too large for an `f64` are rejected,
    /// because most JSON readers cannot hold them.
    pub fn number(&self, raw: impl Into<Raw<'a>>) -> Result<Number<'a>, JsonError> {
        let raw = raw.into();
        if raw.kind() != Kind::Number {
            return Err(self.type_error(raw, "a number"));
        }
        let number = Number(Cow::Borrowed(raw.get()));
        // Without an exponent a number is finite unless it has over 308 digits; only the
        // rare others are converted to find out.
        let text = raw.get();
        let plain = text.len() <= 300 && !text.bytes().any(|b| matches!(b, b'e' | b'E'));
        if plain || number.as_f64().is_finite() {
            Ok(number)
        } else {
            Err(self.value_error(raw, "a number within the range of a double"))
        }
    }

    /// A member that must be an unsigned integer written without fraction or exponent.
    pub fn u64(&self, raw: impl Into<Raw<'a>>) -> Result<u64, JsonError> {
        let raw = raw.into();
        self.number(raw)?
            .as_u64()
            .ok_or_else(|| self.value_error(raw, "an integer from 0 to 2^64-1"))
    }

    /// A timestamp member (a string in the grammar of `spec/json.md` §4). The error
    /// offset points into the string when it has no escapes, else at its opening quote.
    pub fn timestamp(&self, raw: impl Into<Raw<'a>>) -> Result<Timestamp<'a>, JsonError> {
        let raw = raw.into();
        let text = self.string(raw)?;
        let borrowed = matches!(text, Cow::Borrowed(_));
        Timestamp::from_cow(text).map_err(|e| {
            let at = self.offset(raw) + if borrowed { 1 + e.offset } else { 0 };
            JsonError::new(JsonErrorKind::Timestamp(e), at)
        })
    }

    /// Checks a free-form member (one whose content no rule describes) at nesting depth
    /// `depth` (a member of the top-level object is at depth 2): no deeper than
    /// [`MAX_DEPTH`], and no object in it with a key twice.
    pub fn free_form(&self, raw: impl Into<Raw<'a>>, depth: usize) -> Result<(), JsonError> {
        let raw = raw.into();
        match raw.kind() {
            Kind::Array | Kind::Object if depth > MAX_DEPTH => Err(JsonError::new(
                JsonErrorKind::TooDeep { max: MAX_DEPTH },
                self.offset(raw),
            )),
            Kind::Array => self.array(raw, |i, v| {
                self.free_form(v, depth + 1).map_err(|e| e.in_index(i))
            }),
            // Free-form numbers obey §5 too: no magnitude beyond a double's.
            Kind::Number => self.number(raw).map(drop),
            Kind::Object => {
                let mut keys: SmallVec<[Cow<'a, str>; 8]> = SmallVec::new();
                self.object(raw, |k, v| {
                    if keys.contains(&k) {
                        return Err(self.duplicate(&k, v).in_field(&k));
                    }
                    self.free_form(v, depth + 1).map_err(|e| e.in_field(&k))?;
                    keys.push(k);
                    Ok(())
                })
            }
            _ => Ok(()),
        }
    }
}

/// Sets a member that may appear once: the error for the second one points at its key.
pub fn set_once<'r, T>(
    doc: &Doc<'_>,
    slot: &mut Option<T>,
    key: &str,
    raw: impl Into<Raw<'r>>,
    value: T,
) -> Result<(), JsonError> {
    if slot.is_some() {
        return Err(doc.duplicate(key, raw).in_field(key));
    }
    *slot = Some(value);
    Ok(())
}

/// A required member, or the error naming it (the offset is the enclosing object's).
pub fn required<'r, T>(
    doc: &Doc<'_>,
    object: impl Into<Raw<'r>>,
    slot: Option<T>,
    field: &'static str,
) -> Result<T, JsonError> {
    slot.ok_or_else(|| JsonError::new(JsonErrorKind::Missing { field }, doc.offset(object)))
}

/// Writes a string as a JSON string literal, escaping as serde_json does.
pub fn write_str(buf: &mut BytesMut, s: &str) {
    let mut w = buf.writer();
    // Writing into a BytesMut cannot fail, and a &str always serializes.
    let _ = serde_json::to_writer(&mut w, s);
}

struct Members<'f, 'a, F> {
    member: &'f mut F,
    failed: &'f mut Option<JsonError>,
    _marker: std::marker::PhantomData<fn(&'a ())>,
}

impl<'de, F> Visitor<'de> for Members<'_, 'de, F>
where
    F: FnMut(Cow<'de, str>, &'de RawValue) -> Result<(), JsonError>,
{
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key_seed(KeySeed)? {
            let value: &'de RawValue = map.next_value()?;
            if let Err(e) = (self.member)(key, value) {
                *self.failed = Some(e);
                return Err(de::Error::custom("member rejected"));
            }
        }
        Ok(())
    }
}

struct Elements<'f, 'a, F> {
    element: &'f mut F,
    failed: &'f mut Option<JsonError>,
    _marker: std::marker::PhantomData<fn(&'a ())>,
}

impl<'de, F> Visitor<'de> for Elements<'_, 'de, F>
where
    F: FnMut(usize, &'de RawValue) -> Result<(), JsonError>,
{
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut index = 0;
        while let Some(value) = seq.next_element::<&'de RawValue>()? {
            if let Err(e) = (self.element)(index, value) {
                *self.failed = Some(e);
                return Err(de::Error::custom("element rejected"));
            }
            index += 1;
        }
        Ok(())
    }
}

/// Where a fault inside a string really is, from where serde_json stopped (`at`): its
/// position depends on whether it skipped or parsed the string (one byte apart for a
/// control character) and on how far it read an escape (past all four digits of a bad
/// `\u` escape). Other faults are where it stopped.
fn string_fault(part: &[u8], at: usize, message: &str) -> usize {
    let near = at.saturating_sub(1);
    if message.starts_with("control character") {
        // The first control character at or after the byte before the stop.
        return part
            .get(near..)
            .and_then(|rest| rest.iter().position(|&b| b < 0x20))
            .map_or(at, |i| near + i);
    }
    if message.starts_with("invalid escape") {
        // A `\u` escape is read four digits at once: the fault is its first non-hex digit.
        let from = at.saturating_sub(6);
        if let Some(u) = part
            .get(from..at)
            .and_then(|w| w.windows(2).rposition(|p| p == b"\\u"))
        {
            let digits = from + u + 2;
            if let Some(bad) = part
                .get(digits..(digits + 4).min(part.len()))
                .and_then(|d| d.iter().position(|b| !b.is_ascii_hexdigit()))
            {
                return digits + bad;
            }
        }
    }
    at
}

struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Cow<'de, str>;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(StrVisitor)
    }
}

struct StrVisitor;

impl<'de> Visitor<'de> for StrVisitor {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn members(doc: &str) -> Result<Vec<(String, String, usize)>, JsonError> {
        let (d, raw) = Doc::parse(doc.as_bytes())?;
        let mut out = Vec::new();
        d.object(raw, |k, v| {
            out.push((k.into_owned(), v.get().to_owned(), d.offset(v)));
            Ok(())
        })?;
        Ok(out)
    }

    #[test]
    fn members_come_in_order_with_offsets() {
        let got = members(r#" {"b": [1, {"x":2}], "a" :"s\"q", "c":1e-05}"#).expect("ok");
        assert_eq!(
            got,
            vec![
                ("b".into(), r#"[1, {"x":2}]"#.into(), 7),
                ("a".into(), r#""s\"q""#.into(), 26),
                ("c".into(), "1e-05".into(), 38),
            ]
        );
    }

    #[test]
    fn syntax_errors_point_at_the_byte() {
        let e = members("{\n  \"a\": 1,\n  \"b\": x}").expect_err("bad");
        assert_eq!(e.class(), "json.syntax");
        assert_eq!(e.offset, 19);
        let e = members("{\"a\":1} x").expect_err("trailing");
        assert_eq!(e.offset, 8);
        let e = members("{\"a\":1").expect_err("eof");
        assert_eq!(e.offset, 6);
        let e = Doc::parse(b"{\"a\":\"\xff\"}").expect_err("utf8");
        assert_eq!((e.class(), e.offset), ("json.utf8", 6));
    }

    #[test]
    fn limits() {
        let big = vec![b' '; MAX_DOCUMENT_LEN + 1];
        assert_eq!(
            Doc::parse(&big).expect_err("big").kind,
            JsonErrorKind::TooLarge {
                len: MAX_DOCUMENT_LEN + 1,
                max: MAX_DOCUMENT_LEN
            }
        );
        let deep = format!("{}{}", "[".repeat(20_000), "]".repeat(20_000));
        let (d, raw) = Doc::parse(deep.as_bytes()).expect("syntax is fine");
        let e = d.free_form(raw, 1).expect_err("deep");
        assert_eq!((e.class(), e.offset), ("json.depth", 32));
        let deep = format!("{{\"x\":{}{}}}", "[".repeat(32), "]".repeat(32));
        let (d, raw) = Doc::parse(deep.as_bytes()).expect("read lazily");
        let e = d
            .object(raw, |k, v| d.free_form(v, 2).map_err(|e| e.in_field(&k)))
            .expect_err("33 deep");
        assert_eq!((e.class(), e.offset), ("json.depth", 36));
        assert!(e.path.starts_with("x[0][0]"), "{}", e.path);
        let tricky = format!("[\"[[\\\"[\",{}{}]", "[".repeat(32), "]".repeat(32));
        let (d, raw) = Doc::parse(tricky.as_bytes()).expect("syntax is fine");
        let e = d.free_form(raw, 1).expect_err("33 deep");
        let run = tricky.find("[[[").unwrap_or_default();
        assert_eq!((e.class(), e.offset), ("json.depth", run + 31));
        let ok = format!("{{\"x\":{}{}}}", "[".repeat(31), "]".repeat(31));
        let (d, raw) = Doc::parse(ok.as_bytes()).expect("parses");
        d.object(raw, |_, v| d.free_form(v, 2))
            .expect("32 deep is fine");
    }

    #[test]
    fn duplicates_point_at_the_second_key() {
        let text = r#"{"x": {"a": 1, "b\"": 2, "b\"" : 3}}"#;
        let (d, raw) = Doc::parse(text.as_bytes()).expect("parses");
        let e = d
            .object(raw, |k, v| d.free_form(v, 2).map_err(|e| e.in_field(&k)))
            .expect_err("dup");
        assert_eq!(e.kind, JsonErrorKind::DuplicateKey { key: "b\"".into() });
        assert_eq!(e.offset, 25);
        assert_eq!(e.path, "x.b\"");
    }

    #[test]
    fn strings_borrow_unless_escaped_and_timestamps_point_inside() {
        let text = r#"{"a":"plain","b":"esc\u0041","t":"2025-01-16T08:30:00+0100"}"#;
        let (d, raw) = Doc::parse(text.as_bytes()).expect("parses");
        d.object(raw, |k, v| {
            match k.as_ref() {
                "a" => assert!(matches!(d.string(v)?, Cow::Borrowed("plain"))),
                "b" => assert!(matches!(d.string(v)?, Cow::Owned(s) if s == "escA")),
                _ => {
                    let e = d.timestamp(v).expect_err("no colon");
                    assert_eq!(e.class(), "json.timestamp");
                    assert_eq!(e.offset, text.find("0100").expect("in text") + 2);
                }
            }
            Ok(())
        })
        .expect("ok");
    }

    #[test]
    fn numbers_keep_their_text() {
        let (d, raw) = Doc::parse(b"[1e-05, 60, 60.0, -1, -1e999]").expect("parses");
        let mut got = Vec::new();
        d.array(raw, |_, v| {
            got.push(d.number(v).map(|n| (n.as_str().to_owned(), n.as_u64())));
            Ok(())
        })
        .expect("ok");
        assert_eq!(got[0], Ok(("1e-05".into(), None)));
        assert_eq!(got[1], Ok(("60".into(), Some(60))));
        assert_eq!(got[2], Ok(("60.0".into(), None)));
        assert_eq!(got[3], Ok(("-1".into(), None)));
        let e = got[4].as_ref().expect_err("out of range");
        assert_eq!((e.class(), e.offset), ("json.value", 22));
        assert_eq!(Number::from_f64(60.0).expect("finite").as_str(), "60.0");
        assert_eq!(Number::from_f64(f64::NAN), None);
    }
}
