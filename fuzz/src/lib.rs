//! The checks behind heartwire's fuzz targets, one module per target, so that
//! `tests/fuzz_corpus.rs` can replay the corpus on stable Rust with the same code.
#![forbid(unsafe_code)]

pub mod command;
pub mod receiver;
pub mod record;
pub mod schedule;
pub mod snapshot;
pub mod text;
pub mod url;
