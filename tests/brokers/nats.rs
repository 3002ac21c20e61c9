//! heartwire-nats against real NATS servers: the machine's on 4222, and a private one
//! that is killed and started again.

mod support;

use std::ops::ControlFlow;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use futures_util::FutureExt;
use heartwire::schedule::{Name, Rate, Schedule};
use heartwire::text::{Process, Signal};
use heartwire::time::{UnixTime, WallClock};
use heartwire::transport::{Content, DecodeError, Delivery, Invalid, Transport};
use heartwire_broker::Loss;
use heartwire_nats::{Fault, NatsConfig, NatsPublisher, NatsReader, NatsSubscriber};
use heartwire_publish::AsyncPublish;
use heartwire_publish::heart::{AsyncHeart, Outcome};
use heartwire_publish::scheduler::{PublishTarget, Scheduler};
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
            error.fault,
            Fault::Disconnected | Fault::Timeout(_) | Fault::Failed(_)
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

/// Everything that arrived at `reader` until `want` messages were seen (bounded).
async fn read_until(reader: &mut NatsReader, want: usize) -> Vec<(String, Vec<u8>)> {
    let mut seen = Vec::new();
    let deadline = Deadline::start();
    while seen.len() < want {
        deadline.check("the reader to receive every message").await;
        if let Ok(batch) =
            tokio::time::timeout(Duration::from_millis(300), reader.next_batch()).await
        {
            assert!(!batch.is_empty(), "a batch holds at least one message");
            for (subject, payload) in batch.iter() {
                seen.push((
                    String::from_utf8_lossy(subject).into_owned(),
                    payload.to_vec(),
                ));
            }
        }
    }
    seen
}

/// The reader receives a flood faster than it is read, losing nothing (the socket
/// waits), every message once and in order, in batches borrowed from its buffer.
#[tokio::test]
async fn the_reader_takes_a_flood_in_order_and_loses_nothing() {
    let broker = PrivateBroker::nats();
    let url = format!("nats://{}", broker.addr());
    let mut reader = bounded(
        "subscribe",
        NatsReader::connect(&NatsConfig::new(url.as_str())),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(reader.health().status().connected);
    const SENT: usize = 50_000;
    flood(&url, "heartbeat.hwtest.reader", SENT).await;
    let seen = read_until(&mut reader, SENT).await;
    assert_eq!(seen.len(), SENT);
    for (i, (subject, payload)) in seen.iter().enumerate() {
        assert_eq!(subject, "heartbeat.hwtest.reader");
        let want: &[u8] = if i % 2 == 0 { b"beat/60" } else { b"beat/x" };
        assert_eq!(payload, want, "message {i}");
    }
    assert_eq!(reader.health().status().lost_total(), 0);
}

/// A server killed with SIGKILL and started again under the reader: an outage with
/// its bounds, then beats again, without anyone calling `connect` again.
#[tokio::test]
async fn the_reader_reconnects_after_a_killed_server() {
    let mut broker = PrivateBroker::nats();
    let url = format!("nats://{}", broker.addr());
    let config = NatsConfig::new(url.as_str()).timeout(Duration::from_secs(2));
    let mut reader = bounded("subscribe", NatsReader::connect(&config))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let health = reader.health().clone();
    broker.kill();
    // The reader notices when it reads: wait in it, briefly, while the server is gone.
    let _ = tokio::time::timeout(Duration::from_millis(500), reader.next_batch()).await;
    let down = health.status();
    assert!(!down.connected && down.outages == 1, "{down:?}");
    broker.resume();
    let publisher = bounded("connect", NatsPublisher::connect(&config))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let deadline = Deadline::start();
    loop {
        deadline.check("a beat after the restart").await;
        let _ = publisher
            .send("heartbeat.hwtest.readerback", Bytes::from_static(b"beat/1"))
            .await;
        if let Ok(batch) =
            tokio::time::timeout(Duration::from_millis(300), reader.next_batch()).await
        {
            assert!(
                batch
                    .iter()
                    .any(|(s, _)| s == b"heartbeat.hwtest.readerback")
            );
            break;
        }
    }
    let back = health.status();
    assert!(back.connected && back.outages == 1, "{back:?}");
    assert!(back.last_outage().is_some(), "{back:?}");
}

/// A `nats-server` of this test's own with a configuration file.
struct ConfiguredNats {
    child: std::process::Child,
    port: u16,
    dir: std::path::PathBuf,
}

impl ConfiguredNats {
    fn start(config: &str) -> ConfiguredNats {
        let port = support::free_port();
        let dir = std::env::temp_dir().join(unique("heartwire-natsconf"));
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
        let file = dir.join("nats.conf");
        std::fs::write(&file, format!("listen: 127.0.0.1:{port}\n{config}\n"))
            .unwrap_or_else(|e| panic!("{e}"));
        let child = std::process::Command::new("nats-server")
            .arg("-c")
            .arg(&file)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("nats-server: {e}"));
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "nats-server did not listen"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        ConfiguredNats { child, port, dir }
    }
}

impl Drop for ConfiguredNats {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A server that wants a login: the reader logs in with a password holding every
/// character that ends a part of a URL, percent-encoded as it belongs in a URL; a wrong
/// password is refused, and neither appears in the error.
#[tokio::test]
async fn the_reader_logs_in_with_any_password_and_never_shows_it() {
    let json = support::SPECIAL_PASSWORD
        .replace('\\', "\\\\")
        .replace('"', "\\\"");
    let server = ConfiguredNats::start(&format!(
        "authorization {{ user: alice, password: \"{json}\" }}"
    ));
    let [encoded, raw] =
        support::special_password_urls("nats", "alice", &format!("127.0.0.1:{}", server.port), "");
    for url in [&encoded, &raw] {
        let mut reader = bounded(
            "subscribe",
            NatsReader::connect(&NatsConfig::new(url.as_str())),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
        support::assert_hides_special_password(&format!("{reader:?}"));
        let publisher = bounded(
            "connect",
            NatsPublisher::connect(&NatsConfig::new(encoded.as_str())),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
        bounded(
            "publish",
            publisher.send("heartbeat.hwtest.login", Bytes::from_static(b"stop")),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
        let seen = read_until(&mut reader, 1).await;
        assert_eq!(seen[0].1, b"stop");
    }
    let wrong = format!("nats://alice:Pw0rd%2Fwrong@127.0.0.1:{}", server.port);
    let config = NatsConfig::new(wrong.as_str()).timeout(Duration::from_secs(2));
    match bounded("connect", NatsReader::connect(&config)).await {
        Err(e) => {
            let shown = format!("{e} {e:?}");
            assert!(shown.contains("Authorization Violation"), "{shown}");
            assert!(
                !shown.contains("wrong") && !shown.contains("Pw0rd"),
                "{shown}"
            );
        }
        Ok(_) => panic!("logged in with a wrong password"),
    }
}

/// A server that allows messages over the reader's limit: such a message is skipped as
/// it arrives and counted as lost (oversized), the connection is kept, and the next
/// beat arrives.
#[tokio::test]
async fn the_reader_skips_a_message_over_its_limit_and_counts_it() {
    let server = ConfiguredNats::start("max_payload: 8388608");
    let url = format!("nats://127.0.0.1:{}", server.port);
    let mut reader = bounded(
        "subscribe",
        NatsReader::connect(&NatsConfig::new(url.as_str())),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    let publisher = bounded(
        "connect",
        NatsPublisher::connect(&NatsConfig::new(url.as_str())),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    let big = Bytes::from(vec![b'x'; 3 * heartwire_nats::MAX_MESSAGE]);
    bounded("publish", publisher.send("heartbeat.hwtest.big", big))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    bounded(
        "publish",
        publisher.send("heartbeat.hwtest.after", Bytes::from_static(b"beat/5")),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    let seen = read_until(&mut reader, 1).await;
    assert_eq!(
        seen,
        [("heartbeat.hwtest.after".to_owned(), b"beat/5".to_vec())]
    );
    let status = reader.health().status();
    assert_eq!(status.lost(Loss::Oversized), 1, "{status:?}");
    assert_eq!(status.outages, 0, "the connection is kept: {status:?}");
}

/// Replicas' buckets (`spec/liveness.md` §6.6) on a private JetStream server that wants
/// a login with a password of every special character: one replica at a time takes the
/// lease; a blob of several chunks reads back whole; a replica whose lease expired is
/// told so, and its stale write is fenced off and swept; a released lease is taken at
/// once; a lease bucket of another duration is refused; the password never shows.
#[tokio::test]
async fn replicas_share_one_lease_and_fenced_blobs() {
    use heartwire_nats::{ConsumerName, Renewal, ReplicaConfig, SharedState, Stored, Taken};
    let store = std::env::temp_dir().join(unique("heartwire-replica-js"));
    let json = support::SPECIAL_PASSWORD
        .replace('\\', "\\\\")
        .replace('"', "\\\"");
    let server = ConfiguredNats::start(&format!(
        "jetstream {{ store_dir: \"{}\" }}\nauthorization {{ user: alice, password: \"{json}\" }}",
        store.display()
    ));
    let [url, _] =
        support::special_password_urls("nats", "alice", &format!("127.0.0.1:{}", server.port), "");
    let config = NatsConfig::new(url.as_str());
    let name = ConsumerName::new(&unique("r")).unwrap_or_else(|e| panic!("{e}"));
    let replica = ReplicaConfig::new(name.clone()).lease(Duration::from_secs(1));
    let a = bounded("a", SharedState::connect(&config, &replica, "replica a"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let b = bounded("b", SharedState::connect(&config, &replica, "replica-b"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    support::assert_hides_special_password(&format!("{a:?}"));

    let Ok(Taken::Leading(mut lease_a)) = bounded("a leads", a.try_lead()).await else {
        panic!("the first replica does not lead");
    };
    // A name is printable ASCII: the space became `_`.
    match bounded("b waits", b.try_lead()).await {
        Ok(Taken::HeldBy(holder)) => assert_eq!(holder, "replica_a"),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        bounded("renew", a.renew(&mut lease_a)).await.ok(),
        Some(Renewal::Kept)
    );

    // Three chunks, the last one short.
    let state: Vec<u8> = (0..600_000u32).map(|i| (i % 251) as u8).collect();
    let written = bounded("store", a.store("state", &state, &lease_a, 1, None)).await;
    let Ok(Stored::Written(first)) = written else {
        panic!("{written:?}");
    };
    let loaded = bounded("load", b.load("state"))
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .expect("a state");
    assert_eq!((loaded.bytes == state, loaded.revision), (true, first));

    // a stops renewing: its key expires, b takes the lease, and a is told it lost it.
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut lease_b = loop {
        if let Ok(Taken::Leading(lease)) = bounded("b leads", b.try_lead()).await {
            break lease;
        }
        assert!(Instant::now() < deadline, "the lease did not expire");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(lease_b.term() > lease_a.term());
    assert_eq!(
        bounded("renew", a.renew(&mut lease_a)).await.ok(),
        Some(Renewal::Lost)
    );
    let newer = b"the new leader's state".to_vec();
    let written = bounded("store", b.store("state", &newer, &lease_b, 1, Some(first))).await;
    let Ok(Stored::Written(mut revision)) = written else {
        panic!("{written:?}");
    };
    // Each store removes the generation it replaced, messages and all: the bucket holds
    // the head and one chunk however often the state is stored.
    for counter in 2..6 {
        assert_eq!(bounded("stored", b.stored_messages()).await.ok(), Some(2));
        let written = bounded(
            "store",
            b.store("state", &newer, &lease_b, counter, Some(revision)),
        )
        .await;
        let Ok(Stored::Written(next)) = written else {
            panic!("{written:?}");
        };
        revision = next;
    }
    assert_eq!(bounded("stored", b.stored_messages()).await.ok(), Some(2));
    // a, deposed without knowing it, writes from the revision it knew: fenced.
    let stale = bounded("stale", a.store("state", &state, &lease_a, 2, Some(first))).await;
    assert!(matches!(stale, Ok(Stored::Fenced)), "{stale:?}");
    let loaded = bounded("load", a.load("state"))
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .expect("a state");
    assert_eq!(loaded.bytes, newer);
    // Its three chunks were written before the head refused it: one generation, swept.
    assert_eq!(bounded("stored", b.stored_messages()).await.ok(), Some(5));
    assert_eq!(bounded("sweep", b.sweep("state")).await.ok(), Some(1));
    assert_eq!(bounded("sweep", b.sweep("state")).await.ok(), Some(0));
    assert_eq!(bounded("stored", b.stored_messages()).await.ok(), Some(2));

    // A clean stop gives the lease up: a takes it at once.
    assert_eq!(
        bounded("renew", b.renew(&mut lease_b)).await.ok(),
        Some(Renewal::Kept)
    );
    bounded("release", b.release(&lease_b))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(
        bounded("a leads again", a.try_lead()).await,
        Ok(Taken::Leading(_))
    ));

    // Replicas given another lease refuse the bucket, naming both durations.
    let other = ReplicaConfig::new(name).lease(Duration::from_secs(2));
    match bounded("other lease", SharedState::connect(&config, &other, "c")).await {
        Err(e) => {
            let shown = format!("{e} {e:?}");
            assert!(shown.contains("1s") && shown.contains("2s"), "{shown}");
            support::assert_hides_special_password(&shown);
        }
        Ok(_) => panic!("a lease bucket of another duration was used"),
    }
    drop(server);
    let _ = std::fs::remove_dir_all(&store);
}
