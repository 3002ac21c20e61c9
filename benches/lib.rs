//! Benchmarks of heartwire; see the `benches` targets.
