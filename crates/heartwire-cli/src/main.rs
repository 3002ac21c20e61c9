//! The `heartwire` command: decode, encode and check heartbeat messages.
//!
//! A thin layer over the `heartwire` crate: every rule it applies is the crate's, and so
//! `spec/`'s. Run `heartwire --help` for the commands.

mod lines;

use std::ffi::OsString;
use std::io::{self, BufRead, Read, Write};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use heartwire::text::{
    MAX_JSON_LEN, MAX_LINE_LEN, MAX_PAYLOAD_LEN, Message, Part, Signal, Subject, TextError,
};

use lines::{BoundedLines, Line};

/// The built-in example: a log of beatit messages from two processes, some written the
/// way Python formats floats. `heartwire` with no command decodes it.
const EXAMPLE: &str = include_str!("example.log");

const AFTER_HELP: &str = "\
Exit status:
  0  every input was valid
  1  some input was invalid (each error is on stderr with its byte offset; the valid
     input was still processed) or output could not be written
  2  usage error

With no command, heartwire decodes its built-in example log (see `heartwire example`).
The wire format is specified in spec/text.md of the heartwire repository.";

/// Decode, encode and check heartbeat messages of the beatit text convention.
#[derive(Debug, Parser)]
#[command(name = "heartwire", version, after_help = AFTER_HELP)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Decode messages into their canonical JSON form, one JSON object per line.
    ///
    /// With --subject, decodes one message: the subject given and the PAYLOAD argument,
    /// or the payload read from stdin when PAYLOAD is absent (one trailing LF or CR LF,
    /// as `echo` adds, is removed).
    ///
    /// Without --subject, reads the line form `<subject> <payload>` from stdin, one
    /// message per line (LF or CR LF terminated; empty lines are skipped), so a log can
    /// be piped in. Invalid lines are reported on stderr as `stdin:LINE: MESSAGE` and
    /// the rest are still decoded.
    ///
    /// Example: `heartwire decode --subject heartbeat.my.process beat/5.0` prints
    /// {"format":"text","process":"my.process","signal":"beat","period":5}
    #[command(verbatim_doc_comment)]
    Decode {
        /// The subject, for example heartbeat.my.process.
        #[arg(long, value_name = "SUBJECT")]
        subject: Option<OsString>,
        /// The payload, for example beat/5 (only with --subject; stdin when absent).
        #[arg(value_name = "PAYLOAD", requires = "subject")]
        payload: Option<OsString>,
    },
    /// Encode canonical JSON objects from stdin (one per line) into the line form.
    ///
    /// Each line holds an object such as
    /// {"format":"text","process":"my.process","signal":"beat","period":5}
    /// (`warmup` for start, no number for stop); the output is the canonical line form
    /// `heartbeat.my.process beat/5`. Numbers are read exactly, never as binary floats.
    /// Empty lines are skipped; invalid lines are reported on stderr as
    /// `stdin:LINE: MESSAGE`.
    #[command(verbatim_doc_comment)]
    Encode,
    /// Print the built-in example log, in the line form.
    ///
    /// `heartwire example | heartwire decode | heartwire encode` decodes it and encodes
    /// it back in canonical form.
    Example,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let result = match cli.command {
        None => {
            eprintln!("heartwire: decoding the built-in example (`heartwire --help` for more)");
            decode_lines(EXAMPLE.as_bytes(), "example", &mut out)
        }
        Some(Command::Decode {
            subject: Some(subject),
            payload,
        }) => decode_one(&subject, payload.as_ref(), &mut out),
        Some(Command::Decode { subject: None, .. }) => {
            decode_lines(io::stdin().lock(), "stdin", &mut out)
        }
        Some(Command::Encode) => encode_lines(io::stdin().lock(), "stdin", &mut out),
        Some(Command::Example) => out
            .write_all(EXAMPLE.as_bytes())
            .map(|()| Outcome::AllValid),
    };
    let result = result.and_then(|outcome| out.flush().map(|()| outcome));
    match result {
        Ok(Outcome::AllValid) => ExitCode::SUCCESS,
        Ok(Outcome::SomeInvalid) => ExitCode::from(1),
        // A reader that went away (`| head`) is not an error of ours.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("heartwire: {e}");
            ExitCode::from(1)
        }
    }
}

/// Whether all input was valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    AllValid,
    SomeInvalid,
}

impl Outcome {
    fn and(self, valid: bool) -> Outcome {
        if valid { self } else { Outcome::SomeInvalid }
    }
}

/// `decode --subject S [PAYLOAD]`.
fn decode_one(
    subject: &OsString,
    payload: Option<&OsString>,
    out: &mut impl Write,
) -> io::Result<Outcome> {
    let stdin_payload;
    let payload: &[u8] = match payload {
        Some(p) => p.as_encoded_bytes(),
        None => {
            stdin_payload = read_payload(io::stdin().lock())?;
            match &stdin_payload {
                Ok(bytes) => bytes,
                Err(e) => return Ok(report("payload", e, None)),
            }
        }
    };
    // Decoded part by part, so an error is reported against the input it is about.
    let subject = match Subject::decode(subject.as_encoded_bytes()) {
        Ok(subject) => subject,
        Err(e) => return Ok(report("subject", &e, Some(subject.as_encoded_bytes()))),
    };
    let signal = match Signal::decode(payload) {
        Ok(signal) => signal,
        Err(e) => return Ok(report("payload", &e, Some(payload))),
    };
    let message = Message::new(subject.into_process(), signal);
    writeln!(out, "{}", message.json())?;
    Ok(Outcome::AllValid)
}

/// A payload from stdin, at most [`MAX_PAYLOAD_LEN`] bytes after one trailing LF or
/// CR LF is removed; a longer one is counted, not kept.
fn read_payload(reader: impl BufRead) -> io::Result<Result<Vec<u8>, TextError>> {
    let limit = MAX_PAYLOAD_LEN + 2;
    let mut bytes = Vec::with_capacity(limit + 1);
    let mut reader = reader.take(limit as u64 + 1);
    reader.read_to_end(&mut bytes)?;
    let mut extra = 0usize;
    if bytes.len() > limit {
        // Count the rest without keeping it.
        extra = usize::try_from(io::copy(&mut reader.into_inner(), &mut io::sink())?)
            .unwrap_or(usize::MAX);
    }
    if extra == 0 {
        if bytes.last() == Some(&b'\n') {
            bytes.pop();
            if bytes.last() == Some(&b'\r') {
                bytes.pop();
            }
        }
        if bytes.len() <= MAX_PAYLOAD_LEN {
            return Ok(Ok(bytes));
        }
    }
    Ok(Err(TextError::TooLong {
        part: Part::Payload,
        offset: MAX_PAYLOAD_LEN,
        len: bytes.len().saturating_add(extra),
        max: MAX_PAYLOAD_LEN,
    }))
}

/// `decode` of line form input.
fn decode_lines(input: impl BufRead, source: &str, out: &mut impl Write) -> io::Result<Outcome> {
    let mut outcome = Outcome::AllValid;
    let mut lines = BoundedLines::new(input, MAX_LINE_LEN);
    let mut number = 0usize;
    while let Some(line) = lines.next_line()? {
        number += 1;
        let result = match &line {
            Line::Complete(bytes) if bytes.is_empty() => continue,
            Line::Complete(bytes) => Message::decode_line(bytes),
            Line::TooLong { len } => Err(TextError::TooLong {
                part: Part::Line,
                offset: MAX_LINE_LEN,
                len: *len,
                max: MAX_LINE_LEN,
            }),
        };
        match result {
            Ok(message) => writeln!(out, "{}", message.json())?,
            Err(e) => {
                let bytes = match &line {
                    Line::Complete(bytes) => Some(bytes.as_slice()),
                    Line::TooLong { .. } => None,
                };
                outcome = outcome.and(false);
                report(&format!("{source}:{number}"), &e, bytes);
            }
        }
    }
    Ok(outcome)
}

/// `encode` of JSON lines.
fn encode_lines(input: impl BufRead, source: &str, out: &mut impl Write) -> io::Result<Outcome> {
    let mut outcome = Outcome::AllValid;
    let mut lines = BoundedLines::new(input, MAX_JSON_LEN);
    let mut number = 0usize;
    while let Some(line) = lines.next_line()? {
        number += 1;
        let where_ = format!("{source}:{number}");
        let bytes = match line {
            Line::Complete(bytes) if bytes.is_empty() => continue,
            Line::Complete(bytes) => bytes,
            Line::TooLong { len } => {
                outcome = outcome.and(false);
                eprintln!(
                    "{where_}: JSON form is {len} bytes long, expected at most {MAX_JSON_LEN} (byte {MAX_JSON_LEN})"
                );
                continue;
            }
        };
        let text = match std::str::from_utf8(&bytes) {
            Ok(text) => text,
            Err(e) => {
                outcome = outcome.and(false);
                let error = TextError::NotUtf8 {
                    part: Part::Line,
                    offset: e.valid_up_to(),
                };
                report(&where_, &error, Some(&bytes));
                continue;
            }
        };
        match Message::from_json(text) {
            Ok(message) => writeln!(out, "{message}")?,
            Err(e) => {
                outcome = outcome.and(false);
                eprintln!("{where_}: {e}");
                caret(text.as_bytes(), e.offset());
            }
        }
    }
    Ok(outcome)
}

/// Prints an error on stderr, with the input and a caret under the offset when the input
/// is printable ASCII (so the caret lines up). Returns [`Outcome::SomeInvalid`].
fn report(what: &str, error: &TextError, input: Option<&[u8]>) -> Outcome {
    eprintln!("{what}: {error}");
    if let Some(input) = input {
        caret(input, error.offset());
    }
    Outcome::SomeInvalid
}

fn caret(input: &[u8], offset: usize) {
    if input.iter().all(|b| (b' '..=b'~').contains(b)) && offset <= input.len() {
        let text = String::from_utf8_lossy(input);
        eprintln!("  | {text}\n  | {:>width$}", "^", width = offset + 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(input: &str) -> (String, Outcome) {
        let mut out = Vec::new();
        let outcome = decode_lines(input.as_bytes(), "test", &mut out).expect("in memory");
        (String::from_utf8(out).expect("JSON is UTF-8"), outcome)
    }

    #[test]
    fn the_example_is_valid() {
        let (out, outcome) = decode(EXAMPLE);
        assert_eq!(outcome, Outcome::AllValid);
        assert_eq!(out.lines().count(), EXAMPLE.lines().count());
    }

    #[test]
    fn good_lines_survive_bad_ones() {
        let (out, outcome) =
            decode("heartbeat.a beat/5\nheartbeat.b* beat/5\n\nheartbeat.c stop\r\n");
        assert_eq!(outcome, Outcome::SomeInvalid);
        assert_eq!(
            out,
            "{\"format\":\"text\",\"process\":\"a\",\"signal\":\"beat\",\"period\":5}\n\
             {\"format\":\"text\",\"process\":\"c\",\"signal\":\"stop\"}\n"
        );
    }

    #[test]
    fn stdin_payload_loses_only_one_terminator() {
        assert_eq!(
            read_payload(&b"beat/5\n"[..]).ok(),
            Some(Ok(b"beat/5".to_vec()))
        );
        assert_eq!(
            read_payload(&b"beat/5\r\n"[..]).ok(),
            Some(Ok(b"beat/5".to_vec()))
        );
        assert_eq!(
            read_payload(&b"beat/5\n\n"[..]).ok(),
            Some(Ok(b"beat/5\n".to_vec()))
        );
        let long = vec![b'1'; 10_000];
        assert_eq!(
            read_payload(&long[..]).ok(),
            Some(Err(TextError::TooLong {
                part: Part::Payload,
                offset: MAX_PAYLOAD_LEN,
                len: 10_000,
                max: MAX_PAYLOAD_LEN
            }))
        );
    }
}
