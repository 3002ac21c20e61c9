//! `heartwire monitor --alert-*` against a real webhook receiver: a small HTTP server of
//! this test on 127.0.0.1, which records every request and answers what the test says.
//! Each change that matters is one notification, also across a `kill -9` of the
//! monitor; a receiver that keeps failing gets a bounded number of attempts while the
//! monitor's events keep flowing; the URLs' secrets never appear in the monitor's output.

mod hooks;
mod running;

use std::collections::{HashMap, HashSet};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};

use std::time::{Duration, Instant};

use hooks::{Hooks, Received};
use running::{Running, unique};
use serde_json::Value;

/// `heartwire monitor` listening on a free port, printing JSON lines, with `args`.
fn monitor(args: &[&str]) -> Running {
    let mut all = vec!["--listen", "127.0.0.1:0", "--json", "--refresh", "50ms"];
    all.extend(args);
    Running::monitor(&all)
}

/// A request to the monitor's receiver; the status line.
fn request(addr: &str, method: &str, path: &str, body: &str) -> String {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    write!(
        stream,
        "{method} {path} HTTP/1.0\r\nHost: {addr}\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .expect("send");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("read");
    let status = answer.lines().next().unwrap_or("").to_owned();
    assert!(status.contains(" 200 "), "{method} {path}: {answer}");
    status
}

fn beat(addr: &str, process: &str) {
    request(
        addr,
        "POST",
        "/beat",
        &format!("heartbeat.{process} beat/1"),
    );
}

fn ping(addr: &str, path: &str) {
    request(addr, "GET", path, "");
}

/// The committed schema of the body, compiled with format checks.
fn alert_schema() -> jsonschema::Validator {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../spec/schema/alert.schema.json");
    let text = std::fs::read_to_string(&path).expect("spec/schema/alert.schema.json");
    let schema: Value = serde_json::from_str(&text).expect("JSON");
    jsonschema::draft202012::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("the schema compiles")
}

fn temp_dir(tag: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(unique(tag));
    std::fs::create_dir_all(&dir).expect("a folder");
    dir
}

/// (kind, process, new) of a body.
fn what(body: &Value) -> (String, String, String) {
    let s = |v: &Value| v.as_str().unwrap_or("?").to_owned();
    (
        s(&body["kind"]),
        s(&body["event"]["process"]),
        s(&body["event"]["new"]),
    )
}

/// A process beating every second dies (one alert), comes back (one), a ping job fails
/// (one) and succeeds again (one): the webhook gets exactly these four, each valid by
/// the committed schema and with its own id; the Slack URL gets four `{"text": ...}`
/// messages; the command runs four times with the alert in its environment; and neither
/// URL's secret appears in anything the monitor writes.
#[test]
fn each_change_that_matters_is_one_notification_to_every_target() {
    let hooks = Hooks::start(200);
    let dir = temp_dir("alerts");
    let webhook = hooks.url("/hook/s3cr3t-W3BH00K-t0ken?sig=pr1vate");
    let slack = hooks.url("/services/T0000/B0000/sl4ck-S3CR3T");
    let command = format!(
        "sh -c 'env | grep ^HEARTWIRE_ > \"$0/$HEARTWIRE_ALERT_ID.env\"' {}",
        dir.display()
    );
    let mut m = monitor(&[
        "--alert-webhook",
        &webhook,
        "--alert-slack",
        &slack,
        "--alert-command",
        &command,
    ]);
    let addr = m.listening();
    let api = unique("api");
    let job = unique("job");
    beat(&addr, &api);
    m.changed(&api, "dead", Duration::from_secs(8));
    hooks.wait_for("the death", Duration::from_secs(5), |r| {
        r.iter()
            .any(|r| what(&r.body) == ("down".into(), api.clone(), "dead".into()))
    });
    beat(&addr, &api);
    m.changed(&api, "alive", Duration::from_secs(5));
    ping(&addr, &format!("/ping/{job}/fail?period=Minutes(5)"));
    m.changed(&job, "failed", Duration::from_secs(5));
    ping(&addr, &format!("/ping/{job}?period=Minutes(5)"));
    m.changed(&job, "alive", Duration::from_secs(5));
    let expected = [
        ("down", api.as_str(), "dead"),
        ("up", api.as_str(), "alive"),
        ("down", job.as_str(), "failed"),
        ("up", job.as_str(), "alive"),
    ]
    .map(|(k, p, n)| (k.to_owned(), p.to_owned(), n.to_owned()));
    hooks.wait_for("four alerts at each URL", Duration::from_secs(10), |r| {
        r.iter().filter(|r| r.path.starts_with("/hook/")).count() >= 4
            && r.iter()
                .filter(|r| r.path.starts_with("/services/"))
                .count()
                >= 4
    });
    // Each target's worker reports its deliveries as `alert` events: twelve.
    let mut delivered = HashSet::new();
    for _ in 0..12 {
        let e = m.next_where("alert delivered", Duration::from_secs(10), |e| {
            e["event"] == "alert"
        });
        assert_eq!(e["outcome"], "delivered", "{e}");
        delivered.insert((
            e["target"].as_str().unwrap_or("").to_owned(),
            e["id"].clone(),
        ));
    }
    assert_eq!(delivered.len(), 12, "{delivered:?}");
    // Nothing more comes: one notification per change.
    std::thread::sleep(Duration::from_millis(1500));
    let webhooks = hooks.to("/hook/");
    let bodies: Vec<_> = webhooks
        .iter()
        .map(|r| what(&r.body))
        .filter(|(_, p, _)| *p == api || *p == job)
        .collect();
    assert_eq!(bodies, expected, "{webhooks:#?}");
    let schema = alert_schema();
    let mut ids = HashSet::new();
    for r in &webhooks {
        let errors: Vec<String> = schema.iter_errors(&r.body).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{}: {errors:?}", r.body);
        assert_eq!(r.body["version"], 1);
        assert!(
            ids.insert(r.body["id"].clone()),
            "an id twice: {webhooks:#?}"
        );
    }
    let slacks = hooks.to("/services/");
    assert_eq!(slacks.len(), 4, "{slacks:#?}");
    for r in &slacks {
        let object = r.body.as_object().expect("a JSON object");
        assert_eq!(object.keys().collect::<Vec<_>>(), ["text"], "{}", r.body);
        assert!(
            r.body["text"].as_str().is_some_and(|t| t.contains(" is ")),
            "{}",
            r.body
        );
    }
    // The command wrote its environment once per alert.
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut files: Vec<PathBuf> = Vec::new();
    while files.len() < 4 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
        files = std::fs::read_dir(&dir)
            .expect("the folder")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
    }
    assert_eq!(files.len(), 4, "{files:?}");
    let first_dead = &webhooks[0].body;
    let id = first_dead["id"].as_str().expect("an id");
    let env = std::fs::read_to_string(dir.join(format!("{id}.env"))).expect("its environment");
    let vars: HashMap<&str, &str> = env.lines().filter_map(|l| l.split_once('=')).collect();
    assert_eq!(vars.get("HEARTWIRE_PROCESS"), Some(&api.as_str()), "{env}");
    assert_eq!(vars.get("HEARTWIRE_SOURCE"), Some(&"text"), "{env}");
    assert_eq!(vars.get("HEARTWIRE_STATE"), Some(&"dead"), "{env}");
    assert_eq!(vars.get("HEARTWIRE_REASON"), Some(&"silent"), "{env}");
    assert_eq!(vars.get("HEARTWIRE_KIND"), Some(&"down"), "{env}");
    assert!(vars.contains_key("HEARTWIRE_OLD_STATE") && vars.contains_key("HEARTWIRE_AT"));
    let event: Value = serde_json::from_str(vars.get("HEARTWIRE_EVENT").expect("the event"))
        .expect("the event is JSON");
    assert_eq!(&event, first_dead);
    // The secrets of the URLs are nowhere; the URLs are shown without them.
    let _ = m.child.kill();
    let _ = m.child.wait();
    std::thread::sleep(Duration::from_millis(100));
    let output = m.output();
    for secret in ["s3cr3t", "pr1vate", "sl4ck", "T0000"] {
        assert!(!output.contains(secret), "{secret} in: {output}");
    }
    assert!(
        output.contains(&format!("webhook http://{}/hook/…", hooks.addr))
            && output.contains(&format!("slack http://{}/services/…", hooks.addr)),
        "{output}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Alerts that the receiver refused (500) when the monitor was killed with SIGKILL are
/// sent again by the restarted monitor, once each; the restored engine finds the same
/// changes again (the journal replays the beat and the ping), and they are not alerted
/// a second time.
#[test]
fn pending_alerts_survive_kill_9_and_arrive_once() {
    let hooks = Hooks::start(500);
    let dir = temp_dir("alerts-kill");
    let snapshot = dir.join("state.json");
    let snapshot = snapshot.to_str().expect("UTF-8");
    let webhook = hooks.url("/hook/k1ll-s3cret");
    let args = ["--snapshot", snapshot, "--alert-webhook", &webhook];
    let mut m = monitor(&args);
    let addr = m.listening();
    let api = unique("api");
    let job = unique("job");
    ping(&addr, &format!("/ping/{job}/fail?period=Minutes(5)"));
    beat(&addr, &api);
    m.changed(&api, "dead", Duration::from_secs(8));
    hooks.wait_for("both alerts, refused", Duration::from_secs(5), |r| {
        let seen: HashSet<_> = r.iter().map(|r| what(&r.body)).collect();
        seen.contains(&("down".into(), api.clone(), "dead".into()))
            && seen.contains(&("down".into(), job.clone(), "failed".into()))
    });
    m.kill_9();
    let refused: HashSet<Value> = hooks.all().iter().map(|r| r.body["id"].clone()).collect();
    assert_eq!(refused.len(), 2, "{:#?}", hooks.all());
    hooks.set_status(200);
    let m = monitor(&args);
    let _ = m.listening();
    hooks.wait_for("both alerts, accepted", Duration::from_secs(10), |r| {
        r.iter().filter(|r| r.status == 200).count() >= 2
    });
    // Time for a second copy, or another alert of the same death, to come if it would.
    std::thread::sleep(Duration::from_secs(3));
    let accepted: Vec<Received> = hooks
        .all()
        .into_iter()
        .filter(|r| r.status == 200)
        .collect();
    let ids: Vec<Value> = accepted.iter().map(|r| r.body["id"].clone()).collect();
    assert_eq!(ids.len(), 2, "{accepted:#?}");
    assert_eq!(
        ids.iter().cloned().collect::<HashSet<_>>(),
        refused,
        "{accepted:#?}"
    );
    assert!(
        m.output()
            .contains("2 alerts not delivered before the restart are sent again"),
        "{}",
        m.output()
    );
    // A third start: nothing is pending, nothing is sent.
    drop(m);
    let before = hooks.all().len();
    let m = monitor(&args);
    let _ = m.listening();
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(hooks.all().len(), before, "{:#?}", hooks.all());
    assert!(!m.output().contains("k1ll-s3cret"), "{}", m.output());
    drop(m);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A receiver that always answers 500 gets `--alert-attempts` attempts (3 here, 1 s and
/// 2 s apart), then the alert is reported failed, on stderr and as an `alert` event;
/// meanwhile the monitor goes on: pings sent during the retries are events at once.
#[test]
fn a_failing_receiver_gets_bounded_retries_and_never_blocks_the_monitor() {
    let hooks = Hooks::start(500);
    let webhook = hooks.url("/hook/fa1l-s3cret");
    let m = monitor(&["--alert-webhook", &webhook, "--alert-attempts", "3"]);
    let addr = m.listening();
    let job = unique("job");
    ping(&addr, &format!("/ping/{job}/fail?period=Minutes(5)"));
    m.changed(&job, "failed", Duration::from_secs(5));
    hooks.wait_for("a first attempt", Duration::from_secs(5), |r| !r.is_empty());
    // During the retries, every ping is an event within a second.
    for i in 0..8 {
        let other = format!("{job}-{i}");
        let sent = Instant::now();
        ping(&addr, &format!("/ping/{other}?period=Minutes(5)"));
        m.next_where(&format!("about {other}"), Duration::from_secs(1), |e| {
            e["event"] == "changed" && e["process"] == other.as_str()
        });
        assert!(sent.elapsed() < Duration::from_secs(1));
        std::thread::sleep(Duration::from_millis(250));
    }
    let failed = m.next_where("the alert failed", Duration::from_secs(8), |e| {
        e["event"] == "alert"
    });
    assert_eq!(failed["outcome"], "failed", "{failed}");
    assert_eq!(failed["attempts"], 3, "{failed}");
    assert_eq!(failed["error"], "HTTP 500", "{failed}");
    assert_eq!(failed["process"], job.as_str(), "{failed}");
    std::thread::sleep(Duration::from_secs(2));
    let attempts = hooks.all();
    assert_eq!(attempts.len(), 3, "{attempts:#?}");
    assert!(attempts.iter().all(|r| r.body["id"] == failed["id"]));
    let output = m.output();
    assert!(
        output.contains(&format!(
            "alert to webhook http://{}/hook/…: failed (HTTP 500)",
            hooks.addr
        )),
        "{output}"
    );
    assert!(!output.contains("fa1l-s3cret"), "{output}");
}
