//! `heartwire beat --plugin`: a Reventless plugin's command envelope (`spec/command.md`
//! §8) published on a broker's command address (`spec/transports.md` §1.7), as the
//! framework's heartbeat Lambda sends it to the extension point.

use std::num::NonZeroU32;
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use heartwire::command::{Dialect, HeartbeatBuilder, NonEmptyStr, PluginCommand};
use heartwire::text::Seconds;
use heartwire::transport::ExtensionPoint;
use heartwire_publish::plugin::plugin_envelope;

use crate::brokers::{self, Broker};

/// `--envelope`: the dialects of `spec/command.md` §6.1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum DialectArg {
    /// {"TAG":"Heartbeat","_0":10}: the framework's current codec (the default)
    Sury,
    /// ["Heartbeat",10]: the framework's older codec
    Decco,
    /// "commandJson":"Heartbeat(10)": the Heartbeat documentation's form
    Seed,
}

impl DialectArg {
    const fn dialect(self) -> Dialect {
        match self {
            DialectArg::Sury => Dialect::Sury,
            DialectArg::Decco => Dialect::Decco,
            DialectArg::Seed => Dialect::Seed,
        }
    }
}

/// The options of `beat` for a Reventless plugin.
#[derive(Debug, Args)]
pub(crate) struct PluginArgs {
    /// Send a Reventless command envelope for this plugin id (often name@version) to
    /// a broker --to, instead of beatit text: --signal beat is Heartbeat(interval),
    /// start is RedetectPlugin(interval) (a deploy), stop is DisconnectPlugin (shutting
    /// down). The interval is --period in whole minutes (default 10m).
    #[arg(long, value_name = "ID")]
    pub(crate) plugin: Option<String>,
    /// The envelope's dialect (default sury).
    #[arg(long, value_enum, value_name = "DIALECT", requires = "plugin")]
    envelope: Option<DialectArg>,
    /// The extension point the envelope is sent to, on its command address
    /// `command.NAME`, and named in its meta.service (default Platform.Plugin).
    #[arg(long = "extension-point", value_name = "NAME", requires = "plugin")]
    extension_point: Option<String>,
}

/// The interval of a plugin that gives no --period: the framework's default.
const DEFAULT_MINUTES: NonZeroU32 = heartwire::command::DEFAULT_TIMEOUT_MINUTES;

/// A --period as the whole minutes a Reventless interval is counted in.
fn minutes(period: Option<Seconds>) -> Result<NonZeroU32, String> {
    let Some(period) = period else {
        return Ok(DEFAULT_MINUTES);
    };
    let nanos = period.as_nanos();
    const MINUTE: u64 = 60_000_000_000;
    if nanos % MINUTE != 0 {
        return Err(format!(
            "--period {}s: a plugin's interval is whole minutes (1m, 10m, 1h)",
            period.as_duration().as_secs_f64()
        ));
    }
    u32::try_from(nanos / MINUTE)
        .ok()
        .and_then(NonZeroU32::new)
        .ok_or_else(|| "--period: expected at least 1m".to_owned())
}

/// Publishes the plugin's `command` to the broker of `to`. Exit 0 when the broker has
/// it, 1 when not, 2 on a usage error.
pub(crate) fn send(
    args: &PluginArgs,
    id: &str,
    to: &str,
    command: PluginCommand,
    period: Option<Seconds>,
) -> ExitCode {
    let usage = |message: String| crate::usage("beat", message);
    let Some(broker) = Broker::of(to) else {
        return usage(format!(
            "--plugin: --to {} is not a broker URL; expected nats://, redis://, mqtt://, amqp:// or an SQS queue URL (sqs+https://, built with the sqs feature)",
            heartwire_broker::redact_url(to)
        ));
    };
    let id = match NonEmptyStr::new(id) {
        Ok(id) => id,
        Err(e) => return usage(format!("--plugin: {e}")),
    };
    let point = match &args.extension_point {
        Some(name) => match ExtensionPoint::new(name) {
            Ok(point) => point,
            Err(e) => return usage(format!("--extension-point {name:?}: {e}")),
        },
        None => ExtensionPoint::default(),
    };
    let minutes = match minutes(period) {
        Ok(minutes) => minutes,
        Err(e) => return usage(e),
    };
    let service = match NonEmptyStr::new(point.as_str()) {
        Ok(service) => service,
        Err(e) => return usage(format!("--extension-point: {e}")),
    };
    let builder = HeartbeatBuilder::new(id).service(service).minutes(minutes);
    let envelope = match plugin_envelope(&builder, command) {
        Ok(envelope) => envelope,
        Err(e) => return usage(format!("--plugin: {e}")),
    };
    let dialect = args.envelope.map_or(Dialect::Sury, DialectArg::dialect);
    let mut json = Vec::new();
    if let Err(e) = envelope.encode(dialect, &mut json) {
        return usage(format!("--plugin: the envelope: {e}"));
    }
    let published = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())
        .and_then(|rt| {
            rt.block_on(brokers::publish_command(
                broker,
                to,
                &point,
                (&envelope, dialect),
                &json,
            ))
        });
    match published {
        Ok(()) => ExitCode::SUCCESS,
        Err(why) => {
            note!("heartwire beat: not published: {why}");
            ExitCode::from(1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_are_whole_minutes() {
        let period = |s: &str| crate::duration::parse_seconds(s).ok();
        assert_eq!(minutes(None).ok(), NonZeroU32::new(10));
        assert_eq!(minutes(period("1m")).ok(), NonZeroU32::new(1));
        assert_eq!(minutes(period("1h")).ok(), NonZeroU32::new(60));
        assert!(minutes(period("90s")).is_err());
        assert!(minutes(period("30s")).is_err());
    }
}
