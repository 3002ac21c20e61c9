//! # heartwire-broker
//!
//! The seam the four broker adapters (`heartwire-nats`, `heartwire-redis`,
//! `heartwire-mqtt`, `heartwire-amqp`) share, so that each says only what is specific to
//! its broker and all say the same things the same way (`spec/transports.md` §1):
//!
//! - [`Subscriber`]: what every adapter's subscriber is, a stream of decoded
//!   deliveries (or [`Invalid`](heartwire::transport::Invalid) ones, never dropped) with
//!   a [`LinkHealth`]; [`Subscription`] holds one of them chosen at run time, by
//!   [`Broker::of`] a URL, say.
//! - [`BrokerError`]: one error type, saying which [`Broker`], what the adapter was doing
//!   ([`Step`]) and what went wrong ([`Fault`]).
//! - Credentials kept out of sight (§1.6): [`redact_url`], [`scrub`], a [`BrokerUrl`]
//!   whose `Debug` and `Display` are redacted, and the [`Endpoint`] every adapter's
//!   configuration holds, which makes every error from a client library's failure
//!   with the URL redacted and the text scrubbed.
//! - [`LinkHealth`]: a subscription's connection state and the messages it knows it
//!   lost, counted by the adapter as they happen and read by whoever watches (the
//!   monitor reports them on stderr, as events and in `/status`). Counters only grow, so
//!   a reader that looks once a second misses nothing: a connection that dropped and
//!   came back between two looks still shows as one more outage.
//! - [`Backoff`]: the delay between connection attempts, growing from 100 ms to at most
//!   one second, with jitter, so that monitors restarted together do not knock on the
//!   broker in step; [`Endpoint::reconnect`] is a subscriber's way back with it.
//! - [`inbox`]: a bounded hold between a client library's own unbounded queue and the
//!   reader, which counts what does not fit.
//!
//! No I/O of its own (the adapters bring it): atomics, arithmetic, a channel and Tokio's
//! timer.
//!
//! ## Usage
//!
//! ```
//! use heartwire::time::UnixTime;
//! use heartwire_broker::{LinkHealth, Loss, redact_url};
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
//!
//! assert_eq!(
//!     redact_url("amqp://guest:secret@127.0.0.1:5672/%2f"),
//!     "amqp://***@127.0.0.1:5672/%2f"
//! );
//! ```
//!
//! ## Supported Rust versions
//!
//! The minimum supported Rust version is 1.89 (the `rust-version` of the workspace).
#![forbid(unsafe_code)]

mod backoff;
mod broker;
mod endpoint;
mod error;
mod health;
pub mod inbox;
mod redact;
mod subscription;
mod url;

/// How many received messages a subscriber (or its client library) holds for a reader
/// that has not taken them yet, by default, on the brokers where this process holds them
/// (NATS, Redis, MQTT; AMQP leaves its backlog in the broker): 2^18, a quarter of a
/// second of beats at a million a second, and at most some 40 MB of beatit messages.
/// Each message beyond is dropped and counted as [`Loss::Overflow`]. (async-nats's own
/// default is 2^16.)
pub const DEFAULT_SUBSCRIPTION_CAPACITY: usize = 1 << 18;

pub use backoff::Backoff;
pub use broker::Broker;
pub use endpoint::{DEFAULT_TIMEOUT, Endpoint};
pub use error::{BrokerError, Fault, Step};
pub use health::{LinkHealth, LinkStatus, Loss};
pub use redact::{percent_decode, redact_url, scrub};
pub use subscription::{Subscriber, Subscription};
pub use url::{BrokerUrl, UserInfo, split_user_info};
