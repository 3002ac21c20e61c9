//! The documents of the conformance vectors that the schema agreement test
//! (`schema_agreement.rs`) and the client test (`clients.rs`) give to validators and
//! generated types, `spec/schema/inexpressible.json`, and running a checker of `clients/`
//! over all the documents in one process. Included by both with `#[path]`.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use heartwire::document::Format;
use heartwire_tests::{Operation, VectorFile, read_vectors, repo_root, set_up_venv};
use serde::Deserialize;
use serde_json::Value;

/// One document of one case, to be validated.
#[derive(Debug)]
pub(crate) struct Check {
    /// `<case id>`, `<case id>#decoded` or `<case id>#encoded`.
    pub(crate) key: String,
    /// The schema's name.
    pub(crate) schema: &'static str,
    /// The document's text.
    pub(crate) text: String,
    /// `None` when the spec accepts it; the error class when it rejects it.
    pub(crate) error: Option<String>,
}

fn schema_name(format: Format) -> &'static str {
    match format {
        Format::Text => "text",
        Format::Record => "record",
        Format::Command => "command",
        Format::Schedule => "schedule",
    }
}

/// Every document of every suite, and the suite's own files.
pub(crate) fn checks() -> Vec<Check> {
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
        "transport.json",
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

/// `spec/schema/inexpressible.json`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Inexpressible {
    /// Error classes the schemas cannot check at all, with the reason.
    pub(crate) classes: BTreeMap<String, String>,
    /// Single cases the schemas accept, with the reason.
    pub(crate) cases: BTreeMap<String, String>,
    /// What one tool is known to differ on, by the tool's name (`ajv`, `quicktype`,
    /// `pydantic`), beyond what every schema validator differs on.
    pub(crate) tools: BTreeMap<String, Tool>,
}

/// What one tool is known to differ on (`tools` of `inexpressible.json`).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Tool {
    /// What the tool is and how it is run.
    #[allow(dead_code)]
    pub(crate) about: String,
    /// Error classes it never checks, with the reason.
    #[serde(default)]
    pub(crate) classes: BTreeMap<String, String>,
    /// Spec-invalid cases it accepts, with the reason.
    #[serde(default)]
    pub(crate) cases: BTreeMap<String, String>,
    /// Spec-valid cases it accepts but whose values it does not give back unchanged, with
    /// the reason.
    #[serde(default)]
    pub(crate) changed: BTreeMap<String, String>,
}

pub(crate) fn inexpressible() -> Inexpressible {
    let path = repo_root().join("spec/schema/inexpressible.json");
    let text = std::fs::read_to_string(&path).expect("spec/schema/inexpressible.json");
    serde_json::from_str(&text).expect("spec/schema/inexpressible.json is well-formed")
}

/// The venv's interpreter (`clients/python/setup-venv.sh`, once per target folder).
pub(crate) fn python() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("schema-venv");
    set_up_venv("clients/python/setup-venv.sh", &dir).unwrap_or_else(|e| panic!("{e}"))
}

/// `clients/typescript` with its npm packages installed (`setup.sh`) and built (`npm run
/// build`: the generated types, and `dist/` compiled by `tsc`, which fails on a type
/// error), once per test binary. The build holds a lock on the folder, so that test
/// binaries of concurrent cargo runs do not build together, and is skipped when one
/// succeeded from the same inputs (the schemas, `generate.mjs`, `src/*.ts`, the package
/// lock and the compiler's settings): the client test and the agreement test both need
/// it, and it takes seconds.
pub(crate) fn typescript() -> &'static Path {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(|| {
        let dir = repo_root().join("clients/typescript");
        run(Command::new("bash").arg(dir.join("setup.sh")));
        let stamp = dir.join("node_modules/.heartwire-build-stamp");
        let inputs = build_inputs(&dir);
        if std::fs::read_to_string(&stamp).ok().as_deref() == Some(inputs.as_str())
            && dir.join("dist/check.js").is_file()
        {
            return dir;
        }
        let lock = dir.join("node_modules/.heartwire-build.lock");
        run(Command::new("bash")
            .arg("-c")
            .arg(
                "if command -v flock >/dev/null; then exec flock \"$0\" npm run --silent build; \
                 else exec npm run --silent build; fi",
            )
            .arg(&lock)
            .current_dir(&dir));
        std::fs::write(&stamp, inputs).expect("the build stamp is written");
        dir
    })
}

/// What the TypeScript build is made from, as one line per file: its path and a hash of
/// its bytes.
fn build_inputs(dir: &Path) -> String {
    use std::hash::{Hash as _, Hasher as _};
    let listed = |folder: PathBuf, suffix: &str| -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&folder)
            .unwrap_or_else(|e| panic!("{}: {e}", folder.display()))
            .map(|entry| entry.expect("a folder entry").path())
            .filter(|path| path.is_file() && path.to_string_lossy().ends_with(suffix))
            .collect();
        files.sort();
        files
    };
    let mut files = listed(repo_root().join("spec/schema"), ".schema.json");
    files.extend(listed(dir.join("src"), ".ts"));
    for name in ["generate.mjs", "package-lock.json", "tsconfig.json"] {
        files.push(dir.join(name));
    }
    let mut out = String::new();
    for file in files {
        let bytes = std::fs::read(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        bytes.hash(&mut hasher);
        out.push_str(&format!("{} {:016x}\n", file.display(), hasher.finish()));
    }
    out
}

/// Runs `command`, which must succeed; its output.
pub(crate) fn run(command: &mut Command) -> std::process::Output {
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

/// Gives every check to `command` on its standard input, one `{"key","schema","text"}`
/// line each, and gives back the JSON line it answers for each, by key: one process for
/// all the documents.
pub(crate) fn answers(command: &mut Command, checks: &[Check]) -> BTreeMap<String, Value> {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"));
    let mut input = String::new();
    for check in checks {
        let line =
            serde_json::json!({"key": check.key, "schema": check.schema, "text": check.text});
        input.push_str(&line.to_string());
        input.push('\n');
    }
    let mut stdin = child.stdin.take().expect("piped stdin");
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let output = child.wait_with_output().expect("the checker runs");
    writer
        .join()
        .expect("the writer thread")
        .expect("the checker reads its input");
    assert!(
        output.status.success(),
        "{command:?} failed ({}):\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let answers: BTreeMap<String, Value> = String::from_utf8(output.stdout)
        .expect("UTF-8 output")
        .lines()
        .map(|line| {
            let value: Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("{command:?} wrote {line:?}: {e}"));
            let key = value["key"].as_str().expect("a key").to_owned();
            (key, value)
        })
        .collect();
    assert_eq!(
        answers.len(),
        checks.len(),
        "{command:?} answered every document"
    );
    answers
}
