//! Runs every case of `spec/vectors/liveness.json`: a monitor is driven through the
//! case's steps (observations and polls, each at its instant) by
//! [`heartwire_liveness::scenario::run`], the driver `heartwire verify` runs them with
//! too, and must emit exactly the expected events, reject exactly the expected
//! observations and end in the expected states.

use heartwire::time::{Timestamp, UnixTime};
use heartwire_liveness::scenario::{self, Observed};
use heartwire_liveness::{Rejected, Source};
use serde_json::{Value, json};

const SUITE: &str = include_str!("../../../spec/vectors/liveness.json");

fn time(value: &Value) -> UnixTime {
    let text = value
        .as_str()
        .unwrap_or_else(|| panic!("a timestamp: {value}"));
    Timestamp::parse(text)
        .unwrap_or_else(|e| panic!("{text}: {e}"))
        .unix_time()
}

/// An event with its timestamps as nanoseconds, to compare instants.
fn instants(event: &Value) -> Value {
    let mut event = event.clone();
    for key in ["at", "from", "to"] {
        if event.get(key).is_some() {
            event[key] = Value::from(time(&event[key]).as_nanos().to_string());
        }
    }
    event
}

#[test]
fn every_case() {
    let suite: Value = serde_json::from_str(SUITE).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(suite["suite"], "heartwire-liveness");
    let cases = suite["cases"].as_array().unwrap_or_else(|| panic!("cases"));
    assert!(cases.len() >= 18);
    for case in cases {
        let id = case["id"].as_str().unwrap_or("?");
        assert_eq!(case["operation"], "run", "{id}");
        let outcome = scenario::run(&case["input"]).unwrap_or_else(|e| panic!("{id}: {e}"));
        let steps = case["input"]["steps"]
            .as_array()
            .unwrap_or_else(|| panic!("{id}: steps"));
        let polls = steps.iter().filter(|s| s["poll"] == true).count();
        assert_eq!(outcome.observed.len() + polls, steps.len(), "{id}");
        for Observed { step, result } in &outcome.observed {
            let s = &steps[*step];
            let got = result.as_ref().err().map(Rejected::code);
            assert_eq!(got, s["rejected"].as_str(), "{id}: {s}: {result:?}");
        }
        let events: Vec<Value> = outcome
            .events
            .iter()
            .map(|e| instants(&scenario::event_json(e)))
            .collect();
        let expected: Vec<Value> = case["expect"]["events"]
            .as_array()
            .unwrap_or_else(|| panic!("{id}: events"))
            .iter()
            .map(instants)
            .collect();
        assert_eq!(events, expected, "{id}");
        let monitor = &outcome.monitor;
        let states = case["expect"]["states"]
            .as_object()
            .unwrap_or_else(|| panic!("{id}: states"));
        assert_eq!(monitor.len(), states.len(), "{id}: every process is listed");
        for (key, state) in states {
            let (source, name) = key.split_once(':').unwrap_or_else(|| panic!("{id}: {key}"));
            let source = match source {
                "text" => Source::Text,
                "record" => Source::Record,
                "command" => Source::Command,
                _ => Source::Ping,
            };
            let got = monitor.get(source, name).map(|v| v.state.as_str());
            assert_eq!(got, state.as_str(), "{id}: {key}");
        }
        let pings = case["expect"]["pings"].as_object().into_iter().flatten();
        for (name, expected) in pings {
            let ping = monitor
                .get(Source::Ping, name)
                .and_then(|v| v.ping)
                .unwrap_or_else(|| panic!("{id}: no ping process {name}"));
            let mut got = json!({});
            if let Some(last) = ping.last_ping {
                got["last_ping"] = last.kind().into();
                if let Some(status) = last.exit_status() {
                    got["exit_status"] = status.into();
                }
            }
            if let Some(rid) = ping.rid {
                got["rid"] = rid.as_str().into();
            }
            assert_eq!(&got, expected, "{id}: the last ping of {name}");
        }
    }
}

/// The events are written as the vector file writes them, instants in UTC with their
/// fraction, byte for byte where the file writes them that way: a scenario's answer
/// through the harness is the vector file's own text.
#[test]
fn events_are_written_as_the_vectors_write_them() {
    let suite: Value = serde_json::from_str(SUITE).unwrap_or_else(|e| panic!("{e}"));
    let case = &suite["cases"][0];
    let outcome = scenario::run(&case["input"]).unwrap_or_else(|e| panic!("{e}"));
    let events: Vec<Value> = outcome.events.iter().map(scenario::event_json).collect();
    assert_eq!(Value::from(events), case["expect"]["events"]);
}
