//! heartwire-nats against real NATS servers: the machine's on 4222, and a private one
//! that is killed and started again.

mod support;

use std::ops::ControlFlow;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use heartwire::heart::{AsyncHeart, AsyncPublish, Outcome};
use heartwire::schedule::{Name, Rate, Schedule};
use heartwire::text::{Process, Signal};
use heartwire::time::{UnixTime, WallClock};
use heartwire::transport::{Content, DecodeError, Delivery, Invalid, Transport};
use futures_util::FutureExt;
use heartwire_broker::Loss;
use heartwire_liveness::scheduler::{PublishTarget, Scheduler};
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

/// The real clock, shifted so that the next whole minute is a second and a half away:
/// schedules fire on whole minutes (`spec/schedule.md` §8), and the test should wait for
/// a real fire time without waiting up to a minute for one.
struct Shifted(Duration);

impl Shifted {
    fn before_a_minute(lead: Duration) -> Shifted {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_else(|e| panic!("{e}"));
        let minute = Duration::from_secs((now.as_secs() / 60 + 2) * 60);
        // The minute after next, so that the shift is forward whatever the second now.
        let target = minute.saturating_sub(lead);
        Shifted(target.saturating_sub(now))
    }
}

impl WallClock for Shifted {
    fn now(&self) -> UnixTime {
        let now = SystemTime::now() + self.0;
        UnixTime::from_system_time(now).unwrap_or_else(|| panic!("{now:?} out of range"))
    }
}

fn schedule(name: &str, rate: &str, payload: &str) -> Schedule<'static> {
    let name = Name::new(name.to_owned()).unwrap_or_else(|e| panic!("{e}"));
    let rate: Rate = rate.parse().unwrap_or_else(|e| panic!("{e}"));
    Schedule::new(name, rate, payload.to_owned())
}

/// The schedule runtime of heartwire-liveness, driven by tokio on the (shifted) real
/// clock, fires a payload through the NATS adapter at its fire time; a schedule deleted
/// while it runs does not fire.
#[tokio::test]
async fn the_scheduler_fires_through_the_adapter() {
    require_nats();
    let token = unique("natssched");
    let config = NatsConfig::new(URL);
    let mut sub = bounded("subscribe", NatsSubscriber::connect(&config))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let publisher = bounded("connect", NatsPublisher::connect(&config))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let process = Process::new(&token).unwrap_or_else(|e| panic!("{e}"));
    let mut target = PublishTarget::new(publisher, process.subject());

    let clock = Shifted::before_a_minute(Duration::from_millis(1500));
    let created = clock.now();
    let fire_time = UnixTime::new((created.secs() / 60 + 1) * 60, 0);
    let started = Instant::now();
    let mut scheduler = Scheduler::new();
    let mut rounds = 0;
    let run = scheduler.run_async(
        &clock,
        &mut target,
        Duration::from_millis(200),
        tokio::time::sleep,
        |s, now| {
            rounds += 1;
            match rounds {
                1 => {
                    s.create(schedule("tick", "Minutes(1)", "beat/60"), now);
                    s.create(schedule("gone", "Minutes(1)", "stop"), now);
                }
                2 => {
                    s.delete("gone");
                }
                _ if now >= fire_time => return ControlFlow::Break(()),
                _ => {}
            }
            ControlFlow::Continue(())
        },
    );
    bounded("the scheduler", run)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_secs(1),
        "fired after {waited:?}, before the fire time"
    );

    // A marker after the run: everything the runtime published arrives before it.
    let marker = Signal::Degraded { period: secs(9) };
    bounded(
        "marker",
        target
            .publisher_mut()
            .publish(&process.subject(), b"degraded/9"),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    let mut seen = Vec::new();
    loop {
        let (name, signal) = text(next_about(&mut sub, &token).await);
        assert_eq!(name, token);
        if signal == marker {
            break;
        }
        seen.push(signal);
    }
    assert_eq!(seen, [Signal::Beat { period: secs(60) }]);
    assert_eq!(scheduler.len(), 1);
    let next = scheduler
        .schedules()
        .map(|(_, next)| next)
        .collect::<Vec<_>>();
    assert_eq!(next, [fire_time.checked_add_secs(60)]);
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

/// Published to a private server, so that nothing else is counted.
async fn flood(url: &str, subject: &str, n: usize) {
    let publisher = bounded("connect", NatsPublisher::connect(&NatsConfig::new(url)))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let client = publisher.client();
    for i in 0..n {
        let payload = if i % 2 == 0 { "beat/60" } else { "beat/x" };
        bounded(
            "publish",
            client.publish(subject.to_owned(), Bytes::from(payload)),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
        if i % 1000 == 999 {
            bounded("flush", client.flush())
                .await
                .unwrap_or_else(|e| panic!("{e}"));
        }
    }
    bounded("flush", client.flush())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
}

/// A subscriber that does not keep up loses messages in its client (NATS's slow
/// consumer); every one of them is counted: taken + lost = published, exactly.
#[tokio::test]
async fn a_slow_subscriber_counts_every_message_its_client_dropped() {
    let broker = PrivateBroker::nats();
    let url = format!("nats://{}", broker.addr());
    let config = NatsConfig::new(url.as_str()).subscription_capacity(1000);
    let mut sub = bounded("subscribe", NatsSubscriber::connect(&config))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let health = sub.health().clone();
    assert!(health.status().connected);
    const SENT: usize = 5_000;
    // The subscriber takes nothing while the flood arrives: its client buffer of 1,000
    // overflows.
    flood(&url, "heartbeat.hwtest.flood", SENT).await;
    let mut taken = 0usize;
    let mut invalid = 0usize;
    let deadline = Deadline::start();
    loop {
        deadline
            .check("taken + lost to reach what was published")
            .await;
        match tokio::time::timeout(Duration::from_millis(200), sub.next()).await {
            Ok(Some(item)) => {
                taken += 1;
                invalid += usize::from(item.is_err());
                // Then what is waiting, without waiting, as the monitor takes a batch:
                // more than tokio's cooperative budget of a task poll, whose running out
                // is no empty subscription.
                while let Some(Some(item)) = sub.next().now_or_never() {
                    taken += 1;
                    invalid += usize::from(item.is_err());
                }
            }
            Ok(None) => panic!("the subscription ended"),
            Err(_) => {
                let lost = health.status().lost(Loss::Overflow);
                assert!(
                    taken as u64 + lost <= SENT as u64,
                    "{taken} taken, {lost} lost"
                );
                if taken as u64 + lost == SENT as u64 {
                    break;
                }
            }
        }
    }
    let lost = health.status().lost(Loss::Overflow);
    assert!(
        lost > 0,
        "a 1,000-message buffer and {SENT} messages: some lost"
    );
    assert!(taken >= 1000, "the buffer's messages were taken: {taken}");
    assert!(invalid > 0 && invalid < taken, "invalid ones are items too");
    assert_eq!(taken as u64 + lost, SENT as u64);
    assert_eq!(health.status().lost_total(), lost, "no other reason");
}

/// A server killed with SIGKILL and started again: the subscriber's health says the
/// connection was lost, then made again, with the outage's bounds, and beats flow again.
#[tokio::test]
async fn a_killed_server_is_an_outage_with_its_bounds() {
    let mut broker = PrivateBroker::nats();
    let url = format!("nats://{}", broker.addr());
    let config = NatsConfig::new(url.as_str()).timeout(Duration::from_secs(2));
    let mut sub = bounded("subscribe", NatsSubscriber::connect(&config))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let health = sub.health().clone();
    let up = health.status();
    assert!(
        up.connected && up.outages == 0 && up.up_since.is_some(),
        "{up:?}"
    );

    let killed = heartwire::time::SystemClock.now();
    broker.kill();
    eventually("the subscriber to see the connection lost", || async {
        // The client notices on its own; the subscriber is not being read meanwhile.
        let status = health.status();
        (!status.connected).then_some(())
    })
    .await;
    let down = health.status();
    assert_eq!(down.outages, 1);
    let down_since = down.down_since.unwrap_or_else(|| panic!("{down:?}"));
    assert!(down_since >= killed.checked_add_secs(-1).unwrap_or(killed));

    broker.resume();
    let publisher = bounded("connect", NatsPublisher::connect(&config))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let deadline = Deadline::start();
    loop {
        deadline.check("a beat after the restart").await;
        let _ = publisher
            .send("heartbeat.hwtest.back", Bytes::from_static(b"beat/1"))
            .await;
        if let Ok(Some(Ok(_))) = tokio::time::timeout(Duration::from_millis(300), sub.next()).await
        {
            break;
        }
    }
    let back = health.status();
    assert!(back.connected, "{back:?}");
    assert_eq!(back.outages, 1, "{back:?}");
    let (from, to) = back
        .last_outage()
        .unwrap_or_else(|| panic!("an outage that ended: {back:?}"));
    assert_eq!(from, down_since);
    assert!(to > from, "{back:?}");
}

/// A password with every character that ends a part of a URL, raw or percent-encoded,
/// never reaches an error or a `Debug`.
#[tokio::test]
async fn special_passwords_never_reach_errors_or_debug() {
    let port = support::free_port();
    for url in support::special_password_urls("nats", "alice", &format!("127.0.0.1:{port}"), "") {
        let config = NatsConfig::new(url).timeout(Duration::from_millis(500));
        support::assert_hides_special_password(&format!("{config:?}"));
        support::assert_hides_special_password(&config.redacted_url());
        match bounded("connect", NatsSubscriber::connect(&config)).await {
            Err(e) => {
                support::assert_hides_special_password(&e.to_string());
                support::assert_hides_special_password(&format!("{e:?}"));
            }
            Ok(_) => panic!("connected to a port nobody listens on"),
        }
    }
}
