//! The Reventless command envelope (`spec/command.md`).

use schemars::JsonSchema;
use serde_json::{Map, Value};

use super::common::{NonEmptyString, Timestamp, never_null};

/// A JSON number as the string form of a command writes an argument (RFC 8259 §6).
macro_rules! number {
    () => {
        r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?"
    };
}

/// JSON white space, as the string form allows it around an argument.
macro_rules! ws {
    () => {
        r"[ \t\n\r]*"
    };
}

/// A command name (spec/command.md §4.2): a ReScript constructor, letters, digits and `_`
/// starting with a letter.
pub const NAME_PATTERN: &str = r"^[A-Za-z][A-Za-z0-9_]*$";

/// The string form of any command (spec/command.md §4.2): a name, and the arguments in
/// parentheses when there are any (JSON white space, line breaks included, may stand
/// around them).
pub const COMMAND_TEXT_PATTERN: &str = r"^[A-Za-z][A-Za-z0-9_]*(\([\s\S]+\))?$";

/// `Heartbeat` and `RedetectPlugin` in the string form: the bare name or one number.
const TIMED_TEXT_PATTERN: &str = concat!(
    r"^(Heartbeat|RedetectPlugin)(\(",
    ws!(),
    number!(),
    ws!(),
    r"\))?$"
);

/// `ConnectPlugin` in the string form: the bare name or one object.
const CONNECT_TEXT_PATTERN: &str =
    concat!(r"^ConnectPlugin(\(", ws!(), r"\{[\s\S]*\}", ws!(), r"\))?$");

/// # Reventless command envelope
///
/// A command of the Reventless framework in its envelope, as its SQS messages carry it:
/// `id` (the addressee, for plugins `name@version`), `meta`, and the command under the key
/// `command` or `commandJson` (exactly one of the two), in any of its three encodings
/// (spec/command.md). heartwire's canonical form is the sury dialect; the seed dialect
/// writes `"commandJson":"Heartbeat(10)"` and decco `"command":["Heartbeat",10]`. Other
/// members are extra members, kept verbatim.
#[derive(JsonSchema)]
#[schemars(extend(
    // `command` and `commandJson` are two spellings of one member: never both.
    "not" = {"required": ["command", "commandJson"]},
    "examples" = [
    {
        "id": "my-plugin@1.0.0",
        "meta": {
            "service": "Platform.Plugin",
            "time": "2024-01-26T10:30:00.000Z",
            "ip": "",
            "user": "Heartbeat",
            "msgId": "3f2b8c1e-9d4a-4e6b-8f3c-2a1d5e7b9c0f",
            "correlationId": "3f2b8c1e-9d4a-4e6b-8f3c-2a1d5e7b9c0f"
        },
        "command": {"TAG": "Heartbeat", "_0": 10}
    },
    {
        "id": "my-plugin@1.0.0",
        "meta": {
            "service": "CorePluginExtensionPoint",
            "time": "2024-01-26T10:30:00.000Z",
            "msgId": "3f2b8c1e-9d4a-4e6b-8f3c-2a1d5e7b9c0f",
            "correlationId": "3f2b8c1e-9d4a-4e6b-8f3c-2a1d5e7b9c0f"
        },
        "commandJson": "Heartbeat(10)"
    }
]
))]
pub struct Envelope {
    /// The addressee: for the plugin extension point the plugin id, often
    /// `name@version`. Not empty.
    pub id: NonEmptyString,
    /// Who sent the message, when, and the ids that chain it to others.
    pub meta: Meta,
    /// The command, under one of its two keys.
    #[schemars(flatten)]
    pub command: CommandMember,
}

/// The command's member: `command` (what the framework sends) or `commandJson` (what the
/// seed documents), exactly one of the two.
#[derive(JsonSchema)]
#[schemars(untagged)]
pub enum CommandMember {
    /// The key the framework sends.
    Command {
        /// The command.
        command: Command,
    },
    /// The key the seed documents.
    CommandJson {
        /// The command.
        #[schemars(rename = "commandJson")]
        command_json: Command,
    },
}

/// # Meta
///
/// The envelope's metadata (spec/command.md §3). Other members are extra members, kept
/// verbatim.
#[derive(JsonSchema)]
pub struct Meta {
    /// The service that sent the command or is addressed by it (`Platform.Plugin`,
    /// `Core.Plugin`, `CorePluginExtensionPoint`). Not empty.
    pub service: NonEmptyString,
    /// When the message was made, as JavaScript's `toISOString()` writes it.
    pub time: Timestamp,
    /// The sender's IP address; heartbeats send `""`. Optional, never `null`.
    #[schemars(transform = never_null)]
    pub ip: Option<String>,
    /// The user; heartbeats send `"Heartbeat"`. Optional, never `null`.
    #[schemars(transform = never_null)]
    pub user: Option<String>,
    /// This message's id (a UUID v4 when the framework makes it; not checked). Not empty.
    #[schemars(rename = "msgId")]
    pub msg_id: NonEmptyString,
    /// The id of the message that started the chain. Not empty.
    #[schemars(rename = "correlationId")]
    pub correlation_id: NonEmptyString,
    /// The id of the message that directly caused this one. Not empty.
    #[schemars(rename = "causationId")]
    #[schemars(transform = never_null)]
    pub causation_id: Option<NonEmptyString>,
    /// A W3C Trace Context `traceparent`, kept as written and never a reason to reject.
    #[schemars(transform = never_null)]
    pub traceparent: Option<String>,
    /// The schema version, a string or a number kept as written.
    #[schemars(rename = "schemaVersion")]
    #[schemars(transform = never_null)]
    pub schema_version: Option<SchemaVersion>,
    /// Headers, kept in order with their values verbatim.
    #[schemars(transform = never_null)]
    pub headers: Option<Map<String, Value>>,
}

/// A schema version: a string or a number.
#[derive(JsonSchema)]
#[schemars(untagged)]
pub enum SchemaVersion {
    /// As a string.
    Text(String),
    /// As a number, kept as written.
    Number(f64),
}

/// # Command
///
/// A command in one of the three encodings of a ReScript variant (spec/command.md §4):
/// the string form `"Heartbeat(10)"` (also sury's bare name `"DisconnectPlugin"`), the
/// decco array `["Heartbeat",10]`, or the sury object `{"TAG":"Heartbeat","_0":10}`. The
/// known commands take: `Heartbeat` and `RedetectPlugin` no argument or one number (the
/// interval in minutes), `ConnectPlugin` no argument or one object, `DisconnectPlugin`
/// none. Unknown commands are kept whole.
#[derive(JsonSchema)]
#[schemars(
    untagged,
    extend("allOf" = [
        {
            "if": {"type": "string", "pattern": r"^(Heartbeat|RedetectPlugin)(\(|$)"},
            "then": {"pattern": TIMED_TEXT_PATTERN}
        },
        {
            "if": {"type": "string", "pattern": r"^ConnectPlugin(\(|$)"},
            "then": {"pattern": CONNECT_TEXT_PATTERN}
        },
        {
            "if": {"type": "string", "pattern": r"^DisconnectPlugin(\(|$)"},
            "then": {"const": "DisconnectPlugin"}
        },
        {
            "if": {"type": "array", "prefixItems": [{"enum": ["Heartbeat", "RedetectPlugin"]}]},
            "then": {"maxItems": 2, "prefixItems": [true, {"type": "number"}]}
        },
        {
            "if": {"type": "array", "prefixItems": [{"const": "ConnectPlugin"}]},
            "then": {"maxItems": 2, "prefixItems": [true, {"type": "object"}]}
        },
        {
            "if": {"type": "array", "prefixItems": [{"const": "DisconnectPlugin"}]},
            "then": {"maxItems": 1}
        },
        {
            "if": {
                "type": "object",
                "properties": {"TAG": {"enum": ["Heartbeat", "RedetectPlugin"]}},
                "required": ["TAG"]
            },
            "then": {"propertyNames": {"enum": ["TAG", "_0"]}, "properties": {"_0": {"type": "number"}}}
        },
        {
            "if": {
                "type": "object",
                "properties": {"TAG": {"const": "ConnectPlugin"}},
                "required": ["TAG"]
            },
            "then": {"propertyNames": {"enum": ["TAG", "_0"]}, "properties": {"_0": {"type": "object"}}}
        },
        {
            "if": {
                "type": "object",
                "properties": {"TAG": {"const": "DisconnectPlugin"}},
                "required": ["TAG"]
            },
            "then": {"propertyNames": {"const": "TAG"}}
        }
    ])
)]
pub enum Command {
    /// The string form: `Heartbeat(10)`, `DisconnectPlugin`, `Custom(1,"a")`.
    Text(#[schemars(regex(pattern = COMMAND_TEXT_PATTERN))] String),
    /// The decco form: the name, then the arguments.
    Decco(DeccoCommand),
    /// The sury form: `TAG` and the arguments `_0`, `_1`, ... without gaps.
    Sury(SuryCommand),
}

/// The decco form of a command: `["Heartbeat",10]`, `["DisconnectPlugin"]`.
#[derive(JsonSchema)]
#[schemars(extend(
    "minItems" = 1,
    "prefixItems" = [{"type": "string", "pattern": NAME_PATTERN}]
))]
pub struct DeccoCommand(pub Vec<Value>);

/// The sury form of a command: `{"TAG":"Heartbeat","_0":10}`; its arguments are the
/// members `_0`, `_1`, ... (decimal, no leading zeros).
#[derive(JsonSchema)]
#[schemars(extend("propertyNames" = {"pattern": r"^(TAG|_(0|[1-9][0-9]*))$"}))]
pub struct SuryCommand {
    /// The command's name.
    #[schemars(regex(pattern = NAME_PATTERN))]
    #[schemars(rename = "TAG")]
    pub tag: String,
}
