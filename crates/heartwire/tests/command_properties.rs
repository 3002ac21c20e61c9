//! Properties of the command envelope codec over generated input (proptest).

use std::borrow::Cow;
use std::num::NonZeroU32;

use heartwire::command::{
    Command, Dialect, Envelope, Headers, Meta, NonEmptyStr, OtherCommand, PluginDefinition,
    SchemaVersion, Timeout, TimeoutSetting, disconnect_grace,
};
use heartwire::json::{MAX_DOCUMENT_LEN, Number};
use heartwire::time::{Timestamp, UnixTime};
use proptest::prelude::*;

#[path = "support/schema.rs"]
mod schema;
use heartwire::json::RawJson;
use serde_json::Value;

/// Any text, control characters, quotes and non-ASCII included.
fn text(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            3 => prop::char::range('a', 'z'),
            1 => Just('"'),
            1 => Just('\\'),
            1 => prop::char::range('\u{0}', '\u{1f}'),
            1 => any::<char>(),
        ],
        0..max,
    )
    .prop_map(String::from_iter)
}

fn non_empty(max: usize) -> impl Strategy<Value = NonEmptyStr<'static>> {
    text(max)
        .prop_filter("not empty", |s| !s.is_empty())
        .prop_map(|s| NonEmptyStr::new(s).expect("not empty"))
}

/// A JSON value, nested a few levels, with numbers in several spellings.
fn json_value() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("null".to_owned()),
        any::<bool>().prop_map(|b| b.to_string()),
        any::<i64>().prop_map(|n| n.to_string()),
        Just("1.50".to_owned()),
        Just("1e-05".to_owned()),
        text(8).prop_map(|s| serde_json::to_string(&s).expect("a string serializes")),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(|v| format!("[{}]", v.join(", "))),
            prop::collection::btree_map("[a-z]{1,4}", inner, 0..4).prop_map(|m| {
                let members: Vec<String> = m
                    .into_iter()
                    .map(|(k, v)| format!("\"{k}\": {v}"))
                    .collect();
                format!("{{{}}}", members.join(","))
            }),
        ]
    })
}

fn raw(text: String) -> RawJson<'static> {
    RawJson::new(text).expect("generated JSON is valid")
}

fn timestamp() -> impl Strategy<Value = Timestamp<'static>> {
    (0i64..253_402_300_799, 0u32..1_000_000_000, any::<bool>()).prop_map(|(s, n, js)| {
        let at = UnixTime::new(s, n);
        if js {
            Timestamp::from_unix_millis(at)
        } else {
            Timestamp::from_unix_micros(at)
        }
    })
}

fn timeout() -> impl Strategy<Value = Timeout<'static>> {
    prop_oneof![
        Just(Timeout::unset()),
        any::<u32>().prop_map(Timeout::from_minutes),
        prop_oneof![Just("10.0"), Just("-5"), Just("1.5e1"), Just("0.0")].prop_map(|t| {
            Timeout::from_number(Number::parse(t).expect("a number")).into_owned()
        }),
    ]
}

fn command() -> impl Strategy<Value = Command<'static>> {
    prop_oneof![
        timeout().prop_map(|minutes| Command::Heartbeat { minutes }),
        timeout().prop_map(|minutes| Command::RedetectPlugin { minutes }),
        prop::collection::btree_map("[a-z]{1,4}", json_value(), 0..4).prop_map(|m| {
            // The map's values are JSON texts: write them as raw values.
            let members: Vec<String> = m.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
            let definition = PluginDefinition::new(raw(format!("{{{}}}", members.join(","))))
                .expect("an object");
            Command::ConnectPlugin {
                definition: Some(definition),
            }
        }),
        Just(Command::ConnectPlugin { definition: None }),
        Just(Command::DisconnectPlugin),
        (
            "[A-Z][A-Za-z0-9_]{0,12}",
            prop::collection::vec(json_value(), 0..4)
        )
            .prop_filter_map("an unknown name", |(name, args)| {
                OtherCommand::new(name, args.into_iter().map(raw))
                    .ok()
                    .map(Command::Other)
            }),
    ]
}

const KNOWN: [&str; 14] = [
    "id",
    "meta",
    "command",
    "commandJson",
    "service",
    "time",
    "ip",
    "user",
    "msgId",
    "correlationId",
    "causationId",
    "traceparent",
    "schemaVersion",
    "headers",
];

fn extras() -> impl Strategy<Value = Vec<(String, String)>> {
    prop::collection::btree_map(text(6), json_value(), 0..3).prop_map(|m| {
        m.into_iter()
            .filter(|(k, _)| !KNOWN.contains(&k.as_str()))
            .collect()
    })
}

fn meta() -> impl Strategy<Value = Meta<'static>> {
    let ids = (
        non_empty(40),
        non_empty(40),
        proptest::option::of(non_empty(40)),
    );
    let strings = (
        proptest::option::of(text(16)),
        proptest::option::of(text(16)),
        proptest::option::of(text(60)),
    );
    let schema = proptest::option::of(prop_oneof![
        text(6).prop_map(|t| SchemaVersion::Text(Cow::Owned(t))),
        (0u64..10).prop_map(|n| {
            let text = n.to_string();
            SchemaVersion::Number(Number::parse(&text).expect("a number").into_owned())
        }),
    ]);
    let headers = proptest::option::of(prop::collection::btree_map(text(6), json_value(), 0..3));
    (
        non_empty(20),
        timestamp(),
        ids,
        strings,
        schema,
        headers,
        extras(),
    )
        .prop_map(
            |(service, time, (msg, corr, cause), (ip, user, tp), schema, headers, extras)| {
                let mut meta = Meta::new(service, time, msg, corr);
                meta.causation_id = cause;
                meta.ip = ip.map(Cow::Owned);
                meta.user = user.map(Cow::Owned);
                meta.traceparent = tp.map(Cow::Owned);
                meta.schema_version = schema;
                meta.headers = headers.map(|h| {
                    let mut headers = Headers::new();
                    for (k, v) in h {
                        headers.insert(k, raw(v)).expect("valid header");
                    }
                    headers
                });
                for (k, v) in extras {
                    meta.insert_extra(k, raw(v)).expect("an unknown key");
                }
                meta
            },
        )
}

fn envelope() -> impl Strategy<Value = Envelope<'static>> {
    (non_empty(30), meta(), command(), extras()).prop_map(|(id, meta, command, extras)| {
        let mut envelope = Envelope::new(id, meta, command);
        for (k, v) in extras {
            envelope.insert_extra(k, raw(v)).expect("an unknown key");
        }
        envelope
    })
}

fn encoded(envelope: &Envelope<'_>, dialect: Dialect) -> Vec<u8> {
    let mut buf = Vec::new();
    // The generated envelopes are far below 64 KiB in every dialect.
    if let Err(e) = envelope.encode(dialect, &mut buf) {
        panic!("{dialect} form refused: {e}");
    }
    buf
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// encode then decode is the identity, in every dialect.
    #[test]
    fn encode_then_decode_is_identity(envelope in envelope()) {
        for dialect in Dialect::ALL {
            let buf = encoded(&envelope, dialect);
            prop_assume!(buf.len() <= MAX_DOCUMENT_LEN);
            let text = std::str::from_utf8(&buf).unwrap_or_default();
            prop_assert!(schema::is_valid("command", text), "the command schema rejects {}", text);
            let decoded = Envelope::decode(&buf).map(Envelope::into_owned);
            prop_assert_eq!(decoded, Ok(envelope.clone()), "{}: {}", dialect, buf.escape_ascii());
        }
        let display = envelope.to_string();
        prop_assert_eq!(display.as_bytes(), &encoded(&envelope, Dialect::Sury)[..]);
    }

    /// Decoding any dialect's document and encoding it gives the canonical form, which
    /// is a fixed point.
    #[test]
    fn decode_then_encode_is_canonical_and_idempotent(envelope in envelope(), pretty in any::<bool>()) {
        let canonical = envelope.to_string();
        for dialect in Dialect::ALL {
            let buf = encoded(&envelope, dialect);
            // Reformatting with white space must not change the canonical form.
            let input = if pretty {
                let value: Value = serde_json::from_slice(&buf).expect("valid JSON");
                serde_json::to_string_pretty(&value).expect("serializes").into_bytes()
            } else {
                buf.to_vec()
            };
            prop_assume!(input.len() <= MAX_DOCUMENT_LEN);
            let once = Envelope::decode(&input).expect("decodes").to_string();
            if !pretty {
                prop_assert_eq!(&once, &canonical);
            }
            let twice = Envelope::decode(once.as_bytes()).expect("canonical decodes").to_string();
            prop_assert_eq!(&twice, &once);
        }
    }

    /// The string form of a command reads back to the same command.
    #[test]
    fn the_string_form_round_trips(command in command()) {
        let text = command.to_string();
        let back: Result<Command<'static>, _> = text.parse();
        prop_assert_eq!(back, Ok(command));
    }

    /// Arbitrary bytes never panic, and errors point inside the input.
    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        if let Err(e) = Envelope::decode(&bytes) {
            prop_assert!(e.offset <= bytes.len());
            prop_assert!(!e.to_string().is_empty());
        }
    }

    /// JSON-ish text made of the format's own pieces never panics either.
    #[test]
    fn json_ish_text_never_panics(pieces in prop::collection::vec(prop_oneof![
        Just("{"), Just("}"), Just("["), Just("]"), Just(","), Just(":"), Just("\""),
        Just("\"id\""), Just("\"meta\""), Just("\"command\""), Just("\"commandJson\""),
        Just("\"TAG\""), Just("\"_0\""), Just("\"_1\""), Just("\"Heartbeat\""),
        Just("\"Heartbeat(10)\""), Just("\"Foo(\\\"a\\\",[1\""), Just("(("), Just(")"),
        Just("\"service\""), Just("\"time\""), Just("\"2024-01-26T10:30:00.000Z\""),
        Just("\"msgId\""), Just("\"correlationId\""), Just("\"headers\""), Just("10"),
        Just("-0.0"), Just("1e999"), Just("null"), Just("true"), Just(" "), Just("\\u0000"),
    ], 0..48)) {
        let text: String = pieces.concat();
        match Envelope::decode(text.as_bytes()) {
            Ok(envelope) => {
                let canonical = envelope.to_string();
                let again = Envelope::decode(canonical.as_bytes()).map(Envelope::into_owned);
                prop_assert_eq!(again, Ok(envelope.into_owned()));
            }
            Err(e) => prop_assert!(e.offset <= text.len(), "{:?} {}", e, text),
        }
        if let Err(e) = text.parse::<Command<'static>>() {
            prop_assert!(e.offset <= text.len());
        }
    }

    /// A whole number of minutes reads the same in every spelling of it.
    #[test]
    fn timeouts_are_read_exactly(minutes in 1u32..=i32::MAX as u32, spelling in 0usize..5) {
        let text = match spelling {
            0 => minutes.to_string(),
            1 => format!("{minutes}.000"),
            2 => format!("{minutes}e0"),
            3 => format!("{minutes}0e-1"),
            _ => {
                let digits = minutes.to_string();
                let (int, frac) = digits.split_at(1);
                format!("{int}.{frac}E+{}", frac.len())
            }
        };
        let timeout = Timeout::from_number(Number::parse(&text).expect("a number"));
        let expected = NonZeroU32::new(minutes).expect("not zero");
        prop_assert_eq!(timeout.setting(), TimeoutSetting::Minutes(expected), "{}", text);
    }

    /// The grace is never under two minutes more than the interval, and grows with it.
    #[test]
    fn grace_grows_with_the_interval(interval in 0u32..=i32::MAX as u32) {
        let grace = disconnect_grace(interval);
        prop_assert!(grace >= interval + 2);
        prop_assert!(grace >= interval + interval / 2);
        prop_assert!(disconnect_grace(interval + 1) >= grace);
    }
}
