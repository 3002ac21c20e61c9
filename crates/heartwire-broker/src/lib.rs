//! # heartwire-broker
//!
//! What the four broker adapters (`heartwire-nats`, `heartwire-redis`,
//! `heartwire-mqtt`, `heartwire-amqp`) share, so that each says the same things the same
//! way (`spec/transports.md` §1.3, §1.5):
//!
//! - [`LinkHealth`]: a subscription's connection state and the messages it knows it
//!   lost, counted by the adapter as they happen and read by whoever watches (the
//!   monitor reports them on stderr, as events and in `/status`). Counters only grow, so
//!   a reader that looks once a second misses nothing: a connection that dropped and
//!   came back between two looks still shows as one more outage.
//! - [`Backoff`]: the delay between connection attempts, growing from 100 ms to at most
//!   one second, with jitter, so that monitors restarted together do not knock on the
//!   broker in step.
//!
//! - [`inbox`]: a bounded hold between a client library's own unbounded queue and the
//!   reader, which counts what does not fit.
//!
//! No I/O: atomics, arithmetic and a channel, the clock passed in.
//!
//! ## Usage
//!
//! ```
//! use heartwire::time::UnixTime;
//! use heartwire_broker::{LinkHealth, Loss};
//!
//! let health = LinkHealth::new();
//! health.connected(UnixTime::new(100, 0));
//! health.lost(Loss::Overflow, 3);
//! health.disconnected(UnixTime::new(160, 0));
//! health.connected(UnixTime::new(165, 0));
//!
//! let status = health.status();
//! assert!(status.connected);
//! assert_eq!(status.outages, 1);
//! assert_eq!(status.last_outage(), Some((UnixTime::new(160, 0), UnixTime::new(165, 0))));
//! assert_eq!(status.lost(Loss::Overflow), 3);
//! ```
//!
//! ## Supported Rust versions
//!
//! The minimum supported Rust version is 1.89 (the `rust-version` of the workspace).
#![forbid(unsafe_code)]

mod backoff;
mod health;
pub mod inbox;

pub use backoff::Backoff;
pub use health::{LinkHealth, LinkStatus, Loss};
