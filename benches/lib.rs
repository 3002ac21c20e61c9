//! Benchmarks of heartwire; see the `benches` targets.
//!
//! `cargo bench -p heartwire-benches --bench text` measures the text codec against two
//! baselines in the same run: a straightforward `str`-splitting parser with `f64`
//! numbers, and `serde_json` on the equivalent JSON object. This crate is not a default
//! member of the workspace, so `cargo test` at the root does not build criterion.
#![forbid(unsafe_code)]
