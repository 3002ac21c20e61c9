//! The checks of the `snapshot_restore` fuzz target, shared with the replay test
//! `tests/fuzz_corpus.rs`, which runs them over the corpus on stable Rust.
//!
//! The promise of `Monitor::restore` (`spec/liveness.md` §6.3): a snapshot is read from a
//! file and not trusted, so whatever it says, restoring it ends with a monitor or a
//! `RestoreError`, never a panic, in time in proportion to what it holds (the fuzzer's
//! timeout catches a hang: `"missed": 4294967295` was one); the restored monitor polls and
//! answers for every process without a panic; and its own snapshot restores again to the
//! same snapshot.

use heartwire::time::UnixTime;
use heartwire_liveness::{Config, Monitor, Snapshot};

/// Checks one fuzz input, read as a JSON snapshot; panics when heartwire breaks a promise.
pub fn snapshot_restore(data: &[u8]) {
    let Ok(snapshot) = serde_json::from_slice::<Snapshot>(data) else {
        return;
    };
    let Ok(mut monitor) = Monitor::restore(Config::default(), snapshot) else {
        return;
    };
    let saved = monitor.snapshot();
    match Monitor::restore(Config::default(), saved.clone()) {
        Ok(again) => assert_eq!(again.snapshot(), saved, "a snapshot restores to itself"),
        Err(e) => panic!("a monitor's own snapshot is refused: {e}"),
    }
    // Poll when the first deadline is due, as the monitor program does, then a day later.
    let now = monitor
        .next_deadline()
        .or(monitor.last_poll())
        .unwrap_or(UnixTime::EPOCH);
    monitor.poll(now).for_each(drop);
    let later = UnixTime::new(now.secs().saturating_add(86_400), now.subsec_nanos());
    monitor.poll(later).for_each(drop);
    let processes: Vec<_> = monitor
        .processes()
        .map(|view| (view.source, view.name.to_owned()))
        .collect();
    for (source, name) in processes {
        let _ = monitor.next_change(source, &name);
        let _ = monitor.suspicion(source, &name, later);
    }
    let _ = monitor.memory_footprint();
}
