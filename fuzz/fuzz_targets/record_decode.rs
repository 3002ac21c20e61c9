//! Decodes arbitrary bytes as a record document and checks every promise of the codec on
//! the result (see `src/record.rs`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| heartwire_fuzz::record::record_decode(data));
