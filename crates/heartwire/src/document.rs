//! Any document of the JSON formats, its format detected from its keys
//! (`spec/json.md` §8): what a reader of mixed traffic, such as the `heartwire` command,
//! decodes.

use crate::json::Buffer;
use std::fmt;

use crate::command::{Dialect, Envelope};
use crate::json::{Doc, JsonError, JsonErrorKind, Members, Object, Raw};
use crate::record::Record;
use crate::schedule::Schedule;
use crate::schedule::json as schedule_json;

/// The wire formats heartwire knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// The beatit text convention (`spec/text.md`).
    Text,
    /// The JSON liveness record (`spec/record.md`).
    Record,
    /// The Reventless command envelope (`spec/command.md`).
    Command,
    /// The Reventless schedule (`spec/schedule.md`).
    Schedule,
}

impl Format {
    /// Every format.
    pub const ALL: [Format; 4] = [
        Format::Text,
        Format::Record,
        Format::Command,
        Format::Schedule,
    ];

    /// The format's name: `text`, `record`, `command` or `schedule`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Format::Text => "text",
            Format::Record => "record",
            Format::Command => "command",
            Format::Schedule => "schedule",
        }
    }

    /// The format of a name, as [`Format::as_str`] writes it.
    pub fn from_name(name: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|f| f.as_str() == name)
    }

    /// The format of a JSON document, from the keys of its top-level object
    /// (`spec/json.md` §8): `service_name` makes a record, `meta` an envelope, `rate` a
    /// schedule, checked in that order.
    ///
    /// A document broken further on still has the format of the keys before the break:
    /// decoding it as that format then reports its first fault, in document order
    /// (`spec/json.md` §3), which may come before the break.
    pub fn detect(bytes: &[u8]) -> Result<Format, JsonError> {
        let (doc, raw) = Doc::parse(bytes)?;
        let members = doc.read_members(raw)?;
        Format::of_members(&doc, raw, &members)
    }

    /// The format of a top-level object from its members, read once: what
    /// [`Format::detect`] says and [`Document::decode`] decodes by.
    fn of_members<'a>(
        doc: &Doc<'a>,
        raw: Raw<'a>,
        members: &Members<'a>,
    ) -> Result<Format, JsonError> {
        let (mut record, mut command, mut schedule) = (false, false, false);
        for key in members.keys() {
            match key {
                "service_name" => record = true,
                "meta" => command = true,
                "rate" => schedule = true,
                _ => {}
            }
        }
        match (record, command, schedule, members.fault()) {
            (true, _, _, _) => Ok(Format::Record),
            (_, true, _, _) => Ok(Format::Command),
            (_, _, true, _) => Ok(Format::Schedule),
            (_, _, _, Some(e)) => Err(e.clone()),
            (_, _, _, None) => Err(JsonError::new(
                JsonErrorKind::Missing {
                    field: "service_name",
                },
                doc.offset(raw),
            )),
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A document of one of the JSON formats.
///
/// ```
/// use heartwire::document::{Document, Format};
///
/// let doc = Document::decode(br#"{"name":"cleanup-task","rate":"Hours(6)","payload":"{}"}"#)?;
/// assert_eq!(doc.format(), Format::Schedule);
/// # Ok::<(), heartwire::json::JsonError>(())
/// ```
// Each variant holds its inline extra members; boxing the large ones would cost the
// allocation that zero-copy decoding exists to avoid.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Document<'a> {
    /// A liveness record.
    Record(Record<'a>),
    /// A command envelope.
    Command(Envelope<'a>),
    /// A schedule.
    Schedule(Schedule<'a>),
}

impl<'a> Document<'a> {
    /// Decodes a document of whichever JSON format its keys say (`spec/json.md` §8), in
    /// one pass: its members are read once, the format is told from their keys, and the
    /// format's rules are applied to the members read (a syntax fault after them is
    /// reported when they pass, as [`Document::decode_as`] would).
    pub fn decode(bytes: &'a [u8]) -> Result<Document<'a>, JsonError> {
        let (doc, raw) = Doc::parse(bytes)?;
        let members = doc.read_members(raw)?;
        let format = Format::of_members(&doc, raw, &members)?;
        let object = Object::Read(raw, members);
        match format {
            Format::Record => Record::decode_object(&doc, object).map(Document::Record),
            Format::Command => Envelope::decode_object(&doc, object).map(Document::Command),
            Format::Schedule => schedule_json::decode_object(&doc, object).map(Document::Schedule),
            // No key makes a document the text convention.
            Format::Text => Err(not_a_json_format()),
        }
    }

    /// Decodes a document of a given format. [`Format::Text`] is not a JSON format: it
    /// is rejected as a document of no known format.
    pub fn decode_as(bytes: &'a [u8], format: Format) -> Result<Document<'a>, JsonError> {
        match format {
            Format::Record => Record::decode(bytes).map(Document::Record),
            Format::Command => Envelope::decode(bytes).map(Document::Command),
            Format::Schedule => Schedule::decode(bytes).map(Document::Schedule),
            Format::Text => Err(not_a_json_format()),
        }
    }

    /// Which format it is.
    pub const fn format(&self) -> Format {
        match self {
            Document::Record(_) => Format::Record,
            Document::Command(_) => Format::Command,
            Document::Schedule(_) => Format::Schedule,
        }
    }

    /// Writes the canonical encoding (`spec/json.md` §7; envelopes in the default
    /// dialect). Only an envelope can fail, when its encoding is over 64 KiB
    /// ([`Envelope::encode`]).
    pub fn encode(&self, buf: &mut impl Buffer) -> Result<(), JsonError> {
        match self {
            Document::Record(r) => r.encode(buf),
            Document::Command(e) => return e.encode(Dialect::default(), buf),
            Document::Schedule(s) => s.encode(buf),
        }
        Ok(())
    }

    /// A copy that owns all its text.
    pub fn into_owned(self) -> Document<'static> {
        match self {
            Document::Record(r) => Document::Record(r.into_owned()),
            Document::Command(e) => Document::Command(e.into_owned()),
            Document::Schedule(s) => Document::Schedule(s.into_owned()),
        }
    }
}

/// The error for decoding a document as [`Format::Text`], which is no JSON format.
fn not_a_json_format() -> JsonError {
    JsonError::new(
        JsonErrorKind::Value {
            expected: "a JSON format (record, command or schedule)",
        },
        0,
    )
}

impl fmt::Display for Document<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Document::Record(r) => r.fmt(f),
            Document::Command(e) => e.fmt(f),
            Document::Schedule(s) => s.fmt(f),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detection_follows_the_keys() {
        assert_eq!(
            Format::detect(br#"{"rate":1,"meta":{},"service_name":"x"}"#),
            Ok(Format::Record)
        );
        assert_eq!(
            Format::detect(br#"{"rate":1,"meta":2}"#),
            Ok(Format::Command)
        );
        assert_eq!(Format::detect(br#"{"rate":1}"#), Ok(Format::Schedule));
        let e = Format::detect(b" {\"x\":1}").expect_err("no format");
        assert_eq!(
            (e.class(), e.offset, e.path.as_str()),
            ("json.missing", 1, "")
        );
        let e = Format::detect(b"[1]").expect_err("not an object");
        assert_eq!((e.class(), e.offset), ("json.type", 0));
    }

    #[test]
    fn one_pass_decoding_is_detection_then_decoding() {
        for doc in [
            &br#"{"rate":"Hours(6)","name":"n","payload":"{}"}"#[..],
            br#"{"meta":1,"service_name":"s"}"#,
            br#"{"rate":1,"x":2,"rate":3}"#,
            br#"{"service_name":"s","rate":1,}"#,
            br#"{"service_name":"a b", "oops"}"#,
            br#"{"name":"n","rate":"Hours(6)","payload":"{}" "x"}"#,
            br#"{"x":1} x"#,
            b"{\"x\":",
            b" [1]",
            b"{}",
        ] {
            let two = Format::detect(doc).and_then(|f| Document::decode_as(doc, f));
            assert_eq!(
                Document::decode(doc),
                two,
                "{}",
                String::from_utf8_lossy(doc)
            );
        }
    }
}
