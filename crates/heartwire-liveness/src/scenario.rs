//! The scenarios of `spec/vectors/liveness.json` (`spec/liveness.md` §9): a monitor
//! driven through timed steps (observations, ping registrations and polls), and the
//! events its polls returned. heartwire's own tests of the engine and the conformance
//! harness (`heartwire verify`, operation `run` of the `liveness` format,
//! `spec/harness.md`) both run scenarios through [`run`], so that there is one driver.
//!
//! ```
//! use heartwire_liveness::scenario;
//! use serde_json::json;
//!
//! let input = json!({
//!     "config": {"stall_after_secs": 86400},
//!     "steps": [
//!         {"at": "2024-01-01T00:00:00Z", "text": "heartbeat.w beat/5"},
//!         {"at": "2024-01-01T00:00:07.5Z", "poll": true}
//!     ]
//! });
//! let outcome = scenario::run(&input)?;
//! let events: Vec<_> = outcome.events.iter().map(scenario::event_json).collect();
//! assert_eq!(events[1], json!({
//!     "event": "changed", "source": "text", "process": "w", "old": "alive",
//!     "new": "late", "reason": "overdue", "at": "2024-01-01T00:00:07.5Z"
//! }));
//! # Ok::<(), scenario::ScenarioError>(())
//! ```

use std::fmt;
use std::time::Duration;

use heartwire::command::{Envelope, GraceRule};
use heartwire::record::Record;
use heartwire::schedule::Rate;
use heartwire::text::{Message, Process};
use heartwire::time::{Timestamp, UnixTime};
use serde_json::{Map, Value};

use crate::{Config, Event, Monitor, PingOutcome, Rejected, RunId, State};

/// The most steps a scenario may have; a longer one is refused
/// ([`ScenarioError`]). The suite's scenarios have a few each.
pub const MAX_STEPS: usize = 10_000;

/// Why a scenario cannot be run: its input is not one `spec/liveness.md` §9 describes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioError {
    /// The step it is in (from 0), if it is in one.
    pub step: Option<usize>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.step {
            Some(step) => write!(f, "step {step}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for ScenarioError {}

/// An observation step and what the monitor said to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observed {
    /// The step's index in `steps`, from 0.
    pub step: usize,
    /// The state the observation left, or why it was rejected.
    pub result: Result<State, Rejected>,
}

/// What running a scenario gave.
#[derive(Debug)]
pub struct Outcome {
    /// Every event the polls returned, in order.
    pub events: Vec<Event>,
    /// Every observation step (all but polls), in order, with its result.
    pub observed: Vec<Observed>,
    /// The monitor after the last step: its processes' states and pings.
    pub monitor: Monitor,
}

/// The monitor's configuration from a scenario's `config` (absent or `null`: the
/// defaults): `stall_after_secs`, `record_interval_secs`, `grace_rule`,
/// `max_processes`, `max_beats_per_second`.
pub fn config(value: &Value) -> Result<Config, ScenarioError> {
    let bad = |message: String| ScenarioError {
        step: None,
        message,
    };
    let mut config = Config::default();
    let members = match value {
        Value::Null => return Ok(config),
        Value::Object(members) => members,
        _ => return Err(bad("config is not an object".to_owned())),
    };
    let whole = |key: &str| -> Result<Option<u64>, ScenarioError> {
        match members.get(key) {
            None => Ok(None),
            Some(v) => v
                .as_u64()
                .map(Some)
                .ok_or_else(|| bad(format!("config.{key} is not a whole number"))),
        }
    };
    if let Some(secs) = whole("stall_after_secs")? {
        config.stall_after = Duration::from_secs(secs);
    }
    if let Some(secs) = whole("record_interval_secs")? {
        config.record_interval = Duration::from_secs(secs);
    }
    if let Some(rule) = members.get("grace_rule") {
        config.grace_rule = rule
            .as_str()
            .and_then(|r| r.parse::<GraceRule>().ok())
            .ok_or_else(|| bad(format!("config.grace_rule is not a rule: {rule}")))?;
    }
    if let Some(n) = whole("max_processes")? {
        config.max_processes = usize::try_from(n).unwrap_or(usize::MAX);
    }
    if let Some(n) = whole("max_beats_per_second")? {
        config.max_beats_per_second = u16::try_from(n).unwrap_or(u16::MAX);
    }
    Ok(config)
}

/// Runs a scenario: `input` is a case's `input` object, `{"config": {...}, "steps":
/// [...]}`. A fresh monitor with the configuration takes every step at its instant;
/// a poll collects the events since the previous one.
pub fn run(input: &Value) -> Result<Outcome, ScenarioError> {
    let mut monitor = Monitor::new(config(&input["config"])?);
    let steps = input["steps"].as_array().ok_or_else(|| ScenarioError {
        step: None,
        message: "steps is not an array".to_owned(),
    })?;
    if steps.len() > MAX_STEPS {
        return Err(ScenarioError {
            step: None,
            message: format!("{} steps, more than {MAX_STEPS}", steps.len()),
        });
    }
    let mut events = Vec::new();
    let mut observed = Vec::new();
    for (i, s) in steps.iter().enumerate() {
        let members = s.as_object().ok_or_else(|| ScenarioError {
            step: Some(i),
            message: "a step is an object".to_owned(),
        })?;
        let at = time(&s["at"]).map_err(|message| ScenarioError {
            step: Some(i),
            message: format!("at: {message}"),
        })?;
        match step(&mut monitor, members, at) {
            Ok(None) => events.extend(monitor.poll(at)),
            Ok(Some(result)) => observed.push(Observed { step: i, result }),
            Err(message) => {
                return Err(ScenarioError {
                    step: Some(i),
                    message,
                });
            }
        }
    }
    Ok(Outcome {
        events,
        observed,
        monitor,
    })
}

/// An RFC 3339 timestamp's instant.
fn time(value: &Value) -> Result<UnixTime, String> {
    let text = value
        .as_str()
        .ok_or_else(|| format!("not a timestamp: {value}"))?;
    Timestamp::parse(text)
        .map(|t| t.unix_time())
        .map_err(|e| format!("{text}: {e}"))
}

/// A process name of a step.
fn process(name: &str) -> Result<Process<'_>, String> {
    Process::new(name).map_err(|e| format!("{name:?}: {e}"))
}

/// One step: `Some` with the result of an observation, `None` for a poll.
fn step(
    monitor: &mut Monitor,
    step: &Map<String, Value>,
    at: UnixTime,
) -> Result<Option<Result<State, Rejected>>, String> {
    if let Some(line) = step.get("text") {
        let line = line.as_str().ok_or("text is not a string")?;
        let message = Message::decode_line(line.as_bytes()).map_err(|e| format!("{line}: {e}"))?;
        return Ok(Some(monitor.observe_text(&message, at)));
    }
    if let Some(record) = step.get("record") {
        let doc = record.to_string();
        let record = Record::decode(doc.as_bytes()).map_err(|e| format!("{doc}: {e}"))?;
        return Ok(Some(monitor.observe_record(&record, at)));
    }
    if let Some(command) = step.get("command") {
        let doc = command.to_string();
        let envelope = Envelope::decode(doc.as_bytes()).map_err(|e| format!("{doc}: {e}"))?;
        return Ok(Some(monitor.observe_command(&envelope, at)));
    }
    if let Some(plan) = step.get("expect_pings") {
        let name = process(plan["name"].as_str().ok_or("expect_pings.name")?)?;
        let rate: Rate = plan["rate"]
            .as_str()
            .ok_or("expect_pings.rate")?
            .parse()
            .map_err(|e| format!("expect_pings.rate: {e}"))?;
        let anchor = match plan.get("anchor") {
            None => UnixTime::EPOCH,
            Some(anchor) => time(anchor).map_err(|e| format!("expect_pings.anchor: {e}"))?,
        };
        return Ok(Some(monitor.expect_pings_anchored(&name, rate, anchor, at)));
    }
    if let Some(name) = step.get("ping") {
        let name = process(name.as_str().ok_or("ping is not a name")?)?;
        let outcome = match step.get("outcome").unwrap_or(&Value::Null) {
            Value::Null => PingOutcome::Success,
            Value::Number(n) => PingOutcome::Exit(
                n.as_u64()
                    .and_then(|n| u8::try_from(n).ok())
                    .ok_or_else(|| format!("not an exit status: {n}"))?,
            ),
            Value::String(kind) => {
                PingOutcome::from_parts(kind, None).ok_or_else(|| format!("an outcome: {kind}"))?
            }
            other => return Err(format!("not an outcome: {other}")),
        };
        let rid = match step.get("rid") {
            None => None,
            Some(rid) => Some(
                RunId::new(rid.as_str().ok_or("rid is not a string")?)
                    .map_err(|e| format!("rid: {e}"))?,
            ),
        };
        return Ok(Some(monitor.observe_ping_outcome(&name, outcome, rid, at)));
    }
    if let Some(name) = step.get("gone") {
        let name = process(name.as_str().ok_or("gone is not a name")?)?;
        return Ok(Some(monitor.observe_gone(&name, at)));
    }
    match step.get("poll") {
        Some(Value::Bool(true)) => Ok(None),
        _ => Err(format!(
            "a step of no known kind: {}",
            Value::Object(step.clone())
        )),
    }
}

/// An instant as RFC 3339 in UTC: `Z`, the fraction without trailing zeros and none
/// when it is zero (`2024-01-01T00:00:07.5Z`).
pub fn utc(t: UnixTime) -> String {
    t.to_string()
}

/// An event as the scenarios write it (`spec/liveness.md` §7 and §9): its line
/// ([`Event::json`]) with instants in [`utc`], as a JSON value.
pub fn event_json(event: &Event) -> Value {
    let mut line = String::new();
    event.json(&mut line, |t, out| out.push_str(&utc(t)));
    serde_json::from_str(&line).expect("Event::json writes one JSON object")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn instants_are_written_in_utc_without_trailing_zeros() {
        assert_eq!(utc(UnixTime::new(1_704_067_200, 0)), "2024-01-01T00:00:00Z");
        assert_eq!(
            utc(UnixTime::new(1_704_067_207, 500_000_000)),
            "2024-01-01T00:00:07.5Z"
        );
        assert_eq!(
            utc(UnixTime::new(1_704_067_207, 1)),
            "2024-01-01T00:00:07.000000001Z"
        );
    }

    #[test]
    fn a_malformed_scenario_names_its_step() {
        let bad_time = run(&json!({"steps": [
            {"at": "2024-01-01T00:00:00Z", "poll": true},
            {"at": "x", "poll": true}
        ]}))
        .err()
        .map(|e| e.to_string());
        assert!(
            bad_time
                .as_deref()
                .is_some_and(|e| e.starts_with("step 1: at: x")),
            "{bad_time:?}"
        );
        let e = run(&json!({"steps": [{"at": "2024-01-01T00:00:00Z", "poll": true}, {"at": "2024-01-01T00:00:01Z", "jump": 1}]}))
            .err();
        assert_eq!(e.as_ref().and_then(|e| e.step), Some(1), "{e:?}");
        assert!(run(&json!({"config": [], "steps": []})).is_err());
        assert!(run(&json!({"config": {"grace_rule": "loose"}, "steps": []})).is_err());
        assert!(run(&json!({"steps": {}})).is_err());
        let long = vec![json!({"at": "2024-01-01T00:00:00Z", "poll": true}); MAX_STEPS + 1];
        assert!(run(&json!({ "steps": long })).is_err());
        assert!(run(&json!({"steps": []})).is_ok_and(|o| o.events.is_empty()));
    }
}
