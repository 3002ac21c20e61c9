//! The Reventless Heartbeat seed (`seeds/000`, `spec/command.md`) over the brokers of
//! this machine (NATS 4222, Redis 6379, Mosquitto 1883, RabbitMQ 5672), as a user runs
//! it: `heartwire beat --plugin` publishes a plugin's command envelope in each dialect on
//! the extension point's command address, and a real `heartwire monitor` watches the
//! plugin: alive on a Heartbeat, its disconnect re-armed by a RedetectPlugin, disconnected
//! by a DisconnectPlugin, an invalid envelope and a command that is no heartbeat reported.
//! The grace rule itself, in minutes, is checked on the deadline `/status` reports, and
//! on the engine with an explicit clock.

mod running;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use heartwire::command::{Command as Cmd, Envelope, HeartbeatBuilder, NonEmptyStr, PluginCommand};
use heartwire::time::{Timestamp, UnixTime};
use heartwire::transport::ExtensionPoint;
use heartwire_amqp::{AmqpConfig, AmqpPublisher};
use heartwire_liveness::{Config, Monitor, Source, State};
use heartwire_mqtt::{MqttConfig, MqttPublisher};
use heartwire_nats::{NatsConfig, NatsPublisher};
use heartwire_redis::{RedisConfig, RedisPublisher};
use running::{Running, http_get, unique};
use serde_json::Value;

const NATS: &str = "nats://127.0.0.1:4222";
const REDIS: &str = "redis://127.0.0.1:6379";
const MQTT: &str = "mqtt://127.0.0.1:1883";
const AMQP: &str = "amqp://guest:guest@127.0.0.1:5672/%2f";
const BROKERS: [&str; 4] = [NATS, REDIS, MQTT, AMQP];
const DIALECTS: [&str; 3] = ["sury", "decco", "seed"];

fn monitor(point: &str) -> Running {
    let mut args = vec!["--json", "--refresh", "50ms", "--exit-after", "120s"];
    args.extend(["--listen", "127.0.0.1:0", "--extension-point", point]);
    for url in BROKERS {
        args.extend(["--from", url]);
    }
    Running::monitor(&args)
}

/// The next JSON state change of `plugin`, within 20 s: (old, new, reason).
fn change_of(m: &Running, plugin: &str) -> (String, String, String) {
    let event = m.next_where(&format!("about {plugin}"), Duration::from_secs(20), |e| {
        e["process"] == plugin && e["source"] == "command"
    });
    let text = |k: &str| event[k].as_str().unwrap_or("-").to_owned();
    (text("old"), text("new"), text("reason"))
}

/// `heartwire beat --plugin`, which must succeed.
fn beat(url: &str, point: &str, plugin: &str, dialect: &str, signal: &str, period: &str) {
    let output = Command::new(env!("CARGO_BIN_EXE_heartwire"))
        .args([
            "beat",
            "--to",
            url,
            "--plugin",
            plugin,
            "--envelope",
            dialect,
        ])
        .args([
            "--extension-point",
            point,
            "--signal",
            signal,
            "--period",
            period,
        ])
        .stdin(Stdio::null())
        .output()
        .expect("heartwire beat runs");
    assert!(
        output.status.success(),
        "{url} {signal}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Raw bytes on the extension point's command address, through the adapter.
fn publish_raw(url: &str, point: &ExtensionPoint<'_>, payload: &[u8]) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    rt.block_on(async {
        match url {
            NATS => {
                let mut p = NatsPublisher::connect(&NatsConfig::new(url)).await?;
                p.publish_command(point, payload).await
            }
            REDIS => {
                let mut p = RedisPublisher::connect(&RedisConfig::new(url)).await?;
                p.publish_command(point, payload).await
            }
            MQTT => {
                let mut p = MqttPublisher::connect_without_presence(&MqttConfig::new(url)).await?;
                p.publish_command(point, payload).await?;
                p.close().await
            }
            _ => {
                let mut p = AmqpPublisher::connect(&AmqpConfig::new(url)).await?;
                p.publish_command(point, payload).await
            }
        }
    })
    .expect("published");
}

fn millis(value: &Value) -> i64 {
    let text = value.as_str().expect("a timestamp");
    Timestamp::parse(text)
        .expect("RFC 3339")
        .unix_time()
        .as_nanos()
        .div_euclid(1_000_000)
        .try_into()
        .expect("in range")
}

/// The plugin's `/status` entry, once its deadline is `minutes` after its `last`
/// (polled, within 20 s: the broker's delivery may still be on its way).
fn status_with_grace(addr: &str, plugin: &str, minutes: i64) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let page: Value = serde_json::from_str(&http_get(addr, "/status?source=command"))
            .expect("/status is JSON");
        let entry = page["processes"]
            .as_array()
            .and_then(|all| all.iter().find(|p| p["name"] == plugin))
            .cloned();
        if let Some(entry) = entry
            && entry.get("deadline").is_some()
            && millis(&entry["deadline"]) - millis(&entry["last"]) == minutes * 60_000
        {
            return entry;
        }
        assert!(
            Instant::now() < deadline,
            "{plugin}: no deadline {minutes} min after last in /status: {page}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn plugins_on_every_broker_are_watched_through_their_command_envelopes() {
    let point_name = unique("Rev.Point");
    let point = ExtensionPoint::new(&point_name).expect("a valid name");
    let m = monitor(&point_name);
    let addr = m.listening();
    m.wait_subscribed(BROKERS.len());
    for (i, url) in BROKERS.into_iter().enumerate() {
        let scheme = &url[..url.find(':').unwrap_or(0)];
        let plugin = format!("{}@1.0.0", unique(&format!("plugin-{scheme}-")));
        // Each broker sees each dialect, in a different order.
        let dialect = |step: usize| DIALECTS[(i + step) % DIALECTS.len()];

        // Heartbeat(1): alive, disconnected 1 + max(2, 0) = 3 minutes later.
        beat(url, &point_name, &plugin, dialect(0), "beat", "1m");
        assert_eq!(
            change_of(&m, &plugin),
            ("-".into(), "alive".into(), "heartbeat".into()),
            "{url}"
        );
        let entry = status_with_grace(&addr, &plugin, 3);
        assert_eq!(entry["state"], "alive", "{url}: {entry}");
        assert_eq!(entry["deadline_state"], "disconnected", "{url}: {entry}");
        assert_eq!(entry["link"], i as u64 + 1, "{url}: {entry}");

        // RedetectPlugin(60) re-arms: 60 + 30 = 90 minutes.
        beat(url, &point_name, &plugin, dialect(1), "start", "1h");
        status_with_grace(&addr, &plugin, 90);

        // DisconnectPlugin: the plugin is gone, at once.
        beat(url, &point_name, &plugin, dialect(2), "stop", "1m");
        assert_eq!(
            change_of(&m, &plugin),
            ("alive".into(), "disconnected".into(), "disconnect".into()),
            "{url}"
        );
        // Heartbeat(10) brings it back: 10 + 5 = 15 minutes.
        beat(url, &point_name, &plugin, dialect(0), "beat", "10m");
        assert_eq!(
            change_of(&m, &plugin),
            ("disconnected".into(), "alive".into(), "heartbeat".into()),
            "{url}"
        );
        status_with_grace(&addr, &plugin, 15);

        // An envelope that is not one is reported with its origin.
        let address = if url == MQTT {
            heartwire::transport::mqtt_command_topic(&point)
        } else {
            point.address()
        };
        publish_raw(url, &point, br#"{"id":"","meta":{}}"#);
        let line = m.error_about(
            &format!("invalid message on {scheme} {address}"),
            Duration::from_secs(20),
        );
        assert!(line.contains("in the command envelope"), "{line}");

        // A valid command that is no heartbeat is counted and reported, not dropped.
        let forward = format!(
            r#"{{"id":"{plugin}","meta":{{"service":"{point_name}","time":"2024-01-26T10:30:00.000Z","msgId":"m","correlationId":"c"}},"command":{{"TAG":"ForwardCommand","_0":{{"x":1}}}}}}"#
        );
        publish_raw(url, &point, forward.as_bytes());
        let line = m.error_about(&format!("{plugin} from {scheme}"), Duration::from_secs(20));
        assert!(
            line.contains("command ForwardCommand is not a heartbeat"),
            "{line}"
        );
        let page: Value =
            serde_json::from_str(&http_get(&addr, "/status?source=command")).expect("JSON");
        assert_eq!(page["links"][i]["not_heartbeats"], 1, "{url}: {page}");
    }
}

/// The grace rule with the engine's explicit clock: a plugin that stops beating is
/// disconnected exactly `interval + max(2, interval / 2)` minutes after its last beat,
/// an envelope as `heartwire beat --plugin` builds it.
#[test]
fn a_silent_plugin_is_disconnected_by_the_grace_rule() {
    for (interval, grace) in [(1, 3), (3, 5), (5, 7), (10, 15), (60, 90)] {
        let plugin = HeartbeatBuilder::new(NonEmptyStr::new("late@1.0.0").expect("an id"))
            .minutes(std::num::NonZeroU32::new(interval).expect("not zero"));
        let envelope =
            heartwire_publish::plugin::plugin_envelope(&plugin, PluginCommand::Heartbeat)
                .expect("fresh ids");
        let mut json = Vec::new();
        envelope
            .encode(heartwire::command::Dialect::Seed, &mut json)
            .expect("encodes");
        let decoded = Envelope::decode(&json).expect("decodes");
        assert_eq!(decoded.command, Cmd::heartbeat(interval));
        let mut engine = Monitor::new(Config::default());
        let at = UnixTime::new(1_706_265_000, 0);
        assert_eq!(engine.observe_command(&decoded, at), Ok(State::Alive));
        let end = UnixTime::new(1_706_265_000 + 60 * i64::from(grace), 0);
        let just_before = UnixTime::new(end.secs() - 1, 999_999_999);
        let _ = engine.poll(just_before).count();
        let state = |engine: &Monitor| engine.get(Source::Command, "late@1.0.0").map(|p| p.state);
        assert_eq!(state(&engine), Some(State::Alive), "{interval} min");
        let _ = engine.poll(end).count();
        assert_eq!(state(&engine), Some(State::Disconnected), "{interval} min");
    }
}

/// NATS's general subscriber (the monitor's path to a server that requires TLS) takes
/// the command subject too, and yields the envelope as `Content::Command`.
#[test]
fn the_general_nats_subscriber_yields_command_envelopes() {
    use heartwire::transport::{Content, Transport};
    use heartwire_nats::NatsSubscriber;

    let point_name = unique("Rev.General");
    let point = ExtensionPoint::new(&point_name)
        .expect("a valid name")
        .into_owned();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    rt.block_on(async {
        let config = NatsConfig::new(NATS).extension_points([point.clone()]);
        let mut subscriber = NatsSubscriber::connect(&config).await.expect("subscribed");
        let plugin = HeartbeatBuilder::new(NonEmptyStr::new("general@1").expect("an id"));
        let envelope = heartwire_publish::plugin::plugin_envelope(&plugin, PluginCommand::Redetect)
            .expect("fresh ids");
        let mut json = Vec::new();
        envelope
            .encode(heartwire::command::Dialect::Decco, &mut json)
            .expect("encodes");
        let mut publisher = NatsPublisher::connect(&NatsConfig::new(NATS))
            .await
            .expect("connected");
        publisher
            .publish_command(&point, &json)
            .await
            .expect("published");
        let delivery = tokio::time::timeout(Duration::from_secs(10), subscriber.next())
            .await
            .expect("within 10 s")
            .expect("a message")
            .expect("valid");
        assert_eq!(delivery.origin.transport, Transport::Nats);
        assert_eq!(delivery.origin.address, point.address());
        let Content::Command(received) = delivery.content else {
            panic!("not a command: {:?}", delivery.content)
        };
        assert_eq!(*received, envelope.into_owned());
    });
}
