//! Where the commands that read lines (`decode`, `encode`) take them from, one line at a
//! time with its place (`stdin:LINE`) for messages.

use std::io::{self, BufRead};

use heartwire::document::Format;
use heartwire::json::MAX_DOCUMENT_LEN;

use crate::Outcome;
use crate::lines::{BoundedLines, Line};

/// Runs `each` on every non-empty line of `input` (at most a JSON document long) with
/// where it is (`source:LINE`) for messages; `each` says whether the line was valid. A
/// longer line is reported as a line of `format` (detected from its first byte when
/// `None`), without being read into memory.
pub(crate) fn each_line(
    input: impl BufRead,
    source: &str,
    format: Option<Format>,
    mut each: impl FnMut(&str, &[u8]) -> io::Result<bool>,
) -> io::Result<Outcome> {
    let mut outcome = Outcome::AllValid;
    let mut lines = BoundedLines::new(input, MAX_DOCUMENT_LEN);
    let mut number = 0usize;
    while let Some(line) = lines.next_line()? {
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
