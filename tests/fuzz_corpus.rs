//! Replays the corpora of the fuzz targets (`fuzz/corpus/<target>/`) through the checks of
//! those targets, on stable Rust, as part of `cargo test`.
//!
//! Each corpus holds the inputs of the conformance vectors (`fuzz/seed-corpus.py`; for
//! `redact_url`, the URLs and credentials listed there; for `snapshot_restore`, the
//! snapshots listed there; for `receiver_path`, the request lines listed there),
//! hand-written seeds, and every input a fuzzing run found that broke something.

use std::path::Path;

#[path = "../fuzz/src/command.rs"]
pub mod command;
#[path = "../fuzz/src/receiver.rs"]
pub mod receiver;
#[path = "../fuzz/src/record.rs"]
pub mod record;
#[path = "../fuzz/src/schedule.rs"]
pub mod schedule;
#[path = "../fuzz/src/snapshot.rs"]
pub mod snapshot;
#[path = "../fuzz/src/text.rs"]
pub mod text;
#[path = "../fuzz/src/url.rs"]
pub mod url;

/// Fewer files than this in a corpus seeded from vectors means the corpus went missing,
/// not that all is well.
const MIN_CORPUS_FILES: usize = 45;

/// The same for the corpus of `redact_url`, seeded from `URL_SEEDS` in `seed-corpus.py`.
const MIN_URL_CORPUS_FILES: usize = 20;

/// The same for the corpus of `snapshot_restore`, seeded from `SNAPSHOT_SEEDS`.
const MIN_SNAPSHOT_CORPUS_FILES: usize = 8;

/// The same for the corpus of `receiver_path`, seeded from `RECEIVER_SEEDS`.
const MIN_RECEIVER_CORPUS_FILES: usize = 30;

/// Runs every file of `fuzz/corpus/<target>/`, of which there must be `min_files`,
/// through `check`, naming the file that breaks it before letting its panic through.
fn replay(target: &str, min_files: usize, check: fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/corpus")
        .join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.map(|e| e.path()))
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    files.retain(|path| path.is_file());
    files.sort();
    assert!(
        files.len() >= min_files,
        "{} has {} files, expected at least {min_files}",
        dir.display(),
        files.len()
    );
    for path in &files {
        let data = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        if let Err(panic) = std::panic::catch_unwind(|| check(&data)) {
            eprintln!("{} broke {target}", path.display());
            std::panic::resume_unwind(panic);
        }
    }
    println!("replayed {} files of {}", files.len(), dir.display());
}

#[test]
fn text_decode_corpus() {
    replay("text_decode", MIN_CORPUS_FILES, text::text_decode);
}

#[test]
fn record_decode_corpus() {
    replay("record_decode", MIN_CORPUS_FILES, record::record_decode);
}

#[test]
fn command_decode_corpus() {
    replay("command_decode", MIN_CORPUS_FILES, command::command_decode);
}

#[test]
fn schedule_decode_corpus() {
    replay(
        "schedule_decode",
        MIN_CORPUS_FILES,
        schedule::schedule_decode,
    );
}

#[test]
fn redact_url_corpus() {
    replay("redact_url", MIN_URL_CORPUS_FILES, url::redact_url);
}

#[test]
fn snapshot_restore_corpus() {
    replay(
        "snapshot_restore",
        MIN_SNAPSHOT_CORPUS_FILES,
        snapshot::snapshot_restore,
    );
}

#[test]
fn receiver_path_corpus() {
    replay(
        "receiver_path",
        MIN_RECEIVER_CORPUS_FILES,
        receiver::receiver_path,
    );
}
