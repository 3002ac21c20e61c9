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

use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

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
