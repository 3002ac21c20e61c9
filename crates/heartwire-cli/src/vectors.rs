//! `heartwire vectors`: the conformance suite listed, exported, and answered by
//! heartwire's own implementation (exec and session modes), over `heartwire-harness`.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Subcommand;
use heartwire_harness::builtin;
use heartwire_harness::compare::Answer;
use heartwire_harness::protocol::{
    EXIT_UNSUPPORTED, ImplementationHello, MAX_LINE, PROTOCOL, Response,
};
use heartwire_harness::runner;
use heartwire_harness::suite::{FILES, Input, Operation, Suite};
use serde::Deserialize;

use crate::lines::{BoundedLines, Line};

/// The exit status of a usage or protocol error.
const USAGE: u8 = 2;

fn fail(message: impl std::fmt::Display) -> ExitCode {
    crate::usage("vectors", message)
}

/// `heartwire vectors`.
#[derive(Debug, Subcommand)]
pub(crate) enum VectorsAction {
    /// List the cases: id, format, operation and `valid` or `invalid`, tab-separated.
    List {
        /// Only the cases of this format.
        #[arg(long, value_name = "FORMAT")]
        format: Option<String>,
    },
    /// Write the suite (vector files, suite.json, SHA256SUMS, README.md) into DIR, so
    /// that any test framework can run it; `sha256sum -c SHA256SUMS` checks it.
    Export {
        /// The folder to write into (created when absent).
        dir: PathBuf,
    },
    /// Answer one case as an exec-mode implementation does, with heartwire's own
    /// implementation: the case's input on stdin.
    Exec {
        /// The operation: decode, encode or a chapter's own.
        operation: String,
        /// The format.
        format: String,
    },
    /// Speak the session protocol on stdin and stdout with heartwire's own
    /// implementation.
    Serve,
}

/// `heartwire vectors ...`.
pub(crate) fn run(action: VectorsAction) -> ExitCode {
    match action {
        VectorsAction::List { format } => {
            let suite = match Suite::builtin() {
                Ok(suite) => suite,
                Err(e) => return fail(format!("the built-in suite is broken: {e}")),
            };
            let cases = match runner::select(suite, format.as_deref(), None) {
                Ok(cases) => cases,
                Err(e) => return fail(e),
            };
            let mut out = io::BufWriter::new(io::stdout().lock());
            for c in cases {
                let validity = if c.case.expect.is_rejection() {
                    "invalid"
                } else {
                    "valid"
                };
                if writeln!(
                    out,
                    "{}\t{}\t{}\t{validity}",
                    c.case.id, c.format, c.case.operation
                )
                .is_err()
                {
                    return ExitCode::from(1);
                }
            }
            match out.flush() {
                Ok(()) => ExitCode::SUCCESS,
                Err(_) => ExitCode::from(1),
            }
        }
        VectorsAction::Export { dir } => match export(&dir) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => fail(format!("{}: {e}", dir.display())),
        },
        VectorsAction::Exec { operation, format } => exec_one(&operation, &format),
        VectorsAction::Serve => serve(),
    }
}

fn export(dir: &Path) -> io::Result<()> {
    std::fs::create_dir_all(dir)?;
    for (name, text) in FILES {
        std::fs::write(dir.join(name), text)?;
    }
    Ok(())
}

/// Writes an answer as exec mode does and says the exit status.
fn exec_one(operation: &str, format: &str) -> ExitCode {
    let mut input = Vec::new();
    let mut lines = BoundedLines::new(io::stdin().lock(), MAX_LINE);
    if let Ok(Some(Line::Complete(line))) = lines.next_line() {
        input = line;
    }
    let Ok(input) = serde_json::from_slice::<Input<'_>>(&input) else {
        return fail("stdin is not a case's input object");
    };
    let operation = Operation::from(operation.to_owned());
    let (text, code) = match builtin::answer(format, &operation, &input) {
        Answer::Accepted(output) => (serde_json::to_string(&output), 0),
        Answer::Rejected(rejection) => (serde_json::to_string(&rejection), 1),
        Answer::Skipped(_) => (Ok(String::new()), EXIT_UNSUPPORTED),
        Answer::Errored(why) => return fail(why),
    };
    let text = text.unwrap_or_default();
    if !text.is_empty() {
        say!("{text}");
    }
    ExitCode::from(u8::try_from(code).unwrap_or(USAGE))
}

/// A request as the session server reads it.
#[derive(Deserialize)]
struct Incoming<'a> {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    seq: u64,
    #[serde(default)]
    format: String,
    #[serde(default)]
    operation: String,
    #[serde(borrow, default)]
    input: Input<'a>,
}

/// The session protocol, answered by heartwire's own implementation.
fn serve() -> ExitCode {
    let mut supports = std::collections::BTreeMap::new();
    let suite = Suite::builtin().ok();
    for c in suite.iter().flat_map(|s| s.cases()) {
        let ops: &mut Vec<String> = supports.entry(c.format.to_owned()).or_default();
        let op = c.case.operation.to_string();
        if !ops.contains(&op) {
            ops.push(op);
        }
    }
    let hello = ImplementationHello {
        kind: "hello".to_owned(),
        protocol: PROTOCOL,
        name: builtin::NAME.to_owned(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
        supports,
        choices: Default::default(),
    };
    let mut out = io::BufWriter::new(io::stdout().lock());
    let mut lines = BoundedLines::new(io::stdin().lock(), MAX_LINE);
    let mut said_hello = false;
    while let Ok(Some(Line::Complete(line))) = lines.next_line() {
        let Ok(message) = serde_json::from_slice::<Incoming<'_>>(&line) else {
            return fail("stdin: not a protocol message");
        };
        let answer = match message.kind.as_str() {
            "hello" if !said_hello => {
                said_hello = true;
                serde_json::to_string(&hello).unwrap_or_default()
            }
            "request" => {
                let operation = Operation::from(message.operation);
                let seq = message.seq;
                let response = match builtin::answer(&message.format, &operation, &message.input) {
                    Answer::Accepted(output) => Response::Ok { seq, output },
                    Answer::Rejected(rejection) => Response::Rejected { seq, rejection },
                    Answer::Skipped(reason) => Response::Skipped { seq, reason },
                    Answer::Errored(message) => Response::Errored { seq, message },
                };
                serde_json::to_string(&response).unwrap_or_default()
            }
            "stop" => break,
            _ => return fail("stdin: an unexpected message"),
        };
        // Extra members keep their white space, line breaks included: outside strings,
        // where they can only be, they become spaces, so that the answer is one line.
        let answer = answer.replace(['\n', '\r'], " ");
        if writeln!(out, "{answer}")
            .and_then(|()| out.flush())
            .is_err()
        {
            break;
        }
    }
    ExitCode::SUCCESS
}
