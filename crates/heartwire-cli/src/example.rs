//! `heartwire example`: the built-in example log; and `heartwire` with no command, which
//! decodes it.

use std::io::{self, Write};

use crate::Outcome;

/// The built-in example: a log of heartbeats of every format heartwire knows: beatit
/// messages from two processes (some written the way Python formats floats), a liveness
/// record as the seed's Python publisher writes it, one Reventless heartbeat envelope in
/// its three real encodings, and a schedule. `heartwire` with no command decodes it.
pub(crate) const EXAMPLE: &str = include_str!("example.log");

/// `heartwire example`: prints the log.
pub(crate) fn run() -> io::Result<Outcome> {
    let mut out = io::stdout().lock();
    out.write_all(EXAMPLE.as_bytes())?;
    out.flush()?;
    Ok(Outcome::AllValid)
}

/// `heartwire` with no command: decodes the log.
pub(crate) fn decode() -> io::Result<Outcome> {
    note!("heartwire: decoding the built-in example (`heartwire --help` for more)");
    let mut out = io::BufWriter::new(io::stdout().lock());
    let outcome = crate::decode::lines(EXAMPLE.as_bytes(), "example", None, &mut out)?;
    out.flush()?;
    Ok(outcome)
}
