//! Writing lines to stdout and stderr without panicking when they are closed.

use std::fmt;
use std::io::Write;

/// Writes one line to `out` and flushes it; a stream that cannot be written ends the
/// program with exit 1 (`note!` and `say!`): a closed pipe is no reason to panic, and
/// what was to be said is lost, so success would be a lie.
pub(crate) fn line(out: &mut impl Write, args: fmt::Arguments<'_>) {
    if writeln!(out, "{args}").and_then(|()| out.flush()).is_err() {
        std::process::exit(1);
    }
}
