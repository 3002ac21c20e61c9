//! Runs every case of `spec/vectors/liveness.json`: a monitor is driven through the
//! case's steps (observations and polls, each at its instant) and must emit exactly the
//! expected events, reject exactly the expected observations and end in the expected
//! states.

use std::time::Duration;

use heartwire::command::{Envelope, GraceRule};
use heartwire::record::Record;
use heartwire::schedule::Rate;
use heartwire::text::{Message, Process};
use heartwire::time::{Timestamp, UnixTime};
use heartwire_liveness::{
    Cap, Config, Event, Monitor, PingOutcome, Rejected, RunId, Source, State,
};
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

fn config(value: &Value) -> Config {
    let mut config = Config::default();
    if let Some(secs) = value["stall_after_secs"].as_u64() {
        config.stall_after = Duration::from_secs(secs);
    }
    if let Some(secs) = value["record_interval_secs"].as_u64() {
        config.record_interval = Duration::from_secs(secs);
    }
    if let Some(rule) = value["grace_rule"].as_str() {
        config.grace_rule = rule.parse::<GraceRule>().unwrap_or_else(|e| panic!("{e}"));
    }
    if let Some(n) = value["max_processes"].as_u64() {
        config.max_processes = usize::try_from(n).unwrap_or(usize::MAX);
    }
    if let Some(n) = value["max_beats_per_second"].as_u64() {
        config.max_beats_per_second = u16::try_from(n).unwrap_or(u16::MAX);
    }
    config
}

/// An event as the vectors write it.
fn event_json(event: &Event) -> Value {
    let at = |t: UnixTime| Value::from(t.as_nanos().to_string());
    match event {
        Event::Changed(c) => {
            let mut event = json!({
                "event": "changed", "source": c.source.as_str(), "process": c.process,
                "old": c.old.map(State::as_str), "new": c.new.as_str(),
                "reason": c.reason.as_str(), "at": at(c.at),
            });
            if let Some(status) = c.reason.exit_status() {
                event["exit_status"] = status.into();
            }
            event
        }
        Event::Stalled { from, to } => {
            json!({"event": "stalled", "from": at(*from), "to": at(*to)})
        }
        Event::Capped {
            cap,
            process,
            source,
            at: t,
        } => json!({
            "event": "capped",
            "cap": match cap { Cap::Processes => "processes", Cap::Rate => "rate" },
            "source": source.as_str(), "process": process, "at": at(*t),
        }),
        other => panic!("an event the vectors do not know: {other:?}"),
    }
}

/// The expected event with its timestamps as nanoseconds, to compare instants.
fn expected_json(event: &Value) -> Value {
    let mut event = event.clone();
    for key in ["at", "from", "to"] {
        if event.get(key).is_some() {
            event[key] = Value::from(time(&event[key]).as_nanos().to_string());
        }
    }
    event
}

fn step(monitor: &mut Monitor, step: &Value) -> Option<Result<State, Rejected>> {
    let at = time(&step["at"]);
    if let Some(line) = step["text"].as_str() {
        let message =
            Message::decode_line(line.as_bytes()).unwrap_or_else(|e| panic!("{line}: {e}"));
        return Some(monitor.observe_text(&message, at));
    }
    if step.get("record").is_some() {
        let doc = step["record"].to_string();
        let record = Record::decode(doc.as_bytes()).unwrap_or_else(|e| panic!("{doc}: {e}"));
        return Some(monitor.observe_record(&record, at));
    }
    if step.get("command").is_some() {
        let doc = step["command"].to_string();
        let envelope = Envelope::decode(doc.as_bytes()).unwrap_or_else(|e| panic!("{doc}: {e}"));
        return Some(monitor.observe_command(&envelope, at));
    }
    if let Some(plan) = step.get("expect_pings") {
        let name =
            Process::new(plan["name"].as_str().unwrap_or("")).unwrap_or_else(|e| panic!("{e}"));
        let rate: Rate = plan["rate"]
            .as_str()
            .unwrap_or("")
            .parse()
            .unwrap_or_else(|e| panic!("{e}"));
        let anchor = plan.get("anchor").map_or(UnixTime::EPOCH, time);
        return Some(monitor.expect_pings_anchored(&name, rate, anchor, at));
    }
    if let Some(name) = step["ping"].as_str() {
        let name = Process::new(name).unwrap_or_else(|e| panic!("{e}"));
        let outcome = match &step["outcome"] {
            Value::Null => PingOutcome::Success,
            Value::Number(n) => PingOutcome::Exit(
                n.as_u64()
                    .and_then(|n| u8::try_from(n).ok())
                    .unwrap_or_else(|| panic!("an exit status: {n}")),
            ),
            Value::String(kind) => {
                PingOutcome::from_parts(kind, None).unwrap_or_else(|| panic!("an outcome: {kind}"))
            }
            other => panic!("an outcome: {other}"),
        };
        let rid = step["rid"]
            .as_str()
            .map(|r| RunId::new(r).unwrap_or_else(|e| panic!("{e}")));
        return Some(monitor.observe_ping_outcome(&name, outcome, rid, at));
    }
    if let Some(name) = step["gone"].as_str() {
        let name = Process::new(name).unwrap_or_else(|e| panic!("{e}"));
        return Some(monitor.observe_gone(&name, at));
    }
    assert_eq!(
        step["poll"],
        Value::Bool(true),
        "a step the runner does not know: {step}"
    );
    None
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
        let mut monitor = Monitor::new(config(&case["input"]["config"]));
        let mut events = Vec::new();
        for s in case["input"]["steps"]
            .as_array()
            .unwrap_or_else(|| panic!("{id}: steps"))
        {
            match step(&mut monitor, s) {
                None => events.extend(monitor.poll(time(&s["at"])).map(|e| event_json(&e))),
                Some(result) => {
                    let got = result.as_ref().err().map(Rejected::code);
                    assert_eq!(got, s["rejected"].as_str(), "{id}: {s}: {result:?}");
                }
            }
        }
        let expected: Vec<Value> = case["expect"]["events"]
            .as_array()
            .unwrap_or_else(|| panic!("{id}: events"))
            .iter()
            .map(expected_json)
            .collect();
        assert_eq!(events, expected, "{id}");
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
