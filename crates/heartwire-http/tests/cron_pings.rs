//! Pings that declare a cron schedule in a time zone and a grace (issue 19), over real
//! loopback sockets: `period=<crontab>`, `tz=`, `grace=`; what `/status` shows of them;
//! the journal line that replays them.

mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use heartwire::schedule::Cron;
use heartwire_http::{Accepted, Receiver, ReceiverConfig};
use heartwire_liveness::{Config, Monitor, PingSchedule, Source, State};
use serde_json::Value;
use support::{LOOPBACK, Running, get, ticking_clock};

fn status_of(addr: std::net::SocketAddr, name: &str) -> Value {
    let (status, body) = get(addr, "/status?source=ping");
    assert_eq!(status, 200, "{body}");
    let json: Value = serde_json::from_str(&body).expect("JSON");
    json["processes"]
        .as_array()
        .and_then(|ps| ps.iter().find(|p| p["name"] == name))
        .cloned()
        .unwrap_or_else(|| panic!("{name} in {body}"))
}

#[test]
fn a_cron_period_with_a_grace_registers_and_status_shows_it() {
    let lines = Arc::new(Mutex::new(Vec::new()));
    let journal = Arc::clone(&lines);
    let receiver = Receiver::bind(LOOPBACK, ReceiverConfig::default())
        .expect("binds")
        .journal(move |accepted| {
            journal.lock().expect("journal").push(accepted.to_line());
            Ok(())
        });
    let r = Running::start(receiver, Config::default(), ticking_clock());
    assert_eq!(
        get(r.addr, "/ping/x?period=*/5%20*%20*%20*%20*&grace=60").0,
        200
    );
    let x = status_of(r.addr, "x");
    assert_eq!(x["period"], "*/5 * * * *");
    assert_eq!(x["tz"], "UTC");
    assert_eq!(x["grace"], 60);
    assert_eq!(x["state"], "alive");
    // The ticking clock starts at 09:00:00Z: due at 09:05, late a minute after.
    assert_eq!(x["deadline"], "2026-11-23T09:06:00.000Z");
    assert_eq!(x["deadline_state"], "late");
    {
        let monitor = r.monitor.lock().expect("monitor");
        let view = monitor
            .get(Source::Ping, "x")
            .and_then(|v| v.ping)
            .expect("a ping process");
        assert_eq!(
            view.schedule,
            &PingSchedule::cron(Cron::parse("*/5 * * * *").expect("a cron"))
        );
        assert_eq!(view.grace, Duration::from_secs(60));
    }

    // In Paris, `+` for the spaces, grace in minutes.
    assert_eq!(
        get(
            r.addr,
            "/ping/report?period=0+9+*+*+1-5&tz=Europe/Paris&grace=10m"
        )
        .0,
        200
    );
    let report = status_of(r.addr, "report");
    assert_eq!(
        (&report["period"], &report["tz"], &report["grace"]),
        (
            &Value::from("0 9 * * 1-5"),
            &Value::from("Europe/Paris"),
            &Value::from(600)
        )
    );
    // 2026-11-23 is a Monday: 09:00 Paris is 08:00 UTC on Tuesday.
    assert_eq!(report["deadline"], "2026-11-24T08:10:00.000Z");

    // A later ping without parameters keeps all of it; a new grace changes only that.
    assert_eq!(get(r.addr, "/ping/report").0, 200);
    assert_eq!(status_of(r.addr, "report")["grace"], 600);
    assert_eq!(get(r.addr, "/ping/report?grace=1h").0, 200);
    let report = status_of(r.addr, "report");
    assert_eq!(
        (&report["grace"], &report["tz"]),
        (&Value::from(3600), &Value::from("Europe/Paris"))
    );
    // A rate process shows its grace too, the engine's when it has none of its own.
    assert_eq!(get(r.addr, "/ping/rated?period=Hours(1)").0, 200);
    let rated = status_of(r.addr, "rated");
    assert_eq!(rated["period"], "Hours(1)");
    assert_eq!(rated.get("tz"), None);
    assert_eq!(rated["grace"], 60);

    // Refusals name the parameter.
    for (target, start) in [
        (
            "/ping/y?tz=Europe/Paris",
            "tz: taken only with a crontab period",
        ),
        (
            "/ping/y?period=0+9+*+*+*&tz=Mars/Olympus",
            "tz \"Mars/Olympus\"",
        ),
        (
            "/ping/y?period=0+25+*+*+*",
            "period \"0 25 * * *\": bad hour at byte 2",
        ),
        ("/ping/y?grace=8d", "grace \"8d\""),
        ("/ping/y?grace=604801", "grace \"604801\""),
    ] {
        let (status, body) = get(r.addr, target);
        assert_eq!(status, 400, "{target}: {body}");
        assert!(body.starts_with(start), "{target}: {body}");
    }
    assert!(
        r.monitor
            .lock()
            .expect("monitor")
            .get(Source::Ping, "y")
            .is_none()
    );

    // The journal replays the same schedules into a fresh engine.
    let lines = lines.lock().expect("journal").clone();
    assert!(lines[0].contains(r#""cron":"*/5 * * * *""#), "{}", lines[0]);
    let mut replayed = Monitor::new(Config::default());
    for line in &lines {
        Accepted::from_line(line.as_bytes())
            .expect("a journal line")
            .apply(&mut replayed)
            .expect("applies");
    }
    let original = r.monitor.lock().expect("monitor");
    for name in ["x", "report", "rated"] {
        let a = original.get(Source::Ping, name).and_then(|v| v.ping);
        let b = replayed.get(Source::Ping, name).and_then(|v| v.ping);
        assert_eq!(
            a.map(|p| (p.schedule.clone(), p.grace)),
            b.map(|p| (p.schedule.clone(), p.grace)),
            "{name}"
        );
        assert_eq!(
            replayed.get(Source::Ping, name).map(|v| v.state),
            Some(State::Alive)
        );
    }
}
