//! One error type for the four adapters: which broker, what the adapter was doing, and
//! what went wrong, never with credentials (`spec/transports.md` §1.6).

use std::fmt;
use std::time::Duration;

use crate::Broker;

/// What went wrong talking to a broker. Its messages never hold credentials: every URL
/// in it is redacted and every client library's text scrubbed.
///
/// ```
/// use std::time::Duration;
/// use heartwire_broker::{Broker, BrokerError, Fault, Step};
///
/// let e = BrokerError::new(Broker::Redis, Step::Publish, Fault::Timeout(Duration::from_secs(5)));
/// assert_eq!(e.to_string(), "publishing: no answer from the Redis server within 5s");
/// assert!(matches!(e.fault, Fault::Timeout(_)));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct BrokerError {
    /// The broker.
    pub broker: Broker,
    /// What the adapter was doing.
    pub during: Step,
    /// What went wrong.
    pub fault: Fault,
}

impl BrokerError {
    /// An error of `broker` while doing `during`.
    pub fn new(broker: Broker, during: Step, fault: Fault) -> BrokerError {
        BrokerError {
            broker,
            during,
            fault,
        }
    }
}

/// What an adapter was doing when an error happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Step {
    /// Reading the URL, connecting, logging in, declaring (AMQP's exchange).
    Connect,
    /// Publishing, waiting for its acknowledgement, keeping a presence key.
    Publish,
    /// Subscribing (or declaring, binding and consuming a queue).
    Subscribe,
    /// Reading what the broker keeps: presence keys (Redis), the replicas' lease and
    /// shared state (NATS key-value buckets).
    Read,
    /// Disconnecting.
    Close,
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Step::Connect => "connecting",
            Step::Publish => "publishing",
            Step::Subscribe => "subscribing",
            Step::Read => "reading stored keys",
            Step::Close => "disconnecting",
        })
    }
}

/// What went wrong; the variants that only one broker gives say which.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// The URL is not one the adapter reads.
    Url {
        /// The URL, redacted.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// No connection.
    Connect {
        /// The URL, redacted.
        url: String,
        /// Why, as the client said it, scrubbed.
        reason: String,
    },
    /// The client is not connected (the broker is down or restarting): the message was
    /// not sent.
    Disconnected,
    /// No answer within the timeout.
    Timeout(Duration),
    /// The client or the broker failed (refused, reset, an error reply), as the client
    /// said it, scrubbed.
    Failed(String),
    /// The broker refused the message (an AMQP publisher confirm `nack`).
    Refused,
    /// The channel was not in confirm mode (AMQP), so the broker was never asked to
    /// confirm and whether it has the message is unknown. The adapter puts every channel
    /// it opens in confirm mode, so this is a bug, reported rather than taken for success:
    /// a heartbeat that may be lost must not count as sent.
    NotConfirmed,
    /// The message would be a packet over the limit (MQTT): not sent.
    TooLarge {
        /// The size of the packet it would be, header included.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// The client's task is gone (MQTT's event loop).
    Closed,
    /// What this client does not speak (the NATS reader: TLS, a scheme other than
    /// `nats://`); the general client does.
    Unsupported(String),
}

impl fmt::Display for BrokerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let BrokerError {
            broker,
            during,
            fault,
        } = self;
        let server = broker.server();
        match fault {
            Fault::Url { url, reason } => write!(f, "invalid {broker} URL {url}: {reason}"),
            Fault::Connect { url, reason } => write!(f, "cannot connect to {url}: {reason}"),
            Fault::Failed(reason) => write!(f, "{during} failed: {reason}"),
            Fault::Disconnected => write!(f, "{during}: not connected to {server}"),
            Fault::Timeout(after) => {
                write!(f, "{during}: no answer from {server} within {after:?}")
            }
            Fault::Refused => write!(f, "{during}: {server} refused the message (nack)"),
            Fault::NotConfirmed => write!(
                f,
                "{during}: the channel is not in confirm mode: {server} did not confirm the message"
            ),
            Fault::TooLarge { size, max } => write!(
                f,
                "{during}: a packet of {size} bytes is over the limit of {max} bytes"
            ),
            Fault::Closed => write!(f, "{during}: the {broker} client is closed"),
            Fault::Unsupported(what) => write!(f, "{during}: not supported by this client: {what}"),
        }
    }
}

impl std::error::Error for BrokerError {}
