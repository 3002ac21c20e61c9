//! `heartwire schedule next`: the next fire times of a schedule.

use std::io::{self, Write};

use clap::Args;
use heartwire::time::{SystemClock, WallClock};

use super::{instant, rate_of};
use crate::Outcome;

/// `heartwire schedule next`'s options.
#[derive(Debug, Args)]
pub(crate) struct NextArgs {
    /// The schedule: a rate, an EventBridge expression or a schedule document.
    schedule: String,
    /// Fire times strictly after this RFC 3339 time (default: now).
    #[arg(long, value_name = "TIME")]
    after: Option<String>,
    /// How many fire times to print (fewer when the schedule ends sooner).
    #[arg(long, default_value_t = 5, value_name = "N")]
    count: usize,
    /// An RFC 3339 time that `Minutes`, `Hours` and `Days` count from.
    #[arg(long, value_name = "TIME")]
    anchor: Option<String>,
}

/// Prints the fire times, one RFC 3339 UTC time per line.
pub(super) fn run(args: NextArgs, out: &mut impl Write) -> io::Result<Outcome> {
    let Some(rate) = rate_of(&args.schedule) else {
        return Ok(Outcome::SomeInvalid);
    };
    let after = match args.after {
        Some(text) => match instant("--after", &text) {
            Some(at) => at,
            None => return Ok(Outcome::SomeInvalid),
        },
        None => SystemClock.now(),
    };
    let times = match args.anchor {
        Some(text) => match instant("--anchor", &text) {
            Some(anchor) => rate.fire_times_anchored(after, anchor),
            None => return Ok(Outcome::SomeInvalid),
        },
        None => rate.fire_times(after),
    };
    let mut printed = 0usize;
    for at in times.take(args.count) {
        printed += 1;
        writeln!(out, "{at}")?;
    }
    if printed == 0 && args.count > 0 {
        // Not an error: a one-time schedule that has passed fires no more.
        note!("schedule: {rate} fires no more after that time");
    }
    Ok(Outcome::AllValid)
}
