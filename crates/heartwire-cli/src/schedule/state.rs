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
use serde_json::value::RawValue;

use super::limits::MAX_STATE_READ_LEN;

/// The version of the file's layout: 2 keeps each document as the JSON object it is,
/// 1 (still read) kept it as a JSON string, whose escaping could double its length.
const VERSION: u32 = 2;

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StateFile {
    version: u32,
    schedules: Vec<Entry>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    /// The canonical document (`spec/schedule.md` §6), with its `target` member if any,
    /// as its JSON text (version 2); in version 1 a JSON string holding that text.
    document: Box<RawValue>,
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
/// Its documents are written as they are, unescaped, so the file is never larger than
/// [`MAX_STATE_LEN`](super::limits::MAX_STATE_LEN) when the schedules are within their
/// bounds, and always read back.
pub(crate) fn save(path: &Path, scheduler: &Scheduler) -> io::Result<()> {
    let mut schedules: Vec<Entry> = scheduler
        .plans()
        .map(|p| {
            Ok(Entry {
                document: RawValue::from_string(p.schedule().to_string())
                    .map_err(io::Error::other)?,
                created: p.created().to_string(),
                last_fired: p.last_fired().map(|t| t.to_string()),
            })
        })
        .collect::<io::Result<Vec<Entry>>>()?;
    schedules.sort_by(|a, b| a.document.get().cmp(b.document.get()));
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
    file.take(MAX_STATE_READ_LEN + 1)
        .read_to_end(&mut text)
        .map_err(|e| e.to_string())?;
    if text.len() as u64 > MAX_STATE_READ_LEN {
        return Err(format!("larger than {MAX_STATE_READ_LEN} bytes"));
    }
    let state: StateFile = serde_json::from_slice(&text).map_err(|e| e.to_string())?;
    if state.version != VERSION && state.version != 1 {
        return Err(format!(
            "version {} is not a version this heartwire reads (1 or {VERSION})",
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
            let raw = entry.document.get();
            // Version 1: the document's text in a JSON string.
            let text: std::borrow::Cow<'_, str> = if raw.starts_with('"') {
                serde_json::from_str::<String>(raw)
                    .map_err(|e| format!("schedule {i}: document: {e}"))?
                    .into()
            } else {
                raw.into()
            };
            let schedule = Schedule::decode(text.as_bytes())
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

#[cfg(test)]
mod tests {
    use heartwire::schedule::{Name, Rate};

    use super::super::limits::{MAX_DOCUMENTS_LEN, MAX_SCHEDULES, MAX_STATE_LEN};
    use super::*;

    fn temp(tag: &str) -> std::path::PathBuf {
        let dir =
            std::env::temp_dir().join(format!("heartwire-state-{tag}-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        dir.join("state.json")
    }

    /// The worst state the API lets a client make (1000 schedules whose documents are
    /// all escapes, 8 MiB together) is written within [`MAX_STATE_LEN`] and read back:
    /// a state the service wrote never stops its next start.
    #[test]
    fn the_largest_state_the_api_allows_is_read_back() {
        let rate: Rate = "Minutes(1)".parse().unwrap_or_else(|e| panic!("{e}"));
        let mut scheduler = Scheduler::new();
        let at = UnixTime::new(1_700_000_000, 123_456_789);
        let mut total = 0;
        for i in 0..MAX_SCHEDULES {
            let name = Name::new(format!("s{i:04}"))
                .unwrap_or_else(|e| panic!("{e}"))
                .into_owned();
            // '"' is `\"` in the canonical document.
            let schedule = Schedule::new(name, rate, "\"\\".repeat(2080));
            total += schedule.to_string().len();
            scheduler.restore(schedule, at, Some(at));
        }
        assert!(
            total <= MAX_DOCUMENTS_LEN && total > MAX_DOCUMENTS_LEN * 99 / 100,
            "{total}"
        );
        let path = temp("largest");
        save(&path, &scheduler).unwrap_or_else(|e| panic!("{e}"));
        let len = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        assert!(len <= MAX_STATE_LEN, "{len}");
        let back = load(&path).unwrap_or_else(|e| panic!("{e}"));
        let back = back.unwrap_or_else(|| panic!("a state"));
        assert_eq!(back.len(), MAX_SCHEDULES);
        let first = &back[0];
        assert_eq!(first.schedule.payload(), "\"\\".repeat(2080));
        assert_eq!((first.created, first.last_fired), (at, Some(at)));
        let _ = std::fs::remove_file(&path);
    }

    /// A state file of version 1 (documents as JSON strings) is still read.
    #[test]
    fn a_version_1_state_is_still_read() {
        let path = temp("v1");
        let text = r##"{"version":1,"schedules":[{"document":"{\"name\":\"a\",\"rate\":{\"TAG\":\"Minutes\",\"_0\":5},\"payload\":\"q\\\"\",\"target\":\"#x.y\"}","created":"2024-01-01T10:00:00Z","last_fired":null}]}"##;
        std::fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
        let back = load(&path).unwrap_or_else(|e| panic!("{e}"));
        let back = back.unwrap_or_else(|| panic!("a state"));
        assert_eq!(back.len(), 1);
        assert_eq!(back[0].schedule.name().as_str(), "a");
        assert_eq!(back[0].schedule.payload(), "q\"");
        assert_eq!(back[0].last_fired, None);
        let _ = std::fs::remove_file(&path);
    }
}
