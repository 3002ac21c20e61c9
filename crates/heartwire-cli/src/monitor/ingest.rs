//! The monitor's broker links: one subscription task per `--from`, handing the main loop
//! what it received in batches, and the counters `/status` and the table show.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures_util::FutureExt;
use heartwire::time::{SystemClock, Timestamp, WallClock};
use heartwire::transport::{Delivery, Invalid, redact_url};
use heartwire_broker::{Backoff, LinkHealth, Loss};
use heartwire_liveness::Link;
use tokio::sync::mpsc;

use crate::brokers::{Broker, Subscriber};

/// The most items a subscription task hands over at once: large enough that the
/// channel's cost per beat is small, small enough that a batch's clock reading is
/// fresh (a batch is what was already waiting in the client, taken without waiting).
pub(crate) const MAX_BATCH: usize = 1024;

/// One `--from`: where it subscribes, and what it counted.
pub(crate) struct LinkInfo {
    pub(crate) link: Link,
    pub(crate) broker: Broker,
    /// The URL as given, with its credentials: only ever passed to the adapter.
    url: String,
    /// The URL without credentials, for every message.
    pub(crate) shown: String,
    pub(crate) health: LinkHealth,
    /// Messages taken from the subscription, valid or not.
    pub(crate) received: AtomicU64,
    /// Of those, the ones that did not decode.
    pub(crate) invalid: AtomicU64,
}

impl LinkInfo {
    pub(crate) fn new(link: Link, broker: Broker, url: String) -> LinkInfo {
        LinkInfo {
            link,
            broker,
            shown: redact_url(&url),
            url,
            health: LinkHealth::new(),
            received: AtomicU64::new(0),
            invalid: AtomicU64::new(0),
        }
    }

    /// Its `/status` entry (`spec/http.md` §5.4), appended to `out`.
    pub(crate) fn write_status(&self, out: &mut String) {
        let status = self.health.status();
        let time = |t: Option<heartwire::time::UnixTime>| {
            t.map_or(serde_json::Value::Null, |t| {
                Timestamp::from_unix_millis(t).as_str().into()
            })
        };
        let mut lost = serde_json::Map::new();
        for reason in Loss::ALL {
            lost.insert(reason.as_str().into(), status.lost(reason).into());
        }
        let entry = serde_json::json!({
            "link": self.link.get(),
            "url": self.shown,
            "connected": status.connected,
            "outages": status.outages,
            "down_since": time(status.down_since),
            "up_since": time(status.up_since),
            "received": self.received.load(Ordering::Relaxed),
            "invalid": self.invalid.load(Ordering::Relaxed),
            "lost": lost,
        });
        out.push_str(&entry.to_string());
    }
}

/// What a subscription task hands the main loop.
pub(crate) enum Incoming {
    /// Messages taken from one link's subscription, in order.
    Batch(Link, Vec<Result<Delivery, Invalid>>),
    /// A line for stderr.
    Notice(String),
}

/// One link's subscription, connected again whenever it fails or ends, at most a
/// second apart (`spec/transports.md` §1.5). Runs until the main loop is gone.
pub(crate) async fn subscribe(
    info: std::sync::Arc<LinkInfo>,
    nats_buffer: usize,
    tx: mpsc::Sender<Incoming>,
) {
    let mut backoff = Backoff::new();
    let mut failures: u32 = 0;
    loop {
        match Subscriber::connect(info.broker, &info.url, &info.health, nats_buffer).await {
            Ok(mut subscriber) => {
                backoff.reset();
                failures = 0;
                let present = subscriber.present().await;
                if !present.is_empty()
                    && tx.send(Incoming::Batch(info.link, present)).await.is_err()
                {
                    return;
                }
                while let Some(first) = subscriber.next().await {
                    let mut batch = Vec::with_capacity(64);
                    batch.push(first);
                    // What is waiting already, without waiting for more.
                    while batch.len() < MAX_BATCH {
                        match subscriber.next().now_or_never() {
                            Some(Some(item)) => batch.push(item),
                            _ => break,
                        }
                    }
                    if tx.send(Incoming::Batch(info.link, batch)).await.is_err() {
                        return;
                    }
                }
                info.health.disconnected(SystemClock.now());
                let notice = format!("{}: the subscription ended; connecting again", info.shown);
                if tx.send(Incoming::Notice(notice)).await.is_err() {
                    return;
                }
            }
            Err(e) => {
                failures = failures.saturating_add(1);
                let pause = backoff.next_delay();
                // The first failure, then one line every 30 attempts (about 30 s).
                if failures == 1 || failures.is_multiple_of(30) {
                    let notice = format!(
                        "{}: {e}; trying again in {} ms (attempt {failures})",
                        info.shown,
                        pause.as_millis()
                    );
                    if tx.send(Incoming::Notice(notice)).await.is_err() {
                        return;
                    }
                }
                tokio::time::sleep(pause).await;
                continue;
            }
        }
        tokio::time::sleep(backoff.next_delay().min(Duration::from_secs(1))).await;
    }
}
