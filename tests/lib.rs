//! Shared pieces of the heartwire test suite: where the conformance vector files are,
//! the rules every suite keeps, and running a suite through heartwire's own
//! implementation as `heartwire verify` does. The model of the vector files
//! (`spec/vectors/README.md`) is the harness crate's, re-exported here.
#![forbid(unsafe_code)]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

pub mod moto;

use heartwire_harness::builtin;
use heartwire_harness::compare::{Answer, answer_text, check};
pub use heartwire_harness::suite::{Case, Expect, Input, Operation, VectorFile};

/// The root of the repository.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from(".."), Path::to_path_buf)
}

/// Makes `dir` a Python virtual environment with a set-up script of the repository
/// (`tests/interop/setup-venv.sh` for the real beatit, `clients/python/setup-venv.sh` for
/// jsonschema; both need `python3` and access to PyPI and do nothing when the
/// environment is ready), and gives its interpreter; or the script's output. Test
/// binaries pass a folder under `$CARGO_TARGET_TMPDIR`, so that they share one.
pub fn set_up_venv(script: &str, dir: &Path) -> Result<PathBuf, String> {
    let script = repo_root().join(script);
    let output = std::process::Command::new("bash")
        .arg(&script)
        .arg(dir)
        .output()
        .map_err(|e| format!("cannot run `bash {}`: {e}", script.display()))?;
    if !output.status.success() {
        return Err(format!(
            "`bash {} {}` failed ({}); these tests need python3 and PyPI\n\
             --- stdout\n{}--- stderr\n{}",
            script.display(),
            dir.display(),
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr),
        ));
    }
    Ok(dir.join("bin").join("python"))
}

/// [`set_up_venv`] with the real beatit (`tests/interop/setup-venv.sh`).
pub fn set_up_beatit_venv(dir: &Path) -> Result<PathBuf, String> {
    set_up_venv("tests/interop/setup-venv.sh", dir)
}

/// The interpreter of the beatit venv in `target_tmpdir` (a test binary's
/// `CARGO_TARGET_TMPDIR`), set up once per test binary by [`set_up_beatit_venv`]; panics
/// with the script's output, in every test that needs it, when it cannot be set up.
pub fn beatit_python(target_tmpdir: &str) -> &'static Path {
    static PYTHON: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    match PYTHON.get_or_init(|| set_up_beatit_venv(&Path::new(target_tmpdir).join("beatit-venv"))) {
        Ok(python) => python,
        Err(why) => panic!("{why}"),
    }
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

/// Runs every case of a suite through heartwire's own implementation, exactly as
/// `heartwire verify` runs it ([`builtin::answer`], compared by [`check`]), and fails
/// listing every case whose answer differs. heartwire is also held to more than the
/// harness asks of others: it writes `decoded` byte for byte as the vector file shows it.
pub fn assert_builtin_passes(file: &VectorFile<'_>) {
    assert_every_case(file, |case| {
        let answer = builtin::answer(&file.format, &case.operation, &case.input);
        match &answer {
            Answer::Skipped(_) | Answer::Errored(_) => Some(answer_text(&answer)),
            Answer::Accepted(output) => {
                if let Err(m) = check(&case.expect, &answer) {
                    return Some(format!(
                        "{}\n    expected {}\n    actual   {}",
                        m.reason, m.expected, m.actual
                    ));
                }
                match (case.expect.decoded, &output.decoded) {
                    (Some(e), Some(a)) if e.get() != a.get() => Some(format!(
                        "decoded is not written byte for byte as expected\n    expected {}\n    actual   {}",
                        e.get(),
                        a.get()
                    )),
                    _ => None,
                }
            }
            Answer::Rejected(_) => check(&case.expect, &answer).err().map(|m| {
                format!(
                    "{}\n    expected {}\n    actual   {}",
                    m.reason, m.expected, m.actual
                )
            }),
        }
    });
}
