//! The event line: an [`Event`] as the JSON object of `spec/liveness.md` §7, written by
//! one function for the `heartwire monitor` output, its alerts, the scenarios of the
//! vectors and the conformance harness.

use heartwire::time::UnixTime;

use super::{Cap, Event};

impl Cap {
    /// The cap's name in an event: `processes` or `rate`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Cap::Processes => "processes",
            Cap::Rate => "rate",
        }
    }
}

impl Event {
    /// Appends this event's JSON line (`spec/liveness.md` §7) to `out`, without the line
    /// end: one object, its members in name order (the order `serde_json` writes a map
    /// in), `old` `null` for a process first seen, `exit_status` for reason `exit` only.
    ///
    /// `time` appends an instant (`at`, `from`, `to`) as RFC 3339 text, without quotes:
    /// the instant's precision is the writer's (the monitor program writes milliseconds,
    /// the vectors nanoseconds), and a writer of many lines can reuse the date of the
    /// second it is in.
    ///
    /// ```
    /// use heartwire::time::UnixTime;
    /// use heartwire_liveness::{Change, Event, Reason, Source, State};
    ///
    /// let event = Event::Changed(Change {
    ///     process: "billing.worker-1".to_owned(),
    ///     source: Source::Text,
    ///     old: Some(State::Alive),
    ///     new: State::Late,
    ///     reason: Reason::Overdue,
    ///     at: UnixTime::new(1_704_067_207, 500_000_000),
    /// });
    /// let mut line = String::new();
    /// event.json(&mut line, |at, out| out.push_str(&at.as_nanos().to_string()));
    /// assert_eq!(
    ///     line,
    ///     r#"{"at":"1704067207500000000","event":"changed","new":"late","old":"alive","process":"billing.worker-1","reason":"overdue","source":"text"}"#
    /// );
    /// ```
    pub fn json(&self, out: &mut String, mut time: impl FnMut(UnixTime, &mut String)) {
        match self {
            Event::Changed(c) => {
                out.push_str("{\"at\":\"");
                time(c.at, out);
                out.push_str("\",\"event\":\"changed\",");
                if let Some(status) = c.reason.exit_status() {
                    out.push_str("\"exit_status\":");
                    out.push_str(&status.to_string());
                    out.push(',');
                }
                out.push_str("\"new\":\"");
                out.push_str(c.new.as_str());
                out.push_str("\",\"old\":");
                match c.old {
                    Some(old) => {
                        out.push('"');
                        out.push_str(old.as_str());
                        out.push('"');
                    }
                    None => out.push_str("null"),
                }
                out.push_str(",\"process\":");
                string(&c.process, out);
                out.push_str(",\"reason\":\"");
                out.push_str(c.reason.as_str());
                out.push_str("\",\"source\":\"");
                out.push_str(c.source.as_str());
                out.push_str("\"}");
            }
            Event::Stalled { from, to } => {
                out.push_str("{\"event\":\"stalled\",\"from\":\"");
                time(*from, out);
                out.push_str("\",\"to\":\"");
                time(*to, out);
                out.push_str("\"}");
            }
            Event::Capped {
                cap,
                process,
                source,
                at,
            } => {
                out.push_str("{\"at\":\"");
                time(*at, out);
                out.push_str("\",\"cap\":\"");
                out.push_str(cap.as_str());
                out.push_str("\",\"event\":\"capped\",\"process\":");
                string(process, out);
                out.push_str(",\"source\":\"");
                out.push_str(source.as_str());
                out.push_str("\"}");
            }
        }
    }
}

/// `text` as a JSON string: a process name is plain ASCII and goes as it is; a command
/// id may hold anything, and is escaped by `serde_json`.
fn string(text: &str, out: &mut String) {
    if text
        .bytes()
        .all(|b| (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\')
    {
        out.push('"');
        out.push_str(text);
        out.push('"');
    } else {
        out.push_str(&serde_json::Value::from(text).to_string());
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Map, Value};

    use super::*;
    use crate::{Change, Reason, Source, State};

    /// Instants as the vectors write them, whole seconds only here.
    fn seconds(at: UnixTime, out: &mut String) {
        out.push_str(&format!("@{}", at.secs()));
    }

    fn line(event: &Event) -> String {
        let mut out = String::new();
        event.json(&mut out, seconds);
        out
    }

    fn changed(process: &str, old: Option<State>, new: State, reason: Reason) -> Event {
        Event::Changed(Change {
            process: process.to_owned(),
            source: Source::Ping,
            old,
            new,
            reason,
            at: UnixTime::new(7, 0),
        })
    }

    #[test]
    fn every_event_is_its_line_of_section_7() {
        let cases = [
            (
                changed("w", None, State::Alive, Reason::Ping),
                r#"{"at":"@7","event":"changed","new":"alive","old":null,"process":"w","reason":"ping","source":"ping"}"#,
            ),
            (
                changed("w", Some(State::Alive), State::Failed, Reason::Exit(3)),
                r#"{"at":"@7","event":"changed","exit_status":3,"new":"failed","old":"alive","process":"w","reason":"exit","source":"ping"}"#,
            ),
            (
                changed("w", Some(State::Failed), State::Alive, Reason::Exit(0)),
                r#"{"at":"@7","event":"changed","exit_status":0,"new":"alive","old":"failed","process":"w","reason":"exit","source":"ping"}"#,
            ),
            (
                Event::Stalled {
                    from: UnixTime::new(1, 0),
                    to: UnixTime::new(9, 0),
                },
                r#"{"event":"stalled","from":"@1","to":"@9"}"#,
            ),
            (
                Event::Capped {
                    cap: Cap::Processes,
                    process: "a.b".to_owned(),
                    source: Source::Text,
                    at: UnixTime::new(2, 0),
                },
                r#"{"at":"@2","cap":"processes","event":"capped","process":"a.b","source":"text"}"#,
            ),
            (
                Event::Capped {
                    cap: Cap::Rate,
                    process: "svc".to_owned(),
                    source: Source::Record,
                    at: UnixTime::new(2, 0),
                },
                r#"{"at":"@2","cap":"rate","event":"capped","process":"svc","source":"record"}"#,
            ),
        ];
        for (event, expected) in cases {
            assert_eq!(line(&event), expected, "{event}");
        }
    }

    /// The members of each event are the ones §7's table names, whatever the values.
    #[test]
    fn the_members_are_the_ones_the_table_names() {
        let members = |event: &Event| -> Vec<String> {
            match serde_json::from_str::<Map<String, Value>>(&line(event)) {
                Ok(object) => object.keys().cloned().collect(),
                Err(e) => panic!("{event}: {e}"),
            }
        };
        assert_eq!(
            members(&changed("w", None, State::Dead, Reason::Silent)),
            ["at", "event", "new", "old", "process", "reason", "source"]
        );
        assert_eq!(
            members(&changed("w", None, State::Failed, Reason::Exit(1))),
            [
                "at",
                "event",
                "exit_status",
                "new",
                "old",
                "process",
                "reason",
                "source"
            ]
        );
        let stalled = Event::Stalled {
            from: UnixTime::new(0, 0),
            to: UnixTime::new(0, 0),
        };
        assert_eq!(members(&stalled), ["event", "from", "to"]);
        let capped = Event::Capped {
            cap: Cap::Rate,
            process: String::new(),
            source: Source::Command,
            at: UnixTime::new(0, 0),
        };
        assert_eq!(
            members(&capped),
            ["at", "cap", "event", "process", "source"]
        );
    }

    /// A command id may hold anything: what goes unescaped needs no escape, so that a
    /// line equals what a JSON tree of the same event serializes to.
    #[test]
    fn names_are_escaped_as_serde_json_escapes_them() {
        let mut all: String = (0u8..0x80).map(char::from).collect();
        all.push_str("é ☃ 🦀 \u{7f}\u{2028}");
        for name in ["", "plain", "odd \"id\" \\ é\u{1}", all.as_str()] {
            let mut out = String::new();
            string(name, &mut out);
            assert_eq!(out, Value::from(name).to_string(), "{name:?}");
        }
    }
}
