//! heartwire-nats against real NATS servers: the machine's on 4222, and a private one
//! that is killed and started again.

mod support;

use bytes::Bytes;
use heartwire::heart::{AsyncHeart, Outcome};
use heartwire::text::{Process, Signal};
use heartwire::transport::{Content, DecodeError, Delivery, Invalid, Transport};
use heartwire_nats::{NatsConfig, NatsError, NatsPublisher, NatsSubscriber};
use support::{
    Deadline, PrivateBroker, bounded, eventually, next_about, require_nats, secs, unique,
};

const URL: &str = "nats://127.0.0.1:4222";

fn text(delivery: Result<Delivery, Invalid>) -> (String, Signal) {
    match delivery {
        Ok(Delivery {
            content: Content::Text(m),
            origin,
        }) => {
            assert_eq!(origin.transport, Transport::Nats);
            (m.process().as_str().to_owned(), m.signal())
        }
        other => panic!("expected beatit text, got {other:?}"),
    }
}

#[tokio::test]
async fn a_heart_publishes_and_the_subscriber_decodes() {
    require_nats();
    let token = unique("nats");
    let name = format!("hwtest.{token}.worker-1");
    let config = NatsConfig::new(URL);
    let mut sub = bounded("subscribe", NatsSubscriber::connect(&config))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let publisher = bounded("connect", NatsPublisher::connect(&config))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let process = Process::new(&name).unwrap_or_else(|e| panic!("{e}"));
    let mut heart = AsyncHeart::new(&process, publisher.clone());

    assert_eq!(heart.start(secs(60)).await, Ok(Outcome::Published));
    assert_eq!(heart.beat(secs(5)).await, Ok(Outcome::Published));
    assert_eq!(heart.degraded(secs(7)).await, Ok(Outcome::Published));
    assert_eq!(heart.stop().await, Ok(Outcome::Published));

    let expected = [
        Signal::Start { warmup: secs(60) },
        Signal::Beat { period: secs(5) },
        Signal::Degraded { period: secs(7) },
        Signal::Stop,
    ];
    for signal in expected {
        assert_eq!(
            text(next_about(&mut sub, &token).await),
            (name.clone(), signal)
        );
    }

    // Invalid input comes out as a typed error with the raw bytes, not dropped.
    publisher
        .send(
            &format!("heartbeat.{token}.bad"),
            Bytes::from_static(b"beat/-1"),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    match next_about(&mut sub, &token).await {
        Err(invalid) => {
            assert_eq!(invalid.raw, b"beat/-1");
            assert!(matches!(invalid.error, DecodeError::Text(_)), "{invalid}");
        }
        Ok(d) => panic!("beat/-1 decoded: {d:?}"),
    }
}

#[tokio::test]
async fn publishing_fails_while_the_server_is_down_and_both_sides_resume() {
    let mut broker = PrivateBroker::nats();
    let config = NatsConfig::new(format!("nats://{}", broker.addr()))
        .timeout(std::time::Duration::from_secs(2));
    let token = unique("natsrestart");
    let process = Process::new(&token).unwrap_or_else(|e| panic!("{e}"));
    let subject = process.subject().to_string();
    let mut sub = bounded("subscribe", NatsSubscriber::connect(&config))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let publisher = bounded("connect", NatsPublisher::connect(&config))
        .await
        .unwrap_or_else(|e| panic!("{e}"));

    bounded(
        "publish",
        publisher.send(&subject, Bytes::from_static(b"beat/1")),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        text(next_about(&mut sub, &token).await).1,
        Signal::Beat { period: secs(1) }
    );

    broker.kill();
    let error = eventually("a publish to fail while the server is down", || async {
        publisher
            .send(&subject, Bytes::from_static(b"beat/2"))
            .await
            .err()
    })
    .await;
    assert!(
        matches!(
            error,
            NatsError::Disconnected | NatsError::Timeout(_) | NatsError::Publish(_)
        ),
        "{error:?}"
    );

    broker.resume();
    // Publish until the subscriber, resubscribed by the client, sees one.
    let deadline = Deadline::start();
    let seen = loop {
        deadline.check("a beat after the restart").await;
        if publisher
            .send(&subject, Bytes::from_static(b"beat/3"))
            .await
            .is_err()
        {
            continue;
        }
        let next = tokio::time::timeout(std::time::Duration::from_millis(300), sub.next()).await;
        if let Ok(Some(Ok(d))) = next
            && d.origin.address == subject
        {
            break d;
        }
    };
    assert_eq!(text(Ok(seen)).1, Signal::Beat { period: secs(3) });
}

#[tokio::test]
async fn credentials_never_reach_errors_or_debug() {
    let port = support::free_port();
    let config = NatsConfig::new(format!("nats://alice:s3cretpw@127.0.0.1:{port}"))
        .timeout(std::time::Duration::from_millis(500));
    assert!(!format!("{config:?}").contains("s3cretpw"), "{config:?}");
    match bounded("connect", NatsPublisher::connect(&config)).await {
        Err(e) => {
            for shown in [e.to_string(), format!("{e:?}")] {
                assert!(
                    !shown.contains("s3cretpw") && !shown.contains("alice"),
                    "{shown}"
                );
                assert!(shown.contains(&format!("127.0.0.1:{port}")), "{shown}");
            }
        }
        Ok(_) => panic!("connected to a port nobody listens on"),
    }
}
