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
    assert!(file["cases"].as_array().map_or(0, Vec::len) >= 29);
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

/// Each change to the case of a start and a failure makes the file invalid: pings'
/// outcomes and run ids, exit statuses of events, the last pings expected.
#[test]
fn broken_ping_outcomes_are_rejected() {
    let file: Value = serde_json::from_str(FILE).expect("JSON");
    let validator = validator();
    let index = file["cases"]
        .as_array()
        .and_then(|cases| {
            cases
                .iter()
                .position(|c| c["id"] == "liveness.ping.start-then-failure")
        })
        .expect("the case");
    // Steps: 0 registration, 1 start with a rid, 2 exit 1, 3 poll. Events: 2 is the exit.
    type Break = fn(&mut Value);
    let breaks: [(&str, Break); 10] = [
        ("an unknown outcome", |c| {
            c["input"]["steps"][1]["outcome"] = json!("explode");
        }),
        ("an exit status of 256", |c| {
            c["input"]["steps"][2]["outcome"] = json!(256);
        }),
        ("an outcome without a ping", |c| {
            c["input"]["steps"][3]["outcome"] = json!("fail");
        }),
        ("a run id without a ping", |c| {
            c["input"]["steps"][3]["rid"] = json!("r");
        }),
        ("a run id of 65 bytes", |c| {
            c["input"]["steps"][1]["rid"] = json!("r".repeat(65));
        }),
        ("a run id with a space", |c| {
            c["input"]["steps"][1]["rid"] = json!("run 1");
        }),
        ("an exit event without its status", |c| {
            if let Some(event) = c["expect"]["events"][2].as_object_mut() {
                event.remove("exit_status");
            }
        }),
        ("an exit status on another reason", |c| {
            c["expect"]["events"][1]["exit_status"] = json!(1);
        }),
        ("an exit event with status 0", |c| {
            c["expect"]["events"][2]["exit_status"] = json!(0);
        }),
        ("an unknown member of a last ping", |c| {
            c["expect"]["pings"]["nightly"]["status"] = json!(1);
        }),
    ];
    assert!(validator.is_valid(&file));
    for (what, change) in breaks {
        let mut broken = file.clone();
        change(&mut broken["cases"][index]);
        assert!(!validator.is_valid(&broken), "accepted: {what}");
    }
}
