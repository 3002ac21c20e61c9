//! `heartwire beat`: one signal sent (`spec/http.md` §6).

use std::process::ExitCode;

use clap::{Args, ValueEnum};
use heartwire::text::{Process, Seconds, Signal};
use heartwire_http::{JobSignal, RunId};

use crate::duration;
use crate::plugin::{self, PluginArgs};
use crate::send::{self, SendArgs, Sent, Target};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum SignalArg {
    /// start/<period>: expect a beat within the period
    Start,
    /// beat/<period>: alive, expect the next within the period
    Beat,
    /// degraded/<period>: alive but degraded
    Degraded,
    /// stop: a graceful end, expect nothing
    Stop,
    /// the job failed (use --exit-status to say how)
    Fail,
}

#[derive(Debug, Args)]
// A plugin has an id, not a process name.
#[command(mut_arg("process", |a| a.required(false).required_unless_present("plugin")))]
// What a plugin's envelope has no place for is refused, not dropped.
#[command(mut_arg("plugin", |a| a.conflicts_with_all(
    ["process", "run_id", "message", "service", "exit_status"]
)))]
pub(crate) struct BeatArgs {
    #[command(flatten)]
    send: SendArgs,
    /// The signal.
    #[arg(
        long,
        value_enum,
        default_value = "beat",
        conflicts_with = "exit_status"
    )]
    signal: SignalArg,
    /// The job ended with this exit status instead (0 success).
    #[arg(long, value_name = "STATUS")]
    exit_status: Option<u8>,
    /// The period (or warm-up of `start`), a duration: `5s`, `500ms`, `1m` (default
    /// 60s; with --plugin the interval in whole minutes, default 10m).
    #[arg(long, value_parser = duration::parse_seconds, value_name = "DURATION")]
    period: Option<Seconds>,
    /// A run id pairing this signal with others of the same run (`?rid=`).
    #[arg(long, value_name = "ID")]
    run_id: Option<String>,
    /// A message or body to attach where the service takes one.
    #[arg(long, value_name = "TEXT")]
    message: Option<String>,
    #[command(flatten)]
    plugin: PluginArgs,
}

/// The period of a beat that gives no --period.
const DEFAULT_PERIOD: Seconds = match Seconds::from_secs(60) {
    Some(period) => period,
    None => Seconds::MIN,
};

/// `heartwire beat`: one signal. Exit 0 when it was sent (or the service has no such
/// signal), 1 when it failed, 2 on a usage error.
pub(crate) fn run(args: BeatArgs) -> ExitCode {
    if let Some(refused) = crate::brokers::refuse_unbuilt("beat", &args.send.to) {
        return refused;
    }
    if let Some(id) = &args.plugin.plugin {
        let command = match (args.exit_status, args.signal) {
            (None, SignalArg::Beat) => heartwire::command::PluginCommand::Heartbeat,
            (None, SignalArg::Start) => heartwire::command::PluginCommand::Redetect,
            (None, SignalArg::Stop) => heartwire::command::PluginCommand::Disconnect,
            _ => {
                return crate::usage(
                    "beat",
                    "--plugin: expected --signal beat (Heartbeat), start (RedetectPlugin) or stop (DisconnectPlugin)",
                );
            }
        };
        return plugin::send(&args.plugin, id, &args.send.to, command, args.period);
    }
    let target = match Target::parse(&args.send) {
        Ok(target) => target,
        Err(e) => return crate::usage("beat", e),
    };
    let process = match Process::new(args.send.process.as_deref().unwrap_or_default()) {
        Ok(process) => process,
        Err(e) => return crate::usage("beat", format_args!("--process: {e}")),
    };
    let period = args.period.unwrap_or(DEFAULT_PERIOD);
    let signal = match (args.exit_status, args.signal) {
        (Some(code), _) => JobSignal::Exit(code),
        (None, SignalArg::Start) => JobSignal::Text(Signal::Start { warmup: period }),
        (None, SignalArg::Beat) => JobSignal::Text(Signal::Beat { period }),
        (None, SignalArg::Degraded) => JobSignal::Text(Signal::Degraded { period }),
        (None, SignalArg::Stop) => JobSignal::Text(Signal::Stop),
        (None, SignalArg::Fail) => JobSignal::Fail,
    };
    let run = args.run_id.map(RunId::from_text);
    let sent = target.send(&process, signal, run.as_ref(), args.message.as_deref());
    match &sent {
        Sent::Skipped => {
            note!("heartwire beat: not sent: this service has no such signal");
            ExitCode::SUCCESS
        }
        Sent::Done(ping) => {
            say!("{}", ping.line);
            if send::report("beat", &target, signal, &sent) {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            }
        }
        Sent::Published => ExitCode::SUCCESS,
        Sent::Silence => {
            note!("heartwire beat: not sent: a broker is told of a failure by silence");
            ExitCode::SUCCESS
        }
        Sent::NotPublished(_) => {
            send::report("beat", &target, signal, &sent);
            ExitCode::from(1)
        }
    }
}
