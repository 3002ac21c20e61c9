//! `spec/liveness.md` §6.4, rule by rule: a transport outage suspends the conviction of
//! the processes last heard through it, and its end is forgiven as a stall is.

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
