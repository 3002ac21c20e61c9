//! What the `verify` test files share: running the binary, and reading its JSON report.

use std::ffi::{OsStr, OsString};
use std::process::Command;

use serde_json::Value;

/// The binary under test.
pub(crate) const HEARTWIRE: &str = env!("CARGO_BIN_EXE_heartwire");

/// Runs `heartwire` with arguments: (exit status, stdout, stderr).
pub(crate) fn heartwire<S: AsRef<OsStr>>(args: &[S]) -> (Option<i32>, String, String) {
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
pub(crate) fn verify<S: AsRef<OsStr>>(args: &[S]) -> (Option<i32>, Value) {
    let mut all: Vec<OsString> = vec!["verify".into(), "--report".into(), "json".into()];
    all.extend(args.iter().map(|a| a.as_ref().to_owned()));
    let (code, stdout, stderr) = heartwire(&all);
    let report = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("not a JSON report ({e}): {stdout}\nstderr: {stderr}"));
    (code, report)
}

/// How many cases of the report have `status`.
pub(crate) fn count(report: &Value, status: &str) -> u64 {
    report["counts"][status].as_u64().expect("a count")
}
