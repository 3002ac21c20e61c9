//! Receiving with long polls, deleting after processing (`spec/transports.md` §6.3).

use std::collections::VecDeque;
use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use aws_sdk_sqs::types::{DeleteMessageBatchRequestEntry, Message};
use futures_core::Stream;
use heartwire::command::Envelope;
use heartwire::time::{SystemClock, WallClock};
use heartwire::transport::{Content, DecodeError, Delivery, Invalid, Origin, Transport};
use heartwire_broker::{Backoff, BrokerError, LinkHealth, Step, Subscriber};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::SqsConfig;
use crate::client::QueueClient;

/// The most messages one receive asks for: SQS's own maximum.
pub const MAX_MESSAGES: i32 = 10;

/// How many times the subscriber tries to delete a processed batch before it leaves
/// the messages to come back after their visibility timeout.
const DELETE_ATTEMPTS: u32 = 10;

/// Every message of a queue, decoded as a command envelope; see the [crate docs](crate).
///
/// A task of its own receives a batch (at most [`MAX_MESSAGES`]) and hands it over; it
/// deletes a message from the queue only once the reader says it has processed it
/// ([`SqsSubscriber::processed`]), and receives the next batch once every message of
/// this one is settled. A reader that stops before (a monitor killed before it kept
/// what it took) leaves the messages in the queue, and SQS delivers them again after
/// the visibility timeout (at least once); so does [`SqsSubscriber::release`].
pub struct SqsSubscriber {
    batches: mpsc::Receiver<Vec<Received>>,
    current: VecDeque<Received>,
    /// The receipts of the messages handed over and not settled yet.
    handed: Vec<Option<String>>,
    settled: mpsc::Sender<Settled>,
    health: LinkHealth,
    task: JoinHandle<()>,
    queue: String,
}

/// One message of a batch: decoded, with the receipt that deletes it.
struct Received {
    item: Result<Delivery, Invalid>,
    receipt: Option<String>,
}

/// What the reader did with messages it was handed: processed (to delete), or released
/// (left to come back after their visibility timeout).
struct Settled {
    receipts: Vec<Option<String>>,
    delete: bool,
}

impl fmt::Debug for SqsSubscriber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqsSubscriber")
            .field("queue", &self.queue)
            .field("health", &self.health.status())
            .finish_non_exhaustive()
    }
}

impl SqsSubscriber {
    /// Loads the AWS configuration and credentials and asks the queue for its attributes
    /// (so that a wrong URL, server or credentials fail here), then receives in a task of
    /// its own. Needs a Tokio runtime.
    pub async fn connect(config: &SqsConfig) -> Result<SqsSubscriber, BrokerError> {
        let client = QueueClient::new(config).await?;
        let probe = client
            .sqs
            .get_queue_attributes()
            .queue_url(&client.queue_url)
            .attribute_names(aws_sdk_sqs::types::QueueAttributeName::VisibilityTimeout)
            .send();
        client
            .request(Step::Subscribe, Duration::ZERO, probe)
            .await?;
        let health = client.endpoint.health().clone();
        health.connected(SystemClock.now());
        let (batch_tx, batches) = mpsc::channel(1);
        // Each settlement holds at least one message of the batch, and the task takes
        // them all before it receives another: the channel never fills.
        let (settled, settled_rx) = mpsc::channel(MAX_MESSAGES as usize);
        let queue = client.queue.name().to_owned();
        let task = tokio::spawn(follow(
            client,
            Receiving {
                wait: config.wait,
                visibility: config.visibility,
            },
            batch_tx,
            settled_rx,
        ));
        Ok(SqsSubscriber {
            batches,
            current: VecDeque::new(),
            handed: Vec::new(),
            settled,
            health,
            task,
            queue,
        })
    }

    /// Where this subscriber reports its link (up while requests succeed, an outage
    /// from a failed request to the next one that succeeds).
    pub fn health(&self) -> &LinkHealth {
        &self.health
    }

    /// The next message, decoded. Never ends (`None` only if the task panicked). The
    /// next batch comes once the messages handed over are settled
    /// ([`processed`](SqsSubscriber::processed) or [`release`](SqsSubscriber::release)).
    pub async fn next(&mut self) -> Option<Result<Delivery, Invalid>> {
        std::future::poll_fn(|cx| Pin::new(&mut *self).poll_next(cx)).await
    }

    /// The messages handed over so far are processed (kept where a crash cannot lose
    /// them): they are deleted from the queue.
    pub fn processed(&mut self) {
        self.settle(true);
    }

    /// The messages handed over so far were not kept: they stay in the queue, and SQS
    /// delivers them again after their visibility timeout.
    pub fn release(&mut self) {
        self.settle(false);
    }

    fn settle(&mut self, delete: bool) {
        if self.handed.is_empty() {
            return;
        }
        let receipts = std::mem::take(&mut self.handed);
        // Never full (see `connect`); if the task is gone, so is the batch.
        let _ = self.settled.try_send(Settled { receipts, delete });
    }
}

impl Drop for SqsSubscriber {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Stream for SqsSubscriber {
    type Item = Result<Delivery, Invalid>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        loop {
            if let Some(Received { item, receipt }) = self.current.pop_front() {
                self.handed.push(receipt);
                return Poll::Ready(Some(item));
            }
            match std::task::ready!(self.batches.poll_recv(cx)) {
                Some(batch) => self.current = batch.into(),
                None => return Poll::Ready(None),
            }
        }
    }
}

impl Subscriber for SqsSubscriber {
    fn health(&self) -> &LinkHealth {
        &self.health
    }

    fn processed(&mut self) {
        SqsSubscriber::processed(self);
    }

    fn release(&mut self) {
        SqsSubscriber::release(self);
    }
}

#[derive(Debug, Clone, Copy)]
struct Receiving {
    wait: Duration,
    visibility: Option<Duration>,
}

/// The subscriber's task: receive, hand over, delete what the reader processed, and
/// receive again once the whole batch is settled; on a failed receive, report the
/// outage and try again after a backoff.
async fn follow(
    client: QueueClient,
    receiving: Receiving,
    batches: mpsc::Sender<Vec<Received>>,
    mut settled: mpsc::Receiver<Settled>,
) {
    let health = client.endpoint.health().clone();
    let mut backoff = Backoff::new();
    loop {
        if batches.is_closed() {
            return;
        }
        let messages = match receive(&client, receiving).await {
            Ok(messages) => {
                health.connected(SystemClock.now());
                backoff.reset();
                messages
            }
            Err(_) => {
                health.disconnected(SystemClock.now());
                tokio::time::sleep(backoff.next_delay()).await;
                continue;
            }
        };
        if messages.is_empty() {
            continue;
        }
        let origin = Origin::new(Transport::Sqs, client.queue.name());
        let mut unsettled = messages.len();
        let batch = messages
            .iter()
            .map(|m| Received {
                item: decode(&origin, m),
                receipt: m.receipt_handle().map(str::to_owned),
            })
            .collect();
        if batches.send(batch).await.is_err() {
            return;
        }
        while unsettled > 0 {
            let Some(Settled {
                receipts,
                delete: yes,
            }) = settled.recv().await
            else {
                // The reader left with messages unsettled: they stay in the queue.
                return;
            };
            unsettled = unsettled.saturating_sub(receipts.len());
            if yes {
                let receipts: Vec<String> = receipts.into_iter().flatten().collect();
                delete(&client, &receipts, &mut backoff).await;
            }
        }
    }
}

async fn receive(client: &QueueClient, receiving: Receiving) -> Result<Vec<Message>, BrokerError> {
    let wait = i32::try_from(receiving.wait.as_secs())
        .unwrap_or(20)
        .min(20);
    let request = client
        .sqs
        .receive_message()
        .queue_url(&client.queue_url)
        .max_number_of_messages(MAX_MESSAGES)
        .wait_time_seconds(wait)
        .set_visibility_timeout(
            receiving
                .visibility
                .map(|v| i32::try_from(v.as_secs()).unwrap_or(i32::MAX)),
        )
        .send();
    let wait = Duration::from_secs(u64::try_from(wait).unwrap_or(20));
    let output = client.request(Step::Subscribe, wait, request).await?;
    Ok(output.messages.unwrap_or_default())
}

/// Deletes a processed batch, trying again with the backoff a bounded number of times;
/// what is not deleted comes back after its visibility timeout (a duplicate, not a
/// loss).
async fn delete(client: &QueueClient, receipts: &[String], backoff: &mut Backoff) {
    let entries: Vec<DeleteMessageBatchRequestEntry> = receipts
        .iter()
        .enumerate()
        .filter_map(|(i, receipt)| {
            DeleteMessageBatchRequestEntry::builder()
                .id(i.to_string())
                .receipt_handle(receipt)
                .build()
                .ok()
        })
        .collect();
    if entries.is_empty() {
        return;
    }
    let health = client.endpoint.health();
    let mut entries = entries;
    for _ in 0..DELETE_ATTEMPTS {
        let request = client
            .sqs
            .delete_message_batch()
            .queue_url(&client.queue_url)
            .set_entries(Some(entries.clone()))
            .send();
        match client
            .request(Step::Subscribe, Duration::ZERO, request)
            .await
        {
            Ok(output) => {
                health.connected(SystemClock.now());
                // A batch can succeed and some of its entries fail (an expired
                // receipt, a throttled delete): those are tried again.
                let failed: Vec<&str> = output.failed().iter().map(|f| f.id()).collect();
                entries.retain(|e| failed.contains(&e.id()));
                if entries.is_empty() {
                    return;
                }
            }
            Err(_) => health.disconnected(SystemClock.now()),
        }
        tokio::time::sleep(backoff.next_delay()).await;
    }
}

/// A message's body as a command envelope (`spec/command.md`), or the [`Invalid`] that
/// reports it.
fn decode(origin: &Origin, message: &Message) -> Result<Delivery, Invalid> {
    let body = message.body().unwrap_or_default().as_bytes();
    match Envelope::decode(body) {
        Ok(envelope) => Ok(Delivery {
            origin: origin.clone(),
            content: Content::Command(Box::new(envelope.into_owned())),
        }),
        Err(e) => Err(Invalid {
            origin: origin.clone(),
            raw: body.to_vec(),
            error: DecodeError::Command(Box::new(e)),
        }),
    }
}
