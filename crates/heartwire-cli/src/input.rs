//! Where the commands that read lines (`decode`, `encode`) take them from: the FILE
//! arguments in turn, `-` for stdin, stdin when there are none; one line at a time with
//! its place (`FILE:LINE`, `stdin:LINE`) for messages.

use std::fs::File;
use std::io::{self, BufRead, BufReader, IsTerminal};
use std::path::PathBuf;

use heartwire::document::Format;
use heartwire::json::MAX_DOCUMENT_LEN;

use crate::Outcome;
use crate::lines::{BoundedLines, Line};

/// The key that ends typed input.
const END_OF_INPUT: &str = if cfg!(windows) { "Ctrl-Z" } else { "Ctrl-D" };

/// Stdin, locked; when it is a terminal, first says on stderr that the command waits for
/// `what` there (a command reading a terminal looks hung otherwise) and what to do
/// instead (`instead`).
pub(crate) fn stdin(command: &str, what: &str, instead: &str) -> io::StdinLock<'static> {
    let stdin = io::stdin();
    if stdin.is_terminal() {
        note!(
            "heartwire {command}: reading {what} from stdin (a terminal; end with {END_OF_INPUT}); {instead}"
        );
    }
    stdin.lock()
}

/// Calls `read` with each of `files` in turn and its name for messages (`-` is stdin,
/// and stdin alone is read when there are none). A file that cannot be opened is
/// reported on stderr and counts as invalid input; the others are still read.
pub(crate) fn each_file(
    command: &str,
    files: &[PathBuf],
    mut read: impl FnMut(&mut dyn BufRead, &str) -> io::Result<Outcome>,
) -> io::Result<Outcome> {
    let stdin_only = [PathBuf::from("-")];
    let files = if files.is_empty() { &stdin_only } else { files };
    let mut outcome = Outcome::AllValid;
    for file in files {
        let read_one = if file.as_os_str() == "-" {
            let mut stdin = stdin(command, "lines", "give FILE arguments to read files");
            read(&mut stdin, "stdin")?
        } else {
            let name = file.display().to_string();
            match File::open(file) {
                Ok(opened) => read(&mut BufReader::new(opened), &name)?,
                Err(e) => {
                    note!("{name}: {e}");
                    Outcome::SomeInvalid
                }
            }
        };
        outcome = outcome.and(read_one == Outcome::AllValid);
    }
    Ok(outcome)
}

/// Runs `each` on every non-empty line of `input` (at most a JSON document long) with
/// where it is (`source:LINE`) for messages; `each` says whether the line was valid. A
/// longer line is reported as a line of `format` (detected from its first byte when
/// `None`), without being read into memory. An input that cannot be read (a directory,
/// say) is reported and counts as invalid; an error of `each` (writing) ends it all.
pub(crate) fn each_line(
    input: impl BufRead,
    source: &str,
    format: Option<Format>,
    mut each: impl FnMut(&str, &[u8]) -> io::Result<bool>,
) -> io::Result<Outcome> {
    let mut outcome = Outcome::AllValid;
    let mut lines = BoundedLines::new(input, MAX_DOCUMENT_LEN);
    let mut number = 0usize;
    loop {
        let line = match lines.next_line() {
            Ok(Some(line)) => line,
            Ok(None) => break,
            Err(e) => {
                note!("{source}: {e}");
                return Ok(Outcome::SomeInvalid);
            }
        };
        number += 1;
        let where_ = format!("{source}:{number}");
        let valid = match line {
            Line::Complete(bytes) if bytes.is_empty() => continue,
            Line::Complete(bytes) => each(&where_, &bytes)?,
            Line::TooLong { len, first } => {
                crate::report::too_long(&where_, len, format, first);
                false
            }
        };
        outcome = outcome.and(valid);
    }
    Ok(outcome)
}
