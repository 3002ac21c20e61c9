//! The Rust implementation against the conformance vectors of `spec/vectors/json.json`.
//! (Being written.)
