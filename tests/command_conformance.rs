//! The Rust implementation against the conformance vectors of
//! `spec/vectors/command.json`, and a check that decoding a typical envelope does not
//! allocate. (The `command_decode` fuzz corpus is replayed by `tests/fuzz_corpus.rs`.)
//!
//! The allocation check counts with a global allocator, which sees every thread of this
//! test binary: every test here takes [`SERIAL`] so that none runs beside it.

use std::cell::RefCell;
use std::sync::{Mutex, MutexGuard};

use heartwire::command::{Dialect, Envelope};
use heartwire::json::RawJson;
use heartwire_alloc_counter::{CountingAlloc, count};
use heartwire_tests::{
    Operation, VectorFile, assert_builtin_passes, assert_well_formed, read_vectors,
};

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

fn vectors() -> String {
    read_vectors("command.json")
}

/// Every case passes through heartwire's own implementation, as `heartwire verify` runs
/// it.
#[test]
fn every_vector_passes() {
    let _serial = serial();
    let text = vectors();
    let file: VectorFile<'_> = serde_json::from_str(&text).expect("vector file parses");
    assert_eq!(file.format, "command");
    assert_builtin_passes(&file);
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
        let mut again = Vec::new();
        envelope
            .encode(dialect, &mut again)
            .unwrap_or_else(|e| panic!("{}: not encoded: {e}", case.id));
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
/// JSON scanner does (`RawJson::new`); encoding it in any dialect into a buffer with room allocates
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
        // What the shared JSON layer allocates to read the whole document (its scanner,
        // through `RawJson::new`); the command layer adds none.
        let parse = || {
            let parsed = RawJson::new(std::hint::black_box(document));
            assert!(std::hint::black_box(parsed).is_ok());
        };
        let shared = least(&parse);
        assert!(
            shared <= 1,
            "reading the document allocated {shared} times: {document}"
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
        let buf = RefCell::new(Vec::with_capacity(4096));
        for dialect in Dialect::ALL {
            let encode = || {
                let mut buf = buf.borrow_mut();
                buf.clear();
                let encoded = envelope.encode(dialect, &mut *buf);
                std::hint::black_box((&*buf, encoded.is_ok()));
            };
            assert_eq!(
                least(&encode),
                0,
                "encoding as {dialect} allocated: {document}"
            );
        }
    }
}
