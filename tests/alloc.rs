//! Decoding and encoding the text convention never allocate.
//!
//! A counting global allocator ([`heartwire_alloc_counter`], whose `GlobalAlloc` impl is
//! unsafe code) wraps `System`. This target has `harness = false`: `main` runs every
//! check on one thread, so nothing else allocates while a check is measured. It checks:
//!
//! - `Message::decode`, `Message::decode_str`, `Message::decode_line` and `Signal::decode` of valid and invalid
//!   inputs (errors do not allocate either): hand-written inputs for every error class,
//!   plus every decode case of `spec/vectors/text.json`;
//! - `encode_subject`, `encode_payload` and `encode_line` into a `Vec<u8>` with room;
//! - the line and JSON forms (`Display`) into a `String` with room, and
//!   `Message::from_json` of canonical JSON without escapes;
//! - decoding every valid document of the JSON formats' vectors without escapes (and the
//!   seed record and a heartbeat envelope), with format detection, and encoding it back
//!   into a buffer with room;
//! - that the counter works: `Vec::with_capacity(1)` is counted.
//!
//! The last line printed is `alloc: N passed, M failed`; the exit code is non-zero when
//! anything failed.

use std::fmt::Write as _;
use std::hint::black_box;
use std::path::Path;
use std::process::ExitCode;

use heartwire::command::Command;
use heartwire::document::Document;
use heartwire::text::{MAX_LINE_LEN, MAX_PAYLOAD_LEN, MAX_SUBJECT_LEN, Message, Seconds, Signal};
use heartwire_alloc_counter::{CountingAlloc, count};

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

/// Results so far. Failures are recorded after the measurement, so recording them may
/// allocate.
#[derive(Default)]
struct Report {
    passed: usize,
    failed: usize,
}

impl Report {
    /// Records a check that must not have allocated.
    fn none(&mut self, what: &str, input: &[u8], allocations: u64) {
        if allocations == 0 {
            self.passed += 1;
        } else {
            self.failed += 1;
            println!(
                "FAIL {what} of {:?}: {allocations} allocation(s), expected none",
                String::from_utf8_lossy(input)
            );
        }
    }

    /// Records a check that must pass.
    fn assert(&mut self, what: &str, ok: bool) {
        if ok {
            self.passed += 1;
        } else {
            self.failed += 1;
            println!("FAIL {what}");
        }
    }
}

/// Subjects: valid ones and one for every subject error class.
fn subjects() -> Vec<Vec<u8>> {
    let mut longest = b"heartbeat.".to_vec();
    longest.resize(MAX_SUBJECT_LEN, b'a');
    let mut too_long = longest.clone();
    too_long.push(b'a');
    let mut v: Vec<Vec<u8>> = [
        // Valid.
        &b"heartbeat.my.process.identifier"[..],
        b"heartbeat.worker",
        b"heartbeat.Billing_worker-7.eu-west-1",
        // Invalid: prefix, empty tokens, forbidden characters, encoding.
        b"",
        b"heartbeat",
        b"Heartbeat.worker",
        b"heartbeat.",
        b"heartbeat..a",
        b"heartbeat.a..b",
        b"heartbeat.a.",
        b"heartbeat.orders.>",
        b"heartbeat.orders.*",
        b"heartbeat.a/b",
        b"heartbeat.a b",
        b"heartbeat.caf\xc3\xa9",
        b"heartbeat.a\xff",
        b"heartbeat.a\x00",
    ]
    .iter()
    .map(|s| s.to_vec())
    .collect();
    v.push(longest);
    v.push(too_long);
    v
}

/// Payloads: valid ones and one for every payload and number error class.
fn payloads() -> Vec<Vec<u8>> {
    let mut longest = b"beat/1.".to_vec();
    longest.resize(MAX_PAYLOAD_LEN, b'0');
    let mut too_long = longest.clone();
    too_long.push(b'0');
    let mut v: Vec<Vec<u8>> = [
        // Valid.
        &b"beat/5"[..],
        b"degraded/0.5",
        b"start/60",
        b"stop",
        b"beat/5.0",
        b"beat/1e-05",
        b"beat/5E+0",
        b"beat/0.000000001",
        b"beat/1000000000",
        b"beat/0.30000000000000004",
        // Invalid.
        b"",
        b"beat",
        b"beat/",
        b"Beat/5",
        b"beats/5",
        b"stop/5",
        b"beat/-5",
        b"beat/+5",
        b"beat/.5",
        b"beat/5.",
        b"beat/5e",
        b"beat/5e+",
        b"beat/05",
        b"beat/0",
        b"beat/0.0000000001",
        b"beat/1000000000.000000001",
        b"beat/1e999999999999999999",
        b"beat/5 ",
        b"beat/5/6",
        b"beat/0x10",
        b"beat/inf",
        b"beat/\xff",
    ]
    .iter()
    .map(|s| s.to_vec())
    .collect();
    v.push(longest);
    v.push(too_long);
    v
}

/// Lines only the line form has: no separator, two spaces, too long.
fn extra_lines() -> Vec<Vec<u8>> {
    let mut too_long = b"heartbeat.a beat/".to_vec();
    too_long.resize(MAX_LINE_LEN + 1, b'1');
    vec![
        b"heartbeat.a".to_vec(),
        b"heartbeat.a  beat/5".to_vec(),
        b"heartbeat.a beat/5\n".to_vec(),
        b" beat/5".to_vec(),
        too_long,
    ]
}

/// Inputs of a decode case: `(subject, payload)` or a line.
enum VectorInput {
    Parts(Vec<u8>, Vec<u8>),
    Line(Vec<u8>),
}

/// Every decode case of the conformance vectors, or `None` when the file is absent.
fn vectors() -> Result<Option<Vec<VectorInput>>, String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../spec/vectors/text.json");
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("{}: {e}", path.display())),
    };
    let doc: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let cases = doc
        .get("cases")
        .and_then(serde_json::Value::as_array)
        .ok_or_else(|| format!("{}: no \"cases\" array", path.display()))?;
    let bytes = |input: &serde_json::Value, name: &str| -> Result<Option<Vec<u8>>, String> {
        if let Some(s) = input.get(name).and_then(serde_json::Value::as_str) {
            return Ok(Some(s.as_bytes().to_vec()));
        }
        match input
            .get(format!("{name}_hex"))
            .and_then(serde_json::Value::as_str)
        {
            Some(h) => hex::decode(h)
                .map(Some)
                .map_err(|e| format!("{name}_hex: {e}")),
            None => Ok(None),
        }
    };
    let mut out = Vec::new();
    for case in cases {
        if case.get("operation").and_then(serde_json::Value::as_str) != Some("decode") {
            continue;
        }
        let id = case.get("id").and_then(serde_json::Value::as_str);
        let Some(input) = case.get("input") else {
            return Err(format!("case {id:?} has no input"));
        };
        let input = match (
            bytes(input, "subject")?,
            bytes(input, "payload")?,
            bytes(input, "line")?,
        ) {
            (Some(subject), Some(payload), None) => VectorInput::Parts(subject, payload),
            (None, None, Some(line)) => VectorInput::Line(line),
            // Another input form (such as JSON): not a text decode.
            _ => continue,
        };
        out.push(input);
    }
    Ok(Some(out))
}

/// Decodes subject and payload, the payload alone, and both as a line.
fn check_parts(report: &mut Report, subject: &[u8], payload: &[u8]) {
    let mut line = subject.to_vec();
    line.push(b' ');
    line.extend_from_slice(payload);
    let (result, n) = count(|| Message::decode(black_box(subject), black_box(payload)));
    report.none("Message::decode", &line, n);
    let _ = black_box(result);
    // A subject that is text already, as the broker clients hand it over.
    if let Ok(subject) = std::str::from_utf8(subject) {
        let (result, n) = count(|| Message::decode_str(black_box(subject), black_box(payload)));
        report.none("Message::decode_str", &line, n);
        let _ = black_box(result);
    }
    let (result, n) = count(|| Signal::decode(black_box(payload)));
    report.none("Signal::decode", payload, n);
    let _ = black_box(result);
    check_line(report, &line);
}

fn check_line(report: &mut Report, line: &[u8]) {
    let (result, n) = count(|| Message::decode_line(black_box(line)));
    report.none("Message::decode_line", line, n);
    let _ = black_box(result);
}

/// Encodes a valid message every way heartwire can, into buffers with room.
fn check_encode(report: &mut Report, msg: &Message<'_>) {
    let label = msg.to_string();
    let label = label.as_bytes();
    let mut buf = Vec::with_capacity(2 * MAX_LINE_LEN);
    let ((), n) = count(|| black_box(msg).encode_subject(&mut buf));
    report.none("encode_subject", label, n);
    buf.clear();
    let ((), n) = count(|| black_box(msg).encode_payload(&mut buf));
    report.none("encode_payload", label, n);
    buf.clear();
    let ((), n) = count(|| black_box(msg).encode_line(&mut buf));
    report.none("encode_line", label, n);
    // Appending to what is there already, as a publisher batching messages would.
    let ((), n) = count(|| black_box(msg).encode_line(&mut buf));
    report.none("encode_line (appended)", label, n);

    let mut text = String::with_capacity(4 * MAX_LINE_LEN);
    let (result, n) = count(|| write!(text, "{}", black_box(msg)));
    report.none("Display (line form)", label, n);
    report.assert("Display (line form) writes", result.is_ok());
    text.clear();
    let (result, n) = count(|| write!(text, "{}", black_box(msg).json()));
    report.none("json() Display", label, n);
    report.assert("json() Display writes", result.is_ok());

    // Canonical JSON has no escapes, so every string borrows from the input.
    let (result, n) = count(|| Message::from_json(black_box(&text)).is_ok());
    report.none("Message::from_json", text.as_bytes(), n);
    report.assert("Message::from_json reads json()", result);
}

/// The decode inputs of a JSON vector file: every `document` of a `decode` case.
fn json_documents(file: &str) -> Result<Vec<Vec<u8>>, String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../spec/vectors")
        .join(file);
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let doc: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let cases = doc
        .get("cases")
        .and_then(serde_json::Value::as_array)
        .ok_or_else(|| format!("{}: no \"cases\" array", path.display()))?;
    let mut out = Vec::new();
    for case in cases {
        if case.get("operation").and_then(serde_json::Value::as_str) != Some("decode") {
            continue;
        }
        let input = case.get("input");
        let field = |name: &str| {
            input
                .and_then(|i| i.get(name))
                .and_then(serde_json::Value::as_str)
        };
        match (field("document"), field("document_hex")) {
            (Some(s), _) => out.push(s.as_bytes().to_vec()),
            (None, Some(h)) => out.push(hex::decode(h).map_err(|e| format!("{file}: {e}"))?),
            (None, None) => {}
        }
    }
    Ok(out)
}

/// Whether an object in a JSON text has more than eight members (escapes aside).
fn crowded(json: &str) -> bool {
    let (mut members, mut in_string, mut escaped) = (Vec::new(), false, false);
    for b in json.bytes() {
        match b {
            _ if escaped => escaped = false,
            b'\\' => escaped = true,
            b'"' => in_string = !in_string,
            _ if in_string => {}
            b'{' => members.push(Some(1usize)),
            b'[' => members.push(None),
            b',' => {
                if let Some(Some(n)) = members.last_mut() {
                    *n += 1;
                    if *n > 8 {
                        return true;
                    }
                }
            }
            b']' | b'}' => drop(members.pop()),
            _ => {}
        }
    }
    false
}

/// Whether members kept verbatim are more than eight, or hold an object of more.
fn crowded_members<'m>(mut members: impl ExactSizeIterator<Item = (&'m str, &'m str)>) -> bool {
    members.len() > 8 || members.any(|(_, value)| crowded(value))
}

/// Whether decoding a document may allocate, by the promise of `spec/json.md` and the
/// codecs: strings with escapes (which cannot borrow from the input), more than eight
/// extra members or headers, or an object of more than eight members in their values
/// (kept, or checked for duplicates, in room for eight), the arguments of a command
/// heartwire does not know (kept in a list), and a plugin definition that nests (kept as
/// a serde_json `RawValue`, whose reading keeps a stack from the second level).
/// Everything else, which is every typical record, envelope and schedule, nested extra
/// members included, must not allocate.
fn may_allocate(doc: &[u8], document: &Document<'_>) -> bool {
    if doc.contains(&b'\\') {
        return true;
    }
    match document {
        Document::Record(record) => crowded_members(record.extras().iter()),
        Document::Schedule(schedule) => crowded_members(schedule.extras().iter()),
        Document::Command(envelope) => {
            let headers = envelope.meta.headers.as_ref();
            crowded_members(envelope.extras().iter())
                || crowded_members(envelope.meta.extras().iter())
                || headers.is_some_and(|h| crowded_members(h.iter()))
                || match &envelope.command {
                    Command::Other(_) => true,
                    Command::ConnectPlugin { definition } => definition.as_ref().is_some_and(|d| {
                        d.get()
                            .get(1..)
                            .is_some_and(|inside| inside.contains(['[', '{']))
                    }),
                    _ => false,
                }
        }
    }
}

/// Decodes every valid JSON document of the vectors, and the seed records, and encodes
/// them back into a buffer with room: no allocation.
fn check_json(report: &mut Report) {
    let mut documents = vec![SEED_RECORD.to_vec(), SEED_ENVELOPE.to_vec()];
    for file in ["record.json", "command.json", "schedule.json"] {
        match json_documents(file) {
            Ok(docs) => {
                report.assert(&format!("{file} has decode cases"), !docs.is_empty());
                documents.extend(docs);
            }
            Err(e) => report.assert(&format!("reading {file}: {e}"), false),
        }
    }
    let mut checked = 0usize;
    let mut buf = Vec::with_capacity(2 * heartwire::json::MAX_DOCUMENT_LEN);
    let mut skipped = 0usize;
    for doc in &documents {
        match Document::decode(doc) {
            Ok(document) if may_allocate(doc, &document) => skipped += 1,
            Ok(document) => {
                let (result, n) = count(|| Document::decode(black_box(doc)).is_ok());
                report.none("Document::decode", doc, n);
                report.assert("Document::decode twice", result);
                buf.clear();
                let (result, n) = count(|| black_box(&document).encode(&mut buf).is_ok());
                report.none("Document::encode", doc, n);
                report.assert("Document::encode", result);
                checked += 1;
            }
            Err(_) => {}
        }
    }
    println!(
        "JSON documents: {checked} typical valid ones decoded and encoded without allocating \
         ({skipped} with escapes, over eight extra members, unknown commands or nested plugin \
         definitions not checked)"
    );
    report.assert(
        "at least 60 valid JSON documents were checked",
        checked >= 60,
    );
}

/// The seed's record as its Python publisher writes it (`json.dumps` separators).
const SEED_RECORD: &[u8] = br#"{"service_name": "tracker_fetcher", "instance_id": "a1b2c3d4-e5f6-7890-abcd-ef1234567890", "timestamp": "2025-01-16T08:30:00.123456+00:00", "uptime_seconds": 3600.5, "heartbeat_count": 60, "memory_usage_mb": 156.3, "cpu_usage_percent": 12.5, "queue_size": 1380, "last_successful_operation": "2025-01-16T08:29:45.123456+00:00", "api_status": "authenticated"}"#;

/// A heartbeat envelope as the framework sends it today (sury dialect, nested meta).
const SEED_ENVELOPE: &[u8] = br#"{"id":"health-monitor","meta":{"service":"Platform.Plugin","time":"2024-01-26T10:30:00.000Z","ip":"","user":"Heartbeat","msgId":"7d444840-9dc0-11d1-b245-5ffdce74fad2","correlationId":"e4eaaaf2-d142-11e1-b3e4-080027620cdd"},"command":{"TAG":"Heartbeat","_0":10}}"#;

fn main() -> ExitCode {
    let mut report = Report::default();

    // The counter counts: otherwise every check below would pass vacuously.
    let (v, n) = count(|| black_box(Vec::<u8>::with_capacity(1)));
    drop(v);
    report.assert(
        &format!("the counter sees Vec::with_capacity(1) (counted {n})"),
        n >= 1,
    );
    let ((), n) = count(|| black_box(()));
    report.assert(
        &format!("the counter is still at rest (counted {n})"),
        n == 0,
    );

    let subjects = subjects();
    let payloads = payloads();
    let (mut valid, mut invalid) = (0usize, 0usize);
    for subject in &subjects {
        for payload in &payloads {
            check_parts(&mut report, subject, payload);
            match Message::decode(subject, payload) {
                Ok(msg) => {
                    valid += 1;
                    check_encode(&mut report, &msg);
                }
                Err(_) => invalid += 1,
            }
        }
    }
    for line in extra_lines() {
        check_line(&mut report, &line);
    }
    for text in ["5", "0.5", "1e-05", "", "05", "-1", "0", "1e10", "5 "] {
        let (result, n) = count(|| Seconds::parse(black_box(text)));
        report.none("Seconds::parse", text.as_bytes(), n);
        let _ = black_box(result);
    }
    // Both outcomes were exercised, or the checks above prove less than they claim.
    report.assert(
        &format!("valid ({valid}) and invalid ({invalid}) hand-written pairs"),
        valid >= 10 && invalid >= 100,
    );

    match vectors() {
        Ok(Some(cases)) => {
            let before = report.passed + report.failed;
            for case in &cases {
                match case {
                    VectorInput::Parts(subject, payload) => {
                        check_parts(&mut report, subject, payload);
                        if let Ok(msg) = Message::decode(subject, payload) {
                            check_encode(&mut report, &msg);
                        }
                    }
                    VectorInput::Line(line) => {
                        check_line(&mut report, line);
                        if let Ok(msg) = Message::decode_line(line) {
                            check_encode(&mut report, &msg);
                        }
                    }
                }
            }
            println!(
                "spec/vectors/text.json: {} decode cases, {} checks",
                cases.len(),
                report.passed + report.failed - before
            );
            report.assert("the vectors have decode cases", !cases.is_empty());
        }
        Ok(None) => println!("spec/vectors/text.json not found: hand-written inputs only"),
        Err(e) => report.assert(&format!("reading the vectors: {e}"), false),
    }

    check_json(&mut report);

    println!("alloc: {} passed, {} failed", report.passed, report.failed);
    if report.failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
