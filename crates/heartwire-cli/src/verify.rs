//! `heartwire verify`: thin glue over the `heartwire-harness` crate, which holds the
//! suite, the protocol, the runner and the reports.

use std::ffi::OsString;
use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{Args, ValueEnum};
use heartwire_harness::report::{Report, Status};
use heartwire_harness::runner::{self, Mode, Options};
use heartwire_harness::select::parse_expected_failures;
use heartwire_harness::suite::Suite;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::duration;

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
    /// Only the cases of this format: text, json, record, command, schedule, liveness
    /// (the monitor scenarios) or transport (the broker addresses).
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
    /// How long each case may take, a duration (`5s`, `500ms`).
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = duration::parse)]
    timeout: Duration,
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
pub(crate) fn run(args: VerifyArgs) -> ExitCode {
    let suite = match Suite::builtin() {
        Ok(suite) => suite,
        Err(e) => return crate::usage("verify", format!("the built-in suite is broken: {e}")),
    };
    let expected_failures = match &args.expected_failures {
        None => Default::default(),
        Some(path) => match std::fs::read_to_string(path) {
            Ok(text) => parse_expected_failures(&text),
            Err(e) => return crate::usage("verify", format!("{}: {e}", path.display())),
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
        timeout: args.timeout,
    };
    let mut progress = Progress::new();
    let run = runner::run_with(suite, &options, &mut |p| progress.update(p));
    progress.clear();
    let report = match run {
        Ok(report) => report,
        Err(e) => return crate::usage("verify", e),
    };
    if let Some(path) = &args.write_expected_failures
        && let Err(e) = std::fs::write(path, expected_failures_file(&report))
    {
        return crate::usage("verify", format!("{}: {e}", path.display()));
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
        return crate::usage("verify", e);
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
