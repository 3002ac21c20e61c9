//! The Rust implementation against the conformance vectors of `spec/vectors/text.json`.

use heartwire::text::{Message, TextError};
use heartwire_tests::{Case, Operation, VectorFile, assert_well_formed, read_vectors};

/// What heartwire does with a case: the canonical JSON and line forms, or the error
/// class and offset.
fn run(case: &Case<'_>) -> Result<(Option<String>, String), (String, usize)> {
    let text_err = |e: TextError| (e.class().to_owned(), e.offset());
    let message = match case.operation {
        Operation::Decode => match (case.input.line_bytes(), case.input.subject_bytes()) {
            (Some(line), None) => Message::decode_line(&line).map(Message::into_owned),
            (None, Some(subject)) => {
                let payload = case
                    .input
                    .payload_bytes()
                    .expect("decode case has a payload");
                Message::decode(&subject, &payload).map(Message::into_owned)
            }
            _ => panic!("{}: a decode case has a line or a subject", case.id),
        }
        .map_err(text_err)?,
        Operation::Encode => {
            let json = case.input.json.as_deref().expect("encode case has json");
            Message::from_json(json)
                .map(Message::into_owned)
                .map_err(|e| (e.class().to_owned(), e.offset()))?
        }
        Operation::Other(ref name) => panic!("{}: the text format has no {name}", case.id),
    };
    let decoded = (case.operation == Operation::Decode).then(|| message.json().to_string());
    Ok((decoded, message.to_string()))
}

#[test]
fn every_vector_passes() {
    let text = read_vectors("text.json");
    let file: VectorFile<'_> = serde_json::from_str(&text).expect("vector file parses");
    assert_eq!(file.format, "text");
    let mut failures = Vec::new();
    for case in &file.cases {
        let expected = match (
            &case.expect.error,
            case.expect.decoded,
            &case.expect.encoded,
        ) {
            (Some(class), None, None) => Err((class.clone(), case.expect.offset)),
            (None, decoded, Some(encoded)) => {
                Ok((decoded.map(|d| d.get().to_owned()), encoded.clone()))
            }
            _ => panic!("{}: expect has an error or an output", case.id),
        };
        let actual = run(case);
        let pass = match (&expected, &actual) {
            (Ok(e), Ok(a)) => e == a,
            (Err((class, offset)), Err((a_class, a_offset))) => {
                class == a_class && offset.is_none_or(|o| o == *a_offset)
            }
            _ => false,
        };
        if !pass {
            failures.push(format!(
                "{}\n    expected {expected:?}\n    actual   {actual:?}",
                case.id
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} vectors fail:\n{}",
        failures.len(),
        file.cases.len(),
        failures.join("\n")
    );
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
