//! The Rust implementation against the conformance vectors of
//! `spec/vectors/transport.json`: the broker addresses of `spec/transports.md` §1.8.
//!
//! Every case runs through heartwire's own implementation as `heartwire verify` runs it
//! (`heartwire_harness::builtin`, which uses `heartwire::transport::parse_address` and
//! `Address::on`). Every `decode` case also runs through the decoders the broker
//! adapters call on each message (`decode_address`, `decode_redis`, `decode_mqtt`),
//! with a valid payload of the kind the address names, so that the vectors hold the
//! subscribers to the same rules, offsets included.

use heartwire::transport::{
    self, Content, DecodeError, Delivery, Invalid, Transport, decode_address, decode_mqtt,
    decode_redis,
};
use heartwire_tests::{
    Case, Operation, VectorFile, assert_builtin_passes, assert_every_case, assert_well_formed,
    read_vectors,
};
use serde_json::Value;

fn vectors() -> String {
    read_vectors("transport.json")
}

/// Every case passes through heartwire's own implementation, as `heartwire verify` runs
/// it.
#[test]
fn every_vector_passes() {
    let text = vectors();
    let file: VectorFile<'_> = serde_json::from_str(&text).expect("vector file parses");
    assert_eq!(file.format, "transport");
    assert_builtin_passes(&file);
}

/// The suite keeps the rules of every suite: ids, sections of `spec/transports.md`, a
/// valid and an invalid case for each section named.
#[test]
fn the_suite_is_well_formed() {
    let text = vectors();
    let file: VectorFile<'_> = serde_json::from_str(&text).expect("vector file parses");
    assert_well_formed(&file, "transport", 100);
    for operation in [Operation::Decode, Operation::Encode] {
        for invalid in [false, true] {
            assert!(
                file.cases
                    .iter()
                    .any(|c| c.operation == operation && c.expect.is_rejection() == invalid),
                "no {} {operation} case",
                if invalid { "invalid" } else { "valid" }
            );
        }
    }
}

const ENVELOPE: &[u8] = br#"{"id":"orders@1.0.0","meta":{"service":"CorePluginExtensionPoint","time":"2024-01-26T10:30:00.000Z","ip":"","user":"Heartbeat","msgId":"a","correlationId":"b"},"commandJson":"Heartbeat(10)"}"#;
const RECORD: &[u8] = br#"{"service_name":"svc","instance_id":"a1b2c3d4-e5f6-7890-abcd-ef1234567890","timestamp":"2025-01-16T08:30:00.123456+00:00"}"#;

/// What a subscriber's decoder made of a message on the case's address: the kind and
/// name, or the class and offset of the address's error.
fn through_the_adapters(case: &Case<'_>) -> Option<Result<(String, String), (String, usize)>> {
    let args: Value = serde_json::from_str(case.input.args?.get()).ok()?;
    let address = match (args.get("address"), args.get("address_hex")) {
        (Some(Value::String(a)), None) => a.as_bytes().to_vec(),
        (None, Some(Value::String(h))) => hex::decode(h).ok()?,
        _ => return None,
    };
    let broker = args.get("broker")?.as_str()?;
    // A payload valid for every kind the address could name: the address's error, if
    // any, is the one reported (the address is read before the payload).
    let payload = |kind: &str| match kind {
        "command" => ENVELOPE,
        "record" => RECORD,
        "presence" => b"online".as_slice(),
        _ => b"beat/5".as_slice(),
    };
    let kind = transport::parse_address(
        match broker {
            "nats" => Transport::Nats,
            "redis" => Transport::Redis,
            "mqtt" => Transport::Mqtt,
            "amqp" => Transport::Amqp,
            _ => return None,
        },
        &address,
    )
    .map_or("text", |a| a.kind());
    let payload = payload(kind);
    let delivered: Result<Delivery, Invalid> = match broker {
        "nats" => decode_address(Transport::Nats, &address, payload),
        "amqp" => decode_address(Transport::Amqp, &address, payload),
        "redis" => decode_redis(&address, payload),
        "mqtt" => match std::str::from_utf8(&address) {
            Ok(topic) => decode_mqtt(topic, payload),
            // An MQTT client never hands over a topic that is not UTF-8.
            Err(e) => return Some(Err(("encoding.utf8".to_owned(), e.valid_up_to()))),
        },
        _ => return None,
    };
    Some(match delivered {
        Ok(d) => Ok(match d.content {
            Content::Text(m) => ("text".to_owned(), m.process().as_str().to_owned()),
            Content::Presence { process, .. } => {
                ("presence".to_owned(), process.as_str().to_owned())
            }
            Content::Record { channel, .. } => {
                ("record".to_owned(), channel.service().as_str().to_owned())
            }
            Content::Command(_) => ("command".to_owned(), String::new()),
            other => ("unknown".to_owned(), format!("{other:?}")),
        }),
        Err(invalid) => Err(match invalid.error {
            DecodeError::Text(e) => (e.class().to_owned(), e.offset()),
            DecodeError::Channel(e) => (e.class().to_owned(), e.offset()),
            other => (format!("not an address error: {other}"), usize::MAX),
        }),
    })
}

/// The subscribers' decoders agree with every `decode` case: the same kind and name
/// for a valid address (a command's extension point is not kept in the delivery, so
/// only its kind is compared), the same class and offset for an invalid one.
#[test]
fn the_adapters_decoders_agree_with_every_decode_case() {
    let text = vectors();
    let file: VectorFile<'_> = serde_json::from_str(&text).expect("vector file parses");
    assert_every_case(&file, |case| {
        if case.operation != Operation::Decode {
            return None;
        }
        let actual = through_the_adapters(case)?;
        let expected = match (&case.expect.error, case.expect.decoded) {
            (Some(class), _) => Err((class.clone(), case.expect.offset?)),
            (None, Some(decoded)) => {
                let form: Value = serde_json::from_str(decoded.get()).ok()?;
                let kind = form["kind"].as_str()?.to_owned();
                let name = if kind == "command" {
                    String::new()
                } else {
                    form["name"].as_str()?.to_owned()
                };
                Ok((kind, name))
            }
            _ => return Some("a decode case without decoded or error".to_owned()),
        };
        (actual != expected)
            .then(|| format!("expected {expected:?}, the adapters' decoder gave {actual:?}"))
    });
}
