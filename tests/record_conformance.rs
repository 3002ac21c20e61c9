//! The Rust implementation against the conformance vectors of `spec/vectors/record.json`.
//!
//! Decode and encode cases go through [`Record::decode`] and the canonical encoder; the
//! chapter's own operations (`classify`, `channel`, `parse_channel`, `pattern`) through
//! the functions of `heartwire::record` they name (`spec/record.md` §9, §10).

use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use bytes::BytesMut;
use heartwire::record::{Channel, Convention, DEFAULT_INTERVAL, Record, ServiceName, classify_at};
use heartwire::time::Timestamp;
use heartwire_alloc_counter::{CountingAlloc, count};
use heartwire_tests::{
    Case, Operation, VectorFile, assert_every_case, assert_well_formed, read_vectors,
};
use serde_json::{Value, json};

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

/// Taken by every test of this file, so that none allocates while another measures.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn one_at_a_time() -> MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().unwrap_or_else(PoisonError::into_inner)
}

/// What heartwire gives for a case.
#[derive(Debug, PartialEq)]
enum Outcome {
    /// A record: its canonical text, from `Display` and from `encode` alike.
    Document(String),
    /// The result of a chapter operation.
    Result(Value),
    /// A rejection: class, offset (where there is one) and path (JSON errors).
    Error {
        class: String,
        offset: Option<usize>,
        path: Option<String>,
    },
}

fn error(class: &str, offset: Option<usize>, path: Option<&str>) -> Outcome {
    Outcome::Error {
        class: class.to_owned(),
        offset,
        path: path.map(str::to_owned),
    }
}

fn arg<'v>(case: &Case<'_>, args: &'v Value, key: &str) -> &'v str {
    args.get(key)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("{}: args.{key} is a string", case.id))
}

fn run(case: &Case<'_>) -> Outcome {
    let args = case.input.args.as_ref();
    let args = || args.unwrap_or_else(|| panic!("{}: an operation case has args", case.id));
    match &case.operation {
        Operation::Decode | Operation::Encode => {
            let bytes = case
                .input
                .document_bytes()
                .unwrap_or_else(|| panic!("{}: a record case has a document", case.id));
            match Record::decode(&bytes) {
                Ok(record) => {
                    let mut buf = BytesMut::new();
                    record.encode(&mut buf);
                    let text = String::from_utf8(buf.to_vec()).expect("UTF-8");
                    assert_eq!(record.to_string(), text, "{}: Display and encode", case.id);
                    assert_eq!(record.encoded_len(), text.len(), "{}: encoded_len", case.id);
                    Outcome::Document(text)
                }
                Err(e) => {
                    assert!(e.offset <= bytes.len(), "{}: {e:?} past the end", case.id);
                    error(e.class(), Some(e.offset), Some(&e.path))
                }
            }
        }
        Operation::Other(name) if name == "classify" => {
            let args = args();
            let mut instants = Vec::new();
            for key in ["timestamp", "now"] {
                match Timestamp::parse(arg(case, args, key)) {
                    Ok(t) => instants.push(t.unix_time()),
                    Err(e) => return error("json.timestamp", Some(e.offset), Some(key)),
                }
            }
            let interval = match args.get("interval") {
                None => DEFAULT_INTERVAL,
                Some(v) => Duration::from_secs_f64(
                    v.as_f64()
                        .unwrap_or_else(|| panic!("{}: interval is a number", case.id)),
                ),
            };
            let verdict = classify_at(instants[0], instants[1], interval);
            Outcome::Result(json!(verdict.as_str()))
        }
        Operation::Other(name) if name == "channel" => {
            let args = args();
            let Ok(convention) = arg(case, args, "convention").parse::<Convention>() else {
                return error("convention.unknown", None, None);
            };
            match ServiceName::new(arg(case, args, "service")) {
                Ok(service) => Outcome::Result(json!(service.channel(convention))),
                Err(e) => error(e.class(), Some(e.offset()), None),
            }
        }
        Operation::Other(name) if name == "parse_channel" => {
            match Channel::parse(arg(case, args(), "channel")) {
                Ok(channel) => {
                    let (service, convention) = channel.into_parts();
                    Outcome::Result(
                        json!({"service": service.as_str(), "convention": convention.as_str()}),
                    )
                }
                Err(e) => error(e.class(), Some(e.offset()), None),
            }
        }
        Operation::Other(name) if name == "pattern" => {
            match arg(case, args(), "convention").parse::<Convention>() {
                Ok(convention) => Outcome::Result(json!(convention.pattern())),
                Err(_) => error("convention.unknown", None, None),
            }
        }
        Operation::Other(name) => panic!("{}: the record format has no {name}", case.id),
    }
}

/// What the case expects, in the shape of [`Outcome`]; offsets and paths the case leaves
/// out are not compared.
fn expected(case: &Case<'_>) -> Outcome {
    let e = &case.expect;
    match (&e.error, e.decoded, &e.encoded, e.result) {
        (Some(class), None, None, None) => Outcome::Error {
            class: class.clone(),
            offset: e.offset,
            path: e.path.clone(),
        },
        (None, decoded, Some(encoded), None) => {
            if let Some(decoded) = decoded {
                assert_eq!(
                    decoded.get(),
                    encoded,
                    "{}: decoded is the canonical document, written as it is encoded",
                    case.id
                );
            }
            Outcome::Document(encoded.clone())
        }
        (None, None, None, Some(result)) => {
            Outcome::Result(serde_json::from_str(result.get()).expect("result is JSON"))
        }
        _ => panic!("{}: expect has an error, an output or a result", case.id),
    }
}

fn passes(expected: &Outcome, actual: &Outcome) -> bool {
    match (expected, actual) {
        (
            Outcome::Error {
                class,
                offset,
                path,
            },
            Outcome::Error {
                class: a_class,
                offset: a_offset,
                path: a_path,
            },
        ) => {
            class == a_class
                && offset.is_none_or(|o| Some(o) == *a_offset)
                && path.as_ref().is_none_or(|p| Some(p) == a_path.as_ref())
        }
        _ => expected == actual,
    }
}

#[test]
fn every_vector_passes() {
    let _guard = one_at_a_time();
    let text = read_vectors("record.json");
    let file: VectorFile<'_> = serde_json::from_str(&text).expect("vector file parses");
    assert_eq!(file.format, "record");
    assert_every_case(&file, |case| {
        let (expected, actual) = (expected(case), run(case));
        (!passes(&expected, &actual))
            .then(|| format!("expected {expected:?}\n    actual   {actual:?}"))
    });
}

/// Every canonical document of the suite decodes again to a record that encodes to the
/// same bytes: the canonical form is a fixed point.
#[test]
fn canonical_outputs_are_fixed_points() {
    let _guard = one_at_a_time();
    let text = read_vectors("record.json");
    let file: VectorFile<'_> = serde_json::from_str(&text).expect("vector file parses");
    let mut checked = 0;
    for case in &file.cases {
        let outputs = case
            .expect
            .decoded
            .map(|d| d.get())
            .into_iter()
            .chain(case.expect.encoded.as_deref());
        for output in outputs {
            let record = Record::decode(output.as_bytes())
                .unwrap_or_else(|e| panic!("{}: {output} does not decode: {e}", case.id));
            assert_eq!(record.to_string(), output, "{}: not a fixed point", case.id);
            checked += 1;
        }
    }
    assert!(checked > 40, "only {checked} outputs");
}

/// Ids are unique and well formed, the suite is large enough, and every section the cases
/// name exists in the chapter and has both a valid and an invalid case.
#[test]
fn the_suite_is_well_formed() {
    let _guard = one_at_a_time();
    let text = read_vectors("record.json");
    let file: VectorFile<'_> = serde_json::from_str(&text).expect("vector file parses");
    assert_eq!(file.spec, "spec/record.md");
    assert_well_formed(&file, "record", 45);
    for case in &file.cases {
        if matches!(case.operation, Operation::Decode | Operation::Encode) {
            assert!(
                case.input.document_bytes().is_some(),
                "{}: a document",
                case.id
            );
        } else {
            assert!(case.input.args.is_some(), "{}: args", case.id);
        }
    }
}

/// Decoding a typical record (no escapes, at most eight extras, arrays and objects among
/// them included) does not allocate, nor does encoding it into a buffer with room.
///
/// Extras holding an object of more than eight members are left out: checking it for
/// duplicate keys keeps its keys in room for eight.
///
/// The allocation counter is process-wide: the other tests of this file wait for this one
/// (`one_at_a_time`), and each measurement is the smallest of several runs, because the
/// test harness's own thread can still allocate, and can only add to a count.
#[test]
fn decoding_a_typical_record_does_not_allocate() {
    let _guard = one_at_a_time();
    let text = read_vectors("record.json");
    let file: VectorFile<'_> = serde_json::from_str(&text).expect("vector file parses");
    let mut checked = 0;
    for case in &file.cases {
        let (Operation::Decode, Some(document)) = (&case.operation, &case.input.document) else {
            continue;
        };
        let Ok(record) = Record::decode(document.as_bytes()) else {
            continue;
        };
        // An object of more than eight members: at least eight commas in one extra.
        let crowded = record
            .extras()
            .iter()
            .any(|(_, v)| v.starts_with('{') && v.matches(',').count() >= 8);
        if document.contains('\\') || record.extras().len() > 8 || crowded {
            continue;
        }
        let mut buf = BytesMut::with_capacity(document.len() + 64);
        let fewest =
            |f: &mut dyn FnMut()| (0..20).map(|_| count(&mut *f).1).min().unwrap_or(u64::MAX);
        let decoding = fewest(&mut || {
            let _ = std::hint::black_box(Record::decode(std::hint::black_box(document.as_bytes())));
        });
        assert_eq!(decoding, 0, "{}: decoding allocates", case.id);
        let encoding = fewest(&mut || {
            buf.clear();
            record.encode(&mut buf);
        });
        assert_eq!(encoding, 0, "{}: encoding allocates", case.id);
        checked += 1;
    }
    assert!(checked > 20, "only {checked} documents checked");
}
