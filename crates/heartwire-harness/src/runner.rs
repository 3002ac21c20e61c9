//! Running the suite against an implementation: heartwire's own (in this process), a
//! program started once per case (exec mode), or a long-lived program speaking JSON
//! lines (session mode). `spec/harness.md` says what each side may expect.
//!
//! Whatever the program does, the harness keeps going: it reads at most
//! [`MAX_LINE`] bytes per line (or per output in exec mode), waits at most the timeout
//! for each answer, drains stderr without reading meaning into it, and kills and
//! restarts a program that hangs, exits or writes garbage; such a case is an error, never
//! a rejection.

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::fmt;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender};
use std::thread;
use std::time::{Duration, Instant};

use crate::builtin;
use crate::compare::{Answer, answer_text, check};
use crate::protocol::{
    EXIT_REJECTED, EXIT_UNSUPPORTED, HarnessHello, ImplementationHello, MAX_LINE, Output, PROTOCOL,
    Rejection, Request, Response, Stop,
};
use crate::report::{CaseResult, Implementation, Report, Status};
use crate::select::glob;
use crate::suite::{Suite, SuiteCase};

/// How long a session program may take to start and say hello, at least.
const MIN_STARTUP: Duration = Duration::from_secs(10);

/// How the implementation under test is run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// One process per case: the input on stdin, the operation and format as the last
    /// two arguments, the answer on stdout and in the exit status.
    Exec,
    /// One long-lived process speaking JSON lines ([`crate::protocol`]).
    Session,
}

impl Mode {
    /// The mode's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Exec => "exec",
            Mode::Session => "session",
        }
    }
}

/// What to run and how.
#[derive(Debug, Clone)]
pub struct Options {
    /// The program and its first arguments; `None` runs heartwire's own implementation.
    pub command: Option<Vec<OsString>>,
    /// Exec or session (ignored for heartwire's own).
    pub mode: Mode,
    /// Only the cases of this format (`text`, `json`, `record`, `command`, `schedule`).
    pub format: Option<String>,
    /// Only the cases whose id matches this glob (`*`, `?`).
    pub filter: Option<String>,
    /// The ids of the cases expected to fail.
    pub expected_failures: BTreeSet<String>,
    /// How many processes run at once in exec mode.
    pub jobs: usize,
    /// How long each case may take.
    pub timeout: Duration,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            command: None,
            mode: Mode::Exec,
            format: None,
            filter: None,
            expected_failures: BTreeSet::new(),
            jobs: thread::available_parallelism().map_or(1, usize::from),
            timeout: Duration::from_secs(5),
        }
    }
}

/// Why a run could not be made: a usage or protocol error (exit status 2).
#[derive(Debug)]
#[non_exhaustive]
pub enum HarnessError {
    /// No format of that name in the suite.
    UnknownFormat(String),
    /// The command is empty.
    NoCommand,
    /// The program could not be started.
    Spawn {
        /// The program.
        program: String,
        /// Why.
        source: io::Error,
    },
    /// The session program did not answer `hello` as the protocol says.
    Hello(String),
}

impl fmt::Display for HarnessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HarnessError::UnknownFormat(name) => write!(f, "the suite has no format {name:?}"),
            HarnessError::NoCommand => f.write_str("the command is empty"),
            HarnessError::Spawn { program, source } => {
                write!(f, "cannot start {program}: {source}")
            }
            HarnessError::Hello(why) => write!(f, "the session did not start: {why}"),
        }
    }
}

impl std::error::Error for HarnessError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            HarnessError::Spawn { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// The cases a run takes, in suite order.
pub fn select<'s>(
    suite: &'s Suite<'s>,
    format: Option<&str>,
    filter: Option<&str>,
) -> Result<Vec<SuiteCase<'s>>, HarnessError> {
    if let Some(format) = format.filter(|f| !suite.formats().any(|g| g == *f)) {
        return Err(HarnessError::UnknownFormat(format.to_owned()));
    }
    Ok(suite
        .cases()
        .filter(|c| format.is_none_or(|f| c.format == f))
        .filter(|c| filter.is_none_or(|g| glob(g, &c.case.id)))
        .collect())
}

/// Runs the selected cases and reports. `progress` is called with (done, total) after
/// each case.
pub fn run(
    suite: &Suite<'_>,
    options: &Options,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Report, HarnessError> {
    let cases = select(suite, options.format.as_deref(), options.filter.as_deref())?;
    let (mode, implementation, answers) = match &options.command {
        None => {
            let mut answers = Vec::with_capacity(cases.len());
            for (i, c) in cases.iter().enumerate() {
                answers.push(builtin::answer(c.format, &c.case.operation, &c.case.input));
                progress(i + 1, cases.len());
            }
            let implementation = Implementation {
                name: builtin::NAME.to_owned(),
                version: env!("CARGO_PKG_VERSION").to_owned(),
                ..Implementation::default()
            };
            ("builtin", implementation, answers)
        }
        Some(command) if command.is_empty() => return Err(HarnessError::NoCommand),
        Some(command) => match options.mode {
            Mode::Exec => {
                let answers = run_exec(command, &cases, options, progress)?;
                let implementation = Implementation {
                    name: command_name(command),
                    ..Implementation::default()
                };
                ("exec", implementation, answers)
            }
            Mode::Session => {
                let (hello, answers) = run_session(
                    command,
                    &cases,
                    options.timeout,
                    &suite.manifest.version,
                    progress,
                )?;
                let unknown_formats = hello
                    .supports
                    .keys()
                    .filter(|f| !suite.formats().any(|known| known == f.as_str()))
                    .cloned()
                    .collect();
                let implementation = Implementation {
                    name: hello.name,
                    version: hello.version,
                    choices: hello.choices,
                    unknown_formats,
                };
                ("session", implementation, answers)
            }
        },
    };
    let mut results: Vec<CaseResult> = cases
        .iter()
        .zip(&answers)
        .map(|(c, answer)| result(c, answer, &options.expected_failures))
        .collect();
    for id in &options.expected_failures {
        if !suite.contains(id) {
            results.push(CaseResult {
                id: id.clone(),
                format: String::new(),
                operation: String::new(),
                status: Status::StaleExpectation,
                reason: Some(
                    "listed as an expected failure, but the suite has no such case".to_owned(),
                ),
                expected: None,
                actual: None,
            });
        }
    }
    Ok(Report::new(
        &suite.manifest.version,
        &suite.manifest.spec_version,
        mode,
        implementation,
        results,
    ))
}

/// The command as one line, for reports.
fn command_name(command: &[OsString]) -> String {
    command
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The status of one case, from its answer and whether it is listed as failing.
fn result(c: &SuiteCase<'_>, answer: &Answer, expected_failures: &BTreeSet<String>) -> CaseResult {
    let (status, reason, expected, actual) = match answer {
        Answer::Skipped(why) => (Status::Skip, Some(why.clone()), None, None),
        Answer::Errored(why) => (
            Status::Error,
            Some(why.clone()),
            None,
            Some(answer_text(answer)),
        ),
        Answer::Accepted(_) | Answer::Rejected(_) => match check(&c.case.expect, answer) {
            Ok(()) => (Status::Pass, None, None, None),
            Err(m) => (
                Status::Fail,
                Some(m.reason),
                Some(m.expected),
                Some(m.actual),
            ),
        },
    };
    let listed = expected_failures.contains(&c.case.id);
    let status = match (status, listed) {
        (Status::Fail | Status::Error, true) => Status::ExpectedFailure,
        (Status::Pass, true) => Status::UnexpectedPass,
        (status, _) => status,
    };
    let reason = if status == Status::UnexpectedPass {
        Some("passes, but is listed as an expected failure".to_owned())
    } else {
        reason
    };
    CaseResult {
        id: c.case.id.clone(),
        format: c.format.to_owned(),
        operation: c.case.operation.to_string(),
        status,
        reason,
        expected,
        actual,
    }
}

// ---------------------------------------------------------------------------------------
// Reading from a program
// ---------------------------------------------------------------------------------------

/// One line (without its LF) read from a program, or why there is none.
#[derive(Debug)]
enum Line {
    Text(Vec<u8>),
    /// A line longer than [`MAX_LINE`]; the rest of it was skipped.
    TooLong,
    /// End of output (or a read error).
    End,
}

/// Reads one line of at most `cap` bytes; a longer one is skipped to its end.
fn read_line(reader: &mut impl BufRead, cap: usize) -> Line {
    let mut line = Vec::new();
    let mut too_long = false;
    loop {
        let buf = match reader.fill_buf() {
            Ok(buf) => buf,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => return Line::End,
        };
        if buf.is_empty() {
            return if too_long {
                Line::TooLong
            } else if line.is_empty() {
                Line::End
            } else {
                Line::Text(line)
            };
        }
        let (chunk, done) = match buf.iter().position(|b| *b == b'\n') {
            Some(at) => (&buf[..at], Some(at + 1)),
            None => (buf, None),
        };
        if !too_long {
            if line.len() + chunk.len() > cap {
                too_long = true;
                line = Vec::new();
            } else {
                line.extend_from_slice(chunk);
            }
        }
        let used = done.unwrap_or(buf.len());
        reader.consume(used);
        if done.is_some() {
            return if too_long {
                Line::TooLong
            } else {
                Line::Text(line)
            };
        }
    }
}

/// Reads a program's stderr to its end, so that the program never blocks on it.
fn drain(stderr: Option<impl Read + Send + 'static>) {
    if let Some(mut stderr) = stderr {
        thread::spawn(move || {
            let _ = io::copy(&mut stderr, &mut io::sink());
        });
    }
}

/// Starts a program with its three standard streams piped, in a process group of its
/// own, so that whatever it starts is killed with it.
fn spawn(command: &mut Command) -> Result<Child, HarnessError> {
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(command, 0);
    command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|source| HarnessError::Spawn {
            program: command.get_program().to_string_lossy().into_owned(),
            source,
        })
}

/// Kills a program's process group (it and whatever it started), then reaps it.
fn kill(child: &mut Child) {
    kill_group(child);
    let _ = child.kill();
    let _ = child.wait();
}

/// SIGKILL to the program's process group. Called only while the program is not reaped
/// yet (running, or exited and not waited for), so that the group's id cannot have
/// been given to another process.
fn kill_group(child: &Child) {
    #[cfg(unix)]
    if let Ok(pid) = i32::try_from(child.id()) {
        use nix::sys::signal::{Signal, killpg};
        let _ = killpg(nix::unistd::Pid::from_raw(pid), Signal::SIGKILL);
    }
    #[cfg(not(unix))]
    let _ = child;
}

/// Whether the program has exited, without reaping it (its id stays reserved).
fn has_exited(child: &Child) -> bool {
    #[cfg(unix)]
    {
        use nix::sys::wait::{Id, WaitPidFlag, WaitStatus, waitid};
        let Ok(pid) = i32::try_from(child.id()) else {
            return false;
        };
        let flags = WaitPidFlag::WEXITED | WaitPidFlag::WNOHANG | WaitPidFlag::WNOWAIT;
        matches!(
            waitid(Id::Pid(nix::unistd::Pid::from_raw(pid)), flags),
            Ok(WaitStatus::Exited(..) | WaitStatus::Signaled(..))
        )
    }
    #[cfg(not(unix))]
    {
        let _ = child;
        true
    }
}

/// Waits until `deadline` for a program to exit, then kills what it left in its process
/// group; kills it all at the deadline.
fn wait_until(child: &mut Child, deadline: Instant) -> Option<ExitStatus> {
    let mut pause = Duration::from_micros(50);
    loop {
        if has_exited(child) {
            kill_group(child);
        }
        match child.try_wait() {
            Ok(Some(status)) => return Some(status),
            Ok(None) if Instant::now() < deadline => {
                thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(5));
            }
            _ => {
                kill(child);
                return None;
            }
        }
    }
}

/// A message as one line of JSON, ending in LF. The `args` of a case are kept as
/// written in the vector file, line breaks included; a JSON string cannot hold a raw line
/// break, so each one in the text is white space between tokens, and becomes a space.
pub fn json_line(message: &impl serde::Serialize) -> Vec<u8> {
    let mut line = serde_json::to_vec(message).unwrap_or_default();
    for b in &mut line {
        if *b == b'\n' || *b == b'\r' {
            *b = b' ';
        }
    }
    line.push(b'\n');
    line
}

/// A short, printable excerpt of bytes a program wrote.
fn excerpt(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let mut short: String = text.chars().take(80).collect();
    if short.len() < text.len() {
        short.push_str("...");
    }
    format!("{short:?}")
}

// ---------------------------------------------------------------------------------------
// Exec mode
// ---------------------------------------------------------------------------------------

/// Runs every case in its own process, `options.jobs` at a time.
fn run_exec(
    command: &[OsString],
    cases: &[SuiteCase<'_>],
    options: &Options,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Vec<Answer>, HarnessError> {
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let mut answers: Vec<Option<Answer>> = cases.iter().map(|_| None).collect();
    let mut failure = None;
    thread::scope(|scope| {
        let (send, receive) = mpsc::channel();
        for _ in 0..options.jobs.max(1) {
            let send = send.clone();
            let (next, stop) = (&next, &stop);
            scope.spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(case) = cases.get(i) else { break };
                    if send
                        .send((i, exec_case(command, case, options.timeout)))
                        .is_err()
                    {
                        break;
                    }
                }
            });
        }
        drop(send);
        let mut done = 0;
        for (i, answer) in receive {
            match answer {
                Ok(answer) => {
                    if let Some(slot) = answers.get_mut(i) {
                        *slot = Some(answer);
                    }
                    done += 1;
                    progress(done, cases.len());
                }
                Err(e) => {
                    stop.store(true, Ordering::Relaxed);
                    failure.get_or_insert(e);
                }
            }
        }
    });
    if let Some(e) = failure {
        return Err(e);
    }
    Ok(answers
        .into_iter()
        .map(|a| a.unwrap_or_else(|| Answer::Errored("not run".to_owned())))
        .collect())
}

/// Runs one case in a process of its own.
fn exec_case(
    command: &[OsString],
    case: &SuiteCase<'_>,
    timeout: Duration,
) -> Result<Answer, HarnessError> {
    let [program, args @ ..] = command else {
        return Err(HarnessError::NoCommand);
    };
    let deadline = Instant::now() + timeout;
    let mut child = spawn(
        Command::new(program)
            .args(args)
            .arg(case.case.operation.as_str())
            .arg(case.format)
            .env("HEARTWIRE_CASE_ID", &case.case.id),
    )?;
    let input = json_line(&case.case.input);
    if let Some(mut stdin) = child.stdin.take() {
        // A program that does not read its input must not block the harness.
        thread::spawn(move || {
            let _ = stdin.write_all(&input);
        });
    }
    drain(child.stderr.take());
    let (send, receive) = mpsc::sync_channel(1);
    if let Some(stdout) = child.stdout.take() {
        thread::spawn(move || {
            let mut captured = Vec::new();
            let mut limited = stdout.take(MAX_LINE as u64 + 1);
            let read = limited.read_to_end(&mut captured);
            let mut rest = limited.into_inner();
            let _ = send.send(read.map(|_| captured));
            // Keep reading (and dropping) so that the program is not blocked.
            let _ = io::copy(&mut rest, &mut io::sink());
        });
    }
    // Its output ends when every process holding its stdout has ended: once the program
    // itself has exited, what it left behind in its group is killed, so that a
    // background child cannot keep the answer waiting.
    let stdout = loop {
        match receive.recv_timeout(Duration::from_millis(5)) {
            Ok(Ok(stdout)) => break stdout,
            Ok(Err(e)) => {
                kill(&mut child);
                return Ok(Answer::Errored(format!("cannot read its output: {e}")));
            }
            Err(RecvTimeoutError::Timeout) if Instant::now() < deadline => {
                if has_exited(&child) {
                    kill_group(&child);
                }
            }
            Err(_) => {
                kill(&mut child);
                return Ok(Answer::Errored(format!(
                    "timed out: no answer within {} ms",
                    timeout.as_millis()
                )));
            }
        }
    };
    let Some(status) = wait_until(&mut child, deadline) else {
        return Ok(Answer::Errored(format!(
            "timed out: did not exit within {} ms",
            timeout.as_millis()
        )));
    };
    if stdout.len() > MAX_LINE {
        return Ok(Answer::Errored(format!(
            "wrote more than {MAX_LINE} bytes on stdout"
        )));
    }
    Ok(exec_answer(status, &stdout))
}

/// What an exit status and output mean in exec mode.
fn exec_answer(status: ExitStatus, stdout: &[u8]) -> Answer {
    let text = stdout.trim_ascii();
    match status.code() {
        Some(0) => match serde_json::from_slice::<Output>(text) {
            Ok(output) => Answer::Accepted(output),
            Err(e) => Answer::Errored(format!(
                "exit 0 with garbage on stdout ({e}): {}",
                excerpt(text)
            )),
        },
        Some(EXIT_REJECTED) => match serde_json::from_slice::<Rejection>(text) {
            Ok(rejection) => Answer::Rejected(rejection),
            Err(_) => Answer::Errored(format!(
                "exit 1 without a rejection object on stdout (a crash?): {}",
                excerpt(text)
            )),
        },
        Some(EXIT_UNSUPPORTED) => Answer::Skipped("not supported (exit 3)".to_owned()),
        _ => Answer::Errored(format!("crashed: {status}")),
    }
}

// ---------------------------------------------------------------------------------------
// Session mode
// ---------------------------------------------------------------------------------------

/// A running session program: started with [`Session::start`], asked one case at a
/// time with [`Session::ask`], ended with [`Session::stop`]. [`run`] uses it, restarting
/// it when it breaks; benchmarks use it to time the protocol alone.
#[derive(Debug)]
pub struct Session {
    child: Child,
    requests: SyncSender<Vec<u8>>,
    lines: Receiver<Line>,
    hello: ImplementationHello,
    seq: u64,
}

impl Session {
    /// Starts the program and exchanges hellos; the program has `timeout` (at least
    /// 10 s) to say hello.
    pub fn start(
        command: &[OsString],
        timeout: Duration,
        suite: &str,
    ) -> Result<Session, HarnessError> {
        let [program, args @ ..] = command else {
            return Err(HarnessError::NoCommand);
        };
        let mut child = spawn(Command::new(program).args(args))?;
        drain(child.stderr.take());
        let (requests, to_write) = mpsc::sync_channel::<Vec<u8>>(4);
        if let Some(mut stdin) = child.stdin.take() {
            thread::spawn(move || {
                for message in to_write {
                    if stdin
                        .write_all(&message)
                        .and_then(|()| stdin.flush())
                        .is_err()
                    {
                        break;
                    }
                }
            });
        }
        let (send, lines) = mpsc::sync_channel(4);
        if let Some(stdout) = child.stdout.take() {
            thread::spawn(move || read_lines(stdout, &send));
        }
        let hello = HarnessHello {
            kind: "hello".to_owned(),
            protocol: PROTOCOL,
            suite: suite.to_owned(),
        };
        let message = json_line(&hello);
        let _ = requests.send(message);
        let startup = timeout.max(MIN_STARTUP);
        let hello = match lines.recv_timeout(startup) {
            Ok(Line::Text(line)) => parse_hello(&line),
            Ok(Line::TooLong) => Err("a hello line longer than the limit".to_owned()),
            Ok(Line::End) | Err(RecvTimeoutError::Disconnected) => {
                let status = wait_until(&mut child, Instant::now() + Duration::from_millis(500));
                Err(format!(
                    "it exited before saying hello ({})",
                    status.map_or_else(|| "still running".to_owned(), |s| s.to_string())
                ))
            }
            Err(RecvTimeoutError::Timeout) => {
                Err(format!("no hello within {} ms", startup.as_millis()))
            }
        };
        match hello {
            Ok(hello) => Ok(Session {
                child,
                requests,
                lines,
                hello,
                seq: 0,
            }),
            Err(why) => {
                kill(&mut child);
                Err(HarnessError::Hello(why))
            }
        }
    }

    /// Sends one case and waits for its answer; `Err` says the session is broken (the
    /// case is an error and the program must be restarted).
    pub fn ask(&mut self, case: &SuiteCase<'_>, timeout: Duration) -> Result<Answer, String> {
        self.seq += 1;
        let request = Request {
            kind: "request",
            seq: self.seq,
            id: &case.case.id,
            format: case.format,
            operation: case.case.operation.as_str(),
            input: &case.case.input,
        };
        let message = json_line(&request);
        if self.requests.send(message).is_err() {
            return Err("its stdin is closed".to_owned());
        }
        match self.lines.recv_timeout(timeout) {
            Ok(Line::Text(line)) => match Response::parse(&line) {
                Ok(response) if response.seq() != self.seq => Err(format!(
                    "answered seq {} to request {}",
                    response.seq(),
                    self.seq
                )),
                Ok(Response::Ok { output, .. }) => Ok(Answer::Accepted(output)),
                Ok(Response::Rejected { rejection, .. }) => Ok(Answer::Rejected(rejection)),
                Ok(Response::Skipped { reason, .. }) => Ok(Answer::Skipped(reason)),
                Ok(Response::Errored { message, .. }) => {
                    Ok(Answer::Errored(format!("errored: {message}")))
                }
                Err(why) => Err(format!("garbage on stdout ({why}): {}", excerpt(&line))),
            },
            Ok(Line::TooLong) => Err(format!("a line longer than {MAX_LINE} bytes")),
            Ok(Line::End) | Err(RecvTimeoutError::Disconnected) => {
                let status =
                    wait_until(&mut self.child, Instant::now() + Duration::from_millis(500));
                Err(format!(
                    "exited mid-session ({})",
                    status.map_or_else(|| "stdout closed".to_owned(), |s| s.to_string())
                ))
            }
            Err(RecvTimeoutError::Timeout) => Err(format!(
                "timed out: no answer within {} ms",
                timeout.as_millis()
            )),
        }
    }

    /// The program's hello.
    pub fn hello(&self) -> &ImplementationHello {
        &self.hello
    }

    /// Says stop, and gives the program `timeout` to exit before killing it.
    pub fn stop(mut self, timeout: Duration) {
        let message = json_line(&Stop { kind: "stop" });
        let _ = self.requests.send(message);
        drop(self.requests);
        wait_until(&mut self.child, Instant::now() + timeout);
    }
}

/// Reads lines from a program's stdout into a channel until it ends or nobody listens.
fn read_lines(stdout: ChildStdout, send: &SyncSender<Line>) {
    let mut reader = BufReader::with_capacity(64 << 10, stdout);
    loop {
        let line = read_line(&mut reader, MAX_LINE);
        let end = matches!(line, Line::End);
        if send.send(line).is_err() || end {
            return;
        }
    }
}

fn parse_hello(line: &[u8]) -> Result<ImplementationHello, String> {
    let hello: ImplementationHello = serde_json::from_slice(line)
        .map_err(|e| format!("not a hello ({e}): {}", excerpt(line)))?;
    if hello.kind != "hello" {
        return Err(format!("a {:?} message instead of hello", hello.kind));
    }
    if hello.protocol != PROTOCOL {
        return Err(format!(
            "it speaks protocol {}, the harness {PROTOCOL}",
            hello.protocol
        ));
    }
    Ok(hello)
}

/// Runs every case through one program, restarting it when it breaks.
fn run_session(
    command: &[OsString],
    cases: &[SuiteCase<'_>],
    timeout: Duration,
    suite: &str,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<(ImplementationHello, Vec<Answer>), HarnessError> {
    let mut session = Session::start(command, timeout, suite)?;
    let hello = session.hello.clone();
    let mut answers = Vec::with_capacity(cases.len());
    let mut broken: Option<String> = None;
    for (i, case) in cases.iter().enumerate() {
        let answer = if let Some(why) = &broken {
            Answer::Errored(format!(
                "not run: the program could not be restarted: {why}"
            ))
        } else if !hello.supports(case.format, case.case.operation.as_str()) {
            Answer::Skipped("not supported (its hello does not list it)".to_owned())
        } else {
            match session.ask(case, timeout) {
                Ok(answer) => answer,
                Err(why) => {
                    kill(&mut session.child);
                    match Session::start(command, timeout, suite) {
                        Ok(fresh) => session = fresh,
                        Err(e) => broken = Some(e.to_string()),
                    }
                    Answer::Errored(why)
                }
            }
        };
        answers.push(answer);
        progress(i + 1, cases.len());
    }
    if broken.is_none() {
        session.stop(timeout);
    }
    Ok((hello, answers))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_capped() {
        let mut input = io::Cursor::new(b"short\nthis one is too long\nok\nlast".to_vec());
        let mut reader = BufReader::with_capacity(4, &mut input);
        let mut lines = Vec::new();
        loop {
            match read_line(&mut reader, 8) {
                Line::End => break,
                line => lines.push(format!("{line:?}")),
            }
        }
        assert_eq!(
            lines,
            [
                format!("{:?}", Line::Text(b"short".to_vec())),
                "TooLong".to_owned(),
                format!("{:?}", Line::Text(b"ok".to_vec())),
                format!("{:?}", Line::Text(b"last".to_vec())),
            ]
        );
    }

    #[test]
    fn the_builtin_implementation_passes_the_whole_suite() {
        let suite = Suite::builtin().map_err(|e| e.to_string());
        let Ok(suite) = suite else {
            panic!("{suite:?}");
        };
        let report = run(suite, &Options::default(), &mut |_, _| {});
        let Ok(report) = report else {
            panic!("{report:?}");
        };
        assert!(report.conformant, "{}", report.to_text(20));
        assert_eq!(report.count(Status::Pass), suite.cases().count());
    }
}
