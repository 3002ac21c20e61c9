//! What the JSON wire formats share (`spec/json.md`): limits, the error type with a field
//! path and a byte offset, numbers kept as their text, extra members kept in order, and
//! the zero-copy reading of a document.
//!
//! Every JSON format, the text convention's JSON form included, is read by one reader,
//! in two steps: an object's members are taken as raw text (borrowed from the input) by
//! a validating scanner of RFC 8259, and each member is then read by the rule of its
//! field. Raw members know where they are in the document, so every error is one
//! [`JsonError`] that points at a byte offset, and a member nobody knows is kept verbatim
//! ([`RawJson`], [`Extras`]). The reader is internal; what it gives out is these types.

mod scan;
// The decoding of the strings that have escapes, keys and members that are read.
mod unescape;
// The one JSON string writer of every encoder.
pub(crate) mod write;
// Its agreement with serde_json, over generated documents (was tests/scanner_properties.rs).
#[cfg(test)]
mod scan_properties;

use std::borrow::Cow;
use std::fmt;

use smallvec::SmallVec;

use crate::ascii::ascii_text;
use crate::text::TextError;
use crate::time::{Timestamp, TimestampError};

use scan::{
    EOF_LIST, EOF_OBJECT, EXPECTED_LIST_END, EXPECTED_OBJECT_END, Fault, KEY_NOT_STRING,
    TRAILING_COMMA,
};

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
    /// The document is not JSON: what is wrong, in serde_json's words (`expected `,` or
    /// `}``, `invalid number`, `EOF while parsing an object`...), without a position.
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
    /// A member no rule knows, in an object whose shape is closed: only the text
    /// convention's JSON form (`spec/text.md` §9) has one; the JSON formats keep such
    /// members (`spec/json.md` §6).
    Unknown {
        /// The member's key.
        key: String,
    },
    /// A document that says it is of another format: the text JSON form's `format`
    /// member is not `"text"` (`spec/text.md` §9).
    Format {
        /// The format the reader reads.
        expected: &'static str,
    },
    /// The text JSON form is not an object of its shape (`spec/text.md` §9): one class,
    /// `json.shape`, for what the JSON formats tell apart (syntax, a missing, unknown or
    /// duplicate member, a wrong type); the precise fault is kept inside.
    Shape(Box<JsonErrorKind>),
    /// A member of the text JSON form breaks a rule of the text convention: a process
    /// name, a signal word or a number (`spec/text.md` §9), or the form is over its
    /// limit; the text error's offset counts from the start of the JSON text.
    Text(TextError),
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
            JsonErrorKind::Unknown { .. } | JsonErrorKind::Shape(_) => "json.shape",
            JsonErrorKind::Format { .. } => "json.format",
            JsonErrorKind::Text(e) => e.class(),
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
            JsonErrorKind::Unknown { key } => write!(f, "unknown member {key:?}"),
            JsonErrorKind::Format { expected } => write!(f, "expected format {expected:?}"),
            JsonErrorKind::Shape(cause) => write!(f, "not the text JSON form: {cause}"),
            JsonErrorKind::Text(e) => e.fmt(f),
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

    /// The byte offset it points at: the `offset` field, as a method like
    /// [`TextError::offset`], for code that reports either.
    pub const fn offset(&self) -> usize {
        self.offset
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
        if let JsonErrorKind::Text(e) = &self.kind {
            // A text error says its byte itself.
            return match self.path.as_str() {
                "" => e.fmt(f),
                path => write!(f, "{path}: {e}"),
            };
        }
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
        let digits = self.0.as_bytes();
        if digits.is_empty() {
            return None;
        }
        digits.iter().try_fold(0u64, |value, &d| {
            if d.is_ascii_digit() {
                value.checked_mul(10)?.checked_add(u64::from(d - b'0'))
            } else {
                None
            }
        })
    }

    /// The number as the nearest `f64` (finite: JSON numbers that overflow are rejected
    /// when read).
    pub fn as_f64(&self) -> f64 {
        self.0.parse().unwrap_or(f64::NAN)
    }

    /// The number of an `f64`, or `None` for NaN and the infinities, which JSON cannot
    /// hold. It is written as serde_json writes it, by the same formatter (zmij): the
    /// shortest decimal that reads back as the same double, in plain notation from 1e-5
    /// up to 1e16 with `.0` on whole numbers (`3600.5`, `60.0`, `0.00001`), else with an
    /// exponent (`1e-7`, `1.5e+16`).
    pub fn from_f64(value: f64) -> Option<Number<'static>> {
        let text = value
            .is_finite()
            .then(|| zmij::Buffer::new().format_finite(value).to_owned())?;
        Some(Number(Cow::Owned(text)))
    }

    /// A JSON number from its text, read by the rules every format reads numbers by
    /// (RFC 8259's grammar, and finite as a double: `spec/json.md` §5); white space
    /// around it is dropped.
    ///
    /// ```
    /// use heartwire::json::Number;
    ///
    /// assert_eq!(Number::parse("1.5e1")?.as_f64(), 15.0);
    /// assert_eq!(Number::parse("1e999").unwrap_err().class(), "json.value");
    /// assert_eq!(Number::parse("\"5\"").unwrap_err().class(), "json.type");
    /// # Ok::<(), heartwire::json::JsonError>(())
    /// ```
    pub fn parse(text: &'a str) -> Result<Number<'a>, JsonError> {
        let (doc, raw) = Doc::parse(text.as_bytes())?;
        doc.number(raw)
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
pub type Extra<'a> = (Cow<'a, str>, Cow<'a, str>);

/// The members of an object that no rule knows, in document order, kept verbatim so that
/// encoding writes them back unchanged. Up to eight are held without a heap allocation.
///
/// A value is kept as its exact JSON text (`1380`, `"authenticated"`, `{"a": [1]}`),
/// borrowed from the document it was decoded from, or owned when set with
/// [`Extras::insert`]; [`Extras::get`] and [`Extras::iter`] give that text.
#[derive(Debug, Clone, Default)]
pub struct Extras<'a>(SmallVec<[Extra<'a>; 8]>);

impl<'a> Extras<'a> {
    /// No extra members.
    pub fn new() -> Extras<'a> {
        Extras(SmallVec::new())
    }

    /// Keeps a member a decoder has no rule for, at nesting depth `depth`: the one place
    /// the rules of extra members are applied (`spec/json.md` §6): a key not seen before
    /// among them (§2.4), and free-form content within the limits (§2.3, §5). The caller
    /// has checked that the key is none of its own members'. Errors carry the key's path.
    pub(crate) fn keep(
        &mut self,
        doc: &Doc<'a>,
        key: Cow<'a, str>,
        value: Raw<'a>,
        depth: usize,
    ) -> Result<(), JsonError> {
        if self.contains_key(&key) {
            return Err(doc.duplicate(&key, value).in_field(&key));
        }
        doc.free_form(value, depth).map_err(|e| e.in_field(&key))?;
        self.0.push((key, Cow::Borrowed(value.get())));
        Ok(())
    }

    /// Sets a member: replaces the value of an existing key in place, or adds it at the
    /// end. Returns the old value's JSON text.
    pub fn insert(
        &mut self,
        key: impl Into<Cow<'a, str>>,
        value: RawJson<'a>,
    ) -> Option<Cow<'a, str>> {
        let key = key.into();
        let value = value.0;
        match self.0.iter_mut().find(|(k, _)| *k == key) {
            Some((_, v)) => Some(std::mem::replace(v, value)),
            None => {
                self.0.push((key, value));
                None
            }
        }
    }

    /// The JSON text of the value of a key, exactly as given.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_ref())
    }

    /// Whether a key is among them.
    pub fn contains_key(&self, key: &str) -> bool {
        self.0.iter().any(|(k, _)| k == key)
    }

    /// The members in order: each key and its value's JSON text.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&str, &str)> {
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

/// Equal when the same keys have the same JSON texts in the same order. Across
/// lifetimes, so that owned and borrowed members compare (the `SmallVec` makes `Extras`
/// invariant in its lifetime, which a derived comparison would require to match).
impl<'b> PartialEq<Extras<'b>> for Extras<'_> {
    fn eq(&self, other: &Extras<'b>) -> bool {
        self.len() == other.len()
            && self
                .iter()
                .zip(other.iter())
                .all(|((ka, va), (kb, vb))| ka == kb && va == vb)
    }
}

impl Eq for Extras<'_> {}

/// One JSON value of a document being read, as its exact text: the document itself (from
/// [`Doc::parse`]) or a member or element of it (from [`Doc::object`] and [`Doc::array`],
/// which have checked its syntax). A `&RawJson` converts into this.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Raw<'a> {
    text: &'a str,
    /// Whether the value may need a second look: a string with escapes, a number with an
    /// exponent. `false` when the scanner read it and found neither, so that
    /// [`Doc::string`] borrows a string and [`Doc::number`] takes a number without
    /// looking at them again.
    unusual: bool,
}

impl<'a> Raw<'a> {
    /// A value whose escapes are not known.
    const fn new(text: &'a str) -> Raw<'a> {
        Raw {
            text,
            unusual: true,
        }
    }

    /// The value's JSON text.
    pub(crate) const fn get(self) -> &'a str {
        self.text
    }

    /// What kind of value it is.
    pub(crate) fn kind(self) -> Kind {
        Kind::of_text(self.text)
    }
}

/// Raw values are equal when their texts are.
impl PartialEq for Raw<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl Eq for Raw<'_> {}

impl<'a> From<&'a RawJson<'_>> for Raw<'a> {
    fn from(raw: &'a RawJson<'_>) -> Raw<'a> {
        Raw::new(raw.get())
    }
}

/// A JSON value kept as the exact text it was given in, compared by that text: an
/// extra member, a command's argument, a plugin definition, a header.
///
/// It always holds one well-formed JSON value (RFC 8259, without white space around
/// it): a decoder makes it from a value its scanner has read, and [`RawJson::new`] (or
/// [`str::parse`]) checks the text with the same scanner. What a format adds (nesting,
/// duplicate keys) is checked where the value is used.
///
/// ```
/// use heartwire::json::{Kind, RawJson};
///
/// let value = RawJson::new(r#" {"a": [1, 2.50]} "#)?;
/// assert_eq!(value.get(), r#"{"a": [1, 2.50]}"#);
/// assert_eq!(value.kind(), Kind::Object);
/// let e = RawJson::new("[1,]").unwrap_err();
/// assert_eq!((e.class(), e.offset), ("json.syntax", 3));
/// # Ok::<(), heartwire::json::JsonError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RawJson<'a>(Cow<'a, str>);

impl<'a> RawJson<'a> {
    /// The value of a JSON text, checked by the crate's scanner; white space around it
    /// is dropped. Errors are `json.syntax` (or `json.size` over
    /// [`MAX_DOCUMENT_LEN`]) with the offset in `text`.
    pub fn new(text: impl Into<Cow<'a, str>>) -> Result<RawJson<'a>, JsonError> {
        let text = text.into();
        let (doc, value) = Doc::parse(text.as_bytes())?;
        if value.kind() == Kind::Object {
            // `Doc::parse` leaves a top-level object to be read lazily: check it whole.
            scan::validate(value.get()).map_err(|fault| doc.syntax(value, fault))?;
        }
        let (start, len) = (doc.offset(value), value.get().len());
        Ok(RawJson(match text {
            Cow::Borrowed(t) => Cow::Borrowed(t.get(start..start + len).unwrap_or_default()),
            Cow::Owned(t) if len == t.len() => Cow::Owned(t),
            Cow::Owned(t) => Cow::Owned(t.get(start..start + len).unwrap_or_default().to_owned()),
        }))
    }

    /// A value the scanner has read.
    pub(crate) const fn read(raw: Raw<'a>) -> RawJson<'a> {
        RawJson(Cow::Borrowed(raw.text))
    }

    /// The value's JSON text.
    pub fn get(&self) -> &str {
        &self.0
    }

    /// What kind of JSON value it is.
    pub fn kind(&self) -> Kind {
        Kind::of_text(&self.0)
    }

    /// A copy that owns its text.
    pub fn into_owned(self) -> RawJson<'static> {
        RawJson(Cow::Owned(self.0.into_owned()))
    }
}

impl std::str::FromStr for RawJson<'static> {
    type Err = JsonError;

    /// [`RawJson::new`] of a copy of the text.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        RawJson::new(s.to_owned())
    }
}

impl fmt::Display for RawJson<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The members of a top-level object, read once before its format was known
/// ([`Doc::read_members`]), with the fault that ended the reading early, if any.
pub(crate) struct Members<'a> {
    list: SmallVec<[(Cow<'a, str>, Raw<'a>); 16]>,
    fault: Option<JsonError>,
}

impl<'a> Members<'a> {
    /// The keys read, in order.
    pub(crate) fn keys(&self) -> impl Iterator<Item = &str> {
        self.list.iter().map(|(k, _)| k.as_ref())
    }

    /// The fault that ended the reading early.
    pub(crate) const fn fault(&self) -> Option<&JsonError> {
        self.fault.as_ref()
    }
}

/// The top-level object of a document, as a format's rules are given its members: read
/// from the text as they come, or replayed from [`Members`] read once before (so that
/// a document of unknown format is read once: `Document::decode`).
// Moved once per document; boxing the list would cost the allocation it exists to avoid.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Object<'a> {
    /// Read from the text.
    Text(Raw<'a>),
    /// Read before, with the object itself.
    Read(Raw<'a>, Members<'a>),
}

impl<'a> Object<'a> {
    /// The object's value (for the offset of a missing member).
    pub(crate) const fn raw(&self) -> Raw<'a> {
        match self {
            Object::Text(raw) | Object::Read(raw, _) => *raw,
        }
    }
}

/// A document being read: its whole text, so that raw members can say where they are.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Doc<'a> {
    text: &'a str,
}

impl<'a> Doc<'a> {
    /// Checks the limits of a document and gives its top-level value.
    ///
    /// The size limit comes first, then UTF-8 (`spec/json.md` §3). A top-level object is
    /// then read member by member by [`Doc::object`], which checks the syntax as it goes,
    /// so a document is read once, front to back, and its first fault is the one
    /// reported; any other top-level value is checked here, whole.
    pub(crate) fn parse(bytes: &'a [u8]) -> Result<(Doc<'a>, Raw<'a>), JsonError> {
        if bytes.len() > MAX_DOCUMENT_LEN {
            return Err(JsonError::new(
                JsonErrorKind::TooLarge {
                    len: bytes.len(),
                    max: MAX_DOCUMENT_LEN,
                },
                MAX_DOCUMENT_LEN,
            ));
        }
        let text = utf8(bytes)?;
        let doc = Doc { text };
        let value = text.trim_matches(|c| matches!(c, ' ' | '\t' | '\n' | '\r'));
        if !value.starts_with('{') {
            // Not an object, so no format's document: its syntax is checked whole so that
            // garbage is a syntax error, not a type error.
            scan::validate(text).map_err(|f| doc.syntax(Raw::new(text), f))?;
        }
        Ok((doc, Raw::new(value)))
    }

    /// The byte offset of a value of this document.
    pub(crate) fn offset<'r>(&self, raw: impl Into<Raw<'r>>) -> usize {
        (raw.into().text.as_ptr() as usize).saturating_sub(self.text.as_ptr() as usize)
    }

    /// The error of a fault the scanner found in `raw`: at the offending byte, or at the
    /// end of the document when it ends too early.
    #[cold]
    fn syntax(&self, raw: Raw<'_>, fault: Fault) -> JsonError {
        let base = self.offset(raw);
        let text = raw.get();
        let offset = if fault.at >= text.len() {
            // Only the document's own value can end early: its end, past the white space
            // it was trimmed of, is the document's.
            let end = base + text.len();
            let rest = self.text.get(end..).unwrap_or_default();
            end + rest.len() - rest.trim_start_matches([' ', '\t', '\n', '\r']).len()
        } else {
            base + fault.at
        };
        let message = fault.message.to_owned();
        JsonError::new(JsonErrorKind::Syntax { message }, offset)
    }

    /// A type error at a raw value.
    pub(crate) fn type_error<'r>(
        &self,
        raw: impl Into<Raw<'r>>,
        expected: &'static str,
    ) -> JsonError {
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
    pub(crate) fn value_error<'r>(
        &self,
        raw: impl Into<Raw<'r>>,
        expected: &'static str,
    ) -> JsonError {
        JsonError::new(JsonErrorKind::Value { expected }, self.offset(raw))
    }

    /// Checks a member that may appear once (`spec/json.md` §2.4) before its value is
    /// read: the error for the second one points at its key, which comes first. The
    /// caller adds the path.
    #[inline]
    pub(crate) fn once<T>(
        &self,
        slot: &Option<T>,
        key: &str,
        value: Raw<'_>,
    ) -> Result<(), JsonError> {
        match slot {
            Some(_) => Err(self.duplicate(key, value)),
            None => Ok(()),
        }
    }

    /// The error for a member of a closed object that no rule knows; it points at the
    /// key.
    #[cold]
    pub(crate) fn unknown(&self, key: &str, value: Raw<'_>) -> JsonError {
        JsonError::new(
            JsonErrorKind::Unknown {
                key: key.to_owned(),
            },
            self.key_offset(value),
        )
    }

    /// The error for a key seen twice in an object; it points at the second key.
    pub(crate) fn duplicate<'r>(&self, key: &str, value: impl Into<Raw<'r>>) -> JsonError {
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
    /// an object; stops at the first error `member` returns, or at the first syntax error
    /// (a member's value is checked whole before `member` sees it).
    pub(crate) fn object(
        &self,
        raw: impl Into<Raw<'a>>,
        mut member: impl FnMut(Cow<'a, str>, Raw<'a>) -> Result<(), JsonError>,
    ) -> Result<(), JsonError> {
        let raw = raw.into();
        if raw.kind() != Kind::Object {
            return Err(self.type_error(raw, "an object"));
        }
        self.members(raw, &mut member).map_err(|stop| match stop {
            Stop::Syntax(fault) => self.syntax(raw, fault),
            Stop::Rule(e) => e,
        })
    }

    /// Reads the members of a top-level object without applying any rule, for a caller
    /// that decides from the keys which rules apply; a syntax fault ends the list and is
    /// kept, to be reported after the members before it have been judged. Fails with a
    /// type error if `raw` is not an object.
    pub(crate) fn read_members(&self, raw: Raw<'a>) -> Result<Members<'a>, JsonError> {
        if raw.kind() != Kind::Object {
            return Err(self.type_error(raw, "an object"));
        }
        let mut list = SmallVec::new();
        let fault = self
            .object(raw, |key, value| {
                list.push((key, value));
                Ok(())
            })
            .err();
        Ok(Members { list, fault })
    }

    /// Calls `member` for each member of an object, read now ([`Doc::object`]) or
    /// before ([`Doc::read_members`]): the same members in the same order, and the same
    /// first fault.
    #[inline]
    pub(crate) fn each(
        &self,
        object: Object<'a>,
        mut member: impl FnMut(Cow<'a, str>, Raw<'a>) -> Result<(), JsonError>,
    ) -> Result<(), JsonError> {
        match object {
            Object::Text(raw) => self.object(raw, member),
            Object::Read(_, members) => {
                for (key, value) in members.list {
                    member(key, value)?;
                }
                members.fault.map_or(Ok(()), Err)
            }
        }
    }

    /// The loop of [`Doc::object`], compiled for each caller so that its rules run inline.
    #[inline]
    fn members(
        &self,
        raw: Raw<'a>,
        member: &mut impl FnMut(Cow<'a, str>, Raw<'a>) -> Result<(), JsonError>,
    ) -> Result<(), Stop> {
        let text = raw.get();
        let bytes = text.as_bytes();
        let mut at = scan::skip_ws(bytes, 1);
        if bytes.get(at) == Some(&b'}') {
            return Ok(scan::end(bytes, at + 1)?);
        }
        loop {
            match bytes.get(at) {
                Some(b'"') => {}
                Some(_) => return Err(Fault::new(KEY_NOT_STRING, at).into()),
                None => return Err(Fault::new(EOF_OBJECT, bytes.len()).into()),
            }
            // A key without escapes ends at the first quote; any other is read aside.
            let close = scan::find_special(bytes, at + 1);
            let (key, after) = if bytes.get(close) == Some(&b'"') {
                let key = text.get(at + 1..close).unwrap_or_default();
                (Cow::Borrowed(key), close + 1)
            } else {
                self.unusual_key(raw, at, close)?
            };
            let start = scan::skip_ws(bytes, scan::colon(bytes, after)?);
            let (end, unusual) = scan::value(bytes, start)?;
            let value = Raw {
                text: text.get(start..end).unwrap_or_default(),
                unusual,
            };
            member(key, value).map_err(Stop::Rule)?;
            at = scan::skip_ws(bytes, end);
            match bytes.get(at) {
                Some(b',') => {
                    at = scan::skip_ws(bytes, at + 1);
                    if bytes.get(at) == Some(&b'}') {
                        return Err(Fault::new(TRAILING_COMMA, at).into());
                    }
                }
                // Only the document itself can have text after its object.
                Some(b'}') => return Ok(scan::end(bytes, at + 1)?),
                Some(_) => return Err(Fault::new(EXPECTED_OBJECT_END, at).into()),
                None => return Err(Fault::new(EOF_OBJECT, bytes.len()).into()),
            }
        }
    }

    /// A key, whose opening quote is at `start` of `raw`, that has an escape, a control
    /// character or no end at `special`: unescaped, with the offset after it, or the error.
    #[cold]
    #[inline(never)]
    fn unusual_key(
        &self,
        raw: Raw<'a>,
        start: usize,
        special: usize,
    ) -> Result<(Cow<'a, str>, usize), Stop> {
        let text = raw.get();
        let after = match scan::string_rest(text.as_bytes(), special) {
            Ok((after, _)) => after,
            Err(fault) => return Err(self.key_fault(raw, start, fault)),
        };
        let key = self
            .unescape(Raw::new(text.get(start..after).unwrap_or_default()))
            .map_err(Stop::Rule)?;
        Ok((key, after))
    }

    /// The error of a key that is not a well-formed string, whose opening quote is at
    /// `start` of `raw`: the scanner's fault, unless a lone surrogate escape before it,
    /// which unescaping refuses, comes first.
    #[cold]
    fn key_fault(&self, raw: Raw<'a>, start: usize, fault: Fault) -> Stop {
        let before = raw.get().get(start..fault.at).unwrap_or_default();
        match unescape::unescape(before) {
            Err(first) if first.at < before.len() => {
                Stop::Syntax(Fault::new(first.message, start + first.at))
            }
            _ => Stop::Syntax(fault),
        }
    }

    /// A quoted string with escapes, which the scanner has checked, unescaped; a lone
    /// surrogate is a syntax error.
    #[cold]
    fn unescape(&self, quoted: Raw<'_>) -> Result<Cow<'a, str>, JsonError> {
        unescape::unescape(quoted.get())
            .map(Cow::Owned)
            .map_err(|fault| self.syntax(quoted, fault))
    }

    /// Calls `element` for each element of an array, in order, with its index and raw
    /// value. Fails with a type error if `raw` is not an array; stops at the first error
    /// `element` returns, or at the first syntax error.
    pub(crate) fn array(
        &self,
        raw: impl Into<Raw<'a>>,
        mut element: impl FnMut(usize, Raw<'a>) -> Result<(), JsonError>,
    ) -> Result<(), JsonError> {
        let raw = raw.into();
        if raw.kind() != Kind::Array {
            return Err(self.type_error(raw, "an array"));
        }
        self.elements(raw, &mut element).map_err(|stop| match stop {
            Stop::Syntax(fault) => self.syntax(raw, fault),
            Stop::Rule(e) => e,
        })
    }

    /// The loop of [`Doc::array`].
    fn elements(
        &self,
        raw: Raw<'a>,
        element: &mut dyn FnMut(usize, Raw<'a>) -> Result<(), JsonError>,
    ) -> Result<(), Stop> {
        let text = raw.get();
        let bytes = text.as_bytes();
        let mut at = scan::skip_ws(bytes, 1);
        if bytes.get(at) == Some(&b']') {
            return Ok(scan::end(bytes, at + 1)?);
        }
        let mut index = 0;
        loop {
            let (end, unusual) = scan::value(bytes, at)?;
            let value = Raw {
                text: text.get(at..end).unwrap_or_default(),
                unusual,
            };
            element(index, value).map_err(Stop::Rule)?;
            index += 1;
            at = scan::skip_ws(bytes, end);
            match bytes.get(at) {
                Some(b',') => {
                    at = scan::skip_ws(bytes, at + 1);
                    if bytes.get(at) == Some(&b']') {
                        return Err(Fault::new(TRAILING_COMMA, at).into());
                    }
                }
                Some(b']') => return Ok(scan::end(bytes, at + 1)?),
                Some(_) => return Err(Fault::new(EXPECTED_LIST_END, at).into()),
                None => return Err(Fault::new(EOF_LIST, bytes.len()).into()),
            }
        }
    }

    /// A string member, borrowed unless it has escapes.
    #[inline]
    pub(crate) fn string(&self, raw: impl Into<Raw<'a>>) -> Result<Cow<'a, str>, JsonError> {
        let raw = raw.into();
        // A string the scanner read and found without escapes is its text between the
        // quotes: no second pass.
        let text = raw.get();
        match text.get(1..text.len().saturating_sub(1)) {
            Some(inner) if !raw.unusual && text.starts_with('"') => Ok(Cow::Borrowed(inner)),
            _ => self.unusual_string(raw),
        }
    }

    /// [`Doc::string`] of a value that may not be a string, or may have escapes.
    #[inline(never)]
    fn unusual_string(&self, raw: Raw<'a>) -> Result<Cow<'a, str>, JsonError> {
        if raw.kind() != Kind::String {
            return Err(self.type_error(raw, "a string"));
        }
        let text = raw.get();
        if let Some(inner) = text
            .get(1..text.len().saturating_sub(1))
            .filter(|inner| !inner.contains('\\'))
        {
            return Ok(Cow::Borrowed(inner));
        }
        self.unescape(raw)
    }

    /// A number member, kept as its text. Numbers too large for an `f64` are rejected,
    /// because most JSON readers cannot hold them.
    #[inline]
    pub(crate) fn number(&self, raw: impl Into<Raw<'a>>) -> Result<Number<'a>, JsonError> {
        let raw = raw.into();
        if raw.kind() != Kind::Number {
            return Err(self.type_error(raw, "a number"));
        }
        let number = Number(Cow::Borrowed(raw.get()));
        // Without an exponent a number is finite unless it has over 308 digits; only the
        // rare others are converted to find out.
        let text = raw.get();
        let plain =
            text.len() <= 300 && !(raw.unusual && text.bytes().any(|b| matches!(b, b'e' | b'E')));
        if plain || number.as_f64().is_finite() {
            Ok(number)
        } else {
            Err(self.value_error(raw, "a number within the range of a double"))
        }
    }

    /// A member that must be an unsigned integer written without fraction or exponent.
    pub(crate) fn u64(&self, raw: impl Into<Raw<'a>>) -> Result<u64, JsonError> {
        let raw = raw.into();
        self.number(raw)?
            .as_u64()
            .ok_or_else(|| self.value_error(raw, "an integer from 0 to 2^64-1"))
    }

    /// A timestamp member (a string in the grammar of `spec/json.md` §4). The error
    /// offset points into the string when it has no escapes, else at its opening quote.
    pub(crate) fn timestamp(&self, raw: impl Into<Raw<'a>>) -> Result<Timestamp<'a>, JsonError> {
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
    pub(crate) fn free_form(&self, raw: impl Into<Raw<'a>>, depth: usize) -> Result<(), JsonError> {
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

/// A required member, or the error naming it (the offset is the enclosing object's).
pub(crate) fn required<'r, T>(
    doc: &Doc<'_>,
    object: impl Into<Raw<'r>>,
    slot: Option<T>,
    field: &'static str,
) -> Result<T, JsonError> {
    slot.ok_or_else(|| JsonError::new(JsonErrorKind::Missing { field }, doc.offset(object)))
}

/// Where an encoder appends its bytes: a `Vec<u8>`, or a caller's own type. A std-only
/// trait, so that the core names no third-party buffer type.
///
/// Besides taking runs of bytes, a buffer says its length and can be cut back to an
/// earlier one: an encoder that fails once it has written (an envelope over 64 KiB,
/// [`Envelope::encode`](crate::command::Envelope::encode)) leaves the buffer as it was
/// without measuring the document in a first pass.
pub trait Buffer: for<'b> Extend<&'b u8> {
    /// How many bytes it holds.
    fn len(&self) -> usize;

    /// Whether it holds none.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Drops every byte after the first `len`, as [`Vec::truncate`] does.
    fn truncate(&mut self, len: usize);
}

impl Buffer for Vec<u8> {
    #[inline]
    fn len(&self) -> usize {
        Vec::len(self)
    }

    #[inline]
    fn truncate(&mut self, len: usize) {
        Vec::truncate(self, len);
    }
}

/// Writes a string as a JSON string literal, escaping as serde_json does.
pub fn write_str(buf: &mut impl Buffer, s: &str) {
    // Appending to a buffer cannot fail.
    let _ = write::string(&mut Appender(buf), s);
}

/// A [`fmt::Write`] that only counts the bytes written: the length of an encoding
/// without writing it.
pub(crate) struct Count(pub(crate) usize);

impl fmt::Write for Count {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0 += s.len();
        Ok(())
    }
}

/// A [`fmt::Write`] that appends to a byte buffer: the encoders write text, and the
/// caller's [`Buffer`] receives its bytes.
pub(crate) struct Appender<'b, B: ?Sized>(pub(crate) &'b mut B);

impl<B: Buffer + ?Sized> fmt::Write for Appender<'_, B> {
    #[inline]
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0.extend(s.as_bytes());
        Ok(())
    }
}

/// A document as text, or the error at its first byte that is not UTF-8.
///
/// A document is mostly or wholly ASCII, and [`ascii_text`] proves that in about a
/// third of the instructions of `std::str::from_utf8` (issue 21); any other document is
/// checked by `from_utf8`.
#[inline]
fn utf8(bytes: &[u8]) -> Result<&str, JsonError> {
    match ascii_text(bytes) {
        Some(text) => Ok(text),
        None => std::str::from_utf8(bytes)
            .map_err(|e| JsonError::new(JsonErrorKind::NotUtf8, e.valid_up_to())),
    }
}

/// Why reading an object or array stopped: a syntax error of the scanner (converted to an
/// offset in the document by the caller) or an error of a member's rule.
enum Stop {
    Syntax(Fault),
    Rule(JsonError),
}

impl From<Fault> for Stop {
    fn from(fault: Fault) -> Stop {
        Stop::Syntax(fault)
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
    fn syntax_errors_of_objects_and_arrays() {
        let syntax = |text: &str| {
            let e = members(text).expect_err(text);
            assert_eq!(e.class(), "json.syntax", "{text}: {e}");
            assert_eq!(e.path, "", "{text}");
            let JsonErrorKind::Syntax { message } = e.kind else {
                unreachable!("a syntax error")
            };
            (message, e.offset)
        };
        let e = |m: &str, at: usize| (m.to_owned(), at);
        assert_eq!(syntax(r#"{"a":1,}"#), e(scan::TRAILING_COMMA, 7));
        assert_eq!(syntax(r#"{"a":1 , }"#), e(scan::TRAILING_COMMA, 9));
        assert_eq!(syntax(r#"{"a":[1,]}"#), e(scan::EXPECTED_VALUE, 8));
        assert_eq!(syntax(r#"{1:2}"#), e(scan::KEY_NOT_STRING, 1));
        assert_eq!(syntax(r#"{"a":1,2}"#), e(scan::KEY_NOT_STRING, 7));
        assert_eq!(syntax(r#"{"a" 1}"#), e(scan::EXPECTED_COLON, 5));
        assert_eq!(syntax(r#"{"a":1 "b":2}"#), e(scan::EXPECTED_OBJECT_END, 7));
        assert_eq!(syntax(r#"{"a":1]"#), e(scan::EXPECTED_OBJECT_END, 6));
        assert_eq!(syntax(r#"{"a":}"#), e(scan::EXPECTED_VALUE, 5));
        assert_eq!(syntax(r#"{"a":tru}"#), e(scan::EXPECTED_IDENT, 8));
        assert_eq!(syntax(r#"{"a":01}"#), e(scan::INVALID_NUMBER, 6));
        assert_eq!(syntax("{\"a\":\"\t\"}"), e(scan::CONTROL, 6));
        assert_eq!(syntax("{\"a\n\":1}"), e(scan::CONTROL, 3));
        assert_eq!(syntax(r#"{"a":"\q"}"#), e(scan::INVALID_ESCAPE, 7));
        assert_eq!(syntax(r#"{"\u00G1":1}"#), e(scan::INVALID_ESCAPE, 6));
        assert_eq!(syntax(r#"{"a":1} {}"#), e(scan::TRAILING, 8));
        // Cut short: at the end of the document, white space after the cut included.
        assert_eq!(syntax(r#"{"a":1"#), e(scan::EOF_OBJECT, 6));
        assert_eq!(syntax("{\"a\":1 \n"), e(scan::EOF_OBJECT, 8));
        assert_eq!(syntax(r#"{"a":"#), e(scan::EOF_VALUE, 5));
        assert_eq!(syntax(r#"{"a":[1,"#), e(scan::EOF_VALUE, 8));
        assert_eq!(syntax(r#"{"a":"xy"#), e(scan::EOF_STRING, 8));
        assert_eq!(syntax(r#"{"a":-"#), e(scan::INVALID_NUMBER, 6));
        assert_eq!(syntax(r#"{"a"#), e(scan::EOF_STRING, 3));
        // A key with a lone surrogate fails where serde_json says, before a later fault
        // in the same key.
        let (message, at) = syntax(r#"{"\uDC00\u12G4":1}"#);
        assert_eq!(
            (message.as_str(), at),
            ("lone leading surrogate in hex escape", 7)
        );
        // In a value that is only checked, a lone surrogate is well-formed.
        assert_eq!(members(r#"{"a":"\uD800"}"#).map(|m| m.len()), Ok(1));
        // Top-level values that are not objects are checked whole.
        let e = Doc::parse(b"[1, 2,]").expect_err("trailing comma");
        assert_eq!((e.class(), e.offset), ("json.syntax", 6));
        let e = Doc::parse(b" \"a\" x").expect_err("trailing");
        assert_eq!((e.class(), e.offset), ("json.syntax", 5));
        let e = Doc::parse(b"[[1] ").expect_err("cut short");
        assert_eq!((e.class(), e.offset), ("json.syntax", 5));
        let (d, raw) = Doc::parse(b"[1,[2]]").expect("valid");
        let e = d.array(raw, |_, _| Ok(())).map(|()| 0);
        assert_eq!(e, Ok(0));
    }

    #[test]
    fn the_largest_document_is_read_whole() {
        let mut text = String::from("{\"pad\":\"");
        let tail = "\",\"last\":[1,{\"k\":\"\\u00e9\"}]}";
        while text.len() + tail.len() < MAX_DOCUMENT_LEN {
            text.push('x');
        }
        text.push_str(tail);
        assert_eq!(text.len(), MAX_DOCUMENT_LEN);
        let (d, raw) = Doc::parse(text.as_bytes()).expect("64 KiB is allowed");
        let mut keys = Vec::new();
        d.object(raw, |k, v| {
            keys.push(k.into_owned());
            d.free_form(v, 2)
        })
        .expect("valid");
        assert_eq!(keys, ["pad", "last"]);
        text.push(' ');
        let e = Doc::parse(text.as_bytes()).expect_err("one byte more");
        assert_eq!((e.class(), e.offset), ("json.size", MAX_DOCUMENT_LEN));
    }

    #[test]
    fn deep_values_are_checked_then_too_deep() {
        // Nesting past the scanner's 64 levels in a word is still read, then rejected by
        // the rule of the member at the bracket of depth 33.
        let deep = format!("{{\"x\":{}0{}}}", "[{\"y\":".repeat(50), "}]".repeat(50));
        let (d, raw) = Doc::parse(deep.as_bytes()).expect("parses");
        let e = d
            .object(raw, |k, v| d.free_form(v, 2).map_err(|e| e.in_field(&k)))
            .expect_err("too deep");
        assert_eq!(e.class(), "json.depth");
        assert_eq!(deep.get(e.offset..e.offset + 1), Some("{"));
        assert_eq!(e.offset, 6 + 15 * 6);
        assert_eq!(e.path, format!("x{}", "[0].y".repeat(15) + "[0]"));
        // A syntax error deep inside a member is its first fault.
        let broken = format!("{{\"x\":{}1}}", "[".repeat(100));
        let e = members(&broken).expect_err("unclosed");
        assert_eq!((e.class(), e.offset), ("json.syntax", 106));
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

    #[test]
    fn doubles_are_written_as_serde_json_writes_them() {
        let text = |v: f64| Number::from_f64(v).map(|n| n.as_str().to_owned());
        for (value, written) in [
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (3600.5, "3600.5"),
            (1e-5, "0.00001"),
            (1.5e-7, "1.5e-7"),
            (1e15, "1000000000000000.0"),
            (1e16, "1e+16"),
            (1.2345e100, "1.2345e+100"),
            (5e-324, "5e-324"),
            (f64::MAX, "1.7976931348623157e+308"),
        ] {
            assert_eq!(text(value).as_deref(), Some(written), "{value:e}");
        }
        assert_eq!(text(f64::INFINITY), None);
        assert_eq!(text(f64::NEG_INFINITY), None);
    }

    /// serde_json's text of an `f64`, or `None` where it has no number.
    fn serde_json_text(value: f64) -> Option<String> {
        serde_json::Number::from_f64(value).map(|n| n.to_string())
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(8192))]

        /// Doubles of every class and magnitude, whole numbers, and short decimals around
        /// the switches between plain and exponent notation.
        #[test]
        fn doubles_as_serde_json(
            any in proptest::num::f64::ANY,
            bits in proptest::prelude::any::<u64>(),
            whole in proptest::prelude::any::<i64>(),
            digits in 0u64..100_000,
            exponent in -30i32..30,
        ) {
            let short = digits as f64 * 10f64.powi(exponent);
            for value in [any, f64::from_bits(bits), whole as f64, short, -short] {
                let ours = Number::from_f64(value).map(|n| n.as_str().to_owned());
                proptest::prop_assert_eq!(ours, serde_json_text(value), "{:e}", value);
            }
        }
    }
}
