//! A monitor's state taken apart for a snapshot, and put back process by process.

use crate::detector::Adaptive;
use crate::event::{Source, State};
use crate::link::Link;
use crate::ping::PingProcess;

use super::Monitor;
use super::admission::Order;
use super::names::{MAX_NAME_LEN, name_of};
use super::rejected::Rejected;
use super::slots::UNSEEN;

/// A monitor's state, borrowed, for a snapshot.
pub(crate) struct Parts<'a> {
    pub(crate) last_poll: Option<u64>,
    pub(crate) processes: Box<dyn Iterator<Item = PartProcess<'a>> + 'a>,
}

/// One process of [`Parts`].
pub(crate) struct PartProcess<'a> {
    pub(crate) source: Source,
    pub(crate) name: &'a str,
    pub(crate) state: State,
    pub(crate) base: State,
    pub(crate) last: u64,
    pub(crate) aux: u64,
    pub(crate) adaptive: Option<&'a Adaptive>,
    pub(crate) ping: Option<&'a PingProcess>,
    pub(crate) link: Option<Link>,
}

/// One process to restore.
pub(crate) struct RestoredProcess {
    pub(crate) link: Option<Link>,
    pub(crate) source: Source,
    pub(crate) name: String,
    pub(crate) state: State,
    pub(crate) base: State,
    pub(crate) last: u64,
    pub(crate) aux: u64,
    pub(crate) adaptive: Option<Adaptive>,
    pub(crate) ping: Option<PingProcess>,
}

impl Monitor {
    pub(crate) fn parts(&self) -> Parts<'_> {
        Parts {
            last_poll: self.last_poll,
            processes: Box::new(
                self.slots
                    .iter()
                    .enumerate()
                    .filter(|(_, s)| s.state < UNSEEN)
                    .map(|(id, s)| PartProcess {
                        source: Source::from_u8(s.kind),
                        name: name_of(&self.names, s),
                        state: State::from_u8(s.state),
                        base: State::from_u8(s.base),
                        last: s.last,
                        aux: s.aux,
                        adaptive: self.adaptive.get(&(id as u32)),
                        ping: self.pings.get(&(id as u32)),
                        link: Link::of_kind(s.kind),
                    }),
            ),
        }
    }

    /// Adds a restored process; `false` if it is tracked already.
    pub(crate) fn restore_process(&mut self, p: RestoredProcess) -> Result<bool, Rejected> {
        if p.name.len() > MAX_NAME_LEN {
            return Err(Rejected::NameTooLong { len: p.name.len() });
        }
        if self.find(p.source, &p.name).is_some() {
            return Ok(false);
        }
        let hash = self.hash(p.source, &p.name);
        let id = self.insert(p.source, &p.name, hash, p.last, Order::Arrival)?;
        let slot = &mut self.slots[id as usize];
        slot.last = p.last;
        slot.aux = p.aux;
        slot.state = p.state as u8;
        slot.base = p.base as u8;
        self.hear_via(id, p.link);
        if let Some(mut adaptive) = p.adaptive {
            adaptive.repair();
            self.set_adaptive(id, Some(adaptive));
        } else if p.source == Source::Text {
            self.set_adaptive(id, None);
        }
        if let Some(plan) = p.ping {
            self.pings.insert(id, plan);
        }
        self.rearm(id, None);
        Ok(true)
    }

    pub(crate) fn set_last_poll(&mut self, at: Option<u64>) {
        self.last_poll = at;
        // Restoring is not an event.
        self.events.clear();
    }
}
