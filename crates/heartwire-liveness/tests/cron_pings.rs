//! Ping processes on a cron schedule in a time zone, with a grace of their own
//! (`spec/liveness.md` §3.4, issue 19): expected at each fire time, late when a fire
//! time and the grace pass without a ping, dead after `ping_missed` of them; across the
//! nights the clocks change; kept by snapshots.

use std::time::Duration;

use heartwire::schedule::Cron;
use heartwire::text::Process;
use heartwire::time::{Timestamp, UnixTime};
use heartwire_liveness::{
    Config, Event, MAX_PING_GRACE, Monitor, PingSchedule, Reason, RestoreError, Snapshot, Source,
    State,
};
use serde_json::json;

fn t(text: &str) -> UnixTime {
    Timestamp::parse(text)
        .unwrap_or_else(|e| panic!("{text}: {e:?}"))
        .unix_time()
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

fn cron(expression: &str, zone: &str) -> PingSchedule {
    PingSchedule::cron(Cron::with_time_zone(expression, zone).expect("a valid cron"))
}

/// (old, new, reason, time) of every change a poll at `now` returns.
fn changes(monitor: &mut Monitor, now: UnixTime) -> Vec<(Option<State>, State, Reason, UnixTime)> {
    monitor
        .poll(now)
        .filter_map(|e| match e {
            Event::Changed(c) => Some((c.old, c.new, c.reason, c.at)),
            _ => None,
        })
        .collect()
}

fn state(monitor: &Monitor, process: &str) -> State {
    monitor
        .get(Source::Ping, process)
        .map(|v| v.state)
        .expect("tracked")
}

fn next(monitor: &Monitor, process: &str) -> Option<(UnixTime, State)> {
    monitor.next_change(Source::Ping, process)
}

const TEN_MINUTES: Duration = Duration::from_secs(600);

/// `0 9 * * *` in Paris (UTC+1 in January), grace 10 minutes, registered and pinged on
/// 2025-01-14 at 09:00 Paris time.
fn daily_at_nine() -> Monitor {
    let mut m = calm();
    let p = name("report");
    m.expect_ping_schedule(
        &p,
        cron("0 9 * * *", "Europe/Paris"),
        UnixTime::EPOCH,
        Some(TEN_MINUTES),
        t("2025-01-14T07:59:00Z"),
    )
    .expect("registers");
    assert_eq!(
        m.observe_ping(&p, t("2025-01-14T08:00:30Z")),
        Ok(State::Alive)
    );
    m
}

#[test]
fn a_daily_cron_in_paris_is_late_after_its_grace_and_dead_after_the_missed_count() {
    use State::*;
    let mut m = daily_at_nine();
    // Due at 09:00 Paris time the next day (08:00 UTC), late 10 minutes later.
    assert_eq!(next(&m, "report"), Some((t("2025-01-15T08:10:00Z"), Late)));
    assert_eq!(changes(&mut m, t("2025-01-15T08:09:59Z")).len(), 2);
    assert_eq!(state(&m, "report"), Alive);
    assert_eq!(
        changes(&mut m, t("2025-01-15T08:10:00Z")),
        [(Some(Alive), Late, Reason::Missed, t("2025-01-15T08:10:00Z"))]
    );
    // Dead when the third fire time (ping_missed, 3) and its grace pass: 09:10 on the
    // 17th.
    assert_eq!(next(&m, "report"), Some((t("2025-01-17T08:10:00Z"), Dead)));
    assert_eq!(changes(&mut m, t("2025-01-17T08:09:59Z")), []);
    assert_eq!(
        changes(&mut m, t("2025-01-17T08:10:00Z")),
        [(Some(Late), Dead, Reason::Silent, t("2025-01-17T08:10:00Z"))]
    );
    // A ping brings it back; the next one is expected the next morning.
    assert_eq!(
        m.observe_ping(&name("report"), t("2025-01-17T09:00:00Z")),
        Ok(Alive)
    );
    assert_eq!(next(&m, "report"), Some((t("2025-01-18T08:10:00Z"), Late)));
}

#[test]
fn a_ping_each_morning_keeps_it_alive() {
    let mut m = daily_at_nine();
    for day in 15..=25 {
        let ping = t(&format!("2025-01-{day}T08:03:00Z"));
        changes(&mut m, ping);
        assert_eq!(m.observe_ping(&name("report"), ping), Ok(State::Alive));
    }
    changes(&mut m, t("2025-01-26T08:09:00Z"));
    assert_eq!(state(&m, "report"), State::Alive);
}

#[test]
fn the_view_shows_the_schedule_and_the_grace() {
    let m = daily_at_nine();
    let view = m
        .get(Source::Ping, "report")
        .and_then(|v| v.ping)
        .expect("a ping process");
    assert_eq!(view.schedule, &cron("0 9 * * *", "Europe/Paris"));
    assert_eq!(view.schedule.rate(), None);
    assert_eq!(view.schedule.to_string(), "0 9 * * * [Europe/Paris]");
    assert_eq!(view.grace, TEN_MINUTES);
    // Without a grace of its own, the configured one.
    let mut plain = calm();
    plain
        .expect_ping_schedule(
            &name("plain"),
            cron("*/5 * * * *", "UTC"),
            UnixTime::EPOCH,
            None,
            t("2025-01-14T00:00:00Z"),
        )
        .expect("registers");
    let view = plain
        .get(Source::Ping, "plain")
        .and_then(|v| v.ping)
        .expect("a ping process");
    assert_eq!(view.grace, Duration::from_secs(60));
    // A grace beyond the bound counts as the bound.
    plain
        .expect_ping_schedule(
            &name("plain"),
            cron("*/5 * * * *", "UTC"),
            UnixTime::EPOCH,
            Some(Duration::from_secs(30 * 86_400)),
            t("2025-01-14T00:00:00Z"),
        )
        .expect("registers");
    let view = plain
        .get(Source::Ping, "plain")
        .and_then(|v| v.ping)
        .expect("a ping process");
    assert_eq!(view.grace, MAX_PING_GRACE);
}

#[test]
fn a_fixed_time_skipped_by_spring_forward_fires_at_three() {
    // 02:30 does not exist in Paris on 2025-03-30: the job fires at 03:00 CEST (01:00 UTC).
    let mut m = calm();
    let p = name("nightly");
    m.expect_ping_schedule(
        &p,
        cron("30 2 * * *", "Europe/Paris"),
        UnixTime::EPOCH,
        Some(TEN_MINUTES),
        t("2025-03-29T01:00:00Z"),
    )
    .expect("registers");
    // The night before, 02:30 CET is 01:30 UTC.
    assert_eq!(
        next(&m, "nightly"),
        Some((t("2025-03-29T01:40:00Z"), State::Late))
    );
    assert_eq!(
        m.observe_ping(&p, t("2025-03-29T01:30:10Z")),
        Ok(State::Alive)
    );
    assert_eq!(
        next(&m, "nightly"),
        Some((t("2025-03-30T01:10:00Z"), State::Late))
    );
    assert_eq!(
        m.observe_ping(&p, t("2025-03-30T01:00:10Z")),
        Ok(State::Alive)
    );
    // The night after, 02:30 CEST is 00:30 UTC.
    assert_eq!(
        next(&m, "nightly"),
        Some((t("2025-03-31T00:40:00Z"), State::Late))
    );
    changes(&mut m, t("2025-03-31T00:39:59Z"));
    assert_eq!(state(&m, "nightly"), State::Alive);
}

#[test]
fn a_fixed_time_repeated_by_fall_back_fires_once() {
    // 02:30 happens twice in Paris on 2025-10-26 (00:30 and 01:30 UTC): a fixed-time job
    // fires at the first only, so after a ping then, the next is the next night's.
    let mut m = calm();
    let p = name("nightly");
    m.expect_ping_schedule(
        &p,
        cron("30 2 * * *", "Europe/Paris"),
        UnixTime::EPOCH,
        Some(TEN_MINUTES),
        t("2025-10-25T12:00:00Z"),
    )
    .expect("registers");
    assert_eq!(
        next(&m, "nightly"),
        Some((t("2025-10-26T00:40:00Z"), State::Late))
    );
    assert_eq!(
        m.observe_ping(&p, t("2025-10-26T00:30:05Z")),
        Ok(State::Alive)
    );
    // Not due at 01:30 UTC, the second 02:30: 02:30 CET the next night, 01:30 UTC.
    assert_eq!(
        next(&m, "nightly"),
        Some((t("2025-10-27T01:40:00Z"), State::Late))
    );
    changes(&mut m, t("2025-10-26T23:00:00Z"));
    assert_eq!(state(&m, "nightly"), State::Alive);
    // Dead after three nights: the 27th, 28th and 29th at 02:30 CET.
    changes(&mut m, t("2025-10-27T01:40:00Z"));
    assert_eq!(state(&m, "nightly"), State::Late);
    assert_eq!(
        next(&m, "nightly"),
        Some((t("2025-10-29T01:40:00Z"), State::Dead))
    );
}

#[test]
fn an_every_minute_schedule_counts_real_minutes_across_fall_back() {
    // `*/30 * * * *` is not fixed-time: every real half hour fires, the repeated hour
    // too. Grace 0 s: late at the first fire time without a ping.
    let mut m = calm();
    let p = name("poller");
    m.expect_ping_schedule(
        &p,
        cron("*/30 * * * *", "Europe/Paris"),
        UnixTime::EPOCH,
        Some(Duration::ZERO),
        t("2025-10-26T00:10:00Z"),
    )
    .expect("registers");
    m.observe_ping(&p, t("2025-10-26T00:10:00Z"))
        .expect("accepted");
    assert_eq!(
        next(&m, "poller"),
        Some((t("2025-10-26T00:30:00Z"), State::Late))
    );
    changes(&mut m, t("2025-10-26T00:30:00Z"));
    // Dead at the third half hour: 00:30, 01:00, 01:30 UTC (02:30 CEST, 02:00 CET,
    // 02:30 CET).
    assert_eq!(
        next(&m, "poller"),
        Some((t("2025-10-26T01:30:00Z"), State::Dead))
    );
}

#[test]
fn the_schedule_and_the_grace_survive_a_snapshot() {
    let mut m = daily_at_nine();
    m.expect_pings(
        &name("rated"),
        "Hours(1)".parse().expect("a rate"),
        t("2025-01-14T08:00:00Z"),
    )
    .expect("registers");
    let snapshot = m.snapshot();
    let text = serde_json::to_string(&snapshot).expect("serializes");
    assert!(
        text.contains(r#""cron":"0 9 * * *","tz":"Europe/Paris","grace":600000000000"#),
        "{text}"
    );
    let read: Snapshot = serde_json::from_str(&text).expect("deserializes");
    let mut restored = Monitor::restore(Config::default(), read).expect("restores");
    assert_eq!(restored.snapshot(), snapshot);
    let view = restored
        .get(Source::Ping, "report")
        .and_then(|v| v.ping)
        .expect("a ping process");
    assert_eq!(view.schedule, &cron("0 9 * * *", "Europe/Paris"));
    assert_eq!(view.grace, TEN_MINUTES);
    assert_eq!(
        next(&restored, "report"),
        Some((t("2025-01-15T08:10:00Z"), State::Late))
    );
    changes(&mut restored, t("2025-01-14T09:00:00Z"));
    assert_eq!(
        changes(&mut restored, t("2025-01-15T08:10:00Z"))
            .iter()
            .filter(|c| c.1 == State::Late)
            .count(),
        2,
        "report and rated are late"
    );
}

#[test]
fn an_old_snapshot_without_the_new_members_loads() {
    let old = json!({
        "polled_at": 1_700_000_000_000_000_000u64,
        "processes": [{
            "source": "ping", "name": "legacy", "state": "alive", "base": "alive",
            "last": 1_700_000_000_000_000_000u64, "aux": 0,
            "ping": {"rate": "Minutes(5)", "grace": 60_000_000_000u64, "missed": 3}
        }]
    });
    let snapshot: Snapshot = serde_json::from_value(old).expect("deserializes");
    let m = Monitor::restore(Config::default(), snapshot).expect("restores");
    let view = m
        .get(Source::Ping, "legacy")
        .and_then(|v| v.ping)
        .expect("a ping process");
    assert_eq!(
        view.schedule.rate(),
        Some("Minutes(5)".parse().expect("a rate"))
    );
    assert_eq!(view.grace, Duration::from_secs(60));
}

#[test]
fn a_snapshot_with_an_invalid_cron_zone_or_grace_is_refused() {
    let original = serde_json::to_value(daily_at_nine().snapshot()).expect("serializes");
    let cases = [
        ("/cron", json!("61 9 * * *"), "ping.cron"),
        ("/cron", json!("0 9 * *"), "ping.cron"),
        ("/tz", json!("Europe/Nowhere"), "ping.tz"),
        (
            "/grace",
            json!(MAX_PING_GRACE.as_nanos() as u64 + 1),
            "ping.grace",
        ),
        ("/rate", json!("Minutes(5)"), "ping.cron"),
    ];
    for (member, value, field) in cases {
        let mut changed = original.clone();
        let ping = changed
            .pointer_mut("/processes/0/ping")
            .and_then(|p| p.as_object_mut())
            .expect("a ping");
        ping.insert(member[1..].to_owned(), value.clone());
        let snapshot: Snapshot = serde_json::from_value(changed).expect("deserializes");
        match Monitor::restore(Config::default(), snapshot) {
            Err(RestoreError::InvalidValue {
                index, field: f, ..
            }) => {
                assert_eq!((index, f), (0, field), "{member} = {value}");
            }
            other => panic!("{member} = {value}: {other:?}"),
        }
    }
    // A time zone without a cron schedule.
    let mut changed = original.clone();
    let ping = changed
        .pointer_mut("/processes/0/ping")
        .and_then(|p| p.as_object_mut())
        .expect("a ping");
    ping.remove("cron");
    ping.insert("rate".into(), json!("Minutes(5)"));
    let snapshot: Snapshot = serde_json::from_value(changed).expect("deserializes");
    assert!(matches!(
        Monitor::restore(Config::default(), snapshot),
        Err(RestoreError::InvalidValue {
            field: "ping.tz",
            ..
        })
    ));
}
