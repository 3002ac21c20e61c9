//! `heartwire schedule`: when a schedule fires (`next`) and how EventBridge says it
//! (`expr`). This file reads the schedule given on the command line, which both take.

mod expr;
mod next;

use std::io::{self, Write};

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
}

/// `heartwire schedule next` and `heartwire schedule expr`.
pub(crate) fn run(action: ScheduleAction) -> io::Result<Outcome> {
    let mut out = io::stdout().lock();
    let outcome = match action {
        ScheduleAction::Next(args) => next::run(args, &mut out)?,
        ScheduleAction::Expr(args) => expr::run(args, &mut out)?,
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
