//! heartwire-mqtt against real Mosquitto brokers: the machine's on 1883, a private one
//! that is killed and started again, and a publisher process killed with SIGKILL whose
//! Last Will the subscriber sees.

mod support;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use heartwire::heart::{AsyncHeart, Outcome};
use heartwire::text::{Process, Signal, TextError};
use heartwire::transport::{Content, DecodeError, Delivery, Invalid, Presence, Transport};
use heartwire_mqtt::{MqttConfig, MqttError, MqttPublisher, MqttSubscriber};
use support::{Deadline, PrivateBroker, bounded, next_about, ok, require_mosquitto, secs, unique};

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
        matches!(error, MqttError::Disconnected | MqttError::Timeout(_)),
        "{error:?}"
    );

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
