//! A small exec-mode implementation for the `verify` benchmark: one case per process,
//! answered by heartwire's own implementation (`heartwire_harness::builtin`), as
//! `heartwire vectors exec` answers it.
//!
//! It exists because a benchmark can only start the binaries of its own package
//! (`CARGO_BIN_EXE_*`), and because a compiled program that starts in a millisecond or
//! two puts the cost of exec mode where the benchmark looks: starting processes, piping
//! and comparing, `--jobs` at a time. The Python and Node implementations of
//! `tests/foreign/` take hundreds of milliseconds per start on a small machine.
//!
//! `heartwire-bench-exec OPERATION FORMAT`, the case's input as one JSON line on stdin:
//! exit 0 with the output, 1 with the rejection, 3 when not supported, 2 otherwise
//! (`spec/harness.md` §3).

use std::io::{self, Read, Write};
use std::process::ExitCode;

use heartwire_harness::builtin;
use heartwire_harness::compare::Answer;
use heartwire_harness::protocol::{EXIT_REJECTED, EXIT_UNSUPPORTED, MAX_LINE};
use heartwire_harness::suite::{Input, Operation};

/// Any exit status but 0, 1 and 3 is an error to the harness.
const FAILED: u8 = 2;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let (Some(operation), Some(format), None) = (args.next(), args.next(), args.next()) else {
        eprintln!("usage: heartwire-bench-exec OPERATION FORMAT < input");
        return ExitCode::from(FAILED);
    };
    // Bounded like the harness's own reads: a case's input is one line.
    let mut stdin = Vec::new();
    if let Err(e) = io::stdin()
        .lock()
        .take(MAX_LINE as u64)
        .read_to_end(&mut stdin)
    {
        eprintln!("stdin: {e}");
        return ExitCode::from(FAILED);
    }
    let input: Input<'_> = match serde_json::from_slice(stdin.trim_ascii()) {
        Ok(input) => input,
        Err(e) => {
            eprintln!("stdin is not a case's input object: {e}");
            return ExitCode::from(FAILED);
        }
    };
    let operation = Operation::from(operation);
    let (text, code) = match builtin::answer(&format, &operation, &input) {
        Answer::Accepted(output) => (serde_json::to_string(&output), 0),
        Answer::Rejected(rejection) => (serde_json::to_string(&rejection), EXIT_REJECTED),
        Answer::Skipped(_) => return ExitCode::from(exit_code(EXIT_UNSUPPORTED)),
        Answer::Errored(why) => {
            eprintln!("{why}");
            return ExitCode::from(FAILED);
        }
    };
    let text = match text {
        Ok(text) => text,
        Err(e) => {
            eprintln!("the answer does not serialize: {e}");
            return ExitCode::from(FAILED);
        }
    };
    let mut out = io::stdout().lock();
    if writeln!(out, "{text}").and_then(|()| out.flush()).is_err() {
        return ExitCode::from(FAILED);
    }
    ExitCode::from(exit_code(code))
}

/// A protocol exit status as a process's; the protocol's are all small.
fn exit_code(code: i32) -> u8 {
    u8::try_from(code).unwrap_or(FAILED)
}
