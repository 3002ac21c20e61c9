//! The text codec against two baselines, measured in the same run.
//!
//! - `heartwire`: [`Message::decode`] and `encode_subject` + `encode_payload` into a
//!   reused `Vec<u8>` that has room.
//! - `naive`: what a hand-written consumer does: `str::from_utf8`,
//!   `strip_prefix("heartbeat.")`, `split_once('/')`, `parse::<f64>()`; encoding with
//!   `write!` and `f64`'s `Display` into a reused `String`. It checks far less than
//!   heartwire (no token rules, no number grammar, no limits).
//! - `serde_json`: the equivalent JSON object
//!   `{"process":"my.process.identifier","signal":"beat","period":5}`, borrowed
//!   (`#[serde(borrow)] process: &str`), read with `from_slice` and written with
//!   `to_writer` into a reused `Vec`.
//!
//! A third group, `decode_parts`, times heartwire's subject, payload and number parsers
//! alone, to show where decode time goes.
//!
//! Run with `cargo bench -p heartwire-benches --bench text`. The issue's target:
//! heartwire decode at least 3x faster than the `serde_json` baseline.

use std::fmt::Write as _;
use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, criterion_group};
use heartwire::text::{Message, Seconds, Signal, Subject};
use serde::{Deserialize, Serialize};

/// The subject of every case: a realistic dotted process name.
const SUBJECT: &[u8] = b"heartbeat.my.process.identifier";
const SUBJECT_STR: &str = "heartbeat.my.process.identifier";

/// One benchmark case: the payload as the text convention writes it, and the same
/// message as the JSON baseline writes it.
struct Case {
    /// Label of the case in benchmark ids (`beat_5`).
    label: &'static str,
    /// The text payload.
    payload: &'static [u8],
    /// The equivalent JSON object.
    json: &'static [u8],
}

const CASES: [Case; 4] = [
    Case {
        label: "beat_5",
        payload: b"beat/5",
        json: br#"{"process":"my.process.identifier","signal":"beat","period":5}"#,
    },
    Case {
        label: "degraded_0.5",
        payload: b"degraded/0.5",
        json: br#"{"process":"my.process.identifier","signal":"degraded","period":0.5}"#,
    },
    Case {
        // The baseline struct has one value field, so `start`'s warmup travels as
        // `period` there; the shape and the work are the same.
        label: "start_60",
        payload: b"start/60",
        json: br#"{"process":"my.process.identifier","signal":"start","period":60}"#,
    },
    Case {
        label: "stop",
        payload: b"stop",
        json: br#"{"process":"my.process.identifier","signal":"stop"}"#,
    },
];

/// What both baselines decode into and encode from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Baseline<'a> {
    #[serde(borrow)]
    process: &'a str,
    #[serde(borrow)]
    signal: &'a str,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    period: Option<f64>,
}

/// Baseline A: the straightforward parser.
fn naive_decode<'a>(subject: &'a [u8], payload: &'a [u8]) -> Option<Baseline<'a>> {
    let process = std::str::from_utf8(subject)
        .ok()?
        .strip_prefix("heartbeat.")?;
    let payload = std::str::from_utf8(payload).ok()?;
    let (signal, period) = match payload.split_once('/') {
        Some((signal, value)) => (signal, Some(value.parse::<f64>().ok()?)),
        None => (payload, None),
    };
    Some(Baseline {
        process,
        signal,
        period,
    })
}

/// Baseline A: subject and payload with `write!` and `f64`'s `Display`.
fn naive_encode(msg: &Baseline<'_>, out: &mut String) -> std::fmt::Result {
    write!(out, "heartbeat.{}", msg.process)?;
    match msg.period {
        Some(period) => write!(out, "{}/{}", msg.signal, period),
        None => out.write_str(msg.signal),
    }
}

/// heartwire: subject then payload into one buffer.
fn heartwire_encode(msg: &Message<'_>, buf: &mut Vec<u8>) {
    msg.encode_subject(buf);
    msg.encode_payload(buf);
}

/// Fails loudly if the three codecs do not agree on what they measure.
fn check_cases() {
    for case in &CASES {
        let msg = Message::decode(SUBJECT, case.payload).expect("heartwire decodes the case");
        let naive = naive_decode(SUBJECT, case.payload).expect("the naive parser decodes it");
        let json: Baseline<'_> =
            serde_json::from_slice(case.json).expect("serde_json decodes the case");
        assert_eq!(naive, json, "{}: the baselines disagree", case.label);
        assert_eq!(msg.process().as_str(), naive.process, "{}", case.label);
        assert_eq!(msg.signal().kind().as_str(), naive.signal, "{}", case.label);

        let mut buf = Vec::with_capacity(256);
        heartwire_encode(&msg, &mut buf);
        let mut text = String::with_capacity(256);
        naive_encode(&naive, &mut text).expect("writing to a String");
        assert_eq!(
            &buf[..],
            text.as_bytes(),
            "{}: encoders disagree",
            case.label
        );
        let mut out = Vec::with_capacity(256);
        serde_json::to_writer(&mut out, &json).expect("serde_json encodes the case");
        // serde_json writes `5.0` for the `f64` 5: compare what it reads back.
        let back: Baseline<'_> = serde_json::from_slice(&out).expect("serde_json reads it");
        assert_eq!(back, json, "{}: serde_json round trip", case.label);
    }
}

fn decode(c: &mut Criterion) {
    check_cases();
    let mut group = c.benchmark_group("decode");
    for case in &CASES {
        group.bench_with_input(
            BenchmarkId::new("heartwire", case.label),
            case,
            |b, case| b.iter(|| Message::decode(black_box(SUBJECT), black_box(case.payload))),
        );
        group.bench_with_input(BenchmarkId::new("naive", case.label), case, |b, case| {
            b.iter(|| naive_decode(black_box(SUBJECT), black_box(case.payload)))
        });
        group.bench_with_input(
            BenchmarkId::new("serde_json", case.label),
            case,
            |b, case| b.iter(|| serde_json::from_slice::<Baseline<'_>>(black_box(case.json))),
        );
    }
    group.finish();

    // Input that is text already, on both sides: a `&str` subject (what NATS, MQTT and
    // AMQP clients give) against serde_json reading a `&str`, which skips its UTF-8
    // checks the same way.
    let mut group = c.benchmark_group("decode_str");
    for case in &CASES {
        let subject = std::str::from_utf8(SUBJECT).expect("ASCII");
        let json = std::str::from_utf8(case.json).expect("ASCII");
        group.bench_with_input(
            BenchmarkId::new("heartwire", case.label),
            case,
            |b, case| b.iter(|| Message::decode_str(black_box(subject), black_box(case.payload))),
        );
        group.bench_with_input(
            BenchmarkId::new("serde_json", case.label),
            json,
            |b, json| b.iter(|| serde_json::from_str::<Baseline<'_>>(black_box(json))),
        );
    }
    group.finish();
}

fn encode(c: &mut Criterion) {
    let mut group = c.benchmark_group("encode");
    for case in &CASES {
        let msg = Message::decode(SUBJECT, case.payload).expect("heartwire decodes the case");
        let naive = naive_decode(SUBJECT, case.payload).expect("the naive parser decodes it");

        let mut buf = Vec::with_capacity(256);
        group.bench_function(BenchmarkId::new("heartwire", case.label), |b| {
            b.iter(|| {
                buf.clear();
                heartwire_encode(black_box(&msg), &mut buf);
                black_box(&buf);
            })
        });
        let mut text = String::with_capacity(256);
        group.bench_function(BenchmarkId::new("naive", case.label), |b| {
            b.iter(|| {
                text.clear();
                let result = naive_encode(black_box(&naive), &mut text);
                black_box(&text);
                result
            })
        });
        let mut out = Vec::with_capacity(256);
        group.bench_function(BenchmarkId::new("serde_json", case.label), |b| {
            b.iter(|| {
                out.clear();
                let result = serde_json::to_writer(&mut out, black_box(&naive));
                black_box(&out);
                result
            })
        });
    }
    group.finish();
}

/// Where heartwire's decode time goes: the subject, the payload and the number alone.
fn decode_parts(c: &mut Criterion) {
    let mut group = c.benchmark_group("decode_parts");
    group.bench_function("Subject::decode", |b| {
        b.iter(|| Subject::decode(black_box(SUBJECT)).is_ok())
    });
    for case in &CASES {
        group.bench_with_input(
            BenchmarkId::new("Signal::decode", case.label),
            case,
            |b, case| b.iter(|| Signal::decode(black_box(case.payload))),
        );
    }
    for number in ["5", "0.5", "60"] {
        group.bench_with_input(
            BenchmarkId::new("Seconds::parse", number),
            number,
            |b, number| b.iter(|| Seconds::parse(black_box(number))),
        );
    }
    group.finish();
}

/// Decodes every case `rounds` times with one codec and nothing else, for counting
/// instructions under `valgrind --tool=callgrind` (deterministic, unlike wall time on a
/// shared machine). `none` runs the loop without decoding, to subtract.
fn count_instructions(codec: &str, rounds: usize) {
    // The codec is chosen once, outside the measured loop: each arm runs a loop of its
    // own, so the `none` run subtracts exactly the loop's overhead and no codec pays for
    // the choice.
    match codec {
        "heartwire" => count(rounds, |case, _| {
            Message::decode(black_box(SUBJECT), black_box(case.payload)).is_ok()
        }),
        "naive" => count(rounds, |case, _| {
            naive_decode(black_box(SUBJECT), black_box(case.payload)).is_some()
        }),
        "serde_json" => count(rounds, |case, _| {
            serde_json::from_slice::<Baseline<'_>>(black_box(case.json)).is_ok()
        }),
        "heartwire_str" => count(rounds, |case, _| {
            Message::decode_str(black_box(SUBJECT_STR), black_box(case.payload)).is_ok()
        }),
        "serde_json_str" => count(rounds, |_, text| {
            serde_json::from_str::<Baseline<'_>>(black_box(text)).is_ok()
        }),
        "none" => count(rounds, |case, _| black_box(case.payload).len() > 1),
        other => panic!(
            "unknown codec {other}: heartwire, heartwire_str, naive, serde_json, serde_json_str or none"
        ),
    }
}

/// Runs `decode` over every case `rounds` times and checks that every case decoded.
fn count(rounds: usize, decode: impl Fn(&Case, &str) -> bool) {
    let texts: Vec<&str> = CASES
        .iter()
        .map(|case| std::str::from_utf8(case.json).expect("the JSON cases are ASCII"))
        .collect();
    let mut ok = 0usize;
    for _ in 0..rounds {
        for (case, text) in CASES.iter().zip(&texts) {
            ok += usize::from(decode(case, text));
        }
    }
    assert_eq!(ok, rounds * CASES.len(), "every case decodes");
}

criterion_group!(benches, decode, encode, decode_parts);

fn main() {
    // `HEARTWIRE_COUNT=codec` selects the instruction-count mode (see README).
    if let Ok(codec) = std::env::var("HEARTWIRE_COUNT") {
        count_instructions(&codec, 100_000);
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
