//! `heartwire verify` and `heartwire vectors`, run through the real binary against real
//! foreign implementations (`tests/foreign/`): a Python session-mode implementation
//! that encodes with the real beatit, a Node exec-mode implementation, and a
//! deliberately broken one per failure class, each of which must be reported with the
//! right status, the right case id and the right exit status.

use std::collections::BTreeSet;
use std::ffi::{OsStr, OsString};
use std::path::Path;
use std::process::Command;

use heartwire_harness::suite::sha256_hex;
use heartwire_tests::{beatit_python, repo_root};
use serde_json::Value;

const HEARTWIRE: &str = env!("CARGO_BIN_EXE_heartwire");

fn foreign(path: &str) -> OsString {
    repo_root()
        .join("tests/foreign")
        .join(path)
        .into_os_string()
}

/// Runs `heartwire` with arguments: (exit status, stdout, stderr).
fn heartwire<S: AsRef<OsStr>>(args: &[S]) -> (Option<i32>, String, String) {
    let out = Command::new(HEARTWIRE)
        .args(args)
        .output()
        .expect("the binary runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Runs `heartwire verify --report json ARGS...`: (exit status, report).
fn verify<S: AsRef<OsStr>>(args: &[S]) -> (Option<i32>, Value) {
    let mut all: Vec<OsString> = vec!["verify".into(), "--report".into(), "json".into()];
    all.extend(args.iter().map(|a| a.as_ref().to_owned()));
    let (code, stdout, stderr) = heartwire(&all);
    let report = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("not a JSON report ({e}): {stdout}\nstderr: {stderr}"));
    (code, report)
}

fn count(report: &Value, status: &str) -> u64 {
    report["counts"][status].as_u64().expect("a count")
}

/// The ids with a status, in report order.
fn ids(report: &Value, status: &str) -> Vec<String> {
    report["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter(|r| r["status"] == status)
        .map(|r| r["id"].as_str().expect("an id").to_owned())
        .collect()
}

fn reason(report: &Value, id: &str) -> String {
    report["results"]
        .as_array()
        .expect("results")
        .iter()
        .find(|r| r["id"] == id)
        .and_then(|r| r["reason"].as_str())
        .unwrap_or_default()
        .to_owned()
}

/// The number of cases `vectors list` gives (of a format).
fn listed(format: Option<&str>) -> u64 {
    let mut args = vec!["vectors", "list"];
    if let Some(format) = format {
        args.extend(["--format", format]);
    }
    let (code, stdout, _) = heartwire(&args);
    assert_eq!(code, Some(0));
    stdout.lines().count() as u64
}

fn python() -> &'static Path {
    beatit_python(env!("CARGO_TARGET_TMPDIR"))
}

/// `vectors list` lists every case of a vector file, as the file itself has them.
#[test]
fn vectors_list_lists_the_files_cases() {
    let text =
        std::fs::read_to_string(repo_root().join("spec/vectors/text.json")).expect("text.json");
    let file: Value = serde_json::from_str(&text).expect("JSON");
    let ids: Vec<&str> = file["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .map(|c| c["id"].as_str().expect("an id"))
        .collect();
    let (code, stdout, _) = heartwire(&["vectors", "list", "--format", "text"]);
    assert_eq!(code, Some(0));
    let listed: Vec<&str> = stdout
        .lines()
        .filter_map(|l| l.split('\t').next())
        .collect();
    assert_eq!(listed, ids);
    assert!(
        stdout.starts_with("text.subject.single-token\ttext\tdecode\tvalid\n"),
        "{stdout}"
    );
}

#[test]
fn heartwire_itself_is_conformant() {
    let total = listed(None);
    assert!(total > 700, "{total} cases");
    let (code, report) = verify::<&str>(&[]);
    assert_eq!(code, Some(0), "{report}");
    assert_eq!(count(&report, "pass"), total);
    assert_eq!(report["mode"], "builtin");
    assert_eq!(report["conformant"], true);
}

#[test]
fn heartwire_passes_behind_both_protocols() {
    let (code, report) = verify(&["--mode", "session", "--", HEARTWIRE, "vectors", "serve"]);
    assert_eq!(code, Some(0), "{report}");
    assert_eq!(count(&report, "pass"), listed(None));
    let args = [
        "--mode", "exec", "--format", "record", "--", HEARTWIRE, "vectors", "exec",
    ];
    let (code, report) = verify(&args);
    assert_eq!(code, Some(0), "{report}");
    assert_eq!(count(&report, "pass"), listed(Some("record")));
}

/// The Python implementation (own decoder, the real beatit as encoder) passes every case
/// of the text format, and the formats it does not declare in hello are skipped.
#[test]
fn the_python_beatit_implementation_passes_the_text_format() {
    let python = python().as_os_str().to_owned();
    let script = foreign("python/heartwire_session.py");
    let args: [&OsStr; 4] = [
        "--mode".as_ref(),
        "session".as_ref(),
        "--".as_ref(),
        &python,
    ];
    let mut args: Vec<&OsStr> = args.to_vec();
    args.push(&script);
    let (code, report) = verify(&args);
    assert_eq!(code, Some(0), "{report}");
    assert_eq!(count(&report, "pass"), listed(Some("text")));
    assert_eq!(count(&report, "skip"), listed(None) - listed(Some("text")));
    assert_eq!(report["implementation"]["name"], "heartwire-foreign-python");
    assert_eq!(
        report["implementation"]["choices"]["encoder"],
        "beatit 2022.3.1"
    );
}

/// The Node implementation passes in exec mode but for the failures its expectations
/// file lists, which are reported as expected failures.
#[test]
fn the_node_implementation_passes_with_its_expected_failures() {
    let file = foreign("node/expected-failures.txt");
    let script = foreign("node/heartwire_exec.mjs");
    let args: Vec<&OsStr> = vec![
        "--mode".as_ref(),
        "exec".as_ref(),
        "--format".as_ref(),
        "text".as_ref(),
        "--expected-failures".as_ref(),
        &file,
        "--".as_ref(),
        "node".as_ref(),
        &script,
    ];
    let (code, report) = verify(&args);
    assert_eq!(code, Some(0), "{report}");
    let listed_ids: BTreeSet<String> = std::fs::read_to_string(&file)
        .expect("the expectations file")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
        .collect();
    assert_eq!(
        ids(&report, "expected-failure")
            .into_iter()
            .collect::<BTreeSet<_>>(),
        listed_ids
    );
    assert_eq!(
        count(&report, "pass") + listed_ids.len() as u64,
        listed(Some("text"))
    );
}

/// Runs the broken implementation with one fault on one case.
fn broken(mode: &str, fault: &str, case: &str, extra: &[&str]) -> (Option<i32>, Value) {
    let oracle = foreign("broken/oracle.py");
    let mut args: Vec<&OsStr> = vec!["--mode".as_ref(), mode.as_ref()];
    args.extend(extra.iter().map(OsStr::new));
    args.extend([
        "--".as_ref(),
        "python3".as_ref(),
        oracle.as_os_str(),
        mode.as_ref(),
        "--fault".as_ref(),
        fault.as_ref(),
        "--case".as_ref(),
        case.as_ref(),
    ]);
    verify(&args)
}

/// One case of a valid input, one of an invalid input.
const VALID: &str = "text.subject.dotted";
const INVALID: &str = "text.subject.nats-star";

/// (fault, case, status, words of the reason): a crash on an invalid input is an error,
/// never a correct rejection.
const FAULTS: [(&str, &str, &str, &str); 8] = [
    ("wrong-output", VALID, "fail", "another encoded form"),
    (
        "accepts-invalid",
        INVALID,
        "fail",
        "accepted an invalid input",
    ),
    ("rejects-valid", VALID, "fail", "rejected a valid input"),
    ("crash", INVALID, "error", ""),
    ("hang", INVALID, "error", "timed out"),
    ("garbage", INVALID, "error", "garbage on stdout"),
    ("exit", INVALID, "error", "exited mid-session"),
    ("flood", INVALID, "error", "4194304 bytes"),
];

#[test]
fn each_broken_session_is_reported_with_the_right_status_and_case() {
    let total = listed(Some("text"));
    for (fault, case, status, words) in FAULTS {
        let (code, report) = broken(
            "session",
            fault,
            case,
            &["--format", "text", "--timeout", "2000"],
        );
        assert_eq!(code, Some(1), "{fault}: {report}");
        assert_eq!(ids(&report, status), [case], "{fault}");
        assert_eq!(
            count(&report, "pass"),
            total - 1,
            "{fault}: every other case passes after a restart"
        );
        assert!(
            reason(&report, case).contains(words),
            "{fault}: {}",
            reason(&report, case)
        );
    }
}

#[test]
fn each_broken_exec_program_is_reported_with_the_right_status_and_case() {
    // Five cases (a process each): dotted, digit-token, dash-first, double-dot, dollar.
    let filter = ["--filter", "text.subject.d*", "--timeout", "2000"];
    for (fault, case, status, words) in FAULTS {
        if fault == "exit" {
            continue; // exiting is what an exec program does after each case
        }
        let case = if case == INVALID {
            "text.subject.dollar"
        } else {
            case
        };
        let (code, report) = broken("exec", fault, case, &filter);
        assert_eq!(code, Some(1), "{fault}: {report}");
        assert_eq!(ids(&report, status), [case], "{fault}");
        let words = if fault == "crash" { "a crash?" } else { words };
        assert!(
            reason(&report, case).contains(words),
            "{fault}: {}",
            reason(&report, case)
        );
    }
}

/// What an implementation writes on stderr means nothing, and however much it writes,
/// it is never blocked on it.
#[test]
fn stderr_is_drained_and_ignored() {
    for mode in ["session", "exec"] {
        let (code, report) = broken(mode, "noisy", VALID, &["--filter", "text.subject.d*"]);
        assert_eq!(code, Some(0), "{mode}: {report}");
        assert_eq!(count(&report, "pass"), 5, "{mode}");
    }
}

/// An expectations file cannot rot: a listed case that passes is an unexpected pass, a
/// listed id the suite does not have is a stale expectation, and both fail the run.
#[test]
fn unexpected_passes_and_stale_expectations_fail_the_run() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("verify-expectations");
    std::fs::create_dir_all(&dir).expect("a temporary folder");
    let file = dir.join("expected.txt");
    std::fs::write(
        &file,
        format!("# comment\n{VALID}  fixed long ago\ntext.retired.case\n"),
    )
    .expect("written");
    let file = file.to_string_lossy().into_owned();
    let (code, report) = broken(
        "session",
        "none",
        VALID,
        &["--format", "text", "--expected-failures", &file],
    );
    assert_eq!(code, Some(1), "{report}");
    assert_eq!(ids(&report, "unexpected-pass"), [VALID]);
    assert_eq!(ids(&report, "stale-expectation"), ["text.retired.case"]);

    // --write-expected-failures writes the cases that fail now, and with that file the
    // run passes.
    let written = dir.join("written.txt").to_string_lossy().into_owned();
    let (code, _) = broken(
        "session",
        "wrong-output",
        VALID,
        &["--format", "text", "--write-expected-failures", &written],
    );
    assert_eq!(code, Some(1));
    let text = std::fs::read_to_string(&written).expect("written");
    let listed: Vec<&str> = text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert_eq!(listed, [VALID]);
    let (code, report) = broken(
        "session",
        "wrong-output",
        VALID,
        &["--format", "text", "--expected-failures", &written],
    );
    assert_eq!(code, Some(0), "{report}");
    assert_eq!(ids(&report, "expected-failure"), [VALID]);
}

#[test]
fn text_and_junit_reports_show_the_difference() {
    let oracle = foreign("broken/oracle.py");
    let run = |report: &str| {
        let args: Vec<&OsStr> = vec![
            "verify".as_ref(),
            "--mode".as_ref(),
            "session".as_ref(),
            "--format".as_ref(),
            "text".as_ref(),
            "--report".as_ref(),
            report.as_ref(),
            "--".as_ref(),
            "python3".as_ref(),
            &oracle,
            "session".as_ref(),
            "--fault".as_ref(),
            "wrong-output".as_ref(),
            "--case".as_ref(),
            VALID.as_ref(),
        ];
        heartwire(&args)
    };
    let (code, text, _) = run("text");
    assert_eq!(code, Some(1));
    assert!(
        text.contains(&format!("FAIL {VALID}: another encoded form")),
        "{text}"
    );
    assert!(
        text.contains("- encoded: \"heartbeat.my.process.identifier start/60\"")
            && text.contains("+ encoded: \"heartbeat.my.process.identifier start/60 wrong\""),
        "{text}"
    );
    assert!(text.contains("NOT conformant"), "{text}");

    let (code, xml, _) = run("junit");
    assert_eq!(code, Some(1));
    assert!(
        xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites "),
        "{xml}"
    );
    assert!(
        xml.contains(&format!(
            "<testcase classname=\"heartwire.text\" name=\"{VALID}\">\n      <failure type=\"fail\" message=\"another encoded form\">"
        )),
        "{xml}"
    );
    // The diff is escaped: the quotes of the encoded strings never end an attribute.
    assert!(xml.contains("- encoded: &quot;heartbeat.my.process.identifier start/60&quot;"));
    assert_eq!(
        xml.matches("<testcase ").count() as u64,
        listed(Some("text"))
    );
}

#[test]
fn usage_and_protocol_errors_exit_2() {
    let oracle = foreign("broken/oracle.py");
    let bad_hello: Vec<&OsStr> = vec![
        "verify".as_ref(),
        "--mode".as_ref(),
        "session".as_ref(),
        "--".as_ref(),
        "python3".as_ref(),
        &oracle,
        "session".as_ref(),
        "--fault".as_ref(),
        "bad-hello".as_ref(),
        "--case".as_ref(),
        VALID.as_ref(),
    ];
    let (code, _, stderr) = heartwire(&bad_hello);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("protocol 99"), "{stderr}");
    let (code, _, stderr) = heartwire(&["verify", "--", "/nonexistent/implementation"]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("cannot start"), "{stderr}");
    let (code, _, stderr) = heartwire(&["verify", "--format", "yaml"]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("no format \"yaml\""), "{stderr}");
    let (code, _, _) = heartwire(&["verify", "--jobs", "0"]);
    assert_eq!(code, Some(2));
}

#[test]
fn the_glob_filter_selects_cases_by_id() {
    let (code, report) = verify(&["--filter", "text.subject.*-utf8"]);
    assert_eq!(code, Some(0));
    let mut ran = ids(&report, "pass");
    ran.sort();
    assert_eq!(ran, ["text.subject.not-utf8", "text.subject.overlong-utf8"]);
}

/// `vectors export` writes the whole suite, and its checksum file checks it.
#[test]
fn exported_vectors_carry_their_checksums() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("vectors-export");
    let _ = std::fs::remove_dir_all(&dir);
    let (code, _, stderr) = heartwire(&[OsStr::new("vectors"), "export".as_ref(), dir.as_os_str()]);
    assert_eq!(code, Some(0), "{stderr}");
    let sums = std::fs::read_to_string(dir.join("SHA256SUMS")).expect("SHA256SUMS");
    let mut checked = 0;
    for line in sums.lines() {
        let (sum, name) = line.split_once("  ").expect("sha256sum format");
        let bytes = std::fs::read(dir.join(name)).expect("a listed file");
        assert_eq!(sha256_hex(&bytes), sum, "{name}");
        let original =
            std::fs::read(repo_root().join("spec/vectors").join(name)).expect("in spec/vectors");
        assert_eq!(
            bytes, original,
            "{name} is exported as it is in spec/vectors"
        );
        checked += 1;
    }
    assert_eq!(checked, 6, "suite.json and the five vector files");
}
