//! The Rust implementation against the conformance vectors of `spec/vectors/schedule.json`.
//! (Filled in with the schedule format.)
