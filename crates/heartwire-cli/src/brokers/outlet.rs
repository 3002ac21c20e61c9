//! Connections kept open to publish any payload at any address of a broker, for a
//! program that publishes for as long as it runs (`heartwire schedule run`), where
//! [`publish`](super::publish) connects for one beatit message. The adapters' own
//! senders do the work: NATS flushes, Redis publishes, MQTT waits for the `PUBACK`,
//! AMQP for the publisher confirm, SQS for `SendMessage`'s answer.

use std::collections::HashMap;

use super::{Broker, Ending, Publisher, Speaker};

/// The most broker URLs one program keeps connections to at once; a new one beyond
/// closes the least recently used.
pub(crate) const MAX_OUTLETS: usize = 16;

/// Where a payload goes on the broker of its URL.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Address<'a> {
    /// A subject (NATS), channel (Redis), topic (MQTT) or routing key (AMQP).
    Named(&'a str),
    /// The SQS queue the URL names; on a FIFO queue the message has these group and
    /// deduplication ids (`heartwire_sqs::SqsSender::send_body`).
    #[cfg(feature = "sqs")]
    Queue {
        group: &'a str,
        deduplication: &'a str,
    },
}

/// One open connection of a broker's publisher (for SQS, a client of one queue).
enum Outlet {
    Broker(Publisher),
    #[cfg(feature = "sqs")]
    Sqs(heartwire_sqs::SqsSender),
}

/// The open connections, by URL; a connection that fails a publish is dropped, so the
/// next publish connects again.
pub(crate) struct Outlets {
    open: HashMap<String, (Outlet, u64)>,
    uses: u64,
}

impl Outlets {
    /// No connection yet. MQTT connections carry no presence: see [`connect`].
    pub(crate) fn new() -> Outlets {
        Outlets {
            open: HashMap::new(),
            uses: 0,
        }
    }

    /// Publishes `payload` at `address` of the broker at `url`, connecting first when
    /// needed; waits until the broker has it. The error never shows the URL's
    /// credentials.
    pub(crate) async fn send(
        &mut self,
        broker: Broker,
        url: &str,
        address: Address<'_>,
        payload: &[u8],
    ) -> Result<(), String> {
        self.uses += 1;
        if !self.open.contains_key(url) {
            if self.open.len() >= MAX_OUTLETS
                && let Some(oldest) = self
                    .open
                    .iter()
                    .min_by_key(|(_, (_, used))| *used)
                    .map(|(k, _)| k.clone())
            {
                self.open.remove(&oldest);
            }
            let outlet = connect(broker, url).await?;
            self.open.insert(url.to_owned(), (outlet, self.uses));
        }
        let Some((outlet, used)) = self.open.get_mut(url) else {
            return Err("no connection".to_owned());
        };
        *used = self.uses;
        let sent = send(outlet, address, payload).await;
        if sent.is_err() {
            self.open.remove(url);
        }
        sent
    }

    /// Closes every connection (MQTT ones with a `DISCONNECT`).
    pub(crate) async fn close(&mut self) {
        for (_, (outlet, _)) in self.open.drain() {
            #[allow(irrefutable_let_patterns)] // without the `sqs` feature
            if let Outlet::Broker(p) = outlet {
                let _ = p.end(Ending::Quiet).await;
            }
        }
    }
}

/// Connects to the broker at `url`, speaking for nobody ([`Speaker::Nobody`]): an
/// outlet is closed whenever it is evicted or fails a send, and an MQTT Will would
/// then announce this program `offline` on its retained presence topic while it runs;
/// a scheduler's liveness is its fires, as a command sender's is.
async fn connect(broker: Broker, url: &str) -> Result<Outlet, String> {
    let connected: Result<Outlet, super::Failure> = async {
        match broker {
            #[cfg(feature = "sqs")]
            Broker::Sqs => {
                use heartwire_sqs::{SqsConfig, SqsSender};
                Ok(Outlet::Sqs(SqsSender::connect(&SqsConfig::new(url)).await?))
            }
            _ => Ok(Outlet::Broker(
                Publisher::connect(broker, url, Speaker::Nobody).await?,
            )),
        }
    }
    .await;
    connected.map_err(|e| e.to_string())
}

async fn send(outlet: &mut Outlet, address: Address<'_>, payload: &[u8]) -> Result<(), String> {
    match (outlet, address) {
        (Outlet::Broker(p), Address::Named(address)) => p
            .publish_raw(address, payload)
            .await
            .map_err(|e| e.to_string()),
        #[cfg(feature = "sqs")]
        (
            Outlet::Sqs(p),
            Address::Queue {
                group,
                deduplication,
            },
        ) => {
            // An SQS message body is text; a schedule's payload always is.
            let body = std::str::from_utf8(payload)
                .map_err(|e| format!("an SQS message body is text: {e}"))?;
            p.send_body(body, group, deduplication)
                .await
                .map(drop)
                .map_err(|e| e.to_string())
        }
        #[allow(unreachable_patterns)]
        _ => Err("an SQS queue takes no address, and a broker needs one".to_owned()),
    }
}
