//! # heartwire
//!
//! The reference codecs for heartbeat wire formats. Services prove they are alive by
//! sending heartbeats; heartwire decodes and encodes them exactly as `spec/` says, so a
//! Python publisher, a TypeScript Lambda and a Rust monitor can agree.
//!
//! This crate is the wire and nothing else: no sockets, no threads, no files. Broker
//! adapters and the `heartwire` command live in crates of their own.
//!
//! ## Formats
//!
//! - [`text`]: the beatit convention, subject `heartbeat.<process>` with payloads
//!   `start/60`, `beat/5`, `degraded/5` and `stop` (`spec/text.md`).
//! - [`record`]: JSON liveness records on Redis/Valkey channels, their channel names and
//!   the alive/stale/dead rule (`spec/record.md`).
//! - [`command`]: Reventless command envelopes, `Heartbeat(10)` in its three real
//!   encodings, and the framework's timing rules (`spec/command.md`).
//! - [`schedule`]: Reventless schedules, their fire times and EventBridge expressions
//!   (`spec/schedule.md`).
//! - [`document`]: any document of the JSON formats, its format detected from its keys.
//!
//! What the JSON formats share is in [`json`] (limits, errors with a field path and a byte
//! offset, zero-copy reading, numbers and extra members kept as written) and [`time`]
//! (the RFC 3339 timestamp grammar and calendar arithmetic) (`spec/json.md`).
//!
//! [`transport`] holds what the broker adapters share without doing I/O: how names map
//! to subjects, topics, channels and routing keys and back (`spec/transports.md`).
//!
//! ## Usage
//!
//! ```
//! use heartwire::text::{Message, Seconds, Signal, TextError};
//!
//! // Decode what a broker delivered: zero-copy, no allocation.
//! let msg = Message::decode(b"heartbeat.billing.worker-1", b"degraded/0.5")?;
//! assert_eq!(msg.process().as_str(), "billing.worker-1");
//! assert_eq!(msg.signal(), Signal::Degraded { period: Seconds::from_millis(500).unwrap() });
//!
//! // Encode into a reused buffer.
//! let mut payload = Vec::with_capacity(64);
//! msg.encode_payload(&mut payload);
//! assert_eq!(&payload[..], b"degraded/0.5");
//!
//! // Bad input is a typed error with a byte offset.
//! assert_eq!(
//!     Message::decode(b"heartbeat.orders.>", b"beat/5"),
//!     Err(TextError::ForbiddenChar { offset: 17, found: '>' })
//! );
//! # Ok::<(), TextError>(())
//! ```
//!
//! ## Supported Rust versions
//!
//! The minimum supported Rust version is 1.89 (the `rust-version` of the workspace).
// `deny`, not `forbid`: `ascii::ascii_text` allows itself the crate's one `unsafe`
// block, a measured win with a local proof (see there).
#![deny(unsafe_code)]

mod ascii;
pub mod command;
pub mod document;
pub mod json;
pub mod record;
pub mod schedule;
pub mod text;
pub mod time;
pub mod transport;

/// The examples of the repository's README, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeExamples;

/// The example of this crate's README (its page on crates.io), run as a doc test.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct CrateReadme;
