//! Properties of the schedule codec, its grammars and its fire times over generated input
//! (proptest).

use heartwire::schedule::{Dialect, MAX_COUNT, Name, Rate, RateKind, Schedule};
use heartwire::time::{UnixTime, Weekday};
use proptest::prelude::*;

#[path = "support/schema.rs"]
mod schema;
use heartwire::json::RawJson;

/// A name of the EventBridge set.
fn name() -> impl Strategy<Value = String> {
    "[0-9A-Za-z._-]{1,64}"
}

fn count(max: u32) -> impl Strategy<Value = u32> {
    prop_oneof![1..=max.min(100), 1..=max, Just(max)]
}

/// Any valid rate; interval counts up to `max_count`.
fn rate_up_to(max_count: [u32; 3]) -> impl Strategy<Value = Rate> {
    let [minutes, hours, days] = max_count;
    prop_oneof![
        (1970u16..=2199, 1u8..=12, 1u8..=31, 0u8..24, 0u8..60)
            .prop_filter_map("a date that exists", |(y, mo, d, h, m)| Rate::single(
                y, mo, d, h, m
            )),
        count(minutes).prop_map(|n| Rate::minutes(n).expect("a count")),
        count(hours).prop_map(|n| Rate::hours(n).expect("a count")),
        count(days).prop_map(|n| Rate::days(n).expect("a count")),
        (0u8..24, 0u8..60).prop_map(|(h, m)| Rate::daily(h, m).expect("a time")),
        (0u8..24, 0u8..60).prop_map(|(h, m)| Rate::weekdays(h, m).expect("a time")),
        (0u8..24, 0u8..60).prop_map(|(h, m)| Rate::weekdays_and_saturday(h, m).expect("a time")),
    ]
}

fn rate() -> impl Strategy<Value = Rate> {
    rate_up_to([MAX_COUNT; 3])
}

/// Small JSON values for extra members, as text.
fn json_value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("null".to_owned()),
        Just("156.30".to_owned()),
        Just("1e-05".to_owned()),
        Just("[1, {\"a\": [true, false]}]".to_owned()),
        Just("{ \"nested\" : { \"k\" : \"v\\u00e9\" } }".to_owned()),
        any::<String>().prop_map(|s| serde_json::to_string(&s).expect("a string")),
        any::<i64>().prop_map(|n| n.to_string()),
    ]
}

/// Extra members with distinct keys none of which is a known member.
fn extras() -> impl Strategy<Value = Vec<(String, String)>> {
    proptest::collection::vec(("[a-z]{1,8}", json_value()), 0..4).prop_map(|members| {
        let mut seen = std::collections::HashSet::new();
        members
            .into_iter()
            .filter(|(k, _)| !matches!(k.as_str(), "name" | "rate" | "payload"))
            .filter(|(k, _)| seen.insert(k.clone()))
            .collect()
    })
}

/// White space JSON allows between tokens.
fn ws() -> impl Strategy<Value = &'static str> {
    prop_oneof![Just(""), Just(" "), Just("\n  "), Just("\t"), Just(" \r\n")]
}

/// One of the accepted spellings of a rate, as JSON text (`spec/schedule.md` §4.2-§4.4).
fn rate_json(rate: Rate) -> impl Strategy<Value = String> {
    let (args, n) = rate.args();
    let args: Vec<u32> = args.into_iter().take(n).collect();
    let name = rate.kind().as_str();
    (0usize..3, proptest::collection::vec(any::<bool>(), 5), ws()).prop_flat_map(
        move |(form, spaces, w)| {
            let args = args.clone();
            match form {
                0 => {
                    let mut s = format!("\"{name}(");
                    for (i, a) in args.iter().enumerate() {
                        if i > 0 {
                            s.push(',');
                            if spaces.get(i).copied().unwrap_or(false) {
                                s.push(' ');
                            }
                        }
                        s.push_str(&a.to_string());
                    }
                    s.push_str(")\"");
                    Just(s).boxed()
                }
                1 => {
                    let mut members = vec![format!("\"TAG\"{w}:{w}\"{name}\"")];
                    for (i, a) in args.iter().enumerate() {
                        members.push(format!("\"_{i}\"{w}:{w}{a}"));
                    }
                    Just(members)
                        .prop_shuffle()
                        .prop_map(move |m| format!("{{{w}{}{w}}}", m.join(&format!("{w},{w}"))))
                        .boxed()
                }
                _ => {
                    let mut elements = vec![format!("\"{name}\"")];
                    elements.extend(args.iter().map(u32::to_string));
                    Just(format!("[{w}{}{w}]", elements.join(&format!("{w},{w}")))).boxed()
                }
            }
        },
    )
}

/// The canonical document of its parts, written here without the encoder.
fn canonical(name: &str, rate: Rate, payload: &str, extras: &[(String, String)]) -> String {
    let s = |t: &str| serde_json::to_string(t).expect("a string");
    let mut out = format!(
        "{{\"name\":{},\"rate\":\"{rate}\",\"payload\":{}",
        s(name),
        s(payload)
    );
    for (k, v) in extras {
        out.push_str(&format!(",{}:{v}", s(k)));
    }
    out.push('}');
    out
}

fn encode(schedule: &Schedule<'_>, dialect: Dialect) -> Vec<u8> {
    let mut buf = Vec::new();
    schedule.encode_as(&mut buf, dialect);
    buf
}

/// Whether `rate` fires at the whole minute `t`, by the words of `spec/schedule.md` §8
/// (epoch anchor), checked the slow way.
fn fires_at(rate: Rate, t: UnixTime) -> bool {
    let s = t.secs();
    let c = t.civil();
    let clock = |h: u8, m: u8| c.hour == h && c.minute == m;
    match rate {
        Rate::Minutes(n) => s.rem_euclid(60 * i64::from(n.get())) == 0,
        Rate::Hours(n) => s.rem_euclid(3600 * i64::from(n.get())) == 0,
        Rate::Days(n) => s.rem_euclid(86_400 * i64::from(n.get())) == 0,
        Rate::Daily { hour, minute } => clock(hour.get(), minute.get()),
        Rate::Weekdays { hour, minute } => {
            clock(hour.get(), minute.get())
                && !matches!(t.weekday(), Weekday::Saturday | Weekday::Sunday)
        }
        Rate::WeekdaysAndSaturday { hour, minute } => {
            clock(hour.get(), minute.get()) && t.weekday() != Weekday::Sunday
        }
        Rate::Single { date, hour, minute } => {
            (c.year, c.month, c.day) == (i32::from(date.year()), date.month(), date.day())
                && clock(hour.get(), minute.get())
        }
    }
}

/// An instant between 1900 and 2300, with a fraction of a second.
fn instant() -> impl Strategy<Value = UnixTime> {
    prop_oneof![
        (-2_208_988_800i64..10_413_792_000, 0u32..1_000_000_000),
        // Whole minutes, where "strictly after" matters most.
        (-36_816_480i64..173_563_200).prop_map(|m| (m * 60, 0)),
    ]
    .prop_map(|(s, n)| UnixTime::new(s, n))
}

proptest! {
    /// Encode then decode is the identity, in every dialect.
    #[test]
    fn encode_then_decode_is_identity(
        name in name(),
        rate in rate(),
        payload in any::<String>(),
        extras in extras(),
        dialect in prop_oneof![Just(Dialect::String), Just(Dialect::Sury), Just(Dialect::Decco)],
    ) {
        let mut schedule = Schedule::new(Name::new(name.as_str()).expect("a valid name"), rate, payload.as_str());
        for (k, v) in &extras {
            let value = RawJson::new(v.clone()).expect("generated JSON");
            schedule.extras_mut().insert(k.clone(), value);
        }
        let buf = encode(&schedule, dialect);
        let text = std::str::from_utf8(&buf).unwrap_or_default();
        prop_assert!(schema::is_valid("schedule", text), "the schedule schema rejects {}", text);
        let decoded = Schedule::decode(&buf)
            .map_err(|e| TestCaseError::fail(format!("{buf:?}: {e}")))?;
        prop_assert_eq!(&decoded, &schedule);
        if dialect == Dialect::String {
            let expected = canonical(&name, rate, &payload, &extras);
            prop_assert_eq!(&buf[..], expected.as_bytes());
            let display = schedule.to_string();
            prop_assert_eq!(display.as_bytes(), &buf[..]);
        }
    }

    /// Any accepted spelling of a document decodes to the schedule its parts name, and
    /// encodes to the canonical document, which is a fixed point and never longer.
    #[test]
    fn decode_then_encode_gives_the_canonical_form(
        name in name(),
        (rate, rate_text) in rate().prop_flat_map(|r| (Just(r), rate_json(r))),
        payload in any::<String>(),
        extras in extras(),
        order in Just((0..3usize).collect::<Vec<_>>()).prop_shuffle(),
        w in ws(),
    ) {
        let s = |t: &str| serde_json::to_string(t).expect("a string");
        let known = [
            format!("\"name\"{w}:{w}{}", s(&name)),
            format!("\"rate\"{w}:{w}{rate_text}"),
            format!("\"payload\"{w}:{w}{}", s(&payload)),
        ];
        let mut members: Vec<String> = order.iter().map(|&i| known[i].clone()).collect();
        for (k, v) in &extras {
            members.push(format!("{}{w}:{w}{v}", s(k)));
        }
        let document = format!("{w}{{{w}{}{w}}}{w}", members.join(&format!("{w},{w}")));
        let schedule = Schedule::decode(document.as_bytes())
            .map_err(|e| TestCaseError::fail(format!("{document}: {e}")))?;
        prop_assert_eq!(schedule.name().as_str(), name.as_str());
        prop_assert_eq!(schedule.rate(), rate);
        prop_assert_eq!(schedule.payload(), payload.as_str());
        let buf = encode(&schedule, Dialect::String);
        let expected = canonical(&name, rate, &payload, &extras);
        prop_assert_eq!(&buf[..], expected.as_bytes());
        prop_assert!(buf.len() <= document.len());
        let again = Schedule::decode(&buf).expect("the canonical form decodes");
        prop_assert_eq!(&again, &schedule);
        let twice = encode(&again, Dialect::String);
        prop_assert_eq!(&twice, &buf);
    }

    /// The string form, the expressions and their parsers agree.
    #[test]
    fn text_forms_read_back(rate in rate()) {
        let text = rate.to_string();
        prop_assert_eq!(text.parse::<Rate>(), Ok(rate));
        prop_assert!(!text.contains(' '));
        prop_assert_eq!(Rate::from_expression(&rate.expression()), Ok(rate));
        match rate.at_expression() {
            Some(at) => {
                prop_assert_eq!(rate.kind(), RateKind::Single);
                prop_assert_eq!(Rate::from_expression(&at), Ok(rate));
            }
            None => prop_assert_ne!(rate.kind(), RateKind::Single),
        }
        // The seed's spacing: one space after each comma.
        prop_assert_eq!(text.replace(',', ", ").parse::<Rate>(), Ok(rate));
    }

    /// The next fire time is the first whole minute after the instant at which the rate
    /// fires, found here by stepping through the minutes.
    #[test]
    fn next_after_is_the_first_fire_time(
        rate in rate_up_to([1440, 48, 7]),
        after in instant(),
    ) {
        let next = rate.next_after(after);
        let first_minute = after.secs().div_euclid(60) * 60 + 60;
        let limit = 8 * 1440;
        let slow = (0..limit)
            .map(|i| UnixTime::new(first_minute + 60 * i, 0))
            .find(|&t| fires_at(rate, t));
        match (rate, slow) {
            (_, Some(t)) => prop_assert_eq!(next, Some(t)),
            (Rate::Single { .. }, None) => {
                if let Some(t) = next {
                    prop_assert!(t > after && fires_at(rate, t));
                }
            }
            (_, None) => prop_assert!(false, "{} did not fire within 8 days of {:?}", rate, after),
        }
    }

    /// Fire times are increasing whole minutes, each the next after the one before, and
    /// an anchored interval fires at the anchor's minute plus whole intervals.
    #[test]
    fn fire_times_are_a_sequence(rate in rate(), after in instant(), anchor in instant()) {
        let mut previous = after;
        for t in rate.fire_times_anchored(after, anchor).take(4) {
            prop_assert!(t > previous);
            prop_assert_eq!((t.secs().rem_euclid(60), t.subsec_nanos()), (0, 0));
            prop_assert_eq!(rate.next_after_anchored(previous, anchor), Some(t));
            let interval = match rate {
                Rate::Minutes(n) => Some(60 * i64::from(n.get())),
                Rate::Hours(n) => Some(3600 * i64::from(n.get())),
                Rate::Days(n) => Some(86_400 * i64::from(n.get())),
                _ => None,
            };
            if let Some(interval) = interval {
                let phase = anchor.secs().div_euclid(60) * 60;
                prop_assert_eq!((t.secs() - phase).rem_euclid(interval), 0);
                prop_assert!(t.secs() - interval <= previous.secs());
            } else {
                prop_assert!(fires_at(rate, t));
            }
            previous = t;
        }
    }

    /// Arbitrary bytes never panic; errors point inside the input.
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        if let Err(e) = Schedule::decode(&bytes) {
            prop_assert!(e.offset <= bytes.len());
            prop_assert!(!e.to_string().is_empty());
        }
        let text = String::from_utf8_lossy(&bytes);
        for result in [Rate::parse(&text), Rate::from_expression(&text)] {
            if let Err(e) = result {
                prop_assert!(e.offset <= text.len() && text.is_char_boundary(e.offset));
            }
        }
    }

    /// Text that looks like schedules, rates and expressions never panics either.
    #[test]
    fn json_ish_text_never_panics(
        rate in r#"[A-Za-z]{0,20}\(?[0-9, ]{0,24}\)?"#,
        expr in r#"(rate|cron|at)\(?[0-9A-Za-z*?,/#: T-]{0,30}\)?"#,
        name in r#"[ -~]{0,70}"#,
        payload in r#"[ -~]{0,20}"#,
        sury in r#"\{("TAG"|"_[0-9]"|"x"):("Daily"|[0-9]{1,12}|-1|1\.5|null),?("_[0-9]":[0-9]{1,3},?){0,6}\}"#,
    ) {
        for text in [&rate, &expr] {
            let _ = Rate::parse(text);
            let _ = Rate::from_expression(text);
        }
        for rate in [format!("{rate:?}"), sury.clone(), format!("[{sury}]"), format!("[\"{rate}\",{payload}]")] {
            let doc = format!("{{\"name\":{name:?},\"rate\":{rate},\"payload\":{payload:?}}}");
            if let Err(e) = Schedule::decode(doc.as_bytes()) {
                prop_assert!(e.offset <= doc.len());
                prop_assert!(e.class().starts_with("json."));
            }
        }
    }
}
