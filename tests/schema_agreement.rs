//! The JSON Schemas of `spec/schema/` against the conformance vectors, with two
//! independent validators: the Rust `jsonschema` crate and Python's `jsonschema` package,
//! both with format checks on.
//!
//! The vector files themselves, the suite manifest and the liveness scenarios must
//! validate against the `vectors`, `suite` and `liveness-vectors` schemas. From every vector a case gives the documents it holds: the input document (or, for
//! the text format's encode cases, the JSON form given), the `decoded` canonical form and
//! the `encoded` canonical document. Each is spec-valid or not by the case. Then, for
//! each validator:
//!
//! - every spec-valid document validates against its format's schema;
//! - every spec-invalid document is rejected, unless its error class or its case id is
//!   listed in `spec/schema/inexpressible.json` with the reason the schema cannot say it;
//! - every listed case and class is still accepted by at least one validator, so the list
//!   cannot rot.
//!
//! The two validators give the same verdict on every document both can parse.
//! (Documents that are not JSON to a parser, such as invalid UTF-8 or `1e999`, have no
//! verdict: a schema applies to a parsed value.)

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use heartwire::document::Format;
use heartwire_tests::{
    Operation, VectorFile, read_vectors, repo_root, schema_validator, set_up_venv,
};
use serde::Deserialize;
use serde_json::Value;

/// One document of one case, to be validated.
#[derive(Debug)]
struct Check {
    /// `<case id>`, `<case id>#decoded` or `<case id>#encoded`.
    key: String,
    /// The schema's name.
    schema: &'static str,
    /// The document's text.
    text: String,
    /// `None` when the spec accepts it; the error class when it rejects it.
    error: Option<String>,
}

/// A validator's verdict on one document: `None` when it could not parse it as JSON.
type Verdicts = BTreeMap<String, Option<bool>>;

fn schema_name(format: Format) -> &'static str {
    match format {
        Format::Text => "text",
        Format::Record => "record",
        Format::Command => "command",
        Format::Schedule => "schedule",
    }
}

/// Every document of every suite, and the suite's own files.
fn checks() -> Vec<Check> {
    let mut checks = Vec::new();
    // The vector files and the manifest are documents of their own schemas.
    for file in [
        "text.json",
        "json.json",
        "record.json",
        "command.json",
        "schedule.json",
        "suite.json",
        "liveness.json",
    ] {
        checks.push(Check {
            key: format!("spec/vectors/{file}"),
            schema: match file {
                "suite.json" => "suite",
                "liveness.json" => "liveness-vectors",
                _ => "vectors",
            },
            text: read_vectors(file),
            error: None,
        });
    }
    for (file, fixed) in [
        ("text.json", Some(Format::Text)),
        ("json.json", None),
        ("record.json", Some(Format::Record)),
        ("command.json", Some(Format::Command)),
        ("schedule.json", Some(Format::Schedule)),
    ] {
        let text = read_vectors(file);
        let suite: VectorFile<'_> =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{file}: {e}"));
        for case in &suite.cases {
            if !matches!(case.operation, Operation::Decode | Operation::Encode) {
                continue;
            }
            // The document the case gives: the text format's JSON form (encode), or a
            // document of a JSON format (its format by its keys where the suite mixes them).
            let input = match fixed {
                Some(Format::Text) => case.input.json.clone(),
                _ => case
                    .input
                    .document_bytes()
                    .and_then(|bytes| String::from_utf8(bytes).ok()),
            };
            let format = fixed.or_else(|| {
                input
                    .as_deref()
                    .and_then(|doc| Format::detect(doc.as_bytes()).ok())
            });
            let Some(format) = format else { continue };
            let schema = schema_name(format);
            if let Some(text) = input {
                checks.push(Check {
                    key: case.id.clone(),
                    schema,
                    text,
                    error: case.expect.error.clone(),
                });
            }
            if let Some(decoded) = case.expect.decoded {
                checks.push(Check {
                    key: format!("{}#decoded", case.id),
                    schema,
                    text: decoded.get().to_owned(),
                    error: None,
                });
            }
            if let Some(encoded) = &case.expect.encoded
                && format != Format::Text
            {
                checks.push(Check {
                    key: format!("{}#encoded", case.id),
                    schema,
                    text: encoded.clone(),
                    error: None,
                });
            }
        }
    }
    checks
}

/// The Rust validator's verdicts.
fn rust_verdicts(checks: &[Check]) -> Verdicts {
    let validators: BTreeMap<&str, jsonschema::Validator> = heartwire_schema::names()
        .map(|name| (name, schema_validator(name)))
        .collect();
    checks
        .iter()
        .map(|check| {
            let verdict = serde_json::from_str::<Value>(&check.text)
                .ok()
                .map(|value| validators[check.schema].is_valid(&value));
            (check.key.clone(), verdict)
        })
        .collect()
}

/// The folder of the Python client.
fn python_client() -> PathBuf {
    repo_root().join("clients/python")
}

/// The venv's interpreter (`clients/python/setup-venv.sh`, once per target folder).
fn python() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("schema-venv");
    set_up_venv("clients/python/setup-venv.sh", &dir).unwrap_or_else(|e| panic!("{e}"))
}

/// Python's verdicts, from `clients/python/validate.py --lines`.
fn python_verdicts(checks: &[Check]) -> Verdicts {
    #[derive(Deserialize)]
    struct Line {
        key: String,
        valid: Option<bool>,
    }
    let mut child = Command::new(python())
        .arg(python_client().join("validate.py"))
        .arg("--lines")
        .arg("--schemas")
        .arg(repo_root().join("spec/schema"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the venv's python runs");
    let mut input = String::new();
    for check in checks {
        let line =
            serde_json::json!({"key": check.key, "schema": check.schema, "text": check.text});
        input.push_str(&line.to_string());
        input.push('\n');
    }
    let mut stdin = child.stdin.take().expect("piped stdin");
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let output = child.wait_with_output().expect("validate.py runs");
    writer
        .join()
        .expect("the writer thread")
        .expect("validate.py reads its input");
    assert!(output.status.success(), "validate.py failed");
    String::from_utf8(output.stdout)
        .expect("UTF-8 output")
        .lines()
        .map(|line| {
            let line: Line = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("validate.py wrote {line:?}: {e}"));
            (line.key, line.valid)
        })
        .collect()
}

/// `spec/schema/inexpressible.json`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Inexpressible {
    /// Error classes the schemas cannot check at all, with the reason.
    classes: BTreeMap<String, String>,
    /// Single cases the schemas accept, with the reason.
    cases: BTreeMap<String, String>,
}

fn inexpressible() -> Inexpressible {
    let path = repo_root().join("spec/schema/inexpressible.json");
    let text = std::fs::read_to_string(&path).expect("spec/schema/inexpressible.json");
    serde_json::from_str(&text).expect("spec/schema/inexpressible.json is well-formed")
}

/// The rules a validator's verdicts must keep; the keys of the listed exceptions it uses.
fn assert_agrees(
    name: &str,
    checks: &[Check],
    verdicts: &Verdicts,
    listed: &Inexpressible,
) -> BTreeSet<String> {
    let mut used = BTreeSet::new();
    let mut wrong = Vec::new();
    for check in checks {
        let Some(Some(valid)) = verdicts.get(&check.key) else {
            continue;
        };
        let case_id = check.key.split('#').next().unwrap_or(&check.key);
        match (&check.error, valid) {
            (None, true) | (Some(_), false) => {}
            (None, false) => wrong.push(format!(
                "{}: spec-valid, rejected by the {} schema",
                check.key, check.schema
            )),
            (Some(class), true) => {
                if listed.cases.contains_key(case_id) {
                    used.insert(case_id.to_owned());
                } else if listed.classes.contains_key(class) {
                    used.insert(class.clone());
                } else {
                    wrong.push(format!(
                        "{}: spec-invalid ({class}), accepted by the {} schema: {}",
                        check.key,
                        check.schema,
                        check.text.chars().take(160).collect::<String>()
                    ));
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{name}: {} disagreements:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    used
}

#[test]
fn schemas_agree_with_the_vectors_in_rust_and_python() {
    let checks = checks();
    let listed = inexpressible();
    assert!(
        checks.len() > 500,
        "only {} documents found in the vectors",
        checks.len()
    );

    let rust = rust_verdicts(&checks);
    let python = python_verdicts(&checks);
    assert_eq!(
        python.len(),
        checks.len(),
        "validate.py answered every document"
    );

    let mut used = assert_agrees("rust jsonschema", &checks, &rust, &listed);
    used.extend(assert_agrees(
        "python jsonschema",
        &checks,
        &python,
        &listed,
    ));

    // One verdict per document both could parse.
    let differ: Vec<_> = checks
        .iter()
        .filter_map(
            |check| match (rust[&check.key], python.get(&check.key).copied().flatten()) {
                (Some(r), Some(p)) if r != p => {
                    Some(format!("{}: rust {r}, python {p}", check.key))
                }
                _ => None,
            },
        )
        .collect();
    assert!(
        differ.is_empty(),
        "the validators differ:\n{}",
        differ.join("\n")
    );

    // Nothing listed that no longer needs listing.
    let stale: Vec<_> = listed
        .cases
        .keys()
        .chain(listed.classes.keys())
        .filter(|key| !used.contains(*key))
        .collect();
    assert!(
        stale.is_empty(),
        "listed in spec/schema/inexpressible.json but rejected by the schemas (or not in the vectors): {stale:?}"
    );

    let parsed = rust.values().filter(|v| v.is_some()).count();
    eprintln!("{} documents, {parsed} parsed by serde_json", checks.len());
}
