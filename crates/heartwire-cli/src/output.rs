//! Writing lines to stdout and stderr without panicking when they are closed.

use std::fmt;
use std::io::{self, Write};

use heartwire::json::JsonError;

/// Writes one line to `out` and flushes it; a stream that cannot be written ends the
/// program with exit 1 (`note!` and `say!`): a closed pipe is no reason to panic, and
/// what was to be said is lost, so success would be a lie.
pub(crate) fn line(out: &mut impl Write, args: fmt::Arguments<'_>) {
    if writeln!(out, "{args}").and_then(|()| out.flush()).is_err() {
        std::process::exit(1);
    }
}

/// Writes a document and a newline through a reused buffer; `false` (and the reason on
/// stderr) when it cannot be encoded (an envelope over 64 KiB in the dialect asked for).
pub(crate) fn document(
    out: &mut impl Write,
    where_: &str,
    buf: &mut Vec<u8>,
    encode: impl FnOnce(&mut Vec<u8>) -> Result<(), JsonError>,
) -> io::Result<bool> {
    buf.clear();
    if let Err(e) = encode(buf) {
        note!("{where_}: cannot encode: {e}");
        return Ok(false);
    }
    buf.extend_from_slice(b"\n");
    out.write_all(buf)?;
    Ok(true)
}
