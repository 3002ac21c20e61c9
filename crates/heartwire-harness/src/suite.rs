//! The conformance suite: the model of the vector files of `spec/vectors/`
//! (`spec/vectors/README.md`), the suite manifest (`spec/vectors/suite.json`) and the
//! files themselves, embedded in this crate.
//!
//! These types are plain serde structs: the vector files are read with them, and written
//! back with them (`heartwire vectors export`).

use std::collections::HashSet;
use std::fmt;
use std::sync::OnceLock;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};

/// A semantic version, `MAJOR.MINOR.PATCH`.
const SEMVER: &str = r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$";

/// Bytes as lower-case hex, two digits per byte.
const HEX: &str = r"^([0-9a-f]{2})*$";

/// A vector file: one suite of cases for one format.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(
    title = "heartwire conformance vector file",
    extend("examples" = [{
        "suite": "heartwire-text",
        "version": "1.0.0",
        "spec": "spec/text.md",
        "spec_version": "1.0.0",
        "format": "text",
        "cases": [{
            "id": "text.payload.beat.fraction",
            "description": "Python writes 0.5 for a float period",
            "section": "5.2",
            "operation": "decode",
            "input": {"subject": "heartbeat.my.process", "payload": "beat/0.5"},
            "expect": {
                "decoded": {"format": "text", "process": "my.process", "signal": "beat", "period": 0.5},
                "encoded": "heartbeat.my.process beat/0.5"
            }
        }]
    }])
)]
pub struct VectorFile<'a> {
    /// The suite's name: `heartwire-` and the format.
    #[schemars(regex(pattern = r"^heartwire-[a-z]+$"))]
    pub suite: String,
    /// The file's version (semver): a new case is a minor change, a changed expectation a
    /// major one.
    #[schemars(regex(pattern = SEMVER))]
    pub version: String,
    /// The chapter of the specification the cases test (`spec/text.md`).
    pub spec: String,
    /// The version of that chapter.
    #[schemars(regex(pattern = SEMVER))]
    pub spec_version: String,
    /// The format every case is in: `text`, `json`, `record`, `command`, `schedule`,
    /// `liveness` (scenarios of the receiving side, `spec/harness.md` §11), or
    /// `transport` (the broker addresses, `spec/transports.md` §7).
    #[schemars(extend("enum" = ["text", "json", "record", "command", "schedule", "liveness", "transport"]))]
    pub format: String,
    /// The cases, in no particular order.
    #[serde(borrow)]
    pub cases: Vec<Case<'a>>,
}

/// Which way a case runs: `decode`, `encode`, or an operation a chapter defines
/// (`classify`, `next`, ...), whose input is `input.args` and whose output is
/// `expect.result`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(from = "String", into = "String")]
pub enum Operation {
    /// Wire input to the canonical form.
    Decode,
    /// The canonical form (or any accepted form) to wire output.
    Encode,
    /// An operation a chapter defines, by name.
    Other(String),
}

impl Operation {
    /// The operation's name, as the vector files write it.
    pub fn as_str(&self) -> &str {
        match self {
            Operation::Decode => "decode",
            Operation::Encode => "encode",
            Operation::Other(name) => name,
        }
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<String> for Operation {
    fn from(name: String) -> Operation {
        match name.as_str() {
            "decode" => Operation::Decode,
            "encode" => Operation::Encode,
            _ => Operation::Other(name),
        }
    }
}

impl From<Operation> for String {
    fn from(operation: Operation) -> String {
        match operation {
            Operation::Decode => "decode".to_owned(),
            Operation::Encode => "encode".to_owned(),
            Operation::Other(name) => name,
        }
    }
}

/// One case.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Case<'a> {
    /// The stable id: `<format>.<area>.<name>` (a liveness scenario's may have no area:
    /// `liveness.stall`); never reused for another case.
    #[schemars(regex(pattern = r"^[a-z0-9-]+(\.[a-z0-9-]+)+$"))]
    pub id: String,
    /// What the case shows, in one line.
    #[schemars(length(min = 1))]
    pub description: String,
    /// The section of the chapter it tests (`5.2`).
    #[schemars(regex(pattern = r"^[0-9]+(\.[0-9]+)?$"))]
    pub section: String,
    /// Decode, encode, or a chapter's own operation.
    pub operation: Operation,
    /// The input.
    #[serde(borrow)]
    pub input: Input<'a>,
    /// The expected result.
    #[serde(borrow)]
    pub expect: Expect<'a>,
}

/// The input of a case: text fields, or `_hex` twins for bytes that are not UTF-8.
/// Exactly one of each pair is present.
#[derive(Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Input<'a> {
    /// A subject, as text (text format decode cases).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// A subject, as lower-case hex of its bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = HEX))]
    pub subject_hex: Option<String>,
    /// A payload, as text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payload: Option<String>,
    /// A payload, as hex of its bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = HEX))]
    pub payload_hex: Option<String>,
    /// A line form message (`<subject> <payload>`), as text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<String>,
    /// A line form message, as hex of its bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = HEX))]
    pub line_hex: Option<String>,
    /// The text of a JSON object (text format encode cases).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub json: Option<String>,
    /// A JSON document of a JSON format, as text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub document: Option<String>,
    /// A JSON document of a JSON format, as hex of its bytes (not UTF-8).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = HEX))]
    pub document_hex: Option<String>,
    /// The dialect an encode case writes in (envelopes: `seed`, `decco`, `sury`;
    /// schedules: `string`, `sury`, `decco`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dialect: Option<String>,
    /// The arguments of a chapter's own operation, a JSON object, exactly as written.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub args: Option<&'a RawValue>,
    /// A liveness scenario's monitor configuration (`spec/liveness.md` §9), a JSON
    /// object, exactly as written.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("type" = "object"))]
    pub config: Option<&'a RawValue>,
    /// A liveness scenario's timed steps (`spec/liveness.md` §9), a JSON array of
    /// objects, exactly as written.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("type" = "array", "items" = {"type": "object"}))]
    pub steps: Option<&'a RawValue>,
}

/// The input bytes of a case, from the text field or its `_hex` twin.
fn bytes(text: &Option<String>, hex_text: &Option<String>) -> Option<Vec<u8>> {
    match (text, hex_text) {
        (Some(t), None) => Some(t.as_bytes().to_vec()),
        (None, Some(h)) => hex::decode(h).ok(),
        _ => None,
    }
}

impl Input<'_> {
    /// The subject bytes.
    pub fn subject_bytes(&self) -> Option<Vec<u8>> {
        bytes(&self.subject, &self.subject_hex)
    }

    /// The payload bytes.
    pub fn payload_bytes(&self) -> Option<Vec<u8>> {
        bytes(&self.payload, &self.payload_hex)
    }

    /// The line bytes.
    pub fn line_bytes(&self) -> Option<Vec<u8>> {
        bytes(&self.line, &self.line_hex)
    }

    /// The document bytes.
    pub fn document_bytes(&self) -> Option<Vec<u8>> {
        bytes(&self.document, &self.document_hex)
    }

    /// The arguments as a JSON value (numbers as serde_json reads them), when present
    /// and valid JSON.
    pub fn args_value(&self) -> Option<serde_json::Value> {
        self.args
            .and_then(|raw| serde_json::from_str(raw.get()).ok())
    }

    /// A liveness scenario, `{"config": ..., "steps": ...}` (each member only when the
    /// input has it), when the input has steps and both are valid JSON.
    pub fn scenario_value(&self) -> Option<serde_json::Value> {
        let mut scenario = serde_json::Map::new();
        for (key, raw) in [("config", self.config), ("steps", self.steps)] {
            if let Some(raw) = raw {
                scenario.insert(key.to_owned(), serde_json::from_str(raw.get()).ok()?);
            }
        }
        self.steps.map(|_| serde_json::Value::Object(scenario))
    }
}

/// The expected result: an output, or an error class with an optional offset and path.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Expect<'a> {
    /// Decode cases: the canonical form, as JSON (compared as JSON, numbers as exact
    /// decimals).
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub decoded: Option<&'a RawValue>,
    /// The canonical wire form the input encodes to (compared byte for byte).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encoded: Option<String>,
    /// The error class of a rejected input.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The byte offset the error points at, where the spec fixes it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offset: Option<usize>,
    /// The member (JSON formats) or argument (operations) the error is in, where the case
    /// fixes it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// The output of a chapter's own operation; `null` is a result (`Some("null")`).
    #[serde(
        borrow,
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub result: Option<&'a RawValue>,
    /// A liveness scenario (operation `run`): every event its polls return, in order,
    /// as `spec/liveness.md` §7 and §9 write them (compared as `spec/harness.md` §11
    /// says).
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("type" = "array", "items" = {"type": "object"}))]
    pub events: Option<&'a RawValue>,
    /// A liveness scenario: the state of every process at the end, keyed
    /// `<source>:<name>` (checked by heartwire's own tests of its engine; the harness
    /// does not compare it).
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("type" = "object"))]
    pub states: Option<&'a RawValue>,
    /// A liveness scenario: what the last ping of ping processes said at the end, by
    /// name (checked by heartwire's own tests; the harness does not compare it).
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("type" = "object"))]
    pub pings: Option<&'a RawValue>,
}

/// A member that is present, whatever its value: a JSON `null` too (`Some`), where
/// `Option`'s own deserializer would give `None`.
pub(crate) fn present<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(d).map(Some)
}

impl Expect<'_> {
    /// Whether the case expects a rejection.
    pub fn is_rejection(&self) -> bool {
        self.error.is_some()
    }
}

/// The suite manifest, `spec/vectors/suite.json`: what the suite is, which files make
/// it, and the ids that are retired.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(
    title = "heartwire conformance suite manifest",
    extend("examples" = [{
        "suite": "heartwire",
        "version": "1.0.0",
        "spec_version": "1.0.0",
        "protocol": 1,
        "files": ["text.json", "json.json"],
        "checksums": "SHA256SUMS",
        "tombstones": [{"id": "text.payload.old-case", "retired_in": "2.0.0", "reason": "the rule changed"}]
    }])
)]
pub struct Manifest {
    /// The suite's name (`heartwire`).
    pub suite: String,
    /// The suite's version (semver): a new case is a minor change; a changed or retired
    /// expectation a major one.
    #[schemars(regex(pattern = SEMVER))]
    pub version: String,
    /// The version of the specification the suite tests.
    #[schemars(regex(pattern = SEMVER))]
    pub spec_version: String,
    /// The version of the harness protocol (`spec/harness.md`) the suite is run with.
    pub protocol: u32,
    /// The vector files, in the order they are run.
    pub files: Vec<String>,
    /// The file of SHA-256 checksums (`sha256sum -c` reads it), beside the manifest.
    pub checksums: String,
    /// Retired case ids: never given to another case.
    pub tombstones: Vec<Tombstone>,
}

/// A retired case id.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Tombstone {
    /// The id that was retired.
    pub id: String,
    /// The suite version that retired it.
    pub retired_in: String,
    /// Why, in one line.
    pub reason: String,
}

/// The files of the suite as embedded in this crate: name and text. Besides the
/// manifest, the checksums and the vector files: the README, and the changelog and the
/// list of every id ever released, so that an exported suite says what changed. They are
/// read through `vectors/`, a link to `spec/vectors/` inside the crate, so that the
/// published package holds them too.
pub const FILES: [(&str, &str); 12] = [
    ("suite.json", include_str!("../vectors/suite.json")),
    ("SHA256SUMS", include_str!("../vectors/SHA256SUMS")),
    ("README.md", include_str!("../vectors/README.md")),
    ("text.json", include_str!("../vectors/text.json")),
    ("json.json", include_str!("../vectors/json.json")),
    ("record.json", include_str!("../vectors/record.json")),
    ("command.json", include_str!("../vectors/command.json")),
    ("schedule.json", include_str!("../vectors/schedule.json")),
    ("liveness.json", include_str!("../vectors/liveness.json")),
    ("transport.json", include_str!("../vectors/transport.json")),
    ("CHANGELOG.md", include_str!("../vectors/CHANGELOG.md")),
    ("ids.txt", include_str!("../vectors/ids.txt")),
];

/// What is wrong with a suite.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SuiteError {
    /// A file the manifest names is not there.
    Missing {
        /// The file's name.
        file: String,
    },
    /// A file does not parse.
    Parse {
        /// The file's name.
        file: String,
        /// What serde_json said.
        message: String,
    },
    /// A file's SHA-256 is not the one the checksum file gives.
    Checksum {
        /// The file's name.
        file: String,
        /// The checksum the checksum file gives (empty when it gives none).
        listed: String,
        /// The checksum of the file's bytes.
        actual: String,
    },
    /// Two cases have the same id.
    DuplicateId {
        /// The id.
        id: String,
    },
    /// A live case has a retired id.
    Tombstoned {
        /// The id.
        id: String,
    },
}

impl fmt::Display for SuiteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SuiteError::Missing { file } => write!(f, "the suite has no file {file}"),
            SuiteError::Parse { file, message } => write!(f, "{file} does not parse: {message}"),
            SuiteError::Checksum {
                file,
                listed,
                actual,
            } => write!(
                f,
                "{file} has SHA-256 {actual}, the checksum file lists {listed:?}"
            ),
            SuiteError::DuplicateId { id } => write!(f, "two cases have the id {id}"),
            SuiteError::Tombstoned { id } => write!(f, "the case {id} has a retired id"),
        }
    }
}

impl std::error::Error for SuiteError {}

/// One case of the suite, with the format of its file.
#[derive(Debug, Clone, Copy)]
pub struct SuiteCase<'s> {
    /// The format of the file it is in.
    pub format: &'s str,
    /// The case.
    pub case: &'s Case<'s>,
}

/// The whole suite: the manifest and its vector files, checked.
#[derive(Debug)]
pub struct Suite<'a> {
    /// The manifest.
    pub manifest: Manifest,
    /// The vector files, in the manifest's order.
    pub files: Vec<VectorFile<'a>>,
}

/// The SHA-256 of some bytes, as lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

impl<'a> Suite<'a> {
    /// Reads a suite from its files (name and text, as [`FILES`] gives them), and checks
    /// it: every file the manifest names parses and has the checksum the checksum file
    /// gives, ids are unique, and no live id is a tombstone.
    pub fn from_files(files: &[(&str, &'a str)]) -> Result<Suite<'a>, SuiteError> {
        let find = |name: &str| {
            files
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, text)| *text)
                .ok_or_else(|| SuiteError::Missing {
                    file: name.to_owned(),
                })
        };
        let manifest: Manifest =
            serde_json::from_str(find("suite.json")?).map_err(|e| SuiteError::Parse {
                file: "suite.json".to_owned(),
                message: e.to_string(),
            })?;
        let sums = find(&manifest.checksums)?;
        let mut checked = vec!["suite.json".to_owned()];
        checked.extend(manifest.files.iter().cloned());
        for name in &checked {
            let actual = sha256_hex(find(name)?.as_bytes());
            let listed = sums
                .lines()
                .find_map(|line| {
                    let (sum, file) = line.split_once("  ")?;
                    (file == name).then(|| sum.to_owned())
                })
                .unwrap_or_default();
            if listed != actual {
                return Err(SuiteError::Checksum {
                    file: name.clone(),
                    listed,
                    actual,
                });
            }
        }
        let mut vector_files = Vec::new();
        for name in &manifest.files {
            let file: VectorFile<'a> =
                serde_json::from_str(find(name)?).map_err(|e| SuiteError::Parse {
                    file: name.clone(),
                    message: e.to_string(),
                })?;
            vector_files.push(file);
        }
        let suite = Suite {
            manifest,
            files: vector_files,
        };
        suite.check_ids()?;
        Ok(suite)
    }

    /// Checks that ids are unique and that no live id is a tombstone.
    pub fn check_ids(&self) -> Result<(), SuiteError> {
        let mut ids = HashSet::new();
        for case in self.cases() {
            if !ids.insert(case.case.id.as_str()) {
                return Err(SuiteError::DuplicateId {
                    id: case.case.id.clone(),
                });
            }
        }
        match self
            .manifest
            .tombstones
            .iter()
            .find(|t| ids.contains(t.id.as_str()))
        {
            Some(t) => Err(SuiteError::Tombstoned { id: t.id.clone() }),
            None => Ok(()),
        }
    }

    /// Every case, file by file.
    pub fn cases(&self) -> impl Iterator<Item = SuiteCase<'_>> {
        self.files.iter().flat_map(|file| {
            file.cases.iter().map(move |case| SuiteCase {
                format: file.format.as_str(),
                case,
            })
        })
    }

    /// The formats of the suite, in the manifest's order.
    pub fn formats(&self) -> impl Iterator<Item = &str> {
        self.files.iter().map(|f| f.format.as_str())
    }

    /// Whether a case with this id is in the suite.
    pub fn contains(&self, id: &str) -> bool {
        self.cases().any(|c| c.case.id == id)
    }
}

impl Suite<'static> {
    /// The suite embedded in this crate, read and checked once.
    pub fn builtin() -> Result<&'static Suite<'static>, SuiteError> {
        static SUITE: OnceLock<Result<Suite<'static>, SuiteError>> = OnceLock::new();
        SUITE
            .get_or_init(|| Suite::from_files(&FILES))
            .as_ref()
            .map_err(Clone::clone)
    }
}

/// The text of an embedded file of the suite, by name.
pub fn embedded_file(name: &str) -> Option<&'static str> {
    FILES.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_suite_checks_out() {
        let suite = Suite::builtin().map_err(|e| e.to_string());
        assert!(suite.is_ok(), "{suite:?}");
        assert!(suite.is_ok_and(|s| s.cases().count() > 700));
    }

    fn with_manifest(manifest: &str) -> Result<Suite<'static>, SuiteError> {
        let manifest: &'static str = Box::leak(manifest.to_owned().into_boxed_str());
        let sums = format!(
            "{}  suite.json\n{}",
            sha256_hex(manifest.as_bytes()),
            FILES[1].1
        );
        let sums: &'static str = Box::leak(sums.into_boxed_str());
        let mut files = FILES.to_vec();
        files[0].1 = manifest;
        files[1].1 = sums;
        Suite::from_files(&files)
    }

    #[test]
    fn a_tombstoned_live_id_is_refused() {
        let manifest = FILES[0].1.replace(
            r#""tombstones": []"#,
            r#""tombstones": [{"id": "text.subject.dotted", "retired_in": "1.0.0", "reason": "test"}]"#,
        );
        assert_ne!(
            manifest, FILES[0].1,
            "the manifest has an empty tombstone list"
        );
        assert_eq!(
            with_manifest(&manifest).map(|_| ()),
            Err(SuiteError::Tombstoned {
                id: "text.subject.dotted".to_owned()
            })
        );
    }

    #[test]
    fn a_changed_file_fails_its_checksum() {
        let mut files = FILES.to_vec();
        let changed = FILES[3]
            .1
            .replacen("a process name of one token", "changed", 1);
        files[3].1 = Box::leak(changed.into_boxed_str());
        assert!(matches!(
            Suite::from_files(&files),
            Err(SuiteError::Checksum { file, .. }) if file == "text.json"
        ));
    }
}
