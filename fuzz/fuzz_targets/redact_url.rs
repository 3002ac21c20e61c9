//! Builds broker URLs of arbitrary users, passwords and hosts, redacts and scrubs them,
//! and checks that no password is shown (see `src/url.rs`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| heartwire_fuzz::url::redact_url(data));
