//! The liveness scenarios through `heartwire verify` (format `liveness`, operation
//! `run`, `spec/harness.md` §11): heartwire's own engine passes every one, in process
//! and behind both protocols; a monitor that loses an event or reports one late fails
//! with the case named and the events diffed, and the run is not conformant.

use std::ffi::OsStr;

use heartwire_tests::repo_root;
use serde_json::Value;

mod verifying;
use verifying::{HEARTWIRE, count, heartwire, verify};

/// The result of one case in a report.
fn result<'r>(report: &'r Value, id: &str) -> &'r Value {
    report["results"]
        .as_array()
        .expect("results")
        .iter()
        .find(|r| r["id"] == id)
        .unwrap_or_else(|| panic!("no result for {id}: {report}"))
}

/// The ids of the liveness scenarios, as `spec/vectors/liveness.json` has them.
fn scenario_ids() -> Vec<String> {
    let text = std::fs::read_to_string(repo_root().join("spec/vectors/liveness.json"))
        .expect("liveness.json");
    let file: Value = serde_json::from_str(&text).expect("JSON");
    file["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .map(|c| c["id"].as_str().expect("an id").to_owned())
        .collect()
}

/// The suite lists the scenarios (each a valid `run` of the `liveness` format), and
/// exports the file with its checksum.
#[test]
fn the_suite_has_the_liveness_scenarios() {
    let ids = scenario_ids();
    assert!(ids.len() >= 29, "{} scenarios", ids.len());
    let (code, stdout, _) = heartwire(&["vectors", "list", "--format", "liveness"]);
    assert_eq!(code, Some(0));
    let listed: Vec<String> = stdout
        .lines()
        .map(|line| {
            let fields: Vec<&str> = line.split('\t').collect();
            assert_eq!(fields[1..], ["liveness", "run", "valid"], "{line}");
            fields[0].to_owned()
        })
        .collect();
    assert_eq!(listed, ids);

    let manifest: Value = serde_json::from_str(
        &std::fs::read_to_string(repo_root().join("spec/vectors/suite.json")).expect("suite"),
    )
    .expect("JSON");
    assert!(
        manifest["files"]
            .as_array()
            .expect("files")
            .contains(&Value::from("liveness.json")),
        "{manifest}"
    );
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("liveness-export");
    let _ = std::fs::remove_dir_all(&dir);
    let (code, _, stderr) = heartwire(&[OsStr::new("vectors"), "export".as_ref(), dir.as_os_str()]);
    assert_eq!(code, Some(0), "{stderr}");
    let exported = std::fs::read(dir.join("liveness.json")).expect("liveness.json exported");
    let sums = std::fs::read_to_string(dir.join("SHA256SUMS")).expect("SHA256SUMS");
    let line = format!(
        "{}  liveness.json",
        heartwire_harness::suite::sha256_hex(&exported)
    );
    assert!(sums.lines().any(|l| l == line), "{sums}");
}

/// heartwire's own engine passes every scenario: in process, in session mode (its hello
/// supports `liveness` `run`) and in exec mode.
#[test]
fn the_builtin_engine_passes_every_scenario() {
    let total = scenario_ids().len() as u64;
    let (code, report) = verify(&["--format", "liveness"]);
    assert_eq!(code, Some(0), "{report}");
    assert_eq!(count(&report, "pass"), total, "{report}");
    assert_eq!(count(&report, "fail") + count(&report, "skip"), 0);
    assert_eq!(report["conformant"], true);
    for r in report["results"].as_array().expect("results") {
        assert_eq!(r["format"], "liveness");
        assert_eq!(r["operation"], "run");
    }

    let (code, report) = verify(&[
        "--format", "liveness", "--mode", "session", "--", HEARTWIRE, "vectors", "serve",
    ]);
    assert_eq!(code, Some(0), "{report}");
    assert_eq!(count(&report, "pass"), total, "{report}");

    let (code, report) = verify(&[
        "--format", "liveness", "--mode", "exec", "--", HEARTWIRE, "vectors", "exec",
    ]);
    assert_eq!(code, Some(0), "{report}");
    assert_eq!(count(&report, "pass"), total, "{report}");

    let (code, stdout, _) = heartwire(&["verify", "--format", "liveness"]);
    assert_eq!(code, Some(0));
    assert!(stdout.contains(&format!("{total} pass")), "{stdout}");
}

/// Runs the deliberately broken oracle with one fault on one scenario.
fn broken(mode: &str, fault: &str, case: &str, report: &str) -> (Option<i32>, String) {
    let oracle = repo_root().join("tests/foreign/broken/oracle.py");
    let args: Vec<&OsStr> = vec![
        "verify".as_ref(),
        "--report".as_ref(),
        report.as_ref(),
        "--format".as_ref(),
        "liveness".as_ref(),
        "--mode".as_ref(),
        mode.as_ref(),
        "--".as_ref(),
        "python3".as_ref(),
        oracle.as_os_str(),
        mode.as_ref(),
        "--fault".as_ref(),
        fault.as_ref(),
        "--case".as_ref(),
        case.as_ref(),
    ];
    let (code, stdout, stderr) = heartwire(&args);
    assert!(!stdout.is_empty(), "no report; stderr: {stderr}");
    (code, stdout)
}

const SCENARIO: &str = "liveness.text.late-then-dead";

/// A monitor whose last event is missing fails that scenario, named, with the missing
/// event in the reason and the diff; every other scenario passes; the run is not
/// conformant (exit 1).
#[test]
fn a_monitor_that_loses_an_event_fails() {
    let total = scenario_ids().len() as u64;
    for mode in ["session", "exec"] {
        let (code, stdout) = broken(mode, "missing-event", SCENARIO, "json");
        let report: Value = serde_json::from_str(&stdout).expect("a JSON report");
        assert_eq!(code, Some(1), "{mode}: {report}");
        assert_eq!(report["conformant"], false);
        assert_eq!(count(&report, "fail"), 1, "{mode}: {report}");
        assert_eq!(count(&report, "pass"), total - 1, "{mode}: {report}");
        let failed = result(&report, SCENARIO);
        assert_eq!(failed["status"], "fail");
        let reason = failed["reason"].as_str().unwrap_or_default();
        assert!(
            reason.contains("1 of 3 events missing") && reason.contains("-> dead (silent)"),
            "{mode}: {reason}"
        );
    }
    let (code, text) = broken("session", "missing-event", SCENARIO, "text");
    assert_eq!(code, Some(1));
    assert!(text.contains(SCENARIO), "{text}");
    assert!(
        text.contains("-       \"new\": \"dead\","),
        "the diff: {text}"
    );
}

/// A monitor that reports an event a second late fails, with both instants named.
#[test]
fn a_monitor_that_reports_an_event_late_fails() {
    let (code, stdout) = broken("exec", "late-event", SCENARIO, "json");
    let report: Value = serde_json::from_str(&stdout).expect("a JSON report");
    assert_eq!(code, Some(1), "{report}");
    assert_eq!(count(&report, "fail"), 1, "{report}");
    let failed = result(&report, SCENARIO);
    let reason = failed["reason"].as_str().unwrap_or_default();
    assert!(
        reason.contains("event 3 of 3 differs")
            && reason.contains("at 2024-01-01T00:00:15Z")
            && reason.contains("at 2024-01-01T00:00:16Z"),
        "{reason}"
    );
    // The sound oracle (no fault) passes them all, so the failures above are the faults'.
    let (code, stdout) = broken("exec", "none", SCENARIO, "json");
    let report: Value = serde_json::from_str(&stdout).expect("a JSON report");
    assert_eq!(code, Some(0), "{report}");
    assert_eq!(count(&report, "pass"), scenario_ids().len() as u64);
}
