//! The publishing side of schedules: a runtime that fires each schedule's payload at its
//! fire times (`spec/schedule.md` §8, §13), with schedules created and deleted while it
//! runs.
//!
//! [`Scheduler`] is sans-I/O: [`Scheduler::next_deadline`] says when to wake up, and
//! [`Scheduler::fire_due`] hands every schedule due by `now` to a [`Target`]. A loop of a
//! few lines drives it, blocking ([`Scheduler::run_blocking`], with any
//! [`WallClock`] and sleep) or on tokio:
//!
//! ```text
//! loop {
//!     let wake = scheduler.next_deadline().map(|t| t.system_time());
//!     tokio::select! {
//!         Some(command) = commands.recv() => match command {
//!             Create(schedule) => { scheduler.create(schedule, clock.now()); }
//!             Delete(name) => { scheduler.delete(&name); }
//!         },
//!         _ = sleep_until_system_time(wake) => {
//!             // target: a PublishTarget over a broker adapter
//!             scheduler.publish_due(clock.now(), &mut target).await?;
//!         }
//!     }
//! }
//! ```
//!
//! Through a broker: [`PublishTarget`] is a [`Target`] that publishes each payload
//! through any blocking [`Publish`], and [`Scheduler::publish_due`] and
//! [`Scheduler::run_async`] do the same through any [`AsyncPublish`] (the adapters
//! `heartwire-nats`, `-redis`, `-mqtt` and `-amqp` are ones), with the sleep of the
//! caller's runtime, so this crate stays free of I/O and of any runtime. A driver whose
//! schedules each name their own destination (`heartwire schedule run`) takes each due
//! [`Firing`] with [`Scheduler::next_due`] and says [`Scheduler::fired`] once it is
//! delivered.
//!
//! Interval rates (`Minutes(15)`) count from the schedule's **creation**, as
//! EventBridge's `rate()` does: a `Minutes(15)` created at 10:07:42 fires at 10:22,
//! 10:37, ... (the creation instant truncated to its minute, `spec/schedule.md` §8.2).
//! The creation instant is kept, so that a runtime restored from its state
//! ([`Scheduler::restore`]) keeps the phase.
//!
//! A schedule fires once per fire time when the runtime is driven on time. Fire times
//! missed while nobody drove it (the host slept, the process was down and restored) are
//! fired once, late, with the first missed time; the next fire time is then the first
//! after `now`, as anacron does, rather than once per missed time, and the last fire
//! ([`Planned::last_fired`]) is the latest missed time, which that one fire stood for.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::future::Future;
use std::ops::ControlFlow;
use std::time::Duration;

use heartwire::schedule::{Rate, Schedule};
use heartwire::text::Subject;
use heartwire::time::{UnixTime, WallClock};

use crate::contract::{AsyncPublish, Publish};

/// The latest fire time of `rate` (anchored at `anchor`) from `first` to `now`: `first`,
/// a fire time, when none follows it by `now`. By bisection on the instant (fire times
/// only grow with it), so a schedule that missed a year of `Minutes(1)` costs a few dozen
/// steps, not one per missed fire time.
fn latest_fire_time(rate: Rate, first: UnixTime, now: UnixTime, anchor: UnixTime) -> UnixTime {
    let by_now = |after: i64| {
        rate.next_after_anchored(UnixTime::new(after, 0), anchor)
            .filter(|t| *t <= now)
    };
    let Some(mut latest) = by_now(first.secs()) else {
        return first;
    };
    // Invariant: a fire time by `now` follows `low`; none follows `high`.
    let (mut low, mut high) = (first.secs(), now.secs());
    while high - low > 1 {
        let mid = low + (high - low) / 2;
        match by_now(mid) {
            Some(t) => {
                latest = latest.max(t);
                low = mid;
            }
            None => high = mid,
        }
    }
    latest
}

/// Where fired payloads go.
pub trait Target {
    /// Why a firing failed.
    type Error;

    /// Delivers the payload of `schedule`, due at `at`.
    fn fire(&mut self, schedule: &Schedule<'_>, at: UnixTime) -> Result<(), Self::Error>;
}

/// A [`Target`] that publishes every fired payload, as its bytes, on one subject through
/// a publisher of the text contract: blocking as a [`Target`] for a [`Publish`], or
/// awaited by [`Scheduler::publish_due`] and [`Scheduler::run_async`] for an
/// [`AsyncPublish`].
///
/// One subject per target, chosen and validated when the target is built, rather than
/// one per schedule: the text contract addresses a message by a beatit [`Subject`], and a
/// schedule's name is not always a process name (`spec/schedule.md` §3 allows `a..b`
/// and a leading dot, which a subject does not), so a per-name subject could fail at
/// every fire time, and a firing that fails stays due. The framework's schedules work the
/// same way: EventBridge delivers a rule's payload to the rule's target, whatever the
/// rule is called. A runtime whose schedules each name their own destination (any
/// subject, channel or topic) drives the [`Scheduler`] with [`Scheduler::next_due`] and
/// [`Scheduler::fired`] instead, as `heartwire schedule run` does.
#[derive(Debug, Clone)]
pub struct PublishTarget<P> {
    publisher: P,
    subject: Subject<'static>,
}

impl<P> PublishTarget<P> {
    /// A target publishing on `subject` through `publisher`.
    pub fn new(publisher: P, subject: Subject<'static>) -> PublishTarget<P> {
        PublishTarget { publisher, subject }
    }

    /// The subject every payload is published on.
    pub fn subject(&self) -> &Subject<'static> {
        &self.subject
    }

    /// The publisher.
    pub fn publisher(&self) -> &P {
        &self.publisher
    }

    /// The publisher, mutably.
    pub fn publisher_mut(&mut self) -> &mut P {
        &mut self.publisher
    }

    /// The publisher, giving up the target.
    pub fn into_publisher(self) -> P {
        self.publisher
    }
}

impl<P: Publish> Target for PublishTarget<P> {
    type Error = P::Error;

    fn fire(&mut self, schedule: &Schedule<'_>, _at: UnixTime) -> Result<(), P::Error> {
        self.publisher
            .publish(&self.subject, schedule.payload().as_bytes())
    }
}

/// One firing due, taken by [`Scheduler::next_due`] or [`Scheduler::take_due`], for a
/// driver that delivers it itself (an async one, or one with a destination per schedule).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Firing {
    /// The schedule, with its extra members (where a driver may find its destination).
    pub schedule: Schedule<'static>,
    /// The fire time it is for.
    pub at: UnixTime,
}

/// A schedule of the runtime, with its phase and progress: what a driver keeps in its
/// state to [`Scheduler::restore`] it after a restart.
#[derive(Debug, Clone)]
pub struct Planned {
    schedule: Schedule<'static>,
    created: UnixTime,
    last_fired: Option<UnixTime>,
    next: Option<UnixTime>,
    /// The fire time a postponed firing is for ([`Scheduler::postpone`]).
    owed: Option<UnixTime>,
    version: u64,
}

impl Planned {
    /// The schedule.
    pub fn schedule(&self) -> &Schedule<'static> {
        &self.schedule
    }

    /// When it was created: the anchor its interval rate counts from.
    pub fn created(&self) -> UnixTime {
        self.created
    }

    /// The fire time it last fired for (the latest of those a late fire stood for);
    /// `None` before its first.
    pub fn last_fired(&self) -> Option<UnixTime> {
        self.last_fired
    }

    /// Its next fire time; `None` when it fires no more (a `Single` that has fired).
    pub fn next(&self) -> Option<UnixTime> {
        self.next
    }
}

/// The schedule runtime; see the [module docs](self).
#[derive(Debug, Clone, Default)]
pub struct Scheduler {
    planned: HashMap<String, Planned>,
    queue: BinaryHeap<Reverse<(UnixTime, u64, String)>>,
    versions: u64,
}

impl Scheduler {
    /// A runtime with no schedule.
    pub fn new() -> Scheduler {
        Scheduler::default()
    }

    /// Adds a schedule created at `now`, or replaces the one of the same name
    /// (returned); it fires first at its first fire time after `now`, its interval rate
    /// counted from `now` (EventBridge's `rate()`).
    pub fn create(&mut self, schedule: Schedule<'_>, now: UnixTime) -> Option<Schedule<'static>> {
        self.restore(schedule, now, None)
    }

    /// Adds a schedule as it was before a restart: created at `created`, and last fired
    /// for `last_fired`. Its next fire time is the first after the last fire (after its
    /// creation when it never fired), so a fire time that passed while the runtime was
    /// down is due at once, and fires once. Replaces the one of the same name (returned).
    pub fn restore(
        &mut self,
        schedule: Schedule<'_>,
        created: UnixTime,
        last_fired: Option<UnixTime>,
    ) -> Option<Schedule<'static>> {
        let schedule = schedule.into_owned();
        let name = schedule.name().as_str().to_owned();
        let next = schedule
            .rate()
            .next_after_anchored(last_fired.unwrap_or(created).max(created), created);
        self.versions += 1;
        let version = self.versions;
        if let Some(at) = next {
            self.queue.push(Reverse((at, version, name.clone())));
        }
        self.planned
            .insert(
                name,
                Planned {
                    schedule,
                    created,
                    last_fired,
                    next,
                    owed: None,
                    version,
                },
            )
            .map(|p| p.schedule)
    }

    /// Removes a schedule; it fires no more. `None` if there was none of that name.
    pub fn delete(&mut self, name: &str) -> Option<Schedule<'static>> {
        // Its queue entry is dropped when it comes due: its name no longer matches.
        self.planned.remove(name).map(|p| p.schedule)
    }

    /// The schedule of that name.
    pub fn get(&self, name: &str) -> Option<&Schedule<'static>> {
        self.planned.get(name).map(|p| &p.schedule)
    }

    /// The schedule of that name with its phase and progress.
    pub fn planned(&self, name: &str) -> Option<&Planned> {
        self.planned.get(name)
    }

    /// Every schedule with its next fire time, in no particular order.
    pub fn schedules(&self) -> impl Iterator<Item = (&Schedule<'static>, Option<UnixTime>)> {
        self.planned.values().map(|p| (&p.schedule, p.next))
    }

    /// Every schedule with its phase and progress, in no particular order.
    pub fn plans(&self) -> impl Iterator<Item = &Planned> {
        self.planned.values()
    }

    /// How many schedules there are.
    pub fn len(&self) -> usize {
        self.planned.len()
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.planned.is_empty()
    }

    /// The earliest next fire time; `None` when nothing will fire.
    pub fn next_deadline(&mut self) -> Option<UnixTime> {
        self.drop_stale();
        self.queue.peek().map(|Reverse((at, _, _))| *at)
    }

    fn drop_stale(&mut self) {
        while let Some(Reverse((_, version, name))) = self.queue.peek() {
            if self
                .planned
                .get(name)
                .is_some_and(|p| p.version == *version)
            {
                return;
            }
            self.queue.pop();
        }
    }

    /// The name and fire time of the next due schedule, if any is due by `now`: the
    /// fire time a postponed firing is for, else the time it is queued at.
    fn due(&mut self, now: UnixTime) -> Option<(String, UnixTime)> {
        self.drop_stale();
        match self.queue.peek() {
            Some(Reverse((at, _, name))) if *at <= now => {
                let owed = self.planned.get(name).and_then(|p| p.owed);
                Some((name.clone(), owed.unwrap_or(*at)))
            }
            _ => None,
        }
    }

    /// Moves the schedule that fired for `at` to its next fire time after `now`.
    fn advance(&mut self, name: &str, at: UnixTime, now: UnixTime) {
        self.queue.pop();
        self.versions += 1;
        let version = self.versions;
        if let Some(planned) = self.planned.get_mut(name) {
            let rate = planned.schedule.rate();
            planned.owed = None;
            // One late fire stands for every fire time missed up to `now`: the last of
            // them is the one it fired for, so that a restart from this state does not
            // fire again for the ones it stood for.
            planned.last_fired = Some(latest_fire_time(rate, at, now.max(at), planned.created));
            planned.next = rate.next_after_anchored(now.max(at), planned.created);
            planned.version = version;
            if let Some(at) = planned.next {
                self.queue.push(Reverse((at, version, name.to_owned())));
            }
        }
    }

    /// Fires every schedule due by `now` into `target`, earliest first; the number fired.
    ///
    /// When the target fails, the failing schedule stays due (the next call fires it
    /// again) and the error is returned; the schedules fired before it stay fired.
    pub fn fire_due<T: Target>(
        &mut self,
        now: UnixTime,
        target: &mut T,
    ) -> Result<usize, T::Error> {
        let mut fired = 0;
        while let Some((name, at)) = self.due(now) {
            if let Some(planned) = self.planned.get(&name) {
                target.fire(&planned.schedule, at)?;
            }
            self.advance(&name, at, now);
            fired += 1;
        }
        Ok(fired)
    }

    /// [`Scheduler::fire_due`] through an [`AsyncPublish`]er: publishes the payload of
    /// every schedule due by `now` on the target's subject, earliest first, awaiting each
    /// publish before the next (so they arrive in fire-time order); the number fired.
    ///
    /// As with `fire_due`, a failing schedule stays due and the error is returned; the
    /// ones published before it stay fired.
    pub async fn publish_due<P: AsyncPublish>(
        &mut self,
        now: UnixTime,
        target: &mut PublishTarget<P>,
    ) -> Result<usize, P::Error> {
        let mut fired = 0;
        while let Some((name, at)) = self.due(now) {
            if let Some(planned) = self.planned.get(&name) {
                target
                    .publisher
                    .publish(&target.subject, planned.schedule.payload().as_bytes())
                    .await?;
            }
            self.advance(&name, at, now);
            fired += 1;
        }
        Ok(fired)
    }

    /// The earliest firing due by `now`, if any, for a driver that delivers it itself.
    /// It stays due until [`Scheduler::fired`] says it was delivered, so a driver that
    /// fails to deliver it (or dies first) finds it again.
    pub fn next_due(&mut self, now: UnixTime) -> Option<Firing> {
        let (name, at) = self.due(now)?;
        let planned = self.planned.get(&name)?;
        Some(Firing {
            schedule: planned.schedule.clone(),
            at,
        })
    }

    /// Records that `firing` (from [`Scheduler::next_due`]) was delivered: its schedule
    /// moves to its first fire time after `now`. False, changing nothing, when the
    /// firing is no longer the earliest due (its schedule was deleted or replaced since).
    pub fn fired(&mut self, firing: &Firing, now: UnixTime) -> bool {
        let name = firing.schedule.name().as_str();
        match self.due(now) {
            Some((due, at)) if due == name && at == firing.at => {
                self.advance(name, at, now);
                true
            }
            _ => false,
        }
    }

    /// Puts off `firing` (from [`Scheduler::next_due`]), which could not be delivered,
    /// until `until`: it is due again then, for the same fire time, and the schedules
    /// due meanwhile are not held up behind it. False, changing nothing, when it is no
    /// longer the earliest due.
    pub fn postpone(&mut self, firing: &Firing, until: UnixTime, now: UnixTime) -> bool {
        let name = firing.schedule.name().as_str();
        match self.due(now) {
            Some((due, at)) if due == name && at == firing.at => {
                self.queue.pop();
                self.versions += 1;
                let version = self.versions;
                if let Some(planned) = self.planned.get_mut(name) {
                    planned.owed = Some(at);
                    planned.next = Some(until);
                    planned.version = version;
                    self.queue.push(Reverse((until, version, name.to_owned())));
                }
                true
            }
            _ => false,
        }
    }

    /// Takes every firing due by `now` out of the runtime, earliest first, for a driver
    /// that publishes them itself (an async one). They count as fired.
    pub fn take_due(&mut self, now: UnixTime) -> Vec<Firing> {
        let mut firings = Vec::new();
        while let Some(firing) = self.next_due(now) {
            self.fired(&firing, now);
            firings.push(firing);
        }
        firings
    }

    /// Drives the runtime on `clock` until `between` breaks: fires what is due, calls
    /// `between` (where schedules may be created and deleted), then sleeps until the
    /// next fire time, at most `max_sleep` (so `between` runs at least that often).
    pub fn run_blocking<C: WallClock, T: Target>(
        &mut self,
        clock: &C,
        target: &mut T,
        max_sleep: Duration,
        mut sleep: impl FnMut(Duration),
        mut between: impl FnMut(&mut Scheduler, UnixTime) -> ControlFlow<()>,
    ) -> Result<(), T::Error> {
        loop {
            let now = clock.now();
            self.fire_due(now, target)?;
            if between(self, now).is_break() {
                return Ok(());
            }
            let wait = match self.next_deadline() {
                Some(at) => at.since(clock.now()).unwrap_or(Duration::ZERO),
                None => max_sleep,
            };
            sleep(wait.min(max_sleep));
        }
    }

    /// [`Scheduler::run_blocking`] on an async runtime: publishes what is due through
    /// `target` ([`Scheduler::publish_due`]), calls `between`, then awaits `sleep` until
    /// the next fire time, at most `max_sleep`. `sleep` is the runtime's
    /// (`tokio::time::sleep`, say), so this crate depends on none.
    pub async fn run_async<C, P, S>(
        &mut self,
        clock: &C,
        target: &mut PublishTarget<P>,
        max_sleep: Duration,
        mut sleep: impl FnMut(Duration) -> S,
        mut between: impl FnMut(&mut Scheduler, UnixTime) -> ControlFlow<()>,
    ) -> Result<(), P::Error>
    where
        C: WallClock,
        P: AsyncPublish,
        S: Future<Output = ()>,
    {
        loop {
            let now = clock.now();
            self.publish_due(now, target).await?;
            if between(self, now).is_break() {
                return Ok(());
            }
            let wait = match self.next_deadline() {
                Some(at) => at.since(clock.now()).unwrap_or(Duration::ZERO),
                None => max_sleep,
            };
            sleep(wait.min(max_sleep)).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use heartwire::schedule::{Name, Rate};
    use heartwire::time::Timestamp;

    use super::*;

    fn t(text: &str) -> UnixTime {
        Timestamp::parse(text)
            .unwrap_or_else(|e| panic!("{text}: {e}"))
            .unix_time()
    }

    fn schedule(name: &str, rate: &str, payload: &str) -> Schedule<'static> {
        let name = Name::new(name)
            .unwrap_or_else(|e| panic!("{e}"))
            .into_owned();
        let rate: Rate = rate.parse().unwrap_or_else(|e| panic!("{e}"));
        Schedule::new(name, rate, payload.to_owned())
    }

    /// Collects what was fired; fails once when told to.
    #[derive(Default)]
    struct Log {
        fired: Vec<(String, String, UnixTime)>,
        fail_next: bool,
    }

    impl Target for Log {
        type Error = &'static str;
        fn fire(&mut self, schedule: &Schedule<'_>, at: UnixTime) -> Result<(), Self::Error> {
            if std::mem::take(&mut self.fail_next) {
                return Err("queue down");
            }
            let name = schedule.name().as_str().to_owned();
            self.fired.push((name, schedule.payload().to_owned(), at));
            Ok(())
        }
    }

    #[test]
    fn fires_at_fire_times_and_follows_creates_and_deletes() {
        let mut s = Scheduler::new();
        let mut log = Log::default();
        s.create(
            schedule("report", "Daily(9,0)", "{\"type\":\"Report\"}"),
            t("2024-03-01T08:00:00Z"),
        );
        s.create(
            schedule("tick", "Minutes(30)", "tick"),
            t("2024-03-01T08:00:00Z"),
        );
        assert_eq!(s.next_deadline(), Some(t("2024-03-01T08:30:00Z")));
        assert_eq!(s.fire_due(t("2024-03-01T08:29:59Z"), &mut log), Ok(0));
        // Driven late, at 09:00: the 08:30 tick fires once, late, and stands for the
        // 09:00 one too; the next is at 09:30.
        assert_eq!(s.fire_due(t("2024-03-01T09:00:00Z"), &mut log), Ok(2));
        let names: Vec<(&str, UnixTime)> = log.fired.iter().map(|f| (f.0.as_str(), f.2)).collect();
        assert_eq!(
            names,
            [
                ("tick", t("2024-03-01T08:30:00Z")),
                ("report", t("2024-03-01T09:00:00Z"))
            ]
        );
        let next: Vec<Option<UnixTime>> = ["tick", "report"]
            .iter()
            .map(|n| {
                s.schedules()
                    .find(|(s, _)| s.name().as_str() == *n)
                    .and_then(|(_, t)| t)
            })
            .collect();
        assert_eq!(
            next,
            [
                Some(t("2024-03-01T09:30:00Z")),
                Some(t("2024-03-02T09:00:00Z"))
            ]
        );
        assert_eq!(s.fire_due(t("2024-03-01T09:30:00Z"), &mut log), Ok(1));
        // Deleted while running: it fires no more; replaced: the new payload fires.
        assert!(s.delete("report").is_some());
        assert!(s.delete("report").is_none());
        let replaced = s.create(
            schedule("tick", "Hours(1)", "tock"),
            t("2024-03-01T09:00:00Z"),
        );
        assert_eq!(
            replaced.map(|r| r.payload().to_owned()),
            Some("tick".to_owned())
        );
        log.fired.clear();
        assert_eq!(s.fire_due(t("2024-03-02T09:00:00Z"), &mut log), Ok(1));
        assert_eq!(
            log.fired,
            [(
                "tick".to_owned(),
                "tock".to_owned(),
                t("2024-03-01T10:00:00Z")
            )]
        );
        assert_eq!(s.next_deadline(), Some(t("2024-03-02T10:00:00Z")));
    }

    #[test]
    fn a_failed_firing_stays_due() {
        let mut s = Scheduler::new();
        let mut log = Log {
            fail_next: true,
            ..Log::default()
        };
        s.create(
            schedule("once", "Single(2024,12,25,14,30)", "ho"),
            t("2024-01-01T00:00:00Z"),
        );
        let due = t("2024-12-25T14:30:00Z");
        assert_eq!(s.fire_due(due, &mut log), Err("queue down"));
        assert_eq!(s.fire_due(due, &mut log), Ok(1));
        assert_eq!(s.fire_due(t("2025-01-01T00:00:00Z"), &mut log), Ok(0));
        assert_eq!(s.next_deadline(), None);
        assert_eq!(s.take_due(t("2030-01-01T00:00:00Z")), []);
    }

    #[test]
    fn interval_rates_count_from_creation_as_eventbridge_does() {
        let mut s = Scheduler::new();
        let mut log = Log::default();
        s.create(
            schedule("quarter", "Minutes(15)", "q"),
            t("2024-01-01T10:07:42Z"),
        );
        s.create(schedule("six", "Hours(6)", "h"), t("2024-01-01T10:07:42Z"));
        assert_eq!(s.next_deadline(), Some(t("2024-01-01T10:22:00Z")));
        assert_eq!(s.fire_due(t("2024-01-01T10:37:00Z"), &mut log), Ok(1));
        // Fired late, once, for 10:22 and 10:37: the last it stood for is 10:37.
        let planned = s.planned("quarter").map(|p| (p.last_fired(), p.next()));
        assert_eq!(
            planned,
            Some((
                Some(t("2024-01-01T10:37:00Z")),
                Some(t("2024-01-01T10:52:00Z"))
            ))
        );
        assert_eq!(
            s.planned("six").and_then(Planned::next),
            Some(t("2024-01-01T16:07:00Z"))
        );
    }

    #[test]
    fn a_restored_schedule_neither_fires_twice_nor_skips() {
        let created = t("2024-01-01T10:07:42Z");
        let mut s = Scheduler::new();
        // Restarted before its next fire time: the last one is not fired again.
        s.restore(
            schedule("m", "Minutes(1)", "x"),
            created,
            Some(t("2024-01-01T10:09:00Z")),
        );
        assert_eq!(s.next_due(t("2024-01-01T10:09:30Z")), None);
        assert_eq!(s.next_deadline(), Some(t("2024-01-01T10:10:00Z")));
        // Restarted after three missed fire times: the first fires once, late, and the
        // next is the first after now.
        s.restore(
            schedule("m", "Minutes(1)", "x"),
            created,
            Some(t("2024-01-01T10:09:00Z")),
        );
        let now = t("2024-01-01T10:12:30Z");
        let firing = s.next_due(now).map(|f| f.at);
        assert_eq!(firing, Some(t("2024-01-01T10:10:00Z")));
        // Not delivered yet: still due.
        assert_eq!(s.next_due(now).map(|f| f.at), firing);
        let fired = s.take_due(now);
        assert_eq!(fired.len(), 1);
        assert_eq!(s.next_deadline(), Some(t("2024-01-01T10:13:00Z")));
        // The late fire stood for 10:10, 10:11 and 10:12: the last is what it fired for.
        let p = s.planned("m").map(|p| (p.created(), p.last_fired()));
        assert_eq!(p, Some((created, Some(t("2024-01-01T10:12:00Z")))));
        // A firing whose schedule was deleted meanwhile is not recorded.
        let late = t("2024-01-01T10:13:00Z");
        let due = s
            .next_due(late)
            .map(|f| (f.schedule.name().as_str().to_owned(), f.at));
        assert_eq!(due, Some(("m".to_owned(), late)));
        let firing = s.next_due(late);
        s.delete("m");
        assert!(firing.is_some_and(|f| !s.fired(&f, late)));
    }

    /// A restart that catches up on several missed fire times with one late fire
    /// records the latest of them as fired (`spec/schedule.md` §13.4), so a second
    /// restart, before the next fire time, fires nothing again; on an explicit clock.
    #[test]
    fn one_late_fire_stands_for_every_missed_fire_time_across_restarts() {
        let created = t("2024-01-01T10:00:00Z");
        for (rate, last, now, due, stood_for, next) in [
            (
                "Minutes(1)",
                "2024-01-01T10:09:00Z",
                "2024-01-01T10:12:30Z",
                "2024-01-01T10:10:00Z",
                "2024-01-01T10:12:00Z",
                "2024-01-01T10:13:00Z",
            ),
            // A year of Minutes(5) missed.
            (
                "Minutes(5)",
                "2024-01-01T10:05:00Z",
                "2025-01-01T10:07:00Z",
                "2024-01-01T10:10:00Z",
                "2025-01-01T10:05:00Z",
                "2025-01-01T10:10:00Z",
            ),
            // Down over a weekend: Friday's and Monday's missed, fired once on Monday.
            (
                "Weekdays(9,0)",
                "2024-03-07T09:00:00Z",
                "2024-03-11T12:00:00Z",
                "2024-03-08T09:00:00Z",
                "2024-03-11T09:00:00Z",
                "2024-03-12T09:00:00Z",
            ),
            // Missed exactly at `now`.
            (
                "Hours(1)",
                "2024-01-01T11:00:00Z",
                "2024-01-01T14:00:00Z",
                "2024-01-01T12:00:00Z",
                "2024-01-01T14:00:00Z",
                "2024-01-01T15:00:00Z",
            ),
        ] {
            let mut s = Scheduler::new();
            s.restore(schedule("m", rate, "x"), created, Some(t(last)));
            let now = t(now);
            let firing = s.next_due(now);
            let firing = firing.unwrap_or_else(|| panic!("{rate}: a missed fire is due"));
            assert_eq!(firing.at, t(due), "{rate}");
            assert!(s.fired(&firing, now), "{rate}");
            assert_eq!(s.next_due(now), None, "{rate}");
            let saved = s.planned("m").and_then(Planned::last_fired);
            assert_eq!(saved, Some(t(stood_for)), "{rate}");
            // Restarted from that state a little later, before the next fire time.
            let mut again = Scheduler::new();
            again.restore(schedule("m", rate, "x"), created, saved);
            let later = now.checked_add_secs(20).unwrap_or(now);
            assert_eq!(again.next_due(later), None, "{rate}: fired twice");
            assert_eq!(again.next_deadline(), Some(t(next)), "{rate}");
        }
        // On time, a fire stands for its own fire time only.
        assert_eq!(
            latest_fire_time(
                "Minutes(1)".parse().unwrap_or_else(|e| panic!("{e}")),
                t("2024-01-01T10:10:00Z"),
                t("2024-01-01T10:10:00.5Z"),
                created
            ),
            t("2024-01-01T10:10:00Z")
        );
    }

    #[test]
    fn a_postponed_firing_is_due_again_for_its_fire_time_and_holds_up_nobody() {
        let mut s = Scheduler::new();
        let created = t("2024-01-01T10:00:00Z");
        s.create(schedule("a", "Minutes(1)", "a"), created);
        s.create(schedule("b", "Minutes(2)", "b"), created);
        let now = t("2024-01-01T10:01:00Z");
        let firing = s.next_due(now);
        let firing = firing.unwrap_or_else(|| panic!("a is due"));
        assert!(s.postpone(&firing, t("2024-01-01T10:01:30Z"), now));
        assert_eq!(s.next_due(now), None);
        let later = t("2024-01-01T10:02:10Z");
        let due: Vec<(String, UnixTime)> = s
            .take_due(later)
            .into_iter()
            .map(|f| (f.schedule.name().as_str().to_owned(), f.at))
            .collect();
        assert_eq!(
            due,
            [
                ("a".to_owned(), t("2024-01-01T10:01:00Z")),
                ("b".to_owned(), t("2024-01-01T10:02:00Z"))
            ]
        );
        // Fired for 10:01 at 10:02:10: it stood for 10:02 as well, whose fire time
        // passed while it was put off.
        assert_eq!(
            s.planned("a").and_then(Planned::last_fired),
            Some(t("2024-01-01T10:02:00Z"))
        );
        assert_eq!(s.next_deadline(), Some(t("2024-01-01T10:03:00Z")));
    }

    /// Keeps what a blocking publisher was given.
    #[derive(Default)]
    struct Published(Vec<String>);

    impl Publish for Published {
        type Error = std::convert::Infallible;
        fn publish(&mut self, subject: &Subject<'_>, payload: &[u8]) -> Result<(), Self::Error> {
            self.0
                .push(format!("{subject} {}", String::from_utf8_lossy(payload)));
            Ok(())
        }
    }

    #[test]
    fn a_publish_target_sends_each_payload_on_its_subject() {
        let subject = Subject::new("heartbeat.cron.nightly")
            .unwrap_or_else(|e| panic!("{e}"))
            .into_owned();
        let mut target = PublishTarget::new(Published::default(), subject);
        let mut s = Scheduler::new();
        s.create(
            schedule("nightly", "Daily(3,0)", "beat/86400"),
            t("2024-03-01T00:00:00Z"),
        );
        s.create(
            schedule("report", "Daily(2,0)", "{\"type\":\"Report\"}"),
            t("2024-03-01T00:00:00Z"),
        );
        assert_eq!(s.fire_due(t("2024-03-01T03:00:00Z"), &mut target), Ok(2));
        assert_eq!(
            target.publisher().0,
            [
                "heartbeat.cron.nightly {\"type\":\"Report\"}",
                "heartbeat.cron.nightly beat/86400"
            ]
        );
    }

    /// A clock that the sleeps move.
    struct Virtual(Cell<UnixTime>);

    impl WallClock for Virtual {
        fn now(&self) -> UnixTime {
            self.0.get()
        }
    }

    #[test]
    fn a_blocking_loop_on_a_virtual_clock() {
        let clock = Virtual(Cell::new(t("2024-03-01T08:00:00Z")));
        let mut s = Scheduler::new();
        let mut log = Log::default();
        let mut round = 0;
        let result = s.run_blocking(
            &clock,
            &mut log,
            Duration::from_secs(3600),
            |d| {
                let now = clock.0.get();
                let secs = i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
                clock.0.set(now.checked_add_secs(secs).unwrap_or(now));
            },
            |s, now| {
                round += 1;
                match round {
                    1 => {
                        s.create(schedule("m", "Minutes(10)", "x"), now);
                    }
                    4 => {
                        s.delete("m");
                    }
                    8 => return ControlFlow::Break(()),
                    _ => {}
                }
                ControlFlow::Continue(())
            },
        );
        assert_eq!(result, Ok(()));
        let times: Vec<UnixTime> = log.fired.iter().map(|f| f.2).collect();
        assert_eq!(
            times,
            [
                t("2024-03-01T08:10:00Z"),
                t("2024-03-01T08:20:00Z"),
                t("2024-03-01T08:30:00Z")
            ]
        );
    }
}
