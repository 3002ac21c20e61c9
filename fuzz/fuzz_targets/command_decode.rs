//! Decodes arbitrary bytes as a command document and checks every promise of the codec on
//! the result (see `src/command.rs`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| heartwire_fuzz::command::command_decode(data));
