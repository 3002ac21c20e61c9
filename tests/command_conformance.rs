//! The Rust implementation against the conformance vectors of `spec/vectors/command.json`.
//! (Filled in with the command format.)
