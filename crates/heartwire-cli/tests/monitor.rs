//! `heartwire monitor` against the brokers of this machine (NATS 4222, Redis 6379,
//! Mosquitto 1883, RabbitMQ 5672), as a user runs it: the binary subscribes, beats are
//! published through the adapters, and its JSON lines and stderr are read back.

mod running;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use running::{Running, http_get, try_get, unique};

use heartwire::text::{Process, Subject};
use heartwire_publish::AsyncPublish;

use heartwire_amqp::{AmqpConfig, AmqpPublisher};
use heartwire_mqtt::{MqttConfig, MqttPublisher};
use heartwire_nats::{NatsConfig, NatsPublisher};
use heartwire_redis::{RedisConfig, RedisPublisher};
use serde_json::Value;

const NATS: &str = "nats://127.0.0.1:4222";
const REDIS: &str = "redis://127.0.0.1:6379";
const MQTT: &str = "mqtt://127.0.0.1:1883";
const AMQP: &str = "amqp://guest:guest@127.0.0.1:5672/%2f";

/// A monitor of all four brokers printing JSON lines, stopping after `seconds`.
fn monitor_of_every_broker(seconds: &str) -> Running {
    monitor(&[
        "--from",
        NATS,
        "--from",
        REDIS,
        "--from",
        MQTT,
        "--from",
        AMQP,
        "--json",
        "--refresh",
        "50ms",
        "--exit-after",
        seconds,
    ])
}

fn monitor(args: &[&str]) -> Running {
    Running::monitor(args)
}

/// The subject of a process name made by [`unique`].
fn subject(name: &str) -> Subject<'static> {
    Process::new(name).expect("a valid process name").subject()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
}

fn changed(event: &Value) -> (&str, &str, &str) {
    (
        event["old"].as_str().unwrap_or("-"),
        event["new"].as_str().unwrap_or("?"),
        event["reason"].as_str().unwrap_or("?"),
    )
}

#[test]
fn beats_from_every_broker_become_states_and_silence_becomes_death() {
    let m = monitor_of_every_broker("60s");
    m.wait_subscribed(4);
    let rt = runtime();
    let nats_name = unique("mon.nats");
    let redis_name = unique("mon.redis");
    let mqtt_name = unique("mon.mqtt");
    let amqp_name = unique("mon.amqp");
    rt.block_on(async {
        let mut nats = NatsPublisher::connect(&NatsConfig::new(NATS))
            .await
            .expect("NATS");
        nats.publish(&subject(&nats_name), b"beat/1")
            .await
            .expect("published");
        let mut redis = RedisPublisher::connect(&RedisConfig::new(REDIS))
            .await
            .expect("Redis");
        redis
            .publish(&subject(&redis_name), b"degraded/1")
            .await
            .expect("published");
        redis
            .publish_raw(&format!("heartbeat.{redis_name}-bad"), b"beat/-1")
            .await
            .expect("published");
        let mut amqp = AmqpPublisher::connect(&AmqpConfig::new(AMQP))
            .await
            .expect("RabbitMQ");
        amqp.publish(&subject(&amqp_name), b"start/60")
            .await
            .expect("confirmed");
    });
    let e = m.event_about(&nats_name, Duration::from_secs(10));
    assert_eq!(
        (e["source"].as_str(), changed(&e)),
        (Some("text"), ("-", "alive", "beat"))
    );
    let e = m.event_about(&redis_name, Duration::from_secs(10));
    assert_eq!(changed(&e), ("-", "degraded", "degraded"));
    let e = m.event_about(&amqp_name, Duration::from_secs(10));
    assert_eq!(changed(&e), ("-", "starting", "start"));
    // An invalid message is reported with where it came from, and nothing else happens.
    let line = m.error_about(&format!("{redis_name}-bad"), Duration::from_secs(10));
    assert!(line.contains("invalid message on redis"), "{line}");
    // Silence: late at 1.5 s, dead at 3 s after the beat.
    let e = m.event_about(&nats_name, Duration::from_secs(10));
    assert_eq!(changed(&e), ("alive", "late", "overdue"));
    let e = m.event_about(&nats_name, Duration::from_secs(10));
    assert_eq!(changed(&e), ("late", "dead", "silent"));

    // A publisher that dies without a goodbye is dead at once, through its MQTT will.
    rt.block_on(async {
        let process = Process::new(&mqtt_name).expect("a valid name");
        let mut mqtt = MqttPublisher::connect(&MqttConfig::new(MQTT), &process)
            .await
            .expect("Mosquitto");
        mqtt.publish(&process.subject(), b"beat/600")
            .await
            .expect("published");
        // Dropped: the connection ends without DISCONNECT, as in a crash.
        drop(mqtt);
    });
    let e = m.event_about(&mqtt_name, Duration::from_secs(10));
    assert_eq!(changed(&e), ("-", "alive", "beat"));
    let e = m.event_about(&mqtt_name, Duration::from_secs(20));
    assert_eq!(changed(&e), ("alive", "dead", "gone"));

    // `heartwire beat --to` a broker publishes through the same adapters.
    for (url, tag) in [
        (NATS, "cli.nats"),
        (REDIS, "cli.redis"),
        (MQTT, "cli.mqtt"),
        (AMQP, "cli.amqp"),
    ] {
        let name = unique(tag);
        let beat = Command::new(env!("CARGO_BIN_EXE_heartwire"))
            .args([
                "beat",
                "--to",
                url,
                "--process",
                &name,
                "--signal",
                "start",
                "--period",
                "60s",
            ])
            .output()
            .expect("heartwire beat runs");
        assert!(
            beat.status.success(),
            "{url}: {}",
            String::from_utf8_lossy(&beat.stderr)
        );
        let e = m.event_about(&name, Duration::from_secs(10));
        assert_eq!(changed(&e), ("-", "starting", "start"), "{url}");
    }
}

/// `heartwire run --to` each broker: a job that succeeds is seen as `start`, a beat and
/// `stop` by a monitor of that broker; a job that fails sends nothing at its end
/// (`spec/http.md` §6, as the `beatit` service), so the monitor sees it go late, then
/// dead, by silence (over MQTT dead at once, by its presence `offline`), and heartwire
/// exits with the job's status.
#[test]
fn run_to_every_broker_sends_start_beats_and_stop_and_a_failure_is_silence() {
    let m = monitor_of_every_broker("90s");
    m.wait_subscribed(4);
    // A beat every 3 s over a 7 s job: start at 0 s, beats at 3 and 6 s, the end at 7 s.
    // A period of 3 s leaves 1.5 s for each publish (a connection of its own) before
    // the monitor would call the job late.
    let jobs: Vec<(&str, String, &str, u8)> = [NATS, REDIS, MQTT, AMQP]
        .into_iter()
        .flat_map(|url| {
            let tag = &url[..url.find(':').unwrap_or(0)];
            [
                (url, unique(&format!("run.{tag}.ok")), "sleep 7", 0),
                (
                    url,
                    unique(&format!("run.{tag}.fail")),
                    "sleep 7; exit 3",
                    3,
                ),
            ]
        })
        .collect();
    let running: Vec<_> = jobs
        .iter()
        .map(|(url, name, script, _)| {
            Command::new(env!("CARGO_BIN_EXE_heartwire"))
                .args(["run", "--to", url, "--process", name, "--period", "3s"])
                .args(["--", "sh", "-c", script])
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("heartwire run runs")
        })
        .collect();
    for ((url, name, _, status), child) in jobs.iter().zip(running) {
        let output = child.wait_with_output().expect("heartwire run exits");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(
            output.status.code(),
            Some(i32::from(*status)),
            "{url}: {stderr}"
        );
        assert!(!stderr.contains("not published"), "{url}: {stderr}");
        let mut seen = Vec::new();
        for _ in 0..3 {
            let e = m.event_about(name, Duration::from_secs(20));
            seen.push(changed(&e).2.to_owned());
        }
        let expected = if *status == 0 {
            // The beat is what makes a starting process alive; `stop` ends it.
            ["start", "beat", "stop"]
        } else if *url == MQTT {
            // No `stop`, and the run's presence says `offline` as its Will would: dead
            // at once (spec/transports.md §4.2).
            ["start", "beat", "gone"]
        } else {
            // No `stop`: the first event after the beat is the silence.
            ["start", "beat", "overdue"]
        };
        assert_eq!(seen, expected, "{url} {name}");
        if *status != 0 && *url != MQTT {
            let e = m.event_about(name, Duration::from_secs(20));
            assert_eq!(changed(&e), ("late", "dead", "silent"), "{url} {name}");
        }
    }
}

/// The instant of an event, and how long after `earlier` it is, in milliseconds.
fn millis_after(event: &Value, earlier: &Value) -> i128 {
    let at = |e: &Value| {
        let text = e["at"].as_str().unwrap_or_default();
        heartwire::time::Timestamp::parse(text)
            .unwrap_or_else(|err| panic!("{text:?}: {err}"))
            .unix_time()
            .as_nanos()
    };
    (at(event) - at(earlier)) / 1_000_000
}

/// `--detector phi` judges a beatit process by its arrivals (Akka's phi accrual,
/// `spec/liveness.md` §4), not by the period it declares: after one `beat/1` the
/// deadline detector would call it late at 1.5 s and dead at 3 s, phi suspects it only
/// past its 1 s first estimate plus the 3 s acceptable pause. Without `--json`, stdout
/// being a pipe, the monitor prints JSON lines (every line is parsed as one).
#[test]
fn detector_phi_judges_by_arrivals_and_piped_output_is_json_lines() {
    let m = monitor(&[
        "--from",
        NATS,
        "--detector",
        "phi",
        "--refresh",
        "50ms",
        "--exit-after",
        "30s",
    ]);
    m.wait_subscribed(1);
    let name = unique("mon.phi");
    runtime().block_on(async {
        let mut nats = NatsPublisher::connect(&NatsConfig::new(NATS))
            .await
            .expect("NATS");
        nats.publish(&subject(&name), b"beat/1")
            .await
            .expect("published");
    });
    let alive = m.event_about(&name, Duration::from_secs(10));
    assert_eq!(changed(&alive), ("-", "alive", "beat"));
    let late = m.event_about(&name, Duration::from_secs(15));
    assert_eq!(changed(&late), ("alive", "late", "suspected"));
    // The history before a second arrival is the first estimate's two intervals, 0.75
    // and 1.25 s: mean 1 s plus the 3 s pause, deviation 0.25 s. Akka's logistic CDF
    // crosses phi 1 at y = 1.2823, 4.3206 s after the beat, and phi 8 at y = 5.2264,
    // 5.3066 s after it (the monitor reports the crossing instants, to the millisecond).
    let suspected_after = millis_after(&late, &alive);
    assert!(
        (4_319..=4_322).contains(&suspected_after),
        "suspected {suspected_after} ms after the beat"
    );
    let dead = m.event_about(&name, Duration::from_secs(15));
    assert_eq!(changed(&dead), ("late", "dead", "convicted"));
    let convicted_after = millis_after(&dead, &alive);
    assert!(
        (5_305..=5_308).contains(&convicted_after),
        "convicted {convicted_after} ms after the beat"
    );
}

/// `--tolerance LATE,DEAD` moves the deadline detector's factors of the declared period
/// (1.5 and 3 by default): with `2,4`, a `beat/1` is late exactly 2 s and dead exactly
/// 4 s after it arrived.
#[test]
fn tolerance_sets_the_late_and_dead_factors() {
    let m = monitor(&[
        "--from",
        REDIS,
        "--tolerance",
        "2,4",
        "--json",
        "--refresh",
        "50ms",
        "--exit-after",
        "30s",
    ]);
    m.wait_subscribed(1);
    let name = unique("mon.tolerance");
    runtime().block_on(async {
        let mut redis = RedisPublisher::connect(&RedisConfig::new(REDIS))
            .await
            .expect("Redis");
        redis
            .publish(&subject(&name), b"beat/1")
            .await
            .expect("published");
    });
    let alive = m.event_about(&name, Duration::from_secs(10));
    assert_eq!(changed(&alive), ("-", "alive", "beat"));
    let late = m.event_about(&name, Duration::from_secs(10));
    assert_eq!(changed(&late), ("alive", "late", "overdue"));
    assert_eq!(millis_after(&late, &alive), 2_000);
    let dead = m.event_about(&name, Duration::from_secs(10));
    assert_eq!(changed(&dead), ("late", "dead", "silent"));
    assert_eq!(millis_after(&dead, &alive), 4_000);
}

#[test]
fn a_snapshot_keeps_the_state_across_a_restart() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(unique("snapshot"));
    std::fs::create_dir_all(&dir).expect("a folder");
    let file = dir.join("state.json");
    let file_arg = file.to_str().expect("UTF-8");
    let name = unique("mon.snap");

    let first = monitor(&[
        "--from",
        NATS,
        "--json",
        "--snapshot",
        file_arg,
        "--exit-after",
        "2s",
    ]);
    first.wait_subscribed(1);
    runtime().block_on(async {
        let mut nats = NatsPublisher::connect(&NatsConfig::new(NATS))
            .await
            .expect("NATS");
        nats.publish(&subject(&name), b"beat/30")
            .await
            .expect("published");
    });
    let e = first.event_about(&name, Duration::from_secs(10));
    assert_eq!(changed(&e), ("-", "alive", "beat"));
    let mut first = first;
    let status = first.child.wait().expect("the monitor exits after 2 s");
    assert!(status.success());
    let saved = std::fs::read_to_string(&file).expect("the snapshot was written");
    assert!(saved.contains(&name), "{saved}");
    // Without an HTTP receiver the history is kept all the same, for a later run that
    // serves it: the change is in the snapshot's history (spec/http.md §5.11).
    let state: Value = serde_json::from_str(&saved).expect("JSON");
    let kept = state["history"]["processes"]
        .as_array()
        .and_then(|all| all.iter().find(|p| p["name"] == name.as_str()))
        .and_then(|p| p["history"].as_array())
        .is_some_and(|h| h.iter().any(|c| c["new"] == "alive"));
    assert!(kept, "no history of {name}: {}", state["history"]);

    // The second run knows the process without hearing from it, and judges its silence
    // from the beat the first run saw: late 45 s after it, not 45 s after the restart.
    let second = monitor(&[
        "--from",
        NATS,
        "--json",
        "--snapshot",
        file_arg,
        "--exit-after",
        "3s",
    ]);
    let mut second = second;
    let status = second.child.wait().expect("the monitor exits after 3 s");
    assert!(status.success());
    let saved = std::fs::read_to_string(&file).expect("the snapshot was written again");
    assert!(
        saved.contains(&name),
        "the restored process was kept: {saved}"
    );
}

#[test]
fn a_url_of_no_broker_is_a_usage_error_and_credentials_stay_hidden() {
    let output = Command::new(env!("CARGO_BIN_EXE_heartwire"))
        .args(["monitor", "--from", "ftp://user:secret@example.invalid/"])
        .output()
        .expect("the binary runs");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("expected a nats://, redis://, mqtt:// or amqp:// URL"),
        "{stderr}"
    );
    assert!(!stderr.contains("secret"), "{stderr}");

    // A broker that is not there is retried, and its password never printed.
    let m = monitor(&[
        "--from",
        "redis://user:hunter2@127.0.0.1:1",
        "--json",
        "--exit-after",
        "2s",
    ]);
    let line = m.error_about("127.0.0.1:1", Duration::from_secs(10));
    assert!(!line.contains("hunter2"), "{line}");
    assert!(line.contains("trying again"), "{line}");
}

#[test]
fn without_a_broker_the_monitor_is_the_http_receiver_and_run_reports_to_it() {
    let m = monitor(&[
        "--listen",
        "127.0.0.1:0",
        "--json",
        "--refresh",
        "50ms",
        "--exit-after",
        "30s",
    ]);
    let base = format!("http://{}/", m.listening());
    let name = unique("mon.http");
    let job = unique("mon.job");
    let beat = Command::new(env!("CARGO_BIN_EXE_heartwire"))
        .args(["beat", "--to", &format!("{base}beat"), "--process", &name])
        .args(["--signal", "beat", "--period", "1s"])
        .output()
        .expect("heartwire beat runs");
    assert!(
        beat.status.success(),
        "{}",
        String::from_utf8_lossy(&beat.stderr)
    );
    let e = m.event_about(&name, Duration::from_secs(10));
    assert_eq!(
        (e["source"].as_str(), changed(&e)),
        (Some("text"), ("-", "alive", "beat"))
    );
    let e = m.event_about(&name, Duration::from_secs(10));
    assert_eq!(changed(&e), ("alive", "late", "overdue"));

    // `heartwire run` wraps a job: its start and its end are pings of the receiver, and the
    // job's exit status is passed through.
    let run = Command::new(env!("CARGO_BIN_EXE_heartwire"))
        .args([
            "run",
            "--to",
            &format!("{base}ping/"),
            "--process",
            &job,
            "--",
        ])
        .args(["sh", "-c", "exit 0"])
        .output()
        .expect("heartwire run runs");
    assert_eq!(
        run.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let e = m.event_about(&job, Duration::from_secs(10));
    assert_eq!(
        (e["source"].as_str(), changed(&e)),
        (Some("ping"), ("-", "starting", "registered"))
    );
    let e = m.event_about(&job, Duration::from_secs(10));
    assert_eq!(changed(&e), ("starting", "alive", "ping"));

    // `heartwire ping` pings at start and on demand (SIGUSR1), printing each result.
    let pinged = unique("mon.pinged");
    let mut ping = Command::new(env!("CARGO_BIN_EXE_heartwire"))
        .args([
            "ping",
            "--to",
            &format!("{base}ping/{pinged}"),
            "--every",
            "1h",
        ])
        .args(["--exit-after", "20s"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("heartwire ping runs");
    let mut lines = BufReader::new(ping.stdout.take().expect("piped")).lines();
    let first = lines.next().and_then(Result::ok).unwrap_or_default();
    assert!(first.ends_with(" (200) start"), "{first:?}");
    let e = m.event_about(&pinged, Duration::from_secs(10));
    assert_eq!(changed(&e), ("-", "starting", "registered"));
    let kill = Command::new("kill")
        .args(["-USR1", &ping.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(kill.success());
    let second = lines.next().and_then(Result::ok).unwrap_or_default();
    assert!(second.ends_with(" (200) on demand"), "{second:?}");
    let stop = Command::new("kill")
        .args(["-TERM", &ping.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(stop.success());
    assert_eq!(ping.wait().expect("it exits").code(), Some(0));
}

/// A `nats-server` of the test's own on a free port, killed on drop; it can be killed
/// with SIGKILL and started again on the same port.
struct PrivateNats {
    port: u16,
    child: Option<Child>,
}

impl PrivateNats {
    fn start() -> PrivateNats {
        let port = std::net::TcpListener::bind(("127.0.0.1", 0))
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free port");
        let mut nats = PrivateNats { port, child: None };
        nats.resume();
        nats
    }

    fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    fn resume(&mut self) {
        let child = Command::new("nats-server")
            .args(["-a", "127.0.0.1", "-p", &self.port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nats-server runs (README, Brokers for development)");
        self.child = Some(child);
        let started = std::time::Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "nats-server did not listen"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for PrivateNats {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Publishes `payloads` on `subject` over a connection of its own, flushing every 1,000.
fn publish_nats(url: &str, subject: &str, payloads: impl Iterator<Item = &'static str>) {
    runtime().block_on(async {
        let publisher = NatsPublisher::connect(&NatsConfig::new(url))
            .await
            .expect("connect");
        let client = publisher.client();
        for (i, payload) in payloads.enumerate() {
            client
                .publish(subject.to_owned(), bytes::Bytes::from(payload))
                .await
                .expect("publish");
            if i % 1000 == 999 {
                client.flush().await.expect("flush");
            }
        }
        client.flush().await.expect("flush");
    });
}

/// The number before `word` in `line` (`... 20000 received ...`).
fn count_before(line: &str, word: &str) -> u64 {
    let words: Vec<&str> = line.split_whitespace().collect();
    let i = words
        .iter()
        .position(|w| w.trim_start_matches('(') == word)
        .unwrap_or_else(|| panic!("no {word:?} in {line:?}"));
    words[i - 1]
        .trim_start_matches('(')
        .parse()
        .unwrap_or_else(|e| panic!("{line:?}: {e}"))
}

/// A broker killed with SIGKILL and started again while the monitor subscribes: both
/// moments are reported with how long it was down, and its processes are not convicted
/// for the outage (`spec/liveness.md` §6.4): deadlines resume from the forgiven time.
#[test]
fn a_broker_outage_is_reported_and_convicts_nobody() {
    let mut nats = PrivateNats::start();
    let url = nats.url();
    let m = monitor(&[
        "--from",
        &url,
        "--json",
        "--refresh",
        "50ms",
        "--exit-after",
        "40s",
    ]);
    m.wait_subscribed(1);
    let up = m.next_event("link", Duration::from_secs(10));
    assert_eq!(
        (up["state"].as_str(), up["link"].as_str()),
        (Some("up"), Some(url.as_str()))
    );

    let name = unique("mon.outage");
    publish_nats(&url, &format!("heartbeat.{name}"), ["beat/1"].into_iter());
    let e = m.event_about(&name, Duration::from_secs(10));
    assert_eq!(changed(&e), ("-", "alive", "beat"));

    nats.kill();
    let line = m.error_about("connection lost", Duration::from_secs(10));
    assert!(line.contains(&url), "{line}");
    let down = m.next_event("link", Duration::from_secs(10));
    assert_eq!(down["state"], "down");
    // Late at 1.5 s and dead at 3 s without the rule; the broker stays down 4 s.
    std::thread::sleep(Duration::from_secs(4));
    nats.resume();
    let line = m.error_about("subscribed again", Duration::from_secs(15));
    assert!(line.contains("down (since"), "{line}");
    let back = m.next_event("link", Duration::from_secs(10));
    assert_eq!(back["state"], "up");
    let down_ms = back["down_ms"].as_u64().expect("down_ms");
    assert!(down_ms >= 4000, "{back}");
    assert_eq!(back["down_since"], down["at"]);

    // The next change of the process comes after the link is back, not during the outage.
    let e = m.event_about(&name, Duration::from_secs(10));
    assert_eq!(changed(&e), ("alive", "late", "overdue"));
    assert!(
        e["at"].as_str() > back["at"].as_str(),
        "late at {} though the link was down until {}",
        e["at"],
        back["at"]
    );
}

/// A flood with half its messages invalid, faster than the monitor takes it: the NATS
/// reader slows the socket rather than drop anything, so every message is received,
/// exactly; invalid messages cost a line a second, with counts of the rest; and
/// `/status` shows the link's counters.
#[test]
fn a_flood_is_counted_to_the_last_message_and_reported_without_flooding() {
    let nats = PrivateNats::start();
    let url = nats.url();
    let m = monitor(&[
        "--from",
        &url,
        "--listen",
        "127.0.0.1:0",
        "--json",
        "--exit-after",
        "8s",
    ]);
    let addr = m.listening();
    m.wait_subscribed(1);
    const SENT: u64 = 20_000;
    let name = unique("mon.flood");
    publish_nats(
        &url,
        &format!("heartbeat.{name}"),
        (0..SENT).map(|i| if i % 2 == 0 { "beat/60" } else { "beat/x" }),
    );
    std::thread::sleep(Duration::from_millis(1500));
    let status = http_get(&addr, "/status");
    let status: Value = serde_json::from_str(&status).expect("/status is JSON");
    let link = &status["links"][0];
    assert_eq!(link["url"], url.as_str());
    assert_eq!(link["connected"], true);
    let received = link["received"].as_u64().expect("received");
    let lost_total = link["lost"]["overflow"].as_u64().expect("lost");
    assert_eq!((received, lost_total), (SENT, 0), "{link}");

    // The summary at exit says the same; before it, thousands of invalid messages from
    // one origin cost a line a second, and the lines closing each second count the rest.
    let mut shown = 0;
    let mut suppressed = 0;
    let summary = loop {
        let line = m
            .next_error(Duration::from_secs(20))
            .expect("the summary at exit");
        if line.contains("invalid message on") {
            shown += 1;
        } else if line.contains("more invalid messages in that second") {
            suppressed += count_before(&line, "more");
        } else if line.contains(" received (") {
            break line;
        }
    };
    assert_eq!(count_before(&summary, "received"), received, "{summary}");
    assert_eq!(count_before(&summary, "lost"), lost_total, "{summary}");
    let invalid = count_before(&summary, "invalid),");
    assert_eq!(Some(invalid), link["invalid"].as_u64(), "{summary}");
    assert!(invalid > 0, "{summary}");
    assert!(shown <= 12, "{shown} lines of invalid messages");
    assert_eq!(
        shown + suppressed,
        invalid,
        "every invalid message shown or counted"
    );
}

/// A packet over the MQTT subscriber's 1 MiB limit cannot be read, only counted: the
/// monitor reports it as a `lost` event and on stderr, and goes on receiving.
#[test]
fn a_message_the_client_cannot_take_is_reported_lost() {
    const MQTT_PORT: u16 = 1883;
    let m = monitor(&[
        "--from",
        MQTT,
        "--json",
        "--refresh",
        "50ms",
        "--exit-after",
        "30s",
    ]);
    m.wait_subscribed(1);
    let name = unique("mon.oversized");
    let topic = format!("heartbeat/{}", name.replace('.', "/"));
    let mut child = Command::new("mosquitto_pub")
        .args([
            "-h",
            "127.0.0.1",
            "-p",
            &MQTT_PORT.to_string(),
            "-q",
            "1",
            "-t",
            &topic,
            "-s",
        ])
        .stdin(Stdio::piped())
        .spawn()
        .expect("mosquitto_pub runs (Debian's mosquitto-clients)");
    if let Some(mut stdin) = child.stdin.take() {
        use std::io::Write;
        stdin.write_all(&vec![b'x'; 2 << 20]).expect("the payload");
    }
    assert!(child.wait().expect("mosquitto_pub ends").success());
    let lost = m.next_event("lost", Duration::from_secs(15));
    assert_eq!(
        (lost["reason"].as_str(), lost["count"].as_u64()),
        (Some("oversized"), Some(1)),
        "{lost}"
    );
    assert_eq!(lost["link"], MQTT);
    m.error_about("messages lost (oversized", Duration::from_secs(5));
    // The client ended the connection to get past the packet: an outage, then the link
    // is back, and the next beat arrives.
    let up = m.next_event("link", Duration::from_secs(15));
    assert_eq!(up["state"], "up", "first subscribed: {up}");
    let down = m.next_event("link", Duration::from_secs(15));
    assert_eq!(down["state"], "down", "{down}");
    let back = m.next_event("link", Duration::from_secs(15));
    assert_eq!(back["state"], "up", "{back}");
    assert!(back["down_since"].is_string(), "{back}");
    runtime().block_on(async {
        let process = Process::new(&name).expect("a process name");
        let mut publisher = MqttPublisher::connect(&MqttConfig::new(MQTT), &process)
            .await
            .expect("connect");
        publisher
            .publish(&subject(&name), b"beat/5")
            .await
            .expect("publish");
        publisher.close().await.expect("a clean close");
    });
    let e = m.event_about(&name, Duration::from_secs(20));
    assert_eq!(changed(&e), ("-", "alive", "beat"));
}

/// A password holding every character that ends a part of a URL, raw or percent-encoded,
/// in every broker's URL: the monitor keeps trying each broker (none listens on those
/// ports), says so, and never prints the password or any piece of it.
#[test]
fn special_passwords_never_reach_the_monitor_output() {
    const PASSWORD: &str = "Pw0rd/S3c#Fr4g?Q5y@A7t:C0l%P3t";
    const ENCODED: &str = "Pw0rd%2FS3c%23Fr4g%3FQ5y%40A7t%3AC0l%25P3t";
    const PIECES: [&str; 7] = ["Pw0rd", "S3c", "Fr4g", "Q5y", "A7t", "C0l", "P3t"];
    let closed = std::net::TcpListener::bind(("127.0.0.1", 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port");
    let mut args = Vec::new();
    for scheme in ["nats", "redis", "mqtt", "amqp"] {
        for password in [PASSWORD, ENCODED] {
            args.push("--from".to_owned());
            args.push(format!("{scheme}://alice:{password}@127.0.0.1:{closed}/"));
        }
    }
    let output = Command::new(env!("CARGO_BIN_EXE_heartwire"))
        .arg("monitor")
        .args(&args)
        // MQTT's connection attempt gives up after its 5 s timeout.
        .args(["--json", "--exit-after", "7s"])
        .output()
        .expect("the binary runs");
    assert_eq!(output.status.code(), Some(0));
    let shown = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    for secret in [PASSWORD, ENCODED].into_iter().chain(PIECES) {
        assert!(!shown.contains(secret), "{secret:?} shown in:\n{shown}");
    }
    // Each of the eight links said it could not connect, and gave its summary.
    assert_eq!(shown.matches("trying again").count(), 8, "{shown}");
    assert_eq!(shown.matches(" received (").count(), 8, "{shown}");
}

/// Every ping process `/status` lists, all pages: name to its entry.
fn ping_processes(addr: &str) -> std::collections::HashMap<String, Value> {
    let mut all = std::collections::HashMap::new();
    let mut after: Option<String> = None;
    loop {
        let path = match &after {
            Some(cursor) => format!("/status?source=ping&limit=5000&after={cursor}"),
            None => "/status?source=ping&limit=5000".to_owned(),
        };
        let body = http_get(addr, &path);
        let page: Value = serde_json::from_str(&body).expect("/status is JSON");
        for p in page["processes"].as_array().expect("processes") {
            all.insert(p["name"].as_str().expect("a name").to_owned(), p.clone());
        }
        match page["next"].as_str() {
            Some(next) => after = Some(next.to_owned()),
            None => return all,
        }
    }
}

/// The monitor, listening on a free port with `--snapshot`, and its address.
fn durable_monitor(snapshot: &str) -> (Running, String) {
    let m = monitor(&["--listen", "127.0.0.1:0", "--json", "--snapshot", snapshot]);
    let addr = m.listening();
    (m, addr)
}

/// The monitor killed with SIGKILL at moments it cannot see coming, while a client pings
/// (each ping acknowledged before the next is sent), and started again from its
/// `--snapshot` each time: every acknowledged registration, with its period, and every
/// acknowledged failure is there after the restart, though no snapshot was written in
/// between (they are written every 10 s): the journal kept them.
#[test]
fn nothing_acknowledged_is_lost_to_kill_9() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(unique("journal"));
    std::fs::create_dir_all(&dir).expect("a folder");
    let file = dir.join("state.json");
    let snapshot = file.to_str().expect("UTF-8");
    let mut acknowledged: Vec<(String, bool)> = Vec::new();
    let seed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(7, |d| d.subsec_nanos());
    for round in 0..4u32 {
        let (m, addr) = durable_monitor(snapshot);
        // What the rounds before acknowledged is all here.
        let known = ping_processes(&addr);
        for (name, failed) in &acknowledged {
            let entry = known
                .get(name)
                .unwrap_or_else(|| panic!("round {round}: acknowledged {name} was lost"));
            assert_eq!(entry["period"], "Minutes(5)", "{entry}");
            if *failed {
                assert_eq!(entry["state"], "failed", "{entry}");
            }
        }
        // Ping until killed, at a moment between 150 and 650 ms from now.
        let kill_after = Duration::from_millis(150 + u64::from(seed.wrapping_mul(round + 1) % 500));
        let pid = m.child.id().to_string();
        let killer = std::thread::spawn(move || {
            std::thread::sleep(kill_after);
            let _ = Command::new("kill").args(["-9", &pid]).status();
        });
        for i in 0.. {
            let name = format!("job-{round}-{i}");
            let failed = i % 5 == 4;
            let path = if failed {
                format!("/ping/{name}/fail?period=Minutes(5)")
            } else {
                format!("/ping/{name}?period=Minutes(5)")
            };
            match try_get(&addr, &path) {
                Some((status, _)) if status.contains(" 200 ") => acknowledged.push((name, failed)),
                _ => break,
            }
            assert!(i < 100_000, "the monitor was not killed");
        }
        killer.join().expect("the killer");
        drop(m);
    }
    assert!(
        acknowledged.len() > 20,
        "only {} pings acknowledged",
        acknowledged.len()
    );
    // The last round's acknowledgements too.
    let (m, addr) = durable_monitor(snapshot);
    let known = ping_processes(&addr);
    let lost: Vec<&String> = acknowledged
        .iter()
        .map(|(name, _)| name)
        .filter(|name| !known.contains_key(*name))
        .collect();
    drop(m);
    assert!(
        lost.is_empty(),
        "{} of {} acknowledged lost: {lost:?}",
        lost.len(),
        acknowledged.len()
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// `--ping-key-file`: pings without the key are refused (401), with it in the path or
/// the header they count, and the key is never printed; a key file that is not a key is
/// a usage error that does not show it.
#[test]
fn a_ping_key_file_keeps_anonymous_pings_out() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(unique("key"));
    std::fs::create_dir_all(&dir).expect("a folder");
    let key = "Sesame-0123456789abcdefXYZ";
    let file = dir.join("key");
    std::fs::write(&file, format!("{key}\n")).expect("the key file");
    let m = monitor(&[
        "--listen",
        "127.0.0.1:0",
        "--ping-key-file",
        file.to_str().expect("UTF-8"),
        "--json",
        "--exit-after",
        "20s",
    ]);
    let (line, addr) = m.listening_line();
    assert!(!line.contains(key), "{line}");
    let name = unique("mon.keyed");
    let (status, body) = try_get(&addr, &format!("/ping/{name}")).expect("an answer");
    assert!(status.contains(" 401 "), "{status}");
    assert!(!body.contains(key), "{body}");
    let (status, _) = try_get(&addr, &format!("/ping/{key}/{name}")).expect("an answer");
    assert!(status.contains(" 200 "), "{status}");
    let e = m.event_about(&name, Duration::from_secs(10));
    assert_eq!(e["source"], "ping");

    let bad = dir.join("bad");
    std::fs::write(&bad, "short!\n").expect("a bad key file");
    let output = Command::new(env!("CARGO_BIN_EXE_heartwire"))
        .args(["monitor", "--listen", "127.0.0.1:0", "--ping-key-file"])
        .arg(&bad)
        .output()
        .expect("the binary runs");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("ping key"), "{stderr}");
    assert!(!stderr.contains("short!"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// The samples of a Prometheus text exposition as the Prometheus client's own parser
/// reads it (`tests/metrics/parse.py` in its venv), or the parser's refusal.
fn prometheus_samples(exposition: &str) -> Result<Vec<Value>, String> {
    use std::io::Write;
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("metrics-venv");
    let python = heartwire_tests::set_up_venv("tests/metrics/setup-venv.sh", &dir)
        .unwrap_or_else(|e| panic!("{e}"));
    let script = heartwire_tests::repo_root().join("tests/metrics/parse.py");
    let mut child = Command::new(python)
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python runs");
    child
        .stdin
        .take()
        .expect("piped")
        .write_all(exposition.as_bytes())
        .expect("the exposition is written");
    let output = child.wait_with_output().expect("python ends");
    if !output.status.success() {
        return Err(String::from_utf8_lossy(&output.stderr).into_owned());
    }
    Ok(String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect())
}

/// The value of the one sample named `name` whose labels include `labels`.
fn sample(samples: &[Value], name: &str, labels: &[(&str, &str)]) -> f64 {
    let found: Vec<&Value> = samples
        .iter()
        .filter(|s| s["name"] == name && labels.iter().all(|(k, v)| s["labels"][k] == *v))
        .collect();
    assert_eq!(found.len(), 1, "{name} {labels:?}: {found:?}");
    found[0]["value"].as_f64().expect("a number")
}

/// `GET /metrics` is what Prometheus scrapes: the Prometheus client's parser reads the
/// whole answer, and its samples say what the monitor knows: processes by state, each
/// process's state and age, the receiver's counters and the broker link.
#[test]
fn metrics_read_by_the_prometheus_parser_say_what_the_monitor_knows() {
    // The parser is strict: a broken exposition is refused, so an answer it reads is
    // well formed.
    assert!(prometheus_samples("heartwire_x{a=\"b} 1\n").is_err());

    let m = monitor(&[
        "--listen",
        "127.0.0.1:0",
        "--from",
        NATS,
        "--json",
        "--exit-after",
        "30s",
    ]);
    let addr = m.listening();
    m.wait_subscribed(1);
    let failed = unique("mon.metrics.backup");
    let alive = unique("mon.metrics.api");
    let (status, _) = try_get(&addr, &format!("/ping/{failed}/fail")).expect("an answer");
    assert!(status.contains(" 200 "), "{status}");
    let subject = format!("heartbeat.{alive}");
    publish_nats(NATS, &subject, std::iter::once("beat/30"));
    assert_eq!(
        m.event_about(&alive, Duration::from_secs(10))["new"],
        "alive"
    );
    while m.event_about(&failed, Duration::from_secs(10))["new"] != "failed" {}

    let (status, _) = try_get(&addr, "/metrics?x=1").expect("an answer");
    assert!(status.contains(" 400 "), "{status}");
    let body = http_get(&addr, "/metrics");
    let samples = prometheus_samples(&body).unwrap_or_else(|e| panic!("{e}\n{body}"));
    let state = |source: &str, name: &str, state: &str| {
        sample(
            &samples,
            "heartwire_process_state",
            &[("source", source), ("process", name), ("state", state)],
        )
    };
    assert_eq!(state("ping", &failed, "failed"), 1.0);
    assert_eq!(state("text", &alive, "alive"), 1.0);
    let age = sample(
        &samples,
        "heartwire_process_last_signal_age_seconds",
        &[("process", &alive)],
    );
    assert!((0.0..30.0).contains(&age), "{age}");
    assert!(
        sample(
            &samples,
            "heartwire_processes",
            &[("source", "ping"), ("state", "failed")]
        ) >= 1.0
    );
    assert_eq!(sample(&samples, "heartwire_processes_unlisted", &[]), 0.0);
    assert_eq!(sample(&samples, "heartwire_http_pings_total", &[]), 1.0);
    // One refused request so far: the `?x=1`.
    assert_eq!(sample(&samples, "heartwire_http_refused_total", &[]), 1.0);
    let link = [("link", NATS)];
    assert_eq!(sample(&samples, "heartwire_link_up", &link), 1.0);
    assert!(sample(&samples, "heartwire_link_received_total", &link) >= 1.0);
    assert_eq!(
        sample(
            &samples,
            "heartwire_link_lost_total",
            &[("link", NATS), ("reason", "overflow")]
        ),
        0.0
    );
    // Counters as the format wants them: the family without `_total`, typed counter.
    let pings = samples
        .iter()
        .find(|s| s["name"] == "heartwire_http_pings_total")
        .expect("the pings");
    assert_eq!(pings["type"], "counter");
}
