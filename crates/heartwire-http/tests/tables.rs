//! The pure rules of `spec/http.md` as tables: the signal mapping (§4), aligned fire
//! times (§3) and the result line (§2). These are the chapter's conformance vectors.

use heartwire::text::{Process, Seconds, Signal};
use heartwire::time::{Timestamp, UnixTime};
use heartwire_http::{
    AlignedSchedule, Alignment, Frequency, JobSignal, Method, Outcome, Plan, ResultLine, RunId,
    Service, Trigger,
};

fn secs(n: u64) -> Seconds {
    Seconds::from_secs(n).expect("not zero")
}

fn at(text: &str) -> UnixTime {
    Timestamp::parse(text).expect("a timestamp").unix_time()
}

const OUTPUT: &str = "copying\nlast line";

/// `(id, service, base, signal, in a run, expected)`; expected is `"-"` (not sent) or
/// `"GET <url>"` / `"POST <url> <body>"`.
fn mapping() -> Vec<(
    &'static str,
    Service,
    &'static str,
    JobSignal,
    bool,
    &'static str,
)> {
    use JobSignal::{Exit, Fail, Text};
    use Service::*;
    let start = Text(Signal::Start { warmup: secs(60) });
    let beat = Text(Signal::Beat { period: secs(30) });
    let degraded = Text(Signal::Degraded { period: secs(30) });
    let stop = Text(Signal::Stop);
    let hc = "https://hc-ping.com/KEY";
    let sn = "https://nosnch.in/TOKEN";
    let cr = "https://cronitor.link/p/KEY/backup";
    let pl = "https://example.com/hb?x=1";
    let bt = "http://127.0.0.1:8387/beat";
    vec![
        (
            "hc.start",
            Healthchecks,
            hc,
            start,
            true,
            "GET https://hc-ping.com/KEY/start?rid=R1",
        ),
        (
            "hc.start.slug",
            Healthchecks,
            "https://hc-ping.com/KEY/",
            start,
            false,
            "GET https://hc-ping.com/KEY/backup/start",
        ),
        (
            "hc.beat.run",
            Healthchecks,
            hc,
            beat,
            true,
            "GET https://hc-ping.com/KEY/log?rid=R1",
        ),
        (
            "hc.beat",
            Healthchecks,
            hc,
            beat,
            false,
            "GET https://hc-ping.com/KEY",
        ),
        (
            "hc.degraded",
            Healthchecks,
            hc,
            degraded,
            false,
            "POST https://hc-ping.com/KEY/log degraded",
        ),
        (
            "hc.stop",
            Healthchecks,
            hc,
            stop,
            false,
            "GET https://hc-ping.com/KEY",
        ),
        (
            "hc.exit0",
            Healthchecks,
            hc,
            Exit(0),
            true,
            "POST https://hc-ping.com/KEY/0?rid=R1 copying\nlast line",
        ),
        (
            "hc.exit3",
            Healthchecks,
            hc,
            Exit(3),
            true,
            "POST https://hc-ping.com/KEY/3?rid=R1 copying\nlast line",
        ),
        (
            "hc.fail",
            Healthchecks,
            hc,
            Fail,
            false,
            "POST https://hc-ping.com/KEY/fail copying\nlast line",
        ),
        ("snitch.start", Snitch, sn, start, true, "-"),
        ("snitch.beat.run", Snitch, sn, beat, true, "-"),
        (
            "snitch.beat",
            Snitch,
            sn,
            beat,
            false,
            "GET https://nosnch.in/TOKEN",
        ),
        (
            "snitch.degraded",
            Snitch,
            sn,
            degraded,
            false,
            "GET https://nosnch.in/TOKEN?m=degraded",
        ),
        (
            "snitch.stop",
            Snitch,
            sn,
            stop,
            false,
            "GET https://nosnch.in/TOKEN",
        ),
        (
            "snitch.exit0",
            Snitch,
            sn,
            Exit(0),
            true,
            "GET https://nosnch.in/TOKEN?s=0&m=last%20line",
        ),
        (
            "snitch.exit3",
            Snitch,
            sn,
            Exit(3),
            true,
            "GET https://nosnch.in/TOKEN?s=3&m=last%20line",
        ),
        (
            "snitch.fail",
            Snitch,
            sn,
            Fail,
            false,
            "GET https://nosnch.in/TOKEN?s=1&m=last%20line",
        ),
        (
            "cronitor.start",
            Cronitor,
            cr,
            start,
            true,
            "GET https://cronitor.link/p/KEY/backup?state=run&series=R1",
        ),
        ("cronitor.beat.run", Cronitor, cr, beat, true, "-"),
        (
            "cronitor.beat",
            Cronitor,
            cr,
            beat,
            false,
            "GET https://cronitor.link/p/KEY/backup",
        ),
        (
            "cronitor.degraded",
            Cronitor,
            cr,
            degraded,
            false,
            "GET https://cronitor.link/p/KEY/backup?message=degraded",
        ),
        (
            "cronitor.stop",
            Cronitor,
            cr,
            stop,
            false,
            "GET https://cronitor.link/p/KEY/backup?state=complete",
        ),
        (
            "cronitor.exit0",
            Cronitor,
            cr,
            Exit(0),
            true,
            "GET https://cronitor.link/p/KEY/backup?state=complete&series=R1&status_code=0&message=last%20line",
        ),
        (
            "cronitor.exit3",
            Cronitor,
            cr,
            Exit(3),
            true,
            "GET https://cronitor.link/p/KEY/backup?state=fail&series=R1&status_code=3&message=last%20line",
        ),
        (
            "cronitor.fail",
            Cronitor,
            cr,
            Fail,
            false,
            "GET https://cronitor.link/p/KEY/backup?state=fail&message=last%20line",
        ),
        ("plain.start", Plain, pl, start, true, "-"),
        (
            "plain.beat",
            Plain,
            pl,
            beat,
            true,
            "GET https://example.com/hb?x=1",
        ),
        (
            "plain.degraded",
            Plain,
            pl,
            degraded,
            false,
            "GET https://example.com/hb?x=1",
        ),
        ("plain.stop", Plain, pl, stop, false, "-"),
        (
            "plain.exit0",
            Plain,
            pl,
            Exit(0),
            true,
            "GET https://example.com/hb?x=1",
        ),
        ("plain.exit3", Plain, pl, Exit(3), true, "-"),
        ("plain.fail", Plain, pl, Fail, false, "-"),
        (
            "beatit.start",
            Beatit,
            bt,
            start,
            true,
            "POST http://127.0.0.1:8387/beat heartbeat.backup start/60",
        ),
        (
            "beatit.beat",
            Beatit,
            bt,
            beat,
            true,
            "POST http://127.0.0.1:8387/beat heartbeat.backup beat/30",
        ),
        (
            "beatit.degraded",
            Beatit,
            bt,
            degraded,
            false,
            "POST http://127.0.0.1:8387/beat heartbeat.backup degraded/30",
        ),
        (
            "beatit.stop",
            Beatit,
            bt,
            stop,
            false,
            "POST http://127.0.0.1:8387/beat heartbeat.backup stop",
        ),
        (
            "beatit.exit0",
            Beatit,
            bt,
            Exit(0),
            true,
            "POST http://127.0.0.1:8387/beat heartbeat.backup stop",
        ),
        ("beatit.exit3", Beatit, bt, Exit(3), true, "-"),
        ("beatit.fail", Beatit, bt, Fail, false, "-"),
    ]
}

#[test]
fn the_signal_mapping_table() {
    let process = Process::new("backup").expect("a name");
    let run = RunId::from_text("R1");
    let cases = mapping();
    assert_eq!(cases.len(), 39);
    for (id, service, base, signal, in_run, expected) in cases {
        let request = service.request(base, &process, signal, in_run.then_some(&run), Some(OUTPUT));
        let actual = match request {
            None => "-".to_owned(),
            Some(r) => match (r.method, r.body) {
                (Method::Get, None) => format!("GET {}", r.url),
                (Method::Post, Some(body)) => {
                    format!("POST {} {}", r.url, String::from_utf8_lossy(&body))
                }
                (method, body) => format!("{method:?} {} {body:?}", r.url),
            },
        };
        assert_eq!(actual, expected, "case {id}");
    }
}

#[test]
fn without_output_a_failure_is_a_get() {
    let process = Process::new("backup").expect("a name");
    let request = Service::Healthchecks
        .request(
            "https://hc-ping.com/KEY",
            &process,
            JobSignal::Exit(1),
            None,
            None,
        )
        .expect("sent");
    assert_eq!(
        (request.method, request.url.as_str()),
        (Method::Get, "https://hc-ping.com/KEY/1")
    );
}

#[test]
fn bodies_keep_the_last_10000_bytes_and_messages_the_first_200_of_the_last_line() {
    let process = Process::new("backup").expect("a name");
    let output = format!("{}\n{}", "a".repeat(20_000), "é".repeat(300));
    let hc = Service::Healthchecks
        .request(
            "http://h/p",
            &process,
            JobSignal::Exit(1),
            None,
            Some(&output),
        )
        .expect("sent");
    let body = hc.body.expect("a body");
    assert!(
        body.len() <= 10_000 && body.len() >= 9_999,
        "{}",
        body.len()
    );
    assert!(body.ends_with("é".as_bytes()));
    let snitch = Service::Snitch
        .request(
            "http://h/p",
            &process,
            JobSignal::Exit(1),
            None,
            Some(&output),
        )
        .expect("sent");
    // 200 bytes of two-byte characters: 100 of them, each written `%C3%A9`.
    assert_eq!(snitch.url.matches("%C3%A9").count(), 100);
}

#[test]
fn service_names_and_guesses() {
    for service in Service::ALL {
        assert_eq!(service.as_str().parse::<Service>(), Ok(service));
    }
    assert!("hc".parse::<Service>().is_err());
    assert_eq!(
        Service::guess("http://127.0.0.1:8387/beat"),
        Service::Beatit
    );
    assert_eq!(
        Service::guess("http://127.0.0.1:8387/beat?x=1"),
        Service::Beatit
    );
    assert_eq!(
        Service::guess("http://127.0.0.1:8387/ping/"),
        Service::Healthchecks
    );
}

#[test]
fn run_ids_are_uuid_version_7() {
    let a = RunId::new(at("2026-11-23T09:00:00Z"));
    let b = RunId::new(at("2026-11-23T09:00:00Z"));
    assert_ne!(a, b, "random bits differ");
    let text = a.as_str();
    assert_eq!(text.len(), 36);
    assert_eq!(&text[14..15], "7");
    assert!(matches!(&text[19..20], "8" | "9" | "a" | "b"), "{text}");
    // The first 48 bits are the milliseconds.
    let millis = u64::from_str_radix(&text[..8], 16).expect("hex") << 16
        | u64::from_str_radix(&text[9..13], 16).expect("hex");
    assert_eq!(millis, 1_795_424_400_000);
}

/// `(frequency, alignment, after, expected next fire)`.
const FIRES: &[(u32, Alignment, &str, &str)] = &[
    (
        5,
        Alignment::Divisible,
        "2026-11-23T09:07:30Z",
        "2026-11-23T09:10:00Z",
    ),
    (
        10,
        Alignment::Divisible,
        "2026-11-23T09:07:30Z",
        "2026-11-23T09:10:00Z",
    ),
    (
        15,
        Alignment::Divisible,
        "2026-11-23T09:07:30Z",
        "2026-11-23T09:15:00Z",
    ),
    (
        20,
        Alignment::Divisible,
        "2026-11-23T09:07:30Z",
        "2026-11-23T09:20:00Z",
    ),
    (
        30,
        Alignment::Divisible,
        "2026-11-23T09:07:30Z",
        "2026-11-23T09:30:00Z",
    ),
    (
        60,
        Alignment::Divisible,
        "2026-11-23T09:07:30Z",
        "2026-11-23T10:00:00Z",
    ),
    (
        5,
        Alignment::Divisible,
        "2026-11-23T09:10:00Z",
        "2026-11-23T09:15:00Z",
    ),
    (
        5,
        Alignment::Divisible,
        "2026-11-23T09:09:59.999Z",
        "2026-11-23T09:10:00Z",
    ),
    (
        20,
        Alignment::Divisible,
        "2026-11-23T09:40:00Z",
        "2026-11-23T10:00:00Z",
    ),
    (
        5,
        Alignment::Intervalometerator,
        "2026-11-23T09:07:30Z",
        "2026-11-23T09:10:00Z",
    ),
    (
        30,
        Alignment::Intervalometerator,
        "2026-11-23T09:07:30Z",
        "2026-11-23T09:15:00Z",
    ),
    (
        30,
        Alignment::Intervalometerator,
        "2026-11-23T09:15:00Z",
        "2026-11-23T09:45:00Z",
    ),
    (
        30,
        Alignment::Intervalometerator,
        "2026-11-23T09:45:00Z",
        "2026-11-23T10:15:00Z",
    ),
    (
        60,
        Alignment::Intervalometerator,
        "2026-11-23T09:07:30Z",
        "2026-11-23T09:30:00Z",
    ),
    (
        60,
        Alignment::Intervalometerator,
        "2026-11-23T09:30:00Z",
        "2026-11-23T10:30:00Z",
    ),
    (
        60,
        Alignment::Divisible,
        "2026-12-31T23:59:59Z",
        "2027-01-01T00:00:00Z",
    ),
    (
        15,
        Alignment::Divisible,
        "1969-12-31T23:50:00Z",
        "1970-01-01T00:00:00Z",
    ),
];

#[test]
fn aligned_next_fire_times() {
    for &(minutes, alignment, after, expected) in FIRES {
        let frequency = Frequency::from_minutes(minutes).expect("a frequency");
        let schedule = AlignedSchedule::new(frequency, alignment);
        assert_eq!(
            schedule.next_fire(at(after)),
            at(expected),
            "{schedule} after {after}"
        );
    }
    assert_eq!(Frequency::from_minutes(7), None);
    assert_eq!(
        Frequency::ALL.map(Frequency::minutes),
        [5, 10, 15, 20, 30, 60]
    );
}

#[test]
fn a_day_of_fires_on_a_virtual_clock() {
    let day = at("2026-11-23T00:00:00Z");
    for frequency in Frequency::ALL {
        for alignment in [Alignment::Divisible, Alignment::Intervalometerator] {
            let schedule = AlignedSchedule::new(frequency, alignment);
            let fires: Vec<_> = schedule
                .fires_after(UnixTime::new(day.secs() - 1, 0))
                .take_while(|t| t.secs() < day.secs() + 86_400)
                .collect();
            assert_eq!(
                fires.len() as u32,
                24 * 60 / frequency.minutes(),
                "{schedule}"
            );
            for t in &fires {
                let minute = t.civil().minute as u32;
                assert_eq!(t.civil().second, 0);
                assert_eq!(
                    (minute + 60 - schedule.offset_minutes()) % frequency.minutes(),
                    0,
                    "{schedule} fired at minute {minute}"
                );
            }
        }
    }
}

#[test]
fn a_plan_fires_at_start_on_schedule_and_on_demand() {
    let schedule = AlignedSchedule::new(Frequency::Every5, Alignment::Divisible);
    let mut plan = Plan::new(schedule);
    assert_eq!(plan.due(at("2026-11-23T09:07:30Z")), Some(Trigger::Start));
    assert_eq!(plan.due(at("2026-11-23T09:07:31Z")), None);
    assert_eq!(plan.due(at("2026-11-23T09:09:59Z")), None);
    assert_eq!(
        plan.due(at("2026-11-23T09:10:00Z")),
        Some(Trigger::Scheduled)
    );
    assert_eq!(plan.due(at("2026-11-23T09:10:00Z")), None);
    plan.demand();
    assert_eq!(
        plan.due(at("2026-11-23T09:11:00Z")),
        Some(Trigger::OnDemand)
    );
    assert_eq!(plan.due(at("2026-11-23T09:11:00Z")), None);
    // A machine asleep through 09:15 and 09:20 pings once when it wakes.
    assert_eq!(
        plan.due(at("2026-11-23T09:22:00Z")),
        Some(Trigger::Scheduled)
    );
    assert_eq!(plan.due(at("2026-11-23T09:22:01Z")), None);
    assert_eq!(plan.next_due(), Some(at("2026-11-23T09:25:00Z")));
}

#[test]
fn result_lines() {
    let t = at("2026-11-03T09:07:05.9Z");
    let cases = [
        (Outcome::Success(200), "2026/11/03 09:07:05 (200)"),
        (Outcome::Success(204), "2026/11/03 09:07:05 (204)"),
        (Outcome::Timeout, "2026/11/03 09:07:05 (Timeout error)"),
        (Outcome::Connection, "2026/11/03 09:07:05 (Conn. error)"),
        (Outcome::Http(503), "2026/11/03 09:07:05 (HTTP error 503)"),
        (Outcome::Redirect, "2026/11/03 09:07:05 (Redir error)"),
        (Outcome::Unknown, "2026/11/03 09:07:05 (Unknown error)"),
    ];
    for (outcome, expected) in cases {
        assert_eq!(ResultLine { at: t, outcome }.to_string(), expected);
    }
    assert_eq!(Outcome::of_status(299), Outcome::Success(299));
    assert_eq!(Outcome::of_status(301), Outcome::Redirect);
    assert_eq!(Outcome::of_status(404), Outcome::Http(404));
    assert_eq!(Outcome::of_status(100), Outcome::Http(100));
}
