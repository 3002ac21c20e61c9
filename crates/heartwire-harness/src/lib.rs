//! # heartwire-harness
//!
//! The conformance harness of heartwire: it runs the conformance suite of `spec/vectors/`
//! against any implementation of the heartbeat wire formats, in any language, and says
//! whether it conforms. `spec/harness.md` is its specification; the `heartwire verify`
//! command is a thin layer over this crate.
//!
//! - [`suite`]: the vector files (embedded in this crate), their model and the suite
//!   manifest with its checksums and tombstones.
//! - [`protocol`]: the messages an implementation under test reads and writes.
//! - [`builtin`]: heartwire's own implementation, answering as an implementation under
//!   test does.
//! - [`runner`]: running the suite in exec mode (a process per case, in parallel) or
//!   session mode (one long-lived process), with timeouts and restarts.
//! - [`compare`] and [`exact`]: semantic comparison of answers with expectations.
//! - [`scenario`]: the comparison of an answer to a liveness scenario (format
//!   `liveness`, operation `run`) with the events the case expects.
//! - [`report`]: statuses and the text, JSON and JUnit XML reports.
//!
//! ## Usage
//!
//! ```
//! use heartwire_harness::runner::{Options, run};
//! use heartwire_harness::suite::Suite;
//!
//! let suite = Suite::builtin()?;
//! // No command: heartwire's own implementation, in this process.
//! let options = Options { format: Some("text".to_owned()), ..Options::default() };
//! let report = run(suite, &options, &mut |_done, _total| {})?;
//! assert!(report.conformant);
//! print!("{}", report.to_text(5));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Feature flags
//!
//! None.
//!
//! ## Supported Rust versions
//!
//! The workspace's `rust-version` (1.89) and newer.

#![forbid(unsafe_code)]

pub mod builtin;
pub mod compare;
pub mod exact;
pub mod protocol;
pub mod report;
pub mod runner;
pub mod scenario;
pub mod select;
pub mod suite;

/// The example of this crate's README (its page on crates.io), run as a doc test.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct CrateReadme;
