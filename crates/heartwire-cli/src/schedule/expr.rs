//! `heartwire schedule expr`: the EventBridge expression of a schedule.

use std::io::{self, Write};

use clap::Args;

use super::rate_of;
use crate::Outcome;

/// `heartwire schedule expr`'s options.
#[derive(Debug, Args)]
pub(crate) struct ExprArgs {
    /// The schedule: a rate, an EventBridge expression or a schedule document.
    schedule: String,
    /// Print EventBridge Scheduler's one-time `at(...)` form (a `Single` rate only).
    #[arg(long)]
    at: bool,
}

/// Prints the expression.
pub(super) fn run(args: ExprArgs, out: &mut impl Write) -> io::Result<Outcome> {
    let Some(rate) = rate_of(&args.schedule) else {
        return Ok(Outcome::SomeInvalid);
    };
    if !args.at {
        writeln!(out, "{}", rate.expression())?;
        return Ok(Outcome::AllValid);
    }
    match rate.at_expression() {
        Some(at) => writeln!(out, "{at}")?,
        None => {
            note!("schedule: {rate} repeats; only a Single rate has an at() expression");
            return Ok(Outcome::SomeInvalid);
        }
    }
    Ok(Outcome::AllValid)
}
