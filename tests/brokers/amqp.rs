//! heartwire-amqp against real RabbitMQ brokers: the machine's on 5672, and a private
//! node that is killed and started again.

mod support;

use heartwire::heart::{AsyncHeart, Outcome};
use heartwire::text::{Process, Signal};
use heartwire::transport::{Content, DecodeError, Delivery, Invalid, Transport};
use heartwire_amqp::{AmqpConfig, AmqpError, AmqpPublisher, AmqpSubscriber};
use support::{Deadline, PrivateBroker, bounded, next_about, ok, require_rabbitmq, secs, unique};

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

    broker.kill();
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
            error,
            AmqpError::Amqp { .. } | AmqpError::Connect { .. } | AmqpError::Timeout { .. }
        ),
        "{error:?}"
    );

    broker.resume();
    // The subscriber reconnects inside `next`, so it is polled while the publisher
    // retries.
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
