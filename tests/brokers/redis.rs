//! heartwire-redis against real Redis servers: the machine's on 6379, and a private one
//! that is killed and started again.

mod support;

use std::time::Duration;

use heartwire::record::{Convention, DEFAULT_INTERVAL, InstanceId, Liveness, Record, ServiceName};
use heartwire::text::{Part, Process, Signal, TextError};
use heartwire::time::{SystemClock, WallClock};
use heartwire::transport::{Content, DecodeError, Delivery, Invalid, Transport};
use heartwire_liveness::{Monitor, State};
use heartwire_publish::AsyncPublish;
use heartwire_publish::heart::{AsyncHeart, Outcome};
use heartwire_publish::records::RecordPublisher;
use heartwire_publish::usage::NoUsage;
use heartwire_redis::{Fault, Loss, RedisConfig, RedisPublisher, RedisSubscriber};
use support::{
    Deadline, PrivateBroker, assert_hides_special_password, bounded, eventually, next_about, ok,
    origin, require_redis, secs, special_password_urls, unique,
};

const URL: &str = "redis://127.0.0.1:6379";

fn record_json(service: &str, count: u64) -> String {
    format!(
        r#"{{"service_name":"{service}","instance_id":"a1b2c3d4-e5f6-7890-abcd-ef1234567890","timestamp":"2025-01-16T08:30:00.123456+00:00","heartbeat_count":{count},"queue_size":7}}"#
    )
}

#[tokio::test]
async fn text_and_records_in_both_conventions_are_decoded() {
    require_redis();
    let token = unique("redis");
    let config = RedisConfig::new(URL).conventions(&Convention::ALL);
    let mut sub = ok(bounded("subscribe", RedisSubscriber::connect(&config)).await);
    let mut publisher = ok(bounded("connect", RedisPublisher::connect(&config)).await);

    let name = format!("hwtest.{token}");
    let process = ok(Process::new(&name));
    let mut heart = AsyncHeart::new(&process, publisher);
    assert_eq!(heart.beat(secs(5)).await, Ok(Outcome::Published));
    assert_eq!(heart.stop().await, Ok(Outcome::Published));
    for signal in [Signal::Beat { period: secs(5) }, Signal::Stop] {
        match next_about(&mut sub, &token).await {
            Ok(Delivery {
                origin,
                content: Content::Text(m),
            }) => {
                assert_eq!(origin.transport, Transport::Redis);
                assert_eq!(origin.address, format!("heartbeat.{name}"));
                assert_eq!((m.process().as_str(), m.signal()), (name.as_str(), signal));
            }
            other => panic!("expected beatit text, got {other:?}"),
        }
    }

    publisher = std::mem::replace(
        heart.publisher_mut(),
        ok(RedisPublisher::connect(&config).await),
    );
    let json = record_json(&token, 42);
    let record = ok(Record::decode(json.as_bytes()));
    ok(bounded("publish", publisher.publish_record(&record)).await);
    let mut conventions = Vec::new();
    for _ in Convention::ALL {
        match next_about(&mut sub, &token).await {
            Ok(Delivery {
                content:
                    Content::Record {
                        channel,
                        record: got,
                    },
                ..
            }) => {
                assert_eq!(channel.service().as_str(), token);
                assert_eq!(*got, record);
                // The liveness state of what arrived, by the seed's rule.
                let sent = got.timestamp().unix_time();
                let at = |secs| sent.checked_add_secs(secs).unwrap_or(sent);
                assert_eq!(got.liveness(at(10), DEFAULT_INTERVAL), Liveness::Alive);
                assert_eq!(got.liveness(at(120), DEFAULT_INTERVAL), Liveness::Stale);
                assert_eq!(got.liveness(at(600), DEFAULT_INTERVAL), Liveness::Dead);
                conventions.push(channel.convention());
            }
            other => panic!("expected a record, got {other:?}"),
        }
    }
    conventions.sort();
    assert_eq!(conventions, Convention::ALL);

    // Invalid input, on a channel or in a payload, is a typed error with the raw bytes.
    ok(publisher
        .publish_raw(&format!("heartbeat:service:{token}:x"), json.as_bytes())
        .await);
    match next_about(&mut sub, &token).await {
        Err(Invalid {
            raw,
            error: DecodeError::Channel(_),
            ..
        }) => assert_eq!(raw, json.as_bytes()),
        other => panic!("expected a channel error, got {other:?}"),
    }
    ok(publisher
        .publish_raw(
            &format!("heartbeat:service:{token}"),
            b"{\"service_name\":1}",
        )
        .await);
    match next_about(&mut sub, &token).await {
        Err(Invalid {
            raw,
            error: DecodeError::Record(_),
            ..
        }) => assert_eq!(raw, b"{\"service_name\":1}"),
        other => panic!("expected a record error, got {other:?}"),
    }
    ok(publisher
        .publish_raw(&format!("heartbeat.{token}"), b"beat/")
        .await);
    match next_about(&mut sub, &token).await {
        Err(Invalid {
            raw,
            error: DecodeError::Text(_),
            ..
        }) => assert_eq!(raw, b"beat/"),
        other => panic!("expected a text error, got {other:?}"),
    }
}

/// The record publisher of heartwire-liveness publishes through the adapter by the
/// core's record contract, on the record channel of its service, and what arrives is
/// the record it built.
#[tokio::test]
async fn a_record_publisher_publishes_through_the_adapter() {
    require_redis();
    let token = unique("redisrecpub");
    let config = RedisConfig::new(URL);
    let mut sub = ok(bounded("subscribe", RedisSubscriber::connect(&config)).await);
    let mut publisher = ok(bounded("connect", RedisPublisher::connect(&config)).await);
    let service = ok(ServiceName::new(token.as_str())).into_owned();
    let start = SystemClock.now();
    let at = |secs: i64| start.checked_add_secs(secs).unwrap_or(start);
    let mut records = RecordPublisher::new(
        service,
        InstanceId::from_u128(0x0123_4567_89ab_4def_8123_4567_89ab_cdef),
        Duration::from_secs(60),
        start,
        NoUsage,
    );
    ok(records.register("queue_size", |_| {
        heartwire::json::RawJson::new("1380").unwrap_or_else(|e| panic!("{e}"))
    }));

    let mut sent = Vec::new();
    for (secs, due) in [(0, true), (30, false), (60, true)] {
        let published = ok(bounded("publish", records.publish_due(at(secs), &mut publisher)).await);
        assert_eq!(published.is_some(), due, "at +{secs} s");
        sent.extend(published.map(|built| built.record));
    }
    assert_eq!(sent.len(), 2);

    let mut monitor = Monitor::default();
    for (count, built) in (1..).zip(&sent) {
        match next_about(&mut sub, &token).await {
            Ok(Delivery {
                origin,
                content: Content::Record { channel, record },
            }) => {
                assert_eq!(origin.transport, Transport::Redis);
                assert_eq!(origin.address, format!("heartbeat:service:{token}"));
                assert_eq!(channel.convention(), Convention::Heartbeat);
                assert_eq!(record.to_string(), built.to_string());
                assert_eq!(record.heartbeat_count(), Some(count));
                assert_eq!(record.extras().get("queue_size"), Some("1380"));
                if count == 1 {
                    let state = monitor.observe_record(&record, at(1));
                    assert_eq!(state, Ok(State::Alive));
                }
            }
            other => panic!("expected record {count}, got {other:?}"),
        }
    }
}

/// `PTTL key` as a plain client reads it: milliseconds left, -2 for no such key.
async fn pttl(key: &str) -> i64 {
    let client = ok(redis::Client::open(URL));
    let mut c = ok(bounded("connect", client.get_multiplexed_async_connection()).await);
    ok(bounded(
        "PTTL",
        redis::cmd("PTTL").arg(key).query_async::<i64>(&mut c),
    )
    .await)
}

#[tokio::test]
async fn presence_keys_live_the_factor_times_the_deadline_and_can_be_left_out() {
    require_redis();
    let token = unique("redisttl");
    let mut publisher =
        ok(bounded("connect", RedisPublisher::connect(&RedisConfig::new(URL))).await);
    let process = ok(Process::new(&token));
    let key = format!("heartbeat.{token}");

    ok(publisher.publish(&process.subject(), b"start/20").await);
    let ttl = pttl(&key).await;
    assert!((30_000..=40_000).contains(&ttl), "start/20: PTTL {ttl}");
    ok(publisher.publish(&process.subject(), b"degraded/3").await);
    let ttl = pttl(&key).await;
    assert!((1..=6_000).contains(&ttl), "degraded/3: PTTL {ttl}");

    // A record's key lives the factor times the record interval.
    let record = ok(Record::decode(record_json(&token, 1).as_bytes()).map(Record::into_owned));
    ok(publisher.publish_record(&record).await);
    let ttl = pttl(&format!("heartbeat:service:{token}")).await;
    let most = i64::try_from(2 * DEFAULT_INTERVAL.as_millis()).unwrap_or(i64::MAX);
    assert!((most - 10_000..=most).contains(&ttl), "record: PTTL {ttl}");
    ok(publisher.publish(&process.subject(), b"stop").await);
    assert_eq!(pttl(&key).await, -2, "stop deletes the key");

    // Left out: the publish alone.
    let config = RedisConfig::new(URL).presence_keys(false);
    let mut publisher = ok(bounded("connect", RedisPublisher::connect(&config)).await);
    ok(publisher.publish(&process.subject(), b"beat/30").await);
    assert_eq!(pttl(&key).await, -2);
    let _ = ok(bounded("DEL", async {
        let client = ok(redis::Client::open(URL));
        let mut c = client.get_multiplexed_async_connection().await?;
        redis::cmd("DEL")
            .arg(format!("heartbeat:service:{token}"))
            .query_async::<i64>(&mut c)
            .await
    })
    .await);
}

#[tokio::test]
async fn presence_keys_say_who_is_alive_and_stop_removes_them() {
    require_redis();
    let token = unique("redisk");
    // On by default (spec/transports.md §3.3).
    let config = RedisConfig::new(URL);
    let sub = ok(bounded("subscribe", RedisSubscriber::connect(&config)).await);
    let mut publisher = ok(bounded("connect", RedisPublisher::connect(&config)).await);
    let process = ok(Process::new(&token));

    ok(publisher.publish(&process.subject(), b"beat/30").await);
    let record = ok(Record::decode(record_json(&token, 1).as_bytes()).map(Record::into_owned));
    ok(publisher.publish_record(&record).await);

    let present = ok(bounded("read", sub.present()).await);
    let ours: Vec<_> = present
        .into_iter()
        .filter(|item| origin(item).address.contains(&token))
        .collect();
    assert_eq!(ours.len(), 2, "{ours:?}");
    assert!(
        ours.iter().any(
            |d| matches!(d, Ok(Delivery { content: Content::Text(m), .. })
        if m.signal() == Signal::Beat { period: secs(30) })
        ),
        "{ours:?}"
    );
    assert!(
        ours.iter().any(
            |d| matches!(d, Ok(Delivery { content: Content::Record { record: r, .. }, .. })
        if **r == record)
        ),
        "{ours:?}"
    );

    ok(publisher.publish(&process.subject(), b"stop").await);
    let present = ok(bounded("read", sub.present()).await);
    let left: Vec<_> = present
        .iter()
        .filter(|item| {
            origin(item)
                .address
                .starts_with(&format!("heartbeat.{token}"))
        })
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[tokio::test]
async fn publishing_fails_while_the_server_is_down_and_both_sides_resume() {
    let mut broker = PrivateBroker::redis();
    let config = RedisConfig::new(format!("redis://{}", broker.addr()))
        .timeout(std::time::Duration::from_secs(2));
    let token = unique("redisrestart");
    let process = ok(Process::new(&token));
    let mut sub = ok(bounded("subscribe", RedisSubscriber::connect(&config)).await);
    let mut publisher = ok(bounded("connect", RedisPublisher::connect(&config)).await);

    ok(bounded("publish", publisher.publish(&process.subject(), b"beat/1")).await);
    assert!(next_about(&mut sub, &token).await.is_ok());
    let health = sub.health().clone();
    assert!(health.status().connected);
    assert_eq!(health.status().outages, 0);

    let before_kill = SystemClock.now();
    broker.kill();
    // The subscriber's task sees the connection end by itself, nobody reading.
    eventually("the subscriber to see the server gone", || async {
        (!health.status().connected).then_some(())
    })
    .await;
    let error = bounded(
        "publish while down",
        publisher.publish(&process.subject(), b"beat/2"),
    )
    .await;
    assert!(
        matches!(
            error.as_ref().map_err(|e| &e.fault),
            Err(Fault::Failed(_) | Fault::Timeout(_))
        ),
        "{error:?}"
    );

    let before_resume = SystemClock.now();
    broker.resume();
    let deadline = Deadline::start();
    let seen = loop {
        deadline.check("a beat after the restart").await;
        if publisher
            .publish(&process.subject(), b"beat/3")
            .await
            .is_err()
        {
            continue;
        }
        let next = tokio::time::timeout(std::time::Duration::from_millis(300), sub.next()).await;
        if let Ok(Some(Ok(d))) = next {
            break d;
        }
    };
    match seen.content {
        Content::Text(m) => assert_eq!(m.signal(), Signal::Beat { period: secs(3) }),
        other => panic!("{other:?}"),
    }
    support::assert_one_outage(&health.status(), before_kill, before_resume);
}

/// A payload of 5 MB on a text channel is read whole and reported as an invalid item
/// on its channel (payload too long); the connection stays and the next beat arrives.
#[tokio::test]
async fn an_oversized_message_is_reported_and_the_subscriber_goes_on() {
    require_redis();
    let token = unique("redisbig");
    let config = RedisConfig::new(URL);
    let mut sub = ok(bounded("subscribe", RedisSubscriber::connect(&config)).await);
    let mut publisher = ok(bounded("connect", RedisPublisher::connect(&config)).await);
    let channel = format!("heartbeat.{token}");
    let big = vec![b'x'; 5_000_000];
    ok(bounded("publish", publisher.publish_raw(&channel, &big)).await);
    ok(bounded("publish", publisher.publish_raw(&channel, b"beat/5")).await);
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
            assert_eq!(origin.address, channel);
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

/// 5,000 invalid payloads in a burst, taken only once all are published: every one is
/// reported, in order, none missing, and a beat after them arrives.
#[tokio::test]
async fn a_flood_of_invalid_messages_is_reported_in_full() {
    require_redis();
    let token = unique("redisflood");
    let config = RedisConfig::new(URL);
    let mut sub = ok(bounded("subscribe", RedisSubscriber::connect(&config)).await);
    let mut publisher = ok(bounded("connect", RedisPublisher::connect(&config)).await);
    let channel = format!("heartbeat.{token}");
    const FLOOD: usize = 5_000;
    bounded("publish the flood", async {
        for i in 0..FLOOD {
            ok(publisher
                .publish_raw(&channel, format!("beat/{i}x").as_bytes())
                .await);
        }
    })
    .await;
    ok(bounded("publish", publisher.publish_raw(&channel, b"stop")).await);
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
    assert_eq!(sub.health().status().lost_total(), 0);
}

/// A reader that does not keep up loses messages, but never silently: with room for 10,
/// of 100 messages published while nobody reads, the first 10 are held and the other 90
/// counted as overflow; then the subscriber goes on. (A server of its own, so that no
/// other test's messages take room.)
#[tokio::test]
async fn a_reader_that_falls_behind_loses_only_what_is_counted() {
    let broker = PrivateBroker::redis();
    let config = RedisConfig::new(format!("redis://{}", broker.addr())).subscription_capacity(10);
    let token = unique("redisslow");
    let process = ok(Process::new(&token));
    let mut sub = ok(bounded("subscribe", RedisSubscriber::connect(&config)).await);
    let mut publisher = ok(bounded("connect", RedisPublisher::connect(&config)).await);
    for n in 1..=100 {
        ok(publisher
            .publish(&process.subject(), format!("beat/{n}").as_bytes())
            .await);
    }
    let health = sub.health().clone();
    eventually("90 messages counted as lost", || async {
        (health.status().lost(Loss::Overflow) >= 90).then_some(())
    })
    .await;
    for n in 1..=10 {
        match next_about(&mut sub, &token).await {
            Ok(Delivery {
                content: Content::Text(m),
                ..
            }) => assert_eq!(m.signal(), Signal::Beat { period: secs(n) }),
            other => panic!("expected beat {n}, got {other:?}"),
        }
    }
    ok(publisher.publish(&process.subject(), b"stop").await);
    match next_about(&mut sub, &token).await {
        Ok(Delivery {
            content: Content::Text(m),
            ..
        }) => assert_eq!(m.signal(), Signal::Stop),
        other => panic!("expected the stop, got {other:?}"),
    }
    let status = health.status();
    assert_eq!(status.lost(Loss::Overflow), 90, "{status:?}");
    assert_eq!(status.lost_total(), 90, "{status:?}");
    assert!(status.connected && status.outages == 0, "{status:?}");
}

#[tokio::test]
async fn credentials_never_reach_errors_or_debug() {
    let port = support::free_port();
    let config = RedisConfig::new(format!("redis://alice:s3cretpw@127.0.0.1:{port}/0"))
        .timeout(std::time::Duration::from_millis(500));
    assert!(!format!("{config:?}").contains("s3cretpw"), "{config:?}");
    match bounded("connect", RedisPublisher::connect(&config)).await {
        Err(e) => {
            for shown in [e.to_string(), format!("{e:?}")] {
                assert!(!shown.contains("s3cretpw"), "{shown}");
            }
        }
        Ok(_) => panic!("connected to a port nobody listens on"),
    }
    // A real login refused by the server (no such ACL user on the shared Redis): the
    // server's own error text comes back, and still without the secret.
    support::require_redis();
    let config = RedisConfig::new("redis://alice:s3cretpw@127.0.0.1:6379/0")
        .timeout(std::time::Duration::from_millis(2000));
    match bounded("connect", RedisPublisher::connect(&config)).await {
        Err(e) => {
            for shown in [e.to_string(), format!("{e:?}")] {
                assert!(!shown.contains("s3cretpw"), "{shown}");
                assert!(!shown.contains("alice:"), "{shown}");
            }
        }
        Ok(_) => panic!("logged in as alice with a password the server does not know"),
    }
}

/// A password with `/ # ? @ :` and `%`, percent-encoded or typed raw, is shown nowhere:
/// not in the configuration's `Debug`, not in a connect error (a closed port, and a
/// login the real server refuses).
#[tokio::test]
async fn a_password_with_url_delimiters_is_never_shown() {
    let port = support::free_port();
    for url in special_password_urls("redis", "", &format!("127.0.0.1:{port}"), "/0") {
        let config = RedisConfig::new(url).timeout(Duration::from_millis(500));
        assert_hides_special_password(&format!("{config:?}"));
        assert_hides_special_password(&config.redacted_url());
        let error = match bounded("connect", RedisSubscriber::connect(&config)).await {
            Err(e) => e,
            Ok(_) => panic!("subscribed on a port nobody listens on"),
        };
        assert_hides_special_password(&error.to_string());
        assert_hides_special_password(&format!("{error:?}"));
    }
    require_redis();
    for url in special_password_urls("redis", "alice", "127.0.0.1:6379", "/0") {
        let config = RedisConfig::new(url).timeout(Duration::from_millis(2000));
        match bounded("connect", RedisPublisher::connect(&config)).await {
            Err(e) => {
                assert_hides_special_password(&e.to_string());
                assert_hides_special_password(&format!("{e:?}"));
            }
            Ok(_) => panic!("logged in as alice with a password the server does not know"),
        }
    }
}

/// A server whose ACL lets the publisher `PUBLISH` only (spec/transports.md §3.3 allows
/// leaving the presence keys out for it): the beats and records go through without
/// their keys, and the publisher says it found out. Two ACLs: one without `MULTI`
/// (refused before the transaction), one with it and without `SET` (`EXECABORT`).
#[tokio::test]
async fn a_server_that_allows_publish_only_gets_the_messages_without_keys() {
    let broker = PrivateBroker::redis();
    let admin = redis::Client::open(format!("redis://{}", broker.addr())).expect("a client");
    let mut admin = ok(bounded("admin", admin.get_multiplexed_async_connection()).await);
    let acls: [&[&str]; 2] = [
        &["+@connection", "+publish"],
        &["+@connection", "+publish", "+multi", "+exec"],
    ];
    for (i, rules) in acls.into_iter().enumerate() {
        let user = format!("pubonly{i}");
        let mut acl = redis::cmd("ACL");
        acl.arg("SETUSER")
            .arg(&user)
            .arg("on")
            .arg(">s3cret-pw")
            .arg("~*")
            .arg("&*");
        for rule in rules {
            acl.arg(*rule);
        }
        ok(bounded("acl", acl.query_async::<()>(&mut admin)).await);

        let watcher = RedisConfig::new(format!("redis://{}", broker.addr()));
        let mut sub = ok(bounded("subscribe", RedisSubscriber::connect(&watcher)).await);
        let url = format!("redis://{user}:s3cret-pw@{}", broker.addr());
        let config = RedisConfig::new(url).record_interval(DEFAULT_INTERVAL);
        let mut publisher = ok(bounded("connect", RedisPublisher::connect(&config)).await);

        let token = unique("pubonly");
        let process = ok(Process::new(&token));
        for payload in [&b"beat/5"[..], b"stop"] {
            ok(bounded("publish", publisher.publish(&process.subject(), payload)).await);
            let delivery = next_about(&mut sub, &token).await.expect("a beat");
            assert!(matches!(delivery.content, Content::Text(_)), "{delivery:?}");
        }
        assert!(publisher.presence_keys_refused(), "{rules:?}");
        // No key was written, and no message was published twice.
        let keys: Vec<String> =
            ok(bounded("keys", redis::cmd("KEYS").arg("*").query_async(&mut admin)).await);
        assert!(keys.is_empty(), "{rules:?}: {keys:?}");
        let more =
            tokio::time::timeout(Duration::from_millis(300), next_about(&mut sub, &token)).await;
        assert!(more.is_err(), "{rules:?}: a message twice: {more:?}");
    }
}
