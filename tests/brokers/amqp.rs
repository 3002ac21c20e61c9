//! heartwire-amqp against real RabbitMQ brokers: the machine's on 5672, and a private
//! node that is killed and started again.

mod support;

use std::time::Duration;

use heartwire::text::{Part, Process, Signal, TextError};
use heartwire::time::{SystemClock, WallClock};
use heartwire::transport::{Content, DecodeError, Delivery, Invalid, Transport};
use heartwire_amqp::{AmqpConfig, AmqpPublisher, AmqpSubscriber, Fault, Loss, PREFETCH};
use heartwire_publish::AsyncPublish;
use heartwire_publish::heart::{AsyncHeart, Outcome};
use support::{
    Deadline, PrivateBroker, assert_hides_special_password, bounded, eventually, next_about, ok,
    require_rabbitmq, secs, special_password_urls, unique,
};

const URL: &str = "amqp://guest:guest@127.0.0.1:5672/%2f";

#[tokio::test]
async fn a_heart_publishes_with_confirms_and_the_subscriber_decodes() {
    require_rabbitmq();
    let token = unique("amqp");
    let name = format!("hwtest.{token}.worker-1");
    let config = AmqpConfig::new(URL);
    let mut sub = ok(bounded("subscribe", AmqpSubscriber::connect(&config)).await);
    let process = ok(Process::new(&name));
    let mut heart = AsyncHeart::new(
        &process,
        ok(bounded("connect", AmqpPublisher::connect(&config)).await),
    );

    assert_eq!(heart.start(secs(60)).await, Ok(Outcome::Published));
    assert_eq!(heart.beat(secs(5)).await, Ok(Outcome::Published));
    assert_eq!(heart.degraded(secs(7)).await, Ok(Outcome::Published));
    assert_eq!(heart.stop().await, Ok(Outcome::Published));
    for expected in [
        Signal::Start { warmup: secs(60) },
        Signal::Beat { period: secs(5) },
        Signal::Degraded { period: secs(7) },
        Signal::Stop,
    ] {
        match next_about(&mut sub, &token).await {
            Ok(Delivery {
                origin,
                content: Content::Text(m),
            }) => {
                assert_eq!(origin.transport, Transport::Amqp);
                assert_eq!(origin.address, format!("heartbeat.{name}"));
                assert_eq!(
                    (m.process().as_str(), m.signal()),
                    (name.as_str(), expected)
                );
            }
            other => panic!("expected beatit text, got {other:?}"),
        }
    }

    ok(heart
        .publisher_mut()
        .send(&format!("heartbeat.{token}.bad"), b"beat/0")
        .await);
    match next_about(&mut sub, &token).await {
        Err(Invalid {
            raw,
            error: DecodeError::Text(_),
            ..
        }) => assert_eq!(raw, b"beat/0"),
        other => panic!("expected invalid text, got {other:?}"),
    }
}

#[tokio::test]
async fn publishing_fails_while_the_broker_is_down_and_both_sides_resume() {
    let mut broker = PrivateBroker::rabbitmq();
    let config = AmqpConfig::new(format!("amqp://guest:guest@{}/%2f", broker.addr()))
        .timeout(std::time::Duration::from_secs(3));
    let token = unique("amqprestart");
    let process = ok(Process::new(&token));
    let mut sub = ok(bounded("subscribe", AmqpSubscriber::connect(&config)).await);
    let mut heart = AsyncHeart::new(
        &process,
        ok(bounded("connect", AmqpPublisher::connect(&config)).await),
    )
    .max_frequency(std::time::Duration::ZERO);
    ok(heart.beat(secs(1)).await);
    assert!(next_about(&mut sub, &token).await.is_ok());
    let health = sub.health().clone();
    assert!(health.status().connected);
    assert_eq!(health.status().outages, 0);

    let before_kill = SystemClock.now();
    broker.kill();
    // The subscriber's task sees the connection end by itself, nobody reading.
    eventually("the subscriber to see the broker gone", || async {
        (!health.status().connected).then_some(())
    })
    .await;
    let deadline = Deadline::start();
    let error = loop {
        if let Err(e) = heart.beat(secs(2)).await {
            break e;
        }
        deadline
            .check("a publish to fail while the broker is down")
            .await;
    };
    assert!(
        matches!(
            error.fault,
            Fault::Failed(_) | Fault::Connect { .. } | Fault::Timeout(_)
        ),
        "{error:?}"
    );

    let before_resume = SystemClock.now();
    broker.resume();
    let deadline = Deadline::start();
    loop {
        deadline.check("a beat after the restart").await;
        if heart.beat(secs(3)).await.is_err() {
            continue;
        }
        let next = tokio::time::timeout(std::time::Duration::from_secs(1), sub.next()).await;
        if let Ok(Some(Ok(Delivery {
            content: Content::Text(m),
            ..
        }))) = next
        {
            assert_eq!(m.signal(), Signal::Beat { period: secs(3) });
            break;
        }
    }
    support::assert_one_outage(&health.status(), before_kill, before_resume);
}

/// A body of 5 MB is read and reported as an invalid item with its routing key (payload
/// too long); the subscriber goes on and the next beat arrives.
#[tokio::test]
async fn an_oversized_message_is_reported_and_the_subscriber_goes_on() {
    require_rabbitmq();
    let token = unique("amqpbig");
    let config = AmqpConfig::new(URL);
    let mut sub = ok(bounded("subscribe", AmqpSubscriber::connect(&config)).await);
    let mut publisher = ok(bounded("connect", AmqpPublisher::connect(&config)).await);
    let key = format!("heartbeat.{token}");
    let big = vec![b'x'; 5_000_000];
    ok(bounded("publish", publisher.send(&key, &big)).await);
    ok(bounded("publish", publisher.send(&key, b"beat/5")).await);
    match next_about(&mut sub, &token).await {
        Err(Invalid {
            origin,
            raw,
            error:
                DecodeError::Text(TextError::TooLong {
                    part: Part::Payload,
                    len,
                    ..
                }),
        }) => {
            assert_eq!(origin.address, key);
            assert_eq!((raw.len(), len), (big.len(), big.len()));
        }
        other => panic!(
            "expected a payload too long, got {:?}",
            other.map(|d| d.origin)
        ),
    }
    match next_about(&mut sub, &token).await {
        Ok(Delivery {
            content: Content::Text(m),
            ..
        }) => assert_eq!(m.signal(), Signal::Beat { period: secs(5) }),
        other => panic!("expected the beat after it, got {other:?}"),
    }
    let status = sub.health().status();
    assert!(status.connected && status.outages == 0, "{status:?}");
    assert_eq!(status.lost_total(), 0, "{status:?}");
}

/// 5,000 invalid payloads, taken only once all are published (the backlog waits in the
/// broker, the prefetch in the client): every one is reported, in order, none missing,
/// and a message after them arrives.
#[tokio::test]
async fn a_flood_of_invalid_messages_is_reported_in_full() {
    require_rabbitmq();
    let token = unique("amqpflood");
    let config = AmqpConfig::new(URL);
    let mut sub = ok(bounded("subscribe", AmqpSubscriber::connect(&config)).await);
    let mut publisher = ok(bounded("connect", AmqpPublisher::connect(&config)).await);
    let key = format!("heartbeat.{token}");
    const FLOOD: usize = 5_000;
    // In slices, each bounded: every publish waits for its confirm.
    for slice in 0..10 {
        bounded("publish the flood", async {
            for i in slice * FLOOD / 10..(slice + 1) * FLOOD / 10 {
                ok(publisher.send(&key, format!("beat/{i}x").as_bytes()).await);
            }
        })
        .await;
    }
    ok(publisher.send(&key, b"stop").await);
    for i in 0..FLOOD {
        match next_about(&mut sub, &token).await {
            Err(Invalid {
                raw,
                error: DecodeError::Text(_),
                ..
            }) => assert_eq!(raw, format!("beat/{i}x").as_bytes(), "item {i}"),
            other => panic!("expected invalid item {i}, got {other:?}"),
        }
    }
    match next_about(&mut sub, &token).await {
        Ok(Delivery {
            content: Content::Text(m),
            ..
        }) => assert_eq!(m.signal(), Signal::Stop),
        other => panic!("expected the stop after the flood, got {other:?}"),
    }
    let status = sub.health().status();
    assert!(status.connected && status.outages == 0, "{status:?}");
    assert_eq!(status.lost_total(), 0, "{status:?}");
}

/// A reader that does not keep up loses messages, but never silently: with a queue of
/// 10, of 1,500 beats published while nobody reads, the subscriber holds what the
/// prefetch let through, the queue the newest 10, and every message the queue dropped is
/// counted, so that what arrives and what is counted add up to what was sent. (A node
/// of its own, so that no other test's messages take room.)
#[tokio::test]
async fn a_reader_that_falls_behind_loses_only_what_is_counted() {
    let broker = PrivateBroker::rabbitmq();
    let config =
        AmqpConfig::new(format!("amqp://guest:guest@{}/%2f", broker.addr())).max_queue_length(10);
    let token = unique("amqpslow");
    let process = ok(Process::new(&token));
    let mut sub = ok(bounded("subscribe", AmqpSubscriber::connect(&config)).await);
    let mut publisher = ok(bounded("connect", AmqpPublisher::connect(&config)).await);
    const SENT: u64 = 1_500;
    for slice in 0..5 {
        bounded("publish", async {
            for n in slice * SENT / 5 + 1..=(slice + 1) * SENT / 5 {
                let payload = format!("beat/{n}");
                ok(publisher
                    .publish(&process.subject(), payload.as_bytes())
                    .await);
            }
        })
        .await;
    }
    let health = sub.health().clone();
    eventually("the dropped messages to be counted", || async {
        (health.status().lost(Loss::Overflow) > 0).then_some(())
    })
    .await;
    let mut received: Vec<u64> = Vec::new();
    let deadline = Deadline::start();
    loop {
        match tokio::time::timeout(Duration::from_millis(500), sub.next()).await {
            Ok(Some(Ok(Delivery {
                content: Content::Text(m),
                ..
            }))) => match m.signal() {
                Signal::Beat { period } => received.push(period.as_duration().as_secs()),
                other => panic!("{other:?}"),
            },
            Ok(other) => panic!("{other:?}"),
            Err(_) => {
                let lost = health.status().lost(Loss::Overflow);
                if received.len() as u64 + lost == SENT {
                    break;
                }
                deadline
                    .check(&format!("{} received and {lost} lost", received.len()))
                    .await;
            }
        }
    }
    // In order, none twice, the oldest up to the prefetch and the newest kept.
    assert!(received.windows(2).all(|w| w[0] < w[1]), "{received:?}");
    assert_eq!(received.first(), Some(&1));
    assert_eq!(received.last(), Some(&SENT));
    assert!(received.len() > usize::from(PREFETCH), "{}", received.len());
    let status = health.status();
    assert!(status.connected && status.outages == 0, "{status:?}");
    assert_eq!(
        status.lost_total(),
        status.lost(Loss::Overflow),
        "{status:?}"
    );
}

#[tokio::test]
async fn credentials_never_reach_errors_or_debug() {
    require_rabbitmq();
    let config = AmqpConfig::new("amqp://guest:wr0ngpassword@127.0.0.1:5672/%2f");
    assert!(
        !format!("{config:?}").contains("wr0ngpassword"),
        "{config:?}"
    );
    match bounded("connect", AmqpPublisher::connect(&config)).await {
        Err(e) => {
            for shown in [e.to_string(), format!("{e:?}")] {
                assert!(!shown.contains("wr0ngpassword"), "{shown}");
                assert!(shown.contains("127.0.0.1:5672"), "{shown}");
            }
        }
        Ok(_) => panic!("logged in with a wrong password"),
    }
}

/// A password with `/ # ? @ :` and `%`, percent-encoded or typed raw, is shown nowhere:
/// not in the configuration's `Debug`, not in a connect error (a closed port, and a
/// login the real broker refuses).
#[tokio::test]
async fn a_password_with_url_delimiters_is_never_shown() {
    let port = support::free_port();
    let closed = format!("127.0.0.1:{port}");
    require_rabbitmq();
    for host_port in [closed.as_str(), "127.0.0.1:5672"] {
        for url in special_password_urls("amqp", "guest", host_port, "/%2f") {
            let config = AmqpConfig::new(url).timeout(Duration::from_secs(2));
            assert_hides_special_password(&format!("{config:?}"));
            assert_hides_special_password(&config.redacted_url());
            let error = match bounded("connect", AmqpSubscriber::connect(&config)).await {
                Err(e) => e,
                Ok(_) => panic!("subscribed with a wrong password at {host_port}"),
            };
            assert_hides_special_password(&error.to_string());
            assert_hides_special_password(&format!("{error:?}"));
        }
    }
}
