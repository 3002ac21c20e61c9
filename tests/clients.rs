//! The clients of `clients/`, run for real: the TypeScript types generated from the
//! schemas and the typed client compile with `tsc` (including the file of documents the
//! types must refuse), and every document the client prints decodes with heartwire and
//! validates against its schema; the Python publisher's records do too.
//!
//!
//! Then the types generated from the schemas, against every document of the conformance
//! vectors (those the schema agreement test validates), each tool in one process:
//! quicktype's TypeScript `Convert` (`clients/typescript/src/check.ts`) and the pydantic
//! models of datamodel-code-generator (`clients/python/models.py check`). For each:
//!
//! - every spec-valid document is accepted, and given back with every member kept and no
//!   value changed (numbers compared as exact decimals), unless its case is listed for the
//!   tool under `changed` in `spec/schema/inexpressible.json`;
//! - every spec-invalid document is refused, unless its case or error class is listed for
//!   the tool (`tools.<tool>.cases`, `.classes`) or for every schema
//!   (`cases`, `classes`: what no schema can say);
//! - everything listed for the tool is still accepted (or still changed), so the list
//!   stays honest.
//!
//! Needs Node.js with npm and python3, and access to the npm registry and PyPI the first
//! time (`clients/typescript/setup.sh`, `clients/python/setup-venv.sh`).

#[path = "schema_documents.rs"]
mod schema_documents;

use std::collections::BTreeMap;
use std::process::Command;

use heartwire::document::Document;
use heartwire::text::Message;
use heartwire_tests::{repo_root, schema_validator};
use schema_documents::{Check, answers, checks, inexpressible, python, run, typescript};
use serde_json::Value;

/// Checks one line a client printed: a JSON document of any format, the canonical JSON
/// form of a text message, or a text message in the line form. Returns the schema name.
fn check(line: &str) -> &'static str {
    let schema = if !line.starts_with('{') {
        let decoded = Message::decode_line(line.as_bytes());
        assert!(decoded.is_ok(), "heartwire rejects {line:?}: {decoded:?}");
        return "line";
    } else if line.contains(r#""format":"text""#) {
        let decoded = Message::from_json(line);
        assert!(decoded.is_ok(), "heartwire rejects {line}: {decoded:?}");
        "text"
    } else {
        match Document::decode(line.as_bytes()) {
            Ok(Document::Record(_)) => "record",
            Ok(Document::Command(_)) => "command",
            Ok(Document::Schedule(_)) => "schedule",
            other => panic!("heartwire decodes {line} as {other:?}"),
        }
    };
    let value: serde_json::Value = serde_json::from_str(line).expect("JSON");
    let validator = schema_validator(schema);
    let errors: Vec<String> = validator
        .iter_errors(&value)
        .map(|e| e.to_string())
        .collect();
    assert!(
        errors.is_empty(),
        "the {schema} schema rejects {line}: {errors:?}"
    );
    schema
}

#[test]
fn typescript_client_compiles_and_its_documents_are_valid() {
    // Generates the types from spec/schema and compiles them with the client and the
    // documents the types must refuse (each marked `@ts-expect-error`).
    let dir = typescript();
    let output = run(Command::new("node").arg(dir.join("dist/client.js")));
    let stdout = String::from_utf8(output.stdout).expect("UTF-8");
    let mut kinds: Vec<&str> = stdout.lines().map(check).collect();
    kinds.sort_unstable();
    kinds.dedup();
    assert_eq!(kinds, ["command", "line", "record", "schedule", "text"]);
}

#[test]
fn python_publisher_records_are_valid() {
    let output = run(Command::new(python())
        .arg(repo_root().join("clients/python/publisher.py"))
        .args(["--service", "billing_api", "--count", "3"]));
    let stdout = String::from_utf8(output.stdout).expect("UTF-8");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 3);
    for line in lines {
        assert_eq!(check(line), "record");
    }
}

#[test]
fn python_validator_rejects_what_the_schema_rejects() {
    let validate = repo_root().join("clients/python/validate.py");
    let child = |document: &str| {
        use std::io::Write as _;
        let mut child = Command::new(python())
            .args([validate.as_os_str(), "record".as_ref()])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("python runs");
        child
            .stdin
            .take()
            .expect("piped")
            .write_all(document.as_bytes())
            .expect("written");
        let output = child.wait_with_output().expect("validate.py runs");
        (
            output.status.code(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };
    let good = r#"{"service_name":"a","instance_id":"a1b2c3d4-e5f6-7890-abcd-ef1234567890","timestamp":"2025-01-16T08:30:00+00:00"}"#;
    assert_eq!(child(good), (Some(0), String::new()));
    let naive = good.replace("+00:00", "");
    let (code, stderr) = child(&naive);
    assert_eq!(code, Some(1));
    assert!(stderr.starts_with("timestamp: "), "{stderr}");
}

/// Holds one tool's answers (`{"key", "types", "same"}` per document) to the rules of the
/// module's documentation, with what `inexpressible.json` lists for it as `tool`.
fn assert_tool(tool: &str, checks: &[Check], answers: &BTreeMap<String, Value>) {
    let listed = inexpressible();
    let own = listed.tools.get(tool).unwrap_or_else(|| {
        panic!("inexpressible.json lists what {tool} differs on (tools.{tool})")
    });
    let mut used = std::collections::BTreeSet::new();
    let mut wrong = Vec::new();
    let (mut valid, mut accepted, mut kept, mut invalid, mut refused) = (0, 0, 0, 0, 0);
    for check in checks {
        let answer = &answers[&check.key];
        let Some(types) = answer["types"].as_bool() else {
            continue; // not JSON to the tool's parser, or a schema without generated types
        };
        let case_id = check.key.split('#').next().unwrap_or(&check.key);
        let text = || check.text.chars().take(160).collect::<String>();
        match &check.error {
            None => {
                valid += 1;
                if !types {
                    wrong.push(format!(
                        "{}: spec-valid, refused by the {} types: {}",
                        check.key,
                        check.schema,
                        text()
                    ));
                    continue;
                }
                accepted += 1;
                if answer["same"].as_bool() == Some(true) {
                    kept += 1;
                } else if own.changed.contains_key(case_id) {
                    used.insert(format!("changed {case_id}"));
                } else {
                    wrong.push(format!(
                        "{}: spec-valid, accepted by the {} types but given back changed: {}\n    back: {}",
                        check.key,
                        check.schema,
                        text(),
                        answer["back"]
                    ));
                }
            }
            Some(class) => {
                invalid += 1;
                if !types {
                    refused += 1;
                } else if own.cases.contains_key(case_id) {
                    used.insert(format!("cases {case_id}"));
                } else if own.classes.contains_key(class) {
                    used.insert(format!("classes {class}"));
                } else if !listed.cases.contains_key(case_id) && !listed.classes.contains_key(class)
                {
                    wrong.push(format!(
                        "{}: spec-invalid ({class}), accepted by the {} types: {}",
                        check.key,
                        check.schema,
                        text()
                    ));
                }
            }
        }
    }
    eprintln!(
        "{tool}: spec-valid {accepted}/{valid} accepted, {kept} given back unchanged; \
         spec-invalid {refused}/{invalid} refused"
    );
    assert!(
        wrong.is_empty(),
        "{tool}: {} documents not as expected:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    let stale: Vec<String> = (own.cases.keys().map(|k| format!("cases {k}")))
        .chain(own.classes.keys().map(|k| format!("classes {k}")))
        .chain(own.changed.keys().map(|k| format!("changed {k}")))
        .filter(|key| !used.contains(key))
        .collect();
    assert!(
        stale.is_empty(),
        "listed for {tool} in spec/schema/inexpressible.json but no longer accepted (or changed), or not in the vectors: {stale:?}"
    );
}

#[test]
fn quicktype_types_hold_every_vector_document() {
    let checks = checks();
    let answers = answers(
        Command::new("node").arg(typescript().join("dist/check.js")),
        &checks,
    );
    assert_tool("quicktype", &checks, &answers);
}

#[test]
fn pydantic_models_hold_every_vector_document() {
    let checks = checks();
    let answers = answers(
        Command::new(python())
            .arg(repo_root().join("clients/python/models.py"))
            .arg("check"),
        &checks,
    );
    assert_tool("pydantic", &checks, &answers);
}
