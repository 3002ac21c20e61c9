//! Both ends over real loopback HTTP: the pinger against the receiver and against a
//! scripted server that fails, hangs and redirects; the receiver's answers to bad
//! requests, its body cap and its rate limit.

mod support;

use std::net::TcpListener;
use std::time::Duration;

use heartwire::text::{Process, Seconds, Signal};
use heartwire::time::{FixedClock, UnixTime};
use heartwire_http::{
    JobSignal, Outcome, PingPolicy, PingRequest, Pinger, RateLimit, ReceiverConfig, RunId, Service,
};
use heartwire_liveness::{Source, State};
use support::{Reply, get, post, raw, receiver, scripted};

fn quick(attempts: u32) -> PingPolicy {
    PingPolicy {
        timeout: Duration::from_millis(500),
        attempts,
        ..PingPolicy::default()
    }
}

/// Sends with the policy, recording the waits instead of sleeping.
fn send(pinger: &Pinger, request: &PingRequest) -> (Outcome, Vec<Duration>) {
    let mut waits = Vec::new();
    let line = pinger.send_with(
        request,
        &FixedClock(UnixTime::new(1_795_424_400, 0)),
        &mut |d| waits.push(d),
    );
    (line.outcome, waits)
}

#[test]
fn a_job_run_through_the_receiver() {
    let (addr, monitor) = receiver(ReceiverConfig::default());
    let pinger = Pinger::default();
    let process = Process::new("backup.nightly").expect("a name");
    let base = format!("http://{addr}/ping/");
    let run = RunId::new(UnixTime::new(1_795_424_400, 0));
    let start = JobSignal::Text(Signal::Start {
        warmup: Seconds::from_secs(60).expect("not zero"),
    });
    for signal in [start, JobSignal::Exit(0)] {
        let request = Service::Healthchecks
            .request(&base, &process, signal, Some(&run), Some("done"))
            .expect("sent");
        let (outcome, waits) = send(&pinger, &request);
        assert_eq!(outcome, Outcome::Success(200), "{}", request.url);
        assert!(waits.is_empty());
    }
    let state = monitor
        .lock()
        .expect("monitor")
        .get(Source::Ping, "backup.nightly")
        .map(|view| view.state);
    assert_eq!(state, Some(State::Alive));
    assert_eq!(
        pinger.last_result().map(|l| l.to_string()),
        Some("2026/11/23 09:00:00 (200)".to_owned())
    );
    let (status, body) = get(addr, "/status");
    assert_eq!(status, 200);
    let json: serde_json::Value = serde_json::from_str(&body).expect("JSON");
    let entry = &json["processes"][0];
    assert_eq!(entry["name"], "backup.nightly");
    assert_eq!(entry["source"], "ping");
    assert_eq!(entry["state"], "alive");
    assert_eq!(entry["period"], "Minutes(1)");
    assert_eq!(entry["last_ping"], "success");
    assert_eq!(entry["exit_status"], 0);
    assert_eq!(entry["rid"], run.as_str());
}

#[test]
fn a_failed_job_is_failed_at_once() {
    let (addr, monitor) = receiver(ReceiverConfig::default());
    let pinger = Pinger::default();
    let process = Process::new("report").expect("a name");
    let request = Service::Healthchecks
        .request(
            &format!("http://{addr}/ping/report?period=Minutes(5)"),
            &process,
            JobSignal::Exit(3),
            None,
            Some("disk full"),
        )
        .expect("sent");
    assert_eq!(
        request.url,
        format!("http://{addr}/ping/report/3?period=Minutes(5)")
    );
    assert_eq!(send(&pinger, &request).0, Outcome::Success(200));
    let state = monitor
        .lock()
        .expect("monitor")
        .get(Source::Ping, "report")
        .map(|view| view.state);
    assert_eq!(state, Some(State::Failed), "registered and failed at once");
    let (_, body) = get(addr, "/status");
    let json: serde_json::Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(json["processes"][0]["state"], "failed");
    assert_eq!(json["processes"][0]["period"], "Minutes(5)");
    assert_eq!(json["processes"][0]["last_ping"], "fail");
    assert_eq!(json["processes"][0]["exit_status"], 3);
    // The next success revives it.
    assert_eq!(get(addr, "/ping/report/0").0, 200);
    let state = monitor
        .lock()
        .expect("monitor")
        .get(Source::Ping, "report")
        .map(|view| view.state);
    assert_eq!(state, Some(State::Alive));
}

/// `offset=15` with `period=Minutes(30)`: the Intervalometerator's pinger at :15 and
/// :45 is expected then, not at :00 and :30 (`spec/http.md` §5.1).
#[test]
fn an_offset_period_moves_the_fire_times() {
    let (addr, monitor) = receiver(ReceiverConfig::default());
    assert_eq!(
        get(addr, "/ping/camera?period=Minutes(30)&offset=15").0,
        200
    );
    let (_, body) = get(addr, "/status");
    let json: serde_json::Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(json["processes"][0]["period"], "Minutes(30)");
    assert_eq!(json["processes"][0]["offset"], 15);
    let monitor = monitor.lock().expect("monitor");
    let view = monitor.get(Source::Ping, "camera").expect("registered");
    assert_eq!(view.state, State::Alive);
    // Late a minute after the first :15 or :45 after the ping.
    let last = view.last.secs();
    let quarter = 15 * 60;
    let next = quarter + ((last - quarter).div_euclid(1800) + 1) * 1800;
    let due = monitor.next_deadline().expect("a deadline").secs();
    assert_eq!(due, next + 60, "ping at {last}");
    assert_eq!((due - 60) % 3600 / 60 % 30, 15);
}

#[test]
fn beatit_text_posted_to_the_receiver() {
    let (addr, monitor) = receiver(ReceiverConfig::default());
    let process = Process::new("billing.worker-1").expect("a name");
    let signal = JobSignal::Text(Signal::Degraded {
        period: Seconds::from_secs(5).expect("not zero"),
    });
    let request = Service::Beatit
        .request(&format!("http://{addr}/beat"), &process, signal, None, None)
        .expect("sent");
    assert_eq!(send(&Pinger::default(), &request).0, Outcome::Success(200));
    assert_eq!(
        post(
            addr,
            "/beat",
            b"heartbeat.a beat/5\r\n\nheartbeat.b start/60\n"
        ),
        (200, "OK\n".to_owned())
    );
    assert_eq!(post(addr, "/beat/heartbeat.c", b"stop\n").0, 200);
    let monitor = monitor.lock().expect("monitor");
    let state = |name| monitor.get(Source::Text, name).map(|v| v.state);
    assert_eq!(state("billing.worker-1"), Some(State::Degraded));
    assert_eq!(state("a"), Some(State::Alive));
    assert_eq!(state("b"), Some(State::Starting));
    assert_eq!(state("c"), Some(State::Stopped));
}

#[test]
fn bad_requests_get_a_4xx_with_a_reason() {
    let (addr, monitor) = receiver(ReceiverConfig::default());
    let cases: [(&str, &[u8], u16, &str); 13] = [
        ("GET /nowhere", b"", 404, "no such endpoint"),
        (
            "GET /ping/a?period=Minutes(30)&offset=-15",
            b"",
            400,
            "offset \"-15\": expected whole minutes",
        ),
        ("GET /ping/a/explode", b"", 400, "unknown ping \"explode\""),
        ("GET /ping/a/256", b"", 400, "exit status 256 out of range"),
        ("GET /ping/a/1000", b"", 400, "unknown ping"),
        ("GET /ping/orders.%3E", b"", 400, "invalid process name"),
        ("GET /ping/", b"", 400, "invalid process name"),
        (
            "GET /ping/a?period=Fortnightly(2)",
            b"",
            400,
            "period \"Fortnightly(2)\"",
        ),
        (
            "GET /ping/a?period=%zz",
            b"",
            400,
            "invalid percent-encoding",
        ),
        ("PUT /ping/a", b"", 405, "expected GET, HEAD, POST, DELETE"),
        ("GET /beat", b"", 405, "expected POST"),
        (
            "POST /beat",
            b"heartbeat.a beat/5\nheartbeat.orders.> beat/5\n",
            400,
            "line 2: ",
        ),
        ("POST /beat", b"", 400, "empty body"),
    ];
    for (request_line, body, status, reason) in cases {
        let (method, target) = request_line.split_once(' ').expect("method and target");
        let (got, text) = raw(
            addr,
            &format!(
                "{method} {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{}",
                body.len(),
                String::from_utf8_lossy(body)
            ),
        );
        assert_eq!(got, status, "{request_line}: {text}");
        assert!(
            text.contains(reason),
            "{request_line}: {text:?} lacks {reason:?}"
        );
    }
    // Nothing of a refused batch was applied.
    assert!(monitor.lock().expect("monitor").is_empty());
    // Garbage is not HTTP: the connection is answered 400 or closed, and the receiver
    // still serves.
    let (status, _) = raw(addr, "\x00\x01garbage\r\n\r\n");
    assert!(status == 400 || status == 0, "{status}");
    assert_eq!(get(addr, "/status").0, 200);
}

#[test]
fn bodies_are_capped() {
    let config = ReceiverConfig {
        max_body: 100,
        ..ReceiverConfig::default()
    };
    let (addr, _) = receiver(config);
    let big = vec![b'x'; 101];
    let (status, text) = post(addr, "/ping/a/fail", &big);
    assert_eq!(status, 413, "{text}");
    assert!(text.contains("body larger than 100 bytes"));
    // Chunked, so no Content-Length to refuse it up front.
    let chunk = "x".repeat(60);
    let (status, _) = raw(
        addr,
        &format!(
            "POST /ping/a/fail HTTP/1.1\r\nHost: x\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n3c\r\n{chunk}\r\n3c\r\n{chunk}\r\n0\r\n\r\n"
        ),
    );
    assert_eq!(status, 413);
    assert_eq!(post(addr, "/ping/a/fail", &big[..100]).0, 200);
}

#[test]
fn a_flood_from_one_client_is_rate_limited() {
    let config = ReceiverConfig {
        rate_limit: Some(RateLimit {
            per_second: 0.001,
            burst: 5.0,
        }),
        ..ReceiverConfig::default()
    };
    let (addr, _) = receiver(config);
    let statuses: Vec<u16> = (0..8).map(|_| get(addr, "/status").0).collect();
    assert_eq!(statuses, [200, 200, 200, 200, 200, 429, 429, 429]);
    let (_, text) = get(addr, "/status");
    assert!(text.contains("rate limited"), "{text}");
}

#[test]
fn the_engine_limits_pings_per_process() {
    // Every request at one instant: the engine's second is the same for all of them.
    let (addr, _) = support::receiver_on(ReceiverConfig::default(), || {
        UnixTime::new(1_795_424_400, 0)
    });
    // The monitor accepts 16 observations of a process a second; registering is one.
    let statuses: Vec<u16> = (0..20).map(|_| get(addr, "/ping/busy").0).collect();
    assert_eq!(statuses[..15], [200; 15]);
    assert_eq!(statuses[15..], [429; 5]);
    let (_, text) = get(addr, "/ping/busy");
    assert!(text.starts_with("rate_limited: "), "{text}");
}

#[test]
fn a_5xx_is_tried_twice_with_the_spacing_between() {
    let (addr, seen) = scripted(|_| Reply::Status(503));
    let pinger = Pinger::new(quick(2));
    let (outcome, waits) = send(&pinger, &PingRequest::get(format!("http://{addr}/hb")));
    assert_eq!(outcome, Outcome::Http(503));
    assert_eq!(waits, [Duration::from_secs(20)]);
    assert_eq!(seen.lock().expect("log").len(), 2);
    assert_eq!(
        pinger.last_result().map(|l| l.to_string()),
        Some("2026/11/23 09:00:00 (HTTP error 503)".to_owned())
    );
}

#[test]
fn a_second_attempt_can_succeed() {
    let count = std::sync::atomic::AtomicU32::new(0);
    let (addr, seen) = scripted(move |_| {
        if count.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0 {
            Reply::Status(500)
        } else {
            Reply::Status(204)
        }
    });
    let (outcome, waits) = send(
        &Pinger::new(quick(2)),
        &PingRequest::get(format!("http://{addr}/")),
    );
    assert_eq!(outcome, Outcome::Success(204));
    assert_eq!(waits.len(), 1);
    assert_eq!(seen.lock().expect("log").len(), 2);
}

#[test]
fn a_server_that_never_answers_is_a_timeout() {
    let (addr, seen) = scripted(|_| Reply::Hang);
    let (outcome, waits) = send(
        &Pinger::new(quick(2)),
        &PingRequest::get(format!("http://{addr}/hb")),
    );
    assert_eq!(outcome, Outcome::Timeout);
    assert_eq!(waits.len(), 1);
    assert_eq!(seen.lock().expect("log").len(), 2);
}

#[test]
fn redirects_are_followed() {
    let (addr, seen) = scripted(|target| match target {
        "/old" => Reply::Redirect("/new".to_owned()),
        _ => Reply::Status(200),
    });
    let (outcome, _) = send(
        &Pinger::new(quick(1)),
        &PingRequest::get(format!("http://{addr}/old")),
    );
    assert_eq!(outcome, Outcome::Success(200));
    let targets: Vec<String> = seen
        .lock()
        .expect("log")
        .iter()
        .map(|s| s.target.clone())
        .collect();
    assert_eq!(targets, ["/old", "/new"]);
}

#[test]
fn a_redirect_loop_is_a_redir_error() {
    let (addr, seen) = scripted(|_| Reply::Redirect("/again".to_owned()));
    let (outcome, _) = send(
        &Pinger::new(quick(1)),
        &PingRequest::get(format!("http://{addr}/hb")),
    );
    assert_eq!(outcome, Outcome::Redirect);
    assert_eq!(
        seen.lock().expect("log").len(),
        6,
        "the first and 5 redirects"
    );
    let no_follow = PingPolicy {
        max_redirects: 0,
        ..quick(1)
    };
    let (outcome, _) = send(
        &Pinger::new(no_follow),
        &PingRequest::get(format!("http://{addr}/hb")),
    );
    assert_eq!(outcome, Outcome::Redirect);
}

#[test]
fn nobody_listening_is_a_connection_error() {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let (outcome, waits) = send(
        &Pinger::new(quick(2)),
        &PingRequest::get(format!("http://127.0.0.1:{port}/")),
    );
    assert_eq!(outcome, Outcome::Connection);
    assert_eq!(waits.len(), 1);
}

#[test]
fn a_post_carries_its_body() {
    let (addr, seen) = scripted(|_| Reply::Status(200));
    let process = Process::new("backup").expect("a name");
    let request = Service::Healthchecks
        .request(
            &format!("http://{addr}/KEY"),
            &process,
            JobSignal::Exit(2),
            None,
            Some("line 1\nline 2\n"),
        )
        .expect("sent");
    assert_eq!(
        send(&Pinger::new(quick(1)), &request).0,
        Outcome::Success(200)
    );
    let seen = seen.lock().expect("log");
    assert_eq!(seen[0].method, "POST");
    assert_eq!(seen[0].target, "/KEY/2");
    assert_eq!(seen[0].body, b"line 1\nline 2\n");
}

#[test]
fn hostile_input_never_stops_the_receiver() {
    let (addr, _) = receiver(ReceiverConfig::default());
    let long_name = "a".repeat(300);
    let huge_header = format!("GET /status HTTP/1.1\r\nX: {}\r\n\r\n", "y".repeat(1 << 20));
    let requests = [
        "GET /ping/\u{ff}\u{fe} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".to_owned(),
        format!("GET /ping/{long_name} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
        "POST /ping/a HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n".to_owned(),
        "POST /ping/a HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello".to_owned(),
        "POST /beat HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 4\r\n\r\n\u{0}\u{0}\u{0}\u{0}".to_owned(),
        "POST /beat/heartbeat.a HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 11\r\n\r\nbeat/1e9999".to_owned(),
        "GET /ping/a?period=Minutes(99999999999) HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".to_owned(),
        "GET /ping/a?period=%E2%82 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".to_owned(),
        "GET /ping/a?&&&=&period HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".to_owned(),
        "GET http://elsewhere/ping/a HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".to_owned(),
        "GET * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".to_owned(),
        "BREW /ping/a HTCPCP/1.0\r\n\r\n".to_owned(),
        huge_header,
    ];
    for request in &requests {
        let (status, _) = raw(addr, request);
        assert!(status == 0 || (200..600).contains(&status), "{status}");
        // After each, the receiver still answers.
        assert_eq!(
            get(addr, "/status").0,
            200,
            "after {:?}",
            &request[..request.len().min(60)]
        );
    }
    let (status, text) = get(addr, &format!("/ping/{long_name}"));
    assert_eq!(status, 400, "{text}");
}

#[test]
fn an_aligned_pinger_on_a_virtual_clock() {
    use std::cell::Cell;
    use std::rc::Rc;

    use heartwire::time::{Timestamp, WallClock};
    use heartwire_http::{AlignedSchedule, Alignment, Frequency, Plan, Trigger, Wake};

    struct Virtual(Rc<Cell<UnixTime>>);
    impl WallClock for Virtual {
        fn now(&self) -> UnixTime {
            self.0.get()
        }
    }
    let at = |t: &str| Timestamp::parse(t).expect("a timestamp").unix_time();
    let (addr, seen) = scripted(|_| Reply::Status(200));
    let time = Rc::new(Cell::new(at("2026-11-23T09:07:30Z")));
    let clock = Virtual(Rc::clone(&time));
    let mut plan = Plan::new(AlignedSchedule::new(
        Frequency::Every30,
        Alignment::Intervalometerator,
    ));
    // What each wait does: advance the clock by what was asked, or be woken early.
    let mut script = vec![Wake::Time, Wake::Demand, Wake::Time, Wake::Stop].into_iter();
    let mut asked = Vec::new();
    let mut wait = |d: Duration| {
        asked.push(d);
        let wake = script.next().unwrap_or(Wake::Stop);
        let step = if wake == Wake::Time {
            d
        } else {
            Duration::from_secs(10)
        };
        let now = time.get();
        time.set(UnixTime::new(now.secs() + step.as_secs() as i64, 0));
        wake
    };
    let mut pings = Vec::new();
    Pinger::new(quick(1)).follow(
        &PingRequest::get(format!("http://{addr}/hb")),
        &mut plan,
        &clock,
        &mut wait,
        &mut |trigger, line| pings.push((trigger, line.to_string())),
    );
    assert_eq!(
        pings,
        [
            (Trigger::Start, "2026/11/23 09:07:30 (200)".to_owned()),
            (Trigger::Scheduled, "2026/11/23 09:15:00 (200)".to_owned()),
            (Trigger::OnDemand, "2026/11/23 09:15:10 (200)".to_owned()),
            (Trigger::Scheduled, "2026/11/23 09:45:00 (200)".to_owned()),
        ]
    );
    assert_eq!(
        asked,
        [
            Duration::from_secs(450),
            Duration::from_secs(1_800),
            Duration::from_secs(1_790),
            Duration::from_secs(1_800),
        ]
    );
    assert_eq!(seen.lock().expect("log").len(), 4);
}

#[test]
fn start_and_log_are_signs_of_life_and_a_period_reregisters() {
    let (addr, monitor) = receiver(ReceiverConfig::default());
    let state = |name: &str| {
        monitor
            .lock()
            .expect("monitor")
            .get(Source::Ping, name)
            .map(|v| v.state)
    };
    assert_eq!(get(addr, "/ping/a/start?rid=r-1").0, 200);
    assert_eq!(state("a"), Some(State::Alive));
    assert_eq!(get(addr, "/ping/b/log").0, 200);
    assert_eq!(state("b"), Some(State::Alive));
    assert_eq!(get(addr, "/ping/a/fail").0, 200);
    assert_eq!(state("a"), Some(State::Failed), "a failure at once");
    assert_eq!(get(addr, "/ping/a/log").0, 200);
    assert_eq!(state("a"), Some(State::Failed), "a log does not undo it");
    assert_eq!(get(addr, "/ping/a?period=Daily(3%2C0)").0, 200);
    assert_eq!(state("a"), Some(State::Alive), "a success does");
    let (_, body) = get(addr, "/status");
    let json: serde_json::Value = serde_json::from_str(&body).expect("JSON");
    let a = json["processes"]
        .as_array()
        .and_then(|all| all.iter().find(|p| p["name"] == "a"))
        .expect("a is listed");
    assert_eq!(a["period"], "Daily(3,0)");
    assert_eq!(a["last_ping"], "success");
    assert_eq!(a.get("rid"), None, "the last ping had no run id");
    let (status, head) = raw(
        addr,
        "HEAD /status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert_eq!((status, head.as_str()), (200, ""));
}
