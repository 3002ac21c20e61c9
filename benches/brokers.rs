//! Publish and subscribe through each broker adapter against the broker's own client
//! doing the same thing without heartwire, in the same run (issue 7: heartwire's
//! overhead at most 10%).
//!
//! One iteration is one heartbeat: published with the same delivery guarantee on both
//! sides (NATS: publish and flush; Redis: `PUBLISH` and its reply; MQTT: QoS 1 and its
//! `PUBACK`; AMQP: a publisher confirm), then received by a subscriber on its own
//! connection, with the same subscriptions on both sides. heartwire also validates the
//! subject and decodes the payload into an owned message; the baseline only takes the
//! bytes. Needs the brokers of this machine (README, "Broker adapters").

use std::hint::black_box;
use std::time::{Duration, Instant};

use bytes::Bytes;
use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, Throughput, criterion_group};
use futures_util::StreamExt;
use heartwire::record::Convention;
use heartwire::text::{Process, Subject};
use heartwire::transport;
use heartwire_publish::AsyncPublish;
use tokio::runtime::Runtime;

const PAYLOAD: &[u8] = b"beat/5";

fn runtime() -> Runtime {
    match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => panic!("no Tokio runtime: {e}"),
    }
}

fn ok<T, E: std::fmt::Display>(what: &str, r: Result<T, E>) -> T {
    r.unwrap_or_else(|e| {
        panic!("{what}: {e} (the broker benchmarks need the brokers of this machine: README, \"Broker adapters\")")
    })
}

/// The two sides of a comparison.
#[derive(Debug, Clone, Copy)]
enum Side {
    Heartwire,
    Baseline,
}

/// The order the sides run in: heartwire first, or the baseline first with
/// `HEARTWIRE_BASELINE_FIRST=1`, to see what order alone does on a busy machine. Each
/// side connects, measures and disconnects before the other starts, so that no
/// subscriber of one side receives the other's messages.
fn order() -> [Side; 2] {
    if std::env::var_os("HEARTWIRE_BASELINE_FIRST").is_some() {
        [Side::Baseline, Side::Heartwire]
    } else {
        [Side::Heartwire, Side::Baseline]
    }
}

fn subject() -> Subject<'static> {
    let name = format!("bench.p{}", std::process::id());
    ok("process name", Process::new(&name)).subject()
}

/// Heartbeats not received within a second, on either side: core pub/sub may lose a
/// message when a connection drops, and a lost one must not hang the benchmark.
static LOST: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Waits for the heartbeat just published: takes messages from `$next` (an expression
/// giving a future of an `Option`) until one for which `$ours` holds, so that traffic of
/// others on the shared broker does not let an iteration end early. At most a second,
/// counting a loss.
macro_rules! received {
    ($next:expr, $ours:expr) => {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(1);
        loop {
            match tokio::time::timeout_at(deadline, $next).await {
                Ok(Some(m)) => {
                    if black_box($ours(&m)) {
                        break;
                    }
                }
                Ok(None) => break,
                Err(_) => {
                    LOST.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    break;
                }
            }
        }
    };
}

/// Measures `$iters` heartbeats of `$one` (a block that may `.await`) on `$rt`.
macro_rules! timed {
    ($rt:expr, $iters:expr, $one:block) => {
        $rt.block_on(async {
            let start = Instant::now();
            for _ in 0..$iters {
                $one
            }
            start.elapsed()
        })
    };
}

fn nats(c: &mut Criterion) {
    let rt = runtime();
    let mut group = c.benchmark_group("brokers/nats");
    group.throughput(Throughput::Elements(1));
    for side in order() {
        match side {
            Side::Heartwire => nats_heartwire(&mut group, &rt),
            Side::Baseline => nats_baseline(&mut group, &rt),
        }
    }
    group.finish();
}

fn nats_heartwire(group: &mut BenchmarkGroup<'_, WallTime>, rt: &Runtime) {
    let url = "nats://127.0.0.1:4222";
    let subject = subject();

    let config = heartwire_nats::NatsConfig::new(url);
    let (mut publisher, mut subscriber) = rt.block_on(async {
        (
            ok(
                "connect",
                heartwire_nats::NatsPublisher::connect(&config).await,
            ),
            ok(
                "subscribe",
                heartwire_nats::NatsSubscriber::connect(&config).await,
            ),
        )
    });
    group.bench_function("heartwire", |b| {
        b.iter_custom(|iters| {
            timed!(rt, iters, {
                ok("publish", publisher.publish(&subject, PAYLOAD).await);
                received!(subscriber.next(), |d: &Result<
                    transport::Delivery,
                    transport::Invalid,
                >| {
                    d.as_ref()
                        .is_ok_and(|d| d.origin.address == subject.as_str())
                });
            })
        })
    });
}

fn nats_baseline(group: &mut BenchmarkGroup<'_, WallTime>, rt: &Runtime) {
    let url = "nats://127.0.0.1:4222";
    let subject = subject();

    let (client, mut raw_sub) = rt.block_on(async {
        let publisher = ok("connect", async_nats::connect(url).await);
        let subscriber = ok("connect", async_nats::connect(url).await);
        let sub = ok(
            "subscribe",
            subscriber.subscribe(transport::NATS_FILTER).await,
        );
        ok("flush", subscriber.flush().await);
        (publisher, sub)
    });
    let raw_subject = subject.as_str().to_owned();
    group.bench_function("async-nats", |b| {
        b.iter_custom(|iters| {
            timed!(rt, iters, {
                ok(
                    "publish",
                    client
                        .publish(raw_subject.clone(), Bytes::from_static(PAYLOAD))
                        .await,
                );
                ok("flush", client.flush().await);
                received!(raw_sub.next(), |m: &async_nats::Message| m.subject.as_str()
                    == raw_subject);
            })
        })
    });
}

fn redis(c: &mut Criterion) {
    let rt = runtime();
    let mut group = c.benchmark_group("brokers/redis");
    group.throughput(Throughput::Elements(1));
    for side in order() {
        match side {
            Side::Heartwire => redis_heartwire(&mut group, &rt),
            Side::Baseline => redis_baseline(&mut group, &rt),
        }
    }
    group.finish();
}

fn redis_heartwire(group: &mut BenchmarkGroup<'_, WallTime>, rt: &Runtime) {
    let url = "redis://127.0.0.1:6379";
    let subject = subject();

    let config = heartwire_redis::RedisConfig::new(url);
    let (mut publisher, mut subscriber) = rt.block_on(async {
        (
            ok(
                "connect",
                heartwire_redis::RedisPublisher::connect(&config).await,
            ),
            ok(
                "subscribe",
                heartwire_redis::RedisSubscriber::connect(&config).await,
            ),
        )
    });
    group.bench_function("heartwire", |b| {
        b.iter_custom(|iters| {
            timed!(rt, iters, {
                ok("publish", publisher.publish(&subject, PAYLOAD).await);
                received!(subscriber.next(), |d: &Result<
                    transport::Delivery,
                    transport::Invalid,
                >| {
                    d.as_ref()
                        .is_ok_and(|d| d.origin.address == subject.as_str())
                });
            })
        })
    });
}

fn redis_baseline(group: &mut BenchmarkGroup<'_, WallTime>, rt: &Runtime) {
    let url = "redis://127.0.0.1:6379";
    let subject = subject();

    let client = ok("url", redis::Client::open(url));
    let (mut connection, mut stream) = rt.block_on(async {
        let connection = ok("connect", client.get_multiplexed_async_connection().await);
        let mut pubsub = ok("connect", client.get_async_pubsub().await);
        for pattern in [
            transport::REDIS_TEXT_PATTERN,
            Convention::Heartbeat.pattern(),
            Convention::Health.pattern(),
        ] {
            ok("subscribe", pubsub.psubscribe(pattern).await);
        }
        (connection, pubsub.into_on_message())
    });
    let channel = subject.as_str().to_owned();
    group.bench_function("redis-rs", |b| {
        b.iter_custom(|iters| {
            timed!(rt, iters, {
                let receivers: redis::RedisResult<u64> = redis::cmd("PUBLISH")
                    .arg(&channel)
                    .arg(PAYLOAD)
                    .query_async(&mut connection)
                    .await;
                ok("publish", receivers);
                received!(stream.next(), |m: &redis::Msg| m.get_channel_name()
                    == channel);
            })
        })
    });
}

fn mqtt(c: &mut Criterion) {
    let rt = runtime();
    let mut group = c.benchmark_group("brokers/mqtt");
    group.throughput(Throughput::Elements(1));
    for side in order() {
        match side {
            Side::Heartwire => mqtt_heartwire(&mut group, &rt),
            Side::Baseline => mqtt_baseline(&mut group, &rt),
        }
    }
    group.finish();
}

fn mqtt_heartwire(group: &mut BenchmarkGroup<'_, WallTime>, rt: &Runtime) {
    let subject = subject();
    let process = subject.process().into_owned();
    let ours = transport::mqtt_topic(&process);

    let config = heartwire_mqtt::MqttConfig::new("mqtt://127.0.0.1:1883");
    let (mut publisher, mut subscriber) = rt.block_on(async {
        (
            ok(
                "connect",
                heartwire_mqtt::MqttPublisher::connect(&config, &process).await,
            ),
            ok(
                "subscribe",
                heartwire_mqtt::MqttSubscriber::connect(&config).await,
            ),
        )
    });
    group.bench_function("heartwire", |b| {
        b.iter_custom(|iters| {
            timed!(rt, iters, {
                ok("publish", publisher.publish(&subject, PAYLOAD).await);
                received!(subscriber.next(), |d: &Result<
                    transport::Delivery,
                    transport::Invalid,
                >| {
                    d.as_ref().is_ok_and(|d| d.origin.address == ours)
                });
            })
        })
    });
    // Leave the retained presence as a clean publisher would.
    rt.block_on(async {
        let topic = publisher.presence_topic().to_owned();
        ok("clear", publisher.send(&topic, b"", true).await);
    });
    drop(publisher);
    drop(subscriber);
}

fn mqtt_baseline(group: &mut BenchmarkGroup<'_, WallTime>, rt: &Runtime) {
    use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};

    let subject = subject();
    let process = subject.process().into_owned();

    // The baseline: the same two connections, each event loop polled by a task, QoS 1
    // publishes awaiting their PUBACK.
    let topic = transport::mqtt_topic(&process);
    let (client, mut acks, mut messages, tasks) = rt.block_on(async {
        let id = std::process::id();
        let (client, mut events) =
            AsyncClient::new(MqttOptions::new(format!("rawp{id}"), "127.0.0.1", 1883), 64);
        let (ack_tx, acks) = tokio::sync::mpsc::unbounded_channel();
        let publishing = tokio::spawn(async move {
            loop {
                match events.poll().await {
                    Ok(Event::Incoming(Packet::PubAck(a))) => {
                        let _ = ack_tx.send(a.pkid);
                    }
                    Ok(_) => {}
                    Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
                }
            }
        });
        let (sub_client, mut sub_events) =
            AsyncClient::new(MqttOptions::new(format!("raws{id}"), "127.0.0.1", 1883), 64);
        let (msg_tx, messages) = tokio::sync::mpsc::channel(1024);
        let (ready_tx, ready) = tokio::sync::oneshot::channel();
        let filters = [transport::MQTT_FILTER, transport::MQTT_PRESENCE_FILTER]
            .map(|f| rumqttc::SubscribeFilter::new(f.to_owned(), QoS::AtLeastOnce));
        ok("subscribe", sub_client.subscribe_many(filters).await);
        let subscribing = tokio::spawn(async move {
            let _keep = sub_client;
            let mut ready = Some(ready_tx);
            loop {
                match sub_events.poll().await {
                    Ok(Event::Incoming(Packet::SubAck(_))) => {
                        if let Some(r) = ready.take() {
                            let _ = r.send(());
                        }
                    }
                    Ok(Event::Incoming(Packet::Publish(p))) => {
                        let _ = msg_tx.send((p.topic, p.payload)).await;
                    }
                    Ok(_) => {}
                    Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
                }
            }
        });
        ok("subscribed", ready.await);
        (client, acks, messages, [publishing, subscribing])
    });
    group.bench_function("rumqttc", |b| {
        b.iter_custom(|iters| {
            timed!(rt, iters, {
                ok(
                    "publish",
                    client
                        .publish(topic.as_str(), QoS::AtLeastOnce, false, PAYLOAD)
                        .await,
                );
                let _ = black_box(tokio::time::timeout(Duration::from_secs(1), acks.recv()).await);
                received!(messages.recv(), |(t, _): &(String, Bytes)| *t == topic);
            })
        })
    });
    // Neither connection may go on receiving the other side's messages.
    for task in tasks {
        task.abort();
    }
}

fn amqp(c: &mut Criterion) {
    let rt = runtime();
    let mut group = c.benchmark_group("brokers/amqp");
    group.throughput(Throughput::Elements(1));
    for side in order() {
        match side {
            Side::Heartwire => amqp_heartwire(&mut group, &rt),
            Side::Baseline => amqp_baseline(&mut group, &rt),
        }
    }
    group.finish();
}

fn amqp_heartwire(group: &mut BenchmarkGroup<'_, WallTime>, rt: &Runtime) {
    let url = "amqp://guest:guest@127.0.0.1:5672/%2f";
    let subject = subject();

    let config = heartwire_amqp::AmqpConfig::new(url);
    let (mut publisher, mut subscriber) = rt.block_on(async {
        (
            ok(
                "connect",
                heartwire_amqp::AmqpPublisher::connect(&config).await,
            ),
            ok(
                "subscribe",
                heartwire_amqp::AmqpSubscriber::connect(&config).await,
            ),
        )
    });
    group.bench_function("heartwire", |b| {
        b.iter_custom(|iters| {
            timed!(rt, iters, {
                ok("publish", publisher.publish(&subject, PAYLOAD).await);
                received!(subscriber.next(), |d: &Result<
                    transport::Delivery,
                    transport::Invalid,
                >| {
                    d.as_ref()
                        .is_ok_and(|d| d.origin.address == subject.as_str())
                });
            })
        })
    });
}

fn amqp_baseline(group: &mut BenchmarkGroup<'_, WallTime>, rt: &Runtime) {
    use lapin::options::{
        BasicConsumeOptions, BasicPublishOptions, ConfirmSelectOptions, ExchangeDeclareOptions,
        QueueBindOptions, QueueDeclareOptions,
    };
    use lapin::types::FieldTable;
    use lapin::{BasicProperties, Connection, ConnectionProperties, ExchangeKind};

    let url = "amqp://guest:guest@127.0.0.1:5672/%2f";
    let subject = subject();

    let (_connections, channel, mut consumer) = rt.block_on(async {
        let properties = ConnectionProperties::default;
        let publishing = ok("connect", Connection::connect(url, properties()).await);
        let channel = ok("channel", publishing.create_channel().await);
        ok(
            "confirms",
            channel
                .confirm_select(ConfirmSelectOptions::default())
                .await,
        );
        let durable = ExchangeDeclareOptions {
            durable: true,
            ..ExchangeDeclareOptions::default()
        };
        ok(
            "exchange",
            channel
                .exchange_declare(
                    transport::AMQP_EXCHANGE.into(),
                    ExchangeKind::Topic,
                    durable,
                    FieldTable::default(),
                )
                .await,
        );
        let consuming = ok("connect", Connection::connect(url, properties()).await);
        let sub_channel = ok("channel", consuming.create_channel().await);
        let exclusive = QueueDeclareOptions {
            exclusive: true,
            auto_delete: true,
            ..QueueDeclareOptions::default()
        };
        let queue = ok(
            "queue",
            sub_channel
                .queue_declare("".into(), exclusive, FieldTable::default())
                .await,
        );
        ok(
            "bind",
            sub_channel
                .queue_bind(
                    queue.name().clone(),
                    transport::AMQP_EXCHANGE.into(),
                    transport::AMQP_BINDING.into(),
                    QueueBindOptions::default(),
                    FieldTable::default(),
                )
                .await,
        );
        let no_ack = BasicConsumeOptions {
            no_ack: true,
            ..BasicConsumeOptions::default()
        };
        let consumer = ok(
            "consume",
            sub_channel
                .basic_consume(
                    queue.name().clone(),
                    "".into(),
                    no_ack,
                    FieldTable::default(),
                )
                .await,
        );
        ((publishing, consuming), channel, consumer)
    });
    let routing_key = subject.as_str().to_owned();
    group.bench_function("lapin", |b| {
        b.iter_custom(|iters| {
            timed!(rt, iters, {
                let confirm = ok(
                    "publish",
                    channel
                        .basic_publish(
                            transport::AMQP_EXCHANGE.into(),
                            routing_key.as_str().into(),
                            BasicPublishOptions::default(),
                            PAYLOAD,
                            BasicProperties::default().with_content_type("text/plain".into()),
                        )
                        .await,
                );
                black_box(ok("confirm", confirm.await));
                received!(consumer.next(), |d: &lapin::Result<
                    lapin::message::Delivery,
                >| d
                    .as_ref()
                    .is_ok_and(|d| d.routing_key.as_str() == routing_key));
            })
        })
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(30)
        .measurement_time(Duration::from_secs(4))
        .warm_up_time(Duration::from_secs(1));
    targets = nats, redis, mqtt, amqp
}

fn main() {
    benches();
    let lost = LOST.load(std::sync::atomic::Ordering::Relaxed);
    if lost > 0 {
        eprintln!(
            "{lost} heartbeats were not received within a second (each cost the run a second)"
        );
    }
    Criterion::default().configure_from_args().final_summary();
}
