//! The Rust implementation against the conformance vectors of `spec/vectors/record.json`.
//!
//! Every case runs through heartwire's own implementation as `heartwire verify` runs it
//! (`heartwire_harness::builtin`): decode and encode cases through `Record::decode` and
//! the canonical encoder; the chapter's own operations (`classify`, `channel`,
//! `parse_channel`, `pattern`) through the functions of `heartwire::record` they name
//! (`spec/record.md` §9, §10).

use std::sync::{Mutex, MutexGuard, PoisonError};

use heartwire::record::Record;
use heartwire_alloc_counter::{CountingAlloc, count};
use heartwire_tests::{
    Operation, VectorFile, assert_builtin_passes, assert_well_formed, read_vectors,
};

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

/// Taken by every test of this file, so that none allocates while another measures.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn one_at_a_time() -> MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Every case passes through heartwire's own implementation, as `heartwire verify` runs
/// it.
#[test]
fn every_vector_passes() {
    let _guard = one_at_a_time();
    let text = read_vectors("record.json");
    let file: VectorFile<'_> = serde_json::from_str(&text).expect("vector file parses");
    assert_eq!(file.format, "record");
    assert_builtin_passes(&file);
}

/// Every canonical document of the suite decodes again to a record that encodes to the
/// same bytes: the canonical form is a fixed point.
#[test]
fn canonical_outputs_are_fixed_points() {
    let _guard = one_at_a_time();
    let text = read_vectors("record.json");
    let file: VectorFile<'_> = serde_json::from_str(&text).expect("vector file parses");
    let mut checked = 0;
    for case in &file.cases {
        let outputs = case
            .expect
            .decoded
            .map(|d| d.get())
            .into_iter()
            .chain(case.expect.encoded.as_deref());
        for output in outputs {
            let record = Record::decode(output.as_bytes())
                .unwrap_or_else(|e| panic!("{}: {output} does not decode: {e}", case.id));
            assert_eq!(record.to_string(), output, "{}: not a fixed point", case.id);
            let mut buf = Vec::new();
            record.encode(&mut buf);
            assert_eq!(
                &buf[..],
                output.as_bytes(),
                "{}: Display and encode",
                case.id
            );
            assert_eq!(
                record.encoded_len(),
                output.len(),
                "{}: encoded_len",
                case.id
            );
            checked += 1;
        }
    }
    assert!(checked > 40, "only {checked} outputs");
}

/// Ids are unique and well formed, the suite is large enough, and every section the cases
/// name exists in the chapter and has both a valid and an invalid case.
#[test]
fn the_suite_is_well_formed() {
    let _guard = one_at_a_time();
    let text = read_vectors("record.json");
    let file: VectorFile<'_> = serde_json::from_str(&text).expect("vector file parses");
    assert_eq!(file.spec, "spec/record.md");
    assert_well_formed(&file, "record", 45);
    for case in &file.cases {
        if matches!(case.operation, Operation::Decode | Operation::Encode) {
            assert!(
                case.input.document_bytes().is_some(),
                "{}: a document",
                case.id
            );
        } else {
            assert!(case.input.args.is_some(), "{}: args", case.id);
        }
    }
}

/// Decoding a typical record (no escapes, at most eight extras, arrays and objects among
/// them included) does not allocate, nor does encoding it into a buffer with room.
///
/// Extras holding an object of more than eight members are left out: checking it for
/// duplicate keys keeps its keys in room for eight.
///
/// The allocation counter is process-wide: the other tests of this file wait for this one
/// (`one_at_a_time`), and each measurement is the smallest of several runs, because the
/// test harness's own thread can still allocate, and can only add to a count.
#[test]
fn decoding_a_typical_record_does_not_allocate() {
    let _guard = one_at_a_time();
    let text = read_vectors("record.json");
    let file: VectorFile<'_> = serde_json::from_str(&text).expect("vector file parses");
    let mut checked = 0;
    for case in &file.cases {
        let (Operation::Decode, Some(document)) = (&case.operation, &case.input.document) else {
            continue;
        };
        let Ok(record) = Record::decode(document.as_bytes()) else {
            continue;
        };
        // An object of more than eight members: at least eight commas in one extra.
        let crowded = record
            .extras()
            .iter()
            .any(|(_, v)| v.starts_with('{') && v.matches(',').count() >= 8);
        if document.contains('\\') || record.extras().len() > 8 || crowded {
            continue;
        }
        let mut buf = Vec::with_capacity(document.len() + 64);
        let fewest =
            |f: &mut dyn FnMut()| (0..20).map(|_| count(&mut *f).1).min().unwrap_or(u64::MAX);
        let decoding = fewest(&mut || {
            let _ = std::hint::black_box(Record::decode(std::hint::black_box(document.as_bytes())));
        });
        assert_eq!(decoding, 0, "{}: decoding allocates", case.id);
        let encoding = fewest(&mut || {
            buf.clear();
            record.encode(&mut buf);
        });
        assert_eq!(encoding, 0, "{}: encoding allocates", case.id);
        checked += 1;
    }
    assert!(checked > 20, "only {checked} documents checked");
}
