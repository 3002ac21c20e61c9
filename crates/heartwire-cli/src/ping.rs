//! `heartwire ping`: the Intervalometerator's pinger (`spec/http.md` §3).

use std::io::{self, Write};
use std::process::ExitCode;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread;
use std::time::Duration;

use clap::Args;
use heartwire::time::SystemClock;
use heartwire_http::{AlignedSchedule, Alignment, Frequency, PingRequest, Plan, Trigger, Wake};

use crate::duration;
use crate::send::PolicyArgs;
use crate::signals::{self, Caught};

/// `heartwire ping`'s options.
#[derive(Debug, Args)]
pub(crate) struct PingArgs {
    /// The http:// or https:// URL to GET.
    // `--to`, as for `run` and `beat`; `--url`, its name until 0.1, is kept hidden for
    // one release so that scripts keep working.
    #[arg(long, alias = "url", value_name = "URL")]
    to: String,
    /// How often: 5m, 10m, 15m, 20m, 30m or 1h. It pings when the minute (UTC) is
    /// divisible by it, and once at start.
    #[arg(long, value_parser = parse_every, value_name = "DURATION")]
    every: Frequency,
    /// The Intervalometerator's alignment: every 30 minutes at :15 and :45, every 60 at
    /// :30 (spec/http.md §3).
    #[arg(long)]
    intervalometerator: bool,
    #[command(flatten)]
    policy: PolicyArgs,
    /// Stop after this long, a duration such as 90s (for scripts and tests).
    #[arg(long, value_parser = duration::parse, value_name = "DURATION")]
    exit_after: Option<Duration>,
}

/// `--every`: a duration that is one of the aligned frequencies.
fn parse_every(text: &str) -> Result<Frequency, String> {
    let every = duration::parse(text)?;
    let minutes = (every.subsec_nanos() == 0 && every.as_secs() % 60 == 0)
        .then(|| u32::try_from(every.as_secs() / 60).ok())
        .flatten();
    minutes
        .and_then(Frequency::from_minutes)
        .ok_or_else(|| format!("{text:?}: expected 5m, 10m, 15m, 20m, 30m or 1h"))
}

/// `heartwire ping`: the Intervalometerator's pinger. Pings once at start, at every
/// aligned fire time, and on demand (SIGUSR1), printing each result line with what
/// triggered it, until SIGINT or SIGTERM (exit 0); exit 2 on a usage error.
pub(crate) fn run(args: PingArgs) -> ExitCode {
    let scheme = args
        .to
        .split_once("://")
        .map(|(s, _)| s.to_ascii_lowercase());
    if !matches!(scheme.as_deref(), Some("http" | "https")) {
        return crate::usage("ping", "--to takes an http:// or https:// URL");
    }
    let alignment = if args.intervalometerator {
        Alignment::Intervalometerator
    } else {
        Alignment::Divisible
    };
    let mut plan = Plan::new(AlignedSchedule::new(args.every, alignment));
    let pinger = args.policy.pinger();
    let request = PingRequest::get(args.to.as_str());
    let (tx, wakes) = mpsc::channel();
    let _catching = signals::catch(
        &[Caught::User1, Caught::Interrupt, Caught::Terminate],
        move |signal| {
            let wake = if signal == Caught::User1 {
                Wake::Demand
            } else {
                Wake::Stop
            };
            let _ = tx.send(wake);
        },
    )
    .map_err(|e| note!("heartwire ping: cannot catch signals ({e}); stop it with SIGKILL"))
    .ok();
    let deadline = args
        .exit_after
        .and_then(|after| std::time::Instant::now().checked_add(after));
    let mut wait = |most: Duration| -> Wake {
        let left = deadline.map(|d| d.saturating_duration_since(std::time::Instant::now()));
        let bounded = left.map_or(most, |left| left.min(most));
        match wakes.recv_timeout(bounded) {
            Ok(wake) => wake,
            Err(_) if left.is_some_and(|left| left <= most) => Wake::Stop,
            Err(RecvTimeoutError::Timeout) => Wake::Time,
            Err(RecvTimeoutError::Disconnected) => {
                thread::sleep(bounded);
                Wake::Time
            }
        }
    };
    let stdout = io::stdout();
    pinger.follow(
        &request,
        &mut plan,
        &SystemClock,
        &mut wait,
        &mut |trigger, line| {
            let why = match trigger {
                Trigger::Start => "start",
                Trigger::Scheduled => "scheduled",
                Trigger::OnDemand => "on demand",
            };
            let mut out = stdout.lock();
            let _ = writeln!(out, "{line} {why}");
            let _ = out.flush();
        },
    );
    ExitCode::SUCCESS
}
