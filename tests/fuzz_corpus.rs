//! Replays the corpora of the fuzz targets (`fuzz/corpus/<target>/`) through the checks of
//! those targets, on stable Rust, as part of `cargo test`.
//!
//! Each corpus holds the inputs of the conformance vectors (`fuzz/seed-corpus.py`),
//! hand-written seeds, and every input a fuzzing run found that broke something.

use std::path::Path;

#[path = "../fuzz/src/command.rs"]
pub mod command;
#[path = "../fuzz/src/record.rs"]
pub mod record;
#[path = "../fuzz/src/schedule.rs"]
pub mod schedule;
#[path = "../fuzz/src/text.rs"]
pub mod text;

/// Fewer files than this in a corpus means the corpus went missing, not that all is well.
const MIN_CORPUS_FILES: usize = 45;

/// Runs every file of `fuzz/corpus/<target>/` through `check`, naming the file that
/// breaks it before letting its panic through.
fn replay(target: &str, check: fn(&[u8])) {
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
        files.len() >= MIN_CORPUS_FILES,
        "{} has {} files, expected at least {MIN_CORPUS_FILES}",
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
    replay("text_decode", text::text_decode);
}

#[test]
fn record_decode_corpus() {
    replay("record_decode", record::record_decode);
}

#[test]
fn command_decode_corpus() {
    replay("command_decode", command::command_decode);
}

#[test]
fn schedule_decode_corpus() {
    replay("schedule_decode", schedule::schedule_decode);
}
