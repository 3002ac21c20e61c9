//! Seed 001 (the tracker services' heartbeat system and its monitor script) end to end,
//! against the Redis server on 127.0.0.1:6379: `heartwire record` publishes liveness
//! records for a real process on both channel conventions, `heartwire monitor --from
//! redis://...` shows their uptime, count, memory, CPU and members in `/status` and in
//! its table, a record published by a plain Redis client (`redis-cli`) in the exact shape
//! of the seed's services is shown the same way, and a killed publisher's service goes
//! late, then dead, by the record rules (spec/record.md §10).

mod running;
mod web;

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use running::unique;
use serde_json::Value;
use web::{Monitor, eventually};

const REDIS: &str = "redis://127.0.0.1:6379";

/// A child process killed (and reaped) when dropped.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The time now as Python's `datetime.now(timezone.utc).isoformat()` writes it.
fn python_now() -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970");
    let time = heartwire::time::UnixTime::new(
        i64::try_from(now.as_secs()).expect("in range"),
        now.subsec_nanos(),
    );
    heartwire::time::Timestamp::from_unix_micros(time)
        .as_str()
        .to_owned()
}

/// The seed's example record for `service`, as its `HeartbeatPublisher` sends it
/// (`json.dumps` of a dict: `", "` and `": "` between tokens), stamped now.
fn seed_record(service: &str) -> String {
    format!(
        r#"{{"service_name": "{service}", "instance_id": "a1b2c3d4-e5f6-7890-abcd-ef1234567890", "timestamp": "{}", "uptime_seconds": 4320.5, "heartbeat_count": 72, "memory_usage_mb": 156.3, "cpu_usage_percent": 12.5, "queue_size": 1380, "last_successful_operation": "2025-01-16T08:29:45.123456+00:00", "api_status": "authenticated"}}"#,
        python_now()
    )
}

/// `redis-cli PUBLISH channel payload`: a plain Redis client, not heartwire's.
fn redis_cli_publish(channel: &str, payload: &str) {
    let out = Command::new("redis-cli")
        .args(["-u", REDIS, "PUBLISH", channel, payload])
        .output()
        .expect("redis-cli runs");
    assert!(out.status.success(), "redis-cli: {out:?}");
}

/// Waits until the monitor's Redis link is subscribed.
fn wait_subscribed(monitor: &Monitor) {
    eventually("the Redis link up", Duration::from_secs(20), || {
        let (status, body) = monitor.get("/status");
        let status_page: Value = serde_json::from_str(&body).ok()?;
        (status == 200 && status_page["links"][0]["connected"] == true).then_some(())
    });
}

/// `/status/<name>?source=record`: the raw body and its JSON, once it answers 200.
fn record_entry(monitor: &Monitor, name: &str) -> Option<(String, Value)> {
    let (status, body) = monitor.get(&format!("/status/{name}?source=record"));
    if status != 200 {
        return None;
    }
    let entry = serde_json::from_str(&body).ok()?;
    Some((body, entry))
}

/// `heartwire record` for `pid` every second on both conventions, with a member of
/// its own and a collector command's.
fn record_publisher(service: &str, pid: u32) -> Killed {
    Killed(
        Command::new(env!("CARGO_BIN_EXE_heartwire"))
            .args([
                "record",
                service,
                "--to",
                REDIS,
                "--pid",
                &pid.to_string(),
                "--interval",
                "1s",
                "--convention",
                "both",
                "--set",
                "api_status=authenticated",
                "--collect",
                r#"echo '{"queue_size":1380,"last_successful_operation":"2025-01-16T08:29:45.123456+00:00"}'"#,
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the binary runs"),
    )
}

/// `redis-cli SUBSCRIBE` to `channels`: each message's channel and payload, as they
/// arrive.
fn subscribe(channels: &[&str]) -> (Killed, mpsc::Receiver<(String, String)>) {
    let mut child = Command::new("redis-cli")
        .args(["-u", REDIS, "SUBSCRIBE"])
        .args(channels)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("redis-cli runs");
    let stdout = child.stdout.take().expect("piped");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        // Without a terminal, redis-cli writes each element of a reply on a line:
        // "message", the channel, the payload.
        let mut lines = BufReader::new(stdout).lines().map_while(Result::ok);
        while let Some(line) = lines.next() {
            if line == "message" {
                let (Some(channel), Some(payload)) = (lines.next(), lines.next()) else {
                    break;
                };
                if tx.send((channel, payload)).is_err() {
                    break;
                }
            }
        }
    });
    (Killed(child), rx)
}

#[test]
fn records_of_a_real_process_are_shown_by_the_monitor_and_a_killed_publisher_dies() {
    let monitor = Monitor::start(&["--from", REDIS, "--record-interval", "1s"]);
    wait_subscribed(&monitor);
    let service = unique("tracker_fetcher");
    let heartbeat = format!("heartbeat:service:{service}");
    let health = format!("health:service:{service}:heartbeat");
    let (_subscriber, messages) = subscribe(&[&heartbeat, &health]);
    // The subscription is confirmed before anything is published: give it a moment.
    std::thread::sleep(Duration::from_millis(500));

    let service_process = Killed(
        Command::new("sleep")
            .arg("120")
            .spawn()
            .expect("sleep runs"),
    );
    let mut publisher = record_publisher(&service, service_process.0.id());
    let printed = BufReader::new(publisher.0.stdout.take().expect("piped"));

    // Both conventions carry each record, the same bytes.
    let mut seen: Vec<(String, String)> = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !(seen.iter().any(|(c, _)| *c == heartbeat) && seen.iter().any(|(c, _)| *c == health)) {
        let left = deadline.saturating_duration_since(Instant::now());
        seen.push(
            messages
                .recv_timeout(left)
                .expect("records on both channels"),
        );
    }
    let first = &seen[0].1;
    let record = heartwire::record::Record::decode(first.as_bytes()).expect("a valid record");
    assert_eq!(record.service_name().as_str(), service);
    assert_eq!(record.heartbeat_count(), Some(1));
    assert!(
        record.memory_usage_mb().is_some_and(|m| m.as_f64() > 0.0),
        "{first}"
    );
    assert!(record.cpu_usage_percent().is_some(), "{first}");
    // The uptime is the measured process's, which started before the publisher.
    assert!(record.uptime_seconds().is_some(), "{first}");
    assert!(
        first.ends_with(r#""api_status":"authenticated","queue_size":1380,"last_successful_operation":"2025-01-16T08:29:45.123456+00:00"}"#),
        "{first}"
    );
    // What went out is printed, one record per line.
    let mut printed_lines = printed.lines();
    let line = printed_lines
        .next()
        .and_then(Result::ok)
        .expect("a line per record");
    assert_eq!(&line, first);

    // /status shows the facts of the last record, the extras last, in the record's order.
    let (body, entry) = eventually("two records in /status", Duration::from_secs(20), || {
        record_entry(&monitor, &service).filter(|(_, e)| e["heartbeat_count"].as_u64() >= Some(2))
    });
    assert_eq!(entry["state"], "alive", "{body}");
    assert_eq!(
        entry["instance_id"],
        record.instance_id().as_str(),
        "{body}"
    );
    assert!(entry["uptime_seconds"].as_f64().is_some(), "{body}");
    assert!(
        entry["memory_usage_mb"].as_f64().is_some_and(|m| m > 0.0),
        "{body}"
    );
    assert!(entry["cpu_usage_percent"].as_f64().is_some(), "{body}");
    assert!(
        body.contains(r#""extras":{"api_status":"authenticated","queue_size":1380,"last_successful_operation":"2025-01-16T08:29:45.123456+00:00"}"#),
        "{body}"
    );
    // Each record comes twice (both conventions): the second is a duplicate, expected,
    // and not reported as a record not counted.
    let noise: Vec<String> = monitor
        .stderr()
        .into_iter()
        .filter(|l| l.contains(&service) && l.contains("not counted"))
        .collect();
    assert!(noise.is_empty(), "{noise:?}");
    let (_, page) = monitor.get("/status?source=record");
    let listed: Value = serde_json::from_str(&page).expect("JSON");
    let listed = listed["processes"]
        .as_array()
        .and_then(|ps| ps.iter().find(|p| p["name"] == service.as_str()).cloned())
        .expect("listed in /status");
    assert_eq!(listed["extras"]["queue_size"], 1380, "{listed}");

    // A record from a plain Redis client, in the shape of the seed's services, on the
    // convention of the seed's naming section.
    let seeded = unique("geocoding_service");
    redis_cli_publish(
        &format!("health:service:{seeded}:heartbeat"),
        &seed_record(&seeded),
    );
    let (body, entry) = eventually(
        "the seed's record in /status",
        Duration::from_secs(10),
        || record_entry(&monitor, &seeded),
    );
    assert_eq!(entry["state"], "alive", "{body}");
    assert_eq!(entry["uptime_seconds"], 4320.5, "{body}");
    assert_eq!(entry["heartbeat_count"], 72, "{body}");
    assert_eq!(entry["memory_usage_mb"], 156.3, "{body}");
    assert_eq!(entry["cpu_usage_percent"], 12.5, "{body}");
    assert_eq!(
        entry["instance_id"], "a1b2c3d4-e5f6-7890-abcd-ef1234567890",
        "{body}"
    );
    assert!(
        body.contains(r#""extras":{"queue_size":1380,"last_successful_operation":"2025-01-16T08:29:45.123456+00:00","api_status":"authenticated"}"#),
        "{body}"
    );

    // Killed, the publisher sends nothing more: late after 1.5 intervals, dead after 3.
    let killed_at = Instant::now();
    let _ = publisher.0.kill();
    let _ = publisher.0.wait();
    eventually("late", Duration::from_secs(10), || {
        record_entry(&monitor, &service).filter(|(_, e)| e["state"] == "late")
    });
    let (body, _) = eventually("dead", Duration::from_secs(10), || {
        record_entry(&monitor, &service).filter(|(_, e)| e["state"] == "dead")
    });
    assert!(killed_at.elapsed() < Duration::from_secs(6), "{body}");
    // The facts of the last record stay, for whoever looks at the dead service.
    assert!(body.contains(r#""api_status":"authenticated""#), "{body}");
}

/// The table `heartwire monitor` draws on a terminal shows a record as the seed's
/// monitor script does: `Uptime: 1.2h | Heartbeats: 72 | Memory: 156.3MB | CPU: 12.5%`,
/// and the service's members under it.
#[cfg(unix)]
#[test]
fn the_monitor_table_shows_a_record_as_the_seed_script_does() {
    let pty = nix::pty::openpty(None, None).expect("a pseudo-terminal");
    let mut child = Killed(
        Command::new(env!("CARGO_BIN_EXE_heartwire"))
            .args([
                "monitor",
                "--from",
                REDIS,
                "--refresh",
                "200ms",
                "--exit-after",
                "8s",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::from(pty.slave))
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary runs"),
    );
    let mut terminal = std::fs::File::from(pty.master);
    let (tx, output) = mpsc::channel();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        // Ends with an error (EIO) once the monitor has exited and closed the terminal.
        while let Ok(n) = terminal.read(&mut buf) {
            if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    let stderr = BufReader::new(child.0.stderr.take().expect("piped"));
    let (said, errors) = mpsc::channel();
    std::thread::spawn(move || {
        for line in stderr.lines().map_while(Result::ok) {
            let _ = said.send(line);
        }
    });
    eventually("subscribed", Duration::from_secs(20), || {
        errors
            .recv_timeout(Duration::from_millis(100))
            .ok()
            .filter(|l| l.contains("subscribed to"))
    });
    let service = unique("geofence_service");
    redis_cli_publish(
        &format!("heartbeat:service:{service}"),
        &seed_record(&service),
    );
    let mut text = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    while let Ok(chunk) = output.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
        text.extend(chunk);
    }
    let status = child.0.wait().expect("it exits after --exit-after");
    assert!(status.success(), "{status:?}");
    let text = String::from_utf8_lossy(&text);
    // The last table is written whole on the terminal's own screen as the monitor exits.
    let last = text.rsplit("\x1b[?1049l").next().unwrap_or_default();
    let lines: Vec<&str> = last.lines().map(|l| l.trim_end_matches('\r')).collect();
    let row = lines
        .iter()
        .position(|l| l.starts_with(&service))
        .unwrap_or_else(|| panic!("no row for {service}:\n{last}"));
    assert!(
        lines[row].contains("Uptime: 1.2h | Heartbeats: 72 | Memory: 156.3MB | CPU: 12.5%"),
        "{last}"
    );
    assert_eq!(
        lines[row + 1],
        "    queue_size: 1380 | last_successful_operation: 2025-01-16T08:29:45.123456+00:00 | api_status: authenticated",
        "{last}"
    );
}

/// The publisher speaks for its process only while it runs: when the process exits,
/// `heartwire record` says so and stops (exit 0). SIGTERM stops it cleanly too.
#[cfg(unix)]
#[test]
fn the_publisher_stops_with_its_process_and_on_sigterm() {
    let short = Killed(Command::new("sleep").arg("2").spawn().expect("sleep runs"));
    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_heartwire"))
        .args([
            "record",
            &unique("short_lived"),
            "--to",
            REDIS,
            "--interval",
            "500ms",
        ])
        .args(["--pid", &short.0.id().to_string()])
        .stdin(Stdio::null())
        .output()
        .expect("the binary runs");
    drop(short);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("has exited: no more records"), "{stderr}");
    assert!(started.elapsed() < Duration::from_secs(10));
    let sent = String::from_utf8_lossy(&out.stdout).lines().count();
    assert!((2..=6).contains(&sent), "{sent} records for a 2 s process");

    let publisher = Command::new(env!("CARGO_BIN_EXE_heartwire"))
        .args([
            "record",
            &unique("terminated"),
            "--to",
            REDIS,
            "--interval",
            "1s",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let mut publisher = Killed(publisher);
    let mut lines = BufReader::new(publisher.0.stdout.take().expect("piped")).lines();
    assert!(lines.next().is_some_and(|l| l.is_ok()), "a first record");
    let killed = Command::new("kill")
        .args(["-TERM", &publisher.0.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(killed.success());
    let status = publisher.0.wait().expect("it stops");
    assert_eq!(status.code(), Some(0), "{status:?}");
}

/// Usage errors say what was expected and exit 2, before anything is published; a
/// password in a URL is never repeated.
#[test]
fn usage_errors_say_what_was_expected() {
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_heartwire"))
            .arg("record")
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("the binary runs");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let cases: [(&[&str], &str); 6] = [
        (
            &["tracker.fetcher", "--to", REDIS],
            "SERVICE: expected a letter",
        ),
        (
            &["svc", "--to", "nats://u:s3cret@127.0.0.1:4222"],
            "expected a redis:// URL",
        ),
        (
            &["svc", "--to", REDIS, "--pid", "4194305"],
            "no such process",
        ),
        (
            &["svc", "--to", REDIS, "--set", "noequals"],
            "expected KEY=VALUE",
        ),
        (
            &["svc", "--to", REDIS, "--set", "heartbeat_count=3"],
            "a member of the record itself",
        ),
        (&["svc", "--to", REDIS, "--interval", "60"], "has no unit"),
    ];
    for (args, expected) in cases {
        let (code, stderr) = run(args);
        assert_eq!(code, Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
        assert!(!stderr.contains("s3cret"), "{stderr}");
    }
    let deep = format!("deep={}1{}", "[".repeat(40), "]".repeat(40));
    let (code, stderr) = run(&["svc", "--to", REDIS, "--set", &deep]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("--set"), "{stderr}");
}
