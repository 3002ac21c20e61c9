//! `heartwire verify` and `heartwire vectors`, run through the real binary against real
//! foreign implementations (`tests/foreign/`): a Python session-mode implementation
//! that encodes with the real beatit, a Node exec-mode implementation, and a
//! deliberately broken one per failure class, each of which must be reported with the
//! right status, the right case id and the right exit status.

use std::collections::BTreeSet;
use std::ffi::{OsStr, OsString};
use std::path::Path;
use std::time::{Duration, Instant};

use heartwire_harness::suite::sha256_hex;
use heartwire_tests::{beatit_python, repo_root};
use serde_json::Value;

mod verifying;
use verifying::{HEARTWIRE, count, heartwire, verify};

fn foreign(path: &str) -> OsString {
    repo_root()
        .join("tests/foreign")
        .join(path)
        .into_os_string()
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
    broken_in(mode, fault, case, extra, None)
}

/// Runs the broken implementation with one fault on one case, and the folder its
/// `--dir` names (for the faults that keep state across processes).
fn broken_in(
    mode: &str,
    fault: &str,
    case: &str,
    extra: &[&str],
    dir: Option<&Path>,
) -> (Option<i32>, Value) {
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
    if let Some(dir) = dir {
        args.extend(["--dir".as_ref(), dir.as_os_str()]);
    }
    verify(&args)
}

/// One case of a valid input, one of an invalid input.
const VALID: &str = "text.subject.dotted";
const INVALID: &str = "text.subject.nats-star";

/// (fault, case, status, exit status of the run, words of the reason) in session mode:
/// a crash on an invalid input is an error, never a correct rejection, and a skip does
/// not fail the run.
const SESSION_FAULTS: [(&str, &str, &str, i32, &str); 12] = [
    ("wrong-output", VALID, "fail", 1, "another encoded form"),
    (
        "accepts-invalid",
        INVALID,
        "fail",
        1,
        "accepted an invalid input",
    ),
    ("rejects-valid", VALID, "fail", 1, "rejected a valid input"),
    ("crash", INVALID, "error", 1, ""),
    ("hang", INVALID, "error", 1, "timed out"),
    ("garbage", INVALID, "error", 1, "garbage on stdout"),
    ("exit", INVALID, "error", 1, "exited mid-session"),
    ("flood", INVALID, "error", 1, "4194304 bytes"),
    (
        "unsupported",
        VALID,
        "skip",
        0,
        "deliberately unsupported: text.subject.dotted",
    ),
    (
        "signal",
        INVALID,
        "error",
        1,
        "exited mid-session (signal: 9 (SIGKILL))",
    ),
    (
        "errored",
        VALID,
        "error",
        1,
        "errored: deliberately errored on text.subject.dotted",
    ),
    // The words are completed with the sequence numbers, which depend on the case's
    // position in the run.
    ("wrong-seq", VALID, "error", 1, "answered seq"),
];

/// The position (from 1) of a case among the text format's cases, as `vectors list`
/// orders them: its sequence number in a session run of the text format.
fn seq_of(id: &str) -> u64 {
    let (code, stdout, _) = heartwire(&["vectors", "list", "--format", "text"]);
    assert_eq!(code, Some(0));
    let at = stdout
        .lines()
        .position(|l| l.split('\t').next() == Some(id))
        .unwrap_or_else(|| panic!("{id} is not a text case"));
    at as u64 + 1
}

#[test]
fn each_broken_session_is_reported_with_the_right_status_and_case() {
    let total = listed(Some("text"));
    for (fault, case, status, exit, words) in SESSION_FAULTS {
        let (code, report) = broken(
            "session",
            fault,
            case,
            &["--format", "text", "--timeout", "2000ms"],
        );
        assert_eq!(code, Some(exit), "{fault}: {report}");
        assert_eq!(ids(&report, status), [case], "{fault}");
        assert_eq!(
            count(&report, "pass"),
            total - 1,
            "{fault}: every other case passes after a restart"
        );
        let words = if fault == "wrong-seq" {
            let seq = seq_of(case);
            format!("answered seq {} to request {seq}", seq + 1)
        } else {
            words.to_owned()
        };
        assert!(
            reason(&report, case).contains(&words),
            "{fault}: {}",
            reason(&report, case)
        );
    }
}

/// The invalid case among the five of the exec tests' filter.
const DOLLAR: &str = "text.subject.dollar";

/// (fault, case, status, exit status of the run, words of the reason) in exec mode. An
/// exec program exits after each case, so exiting is no fault; exit 3 is "not
/// supported", another status than 0, 1 and 3 or a signal is an error.
const EXEC_FAULTS: [(&str, &str, &str, i32, &str); 10] = [
    ("wrong-output", VALID, "fail", 1, "another encoded form"),
    (
        "accepts-invalid",
        DOLLAR,
        "fail",
        1,
        "accepted an invalid input",
    ),
    ("rejects-valid", VALID, "fail", 1, "rejected a valid input"),
    (
        "crash",
        DOLLAR,
        "error",
        1,
        "without a rejection object on stdout (a crash?)",
    ),
    ("hang", DOLLAR, "error", 1, "timed out"),
    ("garbage", DOLLAR, "error", 1, "garbage on stdout"),
    ("flood", DOLLAR, "error", 1, "4194304 bytes"),
    ("unsupported", VALID, "skip", 0, "not supported (exit 3)"),
    ("signal", DOLLAR, "error", 1, "crashed: signal: 9 (SIGKILL)"),
    ("errored", VALID, "error", 1, "crashed: exit status: 2"),
];

#[test]
fn each_broken_exec_program_is_reported_with_the_right_status_and_case() {
    // Five cases (a process each): dotted, digit-token, dash-first, double-dot, dollar.
    // The timeout is what `hang` costs, and must leave room for a Python start on a
    // loaded machine (half a second when idle on 2 cores).
    let filter = ["--filter", "text.subject.d*", "--timeout", "10000ms"];
    for (fault, case, status, exit, words) in EXEC_FAULTS {
        let (code, report) = broken("exec", fault, case, &filter);
        assert_eq!(code, Some(exit), "{fault}: {report}");
        assert_eq!(ids(&report, status), [case], "{fault}");
        assert_eq!(
            count(&report, "pass"),
            4,
            "{fault}: the other four cases pass: {report}"
        );
        assert!(
            reason(&report, case).contains(words),
            "{fault}: {}",
            reason(&report, case)
        );
    }
}

/// A fresh, empty folder under the target's temporary folder, of this test process
/// (two runs of the tests at once, in one checkout, share the target's folder).
fn fresh_dir(name: &str) -> std::path::PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}.{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a temporary folder");
    dir
}

/// A program that never says hello is a protocol error (exit 2), found once the
/// startup time (the timeout, and at least 10 s) is over, not a hang.
#[test]
fn a_session_without_hello_fails_after_the_startup_time() {
    let oracle = foreign("broken/oracle.py");
    let args: Vec<&OsStr> = vec![
        "verify".as_ref(),
        "--mode".as_ref(),
        "session".as_ref(),
        "--timeout".as_ref(),
        "2000ms".as_ref(),
        "--".as_ref(),
        "python3".as_ref(),
        &oracle,
        "session".as_ref(),
        "--fault".as_ref(),
        "no-hello".as_ref(),
    ];
    let started = Instant::now();
    let (code, stdout, stderr) = heartwire(&args);
    let took = started.elapsed();
    assert_eq!(code, Some(2), "{stdout}{stderr}");
    assert!(stderr.contains("no hello within 10000 ms"), "{stderr}");
    assert!(
        took >= Duration::from_secs(10) && took < Duration::from_secs(30),
        "took {took:?}"
    );
}

/// When the program started again after a broken case does not say hello, the run goes
/// on: the broken case and every later one are errors, the earlier ones still count.
#[test]
fn a_restart_without_hello_makes_the_remaining_cases_errors() {
    let dir = fresh_dir("verify-restart-no-hello");
    let (code, report) = broken_in(
        "session",
        "exit-then-no-hello",
        INVALID,
        &["--format", "text", "--timeout", "2000ms"],
        Some(&dir),
    );
    assert_eq!(code, Some(1), "{report}");
    let before = seq_of(INVALID) - 1;
    let total = listed(Some("text"));
    assert_eq!(count(&report, "pass"), before, "{report}");
    let errors = ids(&report, "error");
    assert_eq!(errors.len() as u64, total - before);
    assert_eq!(errors[0], INVALID);
    assert!(reason(&report, INVALID).contains("exited mid-session"));
    assert!(
        reason(&report, &errors[1])
            .contains("not run: the program could not be restarted: the session did not start: no hello within 10000 ms"),
        "{}",
        reason(&report, &errors[1])
    );
}

/// `--jobs N` runs N cases at once, and no more: each process of the `overlap` oracle
/// notes how many processes of the run it saw running with it (waiting for a second
/// one up to 2 s), so the test depends on what ran together, not on how fast.
#[test]
fn jobs_run_cases_at_once() {
    // Three cases: start, beat and degraded with an integer.
    for (jobs, most) in [("2", 2), ("1", 1)] {
        let dir = fresh_dir(&format!("verify-jobs-{jobs}"));
        let (code, report) = broken_in(
            "exec",
            "overlap",
            VALID,
            &[
                "--filter",
                "text.payload.*.integer",
                "--jobs",
                jobs,
                "--timeout",
                "10000ms",
            ],
            Some(&dir),
        );
        assert_eq!(code, Some(0), "--jobs {jobs}: {report}");
        assert_eq!(count(&report, "pass"), 3, "--jobs {jobs}");
        let log = std::fs::read_to_string(dir.join("log")).expect("the processes' log");
        let seen: Vec<u32> = log.lines().map(|l| l.parse().expect("a count")).collect();
        assert_eq!(seen.len(), 3, "--jobs {jobs}: one line per process: {log}");
        assert_eq!(
            seen.iter().max(),
            Some(&most),
            "--jobs {jobs}: the most processes running at once: {log}"
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
    let dir = fresh_dir("verify-expectations");
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
    // The implementation's choices, from its hello (`spec/harness.md` §4).
    assert!(
        text.contains("choices of oracle wrong-output:\n    answers: read from the vector files\n"),
        "{text}"
    );

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
    assert!(
        xml.contains(
            "    <properties>\n      <property name=\"implementation\" value=\"oracle\"/>\n      <property name=\"implementation.version\" value=\"wrong-output\"/>\n      <property name=\"mode\" value=\"session\"/>\n      <property name=\"choice.answers\" value=\"read from the vector files\"/>\n    </properties>\n"
        ),
        "{xml}"
    );
}

/// What `verify --report json` prints, in runs that between them give every status,
/// validates against the committed schema, `spec/schema/report.schema.json` (the one
/// foreign CI tools read), not only a report built by hand.
#[test]
fn real_json_reports_validate_against_the_committed_schema() {
    let path = repo_root().join("spec/schema/report.schema.json");
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(&path).expect("the schema"))
        .expect("the schema is JSON");
    let validator = jsonschema::draft202012::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap_or_else(|e| panic!("{} does not compile: {e}", path.display()));

    let dir = fresh_dir("verify-report-schema");
    let file = dir.join("expected.txt");
    // INVALID crashes (an error), DOLLAR passes though listed (an unexpected pass),
    // the retired id is stale.
    std::fs::write(&file, format!("{DOLLAR}\ntext.retired.case\n")).expect("written");
    let file = file.to_string_lossy().into_owned();
    let listed_failure = dir.join("listed-failure.txt");
    std::fs::write(&listed_failure, format!("{VALID}\n")).expect("written");
    let listed_failure = listed_failure.to_string_lossy().into_owned();
    let runs = [
        broken(
            "session",
            "crash",
            INVALID,
            &["--format", "text", "--expected-failures", &file],
        ),
        broken(
            "session",
            "wrong-output",
            VALID,
            &["--format", "text", "--expected-failures", &listed_failure],
        ),
        broken(
            "exec",
            "unsupported",
            VALID,
            &["--filter", "text.subject.d*"],
        ),
        broken(
            "exec",
            "rejects-valid",
            VALID,
            &["--filter", "text.subject.d*"],
        ),
        verify(&["--format", "text"]),
    ];
    let mut seen = BTreeSet::new();
    for (code, report) in &runs {
        let errors: Vec<String> = validator
            .iter_errors(report)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{errors:?} in {report}");
        assert!(code.is_some_and(|c| c <= 1), "{code:?}: {report}");
        for r in report["results"].as_array().expect("results") {
            seen.insert(r["status"].as_str().expect("a status").to_owned());
        }
    }
    // The runs cover every status, so that the schema is checked on each.
    let all = [
        "pass",
        "fail",
        "error",
        "skip",
        "expected-failure",
        "unexpected-pass",
        "stale-expectation",
    ];
    assert_eq!(seen, all.iter().map(|s| (*s).to_owned()).collect());

    // And the schema does reject what is not a report, so the check above means
    // something.
    let mut broken_report = runs[0].1.clone();
    broken_report["results"][0]["status"] = "sort-of".into();
    assert!(!validator.is_valid(&broken_report));
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

/// `vectors export` writes the whole suite, and its checksum file checks it; the
/// README, the changelog and the list of every id ever released come along.
#[test]
fn exported_vectors_carry_their_checksums() {
    let dir = fresh_dir("vectors-export");
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
    assert_eq!(checked, 8, "suite.json and the seven vector files");
    for name in ["README.md", "CHANGELOG.md", "ids.txt"] {
        let bytes = std::fs::read(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        let original =
            std::fs::read(repo_root().join("spec/vectors").join(name)).expect("in spec/vectors");
        assert_eq!(
            bytes, original,
            "{name} is exported as it is in spec/vectors"
        );
    }
}

/// Whether a process is alive (`kill -0`).
fn alive(pid: &str) -> bool {
    std::process::Command::new("kill")
        .args(["-0", pid])
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// An implementation that starts a background child which keeps its stdout open: the
/// harness kills the implementation's whole process group, so the child does not
/// outlive the run, and in exec mode the answer does not wait for it.
#[test]
fn an_implementation_is_killed_with_everything_it_started() {
    for mode in ["exec", "session"] {
        let dir = fresh_dir(&format!("verify-orphan-{mode}"));
        let started = Instant::now();
        let (code, report) = broken_in(
            mode,
            "orphan",
            VALID,
            &["--filter", "text.subject.d*", "--timeout", "30000ms"],
            Some(&dir),
        );
        assert_eq!(code, Some(0), "{mode}: {report}");
        assert!(count(&report, "pass") >= 1, "{mode}: {report}");
        // The orphan sleeps 120 s and the timeout is 30 s: the run did not wait for it.
        assert!(
            started.elapsed() < Duration::from_secs(25),
            "{mode}: the orphan's open stdout held the run"
        );
        let pid = std::fs::read_to_string(dir.join("orphan.pid")).expect("the orphan's pid");
        let pid = pid.trim();
        // Killed, and reaped by init: give it a moment to be gone.
        let gone = (0..100).any(|_| {
            std::thread::sleep(Duration::from_millis(20));
            !alive(pid)
        });
        if !gone {
            let _ = std::process::Command::new("kill")
                .args(["-9", pid])
                .status();
        }
        assert!(gone, "{mode}: the orphan {pid} outlived the run");
    }
}

/// A run that checks nothing is not conformant: a filter that matches no case, and an
/// implementation that says every case of its only format is unsupported (issue 16: both
/// used to end "0 pass; conformant" with exit 0, and a CI gate on them passed forever).
#[test]
fn a_run_that_checks_nothing_is_not_conformant() {
    let (code, stdout, _) = heartwire(&["verify", "--filter", "no.such.case.*"]);
    assert_eq!(code, Some(1), "{stdout}");
    assert!(
        stdout.contains("NOT conformant: no case passed, nothing was checked"),
        "{stdout}"
    );
    let (code, report) = verify(&["--filter", "no.such.case.*"]);
    assert_eq!(code, Some(1), "{report}");
    assert_eq!(report["conformant"], false);
    // Every case skipped by the implementation.
    let (code, report) = broken("session", "unsupported", VALID, &["--filter", VALID]);
    assert_eq!(code, Some(1), "{report}");
    assert_eq!(
        (count(&report, "skip"), count(&report, "pass")),
        (1, 0),
        "{report}"
    );
}

/// `--require` fails a run in which a required format had no case answered, naming it;
/// the text summary says, per format, how many cases ran.
#[test]
fn a_required_format_that_was_not_run_fails_the_run() {
    let (code, stdout, stderr) = heartwire(&["verify", "--format", "text", "--require", "text"]);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(
        stdout.contains(&format!(
            "cases run, by format: text {0} of {0}",
            listed(Some("text"))
        )),
        "{stdout}"
    );
    let (code, _, stderr) = heartwire(&["verify", "--format", "text", "--require", "text,record"]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("no case of record was run (--require)"),
        "{stderr}"
    );
}

/// A hello that names formats the suite does not have (`Text`) is told so, by name,
/// and the run, in which nothing was checked, is not conformant.
#[test]
fn unknown_formats_in_the_hello_are_named() {
    let oracle = foreign("broken/oracle.py");
    let args: Vec<&OsStr> = vec![
        "verify".as_ref(),
        "--mode".as_ref(),
        "session".as_ref(),
        "--format".as_ref(),
        "text".as_ref(),
        "--".as_ref(),
        "python3".as_ref(),
        oracle.as_os_str(),
        "session".as_ref(),
        "--fault".as_ref(),
        "misnamed".as_ref(),
    ];
    let (code, stdout, stderr) = heartwire(&args);
    assert_eq!(code, Some(1), "{stdout}{stderr}");
    assert!(
        stderr.contains(
            "the implementation's hello names formats the suite does not have: Command, Json, "
        ) && stderr.contains(
            ", Text, Transport (expected text, json, record, command, schedule, liveness, transport)"
        ),
        "{stderr}"
    );
    assert!(
        stdout.contains("no case passed, nothing was checked"),
        "{stdout}"
    );
}

/// Runs `heartwire verify ARGS... -- python3 oracle.py MODE --fault FAULT [--case CASE]
/// [--dir DIR]` with the report as text: (exit status, stdout, stderr).
fn broken_text(
    mode: &str,
    fault: &str,
    case: Option<&str>,
    extra: &[&str],
    dir: Option<&Path>,
) -> (Option<i32>, String, String) {
    let oracle = foreign("broken/oracle.py");
    let mut args: Vec<&OsStr> = vec!["verify".as_ref(), "--mode".as_ref(), mode.as_ref()];
    args.extend(extra.iter().map(OsStr::new));
    args.extend([
        "--".as_ref(),
        "python3".as_ref(),
        oracle.as_os_str(),
        mode.as_ref(),
        "--fault".as_ref(),
        fault.as_ref(),
    ]);
    if let Some(case) = case {
        args.extend([OsStr::new("--case"), OsStr::new(case)]);
    }
    if let Some(dir) = dir {
        args.extend(["--dir".as_ref(), dir.as_os_str()]);
    }
    heartwire(&args)
}

/// The result of one case in a JSON report.
fn result_of<'r>(report: &'r Value, id: &str) -> &'r Value {
    report["results"]
        .as_array()
        .expect("results")
        .iter()
        .find(|r| r["id"] == id)
        .unwrap_or_else(|| panic!("no result for {id}: {report}"))
}

/// A mistyped script path is a usage error (exit 2) that shows Python's own message, in
/// both modes, not a crash reported for every case of the suite (issue 16: 158 identical
/// "crashed: exit status: 2" lines over 85 s, then exit 1).
#[test]
fn a_missing_script_is_a_usage_error_that_shows_why() {
    for mode in ["exec", "session"] {
        let started = Instant::now();
        let (code, stdout, stderr) = heartwire(&[
            "verify",
            "--mode",
            mode,
            "--",
            "python3",
            "/nonexistent/heartwire_impl.py",
        ]);
        assert_eq!(code, Some(2), "{mode}: {stdout}{stderr}");
        assert!(
            stderr.contains("can't open file '/nonexistent/heartwire_impl.py'")
                && stderr.contains("No such file or directory"),
            "{mode}: Python's message: {stderr}"
        );
        assert!(stdout.is_empty(), "{mode}: no report: {stdout}");
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "{mode}: took {:?}",
            started.elapsed()
        );
    }
}

/// A program that fails every case the same way (here: it cannot load its codec) stops
/// the run after the first `SAME_FAILURE_LIMIT` cases as a usage error, with the reason
/// and its stderr; the cases after them are never started.
#[test]
fn a_program_failing_every_case_the_same_way_stops_early() {
    use heartwire_harness::runner::SAME_FAILURE_LIMIT;
    for (mode, reason) in [
        ("exec", "crashed: exit status: 4"),
        ("session", "exited mid-session (exit status: 4)"),
    ] {
        let dir = fresh_dir(&format!("verify-crash-always-{mode}"));
        let (code, stdout, stderr) = broken_text(
            mode,
            "crash-always",
            None,
            &["--format", "text", "--jobs", "1"],
            Some(&dir),
        );
        assert_eq!(code, Some(2), "{mode}: {stdout}{stderr}");
        assert!(
            stderr.contains(&format!(
                "the first {SAME_FAILURE_LIMIT} cases all ended in the same error, before any was answered: {reason}"
            )),
            "{mode}: {stderr}"
        );
        assert!(
            stderr.contains("| oracle: fatal: cannot load the codec (deliberately broken)"),
            "{mode}: its stderr is shown: {stderr}"
        );
        // In exec mode the one worker (--jobs 1) may have started the next case before
        // the run stopped; a session asks one case at a time.
        let log = std::fs::read_to_string(dir.join("log")).expect("the cases run");
        let most = SAME_FAILURE_LIMIT + usize::from(mode == "exec");
        let run = log.lines().count();
        assert!(
            (SAME_FAILURE_LIMIT..=most).contains(&run),
            "{mode}: {run} cases run of {}, expected {SAME_FAILURE_LIMIT} to {most}: {log}",
            listed(Some("text"))
        );
    }
    // A program that fails only some cases is not stopped: the cases before pass.
    let (code, report) = broken(
        "exec",
        "crash",
        DOLLAR,
        &["--filter", "text.subject.d*", "--jobs", "1"],
    );
    assert_eq!(code, Some(1), "{report}");
}

/// A session program that exits before its hello (an ImportError at start-up) is a
/// usage error that shows its traceback, not only "exited before saying hello".
#[test]
fn a_startup_import_error_shows_its_stderr() {
    let (code, stdout, stderr) = broken_text("session", "import-error", None, &[], None);
    assert_eq!(code, Some(2), "{stdout}{stderr}");
    assert!(
        stderr.contains("it exited before saying hello (exit status: 1)"),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "| ModuleNotFoundError: No module named 'heartwire_codec_that_does_not_exist'"
        ),
        "{stderr}"
    );
}

/// A crash shows the end of the program's stderr with the case, in both modes and in
/// every report; an answer that is only wrong does not.
#[test]
fn a_crash_shows_what_the_program_wrote_on_stderr() {
    for (mode, case, extra) in [
        ("exec", DOLLAR, ["--filter", "text.subject.d*"]),
        ("session", INVALID, ["--format", "text"]),
    ] {
        let (code, report) = broken(mode, "stderr-crash", case, &extra);
        assert_eq!(code, Some(1), "{mode}: {report}");
        let r = result_of(&report, case);
        assert_eq!(r["status"], "error", "{mode}: {r}");
        assert_eq!(
            r["stderr"],
            format!("oracle: starting the decoder\noracle: deliberate crash on {case}\n"),
            "{mode}: {r}"
        );
        let (code, text, _) = broken_text(mode, "stderr-crash", Some(case), &extra, None);
        assert_eq!(code, Some(1), "{mode}: {text}");
        assert!(
            text.contains(&format!(
                "    stderr:\n    | oracle: starting the decoder\n    | oracle: deliberate crash on {case}\n"
            )),
            "{mode}: {text}"
        );
    }
    let (_, report) = broken("session", "wrong-output", VALID, &["--filter", VALID]);
    assert!(
        result_of(&report, VALID).get("stderr").is_none(),
        "{report}"
    );
}

/// A failure shows what an outsider needs without looking the case up: its description
/// and spec section, its input with a caret under the expected offset, then the
/// difference of the compared members only (the `path` the implementation gave, which
/// no text case fixes, is not shown). The JSON and JUnit reports carry the same.
#[test]
fn a_failure_shows_the_case_its_input_and_only_compared_members() {
    let extra = ["--format", "text"];
    let (code, text, _) = broken_text("session", "wrong-offset", Some(INVALID), &extra, None);
    assert_eq!(code, Some(1), "{text}");
    let caret = format!(
        "    {}^ expected offset 17\n",
        " ".repeat("subject: ".len() + 17)
    );
    let expected = format!(
        "FAIL {INVALID}: rejected at another offset\n\
         \x20   case: '*' is a NATS wildcard (text.md \u{a7}3.2)\n\
         \x20   subject: heartbeat.orders.*\n\
         {caret}\
         \x20   payload: beat/5\n\
         \x20   answer (- expected, + actual):\n\
         \x20     error: \"subject.forbidden-char\"\n\
         \x20   - offset: 17\n\
         \x20   + offset: 18\n"
    );
    assert!(text.starts_with(&expected), "{text}");
    assert!(
        !text.contains("path"),
        "an uncompared member is shown: {text}"
    );

    let (code, report) = broken("session", "wrong-offset", INVALID, &extra);
    assert_eq!(code, Some(1), "{report}");
    let r = result_of(&report, INVALID);
    assert_eq!(r["description"], "'*' is a NATS wildcard");
    assert_eq!(
        (&r["spec"], &r["section"]),
        (&"spec/text.md".into(), &"3.2".into())
    );
    assert_eq!(
        r["input"],
        serde_json::json!([
            {"member": "subject", "bytes": 18, "text": "heartbeat.orders.*", "offset": 17, "column": 17},
            {"member": "payload", "bytes": 6, "text": "beat/5"}
        ])
    );
    assert_eq!(r["actual"], "error: \"subject.forbidden-char\"\noffset: 18");
    // A passing case carries its description and section, but no input.
    let pass = result_of(&report, VALID);
    assert_eq!((&pass["section"], pass.get("input")), (&"3.1".into(), None));

    let (code, xml, _) = broken_text(
        "session",
        "wrong-offset",
        Some(INVALID),
        &["--format", "text", "--report", "junit"],
        None,
    );
    assert_eq!(code, Some(1), "{xml}");
    let failure = format!(
        "<failure type=\"fail\" message=\"rejected at another offset\">\
         case: &apos;*&apos; is a NATS wildcard (text.md \u{a7}3.2)&#10;\
         subject: heartbeat.orders.*&#10;\
         {}^ expected offset 17&#10;\
         payload: beat/5&#10;\
         answer (- expected, + actual):&#10;\
         \x20 error: &quot;subject.forbidden-char&quot;&#10;\
         - offset: 17&#10;\
         + offset: 18&#10;</failure>",
        " ".repeat("subject: ".len() + 17)
    );
    assert!(xml.contains(&failure), "{xml}");
}
