//! Seed 004 (beatit publishers), crash detection from the command line
//! (`spec/transports.md` §3.3 and §4.2): `heartwire run` killed with SIGKILL is seen dead
//! at once over MQTT (its Last Will) and its Redis presence key expires; a clean end
//! deletes the key and leaves no retained `online`. Against the brokers of this machine
//! (Redis 6379, Mosquitto 1883), read back with real clients (redis-rs, `mosquitto_sub`).
#![cfg(unix)]

mod running;

use std::process::{Child, Command};
use std::time::{Duration, Instant};

use running::{Running, heartwire, unique};

const REDIS: &str = "redis://127.0.0.1:6379";
const MQTT: &str = "mqtt://127.0.0.1:1883";

/// A `heartwire run` that the test kills; its job is killed with it.
struct Run(Child);

impl Run {
    fn start(to: &str, process: &str, period: &str) -> Run {
        let child = heartwire(&["run", "--to", to, "--process", process, "--period", period])
            .args(["--", "sleep", "60"])
            .spawn()
            .expect("heartwire run runs");
        Run(child)
    }

    /// SIGKILL: no goodbye, no DISCONNECT, no `stop`. The job is killed too, so that it
    /// does not outlive the test.
    fn kill(&mut self) {
        if !matches!(self.0.try_wait(), Ok(None)) {
            return;
        }
        let pid = self.0.id();
        let children =
            std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")).unwrap_or_default();
        let _ = self.0.kill();
        let _ = self.0.wait();
        for child in children.split_whitespace() {
            let _ = Command::new("kill").args(["-9", child]).status();
        }
    }
}

impl Drop for Run {
    fn drop(&mut self) {
        self.kill();
    }
}

/// `heartwire monitor --json` of one broker, once it is subscribed.
fn monitor(from: &str) -> Running {
    let m = Running::monitor(&[
        "--from",
        from,
        "--json",
        "--refresh",
        "50ms",
        "--exit-after",
        "90s",
    ]);
    m.error_about("subscribed to", Duration::from_secs(20));
    m
}

/// The next change of state of `process`, within `bound`: (old, new, reason).
fn change_of(m: &Running, process: &str, bound: Duration) -> (String, String, String) {
    let event = m.event_about(process, bound);
    let field = |name: &str| event[name].as_str().unwrap_or("-").to_owned();
    (field("old"), field("new"), field("reason"))
}

/// The retained presence of `process` on Mosquitto, as `mosquitto_sub` reads it; `None`
/// when nothing is retained.
fn retained_presence(process: &str) -> Option<String> {
    let topic = format!("heartbeat-presence/{process}");
    let out = Command::new("mosquitto_sub")
        .args(["-h", "127.0.0.1", "-p", "1883", "-t", &topic])
        .args(["--retained-only", "-C", "1", "-W", "2"])
        .output()
        .expect("mosquitto_sub runs (apt-get install mosquitto-clients)");
    let text = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    (!text.is_empty()).then_some(text)
}

/// Clears the retained presence a test left on the shared broker.
fn clear_retained(process: &str) {
    let topic = format!("heartbeat-presence/{process}");
    let _ = Command::new("mosquitto_pub")
        .args(["-h", "127.0.0.1", "-p", "1883", "-t", &topic, "-r", "-n"])
        .status();
}

/// A plain Redis connection: the key's time to live as the server says it.
fn redis() -> redis::Connection {
    redis::Client::open(REDIS)
        .and_then(|c| c.get_connection())
        .expect("Redis on 127.0.0.1:6379")
}

/// `PTTL key`: milliseconds left, -2 when there is no such key, -1 without expiry.
fn pttl(redis: &mut redis::Connection, key: &str) -> i64 {
    redis::cmd("PTTL").arg(key).query(redis).expect("PTTL")
}

/// Polls `PTTL` (every 50 ms, within `bound`) until `done` says so; the last value.
fn pttl_until(key: &str, bound: Duration, done: impl Fn(i64) -> bool) -> i64 {
    let mut r = redis();
    let deadline = Instant::now() + bound;
    loop {
        let ttl = pttl(&mut r, key);
        if done(ttl) || Instant::now() >= deadline {
            return ttl;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn mqtt_a_run_killed_with_sigkill_is_dead_at_once_by_its_will() {
    let name = unique("crash-kill");
    let monitor = monitor(MQTT);
    // A period of 30 s: without the Will the monitor would not call the job late before
    // 30 s after its start, and dead long after.
    let deadline = Duration::from_secs(30);
    let mut run = Run::start(MQTT, &name, "30s");
    let started = change_of(&monitor, &name, Duration::from_secs(15));
    assert_eq!(started.1, "starting", "{started:?}");
    assert_eq!(retained_presence(&name).as_deref(), Some("online"));

    let killed = Instant::now();
    run.kill();
    let dead = change_of(&monitor, &name, Duration::from_secs(20));
    let took = killed.elapsed();
    assert_eq!(
        (dead.1.as_str(), dead.2.as_str()),
        ("dead", "gone"),
        "{dead:?}"
    );
    // Generous against scheduling, far from the deadline it would otherwise take.
    assert!(
        took < deadline / 3,
        "dead {took:?} after SIGKILL, deadline {deadline:?}"
    );
    assert_eq!(retained_presence(&name).as_deref(), Some("offline"));
    clear_retained(&name);
}

#[test]
fn mqtt_a_clean_run_and_a_one_shot_beat_leave_no_retained_online() {
    let ok = unique("crash-clean");
    let out = heartwire(&["run", "--to", MQTT, "--process", &ok, "--period", "30s"])
        .args(["--", "true"])
        .output()
        .expect("heartwire run runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(retained_presence(&ok).as_deref(), Some("stopped"));
    clear_retained(&ok);

    // A failed job says so at once: `offline`, as its Will would have.
    let failed = unique("crash-fail");
    let out = heartwire(&["run", "--to", MQTT, "--process", &failed])
        .args(["--", "sh", "-c", "exit 4"])
        .output()
        .expect("heartwire run runs");
    assert_eq!(out.status.code(), Some(4));
    assert_eq!(retained_presence(&failed).as_deref(), Some("offline"));
    clear_retained(&failed);

    // A one-shot beat speaks for a moment: no birth, nothing retained; its `stop`
    // leaves `stopped`.
    let once = unique("crash-once");
    for signal in ["start", "beat", "degraded"] {
        let out = heartwire(&["beat", "--to", MQTT, "--process", &once])
            .args(["--signal", signal])
            .output()
            .expect("heartwire beat runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(retained_presence(&once), None, "after {signal}");
    }
    let out = heartwire(&["beat", "--to", MQTT, "--process", &once, "--signal", "stop"])
        .output()
        .expect("heartwire beat runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(retained_presence(&once).as_deref(), Some("stopped"));
    clear_retained(&once);
}

#[test]
fn redis_a_run_killed_with_sigkill_leaves_a_key_that_expires() {
    let name = unique("crash-redis");
    let key = format!("heartbeat.{name}");
    // start/2 then beat/2: the key lives 2 x 2 s, refreshed by every beat.
    let mut run = Run::start(REDIS, &name, "2s");
    let ttl = pttl_until(&key, Duration::from_secs(10), |t| t > 0);
    assert!(ttl > 0 && ttl <= 4_000, "PTTL {ttl} while the job runs");
    // Still refreshed by the beats, past a first time to live.
    std::thread::sleep(Duration::from_secs(5));
    let ttl = pttl(&mut redis(), &key);
    assert!(ttl > 0 && ttl <= 4_000, "PTTL {ttl} after 5 s of beats");

    run.kill();
    let killed = Instant::now();
    let left = pttl(&mut redis(), &key);
    assert!(
        left > 0,
        "the key outlives the process until it expires: {left}"
    );
    let ttl = pttl_until(&key, Duration::from_secs(10), |t| t == -2);
    assert_eq!(ttl, -2, "the key is gone at its expiry");
    // Gone by its time to live, not before it.
    let took = killed.elapsed();
    assert!(
        took + Duration::from_millis(200) >= Duration::from_millis(left.unsigned_abs()),
        "gone after {took:?}, {left} ms were left"
    );
}

#[test]
fn redis_a_clean_end_deletes_the_key_and_a_one_shot_beat_sets_one() {
    let name = unique("crash-redis-stop");
    let key = format!("heartbeat.{name}");
    let run = heartwire(&["run", "--to", REDIS, "--process", &name, "--period", "30s"])
        .args(["--", "sleep", "2"])
        .spawn()
        .expect("heartwire run runs");
    let ttl = pttl_until(&key, Duration::from_secs(10), |t| t > 0);
    assert!(ttl > 0 && ttl <= 60_000, "PTTL {ttl} while the job runs");
    let out = run.wait_with_output().expect("heartwire run exits");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(pttl(&mut redis(), &key), -2, "stop deleted the key");

    let once = unique("crash-redis-once");
    let key = format!("heartbeat.{once}");
    let out = heartwire(&["beat", "--to", REDIS, "--process", &once, "--period", "5s"])
        .output()
        .expect("heartwire beat runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ttl = pttl(&mut redis(), &key);
    assert!(ttl > 5_000 && ttl <= 10_000, "beat/5: PTTL {ttl}");
    let _: i64 = redis::cmd("DEL")
        .arg(&key)
        .query(&mut redis())
        .expect("DEL");
}
