//! The checks of the `schedule_decode` fuzz target, shared with the replay test in
//! `tests/schedule_conformance.rs`, which runs them over the corpus on stable Rust.
//!
//! Every promise the schedule codec makes about one input, as assertions: decoding either
//! fails with an offset inside the input and a message, or gives a schedule whose
//! canonical document decodes to the same schedule and encodes to itself again, in every
//! dialect. The input is also read as a rate string and as an EventBridge expression,
//! whose outputs must read back to the same rate, and whose fire times must be ordered
//! whole minutes.

use heartwire::schedule::{Dialect, Rate, Schedule};
use heartwire::time::UnixTime;

/// Checks one fuzz input; panics when heartwire breaks a promise.
pub fn schedule_decode(data: &[u8]) {
    match Schedule::decode(data) {
        Ok(schedule) => check_schedule(&schedule, data),
        Err(e) => {
            assert!(
                e.offset <= data.len(),
                "{e:?} points past the end of {} bytes",
                data.len()
            );
            assert!(!e.to_string().is_empty());
            assert!(e.class().starts_with("json."), "{e:?}");
        }
    }
    if let Ok(text) = std::str::from_utf8(data) {
        check_rate_text(text);
        check_expression(text);
    }
}

fn check_schedule(schedule: &Schedule<'_>, input: &[u8]) {
    let mut canonical = Vec::new();
    schedule.encode(&mut canonical);
    assert!(
        canonical.len() <= input.len(),
        "the canonical form {} is longer than the input",
        canonical.escape_ascii()
    );
    assert_eq!(schedule.to_string().as_bytes(), &canonical[..], "Display");
    let again = Schedule::decode(&canonical)
        .unwrap_or_else(|e| panic!("the canonical form {} fails: {e}", canonical.escape_ascii()));
    assert_eq!(
        &again,
        schedule,
        "canonical form {}",
        canonical.escape_ascii()
    );
    let mut twice = Vec::new();
    again.encode(&mut twice);
    assert_eq!(twice, canonical, "not a fixed point");
    for dialect in Dialect::ALL {
        let mut buf = Vec::new();
        schedule.encode_as(&mut buf, dialect);
        let back = Schedule::decode(&buf)
            .unwrap_or_else(|e| panic!("the {dialect:?} form {} fails: {e}", buf.escape_ascii()));
        assert_eq!(&back, schedule, "{dialect:?} form {}", buf.escape_ascii());
    }
    assert_eq!(&schedule.clone().into_owned(), schedule, "into_owned");
    check_rate(schedule.rate());
}

fn check_rate_text(text: &str) {
    match Rate::parse(text) {
        Ok(rate) => {
            let canonical = rate.to_string();
            assert!(canonical.len() <= text.len(), "{text:?} -> {canonical}");
            assert_eq!(
                canonical.parse::<Rate>(),
                Ok(rate),
                "{text:?} -> {canonical}"
            );
            check_rate(rate);
        }
        Err(e) => {
            assert!(
                e.offset <= text.len(),
                "{e:?} points past the end of {text:?}"
            );
            assert!(
                text.is_char_boundary(e.offset),
                "{e:?} splits a character of {text:?}"
            );
            assert!(!e.to_string().is_empty());
        }
    }
}

fn check_expression(text: &str) {
    match Rate::from_expression(text) {
        Ok(rate) => check_rate(rate),
        Err(e) => {
            assert!(
                e.offset <= text.len(),
                "{e:?} points past the end of {text:?}"
            );
            assert!(
                text.is_char_boundary(e.offset),
                "{e:?} splits a character of {text:?}"
            );
            assert!(!e.to_string().is_empty());
        }
    }
}

/// Everything that holds for any rate.
fn check_rate(rate: Rate) {
    let expression = rate.expression();
    assert_eq!(Rate::from_expression(&expression), Ok(rate), "{expression}");
    if let Some(at) = rate.at_expression() {
        assert_eq!(Rate::from_expression(&at), Ok(rate), "{at}");
    }
    for after in [
        UnixTime::new(1_735_137_000, 0),
        UnixTime::new(951_782_400, 1),
        UnixTime::new(-1, 999_999_999),
    ] {
        let mut previous = after;
        for t in rate.fire_times(after).take(3) {
            assert!(t > previous, "{rate}: {t:?} is not after {previous:?}");
            assert_eq!(
                t.secs().rem_euclid(60),
                0,
                "{rate}: {t:?} is not a whole minute"
            );
            assert_eq!(t.subsec_nanos(), 0);
            assert_eq!(rate.next_after(previous), Some(t), "{rate}");
            previous = t;
        }
    }
}
