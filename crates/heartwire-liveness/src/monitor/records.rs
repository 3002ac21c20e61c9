//! Observations of liveness records (`spec/liveness.md` §3.2), and the interval each
//! service's records are judged by.

use std::time::Duration;

use heartwire::record::{Liveness, Record, ServiceName, classify_at};
use heartwire::time::UnixTime;

use crate::event::{Reason, Source, State};
use crate::link::Link;

#[cfg(doc)]
use super::Config;
use super::Monitor;
use super::admission::Order;
use super::nanos::{duration_nanos, nanos};
use super::rejected::Rejected;

impl Monitor {
    /// A liveness record received at `at` (`spec/liveness.md` §3.2): its state is the
    /// seed's verdict on its age ([`classify_at`]).
    pub fn observe_record(&mut self, record: &Record<'_>, at: UnixTime) -> Result<State, Rejected> {
        self.observe_record_via(None, record, at)
    }

    /// [`Monitor::observe_record`] of a record heard through `link` (§6.4).
    pub fn observe_record_via(
        &mut self,
        link: Option<Link>,
        record: &Record<'_>,
        at: UnixTime,
    ) -> Result<State, Rejected> {
        let sent = record.timestamp().unix_time();
        let interval = Duration::from_nanos(self.record_interval(record.service_name().as_str()));
        let state = match classify_at(sent, at, interval) {
            Liveness::Alive => State::Alive,
            Liveness::Stale => State::Late,
            Liveness::Dead => State::Dead,
            _ => {
                let ahead = sent.since(at).unwrap_or_default();
                return Err(Rejected::FutureDated { ahead });
            }
        };
        let sent = nanos(sent);
        let name = record.service_name().as_str();
        let id = self.admit(Source::Record, name, nanos(at), Order::Timestamp(sent))?;
        let before = self.armed_transition(id);
        self.hear_via(id, link);
        let slot = &mut self.slots[id as usize];
        slot.last = sent;
        slot.aux = sent;
        slot.base = State::Alive as u8;
        self.keep_facts(id, record);
        Ok(self.apply(id, state, Reason::Record, nanos(at), before))
    }

    /// Sets the interval `I` that the records of `service` are judged by (§3.2), in place
    /// of [`Config::record_interval`]: a record does not say how often its publisher
    /// sends, so a monitor knows it from the publisher's configuration, per service
    /// (`record.md` §10.1). It applies at once to a tracked service, and is kept in
    /// snapshots.
    pub fn set_record_interval(&mut self, service: &ServiceName<'_>, interval: Duration) {
        let id = self.find(Source::Record, service.as_str());
        let before = id.and_then(|id| self.next_transition(id)).map(|t| t.0);
        self.record_intervals
            .insert(service.as_str().to_owned(), duration_nanos(interval));
        if let Some(id) = id {
            self.rearm(id, before);
        }
    }

    /// The record intervals set per service, in nanoseconds.
    pub(crate) fn record_intervals(&self) -> impl Iterator<Item = (&str, u64)> + '_ {
        self.record_intervals.iter().map(|(k, v)| (k.as_str(), *v))
    }

    /// The interval of a service's records, in nanoseconds.
    pub(super) fn record_interval(&self, service: &str) -> u64 {
        self.record_intervals
            .get(service)
            .copied()
            .unwrap_or_else(|| duration_nanos(self.config.record_interval))
    }
}
