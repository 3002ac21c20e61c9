//! The clients of `clients/`, run for real: the TypeScript types generated from the
//! schemas and the typed client compile with `tsc` (including the file of documents the
//! types must refuse), and every document the client prints decodes with heartwire and
//! validates against its schema; the Python publisher's records do too.
//!
//! Needs Node.js with npm and python3, and access to the npm registry and PyPI the first
//! time (`clients/typescript/setup.sh`, `clients/python/setup-venv.sh`).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use heartwire::document::Document;
use heartwire::text::Message;
use heartwire_tests::{repo_root, schema_validator, set_up_venv};

fn run(command: &mut Command) -> Output {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"));
    assert!(
        output.status.success(),
        "{command:?} failed ({}):\n{}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

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
    let dir = repo_root().join("clients/typescript");
    run(Command::new("bash").arg(dir.join("setup.sh")));
    // Generates the types from spec/schema and compiles them with the client and the
    // documents the types must refuse (each marked `@ts-expect-error`).
    run(Command::new("npm")
        .args(["run", "--silent", "build"])
        .current_dir(&dir));
    let output = run(Command::new("node").arg(dir.join("dist/client.js")));
    let stdout = String::from_utf8(output.stdout).expect("UTF-8");
    let mut kinds: Vec<&str> = stdout.lines().map(check).collect();
    kinds.sort_unstable();
    kinds.dedup();
    assert_eq!(kinds, ["command", "line", "record", "schedule", "text"]);
}

fn python() -> PathBuf {
    let venv = Path::new(env!("CARGO_TARGET_TMPDIR")).join("schema-venv");
    set_up_venv("clients/python/setup-venv.sh", &venv).unwrap_or_else(|e| panic!("{e}"))
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
