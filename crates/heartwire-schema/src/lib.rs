//! # heartwire-schema
//!
//! JSON Schemas (draft 2020-12) of heartwire's JSON formats, for people who write
//! heartbeat publishers and monitors in other languages: the liveness record, the
//! Reventless command envelope in all three of its dialects, the Reventless schedule
//! with its three forms of rate, and the canonical JSON form of a beatit text message;
//! and the formats of the conformance suite and harness: the vector files (and the
//! liveness engine's scenario file), the suite manifest, the messages of both harness modes and the JSON report of `heartwire verify`.
//!
//! Each schema is derived with `schemars` from a type of [`wire`] whose doc comments are
//! its descriptions. The generated schemas are committed under `spec/schema/` and a test
//! fails when they differ from what this crate generates; `heartwire schema --out
//! spec/schema` writes them again.
//!
//! A schema-valid document is, as far as JSON Schema can say, a spec-valid one; what it
//! cannot say (duplicate keys, the size and depth limits, a date of the schedule
//! forms' separate year, month and day members that does not exist, ...) is listed in
//! `spec/schema/README.md` and `inexpressible.json`, and the agreement tests check that
//! list against every conformance vector. (A timestamp's date is checked: the
//! `date-time` format refuses 2025-02-29 where format checks are on.)
//!
//! ```
//! let schema = heartwire_schema::schema("record").expect("a known name");
//! assert_eq!(schema.get("title").and_then(|t| t.as_str()), Some("Liveness record"));
//! assert_eq!(
//!     heartwire_schema::id("record"),
//!     "https://heartwire.dev/schema/1.0/record.schema.json"
//! );
//! ```
#![forbid(unsafe_code)]

pub mod wire;

use schemars::generate::SchemaSettings;
use schemars::transform::{Transform, transform_subschemas};
use schemars::{JsonSchema, Schema};

/// The base of every `$id`: `https://heartwire.dev/schema/<version>/`, the version being
/// that of the wire formats (1.0). Each `$id` is this followed by the schema's file name.
/// An identifier, not necessarily a URL that can be fetched: the files are in
/// `spec/schema/` (spec/schema/README.md).
pub const BASE_ID: &str = "https://heartwire.dev/schema/1.0/";

/// One schema of the registry.
struct Entry {
    name: &'static str,
    generate: fn(schemars::SchemaGenerator) -> Schema,
}

/// Every schema, by name, in the order `heartwire schema` lists them.
const ENTRIES: &[Entry] = &[
    Entry {
        name: "text",
        generate: root::<wire::text::TextMessage>,
    },
    Entry {
        name: "record",
        generate: root::<wire::record::Record>,
    },
    Entry {
        name: "command",
        generate: root::<wire::command::Envelope>,
    },
    Entry {
        name: "schedule",
        generate: root::<wire::schedule::Schedule>,
    },
    Entry {
        name: "vectors",
        generate: root::<heartwire_harness::suite::VectorFile<'static>>,
    },
    Entry {
        name: "liveness-vectors",
        generate: root::<wire::liveness::LivenessVectorFile>,
    },
    Entry {
        name: "suite",
        generate: root::<heartwire_harness::suite::Manifest>,
    },
    Entry {
        name: "session-harness",
        generate: root::<wire::harness::FromHarness>,
    },
    Entry {
        name: "session-implementation",
        generate: root::<wire::harness::FromImplementation>,
    },
    Entry {
        name: "exec-answer",
        generate: root::<wire::harness::ExecAnswer>,
    },
    Entry {
        name: "report",
        generate: root::<heartwire_harness::report::Report>,
    },
    Entry {
        name: "alert",
        generate: root::<wire::alert::Alert>,
    },
];

fn root<T: JsonSchema>(generator: schemars::SchemaGenerator) -> Schema {
    generator.into_root_schema_for::<T>()
}

/// The names of all schemas: the formats (`text`, `record`, `command`, `schedule`), then
/// the conformance suite and harness (`vectors`, `liveness-vectors`, `suite`,
/// `session-harness`, `session-implementation`, `exec-answer`, `report`), then the
/// monitor's alert body (`alert`).
pub fn names() -> impl Iterator<Item = &'static str> {
    ENTRIES.iter().map(|entry| entry.name)
}

/// The file name of a schema under `spec/schema/`: `record.schema.json`.
pub fn file_name(name: &str) -> String {
    format!("{name}.schema.json")
}

/// The `$id` of a schema.
pub fn id(name: &str) -> String {
    format!("{BASE_ID}{}", file_name(name))
}

/// The schema of that name, or `None` for a name that is not one of [`names`].
pub fn schema(name: &str) -> Option<Schema> {
    let entry = ENTRIES.iter().find(|entry| entry.name == name)?;
    let settings = SchemaSettings::draft2020_12();
    let mut schema = (entry.generate)(settings.with_transform(StandardFormats).into_generator());
    schema.insert("$id".to_owned(), id(name).into());
    Some(schema)
}

/// A schema as it is written to its file: pretty-printed with two spaces, and a final
/// newline.
pub fn render(schema: &Schema) -> String {
    let mut text = serde_json::to_string_pretty(schema).unwrap_or_default();
    text.push('\n');
    text
}

/// The `format`s that JSON Schema defines (draft 2020-12 §7.3). schemars also writes its
/// own (`double`, `uint8`) for Rust types; validators ignore those, but they say nothing
/// about the wire, so they are removed.
const STANDARD_FORMATS: &[&str] = &[
    "date-time",
    "date",
    "time",
    "duration",
    "email",
    "idn-email",
    "hostname",
    "idn-hostname",
    "ipv4",
    "ipv6",
    "uri",
    "uri-reference",
    "iri",
    "iri-reference",
    "uuid",
    "uri-template",
    "json-pointer",
    "relative-json-pointer",
    "regex",
];

/// Removes every `format` that is not one of [`STANDARD_FORMATS`].
#[derive(Debug, Clone)]
struct StandardFormats;

impl Transform for StandardFormats {
    fn transform(&mut self, schema: &mut Schema) {
        let non_standard = schema
            .get("format")
            .and_then(|format| format.as_str())
            .is_some_and(|format| !STANDARD_FORMATS.contains(&format));
        if non_standard {
            schema.remove("format");
        }
        transform_subschemas(self, schema);
    }
}

/// The example of this crate's README (its page on crates.io), run as a doc test.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct CrateReadme;
