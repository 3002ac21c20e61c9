//! Decodes arbitrary bytes as a schedule document and checks every promise of the codec on
//! the result (see `src/schedule.rs`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| heartwire_fuzz::schedule::schedule_decode(data));
