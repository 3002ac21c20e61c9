//! Observations of Reventless commands (`spec/liveness.md` §3.3).

use heartwire::command::{Command, DEFAULT_TIMEOUT_MINUTES, Envelope};
use heartwire::time::UnixTime;

use crate::event::{Reason, Source, State};
use crate::link::Link;

use super::Monitor;
use super::admission::Order;
use super::nanos::{NANOS_PER_SEC, nanos};
use super::rejected::Rejected;

impl Monitor {
    /// A Reventless command received at `at` (`spec/liveness.md` §3.3).
    pub fn observe_command(
        &mut self,
        envelope: &Envelope<'_>,
        at: UnixTime,
    ) -> Result<State, Rejected> {
        self.observe_command_via(None, envelope, at)
    }

    /// [`Monitor::observe_command`] of a command heard through `link` (§6.4).
    pub fn observe_command_via(
        &mut self,
        link: Option<Link>,
        envelope: &Envelope<'_>,
        at: UnixTime,
    ) -> Result<State, Rejected> {
        let (state, reason, minutes) = match &envelope.command {
            Command::Heartbeat { minutes } | Command::RedetectPlugin { minutes } => {
                (State::Alive, Reason::Heartbeat, minutes.minutes().get())
            }
            Command::ConnectPlugin { .. } => (
                State::Starting,
                Reason::Connect,
                DEFAULT_TIMEOUT_MINUTES.get(),
            ),
            Command::DisconnectPlugin => (State::Disconnected, Reason::Disconnect, 0),
            other => {
                return Err(Rejected::NotAHeartbeat {
                    command: other.name().to_owned(),
                });
            }
        };
        let at = nanos(at);
        let id = self.admit(Source::Command, envelope.id.as_str(), at, Order::Arrival)?;
        let before = self.armed_transition(id);
        self.hear_via(id, link);
        // Up to 2^31 minutes and a half: more nanoseconds than a u64 holds.
        let grace =
            u64::from(self.config.grace_rule.grace(minutes)).saturating_mul(60 * NANOS_PER_SEC);
        let slot = &mut self.slots[id as usize];
        slot.last = at;
        slot.aux = grace;
        slot.base = state as u8;
        Ok(self.apply(id, state, reason, at, before))
    }
}
