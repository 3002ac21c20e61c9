//! The SQS adapter against a real SQS-compatible server: moto's server mode, started
//! on a free port by each test (`tests/sqs/setup-venv.sh` installs it; the tests fail,
//! not pass, when it cannot be installed).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use aws_sdk_sqs::types::MessageSystemAttributeName;
use heartwire::command::{Dialect, Envelope, HeartbeatBuilder, NonEmptyStr};
use heartwire::time::SystemClock;
use heartwire::transport::{Content, DecodeError, Transport};
use heartwire_sqs::{SqsConfig, SqsSender, SqsSubscriber, message_group_id};
use heartwire_tests::moto::{Moto, REGION};

const KEY_ID: &str = "AKIDHEARTWIRETEST01";
const SECRET: &str = "s3cretHeartwireSqsKey+/xyz";

/// A queue name no other test run uses.
fn unique(stem: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!("{stem}-{}-{nanos}", std::process::id())
}

fn config(moto: &Moto, queue: &str) -> SqsConfig {
    SqsConfig::new(moto.url(queue))
        .static_credentials(KEY_ID, SECRET)
        .wait(Duration::from_secs(1))
}

fn heartbeat(id: &str) -> Envelope<'static> {
    // Fresh ids for every envelope of the test binary: SQS deduplicates FIFO messages
    // by the msgId.
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let mut ids = || {
        let n = NEXT.fetch_add(1, Ordering::Relaxed) + u64::from(std::process::id()) * 1000;
        format!("6f1c2a3b-4d5e-4f60-8a7b-{n:012}")
    };
    HeartbeatBuilder::new(NonEmptyStr::new(id.to_owned()).expect("not empty"))
        .build(&SystemClock, &mut ids)
        .expect("ids are not empty")
}

/// A plain SDK client of the server, to look at what the adapter sent.
async fn raw_client(moto: &Moto) -> aws_sdk_sqs::Client {
    let http = aws_smithy_http_client::Builder::new()
        .tls_provider(aws_smithy_http_client::tls::Provider::Rustls(
            aws_smithy_http_client::tls::rustls_provider::CryptoMode::Ring,
        ))
        .build_https();
    let config = aws_sdk_sqs::Config::builder()
        .behavior_version(aws_sdk_sqs::config::BehaviorVersion::latest())
        .http_client(http)
        .region(aws_sdk_sqs::config::Region::new(REGION))
        .endpoint_url(moto.endpoint())
        .credentials_provider(aws_sdk_sqs::config::Credentials::new(
            KEY_ID, SECRET, None, None, "test",
        ))
        .build();
    aws_sdk_sqs::Client::from_conf(config)
}

/// The messages the queue holds now (up to `expected`), with their group ids, left
/// invisible.
async fn group_ids(moto: &Moto, queue_url: &str, expected: usize) -> Vec<(String, Option<String>)> {
    let client = raw_client(moto).await;
    let mut found = Vec::new();
    let started = Instant::now();
    let mut empty = 0;
    // Until `expected` are found, or two empty answers after the first message.
    while found.len() < expected && empty < 2 && started.elapsed() < Duration::from_secs(20) {
        let out = client
            .receive_message()
            .queue_url(queue_url)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .message_system_attribute_names(MessageSystemAttributeName::MessageGroupId)
            .send()
            .await
            .expect("moto answers");
        if out.messages().is_empty() && !found.is_empty() {
            empty += 1;
        }
        for m in out.messages() {
            let group = m
                .attributes()
                .and_then(|a| a.get(&MessageSystemAttributeName::MessageGroupId))
                .cloned();
            found.push((m.body().unwrap_or_default().to_owned(), group));
        }
    }
    found
}

#[tokio::test]
async fn fifo_queues_get_the_lambdas_group_id_and_standard_ones_none() {
    let moto = Moto::start(env!("CARGO_TARGET_TMPDIR"));
    let fifo = format!("{}.fifo", unique("beats"));
    let fifo_url = moto.create_queue(&fifo, 30);
    let mut sender = SqsSender::connect(&config(&moto, &fifo))
        .await
        .expect("configured");
    let short = heartbeat("orders@1.2.0");
    let long_id = format!("plugin-{}@1.0.0", "x".repeat(130));
    let long = heartbeat(&long_id);
    sender.send(&short, Dialect::Sury).await.expect("sent");
    sender.send(&long, Dialect::Decco).await.expect("sent");
    // The same msgId again within five minutes: deduplicated by SQS.
    sender.send(&short, Dialect::Sury).await.expect("sent");

    // Two messages (the third was a duplicate), in either order: two groups.
    let mut got = group_ids(&moto, &fifo_url, 3).await;
    got.sort_by_key(|(body, _)| body.len());
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(got[0].1.as_deref(), Some("orders@1.2.0"));
    let decoded = Envelope::decode(got[0].0.as_bytes()).map(Envelope::into_owned);
    assert_eq!(decoded, Ok(short.clone()));
    let hashed = got[1].1.clone().expect("a group id");
    assert_eq!(hashed.len(), 64);
    assert_eq!(hashed, message_group_id(&long_id));
    assert!(
        got[1].0.contains(r#""command":["Heartbeat",10]"#),
        "{}",
        got[1].0
    );

    let standard = unique("beats");
    let standard_url = moto.create_queue(&standard, 30);
    let mut sender = SqsSender::connect(&config(&moto, &standard))
        .await
        .expect("configured");
    sender.send(&short, Dialect::Seed).await.expect("sent");
    let got = group_ids(&moto, &standard_url, 1).await;
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].1, None);
    assert!(got[0].0.contains(r#""commandJson":"Heartbeat(10)""#));
}

#[tokio::test]
async fn envelopes_are_delivered_and_bad_bodies_reported_as_invalid() {
    let moto = Moto::start(env!("CARGO_TARGET_TMPDIR"));
    let queue = format!("{}.fifo", unique("mixed"));
    moto.create_queue(&queue, 30);
    let config = config(&moto, &queue);
    let mut subscriber = SqsSubscriber::connect(&config).await.expect("subscribed");
    let mut sender = SqsSender::connect(&config).await.expect("configured");
    sender
        .send(&heartbeat("billing@2.0.0"), Dialect::Sury)
        .await
        .expect("sent");
    sender
        .send_raw(
            r#"{"id":"billing@2.0.0","meta":{}}"#,
            Some("g"),
            Some("bad-1"),
        )
        .await
        .expect("sent");

    let first = tokio::time::timeout(Duration::from_secs(20), subscriber.next())
        .await
        .expect("a message within 20 s")
        .expect("the subscriber goes on")
        .expect("an envelope");
    assert_eq!(first.origin.transport, Transport::Sqs);
    assert_eq!(first.origin.address, queue);
    let Content::Command(envelope) = first.content else {
        panic!("{:?}", first.content)
    };
    assert_eq!(envelope.id.as_str(), "billing@2.0.0");
    // The two may come in two batches: the second comes once the first is settled.
    subscriber.processed();

    let second = tokio::time::timeout(Duration::from_secs(20), subscriber.next())
        .await
        .expect("a message within 20 s")
        .expect("the subscriber goes on")
        .expect_err("an invalid body");
    assert!(matches!(second.error, DecodeError::Command(_)), "{second}");
    assert_eq!(second.raw, br#"{"id":"billing@2.0.0","meta":{}}"#);
    assert!(second.to_string().contains("sqs "), "{second}");
}

/// The next item within `within`, or `None`.
async fn next_within(
    subscriber: &mut SqsSubscriber,
    within: Duration,
) -> Option<Result<heartwire::transport::Delivery, heartwire::transport::Invalid>> {
    tokio::time::timeout(within, subscriber.next())
        .await
        .ok()
        .flatten()
}

fn id_of(
    item: Option<Result<heartwire::transport::Delivery, heartwire::transport::Invalid>>,
) -> String {
    match item {
        Some(Ok(delivery)) => match delivery.content {
            Content::Command(envelope) => envelope.id.as_str().to_owned(),
            other => panic!("{other:?}"),
        },
        other => panic!("expected an envelope, got {other:?}"),
    }
}

#[tokio::test]
async fn a_message_is_deleted_only_once_the_reader_says_it_kept_it() {
    let moto = Moto::start(env!("CARGO_TARGET_TMPDIR"));
    let queue = unique("ack");
    // Two seconds of invisibility: what is not deleted is back soon.
    moto.create_queue(&queue, 2);
    let config = config(&moto, &queue);
    let mut sender = SqsSender::connect(&config).await.expect("configured");
    sender
        .send(&heartbeat("first@1"), Dialect::Sury)
        .await
        .expect("sent");

    // A reader that takes the message and stops before keeping it (a monitor killed
    // between taking a batch and journaling it), having asked for more: asking for the
    // next item deletes nothing.
    let mut crashed = SqsSubscriber::connect(&config).await.expect("subscribed");
    assert_eq!(
        id_of(next_within(&mut crashed, Duration::from_secs(20)).await),
        "first@1"
    );
    assert!(
        next_within(&mut crashed, Duration::from_secs(3))
            .await
            .is_none()
    );
    drop(crashed);

    // Not deleted: delivered again after the visibility timeout. Released: again.
    let mut reader = SqsSubscriber::connect(&config).await.expect("subscribed");
    assert_eq!(
        id_of(next_within(&mut reader, Duration::from_secs(20)).await),
        "first@1"
    );
    reader.release();
    assert_eq!(
        id_of(next_within(&mut reader, Duration::from_secs(20)).await),
        "first@1",
        "a released message comes back"
    );
    // Kept: deleted, and the next batch comes.
    reader.processed();
    sender
        .send(&heartbeat("second@1"), Dialect::Sury)
        .await
        .expect("sent");
    assert_eq!(
        id_of(next_within(&mut reader, Duration::from_secs(20)).await),
        "second@1"
    );
    reader.processed();
    // Nothing more: neither comes back, well after the visibility timeout.
    let again = next_within(&mut reader, Duration::from_secs(6)).await;
    assert!(again.is_none(), "a processed message came back: {again:?}");
    drop(reader);
    let mut later = SqsSubscriber::connect(&config).await.expect("subscribed");
    let again = next_within(&mut later, Duration::from_secs(6)).await;
    assert!(again.is_none(), "a processed message came back: {again:?}");
}

#[tokio::test]
async fn an_outage_is_reported_and_the_subscriber_resumes() {
    let mut moto = Moto::start(env!("CARGO_TARGET_TMPDIR"));
    let queue = unique("outage");
    moto.create_queue(&queue, 30);
    let config = config(&moto, &queue);
    let mut subscriber = SqsSubscriber::connect(&config).await.expect("subscribed");
    let health = subscriber.health().clone();
    assert!(health.status().connected);

    moto.kill();
    let started = Instant::now();
    while health.status().connected {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no outage seen"
        );
        // Polling drives nothing (the task receives by itself); keep the reader waiting.
        let _ = next_within(&mut subscriber, Duration::from_millis(200)).await;
    }
    assert_eq!(health.status().outages, 1);

    // Back, empty (moto keeps its queues in memory): the queue is made again.
    moto.restart();
    moto.create_queue(&queue, 30);
    let mut sender = SqsSender::connect(&config).await.expect("configured");
    sender
        .send(&heartbeat("after@1"), Dialect::Sury)
        .await
        .expect("sent");
    assert_eq!(
        id_of(next_within(&mut subscriber, Duration::from_secs(30)).await),
        "after@1"
    );
    let status = health.status();
    assert!(status.connected);
    assert_eq!(status.outages, 1);
    assert!(status.last_outage().is_some());
}

#[tokio::test]
async fn credentials_never_appear_in_errors_or_debug_output() {
    let mut moto = Moto::start(env!("CARGO_TARGET_TMPDIR"));
    let queue = unique("secret");
    moto.create_queue(&queue, 30);
    let config = config(&moto, &queue);
    let mut shown = format!("{config:?}");
    let subscriber = SqsSubscriber::connect(&config).await.expect("subscribed");
    let sender = SqsSender::connect(&config).await.expect("configured");
    shown.push_str(&format!("{subscriber:?} {sender:?}"));
    drop(subscriber);

    // A queue that does not exist, then no server: errors with the SDK's whole text.
    let missing = SqsConfig::new(moto.url("no-such-queue"))
        .static_credentials(KEY_ID, SECRET)
        .wait(Duration::from_secs(1));
    let e = SqsSubscriber::connect(&missing)
        .await
        .expect_err("no queue");
    shown.push_str(&format!("{e} {e:?}"));
    moto.kill();
    let mut sender = sender;
    let e = sender
        .send(&heartbeat("x@1"), Dialect::Sury)
        .await
        .expect_err("no server");
    shown.push_str(&format!("{e} {e:?}"));
    // A URL with credentials in it is refused, redacted.
    let e = SqsSender::connect(&SqsConfig::new(format!(
        "sqs+http://{KEY_ID}:{SECRET}@127.0.0.1:1/1/q"
    )))
    .await
    .expect_err("credentials in the URL");
    shown.push_str(&format!("{e} {e:?}"));

    assert!(
        shown.contains("no-such-queue") || shown.contains("NonExistentQueue"),
        "{shown}"
    );
    for secret in [KEY_ID, SECRET] {
        assert!(!shown.contains(secret), "{secret} in: {shown}");
    }
}
