//! # heartwire-sqs
//!
//! Reventless command envelopes over Amazon SQS (`spec/transports.md` §6): the queue the
//! framework's heartbeat Lambda sends each plugin's `Heartbeat` envelope to, on the
//! official AWS SDK for Rust.
//!
//! - [`SqsSender`] sends an [`Envelope`](heartwire::command::Envelope) written by the
//!   core in the dialect asked for, as the Lambda does: on a FIFO queue (`*.fifo`) with
//!   `MessageGroupId` = the envelope's `id` ([`message_group_id`]: its SHA-256 in hex when
//!   it is longer than 128 bytes) and `MessageDeduplicationId` = its `msgId` (same rule);
//!   on a standard queue with neither. [`SqsSender::send_body`] sends any body (a
//!   schedule's payload) with the group and deduplication ids its caller names, by the
//!   same rule.
//! - [`SqsSubscriber`] long-polls the queue (`WaitTimeSeconds`, 20 s by default) and
//!   yields each message decoded as a [`Content::Command`] [`Delivery`], or as an
//!   [`Invalid`] with the body and the decode error (never dropped). It deletes a
//!   message only once its reader says it has kept it ([`SqsSubscriber::processed`]):
//!   a reader that stops before, or [releases](SqsSubscriber::release) it, leaves it
//!   in the queue, and SQS delivers it again after the visibility timeout (at least
//!   once). A failed request is an outage in its [`LinkHealth`]; it
//!   tries again with the [`Backoff`](heartwire_broker::Backoff) of every adapter.
//!
//! The URL is the queue URL with a scheme that says SQS ([`Queue`]):
//! `sqs://sqs.eu-west-1.amazonaws.com/123456789012/plugins.fifo`, or
//! `sqs+http://127.0.0.1:5000/123456789012/plugins.fifo?region=us-east-1` for a local
//! server. Credentials never go in it: they come from the AWS environment and profile
//! chain (`AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`, `AWS_PROFILE`, web identity, the
//! instance's role) and never appear in an error or a `Debug` output.
//!
//! ## Usage
//!
//! ```no_run
//! use heartwire::command::{Dialect, HeartbeatBuilder, NonEmptyStr};
//! use heartwire::time::SystemClock;
//! use heartwire::transport::Content;
//! use heartwire_sqs::{SqsConfig, SqsSender, SqsSubscriber};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let config = SqsConfig::new("sqs+http://127.0.0.1:5000/123456789012/plugins.fifo?region=us-east-1");
//! let mut subscriber = SqsSubscriber::connect(&config).await?;
//!
//! let mut n = 0;
//! let mut ids = || { n += 1; format!("00000000-0000-4000-8000-{n:012}") };
//! let beat = HeartbeatBuilder::new(NonEmptyStr::new("orders@1.2.0")?).build(&SystemClock, &mut ids)?;
//! SqsSender::connect(&config).await?.send(&beat, Dialect::Sury).await?;
//!
//! if let Some(Ok(delivery)) = subscriber.next().await {
//!     if let Content::Command(envelope) = delivery.content {
//!         println!("{} from {}", envelope.id.as_str(), delivery.origin);
//!     }
//!     // Kept: delete it from the queue.
//!     subscriber.processed();
//! }
//! # Ok(())
//! # }
//! ```
//!
//! ## Feature flags
//!
//! None. The SDK is built without its default HTTPS client (aws-lc-rs, a C and cmake
//! build): requests go through hyper 1 with rustls on *ring*.
//!
//! ## Supported Rust versions
//!
//! The minimum supported Rust version is 1.89 (the `rust-version` of the workspace).
#![forbid(unsafe_code)]

mod client;
mod queue;
mod sender;
mod subscriber;

use std::fmt;
use std::time::Duration;

use heartwire_broker::{Broker, Endpoint};

pub use heartwire::transport::{Content, DecodeError, Delivery, Invalid, Origin};
pub use heartwire_broker::{BrokerError, DEFAULT_TIMEOUT, Fault, LinkHealth, LinkStatus, Step};
pub use queue::{MAX_QUEUE_NAME_LEN, Queue};
pub use sender::{MAX_GROUP_ID_LEN, SqsSender, message_group_id};
pub use subscriber::{MAX_MESSAGES, SqsSubscriber};

/// How long a receive waits for messages by default: 20 s, the most SQS allows.
pub const DEFAULT_WAIT: Duration = Duration::from_secs(20);

/// Which queue and how to talk to it. Its `Debug` shows the URL redacted and no
/// credentials.
#[derive(Clone)]
pub struct SqsConfig {
    endpoint: Endpoint,
    wait: Duration,
    visibility: Option<Duration>,
    static_credentials: Option<(String, String)>,
}

impl SqsConfig {
    /// A configuration for a queue URL ([`Queue`]).
    pub fn new(url: impl Into<String>) -> SqsConfig {
        SqsConfig {
            endpoint: Endpoint::new(Broker::Sqs, url),
            wait: DEFAULT_WAIT,
            visibility: None,
            static_credentials: None,
        }
    }

    /// Where a subscriber reports its link (a fresh [`LinkHealth`] by default).
    #[must_use]
    pub fn health(mut self, health: LinkHealth) -> SqsConfig {
        self.endpoint.set_health(health);
        self
    }

    /// How long loading the configuration, connecting and each request may take, a
    /// receive's wait aside ([`DEFAULT_TIMEOUT`]).
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> SqsConfig {
        self.endpoint.set_timeout(timeout);
        self
    }

    /// How long a receive waits for a message ([`DEFAULT_WAIT`]; whole seconds, at most
    /// 20).
    #[must_use]
    pub fn wait(mut self, wait: Duration) -> SqsConfig {
        self.wait = wait.min(DEFAULT_WAIT);
        self
    }

    /// How long a received message stays invisible to other receivers before SQS
    /// delivers it again unless deleted (whole seconds; the queue's own setting by
    /// default, 30 s unless configured).
    #[must_use]
    pub fn visibility_timeout(mut self, visibility: Duration) -> SqsConfig {
        self.visibility = Some(visibility);
        self
    }

    /// Credentials given here instead of the AWS environment's (for tests and tools);
    /// kept out of every message like the others.
    #[must_use]
    pub fn static_credentials(
        mut self,
        access_key_id: impl Into<String>,
        secret_access_key: impl Into<String>,
    ) -> SqsConfig {
        self.static_credentials = Some((access_key_id.into(), secret_access_key.into()));
        self
    }

    /// The URL without credentials.
    pub fn redacted_url(&self) -> String {
        self.endpoint.redacted_url()
    }
}

impl fmt::Debug for SqsConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqsConfig")
            .field("endpoint", &self.endpoint)
            .field("wait", &self.wait)
            .field("visibility", &self.visibility)
            .field("static_credentials", &self.static_credentials.is_some())
            .finish()
    }
}
