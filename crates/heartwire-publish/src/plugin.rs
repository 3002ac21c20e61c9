//! A Reventless plugin's own commands, made as the framework's heartbeat Lambda makes
//! them (`spec/command.md` §8): now, with fresh UUID v4 ids. The envelope is encoded by
//! the caller in the dialect its receiver expects ([`Envelope::encode`]) and sent on any
//! transport: a broker's command address (`spec/transports.md` §1.7) or an SQS queue.

use heartwire::command::{EmptyStr, Envelope, HeartbeatBuilder, IdSource, PluginCommand};
use heartwire::time::SystemClock;

/// Fresh UUID v4 ids, as the framework makes its `msgId` and `correlationId`.
#[derive(Debug, Clone, Copy, Default)]
pub struct UuidV4;

impl IdSource for UuidV4 {
    fn next_id(&mut self) -> String {
        uuid::Uuid::new_v4().to_string()
    }
}

/// The envelope of `command` for the plugin `builder` describes, stamped now, with a
/// fresh `correlationId` and `msgId`.
///
/// ```
/// use std::num::NonZeroU32;
/// use heartwire::command::{Dialect, HeartbeatBuilder, NonEmptyStr, PluginCommand};
/// use heartwire_publish::plugin::plugin_envelope;
///
/// let plugin = HeartbeatBuilder::new(NonEmptyStr::new("orders@1.2.0")?)
///     .minutes(NonZeroU32::new(5).unwrap());
/// let beat = plugin_envelope(&plugin, PluginCommand::Heartbeat)?;
/// assert_eq!(beat.meta.msg_id.as_str().len(), 36);
/// assert_ne!(beat.meta.msg_id, beat.meta.correlation_id);
/// let mut json = Vec::new();
/// beat.encode(Dialect::Seed, &mut json)?;
/// assert!(json.ends_with(br#""commandJson":"Heartbeat(5)"}"#));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn plugin_envelope<'a>(
    builder: &HeartbeatBuilder<'a>,
    command: PluginCommand,
) -> Result<Envelope<'a>, EmptyStr> {
    builder.build_command(command, &SystemClock, &mut UuidV4)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_uuid_v4_and_fresh() {
        let mut ids = UuidV4;
        let (a, b) = (ids.next_id(), ids.next_id());
        assert_ne!(a, b);
        for id in [&a, &b] {
            let parsed = uuid::Uuid::parse_str(id).expect("a uuid");
            assert_eq!(parsed.get_version_num(), 4, "{id}");
        }
    }
}
