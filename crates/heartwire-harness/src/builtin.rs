//! heartwire's own implementation, as the harness runs it: each case's input through the
//! `heartwire` crate, answered as an implementation under test answers
//! (`spec/harness.md`). `heartwire verify` with no command runs it, and the conformance
//! tests of the repository run every vector file through it.

use std::num::NonZeroU32;
use std::time::Duration;

use heartwire::command::{
    Dialect as CommandDialect, Envelope, GraceRule, HeartbeatBuilder, NonEmptyStr, Timeout,
    TimeoutSetting, deploy_rule,
};
use heartwire::document::Document;
use heartwire::json::{JsonError, Number};
use heartwire::record::{Channel, Convention, DEFAULT_INTERVAL, Record, ServiceName, classify_at};
use heartwire::schedule::{Cron, Dialect as RateDialect, Rate, Schedule, ScheduleError};
use heartwire::text::{Message, Process};
use heartwire::time::{FixedClock, Timestamp, UnixTime};
use heartwire::transport::{Address, ExtensionPoint, Transport, parse_address};
use serde_json::value::RawValue;
use serde_json::{Value, json};

use crate::compare::Answer;
use crate::protocol::{Output, Rejection};
use crate::suite::{Input, Operation};

/// The name heartwire's own implementation gives in reports.
pub const NAME: &str = "heartwire (built-in)";

/// What heartwire answers for one case of a format.
pub fn answer(format: &str, operation: &Operation, input: &Input<'_>) -> Answer {
    let result = match format {
        "text" => text(operation, input),
        "json" => json_chapter(operation, input),
        "record" => record(operation, input),
        "command" => command(operation, input),
        "schedule" => schedule(operation, input),
        "liveness" => liveness(operation, input),
        "transport" => transport(operation, input),
        other => return Answer::Skipped(format!("no format {other}")),
    };
    match result {
        Ok(Done::Output(output)) => Answer::Accepted(output),
        Ok(Done::Skip(why)) => Answer::Skipped(why),
        Err(Fault::Rejected(rejection)) => Answer::Rejected(rejection),
        Err(Fault::BadCase(why)) => Answer::Errored(why),
    }
}

enum Done {
    Output(Output),
    Skip(String),
}

enum Fault {
    Rejected(Rejection),
    /// The case itself lacks what its operation needs.
    BadCase(String),
}

type Step = Result<Done, Fault>;

fn reject(class: &str, offset: Option<usize>, path: Option<&str>) -> Fault {
    Fault::Rejected(Rejection {
        error: Some(class.to_owned()),
        offset,
        path: path.map(str::to_owned),
    })
}

fn json_err(e: &JsonError) -> Fault {
    reject(e.class(), Some(e.offset), Some(&e.path))
}

fn bad(why: impl Into<String>) -> Fault {
    Fault::BadCase(why.into())
}

fn raw(text: String) -> Result<Box<RawValue>, Fault> {
    RawValue::from_string(text).map_err(|e| bad(format!("output is not JSON: {e}")))
}

/// A decode case's output: the canonical form as JSON, and the canonical wire form.
fn decoded(json: String, encoded: String) -> Step {
    Ok(Done::Output(Output {
        decoded: Some(raw(json)?),
        encoded: Some(encoded),
        result: None,
    }))
}

fn encoded(text: String) -> Step {
    Ok(Done::Output(Output {
        encoded: Some(text),
        ..Output::default()
    }))
}

/// A document written canonically (or in a dialect): a decode case's output, whose
/// canonical form is the document itself, or an encode case's.
fn written(operation: &Operation, buf: &[u8]) -> Step {
    let text = utf8(buf)?;
    if *operation == Operation::Decode {
        decoded(text.clone(), text)
    } else {
        encoded(text)
    }
}

fn result(value: &Value) -> Step {
    Ok(Done::Output(Output {
        result: Some(raw(value.to_string())?),
        ..Output::default()
    }))
}

fn unsupported(format: &str, operation: &Operation) -> Step {
    Ok(Done::Skip(format!(
        "the {format} format has no {operation}"
    )))
}

fn document(input: &Input<'_>) -> Result<Vec<u8>, Fault> {
    input
        .document_bytes()
        .ok_or_else(|| bad("the case has no document"))
}

fn utf8(buf: &[u8]) -> Result<String, Fault> {
    String::from_utf8(buf.to_vec()).map_err(|_| bad("the canonical text is not UTF-8"))
}

fn args(input: &Input<'_>) -> Result<serde_json::Map<String, Value>, Fault> {
    match input.args_value() {
        Some(Value::Object(map)) => Ok(map),
        _ => Err(bad("the case has no args object")),
    }
}

fn arg<'v>(args: &'v serde_json::Map<String, Value>, key: &str) -> Result<&'v str, Fault> {
    args.get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| bad(format!("args.{key} is not a string")))
}

/// The text convention (`spec/text.md`): decode a subject and payload or a line, encode
/// the JSON form.
fn text(operation: &Operation, input: &Input<'_>) -> Step {
    let text_err = |e: heartwire::text::TextError| reject(e.class(), Some(e.offset()), None);
    match operation {
        Operation::Decode => {
            let message = match (input.line_bytes(), input.subject_bytes()) {
                (Some(line), None) => Message::decode_line(&line).map(Message::into_owned),
                (None, Some(subject)) => {
                    let payload = input
                        .payload_bytes()
                        .ok_or_else(|| bad("the case has no payload"))?;
                    Message::decode(&subject, &payload).map(Message::into_owned)
                }
                _ => return Err(bad("a decode case has a line or a subject")),
            }
            .map_err(text_err)?;
            decoded(message.json().to_string(), message.to_string())
        }
        Operation::Encode => {
            let json = input
                .json
                .as_deref()
                .ok_or_else(|| bad("the case has no json"))?;
            let message =
                Message::from_json(json).map_err(|e| reject(e.class(), Some(e.offset()), None))?;
            encoded(message.to_string())
        }
        Operation::Other(_) => unsupported("text", operation),
    }
}

/// The instant of a timestamp as `spec/json.md` §9 writes it: UTC, `Z`, the fraction
/// without trailing zeros and none when it is zero (the scenarios' writer, one copy).
pub use heartwire_liveness::scenario::utc;

/// What the JSON formats share (`spec/json.md`): documents of any format, detected from
/// their keys, and the `timestamp` operation.
fn json_chapter(operation: &Operation, input: &Input<'_>) -> Step {
    match operation {
        Operation::Decode => {
            let bytes = document(input)?;
            let doc = Document::decode(&bytes).map_err(|e| json_err(&e))?;
            let mut buf = Vec::new();
            doc.encode(&mut buf).map_err(|e| json_err(&e))?;
            written(operation, &buf)
        }
        Operation::Other(name) if name == "timestamp" => {
            let text = arg(&args(input)?, "text")?.to_owned();
            let t = Timestamp::parse(&text)
                .map_err(|e| reject("json.timestamp", Some(e.offset), None))?;
            result(&json!({ "utc": utc(t.unix_time()) }))
        }
        _ => unsupported("json", operation),
    }
}

/// The liveness record (`spec/record.md`).
fn record(operation: &Operation, input: &Input<'_>) -> Step {
    let convention_unknown = || reject("convention.unknown", None, None);
    match operation {
        Operation::Decode | Operation::Encode => {
            let bytes = document(input)?;
            let record = Record::decode(&bytes).map_err(|e| json_err(&e))?;
            let mut buf = Vec::new();
            record.encode(&mut buf);
            written(operation, &buf)
        }
        Operation::Other(name) => {
            let args = args(input)?;
            match name.as_str() {
                "classify" => {
                    let instant = |key: &str| -> Result<UnixTime, Fault> {
                        Timestamp::parse(arg(&args, key)?)
                            .map(|t| t.unix_time())
                            .map_err(|e| reject("json.timestamp", Some(e.offset), Some(key)))
                    };
                    let (timestamp, now) = (instant("timestamp")?, instant("now")?);
                    let interval = match args.get("interval") {
                        None => DEFAULT_INTERVAL,
                        Some(v) => v
                            .as_f64()
                            .and_then(|s| Duration::try_from_secs_f64(s).ok())
                            .ok_or_else(|| bad("args.interval is not a number of seconds"))?,
                    };
                    let verdict = classify_at(timestamp, now, interval);
                    result(&json!(verdict.as_str()))
                }
                "channel" => {
                    let convention: Convention = arg(&args, "convention")?
                        .parse()
                        .map_err(|_| convention_unknown())?;
                    let service = ServiceName::new(arg(&args, "service")?)
                        .map_err(|e| reject(e.class(), Some(e.offset()), None))?;
                    result(&json!(service.channel(convention)))
                }
                "parse_channel" => {
                    let channel = Channel::parse(arg(&args, "channel")?)
                        .map_err(|e| reject(e.class(), Some(e.offset()), None))?;
                    let (service, convention) = channel.into_parts();
                    result(&json!({"service": service.as_str(), "convention": convention.as_str()}))
                }
                "pattern" => {
                    let convention: Convention = arg(&args, "convention")?
                        .parse()
                        .map_err(|_| convention_unknown())?;
                    result(&json!(convention.pattern()))
                }
                _ => unsupported("record", operation),
            }
        }
    }
}

/// An operation argument that breaks its rule (no offset, no path).
fn arg_err(class: &str) -> Fault {
    reject(class, None, None)
}

fn minutes(args: &serde_json::Map<String, Value>) -> Result<NonZeroU32, Fault> {
    args.get("minutes")
        .and_then(Value::as_u64)
        .and_then(|m| u32::try_from(m).ok())
        .and_then(NonZeroU32::new)
        .ok_or_else(|| arg_err("json.value"))
}

/// The Reventless command envelope (`spec/command.md`).
fn command(operation: &Operation, input: &Input<'_>) -> Step {
    match operation {
        Operation::Decode => {
            let bytes = document(input)?;
            let envelope = Envelope::decode(&bytes).map_err(|e| json_err(&e))?;
            let text = envelope.to_string();
            decoded(text.clone(), text)
        }
        Operation::Encode => {
            let dialect: CommandDialect = input
                .dialect
                .as_deref()
                .ok_or_else(|| bad("an encode case has a dialect"))?
                .parse()
                .map_err(|_| bad("an unknown dialect"))?;
            let bytes = document(input)?;
            let envelope = Envelope::decode(&bytes).map_err(|e| json_err(&e))?;
            let mut buf = Vec::new();
            envelope
                .encode(dialect, &mut buf)
                .map_err(|e| json_err(&e))?;
            encoded(utf8(&buf)?)
        }
        Operation::Other(name) => {
            let args = args(input)?;
            command_operation(name, &args)
        }
    }
}

/// The command chapter's own operations (`spec/command.md` §10).
fn command_operation(name: &str, args: &serde_json::Map<String, Value>) -> Step {
    match name {
        "timeout" => {
            let document = arg(args, "document")?;
            let envelope = Envelope::decode(document.as_bytes()).map_err(|e| json_err(&e))?;
            let Some(timeout) = envelope.command.timeout() else {
                return result(&json!({}));
            };
            let setting = match timeout.setting() {
                TimeoutSetting::Unset => "unset",
                TimeoutSetting::Zero => "zero",
                TimeoutSetting::Minutes(_) => "minutes",
                TimeoutSetting::Unparsable => "unparsable",
            };
            result(&json!({"setting": setting, "minutes": timeout.minutes().get()}))
        }
        "grace" => {
            let interval = args.get("interval").unwrap_or(&Value::Null);
            if !interval.is_number() {
                return Err(arg_err("json.type"));
            }
            // The interval is read as a heartbeat's timeout, from its JSON text.
            let text = interval.to_string();
            let number = Number::parse(&text).map_err(|e| json_err(&e))?;
            let minutes = Timeout::from_number(number).minutes();
            let rule: GraceRule = match args.get("rule") {
                None => GraceRule::default(),
                Some(rule) => rule
                    .as_str()
                    .and_then(|r| r.parse().ok())
                    .ok_or_else(|| arg_err("json.value"))?,
            };
            result(&Value::from(rule.grace(minutes.get())))
        }
        "deploy_rule" => result(&Value::from(deploy_rule(minutes(args)?))),
        "heartbeat" => {
            let id = NonEmptyStr::new(arg(args, "id")?).map_err(|_| arg_err("json.value"))?;
            let mut builder = HeartbeatBuilder::new(id).minutes(minutes(args)?);
            if args.contains_key("service") {
                let service =
                    NonEmptyStr::new(arg(args, "service")?).map_err(|_| arg_err("json.value"))?;
                builder = builder.service(service);
            }
            let millis = args
                .get("now_millis")
                .and_then(Value::as_i64)
                .ok_or_else(|| bad("args.now_millis is not an integer"))?;
            let nanos = u32::try_from(millis.rem_euclid(1000) * 1_000_000).unwrap_or(0);
            let clock = FixedClock(UnixTime::new(millis.div_euclid(1000), nanos));
            let ids: Vec<String> = args
                .get("ids")
                .and_then(Value::as_array)
                .ok_or_else(|| bad("args.ids is not an array"))?
                .iter()
                .map(|v| v.as_str().map(str::to_owned))
                .collect::<Option<_>>()
                .ok_or_else(|| bad("args.ids holds a non-string"))?;
            let mut ids = ids.into_iter();
            let mut next = || ids.next().unwrap_or_default();
            let envelope = builder
                .build(&clock, &mut next)
                .map_err(|_| arg_err("json.value"))?;
            result(&Value::from(envelope.to_string()))
        }
        _ => unsupported("command", &Operation::Other(name.to_owned())),
    }
}

/// A fire time as the `next` operation writes it (`spec/schedule.md` §10).
fn fire_time(t: UnixTime) -> String {
    t.to_string()
}

/// The Reventless schedule (`spec/schedule.md`).
fn schedule(operation: &Operation, input: &Input<'_>) -> Step {
    let schedule_err =
        |e: &ScheduleError, path: &str| reject(e.class(), Some(e.offset), Some(path));
    match operation {
        Operation::Decode | Operation::Encode => {
            let bytes = document(input)?;
            let schedule = Schedule::decode(&bytes)
                .map_err(|e| reject(e.class(), Some(e.offset), Some(&e.path)))?;
            let dialect = match input.dialect.as_deref() {
                None => RateDialect::String,
                Some(name) => {
                    RateDialect::from_name(name).ok_or_else(|| bad("an unknown dialect"))?
                }
            };
            let mut buf = Vec::new();
            schedule.encode_as(&mut buf, dialect);
            written(operation, &buf)
        }
        Operation::Other(name) => {
            let args = args(input)?;
            let rate = || -> Result<Rate, Fault> {
                Rate::parse(arg(&args, "rate")?).map_err(|e| schedule_err(&e, "rate"))
            };
            match name.as_str() {
                "next" => {
                    let rate = rate()?;
                    let instant = |key: &str| -> Result<UnixTime, Fault> {
                        Timestamp::parse(arg(&args, key)?)
                            .map(|t| t.unix_time())
                            .map_err(|e| reject("json.timestamp", Some(e.offset), Some(key)))
                    };
                    let after = instant("after")?;
                    let anchor = if args.contains_key("anchor") {
                        instant("anchor")?
                    } else {
                        UnixTime::EPOCH
                    };
                    let count = args
                        .get("count")
                        .and_then(Value::as_u64)
                        .filter(|n| (1..=1000).contains(n))
                        .ok_or_else(|| bad("args.count is not 1 to 1000"))?;
                    let times = rate
                        .fire_times_anchored(after, anchor)
                        .take(usize::try_from(count).unwrap_or(usize::MAX))
                        .map(|t| Value::String(fire_time(t)))
                        .collect();
                    result(&Value::Array(times))
                }
                "cron_next" => {
                    let expression = arg(&args, "expression")?;
                    let zone = if args.contains_key("tz") {
                        arg(&args, "tz")?
                    } else {
                        "UTC"
                    };
                    let cron = Cron::with_time_zone(expression, zone).map_err(|e| {
                        let path = if e.class() == "cron.time-zone" {
                            "tz"
                        } else {
                            "expression"
                        };
                        reject(e.class(), Some(e.offset), Some(path))
                    })?;
                    let after = Timestamp::parse(arg(&args, "after")?)
                        .map(|t| t.unix_time())
                        .map_err(|e| reject("json.timestamp", Some(e.offset), Some("after")))?;
                    let count = args
                        .get("count")
                        .and_then(Value::as_u64)
                        .filter(|n| (1..=1000).contains(n))
                        .ok_or_else(|| bad("args.count is not 1 to 1000"))?;
                    let times = cron
                        .fire_times(after)
                        .take(usize::try_from(count).unwrap_or(usize::MAX))
                        .map(|t| Value::String(fire_time(t)))
                        .collect();
                    result(&Value::Array(times))
                }
                "expression" => result(&Value::String(rate()?.expression())),
                "at_expression" => {
                    result(&rate()?.at_expression().map_or(Value::Null, Value::String))
                }
                "parse_expression" => {
                    let rate = Rate::from_expression(arg(&args, "expression")?)
                        .map_err(|e| schedule_err(&e, "expression"))?;
                    result(&Value::String(rate.to_string()))
                }
                _ => unsupported("schedule", operation),
            }
        }
    }
}

/// The receiving side (`spec/liveness.md`): a scenario run through heartwire's own
/// engine by the driver its tests use, answered with the events its polls returned
/// (`spec/harness.md` §11).
fn liveness(operation: &Operation, input: &Input<'_>) -> Step {
    match operation {
        Operation::Other(name) if name == "run" => {
            let scenario = input
                .scenario_value()
                .ok_or_else(|| bad("a scenario has steps"))?;
            let outcome = heartwire_liveness::scenario::run(&scenario)
                .map_err(|e| bad(format!("the scenario cannot be run: {e}")))?;
            let events: Vec<Value> = outcome
                .events
                .iter()
                .map(heartwire_liveness::scenario::event_json)
                .collect();
            result(&json!({ "events": events }))
        }
        _ => unsupported("liveness", operation),
    }
}

/// The broker addresses (`spec/transports.md` §1.8, §7): `decode` an address received
/// on a broker into what it names, `encode` a name into its address on a broker.
fn transport(operation: &Operation, input: &Input<'_>) -> Step {
    let args = args(input)?;
    let broker = match args.get("broker").and_then(Value::as_str) {
        Some("nats") => Transport::Nats,
        Some("redis") => Transport::Redis,
        Some("mqtt") => Transport::Mqtt,
        Some("amqp") => Transport::Amqp,
        _ => return Err(reject("broker.unknown", None, Some("broker"))),
    };
    match operation {
        Operation::Decode => {
            let bytes = match (args.get("address"), args.get("address_hex")) {
                (Some(Value::String(text)), None) => text.as_bytes().to_vec(),
                (None, Some(Value::String(hex_text))) => {
                    hex::decode(hex_text).map_err(|_| bad("args.address_hex is not hex"))?
                }
                _ => return Err(bad("a decode case has an address or an address_hex")),
            };
            let address = parse_address(broker, &bytes)
                .map_err(|e| reject(e.class(), e.offset(), Some("address")))?;
            let quoted = |s: &str| Value::from(s).to_string();
            let mut form = format!(
                r#"{{"kind":{},"name":{}"#,
                quoted(address.kind()),
                quoted(address.name())
            );
            if let Address::Record(channel) = &address {
                form.push_str(&format!(
                    r#","convention":{}"#,
                    quoted(channel.convention().as_str())
                ));
            }
            form.push('}');
            let wire = address
                .on(broker)
                .ok_or_else(|| bad("the address decoded to a kind its broker does not carry"))?;
            decoded(form, wire)
        }
        Operation::Encode => {
            let kind = arg(&args, "kind")?;
            let carried = match kind {
                "text" | "command" => true,
                "presence" => broker == Transport::Mqtt,
                "record" => broker == Transport::Redis,
                _ => false,
            };
            if !carried {
                return Err(reject("kind.unknown", None, Some("kind")));
            }
            let convention = if kind == "record" {
                let convention: Convention = args
                    .get("convention")
                    .and_then(Value::as_str)
                    .and_then(|c| c.parse().ok())
                    .ok_or_else(|| reject("convention.unknown", None, Some("convention")))?;
                Some(convention)
            } else {
                None
            };
            let name = arg(&args, "name")?;
            let text_err =
                |e: heartwire::text::TextError| reject(e.class(), Some(e.offset()), Some("name"));
            let address = match (kind, convention) {
                ("text", _) => Address::Text(Process::new(name).map_err(text_err)?),
                ("presence", _) => Address::Presence(Process::new(name).map_err(text_err)?),
                ("command", _) => Address::Command(ExtensionPoint::new(name).map_err(text_err)?),
                (_, Some(convention)) => {
                    let service = ServiceName::new(name)
                        .map_err(|e| reject(e.class(), Some(e.offset()), Some("name")))?;
                    Address::Record(Channel::new(service, convention))
                }
                _ => return Err(reject("kind.unknown", None, Some("kind"))),
            };
            let wire = address
                .on(broker)
                .ok_or_else(|| reject("kind.unknown", None, Some("kind")))?;
            encoded(wire)
        }
        Operation::Other(_) => unsupported("transport", operation),
    }
}
