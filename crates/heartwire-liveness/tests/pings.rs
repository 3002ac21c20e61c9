//! Ping processes that report failures, and what the engine keeps of their last ping
//! (`spec/liveness.md` §3.4, issue 15): a failure is `failed` at once, with no deadline
//! until a success; kind, exit status and run id are in the view and in snapshots.

use std::time::Duration;

use heartwire::schedule::Rate;
use heartwire::text::Process;
use heartwire::time::UnixTime;
use heartwire_liveness::{
    Config, Event, MAX_RUN_ID_LEN, Monitor, PingOutcome, Reason, Rejected, RunId, RunIdError,
    Snapshot, Source, State,
};

/// 2023-11-14T22:13:20Z.
const BASE: i64 = 1_700_000_000;

fn at(secs: i64) -> UnixTime {
    UnixTime::new(BASE + secs, 0)
}

fn calm() -> Monitor {
    Monitor::new(Config {
        stall_after: Duration::from_secs(1 << 40),
        ..Config::default()
    })
}

fn name(text: &str) -> Process<'_> {
    Process::new(text).expect("a valid process name")
}

fn rate(text: &str) -> Rate {
    text.parse().expect("a valid rate")
}

fn rid(text: &str) -> Option<RunId> {
    Some(RunId::new(text).expect("a valid run id"))
}

/// (old, new, reason, seconds after BASE) of every change a poll at `secs` returns.
fn changes(monitor: &mut Monitor, secs: i64) -> Vec<(Option<State>, State, Reason, i64)> {
    monitor
        .poll(at(secs))
        .filter_map(|e| match e {
            Event::Changed(c) => Some((c.old, c.new, c.reason, c.at.secs() - BASE)),
            _ => None,
        })
        .collect()
}

fn registered(process: &str) -> Monitor {
    let mut m = calm();
    m.expect_pings(&name(process), rate("Minutes(5)"), at(100))
        .expect("registers");
    m
}

#[test]
fn a_failure_is_failed_at_once_and_never_late() {
    use State::*;
    let mut m = registered("backup");
    let p = name("backup");
    assert_eq!(m.observe_ping(&p, at(100)), Ok(Alive));
    assert_eq!(
        m.observe_ping_outcome(&p, PingOutcome::Fail, None, at(130)),
        Ok(Failed)
    );
    assert_eq!(
        changes(&mut m, 130),
        [
            (None, Starting, Reason::Registered, 100),
            (Some(Starting), Alive, Reason::Ping, 100),
            (Some(Alive), Failed, Reason::Failed, 130),
        ]
    );
    // Its schedule runs on, but a failed process is neither late nor dead: a day later
    // it is still failed, and nothing is due.
    assert_eq!(m.next_change(Source::Ping, "backup"), None);
    assert_eq!(changes(&mut m, 86_400), []);
    assert_eq!(m.get(Source::Ping, "backup").map(|v| v.state), Some(Failed));
    // A second failure changes nothing; one older than the last ping is out of order.
    assert_eq!(
        m.observe_ping_outcome(&p, PingOutcome::Exit(2), None, at(86_500)),
        Ok(Failed)
    );
    assert_eq!(
        m.observe_ping_outcome(&p, PingOutcome::Fail, None, at(86_400)),
        Err(Rejected::OutOfOrder { last: at(86_500) })
    );
    assert_eq!(changes(&mut m, 86_500), []);
}

#[test]
fn an_exit_status_is_failed_with_it_from_any_state() {
    use State::*;
    let mut m = registered("report");
    let p = name("report");
    // Registered at 22:15, never pinged: late at 22:21, dead at 22:31 (Minutes(5), a
    // minute of grace).
    assert_eq!(
        changes(&mut m, 1_100),
        [
            (None, Starting, Reason::Registered, 100),
            (Some(Starting), Late, Reason::Missed, 460),
            (Some(Late), Dead, Reason::Silent, 1_060),
        ]
    );
    assert_eq!(
        m.observe_ping_outcome(&p, PingOutcome::Exit(3), None, at(1_200)),
        Ok(Failed)
    );
    let events: Vec<Event> = m.drain_events().collect();
    let change = events[0].change().expect("a change");
    assert_eq!(
        (change.old, change.new, change.reason),
        (Some(Dead), Failed, Reason::Exit(3))
    );
    assert_eq!(change.reason.exit_status(), Some(3));
    assert_eq!(change.reason.as_str(), "exit");
    assert_eq!(change.reason.to_string(), "exit 3");
    // A registered process that fails before any success: starting -> failed.
    let mut fresh = registered("nightly");
    fresh
        .observe_ping_outcome(&name("nightly"), PingOutcome::Exit(127), None, at(101))
        .expect("accepted");
    assert_eq!(
        changes(&mut fresh, 101),
        [
            (None, Starting, Reason::Registered, 100),
            (Some(Starting), Failed, Reason::Exit(127), 101),
        ]
    );
}

#[test]
fn only_a_success_revives_a_failed_process() {
    use State::*;
    let mut m = registered("etl");
    let p = name("etl");
    m.observe_ping_outcome(&p, PingOutcome::Start, rid("run-1"), at(100))
        .expect("accepted");
    m.observe_ping_outcome(&p, PingOutcome::Exit(1), rid("run-1"), at(160))
        .expect("accepted");
    m.poll(at(160)).for_each(drop);
    // The next run starts and logs: a failure stands until a run succeeds.
    for (outcome, t) in [(PingOutcome::Start, 400), (PingOutcome::Log, 450)] {
        assert_eq!(
            m.observe_ping_outcome(&p, outcome, rid("run-2"), at(t)),
            Ok(Failed)
        );
    }
    assert_eq!(changes(&mut m, 500), []);
    // Exit status 0 is a success (22:21:30): alive, and the schedule counts from it:
    // late at 22:26, a minute after the next fire time.
    assert_eq!(
        m.observe_ping_outcome(&p, PingOutcome::Exit(0), rid("run-2"), at(510)),
        Ok(Alive)
    );
    assert_eq!(
        changes(&mut m, 1_000),
        [
            (Some(Failed), Alive, Reason::Ping, 510),
            (Some(Alive), Late, Reason::Missed, 760),
        ]
    );
    // A start revives a late (not failed) process, as any sign of life does.
    assert_eq!(
        m.observe_ping_outcome(&p, PingOutcome::Start, None, at(1_010)),
        Ok(Alive)
    );
}

#[test]
fn a_new_schedule_keeps_a_failure_and_the_last_ping() {
    let mut m = registered("sync");
    let p = name("sync");
    m.observe_ping_outcome(&p, PingOutcome::Fail, rid("r"), at(120))
        .expect("accepted");
    m.poll(at(120)).for_each(drop);
    assert_eq!(
        m.expect_pings(&p, rate("Hours(1)"), at(130)),
        Ok(State::Failed)
    );
    assert_eq!(changes(&mut m, 130), []);
    let view = m
        .get(Source::Ping, "sync")
        .and_then(|v| v.ping)
        .expect("a ping process");
    assert_eq!(view.schedule.rate(), Some(rate("Hours(1)")));
    assert_eq!(view.last_ping, Some(PingOutcome::Fail));
    assert_eq!(view.rid.map(RunId::as_str), Some("r"));
}

#[test]
fn a_failure_of_an_unregistered_name_is_rejected() {
    let mut m = calm();
    for outcome in [PingOutcome::Fail, PingOutcome::Exit(3), PingOutcome::Start] {
        assert_eq!(
            m.observe_ping_outcome(&name("nobody"), outcome, None, at(0)),
            Err(Rejected::NotRegistered)
        );
    }
    assert!(m.is_empty());
    assert_eq!(m.poll(at(0)).count(), 0);
}

#[test]
fn the_last_ping_is_in_the_view_and_survives_a_snapshot() {
    let mut m = calm();
    let p = name("camera-2");
    let quarter = UnixTime::new(15 * 60, 0);
    m.expect_pings_anchored(&p, rate("Minutes(30)"), quarter, at(100))
        .expect("registers");
    let view = m
        .get(Source::Ping, "camera-2")
        .and_then(|v| v.ping)
        .expect("a ping process");
    assert_eq!(
        (view.schedule.rate(), view.anchor),
        (Some(rate("Minutes(30)")), quarter)
    );
    assert_eq!((view.last_ping, view.rid), (None, None));
    let id = "019ab0e2-7c41-7d2e-8f1a-0b9c8d7e6f5a";
    m.observe_ping_outcome(&p, PingOutcome::Exit(4), rid(id), at(200))
        .expect("accepted");
    m.expect_pings(&name("plain"), rate("Daily(3,0)"), at(200))
        .expect("registers");
    m.observe_ping(&name("plain"), at(210)).expect("accepted");
    let json = serde_json::to_string(&m.snapshot()).expect("serializes");
    assert!(
        json.contains(r#""last_ping":"fail","exit_status":4,"rid":"019ab0e2"#),
        "{json}"
    );
    let restored = Monitor::restore(
        Config::default(),
        serde_json::from_str(&json).expect("deserializes"),
    )
    .expect("restores");
    assert_eq!(restored.snapshot(), m.snapshot());
    for process in ["camera-2", "plain"] {
        assert_eq!(
            restored.get(Source::Ping, process),
            m.get(Source::Ping, process),
            "{process}"
        );
    }
    let view = restored.get(Source::Ping, "camera-2").expect("restored");
    assert_eq!(view.state, State::Failed);
    let ping = view.ping.expect("a ping process");
    assert_eq!(ping.last_ping.map(PingOutcome::kind), Some("fail"));
    assert_eq!(ping.last_ping.and_then(PingOutcome::exit_status), Some(4));
    assert_eq!(ping.rid.map(RunId::as_str), Some(id));
    // A success without a run id replaces both.
    let mut m = restored;
    m.observe_ping(&p, at(300)).expect("accepted");
    let ping = m
        .get(Source::Ping, "camera-2")
        .and_then(|v| v.ping)
        .expect("a ping process");
    assert_eq!(
        (ping.last_ping, ping.rid),
        (Some(PingOutcome::Success), None)
    );
    // Other sources have no ping view.
    assert!(
        m.processes()
            .filter(|v| v.source != Source::Ping)
            .all(|v| v.ping.is_none())
    );
}

/// A snapshot written before ping facts existed (no anchor, no last ping) still restores.
#[test]
fn an_older_snapshot_is_readable() {
    let old = r#"{"polled_at":1700000100000000000,"processes":[
        {"source":"ping","name":"camera-1","state":"alive","base":"alive",
         "last":1700000100000000000,"aux":0,
         "ping":{"rate":"Minutes(5)","grace":60000000000,"missed":3}}]}"#;
    let snapshot: Snapshot = serde_json::from_str(old).expect("deserializes");
    let m = Monitor::restore(Config::default(), snapshot).expect("restores");
    let view = m.get(Source::Ping, "camera-1").expect("restored");
    assert_eq!(view.state, State::Alive);
    let ping = view.ping.expect("a ping process");
    assert_eq!(
        (ping.last_ping, ping.rid, ping.anchor),
        (None, None, UnixTime::EPOCH)
    );
}

#[test]
fn run_ids_are_capped() {
    let longest = "r".repeat(MAX_RUN_ID_LEN);
    assert_eq!(RunId::new(&longest).map(|r| r.as_str().len()), Ok(64));
    let longer = format!("{longest}x");
    assert_eq!(RunId::new(&longer), Err(RunIdError::TooLong { len: 65 }));
    assert_eq!(RunId::new(""), Err(RunIdError::Empty));
    assert_eq!(
        RunId::new("run 1"),
        Err(RunIdError::InvalidByte {
            offset: 3,
            byte: b' '
        })
    );
    assert_eq!(
        RunId::new("é").map_err(|e| e.to_string()),
        Err("byte 0xc3 at offset 0 of the run id, expected visible ASCII (! to ~)".to_owned())
    );
    assert_eq!(
        RunIdError::TooLong { len: 65 }.to_string(),
        "run id of 65 bytes, expected at most 64"
    );
    // 59 KB per ping was the issue: now 64 bytes at most, counted in the footprint.
    let mut m = calm();
    for i in 0..100 {
        let process = format!("job-{i}");
        m.expect_pings(&name(&process), rate("Minutes(1)"), at(0))
            .expect("registers");
        m.observe_ping_outcome(&name(&process), PingOutcome::Success, rid(&longest), at(1))
            .expect("accepted");
    }
    let footprint = m.memory_footprint();
    assert!(footprint.total >= 100 * MAX_RUN_ID_LEN, "{footprint:?}");
}
