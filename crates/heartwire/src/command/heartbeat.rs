//! Making a heartbeat envelope the way the framework's heartbeat Lambda does
//! (`spec/command.md` §8), with the clock and the id generator passed in so that tests
//! can fix both.

use std::borrow::Cow;
use std::num::NonZeroU32;

use super::timing::DEFAULT_TIMEOUT_MINUTES;
use super::{Command, EmptyStr, Envelope, Meta, NonEmptyStr, Timeout};
use crate::time::{Timestamp, WallClock};

/// Where fresh message ids come from. The framework uses UUID v4; heartwire has no
/// random source of its own, so the caller supplies one (any `FnMut() -> String` is
/// one).
pub trait IdSource {
    /// A fresh id.
    fn next_id(&mut self) -> String;
}

impl<F: FnMut() -> String> IdSource for F {
    fn next_id(&mut self) -> String {
        self()
    }
}

/// The commands a plugin sends about itself, which a monitor reads as its liveness
/// (`spec/liveness.md` §3.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum PluginCommand {
    /// `Heartbeat(interval)`: alive, the next within the interval.
    #[default]
    Heartbeat,
    /// `RedetectPlugin(interval)`: deployed again; re-arms like a heartbeat.
    Redetect,
    /// `DisconnectPlugin`: gone (a plugin shutting down says so itself).
    Disconnect,
}

/// Makes the `Heartbeat` envelope a plugin sends every interval, as the framework makes
/// it: `service` `Platform.Plugin` (overridable), `ip` `""`, `user` `Heartbeat`, `time`
/// in JavaScript's `toISOString()` form, a fresh `correlationId` and a fresh `msgId`.
///
/// ```
/// use std::num::NonZeroU32;
/// use heartwire::command::{HeartbeatBuilder, NonEmptyStr};
/// use heartwire::time::{FixedClock, UnixTime};
///
/// let mut n = 0;
/// let mut ids = || { n += 1; format!("id-{n}") };
/// let clock = FixedClock(UnixTime::new(1_706_265_000, 0));
/// let beat = HeartbeatBuilder::new(NonEmptyStr::new("orders@1.2.0")?)
///     .minutes(NonZeroU32::new(5).unwrap())
///     .build(&clock, &mut ids)?;
/// assert_eq!(
///     beat.to_string(),
///     r#"{"id":"orders@1.2.0","meta":{"service":"Platform.Plugin","time":"2024-01-26T10:30:00.000Z","ip":"","user":"Heartbeat","msgId":"id-2","correlationId":"id-1"},"command":{"TAG":"Heartbeat","_0":5}}"#
/// );
/// # Ok::<(), heartwire::command::EmptyStr>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeartbeatBuilder<'a> {
    id: NonEmptyStr<'a>,
    service: NonEmptyStr<'a>,
    minutes: NonZeroU32,
}

impl<'a> HeartbeatBuilder<'a> {
    /// The service the newest framework names in a heartbeat's meta, the plugin
    /// extension point's name (older: `Core.Plugin`; the seed: `CorePluginExtensionPoint`).
    pub const DEFAULT_SERVICE: &'static str = "Platform.Plugin";
    /// The `user` of every heartbeat.
    pub const USER: &'static str = "Heartbeat";

    /// A heartbeat of the plugin `id`, every 10 minutes, to `Platform.Plugin`.
    pub fn new(id: NonEmptyStr<'a>) -> HeartbeatBuilder<'a> {
        HeartbeatBuilder {
            id,
            service: NonEmptyStr(Cow::Borrowed(Self::DEFAULT_SERVICE)),
            minutes: DEFAULT_TIMEOUT_MINUTES,
        }
    }

    /// Another `service` in the meta.
    #[must_use]
    pub fn service(mut self, service: NonEmptyStr<'a>) -> HeartbeatBuilder<'a> {
        self.service = service;
        self
    }

    /// Another interval (never zero: the framework turns a zero into 10 before sending).
    #[must_use]
    pub const fn minutes(mut self, minutes: NonZeroU32) -> HeartbeatBuilder<'a> {
        self.minutes = minutes;
        self
    }

    /// A fresh `Heartbeat` envelope stamped with the clock's current time. The id source
    /// is asked twice: first for the `correlationId` (the framework's heartbeat starts a
    /// chain with its own id), then for the `msgId` (the framework gives every sent
    /// message a fresh one). Fails when the id source returns an empty string.
    pub fn build(
        &self,
        clock: &impl WallClock,
        ids: &mut impl IdSource,
    ) -> Result<Envelope<'a>, EmptyStr> {
        self.build_command(PluginCommand::Heartbeat, clock, ids)
    }

    /// [`HeartbeatBuilder::build`] of another of the plugin's own commands, with the
    /// same meta: `RedetectPlugin(interval)` (a deploy) or `DisconnectPlugin` (the
    /// plugin going away).
    pub fn build_command(
        &self,
        command: PluginCommand,
        clock: &impl WallClock,
        ids: &mut impl IdSource,
    ) -> Result<Envelope<'a>, EmptyStr> {
        let correlation_id = NonEmptyStr::new(ids.next_id())?;
        let msg_id = NonEmptyStr::new(ids.next_id())?;
        let time = Timestamp::from_unix_millis(clock.now());
        let mut meta = Meta::new(self.service.clone(), time, msg_id, correlation_id);
        meta.ip = Some(Cow::Borrowed(""));
        meta.user = Some(Cow::Borrowed(Self::USER));
        let minutes = Timeout::from_minutes(self.minutes.get());
        let command = match command {
            PluginCommand::Heartbeat => Command::Heartbeat { minutes },
            PluginCommand::Redetect => Command::RedetectPlugin { minutes },
            PluginCommand::Disconnect => Command::DisconnectPlugin,
        };
        Ok(Envelope::new(self.id.clone(), meta, command))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::{FixedClock, UnixTime};

    #[test]
    fn an_empty_id_is_refused() {
        let clock = FixedClock(UnixTime::EPOCH);
        let builder = HeartbeatBuilder::new(NonEmptyStr::new("p").expect("not empty"));
        assert_eq!(builder.build(&clock, &mut String::new), Err(EmptyStr));
        let mut n = 0;
        let beat = builder
            .build(&clock, &mut || {
                n += 1;
                n.to_string()
            })
            .expect("ids");
        assert_eq!(beat.meta.correlation_id.as_str(), "1");
        assert_eq!(beat.meta.msg_id.as_str(), "2");
        assert_eq!(beat.meta.time.as_str(), "1970-01-01T00:00:00.000Z");
        assert_eq!(beat.timeout_minutes(), Some(DEFAULT_TIMEOUT_MINUTES));
        let mut ids = || "x".to_owned();
        let redetect = builder
            .build_command(PluginCommand::Redetect, &clock, &mut ids)
            .expect("ids");
        assert_eq!(redetect.command.name(), "RedetectPlugin");
        assert_eq!(redetect.timeout_minutes(), Some(DEFAULT_TIMEOUT_MINUTES));
        let gone = builder
            .build_command(PluginCommand::Disconnect, &clock, &mut ids)
            .expect("ids");
        assert_eq!(gone.command, Command::DisconnectPlugin);
        assert_eq!(gone.meta.user.as_deref(), Some(HeartbeatBuilder::USER));
    }
}
