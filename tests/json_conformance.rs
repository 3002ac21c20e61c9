//! The Rust implementation against the conformance vectors of `spec/vectors/json.json`.
//!
//! Decode cases go through [`Document::decode`], which detects the format of the document
//! from its keys (`spec/json.md` §8) and checks the shared rules of §2, §5 and §6 before
//! the format's own; their canonical text is compared byte for byte (§7). The `timestamp`
//! cases go through [`Timestamp::parse`] and write the instant as §9 says.

use bytes::BytesMut;
use heartwire::document::Document;
use heartwire::time::{Timestamp, UnixTime};
use heartwire_tests::{
    Case, Operation, VectorFile, assert_every_case, assert_well_formed, read_vectors,
};
use serde_json::{Value, json};

/// What heartwire gives for a case, or what a case expects.
#[derive(Debug, PartialEq)]
enum Outcome {
    /// A decode case: the canonical text of the document.
    Document(String),
    /// The result of a chapter operation (`timestamp`).
    Result(Value),
    /// A rejection: class, offset and path (`None` where the case leaves them open, or
    /// where the operation has no path).
    Error {
        class: String,
        offset: Option<usize>,
        path: Option<String>,
    },
}

/// The instant of a timestamp as `spec/json.md` §9 writes it: UTC, `Z`, the fraction
/// without trailing zeros and none when it is zero.
fn utc(t: UnixTime) -> String {
    let c = t.civil();
    let mut text = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        c.year, c.month, c.day, c.hour, c.minute, c.second
    );
    if c.nanos != 0 {
        let fraction = format!("{:09}", c.nanos);
        text.push('.');
        text.push_str(fraction.trim_end_matches('0'));
    }
    text.push('Z');
    text
}

/// The canonical text of a document, from `encode` and from `Display` alike.
fn canonical(case: &Case<'_>, document: &Document<'_>) -> String {
    let mut buf = BytesMut::new();
    document.encode(&mut buf);
    let text = String::from_utf8(buf.to_vec())
        .unwrap_or_else(|e| panic!("{}: the canonical text is not UTF-8: {e}", case.id));
    assert_eq!(
        document.to_string(),
        text,
        "{}: Display and encode",
        case.id
    );
    text
}

fn run(case: &Case<'_>) -> Outcome {
    match &case.operation {
        Operation::Decode => {
            let bytes = case
                .input
                .document_bytes()
                .unwrap_or_else(|| panic!("{}: a decode case has a document", case.id));
            match Document::decode(&bytes) {
                Ok(document) => Outcome::Document(canonical(case, &document)),
                Err(e) => {
                    assert!(e.offset <= bytes.len(), "{}: {e:?} past the end", case.id);
                    Outcome::Error {
                        class: e.class().to_owned(),
                        offset: Some(e.offset),
                        path: Some(e.path),
                    }
                }
            }
        }
        Operation::Other(name) if name == "timestamp" => {
            let text = case
                .input
                .args
                .as_ref()
                .and_then(|args| args.get("text"))
                .and_then(Value::as_str)
                .unwrap_or_else(|| panic!("{}: args.text is a string", case.id));
            match Timestamp::parse(text) {
                Ok(t) => Outcome::Result(json!({ "utc": utc(t.unix_time()) })),
                Err(e) => {
                    assert!(e.offset <= text.len(), "{}: {e:?} past the end", case.id);
                    Outcome::Error {
                        class: "json.timestamp".to_owned(),
                        offset: Some(e.offset),
                        path: None,
                    }
                }
            }
        }
        Operation::Encode | Operation::Other(_) => {
            panic!("{}: json.json has no {:?} cases", case.id, case.operation)
        }
    }
}

/// What the case expects, in the shape of [`Outcome`].
fn expected(case: &Case<'_>) -> Outcome {
    let e = &case.expect;
    match (&e.error, e.decoded, &e.encoded, e.result) {
        (Some(class), None, None, None) => Outcome::Error {
            class: class.clone(),
            offset: e.offset,
            path: e.path.clone(),
        },
        (None, Some(_), Some(encoded), None) => Outcome::Document(encoded.clone()),
        (None, None, None, Some(result)) => Outcome::Result(
            serde_json::from_str(result.get())
                .unwrap_or_else(|err| panic!("{}: result is not JSON: {err}", case.id)),
        ),
        _ => panic!(
            "{}: expect has an error, a decoded and encoded document, or a result",
            case.id
        ),
    }
}

/// Whether the actual outcome is the expected one. Documents are compared as text
/// (`encoded`) and as JSON values (`decoded`); errors by class, and by offset and path
/// where the case gives them.
fn passes(case: &Case<'_>, expected: &Outcome, actual: &Outcome) -> bool {
    match (expected, actual) {
        (Outcome::Document(encoded), Outcome::Document(text)) => {
            let decoded = case
                .expect
                .decoded
                .map(|d| serde_json::from_str::<Value>(d.get()));
            let actual = serde_json::from_str::<Value>(text);
            encoded == text && matches!((decoded, actual), (Some(Ok(d)), Ok(a)) if d == a)
        }
        (
            Outcome::Error {
                class,
                offset,
                path,
            },
            Outcome::Error {
                class: a_class,
                offset: a_offset,
                path: a_path,
            },
        ) => {
            class == a_class
                && offset.is_none_or(|o| Some(o) == *a_offset)
                && path.as_ref().is_none_or(|p| Some(p) == a_path.as_ref())
        }
        _ => expected == actual,
    }
}

fn vectors(text: &str) -> VectorFile<'_> {
    let file: VectorFile<'_> = serde_json::from_str(text).expect("vector file parses");
    assert_eq!(file.format, "json");
    assert_eq!(file.spec, "spec/json.md");
    file
}

/// Shortens a long text (the 64 KiB documents) for a failure message.
fn short(outcome: &Outcome) -> String {
    let text = format!("{outcome:?}");
    match text.char_indices().nth(300) {
        Some((at, _)) => format!("{}... ({} bytes)", &text[..at], text.len()),
        None => text,
    }
}

#[test]
fn every_vector_passes() {
    let text = read_vectors("json.json");
    let file = vectors(&text);
    assert_every_case(&file, |case| {
        let (expected, actual) = (expected(case), run(case));
        (!passes(case, &expected, &actual)).then(|| {
            format!(
                "expected {}\n    actual   {}",
                short(&expected),
                short(&actual)
            )
        })
    });
}

/// Every canonical document of the suite (`encoded`, and `decoded` as written in the
/// file) decodes again to a document that encodes to the same bytes: the canonical form
/// is a fixed point (`spec/json.md` §7).
#[test]
fn canonical_outputs_are_fixed_points() {
    let text = read_vectors("json.json");
    let file = vectors(&text);
    let mut checked = 0;
    for case in &file.cases {
        let outputs = case
            .expect
            .decoded
            .map(|d| d.get())
            .into_iter()
            .chain(case.expect.encoded.as_deref());
        for output in outputs {
            let document = Document::decode(output.as_bytes())
                .unwrap_or_else(|e| panic!("{}: the canonical text does not decode: {e}", case.id));
            assert_eq!(
                canonical(case, &document),
                output,
                "{}: not a fixed point",
                case.id
            );
            checked += 1;
        }
    }
    assert!(checked >= 30, "only {checked} outputs");
}

/// Ids are unique and well formed, every case has the input and expectation of its
/// operation, and every section the cases name exists in `spec/json.md` and has both a
/// valid and an invalid case.
#[test]
fn the_suite_is_well_formed() {
    let text = read_vectors("json.json");
    let file = vectors(&text);
    assert_well_formed(&file, "json", 80);
}
