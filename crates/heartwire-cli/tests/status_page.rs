//! The status page of `heartwire monitor` (spec/http.md §5.11) in a real browser:
//! Debian's headless Chromium, driven through chromedriver (W3C WebDriver over HTTP on
//! 127.0.0.1) by the small client of `web`. The page must render every process, sort
//! those in trouble first, filter by state, update without a reload, show a run's
//! duration, ask for the ping key, and show what came from the network as text, never
//! as markup. A screenshot is kept: target/artefacts/status-page.png.
//!
//! Needs `chromium` and `chromium-driver` (`.ci/run` installs them); without them the
//! test says so and passes, except under CI (CI=true), where it fails.

mod web;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use web::{Monitor, eventually, request};

/// The key W3C WebDriver names an element by.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// A run id that is markup if the page ever made markup from data: run ids are any
/// visible ASCII (names are letters, digits, `_`, `-` and `.` only, spec/text.md §3).
const HOSTILE_RID: &str = "<img/src=x/onerror=document.title='pwned'><b>bold</b>";

fn find(program: &str, candidates: &[&str]) -> Option<PathBuf> {
    candidates
        .iter()
        .map(PathBuf::from)
        .chain(std::env::var_os("PATH").into_iter().flat_map(|paths| {
            std::env::split_paths(&paths)
                .map(|dir| dir.join(program))
                .collect::<Vec<_>>()
        }))
        .find(|p| p.is_file())
}

/// chromedriver, running on a free port of 127.0.0.1; killed when dropped.
struct Driver {
    child: Child,
    addr: String,
}

impl Driver {
    fn start(program: &Path) -> Driver {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free port");
        let child = Command::new(program)
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let addr = format!("127.0.0.1:{port}");
        eventually("chromedriver ready", Duration::from_secs(20), || {
            std::net::TcpStream::connect(&addr).ok()?;
            let (status, body) = request(&addr, "GET", "/status", &[], None);
            (status == 200 && body.contains("\"ready\":true")).then_some(())
        });
        Driver { child, addr }
    }

    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let text = body.map(|b| b.to_string());
        let (status, answer) = request(&self.addr, method, path, &[], text.as_deref());
        let value: Value = serde_json::from_str(&answer)
            .unwrap_or_else(|e| panic!("{method} {path}: {status}: {e}: {answer}"));
        assert_eq!(status, 200, "{method} {path}: {value}");
        value["value"].clone()
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A browser session; closed when dropped.
struct Browser<'a> {
    driver: &'a Driver,
    session: String,
}

impl<'a> Browser<'a> {
    fn open(driver: &'a Driver, chromium: &Path) -> Browser<'a> {
        let value = driver.call(
            "POST",
            "/session",
            Some(json!({"capabilities": {"alwaysMatch": {
                "browserName": "chrome",
                "goog:chromeOptions": {
                    "binary": chromium,
                    "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                        "--disable-dev-shm-usage", "--window-size=1280,760",
                        "--no-first-run", "--disable-extensions"],
                },
            }}})),
        );
        let session = value["sessionId"]
            .as_str()
            .expect("a session id")
            .to_owned();
        Browser { driver, session }
    }

    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        self.driver
            .call(method, &format!("/session/{}{path}", self.session), body)
    }

    fn go(&self, url: &str) {
        self.call("POST", "/url", Some(json!({ "url": url })));
    }

    /// Runs `script` (the body of a function) in the page; its return value.
    fn run(&self, script: &str) -> Value {
        self.call(
            "POST",
            "/execute/sync",
            Some(json!({"script": script, "args": []})),
        )
    }

    fn element(&self, css: &str) -> String {
        let value = self.call(
            "POST",
            "/element",
            Some(json!({"using": "css selector", "value": css})),
        );
        value[ELEMENT]
            .as_str()
            .unwrap_or_else(|| panic!("no element {css}: {value}"))
            .to_owned()
    }

    fn click(&self, css: &str) {
        let id = self.element(css);
        self.call("POST", &format!("/element/{id}/click"), Some(json!({})));
    }

    fn type_into(&self, css: &str, text: &str) {
        let id = self.element(css);
        self.call(
            "POST",
            &format!("/element/{id}/value"),
            Some(json!({ "text": text })),
        );
    }

    /// The rows of the table as the page shows them.
    fn rows(&self) -> Vec<Value> {
        let rows = self.run(
            "return Array.from(document.querySelectorAll('#rows tr')).map(r => ({
               name: r.dataset.name, source: r.dataset.source, state: r.dataset.state,
               shown: r.querySelector('.c-state').textContent,
               text: r.querySelector('.c-name').textContent,
               signal: r.querySelector('.c-signal').textContent,
               age: r.querySelector('.c-age').textContent,
               deadline: r.querySelector('.c-deadline').textContent }));",
        );
        rows.as_array().cloned().unwrap_or_default()
    }

    /// Waits (10 s at most) until the rows satisfy `check`.
    fn rows_until(&self, what: &str, check: impl Fn(&[Value]) -> bool) -> Vec<Value> {
        eventually(what, Duration::from_secs(10), || {
            let rows = self.rows();
            check(&rows).then_some(rows)
        })
    }

    fn screenshot(&self, to: &Path) {
        let data = self.call("GET", "/screenshot", None);
        let png = base64(data.as_str().expect("base64 PNG"));
        assert!(png.starts_with(b"\x89PNG"), "a PNG");
        if let Some(dir) = to.parent() {
            std::fs::create_dir_all(dir).expect("the artefacts folder");
        }
        std::fs::write(to, png).expect("the screenshot is written");
    }
}

impl Drop for Browser<'_> {
    fn drop(&mut self) {
        let _ = request(
            &self.driver.addr,
            "DELETE",
            &format!("/session/{}", self.session),
            &[],
            None,
        );
    }
}

/// Standard base64 decoded (what WebDriver sends screenshots in); other bytes skipped.
fn base64(text: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    };
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    let (mut bits, mut count) = (0u32, 0);
    for sextet in text.bytes().filter_map(value) {
        bits = (bits << 6) | u32::from(sextet);
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
        }
    }
    out
}

fn names(rows: &[Value]) -> Vec<&str> {
    rows.iter().filter_map(|r| r["name"].as_str()).collect()
}

fn row<'r>(rows: &'r [Value], name: &str) -> &'r Value {
    rows.iter()
        .find(|r| r["name"] == name)
        .unwrap_or_else(|| panic!("no row {name}: {rows:?}"))
}

#[test]
fn the_status_page_in_headless_chromium() {
    let started = Instant::now();
    let tools = (
        find("chromium", &["/usr/bin/chromium"]),
        find("chromedriver", &["/usr/bin/chromedriver"]),
    );
    let (Some(chromium), Some(chromedriver)) = tools else {
        assert!(
            std::env::var_os("CI").is_none(),
            "chromium and chromedriver are needed (apt-get install chromium chromium-driver)"
        );
        eprintln!("status page test skipped: apt-get install chromium chromium-driver to run it");
        return;
    };

    let m = Monitor::start(&[]);
    // A run of 1.2 s, a failure, beats alive and soon dead, and a hostile run id.
    m.ok("GET", "/ping/nightly-backup/start?rid=run-7", None);
    m.ok("POST", "/beat", Some("heartbeat.api.web-1 beat/60\nheartbeat.api.web-2 beat/60\nheartbeat.worker-3 beat/1\nheartbeat.reports degraded/60\n"));
    m.ok("GET", "/ping/invoices/2", None);
    let hostile: String = HOSTILE_RID.bytes().map(|b| format!("%{b:02X}")).collect();
    m.ok("GET", &format!("/ping/cleanup.tmp?rid={hostile}"), None);
    std::thread::sleep(Duration::from_millis(1200));
    m.ok("GET", "/ping/nightly-backup?rid=run-7", None);

    let driver = Driver::start(&chromedriver);
    let browser = Browser::open(&driver, &chromium);
    browser.go(&format!("http://{}/", m.addr));

    // worker-3 beats every second: dead 3 s after its beat.
    let rows = browser.rows_until("the rows, worker-3 dead", |rows| {
        rows.len() == 7
            && rows
                .iter()
                .any(|r| r["name"] == "worker-3" && r["state"] == "dead")
    });
    let states: Vec<&str> = rows.iter().filter_map(|r| r["state"].as_str()).collect();
    assert_eq!(&states[..2], ["dead", "failed"], "{rows:?}");
    assert_eq!(names(&rows)[..2], ["worker-3", "invoices"]);
    let invoices = row(&rows, "invoices");
    assert_eq!(invoices["shown"], "failed");
    assert_eq!(invoices["signal"], "fail (exit 2)");
    assert_eq!(invoices["source"], "ping");
    let web1 = row(&rows, "api.web-1");
    assert_eq!(web1["signal"], "beat/60");
    assert!(
        web1["age"].as_str().is_some_and(|a| a.ends_with(" s")),
        "{web1}"
    );
    assert!(
        web1["deadline"]
            .as_str()
            .is_some_and(|d| d.starts_with("late in ")),
        "{web1}"
    );
    assert_eq!(row(&rows, "reports")["state"], "degraded");

    // The hostile run id is text: no element made of it, nothing ran.
    let cleanup = row(&rows, "cleanup.tmp");
    assert!(
        cleanup["text"]
            .as_str()
            .is_some_and(|t| t.contains(HOSTILE_RID)),
        "{cleanup}"
    );
    let injected = browser.run(
        "return {images: document.querySelectorAll('img').length,
                 bold: document.querySelectorAll('b').length,
                 title: document.title};",
    );
    assert_eq!(injected["images"], 0, "{injected}");
    assert_eq!(injected["title"], "heartwire monitor", "{injected}");

    // Filtered by state, from the select.
    browser.click("#state-filter option[value='failed']");
    let failed = browser.rows_until("only the failed", |rows| rows.len() == 1);
    assert_eq!(names(&failed), ["invoices"]);
    browser.click("#state-filter option[value='']");
    browser.rows_until("all again", |rows| rows.len() == 7);

    // Sorted by name, then back by state.
    browser.click("th button[data-sort='name']");
    let by_name = browser.rows();
    let mut sorted = names(&by_name);
    sorted.sort_unstable();
    assert_eq!(names(&by_name), sorted);
    browser.click("th button[data-sort='state']");
    assert_eq!(names(&browser.rows())[0], "worker-3");

    // A new process appears without a reload.
    let marker = browser.run("window.heartwireMarker = 42; return 1;");
    assert_eq!(marker, 1);
    m.ok("GET", "/ping/late-comer/fail", None);
    let rows = browser.rows_until("late-comer shown", |rows| {
        rows.iter().any(|r| r["name"] == "late-comer")
    });
    assert_eq!(row(&rows, "late-comer")["state"], "failed");
    assert_eq!(
        browser.run("return window.heartwireMarker;"),
        42,
        "no reload"
    );

    // A process's history: its run and how long it took.
    browser.click("#rows tr[data-name='nightly-backup'] .c-name button");
    let details = eventually("the run shown", Duration::from_secs(10), || {
        let d = browser.run(
            "const runs = Array.from(document.querySelectorAll('#runs tbody tr'));
             return {hidden: document.getElementById('details').hidden,
                     title: document.getElementById('details-title').textContent,
                     runs: runs.map(r => r.querySelector('.c-duration').textContent),
                     history: document.querySelectorAll('#history li').length};",
        );
        (d["runs"].as_array().is_some_and(|r| !r.is_empty())).then_some(d)
    });
    assert_eq!(details["hidden"], false);
    assert_eq!(details["title"], "nightly-backup");
    let duration = details["runs"][0].as_str().unwrap_or("");
    let seconds: f64 = duration
        .strip_suffix(" s")
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("a duration in seconds: {duration:?}"));
    assert!((1.2..5.0).contains(&seconds), "{duration}");
    let recent = browser.run("return document.querySelectorAll('#changes li').length;");
    assert!(recent.as_u64().is_some_and(|n| n >= 8), "{recent}");

    let shot = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("the target folder")
        .join("artefacts/status-page.png");
    browser.screenshot(&shot);
    eprintln!("screenshot: {}", shot.display());
    drop(browser);

    // With a ping key: the page loads, asks for the key, and shows the state with it.
    let dir = web::scratch("page-key");
    let key_file = dir.join("key");
    let key = "page-key-0123456789abcdef";
    std::fs::write(&key_file, format!("{key}\n")).expect("the key file");
    let keyed = Monitor::start(&["--ping-key-file", key_file.to_str().expect("UTF-8")]);
    request(
        &keyed.addr,
        "GET",
        &format!("/ping/{key}/guarded"),
        &[],
        None,
    );
    let browser = Browser::open(&driver, &chromium);
    browser.go(&format!("http://{}/", keyed.addr));
    eventually("the key asked for", Duration::from_secs(10), || {
        let hidden = browser.run("return document.getElementById('key').hidden;");
        (hidden == false).then_some(())
    });
    assert!(browser.rows().is_empty());
    browser.type_into("#key-input", key);
    browser.click("#key-use");
    let rows = browser.rows_until("the keyed rows", |rows| rows.len() == 1);
    assert_eq!(names(&rows), ["guarded"]);
    let stored = browser.run("return sessionStorage.getItem('heartwire-key');");
    assert_eq!(stored, key);
    let url = browser.call("GET", "/url", None);
    assert!(!url.as_str().unwrap_or("").contains(key), "{url}");
    drop(browser);
    let _ = std::fs::remove_dir_all(&dir);
    eprintln!("status page test: {:?}", started.elapsed());
}

/// A liveness record of the seed's tracker services (seed 001), received from Redis,
/// shows on the page as the seed's monitor script shows it: uptime, count, memory and
/// CPU in the row, the service's own members under its name and in its details.
#[test]
fn a_record_on_the_status_page_shows_its_facts_and_members() {
    let tools = (
        find("chromium", &["/usr/bin/chromium"]),
        find("chromedriver", &["/usr/bin/chromedriver"]),
    );
    let (Some(chromium), Some(chromedriver)) = tools else {
        assert!(
            std::env::var_os("CI").is_none(),
            "chromium and chromedriver are needed (apt-get install chromium chromium-driver)"
        );
        eprintln!("status page test skipped: apt-get install chromium chromium-driver to run it");
        return;
    };
    let redis = "redis://127.0.0.1:6379";
    let m = Monitor::start(&["--from", redis]);
    eventually("the Redis link up", Duration::from_secs(20), || {
        let status: Value = serde_json::from_str(&m.get("/status").1).ok()?;
        (status["links"][0]["connected"] == true).then_some(())
    });
    let service = format!("tracker_fetcher_{}", std::process::id());
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970");
    let timestamp = heartwire::time::Timestamp::from_unix_micros(heartwire::time::UnixTime::new(
        i64::try_from(now.as_secs()).expect("in range"),
        now.subsec_nanos(),
    ));
    let record = format!(
        r#"{{"service_name": "{service}", "instance_id": "a1b2c3d4-e5f6-7890-abcd-ef1234567890", "timestamp": "{timestamp}", "uptime_seconds": 4320.5, "heartbeat_count": 72, "memory_usage_mb": 156.3, "cpu_usage_percent": 12.5, "queue_size": 1380, "last_successful_operation": "2025-01-16T08:29:45.123456+00:00", "api_status": "<b>authenticated</b>"}}"#
    );
    let published = Command::new("redis-cli")
        .args([
            "-u",
            redis,
            "PUBLISH",
            &format!("heartbeat:service:{service}"),
            &record,
        ])
        .output()
        .expect("redis-cli runs");
    assert!(published.status.success(), "{published:?}");

    let driver = Driver::start(&chromedriver);
    let browser = Browser::open(&driver, &chromium);
    browser.go(&format!("http://{}/", m.addr));
    let rows = browser.rows_until("the record's row", |rows| {
        rows.iter().any(|r| r["name"] == service.as_str())
    });
    let shown = row(&rows, &service);
    assert_eq!(shown["source"], "record");
    assert_eq!(
        shown["signal"],
        "Uptime: 1.2h | Heartbeats: 72 | Memory: 156.3MB | CPU: 12.5%"
    );
    assert!(
        shown["text"].as_str().is_some_and(|t| t.ends_with(
            "queue_size: 1380 | last_successful_operation: 2025-01-16T08:29:45.123456+00:00 | api_status: <b>authenticated</b>"
        )),
        "{shown}"
    );
    assert_eq!(
        browser.run("return document.querySelectorAll('#rows b').length;"),
        0,
        "a member's value is text, never markup"
    );
    browser.click(&format!("#rows tr[data-name='{service}'] .link"));
    let details = eventually("the details", Duration::from_secs(10), || {
        let items = browser.run(
            "return Array.from(document.querySelectorAll('#details-record li')).map(li => li.textContent);",
        );
        items.as_array().filter(|i| i.len() == 4).cloned()
    });
    assert_eq!(
        details[0],
        "instance a1b2c3d4-e5f6-7890-abcd-ef1234567890 · Uptime: 1.2h | Heartbeats: 72 | Memory: 156.3MB | CPU: 12.5%"
    );
    assert_eq!(details[1], "queue_size: 1380");
    assert_eq!(details[3], "api_status: <b>authenticated</b>");
    let shot = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("the target folder")
        .join("artefacts/status-page-record.png");
    browser.screenshot(&shot);
}
