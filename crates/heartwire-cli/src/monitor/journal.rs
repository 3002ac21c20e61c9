//! The monitor's write-ahead journal (`--snapshot FILE`): every observation the HTTP
//! receiver acknowledges is appended here before its answer is sent, so that `kill -9`
//! loses nothing acknowledged; the snapshot is the journal's checkpoint.
//!
//! Files, beside the snapshot `FILE`: `FILE.journal.<generation>`, one line per entry.
//! Taking a snapshot starts a new generation (under the engine's lock, so every entry
//! is either in the snapshot or in a journal after it), writes the snapshot saying
//! which generation follows it, then removes the older journals. A crash anywhere in
//! between leaves a snapshot and the journals of its generation and later: restoring
//! replays exactly those. A `write(2)` that returned is in the kernel's page cache,
//! which a killed process cannot lose (a power cut can; that would need an `fsync` per
//! entry, and is not what this promises).
//!
//! Entries are the HTTP receiver's ([`heartwire_http::Accepted`]), and the command
//! envelopes an SQS link took ([`CommandEntry`]): the queue deletes those once they are
//! here (`spec/transports.md` §6.3).

use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use heartwire::command::Envelope;
use heartwire::time::UnixTime;

/// The longest entry kept: a POST /beat body of the receiver's largest size, and room.
pub(crate) const MAX_ENTRY: usize = 64 * 1024;

/// The most bytes a journal may grow to before the monitor takes a snapshot early, so
/// that a restore replays a bounded amount whatever the rate of pings.
pub(crate) const MAX_JOURNAL: u64 = 64 * 1024 * 1024;

/// The open journal.
pub(crate) struct Journal {
    base: PathBuf,
    generation: u64,
    file: File,
    written: u64,
}

/// Opens a file for appending, made by us only: readable by its owner alone, never
/// through a symlink (the journal, and the alerts' ledger beside the snapshot).
pub(crate) fn open_append(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.append(true).create(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // O_NOFOLLOW: a link planted at the journal's name is an error, not a target.
        options
            .mode(0o600)
            .custom_flags(nix::fcntl::OFlag::O_NOFOLLOW.bits());
    }
    options.open(path)
}

impl Journal {
    /// The journal file of `generation` beside the snapshot `base`.
    pub(crate) fn path(base: &Path, generation: u64) -> PathBuf {
        let mut name = base.as_os_str().to_owned();
        name.push(format!(".journal.{generation}"));
        PathBuf::from(name)
    }

    /// Opens (or creates) the journal of `generation`, to append to.
    pub(crate) fn open(base: &Path, generation: u64) -> io::Result<Journal> {
        let path = Journal::path(base, generation);
        let file = open_append(&path)?;
        let written = file.metadata()?.len();
        Ok(Journal {
            base: base.to_owned(),
            generation,
            file,
            written,
        })
    }

    /// The generation entries are appended to now.
    pub(crate) const fn generation(&self) -> u64 {
        self.generation
    }

    /// Appends one entry (no line break in it) with a single `write(2)`, so that a kill
    /// leaves whole lines, and a torn last line at worst.
    pub(crate) fn append(&mut self, entry: &[u8]) -> io::Result<()> {
        if entry.len() > MAX_ENTRY || entry.contains(&b'\n') {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "a journal entry is one line of at most 64 KiB",
            ));
        }
        let mut line = Vec::with_capacity(entry.len() + 1);
        line.extend_from_slice(entry);
        line.push(b'\n');
        self.file.write_all(&line)?;
        self.written += line.len() as u64;
        Ok(())
    }

    /// Whether it has grown past [`MAX_JOURNAL`].
    pub(crate) const fn is_full(&self) -> bool {
        self.written >= MAX_JOURNAL
    }

    /// Starts the next generation; entries go there from now on. The caller writes the
    /// snapshot saying so, then calls [`Journal::remove_before`].
    pub(crate) fn rotate(&mut self) -> io::Result<()> {
        let next = Journal::open(&self.base, self.generation + 1)?;
        *self = next;
        Ok(())
    }

    /// Removes the journals older than the current generation (their entries are in the
    /// snapshot just written).
    pub(crate) fn remove_before(&self) {
        for generation in (0..self.generation).rev() {
            match std::fs::remove_file(Journal::path(&self.base, generation)) {
                Ok(()) => {}
                // Generations are removed in order: the first missing one ends it.
                Err(_) => break,
            }
        }
    }
}

/// Every entry of the journals from `generation` on, in order, to `apply`; a torn last
/// line (a kill in the middle of a write) is left out. Reads at most [`MAX_ENTRY`] bytes
/// a line and stops at the first generation that is not there.
pub(crate) fn replay(
    base: &Path,
    generation: u64,
    mut apply: impl FnMut(&[u8]),
) -> io::Result<u64> {
    let mut last = generation;
    for g in generation.. {
        let file = match File::open(Journal::path(base, g)) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => break,
            Err(e) => return Err(e),
        };
        last = g;
        let mut reader = BufReader::new(file);
        let mut line = Vec::new();
        loop {
            line.clear();
            let n =
                io::Read::take(&mut reader, MAX_ENTRY as u64 + 1).read_until(b'\n', &mut line)?;
            if n == 0 {
                break;
            }
            if line.last() != Some(&b'\n') {
                if n > MAX_ENTRY {
                    // Not ours: skip to the end of the line.
                    let mut rest = Vec::new();
                    reader.read_until(b'\n', &mut rest)?;
                    continue;
                }
                break; // torn
            }
            apply(&line[..line.len() - 1]);
        }
    }
    Ok(last)
}

/// A command envelope a link took from a queue that forgets it once it is journaled
/// (SQS), with the time the engine applied it; one line of JSON:
/// `{"command":<the envelope, canonical>,"at":[secs,nanos]}`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CommandEntry {
    pub(crate) envelope: Envelope<'static>,
    pub(crate) at: UnixTime,
}

impl CommandEntry {
    /// Its line (the canonical envelope has no line break).
    pub(crate) fn to_line(envelope: &Envelope<'_>, at: UnixTime) -> String {
        format!(
            "{{\"command\":{envelope},\"at\":[{},{}]}}",
            at.secs(),
            at.subsec_nanos()
        )
    }

    /// Reads a line [`CommandEntry::to_line`] wrote; `None` when the line is another
    /// kind of entry (no `command` member).
    pub(crate) fn from_line(line: &[u8]) -> Option<Result<CommandEntry, String>> {
        let value: serde_json::Value = serde_json::from_slice(line).ok()?;
        let command = value.get("command")?;
        let read = || -> Result<CommandEntry, String> {
            let at = value
                .get("at")
                .and_then(|at| Some((at.get(0)?.as_i64()?, at.get(1)?.as_u64()?)))
                .and_then(|(secs, nanos)| Some((secs, u32::try_from(nanos).ok()?)))
                .filter(|(_, nanos)| *nanos < 1_000_000_000)
                .ok_or("not a journal entry: a time [secs, nanos]")?;
            let json = command.to_string();
            let envelope = Envelope::decode(json.as_bytes())
                .map_err(|e| format!("not a journal entry: {e}"))?
                .into_owned();
            Ok(CommandEntry {
                envelope,
                at: UnixTime::new(at.0, at.1),
            })
        };
        Some(read())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("heartwire-journal-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("a folder");
        dir
    }

    fn entries(base: &Path, from: u64) -> Vec<String> {
        let mut seen = Vec::new();
        replay(base, from, |e| {
            seen.push(String::from_utf8_lossy(e).into_owned())
        })
        .expect("replayed");
        seen
    }

    #[test]
    fn a_command_entry_reads_back_as_it_was_written() {
        let json = br#"{"id":"orders@1.2.0","meta":{"service":"Platform.Plugin","time":"2025-03-01T12:00:00.000Z","ip":"","user":"Heartbeat","msgId":"8d7e6f5a-4b3c-4d2e-8f1a-0b9c8d7e6f5a","correlationId":"2f1c7a9e-4b3d-4e8f-9a6b-1c2d3e4f5a6b"},"command":{"TAG":"Heartbeat","_0":10}}"#;
        let envelope = Envelope::decode(json).expect("an envelope").into_owned();
        let at = UnixTime::new(1_764_000_000, 123_456_789);
        let line = CommandEntry::to_line(&envelope, at);
        assert!(!line.contains('\n'), "{line}");
        let back = CommandEntry::from_line(line.as_bytes())
            .expect("a command entry")
            .expect("read");
        assert_eq!(back, CommandEntry { envelope, at });
        // The receiver's entries are not commands; a bad command entry says why.
        assert!(CommandEntry::from_line(br#"{"forget":"a"}"#).is_none());
        let bad = CommandEntry::from_line(br#"{"command":{"id":1},"at":[1,0]}"#)
            .expect("a command entry");
        assert!(bad.is_err(), "{bad:?}");
        let bad = CommandEntry::from_line(br#"{"command":{},"at":[1,2000000000]}"#)
            .expect("a command entry");
        assert!(bad.expect_err("a bad time").contains("time"));
    }

    #[test]
    fn entries_survive_and_rotation_keeps_order() {
        let d = dir("order");
        let base = d.join("state.json");
        let mut j = Journal::open(&base, 0).expect("open");
        j.append(b"a").expect("a");
        j.append(b"b").expect("b");
        j.rotate().expect("rotate");
        j.append(b"c").expect("c");
        assert_eq!(entries(&base, 0), ["a", "b", "c"]);
        assert_eq!(entries(&base, 1), ["c"]);
        j.remove_before();
        assert_eq!(
            entries(&base, 0),
            Vec::<String>::new(),
            "generation 0 is gone"
        );
        assert_eq!(entries(&base, 1), ["c"]);
        assert!(j.append(b"two\nlines").is_err());
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn a_torn_last_line_is_left_out() {
        let d = dir("torn");
        let base = d.join("state.json");
        let mut j = Journal::open(&base, 3).expect("open");
        j.append(b"whole").expect("whole");
        drop(j);
        let mut f = OpenOptions::new()
            .append(true)
            .open(Journal::path(&base, 3))
            .expect("reopen");
        f.write_all(b"torn").expect("torn");
        assert_eq!(entries(&base, 3), ["whole"]);
        let _ = std::fs::remove_dir_all(&d);
    }

    #[cfg(unix)]
    #[test]
    fn journals_are_private_and_links_are_refused() {
        use std::os::unix::fs::PermissionsExt;
        let d = dir("private");
        let base = d.join("state.json");
        let j = Journal::open(&base, 0).expect("open");
        let mode = std::fs::metadata(Journal::path(&base, 0))
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        drop(j);
        let victim = d.join("victim");
        std::fs::write(&victim, "precious").expect("victim");
        std::os::unix::fs::symlink(&victim, Journal::path(&base, 1)).expect("link");
        assert!(
            Journal::open(&base, 1).is_err(),
            "a planted link is not followed"
        );
        assert_eq!(
            std::fs::read_to_string(&victim).ok().as_deref(),
            Some("precious")
        );
        let _ = std::fs::remove_dir_all(&d);
    }
}
