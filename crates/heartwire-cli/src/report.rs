//! Reporting invalid input on stderr: where it is, what is wrong, and a caret under the
//! byte it is about.

use heartwire::document::Format;
use heartwire::json::{JsonError, JsonErrorKind, MAX_DOCUMENT_LEN};
use heartwire::text::{MAX_LINE_LEN, Part, TextError};

use crate::Outcome;

/// Prints a JSON error on stderr with a caret under its offset (when the document is
/// printable ASCII and short enough to show). Returns [`Outcome::SomeInvalid`].
pub(crate) fn json(what: &str, error: &JsonError, input: &[u8]) -> Outcome {
    note!("{what}: {error}");
    if input.len() <= 200 {
        caret(input, error.offset);
    }
    Outcome::SomeInvalid
}

/// Prints an error on stderr, with the input and a caret under the offset when the input
/// is printable ASCII (so the caret lines up). Returns [`Outcome::SomeInvalid`].
pub(crate) fn text(what: &str, error: &TextError, input: Option<&[u8]>) -> Outcome {
    note!("{what}: {error}");
    if let Some(input) = input {
        caret(input, error.offset());
    }
    Outcome::SomeInvalid
}

/// Shows `input` with a caret under `offset`, when it is printable ASCII.
pub(crate) fn caret(input: &[u8], offset: usize) {
    if input.iter().all(|b| (b' '..=b'~').contains(b)) && offset <= input.len() {
        let text = String::from_utf8_lossy(input);
        note!("  | {text}\n  | {:>width$}", "^", width = offset + 1);
    }
}

/// Reports a line over every limit; only its length and first byte were kept.
pub(crate) fn too_long(where_: &str, len: usize, format: Option<Format>, first: Option<u8>) {
    let json = match format {
        Some(format) => format != Format::Text,
        None => first == Some(b'{'),
    };
    if json {
        let e = JsonError::new(
            JsonErrorKind::TooLarge {
                len,
                max: MAX_DOCUMENT_LEN,
            },
            MAX_DOCUMENT_LEN,
        );
        note!("{where_}: {e}");
    } else {
        let e = TextError::TooLong {
            part: Part::Line,
            offset: MAX_LINE_LEN,
            len,
            max: MAX_LINE_LEN,
        };
        note!("{where_}: {e}");
    }
}
