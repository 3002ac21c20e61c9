//! The Reventless Heartbeat seed end to end over SQS (seed 000, REFERENCE.md §3): a
//! plugin's heartbeat Lambda sends its `Heartbeat` envelope to the admin plugin's FIFO
//! queue; `heartwire monitor --from sqs+http://...`, built with the `sqs` feature and
//! run as a user runs it, sees the plugin alive. The queue is on moto's server mode
//! (`tests/sqs/setup-venv.sh`), started on a free port by the test.

mod running;

use std::num::NonZeroU32;
use std::process::Command;
use std::time::{Duration, Instant};

use heartwire::command::{Dialect, HeartbeatBuilder, NonEmptyStr};
use heartwire::time::SystemClock;
use heartwire_sqs::{SqsConfig, SqsSender};
use heartwire_tests::moto::Moto;
use running::{Running, heartwire, http_get, unique};
use serde_json::Value;

const KEY_ID: &str = "AKIDSEEDREVENTLESS01";
const SECRET: &str = "s3cretSeedReventlessKey/+abc";

/// The monitor of `url` printing JSON lines, with `more` arguments, running with
/// credentials in its environment (as the SDK's chain reads them, nothing from this
/// machine's profile); everything it writes is kept for the check that no secret was
/// shown.
fn sqs_monitor(url: &str, more: &[&str]) -> Running {
    let mut command = heartwire(&["monitor", "--from", url, "--json", "--refresh", "50ms"]);
    command
        .args(["--exit-after", "90s"])
        .args(more)
        .env("AWS_ACCESS_KEY_ID", KEY_ID)
        .env("AWS_SECRET_ACCESS_KEY", SECRET)
        .env("AWS_CONFIG_FILE", "/nonexistent/heartwire-test")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/heartwire-test")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_SESSION_TOKEN");
    Running::spawn(&mut command)
}

#[test]
fn a_plugin_heartbeat_sent_to_the_admin_queue_makes_the_plugin_alive() {
    let moto = Moto::start(env!("CARGO_TARGET_TMPDIR"));
    let queue = format!("{}.fifo", unique("platform-plugin"));
    moto.create_queue(&queue, 30);
    let url = moto.url(&queue);

    let monitor = sqs_monitor(&url, &[]);
    let line = monitor.error_about("subscribed to", Duration::from_secs(30));
    assert!(line.contains(&queue), "{line}");

    // The plugin's heartbeat Lambda: a `Heartbeat(5)` envelope in the framework's current
    // dialect, to the FIFO queue, grouped by the plugin id.
    let plugin = format!("{}@1.2.0", unique("orders"));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let config = SqsConfig::new(url.as_str()).static_credentials(KEY_ID, SECRET);
        let mut sender = SqsSender::connect(&config).await.expect("configured");
        let mut n = 0u32;
        let mut ids = || {
            n += 1;
            format!("1b4e28ba-2fa1-41d2-883f-{n:012}")
        };
        let beat = HeartbeatBuilder::new(NonEmptyStr::new(plugin.clone()).expect("not empty"))
            .minutes(NonZeroU32::new(5).expect("not zero"))
            .build(&SystemClock, &mut ids)
            .expect("ids");
        sender.send(&beat, Dialect::Sury).await.expect("sent");
        sender
            .send_raw("Heartbeat(5)", Some(&plugin), Some("not-an-envelope"))
            .await
            .expect("sent");
    });

    let event = monitor.event_about(&plugin, Duration::from_secs(30));
    assert_eq!(event["new"], "alive", "{event}");
    let line = monitor.error_about("invalid message on sqs", Duration::from_secs(30));
    assert!(line.contains(&queue), "{line}");

    let all = monitor.stop();
    for secret in [KEY_ID, SECRET] {
        assert!(!all.contains(secret), "{secret} shown: {all}");
    }
}

/// A monitor with `--snapshot` killed with SIGKILL after it took a plugin's heartbeat
/// from the queue, before any snapshot was due (every 10 s): the queue deleted the
/// message, so the monitor started again must know the plugin from its journal
/// (spec/transports.md §6.3). Before, the queue forgot the message once the monitor
/// asked for the next one, and the engine's state went with the process.
#[test]
fn a_heartbeat_the_queue_deleted_survives_kill_9_of_the_monitor() {
    let moto = Moto::start(env!("CARGO_TARGET_TMPDIR"));
    let queue = format!("{}.fifo", unique("durable"));
    let queue_url = moto.create_queue(&queue, 30);
    let url = moto.url(&queue);
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(unique("sqs-journal"));
    std::fs::create_dir_all(&dir).expect("a folder");
    let snapshot = dir.join("state.json");
    let snapshot = snapshot.to_str().expect("UTF-8");
    let durable = ["--snapshot", snapshot, "--listen", "127.0.0.1:0"];

    let monitor = sqs_monitor(&url, &durable);
    monitor.error_about("subscribed to", Duration::from_secs(30));
    let started = Instant::now();
    let plugin = format!("{}@1.0.0", unique("ledger"));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let config = SqsConfig::new(url.as_str()).static_credentials(KEY_ID, SECRET);
        let mut sender = SqsSender::connect(&config).await.expect("configured");
        let mut ids = || "5c0ffee0-2fa1-41d2-883f-000000000001".to_owned();
        let beat = HeartbeatBuilder::new(NonEmptyStr::new(plugin.clone()).expect("not empty"))
            .minutes(NonZeroU32::new(5).expect("not zero"))
            .build(&SystemClock, &mut ids)
            .expect("ids");
        sender.send(&beat, Dialect::Sury).await.expect("sent");
    });
    assert_eq!(
        monitor.event_about(&plugin, Duration::from_secs(30))["new"],
        "alive"
    );
    // Deleted from the queue: nothing waiting, nothing in flight.
    let deadline = Instant::now() + Duration::from_secs(20);
    while moto.messages(&queue_url) != (0, 0) {
        assert!(Instant::now() < deadline, "the heartbeat was never deleted");
        std::thread::sleep(Duration::from_millis(50));
    }
    let taken = started.elapsed();
    // SIGKILL.
    let seen = monitor.stop();
    assert!(
        taken < Duration::from_secs(9),
        "took {taken:?}: a snapshot may have been written, and this test proves nothing"
    );

    // Started again on the same snapshot: the plugin is known, alive, though the queue
    // is empty.
    let again = sqs_monitor(&url, &durable);
    let addr = again.listening();
    let status = http_get(&addr, "/status?limit=5000");
    let page: Value = serde_json::from_str(&status).expect("/status is JSON");
    let entry = page["processes"]
        .as_array()
        .expect("processes")
        .iter()
        .find(|p| p["name"] == plugin.as_str())
        .unwrap_or_else(|| panic!("{plugin} was lost to kill -9: {status}"));
    assert_eq!(entry["state"], "alive", "{entry}");
    let all = format!("{seen}\n{}", again.stop());
    for secret in [KEY_ID, SECRET] {
        assert!(!all.contains(secret), "{secret} shown: {all}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_queue_that_does_not_exist_is_reported_without_the_credentials() {
    let moto = Moto::start(env!("CARGO_TARGET_TMPDIR"));
    let monitor = sqs_monitor(&moto.url("no-such-queue"), &[]);
    let line = monitor.error_about("no-such-queue", Duration::from_secs(30));
    assert!(line.contains("heartwire monitor"), "{line}");
    let all = monitor.stop();
    for secret in [KEY_ID, SECRET] {
        assert!(!all.contains(secret), "{secret} shown: {all}");
    }
}

/// `heartwire beat --plugin ID --to <queue URL>`: the CLI sends the heartbeat envelope to
/// the queue as the framework's Lambda does (a FIFO queue: grouped by the plugin id,
/// deduplicated by the fresh `msgId`), and a monitor on the queue sees the plugin alive,
/// then disconnected after `--signal stop`.
#[test]
fn heartwire_beat_sends_a_plugin_heartbeat_to_the_queue() {
    let moto = Moto::start(env!("CARGO_TARGET_TMPDIR"));
    let queue = format!("{}.fifo", unique("platform-plugin-cli"));
    moto.create_queue(&queue, 30);
    let url = moto.url(&queue);

    let monitor = sqs_monitor(&url, &[]);
    monitor.error_about("subscribed to", Duration::from_secs(30));

    let plugin = format!("{}@2.0.0", unique("billing"));
    let beat = |signal: &str| {
        let out = Command::new(env!("CARGO_BIN_EXE_heartwire"))
            .args(["beat", "--plugin", &plugin, "--envelope", "decco"])
            .args(["--period", "5m", "--signal", signal, "--to", &url])
            .env("AWS_ACCESS_KEY_ID", KEY_ID)
            .env("AWS_SECRET_ACCESS_KEY", SECRET)
            .env("AWS_CONFIG_FILE", "/nonexistent/heartwire-test")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/heartwire-test")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env_remove("AWS_PROFILE")
            .env_remove("AWS_SESSION_TOKEN")
            .output()
            .expect("the binary runs");
        let shown = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.status.success(), "beat --signal {signal}: {shown}");
        for secret in [KEY_ID, SECRET] {
            assert!(!shown.contains(secret), "{secret} shown: {shown}");
        }
    };

    beat("beat");
    let event = monitor.event_about(&plugin, Duration::from_secs(30));
    assert_eq!(event["new"], "alive", "{event}");
    beat("stop");
    let event = monitor.event_about(&plugin, Duration::from_secs(30));
    assert_eq!(event["new"], "disconnected", "{event}");

    let all = monitor.stop();
    for secret in [KEY_ID, SECRET] {
        assert!(!all.contains(secret), "{secret} shown: {all}");
    }
}
