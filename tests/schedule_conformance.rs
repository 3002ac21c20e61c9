//! The Rust implementation against the conformance vectors of `spec/vectors/schedule.json`.
//! (The `schedule_decode` fuzz corpus is replayed by `tests/fuzz_corpus.rs`.)

use bytes::BytesMut;
use heartwire::schedule::{Dialect, Rate, Schedule, ScheduleError};
use heartwire::time::{Timestamp, UnixTime};
use heartwire_tests::{
    Case, Operation, VectorFile, assert_every_case, assert_well_formed, read_vectors,
};
use serde_json::Value;

#[path = "../fuzz/src/schedule.rs"]
pub mod schedule_fuzz;

/// What a case produced: an output, or an error class with its offset and path.
#[derive(Debug, PartialEq)]
enum Outcome {
    /// A decode case: the canonical document (as `decoded` and `encoded` give it).
    Document(String),
    /// An encode case: the document written.
    Encoded(String),
    /// An operation of the chapter: its result.
    Result(Value),
    /// A rejection.
    Error {
        class: String,
        offset: usize,
        path: String,
    },
}

fn error(class: &str, offset: usize, path: &str) -> Outcome {
    Outcome::Error {
        class: class.to_owned(),
        offset,
        path: path.to_owned(),
    }
}

fn schedule_error(e: &ScheduleError, path: &str) -> Outcome {
    error(e.class(), e.offset, path)
}

/// A fire time as the `next` operation writes it (`spec/schedule.md` §10).
fn fire_time(t: UnixTime) -> String {
    let c = t.civil();
    assert_eq!((c.second, c.nanos), (0, 0), "{t:?} is not a whole minute");
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:00Z",
        c.year, c.month, c.day, c.hour, c.minute
    )
}

fn arg<'v>(args: &'v Value, key: &str, id: &str) -> &'v str {
    args.get(key)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("{id}: args.{key} is a string"))
}

/// Runs an operation of the chapter on its arguments.
fn operation(name: &str, args: &Value, id: &str) -> Outcome {
    let rate = || Rate::parse(arg(args, "rate", id)).map_err(|e| schedule_error(&e, "rate"));
    let result = match name {
        "next" => {
            let rate = match rate() {
                Ok(r) => r,
                Err(e) => return e,
            };
            let instant = |key: &str| {
                Timestamp::parse(arg(args, key, id))
                    .map(|t| t.unix_time())
                    .map_err(|e| error("json.timestamp", e.offset, key))
            };
            let after = match instant("after") {
                Ok(t) => t,
                Err(e) => return e,
            };
            let anchor = match args.get("anchor") {
                None => UnixTime::EPOCH,
                Some(_) => match instant("anchor") {
                    Ok(t) => t,
                    Err(e) => return e,
                },
            };
            let count = args
                .get("count")
                .and_then(Value::as_u64)
                .filter(|n| (1..=1000).contains(n))
                .unwrap_or_else(|| panic!("{id}: args.count is 1 to 1000"));
            let times = rate
                .fire_times_anchored(after, anchor)
                .take(usize::try_from(count).unwrap_or(usize::MAX))
                .map(|t| Value::String(fire_time(t)))
                .collect();
            Value::Array(times)
        }
        "expression" => match rate() {
            Ok(r) => Value::String(r.expression()),
            Err(e) => return e,
        },
        "at_expression" => match rate() {
            Ok(r) => r.at_expression().map_or(Value::Null, Value::String),
            Err(e) => return e,
        },
        "parse_expression" => match Rate::from_expression(arg(args, "expression", id)) {
            Ok(r) => Value::String(r.to_string()),
            Err(e) => return schedule_error(&e, "expression"),
        },
        other => panic!("{id}: the schedule format has no operation {other}"),
    };
    Outcome::Result(result)
}

/// What heartwire does with a case.
fn run(case: &Case<'_>) -> Outcome {
    let id = case.id.as_str();
    match &case.operation {
        Operation::Decode | Operation::Encode => {
            let bytes = case
                .input
                .document_bytes()
                .unwrap_or_else(|| panic!("{id}: a document or document_hex"));
            let schedule = match Schedule::decode(&bytes) {
                Ok(s) => s,
                Err(e) => return error(e.class(), e.offset, &e.path),
            };
            let dialect = match case.input.dialect.as_deref() {
                None => Dialect::String,
                Some(name) => {
                    Dialect::from_name(name).unwrap_or_else(|| panic!("{id}: dialect {name}"))
                }
            };
            let mut buf = BytesMut::new();
            schedule.encode_as(&mut buf, dialect);
            let text = String::from_utf8(buf.to_vec()).expect("encoding writes UTF-8");
            if case.operation == Operation::Decode {
                Outcome::Document(text)
            } else {
                Outcome::Encoded(text)
            }
        }
        Operation::Other(name) => operation(
            name,
            case.input
                .args
                .as_ref()
                .unwrap_or_else(|| panic!("{id}: args")),
            id,
        ),
    }
}

/// What a case expects, in the shape of [`Outcome`]; offsets and paths the case leaves
/// out are taken from `actual`, since the case does not fix them.
fn expected(case: &Case<'_>, actual: &Outcome) -> Outcome {
    let id = case.id.as_str();
    let e = &case.expect;
    if let Some(class) = &e.error {
        let (a_offset, a_path) = match actual {
            Outcome::Error { offset, path, .. } => (*offset, path.clone()),
            _ => (usize::MAX, String::new()),
        };
        return Outcome::Error {
            class: class.clone(),
            offset: e.offset.unwrap_or(a_offset),
            path: e.path.clone().unwrap_or(a_path),
        };
    }
    match &case.operation {
        Operation::Decode => {
            let decoded = e.decoded.unwrap_or_else(|| panic!("{id}: expect.decoded"));
            let encoded = e
                .encoded
                .as_deref()
                .unwrap_or_else(|| panic!("{id}: expect.encoded"));
            assert_eq!(
                decoded.get(),
                encoded,
                "{id}: expect.decoded is the canonical document, written as expect.encoded"
            );
            Outcome::Document(encoded.to_owned())
        }
        Operation::Encode => Outcome::Encoded(
            e.encoded
                .clone()
                .unwrap_or_else(|| panic!("{id}: expect.encoded")),
        ),
        Operation::Other(_) => Outcome::Result(
            e.result
                .map(|r| serde_json::from_str(r.get()).expect("a JSON result"))
                .unwrap_or_else(|| panic!("{id}: expect.result")),
        ),
    }
}

fn vectors(text: &str) -> VectorFile<'_> {
    let file: VectorFile<'_> = serde_json::from_str(text).expect("vector file parses");
    assert_eq!(file.format, "schedule");
    file
}

#[test]
fn every_vector_passes() {
    let text = read_vectors("schedule.json");
    let file = vectors(&text);
    assert_every_case(&file, |case| {
        let actual = run(case);
        let expected = expected(case, &actual);
        (actual != expected).then(|| format!("expected {expected:?}\n    actual   {actual:?}"))
    });
}

/// Every document a case expects decodes again to itself, in whichever dialect it was
/// written: the canonical form is a fixed point.
#[test]
fn outputs_are_fixed_points() {
    let text = read_vectors("schedule.json");
    let file = vectors(&text);
    for case in &file.cases {
        let id = case.id.as_str();
        let Some(encoded) = &case.expect.encoded else {
            continue;
        };
        let dialect = case
            .input
            .dialect
            .as_deref()
            .and_then(Dialect::from_name)
            .unwrap_or_default();
        let schedule = Schedule::decode(encoded.as_bytes()).unwrap_or_else(|e| panic!("{id}: {e}"));
        let mut again = BytesMut::new();
        schedule.encode_as(&mut again, dialect);
        assert_eq!(&again[..], encoded.as_bytes(), "{id}: not a fixed point");
        if let Some(decoded) = case.expect.decoded {
            let schedule = Schedule::decode(decoded.get().as_bytes())
                .unwrap_or_else(|e| panic!("{id}: decoded: {e}"));
            assert_eq!(schedule.to_string(), decoded.get(), "{id}: decoded");
        }
    }
}

/// Every expression the `expression` and `at_expression` cases expect reads back to the
/// rate it came from, and every rate `parse_expression` gives writes an expression that
/// reads back to it.
#[test]
fn expressions_read_back() {
    let text = read_vectors("schedule.json");
    let file = vectors(&text);
    for case in &file.cases {
        let id = case.id.as_str();
        let (Operation::Other(name), Some(result), Some(args)) =
            (&case.operation, case.expect.result, &case.input.args)
        else {
            continue;
        };
        let result: Value = serde_json::from_str(result.get()).expect("a JSON result");
        let rate = match name.as_str() {
            "expression" | "at_expression" => {
                let Some(expression) = result.as_str() else {
                    continue;
                };
                let rate = Rate::parse(arg(args, "rate", id)).expect("valid");
                assert_eq!(Rate::from_expression(expression), Ok(rate), "{id}");
                rate
            }
            "parse_expression" => result
                .as_str()
                .and_then(|r| r.parse::<Rate>().ok())
                .unwrap_or_else(|| panic!("{id}: result is a rate")),
            _ => continue,
        };
        assert_eq!(Rate::from_expression(&rate.expression()), Ok(rate), "{id}");
        if let Some(at) = rate.at_expression() {
            assert_eq!(Rate::from_expression(&at), Ok(rate), "{id}");
        }
    }
}

/// Ids are unique and well formed, the suite is large enough, and every section of the
/// chapter that the cases name exists and has both a valid and an invalid case.
#[test]
fn the_suite_is_well_formed() {
    let text = read_vectors("schedule.json");
    let file = vectors(&text);
    assert_eq!(file.spec, "spec/schedule.md");
    assert_well_formed(&file, "schedule", 45);
    let operations = [
        "decode",
        "encode",
        "next",
        "expression",
        "at_expression",
        "parse_expression",
    ];
    for case in &file.cases {
        let id = case.id.as_str();
        let name = match &case.operation {
            Operation::Decode => "decode",
            Operation::Encode => "encode",
            Operation::Other(n) => n.as_str(),
        };
        assert!(operations.contains(&name), "{id}: unknown operation {name}");
        if case.expect.error.is_some() {
            assert!(
                case.expect.offset.is_some() && case.expect.path.is_some(),
                "{id}: a rejection gives its offset and path"
            );
        }
    }
}
