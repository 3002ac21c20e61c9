//! What every adapter's configuration holds and how every adapter turns a client
//! library's failure into a [`BrokerError`]: one place where URLs are redacted and
//! messages scrubbed.

use std::fmt;
use std::future::Future;
use std::time::Duration;

use heartwire::time::{SystemClock, WallClock};

use crate::{Backoff, Broker, BrokerError, BrokerUrl, Fault, LinkHealth, Step};

/// How long connecting and each step may take by default, on every broker.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// Which broker, its URL, how long each step may take, and where a subscriber reports
/// its connection and losses. Its `Debug` shows the URL redacted, and not the health.
#[derive(Clone)]
pub struct Endpoint {
    broker: Broker,
    url: BrokerUrl,
    timeout: Duration,
    health: LinkHealth,
}

impl Endpoint {
    /// A URL of `broker`, with [`DEFAULT_TIMEOUT`] and a fresh [`LinkHealth`].
    pub fn new(broker: Broker, url: impl Into<String>) -> Endpoint {
        Endpoint {
            broker,
            url: BrokerUrl::new(url),
            timeout: DEFAULT_TIMEOUT,
            health: LinkHealth::new(),
        }
    }

    /// The broker.
    pub fn broker(&self) -> Broker {
        self.broker
    }

    /// The URL.
    pub fn url(&self) -> &BrokerUrl {
        &self.url
    }

    /// The URL without credentials.
    pub fn redacted_url(&self) -> String {
        self.url.redacted()
    }

    /// How long connecting and each step may take.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Sets how long connecting and each step may take.
    pub fn set_timeout(&mut self, timeout: Duration) {
        self.timeout = timeout;
    }

    /// Where a subscriber reports its connection and its losses.
    pub fn health(&self) -> &LinkHealth {
        &self.health
    }

    /// Sets where a subscriber reports (pass a clone to read it from elsewhere).
    pub fn set_health(&mut self, health: LinkHealth) {
        self.health = health;
    }

    /// An error of this broker while doing `during`.
    pub fn error(&self, during: Step, fault: Fault) -> BrokerError {
        BrokerError::new(self.broker, during, fault)
    }

    /// The URL is not one the adapter reads, and why.
    pub fn bad_url(&self, reason: &str) -> BrokerError {
        self.error(
            Step::Connect,
            Fault::Url {
                url: self.redacted_url(),
                reason: self.url.scrub(reason),
            },
        )
    }

    /// No connection, and why (the client's text, scrubbed).
    pub fn cannot_connect(&self, reason: &dyn fmt::Display) -> BrokerError {
        self.error(
            Step::Connect,
            Fault::Connect {
                url: self.redacted_url(),
                reason: self.url.scrub(&reason.to_string()),
            },
        )
    }

    /// The client failed while doing `during` (its text, scrubbed).
    pub fn failed(&self, during: Step, reason: &dyn fmt::Display) -> BrokerError {
        self.error(during, Fault::Failed(self.url.scrub(&reason.to_string())))
    }

    /// No answer while doing `during` within the timeout.
    pub fn timed_out(&self, during: Step) -> BrokerError {
        self.error(during, Fault::Timeout(self.timeout))
    }

    /// Runs one step of the client with the timeout: its error is [`Fault::Failed`],
    /// no answer in time [`Fault::Timeout`].
    pub async fn bounded<T, E: fmt::Display>(
        &self,
        during: Step,
        step: impl Future<Output = Result<T, E>>,
    ) -> Result<T, BrokerError> {
        match tokio::time::timeout(self.timeout, step).await {
            Ok(Ok(t)) => Ok(t),
            Ok(Err(e)) => Err(self.failed(during, &e)),
            Err(_) => Err(self.timed_out(during)),
        }
    }

    /// Connects with the client, with the timeout: any failure is [`Fault::Connect`].
    pub async fn connecting<T, E: fmt::Display>(
        &self,
        connect: impl Future<Output = Result<T, E>>,
    ) -> Result<T, BrokerError> {
        match tokio::time::timeout(self.timeout, connect).await {
            Ok(Ok(t)) => Ok(t),
            Ok(Err(e)) => Err(self.cannot_connect(&e)),
            Err(_) => {
                Err(self.cannot_connect(&format_args!("no connection within {:?}", self.timeout)))
            }
        }
    }

    /// A subscriber's way back after its connection, up for `lasted`, ended: reports the
    /// outage to the health, waits as `backoff` says, then tries `connect` (with
    /// `backoff`'s delays between failures) until it succeeds, reported as the link up
    /// again, or `gone` says the reader has left (`None`: the subscriber's task ends).
    pub async fn reconnect<T, E, F>(
        &self,
        backoff: &mut Backoff,
        lasted: Duration,
        gone: impl Fn() -> bool,
        mut connect: impl FnMut() -> F,
    ) -> Option<T>
    where
        F: Future<Output = Result<T, E>>,
    {
        self.health.disconnected(SystemClock.now());
        if let Some(pause) = backoff.after_connection(lasted) {
            tokio::time::sleep(pause).await;
        }
        loop {
            if gone() {
                return None;
            }
            match connect().await {
                Ok(t) => {
                    self.health.connected(SystemClock.now());
                    return Some(t);
                }
                Err(_) => tokio::time::sleep(backoff.next_delay()).await,
            }
        }
    }
}

impl fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Endpoint")
            .field("broker", &self.broker)
            .field("url", &self.url)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn failures_are_redacted_scrubbed_and_say_where() {
        let endpoint = Endpoint::new(Broker::Amqp, "amqp://guest:s3cret@127.0.0.1:1/%2f");
        let refused = endpoint
            .connecting(async { Err::<(), _>("login refused for guest:s3cret") })
            .await;
        assert_eq!(
            refused.map_err(|e| e.to_string()),
            Err("cannot connect to amqp://***@127.0.0.1:1/%2f: login refused for ***".into())
        );
        let failed = endpoint
            .bounded(Step::Subscribe, async { Err::<(), _>("no s3cret here") })
            .await;
        assert_eq!(
            failed.map_err(|e| e.to_string()),
            Err("subscribing failed: no *** here".into())
        );
        let mut slow = endpoint.clone();
        slow.set_timeout(Duration::from_millis(1));
        let late = slow
            .bounded(Step::Publish, std::future::pending::<Result<(), String>>())
            .await;
        assert_eq!(
            late.map_err(|e| e.fault),
            Err(Fault::Timeout(Duration::from_millis(1)))
        );
        let shown = format!("{endpoint:?} {}", endpoint.bad_url("s3cret is not a port"));
        assert!(
            !shown.contains("s3cret") && !shown.contains("guest"),
            "{shown}"
        );
    }
}
