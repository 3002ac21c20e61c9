//! The Rust implementation against the conformance vectors of `spec/vectors/schedule.json`.
//! (The `schedule_decode` fuzz corpus is replayed by `tests/fuzz_corpus.rs`.)

use heartwire::schedule::{Dialect, Rate, Schedule};
use heartwire_tests::{
    Operation, VectorFile, assert_builtin_passes, assert_well_formed, read_vectors,
};
use serde_json::Value;

#[path = "../fuzz/src/schedule.rs"]
pub mod schedule_fuzz;

fn arg<'v>(args: &'v Value, key: &str, id: &str) -> &'v str {
    args.get(key)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("{id}: args.{key} is a string"))
}

fn vectors(text: &str) -> VectorFile<'_> {
    let file: VectorFile<'_> = serde_json::from_str(text).expect("vector file parses");
    assert_eq!(file.format, "schedule");
    file
}

/// Every case passes through heartwire's own implementation, as `heartwire verify` runs
/// it.
#[test]
fn every_vector_passes() {
    let text = read_vectors("schedule.json");
    let file = vectors(&text);
    assert_builtin_passes(&file);
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
        let mut again = Vec::new();
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
            (&case.operation, case.expect.result, case.input.args_value())
        else {
            continue;
        };
        let result: Value = serde_json::from_str(result.get()).expect("a JSON result");
        let rate = match name.as_str() {
            "expression" | "at_expression" => {
                let Some(expression) = result.as_str() else {
                    continue;
                };
                let rate = Rate::parse(arg(&args, "rate", id)).expect("valid");
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
        "cron_next",
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
