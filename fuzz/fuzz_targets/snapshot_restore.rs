//! Restores arbitrary JSON as a liveness monitor's snapshot, polls the monitor and checks
//! that nothing panics or hangs and that its own snapshot restores (see `src/snapshot.rs`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| heartwire_fuzz::snapshot::snapshot_restore(data));
