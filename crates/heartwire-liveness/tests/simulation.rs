//! A simulation on a virtual clock (issue 6): 10,000 beatit processes over ten minutes,
//! with jitter, network delay, lost beats, pauses, restarts, crashes and a stall of the
//! monitor itself. It asserts:
//!
//! - zero false deaths: only a crashed process is ever declared dead, and never before
//!   it crashed (losses and pauses stay within the tolerance by construction: at most
//!   one missing beat or one pause in a row, never both);
//! - every crash is detected within its bound: dead at exactly three declared periods
//!   after its last delivered beat (plus the monitor's stall, when they overlap), and
//!   reported by the first poll after that;
//! - every stop is seen as stopped, at the instant it was received, and a stopped
//!   process is never late or dead;
//! - the final listing says the same as the events.
//!
//! Deterministic (a fixed seed), and a few seconds in a debug build.

use std::collections::HashMap;

use heartwire::text::{Message, Process, Seconds, Signal};
use heartwire::time::UnixTime;
use heartwire_liveness::{Config, Event, Monitor, Reason, Source, State};

const PROCESSES: usize = 10_000;
const SEC: u64 = 1_000_000_000;
const MS: u64 = 1_000_000;
const END: u64 = 600 * SEC;
/// The monitor does not run from `STALL_FROM` for `STALL` (a pause of its host): it
/// neither reads nor polls, and reads what arrived meanwhile when it resumes.
const STALL_FROM: u64 = 300 * SEC;
const STALL: u64 = 10 * SEC;
/// The warm-up every `start` declares.
const WARMUP: u64 = 10 * SEC;
const EPOCH: i64 = 1_700_000_000;

/// splitmix64: a fixed sequence, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `lo..hi`.
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo)
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

/// What happened to one process, for the assertions.
#[derive(Debug, Default)]
struct Truth {
    period: u64,
    /// When it crashed, when its last message was received, and the duration that
    /// message declared (the warm-up of a `start`, else the period), if it crashed.
    crash: Option<(u64, u64, u64)>,
    /// The receive times of its `stop`s.
    stops: Vec<u64>,
}

#[derive(Clone, Copy)]
enum Kind {
    Start,
    Beat,
    Degraded,
    Stop,
}

fn unix(n: u64) -> UnixTime {
    let n = n + EPOCH as u64 * SEC;
    UnixTime::new((n / SEC) as i64, (n % SEC) as u32)
}

fn since_start(t: UnixTime) -> u64 {
    u64::try_from(t.as_nanos() - i128::from(EPOCH) * i128::from(SEC)).unwrap_or(0)
}

/// The receive time of a message sent at `sent`, with a network delay of up to 300 ms;
/// what arrives while the monitor stalls is read when it resumes.
fn received(sent: u64, rng: &mut Rng) -> u64 {
    let at = sent + rng.range(0, 300) * MS;
    if (STALL_FROM..STALL_FROM + STALL).contains(&at) {
        STALL_FROM + STALL
    } else {
        at
    }
}

/// The messages of one process, as (receive time, kind), and its truth.
fn simulate(rng: &mut Rng) -> (Vec<(u64, Kind)>, Truth) {
    let period = [2, 5, 10, 30, 60][rng.range(0, 5) as usize] * SEC;
    let mut truth = Truth {
        period,
        ..Truth::default()
    };
    let crash_at = rng
        .chance(5)
        .then(|| rng.range(60, 600 - 4 * period / SEC - 2) * SEC);
    let mut restart_at = rng.chance(10).then(|| rng.range(30, 500) * SEC);
    let mut out = Vec::new();
    let mut t = rng.range(0, period / MS) * MS;
    out.push((received(t, rng), Kind::Start));
    // The first beat within the 10 s warm-up, neither lost nor paused: `start/10`
    // promises it, and the tolerance is three warm-ups, not three periods.
    t += rng.range(1000, 5000) * MS;
    let mut previous_irregular = true;
    while t < END {
        if let Some(crash) = crash_at
            && t >= crash
        {
            let (last, declared) = out.last().map_or((0, WARMUP), |m| match m.1 {
                Kind::Start => (m.0, WARMUP),
                _ => (m.0, period),
            });
            truth.crash = Some((crash, last, declared));
            break;
        }
        if let Some(restart) = restart_at
            && t >= restart
        {
            restart_at = None;
            let at = received(t, rng);
            out.push((at, Kind::Stop));
            truth.stops.push(at);
            t += rng.range(5, 60) * SEC;
            out.push((received(t, rng), Kind::Start));
            t += rng.range(1000, 5000) * MS;
            previous_irregular = true;
            continue;
        }
        // At most one irregular interval (a lost beat or a pause) in a row.
        let lost = !previous_irregular && rng.chance(5);
        let paused = !previous_irregular && !lost && rng.chance(2);
        if !lost {
            let kind = if rng.chance(10) {
                Kind::Degraded
            } else {
                Kind::Beat
            };
            out.push((received(t, rng), kind));
        }
        previous_irregular = lost || paused;
        // Beats come a little before the promised period, with jitter.
        t += period * rng.range(700, 950) / 1000;
        if paused {
            t += period * rng.range(500, 1000) / 1000;
        }
    }
    (out, truth)
}

#[test]
fn ten_thousand_processes() {
    let mut rng = Rng(0x6865_6172_7477_6972);
    let names: Vec<String> = (0..PROCESSES).map(|i| format!("fleet.node-{i}")).collect();
    let mut truths = Vec::with_capacity(PROCESSES);
    let mut messages: Vec<(u64, u32, Kind)> = Vec::new();
    for i in 0..PROCESSES {
        let (out, truth) = simulate(&mut rng);
        messages.extend(out.into_iter().map(|(at, kind)| (at, i as u32, kind)));
        truths.push(truth);
    }
    messages.sort_by_key(|m| (m.0, m.1));
    let processes: Vec<Process<'_>> = names
        .iter()
        .map(|n| Process::new(n).unwrap_or_else(|e| panic!("{e}")))
        .collect();
    let index: HashMap<&str, usize> = names
        .iter()
        .enumerate()
        .map(|(i, n)| (n.as_str(), i))
        .collect();

    let mut monitor = Monitor::new(Config::default());
    monitor.reserve(PROCESSES, names.iter().map(String::len).sum());
    // (event, the poll that returned it)
    let mut events: Vec<(Event, u64)> = Vec::new();
    let mut next = 0;
    let mut tick = 0;
    while tick <= END + SEC {
        let stalled = (STALL_FROM + 1..STALL_FROM + STALL).contains(&tick);
        if !stalled {
            // The monitor polls, then reads what arrived up to now.
            events.extend(monitor.poll(unix(tick)).map(|e| (e, tick)));
            while let Some(&(at, i, kind)) = messages.get(next) {
                if at > tick {
                    break;
                }
                next += 1;
                let period = Seconds::from_nanos(truths[i as usize].period).unwrap_or(Seconds::MIN);
                let signal = match kind {
                    Kind::Start => Signal::Start {
                        warmup: Seconds::from_secs(WARMUP / SEC).unwrap_or(Seconds::MIN),
                    },
                    Kind::Beat => Signal::Beat { period },
                    Kind::Degraded => Signal::Degraded { period },
                    Kind::Stop => Signal::Stop,
                };
                let message = Message::new(processes[i as usize].borrowed(), signal);
                let result = monitor.observe_text(&message, unix(at));
                assert!(result.is_ok(), "{} at {at}: {result:?}", names[i as usize]);
            }
        }
        tick += SEC;
    }
    assert_eq!(next, messages.len(), "every message was read");

    let stalls: Vec<&Event> = events
        .iter()
        .map(|e| &e.0)
        .filter(|e| matches!(e, Event::Stalled { .. }))
        .collect();
    assert_eq!(
        stalls,
        [&Event::Stalled {
            from: unix(STALL_FROM),
            to: unix(STALL_FROM + STALL)
        }]
    );

    let mut dead: HashMap<usize, (u64, u64)> = HashMap::new();
    let mut stopped: HashMap<usize, Vec<u64>> = HashMap::new();
    let mut late = 0;
    for (event, polled) in &events {
        let Event::Changed(c) = event else {
            continue;
        };
        let i = index[c.process.as_str()];
        let at = since_start(c.at);
        match (c.new, c.reason) {
            (State::Dead, _) => {
                let truth = &truths[i];
                let Some((crash, _, _)) = truth.crash else {
                    panic!(
                        "false death: {} ({} s period) at {at}",
                        c.process,
                        truth.period / SEC
                    );
                };
                assert!(
                    at >= crash,
                    "{} dead at {at}, before its crash at {crash}",
                    c.process
                );
                assert!(
                    dead.insert(i, (at, *polled)).is_none(),
                    "{} died twice",
                    c.process
                );
            }
            (State::Stopped, Reason::Stop) => stopped.entry(i).or_default().push(at),
            (State::Late, _) => late += 1,
            _ => {}
        }
        if let Some(old) = c.old {
            assert!(
                !(old == State::Stopped && matches!(c.new, State::Late | State::Dead)),
                "{} was stopped, then {}",
                c.process,
                c.new
            );
        }
    }
    let mut crashes = 0;
    for (i, truth) in truths.iter().enumerate() {
        if let Some((crash, last, declared)) = truth.crash {
            crashes += 1;
            let Some(&(at, polled)) = dead.get(&i) else {
                panic!("crash of {} at {crash} not detected", names[i]);
            };
            // Dead at three periods (or warm-ups, after a start) after the last message;
            // a stall in between adds its length, as nobody is convicted for it.
            let mut bound = last + 3 * declared;
            if last < STALL_FROM + STALL && bound > STALL_FROM {
                bound += STALL;
            }
            assert!(at <= bound, "{}: dead at {at}, bound {bound}", names[i]);
            assert!(
                polled < at + SEC,
                "{}: reported at {polled}, dead at {at}",
                names[i]
            );
        }
        assert_eq!(
            stopped.get(&i).cloned().unwrap_or_default(),
            truth.stops,
            "{}",
            names[i]
        );
        let state = monitor.get(Source::Text, &names[i]).map(|v| v.state);
        if truth.crash.is_some() {
            assert_eq!(state, Some(State::Dead), "{}", names[i]);
        } else {
            assert!(
                state.is_some_and(|s| s != State::Dead),
                "{} at the end: {state:?}",
                names[i]
            );
        }
    }
    // The simulation exercised what it claims to.
    assert!(crashes > 300, "{crashes} crashes");
    assert!(truths.iter().filter(|t| !t.stops.is_empty()).count() > 700);
    assert!(
        late > 1000,
        "{late} late processes: losses and pauses happened"
    );
}
