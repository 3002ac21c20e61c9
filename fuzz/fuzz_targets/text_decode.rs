//! Decodes arbitrary bytes as a subject and payload, a line, a number and JSON, and
//! checks every promise of the text codec on the result (see `src/text.rs`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| heartwire_fuzz::text::text_decode(data));
