//! The `heartwire` command: decode, encode and check heartbeat messages.
//!
//! A thin layer over the `heartwire` crate: every rule it applies is the crate's, and so
//! `spec/`'s. Run `heartwire --help` for the commands.
//!
//! This file parses the command line, dispatches to the command and turns what the
//! command came to into an exit status. Each command is one file of the same name
//! (`decode.rs` is `heartwire decode`) and owns its I/O; what several commands share is
//! in the modules named for it below.
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

// The commands, one file each.
mod beat;
mod decode;
mod encode;
mod example;
mod monitor;
mod ping;
mod record;
mod run;
mod schedule;
mod schema;
mod vectors;
mod verify;

// What several commands share.
mod brokers;
mod duration;
mod input;
mod lines;
mod output;
mod plugin;
mod report;
mod send;
mod signals;

use std::io;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// After `heartwire -h`.
const AFTER_HELP: &str = "\
Liveness: `heartwire monitor` shows who is alive; `heartwire run` wraps a job,
`heartwire beat` sends one signal and `heartwire ping` pings on a schedule.
Durations take a unit: 500ms, 30s, 2m, 1h. `heartwire --help` lists the exit statuses.";

/// After `heartwire --help`.
const AFTER_LONG_HELP: &str = "\
Liveness:
  heartwire monitor                                  receive pings on 127.0.0.1:8387
  heartwire monitor --from nats://127.0.0.1:4222     or watch brokers: who is alive
  heartwire run --to URL --process NAME -- COMMAND   a job: start, beats, its exit status
  heartwire beat --to URL --process NAME             one signal: start, beat, stop, ...
  heartwire beat --to URL --plugin ID                a Reventless plugin's Heartbeat
  heartwire ping --to URL --every 15m                a ping on an aligned schedule
  heartwire record SERVICE --to redis://HOST:PORT    a service's liveness records

Every duration takes a unit: 500ms, 30s, 2m or 1h (a bare number is refused).

Exit status:
  decode, encode   0 every input was valid; 1 some input was invalid or could not be
                   read (each error is on stderr with its byte offset; the valid input
                   was still processed) or output could not be written
  schedule         0 done; 1 an invalid schedule or time, or output could not be written
  schedule run     0 stopped by SIGINT, SIGTERM or --exit-after; 1 an invalid document
                   or state file, or the API address cannot be bound
  schema, example  0 done; 1 output could not be written
  verify           0 conformant; 1 not conformant; 2 also a protocol error
  vectors          0 done; `vectors exec` 1 rejected, 3 not supported
  monitor          0 stopped by SIGINT, SIGTERM or --exit-after; 1 output could not be
                   written
  run              the job's own (127 not found, 126 not executable, 128+N killed by
                   signal N)
  beat             0 sent, or the service has no such signal; 1 not sent
  ping             0 stopped by SIGINT, SIGTERM or --exit-after
  record           0 stopped by SIGINT, SIGTERM, --exit-after or the end of --pid;
                   1 output could not be written
  all              2 usage error (`run`: before the job starts)

With no command, heartwire decodes its built-in example log (see `heartwire example`).
The wire formats are specified in spec/ of the heartwire repository: text.md (beatit),
json.md (what the JSON formats share), record.md, command.md and schedule.md.";

/// Decode, encode and check heartbeat messages: the beatit text convention, JSON
/// liveness records, Reventless command envelopes and schedules.
#[derive(Debug, Parser)]
#[command(
    name = "heartwire",
    version,
    after_help = AFTER_HELP,
    after_long_help = AFTER_LONG_HELP
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Decode messages into their canonical form, one per line.
    ///
    /// Reads each FILE one line at a time (LF or CR LF terminated; empty lines are
    /// skipped), stdin for `-` or when no FILE is given, so a log can be piped in. A
    /// line whose first byte other than a space is `{` is a JSON document (at most
    /// 65,536 bytes) of the format its keys say: `service_name` a liveness record,
    /// `meta` a command envelope, `rate` a schedule; it prints as its canonical
    /// document. Any other line is a beatit message in the line form
    /// `<subject> <payload>`; it prints as its canonical JSON form. --format takes one
    /// format instead of detecting it. Invalid lines are reported on stderr as
    /// `FILE:LINE: MESSAGE` (`stdin:LINE: MESSAGE`) and the rest are still decoded.
    ///
    /// With --subject, decodes one beatit message: the subject given and the --payload,
    /// or the payload read from stdin when --payload is absent (one trailing LF or
    /// CR LF, as `echo` adds, is removed).
    ///
    /// Examples:
    ///   heartwire decode heartbeats.log more.log
    ///   heartwire decode --subject heartbeat.my.process --payload beat/5.0
    /// prints {"format":"text","process":"my.process","signal":"beat","period":5}
    #[command(verbatim_doc_comment)]
    Decode(decode::DecodeArgs),
    /// Encode canonical forms (one JSON object per line) from each FILE, or stdin, into
    /// wire form.
    ///
    /// A line such as
    /// {"format":"text","process":"my.process","signal":"beat","period":5}
    /// (`warmup` for start, no number for stop) prints as the beatit line form
    /// `heartbeat.my.process beat/5`; numbers are read exactly, never as binary floats.
    /// A liveness record, command envelope or schedule prints as its canonical
    /// document, envelopes in the --dialect asked for and schedules' rates in the
    /// --rate-dialect asked for. Empty lines are skipped; invalid lines are reported on
    /// stderr as `FILE:LINE: MESSAGE`.
    #[command(verbatim_doc_comment)]
    Encode(encode::EncodeArgs),
    /// When a schedule fires, and how EventBridge says it.
    ///
    /// SCHEDULE is a rate in its string form (`Daily(9,0)`, `Hours(6)`,
    /// `Single(2024,12,25,14,30)`), an EventBridge expression (`cron(0 9 * * ? *)`,
    /// `rate(5 minutes)`, `at(2024-12-25T14:30:00)`) or a schedule document
    /// ({"name":...,"rate":...,"payload":...}). Times are UTC.
    #[command(verbatim_doc_comment)]
    Schedule {
        #[command(subcommand)]
        action: schedule::ScheduleAction,
    },
    /// Watch heartbeats on brokers: who is alive, degraded, late, dead or stopped.
    ///
    /// Subscribes to every --from broker for every format it carries (spec/transports.md),
    /// feeds each message to the liveness engine (spec/liveness.md) and shows the state
    /// of every process: on a terminal a table redrawn every --refresh (process,
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
    Schema(schema::SchemaArgs),
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
    /// Send one signal (start, beat, degraded, stop, fail or an exit status), or with
    /// --plugin a Reventless plugin's command envelope to a broker.
    ///
    /// Example: `heartwire beat --to http://127.0.0.1:8387/beat --process api --signal beat --period 5s`
    ///
    /// Example: `heartwire beat --to nats://127.0.0.1:4222 --plugin orders@1.2.0 --period 5m`
    Beat(beat::BeatArgs),
    /// Ping a URL on an aligned schedule, as the Intervalometerator does: once at start,
    /// whenever the minute (UTC) is divisible by --every, and on demand (SIGUSR1). Each
    /// result is printed in its one-line form with what triggered it:
    /// `2026/11/23 09:05:00 (200) scheduled`. Runs until SIGINT or SIGTERM.
    ///
    /// Example: `heartwire ping --to https://hc-ping.com/$UUID --every 15m`
    Ping(ping::PingArgs),
    /// Publish a liveness record for a service every interval, as the seed's
    /// HeartbeatPublisher does: uptime, heartbeat count, memory and CPU of a process,
    /// and members of the service's own, on Redis (spec/record.md). Each record sent is
    /// printed on stdout. Runs until SIGINT or SIGTERM, or until the process exits.
    ///
    /// Example: `heartwire record tracker_fetcher --to redis://127.0.0.1:6379 --pid 4242
    /// --set api_status=authenticated --collect 'echo {"queue_size":1380}'`
    #[command(verbatim_doc_comment)]
    Record(record::RecordArgs),
    /// The conformance suite: list its cases, or export it to run it yourself.
    Vectors {
        #[command(subcommand)]
        action: vectors::VectorsAction,
    },
}

fn main() -> ExitCode {
    match Cli::parse().command {
        None => finish(example::decode()),
        Some(Command::Decode(args)) => finish(decode::run(args)),
        Some(Command::Encode(args)) => finish(encode::run(args)),
        Some(Command::Schedule { action }) => schedule::main(action),
        Some(Command::Example) => finish(example::run()),
        Some(Command::Schema(args)) => schema::run(args),
        Some(Command::Monitor(args)) => monitor::run(args),
        Some(Command::Verify(args)) => verify::run(args),
        Some(Command::Vectors { action }) => vectors::run(action),
        Some(Command::Run(args)) => run::run(args),
        Some(Command::Beat(args)) => beat::run(args),
        Some(Command::Ping(args)) => ping::run(args),
        Some(Command::Record(args)) => record::run(args),
    }
}

/// What a command that reads input found: whether all of it was valid.
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

/// The exit status of a command that reads input and writes output: 0 when all of it
/// was valid, 1 when some was not or the output could not be written.
fn finish(result: io::Result<Outcome>) -> ExitCode {
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

/// A usage error: what is wrong on stderr, exit 2.
fn usage(command: &str, message: impl std::fmt::Display) -> ExitCode {
    note!("heartwire {command}: {message}");
    ExitCode::from(2)
}
