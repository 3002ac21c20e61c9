//! The Rust implementation against the conformance vectors of
//! `spec/vectors/command.json`, and a check that decoding a typical envelope does not
//! allocate. (The `command_decode` fuzz corpus is replayed by `tests/fuzz_corpus.rs`.)
//!
//! The allocation check counts with a global allocator, which sees every thread of this
//! test binary: every test here takes [`SERIAL`] so that none runs beside it.

use std::cell::RefCell;
use std::num::NonZeroU32;
use std::sync::{Mutex, MutexGuard};

use bytes::BytesMut;
use heartwire::command::{
    Dialect, Envelope, GraceRule, HeartbeatBuilder, NonEmptyStr, Timeout, TimeoutSetting,
    deploy_rule,
};
use heartwire::json::{Doc, JsonError};
use heartwire::time::{FixedClock, UnixTime};
use heartwire_alloc_counter::{CountingAlloc, count};
use heartwire_tests::{
    Case, Operation, VectorFile, assert_every_case, assert_well_formed, read_vectors,
};
use serde_json::Value;

#[path = "../fuzz/src/command.rs"]
pub mod fuzz_command;

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

/// Held by every test of this binary, so that the allocation count sees one at a time.
static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> MutexGuard<'static, ()> {
    SERIAL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// What a case produced: the output text (canonical document, encoded document, or an
/// operation's JSON result), or the error's class, offset and path.
type Outcome = Result<String, (String, Option<usize>, Option<String>)>;

fn json_err(e: &JsonError) -> (String, Option<usize>, Option<String>) {
    (e.class().to_owned(), Some(e.offset), Some(e.path.clone()))
}

/// An operation argument that breaks its rule (no offset, no path).
fn arg_err(class: &str) -> (String, Option<usize>, Option<String>) {
    (class.to_owned(), None, None)
}

fn args<'c>(case: &'c Case<'_>) -> &'c serde_json::Map<String, Value> {
    case.input
        .args
        .as_ref()
        .and_then(Value::as_object)
        .unwrap_or_else(|| panic!("{}: an operation case has args", case.id))
}

/// What heartwire does with a case.
fn run(case: &Case<'_>) -> Outcome {
    match &case.operation {
        Operation::Decode => {
            let bytes = case
                .input
                .document_bytes()
                .expect("decode case has a document");
            let envelope = Envelope::decode(&bytes).map_err(|e| json_err(&e))?;
            Ok(envelope.to_string())
        }
        Operation::Encode => {
            let bytes = case
                .input
                .document_bytes()
                .expect("encode case has a document");
            let dialect: Dialect = case
                .input
                .dialect
                .as_deref()
                .expect("encode case has a dialect")
                .parse()
                .unwrap_or_else(|e| panic!("{}: {e}", case.id));
            let envelope = Envelope::decode(&bytes).map_err(|e| json_err(&e))?;
            let mut buf = BytesMut::new();
            envelope.encode(dialect, &mut buf);
            Ok(String::from_utf8(buf.to_vec()).expect("encoders write UTF-8"))
        }
        Operation::Other(name) => run_operation(case, name).map(|v| v.to_string()),
    }
}

/// The chapter's own operations (`spec/command.md` §10).
fn run_operation(
    case: &Case<'_>,
    name: &str,
) -> Result<Value, (String, Option<usize>, Option<String>)> {
    let args = args(case);
    match name {
        "timeout" => {
            let document = args["document"].as_str().expect("a document string");
            let envelope = Envelope::decode(document.as_bytes()).map_err(|e| json_err(&e))?;
            let Some(timeout) = envelope.command.timeout() else {
                return Ok(serde_json::json!({}));
            };
            let setting = match timeout.setting() {
                TimeoutSetting::Unset => "unset",
                TimeoutSetting::Zero => "zero",
                TimeoutSetting::Minutes(_) => "minutes",
                TimeoutSetting::Unparsable => "unparsable",
            };
            Ok(serde_json::json!({"setting": setting, "minutes": timeout.minutes().get()}))
        }
        "grace" => {
            let interval = &args["interval"];
            if !interval.is_number() {
                return Err(arg_err("json.type"));
            }
            // The interval is read as a heartbeat's timeout, from its JSON text.
            let text = interval.to_string();
            let (doc, raw) = Doc::parse(text.as_bytes()).expect("a number");
            let number = doc.number(raw).map_err(|e| json_err(&e))?;
            let minutes = Timeout::from_number(number).minutes();
            let rule: GraceRule = match args.get("rule") {
                None => GraceRule::default(),
                Some(rule) => rule
                    .as_str()
                    .and_then(|r| r.parse().ok())
                    .ok_or_else(|| arg_err("json.value"))?,
            };
            Ok(Value::from(rule.grace(minutes.get())))
        }
        "deploy_rule" => {
            let minutes = args["minutes"]
                .as_u64()
                .and_then(|m| u32::try_from(m).ok())
                .and_then(NonZeroU32::new)
                .ok_or_else(|| arg_err("json.value"))?;
            Ok(Value::from(deploy_rule(minutes)))
        }
        "heartbeat" => {
            let id = NonEmptyStr::new(args["id"].as_str().expect("an id string"))
                .map_err(|_| arg_err("json.value"))?;
            let minutes = args["minutes"]
                .as_u64()
                .and_then(|m| u32::try_from(m).ok())
                .and_then(NonZeroU32::new)
                .ok_or_else(|| arg_err("json.value"))?;
            let mut builder = HeartbeatBuilder::new(id).minutes(minutes);
            if let Some(service) = args.get("service") {
                let service = service.as_str().expect("a service string");
                builder =
                    builder.service(NonEmptyStr::new(service).map_err(|_| arg_err("json.value"))?);
            }
            let millis = args["now_millis"].as_i64().expect("milliseconds");
            let nanos = u32::try_from(millis.rem_euclid(1000) * 1_000_000).expect("< 1 s");
            let clock = FixedClock(UnixTime::new(millis.div_euclid(1000), nanos));
            let mut ids = args["ids"]
                .as_array()
                .expect("an array of ids")
                .iter()
                .map(|v| v.as_str().expect("id strings").to_owned())
                .collect::<Vec<_>>()
                .into_iter();
            let mut next = || ids.next().unwrap_or_default();
            let envelope = builder
                .build(&clock, &mut next)
                .map_err(|_| arg_err("json.value"))?;
            Ok(Value::from(envelope.to_string()))
        }
        other => panic!("{}: the command format has no operation {other}", case.id),
    }
}

/// What a case expects, in the shape of [`Outcome`].
fn expected(case: &Case<'_>) -> Outcome {
    let e = &case.expect;
    match (&e.error, e.decoded, &e.encoded, e.result) {
        (Some(class), None, None, None) => Err((class.clone(), e.offset, e.path.clone())),
        (None, Some(decoded), Some(encoded), None) => {
            assert_eq!(
                decoded.get(),
                encoded,
                "{}: decoded is written exactly as encoded",
                case.id
            );
            Ok(encoded.clone())
        }
        (None, None, Some(encoded), None) => Ok(encoded.clone()),
        (None, None, None, Some(result)) => {
            let value: Value = serde_json::from_str(result.get()).expect("a JSON result");
            Ok(value.to_string())
        }
        _ => panic!("{}: expect has an error or an output", case.id),
    }
}

fn passes(expected: &Outcome, actual: &Outcome) -> bool {
    match (expected, actual) {
        (Ok(e), Ok(a)) => e == a,
        (Err((class, offset, path)), Err((a_class, a_offset, a_path))) => {
            class == a_class
                && offset.is_none_or(|o| Some(o) == *a_offset)
                && path.as_ref().is_none_or(|p| Some(p) == a_path.as_ref())
        }
        _ => false,
    }
}

fn vectors() -> String {
    read_vectors("command.json")
}

#[test]
fn every_vector_passes() {
    let _serial = serial();
    let text = vectors();
    let file: VectorFile<'_> = serde_json::from_str(&text).expect("vector file parses");
    assert_eq!(file.format, "command");
    assert_every_case(&file, |case| {
        let (expected, actual) = (expected(case), run(case));
        (!passes(&expected, &actual))
            .then(|| format!("expected {expected:?}\n    actual   {actual:?}"))
    });
}

/// The outputs of the valid cases decode again to themselves: the canonical form and
/// every dialect's form are fixed points.
#[test]
fn outputs_are_fixed_points() {
    let _serial = serial();
    let text = vectors();
    let file: VectorFile<'_> = serde_json::from_str(&text).expect("vector file parses");
    for case in &file.cases {
        let Some(encoded) = &case.expect.encoded else {
            continue;
        };
        let envelope = Envelope::decode(encoded.as_bytes())
            .unwrap_or_else(|e| panic!("{}: output does not decode: {e}", case.id));
        let dialect = match case.operation {
            Operation::Encode => case
                .input
                .dialect
                .as_deref()
                .and_then(|d| d.parse().ok())
                .expect("a dialect"),
            _ => Dialect::Sury,
        };
        let mut again = BytesMut::new();
        envelope.encode(dialect, &mut again);
        assert_eq!(&again[..], encoded.as_bytes(), "{}", case.id);
        if let Some(decoded) = case.expect.decoded {
            let from_decoded = Envelope::decode(decoded.get().as_bytes())
                .unwrap_or_else(|e| panic!("{}: decoded does not decode: {e}", case.id));
            assert_eq!(from_decoded, envelope, "{}", case.id);
        }
    }
}

/// Ids are unique and well formed, the suite is large enough, and every section of the
/// chapter that the cases name exists and has both a valid and an invalid case.
#[test]
fn the_suite_is_well_formed() {
    let _serial = serial();
    let text = vectors();
    let file: VectorFile<'_> = serde_json::from_str(&text).expect("vector file parses");
    assert_eq!(file.spec, "spec/command.md");
    assert_well_formed(&file, "command", 45);
}

/// Decoding a typical envelope, in each dialect, allocates nothing beyond what the shared
/// `Doc::parse` does; encoding it in any dialect into a buffer with room allocates
/// nothing. The least count over a few tries is taken, in case the test
/// harness's own thread allocated meanwhile.
#[test]
fn decoding_a_typical_envelope_does_not_allocate() {
    let _serial = serial();
    // (document, typical): a typical one nests no deeper than meta; the last has headers.
    let documents = [
        (
            r#"{"id":"orders@1.2.0","meta":{"service":"Platform.Plugin","time":"2025-03-01T12:00:00.000Z","ip":"","user":"Heartbeat","msgId":"8d7e6f5a-4b3c-4d2e-8f1a-0b9c8d7e6f5a","correlationId":"2f1c7a9e-4b3d-4e8f-9a6b-1c2d3e4f5a6b"},"command":{"TAG":"Heartbeat","_0":10}}"#,
            true,
        ),
        (
            r#"{"id":"orders@1.2.0","meta":{"service":"Core.Plugin","time":"2025-03-01T12:00:00.000Z","ip":"","user":"Heartbeat","msgId":"m","correlationId":"c"},"command":["Heartbeat",10]}"#,
            true,
        ),
        (
            r#"{"id":"health-monitor","meta":{"service":"CorePluginExtensionPoint","time":"2024-01-26T10:30:00.000Z","ip":"","user":"Heartbeat","msgId":"uuid-generated","correlationId":"uuid-generated"},"commandJson":"Heartbeat(10)"}"#,
            true,
        ),
        (
            r#"{"id":"p","meta":{"service":"Platform.Plugin","time":"2025-03-01T12:00:00.000Z","msgId":"m","correlationId":"c","causationId":"k","traceparent":"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01","schemaVersion":2,"headers":{"h":"v"},"x":1},"command":"DisconnectPlugin","delay":0}"#,
            false,
        ),
    ];
    let least = |f: &dyn Fn()| (0..20).map(|_| count(f).1).min().unwrap_or(u64::MAX);
    for (document, typical) in documents {
        // serde_json, validating the whole document in `Doc::parse`, pushes onto its
        // scratch stack once the document nests two levels deep: one allocation that the
        // shared JSON layer makes for every envelope. The command layer adds none.
        let parse = || {
            let parsed = Doc::parse(std::hint::black_box(document.as_bytes()));
            assert!(std::hint::black_box(parsed).is_ok());
        };
        let shared = least(&parse);
        assert!(
            shared <= 1,
            "Doc::parse allocated {shared} times: {document}"
        );
        let decode = || {
            let envelope = Envelope::decode(std::hint::black_box(document.as_bytes()));
            assert!(std::hint::black_box(envelope).is_ok());
        };
        // Each `Doc::object` is a fresh serde_json deserializer, whose scratch stack
        // allocates when a member's value nests two levels (meta holding headers).
        let allowed = if typical { shared } else { shared + 1 };
        let made = least(&decode);
        assert!(
            made <= allowed,
            "decoding allocated {made} times: {document}"
        );

        let envelope = Envelope::decode(document.as_bytes()).expect("valid");
        let buf = RefCell::new(BytesMut::with_capacity(4096));
        for dialect in Dialect::ALL {
            let encode = || {
                let mut buf = buf.borrow_mut();
                buf.clear();
                envelope.encode(dialect, &mut buf);
                std::hint::black_box(&*buf);
            };
            assert_eq!(
                least(&encode),
                0,
                "encoding as {dialect} allocated: {document}"
            );
        }
    }
}
