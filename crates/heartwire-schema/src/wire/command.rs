//! The Reventless command envelope (`spec/command.md`).

use std::borrow::Cow;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
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

/// The string form of a command (spec/command.md §4.2) with the arguments of the known
/// commands: `Heartbeat` and `RedetectPlugin` bare or with one number, `ConnectPlugin`
/// bare or with one object, `DisconnectPlugin` bare; any other name with any arguments
/// in parentheses.
pub const COMMAND_TEXT_PATTERN: &str = concat!(
    r"^((Heartbeat|RedetectPlugin)(\(",
    ws!(),
    number!(),
    ws!(),
    r"\))?",
    r"|ConnectPlugin(\(",
    ws!(),
    r"\{[\s\S]*\}",
    ws!(),
    r"\))?",
    r"|DisconnectPlugin",
    r"|(?!(Heartbeat|RedetectPlugin|ConnectPlugin|DisconnectPlugin)(\(|$))[A-Za-z][A-Za-z0-9_]*(\([\s\S]+\))?)$"
);

/// The name of a command other than the four known ones.
const OTHER_NAME_PATTERN: &str =
    r"^(?!(Heartbeat|RedetectPlugin|ConnectPlugin|DisconnectPlugin)$)[A-Za-z][A-Za-z0-9_]*$";

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
    "additionalProperties" = true,
    // `command` and `commandJson` are two spellings of one member: exactly one of them.
    // Each branch names the member it requires, as ajv's strict mode asks.
    "oneOf" = [
        {"title": "WithCommand", "properties": {"command": {"$ref": "#/$defs/Command"}}, "required": ["command"]},
        {"title": "WithCommandJson", "properties": {"commandJson": {"$ref": "#/$defs/Command"}}, "required": ["commandJson"]}
    ],
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
    /// The command, under the key the framework sends; exactly one of `command` and
    /// `commandJson`.
    #[schemars(transform = never_null)]
    pub command: Option<Command>,
    /// The command, under the key the seed documents; exactly one of `command` and
    /// `commandJson`.
    #[schemars(rename = "commandJson")]
    #[schemars(transform = never_null)]
    pub command_json: Option<Command>,
}

/// # Meta
///
/// The envelope's metadata (spec/command.md §3). Other members are extra members, kept
/// verbatim.
#[derive(JsonSchema)]
#[schemars(extend("additionalProperties" = true))]
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
pub struct Command;

impl JsonSchema for Command {
    fn schema_name() -> Cow<'static, str> {
        "Command".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let branches = [
            generator.subschema_for::<CommandText>(),
            generator.subschema_for::<DeccoCommand>(),
            generator.subschema_for::<SuryCommand>(),
        ];
        json_schema!({
            "title": "Command",
            "description": concat!(
                "A command in one of the three encodings of a ReScript variant (spec/command.md §4): ",
                "the string form `\"Heartbeat(10)\"` (also sury's bare name `\"DisconnectPlugin\"`), ",
                "the decco array `[\"Heartbeat\",10]`, or the sury object `{\"TAG\":\"Heartbeat\",\"_0\":10}`. ",
                "The known commands take: `Heartbeat` and `RedetectPlugin` no argument or one number ",
                "(the interval in minutes), `ConnectPlugin` no argument or one object, ",
                "`DisconnectPlugin` none. Unknown commands are kept whole."
            ),
            "oneOf": branches,
        })
    }
}

/// # CommandText
///
/// The string form: `Heartbeat(10)`, `DisconnectPlugin`, `Custom(1,"a")`.
#[derive(JsonSchema)]
pub struct CommandText(#[schemars(regex(pattern = COMMAND_TEXT_PATTERN))] pub String);

/// The decco form of a command: the name, then the arguments, each position typed. The
/// closed tuples say `maxItems` as well as `items: false`, which datamodel-code-generator
/// needs to write them as `tuple[...]` rather than a list of any of their item types.
pub struct DeccoCommand;

impl JsonSchema for DeccoCommand {
    fn schema_name() -> Cow<'static, str> {
        "DeccoCommand".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "title": "DeccoCommand",
            "description": "The decco form of a command: `[\"Heartbeat\",10]`, `[\"DisconnectPlugin\"]`, `[\"Custom\",1,\"a\"]`.",
            "oneOf": [
                {
                    "title": "DeccoBare",
                    "description": "A known command without arguments: `[\"Heartbeat\"]`.",
                    "type": "array",
                    "prefixItems": [{"type": "string", "enum": ["Heartbeat", "RedetectPlugin", "ConnectPlugin", "DisconnectPlugin"]}],
                    "minItems": 1,
                    "maxItems": 1,
                    "items": false
                },
                {
                    "title": "DeccoInterval",
                    "description": "`Heartbeat` or `RedetectPlugin` with its interval in minutes: `[\"Heartbeat\",10]`.",
                    "type": "array",
                    "prefixItems": [{"type": "string", "enum": ["Heartbeat", "RedetectPlugin"]}, {"type": "number"}],
                    "minItems": 2,
                    "maxItems": 2,
                    "items": false
                },
                {
                    "title": "DeccoConnect",
                    "description": "`ConnectPlugin` with its object: `[\"ConnectPlugin\",{}]`.",
                    "type": "array",
                    "prefixItems": [{"type": "string", "const": "ConnectPlugin"}, {"type": "object"}],
                    "minItems": 2,
                    "maxItems": 2,
                    "items": false
                },
                {
                    "title": "DeccoOther",
                    "description": "Any other command, with any arguments: `[\"Custom\",1,\"a\"]`.",
                    "type": "array",
                    "prefixItems": [{"type": "string", "pattern": OTHER_NAME_PATTERN}],
                    "minItems": 1,
                    // `{}` rather than `true`, which means the same: quicktype reads `true`
                    // as no item type at all, and then refuses `true` and `null` arguments.
                    "items": {}
                }
            ]
        })
    }
}

/// The sury form of a command, by its `TAG`: the arguments are the members `_0`, `_1`, ...
pub struct SuryCommand;

impl JsonSchema for SuryCommand {
    fn schema_name() -> Cow<'static, str> {
        "SuryCommand".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let known = |title: &str, tag: &str, argument: Option<Value>| {
            let mut properties = Map::new();
            properties.insert(
                "TAG".into(),
                serde_json::json!({"type": "string", "const": tag}),
            );
            if let Some(argument) = argument {
                properties.insert("_0".into(), argument);
            }
            serde_json::json!({
                "title": title,
                "type": "object",
                "properties": properties,
                "required": ["TAG"],
                "additionalProperties": false
            })
        };
        let number = || {
            Some(serde_json::json!({"type": "number", "description": "The interval in minutes."}))
        };
        let mut other = serde_json::json!({
            "title": "SuryOther",
            "description": "Any other command; its arguments `_0`, `_1`, ... take any JSON value (the first five are named for generators, the rest allowed by `additionalProperties`, all spelt as `propertyNames` says).",
            "type": "object",
            "properties": {"TAG": {"type": "string", "pattern": OTHER_NAME_PATTERN}},
            "required": ["TAG"],
            // In an `allOf`, where generators leave it to the validators: as a sibling of
            // `properties`, datamodel-code-generator makes the object a map.
            "allOf": [{"propertyNames": {"pattern": r"^(TAG|_(0|[1-9][0-9]*))$"}}],
            "additionalProperties": true
        });
        for n in 0..5 {
            other["properties"][format!("_{n}")] = Value::Bool(true);
        }
        json_schema!({
            "title": "SuryCommand",
            "description": "The sury form of a command: `{\"TAG\":\"Heartbeat\",\"_0\":10}`; its arguments are the members `_0`, `_1`, ... (decimal, no leading zeros).",
            "oneOf": [
                known("SuryHeartbeat", "Heartbeat", number()),
                known("SuryRedetectPlugin", "RedetectPlugin", number()),
                known("SuryConnectPlugin", "ConnectPlugin", Some(serde_json::json!({"type": "object"}))),
                known("SuryDisconnectPlugin", "DisconnectPlugin", None),
                other
            ]
        })
    }
}
