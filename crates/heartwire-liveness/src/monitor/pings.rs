//! HTTP pings on a schedule (`spec/liveness.md` §3.4): registering a schedule, and
//! observing a ping and its outcome.

use std::time::Duration;

use heartwire::schedule::Rate;
use heartwire::text::Process;
use heartwire::time::UnixTime;

use crate::event::{Reason, Source, State};
use crate::ping::{
    MAX_PING_GRACE, MAX_PING_MISSED, PingOutcome, PingPlan, PingProcess, PingSchedule, RunId,
};

use super::Monitor;
use super::admission::Order;
use super::nanos::{duration_nanos, nanos};
use super::rejected::Rejected;
#[cfg(doc)]
use super::{Config, ProcessView};

impl Monitor {
    /// Registers (or replaces) the ping schedule of `name` at `at`: pings are expected at
    /// the fire times of `rate` (`spec/liveness.md` §3.4), interval rates counted from
    /// the epoch. The process is `starting`, unless it is `failed`: a new schedule does
    /// not undo a failure. What its last ping said is kept.
    pub fn expect_pings(
        &mut self,
        name: &Process<'_>,
        rate: Rate,
        at: UnixTime,
    ) -> Result<State, Rejected> {
        self.expect_pings_anchored(name, rate, UnixTime::EPOCH, at)
    }

    /// As [`expect_pings`](Self::expect_pings), with the interval rates counted from
    /// `anchor` (truncated to its minute) instead of the epoch: a pinger that fires at
    /// :15 and :45, the Intervalometerator's 30 minutes, is `Minutes(30)` anchored at
    /// 00:15. Clock rates (`Daily`, ...) and `Single` ignore the anchor.
    pub fn expect_pings_anchored(
        &mut self,
        name: &Process<'_>,
        rate: Rate,
        anchor: UnixTime,
        at: UnixTime,
    ) -> Result<State, Rejected> {
        self.expect_ping_schedule(name, PingSchedule::Rate(rate), anchor, None, at)
    }

    /// Registers (or replaces) the schedule of `name` at `at`, as
    /// [`expect_pings_anchored`](Self::expect_pings_anchored) does, for a rate or a cron
    /// schedule in its time zone (`spec/liveness.md` §3.4): a ping is expected at each
    /// fire time, the process is late when a fire time and `grace` pass without one, and
    /// dead when [`Config::ping_missed`] fire times and `grace` do. `grace`: the process's
    /// own, at most [`MAX_PING_GRACE`] (more counts as that); `None`:
    /// [`Config::ping_grace`]. A cron schedule ignores `anchor`.
    pub fn expect_ping_schedule(
        &mut self,
        name: &Process<'_>,
        schedule: PingSchedule,
        anchor: UnixTime,
        grace: Option<Duration>,
        at: UnixTime,
    ) -> Result<State, Rejected> {
        let at = nanos(at);
        let id = self.admit(Source::Ping, name.as_str(), at, Order::Arrival)?;
        let before = self.armed_transition(id);
        let grace = grace.unwrap_or(self.config.ping_grace).min(MAX_PING_GRACE);
        let plan = PingPlan {
            schedule,
            anchor: nanos(anchor),
            grace: duration_nanos(grace),
            missed: self.config.ping_missed.clamp(1, MAX_PING_MISSED),
        };
        match self.pings.entry(id) {
            std::collections::hash_map::Entry::Occupied(mut e) => e.get_mut().plan = plan,
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(PingProcess {
                    plan,
                    last: None,
                    rid: None,
                });
            }
        }
        let slot = &mut self.slots[id as usize];
        slot.last = at;
        slot.base = State::Starting as u8;
        let state = if slot.state == State::Failed as u8 {
            State::Failed
        } else {
            State::Starting
        };
        Ok(self.apply(id, state, Reason::Registered, at, before))
    }

    /// A success ping of `name` received at `at`, without a run id: the same as
    /// [`observe_ping_outcome`](Self::observe_ping_outcome) with
    /// [`PingOutcome::Success`].
    pub fn observe_ping(&mut self, name: &Process<'_>, at: UnixTime) -> Result<State, Rejected> {
        self.observe_ping_outcome(name, PingOutcome::Success, None, at)
    }

    /// An HTTP ping of the registered process `name` received at `at`, saying `outcome`,
    /// in the run `rid` (`spec/liveness.md` §3.4): a success is a sign of life, `alive`;
    /// a failure (`/fail`, a non-zero exit status) makes it `failed` at once, for reason
    /// `failed` or `exit`, with no deadline until a success; a start or a log is a sign
    /// of life that does not undo a failure. The outcome and the run id are kept as the
    /// process's last ping ([`ProcessView::ping`], snapshots), replacing the previous
    /// ones. A name with no schedule is [`Rejected::NotRegistered`], whatever the outcome.
    pub fn observe_ping_outcome(
        &mut self,
        name: &Process<'_>,
        outcome: PingOutcome,
        rid: Option<RunId>,
        at: UnixTime,
    ) -> Result<State, Rejected> {
        let at = nanos(at);
        let id = self
            .find(Source::Ping, name.as_str())
            .ok_or(Rejected::NotRegistered)?;
        let id = self.admit_known(id, at, Order::Arrival)?;
        let before = self.armed_transition(id);
        if let Some(ping) = self.pings.get_mut(&id) {
            ping.last = Some(outcome);
            ping.rid = rid;
        }
        let slot = &mut self.slots[id as usize];
        slot.last = at;
        let (state, reason) = match outcome {
            PingOutcome::Fail => (State::Failed, Reason::Failed),
            PingOutcome::Exit(status @ 1..) => (State::Failed, Reason::Exit(status)),
            PingOutcome::Start | PingOutcome::Log if slot.state == State::Failed as u8 => {
                (State::Failed, Reason::Ping)
            }
            PingOutcome::Success | PingOutcome::Exit(0) | PingOutcome::Start | PingOutcome::Log => {
                slot.base = State::Alive as u8;
                (State::Alive, Reason::Ping)
            }
        };
        Ok(self.apply(id, state, reason, at, before))
    }
}
