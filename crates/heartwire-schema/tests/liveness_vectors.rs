//! `spec/vectors/liveness.json` is valid by its schema (`liveness-vectors`), with formats
//! enforced, and documents that break the scenario format are not.

use serde_json::{Value, json};

const FILE: &str = include_str!("../../../spec/vectors/liveness.json");

fn validator() -> jsonschema::Validator {
    let schema = heartwire_schema::schema("liveness-vectors").expect("a listed name");
    let value = serde_json::to_value(&schema).expect("a schema is JSON");
    jsonschema::draft202012::options()
        .should_validate_formats(true)
        .build(&value)
        .unwrap_or_else(|e| panic!("the schema does not compile: {e}"))
}

#[test]
fn the_liveness_vectors_are_valid_by_their_schema() {
    let file: Value = serde_json::from_str(FILE).expect("JSON");
    let errors: Vec<String> = validator()
        .iter_errors(&file)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    assert!(file["cases"].as_array().map_or(0, Vec::len) >= 20);
}

/// Each change to the first case makes the file invalid.
#[test]
fn broken_scenarios_are_rejected() {
    let file: Value = serde_json::from_str(FILE).expect("JSON");
    let validator = validator();
    type Break = fn(&mut Value);
    let breaks: [(&str, Break); 11] = [
        ("two actions in one step", |c| {
            c["input"]["steps"][0]["poll"] = json!(true);
        }),
        ("a step with no action", |c| {
            c["input"]["steps"][0] = json!({"at": "2024-01-01T00:00:00Z"});
        }),
        ("an unknown step", |c| {
            c["input"]["steps"][0] = json!({"at": "2024-01-01T00:00:00Z", "sleep": 5});
        }),
        ("a poll that is rejected", |c| {
            c["input"]["steps"][1]["rejected"] = json!("duplicate");
        }),
        ("an unknown rejection", |c| {
            c["input"]["steps"][0]["rejected"] = json!("too_late");
        }),
        ("a step time that is not RFC 3339", |c| {
            c["input"]["steps"][0]["at"] = json!("2024-01-01 00:00:00");
        }),
        ("a date that does not exist", |c| {
            c["input"]["steps"][0]["at"] = json!("2023-02-29T00:00:00Z");
        }),
        ("an unknown state", |c| {
            c["expect"]["states"] = json!({"text:billing.worker-1": "zombie"});
        }),
        ("a state key without a source", |c| {
            c["expect"]["states"] = json!({"billing.worker-1": "dead"});
        }),
        ("an unknown reason", |c| {
            c["expect"]["events"][0]["reason"] = json!("because");
        }),
        ("an unknown config member", |c| {
            c["input"]["config"] = json!({"stall_after": 5});
        }),
    ];
    for (what, change) in breaks {
        let mut broken = file.clone();
        change(&mut broken["cases"][0]);
        assert!(!validator.is_valid(&broken), "accepted: {what}");
    }
}
