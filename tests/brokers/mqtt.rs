//! heartwire-mqtt against real Mosquitto brokers: the machine's on 1883, a private one
//! that is killed and started again, and a publisher process killed with SIGKILL whose
//! Last Will the subscriber sees.

mod support;

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use heartwire::text::{Part, Process, Signal, TextError};
use heartwire::time::{SystemClock, WallClock};
use heartwire::transport::{Content, DecodeError, Delivery, Invalid, Presence, Transport};
use heartwire_mqtt::{Fault, Loss, MAX_PACKET_SIZE, MqttConfig, MqttPublisher, MqttSubscriber};
use heartwire_publish::heart::{AsyncHeart, Outcome};
use support::{
    BOUND, Deadline, PrivateBroker, assert_hides_special_password, bounded, eventually, next_about,
    ok, require_mosquitto, secs, special_password_urls, unique,
};

const URL: &str = "mqtt://127.0.0.1:1883";

fn signal(item: Result<Delivery, Invalid>, name: &str) -> Signal {
    match item {
        Ok(Delivery {
            origin,
            content: Content::Text(m),
        }) => {
            assert_eq!(origin.transport, Transport::Mqtt);
            assert_eq!(m.process().as_str(), name);
            m.signal()
        }
        other => panic!("expected beatit text, got {other:?}"),
    }
}

fn presence(item: Result<Delivery, Invalid>, name: &str) -> (Presence, bool) {
    match item {
        Ok(Delivery {
            content:
                Content::Presence {
                    process,
                    presence,
                    retained,
                },
            ..
        }) => {
            assert_eq!(process.as_str(), name);
            (presence, retained)
        }
        other => panic!("expected a presence, got {other:?}"),
    }
}

/// Removes a retained presence from the shared broker.
async fn clear(config: &MqttConfig, name: &str) {
    let process = ok(Process::new(name));
    let mut publisher = ok(MqttPublisher::connect(config, &process).await);
    let topic = publisher.presence_topic().to_owned();
    ok(publisher.send(&topic, b"", true).await);
    ok(publisher.disconnect().await);
}

#[tokio::test]
async fn birth_beats_and_a_clean_goodbye() {
    require_mosquitto();
    let token = unique("mqtt");
    let name = format!("hwtest.{token}.worker-1");
    let config = MqttConfig::new(URL);
    let mut sub = ok(bounded("subscribe", MqttSubscriber::connect(&config)).await);
    let process = ok(Process::new(&name));
    let publisher = ok(bounded("connect", MqttPublisher::connect(&config, &process)).await);
    assert_eq!(
        presence(next_about(&mut sub, &token).await, &name),
        (Presence::Online, false)
    );

    let mut heart = AsyncHeart::new(&process, publisher);
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
        let item = next_about(&mut sub, &token).await;
        assert_eq!(signal(item, &name), expected);
    }

    // Invalid input is a typed error with the raw bytes, offsets in the topic.
    let publisher = heart.publisher_mut();
    ok(publisher
        .send(&format!("heartbeat/{token}/a.b"), b"stop", false)
        .await);
    match next_about(&mut sub, &token).await {
        Err(Invalid { raw, error, origin }) => {
            assert_eq!(raw, b"stop");
            let offset = origin.address.len() - 2;
            assert_eq!(
                error,
                DecodeError::Text(TextError::ForbiddenChar { offset, found: '.' })
            );
        }
        other => panic!("expected an invalid topic, got {other:?}"),
    }
    ok(publisher
        .send(&format!("heartbeat-presence/{token}"), b"dead", false)
        .await);
    match next_about(&mut sub, &token).await {
        Err(Invalid {
            raw,
            error: DecodeError::Presence(_),
            ..
        }) => assert_eq!(raw, b"dead"),
        other => panic!("expected an invalid presence, got {other:?}"),
    }

    ok(bounded("disconnect", heart.into_publisher().disconnect()).await);
    assert_eq!(
        presence(next_about(&mut sub, &token).await, &name),
        (Presence::Stopped, false)
    );

    // A subscriber that comes later gets the last presence, retained.
    let mut late = ok(bounded("subscribe", MqttSubscriber::connect(&config)).await);
    assert_eq!(
        presence(next_about(&mut late, &token).await, &name),
        (Presence::Stopped, true)
    );
    clear(&config, &name).await;
}

#[tokio::test]
async fn a_killed_publisher_is_seen_through_its_will() {
    require_mosquitto();
    let token = unique("mqttwill");
    let config = MqttConfig::new(URL);
    let mut sub = ok(bounded("subscribe", MqttSubscriber::connect(&config)).await);

    let mut child = ok(
        Command::new(env!("CARGO_BIN_EXE_heartwire-mqtt-crash-publisher"))
            .args([URL, &token])
            .stdout(Stdio::piped())
            .spawn(),
    );
    let ready = tokio::task::spawn_blocking({
        let stdout = child.stdout.take();
        move || {
            let mut line = String::new();
            if let Some(out) = stdout {
                let _ = BufReader::new(out).read_line(&mut line);
            }
            line
        }
    });
    let line = ok(bounded("the publisher to be ready", ready).await);
    assert_eq!(line.trim(), "ready");
    assert_eq!(
        presence(next_about(&mut sub, &token).await, &token),
        (Presence::Online, false)
    );
    assert_eq!(
        signal(next_about(&mut sub, &token).await, &token),
        Signal::Start { warmup: secs(60) }
    );

    ok(child.kill()); // SIGKILL: no DISCONNECT, no goodbye
    ok(child.wait());
    // The broker publishes the will at once (the socket closed), not after a timeout;
    // a crash is `offline`, never a `stop`.
    assert_eq!(
        presence(next_about(&mut sub, &token).await, &token),
        (Presence::Offline, false)
    );
    clear(&config, &token).await;
}

#[tokio::test]
async fn publishing_fails_while_the_broker_is_down_and_both_sides_resume() {
    let mut broker = PrivateBroker::mosquitto();
    let config = MqttConfig::new(format!("mqtt://{}", broker.addr()))
        .timeout(std::time::Duration::from_secs(2));
    let token = unique("mqttrestart");
    let process = ok(Process::new(&token));
    let mut sub = ok(bounded("subscribe", MqttSubscriber::connect(&config)).await);
    let mut heart = AsyncHeart::new(
        &process,
        ok(bounded("connect", MqttPublisher::connect(&config, &process)).await),
    )
    .max_frequency(std::time::Duration::ZERO);
    assert_eq!(
        presence(next_about(&mut sub, &token).await, &token).0,
        Presence::Online
    );
    ok(heart.beat(secs(1)).await);
    assert_eq!(
        signal(next_about(&mut sub, &token).await, &token),
        Signal::Beat { period: secs(1) }
    );
    let health = sub.health().clone();
    assert!(health.status().connected);
    assert_eq!(health.status().outages, 0);

    let before_kill = SystemClock.now();
    broker.kill();
    // The subscriber's event loop sees the connection end by itself, nobody reading.
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
        matches!(error.fault, Fault::Disconnected | Fault::Timeout(_)),
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
        let next = tokio::time::timeout(std::time::Duration::from_millis(300), sub.next()).await;
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

/// Publishes `payload` on `topic` with `mosquitto_pub` (QoS 1), for a packet over the
/// adapter's own limit, which its publisher refuses to send.
fn mosquitto_pub(port: u16, topic: &str, payload: &[u8]) {
    let mut child = ok(Command::new("mosquitto_pub")
        .args([
            "-h",
            "127.0.0.1",
            "-p",
            &port.to_string(),
            "-q",
            "1",
            "-t",
            topic,
            "-s",
        ])
        .stdin(Stdio::piped())
        .spawn());
    if let Some(mut stdin) = child.stdin.take() {
        ok(stdin.write_all(payload));
    }
    let started = Instant::now();
    loop {
        match ok(child.try_wait()) {
            Some(status) => {
                assert!(status.success(), "mosquitto_pub: {status}");
                return;
            }
            None if started.elapsed() > BOUND => {
                let _ = child.kill();
                panic!("mosquitto_pub did not finish within {BOUND:?}");
            }
            None => std::thread::sleep(Duration::from_millis(20)),
        }
    }
}

/// A message of 200 KiB, twenty times the client library's default limit of 10 KiB
/// (which ended the connection on it), is read and reported as an invalid item on its
/// topic; the connection stays and the next beat arrives.
#[tokio::test]
async fn a_message_far_over_the_text_limit_is_reported_and_the_connection_kept() {
    require_mosquitto();
    let token = unique("mqttbig");
    let config = MqttConfig::new(URL);
    let mut sub = ok(bounded("subscribe", MqttSubscriber::connect(&config)).await);
    let process = ok(Process::new(&token));
    let mut publisher = ok(bounded("connect", MqttPublisher::connect(&config, &process)).await);
    let topic = format!("heartbeat/{token}");
    let big = vec![b'x'; 200 * 1024];
    ok(bounded("publish", publisher.send(&topic, &big, false)).await);
    ok(bounded("publish", publisher.send(&topic, b"beat/5", false)).await);
    loop {
        match next_about(&mut sub, &token).await {
            // The birth of the publisher.
            Ok(Delivery {
                content: Content::Presence { .. },
                ..
            }) => continue,
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
                assert_eq!(origin.address, topic);
                assert_eq!((raw.len(), len), (big.len(), big.len()));
                break;
            }
            other => panic!("expected a payload too long, got {other:?}"),
        }
    }
    assert_eq!(
        signal(next_about(&mut sub, &token).await, &token),
        Signal::Beat { period: secs(5) }
    );
    let status = sub.health().status();
    assert!(status.connected && status.outages == 0, "{status:?}");
    assert_eq!(status.lost_total(), 0, "{status:?}");
    ok(publisher.close().await);
}

/// A packet over the limit (2 MiB) cannot be read: the subscriber counts it as one
/// message lost (oversized), connects again at once, and goes on receiving. The
/// adapter's own publisher refuses to send it. (A broker of its own: the packet would
/// cut every subscriber of the shared broker.)
#[tokio::test]
async fn a_packet_over_the_limit_is_counted_and_the_subscriber_goes_on() {
    let broker = PrivateBroker::mosquitto();
    let config = MqttConfig::new(format!("mqtt://{}", broker.addr()));
    let token = unique("mqtthuge");
    let process = ok(Process::new(&token));
    let mut sub = ok(bounded("subscribe", MqttSubscriber::connect(&config)).await);
    let mut heart = AsyncHeart::new(
        &process,
        ok(bounded("connect", MqttPublisher::connect(&config, &process)).await),
    )
    .max_frequency(Duration::ZERO);
    assert_eq!(
        presence(next_about(&mut sub, &token).await, &token).0,
        Presence::Online
    );
    let topic = format!("heartbeat/{token}");
    let huge = vec![b'x'; 2 * 1024 * 1024];
    let refused = bounded("publish", heart.publisher_mut().send(&topic, &huge, false)).await;
    assert!(
        matches!(
            refused.as_ref().map_err(|e| &e.fault),
            Err(Fault::TooLarge {
                max: MAX_PACKET_SIZE,
                ..
            })
        ),
        "{refused:?}"
    );

    mosquitto_pub(broker.port, &topic, &huge);
    let health = sub.health().clone();
    eventually("the oversized packet to be counted", || async {
        (health.status().lost(Loss::Oversized) == 1).then_some(())
    })
    .await;
    let deadline = Deadline::start();
    loop {
        deadline.check("a beat after the oversized packet").await;
        if heart.beat(secs(3)).await.is_err() {
            continue;
        }
        let next = tokio::time::timeout(Duration::from_millis(300), sub.next()).await;
        if let Ok(Some(Ok(Delivery {
            content: Content::Text(m),
            ..
        }))) = next
        {
            assert_eq!(m.signal(), Signal::Beat { period: secs(3) });
            break;
        }
    }
    let status = health.status();
    assert!(status.connected, "{status:?}");
    assert_eq!(status.outages, 1, "{status:?}");
    assert_eq!(status.lost(Loss::Oversized), 1, "{status:?}");
    assert_eq!(status.lost_total(), 1, "{status:?}");
}

/// 5,000 invalid payloads in a burst, taken only once all are published: every one is
/// reported, in order, none missing, and a message after them arrives.
#[tokio::test]
async fn a_flood_of_invalid_messages_is_reported_in_full() {
    require_mosquitto();
    let token = unique("mqttflood");
    let config = MqttConfig::new(URL);
    let mut sub = ok(bounded("subscribe", MqttSubscriber::connect(&config)).await);
    let process = ok(Process::new(&token));
    let mut publisher = ok(bounded("connect", MqttPublisher::connect(&config, &process)).await);
    assert_eq!(
        presence(next_about(&mut sub, &token).await, &token).0,
        Presence::Online
    );
    let topic = format!("heartbeat/{token}");
    const FLOOD: usize = 5_000;
    bounded("publish the flood", async {
        for i in 0..FLOOD {
            ok(publisher
                .send(&topic, format!("beat/{i}x").as_bytes(), false)
                .await);
        }
    })
    .await;
    ok(publisher.send(&topic, b"stop", false).await);
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
    assert_eq!(
        signal(next_about(&mut sub, &token).await, &token),
        Signal::Stop
    );
    let status = sub.health().status();
    assert_eq!(status.lost_total(), 0, "{status:?}");
    assert!(status.connected && status.outages == 0, "{status:?}");
    ok(publisher.close().await);
}

/// A reader that does not keep up loses messages, but never silently: with room for 10,
/// of 100 messages published while nobody reads, the first 10 are held and the other 90
/// counted as overflow; the event loop kept reading, so the broker dropped nothing
/// unseen, and the subscriber goes on. (A broker of its own, so that no other test's
/// messages take room.)
#[tokio::test]
async fn a_reader_that_falls_behind_loses_only_what_is_counted() {
    let broker = PrivateBroker::mosquitto();
    let config = MqttConfig::new(format!("mqtt://{}", broker.addr())).subscription_capacity(10);
    let token = unique("mqttslow");
    let process = ok(Process::new(&token));
    let mut sub = ok(bounded("subscribe", MqttSubscriber::connect(&config)).await);
    let mut publisher = ok(bounded("connect", MqttPublisher::connect(&config, &process)).await);
    assert_eq!(
        presence(next_about(&mut sub, &token).await, &token).0,
        Presence::Online
    );
    let topic = format!("heartbeat/{token}");
    for n in 1..=100 {
        ok(publisher
            .send(&topic, format!("beat/{n}").as_bytes(), false)
            .await);
    }
    let health = sub.health().clone();
    eventually("90 messages counted as lost", || async {
        (health.status().lost(Loss::Overflow) >= 90).then_some(())
    })
    .await;
    for n in 1..=10 {
        assert_eq!(
            signal(next_about(&mut sub, &token).await, &token),
            Signal::Beat { period: secs(n) }
        );
    }
    ok(publisher.send(&topic, b"stop", false).await);
    assert_eq!(
        signal(next_about(&mut sub, &token).await, &token),
        Signal::Stop
    );
    let status = health.status();
    assert_eq!(status.lost(Loss::Overflow), 90, "{status:?}");
    assert_eq!(status.lost_total(), 90, "{status:?}");
    assert!(status.connected && status.outages == 0, "{status:?}");
}

#[tokio::test]
async fn credentials_never_reach_errors_or_debug() {
    let port = support::free_port();
    let config = MqttConfig::new(format!("mqtt://alice:s3cretpw@127.0.0.1:{port}"))
        .timeout(std::time::Duration::from_millis(500));
    assert!(!format!("{config:?}").contains("s3cretpw"), "{config:?}");
    match bounded("connect", MqttSubscriber::connect(&config)).await {
        Err(e) => {
            for shown in [e.to_string(), format!("{e:?}")] {
                assert!(!shown.contains("s3cretpw"), "{shown}");
                assert!(shown.contains(&format!("127.0.0.1:{port}")), "{shown}");
            }
        }
        Ok(_) => panic!("connected to a port nobody listens on"),
    }
}

/// A password with `/ # ? @ :` and `%`, percent-encoded or typed raw, is shown nowhere:
/// not in the configuration's `Debug`, not in a connect error.
#[tokio::test]
async fn a_password_with_url_delimiters_is_never_shown() {
    let port = support::free_port();
    let urls = special_password_urls("mqtt", "alice", &format!("127.0.0.1:{port}"), "");
    for (encoded, url) in [true, false].into_iter().zip(urls) {
        let config = MqttConfig::new(url).timeout(Duration::from_millis(500));
        assert_hides_special_password(&format!("{config:?}"));
        assert_hides_special_password(&config.redacted_url());
        let error = match bounded("connect", MqttSubscriber::connect(&config)).await {
            Err(e) => e,
            Ok(_) => panic!("subscribed on a port nobody listens on"),
        };
        assert_hides_special_password(&error.to_string());
        assert_hides_special_password(&format!("{error:?}"));
        // Both were read right: the connection was refused at the port. (A raw `?` in
        // the user information hides the whole address, as it may be a query's.)
        assert!(matches!(error.fault, Fault::Connect { .. }), "{error:?}");
        if encoded {
            assert!(
                error.to_string().contains(&format!("127.0.0.1:{port}")),
                "{error}"
            );
        }
    }
}
