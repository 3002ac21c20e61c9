//! The command an envelope carries (`spec/command.md` §4), read from any of its three
//! encodings and written in any of them.

use std::borrow::Cow;
use std::fmt::{self, Write};
use std::str::FromStr;

use smallvec::SmallVec;

use super::meta::check_free_form;
use super::timing::Timeout;
use super::{Dialect, text};
use crate::json::write;
use crate::json::{Doc, JsonError, JsonErrorKind, Kind, Number, Raw, RawJson};

/// The nesting depth of a command's arguments: the document is 1, the command member 2,
/// the elements of `["Heartbeat",10]` and the members of `{"TAG":…,"_0":…}` 3. Arguments
/// of the string form count as at the same depth, so that every encoding of a command
/// passes or fails the limit alike.
const ARG_DEPTH: usize = 3;

/// The payload of `ConnectPlugin`: the connecting plugin's definition, a JSON object
/// whose schema belongs to the framework, kept verbatim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginDefinition<'a>(RawJson<'a>);

impl<'a> PluginDefinition<'a> {
    /// A definition from its JSON text: it must be an object, within the nesting limit
    /// and without duplicate keys, as a decoder requires (`spec/command.md` §4.5).
    pub fn new(value: RawJson<'_>) -> Result<PluginDefinition<'static>, JsonError> {
        let found = value.kind();
        if found != Kind::Object {
            let kind = JsonErrorKind::Type {
                expected: "an object",
                found,
            };
            return Err(JsonError::new(kind, 0));
        }
        check_free_form(&value, ARG_DEPTH)?;
        Ok(PluginDefinition(value.into_owned()))
    }

    /// The definition's JSON text.
    pub fn get(&self) -> &str {
        self.0.get()
    }

    /// A copy that owns its text.
    pub fn into_owned(self) -> PluginDefinition<'static> {
        PluginDefinition(self.0.into_owned())
    }
}

/// A command this version of heartwire does not know, kept whole so that a monitor
/// passes on what a newer peer sent: its name and its arguments verbatim
/// (`spec/command.md` §4.6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtherCommand<'a> {
    name: Cow<'a, str>,
    // A Vec, not a SmallVec: it keeps the type covariant, so commands decoded from
    // different buffers compare; unknown commands are rare enough to allocate.
    args: Vec<RawJson<'a>>,
}

/// The names of the commands heartwire knows.
pub(crate) const KNOWN: [&str; 4] = [
    "Heartbeat",
    "RedetectPlugin",
    "ConnectPlugin",
    "DisconnectPlugin",
];

impl<'a> OtherCommand<'a> {
    /// An unknown command from its name and arguments. The name must follow the
    /// grammar of §4.2 and not be a known command's (that would decode as the known
    /// one); each argument must pass the checks a decoder makes (nesting, duplicates).
    pub fn new(
        name: impl Into<Cow<'a, str>>,
        args: impl IntoIterator<Item = RawJson<'a>>,
    ) -> Result<OtherCommand<'a>, JsonError> {
        let name = name.into();
        if !text::is_name(&name) || KNOWN.contains(&name.as_ref()) {
            let expected = "a command name other than the known ones";
            return Err(JsonError::new(JsonErrorKind::Value { expected }, 0));
        }
        let mut kept = Vec::new();
        for (i, arg) in args.into_iter().enumerate() {
            check_free_form(&arg, ARG_DEPTH).map_err(|e| e.in_index(i + 1))?;
            kept.push(arg);
        }
        Ok(OtherCommand { name, args: kept })
    }

    /// The command's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The arguments, in order, as given.
    pub fn args(&self) -> &[RawJson<'a>] {
        &self.args
    }

    /// A copy that owns its text.
    pub fn into_owned(self) -> OtherCommand<'static> {
        OtherCommand {
            name: Cow::Owned(self.name.into_owned()),
            args: self.args.into_iter().map(RawJson::into_owned).collect(),
        }
    }
}

/// A command of the Platform.Plugin extension point (`spec/command.md` §4.5): the same
/// value whichever encoding it came in, `"Heartbeat(10)"`, `["Heartbeat",10]` or
/// `{"TAG":"Heartbeat","_0":10}`.
///
/// ```
/// use heartwire::command::Command;
///
/// let beat: Command<'static> = "Heartbeat(5)".parse()?;
/// assert_eq!(beat.timeout().map(|t| t.minutes().get()), Some(5));
/// assert_eq!(beat.to_string(), "Heartbeat(5)");
///
/// let unknown: Command<'static> = "RegisterUiFragment({\"id\":\"x\"})".parse()?;
/// assert_eq!(unknown.name(), "RegisterUiFragment");
/// # Ok::<(), heartwire::json::JsonError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command<'a> {
    /// `Heartbeat(timeout)`: the plugin is alive and beats again within `minutes`.
    Heartbeat {
        /// The interval in minutes (§5.1).
        minutes: Timeout<'a>,
    },
    /// `RedetectPlugin(timeout)`: sent once on every deploy; re-runs the connect
    /// handshake and re-arms the disconnect like a heartbeat.
    RedetectPlugin {
        /// The interval in minutes (§5.1).
        minutes: Timeout<'a>,
    },
    /// `ConnectPlugin` or `ConnectPlugin(definition)`: a plugin connects. The reference
    /// lists the variant bare and the framework's code carries a definition; both occur,
    /// and a monitor must not reject either.
    ConnectPlugin {
        /// The plugin's definition, verbatim.
        definition: Option<PluginDefinition<'a>>,
    },
    /// `DisconnectPlugin`: the plugin is gone (sent by the disconnect schedule).
    DisconnectPlugin,
    /// Any other command, kept whole.
    Other(OtherCommand<'a>),
}

impl<'a> Command<'a> {
    /// A heartbeat of `minutes` minutes.
    pub fn heartbeat(minutes: u32) -> Command<'static> {
        Command::Heartbeat {
            minutes: Timeout::from_minutes(minutes),
        }
    }

    /// The command's name: `Heartbeat`, `DisconnectPlugin`, ...
    pub fn name(&self) -> &str {
        match self {
            Command::Heartbeat { .. } => "Heartbeat",
            Command::RedetectPlugin { .. } => "RedetectPlugin",
            Command::ConnectPlugin { .. } => "ConnectPlugin",
            Command::DisconnectPlugin => "DisconnectPlugin",
            Command::Other(other) => other.name(),
        }
    }

    /// The timeout of a `Heartbeat` or `RedetectPlugin`, the two commands that re-arm
    /// the disconnect; `None` for the others.
    pub const fn timeout(&self) -> Option<&Timeout<'a>> {
        match self {
            Command::Heartbeat { minutes } | Command::RedetectPlugin { minutes } => Some(minutes),
            _ => None,
        }
    }

    /// The arguments' JSON texts, in order.
    fn args(&self) -> SmallVec<[&str; 2]> {
        match self {
            Command::Heartbeat { minutes } | Command::RedetectPlugin { minutes } => {
                minutes.number().map(Number::as_str).into_iter().collect()
            }
            Command::ConnectPlugin { definition } => {
                definition.iter().map(PluginDefinition::get).collect()
            }
            Command::DisconnectPlugin => SmallVec::new(),
            Command::Other(other) => other.args.iter().map(RawJson::get).collect(),
        }
    }

    /// A copy that owns its text.
    pub fn into_owned(self) -> Command<'static> {
        match self {
            Command::Heartbeat { minutes } => Command::Heartbeat {
                minutes: minutes.into_owned(),
            },
            Command::RedetectPlugin { minutes } => Command::RedetectPlugin {
                minutes: minutes.into_owned(),
            },
            Command::ConnectPlugin { definition } => Command::ConnectPlugin {
                definition: definition.map(PluginDefinition::into_owned),
            },
            Command::DisconnectPlugin => Command::DisconnectPlugin,
            Command::Other(other) => Command::Other(other.into_owned()),
        }
    }

    /// Reads the command member's value in any encoding; error paths are relative to
    /// the member (the caller adds its key).
    pub(crate) fn decode(doc: &Doc<'a>, raw: Raw<'a>) -> Result<Command<'a>, JsonError> {
        match raw.kind() {
            Kind::String => {
                let quote = doc.offset(raw);
                match doc.string(raw)? {
                    Cow::Borrowed(text) => from_text(text, Some(quote + 1), quote),
                    // Escapes: offsets inside the text do not map onto the document.
                    Cow::Owned(text) => from_text(&text, None, quote).map(Command::into_owned),
                }
            }
            Kind::Array => from_array(doc, raw),
            Kind::Object => from_object(doc, raw),
            _ => Err(doc.type_error(raw, "a string, an array or an object")),
        }
    }

    /// Writes the command member's value in a dialect (`spec/command.md` §6.1).
    pub(crate) fn write<W: Write + ?Sized>(&self, dialect: Dialect, w: &mut W) -> fmt::Result {
        let args = self.args();
        match dialect {
            Dialect::Sury if args.is_empty() => write::string(w, self.name()),
            Dialect::Sury => {
                w.write_str("{\"TAG\":")?;
                write::string(w, self.name())?;
                for (i, arg) in args.iter().enumerate() {
                    write!(w, ",\"_{i}\":{arg}")?;
                }
                w.write_char('}')
            }
            Dialect::Decco => {
                w.write_char('[')?;
                write::string(w, self.name())?;
                for arg in &args {
                    w.write_char(',')?;
                    w.write_str(arg)?;
                }
                w.write_char(']')
            }
            Dialect::Seed => {
                w.write_char('"')?;
                write!(write::Escaping(w), "{self}")?;
                w.write_char('"')
            }
        }
    }
}

impl fmt::Display for Command<'_> {
    /// The string form: `Heartbeat(10)`, `DisconnectPlugin`, `Foo(1,"a")`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())?;
        let args = self.args();
        if !args.is_empty() {
            f.write_char('(')?;
            for (i, arg) in args.iter().enumerate() {
                if i > 0 {
                    f.write_char(',')?;
                }
                f.write_str(arg)?;
            }
            f.write_char(')')?;
        }
        Ok(())
    }
}

impl FromStr for Command<'static> {
    type Err = JsonError;

    /// Reads the string form; offsets count from the start of `s`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        from_text(s, Some(0), 0).map(Command::into_owned)
    }
}

/// Where an argument sits in its encoding, to name it in errors.
#[derive(Debug)]
enum Seg<'a> {
    /// An argument of the string form: the path is the command member's.
    Text,
    /// Element `i` of the array form.
    Index(usize),
    /// Member `_i` of the object form.
    Field(Cow<'a, str>),
}

impl Seg<'_> {
    /// Adds the place to the path of an error inside the argument.
    fn place(&self, e: JsonError) -> JsonError {
        match self {
            Seg::Text => e,
            Seg::Index(i) => e.in_index(*i),
            Seg::Field(k) => e.in_field(k),
        }
    }
}

/// One argument, whichever encoding it came from, read once: scanned with its
/// document and checked by the rules of a free-form value, its number kept as read.
#[derive(Debug)]
struct Arg<'a> {
    raw: Raw<'a>,
    /// The argument as a number, when it is one.
    number: Option<Number<'a>>,
    offset: usize,
    seg: Seg<'a>,
}

impl<'a> Arg<'a> {
    /// A free-form argument, checked as a decoder checks it (nesting, duplicates, the
    /// range of numbers); `offset` is where it starts in the document.
    fn read(doc: &Doc<'a>, v: Raw<'a>, offset: usize, seg: Seg<'a>) -> Result<Arg<'a>, JsonError> {
        let number = match v.kind() {
            // Doc::number holds the shared rules for numbers (a finite double).
            Kind::Number => doc.number(v).map(Some),
            _ => doc.free_form(v, ARG_DEPTH).map(|()| None),
        }
        .map_err(|e| seg.place(e))?;
        Ok(Arg {
            raw: v,
            number,
            offset,
            seg,
        })
    }

    fn error(&self, kind: JsonErrorKind) -> JsonError {
        self.place(JsonError::new(kind, self.offset))
    }

    /// Adds the argument's place to the path of an error inside it.
    fn place(&self, e: JsonError) -> JsonError {
        self.seg.place(e)
    }

    fn into_raw(self) -> RawJson<'a> {
        RawJson::read(self.raw)
    }

    /// The argument as a number, kept as its text.
    fn number(&self) -> Result<Number<'a>, JsonError> {
        self.number.clone().ok_or_else(|| {
            self.error(JsonErrorKind::Type {
                expected: "a number of minutes",
                found: self.raw.kind(),
            })
        })
    }
}

/// The error for the command value itself (too few arguments, no name).
fn whole(offset: usize, expected: &'static str) -> JsonError {
    JsonError::new(JsonErrorKind::Value { expected }, offset)
}

/// Builds a command from its name and arguments, by the rules of §4.5 and §4.6. No
/// known command requires an argument, so every error is at an argument.
fn from_parts<'a>(
    name: Cow<'a, str>,
    args: SmallVec<[Arg<'a>; 2]>,
) -> Result<Command<'a>, JsonError> {
    let too_many = |args: &[Arg<'_>], max: usize, expected: &'static str| match args.get(max) {
        Some(extra) => Err(extra.error(JsonErrorKind::Value { expected })),
        None => Ok(()),
    };
    let timeout = |args: &[Arg<'a>]| -> Result<Timeout<'a>, JsonError> {
        too_many(args, 1, "at most one argument, the timeout")?;
        Ok(match args.first() {
            None => Timeout::unset(),
            Some(arg) => Timeout::from_number(arg.number()?),
        })
    };
    Ok(match name.as_ref() {
        "Heartbeat" => Command::Heartbeat {
            minutes: timeout(&args)?,
        },
        "RedetectPlugin" => Command::RedetectPlugin {
            minutes: timeout(&args)?,
        },
        "ConnectPlugin" => {
            too_many(&args, 1, "at most one argument, the plugin definition")?;
            let Some(arg) = args.into_iter().next() else {
                return Ok(Command::ConnectPlugin { definition: None });
            };
            let kind = arg.raw.kind();
            if kind != Kind::Object {
                let expected = "an object, the plugin definition";
                return Err(arg.error(JsonErrorKind::Type {
                    expected,
                    found: kind,
                }));
            }
            Command::ConnectPlugin {
                definition: Some(PluginDefinition(arg.into_raw())),
            }
        }
        "DisconnectPlugin" => {
            too_many(&args, 0, "no argument")?;
            Command::DisconnectPlugin
        }
        _ => Command::Other(OtherCommand {
            name,
            args: args.into_iter().map(Arg::into_raw).collect(),
        }),
    })
}

/// The string form. `base` is the document offset of the text's first byte when the
/// text is a slice of the document (no escapes); otherwise every error points at
/// `quote`, the string's opening quote.
fn from_text(text: &str, base: Option<usize>, quote: usize) -> Result<Command<'_>, JsonError> {
    let pos = |offset: usize| base.map_or(quote, |b| b + offset);
    let parsed = text::parse(text).map_err(|(offset, expected)| whole(pos(offset), expected))?;
    let mut args = SmallVec::new();
    for (value, offset) in parsed.args {
        // An argument that is no JSON value fails at its first byte (JSON parsers
        // disagree on where inside it); depth and duplicate errors point inside it.
        let shift = |mut e: JsonError| {
            if let JsonErrorKind::Syntax { .. } = e.kind {
                e.kind = JsonErrorKind::Value {
                    expected: "an argument that is a JSON value",
                };
                e.offset = 0;
            }
            e.offset = pos(offset + e.offset);
            e
        };
        let (sub, raw) = Doc::parse(value.as_bytes()).map_err(shift)?;
        let arg = Arg::read(&sub, raw, pos(offset), Seg::Text).map_err(shift)?;
        args.push(arg);
    }
    from_parts(Cow::Borrowed(parsed.name), args)
}

/// A variant name from a JSON string member, checked against the name grammar.
fn read_name<'a>(doc: &Doc<'a>, raw: Raw<'a>) -> Result<Cow<'a, str>, JsonError> {
    let name = doc.string(raw)?;
    if text::is_name(&name) {
        Ok(name)
    } else {
        Err(doc.value_error(
            raw,
            "a command name (a letter, then letters, digits or '_')",
        ))
    }
}

/// The decco form, `["Heartbeat",10]`.
fn from_array<'a>(doc: &Doc<'a>, raw: Raw<'a>) -> Result<Command<'a>, JsonError> {
    let mut name = None;
    let mut args = SmallVec::new();
    doc.array(raw, |i, v| {
        if i == 0 {
            name = Some(read_name(doc, v).map_err(|e| e.in_index(0))?);
        } else {
            let arg = Arg::read(doc, v, doc.offset(v), Seg::Index(i))?;
            args.push(arg);
        }
        Ok(())
    })?;
    let Some(name) = name else {
        return Err(doc.value_error(raw, "the command name as the first element"));
    };
    from_parts(name, args)
}

/// The index of a positional member `_0`, `_1`, ... (no leading zeros).
fn position(key: &str) -> Option<usize> {
    let digits = key.strip_prefix('_')?;
    let well_formed = !digits.is_empty()
        && digits.len() <= 9
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (digits == "0" || !digits.starts_with('0'));
    well_formed.then(|| digits.parse().ok()).flatten()
}

/// The sury form, `{"TAG":"Heartbeat","_0":10}`.
fn from_object<'a>(doc: &Doc<'a>, raw: Raw<'a>) -> Result<Command<'a>, JsonError> {
    let mut name = None;
    let mut args: SmallVec<[(usize, Arg<'a>); 2]> = SmallVec::new();
    doc.object(raw, |key, v| {
        if key == "TAG" {
            doc.once(&name, &key, v).map_err(|e| e.in_field(&key))?;
            name = Some(read_name(doc, v).map_err(|e| e.in_field(&key))?);
            return Ok(());
        }
        let Some(index) = position(&key) else {
            let expected = "only \"TAG\" and the arguments \"_0\", \"_1\", ...";
            return Err(doc.value_error(v, expected).in_field(&key));
        };
        if args.iter().any(|(i, _)| *i == index) {
            return Err(doc.duplicate(&key, v).in_field(&key));
        }
        let arg = Arg::read(doc, v, doc.offset(v), Seg::Field(key))?;
        args.push((index, arg));
        Ok(())
    })?;
    let Some(name) = name else {
        let missing = JsonErrorKind::Missing { field: "TAG" };
        return Err(JsonError::new(missing, doc.offset(raw)));
    };
    args.sort_unstable_by_key(|(i, _)| *i);
    if let Some((_, gap)) = args
        .iter()
        .enumerate()
        .find(|(n, (i, _))| n != i)
        .map(|(_, a)| a)
    {
        let expected = "arguments \"_0\", \"_1\", ... without a gap";
        return Err(gap.error(JsonErrorKind::Value { expected }));
    }
    let args = args.into_iter().map(|(_, arg)| arg).collect();
    from_parts(name, args)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(json: &str) -> Result<Command<'_>, (String, usize, String)> {
        let (doc, raw) = Doc::parse(json.as_bytes())
            .map_err(|e| (e.class().into(), e.offset, e.path.clone()))?;
        Command::decode(&doc, raw).map_err(|e| (e.class().into(), e.offset, e.path))
    }

    fn written(c: &Command<'_>, dialect: Dialect) -> String {
        let mut s = String::new();
        c.write(dialect, &mut s).expect("String");
        s
    }

    #[test]
    fn every_encoding_is_the_same_value() {
        let beat = Command::heartbeat(10);
        for form in [
            r#""Heartbeat(10)""#,
            r#""Heartbeat( 10 )""#,
            r#"["Heartbeat",10]"#,
            r#"[ "Heartbeat" , 10 ]"#,
            r#"{"TAG":"Heartbeat","_0":10}"#,
            r#"{"_0":10,"TAG":"Heartbeat"}"#,
        ] {
            assert_eq!(decode(form), Ok(beat.clone()), "{form}");
        }
        for form in [
            r#""DisconnectPlugin""#,
            r#"["DisconnectPlugin"]"#,
            r#"{"TAG":"DisconnectPlugin"}"#,
        ] {
            assert_eq!(decode(form), Ok(Command::DisconnectPlugin), "{form}");
        }
        assert_eq!(
            written(&beat, Dialect::Sury),
            r#"{"TAG":"Heartbeat","_0":10}"#
        );
        assert_eq!(written(&beat, Dialect::Decco), r#"["Heartbeat",10]"#);
        assert_eq!(written(&beat, Dialect::Seed), r#""Heartbeat(10)""#);
        let gone = Command::DisconnectPlugin;
        assert_eq!(written(&gone, Dialect::Sury), r#""DisconnectPlugin""#);
        assert_eq!(written(&gone, Dialect::Decco), r#"["DisconnectPlugin"]"#);
    }

    #[test]
    fn unknown_commands_survive_every_dialect() {
        let json = r#"["ForwardCommand",{"extensionPointName":"Orders","id":"o-1","command":"[\"Ship\"]"},true]"#;
        let other = decode(json).expect("decodes");
        assert!(matches!(&other, Command::Other(o) if o.args().len() == 2));
        for dialect in [Dialect::Seed, Dialect::Decco, Dialect::Sury] {
            let text = written(&other, dialect);
            let again = decode(&text).map(Command::into_owned);
            assert_eq!(again, Ok(other.clone().into_owned()), "{dialect:?}: {text}");
        }
    }

    #[test]
    fn strings_with_escapes_point_at_the_quote() {
        assert_eq!(
            decode(r#""Heartbeat(\"10\")""#),
            Err(("json.type".into(), 0, String::new()))
        );
        assert_eq!(
            decode(r#""Heartbeat(\u0031\u0030)""#),
            Ok(Command::heartbeat(10))
        );
        assert_eq!(
            decode(r#""Heartbeat(1)x""#),
            Err(("json.value".into(), 13, String::new()))
        );
    }

    #[test]
    fn rejections() {
        let err = |json| decode(json).map(|_| ());
        let e = |c: &str, o: usize, p: &str| Err((c.to_owned(), o, p.to_owned()));
        assert_eq!(err(r#""Heartbeat(1,2)""#), e("json.value", 13, ""));
        assert_eq!(err(r#""Heartbeat(tru)""#), e("json.value", 11, ""));
        assert_eq!(err(r#""Heartbeat(1e999)""#), e("json.value", 11, ""));
        assert_eq!(err(r#"["Heartbeat","10"]"#), e("json.type", 13, "[1]"));
        assert_eq!(err(r#"["DisconnectPlugin",1]"#), e("json.value", 20, "[1]"));
        assert_eq!(
            err(r#"["ConnectPlugin"]"#),
            Ok(()),
            "a bare ConnectPlugin is fine"
        );
        assert_eq!(
            err(r#"["ConnectPlugin",{},{}]"#),
            e("json.value", 20, "[2]")
        );
        assert_eq!(err(r#"["ConnectPlugin",[]]"#), e("json.type", 17, "[1]"));
        assert_eq!(err(r#"[]"#), e("json.value", 0, ""));
        assert_eq!(err(r#"[1]"#), e("json.type", 1, "[0]"));
        assert_eq!(err(r#"["heart beat"]"#), e("json.value", 1, "[0]"));
        assert_eq!(err(r#"{"_0":10}"#), e("json.missing", 0, ""));
        assert_eq!(
            err(r#"{"TAG":"Heartbeat","_1":10}"#),
            e("json.value", 24, "_1")
        );
        assert_eq!(
            err(r#"{"TAG":"Foo","_0":1,"_00":2}"#),
            e("json.value", 26, "_00")
        );
        assert_eq!(err(r#"{"TAG":"Foo","a":1}"#), e("json.value", 17, "a"));
        assert_eq!(err(r#"{"TAG":1}"#), e("json.type", 7, "TAG"));
        assert_eq!(
            err(r#"{"TAG":"A","TAG":"B"}"#),
            e("json.duplicate", 11, "TAG")
        );
        assert_eq!(err("10"), e("json.type", 0, ""));
    }

    #[test]
    fn unknown_names_and_known_names() {
        let c: Command<'static> = "RegisterUiFragment(\"x\",1)".parse().expect("parses");
        assert_eq!(c.to_string(), "RegisterUiFragment(\"x\",1)");
        let raw = |s: &str| RawJson::new(s.to_owned()).expect("json");
        assert!(OtherCommand::new("Heartbeat", []).is_err());
        assert!(OtherCommand::new("with space", []).is_err());
        let ok = OtherCommand::new("Custom", [raw("{\"a\":1}")]).expect("valid");
        assert_eq!(Command::Other(ok).to_string(), "Custom({\"a\":1})");
        assert!(PluginDefinition::new(raw("[1]")).is_err());
    }
}
