//! `heartwire decode`: messages and documents into their canonical form, one per line.

use std::ffi::OsString;
use std::io::{self, BufRead, Read, Write};
use std::path::PathBuf;

use clap::{Args, ValueEnum};
use heartwire::document::{Document, Format};
use heartwire::json::MAX_DOCUMENT_LEN;
use heartwire::text::{MAX_PAYLOAD_LEN, Message, Part, Signal, Subject, TextError};

use crate::{Outcome, input, output, report};

/// `heartwire decode`'s options.
#[derive(Debug, Args)]
pub(crate) struct DecodeArgs {
    /// Files of lines to decode, one after the other; `-` is stdin, which is read when
    /// there is no FILE.
    #[arg(value_name = "FILE", conflicts_with = "subject")]
    files: Vec<PathBuf>,
    /// Decode one beatit message with this subject (heartbeat.my.process) instead of
    /// lines; its payload is --payload, or stdin.
    #[arg(long, value_name = "SUBJECT")]
    subject: Option<OsString>,
    /// The payload of the --subject message, for example beat/5 (stdin when absent).
    #[arg(long, value_name = "PAYLOAD", requires = "subject")]
    payload: Option<OsString>,
    /// The format of every line, instead of detecting it line by line.
    #[arg(long, value_enum, default_value_t = FormatArg::Auto, conflicts_with = "subject")]
    format: FormatArg,
}

/// `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum FormatArg {
    /// Detect the format of each line.
    Auto,
    /// The beatit text convention, in line form.
    Text,
    /// JSON liveness records.
    Record,
    /// Reventless command envelopes.
    Command,
    /// Reventless schedules.
    Schedule,
}

impl FormatArg {
    fn format(self) -> Option<Format> {
        match self {
            FormatArg::Auto => None,
            FormatArg::Text => Some(Format::Text),
            FormatArg::Record => Some(Format::Record),
            FormatArg::Command => Some(Format::Command),
            FormatArg::Schedule => Some(Format::Schedule),
        }
    }
}

/// `heartwire decode`.
pub(crate) fn run(args: DecodeArgs) -> io::Result<Outcome> {
    let mut out = io::BufWriter::new(io::stdout().lock());
    let outcome = match &args.subject {
        Some(subject) => one(subject, args.payload.as_ref(), &mut out)?,
        None => input::each_file("decode", &args.files, |input, source| {
            lines(input, source, args.format.format(), &mut out)
        })?,
    };
    out.flush()?;
    Ok(outcome)
}

/// `decode --subject S [--payload P]`.
fn one(
    subject: &OsString,
    payload: Option<&OsString>,
    out: &mut impl Write,
) -> io::Result<Outcome> {
    let stdin_payload;
    let payload: &[u8] = match payload {
        Some(p) => p.as_encoded_bytes(),
        None => {
            stdin_payload = read_payload(input::stdin(
                "decode",
                "the payload",
                "or give it with --payload",
            ))?;
            match &stdin_payload {
                Ok(bytes) => bytes,
                Err(e) => return Ok(report::text("payload", e, None)),
            }
        }
    };
    // Decoded part by part, so an error is reported against the input it is about.
    let subject = match Subject::decode(subject.as_encoded_bytes()) {
        Ok(subject) => subject,
        Err(e) => {
            return Ok(report::text(
                "subject",
                &e,
                Some(subject.as_encoded_bytes()),
            ));
        }
    };
    let signal = match Signal::decode(payload) {
        Ok(signal) => signal,
        Err(e) => return Ok(report::text("payload", &e, Some(payload))),
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

/// `decode` of lines: documents of the JSON formats and beatit line forms, each
/// detected from its first byte unless `format` says.
pub(crate) fn lines(
    input: impl BufRead,
    source: &str,
    format: Option<Format>,
    out: &mut impl Write,
) -> io::Result<Outcome> {
    let mut buf = Vec::with_capacity(MAX_DOCUMENT_LEN);
    input::each_line(input, source, format, |where_, bytes| {
        match format.unwrap_or_else(|| line_format(bytes)) {
            Format::Text => match Message::decode_line(bytes) {
                Ok(message) => writeln!(out, "{}", message.json()).map(|()| true),
                Err(e) => {
                    report::text(where_, &e, Some(bytes));
                    Ok(false)
                }
            },
            format => match Document::decode_as(bytes, format) {
                Ok(document) => output::document(out, where_, &mut buf, |b| document.encode(b)),
                Err(e) => {
                    report::json(where_, &e, bytes);
                    Ok(false)
                }
            },
        }
    })
}

/// The format of a line: a JSON document if it starts with `{` (after spaces), else a
/// beatit message in line form.
fn line_format(line: &[u8]) -> Format {
    match line.iter().find(|b| !matches!(b, b' ' | b'\t')) {
        Some(b'{') => match Format::detect(line) {
            Ok(format) => format,
            // Decoding it as a record reports why it is no document of ours.
            Err(_) => Format::Record,
        },
        _ => Format::Text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::example::EXAMPLE;

    fn decode(input: &str) -> (String, Outcome) {
        let mut out = Vec::new();
        let outcome = lines(input.as_bytes(), "test", None, &mut out).expect("in memory");
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
