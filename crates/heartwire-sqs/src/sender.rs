//! Sending an envelope as the framework's heartbeat Lambda does (`spec/transports.md`
//! §6.2).

use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

use heartwire::command::{Dialect, Envelope};
use heartwire_broker::{BrokerError, Fault, Step};
use sha2::{Digest, Sha256};

use crate::SqsConfig;
use crate::client::QueueClient;

/// The longest `MessageGroupId` and `MessageDeduplicationId` SQS accepts.
pub const MAX_GROUP_ID_LEN: usize = 128;

/// The `MessageGroupId` of an envelope on a FIFO queue, as the Lambda makes it: the
/// envelope's `id`, or, when it is longer than [`MAX_GROUP_ID_LEN`] bytes, the
/// lower-case hex of its SHA-256 (64 characters). Also the rule for the
/// `MessageDeduplicationId` made of the `msgId`.
///
/// ```
/// use heartwire_sqs::message_group_id;
/// assert_eq!(message_group_id("orders@1.2.0"), "orders@1.2.0");
/// let long = "p".repeat(129);
/// assert_eq!(message_group_id(&long).len(), 64);
/// ```
pub fn message_group_id(id: &str) -> Cow<'_, str> {
    if id.len() <= MAX_GROUP_ID_LEN {
        Cow::Borrowed(id)
    } else {
        Cow::Owned(hex::encode(Sha256::digest(id.as_bytes())))
    }
}

/// Sends command envelopes to a queue; see the [crate docs](crate).
pub struct SqsSender {
    client: QueueClient,
    buf: Vec<u8>,
}

impl fmt::Debug for SqsSender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqsSender")
            .field("queue", &self.client.queue)
            .finish_non_exhaustive()
    }
}

impl SqsSender {
    /// Reads the URL and loads the AWS configuration and credentials; sends nothing.
    pub async fn connect(config: &SqsConfig) -> Result<SqsSender, BrokerError> {
        Ok(SqsSender {
            client: QueueClient::new(config).await?,
            buf: Vec::new(),
        })
    }

    /// Sends `envelope` written in `dialect`: on a FIFO queue with the
    /// [`message_group_id`] of its `id` and the deduplication id of its `msgId` (the
    /// same rule), on a standard queue with neither. Returns the message id SQS gave.
    pub async fn send(
        &mut self,
        envelope: &Envelope<'_>,
        dialect: Dialect,
    ) -> Result<String, BrokerError> {
        let client = &self.client;
        self.buf.clear();
        envelope.encode(dialect, &mut self.buf).map_err(|e| {
            client
                .endpoint
                .error(Step::Publish, Fault::Failed(e.to_string()))
        })?;
        // The core writes JSON, which is UTF-8.
        let body = String::from_utf8_lossy(&self.buf);
        send_message(
            client,
            &body,
            envelope.id.as_str(),
            envelope.meta.msg_id.as_str(),
        )
        .await
    }

    /// Sends `body` as it is (a schedule's payload, `spec/schedule.md` §13.2): on a FIFO
    /// queue with the [`message_group_id`] of `group` and the deduplication id of
    /// `deduplication` (the same rule), on a standard queue with neither, exactly as
    /// [`send`](SqsSender::send) sends an envelope. Returns the message id SQS gave.
    pub async fn send_body(
        &mut self,
        body: &str,
        group: &str,
        deduplication: &str,
    ) -> Result<String, BrokerError> {
        send_message(&self.client, body, group, deduplication).await
    }

    /// Sends a body as it is, with the group and deduplication ids given (FIFO queues
    /// need both, unless the queue deduplicates by content): for tests and tools.
    pub async fn send_raw(
        &mut self,
        body: &str,
        group_id: Option<&str>,
        deduplication_id: Option<&str>,
    ) -> Result<String, BrokerError> {
        let client = &self.client;
        let request = client
            .sqs
            .send_message()
            .queue_url(&client.queue_url)
            .message_body(body)
            .set_message_group_id(group_id.map(str::to_owned))
            .set_message_deduplication_id(deduplication_id.map(str::to_owned));
        let sent = client
            .request(Step::Publish, Duration::ZERO, request.send())
            .await?;
        Ok(sent.message_id().unwrap_or_default().to_owned())
    }
}

/// The one `SendMessage` of [`SqsSender::send`] and [`SqsSender::send_body`]
/// (`spec/transports.md` §6.2): on a FIFO queue with the group and deduplication ids made
/// by [`message_group_id`], on a standard queue with neither (SQS refuses them there).
async fn send_message(
    client: &QueueClient,
    body: &str,
    group: &str,
    deduplication: &str,
) -> Result<String, BrokerError> {
    let mut request = client
        .sqs
        .send_message()
        .queue_url(&client.queue_url)
        .message_body(body);
    if client.queue.is_fifo() {
        request = request
            .message_group_id(message_group_id(group))
            .message_deduplication_id(message_group_id(deduplication));
    }
    let sent = client
        .request(Step::Publish, Duration::ZERO, request.send())
        .await?;
    Ok(sent.message_id().unwrap_or_default().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_over_128_bytes_are_hashed() {
        let at_limit = "a".repeat(128);
        assert_eq!(message_group_id(&at_limit), at_limit.as_str());
        let over = "a".repeat(129);
        let hashed = message_group_id(&over);
        assert_eq!(hashed.len(), 64);
        assert!(
            hashed
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        );
        // As `printf 'a%.0s' $(seq 129) | sha256sum` prints it.
        assert_eq!(
            hashed,
            "c12cb024a2e5551cca0e08fce8f1c5e314555cc3fef6329ee994a3db752166ae"
        );
    }

    #[test]
    fn long_ids_of_any_characters_hash_to_ids_sqs_takes() {
        // 128 bytes is the bound, not 128 characters: 64 `é` are 128 bytes, 65 are over.
        let accented = "é".repeat(64);
        assert_eq!(message_group_id(&accented), accented.as_str());
        for odd in [
            "é".repeat(65),
            format!("{} \u{0}\t\"<>", "x".repeat(124)),
            "🙂".repeat(40),
        ] {
            let id = message_group_id(&odd);
            assert_eq!(id.len(), 64, "{odd:?}");
            assert!(id.bytes().all(|b| b.is_ascii_hexdigit()), "{id}");
        }
    }
}
