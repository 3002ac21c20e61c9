//! The serde_json walker this module had before its scanner, kept in tests to compare
//! the errors of the two on arbitrary input.
#![allow(dead_code, unreachable_pub, missing_docs, clippy::all)]
use super::{JsonError, JsonErrorKind, Kind, MAX_DEPTH, MAX_DOCUMENT_LEN, Number};
use crate::time::Timestamp;
use serde::de::{self, DeserializeSeed, Deserializer as _, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use smallvec::SmallVec;
use std::borrow::Cow;
use std::fmt;
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
