//! The `heartwire` command: decode, encode and check heartbeat messages.
//!
//! A thin layer over the `heartwire` crate: every rule it applies is the crate's, and so
//! `spec/`'s. Run `heartwire --help` for the commands.
#![forbid(unsafe_code)]

/// A line on stderr, like `eprintln!`; a stderr that cannot be written (a closed pipe)
/// ends the program with exit 1 instead of a panic.
macro_rules! note {
    ($($arg:tt)*) => {
        $crate::output::line(&mut ::std::io::stderr(), format_args!($($arg)*))
    };
}

/// A line on stdout, like `println!`; a stdout that cannot be written ends the program
/// with exit 1 instead of a panic.
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::output::line(&mut ::std::io::stdout(), format_args!($($arg)*))
    };
}

mod brokers;
mod lines;
mod monitor;
mod output;
mod run;
mod schema;
mod verify;

use std::ffi::OsString;
use std::io::{self, BufRead, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use bytes::BytesMut;
use clap::{Parser, Subcommand, ValueEnum};
use heartwire::command::Dialect as CommandDialect;
use heartwire::document::{Document, Format};
use heartwire::json::{JsonError, JsonErrorKind, MAX_DOCUMENT_LEN};
use heartwire::schedule::{Dialect as RateDialect, Rate, Schedule};
use heartwire::text::{MAX_LINE_LEN, MAX_PAYLOAD_LEN, Message, Part, Signal, Subject, TextError};
use heartwire::time::{SystemClock, Timestamp, UnixTime, WallClock};

use lines::{BoundedLines, Line};

/// The built-in example: a log of heartbeats of every format heartwire knows: beatit
/// messages from two processes (some written the way Python formats floats), a liveness
/// record as the seed's Python publisher writes it, one Reventless heartbeat envelope in
/// its three real encodings, and a schedule. `heartwire` with no command decodes it.
const EXAMPLE: &str = include_str!("example.log");

const AFTER_HELP: &str = "\
Exit status:
  0  every input was valid
  1  some input was invalid (each error is on stderr with its byte offset; the valid
     input was still processed) or output could not be written
  2  usage error

With no command, heartwire decodes its built-in example log (see `heartwire example`).
The wire formats are specified in spec/ of the heartwire repository: text.md (beatit),
json.md (what the JSON formats share), record.md, command.md and schedule.md.";

/// Decode, encode and check heartbeat messages: the beatit text convention, JSON
/// liveness records, Reventless command envelopes and schedules.
#[derive(Debug, Parser)]
#[command(name = "heartwire", version, after_help = AFTER_HELP)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Decode messages into their canonical form, one per line.
    ///
    /// With --subject, decodes one beatit message: the subject given and the PAYLOAD
    /// argument, or the payload read from stdin when PAYLOAD is absent (one trailing LF
    /// or CR LF, as `echo` adds, is removed).
    ///
    /// Without --subject, reads stdin one line at a time (LF or CR LF terminated; empty
    /// lines are skipped), so a log can be piped in. A line whose first byte other than
    /// a space is `{` is a JSON document (at most 65,536 bytes) of the format its keys
    /// say: `service_name` a liveness record, `meta` a command envelope, `rate` a
    /// schedule; it prints as its canonical document. Any other line is a beatit message
    /// in the line form `<subject> <payload>`; it prints as its canonical JSON form.
    /// --format takes one format instead of detecting it. Invalid lines are reported on
    /// stderr as `stdin:LINE: MESSAGE` and the rest are still decoded.
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
        /// The format of every line, instead of detecting it line by line.
        #[arg(long, value_enum, default_value_t = FormatArg::Auto, conflicts_with = "subject")]
        format: FormatArg,
    },
    /// Encode canonical forms from stdin (one JSON object per line) into wire form.
    ///
    /// A line such as
    /// {"format":"text","process":"my.process","signal":"beat","period":5}
    /// (`warmup` for start, no number for stop) prints as the beatit line form
    /// `heartbeat.my.process beat/5`; numbers are read exactly, never as binary floats.
    /// A liveness record, command envelope or schedule prints as its canonical
    /// document, envelopes in the --dialect asked for and schedules' rates in the
    /// --rate-dialect asked for. Empty lines are skipped; invalid lines are reported on
    /// stderr as `stdin:LINE: MESSAGE`.
    #[command(verbatim_doc_comment)]
    Encode {
        /// How to write a command envelope's command: `sury` {"TAG":"Heartbeat","_0":10},
        /// `decco` ["Heartbeat",10] or `seed` "commandJson":"Heartbeat(10)".
        #[arg(long, default_value_t = CommandDialect::Sury, value_name = "DIALECT")]
        dialect: CommandDialect,
        /// How to write a schedule's rate: `string` "Daily(9,0)", `sury`
        /// {"TAG":"Daily","_0":9,"_1":0} or `decco` ["Daily",9,0].
        #[arg(long, default_value = "string", value_parser = parse_rate_dialect, value_name = "DIALECT")]
        rate_dialect: RateDialect,
    },
    /// When a schedule fires, and how EventBridge says it.
    ///
    /// SCHEDULE is a rate in its string form (`Daily(9,0)`, `Hours(6)`,
    /// `Single(2024,12,25,14,30)`), an EventBridge expression (`cron(0 9 * * ? *)`,
    /// `rate(5 minutes)`, `at(2024-12-25T14:30:00)`) or a schedule document
    /// ({"name":...,"rate":...,"payload":...}). Times are UTC.
    #[command(verbatim_doc_comment)]
    Schedule {
        #[command(subcommand)]
        action: ScheduleAction,
    },
    /// Watch heartbeats on brokers: who is alive, degraded, late, dead or stopped.
    ///
    /// Subscribes to every --from broker for every format it carries (spec/transports.md),
    /// feeds each message to the liveness engine (spec/liveness.md) and shows the state
    /// of every process: on a terminal a table redrawn every --refresh ms (process,
    /// source, state, last signal, age, next deadline, suspicion), otherwise one JSON
    /// line per state change, for example
    /// {"event":"changed","process":"billing.worker-1","source":"text","old":"alive",
    /// "new":"late","reason":"overdue","at":"2026-11-23T09:00:07.500Z"}
    /// Invalid messages are reported on stderr with where they came from; a broker that
    /// goes away is connected again. Runs until interrupted (or --exit-after).
    #[command(verbatim_doc_comment)]
    Monitor(monitor::MonitorArgs),
    /// Print or write the JSON Schemas (draft 2020-12) of the JSON formats.
    ///
    /// With no NAME, lists the schemas: text (the canonical JSON form of a beatit
    /// message), record, command and schedule; then those of the conformance suite and
    /// harness: vectors, liveness-vectors (the liveness engine's scenarios), suite,
    /// session-harness, session-implementation, exec-answer and report (`heartwire
    /// verify --report json`). With NAME, prints that schema. With --out
    /// DIR, writes the one named, or all, to DIR/<name>.schema.json; the repository keeps
    /// them in spec/schema (`heartwire schema --out spec/schema` regenerates them).
    #[command(verbatim_doc_comment)]
    Schema {
        /// The schema to print or write.
        #[arg(value_name = "NAME")]
        name: Option<String>,
        /// Write the schemas into this folder instead of printing them.
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
    /// Print the built-in example log, in the line form.
    ///
    /// `heartwire example | heartwire decode | heartwire encode` decodes it and encodes
    /// it back in canonical form.
    Example,
    /// Run the conformance suite against an implementation in any language (heartwire's
    /// own when no COMMAND is given).
    ///
    /// Examples:
    ///   heartwire verify                                   # heartwire itself
    ///   heartwire verify --mode session -- python3 my_impl.py
    ///   heartwire verify --format text --report junit -- ./my-impl
    #[command(verbatim_doc_comment)]
    Verify(verify::VerifyArgs),
    /// Run a job and report it over HTTP: start, a beat every --period while it runs,
    /// its exit status at the end (with its last output lines where the service takes
    /// a body). Signals are forwarded to the job; its exit status is heartwire's.
    ///
    /// Example: `heartwire run --process backup --to http://127.0.0.1:8387/ping/ -- ./backup.sh`
    Run(run::RunArgs),
    /// Send one signal (start, beat, degraded, stop, fail or an exit status).
    ///
    /// Example: `heartwire beat --to http://127.0.0.1:8387/beat --process api --signal beat --period 5`
    Beat(run::BeatArgs),
    /// Ping a URL on an aligned schedule, as the Intervalometerator does: once at start,
    /// whenever the minute (UTC) is divisible by --every, and on demand (SIGUSR1). Each
    /// result is printed in its one-line form with what triggered it:
    /// `2026/11/23 09:05:00 (200) scheduled`. Runs until SIGINT or SIGTERM.
    ///
    /// Example: `heartwire ping --url https://hc-ping.com/$UUID --every 15`
    Ping(run::PingArgs),
    /// The conformance suite: list its cases, or export it to run it yourself.
    Vectors {
        #[command(subcommand)]
        action: verify::VectorsAction,
    },
}

#[derive(Debug, Subcommand)]
enum ScheduleAction {
    /// Print the next fire times after an instant, one RFC 3339 UTC time per line.
    ///
    /// `Minutes`, `Hours` and `Days` count from 1970-01-01T00:00Z unless --anchor says
    /// otherwise (EventBridge's `rate()` counts from when the rule was created).
    #[command(verbatim_doc_comment)]
    Next {
        /// The schedule: a rate, an EventBridge expression or a schedule document.
        schedule: String,
        /// Fire times strictly after this RFC 3339 time (default: now).
        #[arg(long, value_name = "TIME")]
        after: Option<String>,
        /// How many fire times to print (fewer when the schedule ends sooner).
        #[arg(long, default_value_t = 5, value_name = "N")]
        count: usize,
        /// An RFC 3339 time that `Minutes`, `Hours` and `Days` count from.
        #[arg(long, value_name = "TIME")]
        anchor: Option<String>,
    },
    /// Print the EventBridge expression that fires on the schedule.
    Expr {
        /// The schedule: a rate, an EventBridge expression or a schedule document.
        schedule: String,
        /// Print EventBridge Scheduler's one-time `at(...)` form (a `Single` rate only).
        #[arg(long)]
        at: bool,
    },
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

fn parse_rate_dialect(name: &str) -> Result<RateDialect, String> {
    RateDialect::from_name(name)
        .ok_or_else(|| format!("unknown rate dialect {name:?}, expected string, sury or decco"))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let result = match cli.command {
        None => {
            note!("heartwire: decoding the built-in example (`heartwire --help` for more)");
            decode_lines(EXAMPLE.as_bytes(), "example", None, &mut out)
        }
        Some(Command::Decode {
            subject: Some(subject),
            payload,
            ..
        }) => decode_one(&subject, payload.as_ref(), &mut out),
        Some(Command::Decode {
            subject: None,
            format,
            ..
        }) => decode_lines(io::stdin().lock(), "stdin", format.format(), &mut out),
        Some(Command::Encode {
            dialect,
            rate_dialect,
        }) => encode_lines(
            io::stdin().lock(),
            "stdin",
            Dialects {
                command: dialect,
                rate: rate_dialect,
            },
            &mut out,
        ),
        Some(Command::Schedule { action }) => schedule(action, &mut out),
        Some(Command::Schema { name, out: dir }) => {
            match schema::run(name.as_deref(), dir.as_deref(), &mut out) {
                Ok(()) => Ok(Outcome::AllValid),
                Err(schema::SchemaError::Io(e)) => Err(e),
                Err(e @ schema::SchemaError::UnknownName(_)) => {
                    note!("heartwire schema: {e}");
                    return ExitCode::from(2);
                }
            }
        }
        Some(Command::Verify(args)) => return verify::verify(args),
        Some(Command::Run(args)) => return run::run(args),
        Some(Command::Beat(args)) => return run::beat(args),
        Some(Command::Ping(args)) => return run::ping(args),
        Some(Command::Vectors { action }) => return verify::vectors(action),
        Some(Command::Monitor(args)) => return monitor::run(args),
        Some(Command::Example) => out
            .write_all(EXAMPLE.as_bytes())
            .map(|()| Outcome::AllValid),
    };
    let result = result.and_then(|outcome| out.flush().map(|()| outcome));
    match result {
        Ok(Outcome::AllValid) => ExitCode::SUCCESS,
        Ok(Outcome::SomeInvalid) => ExitCode::from(1),
        // A reader that went away (`| head`): nothing more can be said, and the output
        // is not whole.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::from(1),
        Err(e) => {
            note!("heartwire: {e}");
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

/// Runs `each` on every non-empty line of `input` (at most a JSON document long) with
/// where it is (`source:LINE`) for messages; `each` says whether the line was valid. A
/// longer line is reported by [`too_long`] as a line of `format` (detected from its
/// first byte when `None`), without being read into memory.
fn each_line(
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
                too_long(&where_, len, format, first);
                false
            }
        };
        outcome = outcome.and(valid);
    }
    Ok(outcome)
}

/// Writes a document's encoding and a line feed through a reused buffer.
/// Writes a document and a newline; `false` (and the reason on stderr) when it cannot
/// be encoded (an envelope over 64 KiB in the dialect asked for).
fn write_document(
    out: &mut impl Write,
    where_: &str,
    buf: &mut BytesMut,
    encode: impl FnOnce(&mut BytesMut) -> Result<(), JsonError>,
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

/// `decode` of lines: documents of the JSON formats and beatit line forms, each
/// detected from its first byte unless `format` says.
fn decode_lines(
    input: impl BufRead,
    source: &str,
    format: Option<Format>,
    out: &mut impl Write,
) -> io::Result<Outcome> {
    let mut buf = BytesMut::with_capacity(MAX_DOCUMENT_LEN);
    each_line(input, source, format, |where_, bytes| {
        match format.unwrap_or_else(|| line_format(bytes)) {
            Format::Text => match Message::decode_line(bytes) {
                Ok(message) => writeln!(out, "{}", message.json()).map(|()| true),
                Err(e) => {
                    report(where_, &e, Some(bytes));
                    Ok(false)
                }
            },
            format => match Document::decode_as(bytes, format) {
                Ok(document) => write_document(out, where_, &mut buf, |b| document.encode(b)),
                Err(e) => {
                    report_json(where_, &e, bytes);
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

/// Reports a line over every limit; only its length and first byte were kept.
fn too_long(where_: &str, len: usize, format: Option<Format>, first: Option<u8>) {
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

/// The dialects `encode` writes.
#[derive(Debug, Clone, Copy)]
struct Dialects {
    command: CommandDialect,
    rate: RateDialect,
}

/// `encode` of JSON lines: canonical text forms and documents of the JSON formats.
fn encode_lines(
    input: impl BufRead,
    source: &str,
    dialects: Dialects,
    out: &mut impl Write,
) -> io::Result<Outcome> {
    let mut buf = BytesMut::with_capacity(MAX_DOCUMENT_LEN);
    each_line(input, source, Some(Format::Record), |where_, bytes| {
        let document = match Format::detect(bytes) {
            Ok(format) => Document::decode_as(bytes, format),
            // No key of a document format: the JSON form of a beatit message.
            Err(e) if matches!(e.kind, JsonErrorKind::Missing { .. }) => {
                return encode_text(where_, bytes, out);
            }
            Err(e) => Err(e),
        };
        match document {
            Ok(document) => write_document(out, where_, &mut buf, |b| match &document {
                Document::Command(envelope) => envelope.encode(dialects.command, b),
                Document::Schedule(schedule) => {
                    schedule.encode_as(b, dialects.rate);
                    Ok(())
                }
                other => other.encode(b),
            }),
            Err(e) => {
                report_json(where_, &e, bytes);
                Ok(false)
            }
        }
    })
}

/// Encodes the canonical JSON form of a beatit message; whether it was valid.
fn encode_text(where_: &str, bytes: &[u8], out: &mut impl Write) -> io::Result<bool> {
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => {
            let error = TextError::NotUtf8 {
                part: Part::Line,
                offset: e.valid_up_to(),
            };
            report(where_, &error, Some(bytes));
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
            caret(text.as_bytes(), e.offset());
            Ok(false)
        }
    }
}

/// `schedule next` and `schedule expr`.
fn schedule(action: ScheduleAction, out: &mut impl Write) -> io::Result<Outcome> {
    let given = match &action {
        ScheduleAction::Next { schedule, .. } | ScheduleAction::Expr { schedule, .. } => schedule,
    };
    let Some(rate) = rate_of(given) else {
        return Ok(Outcome::SomeInvalid);
    };
    match action {
        ScheduleAction::Expr { at: false, .. } => writeln!(out, "{}", rate.expression())?,
        ScheduleAction::Expr { at: true, .. } => match rate.at_expression() {
            Some(at) => writeln!(out, "{at}")?,
            None => {
                note!("schedule: {rate} repeats; only a Single rate has an at() expression");
                return Ok(Outcome::SomeInvalid);
            }
        },
        ScheduleAction::Next {
            after,
            count,
            anchor,
            ..
        } => {
            let after = match after {
                Some(text) => match instant("--after", &text) {
                    Some(at) => at,
                    None => return Ok(Outcome::SomeInvalid),
                },
                None => SystemClock.now(),
            };
            let times = match anchor {
                Some(text) => match instant("--anchor", &text) {
                    Some(anchor) => rate.fire_times_anchored(after, anchor),
                    None => return Ok(Outcome::SomeInvalid),
                },
                None => rate.fire_times(after),
            };
            let mut printed = 0usize;
            for at in times.take(count) {
                printed += 1;
                writeln!(out, "{at}")?;
            }
            if printed == 0 && count > 0 {
                // Not an error: a one-time schedule that has passed fires no more.
                note!("schedule: {rate} fires no more after that time");
            }
        }
    }
    Ok(Outcome::AllValid)
}

/// The rate of a schedule given on the command line, or `None` after reporting why not.
fn rate_of(given: &str) -> Option<Rate> {
    let trimmed = given.trim_start();
    if trimmed.starts_with('{') {
        return match Schedule::decode(given.as_bytes()) {
            Ok(schedule) => Some(schedule.rate()),
            Err(e) => {
                report_json("schedule", &e, given.as_bytes());
                None
            }
        };
    }
    let expression = ["rate(", "cron(", "at("]
        .iter()
        .any(|p| trimmed.starts_with(p));
    let parsed = if expression {
        Rate::from_expression(given)
    } else {
        Rate::parse(given)
    };
    match parsed {
        Ok(rate) => Some(rate),
        Err(e) => {
            note!("schedule: {e}");
            caret(given.as_bytes(), e.offset);
            None
        }
    }
}

/// An RFC 3339 time of an option, or `None` after reporting why not.
fn instant(option: &str, text: &str) -> Option<UnixTime> {
    match Timestamp::parse(text) {
        Ok(ts) => Some(ts.unix_time()),
        Err(e) => {
            note!("{option}: {e}");
            caret(text.as_bytes(), e.offset);
            None
        }
    }
}

/// Prints a JSON error on stderr with a caret under its offset (when the document is
/// printable ASCII and short enough to show). Returns [`Outcome::SomeInvalid`].
fn report_json(what: &str, error: &JsonError, input: &[u8]) -> Outcome {
    note!("{what}: {error}");
    if input.len() <= 200 {
        caret(input, error.offset);
    }
    Outcome::SomeInvalid
}

/// Prints an error on stderr, with the input and a caret under the offset when the input
/// is printable ASCII (so the caret lines up). Returns [`Outcome::SomeInvalid`].
fn report(what: &str, error: &TextError, input: Option<&[u8]>) -> Outcome {
    note!("{what}: {error}");
    if let Some(input) = input {
        caret(input, error.offset());
    }
    Outcome::SomeInvalid
}

fn caret(input: &[u8], offset: usize) {
    if input.iter().all(|b| (b' '..=b'~').contains(b)) && offset <= input.len() {
        let text = String::from_utf8_lossy(input);
        note!("  | {text}\n  | {:>width$}", "^", width = offset + 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(input: &str) -> (String, Outcome) {
        let mut out = Vec::new();
        let outcome = decode_lines(input.as_bytes(), "test", None, &mut out).expect("in memory");
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
