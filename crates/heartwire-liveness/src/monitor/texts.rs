//! Observations of beatit messages (`spec/liveness.md` §3.1), one at a time or in
//! prefetched batches, and of a beatit process gone without a `stop`.

use heartwire::text::{Message, Process, Signal};
use heartwire::time::UnixTime;

use crate::event::{Reason, Source, State};
use crate::link::{LINK_MASK, Link};
use crate::prefetch::prefetch;

use super::Monitor;
use super::admission::Order;
use super::nanos::{NANOS_PER_SEC, nanos};
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
            for (((message, at), &hash), &id) in group.iter().zip(&hashes).zip(&ids) {
                let found = (id != u32::MAX).then_some(id);
                results.push(self.text(link, message, *at, hash, found));
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
        self.text(link, message, at, hash, None)
    }

    /// [`Monitor::observe_text_via`] with the name's hash computed already, and maybe the
    /// id a batch's prefetch found for it (checked before use).
    #[inline(always)]
    fn text(
        &mut self,
        link: Option<Link>,
        message: &Message<'_>,
        at: UnixTime,
        hash: u64,
        found: Option<u32>,
    ) -> Result<State, Rejected> {
        let at = nanos(at);
        let (state, declared) = match message.signal() {
            Signal::Start { warmup } => (State::Starting, warmup.as_nanos()),
            Signal::Beat { period } => (State::Alive, period.as_nanos()),
            Signal::Degraded { period } => (State::Degraded, period.as_nanos()),
            Signal::Stop => return self.text_plain(link, message, at, hash),
        };
        let name = message.process().as_str();
        let id = match found {
            Some(id) if self.is_named(id, Source::Text, name) => Some(id),
            _ => self.find_hashed(Source::Text, name, hash),
        };
        if let Some(id) = id
            && self.common_beat(id, link, state, declared, at)
        {
            return Ok(state);
        }
        self.text_plain(link, message, at, hash)
    }

    /// The common beat of a tracked process, applied if it is one: admitted (under the
    /// rate cap, not out of order), no change of state, and the next change, by the same
    /// rule from a later beat and a duration no shorter, comes no earlier than the one
    /// armed, which finds it when due (what `rearm` would conclude). `false`, and
    /// nothing changed, otherwise: [`Monitor::text_plain`] decides.
    #[inline(always)]
    fn common_beat(
        &mut self,
        id: u32,
        link: Option<Link>,
        state: State,
        declared: u64,
        at: u64,
    ) -> bool {
        let cap = u32::from(self.config.max_beats_per_second);
        let second = ((at / NANOS_PER_SEC) & 0xFFFF) as u32;
        let Some(slot) = self.slots.get_mut(id as usize) else {
            return false;
        };
        let count = if slot.rate >> 16 == second {
            slot.rate & 0xFFFF
        } else {
            0
        };
        if count >= cap
            || at < slot.last
            || slot.state != state as u8
            || slot.kind & ADAPTIVE != 0
            || slot.armed == DISARMED
            || declared < slot.aux
        {
            return false;
        }
        slot.rate = second << 16 | (count + 1);
        slot.kind = (slot.kind & !LINK_MASK) | Link::bits(link);
        slot.last = at;
        slot.aux = declared;
        slot.base = state as u8;
        true
    }

    /// A beatit message received at `at`, the plain way: admission, then the state
    /// machine (what [`Monitor::common_beat`] shortens for the common beat).
    #[inline(never)]
    fn text_plain(
        &mut self,
        link: Option<Link>,
        message: &Message<'_>,
        at: u64,
        hash: u64,
    ) -> Result<State, Rejected> {
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
            // The common beat (see `common_beat`).
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

#[cfg(test)]
mod tests {
    use heartwire::text::Seconds;
    use proptest::prelude::*;

    use super::*;
    use crate::detector::{DetectorChoice, PhiConfig};
    use crate::monitor::Config;

    const NAMES: [&str; 5] = ["a", "b.c", "d-1.e", "svc.worker-1", "fleet.node-123456"];
    const BASE: i64 = 1_700_000_000;

    #[derive(Debug, Clone)]
    enum Op {
        /// A signal (0 start, 1 beat, 2 degraded, 3 stop) of `NAMES[p]` with a duration
        /// in ms, through link `link` (0: none), `step` ms after the last op (negative:
        /// out of order); `copies` times (past the rate cap).
        Signal {
            p: usize,
            kind: u8,
            millis: u64,
            link: u8,
            step: i64,
            copies: usize,
        },
        Poll {
            step: i64,
        },
        Forget {
            p: usize,
        },
        LinkDown {
            link: u8,
            step: i64,
        },
        LinkUp {
            link: u8,
            step: i64,
        },
        Gone {
            p: usize,
        },
        /// `NAMES[p]` gets the phi detector from its next start.
        Phi {
            p: usize,
        },
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            8 => (0..NAMES.len(), 0u8..4, 1u64..3000, 0u8..3, -300i64..1500, 1usize..4)
                .prop_map(|(p, kind, millis, link, step, copies)| Op::Signal {
                    p, kind, millis, link, step, copies,
                }),
            2 => (0i64..4000).prop_map(|step| Op::Poll { step }),
            1 => (0..NAMES.len()).prop_map(|p| Op::Forget { p }),
            1 => (1u8..3, 0i64..500).prop_map(|(link, step)| Op::LinkDown { link, step }),
            1 => (1u8..3, 0i64..500).prop_map(|(link, step)| Op::LinkUp { link, step }),
            1 => (0..NAMES.len()).prop_map(|p| Op::Gone { p }),
            1 => (0..NAMES.len()).prop_map(|p| Op::Phi { p }),
        ]
    }

    fn at(ms: i64) -> UnixTime {
        UnixTime::new(
            BASE + ms.div_euclid(1000),
            (ms.rem_euclid(1000) * 1_000_000) as u32,
        )
    }

    fn message(p: usize, kind: u8, millis: u64) -> Message<'static> {
        let process = Process::new(NAMES[p]).unwrap_or_else(|e| panic!("{e}"));
        let d = Seconds::from_nanos(millis * 1_000_000).unwrap_or(Seconds::MAX);
        let signal = match kind {
            0 => Signal::Start { warmup: d },
            1 => Signal::Beat { period: d },
            2 => Signal::Degraded { period: d },
            _ => Signal::Stop,
        };
        Message::new(process, signal)
    }

    /// How a beatit message reaches each of the monitors compared.
    #[derive(Clone, Copy)]
    enum Path {
        /// Always [`Monitor::text_plain`].
        Plain,
        /// [`Monitor::observe_text_via`], with its common-beat shortcut.
        One,
        /// [`Monitor::observe_texts_via`], each run of signals as one batch.
        Batch,
    }

    /// Runs `ops` through `path`: every result, every event, and the final snapshot.
    fn run(ops: &[Op], path: Path) -> (Vec<Result<State, Rejected>>, Vec<String>, String) {
        let config = Config {
            max_beats_per_second: 2,
            ..Config::default()
        };
        let mut m = Monitor::new(config);
        let mut t = 0i64;
        let mut results = Vec::new();
        let mut events = Vec::new();
        let mut batch: Vec<(Message<'static>, UnixTime, Option<Link>)> = Vec::new();
        let flush = |m: &mut Monitor,
                     batch: &mut Vec<(Message<'static>, UnixTime, Option<Link>)>,
                     results: &mut Vec<Result<State, Rejected>>| {
            // A batch has one link: split at each change of link.
            for run in batch.chunk_by(|a, b| a.2 == b.2) {
                let link = run[0].2;
                match path {
                    Path::Batch => {
                        let messages: Vec<_> =
                            run.iter().map(|(m, t, _)| (m.clone(), *t)).collect();
                        m.observe_texts_via(link, &messages, results);
                    }
                    Path::One => {
                        for (message, t, _) in run {
                            results.push(m.observe_text_via(link, message, *t));
                        }
                    }
                    Path::Plain => {
                        for (message, t, _) in run {
                            let hash = m.hash(Source::Text, message.process().as_str());
                            results.push(m.text_plain(link, message, nanos(*t), hash));
                        }
                    }
                }
            }
            batch.clear();
        };
        for op in ops {
            if !matches!(op, Op::Signal { .. }) {
                flush(&mut m, &mut batch, &mut results);
            }
            match *op {
                Op::Signal {
                    p,
                    kind,
                    millis,
                    link,
                    step,
                    copies,
                } => {
                    t += step;
                    for _ in 0..copies {
                        batch.push((message(p, kind, millis), at(t), Link::new(link)));
                    }
                }
                Op::Poll { step } => {
                    t += step;
                    events.extend(m.poll(at(t)).map(|e| format!("{e:?}")));
                }
                Op::Forget { p } => {
                    m.forget(Source::Text, NAMES[p]);
                }
                Op::LinkDown { link, step } | Op::LinkUp { link, step } => {
                    t += step;
                    if let Some(link) = Link::new(link) {
                        if matches!(op, Op::LinkDown { .. }) {
                            m.link_down(link, at(t));
                        } else {
                            m.link_up(link, at(t));
                        }
                    }
                }
                Op::Gone { p } => {
                    let process = Process::new(NAMES[p]).unwrap_or_else(|e| panic!("{e}"));
                    results.push(m.observe_gone(&process, at(t)));
                }
                Op::Phi { p } => {
                    let process = Process::new(NAMES[p]).unwrap_or_else(|e| panic!("{e}"));
                    m.choose_detector(&process, DetectorChoice::Phi(PhiConfig::default()));
                }
            }
        }
        flush(&mut m, &mut batch, &mut results);
        events.extend(m.poll(at(t + 3_600_000)).map(|e| format!("{e:?}")));
        let snapshot = serde_json::to_string(&m.snapshot()).unwrap_or_default();
        (results, events, snapshot)
    }

    proptest! {
        /// The common-beat shortcut of one message, and the batch path with its
        /// prefetched ids, give the plain path's answers: the same results, events and
        /// final state.
        #[test]
        fn fast_paths_agree_with_the_plain_one(ops in prop::collection::vec(op(), 1..120)) {
            let plain = run(&ops, Path::Plain);
            prop_assert_eq!(&run(&ops, Path::One), &plain);
            prop_assert_eq!(&run(&ops, Path::Batch), &plain);
        }
    }
}
