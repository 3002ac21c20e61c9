//! Liveness record decoding against baselines in the same run: two of serde_json, an
//! owned struct with `String` fields and a `BTreeMap` for the service-specific members
//! (what a typical consumer writes) and `serde_json::Value` (what a consumer that keeps
//! everything writes); and the fastest JSON readers, sonic-rs and simd-json, each
//! decoding into a struct that borrows its strings and skips the service-specific
//! members. Targets: heartwire at least 2x faster than `Value` (issue 3), and at least as
//! fast as sonic-rs and simd-json (issue 21).
//!
//! `HEARTWIRE_COUNT=heartwire|owned|value|sonic|simd|none` runs each codec alone for
//! counting instructions under callgrind, as for the text benchmark;
//! `HEARTWIRE_CASE=seed|plain` counts one case only.

use std::collections::BTreeMap;
use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, criterion_group};
use heartwire::record::Record;
use serde::Deserialize;

/// The seed's record, as the seed's Python publisher writes it (`json.dumps`, with its
/// default `", "` and `": "` separators).
const SEED: &[u8] = br#"{"service_name": "tracker_fetcher", "instance_id": "a1b2c3d4-e5f6-7890-abcd-ef1234567890", "timestamp": "2025-01-16T08:30:00.123456+00:00", "uptime_seconds": 3600.5, "heartbeat_count": 60, "memory_usage_mb": 156.3, "cpu_usage_percent": 12.5, "queue_size": 1380, "last_successful_operation": "2025-01-16T08:29:45.123456+00:00", "api_status": "authenticated"}"#;

/// The same record without service-specific members.
const PLAIN: &[u8] = br#"{"service_name": "geofence_service", "instance_id": "0f8fad5b-d9cb-469f-a165-70867728950e", "timestamp": "2025-01-16T08:30:00.123456+00:00", "uptime_seconds": 86400.25, "heartbeat_count": 1440, "memory_usage_mb": 98.1, "cpu_usage_percent": 3.0}"#;

const CASES: [(&str, &[u8]); 2] = [("seed", SEED), ("plain", PLAIN)];

/// What a consumer in Rust typically writes without heartwire.
#[derive(Debug, Deserialize)]
#[allow(dead_code)] // the fields are read only by `Debug`; decoding is what is measured
struct Owned {
    service_name: String,
    instance_id: String,
    timestamp: String,
    uptime_seconds: f64,
    heartbeat_count: u64,
    memory_usage_mb: f64,
    cpu_usage_percent: f64,
    #[serde(flatten)]
    extra: BTreeMap<String, serde_json::Value>,
}

/// What a consumer writes for the fastest readers: the seven members of a record, the
/// strings borrowed from the document (none of the benchmark's has an escape), the
/// service-specific members skipped.
#[derive(Debug, Deserialize)]
#[allow(dead_code)] // as `Owned`
struct Borrowed<'a> {
    service_name: &'a str,
    instance_id: &'a str,
    timestamp: &'a str,
    uptime_seconds: f64,
    heartbeat_count: u64,
    memory_usage_mb: f64,
    cpu_usage_percent: f64,
}

/// simd-json's reader with what it reuses between documents: it parses in place, so each
/// document is first copied into `input`, and `buffers` holds its tape and strings.
struct Simd {
    input: Vec<u8>,
    buffers: simd_json::Buffers,
}

impl Simd {
    fn new() -> Simd {
        Simd {
            input: Vec::with_capacity(1024),
            buffers: simd_json::Buffers::new(1024),
        }
    }

    /// Decodes a copy of `doc` into a [`Borrowed`], which `read` looks at.
    fn decode<R>(&mut self, doc: &[u8], read: impl FnOnce(&Borrowed<'_>) -> R) -> Option<R> {
        self.input.clear();
        self.input.extend_from_slice(doc);
        simd_json::serde::from_slice_with_buffers::<Borrowed<'_>>(
            black_box(&mut self.input),
            &mut self.buffers,
        )
        .ok()
        .map(|b| read(&b))
    }
}

fn check_cases() {
    for (label, doc) in CASES {
        let record = Record::decode(doc).unwrap_or_else(|e| panic!("{label}: {e}"));
        let owned: Owned = serde_json::from_slice(doc).expect("the owned baseline decodes it");
        let value: serde_json::Value = serde_json::from_slice(doc).expect("Value decodes it");
        assert_eq!(
            record.service_name().as_str(),
            owned.service_name,
            "{label}"
        );
        assert_eq!(record.timestamp().as_str(), owned.timestamp, "{label}");
        assert_eq!(record.extras().len(), owned.extra.len(), "{label}");
        assert_eq!(
            value.as_object().map(serde_json::Map::len),
            Some(7 + record.extras().len()),
            "{label}"
        );
        let sonic: Borrowed<'_> = sonic_rs::from_slice(doc).expect("sonic-rs decodes it");
        assert_eq!(sonic.service_name, owned.service_name, "{label}");
        assert_eq!(sonic.timestamp, owned.timestamp, "{label}");
        assert_eq!(sonic.memory_usage_mb, owned.memory_usage_mb, "{label}");
        let simd = Simd::new().decode(doc, |b| {
            (
                b.instance_id.to_owned(),
                b.heartbeat_count,
                b.uptime_seconds,
            )
        });
        assert_eq!(
            simd,
            Some((
                owned.instance_id,
                owned.heartbeat_count,
                owned.uptime_seconds
            )),
            "{label}"
        );
    }
}

fn decode(c: &mut Criterion) {
    check_cases();
    let mut group = c.benchmark_group("record_decode");
    for (label, doc) in CASES {
        group.bench_with_input(BenchmarkId::new("heartwire", label), doc, |b, doc| {
            b.iter(|| Record::decode(black_box(doc)).is_ok())
        });
        group.bench_with_input(BenchmarkId::new("serde_owned", label), doc, |b, doc| {
            b.iter(|| serde_json::from_slice::<Owned>(black_box(doc)).is_ok())
        });
        group.bench_with_input(BenchmarkId::new("serde_value", label), doc, |b, doc| {
            b.iter(|| serde_json::from_slice::<serde_json::Value>(black_box(doc)).is_ok())
        });
        group.bench_with_input(BenchmarkId::new("sonic_borrowed", label), doc, |b, doc| {
            b.iter(|| sonic_rs::from_slice::<Borrowed<'_>>(black_box(doc)).is_ok())
        });
        let mut simd = Simd::new();
        group.bench_with_input(BenchmarkId::new("simd_borrowed", label), doc, |b, doc| {
            b.iter(|| simd.decode(doc, |_| ()).is_some())
        });
    }
    group.finish();
}

fn encode(c: &mut Criterion) {
    let mut group = c.benchmark_group("record_encode");
    for (label, doc) in CASES {
        let record = Record::decode(doc).unwrap_or_else(|e| panic!("{label}: {e}"));
        let value: serde_json::Value = serde_json::from_slice(doc).expect("Value decodes it");
        let mut buf = Vec::with_capacity(1024);
        group.bench_function(BenchmarkId::new("heartwire", label), |b| {
            b.iter(|| {
                buf.clear();
                black_box(&record).encode(&mut buf);
                black_box(&buf);
            })
        });
        let mut out = Vec::with_capacity(1024);
        group.bench_function(BenchmarkId::new("serde_value", label), |b| {
            b.iter(|| {
                out.clear();
                let result = serde_json::to_writer(&mut out, black_box(&value));
                black_box(&out);
                result
            })
        });
    }
    group.finish();
}

/// Decodes both cases `rounds` times with one codec and nothing else (see the text
/// benchmark's `count_instructions`); only the case named by `HEARTWIRE_CASE` (`seed` or
/// `plain`), twice per round, when it is set.
fn count_instructions(codec: &str, rounds: usize) {
    match std::env::var("HEARTWIRE_CASE") {
        Err(_) => count_cases(codec, rounds, CASES),
        Ok(case) => {
            let (label, doc) = CASES
                .into_iter()
                .find(|(label, _)| *label == case)
                .unwrap_or_else(|| panic!("unknown case {case}: seed or plain"));
            count_cases(codec, rounds, [(label, doc), (label, doc)]);
        }
    }
}

/// Chooses the codec once, outside the measured loop (see the text benchmark's
/// `count_instructions`), so that `none` subtracts exactly the loop's overhead.
fn count_cases(codec: &str, rounds: usize, cases: [(&str, &[u8]); 2]) {
    match codec {
        "heartwire" => count(rounds, cases, |doc| Record::decode(black_box(doc)).is_ok()),
        "owned" => count(rounds, cases, |doc| {
            serde_json::from_slice::<Owned>(black_box(doc)).is_ok()
        }),
        "value" => count(rounds, cases, |doc| {
            serde_json::from_slice::<serde_json::Value>(black_box(doc)).is_ok()
        }),
        "sonic" => count(rounds, cases, |doc| {
            sonic_rs::from_slice::<Borrowed<'_>>(black_box(doc)).is_ok()
        }),
        "simd" => {
            let mut simd = Simd::new();
            count(rounds, cases, |doc| simd.decode(doc, |_| ()).is_some())
        }
        "none" => count(rounds, cases, |doc| !black_box(doc).is_empty()),
        other => panic!("unknown codec {other}: heartwire, owned, value, sonic, simd or none"),
    }
}

/// Runs `decode` over both cases `rounds` times and checks that every one decoded.
fn count(rounds: usize, cases: [(&str, &[u8]); 2], mut decode: impl FnMut(&[u8]) -> bool) {
    let mut ok = 0usize;
    for _ in 0..rounds {
        for (_, doc) in cases {
            ok += usize::from(decode(doc));
        }
    }
    assert_eq!(ok, rounds * cases.len(), "every case decodes");
}

criterion_group!(benches, decode, encode);

fn main() {
    if let Ok(codec) = std::env::var("HEARTWIRE_COUNT") {
        count_instructions(&codec, 20_000);
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
