//! `heartwire schedule`: when a schedule fires (`next`), how EventBridge says it
//! (`expr`), and schedules run as a service (`run`). This file reads the schedule given
//! on the command line, which `next` and `expr` take.

mod api;
mod documents;
mod expr;
mod limits;
mod next;
mod run;
mod state;
mod target;

use std::io::{self, Write};
use std::process::ExitCode;

use clap::Subcommand;
use heartwire::schedule::{Rate, Schedule};
use heartwire::time::{Timestamp, UnixTime};

use crate::{Outcome, report};

/// `heartwire schedule`'s commands.
#[derive(Debug, Subcommand)]
pub(crate) enum ScheduleAction {
    /// Print the next fire times after an instant, one RFC 3339 UTC time per line.
    ///
    /// `Minutes`, `Hours` and `Days` count from 1970-01-01T00:00Z unless --anchor says
    /// otherwise (EventBridge's `rate()` counts from when the rule was created).
    #[command(verbatim_doc_comment)]
    Next(next::NextArgs),
    /// Print the EventBridge expression that fires on the schedule.
    Expr(expr::ExprArgs),
    /// Run schedules: fire each payload to its target at its fire times.
    ///
    /// Loads schedule documents from each FILE (one per line), takes more and deletes
    /// them through a control API on --listen (127.0.0.1:8388):
    ///   curl -d @schedule.json http://127.0.0.1:8388/schedules       create or replace
    ///   curl -X DELETE http://127.0.0.1:8388/schedules/daily-report  delete
    ///   curl http://127.0.0.1:8388/schedules                         list, next fire times
    /// and prints one JSON line per fire:
    /// {"event":"fired","schedule":"tick","due":"2026-12-03T18:01:00Z",
    ///  "fired":"2026-12-03T18:01:00.004Z","target":"nats://127.0.0.1:4222#orders.tick"}
    /// Interval rates count from the schedule's creation, as EventBridge's rate() does.
    /// With --state FILE, a restart neither fires twice nor skips a fire: a fire time
    /// that passed while it was down fires once, late. Exit status 1 on an invalid
    /// document (FILE:LINE: error) or state file.
    #[command(verbatim_doc_comment)]
    Run(run::RunArgs),
}

/// `heartwire schedule`'s exit status.
pub(crate) fn main(action: ScheduleAction) -> ExitCode {
    match action {
        ScheduleAction::Run(args) => run::run(args),
        action => crate::finish(print(action)),
    }
}

/// `heartwire schedule next` and `heartwire schedule expr`.
fn print(action: ScheduleAction) -> io::Result<Outcome> {
    let mut out = io::stdout().lock();
    let outcome = match action {
        ScheduleAction::Next(args) => next::run(args, &mut out)?,
        ScheduleAction::Expr(args) => expr::run(args, &mut out)?,
        ScheduleAction::Run(_) => Outcome::AllValid,
    };
    out.flush()?;
    Ok(outcome)
}

/// The rate of a schedule given on the command line, or `None` after reporting why not.
fn rate_of(given: &str) -> Option<Rate> {
    let trimmed = given.trim_start();
    if trimmed.starts_with('{') {
        return match Schedule::decode(given.as_bytes()) {
            Ok(schedule) => Some(schedule.rate()),
            Err(e) => {
                report::json("schedule", &e, given.as_bytes());
                None
            }
        };
    }
    let expression = ["rate(", "cron(", "at("]
        .iter()
        .any(|p| trimmed.starts_with(p));
    let parsed = if expression {
        Rate::from_expression(given)
    } else {
        Rate::parse(given)
    };
    match parsed {
        Ok(rate) => Some(rate),
        Err(e) => {
            note!("schedule: {e}");
            report::caret(given.as_bytes(), e.offset);
            None
        }
    }
}

/// An RFC 3339 time of an option, or `None` after reporting why not.
fn instant(option: &str, text: &str) -> Option<UnixTime> {
    match Timestamp::parse(text) {
        Ok(ts) => Some(ts.unix_time()),
        Err(e) => {
            note!("{option}: {e}");
            report::caret(text.as_bytes(), e.offset);
            None
        }
    }
}
