//! `heartwire run`: a job wrapped the way cron users wrap backups: start, a beat every
//! period while it runs, its exit status at the end (`spec/http.md` §6).

use std::collections::VecDeque;
use std::ffi::OsString;
use std::io::{self, Read, Write};
use std::process::{Command, ExitCode, Stdio};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use clap::Args;
use heartwire::text::{Process, Seconds, Signal};
use heartwire::time::{SystemClock, WallClock};
use heartwire_http::{JobSignal, RunId};

use crate::duration;
use crate::send::{self, MIN_FINAL_ATTEMPT, SendArgs, Sent, Target, report};
use crate::signals::{self, Caught};

/// The output lines kept for the end-of-job ping.
const TAIL_LINES: usize = 20;
/// The longest output line kept, in bytes (longer ones are cut).
const TAIL_LINE_LEN: usize = 1_000;

#[derive(Debug, Args)]
pub(crate) struct RunArgs {
    #[command(flatten)]
    send: SendArgs,
    /// How often to beat while the job runs, a duration (`30s`, `5m`, `1h`).
    #[arg(long, default_value = "30s", value_parser = duration::parse_seconds, value_name = "DURATION")]
    period: Seconds,
    /// The most heartwire spends on pings once the job has ended, before it exits with
    /// the job's status: a ping in flight is waited for, then the end's ping is sent
    /// with the time left (each attempt at least 1s, retried 1s apart while time is
    /// left). Over a broker, the adapter's timeout (5s a step) bounds the end instead.
    #[arg(long, default_value = "10s", value_parser = duration::parse, value_name = "DURATION")]
    finish_within: Duration,
    /// The job and its arguments, after `--`.
    #[arg(last = true, required = true, value_name = "COMMAND")]
    command: Vec<OsString>,
}

/// The last lines of a job's output, bounded.
#[derive(Debug, Default)]
struct Tail {
    lines: VecDeque<String>,
    partial: Vec<u8>,
}

impl Tail {
    fn push(&mut self, bytes: &[u8]) {
        for &b in bytes {
            if b == b'\n' {
                let line = String::from_utf8_lossy(&self.partial).into_owned();
                self.partial.clear();
                if self.lines.len() == TAIL_LINES {
                    self.lines.pop_front();
                }
                self.lines.push_back(line);
            } else if self.partial.len() < TAIL_LINE_LEN {
                self.partial.push(b);
            }
        }
    }

    fn text(&self) -> String {
        let mut text = String::new();
        for line in &self.lines {
            text.push_str(line);
            text.push('\n');
        }
        text.push_str(&String::from_utf8_lossy(&self.partial));
        text
    }
}

/// Copies `from` to `to` as it comes, keeping the last lines in `tail`; says `done`
/// at end of input.
fn pump(
    mut from: impl Read + Send + 'static,
    mut to: impl Write + Send + 'static,
    tail: Arc<Mutex<Tail>>,
    done: mpsc::Sender<()>,
) {
    thread::spawn(move || {
        let mut buf = [0u8; 8192];
        loop {
            match from.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    // A closed terminal must not stop the job.
                    let _ = to.write_all(&buf[..n]).and_then(|()| to.flush());
                    tail.lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .push(&buf[..n]);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => break,
            }
        }
        let _ = done.send(());
    });
}

/// `heartwire run`: start, a beat every period, the exit status at the end; the job's
/// own exit status is heartwire's.
pub(crate) fn run(args: RunArgs) -> ExitCode {
    if let Some(refused) = crate::brokers::refuse_unbuilt("run", &args.send.to) {
        return refused;
    }
    let process = match Process::new(args.send.process.as_deref().unwrap_or_default()) {
        Ok(process) => process.into_owned(),
        Err(e) => return crate::usage("run", format_args!("--process: {e}")),
    };
    // One broker connection for the whole job: its Last Will covers the job.
    let target = match Target::parse(&args.send) {
        Ok(target) => Arc::new(target.for_run(&process)),
        Err(e) => return crate::usage("run", e),
    };
    let Some((program, job_args)) = args.command.split_first() else {
        return crate::usage("run", "no command given after --");
    };
    let period = args.period;
    let run_id = RunId::new(SystemClock.now());

    let warned = Arc::new(Unsupported::default());
    // Start and beats go from one thread, in order, so a slow service never holds the job.
    // Dropping `stop_beats` ends it: a wait between beats or between two attempts
    // ends at once, and no new ping starts.
    let (stop_beats, beats_stopped) = mpsc::channel::<()>();
    let (beats_end, beats_ended) = mpsc::channel::<()>();
    {
        let target = Arc::clone(&target);
        let process = process.clone();
        let run_id = run_id.clone();
        let warned = Arc::clone(&warned);
        thread::spawn(move || {
            let mut wait = |d| beats_stopped.recv_timeout(d) == Err(RecvTimeoutError::Timeout);
            let start = JobSignal::Text(Signal::Start { warmup: period });
            let send = |signal, wait: &mut dyn FnMut(Duration) -> bool| {
                let sent = target.send_within(&process, signal, Some(&run_id), None, wait, None);
                warned.report(&target, signal, &sent);
            };
            send(start, &mut wait);
            let beat = JobSignal::Text(Signal::Beat { period });
            while wait(period.as_duration()) {
                send(beat, &mut wait);
            }
            let _ = beats_end.send(());
        });
    }

    let tail = Arc::new(Mutex::new(Tail::default()));
    // Caught from before the job starts, so that none is lost in between, and sent on to
    // the job once it runs.
    let (forward, caught) = mpsc::channel();
    let catching = signals::catch(
        &[
            Caught::Interrupt,
            Caught::Terminate,
            Caught::Hangup,
            Caught::Quit,
        ],
        move |signal| {
            let _ = forward.send(signal);
        },
    )
    .map_err(|e| note!("heartwire run: cannot catch signals ({e}); they will not be forwarded"))
    .ok();
    let spawned = Command::new(program)
        .args(job_args)
        .stdin(Stdio::inherit())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let status = match spawned {
        Err(e) => {
            drop(catching);
            // The shell's status for a command not found or not executable: a job that
            // never ran is a failure, sent as one (never a success, never nothing).
            let status = if e.kind() == io::ErrorKind::NotFound {
                127
            } else {
                126
            };
            let message = format!("cannot run {}: {e}", program.to_string_lossy());
            note!("heartwire run: {message}; reporting exit status {status}");
            tail.lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(format!("{message}\n").as_bytes());
            status
        }
        Ok(mut child) => {
            let (done, outputs_done) = mpsc::channel();
            if let Some(stdout) = child.stdout.take() {
                pump(stdout, io::stdout(), Arc::clone(&tail), done.clone());
            }
            if let Some(stderr) = child.stderr.take() {
                pump(stderr, io::stderr(), Arc::clone(&tail), done.clone());
            }
            drop(done);
            let forwarding = signals::forward(caught, child.id());
            let waited = child.wait();
            // Stopped once the job is reaped, before its pid can be reused.
            drop(catching);
            let _ = forwarding.join();
            // A grandchild holding the pipes open must not hold heartwire: wait a
            // moment for the last output, then go on.
            for _ in 0..2 {
                if outputs_done.recv_timeout(Duration::from_secs(1)).is_err() {
                    break;
                }
            }
            match waited {
                Ok(status) => exit_code(status),
                Err(e) => {
                    note!("heartwire run: cannot wait for the job: {e}");
                    1
                }
            }
        }
    };
    // The final budget: a ping in flight is waited for while time is left for one
    // attempt of the end's ping after it, then the end gets what is left.
    let deadline = Instant::now() + args.finish_within.max(MIN_FINAL_ATTEMPT);
    drop(stop_beats);
    let _ = beats_ended.recv_timeout(
        deadline
            .saturating_duration_since(Instant::now())
            .saturating_sub(MIN_FINAL_ATTEMPT),
    );
    let output = tail.lock().unwrap_or_else(PoisonError::into_inner).text();
    let end = JobSignal::Exit(status);
    let mut no_wait = |_| false;
    let sent = target.send_within(
        &process,
        end,
        Some(&run_id),
        Some(&output),
        &mut no_wait,
        Some(deadline),
    );
    warned.report(&target, end, &sent);
    ExitCode::from(status)
}

/// The signals the service was found to have no URL for, each warned about once.
#[derive(Debug, Default)]
struct Unsupported(Mutex<Vec<String>>);

impl Unsupported {
    /// Reports what sending `signal` came to: a failure every time (naming the target
    /// and the cause), a signal the service does not have the first time only.
    fn report(&self, target: &Target, signal: JobSignal, sent: &Sent) {
        if !matches!(sent, Sent::Skipped) {
            report("run", target, signal, sent);
            return;
        }
        let what = send::name(signal);
        let mut warned = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if !warned.contains(&what) {
            note!(
                "heartwire run: {what} not sent to {}: this service has no such signal \
                 (said once; see --service)",
                target.shown()
            );
            warned.push(what);
        }
    }
}

/// The job's exit status as a shell reports it: its code, or 128 + the signal that
/// killed it.
fn exit_code(status: std::process::ExitStatus) -> u8 {
    if let Some(code) = status.code() {
        return u8::try_from(code & 0xff).unwrap_or(1);
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            return u8::try_from(128 + signal).unwrap_or(255);
        }
    }
    1
}
