//! The Rust implementation against the conformance vectors of `spec/vectors/json.json`.
//!
//! Every case runs through heartwire's own implementation as `heartwire verify` runs it
//! (`heartwire_harness::builtin`): decode cases through `Document::decode`, which detects
//! the format of the document from its keys (`spec/json.md` §8) and checks the shared
//! rules of §2, §5 and §6 before the format's own, their canonical text compared byte for
//! byte (§7); the `timestamp` cases through `Timestamp::parse`, the instant written as §9
//! says.

use heartwire::document::Document;
use heartwire_tests::{Case, VectorFile, assert_builtin_passes, assert_well_formed, read_vectors};

/// The canonical text of a document, from `encode` and from `Display` alike.
fn canonical(case: &Case<'_>, document: &Document<'_>) -> String {
    let mut buf = Vec::new();
    document
        .encode(&mut buf)
        .unwrap_or_else(|e| panic!("{}: not encoded: {e}", case.id));
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

fn vectors(text: &str) -> VectorFile<'_> {
    let file: VectorFile<'_> = serde_json::from_str(text).expect("vector file parses");
    assert_eq!(file.format, "json");
    assert_eq!(file.spec, "spec/json.md");
    file
}

/// Every case passes through heartwire's own implementation, as `heartwire verify` runs
/// it.
#[test]
fn every_vector_passes() {
    let text = read_vectors("json.json");
    let file = vectors(&text);
    assert_builtin_passes(&file);
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
