//! Whether an implementation's answer to a liveness scenario (format `liveness`,
//! operation `run`) is the one the case expects (`spec/harness.md` §11): its `result`
//! is `{"events": [...]}`, the events its polls returned, compared with the case's
//! `expect.events` as a list, in order, event by event.

use std::collections::BTreeMap;

use serde_json::value::RawValue;

use crate::compare::{Answer, Mismatch, answer_text};
use crate::exact::Exact;

/// An event as compared: a `changed` event without `old` (a process first seen,
/// `spec/liveness.md` §7) has `old` `null`, as the vectors write it.
fn normal(event: &Exact) -> Exact {
    match event {
        Exact::Object(members)
            if matches!(members.get("event"), Some(Exact::String(e)) if e == "changed")
                && !members.contains_key("old") =>
        {
            let mut members = members.clone();
            members.insert("old".to_owned(), Exact::Null);
            Exact::Object(members)
        }
        other => other.clone(),
    }
}

/// A list of events as the diff shows it: `result` with `events`, one member a line,
/// as the answer's own output is shown.
fn shown(events: &Exact) -> String {
    let result = Exact::Object(BTreeMap::from([("events".to_owned(), events.clone())]));
    format!("result: {}", result.pretty())
}

/// What an event is, in a few words: `changed billing.worker-1 -> late at ...`.
fn label(event: &Exact) -> String {
    let Exact::Object(members) = event else {
        return "not an object".to_owned();
    };
    let text = |key: &str| match members.get(key) {
        Some(Exact::String(s)) => s.clone(),
        Some(Exact::Null) | None => "-".to_owned(),
        Some(other) => other.pretty(),
    };
    match text("event").as_str() {
        "changed" => format!(
            "changed {} {} -> {} ({}) at {}",
            text("source"),
            text("process"),
            text("new"),
            text("reason"),
            text("at")
        ),
        "stalled" => format!("stalled from {} to {}", text("from"), text("to")),
        "capped" => format!(
            "capped {} {} ({}) at {}",
            text("source"),
            text("process"),
            text("cap"),
            text("at")
        ),
        other => other.to_owned(),
    }
}

/// Checks an answer to a scenario whose expected events are `expected` (the case's
/// `expect.events`). Skipped and errored answers are not compared.
pub fn check(expected: &RawValue, answer: &Answer) -> Result<(), Mismatch> {
    let expected = Exact::parse(expected.get()).map_err(|e| Mismatch {
        reason: format!("the expectation is {e}"),
        expected: expected.get().to_owned(),
        actual: answer_text(answer),
    })?;
    let mismatch = |reason: String| Mismatch {
        reason,
        expected: shown(&expected),
        actual: answer_text(answer),
    };
    let output = match answer {
        Answer::Skipped(_) | Answer::Errored(_) => return Ok(()),
        Answer::Rejected(_) => return Err(mismatch("rejected a scenario".to_owned())),
        Answer::Accepted(output) => output,
    };
    let Some(result) = &output.result else {
        return Err(mismatch("no result".to_owned()));
    };
    let result = Exact::parse(result.get()).map_err(|e| mismatch(format!("the result is {e}")))?;
    let actual = match &result {
        Exact::Object(members) => match members.get("events") {
            Some(Exact::Array(events)) => events,
            _ => return Err(mismatch("the result has no events array".to_owned())),
        },
        _ => return Err(mismatch("the result is not an object".to_owned())),
    };
    let Exact::Array(expected_events) = &expected else {
        return Err(mismatch("the expectation is not an array".to_owned()));
    };
    let (e, a) = (expected_events.len(), actual.len());
    for (i, (want, got)) in expected_events.iter().zip(actual).enumerate() {
        if !normal(want).same(&normal(got), true) {
            return Err(mismatch(format!(
                "event {} of {e} differs: expected {}, got {}",
                i + 1,
                label(want),
                label(got)
            )));
        }
    }
    match a.cmp(&e) {
        std::cmp::Ordering::Less => Err(mismatch(format!(
            "{} of {e} events missing, the first: {}",
            e - a,
            label(&expected_events[a])
        ))),
        std::cmp::Ordering::Greater => Err(mismatch(format!(
            "{} events more than the {e} expected, the first: {}",
            a - e,
            label(&actual[e])
        ))),
        std::cmp::Ordering::Equal => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{Output, Rejection};

    const EXPECTED: &str = r#"[
        {"event": "changed", "source": "text", "process": "w", "old": null, "new": "alive",
         "reason": "beat", "at": "2024-01-01T00:00:00Z"},
        {"event": "changed", "source": "text", "process": "w", "old": "alive", "new": "late",
         "reason": "overdue", "at": "2024-01-01T00:00:07.5Z"}
    ]"#;

    fn verdict(result: &str) -> Result<(), String> {
        let expected = RawValue::from_string(EXPECTED.to_owned()).map_err(|e| e.to_string())?;
        let answer = Answer::Accepted(Output {
            result: Some(RawValue::from_string(result.to_owned()).map_err(|e| e.to_string())?),
            ..Output::default()
        });
        check(&expected, &answer).map_err(|m| m.reason)
    }

    #[test]
    fn events_compare_in_order_with_instants() {
        // Another order of members, an instant in another zone, `old` absent for a
        // process first seen: the same events.
        assert_eq!(
            verdict(
                r#"{"events": [
                {"at": "2024-01-01T01:00:00+01:00", "event": "changed", "source": "text",
                 "process": "w", "new": "alive", "reason": "beat"},
                {"event": "changed", "source": "text", "process": "w", "old": "alive",
                 "new": "late", "reason": "overdue", "at": "2024-01-01T00:00:07.500Z"}]}"#
            ),
            Ok(())
        );
        let late = verdict(
            r#"{"events": [
            {"event": "changed", "source": "text", "process": "w", "old": null, "new": "alive",
             "reason": "beat", "at": "2024-01-01T00:00:00Z"},
            {"event": "changed", "source": "text", "process": "w", "old": "alive", "new": "late",
             "reason": "overdue", "at": "2024-01-01T00:00:08Z"}]}"#,
        );
        assert_eq!(
            late,
            Err(
                "event 2 of 2 differs: expected changed text w -> late (overdue) at \
                 2024-01-01T00:00:07.5Z, got changed text w -> late (overdue) at \
                 2024-01-01T00:00:08Z"
                    .to_owned()
            )
        );
        let missing = verdict(
            r#"{"events": [
            {"event": "changed", "source": "text", "process": "w", "old": null, "new": "alive",
             "reason": "beat", "at": "2024-01-01T00:00:00Z"}]}"#,
        );
        assert_eq!(
            missing,
            Err(
                "1 of 2 events missing, the first: changed text w -> late (overdue) at \
                 2024-01-01T00:00:07.5Z"
                    .to_owned()
            )
        );
        let extra = verdict(
            r#"{"events": [
            {"event": "changed", "source": "text", "process": "w", "old": null, "new": "alive",
             "reason": "beat", "at": "2024-01-01T00:00:00Z"},
            {"event": "changed", "source": "text", "process": "w", "old": "alive", "new": "late",
             "reason": "overdue", "at": "2024-01-01T00:00:07.5Z"},
            {"event": "stalled", "from": "2024-01-01T00:00:07.5Z", "to": "2024-01-02T00:00:00Z"}]}"#,
        );
        assert!(
            extra
                .as_ref()
                .is_err_and(|e| e.starts_with("1 events more")),
            "{extra:?}"
        );
        let member = verdict(
            r#"{"events": [
            {"event": "changed", "source": "text", "process": "w", "old": null, "new": "alive",
             "reason": "beat", "at": "2024-01-01T00:00:00Z", "extra": 1},
            {"event": "changed", "source": "text", "process": "w", "old": "alive", "new": "late",
             "reason": "overdue", "at": "2024-01-01T00:00:07.5Z"}]}"#,
        );
        assert!(
            member
                .as_ref()
                .is_err_and(|e| e.starts_with("event 1 of 2")),
            "a member no event has: {member:?}"
        );
        assert_eq!(
            verdict(r#"{"events": {}}"#),
            Err("the result has no events array".to_owned())
        );
        assert_eq!(
            verdict(r#"[]"#),
            Err("the result is not an object".to_owned())
        );
    }

    #[test]
    fn a_rejection_or_no_result_fails_and_a_skip_is_not_compared() {
        let expected = RawValue::from_string(EXPECTED.to_owned()).ok();
        let Some(expected) = expected else {
            panic!("the expectation is JSON");
        };
        let rejected = check(&expected, &Answer::Rejected(Rejection::default()));
        assert_eq!(
            rejected.map_err(|m| m.reason),
            Err("rejected a scenario".to_owned())
        );
        let empty = check(&expected, &Answer::Accepted(Output::default()));
        assert_eq!(empty.map_err(|m| m.reason), Err("no result".to_owned()));
        assert!(check(&expected, &Answer::Skipped("no".to_owned())).is_ok());
    }
}
