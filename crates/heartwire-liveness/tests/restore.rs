//! A restore costs time in proportion to what the snapshot holds, whatever its numbers
//! say, or is refused with a [`RestoreError`] naming the member (`spec/liveness.md` §6.3,
//! issue 15: `"missed": 4294967295` hung start-up at full CPU).

use std::time::{Duration, Instant};

use heartwire::record::Record;
use heartwire::text::{Message, Process};
use heartwire::time::{Timestamp, UnixTime};
use heartwire_liveness::detector::{DetectorChoice, ExponentialConfig, PhiConfig};
use heartwire_liveness::{
    Config, MAX_PING_MISSED, Monitor, PingOutcome, Reason, RestoreError, RunId, Snapshot, Source,
    State,
};
use serde_json::{Value, json};

/// 2023-11-14T22:13:20Z.
const BASE: i64 = 1_700_000_000;

fn at(secs: i64) -> UnixTime {
    UnixTime::new(BASE + secs, 0)
}

fn name(text: &str) -> Process<'_> {
    Process::new(text).expect("a valid process name")
}

/// What any restore, with its first polls, may take at most, even in a debug build on a
/// busy machine; the hang of the issue took forever.
const BOUND: Duration = Duration::from_secs(2);

/// A monitor with a process of every kind: beatit with each detector, a record with its
/// own interval, a command, and ping processes with and without a last ping.
fn every_kind() -> Monitor {
    let mut m = Monitor::default();
    m.choose_detector(&name("phi"), DetectorChoice::Phi(PhiConfig::default()));
    m.choose_detector(
        &name("exp"),
        DetectorChoice::Exponential(ExponentialConfig::default()),
    );
    for t in 0..3 {
        for process in ["phi", "exp", "deadline"] {
            let subject = format!("heartbeat.{process}");
            let message = Message::decode_str(&subject, b"beat/5").expect("a message");
            m.observe_text(&message, at(t * 5)).expect("accepted");
        }
    }
    let timestamp = Timestamp::from_unix_micros(at(10));
    let doc = format!(
        r#"{{"service_name":"svc","instance_id":"a1b2c3d4-e5f6-7890-abcd-ef1234567890","timestamp":"{timestamp}"}}"#
    );
    m.observe_record(&Record::decode(doc.as_bytes()).expect("a record"), at(10))
        .expect("accepted");
    let service = heartwire::record::ServiceName::new("svc").expect("a service name");
    m.set_record_interval(&service, Duration::from_secs(600));
    let envelope = heartwire::command::Envelope::decode(
        br#"{"id":"plugin@1","meta":{"service":"P","time":"2024-01-26T10:30:00.000Z","msgId":"m","correlationId":"c"},"command":"Heartbeat(5)"}"#,
    )
    .expect("an envelope");
    m.observe_command(&envelope, at(10)).expect("accepted");
    let quarter = UnixTime::new(15 * 60, 0);
    m.expect_pings_anchored(
        &name("cam"),
        "Minutes(30)".parse().expect("a rate"),
        quarter,
        at(10),
    )
    .expect("registers");
    m.expect_pings(
        &name("job"),
        "Weekdays(3,0)".parse().expect("a rate"),
        at(10),
    )
    .expect("registers");
    let rid = RunId::new("019ab0e2-7c41-7d2e-8f1a-0b9c8d7e6f5a").ok();
    m.observe_ping_outcome(&name("job"), PingOutcome::Exit(2), rid, at(11))
        .expect("accepted");
    m.poll(at(15)).for_each(drop);
    m
}

/// Restores `snapshot` and works the monitor as a restarted one would: polls from the
/// epoch to the end of time, asks every question of every process, snapshots again.
fn restore_and_work(snapshot: Snapshot) -> Result<(), RestoreError> {
    let mut m = Monitor::restore(Config::default(), snapshot)?;
    let instants = [
        UnixTime::EPOCH,
        at(0),
        at(86_400),
        UnixTime::new(4_000_000_000, 0),
        UnixTime::new(i64::MAX, 999_999_999),
    ];
    for now in instants {
        m.poll(now).for_each(drop);
        let _ = m.next_deadline();
        let names: Vec<(Source, String)> = m
            .processes()
            .map(|v| (v.source, v.name.to_owned()))
            .collect();
        for (source, process) in names {
            let _ = m.next_change(source, &process);
            let _ = m.suspicion(source, &process, now);
        }
    }
    let again = m.snapshot();
    Monitor::restore(Config::default(), again).map(drop)
}

/// The JSON pointers of every number in `value`.
fn numbers(value: &Value, path: &str, out: &mut Vec<String>) {
    match value {
        Value::Number(_) => out.push(path.to_owned()),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                numbers(item, &format!("{path}/{i}"), out);
            }
        }
        Value::Object(members) => {
            for (key, member) in members {
                numbers(member, &format!("{path}/{key}"), out);
            }
        }
        _ => {}
    }
}

#[test]
fn the_missed_count_of_the_issue_is_refused_at_once() {
    let text = r#"{"polled_at":1700000000000000000,"processes":[
        {"source":"ping","name":"camera-1","state":"alive","base":"alive",
         "last":1700000000000000000,"aux":0,
         "ping":{"rate":"Minutes(5)","grace":60000000000,"missed":4294967295}}]}"#;
    let started = Instant::now();
    let snapshot: Snapshot = serde_json::from_str(text).expect("deserializes");
    let error = Monitor::restore(Config::default(), snapshot).expect_err("refused");
    assert!(started.elapsed() < BOUND);
    assert!(matches!(
        error,
        RestoreError::InvalidValue {
            index: 0,
            field: "ping.missed",
            ..
        }
    ));
    assert_eq!(
        error.to_string(),
        format!("process 0: ping.missed: expected 1 to {MAX_PING_MISSED}")
    );
    let zero = text.replace("4294967295", "0");
    let snapshot: Snapshot = serde_json::from_str(&zero).expect("deserializes");
    assert!(Monitor::restore(Config::default(), snapshot).is_err());
}

/// A configured count beyond the cap counts as the cap, and the 1000th fire time is
/// found as fast as the first.
#[test]
fn the_most_missed_pings_cost_no_more_than_one() {
    let config = Config {
        ping_missed: u32::MAX,
        stall_after: Duration::from_secs(1 << 40),
        ..Config::default()
    };
    let mut m = Monitor::new(config.clone());
    // Registered at 22:15:00; Minutes(5) fires from 22:20, its 1000th at 22:15 + 5000 min.
    m.expect_pings(&name("cam"), "Minutes(5)".parse().expect("a rate"), at(100))
        .expect("registers");
    let started = Instant::now();
    let deaths: Vec<_> = m
        .poll(at(1_000_000))
        .filter_map(|e| e.change().filter(|c| c.new == State::Dead).map(|c| c.at))
        .collect();
    assert_eq!(deaths, [at(100 + 5_000 * 60 + 60)]);
    let restored = Monitor::restore(config, m.snapshot()).expect("restores");
    assert!(started.elapsed() < BOUND);
    assert_eq!(restored.snapshot(), m.snapshot());
}

/// Every number of a snapshot holding a process of every kind, set in turn to each
/// extreme a JSON reader takes: the restore and a restarted monitor's work end within
/// the bound, refused or not, and without a panic.
#[test]
fn every_number_at_its_extremes_restores_in_bounded_time() {
    let original = serde_json::to_value(every_kind().snapshot()).expect("serializes");
    let mut pointers = Vec::new();
    numbers(&original, "", &mut pointers);
    assert!(pointers.len() > 40, "{pointers:?}");
    let extremes = [
        json!(0),
        json!(1),
        json!(u32::MAX),
        json!(i64::MAX),
        json!(u64::MAX),
        json!(1e300),
        json!(-1),
    ];
    let (mut restored, mut refused, mut unreadable) = (0, 0, 0);
    for pointer in &pointers {
        for extreme in &extremes {
            let mut changed = original.clone();
            *changed.pointer_mut(pointer).expect("a member") = extreme.clone();
            let Ok(snapshot) = serde_json::from_value::<Snapshot>(changed) else {
                unreadable += 1;
                continue;
            };
            let started = Instant::now();
            match restore_and_work(snapshot) {
                Ok(()) => restored += 1,
                Err(_) => refused += 1,
            }
            assert!(
                started.elapsed() < BOUND,
                "{pointer} = {extreme}: {:?}",
                started.elapsed()
            );
        }
    }
    println!("{restored} restored, {refused} refused, {unreadable} not snapshots");
    assert!(restored > 0 && refused > 0 && unreadable > 0);
}

#[test]
fn values_no_monitor_writes_are_refused_naming_the_member() {
    let original = serde_json::to_value(every_kind().snapshot()).expect("serializes");
    let index = |process: &str| {
        original["processes"]
            .as_array()
            .and_then(|ps| ps.iter().position(|p| p["name"] == process))
            .expect("the process")
    };
    let (job, deadline) = (index("job"), index("deadline"));
    let cases: [(usize, &str, Value, &str); 7] = [
        (
            job,
            "/ping/missed",
            json!(MAX_PING_MISSED + 1),
            "ping.missed",
        ),
        (job, "/ping/exit_status", json!(0), "ping.exit_status"),
        (job, "/ping/last_ping", json!("start"), "ping.exit_status"),
        (job, "/ping/rid", json!("r".repeat(65)), "ping.rid"),
        (job, "/ping/rid", json!("a b"), "ping.rid"),
        (job, "/ping/rid", json!(""), "ping.rid"),
        (deadline, "/state", json!("failed"), "state"),
    ];
    for (i, member, value, field) in cases {
        let mut changed = original.clone();
        let pointer = format!("/processes/{i}{member}");
        *changed.pointer_mut(&pointer).expect("a member") = value.clone();
        let snapshot: Snapshot = serde_json::from_value(changed).expect("deserializes");
        match Monitor::restore(Config::default(), snapshot) {
            Err(RestoreError::InvalidValue {
                index, field: f, ..
            }) => assert_eq!((index, f), (i, field), "{pointer} = {value}"),
            other => panic!("{pointer} = {value}: {other:?}"),
        }
    }
    // An exit status without the kind of ping it ended.
    let mut changed = original.clone();
    if let Some(ping) = changed.pointer_mut(&format!("/processes/{job}/ping")) {
        ping.as_object_mut().map(|p| p.remove("last_ping"));
    }
    let snapshot: Snapshot = serde_json::from_value(changed).expect("deserializes");
    assert!(matches!(
        Monitor::restore(Config::default(), snapshot),
        Err(RestoreError::InvalidValue {
            field: "ping.exit_status",
            ..
        })
    ));
    // Numbers beyond their type, negative counts and unknown kinds are no snapshot.
    for (member, value) in [
        ("/ping/missed", json!(u64::MAX)),
        ("/ping/exit_status", json!(256)),
        ("/last", json!(-1)),
        ("/ping/last_ping", json!("exploded")),
    ] {
        let mut changed = original.clone();
        *changed
            .pointer_mut(&format!("/processes/{job}{member}"))
            .expect("a member") = value;
        assert!(
            serde_json::from_value::<Snapshot>(changed).is_err(),
            "{member}"
        );
    }
}

/// Duplicates are refused at the first, more processes than the cap at the cap, and
/// neither reserves room for what the file claims.
#[test]
fn many_duplicates_or_too_many_processes_are_refused_early() {
    let one =
        r#"{"source":"text","name":"a","state":"alive","base":"alive","last":0,"aux":5000000000}"#;
    let count = 200_000;
    let text = format!(r#"{{"processes":[{}]}}"#, vec![one; count].join(","));
    let snapshot: Snapshot = serde_json::from_str(&text).expect("deserializes");
    assert_eq!(snapshot.len(), count);
    let started = Instant::now();
    assert_eq!(
        Monitor::restore(Config::default(), snapshot).err(),
        Some(RestoreError::Duplicate { index: 1 })
    );
    assert!(started.elapsed() < BOUND);
    let distinct: Vec<String> = (0..1000)
        .map(|i| one.replace(r#""name":"a""#, &format!(r#""name":"p{i}""#)))
        .collect();
    let text = format!(r#"{{"processes":[{}]}}"#, distinct.join(","));
    let snapshot: Snapshot = serde_json::from_str(&text).expect("deserializes");
    let config = Config {
        max_processes: 10,
        ..Config::default()
    };
    match Monitor::restore(config, snapshot) {
        Err(RestoreError::Rejected { index: 10, .. }) => {}
        other => panic!("{other:?}"),
    }
}

/// A failed ping process restores failed, with no deadline, and a success revives it.
#[test]
fn a_failed_process_restores_failed() {
    let m = every_kind();
    let mut restored = Monitor::restore(Config::default(), m.snapshot()).expect("restores");
    assert_eq!(
        restored.get(Source::Ping, "job").map(|v| v.state),
        Some(State::Failed)
    );
    assert_eq!(restored.next_change(Source::Ping, "job"), None);
    restored.poll(at(30 * 86_400)).for_each(drop);
    assert_eq!(
        restored.get(Source::Ping, "job").map(|v| v.state),
        Some(State::Failed)
    );
    restored
        .observe_ping(&name("job"), at(30 * 86_400 + 1))
        .expect("accepted");
    let change = restored
        .drain_events()
        .find_map(|e| e.change().cloned())
        .expect("a change");
    assert_eq!(
        (change.old, change.new, change.reason),
        (Some(State::Failed), State::Alive, Reason::Ping)
    );
}
