//! The conformance harness in session mode, in cases per second, against baselines
//! measured in the same run.
//!
//! Each iteration sends every case of the text suite (152) to one long-lived session and
//! waits for each answer (`heartwire_harness::runner::Session::ask`, the loop `heartwire
//! verify --mode session` runs), so the figure is the harness, the pipes and the
//! implementation together, without process start-up.
//!
//! - `python-beatit`: `tests/foreign/python/heartwire_session.py`, the Python
//!   implementation that decodes with its own code and encodes through the real beatit
//!   (in the venv of `tests/interop/setup-venv.sh`). The target: at least 5,000
//!   cases per second.
//! - `python-oracle`: `tests/foreign/broken/oracle.py` with no fault, a Python program
//!   that answers from the vector files without decoding anything: the floor of any
//!   Python implementation, the cost of the pipes and Python's JSON.
//! - `builtin`: heartwire's own implementation in this process
//!   (`heartwire_harness::builtin::answer` and the comparison), without pipes.
//!
//! Run with `cargo bench -p heartwire-benches --bench verify`; criterion reports the
//! throughput in elements (cases) per second.

use std::ffi::OsString;
use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group};
use heartwire_harness::builtin;
use heartwire_harness::compare::{Answer, check};
use heartwire_harness::runner::{Session, select};
use heartwire_harness::suite::{Suite, SuiteCase};
use heartwire_tests::{repo_root, set_up_beatit_venv};

const TIMEOUT: Duration = Duration::from_secs(10);

fn passes(case: &SuiteCase<'_>, answer: &Answer) -> bool {
    matches!(answer, Answer::Accepted(_) | Answer::Rejected(_))
        && check(&case.case.expect, answer).is_ok()
}

fn session_bench(c: &mut Criterion, name: &str, command: &[OsString], cases: &[SuiteCase<'_>]) {
    let suite = Suite::builtin().expect("the suite");
    let mut session =
        Session::start(command, TIMEOUT, &suite.manifest.version).expect("the session starts");
    let mut group = c.benchmark_group("session");
    group.throughput(Throughput::Elements(cases.len() as u64));
    group.bench_function(name, |b| {
        b.iter(|| {
            for case in cases {
                let answer = session.ask(case, TIMEOUT).expect("an answer");
                assert!(passes(case, &answer), "{}: {answer:?}", case.case.id);
            }
        })
    });
    group.finish();
    session.stop(TIMEOUT);
}

fn verify(c: &mut Criterion) {
    let suite = Suite::builtin().expect("the suite");
    let cases = select(suite, Some("text"), None).expect("text cases");
    let python = set_up_beatit_venv(&Path::new(env!("CARGO_TARGET_TMPDIR")).join("beatit-venv"))
        .unwrap_or_else(|why| panic!("{why}"));
    let foreign = repo_root().join("tests/foreign");
    session_bench(
        c,
        "python-beatit",
        &[
            python.into_os_string(),
            foreign.join("python/heartwire_session.py").into_os_string(),
        ],
        &cases,
    );
    session_bench(
        c,
        "python-oracle",
        &[
            "python3".into(),
            foreign.join("broken/oracle.py").into_os_string(),
            "session".into(),
        ],
        &cases,
    );
    let mut group = c.benchmark_group("session");
    group.throughput(Throughput::Elements(cases.len() as u64));
    group.bench_function("builtin", |b| {
        b.iter(|| {
            for case in &cases {
                let answer = builtin::answer(case.format, &case.case.operation, &case.case.input);
                assert!(passes(case, black_box(&answer)), "{}", case.case.id);
            }
        })
    });
    group.finish();
}

criterion_group!(benches, verify);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
}
