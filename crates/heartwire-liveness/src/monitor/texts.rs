//! Observations of beatit messages (`spec/liveness.md` §3.1), one at a time or in
//! prefetched batches, and of a beatit process gone without a `stop`.

use heartwire::text::{Message, Process, Signal};
use heartwire::time::UnixTime;

use crate::event::{Reason, Source, State};
use crate::link::{LINK_MASK, Link};
use crate::prefetch::prefetch;

use super::Monitor;
use super::admission::Order;
use super::nanos::nanos;
use super::rejected::Rejected;
use super::slots::{ADAPTIVE, DISARMED};

impl Monitor {
    /// Beatit messages received at their times, in order: the same as
    /// [`Monitor::observe_text`] on each, with each result appended to `results`, but
    /// faster when the processes are many. With a million processes the name index is
    /// beyond the caches and a beat waits for memory three times (its index bucket, its
    /// slot, its name, each found from the one before); here the index buckets of 32
    /// messages are prefetched at once, then their slots, then their names, so that
    /// the waits of the group overlap, and the group is then applied from the cache.
    pub fn observe_texts(
        &mut self,
        batch: &[(Message<'_>, UnixTime)],
        results: &mut Vec<Result<State, Rejected>>,
    ) {
        self.observe_texts_via(None, batch, results);
    }

    /// [`Monitor::observe_texts`] of messages heard through `link` (§6.4).
    pub fn observe_texts_via(
        &mut self,
        link: Option<Link>,
        batch: &[(Message<'_>, UnixTime)],
        results: &mut Vec<Result<State, Rejected>>,
    ) {
        const GROUP: usize = 32;
        results.reserve(batch.len());
        let mut hashes = [0u64; GROUP];
        let mut ids = [u32::MAX; GROUP];
        for group in batch.chunks(GROUP) {
            let n = group.len();
            // Each stage prefetches, for the whole group, what the next needs: the index
            // buckets, then the slots they name, then the names; the last applies each
            // beat from the cache. A prefetch retires at once, so that the group's waits
            // overlap (plain reads would wait in the reorder buffer). Hints only: a beat
            // that adds a process and moves the tables spoils none of them. (A rolling
            // pipeline, stages D beats apart, measured slower with shuffled beats.)
            for ((message, _), hash) in group.iter().zip(&mut hashes) {
                *hash = self.hash(Source::Text, message.process().as_str());
            }
            for &hash in &hashes[..n] {
                prefetch(self.index.bucket_of(hash));
            }
            for (&hash, id) in hashes[..n].iter().zip(&mut ids) {
                *id = self.index.first(hash).unwrap_or(u32::MAX);
                if let Some(slot) = self.slots.get(*id as usize) {
                    prefetch(slot);
                }
            }
            for &id in &ids[..n] {
                let slot = self.slots.get(id as usize);
                if let Some(byte) = slot.and_then(|s| self.names.as_bytes().get(s.name as usize)) {
                    prefetch(byte);
                }
            }
            for ((message, at), &hash) in group.iter().zip(&hashes) {
                results.push(self.text(link, message, *at, hash));
            }
        }
    }

    /// A beatit message received at `at` (`spec/liveness.md` §3.1); the process's state
    /// after it.
    pub fn observe_text(&mut self, message: &Message<'_>, at: UnixTime) -> Result<State, Rejected> {
        self.observe_text_via(None, message, at)
    }

    /// [`Monitor::observe_text`] of a message heard through `link`: while that link is
    /// down, the process is not convicted (§6.4).
    pub fn observe_text_via(
        &mut self,
        link: Option<Link>,
        message: &Message<'_>,
        at: UnixTime,
    ) -> Result<State, Rejected> {
        let hash = self.hash(Source::Text, message.process().as_str());
        self.text(link, message, at, hash)
    }

    /// [`Monitor::observe_text_via`] with the name's hash computed already.
    fn text(
        &mut self,
        link: Option<Link>,
        message: &Message<'_>,
        at: UnixTime,
        hash: u64,
    ) -> Result<State, Rejected> {
        let at = nanos(at);
        let (state, declared, reason) = match message.signal() {
            Signal::Start { warmup } => (State::Starting, warmup.as_nanos(), Reason::Start),
            Signal::Beat { period } => (State::Alive, period.as_nanos(), Reason::Beat),
            Signal::Degraded { period } => (State::Degraded, period.as_nanos(), Reason::Degraded),
            Signal::Stop => (State::Stopped, 0, Reason::Stop),
        };
        let name = message.process().as_str();
        let id = self.admit_hashed(Source::Text, name, hash, at, Order::Arrival)?;
        let slot = &mut self.slots[id as usize];
        if slot.state == state as u8
            && state != State::Stopped
            && slot.kind & ADAPTIVE == 0
            && slot.armed != DISARMED
            && at >= slot.last
            && declared >= slot.aux
        {
            // The common beat: no change of state, and the next change, by the same
            // rule from a later beat and a duration no shorter, comes no earlier than
            // the one armed, which finds it when due (what `rearm` would conclude).
            slot.kind = (slot.kind & !LINK_MASK) | Link::bits(link);
            slot.last = at;
            slot.aux = declared;
            slot.base = state as u8;
            return Ok(state);
        }
        let before = self.armed_transition(id);
        self.hear_via(id, link);
        if self.slots[id as usize].kind & ADAPTIVE != 0
            && let Some(detector) = self.adaptive.get_mut(&id)
        {
            match reason {
                Reason::Start => *detector = detector.fresh(),
                Reason::Beat | Reason::Degraded => detector.heartbeat(at),
                _ => {}
            }
        }
        let slot = &mut self.slots[id as usize];
        slot.last = at;
        if state != State::Stopped {
            slot.aux = declared;
            slot.base = state as u8;
        }
        Ok(self.apply(id, state, reason, at, before))
    }

    /// The beatit process `name` is gone without a `stop` (`spec/liveness.md` §3.1): its
    /// broker published its MQTT Last Will, because its connection ended without a clean
    /// disconnect. It is `dead` at once, for reason `gone`; its next signal revives it, as
    /// after any death. A monitor that never saw the process learns of it this way.
    pub fn observe_gone(&mut self, name: &Process<'_>, at: UnixTime) -> Result<State, Rejected> {
        self.observe_gone_via(None, name, at)
    }

    /// [`Monitor::observe_gone`], heard through `link`.
    pub fn observe_gone_via(
        &mut self,
        link: Option<Link>,
        name: &Process<'_>,
        at: UnixTime,
    ) -> Result<State, Rejected> {
        let at = nanos(at);
        let id = self.admit(Source::Text, name.as_str(), at, Order::Arrival)?;
        let before = self.armed_transition(id);
        self.hear_via(id, link);
        self.slots[id as usize].last = at;
        Ok(self.apply(id, State::Dead, Reason::Gone, at, before))
    }
}
