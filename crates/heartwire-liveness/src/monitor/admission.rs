//! Admission of an observation: the caps on names, processes and observations per
//! second, the order rules, and a new process's slot.

use crate::detector::Adaptive;
use crate::event::{Cap, Event, Source, State};
use crate::huge_pages;

use super::Monitor;
use super::deadlines::MAX_PROCESSES;
use super::names::{MAX_NAME_LEN, name_of};
use super::nanos::{NANOS_PER_SEC, unix};
use super::rejected::Rejected;
use super::slots::{Slot, UNSEEN, grow};

/// How an observation is ordered against the last accepted one.
#[derive(Clone, Copy)]
pub(super) enum Order {
    /// By the monitor's receive time.
    Arrival,
    /// By the record's timestamp, in nanoseconds.
    Timestamp(u64),
}

impl Monitor {
    /// The id of the process an observation at `at` is about, created if new, after the
    /// caps and the order rules.
    pub(super) fn admit(
        &mut self,
        source: Source,
        name: &str,
        at: u64,
        order: Order,
    ) -> Result<u32, Rejected> {
        let hash = self.hash(source, name);
        self.admit_hashed(source, name, hash, at, order)
    }

    pub(super) fn admit_hashed(
        &mut self,
        source: Source,
        name: &str,
        hash: u64,
        at: u64,
        order: Order,
    ) -> Result<u32, Rejected> {
        if name.len() > MAX_NAME_LEN {
            return Err(Rejected::NameTooLong { len: name.len() });
        }
        match self.find_hashed(source, name, hash) {
            Some(id) => self.admit_known(id, at, order),
            None => self.insert(source, name, hash, at, order),
        }
    }

    pub(super) fn admit_known(&mut self, id: u32, at: u64, order: Order) -> Result<u32, Rejected> {
        let cap = u32::from(self.config.max_beats_per_second);
        let second = ((at / NANOS_PER_SEC) & 0xFFFF) as u32;
        let slot = &mut self.slots[id as usize];
        let count = if slot.rate >> 16 == second {
            slot.rate & 0xFFFF
        } else {
            0
        };
        if count >= cap {
            slot.rate = second << 16 | (cap + 1).min(0xFFFF);
            if count == cap {
                let slot = *slot;
                self.events.push(Event::Capped {
                    cap: Cap::Rate,
                    process: name_of(&self.names, &slot).to_owned(),
                    source: Source::from_u8(slot.kind),
                    at: unix(at),
                });
            }
            return Err(Rejected::RateLimited);
        }
        match order {
            Order::Arrival if at < slot.last => {
                return Err(Rejected::OutOfOrder {
                    last: unix(slot.last),
                });
            }
            Order::Timestamp(sent) if sent < slot.aux => {
                return Err(Rejected::OutOfOrder {
                    last: unix(slot.aux),
                });
            }
            Order::Timestamp(sent) if sent == slot.aux => return Err(Rejected::Duplicate),
            _ => {}
        }
        slot.rate = second << 16 | (count + 1);
        Ok(id)
    }

    pub(super) fn insert(
        &mut self,
        source: Source,
        name: &str,
        hash: u64,
        at: u64,
        order: Order,
    ) -> Result<u32, Rejected> {
        let offset = u32::try_from(self.names.len())
            .ok()
            .filter(|o| o.checked_add(MAX_NAME_LEN as u32).is_some());
        let room = self.live < self.config.max_processes.min(MAX_PROCESSES);
        let (true, Some(offset)) = (room, offset) else {
            if !self.full_reported {
                self.full_reported = true;
                self.events.push(Event::Capped {
                    cap: Cap::Processes,
                    process: name.to_owned(),
                    source,
                    at: unix(at),
                });
            }
            return Err(Rejected::TooManyProcesses);
        };
        if self.names.len() + name.len() > self.names.capacity() {
            let additional = self.names.len() / 8 + name.len() + 256;
            huge_pages::reserve_exact_str(&mut self.names, additional);
        }
        self.names.push_str(name);
        let second = ((at / NANOS_PER_SEC) & 0xFFFF) as u32;
        let slot = Slot {
            last: at,
            aux: match order {
                Order::Timestamp(sent) => sent,
                Order::Arrival => 0,
            },
            name: offset,
            armed: u32::MAX,
            rate: second << 16 | 1,
            len: name.len() as u8,
            kind: source as u8,
            state: UNSEEN,
            base: State::Starting as u8,
        };
        let id = match self.free.pop() {
            Some(id) => {
                self.slots[id as usize] = slot;
                id
            }
            None => {
                grow(
                    &mut self.slots,
                    Vec::len,
                    Vec::capacity,
                    huge_pages::reserve_exact,
                );
                self.slots.push(slot);
                (self.slots.len() - 1) as u32
            }
        };
        self.live += 1;
        self.index.insert(hash, id);
        if source == Source::Text {
            let choice = match self.chosen.remove(name) {
                Some(choice) => choice,
                None => self.config.detector,
            };
            self.set_adaptive(id, Adaptive::new(choice));
        }
        Ok(id)
    }
}
