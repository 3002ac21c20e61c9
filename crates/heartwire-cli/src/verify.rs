//! `heartwire verify` and `heartwire vectors`: thin glue over the `heartwire-harness`
//! crate, which holds the suite, the protocol, the runner and the reports.

use std::ffi::OsString;
use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{Args, Subcommand, ValueEnum};
use heartwire_harness::builtin;
use heartwire_harness::compare::Answer;
use heartwire_harness::protocol::{
    EXIT_UNSUPPORTED, ImplementationHello, MAX_LINE, PROTOCOL, Response,
};
use heartwire_harness::report::{Report, Status};
use heartwire_harness::runner::{self, Mode, Options};
use heartwire_harness::select::parse_expected_failures;
use heartwire_harness::suite::{FILES, Input, Operation, Suite};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Deserialize;

use crate::lines::{BoundedLines, Line};

/// The exit status of a usage or protocol error.
const USAGE: u8 = 2;

/// `heartwire verify`.
#[derive(Debug, Args)]
#[command(after_help = "\
Exit status:
  0  conformant: at least one case passed; no fail, error, unexpected pass or stale
     expectation
  1  not conformant
  2  usage or protocol error: the program cannot be started, no valid hello, or the
     first cases all ended in the same error before any was answered (its stderr is
     shown)

Exec mode runs `COMMAND ARGS... OPERATION FORMAT` once per case, with the case's input
(a JSON object) on stdin; it answers on stdout with exit 0, rejects with exit 1 and
{\"error\":...} on stdout, or exits 3 for not supported. Session mode speaks JSON lines.
spec/harness.md in the heartwire repository is the protocol.")]
pub(crate) struct VerifyArgs {
    /// How the implementation is run: a process per case (exec) or one long-lived
    /// process speaking JSON lines (session).
    #[arg(long, value_enum, default_value_t = ModeArg::Exec)]
    mode: ModeArg,
    /// Only the cases of this format: text, json, record, command, schedule or liveness
    /// (the monitor scenarios).
    #[arg(long, value_name = "FORMAT")]
    format: Option<String>,
    /// Only the cases whose id matches this glob (`*` and `?`), e.g. 'text.subject.*'.
    #[arg(long, value_name = "GLOB")]
    filter: Option<String>,
    /// Formats that must have been checked, comma-separated (`text,record`): a run in
    /// which a case of each was answered, not skipped, or it is not conformant.
    #[arg(long, value_name = "FORMATS", value_delimiter = ',')]
    require: Vec<String>,
    /// A file of case ids expected to fail, one per line (`#` starts a comment).
    #[arg(long, value_name = "FILE")]
    expected_failures: Option<PathBuf>,
    /// Write the ids of the cases that fail now to FILE (an expected failures file).
    #[arg(long, value_name = "FILE")]
    write_expected_failures: Option<PathBuf>,
    /// The report on stdout: a text summary with diffs, JSON, or JUnit XML.
    #[arg(long, value_enum, default_value_t = ReportArg::Text)]
    report: ReportArg,
    /// How many cases run at once in exec mode (default: the number of cores).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    jobs: Option<u16>,
    /// How long each case may take, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 5000, value_parser = clap::value_parser!(u64).range(1..))]
    timeout: u64,
    /// The implementation under test and its arguments (after `--`); heartwire's own
    /// when absent.
    #[arg(last = true, value_name = "COMMAND")]
    command: Vec<OsString>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ModeArg {
    /// One process per case.
    Exec,
    /// One long-lived process speaking JSON lines.
    Session,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ReportArg {
    /// A readable summary, with the first differences as diffs.
    Text,
    /// Every case's status as JSON.
    Json,
    /// JUnit XML for CI systems.
    Junit,
}

/// `heartwire vectors`.
#[derive(Debug, Subcommand)]
pub(crate) enum VectorsAction {
    /// List the cases: id, format, operation and `valid` or `invalid`, tab-separated.
    List {
        /// Only the cases of this format.
        #[arg(long, value_name = "FORMAT")]
        format: Option<String>,
    },
    /// Write the suite (vector files, suite.json, SHA256SUMS, README.md) into DIR, so
    /// that any test framework can run it; `sha256sum -c SHA256SUMS` checks it.
    Export {
        /// The folder to write into (created when absent).
        dir: PathBuf,
    },
    /// Answer one case as an exec-mode implementation does, with heartwire's own
    /// implementation: the case's input on stdin.
    Exec {
        /// The operation: decode, encode or a chapter's own.
        operation: String,
        /// The format.
        format: String,
    },
    /// Speak the session protocol on stdin and stdout with heartwire's own
    /// implementation.
    Serve,
}

fn fail(message: impl std::fmt::Display) -> ExitCode {
    note!("heartwire: {message}");
    ExitCode::from(USAGE)
}

/// How many failing cases the text report shows in full (description, input, diff,
/// stderr); the rest get one line each.
const TEXT_DETAILS: usize = 50;

/// How long a run goes before its progress is drawn: a short one never flickers.
const PROGRESS_AFTER: Duration = Duration::from_millis(300);

/// The progress of a run on stderr (cases done of all, failures so far, the case
/// running now), drawn only when stderr is a terminal, and cleared before anything
/// else is written; reports go to stdout and never contain it.
struct Progress {
    on: bool,
    started: Instant,
    bar: Option<ProgressBar>,
}

impl Progress {
    fn new() -> Progress {
        Progress {
            on: io::stderr().is_terminal(),
            started: Instant::now(),
            bar: None,
        }
    }

    fn update(&mut self, p: &runner::Progress<'_>) {
        if !self.on || self.started.elapsed() < PROGRESS_AFTER {
            return;
        }
        let bar = self.bar.get_or_insert_with(|| {
            let bar = ProgressBar::with_draw_target(
                Some(p.total as u64),
                ProgressDrawTarget::stderr_with_hz(10),
            );
            if let Ok(style) =
                ProgressStyle::with_template("verify [{bar:30}] {pos}/{len} cases, {wide_msg}")
            {
                bar.set_style(style.progress_chars("=> "));
            }
            bar
        });
        bar.set_position(p.done as u64);
        let failing = match p.failures {
            0 => "none failing".to_owned(),
            1 => "1 failing".to_owned(),
            n => format!("{n} failing"),
        };
        match p.current {
            Some(id) => bar.set_message(format!("{failing}; running {id}")),
            None if p.done == p.total => bar.set_message(failing),
            None => {}
        }
    }

    /// Removes the bar from the terminal.
    fn clear(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}

/// `heartwire verify`.
pub(crate) fn verify(args: VerifyArgs) -> ExitCode {
    let suite = match Suite::builtin() {
        Ok(suite) => suite,
        Err(e) => return fail(format!("the built-in suite is broken: {e}")),
    };
    let expected_failures = match &args.expected_failures {
        None => Default::default(),
        Some(path) => match std::fs::read_to_string(path) {
            Ok(text) => parse_expected_failures(&text),
            Err(e) => return fail(format!("{}: {e}", path.display())),
        },
    };
    let defaults = Options::default();
    let options = Options {
        command: (!args.command.is_empty()).then(|| args.command.clone()),
        mode: match args.mode {
            ModeArg::Exec => Mode::Exec,
            ModeArg::Session => Mode::Session,
        },
        format: args.format.clone(),
        filter: args.filter.clone(),
        expected_failures,
        jobs: args.jobs.map_or(defaults.jobs, usize::from),
        timeout: Duration::from_millis(args.timeout),
    };
    let mut progress = Progress::new();
    let run = runner::run_with(suite, &options, &mut |p| progress.update(p));
    progress.clear();
    let report = match run {
        Ok(report) => report,
        Err(e) => return fail(e),
    };
    if let Some(path) = &args.write_expected_failures
        && let Err(e) = std::fs::write(path, expected_failures_file(&report))
    {
        return fail(format!("{}: {e}", path.display()));
    }
    let text = match args.report {
        ReportArg::Text => report.to_text(TEXT_DETAILS),
        ReportArg::Json => report.to_json() + "\n",
        ReportArg::Junit => report.to_junit(),
    };
    let mut stdout = io::stdout().lock();
    if let Err(e) = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
        && e.kind() != io::ErrorKind::BrokenPipe
    {
        return fail(e);
    }
    if !report.implementation.unknown_formats.is_empty() {
        note!(
            "heartwire verify: the implementation's hello names formats the suite does not have: {} (expected {})",
            report.implementation.unknown_formats.join(", "),
            suite.formats().collect::<Vec<_>>().join(", ")
        );
    }
    let ran = report.ran_by_format();
    let missing: Vec<&str> = args
        .require
        .iter()
        .map(String::as_str)
        .filter(|format| !ran.iter().any(|(f, n, _)| f == format && *n > 0))
        .collect();
    if !missing.is_empty() {
        note!(
            "heartwire verify: NOT conformant: no case of {} was run (--require)",
            missing.join(", ")
        );
        return ExitCode::from(1);
    }
    if report.conformant {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// The cases that fail now, as an expected failures file.
fn expected_failures_file(report: &Report) -> String {
    let who = format!(
        "{} {}",
        report.implementation.name, report.implementation.version
    );
    let mut out = format!(
        "# Expected failures of {} against the heartwire suite {}\n\
         # (written by `heartwire verify --write-expected-failures`): one case id per line.\n",
        who.trim_end(),
        report.suite_version
    );
    for r in &report.results {
        if matches!(
            r.status,
            Status::Fail | Status::Error | Status::ExpectedFailure
        ) {
            let why = r.reason.as_deref().unwrap_or("").replace(['\n', '\r'], " ");
            out.push_str(&format!("{}  {why}\n", r.id));
        }
    }
    out
}

/// `heartwire vectors ...`.
pub(crate) fn vectors(action: VectorsAction) -> ExitCode {
    match action {
        VectorsAction::List { format } => {
            let suite = match Suite::builtin() {
                Ok(suite) => suite,
                Err(e) => return fail(format!("the built-in suite is broken: {e}")),
            };
            let cases = match runner::select(suite, format.as_deref(), None) {
                Ok(cases) => cases,
                Err(e) => return fail(e),
            };
            let mut out = io::BufWriter::new(io::stdout().lock());
            for c in cases {
                let validity = if c.case.expect.is_rejection() {
                    "invalid"
                } else {
                    "valid"
                };
                if writeln!(
                    out,
                    "{}\t{}\t{}\t{validity}",
                    c.case.id, c.format, c.case.operation
                )
                .is_err()
                {
                    return ExitCode::from(1);
                }
            }
            match out.flush() {
                Ok(()) => ExitCode::SUCCESS,
                Err(_) => ExitCode::from(1),
            }
        }
        VectorsAction::Export { dir } => match export(&dir) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => fail(format!("{}: {e}", dir.display())),
        },
        VectorsAction::Exec { operation, format } => exec_one(&operation, &format),
        VectorsAction::Serve => serve(),
    }
}

fn export(dir: &Path) -> io::Result<()> {
    std::fs::create_dir_all(dir)?;
    for (name, text) in FILES {
        std::fs::write(dir.join(name), text)?;
    }
    Ok(())
}

/// Writes an answer as exec mode does and says the exit status.
fn exec_one(operation: &str, format: &str) -> ExitCode {
    let mut input = Vec::new();
    let mut lines = BoundedLines::new(io::stdin().lock(), MAX_LINE);
    if let Ok(Some(Line::Complete(line))) = lines.next_line() {
        input = line;
    }
    let Ok(input) = serde_json::from_slice::<Input<'_>>(&input) else {
        return fail("stdin is not a case's input object");
    };
    let operation = Operation::from(operation.to_owned());
    let (text, code) = match builtin::answer(format, &operation, &input) {
        Answer::Accepted(output) => (serde_json::to_string(&output), 0),
        Answer::Rejected(rejection) => (serde_json::to_string(&rejection), 1),
        Answer::Skipped(_) => (Ok(String::new()), EXIT_UNSUPPORTED),
        Answer::Errored(why) => return fail(why),
    };
    let text = text.unwrap_or_default();
    if !text.is_empty() {
        say!("{text}");
    }
    ExitCode::from(u8::try_from(code).unwrap_or(USAGE))
}

/// A request as the session server reads it.
#[derive(Deserialize)]
struct Incoming<'a> {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    seq: u64,
    #[serde(default)]
    format: String,
    #[serde(default)]
    operation: String,
    #[serde(borrow, default)]
    input: Input<'a>,
}

/// The session protocol, answered by heartwire's own implementation.
fn serve() -> ExitCode {
    let mut supports = std::collections::BTreeMap::new();
    let suite = Suite::builtin().ok();
    for c in suite.iter().flat_map(|s| s.cases()) {
        let ops: &mut Vec<String> = supports.entry(c.format.to_owned()).or_default();
        let op = c.case.operation.to_string();
        if !ops.contains(&op) {
            ops.push(op);
        }
    }
    let hello = ImplementationHello {
        kind: "hello".to_owned(),
        protocol: PROTOCOL,
        name: builtin::NAME.to_owned(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
        supports,
        choices: Default::default(),
    };
    let mut out = io::BufWriter::new(io::stdout().lock());
    let mut lines = BoundedLines::new(io::stdin().lock(), MAX_LINE);
    let mut said_hello = false;
    while let Ok(Some(Line::Complete(line))) = lines.next_line() {
        let Ok(message) = serde_json::from_slice::<Incoming<'_>>(&line) else {
            return fail("stdin: not a protocol message");
        };
        let answer = match message.kind.as_str() {
            "hello" if !said_hello => {
                said_hello = true;
                serde_json::to_string(&hello).unwrap_or_default()
            }
            "request" => {
                let operation = Operation::from(message.operation);
                let seq = message.seq;
                let response = match builtin::answer(&message.format, &operation, &message.input) {
                    Answer::Accepted(output) => Response::Ok { seq, output },
                    Answer::Rejected(rejection) => Response::Rejected { seq, rejection },
                    Answer::Skipped(reason) => Response::Skipped { seq, reason },
                    Answer::Errored(message) => Response::Errored { seq, message },
                };
                serde_json::to_string(&response).unwrap_or_default()
            }
            "stop" => break,
            _ => return fail("stdin: an unexpected message"),
        };
        // Extra members keep their white space, line breaks included: outside strings,
        // where they can only be, they become spaces, so that the answer is one line.
        let answer = answer.replace(['\n', '\r'], " ");
        if writeln!(out, "{answer}")
            .and_then(|()| out.flush())
            .is_err()
        {
            break;
        }
    }
    ExitCode::SUCCESS
}
