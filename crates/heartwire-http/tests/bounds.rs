//! The receiver under the attacks of issue 15, over real loopback sockets: each test
//! asserts a bound (what the engine holds, what is kept per request, how many
//! connections stay open, how much of an answer is written ahead of its reader) and
//! that a well-behaved client is served meanwhile. Loops are bounded in count and in
//! time; no test asserts how fast this machine is.

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use heartwire::text::Process;
use heartwire::time::UnixTime;
use heartwire_http::{RateLimit, Receiver, ReceiverConfig};
use heartwire_liveness::{Config, Source, State};
use support::{LOOPBACK, Running, connect_from, get, get_from, post_from, ticking_clock};

const A: [u8; 4] = [127, 0, 0, 1];
const B: [u8; 4] = [127, 0, 0, 2];
const C: [u8; 4] = [127, 0, 0, 3];

/// `n` lines of beatit text for new names `<prefix><i>`.
fn lines(prefix: &str, range: std::ops::Range<usize>, signal: &str) -> Vec<u8> {
    range
        .map(|i| format!("heartbeat.{prefix}{i} {signal}\n"))
        .collect::<String>()
        .into_bytes()
}

/// Waits (at most 20 s) for `done`; whether it came.
fn eventually(mut done: impl FnMut() -> bool) -> bool {
    let until = Instant::now() + Duration::from_secs(20);
    while Instant::now() < until {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    done()
}

/// Reads until the server closes (at most `wait`); what was read, and whether it
/// closed.
fn read_to_close(stream: &mut TcpStream, wait: Duration) -> (String, bool) {
    let until = Instant::now() + wait;
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while Instant::now() < until {
        let _ = stream.set_read_timeout(Some(
            until
                .saturating_duration_since(Instant::now())
                .max(Duration::from_millis(1)),
        ));
        match stream.read(&mut buf) {
            Ok(0) => return (String::from_utf8_lossy(&got).into_owned(), true),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {
                return (String::from_utf8_lossy(&got).into_owned(), true);
            }
            Err(_) => break,
        }
    }
    (String::from_utf8_lossy(&got).into_owned(), false)
}

#[test]
fn one_address_cannot_lock_out_another() {
    let config = ReceiverConfig {
        new_names: Some(RateLimit {
            per_second: 0.001,
            burst: 50.0,
        }),
        ..ReceiverConfig::default()
    };
    let r = Running::new(config, Config::default());
    // Client A floods new names: 40 in one body, then bodies of 40 more, then pings.
    assert_eq!(
        post_from(A, r.addr, "/beat", &lines("a", 0..40, "beat/60")).0,
        200
    );
    let (status, reason) = post_from(A, r.addr, "/beat", &lines("a", 40..80, "beat/60"));
    assert_eq!(status, 429, "{reason}");
    assert!(
        reason.contains("too many new names from 127.0.0.1"),
        "{reason}"
    );
    assert_eq!(r.engine_len(), 40, "a refused body applies nothing");
    assert_eq!(
        post_from(A, r.addr, "/beat", &lines("a", 40..50, "beat/60")).0,
        200
    );
    let mut refused = 0;
    for i in 0..200 {
        let (status, _) = get_from(A, r.addr, &format!("/ping/flood{i}"));
        refused += usize::from(status == 429);
    }
    assert_eq!(refused, 200);
    // Names A knows already are never refused for being new.
    assert_eq!(
        post_from(A, r.addr, "/beat", &lines("a", 0..50, "beat/60")).0,
        200
    );
    assert_eq!(
        r.engine_len(),
        50,
        "A holds its burst of new names, no more"
    );
    // Client B's new name is accepted.
    assert_eq!(get_from(B, r.addr, "/ping/b-backup").0, 200);
    assert_eq!(
        post_from(B, r.addr, "/beat", b"heartbeat.b-worker beat/5\n").0,
        200
    );
    assert_eq!(r.engine_len(), 52);
}

#[test]
fn a_full_engine_makes_room_but_never_evicts_a_live_confirmed_process() {
    let config = ReceiverConfig {
        new_names: None,
        ..ReceiverConfig::default()
    };
    let engine = Config {
        max_processes: 100,
        ..Config::default()
    };
    // Full of stopped processes: the oldest stopped one makes room.
    let r = Running::start(
        Receiver::bind(LOOPBACK, config.clone()).expect("binds"),
        engine.clone(),
        ticking_clock(),
    );
    for part in 0..4 {
        let range = part * 25..part * 25 + 25;
        assert_eq!(
            post_from(A, r.addr, "/beat", &lines("s", range, "stop")).0,
            200
        );
    }
    assert_eq!(r.engine_len(), 100);
    assert_eq!(get_from(B, r.addr, "/ping/b-new").0, 200);
    assert_eq!(r.stats.evicted(), 1);
    {
        let monitor = r.monitor.lock().expect("monitor");
        assert!(monitor.get(Source::Text, "s0").is_none(), "the oldest went");
        assert!(monitor.get(Source::Ping, "b-new").is_some());
        assert_eq!(monitor.len(), 100);
    }

    // Full of names heard from once: the oldest of them makes room.
    let r = Running::start(
        Receiver::bind(LOOPBACK, config.clone()).expect("binds"),
        engine.clone(),
        ticking_clock(),
    );
    for i in 0..100 {
        assert_eq!(get_from(A, r.addr, &format!("/ping/once{i}")).0, 200);
    }
    assert_eq!(get_from(B, r.addr, "/ping/b-new").0, 200);
    {
        let monitor = r.monitor.lock().expect("monitor");
        assert!(monitor.get(Source::Ping, "once0").is_none());
        assert!(monitor.get(Source::Ping, "once1").is_some());
        assert_eq!(monitor.len(), 100);
    }

    // Full of live processes heard from twice: none may go, the new name waits.
    let r = Running::start(
        Receiver::bind(LOOPBACK, config).expect("binds"),
        engine,
        ticking_clock(),
    );
    for round in 0..2 {
        for i in 0..100 {
            assert_eq!(
                get_from(A, r.addr, &format!("/ping/twice{i}")).0,
                200,
                "{round}"
            );
        }
    }
    let (status, reason) = get_from(B, r.addr, "/ping/b-new");
    assert_eq!(status, 503, "{reason}");
    assert!(reason.starts_with("too_many_processes"), "{reason}");
    assert_eq!(r.stats.evicted(), 0);
    assert_eq!(r.engine_len(), 100);
}

#[test]
fn a_long_rid_is_refused_and_status_stays_small() {
    let config = ReceiverConfig {
        new_names: None,
        ..ReceiverConfig::default()
    };
    let r = Running::new(config, Config::default());
    // Over the request head's 16 KiB: hyper refuses it before it is parsed.
    let huge = "r".repeat(60_000);
    assert_eq!(get(r.addr, &format!("/ping/a?rid={huge}")).0, 431);
    // Over the target's 2,048 bytes.
    let (status, reason) = get(r.addr, &format!("/ping/a?rid={}", "r".repeat(3_000)));
    assert_eq!(status, 414, "{reason}");
    assert!(reason.contains("expected at most 2048"), "{reason}");
    // Under a larger target limit, the rid's own limit refuses it.
    let roomy = ReceiverConfig {
        max_target: 100_000,
        max_head: 128 * 1024,
        ..ReceiverConfig::default()
    };
    let r2 = Running::new(roomy, Config::default());
    let (status, reason) = get(r2.addr, &format!("/ping/a?rid={huge}"));
    assert_eq!(status, 400, "{reason}");
    assert_eq!(reason, "rid: run id of 60000 bytes, expected at most 64\n");
    assert_eq!(r2.engine_len(), 0, "nothing registered");
    // 1,500 pings with the longest rid kept: a page of /status stays small.
    let rid = "x".repeat(64);
    let mut stream = connect_from(A, r.addr).expect("connects");
    for i in 0..1_500 {
        write!(
            stream,
            "GET /ping/p{i:04}?rid={rid} HTTP/1.1\r\nHost: x\r\n\r\n"
        )
        .expect("sent");
    }
    write!(
        stream,
        "GET /ping/z-last HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .expect("sent");
    let (answers, closed) = read_to_close(&mut stream, Duration::from_secs(60));
    assert!(closed);
    assert_eq!(answers.matches("HTTP/1.1 200").count(), 1_501);
    let (status, body) = get(r.addr, "/status");
    assert_eq!(status, 200);
    let json: serde_json::Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(json["processes"].as_array().map(Vec::len), Some(1_000));
    assert_eq!(json["processes"][0]["rid"], rid.as_str());
    assert_eq!(json["next"], "ping:p0999");
    assert!(body.len() < 1_000 * 300, "{} bytes", body.len());
}

#[test]
fn stalled_bodies_are_closed_after_the_body_timeout() {
    let config = ReceiverConfig {
        body_timeout: Duration::from_secs(1),
        ..ReceiverConfig::default()
    };
    let r = Running::new(config, Config::default());
    let mut stalled = Vec::new();
    for i in 0..200 {
        let mut stream = connect_from(A, r.addr).expect("connects");
        let request = if i % 2 == 0 {
            "POST /beat HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nheart"
        } else {
            "POST /ping/a/fail HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nonly this"
        };
        stream.write_all(request.as_bytes()).expect("sent");
        stalled.push(stream);
    }
    // A well-behaved client is served during the attack.
    assert_eq!(get_from(B, r.addr, "/ping/well-behaved").0, 200);
    assert!(r.stats.connections() > 0, "the attack is still on");
    let mut timed_out = 0;
    for stream in &mut stalled {
        let (answer, closed) = read_to_close(stream, Duration::from_secs(20));
        assert!(closed, "still open: {answer:?}");
        timed_out += usize::from(answer.starts_with("HTTP/1.1 408"));
        assert!(
            answer.contains("body not received within 1 s"),
            "{answer:?}"
        );
    }
    assert_eq!(timed_out, 200);
    assert!(eventually(|| r.stats.connections() == 0));
    assert_eq!(get_from(B, r.addr, "/ping/well-behaved").0, 200);
}

#[test]
fn connections_over_the_cap_are_refused_at_once() {
    let config = ReceiverConfig {
        max_connections: 60,
        max_connections_per_client: 40,
        header_timeout: Duration::from_secs(60),
        ..ReceiverConfig::default()
    };
    let r = Running::new(config, Config::default());
    let mut held: Vec<TcpStream> = (0..40)
        .map(|_| connect_from(A, r.addr).expect("connects"))
        .collect();
    assert!(eventually(|| r.stats.connections() == 40));
    // A's 41st: its share is taken. Refused long before the 60 s header timeout.
    let mut over = connect_from(A, r.addr).expect("connects");
    let (answer, closed) = read_to_close(&mut over, Duration::from_secs(10));
    assert!(closed, "{answer:?}");
    assert!(
        answer.is_empty() || answer.contains("too many connections from 127.0.0.1: 40 open"),
        "{answer:?}"
    );
    // B is served meanwhile, and fills the rest.
    assert_eq!(get_from(B, r.addr, "/ping/b").0, 200);
    held.extend((0..20).map(|_| connect_from(B, r.addr).expect("connects")));
    assert!(eventually(|| r.stats.connections() == 60));
    // A flood of 200 more from C: all refused, none kept.
    for _ in 0..200 {
        let mut stream = connect_from(C, r.addr).expect("connects");
        let (answer, closed) = read_to_close(&mut stream, Duration::from_secs(10));
        assert!(closed, "{answer:?}");
    }
    assert_eq!(r.stats.connections(), 60);
    assert!(r.stats.refused_connections() >= 201);
    // The flood ends: a well-behaved client is served again.
    drop(held);
    assert!(eventually(|| r.stats.connections() == 0));
    assert_eq!(get_from(C, r.addr, "/ping/c").0, 200);
}

#[test]
fn an_idle_connection_is_closed_after_the_header_timeout() {
    let config = ReceiverConfig {
        header_timeout: Duration::from_secs(1),
        ..ReceiverConfig::default()
    };
    let r = Running::new(config, Config::default());
    let mut stream = connect_from(A, r.addr).expect("connects");
    write!(stream, "GET /ping/a HTTP/1.1\r\nHost: x\r\n\r\n").expect("sent");
    let (answer, closed) = read_to_close(&mut stream, Duration::from_secs(20));
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer:?}");
    assert!(closed, "kept alive past the header timeout");
    assert!(eventually(|| r.stats.connections() == 0));
}

/// Text processes `w<i>` with names of 60 bytes, so that a page is large.
fn wide(i: usize) -> String {
    format!("w{i:06}.{}", "x".repeat(52))
}

/// `n` text processes `w<i>` in the engine, observed directly.
fn fill(r: &Running, n: usize) {
    let mut monitor = r.monitor.lock().expect("monitor");
    let at = UnixTime::new(1_795_424_400, 0);
    for i in 0..n {
        let line = format!("heartbeat.{} beat/60", wide(i));
        let message = heartwire::text::Message::decode_line(line.as_bytes()).expect("a line");
        monitor.observe_text(&message, at).expect("observed");
    }
}

/// The first bytes of a long text, for a message.
fn head(text: &str) -> &str {
    &text[..text.len().min(200)]
}

#[test]
fn status_at_scale_is_paged_lazily_and_never_holds_the_engine() {
    const PROCESSES: usize = 200_000;
    const PINGS: usize = 1_000;
    // A page may be the whole engine here, so that it is larger than what the
    // sockets hold.
    let config = ReceiverConfig {
        max_status_page: PROCESSES,
        ..ReceiverConfig::default()
    };
    let r = Running::new(config, Config::default());
    fill(&r, PROCESSES - PINGS);
    {
        let mut monitor = r.monitor.lock().expect("monitor");
        let at = UnixTime::new(1_795_424_400, 0);
        let rate = "Minutes(5)".parse().expect("a rate");
        for i in 0..PINGS {
            let name = format!("job{i:04}");
            let process = Process::new(&name).expect("a name");
            monitor
                .expect_pings(&process, rate, at)
                .expect("registered");
        }
        assert_eq!(monitor.len(), PROCESSES);
    }
    // The first page: the default 1,000, small, with a cursor.
    let (status, body) = get(r.addr, "/status");
    assert_eq!(status, 200);
    let json: serde_json::Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(json["processes"].as_array().map(Vec::len), Some(1_000));
    assert_eq!(json["next"], format!("text:{}", wide(999)));
    // About 220 bytes a process with these 62-byte names, its next deadline included.
    assert!(body.len() < 1_000 * 250, "{} bytes", body.len());
    // A filter: the ping processes only, in one page.
    let (_, body) = get(r.addr, "/status?source=ping&limit=5000");
    let json: serde_json::Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(json["processes"].as_array().map(Vec::len), Some(PINGS));
    assert_eq!(json.get("next"), None);
    assert_eq!(json["processes"][0]["name"], "job0000");
    // The whole walk, in order, each process once.
    let mut after = String::new();
    let mut seen = 0;
    let mut previous: Option<(String, String)> = None;
    for page in 0.. {
        assert!(page < 100, "more pages than processes allow");
        let target = if after.is_empty() {
            "/status?limit=5000".to_owned()
        } else {
            format!("/status?limit=5000&after={after}")
        };
        let (status, body) = get(r.addr, &target);
        assert_eq!(status, 200, "{}", head(&body));
        assert!(body.len() < 5_000 * 250, "{} bytes", body.len());
        let json: serde_json::Value = serde_json::from_str(&body).expect("JSON");
        for p in json["processes"].as_array().expect("a list") {
            let key = (
                p["source"].as_str().unwrap_or("").to_owned(),
                p["name"].as_str().unwrap_or("").to_owned(),
            );
            if let Some(previous) = &previous {
                let rank = |s: &str| {
                    ["text", "record", "command", "ping"]
                        .iter()
                        .position(|x| *x == s)
                };
                assert!(
                    (rank(&previous.0), &previous.1) < (rank(&key.0), &key.1),
                    "{previous:?} before {key:?}"
                );
            }
            previous = Some(key);
            seen += 1;
        }
        match json["next"].as_str() {
            Some(next) => after = next.to_owned(),
            None => break,
        }
    }
    assert_eq!(seen, PROCESSES);

    // A reader that does not read: the answer is written only as far as the socket
    // takes it, and meanwhile pings are answered and the engine is free.
    let before = r.stats.status_bytes();
    let mut slow = connect_from(C, r.addr).expect("connects");
    write!(
        slow,
        "GET /status?limit={PROCESSES} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .expect("sent");
    let mut written = 0;
    assert!(eventually(|| {
        let now = r.stats.status_bytes() - before;
        let settled = now > 0 && now == written;
        written = now;
        settled
    }));
    let page = PROCESSES as u64 * 100;
    assert!(
        written < page / 2,
        "{written} bytes written ahead of a reader that reads nothing"
    );
    assert_eq!(get_from(B, r.addr, "/ping/during").0, 200);
    assert!(r.monitor.try_lock().is_ok() || eventually(|| r.monitor.try_lock().is_ok()));
    // Once read, it is whole.
    let (answer, closed) = read_to_close(&mut slow, Duration::from_secs(60));
    assert!(closed);
    let body = support::dechunk(answer.split_once("\r\n\r\n").map_or("", |(_, b)| b));
    let json: serde_json::Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(
        json["processes"].as_array().map(Vec::len),
        Some(PROCESSES),
        "chosen before the ping during it"
    );
    assert!(r.stats.status_bytes() - before > page);
    let monitor = r.monitor.lock().expect("monitor");
    assert_eq!(
        monitor.get(Source::Ping, "during").map(|v| v.state),
        Some(State::Alive)
    );
}

#[test]
fn an_answer_not_taken_is_dropped_after_the_send_timeout() {
    // A page larger than what the sockets hold.
    const PROCESSES: usize = 100_000;
    let config = ReceiverConfig {
        // Long enough that the second request below comes while the first answer is
        // still being sent, however loaded the machine (1 s failed under a CI load).
        send_timeout: Duration::from_secs(5),
        max_status_page: PROCESSES,
        max_status_answers_per_client: 1,
        ..ReceiverConfig::default()
    };
    let r = Running::new(config, Config::default());
    fill(&r, PROCESSES);
    let mut slow = connect_from(A, r.addr).expect("connects");
    write!(
        slow,
        "GET /status?limit={PROCESSES} HTTP/1.1\r\nHost: x\r\n\r\n"
    )
    .expect("sent");
    assert!(eventually(|| r.stats.status_bytes() > 0));
    // While it is being sent, the client has its one answer.
    let (status, reason) = get_from(A, r.addr, "/status");
    assert_eq!(status, 503, "{}", head(&reason));
    assert!(reason.contains("too many /status and /metrics answers being sent to 127.0.0.1: 1"));
    assert_eq!(get_from(B, r.addr, "/status?limit=1").0, 200);
    // Not taken within the send timeout: the connection is closed, the slot free.
    assert!(eventually(|| r.stats.connections() == 0));
    assert_eq!(get_from(A, r.addr, "/status?limit=1").0, 200);
}
