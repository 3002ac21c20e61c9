//! Replays the fuzz corpus `fuzz/corpus/text_decode/` through the checks of the
//! `text_decode` fuzz target, on stable Rust, as part of `cargo test`.
//!
//! The corpus holds the decode cases of the conformance vectors (`fuzz/seed-corpus.py`),
//! hand-written seeds, and every input a fuzzing run found that broke something.

use std::path::Path;

#[path = "../fuzz/src/text.rs"]
pub mod text;

/// Fewer files than this means the corpus went missing, not that all is well.
const MIN_CORPUS_FILES: usize = 10;

#[test]
fn text_decode_corpus() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus/text_decode");
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
        // Name the file that broke, then let the panic through.
        let outcome = std::panic::catch_unwind(|| text::text_decode(&data));
        if let Err(panic) = outcome {
            eprintln!("{} broke text_decode", path.display());
            std::panic::resume_unwind(panic);
        }
    }
    println!("replayed {} files of {}", files.len(), dir.display());
}
