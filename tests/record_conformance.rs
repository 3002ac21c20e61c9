//! The Rust implementation against the conformance vectors of `spec/vectors/record.json`.
//! (Filled in with the record format.)
