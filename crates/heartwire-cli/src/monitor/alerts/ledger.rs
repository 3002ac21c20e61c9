//! What the alerts remember (`spec/alerts.md` §6): per process the last alert (or
//! recovery) it had, the ids of recent changes acted on, and the alerts not yet
//! delivered to each target. With `--snapshot FILE` all of it is in `FILE.alerts`, so
//! that a restarted monitor re-sends what was pending and never alerts twice for one
//! change; without, it lives in memory only.
//!
//! The file is a log of lines, each appended with one `write(2)` (a killed process
//! leaves whole lines, and a torn last one at worst, which is left out):
//!
//! - `alert <at> <targets> <body>`: an alert queued for the targets (comma-separated
//!   fingerprints), with its body (one JSON line); the process's entry becomes its state;
//! - `mark <id> <at> <state|-> <spoke> <key>`: a change that moved an entry without an
//!   alert (a sign of life, a recovery nobody asked to hear of);
//! - `done <target> <id>`: that target is finished with that alert (delivered, refused,
//!   given up or dropped);
//! - `entry <at> <state> <spoke> <key>` and `seen <id>`: written by compaction only.
//!
//! `<key>` is `["<source>","<process>"]` in JSON, `<at>` nanoseconds since the epoch.
//! At start and whenever [`COMPACT_AFTER`] bytes were appended, the log is rewritten
//! with only what is live, beside it, then renamed into place.

use std::collections::{HashMap, HashSet, VecDeque};
use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::monitor::journal::open_append;
use heartwire_liveness::{Source, State};

/// The ids of changes acted on that are remembered (the oldest are forgotten first): a
/// replay after a restart covers what happened since the last snapshot, at most ten
/// seconds or one journal of changes.
pub(crate) const MAX_SEEN: usize = 10_000;

/// The processes remembered (those with the oldest alert are forgotten first).
pub(crate) const MAX_ENTRIES: usize = 100_000;

/// The longest line read back; a longer one is not ours and is skipped.
pub(crate) const MAX_LINE: usize = 256 * 1024;

/// Bytes appended after which the log is compacted.
pub(crate) const COMPACT_AFTER: u64 = 16 * 1024 * 1024;

/// A process: its source and name.
pub(crate) type Key = (Source, String);

/// A target's fingerprint: 16 hexadecimal digits of a hash of its kind and URL or
/// command, so that the file names targets without holding their secrets.
pub(crate) type TargetId = String;

/// What the alerts last did for one process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Entry {
    /// The state of the last alert, or `Alive` after a recovery.
    pub(crate) state: State,
    /// Whether the process gave a sign of life (started, degraded, stopped) since.
    pub(crate) spoke: bool,
    /// The instant of the change that set it, in nanoseconds since the epoch: a change
    /// no later than it is history already acted on.
    pub(crate) at: i128,
}

/// An alert not yet delivered to a target.
#[derive(Debug, Clone)]
pub(crate) struct Pending {
    pub(crate) target: TargetId,
    pub(crate) id: String,
    pub(crate) body: Arc<str>,
    order: u64,
}

/// The alerts' memory, and its file.
pub(crate) struct Ledger {
    file: Option<LedgerFile>,
    entries: HashMap<Key, Entry>,
    seen: HashSet<String>,
    seen_order: VecDeque<String>,
    pending: HashMap<(TargetId, String), Pending>,
    order: u64,
    /// Changes made since the ledger was opened: a replica stores the ledger when it
    /// moved (spec/liveness.md §6.6).
    changes: u64,
}

struct LedgerFile {
    path: PathBuf,
    file: File,
    appended: u64,
    /// Whether a write failed (reported once; the memory goes on).
    failed: bool,
}

/// What reading the file back found.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Restored {
    /// Lines applied.
    pub(crate) lines: u64,
    /// Lines that did not read (reported; a torn last line is not counted).
    pub(crate) skipped: u64,
}

impl Ledger {
    /// A ledger in memory only (no `--snapshot`).
    pub(crate) fn in_memory() -> Ledger {
        Ledger {
            file: None,
            entries: HashMap::new(),
            seen: HashSet::new(),
            seen_order: VecDeque::new(),
            pending: HashMap::new(),
            order: 0,
            changes: 0,
        }
    }

    /// A ledger in memory, read from `text` (what [`Ledger::live_text`] gave a leader
    /// that shared it with its replicas).
    pub(crate) fn from_text(text: &[u8]) -> (Ledger, Restored) {
        let mut ledger = Ledger::in_memory();
        let mut restored = Restored::default();
        // Reading memory cannot fail.
        let _ = read_lines(text, |line| {
            if ledger.apply(line).is_some() {
                restored.lines += 1;
            } else {
                restored.skipped += 1;
            }
        });
        (ledger, restored)
    }

    /// How many changes were made since the ledger was opened.
    #[cfg_attr(not(feature = "nats"), allow(dead_code))]
    pub(crate) fn changes(&self) -> u64 {
        self.changes
    }

    /// The ledger in `path`: read back, compacted, and open for appending.
    pub(crate) fn open(path: &Path) -> io::Result<(Ledger, Restored)> {
        let mut ledger = Ledger::in_memory();
        let mut restored = Restored::default();
        match File::open(path) {
            Ok(file) => read_lines(file, |line| {
                if ledger.apply(line).is_some() {
                    restored.lines += 1;
                } else {
                    restored.skipped += 1;
                }
            })?,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        ledger.compact_into(path)?;
        Ok((ledger, restored))
    }

    /// Whether the change `id` was acted on already.
    pub(crate) fn seen(&self, id: &str) -> bool {
        self.seen.contains(id)
    }

    /// What the alerts last did for the process.
    pub(crate) fn entry(&self, source: Source, process: &str) -> Option<Entry> {
        // A lookup without building a key: processes are few compared with changes.
        self.entries.get(&(source, process.to_owned())).copied()
    }

    /// A change `id` moved the process's entry (`None`: forgotten) without an alert.
    pub(crate) fn mark(&mut self, id: &str, key: &Key, entry: Entry) {
        let line = format!(
            "mark {id} {} {} {} {}",
            entry.at,
            entry.state.as_str(),
            u8::from(entry.spoke),
            key_json(key)
        );
        self.set_entry(key.clone(), entry);
        self.remember(id.to_owned());
        self.changes += 1;
        self.append(&line);
    }

    /// An alert of change `id`, queued for `targets`; the process's entry becomes
    /// `entry`.
    pub(crate) fn alert(
        &mut self,
        id: &str,
        key: &Key,
        entry: Entry,
        targets: &[TargetId],
        body: &Arc<str>,
    ) {
        let line = format!("alert {} {} {body}", entry.at, targets.join(","));
        self.set_entry(key.clone(), entry);
        self.remember(id.to_owned());
        for target in targets {
            self.add_pending(target.clone(), id.to_owned(), Arc::clone(body));
        }
        self.changes += 1;
        self.append(&line);
    }

    /// `target` is finished with alert `id`.
    pub(crate) fn done(&mut self, target: &str, id: &str) {
        if self
            .pending
            .remove(&(target.to_owned(), id.to_owned()))
            .is_some()
        {
            self.changes += 1;
            self.append(&format!("done {target} {id}"));
        }
        self.compact_if_due();
    }

    /// Every alert not yet delivered, in the order they were queued.
    pub(crate) fn pending(&self) -> Vec<Pending> {
        let mut all: Vec<Pending> = self.pending.values().cloned().collect();
        all.sort_by_key(|p| p.order);
        all
    }

    /// Where the file is, if there is one.
    pub(crate) fn path(&self) -> Option<&Path> {
        self.file.as_ref().map(|f| f.path.as_path())
    }

    fn add_pending(&mut self, target: TargetId, id: String, body: Arc<str>) {
        self.order += 1;
        let pending = Pending {
            target: target.clone(),
            id: id.clone(),
            body,
            order: self.order,
        };
        self.pending.insert((target, id), pending);
    }

    fn set_entry(&mut self, key: Key, entry: Entry) {
        if self.entries.len() >= MAX_ENTRIES && !self.entries.contains_key(&key) {
            // Rare: one scan to forget the process alerted longest ago.
            if let Some(oldest) = self
                .entries
                .iter()
                .min_by_key(|(_, e)| e.at)
                .map(|(k, _)| k.clone())
            {
                self.entries.remove(&oldest);
            }
        }
        self.entries.insert(key, entry);
    }

    fn remember(&mut self, id: String) {
        if self.seen.insert(id.clone()) {
            self.seen_order.push_back(id);
            while self.seen_order.len() > MAX_SEEN {
                if let Some(old) = self.seen_order.pop_front() {
                    self.seen.remove(&old);
                }
            }
        }
    }

    /// Appends one line with one `write(2)`; a failure is reported once, and the
    /// ledger goes on in memory.
    fn append(&mut self, line: &str) {
        let Some(file) = &mut self.file else {
            return;
        };
        let mut bytes = Vec::with_capacity(line.len() + 1);
        bytes.extend_from_slice(line.as_bytes());
        bytes.push(b'\n');
        match file.file.write_all(&bytes) {
            Ok(()) => file.appended += bytes.len() as u64,
            Err(e) => {
                if !file.failed {
                    file.failed = true;
                    note!(
                        "heartwire monitor: cannot write {} ({e}): alerts are kept in memory only",
                        file.path.display()
                    );
                }
            }
        }
    }

    fn compact_if_due(&mut self) {
        let due = self
            .file
            .as_ref()
            .is_some_and(|f| f.appended >= COMPACT_AFTER);
        if due
            && let Some(path) = self.path().map(Path::to_path_buf)
            && let Err(e) = self.compact_into(&path)
        {
            note!("heartwire monitor: cannot compact {}: {e}", path.display());
            if let Some(file) = &mut self.file {
                // Not again at every line: at the next bound.
                file.appended = 0;
            }
        }
    }

    /// What is live, as the lines of a compacted ledger: the ids remembered, every
    /// process's entry, the alerts pending with their targets.
    pub(crate) fn live_text(&self) -> String {
        let mut text = String::new();
        for id in &self.seen_order {
            text.push_str("seen ");
            text.push_str(id);
            text.push('\n');
        }
        for (key, entry) in &self.entries {
            text.push_str(&format!(
                "entry {} {} {} {}\n",
                entry.at,
                entry.state.as_str(),
                u8::from(entry.spoke),
                key_json(key)
            ));
        }
        // Pending alerts, each once with all its targets, in their order.
        let mut bodies: Vec<(u64, &str, Vec<&str>, &Arc<str>)> = Vec::new();
        let mut index: HashMap<&str, usize> = HashMap::new();
        let mut pending: Vec<&Pending> = self.pending.values().collect();
        pending.sort_by_key(|p| p.order);
        for p in pending {
            match index.get(p.id.as_str()) {
                Some(&i) => bodies[i].2.push(&p.target),
                None => {
                    index.insert(&p.id, bodies.len());
                    bodies.push((p.order, &p.id, vec![&p.target], &p.body));
                }
            }
        }
        for (_, _, targets, body) in &bodies {
            // The instant of a pending alert matters only for its entry, which is
            // written above: 0 here.
            text.push_str(&format!("alert 0 {} {body}\n", targets.join(",")));
        }
        text
    }

    /// Writes what is live to `path` (beside it, then renamed into place) and appends
    /// to it from then on.
    fn compact_into(&mut self, path: &Path) -> io::Result<()> {
        let text = self.live_text();
        let mut part = path.as_os_str().to_owned();
        part.push(".part");
        let part = PathBuf::from(part);
        match std::fs::remove_file(&part) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&part)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&part, path)?;
        self.file = Some(LedgerFile {
            path: path.to_owned(),
            file: open_append(path)?,
            appended: 0,
            failed: false,
        });
        Ok(())
    }

    /// Applies one line read back; `None` for a line that does not read.
    fn apply(&mut self, line: &[u8]) -> Option<()> {
        let line = std::str::from_utf8(line).ok()?;
        let (verb, rest) = line.split_once(' ')?;
        match verb {
            "seen" => self.remember(rest.to_owned()),
            "entry" => {
                let (key, entry) = entry_fields(rest)?;
                self.set_entry(key, entry);
            }
            "mark" => {
                let (id, rest) = rest.split_once(' ')?;
                let (key, entry) = entry_fields(rest)?;
                self.set_entry(key, entry);
                self.remember(id.to_owned());
            }
            "alert" => {
                let (at, rest) = rest.split_once(' ')?;
                let (targets, body) = rest.split_once(' ')?;
                let at: i128 = at.parse().ok()?;
                let value: serde_json::Value = serde_json::from_str(body).ok()?;
                let id = value.get("id")?.as_str()?.to_owned();
                if at != 0 {
                    let event = value.get("event")?;
                    let source = source_named(event.get("source")?.as_str()?)?;
                    let process = event.get("process")?.as_str()?.to_owned();
                    let state = state_named(event.get("new")?.as_str()?)?;
                    let state = if value.get("kind")?.as_str()? == "up" {
                        State::Alive
                    } else {
                        state
                    };
                    let entry = Entry {
                        state,
                        spoke: false,
                        at,
                    };
                    self.set_entry((source, process), entry);
                }
                self.remember(id.clone());
                let body: Arc<str> = Arc::from(body);
                for target in targets.split(',').filter(|t| !t.is_empty()) {
                    self.add_pending(target.to_owned(), id.clone(), Arc::clone(&body));
                }
            }
            "done" => {
                let (target, id) = rest.split_once(' ')?;
                self.pending.remove(&(target.to_owned(), id.to_owned()));
            }
            _ => return None,
        }
        Some(())
    }
}

fn key_json(key: &Key) -> String {
    serde_json::json!([key.0.as_str(), key.1]).to_string()
}

/// `<at> <state> <spoke> <key>`, the fields of an `entry` line and of a `mark` line
/// after its id.
fn entry_fields(text: &str) -> Option<(Key, Entry)> {
    let (at, rest) = text.split_once(' ')?;
    let (state, rest) = rest.split_once(' ')?;
    let (spoke, key) = rest.split_once(' ')?;
    let entry = Entry {
        state: state_named(state)?,
        spoke: spoke == "1",
        at: at.parse().ok()?,
    };
    Some((parse_key(key)?, entry))
}

fn parse_key(text: &str) -> Option<Key> {
    let (source, name): (String, String) = serde_json::from_str(text).ok()?;
    Some((source_named(&source)?, name))
}

pub(crate) fn state_named(name: &str) -> Option<State> {
    State::ALL.into_iter().find(|s| s.as_str() == name)
}

fn source_named(name: &str) -> Option<Source> {
    [Source::Text, Source::Record, Source::Command, Source::Ping]
        .into_iter()
        .find(|s| s.as_str() == name)
}

/// Every whole line of `file` to `apply`, at most [`MAX_LINE`] bytes each (a longer one
/// is skipped); a torn last line is left out.
fn read_lines(from: impl Read, mut apply: impl FnMut(&[u8])) -> io::Result<()> {
    let mut reader = BufReader::new(from);
    let mut line = Vec::new();
    loop {
        line.clear();
        let n = (&mut reader)
            .take(MAX_LINE as u64 + 1)
            .read_until(b'\n', &mut line)?;
        if n == 0 {
            return Ok(());
        }
        if line.last() != Some(&b'\n') {
            if n > MAX_LINE {
                let mut rest = Vec::new();
                reader.read_until(b'\n', &mut rest)?;
                continue;
            }
            return Ok(()); // torn
        }
        apply(&line[..line.len() - 1]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("heartwire-alerts-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("a folder");
        dir
    }

    fn body(id: &str) -> Arc<str> {
        Arc::from(
            serde_json::json!({"id": id, "kind": "down", "event":
                {"source": "ping", "process": "a b", "new": "dead"}})
            .to_string(),
        )
    }

    #[test]
    fn pending_entries_and_seen_ids_survive_a_reopen_and_a_torn_line() {
        let d = dir("reopen");
        let path = d.join("state.json.alerts");
        let key: Key = (Source::Ping, "a b".to_owned());
        let dead = Entry {
            state: State::Dead,
            spoke: false,
            at: 5,
        };
        {
            let (mut ledger, restored) = Ledger::open(&path).expect("open");
            assert_eq!(restored, Restored::default());
            let targets = ["t1".to_owned(), "t2".to_owned()];
            ledger.alert("id1", &key, dead, &targets, &body("id1"));
            ledger.alert("id2", &key, dead, &targets, &body("id2"));
            ledger.done("t1", "id1");
            ledger.mark(
                "id3",
                &key,
                Entry {
                    spoke: true,
                    at: 7,
                    ..dead
                },
            );
        }
        let mut f = OpenOptions::new().append(true).open(&path).expect("reopen");
        f.write_all(b"done t2 id").expect("torn");
        let (ledger, restored) = Ledger::open(&path).expect("open again");
        assert_eq!(restored.skipped, 0);
        let pending: Vec<(String, String)> = ledger
            .pending()
            .into_iter()
            .map(|p| (p.target, p.id))
            .collect();
        assert_eq!(
            pending,
            [
                ("t2".to_owned(), "id1".to_owned()),
                ("t1".to_owned(), "id2".to_owned()),
                ("t2".to_owned(), "id2".to_owned())
            ]
        );
        assert!(ledger.seen("id1") && ledger.seen("id2") && ledger.seen("id3"));
        assert_eq!(
            ledger.entry(Source::Ping, "a b"),
            Some(Entry {
                state: State::Dead,
                spoke: true,
                at: 7
            })
        );
        // Compacted at open: once more, the same.
        drop(ledger);
        let (ledger, _) = Ledger::open(&path).expect("a third time");
        assert_eq!(ledger.pending().len(), 3);
        assert!(ledger.seen("id3"));
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn seen_ids_are_bounded() {
        let mut ledger = Ledger::in_memory();
        for i in 0..MAX_SEEN + 5 {
            ledger.remember(i.to_string());
        }
        assert!(!ledger.seen("0") && ledger.seen(&(MAX_SEEN + 4).to_string()));
        assert_eq!(ledger.seen.len(), MAX_SEEN);
    }
}
