//! Interoperability with the real beatit 2022.3.1, the Python library that defined the
//! text convention (`spec/text.md` §11 and §12).
//!
//! Each test drives beatit's own `Heart` (sync and async publishers, subject as bytes and
//! as str, dotted process names) with `interop/beatit_driver.py` on a fake clock, and
//! heartwire's [`Heart`] / [`AsyncHeart`] on a [`ManualClock`] set to the same times, and
//! checks that:
//!
//! - everything beatit publishes decodes with [`Message::decode`] to the call that sent
//!   it: the process, the signal and the exact duration of the caller's value;
//! - heartwire publishes on the same calls, drops the same calls, on byte-identical
//!   subjects, with byte-identical payloads wherever Python writes heartwire's canonical
//!   number; where it does not (`5.0`, `1e-05`, more than nine fraction digits),
//!   heartwire writes exactly the canonical re-encoding of beatit's payload.
//!
//! The Python side runs in a virtual environment that `interop/setup-venv.sh` builds
//! once in `$CARGO_TARGET_TMPDIR/beatit-venv` (needs `python3` and access to PyPI). When
//! it cannot be built, every test here fails with the script's output.

use std::convert::Infallible;
use std::future::Future;
use std::io::Write as _;
use std::path::Path;
use std::pin::{Pin, pin};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use heartwire::text::{
    Message, NumberExpected, Process, Seconds, SecondsRangeError, Signal, SignalKind, Subject,
    TextError,
};
use heartwire_publish::clock::ManualClock;
use heartwire_publish::heart::{AsyncHeart, Heart, Outcome};
use heartwire_publish::{AsyncPublish, Publish};
use heartwire_tests::beatit_python;
use serde::Deserialize;
use serde_json::json;

use crate::Value::{Float, Int, Rewritten};

/// The folder of the Python side: requirements, venv script and driver.
const INTEROP: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/interop");

/// The dotted process names every scenario runs with.
const PROCESSES: [&str; 2] = ["my.process.identifier", "a.b-c.d_e"];

// ---------------------------------------------------------------------------------------
// The Python side
// ---------------------------------------------------------------------------------------

/// The venv's interpreter, set up once per test binary; panics with the script's output
/// when the venv cannot be set up, in every test that needs it.
fn python() -> &'static Path {
    beatit_python(env!("CARGO_TARGET_TMPDIR"))
}

/// What the driver reports for one call.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Report {
    index: usize,
    published: bool,
    /// The arguments of the `time.sleep` calls beatit made.
    sleeps: Vec<f64>,
    subject_type: Option<String>,
    subject_hex: Option<String>,
    payload_type: Option<String>,
    payload_hex: Option<String>,
}

/// What beatit published for one call, decoded from the driver's report.
#[derive(Debug)]
struct Sent {
    subject_type: String,
    subject: Vec<u8>,
    payload_type: String,
    payload: Vec<u8>,
}

impl Report {
    fn sent(&self, context: &str) -> Option<Sent> {
        let unhex = |field: &Option<String>, name: &str| {
            let text = field
                .as_deref()
                .unwrap_or_else(|| panic!("{context}: driver reported no {name}"));
            hex::decode(text).unwrap_or_else(|e| panic!("{context}: bad {name} hex: {e}"))
        };
        let text = |field: &Option<String>, name: &str| {
            field
                .clone()
                .unwrap_or_else(|| panic!("{context}: driver reported no {name}"))
        };
        if !self.published {
            assert_eq!(
                (
                    &self.subject_type,
                    &self.subject_hex,
                    &self.payload_type,
                    &self.payload_hex
                ),
                (&None, &None, &None, &None),
                "{context}: a dropped call with a message"
            );
            return None;
        }
        Some(Sent {
            subject_type: text(&self.subject_type, "subject_type"),
            subject: unhex(&self.subject_hex, "subject_hex"),
            payload_type: text(&self.payload_type, "payload_type"),
            payload: unhex(&self.payload_hex, "payload_hex"),
        })
    }
}

/// Runs the driver on `scenario` and returns its report on each of `calls` calls.
fn run_beatit(scenario: &serde_json::Value, calls: usize) -> Vec<Report> {
    let driver = Path::new(INTEROP).join("beatit_driver.py");
    let mut child = Command::new(python())
        .arg(&driver)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", driver.display()));
    let input = scenario.to_string();
    child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(input.as_bytes())
        .unwrap_or_else(|e| panic!("cannot write the scenario to the driver: {e}"));
    let output = child
        .wait_with_output()
        .unwrap_or_else(|e| panic!("driver did not finish: {e}"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "driver failed ({}) on {input}\n--- stdout\n{stdout}--- stderr\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr),
    );
    let reports: Vec<Report> = stdout
        .lines()
        .map(|line| {
            serde_json::from_str(line).unwrap_or_else(|e| panic!("bad driver line {line:?}: {e}"))
        })
        .collect();
    assert_eq!(
        reports.len(),
        calls,
        "one report per call expected:\n{stdout}"
    );
    for (i, report) in reports.iter().enumerate() {
        assert_eq!(report.index, i, "reports out of order:\n{stdout}");
    }
    reports
}

// ---------------------------------------------------------------------------------------
// Scenarios
// ---------------------------------------------------------------------------------------

/// Which of beatit's publishers, and which of heartwire's hearts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// beatit `_Sync` with a plain `publish`; heartwire [`Heart`].
    Sync,
    /// beatit `_Async` with an `async def publish`; heartwire [`AsyncHeart`].
    Async,
}

impl Mode {
    fn as_str(self) -> &'static str {
        match self {
            Mode::Sync => "sync",
            Mode::Async => "async",
        }
    }
}

/// A warmup or period as a Python caller passes it.
#[derive(Debug, Clone, Copy)]
enum Value {
    /// A Python `int`.
    Int(u64),
    /// A Python `float`, given by its `repr`, which is heartwire's canonical form too.
    Float(&'static str),
    /// A Python `float`, given by its `repr`, that heartwire writes as `canonical`.
    Rewritten {
        repr: &'static str,
        canonical: &'static str,
    },
}

impl Value {
    /// The value in the driver's scenario: Python gets exactly an int or a float.
    fn json(self) -> serde_json::Value {
        match self {
            Value::Int(n) => json!({ "int": n }),
            Value::Float(repr) | Value::Rewritten { repr, .. } => json!({ "float": repr }),
        }
    }

    /// The number as Python's f-string writes it, so as beatit sends it.
    fn python_text(self) -> String {
        match self {
            Value::Int(n) => n.to_string(),
            Value::Float(repr) | Value::Rewritten { repr, .. } => repr.to_owned(),
        }
    }

    /// The number as heartwire writes it.
    fn heartwire_text(self) -> String {
        match self {
            Value::Int(n) => n.to_string(),
            Value::Float(repr) => repr.to_owned(),
            Value::Rewritten { canonical, .. } => canonical.to_owned(),
        }
    }

    /// The caller's value converted exactly: ints by [`Seconds::from_secs`], floats by
    /// `Seconds::try_from(f64)`.
    fn seconds(self) -> Seconds {
        match self {
            Value::Int(n) => {
                Seconds::from_secs(n).unwrap_or_else(|| panic!("{n} s is not a Seconds"))
            }
            Value::Float(repr) | Value::Rewritten { repr, .. } => {
                let float: f64 = repr
                    .parse()
                    .unwrap_or_else(|e| panic!("{repr:?} is not a float: {e}"));
                Seconds::try_from(float).unwrap_or_else(|e| panic!("{repr}: {e}"))
            }
        }
    }
}

/// One call on the heart.
#[derive(Debug, Clone, Copy)]
struct Call {
    /// What `time.time()` says during the call; heartwire's clock is set to the time
    /// since the first call. Multiples of 0.25, so Python's float arithmetic is exact.
    at: f64,
    kind: SignalKind,
    /// The warmup or period; `None` for `stop`.
    value: Option<Value>,
    /// Whether the throttle lets it through.
    sent: bool,
}

const SENT: bool = true;
const DROPPED: bool = false;

const fn start(at: f64, warmup: Value) -> Call {
    Call {
        at,
        kind: SignalKind::Start,
        value: Some(warmup),
        sent: SENT,
    }
}

const fn beat(at: f64, period: Value, sent: bool) -> Call {
    Call {
        at,
        kind: SignalKind::Beat,
        value: Some(period),
        sent,
    }
}

const fn degraded(at: f64, period: Value, sent: bool) -> Call {
    Call {
        at,
        kind: SignalKind::Degraded,
        value: Some(period),
        sent,
    }
}

const fn stop(at: f64) -> Call {
    Call {
        at,
        kind: SignalKind::Stop,
        value: None,
        sent: SENT,
    }
}

impl Call {
    fn signal(self) -> Signal {
        let value = self.value.map(Value::seconds);
        self.kind
            .with_value(value)
            .unwrap_or_else(|| panic!("{self:?}: a value where none belongs, or none"))
    }

    fn json(self) -> serde_json::Value {
        let mut call = json!({ "at": self.at, "call": self.kind.as_str() });
        if let Some(value) = self.value {
            call["value"] = value.json();
        }
        call
    }

    /// The payload beatit sends: `f"{word}/{value}"`, or `stop`.
    fn python_payload(self) -> String {
        match self.value {
            Some(value) => format!("{}/{}", self.kind, value.python_text()),
            None => self.kind.to_string(),
        }
    }

    /// The payload heartwire sends.
    fn heartwire_payload(self) -> String {
        match self.value {
            Some(value) => format!("{}/{}", self.kind, value.heartwire_text()),
            None => self.kind.to_string(),
        }
    }
}

/// One run: a call sequence through one kind of publisher for one process.
#[derive(Debug, Clone, Copy)]
struct Run<'a> {
    calls: &'a [Call],
    process: &'a str,
    mode: Mode,
    subject_as_string: bool,
}

impl Run<'_> {
    fn json(&self) -> serde_json::Value {
        json!({
            "process": self.process,
            "mode": self.mode.as_str(),
            "subject_as_string": self.subject_as_string,
            "calls": self.calls.iter().map(|c| c.json()).collect::<Vec<_>>(),
        })
    }
}

/// Every combination of publisher, subject type and process name for `calls`.
fn runs(calls: &[Call]) -> Vec<Run<'_>> {
    let mut runs = Vec::new();
    for mode in [Mode::Sync, Mode::Async] {
        for subject_as_string in [false, true] {
            for process in PROCESSES {
                runs.push(Run {
                    calls,
                    process,
                    mode,
                    subject_as_string,
                });
            }
        }
    }
    runs
}

// ---------------------------------------------------------------------------------------
// The heartwire side
// ---------------------------------------------------------------------------------------

/// A publisher that keeps what it is given, for both hearts.
#[derive(Debug, Default)]
struct Recorder {
    sent: Vec<(Vec<u8>, Vec<u8>)>,
}

impl Publish for Recorder {
    type Error = Infallible;

    fn publish(&mut self, subject: &Subject<'_>, payload: &[u8]) -> Result<(), Infallible> {
        self.sent
            .push((subject.as_bytes().to_vec(), payload.to_vec()));
        Ok(())
    }
}

impl AsyncPublish for Recorder {
    type Error = Infallible;

    fn publish(
        &mut self,
        subject: &Subject<'_>,
        payload: &[u8],
    ) -> impl Future<Output = Result<(), Infallible>> + Send {
        let message = (subject.as_bytes().to_vec(), payload.to_vec());
        async move {
            // Like a network client, complete on a later poll.
            YieldOnce(false).await;
            self.sent.push(message);
            Ok(())
        }
    }
}

/// Pending on the first poll (waking itself), ready on the next.
struct YieldOnce(bool);

impl Future for YieldOnce {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            Poll::Ready(())
        } else {
            self.0 = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}

/// Polls `future` to completion on this thread; enough for futures that make progress
/// on every poll, as the recorder's do.
fn block_on<F: Future>(future: F) -> F::Output {
    struct Noop;
    impl Wake for Noop {
        fn wake(self: Arc<Self>) {}
    }
    let waker = Waker::from(Arc::new(Noop));
    let mut cx = Context::from_waker(&waker);
    let mut future = pin!(future);
    for _ in 0..1000 {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
    }
    panic!("future still pending after 1000 polls")
}

/// Runs the calls through heartwire's heart for `run.mode`; for each call, what it
/// published, if anything.
fn run_heartwire(run: &Run<'_>) -> Vec<Option<(Vec<u8>, Vec<u8>)>> {
    let process = Process::new(run.process).unwrap_or_else(|e| panic!("{}: {e}", run.process));
    let clock = ManualClock::new();
    let origin = run.calls.first().map_or(0.0, |c| c.at);
    let mut sync = Heart::with_clock(&process, Recorder::default(), clock.clone());
    let mut nonblocking = AsyncHeart::with_clock(&process, Recorder::default(), clock.clone());
    let mut published = Vec::new();
    for call in run.calls {
        let since = call.at - origin;
        let at = Duration::try_from_secs_f64(since)
            .unwrap_or_else(|e| panic!("{call:?}: {since} s is not a clock time: {e}"));
        assert_eq!(at.as_secs_f64(), since, "{call:?}: not an exact clock time");
        clock.set(at);
        let signal = call.signal();
        let (outcome, sent) = match run.mode {
            Mode::Sync => {
                let Ok(outcome) = match signal {
                    Signal::Start { warmup } => sync.start(warmup),
                    Signal::Beat { period } => sync.beat(period),
                    Signal::Degraded { period } => sync.degraded(period),
                    Signal::Stop => sync.stop(),
                };
                (outcome, &mut sync.publisher_mut().sent)
            }
            Mode::Async => {
                let Ok(outcome) = block_on(async {
                    match signal {
                        Signal::Start { warmup } => nonblocking.start(warmup).await,
                        Signal::Beat { period } => nonblocking.beat(period).await,
                        Signal::Degraded { period } => nonblocking.degraded(period).await,
                        Signal::Stop => nonblocking.stop().await,
                    }
                });
                (outcome, &mut nonblocking.publisher_mut().sent)
            }
        };
        let message = sent.pop();
        assert!(sent.is_empty(), "{call:?}: heartwire published twice");
        assert_eq!(
            outcome == Outcome::Published,
            message.is_some(),
            "{call:?}: outcome {outcome:?} disagrees with the publisher"
        );
        published.push(message);
    }
    published
}

// ---------------------------------------------------------------------------------------
// The comparison
// ---------------------------------------------------------------------------------------

fn check(calls: &[Call]) {
    assert!(
        calls.windows(2).all(|w| w[0].at <= w[1].at),
        "times must not go backwards (heartwire's clock is monotonic)"
    );
    // beatit starts its throttle at time 0: a first beat before 1.0 would be dropped.
    assert!(calls.iter().all(|c| c.at >= 1.0), "times must be >= 1.0");
    for run in runs(calls) {
        check_run(&run);
    }
}

fn check_run(run: &Run<'_>) {
    let reports = run_beatit(&run.json(), run.calls.len());
    let heartwire = run_heartwire(run);
    let subject = format!("heartbeat.{}", run.process);
    for (i, ((call, report), ours)) in run.calls.iter().zip(&reports).zip(&heartwire).enumerate() {
        let context = format!(
            "[{} publisher, subject_as_string={}, process {}] call {i}: {} at {}",
            run.mode.as_str(),
            if run.subject_as_string {
                "True"
            } else {
                "False"
            },
            run.process,
            call.python_payload(),
            call.at,
        );

        // beatit itself: published as the table says, and slept only in sync stop().
        let slept: &[f64] = if run.mode == Mode::Sync && call.kind == SignalKind::Stop {
            &[0.1]
        } else {
            &[]
        };
        assert_eq!(report.sleeps, slept, "{context}: beatit's sleeps");
        assert_eq!(report.published, call.sent, "{context}: beatit's throttle");
        assert_eq!(ours.is_some(), call.sent, "{context}: heartwire's throttle");
        let (Some(theirs), Some((our_subject, our_payload))) = (report.sent(&context), ours) else {
            continue;
        };

        // What beatit sends: the types, and the bytes Python's formatting gives.
        let subject_type = if run.subject_as_string {
            "str"
        } else {
            "bytes"
        };
        assert_eq!(theirs.subject_type, subject_type, "{context}: subject type");
        assert_eq!(theirs.payload_type, "bytes", "{context}: payload type");
        assert_bytes_eq(
            &theirs.subject,
            subject.as_bytes(),
            &format!("{context}: beatit's subject"),
        );
        assert_bytes_eq(
            &theirs.payload,
            call.python_payload().as_bytes(),
            &format!("{context}: beatit's payload"),
        );

        // (a) heartwire reads beatit's message as the call that sent it.
        let decoded = Message::decode(&theirs.subject, &theirs.payload)
            .unwrap_or_else(|e| panic!("{context}: heartwire rejects beatit's message: {e}"));
        assert_eq!(
            decoded.process().as_str(),
            run.process,
            "{context}: process"
        );
        assert_eq!(decoded.signal(), call.signal(), "{context}: signal");

        // (b) heartwire sends the same subject, and the same payload up to the canonical
        // form of the number.
        assert_bytes_eq(
            our_subject,
            &theirs.subject,
            &format!("{context}: heartwire's subject"),
        );
        let ours_decoded = Message::decode(our_subject, our_payload)
            .unwrap_or_else(|e| panic!("{context}: heartwire rejects its own message: {e}"));
        assert_eq!(ours_decoded, decoded, "{context}: the two messages differ");
        let canonical = Signal::decode(&theirs.payload)
            .unwrap_or_else(|e| panic!("{context}: {e}"))
            .to_string();
        assert_bytes_eq(
            our_payload,
            canonical.as_bytes(),
            &format!("{context}: heartwire's payload is not the canonical form of beatit's"),
        );
        assert_bytes_eq(
            our_payload,
            call.heartwire_payload().as_bytes(),
            &format!("{context}: heartwire's payload"),
        );
        match call.value {
            Some(Value::Rewritten { .. }) => assert_ne!(
                our_payload, &theirs.payload,
                "{context}: listed as rewritten, yet byte-identical"
            ),
            Some(Value::Int(_) | Value::Float(_)) | None => assert_bytes_eq(
                our_payload,
                &theirs.payload,
                &format!("{context}: payloads differ"),
            ),
        }
    }
}

/// Asserts that two byte strings are equal, showing them as text when they are not.
#[track_caller]
fn assert_bytes_eq(left: &[u8], right: &[u8], what: &str) {
    assert!(
        left == right,
        "{what}\n  left: {:?}\n right: {:?}",
        String::from_utf8_lossy(left),
        String::from_utf8_lossy(right),
    );
}

// ---------------------------------------------------------------------------------------
// The tests
// ---------------------------------------------------------------------------------------

/// The README example: integer values, a beat and a degraded dropped at once.
#[test]
fn readme_example() {
    check(&[
        start(1000.0, Int(60)),
        beat(1000.0, Int(5), SENT),
        beat(1000.0, Int(5), DROPPED),
        degraded(1000.0, Int(5), SENT),
        degraded(1000.0, Int(5), DROPPED),
        stop(1000.0),
    ]);
}

/// The throttle: per kind, measured from the last send, open again at exactly +1.0 s.
#[test]
fn throttle_per_kind_from_the_last_send() {
    check(&[
        beat(1000.0, Int(5), SENT),
        beat(1000.5, Int(5), DROPPED),
        beat(1000.75, Int(5), DROPPED),
        // degraded has a throttle of its own
        degraded(1000.75, Int(5), SENT),
        // +1.0 s after the last sent beat; the dropped ones did not move the window
        beat(1001.0, Int(5), SENT),
        degraded(1001.5, Int(5), DROPPED),
        degraded(1001.75, Float("0.5"), SENT),
        beat(1001.75, Float("0.5"), DROPPED),
        beat(1002.0, Float("0.5"), SENT),
        degraded(1002.5, Int(30), DROPPED),
        beat(1002.75, Int(30), DROPPED),
        beat(1005.25, Int(30), SENT),
        degraded(1005.25, Int(30), SENT),
        beat(1006.0, Int(30), DROPPED),
        degraded(1006.25, Int(30), SENT),
        stop(1006.25),
    ]);
}

/// `start` and `stop` always go out, repeated at the same instant, and never move the
/// throttle of `beat`.
#[test]
fn start_and_stop_are_never_throttled() {
    check(&[
        start(1000.0, Int(60)),
        start(1000.0, Int(60)),
        beat(1000.0, Int(5), SENT),
        start(1000.25, Int(1)),
        stop(1000.25),
        stop(1000.25),
        start(1000.5, Int(86400)),
        beat(1000.5, Int(5), DROPPED),
        stop(1000.5),
        start(1000.75, Int(1_000_000_000)),
        start(1000.75, Float("2.5")),
        stop(1000.75),
    ]);
}

/// Floats whose Python `repr` is a plain decimal with a fraction: byte-identical.
#[test]
fn floats_python_writes_canonically() {
    check(&[
        start(1000.0, Float("2.5")),
        beat(1000.0, Float("0.5"), SENT),
        degraded(1000.0, Float("0.1"), SENT),
        beat(1001.0, Float("1.25"), SENT),
        degraded(1001.0, Float("0.25"), SENT),
        beat(1001.5, Float("0.75"), DROPPED),
        start(1001.5, Float("0.0001")),
        start(1001.5, Float("90.75")),
        start(1001.5, Float("123456789.12345679")),
        beat(1002.0, Float("0.001"), SENT),
        stop(1002.0),
    ]);
}

/// Floats whose Python `repr` is not heartwire's canonical form: integral floats,
/// exponent forms, and more digits than nanoseconds hold.
#[test]
fn floats_heartwire_writes_in_canonical_form() {
    check(&[
        start(
            1000.0,
            Rewritten {
                repr: "60.0",
                canonical: "60",
            },
        ),
        beat(
            1000.0,
            Rewritten {
                repr: "5.0",
                canonical: "5",
            },
            SENT,
        ),
        degraded(
            1000.0,
            Rewritten {
                repr: "1e-05",
                canonical: "0.00001",
            },
            SENT,
        ),
        beat(
            1000.5,
            Rewritten {
                repr: "5.0",
                canonical: "5",
            },
            DROPPED,
        ),
        beat(
            1001.0,
            Rewritten {
                repr: "1.5e-07",
                canonical: "0.00000015",
            },
            SENT,
        ),
        degraded(
            1001.0,
            Rewritten {
                repr: "86400.0",
                canonical: "86400",
            },
            SENT,
        ),
        start(
            1001.25,
            Rewritten {
                repr: "1e-09",
                canonical: "0.000000001",
            },
        ),
        start(
            1001.25,
            Rewritten {
                repr: "1000000000.0",
                canonical: "1000000000",
            },
        ),
        // 0.1 + 0.2 in Python
        start(
            1001.25,
            Rewritten {
                repr: "0.30000000000000004",
                canonical: "0.3",
            },
        ),
        // rounded to the nanosecond, half to even, on the decimal Python wrote
        start(
            1001.25,
            Rewritten {
                repr: "0.1234567891",
                canonical: "0.123456789",
            },
        ),
        start(
            1001.25,
            Rewritten {
                repr: "1.0000000005",
                canonical: "1",
            },
        ),
        stop(1001.25),
    ]);
}

/// What beatit sends for values and names outside the text convention, and how heartwire
/// answers: it rejects each with a precise error, and cannot produce any of them.
#[test]
fn beatit_messages_outside_the_convention_are_rejected() {
    let offset = "start/".len();
    let invalid_number = |found| TextError::InvalidNumber {
        offset,
        expected: NumberExpected::Digit,
        found: Some(found),
    };
    let values = [
        (
            json!({ "int": 0 }),
            "start/0",
            TextError::ZeroDuration { offset },
        ),
        (json!({ "int": -5 }), "start/-5", invalid_number('-')),
        (
            json!({ "int": 1_000_000_001 }),
            "start/1000000001",
            TextError::OutOfRange { offset },
        ),
        (
            json!({ "float": "0.0" }),
            "start/0.0",
            TextError::ZeroDuration { offset },
        ),
        (
            json!({ "float": "-0.5" }),
            "start/-0.5",
            invalid_number('-'),
        ),
        (json!({ "float": "inf" }), "start/inf", invalid_number('i')),
        (json!({ "float": "nan" }), "start/nan", invalid_number('n')),
        (json!({ "bool": true }), "start/True", invalid_number('T')),
        (
            json!({ "float": "1e+16" }),
            "start/1e+16",
            TextError::OutOfRange { offset },
        ),
        (
            json!({ "float": "2.5e-10" }),
            "start/2.5e-10",
            TextError::ZeroDuration { offset },
        ),
    ];
    let calls: Vec<_> = values
        .iter()
        .map(|(value, _, _)| json!({ "at": 1000.0, "call": "start", "value": value }))
        .collect();
    let scenario = json!({
        "process": "my.process.identifier",
        "mode": "sync",
        "subject_as_string": false,
        "calls": calls,
    });
    let reports = run_beatit(&scenario, values.len());
    for ((value, payload, error), report) in values.iter().zip(&reports) {
        let context = format!("start(warmup={value})");
        let sent = report
            .sent(&context)
            .unwrap_or_else(|| panic!("{context}: beatit did not publish"));
        assert_bytes_eq(&sent.payload, payload.as_bytes(), &context);
        assert_eq!(
            Message::decode(&sent.subject, &sent.payload),
            Err(*error),
            "{context}"
        );
    }
    // heartwire's Heart takes a Seconds, and none of these values is one.
    assert_eq!(Seconds::from_secs(0), None);
    assert_eq!(Seconds::from_secs(1_000_000_001), None);
    for (float, error) in [
        (0.0, SecondsRangeError::NotPositive),
        (-0.5, SecondsRangeError::NotPositive),
        (f64::NAN, SecondsRangeError::NotPositive),
        (2.5e-10, SecondsRangeError::NotPositive),
        (f64::INFINITY, SecondsRangeError::TooLong),
        (1e16, SecondsRangeError::TooLong),
    ] {
        assert_eq!(Seconds::try_from(float), Err(error), "{float}");
    }

    // Process names beatit puts in a subject as they are.
    let names = [
        (
            "orders.*",
            TextError::ForbiddenChar {
                offset: 17,
                found: '*',
            },
        ),
        (
            "billing worker",
            TextError::ForbiddenChar {
                offset: 17,
                found: ' ',
            },
        ),
        ("my..process", TextError::EmptyToken { offset: 13 }),
        ("", TextError::EmptyToken { offset: 10 }),
    ];
    for (name, error) in names {
        let scenario = json!({
            "process": name,
            "mode": "sync",
            "subject_as_string": true,
            "calls": [{ "at": 1000.0, "call": "stop" }],
        });
        let reports = run_beatit(&scenario, 1);
        let context = format!("process {name:?}");
        let sent = reports[0]
            .sent(&context)
            .unwrap_or_else(|| panic!("{context}: beatit did not publish"));
        assert_bytes_eq(
            &sent.subject,
            format!("heartbeat.{name}").as_bytes(),
            &context,
        );
        assert_eq!(
            Message::decode(&sent.subject, &sent.payload),
            Err(error),
            "{context}"
        );
        assert!(Process::new(name).is_err(), "{context}");
    }
}
