//! The schedule documents `heartwire schedule run` takes, from files at start and from
//! the API while it runs: decoded, and checked to have a target they can be fired to
//! (`spec/schedule.md` §13.2, §13.5).

use std::collections::HashMap;
use std::io::{self, BufRead};
use std::path::PathBuf;

use heartwire::schedule::Schedule;

use super::limits::{MAX_DOCUMENT_LEN, MAX_SCHEDULES};
use super::target::{FireTarget, FireTargetError};
use crate::lines::{BoundedLines, Line};
use crate::report;

/// Reads every document of `files`; `None` after reporting each bad one as
/// `FILE:LINE: message`.
pub(super) fn load_files(
    files: &[PathBuf],
    default: Option<&FireTarget>,
) -> Option<Vec<Schedule<'static>>> {
    let mut schedules: Vec<Schedule<'static>> = Vec::new();
    let mut seen: HashMap<String, String> = HashMap::new();
    let mut valid = true;
    for file in files {
        let name = file.display().to_string();
        let reader: Box<dyn BufRead> = if name == "-" {
            Box::new(crate::input::stdin(
                "schedule run",
                "schedules",
                "give a FILE",
            ))
        } else {
            match std::fs::File::open(file) {
                Ok(f) => Box::new(io::BufReader::new(f)),
                Err(e) => {
                    note!("{name}: {e}");
                    valid = false;
                    continue;
                }
            }
        };
        let shown = if name == "-" {
            "stdin".to_owned()
        } else {
            name
        };
        let mut lines = BoundedLines::new(reader, MAX_DOCUMENT_LEN);
        let mut number = 0usize;
        loop {
            number += 1;
            let at = format!("{shown}:{number}");
            let line = match lines.next_line() {
                Ok(Some(Line::Complete(line))) => line,
                Ok(Some(Line::TooLong { len, first })) => {
                    report::too_long(&at, len, None, first);
                    valid = false;
                    continue;
                }
                Ok(None) => break,
                Err(e) => {
                    note!("{at}: {e}");
                    valid = false;
                    break;
                }
            };
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            match checked(&line, default) {
                Ok(schedule) => {
                    let key = schedule.name().as_str().to_owned();
                    if let Some(first) = seen.get(&key) {
                        note!("{at}: schedule {key} was given already at {first}");
                        valid = false;
                    } else if schedules.len() >= MAX_SCHEDULES {
                        note!("{at}: more than {MAX_SCHEDULES} schedules");
                        valid = false;
                    } else {
                        seen.insert(key, at);
                        schedules.push(schedule);
                    }
                }
                Err(Refused::Document(e)) => {
                    report::json(&at, &e, &line);
                    valid = false;
                }
                Err(Refused::Target(e)) => {
                    note!("{at}: {e}");
                    valid = false;
                }
            }
        }
    }
    valid.then_some(schedules)
}

/// Why a document is not run.
pub(super) enum Refused {
    Document(heartwire::json::JsonError),
    Target(FireTargetError),
}

/// A document decoded, with a target it can be fired to.
pub(super) fn checked(
    bytes: &[u8],
    default: Option<&FireTarget>,
) -> Result<Schedule<'static>, Refused> {
    let schedule = Schedule::decode(bytes)
        .map_err(Refused::Document)?
        .into_owned();
    target_of(&schedule, default).map_err(Refused::Target)?;
    Ok(schedule)
}

/// Where a schedule fires to: its `target` member, else `--to`; refused when its
/// payload cannot go there (an SQS queue's rules for a body).
pub(super) fn target_of(
    schedule: &Schedule<'_>,
    default: Option<&FireTarget>,
) -> Result<FireTarget, FireTargetError> {
    let target = match schedule.extras().get("target") {
        Some(json) => FireTarget::of_member(json, default)?,
        None => default.cloned().ok_or(FireTargetError::NoTarget)?,
    };
    target.check_payload(schedule.payload())?;
    Ok(target)
}
