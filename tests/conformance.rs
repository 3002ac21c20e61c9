//! The Rust implementation against the conformance vectors of `spec/vectors/text.json`.

use heartwire::text::Message;
use heartwire_tests::{VectorFile, assert_builtin_passes, assert_well_formed, read_vectors};

/// Every case passes through heartwire's own implementation, as `heartwire verify` runs
/// it.
#[test]
fn every_vector_passes() {
    let text = read_vectors("text.json");
    let file: VectorFile<'_> = serde_json::from_str(&text).expect("vector file parses");
    assert_eq!(file.format, "text");
    assert_builtin_passes(&file);
}

/// The decoded JSON of a valid case also decodes back to the same message, so the
/// vectors' outputs are themselves valid encode inputs.
#[test]
fn decoded_outputs_are_valid_encode_inputs() {
    let text = read_vectors("text.json");
    let file: VectorFile<'_> = serde_json::from_str(&text).expect("vector file parses");
    for case in &file.cases {
        if let (Some(decoded), Some(encoded)) = (case.expect.decoded, &case.expect.encoded) {
            let message =
                Message::from_json(decoded.get()).unwrap_or_else(|e| panic!("{}: {e}", case.id));
            assert_eq!(&message.to_string(), encoded, "{}", case.id);
        }
    }
}

/// Ids are unique and well formed, the suite is large enough, and every section of the
/// spec that the cases name exists and has both a valid and an invalid case.
#[test]
fn the_suite_is_well_formed() {
    let text = read_vectors("text.json");
    let file: VectorFile<'_> = serde_json::from_str(&text).expect("vector file parses");
    assert_well_formed(&file, "text", 60);
}

/// `Message::decode_str` (a subject that is text already) agrees with `Message::decode`
/// on every decode case whose subject is text, errors included.
#[test]
fn decode_str_agrees_with_decode() {
    let text = read_vectors("text.json");
    let file: VectorFile<'_> = serde_json::from_str(&text).expect("vector file parses");
    let mut compared = 0;
    for case in &file.cases {
        let (Some(subject), Some(payload)) = (&case.input.subject, case.input.payload_bytes())
        else {
            continue;
        };
        assert_eq!(
            Message::decode_str(subject, &payload),
            Message::decode(subject.as_bytes(), &payload),
            "{}",
            case.id
        );
        compared += 1;
    }
    assert!(compared >= 60, "only {compared} cases have a text subject");
}
