//! `spec/liveness.md` §6.4, rule by rule: a transport outage suspends the conviction of
//! the processes last heard through it, and its end is forgiven as a stall is; and §6.5
//! (`mod durable`): a durable link replays instead.

use std::time::Duration;

use heartwire::text::Message;
use heartwire::time::UnixTime;
use heartwire_liveness::{Config, Event, Link, Monitor, Reason, Source, State};

const BASE: i64 = 1_700_000_000;
const SECS: i64 = 1000;

fn at(ms: i64) -> UnixTime {
    UnixTime::new(
        BASE + ms.div_euclid(1000),
        (ms.rem_euclid(1000) * 1_000_000) as u32,
    )
}

fn ms(t: UnixTime) -> i64 {
    ((t.as_nanos() - i128::from(BASE) * 1_000_000_000) / 1_000_000) as i64
}

fn link(n: u8) -> Link {
    Link::new(n).expect("a link number")
}

/// A monitor that never sees a stall, so that only the outage rules are at work.
fn monitor() -> Monitor {
    Monitor::new(Config {
        stall_after: Duration::from_secs(1 << 40),
        ..Config::default()
    })
}

fn beat(m: &mut Monitor, via: Option<Link>, process: &str, payload: &str, t: i64) {
    let subject = format!("heartbeat.{process}");
    let message = Message::decode_str(&subject, payload.as_bytes()).expect("a valid message");
    m.observe_text_via(via, &message, at(t)).expect("accepted");
}

/// (process, new state, reason, ms) of the changes a poll at `t` reports.
fn poll(m: &mut Monitor, t: i64) -> Vec<(String, State, Reason, i64)> {
    m.poll(at(t))
        .filter_map(|e| match e {
            Event::Changed(c) => Some((c.process, c.new, c.reason, ms(c.at))),
            _ => None,
        })
        .collect()
}

#[test]
fn no_conviction_while_the_link_is_down() {
    let mut m = monitor();
    beat(&mut m, Some(link(1)), "api", "beat/10", 0);
    assert_eq!(poll(&mut m, 0).len(), 1); // new -> alive
    m.link_down(link(1), at(5 * SECS));
    // Late would be at 15 s and dead at 30 s: neither happens while the link is down.
    for t in (6..=120).map(|s| s * SECS) {
        assert_eq!(poll(&mut m, t), [], "at {t} ms");
    }
    let view = m.get(Source::Text, "api").expect("tracked");
    assert_eq!(view.state, State::Alive);
    assert_eq!(view.link, Some(link(1)));
    assert_eq!(view.unreachable_since, Some(at(5 * SECS)));
    assert_eq!(m.link_down_since(link(1)), Some(at(5 * SECS)));
}

#[test]
fn the_outage_is_forgiven_and_silence_before_it_counts() {
    let mut m = monitor();
    beat(&mut m, Some(link(1)), "api", "beat/10", 0);
    poll(&mut m, 0);
    // 5 s of silence before the outage, then 100 s of outage.
    m.link_down(link(1), at(5 * SECS));
    poll(&mut m, 50 * SECS);
    m.link_up(link(1), at(105 * SECS));
    let view = m.get(Source::Text, "api").expect("tracked");
    assert_eq!(view.unreachable_since, None);
    // Deadlines count from 0 + 100 s: late at 115 s, dead at 130 s.
    assert_eq!(poll(&mut m, 114 * SECS), []);
    assert_eq!(
        poll(&mut m, 200 * SECS),
        [
            ("api".to_owned(), State::Late, Reason::Overdue, 115 * SECS),
            ("api".to_owned(), State::Dead, Reason::Silent, 130 * SECS),
        ]
    );
}

#[test]
fn other_links_and_http_are_judged_as_usual() {
    let mut m = monitor();
    beat(&mut m, Some(link(1)), "via-one", "beat/10", 0);
    beat(&mut m, Some(link(2)), "via-two", "beat/10", 0);
    beat(&mut m, None, "via-http", "beat/10", 0);
    poll(&mut m, 0);
    m.link_down(link(1), at(SECS));
    // Events of one instant come in order of process (§7).
    assert_eq!(
        poll(&mut m, 40 * SECS),
        [
            (
                "via-http".to_owned(),
                State::Late,
                Reason::Overdue,
                15 * SECS
            ),
            (
                "via-two".to_owned(),
                State::Late,
                Reason::Overdue,
                15 * SECS
            ),
            (
                "via-http".to_owned(),
                State::Dead,
                Reason::Silent,
                30 * SECS
            ),
            ("via-two".to_owned(), State::Dead, Reason::Silent, 30 * SECS),
        ]
    );
}

#[test]
fn a_process_heard_elsewhere_during_the_outage_is_armed_again() {
    let mut m = monitor();
    beat(&mut m, Some(link(1)), "api", "beat/10", 0);
    poll(&mut m, 0);
    m.link_down(link(1), at(SECS));
    // Its deadline comes due while unreachable (its entry is disarmed) ...
    assert_eq!(poll(&mut m, 20 * SECS), []);
    // ... then it is heard over HTTP: judged from now on, with a deadline of its own.
    beat(&mut m, None, "api", "beat/10", 20 * SECS);
    assert_eq!(m.get(Source::Text, "api").map(|v| v.link), Some(None));
    assert_eq!(
        poll(&mut m, 60 * SECS),
        [
            ("api".to_owned(), State::Late, Reason::Overdue, 35 * SECS),
            ("api".to_owned(), State::Dead, Reason::Silent, 50 * SECS),
        ]
    );
}

#[test]
fn a_late_process_stays_late_through_the_outage() {
    let mut m = monitor();
    beat(&mut m, Some(link(3)), "api", "beat/10", 0);
    poll(&mut m, 0);
    assert_eq!(
        poll(&mut m, 20 * SECS),
        [("api".to_owned(), State::Late, Reason::Overdue, 15 * SECS)]
    );
    m.link_down(link(3), at(20 * SECS));
    assert_eq!(poll(&mut m, 200 * SECS), []);
    m.link_up(link(3), at(200 * SECS));
    // 20 s of silence before the outage counted: dead 10 s after the link is back.
    assert_eq!(
        poll(&mut m, 300 * SECS),
        [("api".to_owned(), State::Dead, Reason::Silent, 210 * SECS)]
    );
}

#[test]
fn last_signals_are_read_from_the_engine() {
    let mut m = monitor();
    beat(&mut m, None, "a", "start/30", 0);
    beat(&mut m, None, "b", "degraded/2.5", 0);
    beat(&mut m, None, "c", "beat/60", 0);
    beat(&mut m, None, "d", "beat/60", 0);
    beat(&mut m, None, "d", "stop", 10);
    let signal = |name: &str| {
        m.get(Source::Text, name)
            .and_then(|v| v.signal)
            .map(|s| s.to_string())
    };
    assert_eq!(signal("a").as_deref(), Some("start/30"));
    assert_eq!(signal("b").as_deref(), Some("degraded/2.5"));
    assert_eq!(signal("c").as_deref(), Some("beat/60"));
    assert_eq!(signal("d").as_deref(), Some("stop"));
}

#[test]
fn a_link_that_was_not_down_changes_nothing() {
    let mut m = monitor();
    beat(&mut m, Some(link(1)), "api", "beat/10", 0);
    poll(&mut m, 0);
    m.link_up(link(1), at(5 * SECS));
    assert_eq!(
        poll(&mut m, 20 * SECS),
        [("api".to_owned(), State::Late, Reason::Overdue, 15 * SECS)]
    );
}

/// `spec/liveness.md` §6.5, rule by rule: a durable link replays what the monitor itself
/// missed, so its processes are held, not forgiven, until it has caught up, and then
/// judged by the replayed beats with their own times.
mod durable {
    use super::*;

    /// The default stall rule (5 s), which the durable rules change.
    fn monitor() -> Monitor {
        Monitor::new(Config::default())
    }

    /// (process, new state, reason, ms) of the changes a poll at `t` reports, and whether
    /// it reported a stall.
    fn poll_all(m: &mut Monitor, t: i64) -> (Vec<(String, State, Reason, i64)>, bool) {
        let mut stalled = false;
        let changes = m
            .poll(at(t))
            .filter_map(|e| match e {
                Event::Changed(c) => Some((c.process, c.new, c.reason, ms(c.at))),
                Event::Stalled { .. } => {
                    stalled = true;
                    None
                }
                _ => None,
            })
            .collect();
        (changes, stalled)
    }

    fn state(m: &Monitor, process: &str) -> State {
        m.get(Source::Text, process).expect("tracked").state
    }

    /// Every second from `from` to `to`, polled, as a running monitor does.
    fn run(m: &mut Monitor, from: i64, to: i64) -> Vec<(String, State, Reason, i64)> {
        let mut all = Vec::new();
        for s in from..=to {
            all.extend(poll_all(m, s * SECS).0);
        }
        all
    }

    #[test]
    fn a_stall_holds_a_durable_links_processes_and_the_replay_judges_them() {
        let mut m = monitor();
        m.link_durable(link(1));
        beat(&mut m, Some(link(1)), "steady", "beat/2", 0);
        beat(&mut m, Some(link(1)), "dies", "beat/2", 0);
        beat(&mut m, None, "http", "beat/2", 0);
        run(&mut m, 0, 1);
        // The monitor is not run from 1 s to 60 s (a stall): the first poll after it
        // convicts nobody on the durable link, and forgives only the others.
        let (changes, stalled) = poll_all(&mut m, 60 * SECS);
        assert!(stalled);
        assert_eq!(changes, []);
        assert_eq!(m.link_down_since(link(1)), Some(at(SECS)));
        // The replay: `steady` beat every 2 s throughout, `dies` last at 10 s.
        for t in (2..=60).step_by(2) {
            beat(&mut m, Some(link(1)), "steady", "beat/2", t * SECS);
            if t <= 10 {
                beat(&mut m, Some(link(1)), "dies", "beat/2", t * SECS);
            }
        }
        // Held while it replays: nobody changes.
        assert_eq!(poll_all(&mut m, 61 * SECS).0, []);
        m.link_up(link(1), at(61 * SECS));
        let changes = poll_all(&mut m, 61 * SECS).0;
        // `dies` is convicted at the instants its own beats give (late at 13 s, dead at
        // 16 s), not forgiven the gap; `steady` is untouched.
        assert_eq!(
            changes,
            [
                ("dies".to_owned(), State::Late, Reason::Overdue, 13 * SECS),
                ("dies".to_owned(), State::Dead, Reason::Silent, 16 * SECS),
            ]
        );
        assert_eq!(state(&m, "steady"), State::Alive);
        // The HTTP process was forgiven the stall as before: late at 3 + 59 s.
        assert_eq!(state(&m, "http"), State::Alive);
        let later = run(&mut m, 62, 70);
        assert!(
            later.contains(&("http".to_owned(), State::Late, Reason::Overdue, 62 * SECS)),
            "{later:?}"
        );
    }

    #[test]
    fn a_restored_monitor_replays_instead_of_forgiving() {
        let mut m = monitor();
        beat(&mut m, Some(link(1)), "api", "beat/5", 0);
        run(&mut m, 0, 2);
        let snapshot = m.snapshot();
        // Restarted 100 s later, with link 1 durable and replaying from the last poll.
        let mut m = Monitor::restore(Config::default(), snapshot).expect("restored");
        m.link_replaying(link(1), m.last_poll().expect("polled"));
        let (changes, _) = poll_all(&mut m, 102 * SECS);
        assert_eq!(changes, [], "nobody convicted before the replay");
        for t in (5..=100).step_by(5) {
            beat(&mut m, Some(link(1)), "api", "beat/5", t * SECS);
        }
        m.link_up(link(1), at(102 * SECS));
        assert_eq!(poll_all(&mut m, 102 * SECS).0, []);
        assert_eq!(state(&m, "api"), State::Alive);
        // Judged from its last replayed beat at 100 s: late at 107.5 s.
        let changes = run(&mut m, 103, 108);
        assert_eq!(
            changes,
            [("api".to_owned(), State::Late, Reason::Overdue, 107_500)]
        );
    }

    #[test]
    fn an_outage_of_a_durable_link_is_forgiven_only_to_those_not_replayed() {
        let mut m = monitor();
        m.link_durable(link(1));
        beat(&mut m, Some(link(1)), "heard", "beat/10", 0);
        beat(&mut m, Some(link(1)), "silent", "beat/10", 0);
        run(&mut m, 0, 5);
        m.link_down(link(1), at(5 * SECS));
        run(&mut m, 6, 100);
        // Back: the stream kept `heard`'s beat of 50 s; `silent` sent nothing (dead, or
        // the broker was down too: the monitor cannot tell).
        beat(&mut m, Some(link(1)), "heard", "beat/10", 50 * SECS);
        m.link_up(link(1), at(100 * SECS));
        let changes = run(&mut m, 100, 200);
        // `heard` is judged by its beat of 50 s (late at 65 s, dead at 80 s: found at once);
        // `silent` is forgiven the 95 s outage (late at 15 + 95 = 110 s, dead at 125 s).
        assert_eq!(
            changes,
            [
                ("heard".to_owned(), State::Late, Reason::Overdue, 65 * SECS),
                ("heard".to_owned(), State::Dead, Reason::Silent, 80 * SECS),
                (
                    "silent".to_owned(),
                    State::Late,
                    Reason::Overdue,
                    110 * SECS
                ),
                ("silent".to_owned(), State::Dead, Reason::Silent, 125 * SECS),
            ]
        );
    }

    #[test]
    fn a_connection_lost_while_replaying_forgives_the_whole_hold() {
        let mut m = monitor();
        beat(&mut m, Some(link(1)), "api", "beat/10", 0);
        run(&mut m, 0, 5);
        m.link_replaying(link(1), at(5 * SECS));
        // The broker cannot be reached while the monitor catches up.
        m.link_down(link(1), at(20 * SECS));
        assert_eq!(m.link_down_since(link(1)), Some(at(5 * SECS)));
        m.link_up(link(1), at(105 * SECS));
        // Forgiven from 5 s to 105 s: late at 115 s.
        let changes = run(&mut m, 105, 116);
        assert_eq!(
            changes,
            [("api".to_owned(), State::Late, Reason::Overdue, 115 * SECS)]
        );
    }

    #[test]
    fn a_link_that_is_not_durable_is_forgiven_a_stall_as_before() {
        let mut m = monitor();
        beat(&mut m, Some(link(2)), "api", "beat/10", 0);
        run(&mut m, 0, 1);
        let (changes, stalled) = poll_all(&mut m, 100 * SECS);
        assert!(stalled);
        assert_eq!(changes, []);
        assert_eq!(m.link_down_since(link(2)), None, "not held");
        // Forgiven 99 s: late at 15 + 99 = 114 s.
        let changes = run(&mut m, 101, 114);
        assert_eq!(
            changes,
            [("api".to_owned(), State::Late, Reason::Overdue, 114 * SECS)]
        );
    }
}
