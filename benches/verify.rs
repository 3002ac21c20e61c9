//! The conformance harness in session and exec mode, in cases per second, against
//! baselines measured in the same run.
//!
//! Each iteration sends every case of the text suite to one long-lived session and
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
//! And exec mode, one process per case (`heartwire_harness::runner::run`, what
//! `heartwire verify --mode exec` does, process start-up included), on the same cases
//! against `heartwire-bench-exec`, a compiled exec-mode program of this package
//! that answers with heartwire's own implementation (`exec_builtin.rs`):
//!
//! - `exec/jobs-1` and `exec/jobs-2`: `--jobs 1` and `--jobs 2`. Their ratio is what
//!   running cases in parallel gains; the benchmark prints it (`exec speedup`), from
//!   the median time per run of each, as measured in the same criterion samples.
//!
//! Run with `cargo bench -p heartwire-benches --bench verify`; criterion reports the
//! throughput in elements (cases) per second. A run of exec mode starts a process per
//! case, so `-- exec --sample-size 10` keeps it short.

use std::ffi::OsString;
use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use criterion::{Criterion, SamplingMode, Throughput, criterion_group};
use heartwire_harness::builtin;
use heartwire_harness::compare::{Answer, check};
use heartwire_harness::report::Status;
use heartwire_harness::runner::{Mode, Options, Session, run, select};
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

/// Exec mode on the text suite with `--jobs 1` and `--jobs 2`, and the speedup of the
/// second over the first.
fn exec_bench(c: &mut Criterion, suite: &Suite<'_>, cases: usize) {
    let command = vec![OsString::from(env!("CARGO_BIN_EXE_heartwire-bench-exec"))];
    let mut group = c.benchmark_group("exec");
    group.throughput(Throughput::Elements(cases as u64));
    // A run takes a fraction of a second: criterion's default of growing the number of
    // runs per sample would make the benchmark last minutes.
    group.sampling_mode(SamplingMode::Flat);
    let mut medians = Vec::new();
    for jobs in [1, 2] {
        let options = Options {
            command: Some(command.clone()),
            mode: Mode::Exec,
            format: Some("text".to_owned()),
            jobs,
            timeout: TIMEOUT,
            ..Options::default()
        };
        // The time per run of every sample (warm-up included), for the speedup.
        let mut per_run: Vec<Duration> = Vec::new();
        group.bench_function(format!("jobs-{jobs}"), |b| {
            b.iter_custom(|runs| {
                let started = Instant::now();
                for _ in 0..runs {
                    let report = run(suite, &options, &mut |_, _| {}).expect("the run");
                    assert_eq!(report.count(Status::Pass), cases, "{}", report.to_text(5));
                }
                let took = started.elapsed();
                per_run.push(took / u32::try_from(runs.max(1)).unwrap_or(u32::MAX));
                took
            })
        });
        per_run.sort();
        medians.push(per_run.get(per_run.len() / 2).copied());
    }
    group.finish();
    // Not measured when a filter left a function out.
    if let [Some(one), Some(two)] = medians[..] {
        let rate = |d: Duration| cases as f64 / d.as_secs_f64();
        println!(
            "exec speedup, --jobs 2 over --jobs 1: {:.2}x ({:.0} against {:.0} cases/s, medians per run)",
            one.as_secs_f64() / two.as_secs_f64(),
            rate(two),
            rate(one)
        );
    }
}

fn verify(c: &mut Criterion) {
    let suite = Suite::builtin().expect("the suite");
    let cases = select(suite, Some("text"), None).expect("text cases");
    exec_bench(c, suite, cases.len());
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
