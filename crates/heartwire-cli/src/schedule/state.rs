//! The state file of `heartwire schedule run` (`--state FILE`, `spec/schedule.md`
//! §13.4): every schedule it runs, with the instant it was created (its interval's
//! phase) and the fire time it last fired for. Rewritten whole after every change and
//! every fire, beside the file then renamed into place after an `fsync` (the monitor's
//! snapshot writer), so that `kill -9` leaves the previous state or the new one.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use heartwire::schedule::Schedule;
use heartwire::time::{Timestamp, UnixTime};
use heartwire_publish::scheduler::Scheduler;
use serde::{Deserialize, Serialize};

use super::limits::MAX_STATE_LEN;

/// The version of the file's layout.
const VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StateFile {
    version: u32,
    schedules: Vec<Entry>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    /// The canonical document (`spec/schedule.md` §6), with its `target` member if any.
    document: String,
    created: String,
    last_fired: Option<String>,
}

/// A schedule as the state file keeps it.
pub(crate) struct Saved {
    pub(crate) schedule: Schedule<'static>,
    pub(crate) created: UnixTime,
    pub(crate) last_fired: Option<UnixTime>,
}

/// Writes the state of every schedule of `scheduler`.
pub(crate) fn save(path: &Path, scheduler: &Scheduler) -> io::Result<()> {
    let mut schedules: Vec<Entry> = scheduler
        .plans()
        .map(|p| Entry {
            document: p.schedule().to_string(),
            created: p.created().to_string(),
            last_fired: p.last_fired().map(|t| t.to_string()),
        })
        .collect();
    schedules.sort_by(|a, b| a.document.cmp(&b.document));
    crate::monitor::write_snapshot(
        path,
        &StateFile {
            version: VERSION,
            schedules,
        },
    )
}

/// Reads the state file; `Ok(None)` when there is none yet. The error says what is
/// wrong and where (`line:column`, or which schedule).
pub(crate) fn load(path: &Path) -> Result<Option<Vec<Saved>>, String> {
    let file = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e.to_string()),
    };
    let mut text = Vec::new();
    file.take(MAX_STATE_LEN + 1)
        .read_to_end(&mut text)
        .map_err(|e| e.to_string())?;
    if text.len() as u64 > MAX_STATE_LEN {
        return Err(format!("larger than {MAX_STATE_LEN} bytes"));
    }
    let state: StateFile = serde_json::from_slice(&text).map_err(|e| e.to_string())?;
    if state.version != VERSION {
        return Err(format!(
            "version {} is not the version {VERSION} this heartwire writes",
            state.version
        ));
    }
    let instant = |i: usize, what: &str, text: &str| {
        Timestamp::parse(text)
            .map(|t| t.unix_time())
            .map_err(|e| format!("schedule {i}: {what}: {e}"))
    };
    state
        .schedules
        .iter()
        .enumerate()
        .map(|(i, entry)| {
            let schedule = Schedule::decode(entry.document.as_bytes())
                .map_err(|e| format!("schedule {i}: document: {e}"))?
                .into_owned();
            Ok(Saved {
                schedule,
                created: instant(i, "created", &entry.created)?,
                last_fired: entry
                    .last_fired
                    .as_deref()
                    .map(|t| instant(i, "last_fired", t))
                    .transpose()?,
            })
        })
        .collect::<Result<Vec<Saved>, String>>()
        .map(Some)
}
