//! The seed's Reventless Scheduler (`shared/seeds/002`) end to end: `heartwire schedule
//! run` as a user runs it, schedules created and deleted through its control API, their
//! payloads received by real subscribers on NATS (the client of heartwire-nats, on a
//! subject that is not `heartbeat.*`) and MQTT (`mosquitto_sub`), a `kill -9` and
//! restarts that neither fire twice nor skip a fire, and bad documents and oversized
//! requests refused.
//!
//! Rates are whole minutes (the framework's smallest is `Minutes(1)`, EventBridge's
//! `rate(1 minute)`), so the durability test waits for three minute boundaries: about
//! three minutes, every wait bounded.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use futures_util::StreamExt;
use heartwire::time::Timestamp;
use heartwire_nats::{NatsConfig, NatsPublisher};
use serde_json::Value;

const NATS: &str = "nats://127.0.0.1:4222";
const MQTT_PORT: &str = "1883";

/// A token no other run or test uses: letters, digits and `_`.
fn unique(tag: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!("{tag}_{}_{nanos}", std::process::id())
}

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(unique(tag));
    std::fs::create_dir_all(&dir).expect("a temporary folder");
    dir
}

/// `heartwire schedule run`, running; its stdout and stderr lines arrive on channels.
struct Scheduler {
    child: Child,
    lines: mpsc::Receiver<String>,
    errors: mpsc::Receiver<String>,
    api: String,
}

fn lines_of(stream: impl Read + Send + 'static) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    rx
}

impl Scheduler {
    fn start(args: &[&str]) -> Scheduler {
        let mut child = Command::new(env!("CARGO_BIN_EXE_heartwire"))
            .args(["schedule", "run", "--listen", "127.0.0.1:0"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary runs");
        let lines = lines_of(child.stdout.take().expect("piped"));
        let errors = lines_of(child.stderr.take().expect("piped"));
        let started = errors
            .recv_timeout(Duration::from_secs(20))
            .expect("the scheduler says where its API is");
        let api = started
            .split("http://")
            .nth(1)
            .and_then(|rest| rest.split('/').next())
            .unwrap_or_else(|| panic!("no API address in {started:?}"))
            .to_owned();
        Scheduler {
            child,
            lines,
            errors,
            api,
        }
    }

    fn call(&self, method: &str, path: &str, body: &[u8]) -> (u16, Value) {
        http(&self.api, method, path, body)
    }

    /// The next fire line, within `bound`.
    fn fired(&self, bound: Duration) -> Value {
        let line = self
            .lines
            .recv_timeout(bound)
            .unwrap_or_else(|_| panic!("no fire within {bound:?}"));
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON: {line:?}: {e}"))
    }

    /// Every fire line within `bound`, until `count` of them.
    fn fires(&self, count: usize, bound: Duration) -> Vec<Value> {
        let deadline = Instant::now() + bound;
        (0..count)
            .map(|_| self.fired(deadline.saturating_duration_since(Instant::now())))
            .collect()
    }

    /// `kill -9`: no goodbye, no last write. Returns what it said on stderr since it
    /// started.
    fn kill(mut self) -> Vec<String> {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.errors.try_iter().collect()
    }
}

impl Drop for Scheduler {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One HTTP/1.1 request on a connection of its own; the status and the JSON body.
fn http(addr: &str, method: &str, path: &str, body: &[u8]) -> (u16, Value) {
    let mut stream = TcpStream::connect(addr).expect("the API accepts");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("a timeout");
    let head = format!(
        "{method} {path} HTTP/1.1\r\nhost: {addr}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).expect("the head is sent");
    // The server may answer (413) before taking the whole body.
    let _ = stream.write_all(body);
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let answer = String::from_utf8_lossy(&answer);
    let status = answer
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status in {answer:?}"));
    let body = answer.split("\r\n\r\n").nth(1).unwrap_or("").trim();
    let json = if body.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON: {body:?}: {e}"))
    };
    (status, json)
}

/// Messages a real subscriber received, with when.
type Received = mpsc::Receiver<(String, SystemTime)>;

/// Subscribes to a NATS subject with the NATS client; returns once subscribed.
fn nats_subscriber(subject: &str) -> Received {
    nats_subscriber_at(NATS, subject)
}

/// Subscribes to a subject of the NATS server at `url`; returns once subscribed.
fn nats_subscriber_at(url: &str, subject: &str) -> Received {
    let url = url.to_owned();
    let (tx, rx) = mpsc::channel();
    let (ready, subscribed) = mpsc::channel();
    let subject = subject.to_owned();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        rt.block_on(async move {
            let publisher = NatsPublisher::connect(&NatsConfig::new(url))
                .await
                .expect("NATS runs");
            let mut sub = publisher
                .client()
                .subscribe(subject)
                .await
                .expect("subscribed");
            publisher.client().flush().await.expect("flushed");
            let _ = ready.send(());
            while let Some(message) = sub.next().await {
                let text = String::from_utf8_lossy(&message.payload).into_owned();
                if tx.send((text, SystemTime::now())).is_err() {
                    break;
                }
            }
        });
    });
    subscribed
        .recv_timeout(Duration::from_secs(20))
        .expect("subscribed to NATS");
    rx
}

/// `mosquitto_sub` on an MQTT topic, as a user would watch it.
struct MqttSubscriber {
    child: Child,
    received: Received,
}

impl Drop for MqttSubscriber {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn mqtt_subscriber(topic: &str) -> MqttSubscriber {
    let mut child = Command::new("mosquitto_sub")
        .args(["-h", "127.0.0.1", "-p", MQTT_PORT, "-q", "1", "-t", topic])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("mosquitto_sub runs (apt-get install mosquitto-clients)");
    let lines = lines_of(child.stdout.take().expect("piped"));
    // Subscribed once a probe published after it comes back (its debug output is
    // buffered when piped); probes are not messages of the test.
    let deadline = Instant::now() + Duration::from_secs(20);
    'subscribed: loop {
        assert!(Instant::now() < deadline, "mosquitto_sub subscribes");
        let _ = Command::new("mosquitto_pub")
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                MQTT_PORT,
                "-q",
                "1",
                "-t",
                topic,
                "-m",
                "probe",
            ])
            .status();
        while let Ok(line) = lines.recv_timeout(Duration::from_millis(300)) {
            if line == "probe" {
                break 'subscribed;
            }
        }
    }
    let (tx, received) = mpsc::channel();
    std::thread::spawn(move || {
        for line in lines {
            if line == "probe" {
                continue;
            }
            if tx.send((line, SystemTime::now())).is_err() {
                break;
            }
        }
    });
    MqttSubscriber { child, received }
}

fn instant(text: &Value) -> SystemTime {
    let text = text
        .as_str()
        .unwrap_or_else(|| panic!("not a time: {text}"));
    let t = Timestamp::parse(text)
        .unwrap_or_else(|e| panic!("{text}: {e}"))
        .unix_time();
    UNIX_EPOCH + Duration::from_secs(u64::try_from(t.secs()).expect("after 1970"))
}

/// Everything a subscriber received within `bound`.
fn drain(received: &Received, bound: Duration) -> Vec<(String, SystemTime)> {
    let deadline = Instant::now() + bound;
    let mut all = Vec::new();
    while let Ok(m) = received.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
        all.push(m);
    }
    all
}

fn write(path: &Path, text: &str) {
    std::fs::write(path, text).expect("written");
}

#[test]
fn schedules_fire_to_nats_and_mqtt_and_survive_kill_9_without_firing_twice_or_skipping() {
    let token = unique("sched");
    let dir = temp_dir("heartwire-schedule-run");
    let state = dir.join("state.json");
    let state_arg = state.to_str().expect("a UTF-8 path");
    // Not heartbeat.*: the subject of a command topic, as the seed's schedules target.
    let subject = format!("orders.{token}.process");
    let topic = format!("reports/{token}/daily");
    let gone_subject = format!("gone.{token}");
    let nats = nats_subscriber(&subject);
    let gone = nats_subscriber(&gone_subject);
    let mqtt = mqtt_subscriber(&topic);

    // One schedule from a file, to the default --to; one created through the API with
    // its own target on another broker; one created and deleted.
    let file = dir.join("schedules.jsonl");
    let tick = format!("tick-{token}");
    write(
        &file,
        &format!(
            "{{\"name\":\"{tick}\",\"rate\":\"Minutes(1)\",\"payload\":\"{{\\\"aggregateId\\\":\\\"order-processor\\\",\\\"command\\\":\\\"ProcessPendingOrders\\\"}}\"}}\n"
        ),
    );
    let file_arg = file.to_str().expect("a UTF-8 path");
    let to = format!("{NATS}#{subject}");
    let args = [
        file_arg,
        "--to",
        &to,
        "--state",
        state_arg,
        "--process",
        &token,
    ];
    let run = Scheduler::start(&args);

    let report = format!("report-{token}");
    let created = serde_json::json!({
        "name": report,
        "rate": {"TAG": "Minutes", "_0": 1},
        "payload": "{\"type\":\"GenerateReport\"}",
        "target": format!("mqtt://127.0.0.1:{MQTT_PORT}#{topic}"),
    });
    let (status, body) = run.call("POST", "/schedules", created.to_string().as_bytes());
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["rate"], "Minutes(1)");
    assert_eq!(body["expression"], "rate(1 minute)");
    let doomed = format!("doomed-{token}");
    let doc = format!(
        "{{\"name\":\"{doomed}\",\"rate\":\"Minutes(1)\",\"payload\":\"x\",\"target\":\"#{gone_subject}\"}}"
    );
    let (status, body) = run.call("POST", "/schedules", doc.as_bytes());
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["target"], format!("{NATS}#{gone_subject}"));
    let (status, _) = run.call("DELETE", &format!("/schedules/{doomed}"), b"");
    assert_eq!(status, 204);
    let (status, _) = run.call("DELETE", &format!("/schedules/{doomed}"), b"");
    assert_eq!(status, 404);
    let (status, list) = run.call("GET", "/schedules", b"");
    assert_eq!(status, 200);
    let names: Vec<&str> = list["schedules"]
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|s| s["name"].as_str())
        .collect();
    assert_eq!(names, [report.as_str(), tick.as_str()]);
    // Counted from creation, truncated to the minute: the next whole minute.
    let next = instant(&list["schedules"][0]["next"]);
    let first_due = next;

    // The first fire of each, on time, at the next minute.
    let fires = run.fires(2, Duration::from_secs(75));
    for fire in &fires {
        assert_eq!(instant(&fire["due"]), first_due, "{fire}");
    }
    let (payload, at) = nats
        .recv_timeout(Duration::from_secs(10))
        .expect("the NATS subscriber received the payload");
    assert_eq!(
        payload,
        "{\"aggregateId\":\"order-processor\",\"command\":\"ProcessPendingOrders\"}"
    );
    assert!(
        at >= first_due && at < first_due + Duration::from_secs(5),
        "{at:?}"
    );
    let (payload, at) = mqtt
        .received
        .recv_timeout(Duration::from_secs(10))
        .expect("mosquitto_sub received the payload");
    assert_eq!(payload, "{\"type\":\"GenerateReport\"}");
    assert!(
        at >= first_due && at < first_due + Duration::from_secs(5),
        "{at:?}"
    );

    // kill -9 right after a fire, restarted at once: the fire is not repeated.
    run.kill();
    let run = Scheduler::start(&args);
    if let Ok(line) = run.lines.recv_timeout(Duration::from_secs(3)) {
        panic!("fired again after a restart: {line}");
    }
    assert_eq!(drain(&nats, Duration::from_millis(200)), []);
    // kill -9 again, and stay down over the next fire time: on restart it fires once,
    // late, for that fire time, then on time.
    run.kill();
    let second_due = first_due + Duration::from_secs(60);
    let down_until = second_due + Duration::from_secs(3);
    if let Ok(wait) = down_until.duration_since(SystemTime::now()) {
        std::thread::sleep(wait);
    }
    let run = Scheduler::start(&args);
    let late = run.fires(2, Duration::from_secs(10));
    for fire in &late {
        assert_eq!(instant(&fire["due"]), second_due, "{fire}");
    }
    let third = run.fires(2, Duration::from_secs(70));
    for fire in &third {
        assert_eq!(
            instant(&fire["due"]),
            second_due + Duration::from_secs(60),
            "{fire}"
        );
    }
    let said = run.kill();
    assert!(said.is_empty(), "errors: {said:?}");

    // Each subscriber received exactly the three fires, and the deleted schedule never
    // fired.
    let nats_rest = drain(&nats, Duration::from_secs(1));
    assert_eq!(nats_rest.len(), 2, "{nats_rest:?}");
    let mqtt_rest = drain(&mqtt.received, Duration::from_secs(1));
    assert_eq!(mqtt_rest.len(), 2, "{mqtt_rest:?}");
    assert_eq!(drain(&gone, Duration::from_millis(200)), []);
    // Killed with an MQTT connection open, the scheduler left no retained presence
    // (no Will `offline` for a process its MQTT connections never spoke for).
    let retained = retained_presence(&token);
    assert_eq!(retained, Vec::<String>::new());
    let _ = std::fs::remove_dir_all(&dir);
}

/// The retained presence messages (`heartbeat-presence/#`, as `TOPIC PAYLOAD`) whose
/// topic holds `token`.
fn retained_presence(token: &str) -> Vec<String> {
    let out = Command::new("mosquitto_sub")
        .args([
            "-h",
            "127.0.0.1",
            "-p",
            MQTT_PORT,
            "-t",
            "heartbeat-presence/#",
            "-v",
            "--retained-only",
            "-W",
            "2",
        ])
        .output()
        .expect("mosquitto_sub runs");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| {
            l.split(' ')
                .next()
                .is_some_and(|topic| topic.contains(token))
        })
        .map(str::to_owned)
        .collect()
}

/// Runs `heartwire schedule run ARGS` expecting it to stop at start: its exit status
/// and stderr. One that keeps running is killed after 20 s, with no status.
fn run_to_exit(args: &[&str]) -> (Option<i32>, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_heartwire"))
        .args(["schedule", "run", "--listen", "127.0.0.1:0"])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let errors = lines_of(child.stderr.take().expect("piped"));
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Ok(Some(status)) = child.try_wait() {
            break status.code();
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    std::thread::sleep(Duration::from_millis(100));
    (status, errors.try_iter().collect::<Vec<_>>().join("\n"))
}

/// A version 1 state file (documents as JSON strings, still read) holding `documents`.
fn v1_state(documents: &[String]) -> String {
    let schedules: Vec<Value> = documents
        .iter()
        .map(|d| {
            serde_json::json!({
                "document": d,
                "created": "2024-01-01T00:00:00Z",
                "last_fired": null,
            })
        })
        .collect();
    serde_json::json!({"version": 1, "schedules": schedules}).to_string()
}

/// Schedules restored from the state are checked at start as a document is: a schedule
/// created without a target under one --to, restarted without --to, stops the start
/// naming the schedule instead of failing every fire for a day. And the bounds count
/// the state's schedules and the files' together.
#[test]
fn restored_schedules_and_the_bounds_are_checked_at_start() {
    let dir = temp_dir("heartwire-schedule-restored");
    let state = dir.join("state.json");
    let state_arg = state.to_str().expect("a UTF-8 path");
    let run = Scheduler::start(&["--to", "nats://127.0.0.1:4222#a.b", "--state", state_arg]);
    let (status, body) = run.call(
        "POST",
        "/schedules",
        br#"{"name":"orphan","rate":"Hours(1)","payload":"p"}"#,
    );
    assert_eq!(status, 201, "{body}");
    run.kill();
    let (status, stderr) = run_to_exit(&["--state", state_arg]);
    assert_eq!(status, Some(1), "{stderr}");
    assert!(
        stderr.contains("state.json: schedule orphan: no target"),
        "{stderr}"
    );
    // Under a --to again, it starts.
    let run = Scheduler::start(&["--to", "redis://127.0.0.1:6379#c", "--state", state_arg]);
    let (_, list) = run.call("GET", "/schedules", b"");
    assert_eq!(list["schedules"][0]["target"], "redis://127.0.0.1:6379#c");
    drop(run);

    // 600 schedules in the state and 401 in a file: 1001 together.
    let doc = |i: usize, payload: &str| {
        format!("{{\"name\":\"s{i}\",\"rate\":\"Days(1)\",\"payload\":\"{payload}\"}}")
    };
    let documents: Vec<String> = (0..600).map(|i| doc(i, "p")).collect();
    write(&state, &v1_state(&documents));
    let file = dir.join("more.jsonl");
    let lines: Vec<String> = (600..1001).map(|i| doc(i, "p")).collect();
    write(&file, &lines.join("\n"));
    let file_arg = file.to_str().expect("a UTF-8 path");
    let to = ["--to", "nats://127.0.0.1:4222#a.b"];
    let (status, stderr) = run_to_exit(&[to[0], to[1], "--state", state_arg, file_arg]);
    assert_eq!(status, Some(1), "{stderr}");
    assert!(
        stderr.contains("hold 1001 schedules together, expected at most 1000"),
        "{stderr}"
    );
    // 100 documents of 64000 bytes in the state, 32 in the file: over 8 MiB together.
    let big = "x".repeat(64_000);
    let documents: Vec<String> = (0..100).map(|i| doc(i, &big)).collect();
    write(&state, &v1_state(&documents));
    let lines: Vec<String> = (100..132).map(|i| doc(i, &big)).collect();
    write(&file, &lines.join("\n"));
    let (status, stderr) = run_to_exit(&[to[0], to[1], "--state", state_arg, file_arg]);
    assert_eq!(status, Some(1), "{stderr}");
    assert!(
        stderr.contains("bytes of schedule documents together, expected at most 8388608"),
        "{stderr}"
    );
    // Files alone, without a state, are bounded the same way.
    let lines: Vec<String> = (0..132).map(|i| doc(i, &big)).collect();
    write(&file, &lines.join("\n"));
    let (status, stderr) = run_to_exit(&[to[0], to[1], file_arg]);
    assert_eq!(status, Some(1), "{stderr}");
    assert!(
        stderr.contains("schedule run: the files hold ")
            && stderr.contains("bytes of schedule documents together"),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A fire is reported only once the state holding it is written (§13.4): while the
/// state file cannot be written, the fire is published but not reported, the failure
/// is said on stderr, and the write is tried again until it succeeds; then the fire is
/// reported, once.
#[test]
fn a_fire_is_reported_only_once_the_state_holds_it() {
    let token = unique("unsaved");
    let dir = temp_dir("heartwire-schedule-unsaved");
    let state = dir.join("state.json");
    let state_arg = state.to_str().expect("a UTF-8 path");
    let subject = format!("unsaved.{token}");
    let received = nats_subscriber(&subject);
    let run = Scheduler::start(&["--to", &format!("{NATS}#{subject}"), "--state", state_arg]);
    let doc = format!("{{\"name\":\"u-{token}\",\"rate\":\"Minutes(1)\",\"payload\":\"kept\"}}");
    let (status, body) = run.call("POST", "/schedules", doc.as_bytes());
    assert_eq!(status, 201, "{body}");
    let due = instant(&body["next"]);
    // A folder where the state file goes: it cannot be renamed into place.
    std::fs::remove_file(&state).expect("the state was written");
    std::fs::create_dir(&state).expect("a folder");
    write(&state.join("in-the-way"), "x");
    let said = run
        .errors
        .recv_timeout(Duration::from_secs(75))
        .expect("the failed write is said");
    assert!(said.contains("cannot write it"), "{said}");
    let (payload, _) = received
        .recv_timeout(Duration::from_secs(10))
        .expect("the fire was published");
    assert_eq!(payload, "kept");
    std::thread::sleep(Duration::from_secs(2));
    if let Ok(line) = run.lines.try_recv() {
        panic!("reported before it was saved: {line}");
    }
    std::fs::remove_dir_all(&state).expect("the folder removed");
    let fire = run.fired(Duration::from_secs(5));
    assert_eq!(instant(&fire["due"]), due, "{fire}");
    let again = run
        .errors
        .recv_timeout(Duration::from_secs(1))
        .expect("the write is said to work again");
    assert!(again.contains("written again"), "{again}");
    let kept: Value =
        serde_json::from_str(&std::fs::read_to_string(&state).expect("a state")).expect("JSON");
    let last = &kept["schedules"][0]["last_fired"];
    assert_eq!(instant(last), due, "{kept}");
    let said = run.kill();
    assert!(said.is_empty(), "{said:?}");
    assert_eq!(drain(&received, Duration::from_millis(200)), []);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_documents_exit_1_naming_where_and_oversized_requests_are_refused() {
    let dir = temp_dir("heartwire-schedule-bad");
    let file = dir.join("bad.jsonl");
    write(
        &file,
        "{\"name\":\"ok\",\"rate\":\"Daily(9,0)\",\"payload\":\"x\"}\n\n{\"name\":\"daily\",\"rate\":\"Daily(24,0)\",\"payload\":\"x\"}\n",
    );
    let out = Command::new(env!("CARGO_BIN_EXE_heartwire"))
        .args(["schedule", "run", "--to", "nats://127.0.0.1:4222#a.b"])
        .arg(&file)
        .output()
        .expect("the binary runs");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("bad.jsonl:3: at byte 30 (rate): expected an hour 0-23"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());

    // No target at all, and a target with credentials: refused before running.
    let file = dir.join("untargeted.jsonl");
    write(
        &file,
        "{\"name\":\"a\",\"rate\":\"Hours(1)\",\"payload\":\"x\"}\n",
    );
    let out = Command::new(env!("CARGO_BIN_EXE_heartwire"))
        .args(["schedule", "run"])
        .arg(&file)
        .output()
        .expect("the binary runs");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("untargeted.jsonl:1: no target"));

    // A state file that is not one: refused at start, naming it and where.
    let state = dir.join("state.json");
    write(&state, "{\"version\":1,\"schedules\":[{\"document\":\"{}\"");
    let out = Command::new(env!("CARGO_BIN_EXE_heartwire"))
        .args([
            "schedule",
            "run",
            "--to",
            "nats://127.0.0.1:4222#a.b",
            "--state",
        ])
        .arg(&state)
        .output()
        .expect("the binary runs");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("state.json: EOF while parsing") && stderr.contains("column"),
        "{stderr}"
    );

    let run = Scheduler::start(&["--to", "redis://:s3cret@127.0.0.1:6379#x"]);
    let long = "a".repeat(70 * 1024);
    let (status, body) = run.call("POST", "/schedules", long.as_bytes());
    assert_eq!(status, 413, "{body}");
    let (status, body) = run.call(
        "POST",
        "/schedules",
        br#"{"name":"x","rate":"Minutes(0)","payload":"p"}"#,
    );
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["class"], "json.value");
    assert_eq!(body["path"], "rate");
    assert_eq!(body["offset"], 28);
    let name = "n".repeat(65);
    let doc = format!("{{\"name\":\"{name}\",\"rate\":\"Minutes(5)\",\"payload\":\"p\"}}");
    let (status, body) = run.call("POST", "/schedules", doc.as_bytes());
    assert_eq!(
        (status, &body["path"]),
        (400, &Value::from("name")),
        "{body}"
    );
    let (status, body) = run.call(
        "POST",
        "/schedules",
        br#"{"name":"x","rate":"Minutes(5)","payload":"p","target":"nats://u:hunter2@127.0.0.1:4222#a"}"#,
    );
    assert_eq!(status, 400, "{body}");
    assert!(!body.to_string().contains("hunter2"), "{body}");
    let (status, _) = run.call("PUT", "/schedules", b"");
    assert_eq!(status, 405);
    let (status, _) = run.call("GET", "/other", b"");
    assert_eq!(status, 404);
    // The listing never shows --to's password.
    let (status, body) = run.call(
        "POST",
        "/schedules",
        br#"{"name":"x","rate":"Minutes(5)","payload":"p"}"#,
    );
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["target"], "redis://***@127.0.0.1:6379#x");
    let (_, list) = run.call("GET", "/schedules", b"");
    assert!(!list.to_string().contains("s3cret"), "{list}");
    // rate() counts from the creation, truncated to its minute, not from the epoch
    // (which would fire Hours(5) at 00:00, 05:00, ... of the epoch's count).
    let (status, body) = run.call(
        "POST",
        "/schedules",
        br#"{"name":"phase","rate":"Hours(5)","payload":"p"}"#,
    );
    assert_eq!(status, 201, "{body}");
    let created = instant(&body["created"]);
    let minute = created
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() / 60 * 60)
        .expect("after 1970");
    assert_eq!(
        instant(&body["next"]),
        UNIX_EPOCH + Duration::from_secs(minute + 5 * 3600),
        "{body}"
    );
    // The schedule count is bounded: 1000 in all, the 1001st refused.
    for i in 2..1000 {
        let doc = format!("{{\"name\":\"s{i}\",\"rate\":\"Days(1)\",\"payload\":\"p\"}}");
        let (status, body) = run.call("POST", "/schedules", doc.as_bytes());
        assert_eq!(status, 201, "{i}: {body}");
    }
    let (status, body) = run.call(
        "POST",
        "/schedules",
        br#"{"name":"one-more","rate":"Days(1)","payload":"p"}"#,
    );
    assert_eq!(status, 507, "{body}");
    drop(run);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A host that takes connections and never says a word: a publish to it fails only by
/// its timeout. Every schedule due at once that targets it costs that timeout once, not
/// once each: the second fails at once, remembered. While a publish waits on it, the
/// API answers, and SIGTERM stops the scheduler at once.
#[test]
fn a_silent_host_costs_one_timeout_per_pass_not_one_per_schedule() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    let port = listener.local_addr().expect("bound").port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming() {
            held.push(stream);
        }
    });
    let token = unique("silent");
    let run = Scheduler::start(&["--to", &format!("nats://127.0.0.1:{port}#silent.{token}")]);
    for name in ["a", "b"] {
        let doc =
            format!("{{\"name\":\"{name}-{token}\",\"rate\":\"Minutes(1)\",\"payload\":\"p\"}}");
        let (status, body) = run.call("POST", "/schedules", doc.as_bytes());
        assert_eq!(status, 201, "{body}");
    }
    let first = run
        .errors
        .recv_timeout(Duration::from_secs(90))
        .expect("the first fire fails");
    assert!(first.contains("not published"), "{first}");
    let second = run
        .errors
        .recv_timeout(Duration::from_secs(2))
        .unwrap_or_else(|_| panic!("the second fire waited for a timeout of its own"));
    assert!(second.contains("not published"), "{second}");
    assert!(run.lines.try_recv().is_err());
    // Their retry (due at once) waits on the silent host again; SIGTERM meanwhile stops
    // the scheduler at once, not after the publish's timeout.
    std::thread::sleep(Duration::from_millis(1500));
    // The API answers meanwhile, without waiting for the publish.
    let asked = Instant::now();
    let (status, list) = run.call("GET", "/schedules", b"");
    assert_eq!(status, 200, "{list}");
    assert!(
        asked.elapsed() < Duration::from_secs(1),
        "the API answered after {:?}",
        asked.elapsed()
    );
    let mut run = run;
    let asked = Instant::now();
    let killed = Command::new("kill")
        .args(["-TERM", &run.child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(killed.success());
    let status = loop {
        if let Ok(Some(status)) = run.child.try_wait() {
            break status;
        }
        assert!(
            asked.elapsed() < Duration::from_secs(2),
            "still running {:?} after SIGTERM",
            asked.elapsed()
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "{status:?}");
}

/// A NATS server of this test's own, on a port of its own, killed when dropped.
struct PrivateNats(Child);

impl Drop for PrivateNats {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn a_fire_the_broker_cannot_take_is_tried_again_until_it_is_published() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port");
    let url = format!("nats://127.0.0.1:{port}");
    let token = unique("retry");
    let subject = format!("retry.{token}");
    // No server on the port yet: the fire at the next minute fails, and is retried.
    let run = Scheduler::start(&["--to", &format!("{url}#{subject}")]);
    let doc = format!(
        "{{\"name\":\"r-{token}\",\"rate\":\"Minutes(1)\",\"payload\":\"late but whole\"}}"
    );
    let (status, body) = run.call("POST", "/schedules", doc.as_bytes());
    assert_eq!(status, 201, "{body}");
    let due = instant(&body["next"]);
    let failed = run
        .errors
        .recv_timeout(Duration::from_secs(75))
        .expect("the failed publish is reported");
    assert!(failed.contains("not published"), "{failed}");
    assert!(run.lines.try_recv().is_err(), "nothing was reported fired");
    let server = PrivateNats(
        Command::new("nats-server")
            .args(["-a", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nats-server runs"),
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    let received = loop {
        assert!(Instant::now() < deadline, "nats-server starts");
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break nats_subscriber_at(&url, &subject);
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let fire = run.fired(Duration::from_secs(40));
    assert_eq!(instant(&fire["due"]), due, "{fire}");
    let (payload, _) = received
        .recv_timeout(Duration::from_secs(10))
        .expect("the retried fire arrives");
    assert_eq!(payload, "late but whole");
    drop(run);
    drop(server);
}

/// A build without the `sqs` feature (the default) refuses an SQS queue as a target when
/// it is read, as `--to` (exit status 1, as every command refuses a broker it was built
/// without) and in a document (`FILE:LINE:`), naming the feature: not at each fire,
/// where it would be retried for a day. (`seed_reventless_scheduler_sqs` fires to one.)
#[cfg(not(feature = "sqs"))]
#[test]
fn an_sqs_target_is_refused_when_read_by_a_build_without_the_feature() {
    let queue = "sqs+http://127.0.0.1:9/123456789012/orders.fifo?region=us-east-1";
    let out = Command::new(env!("CARGO_BIN_EXE_heartwire"))
        .args(["schedule", "run", "--to", queue])
        .output()
        .expect("the binary runs");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--to: target sqs+http://127.0.0.1:9/123456789012/orders.fifo?***: this heartwire was built without the `sqs` feature")
            && stderr.contains("--features sqs"),
        "{stderr}"
    );
    let dir = temp_dir("heartwire-schedule-unbuilt");
    let file = dir.join("queue.jsonl");
    write(
        &file,
        &format!(
            "{{\"name\":\"q\",\"rate\":\"Hours(1)\",\"payload\":\"x\",\"target\":\"{queue}\"}}\n"
        ),
    );
    let out = Command::new(env!("CARGO_BIN_EXE_heartwire"))
        .args(["schedule", "run", "--to", "nats://127.0.0.1:4222#a.b"])
        .arg(&file)
        .output()
        .expect("the binary runs");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("queue.jsonl:1: target sqs+http://") && stderr.contains("`sqs` feature"),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
