//! Parses arbitrary request lines as the HTTP receiver does and checks that nothing
//! panics, errors are the spec's, bounds hold and targets round-trip (see
//! `src/receiver.rs`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| heartwire_fuzz::receiver::receiver_path(data));
