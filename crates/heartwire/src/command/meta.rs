//! The `meta` object of an envelope (`spec/command.md` §3): who sent the command, when,
//! and which message it is.

use std::borrow::Cow;
use std::fmt::{self, Write};

use crate::json::write;
use crate::json::{Doc, Extras, JsonError, JsonErrorKind, Kind, Number, Raw, RawJson, required};
use crate::time::Timestamp;

/// The nesting depth of the members of `meta` (the document is 1, `meta` is 2).
const MEMBER_DEPTH: usize = 3;

/// A string that is not empty: the envelope's `id`, `service` and message ids, which
/// name something and so cannot be `""`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NonEmptyStr<'a>(pub(crate) Cow<'a, str>);

/// The error of [`NonEmptyStr::new`] for an empty string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EmptyStr;

impl fmt::Display for EmptyStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("empty string where a name or id is required")
    }
}

impl std::error::Error for EmptyStr {}

impl<'a> NonEmptyStr<'a> {
    /// The string, unless it is empty.
    pub fn new(s: impl Into<Cow<'a, str>>) -> Result<NonEmptyStr<'a>, EmptyStr> {
        let s = s.into();
        if s.is_empty() {
            Err(EmptyStr)
        } else {
            Ok(NonEmptyStr(s))
        }
    }

    /// The string.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A copy that owns its text.
    pub fn into_owned(self) -> NonEmptyStr<'static> {
        NonEmptyStr(Cow::Owned(self.0.into_owned()))
    }

    /// Reads a non-empty string member.
    pub(crate) fn read(doc: &Doc<'a>, raw: Raw<'a>) -> Result<NonEmptyStr<'a>, JsonError> {
        NonEmptyStr::new(doc.string(raw)?).map_err(|_| doc.value_error(raw, "a non-empty string"))
    }
}

impl AsRef<str> for NonEmptyStr<'_> {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for NonEmptyStr<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The optional `schemaVersion` of a meta: a string or a number, kept as given
/// (`spec/command.md` §3.4).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SchemaVersion<'a> {
    /// A string, such as `"1.2.0"`.
    Text(Cow<'a, str>),
    /// A number, such as `2`, kept as its text.
    Number(Number<'a>),
}

impl SchemaVersion<'_> {
    /// A copy that owns its text.
    pub fn into_owned(self) -> SchemaVersion<'static> {
        match self {
            SchemaVersion::Text(t) => SchemaVersion::Text(Cow::Owned(t.into_owned())),
            SchemaVersion::Number(n) => SchemaVersion::Number(n.into_owned()),
        }
    }
}

/// The optional `headers` of a meta: an object whose members are kept in order with
/// their values verbatim (`spec/command.md` §3.4). Producers put strings there; no rule
/// of the format reads them, so any JSON value is kept rather than rejected.
#[derive(Debug, Clone, Default)]
pub struct Headers<'a>(Extras<'a>);

impl<'b> PartialEq<Headers<'b>> for Headers<'_> {
    fn eq(&self, other: &Headers<'b>) -> bool {
        extras_eq(&self.0, &other.0)
    }
}

impl Eq for Headers<'_> {}

/// Whether two sets of members are the same, keys and verbatim values in order, across
/// lifetimes (`Extras` is invariant in its lifetime, so `==` wants them equal).
pub(crate) fn extras_eq(a: &Extras<'_>, b: &Extras<'_>) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b.iter())
            .all(|((ka, va), (kb, vb))| ka == kb && va == vb)
}

impl<'a> Headers<'a> {
    /// No headers.
    pub fn new() -> Headers<'a> {
        Headers(Extras::new())
    }

    /// The JSON text of a header's value, exactly as given.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key)
    }

    /// The value of a header that holds a string, unescaped.
    pub fn get_str(&self, key: &str) -> Option<Cow<'_, str>> {
        let (doc, raw) = Doc::parse(self.0.get(key)?.as_bytes()).ok()?;
        doc.string(raw).ok()
    }

    /// Sets a header, replacing the value of an existing key in place. The value must be
    /// within the nesting limit and free of duplicate keys (`spec/json.md` §2), as a
    /// decoder will check.
    pub fn insert(
        &mut self,
        key: impl Into<Cow<'a, str>>,
        value: RawJson<'a>,
    ) -> Result<(), JsonError> {
        let key = key.into();
        check_free_form(&value, MEMBER_DEPTH + 1).map_err(|e| e.in_field(&key))?;
        self.0.insert(key, value);
        Ok(())
    }

    /// The headers in order: each key and its value's JSON text.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&str, &str)> {
        self.0.iter()
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
    pub fn into_owned(self) -> Headers<'static> {
        Headers(self.0.into_owned())
    }
}

/// Checks a value made outside a document the way a decoder checks a free-form member
/// at nesting depth `depth`; offsets count from the start of the value.
pub(crate) fn check_free_form(value: &RawJson<'_>, depth: usize) -> Result<(), JsonError> {
    let (doc, raw) = Doc::parse(value.get().as_bytes())?;
    doc.free_form(raw, depth)
}

/// A W3C Trace Context `traceparent` (`00-<trace-id>-<parent-id>-<flags>`), read from
/// [`Meta::traceparent`] by [`TraceParent::parse`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TraceParent {
    /// The format version, `0x00` today (`0xff` is invalid).
    pub version: u8,
    /// The trace id, not all zero.
    pub trace_id: [u8; 16],
    /// The id of the caller's span, not all zero.
    pub parent_id: [u8; 8],
    /// The trace flags; bit 0 is "sampled".
    pub flags: u8,
}

impl TraceParent {
    /// Parses a `traceparent` by the rules of W3C Trace Context level 1 §3.2: lower-case
    /// hex, version `ff` invalid, version `00` exactly 55 characters, a later version at
    /// least 55 with a `-` after them. `None` when invalid: a receiver then starts a new
    /// trace, it does not reject the message (`spec/command.md` §3.3).
    pub fn parse(s: &str) -> Option<TraceParent> {
        let b = s.as_bytes();
        let version = hex::<1>(b.get(0..2)?)?[0];
        let shape_ok = version != 0xff
            && b.len() >= 55
            && (version != 0 || b.len() == 55)
            && b.get(55).is_none_or(|&c| c == b'-')
            && [2, 35, 52].iter().all(|&i| b.get(i) == Some(&b'-'));
        if !shape_ok {
            return None;
        }
        let trace_id = hex::<16>(b.get(3..35)?)?;
        let parent_id = hex::<8>(b.get(36..52)?)?;
        let flags = hex::<1>(b.get(53..55)?)?[0];
        if trace_id == [0; 16] || parent_id == [0; 8] {
            return None;
        }
        Some(TraceParent {
            version,
            trace_id,
            parent_id,
            flags,
        })
    }

    /// Whether the caller sampled the trace (flag bit 0).
    pub const fn sampled(&self) -> bool {
        self.flags & 1 == 1
    }
}

impl fmt::Display for TraceParent {
    /// The version-00 form of the fields.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02x}-", self.version)?;
        self.trace_id
            .iter()
            .try_for_each(|b| write!(f, "{b:02x}"))?;
        f.write_char('-')?;
        self.parent_id
            .iter()
            .try_for_each(|b| write!(f, "{b:02x}"))?;
        write!(f, "-{:02x}", self.flags)
    }
}

/// `2 * N` lower-case hex digits as `N` bytes.
fn hex<const N: usize>(digits: &[u8]) -> Option<[u8; N]> {
    let nibble = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    };
    if digits.len() != 2 * N {
        return None;
    }
    let mut out = [0u8; N];
    for (o, pair) in out.iter_mut().zip(digits.chunks_exact(2)) {
        *o = nibble(*pair.first()?)? << 4 | nibble(*pair.get(1)?)?;
    }
    Some(out)
}

/// The `meta` object: who sent a command, when, and which message it is
/// (`spec/command.md` §3).
///
/// Fields hold values that already obey their rules (a [`NonEmptyStr`] is never empty,
/// a [`Timestamp`] is always valid), so any `Meta` encodes to a valid one. Members no
/// rule knows are kept in order with their values verbatim.
#[derive(Debug, Clone)]
pub struct Meta<'a> {
    /// `service`: the service that sent the command or is addressed by it
    /// (`Platform.Plugin`, `Core.Plugin`, `CorePluginExtensionPoint`).
    pub service: NonEmptyStr<'a>,
    /// `time`: when the message was made.
    pub time: Timestamp<'a>,
    /// `ip`: the sender's IP address; heartbeats send `""`. Optional since the newest
    /// meta.
    pub ip: Option<Cow<'a, str>>,
    /// `user`: who initiated the message; heartbeats send `"Heartbeat"`. Optional since
    /// the newest meta.
    pub user: Option<Cow<'a, str>>,
    /// `msgId`: this message's id, a UUID as the framework makes them.
    pub msg_id: NonEmptyStr<'a>,
    /// `correlationId`: the id of the message that started the chain this one is in.
    pub correlation_id: NonEmptyStr<'a>,
    /// `causationId`: the id of the message that directly caused this one.
    pub causation_id: Option<NonEmptyStr<'a>>,
    /// `traceparent`: a W3C trace context, kept as given; see [`Meta::trace_parent`].
    pub traceparent: Option<Cow<'a, str>>,
    /// `schemaVersion`: the version of the message's schema.
    pub schema_version: Option<SchemaVersion<'a>>,
    /// `headers`: transport headers carried along.
    pub headers: Option<Headers<'a>>,
    extras: Extras<'a>,
}

impl<'b> PartialEq<Meta<'b>> for Meta<'_> {
    fn eq(&self, o: &Meta<'b>) -> bool {
        self.service == o.service
            && self.time == o.time
            && self.ip == o.ip
            && self.user == o.user
            && self.msg_id == o.msg_id
            && self.correlation_id == o.correlation_id
            && self.causation_id == o.causation_id
            && self.traceparent == o.traceparent
            && self.schema_version == o.schema_version
            && self
                .headers
                .as_ref()
                .map(|h| &h.0)
                .map_or(o.headers.is_none(), |h| {
                    o.headers.as_ref().is_some_and(|oh| extras_eq(h, &oh.0))
                })
            && extras_eq(&self.extras, &o.extras)
    }
}

impl Eq for Meta<'_> {}

/// The keys of a meta's members in canonical order (`spec/command.md` §6.2).
pub(crate) const META_KEYS: [&str; 10] = [
    "service",
    "time",
    "ip",
    "user",
    "msgId",
    "correlationId",
    "causationId",
    "traceparent",
    "schemaVersion",
    "headers",
];

impl<'a> Meta<'a> {
    /// A meta with its required members and no optional ones.
    pub fn new(
        service: NonEmptyStr<'a>,
        time: Timestamp<'a>,
        msg_id: NonEmptyStr<'a>,
        correlation_id: NonEmptyStr<'a>,
    ) -> Meta<'a> {
        Meta {
            service,
            time,
            ip: None,
            user: None,
            msg_id,
            correlation_id,
            causation_id: None,
            traceparent: None,
            schema_version: None,
            headers: None,
            extras: Extras::new(),
        }
    }

    /// The `traceparent`, parsed; `None` when absent or not valid W3C syntax.
    pub fn trace_parent(&self) -> Option<TraceParent> {
        self.traceparent.as_deref().and_then(TraceParent::parse)
    }

    /// The members no rule knows, in order.
    pub const fn extras(&self) -> &Extras<'a> {
        &self.extras
    }

    /// Sets a member no rule knows, replacing an existing one in place. Fails with
    /// `json.duplicate` for a key the format defines (set the field instead), and with
    /// the decoder's error for a value too deep or with a duplicate key.
    pub fn insert_extra(
        &mut self,
        key: impl Into<Cow<'a, str>>,
        value: RawJson<'a>,
    ) -> Result<(), JsonError> {
        let key = key.into();
        insert_extra(&mut self.extras, &META_KEYS, MEMBER_DEPTH, key, value)
    }

    /// A copy that owns all its text.
    pub fn into_owned(self) -> Meta<'static> {
        let own = |s: Cow<'_, str>| Cow::Owned(s.into_owned());
        Meta {
            service: self.service.into_owned(),
            time: self.time.into_owned(),
            ip: self.ip.map(own),
            user: self.user.map(own),
            msg_id: self.msg_id.into_owned(),
            correlation_id: self.correlation_id.into_owned(),
            causation_id: self.causation_id.map(NonEmptyStr::into_owned),
            traceparent: self.traceparent.map(own),
            schema_version: self.schema_version.map(SchemaVersion::into_owned),
            headers: self.headers.map(Headers::into_owned),
            extras: self.extras.into_owned(),
        }
    }

    /// Reads a meta object; error paths are relative to it.
    pub(crate) fn decode(doc: &Doc<'a>, object: Raw<'a>) -> Result<Meta<'a>, JsonError> {
        let mut service = None;
        let mut time = None;
        let mut ip = None;
        let mut user = None;
        let mut msg_id = None;
        let mut correlation_id = None;
        let mut causation_id = None;
        let mut traceparent = None;
        let mut schema_version = None;
        let mut headers = None;
        let mut extras = Extras::new();
        doc.object(object, |key, v| {
            let result = match key.as_ref() {
                "service" => doc.once(&service, &key, v).and_then(|()| {
                    service = Some(NonEmptyStr::read(doc, v)?);
                    Ok(())
                }),
                "time" => doc.once(&time, &key, v).and_then(|()| {
                    time = Some(doc.timestamp(v)?);
                    Ok(())
                }),
                "ip" => doc.once(&ip, &key, v).and_then(|()| {
                    ip = Some(doc.string(v)?);
                    Ok(())
                }),
                "user" => doc.once(&user, &key, v).and_then(|()| {
                    user = Some(doc.string(v)?);
                    Ok(())
                }),
                "msgId" => doc.once(&msg_id, &key, v).and_then(|()| {
                    msg_id = Some(NonEmptyStr::read(doc, v)?);
                    Ok(())
                }),
                "correlationId" => doc.once(&correlation_id, &key, v).and_then(|()| {
                    correlation_id = Some(NonEmptyStr::read(doc, v)?);
                    Ok(())
                }),
                "causationId" => doc.once(&causation_id, &key, v).and_then(|()| {
                    causation_id = Some(NonEmptyStr::read(doc, v)?);
                    Ok(())
                }),
                "traceparent" => doc.once(&traceparent, &key, v).and_then(|()| {
                    traceparent = Some(doc.string(v)?);
                    Ok(())
                }),
                "schemaVersion" => doc.once(&schema_version, &key, v).and_then(|()| {
                    schema_version = Some(match v.kind() {
                        Kind::String => SchemaVersion::Text(doc.string(v)?),
                        Kind::Number => SchemaVersion::Number(doc.number(v)?),
                        _ => return Err(doc.type_error(v, "a string or a number")),
                    });
                    Ok(())
                }),
                "headers" => doc.once(&headers, &key, v).and_then(|()| {
                    let mut h = Extras::new();
                    doc.object(v, |k, value| h.keep(doc, k, value, MEMBER_DEPTH + 1))?;
                    headers = Some(Headers(h));
                    Ok(())
                }),
                _ => return extras.keep(doc, key, v, MEMBER_DEPTH),
            };
            result.map_err(|e| e.in_field(&key))
        })?;
        Ok(Meta {
            service: required(doc, object, service, "service")?,
            time: required(doc, object, time, "time")?,
            ip,
            user,
            msg_id: required(doc, object, msg_id, "msgId")?,
            correlation_id: required(doc, object, correlation_id, "correlationId")?,
            causation_id,
            traceparent,
            schema_version,
            headers,
            extras,
        })
    }

    /// Writes the canonical meta object (`spec/command.md` §6.2).
    pub(crate) fn write<W: Write + ?Sized>(&self, w: &mut W) -> fmt::Result {
        w.write_str("{\"service\":")?;
        write::string(w, self.service.as_str())?;
        w.write_str(",\"time\":")?;
        write::string(w, self.time.as_str())?;
        if let Some(ip) = &self.ip {
            w.write_str(",\"ip\":")?;
            write::string(w, ip)?;
        }
        if let Some(user) = &self.user {
            w.write_str(",\"user\":")?;
            write::string(w, user)?;
        }
        w.write_str(",\"msgId\":")?;
        write::string(w, self.msg_id.as_str())?;
        w.write_str(",\"correlationId\":")?;
        write::string(w, self.correlation_id.as_str())?;
        if let Some(id) = &self.causation_id {
            w.write_str(",\"causationId\":")?;
            write::string(w, id.as_str())?;
        }
        if let Some(tp) = &self.traceparent {
            w.write_str(",\"traceparent\":")?;
            write::string(w, tp)?;
        }
        match &self.schema_version {
            Some(SchemaVersion::Text(t)) => {
                w.write_str(",\"schemaVersion\":")?;
                write::string(w, t)?;
            }
            Some(SchemaVersion::Number(n)) => {
                w.write_str(",\"schemaVersion\":")?;
                w.write_str(n.as_str())?;
            }
            None => {}
        }
        if let Some(headers) = &self.headers {
            w.write_str(",\"headers\":")?;
            write_members(w, headers.iter(), true)?;
        }
        write_members(w, self.extras.iter(), false)?;
        w.write_char('}')
    }
}

/// Writes members as `,"key":value` (or as a whole object when `object` is set).
pub(crate) fn write_members<'m, W: Write + ?Sized>(
    w: &mut W,
    members: impl Iterator<Item = (&'m str, &'m str)>,
    object: bool,
) -> fmt::Result {
    if object {
        w.write_char('{')?;
    }
    for (i, (key, value)) in members.enumerate() {
        if i > 0 || !object {
            w.write_char(',')?;
        }
        write::string(w, key)?;
        w.write_char(':')?;
        w.write_str(value)?;
    }
    if object {
        w.write_char('}')?;
    }
    Ok(())
}

/// Sets an extra member after the checks a decoder would make of it.
pub(crate) fn insert_extra<'a>(
    extras: &mut Extras<'a>,
    known: &[&str],
    depth: usize,
    key: Cow<'a, str>,
    value: RawJson<'a>,
) -> Result<(), JsonError> {
    if known.contains(&key.as_ref()) {
        return Err(JsonError::new(
            JsonErrorKind::DuplicateKey {
                key: key.clone().into_owned(),
            },
            0,
        )
        .in_field(&key));
    }
    check_free_form(&value, depth).map_err(|e| e.in_field(&key))?;
    extras.insert(key, value);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trace_parents() {
        let tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        let parsed = TraceParent::parse(tp).expect("valid");
        assert_eq!(parsed.version, 0);
        assert!(parsed.sampled());
        assert_eq!(parsed.to_string(), tp);
        let future = "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00-what-ever";
        assert!(TraceParent::parse(future).is_some());
        for bad in [
            "",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-",
            "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x",
            "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0g",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-é",
        ] {
            assert_eq!(TraceParent::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn header_strings() {
        let mut h = Headers::new();
        let v = |s: &str| RawJson::new(s.to_owned()).expect("json");
        h.insert("a", v(r#""plain""#)).expect("ok");
        h.insert("b", v(r#""esc\u0041""#)).expect("ok");
        h.insert("c", v("1")).expect("ok");
        assert!(matches!(h.get_str("a"), Some(Cow::Borrowed("plain"))));
        assert_eq!(h.get_str("b").as_deref(), Some("escA"));
        assert_eq!(h.get_str("c"), None);
        let deep = format!("{}{}", "[".repeat(40), "]".repeat(40));
        assert_eq!(
            h.insert("d", v(&deep)).map_err(|e| e.class()),
            Err("json.depth")
        );
    }
}
