//! Properties of the record codec over generated input (proptest).

use std::time::Duration;

use heartwire::record::{
    Channel, Convention, InstanceId, Liveness, MAX_NAME_LEN, MEMBERS, Metric, Record, ServiceName,
    classify_at,
};
use heartwire::time::{Timestamp, UnixTime};
use proptest::prelude::*;

#[path = "support/schema.rs"]
mod schema;
use heartwire::json::RawJson;

/// A valid service name.
fn service_name() -> impl Strategy<Value = String> {
    "[A-Za-z0-9_-]{1,128}"
}

/// An instant from 1970 to 2100, to the nanosecond.
fn instant() -> impl Strategy<Value = UnixTime> {
    (0i64..4_102_444_800, 0u32..1_000_000_000).prop_map(|(s, n)| UnixTime::new(s, n))
}

/// A measurement as a publisher makes one: from a float or an integer, or not at all.
fn metric() -> impl Strategy<Value = Option<Metric<'static>>> {
    prop_oneof![
        Just(None),
        (0.0f64..1e12).prop_map(Metric::from_f64),
        any::<u64>().prop_map(|n| Some(Metric::from_u64(n))),
        Just(Metric::from_f64(-0.0)),
    ]
}

/// A JSON value for an extra member, at most a few levels deep.
fn json_value() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        (-1e300f64..1e300).prop_map(serde_json::Value::from),
        "\\PC{0,12}".prop_map(serde_json::Value::from),
        "[\\x00-\\x1f\"\\\\/]{0,4}".prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::from),
            proptest::collection::btree_map("\\PC{0,6}", inner, 0..4)
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Extra members: distinct keys that are not the record's own, with values.
fn extras() -> impl Strategy<Value = Vec<(String, serde_json::Value)>> {
    proptest::collection::btree_map("\\PC{0,10}", json_value(), 0..12).prop_map(|m| {
        m.into_iter()
            .filter(|(k, _)| !MEMBERS.contains(&k.as_str()))
            .collect()
    })
}

prop_compose! {
    /// A record built the way a publisher builds one.
    fn record()(
        name in service_name(),
        id in any::<u128>(),
        at in instant(),
        millis in any::<bool>(),
        uptime in metric(),
        count in proptest::option::of(any::<u64>()),
        memory in metric(),
        cpu in metric(),
        extras in extras(),
    ) -> Record<'static> {
        let timestamp = if millis {
            Timestamp::from_unix_millis(at)
        } else {
            Timestamp::from_unix_micros(at)
        };
        let name = ServiceName::new(&name).expect("generated names are valid").into_owned();
        let mut record = Record::new(name, InstanceId::from_u128(id), timestamp);
        record
            .set_uptime_seconds(uptime)
            .set_heartbeat_count(count)
            .set_memory_usage_mb(memory)
            .set_cpu_usage_percent(cpu);
        for (key, value) in extras {
            let raw = serde_json::to_string(&value).expect("a value serializes");
            let raw = RawJson::new(raw).expect("serde_json writes JSON");
            record.insert_extra(key, raw).expect("generated extras are valid");
        }
        record
    }
}

/// Writes a string as JSON, escaping some characters that need no escape (`\u00xx`,
/// `\/`), as other serializers do.
fn spelled(s: &str, escape: &[bool]) -> String {
    let mut out = String::from('"');
    for (i, c) in s.chars().enumerate() {
        let escape = escape
            .get(i % escape.len().max(1))
            .copied()
            .unwrap_or(false);
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '/' if escape => out.push_str("\\/"),
            c if (c as u32) < 0x20 || (escape && (c as u32) < 0x10000) => {
                out.push_str(&format!("\\u{:04X}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

prop_compose! {
    /// The same record written another way: members shuffled, white space between
    /// tokens, strings with needless escapes, unreported measurements as `null`.
    fn respelled()(
        record in record(),
        seed in any::<u64>(),
        escape in proptest::collection::vec(any::<bool>(), 1..8),
        space in proptest::collection::vec(prop_oneof![Just(""), Just(" "), Just("\n\t"), Just("\r\n  ")], 1..6),
        nulls in any::<bool>(),
    ) -> (Record<'static>, String) {
        let sp = |i: usize| space[i % space.len()];
        let metric = |m: Option<&Metric<'_>>| m.map(|m| m.as_str().to_owned());
        let mut members: Vec<(String, Option<String>)> = vec![
            ("service_name".into(), Some(spelled(record.service_name().as_str(), &escape))),
            ("instance_id".into(), Some(spelled(record.instance_id().as_str(), &escape))),
            ("timestamp".into(), Some(spelled(record.timestamp().as_str(), &escape))),
            ("uptime_seconds".into(), metric(record.uptime_seconds())),
            ("heartbeat_count".into(), record.heartbeat_count().map(|n| n.to_string())),
            ("memory_usage_mb".into(), metric(record.memory_usage_mb())),
            ("cpu_usage_percent".into(), metric(record.cpu_usage_percent())),
        ];
        members.retain(|(_, v)| v.is_some() || nulls);
        // Move the record's own members among the extras, keeping the extras' order.
        let mut order: Vec<(String, String)> = record
            .extras()
            .iter()
            .map(|(k, v)| (spelled(k, &escape), v.to_owned()))
            .collect();
        let mut state = seed;
        for (key, value) in members {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let at = (state >> 33) as usize % (order.len() + 1);
            order.insert(at, (spelled(&key, &escape), value.unwrap_or_else(|| "null".into())));
        }
        let mut text = format!("{}{{", sp(0));
        for (i, (k, v)) in order.iter().enumerate() {
            if i > 0 {
                text.push(',');
            }
            text.push_str(&format!("{}{k}{}:{}{v}{}", sp(i + 1), sp(i + 2), sp(i + 3), sp(i + 4)));
        }
        text.push_str(&format!("}}{}", sp(5)));
        (record, text)
    }
}

proptest! {
    /// Encode then decode is the identity for every record a publisher can build.
    #[test]
    fn encode_then_decode_is_identity(record in record()) {
        let mut buf = Vec::new();
        record.encode(&mut buf);
        prop_assert_eq!(buf.len(), record.encoded_len());
        let text = record.to_string();
        prop_assert_eq!(&buf[..], text.as_bytes());
        prop_assert!(schema::is_valid("record", &text), "the record schema rejects {}", text);
        let decoded = Record::decode(&buf).map(Record::into_owned);
        prop_assert_eq!(decoded.as_ref(), Ok(&record));
        let parsed: Result<Record<'static>, _> = record.to_string().parse();
        prop_assert_eq!(parsed.as_ref(), Ok(&record));
    }

    /// Decode then encode gives the canonical form, whatever the spelling, and the
    /// canonical form is a fixed point.
    #[test]
    fn decode_then_encode_is_canonical_and_idempotent((record, text) in respelled()) {
        let decoded = Record::decode(text.as_bytes());
        prop_assert!(decoded.is_ok(), "{text}: {decoded:?}");
        let Ok(decoded) = decoded else { unreachable!() };
        let canonical = decoded.to_string();
        prop_assert_eq!(&canonical, &record.to_string(), "{}", text);
        prop_assert!(canonical.len() <= text.len());
        let again = Record::decode(canonical.as_bytes()).map(|r| r.to_string());
        prop_assert_eq!(again, Ok(canonical));
    }

    /// Arbitrary bytes never panic; an error points within the input and has a message.
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        check(&bytes);
    }

    /// Arbitrary JSON-ish text never panics either.
    #[test]
    fn arbitrary_json_ish_text_never_panics(
        text in "[{}\\[\\]\",:0-9a-z_ .eE+\\-\\\\nul]{0,200}",
    ) {
        check(text.as_bytes());
    }

    /// Valid documents cut short or with one byte changed never panic.
    #[test]
    fn damaged_records_never_panic(record in record(), at in any::<usize>(), byte in any::<u8>()) {
        let mut text = record.to_string().into_bytes();
        let at = at % (text.len() + 1);
        check(&text[..at]);
        if let Some(b) = text.get_mut(at) {
            *b = byte;
        }
        check(&text);
    }

    /// Names are accepted exactly when they are in the portable token set and not too
    /// long; channels built from them parse back.
    #[test]
    fn names_and_channels(name in "\\PC{0,140}|[A-Za-z0-9_\\-:*?.]{0,140}") {
        let valid = !name.is_empty()
            && name.len() <= MAX_NAME_LEN
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        match ServiceName::new(&name) {
            Ok(service) => {
                prop_assert!(valid);
                for convention in Convention::ALL {
                    let channel = service.channel(convention);
                    let parsed = Channel::parse(&channel).map(Channel::into_parts);
                    prop_assert_eq!(parsed, Ok((service.clone(), convention)));
                }
            }
            Err(e) => {
                prop_assert!(!valid);
                prop_assert!(e.offset() <= name.len());
                prop_assert!(!e.to_string().is_empty());
            }
        }
        for prefix in ["", "heartbeat:service:", "health:service:"] {
            let channel = format!("{prefix}{name}");
            if let Err(e) = Channel::parse(&channel) {
                prop_assert!(e.offset() <= channel.len());
                prop_assert!(!e.to_string().is_empty());
            }
        }
    }

    /// The verdict only gets worse with age, and matches the thresholds computed in
    /// floating point for whole seconds.
    #[test]
    fn verdicts_follow_age(sent in instant(), age in 0u64..1_000, interval in 1u64..300) {
        let now = sent.checked_add_secs(age as i64).expect("in range");
        let later = sent.checked_add_secs(age as i64 + 1).expect("in range");
        let interval = Duration::from_secs(interval);
        let verdict = classify_at(sent, now, interval);
        prop_assert!(classify_at(sent, later, interval) >= verdict);
        let (age, i) = (age as f64, interval.as_secs_f64());
        let expected = if age < 1.5 * i {
            Liveness::Alive
        } else if age < 3.0 * i {
            Liveness::Stale
        } else {
            Liveness::Dead
        };
        prop_assert_eq!(verdict, expected);
    }
}

/// Everything that holds for any input: no panic; an error inside the input with a
/// message; a record that re-encodes to a fixed point.
fn check(bytes: &[u8]) {
    match Record::decode(bytes) {
        Ok(record) => {
            let canonical = record.to_string();
            assert!(canonical.len() <= bytes.len());
            let again = Record::decode(canonical.as_bytes()).expect("canonical decodes");
            assert_eq!(again, record);
            assert_eq!(again.to_string(), canonical);
        }
        Err(e) => {
            assert!(e.offset <= bytes.len(), "{e:?} past the end");
            assert!(!e.to_string().is_empty());
        }
    }
    // Whatever a JSON value is, it never makes a bad extra member either.
    if let Ok(text) = std::str::from_utf8(bytes)
        && let Ok(raw) = RawJson::new(text)
    {
        let mut record = Record::new(
            ServiceName::new("s").expect("valid"),
            InstanceId::from_u128(0),
            Timestamp::parse("2025-01-16T08:30:00Z").expect("valid"),
        );
        if record.insert_extra("x", raw).is_ok() {
            let text = record.to_string();
            let back = Record::decode(text.as_bytes());
            assert!(back.is_ok() || text.len() > heartwire::json::MAX_DOCUMENT_LEN);
        }
    }
}
