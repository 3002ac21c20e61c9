//! `spec/liveness.md` §6.5, rule by rule: a durable link replays what the monitor
//! itself missed, so its processes are held, not forgiven, until it has caught up, and
//! then judged by the replayed beats with their own times.

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

/// The default stall rule (5 s), which the durable rules change.
fn monitor() -> Monitor {
    Monitor::new(Config::default())
}

fn beat(m: &mut Monitor, via: Option<Link>, process: &str, payload: &str, t: i64) {
    let subject = format!("heartbeat.{process}");
    let message = Message::decode_str(&subject, payload.as_bytes()).expect("a valid message");
    if let Err(e) = m.observe_text_via(via, &message, at(t)) {
        panic!("{process} at {t} ms: {e}");
    }
}

/// (process, new state, reason, ms) of the changes a poll at `t` reports, and whether
/// it reported a stall.
fn poll(m: &mut Monitor, t: i64) -> (Vec<(String, State, Reason, i64)>, bool) {
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
        all.extend(poll(m, s * SECS).0);
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
    let (changes, stalled) = poll(&mut m, 60 * SECS);
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
    assert_eq!(poll(&mut m, 61 * SECS).0, []);
    m.link_up(link(1), at(61 * SECS));
    let changes = poll(&mut m, 61 * SECS).0;
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
    let (changes, _) = poll(&mut m, 102 * SECS);
    assert_eq!(changes, [], "nobody convicted before the replay");
    for t in (5..=100).step_by(5) {
        beat(&mut m, Some(link(1)), "api", "beat/5", t * SECS);
    }
    m.link_up(link(1), at(102 * SECS));
    assert_eq!(poll(&mut m, 102 * SECS).0, []);
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
    let (changes, stalled) = poll(&mut m, 100 * SECS);
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
