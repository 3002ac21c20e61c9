//! The fiddly rules of the record codec.

use std::borrow::Cow;

use crate::json::RawJson;

use super::*;
use crate::json::{JsonErrorKind, MAX_DEPTH, MAX_DOCUMENT_LEN};

const SEED: &str = r#"{
"service_name": "tracker_fetcher",
"instance_id": "a1b2c3d4-e5f6-7890-abcd-ef1234567890",
"timestamp": "2025-01-16T08:30:00.123456+00:00",
"uptime_seconds": 3600.5,
"heartbeat_count": 60,
"memory_usage_mb": 156.3,
"cpu_usage_percent": 12.5,
"queue_size": 1380,
"last_successful_operation": "2025-01-16T08:29:45.123456+00:00",
"api_status": "authenticated"
}"#;

const SEED_CANONICAL: &str = concat!(
    r#"{"service_name":"tracker_fetcher","instance_id":"a1b2c3d4-e5f6-7890-abcd-ef1234567890","#,
    r#""timestamp":"2025-01-16T08:30:00.123456+00:00","uptime_seconds":3600.5,"#,
    r#""heartbeat_count":60,"memory_usage_mb":156.3,"cpu_usage_percent":12.5,"#,
    r#""queue_size":1380,"last_successful_operation":"2025-01-16T08:29:45.123456+00:00","#,
    r#""api_status":"authenticated"}"#
);

const MINIMAL: &str = r#"{"service_name":"s","instance_id":"a1b2c3d4-e5f6-7890-abcd-ef1234567890","timestamp":"2025-01-16T08:30:00Z"}"#;

/// The class, path and offset of the error decoding `doc`.
fn err(doc: &str) -> (&'static str, String, usize) {
    let e = Record::decode(doc.as_bytes()).expect_err(doc);
    (e.class(), e.path, e.offset)
}

/// `MINIMAL` with `member` (`"key":value`) added at the end.
fn with(member: &str) -> String {
    format!("{},{member}}}", MINIMAL.trim_end_matches('}'))
}

#[test]
fn the_seed_decodes_and_encodes_canonically() {
    let record = Record::decode(SEED.as_bytes()).expect("the seed is a record");
    assert_eq!(record.service_name().as_str(), "tracker_fetcher");
    assert_eq!(
        record.instance_id().as_str(),
        "a1b2c3d4-e5f6-7890-abcd-ef1234567890"
    );
    assert_eq!(record.timestamp().unix_time().secs(), 1_737_016_200);
    assert_eq!(record.uptime_seconds().map(Metric::as_f64), Some(3600.5));
    assert_eq!(record.heartbeat_count(), Some(60));
    assert_eq!(record.extras().len(), 3);
    assert_eq!(record.to_string(), SEED_CANONICAL);
    let mut buf = Vec::new();
    record.encode(&mut buf);
    assert_eq!(&buf[..], SEED_CANONICAL.as_bytes());
    assert_eq!(record.encoded_len(), SEED_CANONICAL.len());
    assert_eq!(record.to_json_string(), SEED_CANONICAL);
    let again = Record::decode(&buf).expect("canonical decodes");
    assert_eq!(again, record);
    let owned: Record<'static> = SEED.parse().expect("FromStr");
    assert_eq!(owned, record);
}

#[test]
fn decoding_borrows() {
    // One copy of the text: each use of a constant may be a copy of its own.
    let seed: &str = SEED;
    let record = Record::decode(seed.as_bytes()).expect("ok");
    let within = |s: &str| seed.as_bytes().as_ptr_range().contains(&s.as_ptr());
    assert!(within(record.service_name().as_str()));
    assert!(within(record.instance_id().as_str()));
    assert!(within(record.timestamp().as_str()));
    assert!(within(
        record
            .memory_usage_mb()
            .map(Metric::as_str)
            .unwrap_or_default()
    ));
    for (k, v) in record.extras().iter() {
        assert!(within(k) && within(v), "{k}");
    }
}

#[test]
fn members_in_any_order_come_out_in_canonical_order() {
    let doc = r#" {"zz":[1, 2],"cpu_usage_percent":250.0,"timestamp":"2025-01-16t08:30:00z",
        "a":{"b" : null},"instance_id":"a1b2c3d4-e5f6-7890-abcd-ef1234567890",
        "heartbeat_count":0,"service_name":"s"} "#;
    let record = Record::decode(doc.as_bytes()).expect("ok");
    assert_eq!(
        record.to_string(),
        concat!(
            r#"{"service_name":"s","instance_id":"a1b2c3d4-e5f6-7890-abcd-ef1234567890","#,
            r#""timestamp":"2025-01-16t08:30:00z","heartbeat_count":0,"#,
            r#""cpu_usage_percent":250.0,"zz":[1, 2],"a":{"b" : null}}"#
        )
    );
}

#[test]
fn null_measurements_are_not_reported() {
    let doc = with(r#""uptime_seconds":null,"heartbeat_count":null,"memory_usage_mb":null"#);
    let record = Record::decode(doc.as_bytes()).expect("null is allowed");
    assert_eq!(record.uptime_seconds(), None);
    assert_eq!(record.heartbeat_count(), None);
    assert_eq!(record.to_string(), MINIMAL);
    // ... but counted as seen: a second one is a duplicate.
    let doc = with(r#""uptime_seconds":null,"uptime_seconds":1"#);
    assert_eq!(
        err(&doc),
        (
            "json.duplicate",
            "uptime_seconds".into(),
            doc.rfind("\"uptime").unwrap_or(0)
        )
    );
    // Null is no name, id or timestamp.
    let doc = r#"{"service_name":null}"#;
    assert_eq!(err(doc), ("json.type", "service_name".into(), 16));
}

#[test]
fn required_members() {
    assert_eq!(err("{}"), ("json.missing", String::new(), 0));
    let doc = r#" {"service_name":"s","instance_id":"a1b2c3d4-e5f6-7890-abcd-ef1234567890"}"#;
    let e = Record::decode(doc.as_bytes()).expect_err("no timestamp");
    assert_eq!(e.kind, JsonErrorKind::Missing { field: "timestamp" });
    assert_eq!((e.path.as_str(), e.offset), ("", 1));
    for doc in ["[]", " 1", "\"s\"", "null"] {
        let e = Record::decode(doc.as_bytes()).expect_err(doc);
        assert_eq!(
            (e.class(), e.offset),
            ("json.type", doc.len() - doc.trim_start().len())
        );
    }
}

#[test]
fn service_name_errors_point_at_the_character() {
    let doc = r#"{"service_name":"tracker*fetcher"}"#;
    assert_eq!(err(doc), ("json.value", "service_name".into(), 24));
    let e = Record::decode(doc.as_bytes()).expect_err("glob");
    // The message spec/record.md §8 shows.
    assert_eq!(
        e.to_string(),
        "at byte 24 (service_name): expected a letter, digit, '_' or '-' in the service \
         name, not a Redis glob character"
    );
    assert_eq!(
        err(r#"{"service_name":""}"#),
        ("json.value", "service_name".into(), 17)
    );
    let long = format!(r#"{{"service_name":"{}"}}"#, "x".repeat(129));
    assert_eq!(err(&long), ("json.value", "service_name".into(), 17 + 128));
    // Escaped: the decoded name is checked, and the error points at the quote.
    let doc = r#"{"service_name":"tracker\u002afetcher"}"#;
    assert_eq!(err(doc), ("json.value", "service_name".into(), 16));
    let doc = MINIMAL.replace(r#""s""#, r#""tracker\u005ffetcher""#);
    let record = Record::decode(doc.as_bytes()).expect("an escaped underscore is an underscore");
    assert_eq!(record.service_name().as_str(), "tracker_fetcher");
    assert_eq!(
        record.to_string(),
        MINIMAL.replace(r#""s""#, r#""tracker_fetcher""#)
    );
    assert_eq!(
        err(r#"{"service_name":7}"#),
        ("json.type", "service_name".into(), 16)
    );
}

#[test]
fn instance_id_errors_point_at_the_byte() {
    let doc = r#"{"instance_id":"A1b2c3d4-e5f6-7890-abcd-ef1234567890"}"#;
    assert_eq!(err(doc), ("json.value", "instance_id".into(), 16));
    let doc = r#"{"instance_id":"a1b2c3d4-e5f6-7890-abcd-ef1234567890x"}"#;
    assert_eq!(err(doc), ("json.value", "instance_id".into(), 16 + 36));
    let doc = r#"{"instance_id":"a1b2c3d4-worker-7"}"#;
    assert_eq!(err(doc), ("json.value", "instance_id".into(), 16 + 9));
    let doc = r#"{"instance_id":"worker-7"}"#;
    assert_eq!(err(doc), ("json.value", "instance_id".into(), 16));
}

#[test]
fn measurement_errors() {
    let count = with(r#""heartbeat_count":-1"#);
    assert_eq!(
        err(&count),
        (
            "json.value",
            "heartbeat_count".into(),
            count.rfind("-1").unwrap_or(0)
        )
    );
    for bad in ["60.0", "6e1", "18446744073709551616"] {
        let doc = with(&format!(r#""heartbeat_count":{bad}"#));
        assert_eq!(err(&doc).0, "json.value", "{bad}");
    }
    let doc = with(r#""heartbeat_count":"60""#);
    assert_eq!(err(&doc).0, "json.type");
    let doc = with(r#""heartbeat_count":18446744073709551615"#);
    assert_eq!(
        Record::decode(doc.as_bytes()).map(|r| r.heartbeat_count()),
        Ok(Some(u64::MAX))
    );
    for key in ["uptime_seconds", "memory_usage_mb", "cpu_usage_percent"] {
        let doc = with(&format!(r#""{key}": -0.5"#));
        assert_eq!(
            err(&doc),
            ("json.value", key.into(), doc.find("-0.5").unwrap_or(0))
        );
        let doc = with(&format!(r#""{key}":true"#));
        assert_eq!(err(&doc).0, "json.type");
        let doc = with(&format!(r#""{key}":1e999"#));
        assert_eq!(err(&doc).0, "json.value");
        let doc = with(&format!(r#""{key}":-0.0"#));
        let r = Record::decode(doc.as_bytes()).expect("negative zero is zero");
        assert!(r.to_string().contains(&format!(r#""{key}":-0.0"#)));
    }
}

#[test]
fn duplicates() {
    let doc = with(r#""queue_size":1,"queue_size":2"#);
    let second = doc.rfind("\"queue_size").unwrap_or(0);
    assert_eq!(err(&doc), ("json.duplicate", "queue_size".into(), second));
    // The key comes before the value: a duplicate with a bad value is a duplicate.
    let doc = r#"{"timestamp":"2025-01-16T08:30:00Z","timestamp":"bad"}"#;
    assert_eq!(err(doc), ("json.duplicate", "timestamp".into(), 36));
    // Keys are compared after unescaping.
    let doc = r#"{"timestamp":"2025-01-16T08:30:00Z","time\u0073tamp":"2025-01-16T08:30:00Z"}"#;
    assert_eq!(err(doc), ("json.duplicate", "timestamp".into(), 36));
    let doc = with(r#""a":{"x":1,"x":2}"#);
    let e = err(&doc);
    assert_eq!((e.0, e.1.as_str()), ("json.duplicate", "a.x"));
}

#[test]
fn extras_depth() {
    // The record is depth 1, an extra's value depth 2: 31 more levels fit.
    let ok = with(&format!(
        r#""x":{}{}"#,
        "[".repeat(MAX_DEPTH - 1),
        "]".repeat(MAX_DEPTH - 1)
    ));
    Record::decode(ok.as_bytes()).expect("32 deep");
    let deep = with(&format!(
        r#""x":{}{}"#,
        "[".repeat(MAX_DEPTH),
        "]".repeat(MAX_DEPTH)
    ));
    let (class, path, _) = err(&deep);
    assert_eq!(class, "json.depth");
    assert!(path.starts_with("x[0]"), "{path}");
}

#[test]
fn timestamp_errors_point_inside() {
    let doc = r#"{"timestamp":"2025-01-16 08:30:00Z"}"#;
    assert_eq!(err(doc), ("json.timestamp", "timestamp".into(), 14 + 10));
    let doc = r#"{"timestamp":"2025-01-16T08:30:00"}"#;
    assert_eq!(err(doc), ("json.timestamp", "timestamp".into(), 14 + 19));
}

#[test]
fn member_errors_come_in_document_order() {
    let doc = r#"{"heartbeat_count":-1,"service_name":"*"}"#;
    assert_eq!(err(doc).1, "heartbeat_count");
    let doc = r#"{"service_name":"*","heartbeat_count":-1}"#;
    assert_eq!(err(doc).1, "service_name");
    // A member error before a missing member.
    assert_eq!(err(r#"{"service_name":"*"}"#).0, "json.value");
}

#[test]
fn size_and_encoding_come_first_then_document_order() {
    let mut big = with(&format!(r#""pad":"{}""#, "x".repeat(MAX_DOCUMENT_LEN)));
    assert_eq!(err(&big).0, "json.size");
    big.truncate(MAX_DOCUMENT_LEN - 2);
    assert_eq!(err(&big).0, "json.syntax");
    assert_eq!(err(r#"{"service_name":"ok",}"#).0, "json.syntax");
    // In document order: a broken member before the syntax error is what is reported.
    assert_eq!(err(r#"{"service_name":"*",}"#).0, "json.value");
    let e = Record::decode(b"{\"service_name\":\"\xff\"}").expect_err("utf8");
    assert_eq!((e.class(), e.offset), ("json.utf8", 17));
    // Python's json.dumps writes NaN for a float NaN: not JSON.
    assert_eq!(err(&with(r#""cpu_usage_percent":NaN"#)).0, "json.syntax");
}

#[test]
fn escaped_strings_are_written_like_serde_json() {
    let mut all = String::new();
    for c in (0u8..0x80).map(char::from).chain(['é', '\u{2028}', '😀']) {
        all.push(c);
    }
    for s in [all.as_str(), "", "plain", "\"\\", "a\u{7f}b"] {
        let mut ours = String::new();
        write_string(&mut ours, s).expect("writes");
        let mut theirs = Vec::new();
        crate::json::write_str(&mut theirs, s);
        assert_eq!(ours.as_bytes(), &theirs[..], "{s:?}");
    }
}

#[test]
fn escaped_extra_keys_are_re_escaped_canonically() {
    let doc = with(r#""a\/b\u00e9\u0001":1"#);
    let record = Record::decode(doc.as_bytes()).expect("ok");
    assert_eq!(
        record.extras().iter().next().map(|(k, _)| k),
        Some("a/bé\u{1}")
    );
    assert!(record.to_string().ends_with(r#""a/bé\u0001":1}"#));
}

#[test]
fn the_builder_keeps_the_invariants() {
    let mut record = Record::new(
        ServiceName::new("s").expect("valid"),
        InstanceId::from_u128(7),
        crate::time::Timestamp::parse("2025-01-16T08:30:00Z").expect("valid"),
    );
    let raw = |s: &str| RawJson::new(s.to_owned()).expect("json");
    let e = record
        .insert_extra("timestamp", raw("1"))
        .expect_err("own member");
    assert_eq!(
        (e.class(), e.path.as_str()),
        ("json.duplicate", "timestamp")
    );
    let e = record
        .insert_extra("x", raw(r#"{"a":1,"a":2}"#))
        .expect_err("dup");
    assert_eq!(
        (e.class(), e.path.as_str(), e.offset),
        ("json.duplicate", "x.a", 7)
    );
    let deep = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
    let e = record.insert_extra("x", raw(&deep)).expect_err("deep");
    assert_eq!(e.class(), "json.depth");
    assert!(matches!(
        record.insert_extra("q", raw(" [1, 2] ")),
        Ok(None)
    ));
    let old = record
        .insert_extra(Cow::Borrowed("q"), raw("3"))
        .expect("replace");
    assert_eq!(old.as_deref(), Some("[1, 2]"));
    record
        .set_uptime_seconds(Metric::from_f64(-0.0))
        .set_memory_usage_mb(Metric::from_f64(1e-5))
        .set_heartbeat_count(Some(3));
    let text = record.to_string();
    assert_eq!(
        text,
        concat!(
            r#"{"service_name":"s","instance_id":"00000000-0000-0000-0000-000000000007","#,
            r#""timestamp":"2025-01-16T08:30:00Z","uptime_seconds":0.0,"heartbeat_count":3,"#,
            r#""memory_usage_mb":0.00001,"q":3}"#
        )
    );
    let back = Record::decode(text.as_bytes()).expect("a built record decodes");
    assert_eq!(back, record);
    assert_eq!(back.into_owned(), record);
}

#[test]
fn many_extras_do_not_take_long() {
    // As many distinct members as fit in the size limit: the duplicate check is
    // quadratic in the number of extras, which the size limit bounds.
    let mut doc = MINIMAL.trim_end_matches('}').to_owned();
    let mut i = 0u32;
    while doc.len() < MAX_DOCUMENT_LEN - 16 {
        doc.push_str(&format!(",\"{i:x}\":0"));
        i += 1;
    }
    doc.push('}');
    let start = std::time::Instant::now();
    let record = Record::decode(doc.as_bytes()).expect("ok");
    assert_eq!(record.extras().len(), i as usize);
    assert!(start.elapsed() < std::time::Duration::from_secs(5));
}
