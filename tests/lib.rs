//! Shared pieces of the heartwire test suite: the model of the conformance vector files
//! (`spec/vectors/README.md`) and where to find them.
#![forbid(unsafe_code)]

use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::value::RawValue;

/// The root of the repository.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from(".."), Path::to_path_buf)
}

/// A vector file: one suite of cases for one format.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VectorFile<'a> {
    /// The suite's name.
    pub suite: String,
    /// The suite's version (semver).
    pub version: String,
    /// The chapter of the specification the cases test.
    pub spec: String,
    /// The version of that chapter.
    pub spec_version: String,
    /// The format the cases are in (`text`).
    pub format: String,
    /// The cases.
    #[serde(borrow)]
    pub cases: Vec<Case<'a>>,
}

/// Which way a case runs: `decode`, `encode`, or an operation a chapter defines
/// (`classify`, `next`, ...), whose input is `input.args` and whose output is
/// `expect.result`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(from = "String")]
pub enum Operation {
    /// Wire input to the canonical form.
    Decode,
    /// The canonical form (or any accepted form) to wire output.
    Encode,
    /// An operation a chapter defines, by name.
    Other(String),
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

/// One case.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case<'a> {
    /// The stable id.
    pub id: String,
    /// What the case shows.
    pub description: String,
    /// The section of the spec it tests.
    pub section: String,
    /// Decode or encode.
    pub operation: Operation,
    /// The input.
    pub input: Input,
    /// The expected result.
    #[serde(borrow)]
    pub expect: Expect<'a>,
}

/// The input of a case: text fields, or `_hex` twins for bytes that are not UTF-8.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// A subject, as text.
    pub subject: Option<String>,
    /// A subject, as hex bytes.
    pub subject_hex: Option<String>,
    /// A payload, as text.
    pub payload: Option<String>,
    /// A payload, as hex bytes.
    pub payload_hex: Option<String>,
    /// A line form message, as text.
    pub line: Option<String>,
    /// A line form message, as hex bytes.
    pub line_hex: Option<String>,
    /// A canonical JSON object, as text (encode cases of the text format).
    pub json: Option<String>,
    /// A JSON document of a JSON format, as text.
    pub document: Option<String>,
    /// A JSON document of a JSON format, as hex bytes (not UTF-8).
    pub document_hex: Option<String>,
    /// The dialect an encode case writes (command envelopes).
    pub dialect: Option<String>,
    /// The arguments of a chapter's own operation.
    pub args: Option<serde_json::Value>,
}

/// The input bytes of a case, from the text field or its `_hex` twin.
fn bytes(text: &Option<String>, hex_text: &Option<String>) -> Option<Vec<u8>> {
    match (text, hex_text) {
        (Some(t), None) => Some(t.as_bytes().to_vec()),
        (None, Some(h)) => hex::decode(h).ok(),
        _ => None,
    }
}

impl Input {
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
}

/// The expected result: an output, or an error class with an optional offset.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect<'a> {
    /// Decode cases: the canonical JSON form, exactly as an implementation writes it.
    #[serde(borrow, default)]
    pub decoded: Option<&'a RawValue>,
    /// The canonical line form the input encodes to.
    pub encoded: Option<String>,
    /// The error class of a rejected input.
    pub error: Option<String>,
    /// The byte offset the error points at, where the spec fixes it.
    pub offset: Option<usize>,
    /// The field path the error names (JSON formats), where the spec fixes it.
    pub path: Option<String>,
    /// The output of a chapter's own operation (`null` is a result: `Some("null")`).
    #[serde(borrow, default, deserialize_with = "present")]
    pub result: Option<&'a RawValue>,
}

/// A member that is present, whatever its value: a JSON `null` too.
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<&'de RawValue>, D::Error> {
    <&'de RawValue>::deserialize(d).map(Some)
}

/// Reads and parses a vector file of `spec/vectors/`.
pub fn read_vectors(name: &str) -> String {
    let path = repo_root().join("spec/vectors").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// Asserts the rules every suite keeps (`spec/vectors/README.md`): the format and at
/// least `min_cases` cases; ids unique and of the form `<format>.<area>.<name>` in
/// lower-case ASCII letters, digits, `.` and `-`; a description; a section that is a
/// `## N` or `### N.M` heading of the chapter; and, for every section named, at least one
/// valid and one invalid case.
pub fn assert_well_formed(file: &VectorFile<'_>, format: &str, min_cases: usize) {
    use std::collections::{BTreeMap, HashSet};

    assert_eq!(file.format, format, "the suite's format");
    assert!(
        file.cases.len() >= min_cases,
        "{} has {} cases, expected at least {min_cases}",
        file.suite,
        file.cases.len()
    );
    let spec = std::fs::read_to_string(repo_root().join(&file.spec))
        .unwrap_or_else(|e| panic!("{}: {e}", file.spec));
    let prefix = format!("{format}.");
    let mut ids = HashSet::new();
    let mut by_section: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for case in &file.cases {
        let id = case.id.as_str();
        assert!(ids.insert(id), "duplicate id {id}");
        assert!(
            id.starts_with(&prefix)
                && id.split('.').count() >= 3
                && id.split('.').all(|part| !part.is_empty())
                && id.bytes().all(|b| b.is_ascii_lowercase()
                    || b.is_ascii_digit()
                    || b == b'.'
                    || b == b'-'),
            "malformed id {id}"
        );
        assert!(!case.description.is_empty(), "{id} has no description");
        let heading = format!("\n## {} ", case.section);
        let subheading = format!("\n### {} ", case.section);
        assert!(
            spec.contains(&heading) || spec.contains(&subheading),
            "{id} names section {} which {} does not have",
            case.section,
            file.spec
        );
        let counts = by_section.entry(case.section.as_str()).or_default();
        if case.expect.error.is_some() {
            counts.1 += 1;
        } else {
            counts.0 += 1;
        }
    }
    for (section, (valid, invalid)) in by_section {
        assert!(
            valid > 0 && invalid > 0,
            "section {section} has {valid} valid and {invalid} invalid cases"
        );
    }
}

/// Runs `check` on every case of a suite and fails listing every case it faults, each
/// with what `check` said (what was expected and what came out), so that one run shows
/// all that is wrong.
pub fn assert_every_case(
    file: &VectorFile<'_>,
    mut check: impl FnMut(&Case<'_>) -> Option<String>,
) {
    let failures: Vec<String> = file
        .cases
        .iter()
        .filter_map(|case| check(case).map(|why| format!("{}\n    {why}", case.id)))
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} vectors fail:\n{}",
        failures.len(),
        file.cases.len(),
        failures.join("\n")
    );
}

/// A validator of the committed schema `spec/schema/<name>.schema.json`, with format
/// checks on (draft 2020-12 leaves them off by default).
pub fn schema_validator(name: &str) -> jsonschema::Validator {
    let path = repo_root()
        .join("spec/schema")
        .join(format!("{name}.schema.json"));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let schema: serde_json::Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    jsonschema::draft202012::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap_or_else(|e| panic!("{} does not compile: {e}", path.display()))
}
