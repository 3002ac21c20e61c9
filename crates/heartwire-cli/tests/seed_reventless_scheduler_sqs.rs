//! The seed's Reventless Scheduler firing to Amazon SQS (`spec/schedule.md` §13.2):
//! `heartwire schedule run`, built with the `sqs` feature and run as a user runs it with
//! credentials from the AWS environment, fires payloads to a FIFO and a standard queue
//! on moto's server mode (`tests/sqs/setup-venv.sh`, started on a free port by the test).
//! Each message is read back through moto's own API: the body is the payload unchanged,
//! a FIFO message has the group id and deduplication id the spec names, a restart with
//! `--state` does not send a fire again, and a fire sent again (the state as a kill
//! between SQS's answer and the state write leaves it) is dropped by the FIFO queue.
//!
//! About a minute: one fire is the next whole minute of a `Minutes(1)` schedule
//! (EventBridge's `rate(1 minute)`, the fastest rate there is); the others are fires
//! that passed while the runtime was down, fired at once at start (§13.4).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use heartwire::time::{Timestamp, UnixTime};
use heartwire_tests::moto::{Moto, Received};
use serde_json::Value;

const KEY_ID: &str = "AKIDSEEDSCHEDULER001";
const SECRET: &str = "s3cretSeedSchedulerKey/+xyz";

/// A token no other run or test uses: letters, digits and `-` (a schedule name and a
/// queue name both take it).
fn unique(tag: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!("{tag}-{}-{nanos}", std::process::id())
}

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(unique(tag));
    std::fs::create_dir_all(&dir).expect("a temporary folder");
    dir
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

/// The command with the credentials in its environment, as the SDK's chain reads them,
/// and nothing from this machine's AWS profile.
fn heartwire() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_heartwire"));
    command
        .env("AWS_ACCESS_KEY_ID", KEY_ID)
        .env("AWS_SECRET_ACCESS_KEY", SECRET)
        .env("AWS_CONFIG_FILE", "/nonexistent/heartwire-test")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/heartwire-test")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("AWS_REGION");
    command
}

/// `heartwire schedule run`, running; every line it prints is kept for the check that
/// no secret was shown.
struct Scheduler {
    child: Child,
    lines: mpsc::Receiver<String>,
    errors: mpsc::Receiver<String>,
    api: String,
    seen: Vec<String>,
}

impl Scheduler {
    fn start(args: &[&str]) -> Scheduler {
        let mut child = heartwire()
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
            seen: vec![started],
        }
    }

    /// The next fire line, within `bound`.
    fn fired(&mut self, bound: Duration) -> Value {
        let line = self.lines.recv_timeout(bound).unwrap_or_else(|_| {
            let errors: Vec<String> = self.errors.try_iter().collect();
            panic!("no fire within {bound:?}; stderr: {errors:?}")
        });
        self.seen.push(line.clone());
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON: {line:?}: {e}"))
    }

    /// The fire lines of `count` fires, by schedule name.
    fn fires(&mut self, count: usize, bound: Duration) -> Vec<Value> {
        let mut fires: Vec<Value> = (0..count).map(|_| self.fired(bound)).collect();
        fires.sort_by_key(|f| f["schedule"].as_str().map(str::to_owned));
        fires
    }

    /// `POST /schedules` with `body`: the status and the answer.
    fn create(&mut self, body: &str) -> (u16, Value) {
        let mut stream = TcpStream::connect(&self.api).expect("the API accepts");
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .expect("a timeout");
        let head = format!(
            "POST /schedules HTTP/1.1\r\nhost: {}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
            self.api,
            body.len()
        );
        stream.write_all(head.as_bytes()).expect("the head is sent");
        stream.write_all(body.as_bytes()).expect("the body is sent");
        let mut answer = String::new();
        let _ = stream.read_to_string(&mut answer);
        self.seen.push(answer.clone());
        let status = answer
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("no status in {answer:?}"));
        let body = answer.split("\r\n\r\n").nth(1).unwrap_or("").trim();
        let json = serde_json::from_str(body).unwrap_or_else(|e| panic!("{body:?}: {e}"));
        (status, json)
    }

    /// `kill -9`: no goodbye, no last write. Every line it printed.
    fn kill(mut self) -> Vec<String> {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let mut seen = std::mem::take(&mut self.seen);
        seen.extend(self.lines.try_iter());
        seen.extend(self.errors.try_iter());
        seen
    }
}

impl Drop for Scheduler {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn instant(text: &Value) -> UnixTime {
    let text = text
        .as_str()
        .unwrap_or_else(|| panic!("not a time: {text}"));
    Timestamp::parse(text)
        .unwrap_or_else(|e| panic!("{text}: {e}"))
        .unix_time()
}

fn no_secret_in(lines: &[String]) {
    let all = lines.join("\n");
    for secret in [KEY_ID, SECRET] {
        assert!(!all.contains(secret), "{secret} shown: {all}");
    }
}

/// The one message of the queue `queue` (its URL) moto gives now, within a few seconds.
fn one_message(moto: &Moto, queue: &str) -> Received {
    let mut messages = moto.receive(queue, 5);
    assert_eq!(messages.len(), 1, "{queue}: {messages:?}");
    messages.remove(0)
}

#[test]
fn schedules_fire_to_fifo_and_standard_queues_once_per_fire_across_restarts() {
    let moto = Moto::start(env!("CARGO_TARGET_TMPDIR"));
    let fifo = format!("{}.fifo", unique("orders-commands"));
    let standard = unique("maintenance");
    let fifo_queue = moto.create_queue(&fifo, 30);
    let standard_queue = moto.create_queue(&standard, 30);
    // Every message of a queue, waiting or in flight (received, not deleted).
    let count = |queue: &str| {
        let (waiting, in_flight) = moto.messages(queue);
        waiting + in_flight
    };
    let fifo_url = moto.url(&fifo);
    let standard_url = moto.url(&standard);

    // A runtime that was down over a fire time of each of two `Hours(1)` schedules
    // (created at this minute an hour ago, never fired: one fire time passed, this
    // minute's): one to the FIFO queue by its own target, one to the standard queue by
    // --to. Its state is as §13.4 keeps it.
    let token = unique("sqs");
    let orders = format!("orders-{token}");
    let cleanup = format!("cleanup-{token}");
    // JSON text with quotes, markup characters, non-ASCII and a line feed: sent as
    // they are.
    let payload = "{\"aggregateId\": \"order-processor\",\n \"command\": \"ProcessPendingOrders\", \"note\": \"<&> é ✓ 🙂\"}";
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_secs();
    let minute = i64::try_from(now / 60 * 60).expect("a time");
    let created = UnixTime::new(minute - 3600, 0);
    let due = UnixTime::new(minute, 0);
    let orders_doc = serde_json::json!({
        "name": orders, "rate": "Hours(1)", "payload": payload, "target": fifo_url,
    });
    let cleanup_doc = serde_json::json!({
        "name": cleanup, "rate": "Hours(1)", "payload": "{\"type\":\"CleanupTempFiles\"}",
    });
    let entries: Vec<Value> = [orders_doc, cleanup_doc]
        .iter()
        .map(|doc| {
            serde_json::json!({
                "document": doc.to_string(),
                "created": created.to_string(),
                "last_fired": null,
            })
        })
        .collect();
    let state = serde_json::json!({ "version": 1, "schedules": entries });
    let dir = temp_dir("heartwire-schedule-sqs");
    let state_path = dir.join("state.json");
    std::fs::write(&state_path, state.to_string()).expect("written");
    let before_the_fires = std::fs::read(&state_path).expect("read");
    let state_arg = state_path.to_str().expect("a UTF-8 path");
    let args = ["--state", state_arg, "--to", &standard_url];
    let mut seen = Vec::new();

    // Both fire at once, late, for the fire time that passed.
    let mut run = Scheduler::start(&args);
    let fires = run.fires(2, Duration::from_secs(30));
    assert_eq!(fires[0]["schedule"], cleanup.as_str(), "{fires:?}");
    assert_eq!(fires[1]["schedule"], orders.as_str(), "{fires:?}");
    for fire in &fires {
        assert_eq!(instant(&fire["due"]), due, "{fire}");
    }
    // The queue URL shown as every URL is (transports.md §1.6): its query hidden.
    let shown = |queue: &str| {
        format!(
            "sqs+http://127.0.0.1:{}/123456789012/{queue}?***",
            moto.port
        )
    };
    assert_eq!(fires[0]["target"], shown(&standard));
    assert_eq!(fires[1]["target"], shown(&fifo));

    // On the FIFO queue: the payload unchanged, grouped by the schedule's name,
    // deduplicated by NAME@DUE.
    let message = one_message(&moto, &fifo_queue);
    assert_eq!(message.body, payload);
    assert_eq!(message.attribute("MessageGroupId"), Some(orders.as_str()));
    let dedup = format!("{orders}@{due}");
    assert_eq!(
        message.attribute("MessageDeduplicationId"),
        Some(dedup.as_str())
    );
    // On the standard queue: the payload, and no ids.
    let message = one_message(&moto, &standard_queue);
    assert_eq!(message.body, "{\"type\":\"CleanupTempFiles\"}");
    assert_eq!(message.attribute("MessageGroupId"), None, "{message:?}");
    assert_eq!(message.attribute("MessageDeduplicationId"), None);

    // A `Minutes(1)` schedule (`rate(1 minute)`) created through the API fires on time at
    // the next minute, to the FIFO queue, in a group of its own: not held up by the
    // orders message, received and not deleted.
    let tick = format!("tick-{token}");
    let (status, body) = run.create(
        &serde_json::json!({
            "name": tick, "rate": "Minutes(1)", "payload": "tick", "target": fifo_url,
        })
        .to_string(),
    );
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["expression"], "rate(1 minute)");
    assert_eq!(body["target"], shown(&fifo));
    let next = instant(&body["next"]);
    let fire = run.fired(Duration::from_secs(75));
    assert_eq!(fire["schedule"], tick.as_str(), "{fire}");
    assert_eq!(instant(&fire["due"]), next, "{fire}");
    // The orders message may be visible again by now (its visibility timeout is 30 s).
    let ticks: Vec<Received> = moto
        .receive(&fifo_queue, 5)
        .into_iter()
        .filter(|m| m.attribute("MessageGroupId") == Some(tick.as_str()))
        .collect();
    assert_eq!(ticks.len(), 1, "{ticks:?}");
    let message = &ticks[0];
    assert_eq!(message.body, "tick");
    let tick_dedup = format!("{tick}@{next}");
    assert_eq!(
        message.attribute("MessageDeduplicationId"),
        Some(tick_dedup.as_str())
    );

    // kill -9 and restart at once with the state: nothing is sent again.
    seen.extend(run.kill());
    let run = Scheduler::start(&args);
    if let Ok(line) = run.lines.recv_timeout(Duration::from_secs(3)) {
        panic!("fired again after a restart: {line}");
    }
    assert_eq!(count(&fifo_queue), 2);
    assert_eq!(count(&standard_queue), 1);
    seen.extend(run.kill());

    // The state as a kill between SQS's answer and the state write leaves it: the two
    // fires are sent again, for the same fire time. The FIFO queue drops the repeat
    // (same deduplication id within five minutes); the standard queue cannot.
    std::fs::write(&state_path, &before_the_fires).expect("written");
    let mut run = Scheduler::start(&args);
    let again = run.fires(2, Duration::from_secs(30));
    for fire in &again {
        assert_eq!(instant(&fire["due"]), due, "{fire}");
    }
    assert_eq!(count(&fifo_queue), 2, "the repeated fire was kept");
    assert_eq!(count(&standard_queue), 2);
    let said = run.kill();
    let errors: Vec<&String> = said.iter().filter(|l| !l.starts_with('{')).collect();
    assert_eq!(errors.len(), 1, "errors: {errors:?}");
    seen.extend(said);
    no_secret_in(&seen);
    let _ = std::fs::remove_dir_all(&dir);
}

/// What SQS would refuse at every fire is refused when read, naming where: an empty
/// payload, a character SQS does not take, `#ADDRESS` after a queue URL or on a
/// default queue. No queue is needed: nothing is sent.
#[test]
fn targets_and_payloads_sqs_cannot_take_are_refused_when_read() {
    let queue = "sqs+http://127.0.0.1:9/123456789012/orders.fifo?region=us-east-1";
    let dir = temp_dir("heartwire-schedule-sqs-bad");
    let file = dir.join("schedules.jsonl");
    std::fs::write(
        &file,
        concat!(
            r#"{"name":"ok","rate":"Daily(9,0)","payload":"x"}"#,
            "\n",
            r#"{"name":"empty","rate":"Daily(9,0)","payload":""}"#,
            "\n",
            r#"{"name":"nul","rate":"Daily(9,0)","payload":"ab\u0000"}"#,
            "\n",
            r##"{"name":"addr","rate":"Daily(9,0)","payload":"x","target":"#orders"}"##,
            "\n",
            r##"{"name":"nats","rate":"Daily(9,0)","payload":"","target":"nats://127.0.0.1:4222#a.b"}"##,
            "\n",
        ),
    )
    .expect("written");
    let out = heartwire()
        .args(["schedule", "run", "--to", queue])
        .arg(&file)
        .output()
        .expect("the binary runs");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    for said in [
        "schedules.jsonl:2: payload: empty",
        "schedules.jsonl:3: payload: U+0000 at byte 2",
        "schedules.jsonl:4: target \"#ADDRESS\": the --to target is an SQS queue",
    ] {
        assert!(stderr.contains(said), "{said}: {stderr}");
    }
    // Line 1 is fine, and an empty payload goes to a broker.
    assert_eq!(stderr.lines().count(), 3, "{stderr}");

    let out = heartwire()
        .args(["schedule", "run", "--to", &format!("{queue}#orders")])
        .output()
        .expect("the binary runs");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("the queue URL alone, without #ADDRESS") && !stderr.contains("us-east-1"),
        "{stderr}"
    );

    // A schedule of the state is checked against the current --to as a document is:
    // an empty payload, fine on the broker it was created for, cannot go to a queue.
    let state = dir.join("state.json");
    std::fs::write(
        &state,
        r#"{"version":2,"schedules":[{"document":{"name":"empty","rate":"Daily(9,0)","payload":""},"created":"2024-01-01T00:00:00Z","last_fired":null}]}"#,
    )
    .expect("written");
    let out = heartwire()
        .args([
            "schedule",
            "run",
            "--listen",
            "127.0.0.1:0",
            "--exit-after",
            "5s",
        ])
        .args(["--to", queue, "--state"])
        .arg(&state)
        .output()
        .expect("the binary runs");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("state.json: schedule empty: payload: empty"),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
