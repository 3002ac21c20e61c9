//! The tables of `spec/liveness.md`, row by row, on a virtual clock.

use std::time::Duration;

use heartwire::command::{Envelope, GraceRule};
use heartwire::record::{DEFAULT_INTERVAL, Liveness, Record, classify_at};
use heartwire::text::{Message, Process};
use heartwire::time::{Timestamp, UnixTime};
use heartwire_liveness::detector::{DetectorChoice, PhiConfig};
use heartwire_liveness::{Cap, Config, Event, Monitor, Reason, Rejected, Snapshot, Source, State};

/// 2023-11-14T22:13:20Z, a whole minute divisible by 5 minutes... and by 10.
const BASE: i64 = 1_700_000_000;

/// The instant `ms` milliseconds after [`BASE`].
fn at(ms: i64) -> UnixTime {
    let nanos = i128::from(BASE) * 1_000_000_000 + i128::from(ms) * 1_000_000;
    UnixTime::new(
        i64::try_from(nanos.div_euclid(1_000_000_000)).expect("in range"),
        u32::try_from(nanos.rem_euclid(1_000_000_000)).expect("in range"),
    )
}

/// Milliseconds after [`BASE`].
fn ms(t: UnixTime) -> i64 {
    i64::try_from((t.as_nanos() - i128::from(BASE) * 1_000_000_000) / 1_000_000).expect("ms")
}

const SECS: i64 = 1000;
const MINS: i64 = 60 * SECS;

/// A monitor that never sees a stall, for tests that poll sparsely.
fn calm() -> Monitor {
    Monitor::new(calm_config())
}

fn calm_config() -> Config {
    Config {
        stall_after: Duration::from_secs(1 << 40),
        ..Config::default()
    }
}

fn text(monitor: &mut Monitor, process: &str, payload: &str, t: i64) -> Result<State, Rejected> {
    let subject = format!("heartbeat.{process}");
    let message = Message::decode_str(&subject, payload.as_bytes()).expect("a valid message");
    monitor.observe_text(&message, at(t))
}

fn record(
    monitor: &mut Monitor,
    service: &str,
    sent: i64,
    received: i64,
) -> Result<State, Rejected> {
    let timestamp = Timestamp::from_unix_micros(at(sent));
    let doc = format!(
        r#"{{"service_name":"{service}","instance_id":"a1b2c3d4-e5f6-7890-abcd-ef1234567890","timestamp":"{timestamp}"}}"#
    );
    let record = Record::decode(doc.as_bytes()).expect("a valid record");
    monitor.observe_record(&record, at(received))
}

fn command(monitor: &mut Monitor, id: &str, command: &str, t: i64) -> Result<State, Rejected> {
    let doc = format!(
        r#"{{"id":"{id}","meta":{{"service":"Platform.Plugin","time":"2024-01-26T10:30:00.000Z","msgId":"m-1","correlationId":"c-1"}},"command":{command}}}"#
    );
    let envelope = Envelope::decode(doc.as_bytes()).expect("a valid envelope");
    monitor.observe_command(&envelope, at(t))
}

fn process(name: &str) -> Process<'_> {
    Process::new(name).expect("a valid process name")
}

/// The changes among `events`: (process, old, new, reason, ms).
fn changes(
    events: impl IntoIterator<Item = Event>,
) -> Vec<(String, Option<State>, State, Reason, i64)> {
    events
        .into_iter()
        .filter_map(|e| match e {
            Event::Changed(c) => Some((c.process, c.old, c.new, c.reason, ms(c.at))),
            _ => None,
        })
        .collect()
}

fn poll(monitor: &mut Monitor, t: i64) -> Vec<(String, Option<State>, State, Reason, i64)> {
    changes(monitor.poll(at(t)).collect::<Vec<_>>())
}

fn change(
    process: &str,
    old: Option<State>,
    new: State,
    reason: Reason,
    t: i64,
) -> (String, Option<State>, State, Reason, i64) {
    (process.to_owned(), old, new, reason, t)
}

#[test]
fn beatit_table() {
    use State::*;
    let mut m = calm();
    let p = "billing.worker-1";
    assert_eq!(text(&mut m, p, "start/10", 0), Ok(Starting));
    assert_eq!(
        poll(&mut m, 0),
        [change(p, None, Starting, Reason::Start, 0)]
    );
    // Late at 1.5 × W, to the nanosecond.
    assert_eq!(poll(&mut m, 15 * SECS - 1), []);
    assert_eq!(m.poll(UnixTime::new(BASE + 14, 999_999_999)).count(), 0);
    assert_eq!(
        poll(&mut m, 15 * SECS),
        [change(p, Some(Starting), Late, Reason::Overdue, 15 * SECS)]
    );
    assert_eq!(text(&mut m, p, "beat/5", 16 * SECS), Ok(Alive));
    assert_eq!(text(&mut m, p, "degraded/5", 20 * SECS), Ok(Degraded));
    assert_eq!(
        poll(&mut m, 26 * SECS),
        [
            change(p, Some(Late), Alive, Reason::Beat, 16 * SECS),
            change(p, Some(Alive), Degraded, Reason::Degraded, 20 * SECS),
        ]
    );
    // Late at 20 + 7.5 s, dead at 20 + 15 s; one poll after both sees both, in order.
    assert_eq!(
        poll(&mut m, 40 * SECS),
        [
            change(p, Some(Degraded), Late, Reason::Overdue, 27_500),
            change(p, Some(Late), Dead, Reason::Silent, 35 * SECS),
        ]
    );
    assert_eq!(poll(&mut m, 41 * SECS), []);
    // A restart: dead, then alive again.
    assert_eq!(text(&mut m, p, "beat/5", 42 * SECS), Ok(Alive));
    assert_eq!(text(&mut m, p, "stop", 43 * SECS), Ok(Stopped));
    assert_eq!(
        poll(&mut m, 44 * SECS),
        [
            change(p, Some(Dead), Alive, Reason::Beat, 42 * SECS),
            change(p, Some(Alive), Stopped, Reason::Stop, 43 * SECS),
        ]
    );
    // Stopped is never dead.
    assert_eq!(poll(&mut m, 100_000 * SECS), []);
    assert_eq!(m.get(Source::Text, p).map(|v| v.state), Some(Stopped));
    assert_eq!(m.next_deadline(), None);
}

#[test]
fn a_beat_that_keeps_the_state_emits_nothing_and_moves_the_deadline() {
    let mut m = calm();
    for i in 0..100 {
        assert_eq!(text(&mut m, "p", "beat/2", i * SECS), Ok(State::Alive));
    }
    assert_eq!(
        poll(&mut m, 100 * SECS),
        [change("p", None, State::Alive, Reason::Beat, 0)]
    );
    assert_eq!(poll(&mut m, 101_999), []);
    assert_eq!(
        poll(&mut m, 102 * SECS),
        [change(
            "p",
            Some(State::Alive),
            State::Late,
            Reason::Overdue,
            102 * SECS
        )]
    );
    // A shorter period moves the deadline earlier.
    assert_eq!(text(&mut m, "q", "beat/60", 0), Ok(State::Alive));
    assert_eq!(text(&mut m, "q", "beat/1", SECS), Ok(State::Alive));
    assert_eq!(
        poll(&mut m, 2500),
        [
            change("q", None, State::Alive, Reason::Beat, 0),
            change("q", Some(State::Alive), State::Late, Reason::Overdue, 2500),
        ]
    );
}

#[test]
fn records_follow_the_seed_rule() {
    use State::*;
    let mut m = calm();
    assert_eq!(record(&mut m, "tracker_fetcher", 0, SECS), Ok(Alive));
    assert_eq!(
        poll(&mut m, 90 * SECS - 1),
        [change("tracker_fetcher", None, Alive, Reason::Record, SECS)]
    );
    assert_eq!(
        poll(&mut m, 90 * SECS),
        [change(
            "tracker_fetcher",
            Some(Alive),
            Late,
            Reason::Overdue,
            90 * SECS
        )]
    );
    assert_eq!(
        poll(&mut m, 180 * SECS),
        [change(
            "tracker_fetcher",
            Some(Late),
            Dead,
            Reason::Silent,
            180 * SECS
        )]
    );
    // An old record is judged by its age at once.
    assert_eq!(record(&mut m, "old", 0, 100 * SECS), Ok(Late));
    assert_eq!(record(&mut m, "older", 0, 200 * SECS), Ok(Dead));
    // Order, duplicates and the future (`spec/liveness.md` §5).
    assert_eq!(
        record(&mut m, "tracker_fetcher", 240 * SECS, 240 * SECS),
        Ok(Alive)
    );
    assert_eq!(
        record(&mut m, "tracker_fetcher", 240 * SECS, 241 * SECS),
        Err(Rejected::Duplicate)
    );
    assert!(matches!(
        record(&mut m, "tracker_fetcher", 200 * SECS, 242 * SECS),
        Err(Rejected::OutOfOrder { .. })
    ));
    assert_eq!(
        record(&mut m, "skewed", 306 * SECS, 300 * SECS),
        Err(Rejected::FutureDated {
            ahead: Duration::from_secs(6)
        })
    );
    assert_eq!(record(&mut m, "ahead", 305 * SECS, 300 * SECS), Ok(Alive));
    assert!(m.get(Source::Record, "skewed").is_none());
}

#[test]
fn record_states_agree_with_classify_at() {
    // Every poll time around the boundaries, for odd intervals too.
    for interval_ms in [1u64, 3, 1000, 60_000, 77_777] {
        let interval = Duration::from_millis(interval_ms);
        let mut m = Monitor::new(Config {
            record_interval: interval,
            stall_after: Duration::from_secs(1 << 40),
            ..Config::default()
        });
        assert_eq!(record(&mut m, "svc", 0, 0), Ok(State::Alive));
        let boundaries = [
            interval_ms * 3 / 2,
            interval_ms * 3 / 2 + 1,
            interval_ms * 3,
            interval_ms * 3 + 1,
        ];
        let mut times: Vec<i64> = boundaries
            .iter()
            .flat_map(|&b| [b.saturating_sub(1), b])
            .map(|t| i64::try_from(t).expect("small"))
            .collect();
        times.sort_unstable();
        for t in times {
            m.poll(at(t)).for_each(drop);
            let want = match classify_at(at(0), at(t), interval) {
                Liveness::Alive => State::Alive,
                Liveness::Stale => State::Late,
                _ => State::Dead,
            };
            assert_eq!(
                m.get(Source::Record, "svc").map(|v| v.state),
                Some(want),
                "{interval_ms} ms at {t}"
            );
        }
    }
    assert_eq!(DEFAULT_INTERVAL, Config::default().record_interval);
}

#[test]
fn reventless_table() {
    use State::*;
    let mut m = calm();
    assert_eq!(
        command(&mut m, "geo@1.0.0", r#"{"TAG":"Heartbeat","_0":10}"#, 0),
        Ok(Alive)
    );
    assert_eq!(
        poll(&mut m, 15 * MINS - 1),
        [change("geo@1.0.0", None, Alive, Reason::Heartbeat, 0)]
    );
    assert_eq!(
        poll(&mut m, 15 * MINS),
        [change(
            "geo@1.0.0",
            Some(Alive),
            Disconnected,
            Reason::Grace,
            15 * MINS
        )]
    );
    // 5 -> 7 minutes; the decco encoding.
    assert_eq!(command(&mut m, "five", r#"["Heartbeat",5]"#, 0), Ok(Alive));
    assert_eq!(
        poll(&mut m, 7 * MINS),
        [
            change("five", None, Alive, Reason::Heartbeat, 0),
            change("five", Some(Alive), Disconnected, Reason::Grace, 7 * MINS),
        ]
    );
    // A heartbeat reconnects; DisconnectPlugin disconnects at once.
    assert_eq!(
        command(&mut m, "five", r#""Heartbeat(5)""#, 8 * MINS),
        Ok(Alive)
    );
    assert_eq!(
        command(&mut m, "five", r#""DisconnectPlugin""#, 9 * MINS),
        Ok(Disconnected)
    );
    assert_eq!(
        command(&mut m, "new", r#"["ConnectPlugin"]"#, 9 * MINS),
        Ok(Starting)
    );
    assert_eq!(
        poll(&mut m, 30 * MINS).last(),
        Some(&change(
            "new",
            Some(Starting),
            Disconnected,
            Reason::Grace,
            24 * MINS
        ))
    );
    assert!(matches!(
        command(&mut m, "geo@1.0.0", r#"["Frobnicate",1]"#, 31 * MINS),
        Err(Rejected::NotAHeartbeat { .. })
    ));
    // The longest timeout there is: a grace beyond what a u64 of nanoseconds holds.
    assert_eq!(
        command(&mut m, "forever", r#"["Heartbeat",2147483647]"#, 0),
        Ok(Alive)
    );
    let far = poll(&mut m, 100 * 365 * 24 * 60 * MINS);
    assert_eq!(far, [change("forever", None, Alive, Reason::Heartbeat, 0)]);
    assert_eq!(
        m.get(Source::Command, "forever").map(|v| v.state),
        Some(Alive)
    );
    // The older rule: 10 -> 12.
    let mut fixed = Monitor::new(Config {
        grace_rule: GraceRule::Fixed,
        stall_after: Duration::from_secs(1 << 40),
        ..Config::default()
    });
    assert_eq!(command(&mut fixed, "p", r#""Heartbeat(10)""#, 0), Ok(Alive));
    assert_eq!(
        poll(&mut fixed, 12 * MINS).last(),
        Some(&change(
            "p",
            Some(Alive),
            Disconnected,
            Reason::Grace,
            12 * MINS
        ))
    );
}

#[test]
fn pings_on_a_schedule() {
    use State::*;
    let mut m = calm();
    let pinger = process("camera-1");
    let rate = "Minutes(5)".parse().expect("a rate");
    // BASE is 22:13:20; registered at 22:15:00 (100 s later).
    let t0 = 100 * SECS;
    assert_eq!(m.expect_pings(&pinger, rate, at(t0)), Ok(Starting));
    // The next fire time is 22:20:00; late a minute after it, dead a minute after the
    // third (22:30:00).
    assert_eq!(
        poll(&mut m, t0 + 6 * MINS - 1),
        [change("camera-1", None, Starting, Reason::Registered, t0)]
    );
    assert_eq!(
        poll(&mut m, t0 + 6 * MINS),
        [change(
            "camera-1",
            Some(Starting),
            Late,
            Reason::Missed,
            t0 + 6 * MINS
        )]
    );
    assert_eq!(
        poll(&mut m, t0 + 16 * MINS),
        [change(
            "camera-1",
            Some(Late),
            Dead,
            Reason::Silent,
            t0 + 16 * MINS
        )]
    );
    // A ping at 22:31:10 (the 22:30 one, late): alive, next due 22:35 + 1 min.
    let ping = t0 + 16 * MINS + 10 * SECS;
    assert_eq!(m.observe_ping(&pinger, at(ping)), Ok(Alive));
    assert_eq!(
        poll(&mut m, t0 + 21 * MINS - 1),
        [change("camera-1", Some(Dead), Alive, Reason::Ping, ping)]
    );
    assert_eq!(
        poll(&mut m, t0 + 21 * MINS),
        [change(
            "camera-1",
            Some(Alive),
            Late,
            Reason::Missed,
            t0 + 21 * MINS
        )]
    );
    assert_eq!(
        m.observe_ping(&process("unknown"), at(0)),
        Err(Rejected::NotRegistered)
    );
}

/// The Intervalometerator's 30-minute pinger fires at :15 and :45: registered as
/// `Minutes(30)` anchored at 00:15, it is never late while it keeps its schedule.
#[test]
fn pings_on_an_offset_schedule() {
    use State::*;
    let mut m = calm();
    let pinger = process("camera-2");
    let rate = "Minutes(30)".parse().expect("a rate");
    let quarter = UnixTime::new(15 * 60, 0);
    // BASE is 22:13:20; registered with its boot ping at 22:15:00 (100 s later).
    let t0 = 100 * SECS;
    assert_eq!(
        m.expect_pings_anchored(&pinger, rate, quarter, at(t0)),
        Ok(Starting)
    );
    assert_eq!(m.observe_ping(&pinger, at(t0)), Ok(Alive));
    // Pings at 22:45:05, 23:15:03 and 23:45:09: each within a minute of its fire time.
    let mut events = poll(&mut m, t0);
    for (k, late_by) in [(1, 5), (2, 3), (3, 9)] {
        let ping = t0 + k * 30 * MINS + late_by * SECS;
        events.extend(poll(&mut m, ping - 1));
        assert_eq!(m.observe_ping(&pinger, at(ping)), Ok(Alive));
    }
    assert!(
        events.iter().all(|c| c.2 != Late),
        "an offset pinger went late: {events:?}"
    );
    // The 00:15 ping does not come: late at 00:16, a minute after its fire time.
    assert_eq!(poll(&mut m, t0 + 121 * MINS - 1), []);
    assert_eq!(
        poll(&mut m, t0 + 121 * MINS),
        [change(
            "camera-2",
            Some(Alive),
            Late,
            Reason::Missed,
            t0 + 121 * MINS
        )]
    );
    // Epoch-anchored, the same pinger would have been late at 22:31 already.
    let mut epoch = calm();
    epoch
        .expect_pings(&pinger, rate, at(t0))
        .expect("registers");
    epoch.observe_ping(&pinger, at(t0)).expect("a ping");
    assert!(poll(&mut epoch, t0 + 16 * MINS).iter().any(|c| c.2 == Late));
    // The anchor survives a snapshot.
    let restored = Monitor::restore(Config::default(), m.snapshot()).expect("restores");
    assert_eq!(restored.snapshot(), m.snapshot());
}

/// A service that publishes every 10 minutes is judged by its own interval, set per
/// service; the others by the monitor's (60 s). The setting survives a snapshot.
#[test]
fn record_intervals_per_service() {
    use State::*;
    use heartwire::record::ServiceName;
    let mut m = calm();
    let slow = ServiceName::new("nightly_export").expect("a service name");
    m.set_record_interval(&slow, Duration::from_secs(600));
    // Both records are two minutes old when received.
    assert_eq!(record(&mut m, "nightly_export", 0, 2 * MINS), Ok(Alive));
    assert_eq!(record(&mut m, "billing", 0, 2 * MINS), Ok(Late));
    // billing: dead at 3 minutes; nightly_export: late at 15, dead at 30.
    let events = poll(&mut m, 29 * MINS);
    assert!(events.contains(&change(
        "billing",
        Some(Late),
        Dead,
        Reason::Silent,
        3 * MINS
    )));
    assert!(events.contains(&change(
        "nightly_export",
        Some(Alive),
        Late,
        Reason::Overdue,
        15 * MINS
    )));
    let mut restored = Monitor::restore(calm_config(), m.snapshot()).expect("restores");
    assert_eq!(restored.snapshot(), m.snapshot());
    assert_eq!(
        poll(&mut restored, 30 * MINS),
        [change(
            "nightly_export",
            Some(Late),
            Dead,
            Reason::Silent,
            30 * MINS
        )]
    );
    // Set on a tracked service, it applies at once: a shorter interval makes it late.
    let mut m = calm();
    assert_eq!(record(&mut m, "billing", 0, 0), Ok(Alive));
    m.set_record_interval(
        &ServiceName::new("billing").expect("a service name"),
        Duration::from_secs(10),
    );
    assert_eq!(
        poll(&mut m, 15 * SECS),
        [
            change("billing", None, Alive, Reason::Record, 0),
            change("billing", Some(Alive), Late, Reason::Overdue, 15 * SECS)
        ]
    );
}

#[test]
fn out_of_order_text_is_rejected() {
    let mut m = calm();
    assert_eq!(text(&mut m, "p", "beat/5", 10 * SECS), Ok(State::Alive));
    assert_eq!(
        text(&mut m, "p", "stop", 9 * SECS),
        Err(Rejected::OutOfOrder {
            last: at(10 * SECS)
        })
    );
    assert_eq!(
        m.get(Source::Text, "p").map(|v| v.state),
        Some(State::Alive)
    );
    // Same name, other source: another process.
    assert_eq!(record(&mut m, "p", 0, 0), Ok(State::Alive));
    assert_eq!(m.len(), 2);
}

#[test]
fn caps() {
    let mut m = Monitor::new(Config {
        max_processes: 2,
        max_beats_per_second: 3,
        ..Config::default()
    });
    assert_eq!(text(&mut m, "a", "beat/5", 0), Ok(State::Alive));
    assert_eq!(text(&mut m, "b", "beat/5", 0), Ok(State::Alive));
    assert_eq!(
        text(&mut m, "c", "beat/5", 0),
        Err(Rejected::TooManyProcesses)
    );
    assert_eq!(
        text(&mut m, "d", "beat/5", 0),
        Err(Rejected::TooManyProcesses)
    );
    let capped: Vec<Event> = m
        .drain_events()
        .filter(|e| matches!(e, Event::Capped { .. }))
        .collect();
    assert_eq!(
        capped,
        [Event::Capped {
            cap: Cap::Processes,
            process: "c".into(),
            source: Source::Text,
            at: at(0)
        }]
    );
    assert!(m.forget(Source::Text, "b"));
    assert!(!m.forget(Source::Text, "b"));
    assert_eq!(text(&mut m, "d", "beat/5", 0), Ok(State::Alive));
    // Three per second: the fourth and fifth are rejected, with one event.
    assert_eq!(text(&mut m, "a", "beat/5", 100), Ok(State::Alive));
    assert_eq!(text(&mut m, "a", "beat/5", 200), Ok(State::Alive));
    assert_eq!(text(&mut m, "a", "beat/5", 300), Err(Rejected::RateLimited));
    assert_eq!(text(&mut m, "a", "beat/5", 400), Err(Rejected::RateLimited));
    assert_eq!(text(&mut m, "a", "beat/5", SECS), Ok(State::Alive));
    let capped: Vec<Event> = m
        .drain_events()
        .filter(|e| matches!(e, Event::Capped { .. }))
        .collect();
    assert_eq!(
        capped,
        [Event::Capped {
            cap: Cap::Rate,
            process: "a".into(),
            source: Source::Text,
            at: at(300)
        }]
    );
    let long = "x".repeat(256);
    assert_eq!(
        command(&mut m, &long, r#""Heartbeat(5)""#, 0),
        Err(Rejected::NameTooLong { len: 256 })
    );
}

/// A caller may sleep until `next_deadline()`, however far off: a poll then is on time,
/// not a stall, with the default `stall_after` of 5 s.
#[test]
fn polls_at_the_next_deadline_are_no_stall() {
    let mut m = Monitor::default();
    assert_eq!(text(&mut m, "slow", "beat/60", 0), Ok(State::Alive));
    let mut seen = Vec::new();
    for _ in 0..4 {
        let Some(due) = m.next_deadline() else { break };
        let events: Vec<Event> = m.poll(due).collect();
        assert!(
            !events.iter().any(|e| matches!(e, Event::Stalled { .. })),
            "{events:?}"
        );
        seen.extend(changes(events));
    }
    assert_eq!(
        seen,
        [
            ("slow".into(), None, State::Alive, Reason::Beat, 0),
            (
                "slow".into(),
                Some(State::Alive),
                State::Late,
                Reason::Overdue,
                90 * SECS
            ),
            (
                "slow".into(),
                Some(State::Late),
                State::Dead,
                Reason::Silent,
                180 * SECS
            ),
        ]
    );
    assert_eq!(m.next_deadline(), None);
}

/// A poll more than `stall_after` past a deadline that was due is a stall, even when the
/// previous poll is recent enough; a steady one-second cadence never is.
#[test]
fn a_stall_is_a_poll_overdue_past_a_deadline() {
    let mut m = Monitor::default();
    assert_eq!(text(&mut m, "a", "beat/2", 0), Ok(State::Alive));
    // Every second up to the late deadline (3 s) and beyond: no stall, a goes late.
    let mut events = Vec::new();
    for t in 1..=4 {
        events.extend(m.poll(at(t * SECS)));
    }
    assert!(!events.iter().any(|e| matches!(e, Event::Stalled { .. })));
    assert_eq!(
        changes(events),
        [
            ("a".into(), None, State::Alive, Reason::Beat, 0),
            (
                "a".into(),
                Some(State::Alive),
                State::Late,
                Reason::Overdue,
                3 * SECS
            )
        ]
    );
    // Dead is due at 6 s; the next poll comes at 12 s, 6 s past it: a stall.
    let events: Vec<Event> = m.poll(at(12 * SECS)).collect();
    assert_eq!(
        events,
        [Event::Stalled {
            from: at(4 * SECS),
            to: at(12 * SECS)
        }]
    );
    // The silence before the gap (4 s) counts: dead 2 s after it, at 14 s.
    assert_eq!(poll(&mut m, 13 * SECS), []);
    assert_eq!(
        poll(&mut m, 14 * SECS),
        [change(
            "a",
            Some(State::Late),
            State::Dead,
            Reason::Silent,
            14 * SECS
        )]
    );
}

#[test]
fn a_stall_convicts_nobody() {
    let mut m = Monitor::default();
    for t in 0..=10 {
        for p in ["a", "b"] {
            assert_eq!(text(&mut m, p, "beat/2", t * SECS), Ok(State::Alive));
        }
        m.poll(at(t * SECS)).for_each(drop);
    }
    // b is heard from during the gap; nobody polls for a minute.
    assert_eq!(text(&mut m, "b", "beat/2", 40 * SECS), Ok(State::Alive));
    let events: Vec<Event> = m.poll(at(70 * SECS)).collect();
    assert_eq!(
        events,
        [Event::Stalled {
            from: at(10 * SECS),
            to: at(70 * SECS)
        }]
    );
    // a's silence before the gap (none) still counts: late 3 s after the stall's end.
    assert_eq!(poll(&mut m, 72 * SECS), []);
    assert_eq!(
        poll(&mut m, 73 * SECS),
        [
            change(
                "a",
                Some(State::Alive),
                State::Late,
                Reason::Overdue,
                73 * SECS
            ),
            change(
                "b",
                Some(State::Alive),
                State::Late,
                Reason::Overdue,
                73 * SECS
            ),
        ]
    );
    // A receive time inside the gap is now out of order.
    assert!(matches!(
        text(&mut m, "a", "beat/2", 60 * SECS),
        Err(Rejected::OutOfOrder { .. })
    ));
}

#[test]
fn phi_accrual_per_process() {
    let mut m = calm();
    let phi = process("cluster.node-1");
    m.choose_detector(&phi, DetectorChoice::Phi(PhiConfig::default()));
    for t in 0..20 {
        assert_eq!(
            text(&mut m, "cluster.node-1", "beat/1", t * SECS),
            Ok(State::Alive)
        );
        assert_eq!(text(&mut m, "plain", "beat/1", t * SECS), Ok(State::Alive));
    }
    m.poll(at(19 * SECS)).for_each(drop);
    let events = poll(&mut m, 60 * SECS);
    let reasons: Vec<(&str, Reason)> = events.iter().map(|c| (c.0.as_str(), c.3)).collect();
    // The deadline detector convicts at 3 periods; phi waits for the acceptable pause.
    assert_eq!(
        reasons,
        [
            ("plain", Reason::Overdue),
            ("plain", Reason::Silent),
            ("cluster.node-1", Reason::Suspected),
            ("cluster.node-1", Reason::Convicted),
        ]
    );
    let convicted = events[3].4;
    assert!(
        convicted > 22 * SECS && convicted < 25 * SECS,
        "{convicted}"
    );
    let phi_now = m.suspicion(Source::Text, "cluster.node-1", at(convicted + 1));
    assert!(phi_now.is_some_and(|p| p >= 8.0));
}

#[test]
fn snapshot_round_trip_forgets_nobody_and_convicts_nobody() {
    let mut m = Monitor::default();
    m.choose_detector(&process("phi"), DetectorChoice::Phi(PhiConfig::default()));
    for t in 0..5 {
        text(&mut m, "phi", "beat/1", t * SECS).expect("accepted");
        text(&mut m, "deadline", "degraded/2", t * SECS).expect("accepted");
        m.poll(at(t * SECS)).for_each(drop);
    }
    text(&mut m, "gone", "stop", 4 * SECS).expect("accepted");
    record(&mut m, "svc", 4 * SECS, 4 * SECS).expect("accepted");
    command(&mut m, "plugin@1", r#""Heartbeat(5)""#, 4 * SECS).expect("accepted");
    m.expect_pings(
        &process("pinger"),
        "Minutes(5)".parse().expect("rate"),
        at(4 * SECS),
    )
    .expect("accepted");
    m.poll(at(4 * SECS)).for_each(drop);
    let snapshot = m.snapshot();
    let json = serde_json::to_string(&snapshot).expect("serializes");
    let back: Snapshot = serde_json::from_str(&json).expect("deserializes");
    assert_eq!(back, snapshot);
    let mut restored = Monitor::restore(Config::default(), back).expect("restores");
    assert_eq!(restored.snapshot(), snapshot);
    assert_eq!(restored.len(), 6);
    let states = |m: &Monitor| {
        let mut s: Vec<(String, State)> = m
            .processes()
            .map(|p| (p.name.to_owned(), p.state))
            .collect();
        s.sort();
        s
    };
    let before = states(&restored);
    // An hour later: a stall, nobody convicted.
    let events: Vec<Event> = restored.poll(at(3600 * SECS)).collect();
    assert_eq!(
        events,
        [Event::Stalled {
            from: at(4 * SECS),
            to: at(3600 * SECS)
        }]
    );
    assert_eq!(states(&restored), before);
    // Still silent afterwards: now they go late and dead, one event each.
    let later = poll(&mut restored, 3603 * SECS);
    assert!(
        later
            .iter()
            .any(|c| c.0 == "deadline" && c.2 == State::Late)
    );
    // The original and the restored monitor agree from the snapshot on.
    let mut original_events: Vec<Event> = m.poll(at(5 * SECS)).collect();
    let mut copy = Monitor::restore(Config::default(), m.snapshot()).expect("restores");
    original_events.extend(m.poll(at(9 * SECS)));
    let copy_events: Vec<Event> = copy.poll(at(9 * SECS)).collect();
    assert_eq!(
        changes(copy_events),
        changes(original_events.into_iter().filter(|e| match e {
            Event::Changed(c) => c.at > at(5 * SECS),
            _ => true,
        }))
    );
    // A broken snapshot is a typed error.
    let broken = json.replacen("\"phi\"", "\"p*\"", 1);
    let broken: Snapshot = serde_json::from_str(&broken).expect("deserializes");
    assert!(Monitor::restore(Config::default(), broken).is_err());
}

#[test]
fn exponential_for_the_whole_monitor_and_warm_up_by_deadline() {
    use heartwire_liveness::detector::ExponentialConfig;
    let mut m = Monitor::new(Config {
        detector: DetectorChoice::Exponential(ExponentialConfig::default()),
        stall_after: Duration::from_secs(1 << 40),
        ..Config::default()
    });
    // The warm-up is judged by its deadline, whatever the detector.
    assert_eq!(text(&mut m, "w", "start/10", 0), Ok(State::Starting));
    assert_eq!(
        poll(&mut m, 15 * SECS).last(),
        Some(&change(
            "w",
            Some(State::Starting),
            State::Late,
            Reason::Overdue,
            15 * SECS
        ))
    );
    for t in 0..20 {
        assert_eq!(text(&mut m, "e", "beat/1", t * SECS), Ok(State::Alive));
    }
    let events = poll(&mut m, 60 * SECS);
    let e: Vec<_> = events.iter().filter(|c| c.0 == "e").collect();
    assert_eq!(e.len(), 3, "{e:?}");
    assert_eq!((e[1].3, e[2].3), (Reason::Suspected, Reason::Convicted));
    // Intervals 2 s (Cassandra's initial value), then 19 of 1 s: a mean of 1.05 s, so
    // suspect after ln 10 × 1.05 s and convicted after 8 ln 10 × 1.05 s.
    let mean = 21.0 / 20.0;
    let suspected = (19.0 + std::f64::consts::LN_10 * mean) * 1000.0;
    let convicted = (19.0 + 8.0 * std::f64::consts::LN_10 * mean) * 1000.0;
    assert!(
        (e[1].4 as f64 - suspected).abs() <= 1.0,
        "{} vs {suspected}",
        e[1].4
    );
    assert!(
        (e[2].4 as f64 - convicted).abs() <= 1.0,
        "{} vs {convicted}",
        e[2].4
    );
}

#[test]
fn a_batch_is_the_same_as_one_at_a_time() {
    let names: Vec<String> = (0..50).map(|i| format!("batch.p-{i}")).collect();
    let mut batch = Vec::new();
    for round in 0..40i64 {
        for (i, name) in names.iter().enumerate() {
            let payload = match (round + i as i64) % 7 {
                0 => "start/3",
                1 => "degraded/2",
                2 => "stop",
                _ => "beat/2",
            };
            let subject = format!("heartbeat.{name}");
            let message = Message::decode_str(&subject, payload.as_bytes())
                .expect("a valid message")
                .into_owned();
            // Some out of order, and bursts beyond the rate cap.
            let back = if i % 11 == 0 && round % 2 == 1 {
                1000
            } else {
                0
            };
            let t = round * 700 + (i as i64 % 3) * 10 - back;
            let copies = if i % 5 == 0 { 3 } else { 1 };
            for _ in 0..copies {
                batch.push((message.clone(), at(t)));
            }
        }
    }
    let config = Config {
        max_beats_per_second: 2,
        ..Config::default()
    };
    let mut one = Monitor::new(config.clone());
    let mut many = Monitor::new(config);
    let singles: Vec<Result<State, Rejected>> =
        batch.iter().map(|(m, t)| one.observe_text(m, *t)).collect();
    let mut batched = Vec::new();
    many.observe_texts(&batch, &mut batched);
    assert_eq!(singles, batched);
    let rejected = |r: &Rejected| {
        singles
            .iter()
            .any(|s| s.as_ref().err().map(Rejected::code) == Some(r.code()))
    };
    assert!(rejected(&Rejected::RateLimited) && rejected(&Rejected::OutOfOrder { last: at(0) }));
    assert!(singles.iter().filter(|r| r.is_ok()).count() > 1000);
    assert_eq!(
        one.poll(at(60 * SECS)).collect::<Vec<_>>(),
        many.poll(at(60 * SECS)).collect::<Vec<_>>()
    );
    assert_eq!(one.snapshot(), many.snapshot());
}

#[test]
fn a_last_will_is_a_death_at_once_and_a_signal_revives() {
    use State::*;
    let mut m = calm();
    let p = "camera.worker-2";
    assert_eq!(text(&mut m, p, "beat/60", 0), Ok(Alive));
    assert_eq!(m.next_change(Source::Text, p), Some((at(90 * SECS), Late)));
    assert_eq!(m.observe_gone(&process(p), at(5 * SECS)), Ok(Dead));
    assert_eq!(m.next_change(Source::Text, p), None);
    assert_eq!(
        poll(&mut m, 5 * SECS),
        [
            change(p, None, Alive, Reason::Beat, 0),
            change(p, Some(Alive), Dead, Reason::Gone, 5 * SECS),
        ]
    );
    // Dead is terminal: time passing changes nothing, long past every deadline.
    assert_eq!(poll(&mut m, 10 * MINS), []);
    // A restart that signals again is alive again.
    assert_eq!(text(&mut m, p, "start/600", 11 * MINS), Ok(Starting));
    assert_eq!(
        poll(&mut m, 11 * MINS),
        [change(p, Some(Dead), Starting, Reason::Start, 11 * MINS)]
    );
    // A will of a process never seen makes it known, dead.
    assert_eq!(
        m.observe_gone(&process("never.seen"), at(12 * MINS)),
        Ok(Dead)
    );
    assert_eq!(
        poll(&mut m, 12 * MINS),
        [change("never.seen", None, Dead, Reason::Gone, 12 * MINS)]
    );
}

/// A record process shows what its last accepted record said (the seed's monitor script
/// shows uptime, count, memory, CPU and the service's own members): a newer record
/// replaces it, an older or duplicate one does not, and forgetting the process drops it.
#[test]
fn a_record_process_shows_its_last_accepted_record() {
    let mut monitor = calm();
    let seed = |sent: i64, count: u64, queue: u64| {
        let timestamp = Timestamp::from_unix_micros(at(sent));
        let doc = format!(
            r#"{{"service_name":"tracker_fetcher","instance_id":"a1b2c3d4-e5f6-7890-abcd-ef1234567890","timestamp":"{timestamp}","uptime_seconds":4320.5,"heartbeat_count":{count},"memory_usage_mb":156.3,"cpu_usage_percent":12.5,"queue_size":{queue},"last_successful_operation":"2025-01-16T08:29:45.123456+00:00","api_status" : "authenticated"}}"#
        );
        Record::decode(doc.as_bytes())
            .expect("a valid record")
            .into_owned()
    };
    assert_eq!(
        monitor.observe_record(&seed(0, 72, 1380), at(0)),
        Ok(State::Alive)
    );
    let facts = |monitor: &Monitor| {
        let view = monitor
            .get(Source::Record, "tracker_fetcher")
            .expect("tracked");
        let facts = view.record.expect("record facts");
        (
            facts.instance_id().to_string(),
            facts.uptime_seconds(),
            facts.heartbeat_count(),
            facts.memory_usage_mb(),
            facts.cpu_usage_percent(),
            facts
                .extras()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>(),
        )
    };
    assert_eq!(
        facts(&monitor),
        (
            "a1b2c3d4-e5f6-7890-abcd-ef1234567890".to_owned(),
            Some(4320.5),
            Some(72),
            Some(156.3),
            Some(12.5),
            vec![
                "queue_size=1380".to_owned(),
                r#"last_successful_operation="2025-01-16T08:29:45.123456+00:00""#.to_owned(),
                r#"api_status="authenticated""#.to_owned(),
            ]
        )
    );
    assert!(
        monitor
            .observe_record(&seed(60 * SECS, 73, 7), at(60 * SECS))
            .is_ok()
    );
    assert_eq!(facts(&monitor).2, Some(73));
    // Out of order: rejected, and the facts stay those of the newest.
    assert!(
        monitor
            .observe_record(&seed(30 * SECS, 99, 9), at(61 * SECS))
            .is_err()
    );
    assert_eq!(facts(&monitor).2, Some(73));
    assert_eq!(facts(&monitor).5[0], "queue_size=7");
    // A record without measurements or members has none to show.
    assert!(record(&mut monitor, "tracker_fetcher", 120 * SECS, 120 * SECS).is_ok());
    assert_eq!(facts(&monitor).1, None);
    assert!(facts(&monitor).5.is_empty());
    // Other sources have no record facts.
    assert!(text(&mut monitor, "api", "beat/5", 0).is_ok());
    assert!(
        monitor
            .get(Source::Text, "api")
            .is_some_and(|v| v.record.is_none())
    );
    assert!(monitor.forget(Source::Record, "tracker_fetcher"));
    assert!(record(&mut monitor, "tracker_fetcher", 200 * SECS, 200 * SECS).is_ok());
    assert!(
        monitor
            .get(Source::Record, "tracker_fetcher")
            .and_then(|v| v.record)
            .is_some_and(|f| f.heartbeat_count().is_none())
    );
}

/// Forgetting most processes compacts the name arena (names move); the processes left
/// are still found, one at a time and in batches, and can be forgotten in turn.
#[test]
fn the_processes_left_are_found_after_the_names_move() {
    let mut m = Monitor::new(Config {
        max_processes: 10_000,
        ..calm_config()
    });
    let names: Vec<String> = (0..3000)
        .map(|i| format!("compaction.a-rather-long-process-name-{i}"))
        .collect();
    for name in &names {
        assert_eq!(text(&mut m, name, "beat/60", 0), Ok(State::Alive));
    }
    for name in names.iter().filter(|n| !n.ends_with('7')) {
        assert!(m.forget(Source::Text, name));
    }
    let kept: Vec<&String> = names.iter().filter(|n| n.ends_with('7')).collect();
    assert_eq!(m.len(), kept.len());
    for name in &kept {
        assert!(m.get(Source::Text, name).is_some(), "{name}");
        assert_eq!(text(&mut m, name, "beat/60", SECS), Ok(State::Alive));
    }
    let subjects: Vec<String> = kept.iter().map(|n| format!("heartbeat.{n}")).collect();
    let batch: Vec<(Message<'_>, UnixTime)> = subjects
        .iter()
        .map(|s| {
            (
                Message::decode_str(s, b"degraded/60").expect("a valid message"),
                at(2 * SECS),
            )
        })
        .collect();
    let mut results = Vec::new();
    m.observe_texts(&batch, &mut results);
    assert!(results.iter().all(|r| *r == Ok(State::Degraded)));
    assert_eq!(m.len(), kept.len());
    for name in &kept {
        assert!(m.forget(Source::Text, name));
    }
    assert!(m.is_empty());
}
