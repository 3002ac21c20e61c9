//! Running the suite against an implementation: heartwire's own (in this process), a
//! program started once per case (exec mode), or a long-lived program speaking JSON
//! lines (session mode). `spec/harness.md` says what each side may expect.
//!
//! Whatever the program does, the harness keeps going: it reads at most
//! [`MAX_LINE`] bytes per line (or per output in exec mode), waits at most the timeout
//! for each answer, drains stderr without reading meaning into it (keeping its last
//! [`STDERR_TAIL`] bytes to show with an error), and kills and restarts a program that
//! hangs, exits or writes garbage; such a case is an error, never a rejection. A program
//! that fails the same way on the first [`SAME_FAILURE_LIMIT`] cases cannot be run as
//! given: the run stops there with a [`HarnessError`].

use std::collections::{BTreeSet, VecDeque};
use std::ffi::OsString;
use std::fmt;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStderr, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use crate::builtin;
use crate::compare::{Answer, answer_text, check};
use crate::protocol::{
    EXIT_REJECTED, EXIT_UNSUPPORTED, HarnessHello, ImplementationHello, MAX_LINE, Output, PROTOCOL,
    Rejection, Request, Response, Stop,
};
use crate::report::{CaseResult, Implementation, InputExcerpt, Report, Status};
use crate::select::glob;
use crate::suite::{Suite, SuiteCase};

/// How long a session program may take to start and say hello, at least.
const MIN_STARTUP: Duration = Duration::from_secs(10);

/// How much of a program's stderr is kept, from its end: enough for a traceback or a
/// loader's error, bounded whatever the program writes (`spec/harness.md` §5). It is
/// shown with every error, and with a program that cannot be run.
pub const STDERR_TAIL: usize = 4 << 10;

/// When this many cases, the first to end, all end in an error with the same reason
/// before any case is answered, the program cannot be run as given (a mistyped script
/// path, a missing module): the run stops there as a usage error instead of reporting
/// the same crash for every case of the suite (`spec/harness.md` §8).
pub const SAME_FAILURE_LIMIT: usize = 5;

/// How long the harness waits for the end of a program's stderr once it has exited or
/// been killed, so that its last words are kept.
const STDERR_GRACE: Duration = Duration::from_millis(500);

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
    Hello {
        /// What happened instead.
        why: String,
        /// The end of what it wrote on stderr (empty when nothing).
        stderr: String,
    },
    /// The first [`SAME_FAILURE_LIMIT`] cases all ended in an error with the same
    /// reason, before any was answered: the program cannot be run as given.
    SameFailure {
        /// How many cases.
        cases: usize,
        /// Their reason.
        reason: String,
        /// The end of what the program wrote on stderr on the last of them (empty when
        /// nothing).
        stderr: String,
    },
}

/// Writes the end of a program's stderr under an error message, indented.
fn write_stderr(f: &mut fmt::Formatter<'_>, stderr: &str) -> fmt::Result {
    if stderr.trim().is_empty() {
        return f.write_str("; it wrote nothing on stderr");
    }
    f.write_str("; its stderr ends with:")?;
    for line in stderr.lines() {
        write!(f, "\n  | {line}")?;
    }
    Ok(())
}

impl fmt::Display for HarnessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HarnessError::UnknownFormat(name) => write!(f, "the suite has no format {name:?}"),
            HarnessError::NoCommand => f.write_str("the command is empty"),
            HarnessError::Spawn { program, source } => {
                write!(f, "cannot start {program}: {source}")
            }
            HarnessError::Hello { why, stderr } => {
                write!(f, "the session did not start: {why}")?;
                write_stderr(f, stderr)
            }
            HarnessError::SameFailure {
                cases,
                reason,
                stderr,
            } => {
                write!(
                    f,
                    "the program cannot be run as given: the first {cases} cases all ended in the same error, before any was answered: {reason}"
                )?;
                write_stderr(f, stderr)
            }
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

/// How far a run is, for a progress display: given to the observer of [`run_with`]
/// when a case starts and when one ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Progress<'a> {
    /// How many cases have ended.
    pub done: usize,
    /// How many cases the run takes.
    pub total: usize,
    /// How many of those ended failing the run (fail, error, unexpected pass).
    pub failures: usize,
    /// The case started last, running now (the latest of several in exec mode).
    pub current: Option<&'a str>,
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
    run_with(suite, options, &mut |p: &Progress<'_>| {
        if p.current.is_none() {
            progress(p.done, p.total);
        }
    })
}

/// Runs the selected cases and reports, telling `observer` when a case starts (with
/// its id as [`Progress::current`]) and when one ends (without).
pub fn run_with(
    suite: &Suite<'_>,
    options: &Options,
    observer: &mut dyn FnMut(&Progress<'_>),
) -> Result<Report, HarnessError> {
    let cases = select(suite, options.format.as_deref(), options.filter.as_deref())?;
    let mut recorder = Recorder::new(suite, &cases, &options.expected_failures, observer);
    let (mode, implementation) = match &options.command {
        None => {
            for (i, c) in cases.iter().enumerate() {
                recorder.started(i);
                let answer = builtin::answer(c.format, &c.case.operation, &c.case.input);
                recorder.ended(i, answer, None)?;
            }
            let implementation = Implementation {
                name: builtin::NAME.to_owned(),
                version: env!("CARGO_PKG_VERSION").to_owned(),
                ..Implementation::default()
            };
            ("builtin", implementation)
        }
        Some(command) if command.is_empty() => return Err(HarnessError::NoCommand),
        Some(command) => match options.mode {
            Mode::Exec => {
                run_exec(command, &cases, options, &mut recorder)?;
                let implementation = Implementation {
                    name: command_name(command),
                    ..Implementation::default()
                };
                ("exec", implementation)
            }
            Mode::Session => {
                let hello = run_session(
                    command,
                    &cases,
                    options.timeout,
                    &suite.manifest.version,
                    &mut recorder,
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
                ("session", implementation)
            }
        },
    };
    let mut results = recorder.results();
    for id in &options.expected_failures {
        if !suite.contains(id) {
            let mut stale = CaseResult::new(id, "", "", Status::StaleExpectation);
            stale.reason =
                Some("listed as an expected failure, but the suite has no such case".to_owned());
            results.push(stale);
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

/// Turns answers into results as they come: counts what a progress display shows, and
/// watches for a program that fails the same way on every case
/// ([`SAME_FAILURE_LIMIT`]).
struct Recorder<'r, 's> {
    cases: &'r [SuiteCase<'s>],
    /// The chapter each format's vector file tests (`spec/text.md`).
    specs: Vec<(&'s str, &'s str)>,
    expected_failures: &'r BTreeSet<String>,
    results: Vec<Option<CaseResult>>,
    done: usize,
    failures: usize,
    /// The errors of the first cases to end, while every case that ended is one.
    first_errors: Option<Vec<(String, Option<String>)>>,
    observer: &'r mut dyn FnMut(&Progress<'_>),
}

impl<'r, 's> Recorder<'r, 's> {
    fn new(
        suite: &'s Suite<'s>,
        cases: &'r [SuiteCase<'s>],
        expected_failures: &'r BTreeSet<String>,
        observer: &'r mut dyn FnMut(&Progress<'_>),
    ) -> Recorder<'r, 's> {
        Recorder {
            cases,
            specs: suite
                .files
                .iter()
                .map(|f| (f.format.as_str(), f.spec.as_str()))
                .collect(),
            expected_failures,
            results: cases.iter().map(|_| None).collect(),
            done: 0,
            failures: 0,
            first_errors: Some(Vec::new()),
            observer,
        }
    }

    fn progress(&mut self, current: Option<&str>) {
        (self.observer)(&Progress {
            done: self.done,
            total: self.cases.len(),
            failures: self.failures,
            current,
        });
    }

    /// Case `i` was started.
    fn started(&mut self, i: usize) {
        let cases = self.cases;
        if let Some(c) = cases.get(i) {
            self.progress(Some(&c.case.id));
        }
    }

    /// Case `i` ended with an answer, and the end of the program's stderr when it is an
    /// error. `Err` when the first cases all failed the same way: the run stops.
    fn ended(
        &mut self,
        i: usize,
        answer: Answer,
        stderr: Option<String>,
    ) -> Result<(), HarnessError> {
        let Some(c) = self.cases.get(i) else {
            return Ok(());
        };
        let spec = self
            .specs
            .iter()
            .find(|(format, _)| *format == c.format)
            .map_or("", |(_, spec)| spec);
        let same_failure = match (&answer, &mut self.first_errors) {
            (Answer::Errored(reason), Some(errors)) => {
                errors.push((reason.clone(), stderr.clone()));
                let all_same = errors.iter().all(|(r, _)| *r == errors[0].0);
                match (errors.len() >= SAME_FAILURE_LIMIT, all_same) {
                    (true, true) => Some(HarnessError::SameFailure {
                        cases: errors.len(),
                        reason: reason.clone(),
                        stderr: errors
                            .iter()
                            .rev()
                            .find_map(|(_, s)| s.clone())
                            .unwrap_or_default(),
                    }),
                    (false, true) => None,
                    (_, false) => {
                        self.first_errors = None;
                        None
                    }
                }
            }
            _ => {
                self.first_errors = None;
                None
            }
        };
        if let Some(e) = same_failure {
            return Err(e);
        }
        let mut r = result(c, &answer, self.expected_failures);
        if r.status.fails_the_run() {
            self.failures += 1;
        }
        r.spec = spec.to_owned();
        if matches!(
            r.status,
            Status::Fail | Status::Error | Status::ExpectedFailure
        ) {
            r.input = InputExcerpt::of_case(&c.case.input, &c.case.expect);
        }
        if matches!(answer, Answer::Errored(_)) {
            r.stderr = stderr.filter(|s| !s.trim().is_empty());
        }
        if let Some(slot) = self.results.get_mut(i) {
            *slot = Some(r);
        }
        self.done += 1;
        self.progress(None);
        Ok(())
    }

    /// The results, in suite order; a case that was not run is an error.
    fn results(self) -> Vec<CaseResult> {
        self.results
            .into_iter()
            .zip(self.cases)
            .map(|(r, c)| {
                r.unwrap_or_else(|| {
                    result(
                        c,
                        &Answer::Errored("not run".to_owned()),
                        self.expected_failures,
                    )
                })
            })
            .collect()
    }
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
    let mut r = CaseResult::new(&c.case.id, c.format, c.case.operation.as_str(), status);
    r.reason = reason;
    r.expected = expected;
    r.actual = actual;
    r.description.clone_from(&c.case.description);
    r.section.clone_from(&c.case.section);
    r
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

/// The end of a program's stderr: a thread reads it to its end, so that the program
/// never blocks on it, and keeps the last [`STDERR_TAIL`] bytes to show with an error.
#[derive(Debug, Clone, Default)]
struct StderrTail {
    shared: Arc<(Mutex<Tail>, Condvar)>,
}

#[derive(Debug, Default)]
struct Tail {
    bytes: VecDeque<u8>,
    /// Whether bytes before `bytes` were dropped (since the last take).
    cut: bool,
    /// Whether stderr has ended.
    ended: bool,
}

impl StderrTail {
    /// Starts reading a program's stderr.
    fn start(stderr: Option<ChildStderr>) -> StderrTail {
        let tail = StderrTail::default();
        match stderr {
            None => tail.lock().ended = true,
            Some(mut stderr) => {
                let writer = tail.clone();
                thread::spawn(move || {
                    let mut buf = [0u8; 8 << 10];
                    loop {
                        match stderr.read(&mut buf) {
                            Ok(0) => break,
                            Ok(n) => writer.keep(&buf[..n]),
                            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                            Err(_) => break,
                        }
                    }
                    writer.lock().ended = true;
                    writer.shared.1.notify_all();
                });
            }
        }
        tail
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Tail> {
        self.shared.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn keep(&self, bytes: &[u8]) {
        let mut tail = self.lock();
        tail.bytes.extend(bytes);
        let excess = tail.bytes.len().saturating_sub(STDERR_TAIL);
        if excess > 0 {
            tail.bytes.drain(..excess);
            tail.cut = true;
        }
    }

    /// Waits, at most `grace`, for stderr to end (the program has exited or was
    /// killed, and its last words may still be in the pipe).
    fn wait_end(&self, grace: Duration) {
        let deadline = Instant::now() + grace;
        let mut tail = self.lock();
        while !tail.ended {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return;
            }
            tail = self
                .shared
                .1
                .wait_timeout(tail, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }

    /// Forgets what was kept (a session's next case starts).
    fn clear(&self) {
        let mut tail = self.lock();
        tail.bytes.clear();
        tail.cut = false;
    }

    /// What was kept, as text, and forgets it. When the start was cut off, the text
    /// starts at the first whole line (unless that would leave nothing).
    fn take(&self) -> String {
        let mut tail = self.lock();
        let bytes: Vec<u8> = tail.bytes.drain(..).collect();
        let cut = std::mem::take(&mut tail.cut);
        drop(tail);
        let mut text = String::from_utf8_lossy(&bytes).into_owned();
        if cut && let Some(at) = text.find('\n').filter(|at| at + 1 < text.len()) {
            text.drain(..=at);
        }
        text
    }

    /// What was kept once stderr ended (at most `grace` from now), or `None` when the
    /// program wrote nothing there.
    fn take_at_end(&self, grace: Duration) -> Option<String> {
        self.wait_end(grace);
        Some(self.take()).filter(|s| !s.trim().is_empty())
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

/// What a worker of exec mode says about a case.
enum ExecEvent {
    Started(usize),
    Ended(usize, Result<(Answer, Option<String>), HarnessError>),
}

/// Runs every case in its own process, `options.jobs` at a time.
fn run_exec(
    command: &[OsString],
    cases: &[SuiteCase<'_>],
    options: &Options,
    recorder: &mut Recorder<'_, '_>,
) -> Result<(), HarnessError> {
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
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
                    let _ = send.send(ExecEvent::Started(i));
                    let answer = exec_case(command, case, options.timeout);
                    if send.send(ExecEvent::Ended(i, answer)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(send);
        for event in receive {
            if failure.is_some() {
                continue;
            }
            let ended = match event {
                ExecEvent::Started(i) => {
                    recorder.started(i);
                    continue;
                }
                ExecEvent::Ended(i, Ok((answer, stderr))) => recorder.ended(i, answer, stderr),
                ExecEvent::Ended(_, Err(e)) => Err(e),
            };
            if let Err(e) = ended {
                stop.store(true, Ordering::Relaxed);
                failure = Some(e);
            }
        }
    });
    match failure {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// Runs one case in a process of its own: its answer, and the end of its stderr when
/// the answer is an error.
fn exec_case(
    command: &[OsString],
    case: &SuiteCase<'_>,
    timeout: Duration,
) -> Result<(Answer, Option<String>), HarnessError> {
    let mut child = start_exec(command, case)?;
    let stderr = StderrTail::start(child.stderr.take());
    let answer = exec_answer_of(&mut child, timeout);
    let stderr = match answer {
        Answer::Errored(_) => stderr.take_at_end(STDERR_GRACE),
        _ => None,
    };
    Ok((answer, stderr))
}

/// Starts the program for one case and gives it the case's input.
fn start_exec(command: &[OsString], case: &SuiteCase<'_>) -> Result<Child, HarnessError> {
    let [program, args @ ..] = command else {
        return Err(HarnessError::NoCommand);
    };
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
    Ok(child)
}

/// Reads a started program's answer to one case, and reaps it.
fn exec_answer_of(child: &mut Child, timeout: Duration) -> Answer {
    let deadline = Instant::now() + timeout;
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
                kill(child);
                return Answer::Errored(format!("cannot read its output: {e}"));
            }
            Err(RecvTimeoutError::Timeout) if Instant::now() < deadline => {
                if has_exited(child) {
                    kill_group(child);
                }
            }
            Err(_) => {
                kill(child);
                return Answer::Errored(format!(
                    "timed out: no answer within {} ms",
                    timeout.as_millis()
                ));
            }
        }
    };
    let Some(status) = wait_until(child, deadline) else {
        return Answer::Errored(format!(
            "timed out: did not exit within {} ms",
            timeout.as_millis()
        ));
    };
    if stdout.len() > MAX_LINE {
        return Answer::Errored(format!("wrote more than {MAX_LINE} bytes on stdout"));
    }
    exec_answer(status, &stdout)
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
    stderr: StderrTail,
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
        let stderr = StderrTail::start(child.stderr.take());
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
                stderr,
                requests,
                lines,
                hello,
                seq: 0,
            }),
            Err(why) => {
                kill(&mut child);
                Err(HarnessError::Hello {
                    why,
                    stderr: stderr.take_at_end(STDERR_GRACE).unwrap_or_default(),
                })
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
        // What it writes on stderr from now on goes with this case.
        self.stderr.clear();
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

    /// Kills the program (its session is broken) and gives the end of what it wrote
    /// on stderr since the last case was sent, or `None` when nothing.
    fn kill_for_stderr(&mut self) -> Option<String> {
        kill(&mut self.child);
        self.stderr.take_at_end(STDERR_GRACE)
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

/// Runs every case through one program, restarting it when it breaks; gives its
/// hello.
fn run_session(
    command: &[OsString],
    cases: &[SuiteCase<'_>],
    timeout: Duration,
    suite: &str,
    recorder: &mut Recorder<'_, '_>,
) -> Result<ImplementationHello, HarnessError> {
    let mut session = Session::start(command, timeout, suite)?;
    let hello = session.hello.clone();
    // Why the program could not be restarted, and its stderr then (given with the
    // first case not run).
    let mut broken: Option<(String, Option<String>)> = None;
    for (i, case) in cases.iter().enumerate() {
        recorder.started(i);
        let (answer, stderr) = if let Some((why, stderr)) = &mut broken {
            let why = format!("not run: the program could not be restarted: {why}");
            (Answer::Errored(why), stderr.take())
        } else if !hello.supports(case.format, case.case.operation.as_str()) {
            let why = "not supported (its hello does not list it)".to_owned();
            (Answer::Skipped(why), None)
        } else {
            match session.ask(case, timeout) {
                // It said it failed, and may have said more on stderr.
                Ok(Answer::Errored(why)) => (Answer::Errored(why), Some(session.stderr.take())),
                Ok(answer) => (answer, None),
                Err(why) => {
                    let stderr = session.kill_for_stderr();
                    match Session::start(command, timeout, suite) {
                        Ok(fresh) => session = fresh,
                        Err(HarnessError::Hello { why, stderr }) => {
                            let why = format!("the session did not start: {why}");
                            broken = Some((why, Some(stderr)));
                        }
                        Err(e) => broken = Some((e.to_string(), None)),
                    }
                    (Answer::Errored(why), stderr)
                }
            }
        };
        if let Err(e) = recorder.ended(i, answer, stderr) {
            if broken.is_none() {
                session.stop(timeout);
            }
            return Err(e);
        }
    }
    if broken.is_none() {
        session.stop(timeout);
    }
    Ok(hello)
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
