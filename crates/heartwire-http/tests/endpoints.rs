//! The receiver's endpoints beyond pings and beats, over real loopback sockets:
//! `DELETE /ping/<process>`, ping keys, `/status` pages and their queries, and the
//! sweep that forgets processes long in a final state.

mod support;

use std::time::{Duration, Instant};

use heartwire::time::{SystemClock, WallClock};
use heartwire_http::{PingKey, Receiver, ReceiverConfig};
use heartwire_liveness::{Config, Source};
use support::{LOOPBACK, Running, get, post, raw};

const KEY: &str = "k3y-0f_22-characters";

#[test]
fn delete_forgets_a_ping_process() {
    let r = Running::new(ReceiverConfig::default(), Config::default());
    assert_eq!(get(r.addr, "/ping/backup?rid=r-1").0, 200);
    assert_eq!(get(r.addr, "/ping/other").0, 200);
    let delete = "DELETE /ping/backup HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    let (status, body) = raw(r.addr, delete);
    assert_eq!((status, body.as_str()), (204, ""));
    assert!(
        r.monitor
            .lock()
            .expect("monitor")
            .get(Source::Ping, "backup")
            .is_none()
    );
    assert_eq!(r.stats.forgotten(), 1);
    let (status, reason) = raw(r.addr, delete);
    assert_eq!(status, 404);
    assert_eq!(reason, "no ping process \"backup\"\n");
    let (_, body) = get(r.addr, "/status");
    assert!(!body.contains("backup"), "{body}");
    assert!(body.contains("other"), "{body}");
    // A ping after it registers the name anew, with nothing of before.
    assert_eq!(get(r.addr, "/ping/backup").0, 200);
    let (_, body) = get(r.addr, "/status?source=ping&limit=1");
    let json: serde_json::Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(json["processes"][0]["name"], "backup");
    assert_eq!(json["processes"][0].get("rid"), None);
    let (status, reason) = raw(
        r.addr,
        "DELETE /ping/backup/start HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(status, 405, "{reason}");
}

/// Every answer to `request`, head and body, as sent.
fn answer(addr: std::net::SocketAddr, request: &str) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).expect("connects");
    stream.write_all(request.as_bytes()).expect("sent");
    let mut all = String::new();
    let _ = stream.read_to_string(&mut all);
    all
}

#[test]
fn ping_keys_are_required_and_never_shown() {
    let config = ReceiverConfig {
        ping_key: Some(PingKey::new(KEY).expect("a key")),
        ..ReceiverConfig::default()
    };
    assert!(!format!("{config:?}").contains(KEY));
    let receiver = Receiver::bind(LOOPBACK, config).expect("binds");
    assert!(!format!("{receiver:?}").contains(KEY));
    let r = Running::start(receiver, Config::default(), || SystemClock.now());
    let with_header = |line: &str, body: &str| {
        format!(
            "{line} HTTP/1.1\r\nHost: x\r\nX-Heartwire-Key: {KEY}\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
    };
    let plain = |line: &str, body: &str| {
        format!(
            "{line} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
    };
    let wrong = "wrong-key-of-22-chars!";
    let cases = [
        // Accepted: the key in the path, or in the header.
        (format!("GET /ping/{KEY}/backup"), String::new(), false, 200),
        (
            format!("GET /ping/{KEY}/backup/fail?rid=r-2"),
            String::new(),
            false,
            200,
        ),
        (
            "GET /ping/report/start".to_owned(),
            String::new(),
            true,
            200,
        ),
        (
            "POST /beat".to_owned(),
            "heartbeat.api beat/5\n".to_owned(),
            true,
            200,
        ),
        ("GET /status".to_owned(), String::new(), true, 200),
        // Refused alike, whether the name exists or not.
        ("GET /ping/backup".to_owned(), String::new(), false, 401),
        ("GET /ping/nobody".to_owned(), String::new(), false, 401),
        (
            format!("GET /ping/{wrong}/backup"),
            String::new(),
            false,
            401,
        ),
        (
            format!("GET /ping/{wrong}/nobody"),
            String::new(),
            false,
            401,
        ),
        (
            "POST /beat".to_owned(),
            "heartbeat.api beat/5\n".to_owned(),
            false,
            401,
        ),
        ("GET /status".to_owned(), String::new(), false, 401),
        ("DELETE /ping/backup".to_owned(), String::new(), false, 401),
        // A header wins over the path; the key is never a name.
        (format!("GET /ping/{KEY}/backup"), String::new(), true, 400),
        (format!("GET /ping/{KEY}"), String::new(), true, 400),
        (
            format!("DELETE /ping/{KEY}/report"),
            String::new(),
            false,
            204,
        ),
    ];
    let mut refusals = Vec::new();
    for (line, body, header, status) in &cases {
        let request = if *header {
            with_header(line, body)
        } else {
            plain(line, body)
        };
        let all = answer(r.addr, &request);
        let got: u16 = all
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        assert_eq!(got, *status, "{line}: {all}");
        assert!(!all.contains(KEY), "{line}: the key is echoed: {all}");
        if got == 401 {
            refusals.push(all.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()));
        }
    }
    assert!(refusals.windows(2).all(|w| w[0] == w[1]), "{refusals:?}");
    assert_eq!(refusals[0].as_deref(), Some("missing or wrong ping key\n"));
    let (_, status) = {
        let all = answer(r.addr, &with_header("GET /status", ""));
        (0, all)
    };
    assert!(status.contains("\"backup\""), "{status}");
    assert!(!status.contains("\"report\""), "forgotten: {status}");
    assert!(!status.contains(KEY));
}

#[test]
fn status_pages_and_their_queries() {
    let receiver = Receiver::bind(LOOPBACK, ReceiverConfig::default())
        .expect("binds")
        .status_members(|out| out.push_str(",\"links\":[]"));
    let r = Running::start(receiver, Config::default(), support::ticking_clock());
    for name in ["e", "c", "a", "d", "b"] {
        assert_eq!(get(r.addr, &format!("/ping/{name}")).0, 200);
    }
    assert_eq!(
        post(r.addr, "/beat", b"heartbeat.z beat/5\nheartbeat.y stop\n").0,
        200
    );
    // Pages of 2, in the order of (source, name), the members on each.
    let mut names = Vec::new();
    let mut after = String::new();
    for _ in 0..10 {
        let target = if after.is_empty() {
            "/status?limit=2".to_owned()
        } else {
            format!("/status?limit=2&after={after}")
        };
        let (status, body) = get(r.addr, &target);
        assert_eq!(status, 200, "{body}");
        let json: serde_json::Value = serde_json::from_str(&body).expect("JSON");
        assert_eq!(json["links"], serde_json::json!([]), "{body}");
        for p in json["processes"].as_array().expect("a list") {
            names.push(format!(
                "{}:{}",
                p["source"].as_str().unwrap_or(""),
                p["name"].as_str().unwrap_or("")
            ));
        }
        match json["next"].as_str() {
            Some(next) => after = next.to_owned(),
            None => break,
        }
    }
    assert_eq!(
        names,
        [
            "text:y", "text:z", "ping:a", "ping:b", "ping:c", "ping:d", "ping:e"
        ]
    );
    // Filters.
    let (_, body) = get(r.addr, "/status?state=stopped");
    let json: serde_json::Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(json["processes"].as_array().map(Vec::len), Some(1));
    assert_eq!(json["processes"][0]["name"], "y");
    let (_, body) = get(r.addr, "/status?source=ping&after=ping%3Ac");
    let json: serde_json::Value = serde_json::from_str(&body).expect("JSON");
    let listed: Vec<&str> = json["processes"]
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    assert_eq!(listed, ["d", "e"]);
    // Refused queries, each with its reason.
    for (target, reason) in [
        (
            "/status?page=2",
            "unknown parameter \"page\", expected state, source, limit or after",
        ),
        (
            "/status?limit=5001",
            "limit \"5001\": expected a number from 1 to 5000",
        ),
        (
            "/status?limit=0",
            "limit \"0\": expected a number from 1 to 5000",
        ),
        (
            "/status?state=zombie",
            "state \"zombie\": expected one of starting, alive",
        ),
        (
            "/status?source=smoke",
            "source \"smoke\": expected one of text, record, command, ping",
        ),
        (
            "/status?after=ping",
            "after \"ping\": expected <source>:<name>",
        ),
        ("/status?limit=1&limit=2", "limit given twice"),
    ] {
        let (status, text) = get(r.addr, target);
        assert_eq!(status, 400, "{target}: {text}");
        assert!(text.starts_with(reason), "{target}: {text:?}");
    }
}

#[test]
fn processes_long_in_a_final_state_are_forgotten() {
    let config = ReceiverConfig {
        forget_after: Some(Duration::from_secs(1)),
        sweep_interval: Duration::from_millis(100),
        ..ReceiverConfig::default()
    };
    let r = Running::new(config, Config::default());
    assert_eq!(
        post(
            r.addr,
            "/beat",
            b"heartbeat.done stop\nheartbeat.busy beat/600\n"
        )
        .0,
        200
    );
    assert_eq!(get(r.addr, "/ping/job?period=Hours(1)").0, 200);
    let until = Instant::now() + Duration::from_secs(20);
    while r.stats.expired() == 0 && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(r.stats.expired(), 1);
    let monitor = r.monitor.lock().expect("monitor");
    assert!(
        monitor.get(Source::Text, "done").is_none(),
        "stopped long ago"
    );
    assert!(monitor.get(Source::Text, "busy").is_some());
    assert!(monitor.get(Source::Ping, "job").is_some());
}
