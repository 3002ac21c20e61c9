//! `heartwire ping`: the Intervalometerator's pinger (`spec/http.md` §3).

use std::io::{self, Write};
use std::process::ExitCode;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread;
use std::time::Duration;

use clap::Args;
use heartwire::time::SystemClock;
use heartwire_http::{AlignedSchedule, Alignment, Frequency, PingRequest, Plan, Trigger, Wake};

use crate::send::PolicyArgs;
use crate::signals::{self, Caught};

/// `heartwire ping`'s options.
#[derive(Debug, Args)]
pub(crate) struct PingArgs {
    /// The http:// or https:// URL to GET.
    #[arg(long, value_name = "URL")]
    url: String,
    /// How often, in minutes: 5, 10, 15, 20, 30 or 60. It pings when the minute (UTC) is
    /// divisible by it, and once at start.
    #[arg(long, value_name = "MINUTES")]
    every: u32,
    /// The Intervalometerator's alignment: every 30 minutes at :15 and :45, every 60 at
    /// :30 (spec/http.md §3).
    #[arg(long)]
    intervalometerator: bool,
    #[command(flatten)]
    policy: PolicyArgs,
    /// Stop after this many seconds (for scripts and tests).
    #[arg(long, value_name = "SECONDS")]
    exit_after: Option<f64>,
}

/// `heartwire ping`: the Intervalometerator's pinger. Pings once at start, at every
/// aligned fire time, and on demand (SIGUSR1), printing each result line with what
/// triggered it, until SIGINT or SIGTERM (exit 0); exit 2 on a usage error.
pub(crate) fn run(args: PingArgs) -> ExitCode {
    let Some(frequency) = Frequency::from_minutes(args.every) else {
        return crate::usage("ping", "--every takes 5, 10, 15, 20, 30 or 60 (minutes)");
    };
    let scheme = args
        .url
        .split_once("://")
        .map(|(s, _)| s.to_ascii_lowercase());
    if !matches!(scheme.as_deref(), Some("http" | "https")) {
        return crate::usage("ping", "--url takes an http:// or https:// URL");
    }
    let alignment = if args.intervalometerator {
        Alignment::Intervalometerator
    } else {
        Alignment::Divisible
    };
    let mut plan = Plan::new(AlignedSchedule::new(frequency, alignment));
    let pinger = args.policy.pinger();
    let request = PingRequest::get(args.url.as_str());
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
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(|s| std::time::Instant::now() + Duration::from_secs_f64(s.min(1e9)));
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
