//! `heartwire encode`: canonical forms (one JSON object per line) into wire form.

use std::io::{self, BufRead, Write};
use std::path::PathBuf;

use clap::Args;
use heartwire::command::Dialect as CommandDialect;
use heartwire::document::{Document, Format};
use heartwire::json::{JsonErrorKind, MAX_DOCUMENT_LEN};
use heartwire::schedule::Dialect as RateDialect;
use heartwire::text::{Message, Part, TextError};

use crate::{Outcome, input, output, report};

/// `heartwire encode`'s options.
#[derive(Debug, Args)]
pub(crate) struct EncodeArgs {
    /// Files of JSON lines to encode, one after the other; `-` is stdin, which is read
    /// when there is no FILE.
    #[arg(value_name = "FILE")]
    files: Vec<PathBuf>,
    /// How to write a command envelope's command: `sury` {"TAG":"Heartbeat","_0":10},
    /// `decco` ["Heartbeat",10] or `seed` "commandJson":"Heartbeat(10)".
    #[arg(long, default_value_t = CommandDialect::Sury, value_name = "DIALECT")]
    dialect: CommandDialect,
    /// How to write a schedule's rate: `string` "Daily(9,0)", `sury`
    /// {"TAG":"Daily","_0":9,"_1":0} or `decco` ["Daily",9,0].
    #[arg(long, default_value = "string", value_parser = parse_rate_dialect, value_name = "DIALECT")]
    rate_dialect: RateDialect,
}

fn parse_rate_dialect(name: &str) -> Result<RateDialect, String> {
    RateDialect::from_name(name)
        .ok_or_else(|| format!("unknown rate dialect {name:?}, expected string, sury or decco"))
}

/// `heartwire encode`.
pub(crate) fn run(args: EncodeArgs) -> io::Result<Outcome> {
    let mut out = io::BufWriter::new(io::stdout().lock());
    let outcome = input::each_file("encode", &args.files, |input, source| {
        lines(input, source, &args, &mut out)
    })?;
    out.flush()?;
    Ok(outcome)
}

/// `encode` of JSON lines: canonical text forms and documents of the JSON formats.
fn lines(
    input: impl BufRead,
    source: &str,
    args: &EncodeArgs,
    out: &mut impl Write,
) -> io::Result<Outcome> {
    let mut buf = Vec::with_capacity(MAX_DOCUMENT_LEN);
    input::each_line(input, source, Some(Format::Record), |where_, bytes| {
        let document = match Format::detect(bytes) {
            Ok(format) => Document::decode_as(bytes, format),
            // No key of a document format: the JSON form of a beatit message.
            Err(e) if matches!(e.kind, JsonErrorKind::Missing { .. }) => {
                return text(where_, bytes, out);
            }
            Err(e) => Err(e),
        };
        match document {
            Ok(document) => output::document(out, where_, &mut buf, |b| match &document {
                Document::Command(envelope) => envelope.encode(args.dialect, b),
                Document::Schedule(schedule) => {
                    schedule.encode_as(b, args.rate_dialect);
                    Ok(())
                }
                other => other.encode(b),
            }),
            Err(e) => {
                report::json(where_, &e, bytes);
                Ok(false)
            }
        }
    })
}

/// Encodes the canonical JSON form of a beatit message; whether it was valid.
fn text(where_: &str, bytes: &[u8], out: &mut impl Write) -> io::Result<bool> {
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => {
            let error = TextError::NotUtf8 {
                part: Part::Line,
                offset: e.valid_up_to(),
            };
            report::text(where_, &error, Some(bytes));
            return Ok(false);
        }
    };
    match Message::from_json(text) {
        Ok(message) => {
            writeln!(out, "{message}")?;
            Ok(true)
        }
        Err(e) => {
            note!("{where_}: {e}");
            report::caret(text.as_bytes(), e.offset());
            Ok(false)
        }
    }
}
