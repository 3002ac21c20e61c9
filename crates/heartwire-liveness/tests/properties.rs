//! Properties of the monitor on random sequences of beatit signals and polls:
//!
//! - its states agree with a reference model that recomputes every state from scratch
//!   (the rule of `spec/liveness.md` §3.1, written the naive way);
//! - every change is emitted exactly once: per process, each event's `old` is the
//!   previous event's `new`, nothing is emitted twice, and a second poll at the same
//!   instant emits nothing;
//! - deadline events carry the exact instant of the deadline;
//! - a snapshot survives JSON and restores a monitor that behaves the same from then on.

use std::collections::HashMap;
use std::time::Duration;

use heartwire::text::{Message, Process, Seconds, Signal};
use heartwire::time::UnixTime;
use heartwire_liveness::{Config, Event, Monitor, Reason, Snapshot, Source, State};
use proptest::prelude::*;

const NAMES: [&str; 4] = ["a", "b.c", "d-1", "e_2"];
const BASE: u64 = 1_700_000_000_000_000_000;
const MS: u64 = 1_000_000;

#[derive(Debug, Clone)]
enum Op {
    /// A signal of process `NAMES[p]`: 0 start, 1 beat, 2 degraded, 3 stop; with a
    /// duration in ns; after `wait` ns.
    Signal {
        p: usize,
        kind: u8,
        nanos: u64,
        wait: u64,
    },
    /// A poll after `wait` ns.
    Poll { wait: u64 },
}

/// Durations of 1 ms to 4 s, waits up to 2 s (polls up to 5 s).
fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0..NAMES.len(), 0u8..4, 1u64..4000, 0u64..2000).prop_map(|(p, kind, millis, wait)| {
            Op::Signal {
                p,
                kind,
                nanos: millis * MS,
                wait: wait * MS,
            }
        }),
        (0u64..5000).prop_map(|wait| Op::Poll { wait: wait * MS }),
    ]
}

/// Any duration the text convention carries (1 ns to 31.7 years) and waits up to half a
/// year: the monitor's arithmetic at its limits, over decades (and short of the year
/// 2109, the horizon of its deadline index).
fn extreme_op() -> impl Strategy<Value = Op> {
    let max = Seconds::MAX.as_nanos();
    prop_oneof![
        (
            0..NAMES.len(),
            0u8..4,
            prop_oneof![1u64..1000, 1u64..=max],
            0u64..(1 << 54)
        )
            .prop_map(|(p, kind, nanos, wait)| Op::Signal {
                p,
                kind,
                nanos,
                wait
            }),
        (0u64..(1 << 54)).prop_map(|wait| Op::Poll { wait }),
    ]
}

fn unix(n: u64) -> UnixTime {
    UnixTime::new((n / 1_000_000_000) as i64, (n % 1_000_000_000) as u32)
}

fn config() -> Config {
    Config {
        stall_after: Duration::from_secs(1 << 40),
        max_beats_per_second: 1000,
        ..Config::default()
    }
}

/// The last signal of a process, as the model keeps it.
#[derive(Debug, Clone, Copy)]
struct Last {
    kind: u8,
    at: u64,
    declared: u64,
    base: State,
}

impl Last {
    fn after(&self, permille: u128) -> u64 {
        let t = u128::from(self.at) + (u128::from(self.declared) * permille).div_ceil(1000);
        u64::try_from(t).unwrap_or(u64::MAX)
    }
    fn late(&self) -> u64 {
        self.after(1500)
    }
    fn dead(&self) -> u64 {
        self.after(3000)
    }
    /// The spec's state at `now`, computed from scratch.
    fn state(&self, now: u64) -> State {
        if self.kind == 3 {
            State::Stopped
        } else if now >= self.dead() {
            State::Dead
        } else if now >= self.late() {
            State::Late
        } else {
            self.base
        }
    }
}

/// Applies `op` at `*now` to the monitor and the model.
fn apply(
    monitor: &mut Monitor,
    model: &mut HashMap<&'static str, Last>,
    now: &mut u64,
    op: &Op,
) -> Vec<Event> {
    match *op {
        Op::Signal {
            p,
            kind,
            nanos,
            wait,
        } => {
            *now += wait;
            let seconds = Seconds::from_nanos(nanos).unwrap_or(Seconds::MIN);
            let signal = match kind {
                0 => Signal::Start { warmup: seconds },
                1 => Signal::Beat { period: seconds },
                2 => Signal::Degraded { period: seconds },
                _ => Signal::Stop,
            };
            let name = NAMES[p];
            let process = Process::new(name).unwrap_or_else(|e| panic!("{e}"));
            let result = monitor.observe_text(&Message::new(process, signal), unix(*now));
            assert!(result.is_ok(), "{result:?}");
            let previous = model.get(name).copied();
            let (declared, base) = match kind {
                0 => (seconds.as_nanos(), State::Starting),
                1 => (seconds.as_nanos(), State::Alive),
                2 => (seconds.as_nanos(), State::Degraded),
                // A stop keeps the declared duration and healthy state of before.
                _ => previous.map_or((0, State::Starting), |l| (l.declared, l.base)),
            };
            model.insert(
                name,
                Last {
                    kind,
                    at: *now,
                    declared,
                    base,
                },
            );
            Vec::new()
        }
        Op::Poll { wait } => {
            *now += wait;
            monitor.poll(unix(*now)).collect()
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn states_match_the_model_and_events_are_emitted_once(ops in prop::collection::vec(op(), 1..80)) {
        check_against_the_model(&ops)?;
    }

    #[test]
    fn extreme_durations_and_waits(ops in prop::collection::vec(extreme_op(), 1..80)) {
        check_against_the_model(&ops)?;
    }

    #[test]
    fn snapshots_round_trip(ops in prop::collection::vec(op(), 1..60), after in prop::collection::vec(op(), 1..40)) {
        let mut monitor = Monitor::new(config());
        let mut model = HashMap::new();
        let mut now = BASE;
        for op in &ops {
            apply(&mut monitor, &mut model, &mut now, op);
        }
        monitor.poll(unix(now)).for_each(drop);
        let snapshot = monitor.snapshot();
        let json = serde_json::to_string(&snapshot).unwrap_or_else(|e| panic!("{e}"));
        let back: Snapshot = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}"));
        prop_assert_eq!(&back, &snapshot);
        let mut restored = Monitor::restore(config(), back).unwrap_or_else(|e| panic!("{e}"));
        prop_assert_eq!(restored.snapshot(), snapshot);
        let (mut model_copy, mut now_copy) = (model.clone(), now);
        for op in &after {
            let a = apply(&mut monitor, &mut model, &mut now, op);
            let b = apply(&mut restored, &mut model_copy, &mut now_copy, op);
            prop_assert_eq!(a, b);
        }
        prop_assert_eq!(monitor.snapshot(), restored.snapshot());
    }
}

fn check_against_the_model(ops: &[Op]) -> Result<(), TestCaseError> {
    let mut monitor = Monitor::new(config());
    let mut model = HashMap::new();
    let mut now = BASE;
    let mut last_new: HashMap<String, State> = HashMap::new();
    for op in ops {
        let events = apply(&mut monitor, &mut model, &mut now, op);
        if !matches!(op, Op::Poll { .. }) {
            continue;
        }
        for event in &events {
            let Event::Changed(c) = event else {
                prop_assert!(false, "unexpected {event:?}");
                continue;
            };
            prop_assert_eq!(c.old, last_new.get(&c.process).copied(), "{:?}", c);
            prop_assert_ne!(Some(c.new), c.old);
            last_new.insert(c.process.clone(), c.new);
            let last = model[c.process.as_str()];
            match c.reason {
                Reason::Overdue => prop_assert_eq!(c.at, unix(last.late())),
                Reason::Silent => prop_assert_eq!(c.at, unix(last.dead())),
                _ => {}
            }
        }
        prop_assert_eq!(
            monitor.poll(unix(now)).count(),
            0,
            "a second poll at the same instant"
        );
        for (name, last) in &model {
            let state = monitor.get(Source::Text, name).map(|v| v.state);
            prop_assert_eq!(state, Some(last.state(now)), "{} at {}", name, now - BASE);
            prop_assert_eq!(
                last_new.get(*name).copied(),
                state,
                "{}: the events tell the state",
                name
            );
        }
    }
    Ok(())
}
