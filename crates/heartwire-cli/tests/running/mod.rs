//! What the tests that run `heartwire` as a user does share: the binary started with its
//! stdout and stderr read line by line on threads of their own, every wait bounded, and
//! everything it wrote kept for the checks that no secret was shown; a token no other
//! run uses; a plain HTTP GET of the monitor's receiver.

#![allow(dead_code)] // Each test file uses part of it.

use std::cell::RefCell;
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::Value;

/// A token no other run or test uses: `tag`, the test process's id and the clock's
/// nanoseconds (letters and digits only, so it fits a process name).
pub(crate) fn unique(tag: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!("{tag}{}x{nanos}", std::process::id())
}

/// `heartwire` with `args`, its stdin closed and its output piped.
pub(crate) fn heartwire(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_heartwire"));
    command
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// A program running, read line by line: stdout lines as JSON events, stderr lines as
/// notes. What one wait passes over is kept for the next (the brokers deliver in their
/// own order); killed (SIGKILL) when dropped.
pub(crate) struct Running {
    pub(crate) child: Child,
    lines: mpsc::Receiver<String>,
    errors: mpsc::Receiver<String>,
    output: Arc<Mutex<String>>,
    pending: RefCell<Vec<Value>>,
    unclaimed: RefCell<Vec<String>>,
}

impl Running {
    /// `heartwire monitor` with `args`.
    pub(crate) fn monitor(args: &[&str]) -> Running {
        let mut command = heartwire(&["monitor"]);
        command.args(args);
        Running::spawn(&mut command)
    }

    /// Starts `command` (its stdout and stderr must be piped).
    pub(crate) fn spawn(command: &mut Command) -> Running {
        let mut child = command.spawn().expect("the binary runs");
        let output = Arc::new(Mutex::new(String::new()));
        let stdout = child.stdout.take().expect("stdout piped");
        let stderr = child.stderr.take().expect("stderr piped");
        Running {
            child,
            lines: lines_of(stdout, &output),
            errors: lines_of(stderr, &output),
            output,
            pending: RefCell::new(Vec::new()),
            unclaimed: RefCell::new(Vec::new()),
        }
    }

    /// The next stderr line holding `text`, within `bound`; each line is returned once.
    pub(crate) fn error_about(&self, text: &str, bound: Duration) -> String {
        let mut unclaimed = self.unclaimed.borrow_mut();
        if let Some(i) = unclaimed.iter().position(|l| l.contains(text)) {
            return unclaimed.remove(i);
        }
        let deadline = Instant::now() + bound;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = self.errors.recv_timeout(left).unwrap_or_else(|_| {
                panic!("no stderr line about {text:?} within {bound:?}; seen: {unclaimed:?}")
            });
            if line.contains(text) {
                return line;
            }
            unclaimed.push(line);
        }
    }

    /// The next stderr line, within `bound` (the lines earlier waits passed over first).
    pub(crate) fn next_error(&self, bound: Duration) -> Option<String> {
        let mut unclaimed = self.unclaimed.borrow_mut();
        if !unclaimed.is_empty() {
            return Some(unclaimed.remove(0));
        }
        self.errors.recv_timeout(bound).ok()
    }

    /// Forgets the stderr lines written so far that no wait claimed: the next waits
    /// see only what comes after.
    pub(crate) fn forget_errors(&self) {
        self.unclaimed.borrow_mut().clear();
        while self.errors.try_recv().is_ok() {}
    }

    /// Waits (20 s at most each) until `count` links say they are subscribed.
    pub(crate) fn wait_subscribed(&self, count: usize) {
        for _ in 0..count {
            self.error_about("subscribed to", Duration::from_secs(20));
        }
    }

    /// The `host:port` the monitor's HTTP receiver listens on, from its stderr.
    pub(crate) fn listening(&self) -> String {
        self.listening_line().1
    }

    /// The stderr line saying where the monitor listens, and that `host:port`.
    pub(crate) fn listening_line(&self) -> (String, String) {
        let line = self.error_about("listening on http://", Duration::from_secs(20));
        let addr = line
            .split("listening on http://")
            .nth(1)
            .and_then(|rest| rest.split('/').next())
            .expect("the address")
            .to_owned();
        (line, addr)
    }

    /// The next JSON event for which `wanted` holds, within `bound`; the others are
    /// kept for later calls.
    pub(crate) fn next_where(
        &self,
        what: &str,
        bound: Duration,
        wanted: impl Fn(&Value) -> bool,
    ) -> Value {
        let mut pending = self.pending.borrow_mut();
        if let Some(i) = pending.iter().position(&wanted) {
            return pending.remove(i);
        }
        let deadline = Instant::now() + bound;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = self
                .lines
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("no event {what} within {bound:?}"));
            let event: Value = serde_json::from_str(&line)
                .unwrap_or_else(|e| panic!("not a JSON line: {line:?}: {e}"));
            if wanted(&event) {
                return event;
            }
            pending.push(event);
        }
    }

    /// The next JSON event about `process`, within `bound`.
    pub(crate) fn event_about(&self, process: &str, bound: Duration) -> Value {
        self.next_where(&format!("about {process}"), bound, |e| {
            e["process"] == process
        })
    }

    /// The next JSON event whose `event` is `kind` (`link`, `lost`), within `bound`.
    pub(crate) fn next_event(&self, kind: &str, bound: Duration) -> Value {
        self.next_where(kind, bound, |e| e["event"] == kind)
    }

    /// The next change of `process` to `new`, within `bound`.
    pub(crate) fn changed(&self, process: &str, new: &str, bound: Duration) -> Value {
        self.next_where(&format!("{process} -> {new}"), bound, |e| {
            e["event"] == "changed" && e["process"] == process && e["new"] == new
        })
    }

    /// Everything it wrote so far, stdout and stderr.
    pub(crate) fn output(&self) -> String {
        self.output.lock().map(|o| o.clone()).unwrap_or_default()
    }

    /// SIGKILL, and the exit reaped.
    pub(crate) fn kill_9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Stops it (SIGKILL); everything it wrote.
    pub(crate) fn stop(mut self) -> String {
        self.kill_9();
        // The reader threads end with the pipes; give them a moment to hand over.
        let deadline = Instant::now() + Duration::from_secs(2);
        while Arc::strong_count(&self.output) > 1 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        self.output()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The lines of `stream` on a channel, each also appended to `output`.
fn lines_of(
    stream: impl Read + Send + 'static,
    output: &Arc<Mutex<String>>,
) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    let output = Arc::clone(output);
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines().map_while(Result::ok) {
            if let Ok(mut all) = output.lock() {
                all.push_str(&line);
                all.push('\n');
            }
            let _ = tx.send(line);
        }
    });
    rx
}

/// A GET over HTTP/1.0 (the answer ends with the connection, never chunked) that may
/// fail (the monitor is being killed): the status line and the body.
pub(crate) fn try_get(addr: &str, path: &str) -> Option<(String, String)> {
    let mut stream = std::net::TcpStream::connect(addr).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").ok()?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).ok()?;
    let (head, body) = answer.split_once("\r\n\r\n")?;
    Some((head.lines().next()?.to_owned(), body.to_owned()))
}

/// A GET that must be answered 200; the body.
pub(crate) fn http_get(addr: &str, path: &str) -> String {
    let (status, body) =
        try_get(addr, path).unwrap_or_else(|| panic!("GET {path}: no answer from {addr}"));
    assert!(status.contains(" 200 "), "GET {path}: {status}: {body}");
    body
}
