//! `heartwire run` and `heartwire beat` over real loopback HTTP: jobs that succeed,
//! fail, are killed and hang, against a recording server and the real receiver.
#![cfg(unix)]

mod running;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use running::heartwire;

/// A request as the recorder saw it: `METHOD target`, and the body.
type Seen = Arc<Mutex<Vec<(String, String)>>>;

/// An HTTP server on 127.0.0.1 that records every request and answers `status`; it
/// creates `touch` when it sees a request whose target contains `on`.
fn recorder(status: u16, touch: Option<(&'static str, PathBuf)>) -> (SocketAddr, Seen) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("binds");
    let addr = listener.local_addr().expect("bound");
    let seen: Seen = Arc::default();
    let log = Arc::clone(&seen);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let Some((line, body, mut stream)) = read(stream) else {
                continue;
            };
            if let Some((on, path)) = &touch
                && line.contains(on)
            {
                std::fs::write(path, b"").expect("touch");
            }
            log.lock().expect("log").push((line, body));
            let _ = write!(
                stream,
                "HTTP/1.1 {status} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
        }
    });
    (addr, seen)
}

fn read(stream: TcpStream) -> Option<(String, String, TcpStream)> {
    let mut reader = BufReader::new(stream);
    let mut first = String::new();
    reader.read_line(&mut first).ok()?;
    let mut parts = first.split_whitespace();
    let line = format!("{} {}", parts.next()?, parts.next()?);
    let mut length = 0;
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).ok()?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().ok()?;
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some((
        line,
        String::from_utf8_lossy(&body).into_owned(),
        reader.into_inner(),
    ))
}

fn text(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).expect("UTF-8")
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("heartwire-run-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    dir
}

/// Waits for `child` to exit, at most 60 s (then kills it and fails).
fn wait(mut child: Child) -> Output {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        match child.try_wait().expect("try_wait") {
            Some(_) => return child.wait_with_output().expect("output"),
            None if Instant::now() > deadline => {
                let _ = child.kill();
                panic!("heartwire did not exit");
            }
            None => std::thread::sleep(Duration::from_millis(20)),
        }
    }
}

/// Waits until `path` exists, at most 60 s.
fn wait_for(path: &Path) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !path.exists() {
        assert!(
            Instant::now() < deadline,
            "{} never appeared",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn targets(seen: &Seen) -> Vec<String> {
    seen.lock()
        .expect("log")
        .iter()
        .map(|(line, _)| line.clone())
        .collect()
}

/// `/ping/backup/start?rid=R` -> (`/ping/backup/start`, `R`).
fn split_rid(target: &str) -> (String, String) {
    let (method_path, rid) = target.split_once("?rid=").expect("a run id");
    (method_path.to_owned(), rid.to_owned())
}

#[test]
fn a_job_that_succeeds() {
    let (addr, seen) = recorder(200, None);
    let to = format!("http://{addr}/ping/");
    let out = wait(
        heartwire(&[
            "run",
            "--process",
            "backup",
            "--to",
            &to,
            "--period",
            "1h",
            "--",
            "sh",
            "-c",
            "echo hello; echo world >&2",
        ])
        .spawn()
        .expect("runs"),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "hello\n",
        "the job's output is passed through"
    );
    assert_eq!(text(&out.stderr), "world\n");
    let seen = seen.lock().expect("log").clone();
    assert_eq!(seen.len(), 2, "{seen:?}");
    let (start, rid1) = split_rid(&seen[0].0);
    let (end, rid2) = split_rid(&seen[1].0);
    assert_eq!(start, "GET /ping/backup/start");
    assert_eq!(end, "POST /ping/backup/0");
    assert_eq!(rid1, rid2, "one run id pairs start and end");
    assert_eq!(rid1.len(), 36);
    assert!(
        seen[1].1.contains("hello\n") && seen[1].1.contains("world\n"),
        "{:?}",
        seen[1].1
    );
}

#[test]
fn a_job_that_fails_passes_its_status_through() {
    let (addr, seen) = recorder(200, None);
    let to = format!("http://{addr}/KEY");
    let out = wait(
        heartwire(&[
            "run",
            "--process",
            "report",
            "--to",
            &to,
            "--",
            "sh",
            "-c",
            "echo disk full; exit 3",
        ])
        .spawn()
        .expect("runs"),
    );
    assert_eq!(out.status.code(), Some(3));
    let seen = seen.lock().expect("log").clone();
    assert_eq!(split_rid(&seen[1].0).0, "POST /KEY/3");
    assert_eq!(seen[1].1, "disk full\n");
}

#[test]
fn a_job_killed_by_a_signal_is_128_plus_it() {
    let (addr, seen) = recorder(200, None);
    let to = format!("http://{addr}/KEY");
    let out = wait(
        heartwire(&[
            "run",
            "--process",
            "x",
            "--to",
            &to,
            "--",
            "sh",
            "-c",
            "kill -TERM $$",
        ])
        .spawn()
        .expect("runs"),
    );
    assert_eq!(out.status.code(), Some(143));
    assert_eq!(split_rid(&targets(&seen)[1]).0, "GET /KEY/143");
}

/// A job that never ran is a failure, reported as a shell reports it: 127 for a command
/// not found, 126 for one that cannot be executed; its start, then its exit status with
/// the reason as output, and never a success (issue 15).
#[test]
fn a_job_that_cannot_start_sends_its_failure() {
    let dir = scratch("cannot-start");
    let not_executable = dir.join("job.sh");
    std::fs::write(&not_executable, "#!/bin/sh\necho never\n").expect("a script");
    let not_executable = not_executable.display().to_string();
    for (program, status, why) in [
        ("/nonexistent/job", 127, "No such file or directory"),
        (not_executable.as_str(), 126, "Permission denied"),
    ] {
        let (addr, seen) = recorder(200, None);
        let to = format!("http://{addr}/KEY");
        let out = wait(
            heartwire(&["run", "--process", "x", "--to", &to, "--", program])
                .spawn()
                .expect("runs"),
        );
        assert_eq!(out.status.code(), Some(status), "{program}");
        let stderr = text(&out.stderr);
        assert!(
            stderr.contains(&format!("cannot run {program}: {why}"))
                && stderr.contains(&format!("reporting exit status {status}")),
            "{stderr}"
        );
        let seen = seen.lock().expect("log").clone();
        assert_eq!(seen.len(), 2, "{seen:?}");
        let (start, rid1) = split_rid(&seen[0].0);
        let (end, rid2) = split_rid(&seen[1].0);
        assert_eq!(start, "GET /KEY/start");
        assert_eq!(end, format!("POST /KEY/{status}"));
        assert_eq!(rid1, rid2);
        assert!(
            seen[1].1.contains(&format!("cannot run {program}: {why}")),
            "{:?}",
            seen[1].1
        );
    }
}

#[test]
fn beats_while_the_job_runs() {
    let dir = scratch("beats");
    let beaten = dir.join("beaten");
    let (addr, seen) = recorder(200, Some(("/log?", beaten.clone())));
    let to = format!("http://{addr}/ping/");
    // The job ends once the recorder has seen a beat: no timing involved.
    let script = format!("while [ ! -e {} ]; do sleep 0.05; done", beaten.display());
    let out = wait(
        heartwire(&[
            "run",
            "--process",
            "long",
            "--to",
            &to,
            "--period",
            "0.1s",
            "--",
            "sh",
            "-c",
            &script,
        ])
        .spawn()
        .expect("runs"),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let targets = targets(&seen);
    assert!(targets[0].starts_with("GET /ping/long/start?rid="));
    assert!(
        targets
            .iter()
            .any(|t| t.starts_with("GET /ping/long/log?rid=")),
        "{targets:?}"
    );
    assert!(
        targets
            .last()
            .expect("the end")
            .starts_with("GET /ping/long/0?rid="),
        "no output, no body"
    );
}

#[test]
fn sigterm_is_forwarded_to_a_hanging_job() {
    let dir = scratch("hang");
    let pidfile = dir.join("pid");
    let (addr, seen) = recorder(200, None);
    let to = format!("http://{addr}/KEY");
    let script = format!(
        "echo $$ > {}.tmp && mv {0}.tmp {0} && exec sleep 1000",
        pidfile.display()
    );
    let child = heartwire(&[
        "run",
        "--process",
        "hang",
        "--to",
        &to,
        "--",
        "sh",
        "-c",
        &script,
    ])
    .spawn()
    .expect("runs");
    wait_for(&pidfile);
    let job: u32 = std::fs::read_to_string(&pidfile)
        .expect("pid")
        .trim()
        .parse()
        .expect("a pid");
    assert!(Path::new(&format!("/proc/{job}")).exists(), "the job runs");
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(killed.success());
    let out = wait(child);
    assert_eq!(out.status.code(), Some(143), "{}", text(&out.stderr));
    assert!(
        !Path::new(&format!("/proc/{job}")).exists(),
        "the job {job} is gone"
    );
    assert_eq!(
        split_rid(targets(&seen).last().expect("the end")).0,
        "GET /KEY/143"
    );
}

/// `heartwire ping` pings once at start, again on SIGUSR1, and stops on SIGTERM, exit 0.
#[test]
fn ping_pings_on_sigusr1_and_stops_on_sigterm() {
    let (addr, seen) = recorder(200, None);
    let url = format!("http://{addr}/up");
    let child = heartwire(&["ping", "--to", &url, "--every", "1h"])
        .spawn()
        .expect("runs");
    let signal = |name: &str| {
        let sent = Command::new("kill")
            .args([format!("-{name}"), child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(sent.success(), "kill -{name}");
    };
    let pings = |at_least: usize| {
        let deadline = Instant::now() + Duration::from_secs(30);
        while targets(&seen).len() < at_least {
            assert!(Instant::now() < deadline, "{:?}", targets(&seen));
            std::thread::sleep(Duration::from_millis(20));
        }
    };
    // The start ping is sent once the signals are caught.
    pings(1);
    signal("USR1");
    pings(2);
    signal("TERM");
    let out = wait(child);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.lines().any(|l| l.ends_with("(200) start")),
        "{stdout}"
    );
    assert!(
        stdout.lines().any(|l| l.ends_with("(200) on demand")),
        "{stdout}"
    );
}

#[test]
fn beat_sends_one_signal() {
    let (addr, seen) = recorder(200, None);
    let to = format!("http://{addr}/beat");
    let out = heartwire(&[
        "beat",
        "--to",
        &to,
        "--process",
        "api",
        "--signal",
        "beat",
        "--period",
        "5s",
    ])
    .output()
    .expect("runs");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).ends_with(" (200)\n"),
        "{}",
        text(&out.stdout)
    );
    let seen = seen.lock().expect("log").clone();
    assert_eq!(
        seen,
        [("POST /beat".to_owned(), "heartbeat.api beat/5".to_owned())]
    );
}

#[test]
fn beat_reports_a_failed_ping() {
    let (addr, seen) = recorder(500, None);
    let to = format!("http://{addr}/KEY");
    let out = heartwire(&[
        "beat",
        "--to",
        &to,
        "--process",
        "api",
        "--exit-status",
        "4",
        "--attempts",
        "2",
        "--retry-after",
        "0.01s",
    ])
    .output()
    .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stdout).ends_with(" (HTTP error 500)\n"),
        "{}",
        text(&out.stdout)
    );
    assert_eq!(targets(&seen), ["GET /KEY/4", "GET /KEY/4"]);
}

#[test]
fn usage_errors() {
    for args in [
        &["beat", "--to", "gopher://x", "--process", "a"][..],
        &["ping", "--to", "http://x/", "--every", "7m"],
        &["ping", "--to", "nats://x/", "--every", "5m"],
        &[
            "beat",
            "--to",
            "nats://localhost:4222",
            "--process",
            "orders.*",
        ],
        &["beat", "--to", "localhost:8387", "--process", "a"],
        &["beat", "--to", "http://x/", "--process", "orders.>"],
        &[
            "beat",
            "--to",
            "http://x/",
            "--process",
            "a",
            "--period",
            "0",
        ],
        &["run", "--to", "http://x/", "--process", "a"],
        &[
            "run",
            "--to",
            "http://x/",
            "--process",
            "a",
            "--period",
            "0s",
            "--",
            "true",
        ],
    ] {
        let out = heartwire(args).output().expect("runs");
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&out.stderr)
        );
        assert!(!out.stderr.is_empty());
    }
}

#[test]
fn run_against_the_receiver() {
    use heartwire::time::{SystemClock, WallClock};
    use heartwire_http::{Receiver, ReceiverConfig};
    use heartwire_liveness::{Config, Monitor, Source, State};

    let receiver =
        Receiver::bind(([127, 0, 0, 1], 0).into(), ReceiverConfig::default()).expect("binds");
    let addr = receiver.local_addr().expect("bound");
    let monitor = Arc::new(Mutex::new(Monitor::new(Config::default())));
    let shared = Arc::clone(&monitor);
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime")
            .block_on(receiver.run(shared, || SystemClock.now()))
    });
    let to = format!("http://{addr}/ping/");
    let out = wait(
        heartwire(&["run", "--process", "nightly", "--to", &to, "--", "true"])
            .spawn()
            .expect("runs"),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = heartwire(&[
        "beat",
        "--to",
        &format!("http://{addr}/beat"),
        "--process",
        "api",
        "--signal",
        "degraded",
        "--period",
        "5s",
    ])
    .output()
    .expect("runs");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let monitor = monitor.lock().expect("monitor");
    assert_eq!(
        monitor.get(Source::Ping, "nightly").map(|v| v.state),
        Some(State::Alive)
    );
    assert_eq!(
        monitor.get(Source::Text, "api").map(|v| v.state),
        Some(State::Degraded)
    );
}

/// Through the real receiver, a job that could not start ends `failed`, with its exit
/// status kept as its last ping (before issue 15 it showed as `alive`).
#[test]
fn a_job_that_cannot_start_is_failed_in_the_receiver() {
    use heartwire::time::{SystemClock, WallClock};
    use heartwire_http::{Receiver, ReceiverConfig};
    use heartwire_liveness::{Config, Monitor, PingOutcome, Source, State};

    let receiver =
        Receiver::bind(([127, 0, 0, 1], 0).into(), ReceiverConfig::default()).expect("binds");
    let addr = receiver.local_addr().expect("bound");
    let monitor = Arc::new(Mutex::new(Monitor::new(Config::default())));
    let shared = Arc::clone(&monitor);
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime")
            .block_on(receiver.run(shared, || SystemClock.now()))
    });
    let to = format!("http://{addr}/ping/");
    let out = wait(
        heartwire(&[
            "run",
            "--process",
            "never",
            "--to",
            &to,
            "--",
            "/nonexistent/job",
        ])
        .spawn()
        .expect("runs"),
    );
    assert_eq!(out.status.code(), Some(127), "{}", text(&out.stderr));
    let monitor = monitor.lock().expect("monitor");
    let view = monitor.get(Source::Ping, "never").expect("registered");
    assert_eq!(view.state, State::Failed);
    assert_eq!(
        view.ping.and_then(|p| p.last_ping),
        Some(PingOutcome::Exit(127))
    );
}

/// A `--to` that is no URL may still hold credentials: the error never repeats them.
#[test]
fn a_target_without_a_scheme_never_shows_its_credentials() {
    for to in [
        "alice:s3cretpw@host",
        "alice:s3cretpw@host://x",
        "alice:s3c/ret#pw@host",
    ] {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_heartwire"))
            .args(["beat", "--to", to, "--process", "x", "--signal", "beat"])
            .args(["--period", "5s"])
            .output()
            .expect("the binary runs");
        assert_eq!(output.status.code(), Some(2), "{to}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("has no scheme"), "{stderr}");
        for secret in ["s3cretpw", "s3c", "ret#pw", "alice"] {
            assert!(!stderr.contains(secret), "{secret} in {stderr}");
        }
    }
}

/// A port on 127.0.0.1 where nothing listens (bound, then closed).
fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("binds");
    listener.local_addr().expect("bound").port()
}

/// A server on 127.0.0.1 that accepts connections and never answers.
fn silent_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("binds");
    let addr = listener.local_addr().expect("bound");
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten().take(64) {
            held.push(stream);
        }
        std::thread::sleep(Duration::from_secs(120));
    });
    addr
}

/// A 1-second job against a service that refuses connections: heartwire exits with the
/// job's status within a few seconds (start's retry is cut short by the job's end, the
/// end's ping gets the final budget), and each failure names the URL without its ping
/// key, and the cause. It took about 40 s before the final budget.
#[test]
fn an_endpoint_that_refuses_delays_the_job_a_little_and_is_named() {
    let to = format!("http://127.0.0.1:{}/ping/s3cretkey", closed_port());
    let began = Instant::now();
    let out = heartwire(&["run", "--to", &to, "--process", "job"])
        .args(["--", "sh", "-c", "sleep 1; exit 3"])
        .output()
        .expect("runs");
    let took = began.elapsed();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(took < Duration::from_secs(8), "took {took:?}: {stderr}");
    let shown = to.replace("s3cretkey", "…");
    assert!(
        stderr.contains(&format!(
            "start ping to {shown} failed after 1 attempt: connection refused"
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "exit 3 ping to {shown} failed after 2 attempts: connection refused"
        )),
        "{stderr}"
    );
    assert!(!stderr.contains("s3cretkey"), "{stderr}");
}

/// Against a server that accepts and never answers, the start ping in flight and the
/// end's ping together take at most the final budget (`--finish-within`, 10 s by
/// default) after the job: about 11 s for a 1-second job, where it took 80 s before
/// (two pings, each two attempts of 10 s, 20 s apart).
#[test]
fn an_endpoint_that_never_answers_is_bounded_by_the_final_budget() {
    let addr = silent_server();
    let to = format!("http://{addr}/ping/");
    let began = Instant::now();
    let out = heartwire(&["run", "--to", &to, "--process", "job", "--", "sleep", "1"])
        .output()
        .expect("runs");
    let took = began.elapsed();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        took < Duration::from_secs(1 + 10 + 3),
        "took {took:?}: {stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "exit 0 ping to http://{addr}/ping/… failed after 1 attempt: timeout"
        )),
        "{stderr}"
    );
}

/// A service without a start URL, nor one for a beat in a run (`snitch`): each missing
/// signal is said once on stderr, however many beats there are; the end is pinged.
#[test]
fn a_signal_the_service_does_not_have_is_said_once() {
    let (addr, seen) = recorder(200, None);
    let to = format!("http://{addr}/KEY");
    let out = heartwire(&[
        "run",
        "--to",
        &to,
        "--process",
        "job",
        "--service",
        "snitch",
    ])
    .args(["--period", "0.3s", "--", "sleep", "1.5"])
    .output()
    .expect("runs");
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let said = |what: &str| {
        stderr
            .lines()
            .filter(|l| l.contains(&format!("{what} not sent to http://{addr}/KEY")))
            .count()
    };
    assert_eq!((said("start"), said("beat")), (1, 1), "{stderr}");
    assert!(
        stderr.contains("this service has no such signal"),
        "{stderr}"
    );
    let pinged = targets(&seen);
    assert!(
        pinged.len() == 1 && pinged[0].starts_with("GET /KEY?s=0"),
        "{pinged:?}"
    );
}

/// A host name that does not resolve (`.invalid` is reserved, RFC 6761, and fails at
/// once here): `beat` exits 1 and says it is DNS, with the ping key hidden.
#[test]
fn beat_says_when_the_name_does_not_resolve() {
    let out = heartwire(&[
        "beat",
        "--to",
        "http://heartwire-test.invalid/ping/s3cretkey",
        "--process",
        "job",
        "--attempts",
        "1",
        "--timeout",
        "5s",
    ])
    .output()
    .expect("runs");
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(
            "beat ping to http://heartwire-test.invalid/ping/… failed after 1 attempt: DNS"
        ),
        "{stderr}"
    );
    assert!(!stderr.contains("s3cretkey"), "{stderr}");
}
