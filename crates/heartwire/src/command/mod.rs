//! The Reventless Heartbeat command envelope (`spec/command.md`): the JSON message a
//! Reventless plugin's heartbeat Lambda sends to the Platform.Plugin extension point,
//! `{"id","meta","command"}`, and the timing rules around it.
//!
//! Three encodings of the command occur in the wild and all decode to the same
//! [`Command`]: the seed documentation's `"commandJson":"Heartbeat(10)"`, the older decco
//! codec's `"command":["Heartbeat",10]` and the current sury codec's
//! `"command":{"TAG":"Heartbeat","_0":10}`. Encoding picks one explicitly with a
//! [`Dialect`]; the canonical form ([`Display`](std::fmt::Display)) is sury's, what the
//! framework writes today.
//!
//! Decoding is zero-copy: strings borrow from the document unless they have escapes,
//! and a typical envelope decodes without a heap allocation.
//!
//! ```
//! use heartwire::command::{Command, Dialect, Envelope};
//!
//! let seed = br#"{"id":"health-monitor","meta":{"service":"CorePluginExtensionPoint",
//!   "time":"2024-01-26T10:30:00.000Z","ip":"","user":"Heartbeat",
//!   "msgId":"9f0e1d2c-3b4a-4596-8778-695a4b3c2d1e",
//!   "correlationId":"9f0e1d2c-3b4a-4596-8778-695a4b3c2d1e"},
//!   "commandJson":"Heartbeat(10)"}"#;
//! let envelope = Envelope::decode(seed)?;
//! assert_eq!(envelope.id.as_str(), "health-monitor");
//! assert_eq!(envelope.command, Command::heartbeat(10));
//!
//! // The canonical form is the sury dialect.
//! assert!(envelope.to_string().ends_with(r#""command":{"TAG":"Heartbeat","_0":10}}"#));
//!
//! // Any dialect on request (refused if the document would be over 64 KiB in it).
//! let mut buf = Vec::new();
//! envelope.encode(Dialect::Decco, &mut buf)?;
//! assert!(buf.ends_with(br#""command":["Heartbeat",10]}"#));
//! assert_eq!(Envelope::decode(&buf)?, envelope);
//! # Ok::<(), heartwire::json::JsonError>(())
//! ```

mod heartbeat;
mod meta;
mod text;
mod timing;
mod variant;

use crate::json::Buffer;
use std::borrow::Cow;
use std::fmt::{self, Write};
use std::str::FromStr;

use crate::json::Object;
use crate::json::write;
use crate::json::{Appender, Doc, Extras, JsonError, JsonErrorKind, MAX_DOCUMENT_LEN, required};

pub use heartbeat::{HeartbeatBuilder, IdSource, PluginCommand};
pub use meta::{EmptyStr, Headers, Meta, NonEmptyStr, SchemaVersion, TraceParent};
pub use timing::{
    DEFAULT_TIMEOUT_MINUTES, GraceRule, MAX_TIMEOUT_MINUTES, Timeout, TimeoutSetting,
    UnknownGraceRule, deploy_rule, disconnect_grace, disconnect_grace_fixed,
};
// Where arguments were kept before `json::RawJson` served every format.
pub use crate::json::RawJson;
pub use variant::{Command, OtherCommand, PluginDefinition};

/// The nesting depth of the envelope's own members (the document is 1).
const MEMBER_DEPTH: usize = 2;

/// The keys of the envelope's members, in canonical order; `commandJson` is the seed's
/// spelling of `command`.
const ENVELOPE_KEYS: [&str; 4] = ["id", "meta", "command", "commandJson"];

/// How the command member is written (`spec/command.md` §6.1). Decoding accepts all
/// three; encoding writes the one asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Dialect {
    /// The seed documentation's: key `commandJson`, the string form `"Heartbeat(10)"`.
    Seed,
    /// The older decco codec's: key `command`, an array `["Heartbeat",10]`.
    Decco,
    /// The current sury codec's: key `command`, `{"TAG":"Heartbeat","_0":10}`, or the
    /// bare name `"DisconnectPlugin"` for a command without arguments. The default, and
    /// the canonical form, because it is what the framework writes now.
    #[default]
    Sury,
}

impl Dialect {
    /// Every dialect.
    pub const ALL: [Dialect; 3] = [Dialect::Seed, Dialect::Decco, Dialect::Sury];

    /// The dialect's name: `seed`, `decco` or `sury`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Dialect::Seed => "seed",
            Dialect::Decco => "decco",
            Dialect::Sury => "sury",
        }
    }

    /// The key of the command member in this dialect.
    pub const fn command_key(self) -> &'static str {
        match self {
            Dialect::Seed => "commandJson",
            Dialect::Decco | Dialect::Sury => "command",
        }
    }
}

impl fmt::Display for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is not a [`Dialect`]'s.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownDialect;

impl fmt::Display for UnknownDialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("unknown dialect, expected `seed`, `decco` or `sury`")
    }
}

impl std::error::Error for UnknownDialect {}

impl FromStr for Dialect {
    type Err = UnknownDialect;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "seed" => Ok(Dialect::Seed),
            "decco" => Ok(Dialect::Decco),
            "sury" => Ok(Dialect::Sury),
            _ => Err(UnknownDialect),
        }
    }
}

/// A command envelope, `{"id","meta","command"}` (`spec/command.md` §2).
///
/// Members no rule knows are kept, in order and verbatim, and written back after the
/// known ones.
#[derive(Debug, Clone)]
pub struct Envelope<'a> {
    /// `id`: the addressee, for the plugin extension point the plugin id
    /// (`name@version`).
    pub id: NonEmptyStr<'a>,
    /// `meta`: who sent the command, when, which message it is.
    pub meta: Meta<'a>,
    /// `command` (or `commandJson`): what to do.
    pub command: Command<'a>,
    extras: Extras<'a>,
}

impl<'a> Envelope<'a> {
    /// An envelope from its members, without extra ones.
    pub fn new(id: NonEmptyStr<'a>, meta: Meta<'a>, command: Command<'a>) -> Envelope<'a> {
        Envelope {
            id,
            meta,
            command,
            extras: Extras::new(),
        }
    }

    /// Decodes a document in any dialect. Strings borrow from `bytes` unless they have
    /// escapes. Errors carry the class, the member's path and the byte offset of
    /// `spec/command.md` §7.
    pub fn decode(bytes: &'a [u8]) -> Result<Envelope<'a>, JsonError> {
        let (doc, top) = Doc::parse(bytes)?;
        Envelope::decode_object(&doc, Object::Text(top))
    }

    /// Decodes the top-level object of a document known to be an envelope.
    pub(crate) fn decode_object(
        doc: &Doc<'a>,
        object: Object<'a>,
    ) -> Result<Envelope<'a>, JsonError> {
        let top = object.raw();
        let mut id = None;
        let mut meta = None;
        let mut command = None;
        let mut extras = Extras::new();
        doc.each(object, |key, v| {
            let result = match key.as_ref() {
                "id" => doc.once(&id, &key, v).and_then(|()| {
                    id = Some(NonEmptyStr::read(doc, v)?);
                    Ok(())
                }),
                "meta" => doc.once(&meta, &key, v).and_then(|()| {
                    meta = Some(Meta::decode(doc, v)?);
                    Ok(())
                }),
                // Two spellings of one member: the second is a duplicate of the first.
                "command" | "commandJson" => doc.once(&command, &key, v).and_then(|()| {
                    command = Some(Command::decode(doc, v)?);
                    Ok(())
                }),
                _ => return extras.keep(doc, key, v, MEMBER_DEPTH),
            };
            result.map_err(|e| e.in_field(&key))
        })?;
        Ok(Envelope {
            id: required(doc, top, id, "id")?,
            meta: required(doc, top, meta, "meta")?,
            command: required(doc, top, command, "command")?,
            extras,
        })
    }

    /// Appends the document in `dialect` to `buf`, allocating only when it lacks room.
    /// Every envelope can be written in every dialect, and decodes back to itself, as
    /// long as the document fits the 64 KiB every decoder takes (`spec/command.md` §6):
    /// a longer one, which a dialect's longer command form can make of an envelope that
    /// decoded, is refused with `json.size` at byte 65,536 and `buf` left as it was
    /// (written in one pass, then cut back to its length before).
    pub fn encode(&self, dialect: Dialect, buf: &mut impl Buffer) -> Result<(), JsonError> {
        let start = buf.len();
        // Appending to a buffer cannot fail.
        let _ = self.write(dialect, &mut Appender(&mut *buf));
        let len = buf.len().saturating_sub(start);
        if len > MAX_DOCUMENT_LEN {
            buf.truncate(start);
            return Err(JsonError::new(
                JsonErrorKind::TooLarge {
                    len,
                    max: MAX_DOCUMENT_LEN,
                },
                MAX_DOCUMENT_LEN,
            ));
        }
        Ok(())
    }

    /// Writes the document in `dialect` (`spec/command.md` §6).
    pub fn write<W: Write + ?Sized>(&self, dialect: Dialect, w: &mut W) -> fmt::Result {
        w.write_str("{\"id\":")?;
        write::string(w, self.id.as_str())?;
        w.write_str(",\"meta\":")?;
        self.meta.write(w)?;
        w.write_str(",\"")?;
        w.write_str(dialect.command_key())?;
        w.write_str("\":")?;
        self.command.write(dialect, w)?;
        meta::write_members(w, self.extras.iter(), false)?;
        w.write_char('}')
    }

    /// The members no rule knows, in order.
    pub const fn extras(&self) -> &Extras<'a> {
        &self.extras
    }

    /// Sets a member no rule knows, replacing an existing one in place. Fails with
    /// `json.duplicate` for a key the format defines, and with the decoder's error for a
    /// value too deep or with a duplicate key.
    pub fn insert_extra(
        &mut self,
        key: impl Into<Cow<'a, str>>,
        value: RawJson<'a>,
    ) -> Result<(), JsonError> {
        meta::insert_extra(
            &mut self.extras,
            &ENVELOPE_KEYS,
            MEMBER_DEPTH,
            key.into(),
            value,
        )
    }

    /// The interval this envelope's command promises the next beat within, with the
    /// default applied (§5.1); `None` for commands that carry no timeout.
    pub fn timeout_minutes(&self) -> Option<std::num::NonZeroU32> {
        self.command.timeout().map(Timeout::minutes)
    }

    /// A copy that owns all its text.
    pub fn into_owned(self) -> Envelope<'static> {
        Envelope {
            id: self.id.into_owned(),
            meta: self.meta.into_owned(),
            command: self.command.into_owned(),
            extras: self.extras.into_owned(),
        }
    }
}

/// Envelopes compare by value whatever buffers they borrow from.
impl<'b> PartialEq<Envelope<'b>> for Envelope<'_> {
    fn eq(&self, other: &Envelope<'b>) -> bool {
        self.id == other.id
            && self.meta == other.meta
            && self.command == other.command
            && meta::extras_eq(&self.extras, &other.extras)
    }
}

impl Eq for Envelope<'_> {}

impl fmt::Display for Envelope<'_> {
    /// The canonical document: the sury dialect, compact (`spec/command.md` §6.2).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write(Dialect::Sury, f)
    }
}

impl FromStr for Envelope<'static> {
    type Err = JsonError;

    /// Decodes a document in any dialect into an envelope that owns its text.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Envelope::decode(s.as_bytes()).map(Envelope::into_owned)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const META: &str = r#"{"service":"Platform.Plugin","time":"2025-03-01T12:00:00.000Z","ip":"","user":"Heartbeat","msgId":"m-1","correlationId":"c-1"}"#;

    fn doc(command: &str) -> String {
        format!(r#"{{"id":"orders@1.2.0","meta":{META},{command}}}"#)
    }

    fn err(text: &str) -> (&'static str, usize, String) {
        let e = Envelope::decode(text.as_bytes()).expect_err(text);
        (e.class(), e.offset, e.path)
    }

    #[test]
    fn the_command_key_has_two_spellings_but_one_member() {
        let seed = doc(r#""commandJson":"Heartbeat(10)""#);
        let sury = doc(r#""command":{"TAG":"Heartbeat","_0":10}"#);
        assert_eq!(
            Envelope::decode(seed.as_bytes()),
            Envelope::decode(sury.as_bytes())
        );
        let both = doc(r#""command":"Heartbeat(10)","commandJson":"Heartbeat(10)""#);
        let at = both.find("\"commandJson\"").expect("there");
        assert_eq!(err(&both), ("json.duplicate", at, "commandJson".into()));
        let none = doc(r#""x":1"#);
        assert_eq!(err(&none), ("json.missing", 0, String::new()));
    }

    #[test]
    fn meta_rules() {
        let with =
            |meta: &str| format!(r#"{{"id":"p","meta":{meta},"command":"DisconnectPlugin"}}"#);
        let text = with(
            r#"{"service":"s","time":"2025-03-01 12:00:00Z","msgId":"m","correlationId":"c"}"#,
        );
        let at = text.find(" 12").expect("there");
        assert_eq!(err(&text), ("json.timestamp", at, "meta.time".into()));
        let text = with(r#"{"service":"s","time":"2025-03-01T12:00:00Z","msgId":"m"}"#);
        assert_eq!(err(&text), ("json.missing", 17, "meta".into()));
        let text =
            with(r#"{"service":"","time":"2025-03-01T12:00:00Z","msgId":"m","correlationId":"c"}"#);
        assert_eq!(err(&text), ("json.value", 28, "meta.service".into()));
        let text = with(
            r#"{"service":"s","time":"2025-03-01T12:00:00Z","ip":null,"msgId":"m","correlationId":"c"}"#,
        );
        assert_eq!(err(&text).0, "json.type");
        let text = with(
            r#"{"service":"s","time":"2025-03-01T12:00:00Z","msgId":"m","correlationId":"c","headers":{"a":"1","a":"2"}}"#,
        );
        assert_eq!(err(&text).2, "meta.headers.a");
        let text = with(
            r#"{"service":"s","time":"2025-03-01T12:00:00Z","msgId":"m","correlationId":"c","schemaVersion":true}"#,
        );
        assert_eq!(err(&text).2, "meta.schemaVersion");
    }

    #[test]
    fn extras_are_kept_in_order_and_written_back() {
        let text = format!(
            r#"{{"z":[1, 2],"id":"p","meta":{},"command":"DisconnectPlugin","a":{{"b":null}}}}"#,
            META.replace(r#""correlationId":"c-1""#, r#""correlationId":"c-1","x":"y","headers":{"h":"v"},"schemaVersion":2,"traceparent":"t","causationId":"k""#)
        );
        let envelope = Envelope::decode(text.as_bytes()).expect("valid");
        assert_eq!(envelope.extras().len(), 2);
        assert_eq!(
            envelope.to_string(),
            r#"{"id":"p","meta":{"service":"Platform.Plugin","time":"2025-03-01T12:00:00.000Z","ip":"","user":"Heartbeat","msgId":"m-1","correlationId":"c-1","causationId":"k","traceparent":"t","schemaVersion":2,"headers":{"h":"v"},"x":"y"},"command":"DisconnectPlugin","z":[1, 2],"a":{"b":null}}"#
        );
        let again: Envelope<'static> = envelope.to_string().parse().expect("canonical decodes");
        assert_eq!(again, envelope);
    }

    #[test]
    fn an_encoding_over_64_kib_leaves_the_buffer_as_it_was() {
        let mut envelope: Envelope<'static> = doc(r#""command":"DisconnectPlugin""#)
            .parse()
            .expect("valid");
        let size = |envelope: &Envelope<'_>| envelope.to_string().len();
        let pad = |n: usize| RawJson::new(format!("\"{}\"", "x".repeat(n))).expect("json");
        envelope.insert_extra("pad", pad(0)).expect("kept");
        let room = MAX_DOCUMENT_LEN - size(&envelope);
        envelope.insert_extra("pad", pad(room)).expect("kept");
        let mut buf = b"before".to_vec();
        envelope
            .encode(Dialect::Sury, &mut buf)
            .expect("64 KiB fits");
        assert_eq!(buf.len(), 6 + MAX_DOCUMENT_LEN);
        envelope.insert_extra("pad", pad(room + 1)).expect("kept");
        buf.truncate(6);
        let e = envelope
            .encode(Dialect::Sury, &mut buf)
            .expect_err("one byte over");
        assert_eq!((e.class(), e.offset), ("json.size", MAX_DOCUMENT_LEN));
        assert_eq!(
            e.kind,
            JsonErrorKind::TooLarge {
                len: MAX_DOCUMENT_LEN + 1,
                max: MAX_DOCUMENT_LEN
            }
        );
        assert_eq!(buf, b"before");
    }

    #[test]
    fn extras_cannot_shadow_members() {
        let mut envelope: Envelope<'static> = doc(r#""command":"DisconnectPlugin""#)
            .parse()
            .expect("valid");
        let one = || RawJson::new("1").expect("json");
        assert_eq!(
            envelope
                .insert_extra("commandJson", one())
                .map_err(|e| e.class()),
            Err("json.duplicate")
        );
        assert_eq!(
            envelope
                .meta
                .insert_extra("msgId", one())
                .map_err(|e| e.class()),
            Err("json.duplicate")
        );
        envelope.insert_extra("n", one()).expect("new key");
        assert!(
            envelope
                .to_string()
                .ends_with(r#""command":"DisconnectPlugin","n":1}"#)
        );
    }

    #[test]
    fn dialect_names() {
        for d in Dialect::ALL {
            assert_eq!(d.to_string().parse(), Ok(d));
        }
        assert_eq!("rescript".parse::<Dialect>(), Err(UnknownDialect));
        assert_eq!(Dialect::default(), Dialect::Sury);
    }
}
