//! The monitor's output lines: the engine's events (`spec/liveness.md` §7) and the
//! program's own about its links (§7.1), as JSON objects and as table lines.

use heartwire::time::{Timestamp, UnixTime};
use heartwire_broker::Loss;
use heartwire_liveness::{Event, State};
use serde_json::json;

/// An instant as RFC 3339, in UTC, to the millisecond.
pub(crate) fn time(at: UnixTime) -> String {
    Timestamp::from_unix_millis(at).as_str().to_owned()
}

/// A duration for people: `850ms`, `12.5s`, `4m05s`, `3h02m`.
pub(crate) fn span(d: std::time::Duration) -> String {
    let secs = d.as_secs();
    if secs < 1 {
        format!("{}ms", d.as_millis())
    } else if secs < 60 {
        format!("{:.1}s", d.as_secs_f64())
    } else if secs < 3600 {
        format!("{}m{:02}s", secs / 60, secs % 60)
    } else {
        format!("{}h{:02}m", secs / 3600, secs / 60 % 60)
    }
}

/// An event as one line of the table's list of latest events.
pub(crate) fn event_line(event: &Event) -> String {
    match event {
        Event::Changed(c) => format!(
            "{} {} ({}): {} -> {} ({})",
            time(c.at),
            c.process,
            c.source,
            c.old.map_or("new", State::as_str),
            c.new,
            c.reason
        ),
        Event::Stalled { from, to } => format!(
            "{} the monitor stalled since {}: deadlines moved, nobody convicted",
            time(*to),
            time(*from)
        ),
        Event::Capped {
            cap,
            process,
            source,
            at,
        } => format!(
            "{} {process} ({source}): not counted, over the {cap:?} cap",
            time(*at)
        ),
        other => format!("{} {other}", time(other.at())),
    }
}

/// An event as one JSON line (`spec/liveness.md` §7), as a JSON tree.
pub(crate) fn event_json(event: &Event) -> serde_json::Value {
    let mut line = String::new();
    event.json(&mut line, |at, out| out.push_str(&time(at)));
    serde_json::from_str(&line).expect("Event::json writes one JSON object")
}

/// Writes events as JSON lines (`spec/liveness.md` §7) straight into a buffer: a
/// million processes seen for the first time are a million `changed` lines, and
/// building a JSON tree and formatting a date for each cost more than judging the beats
/// did. The members come in the order `serde_json` would sort them, as before.
#[derive(Debug, Default)]
pub(crate) struct EventWriter {
    /// The second whose date and time `prefix` holds.
    second: Option<i64>,
    /// `2026-12-03T11:46:23.` of that second.
    prefix: String,
}

impl EventWriter {
    /// `at` as RFC 3339 in UTC to the millisecond, appended to `out`.
    fn time(&mut self, at: UnixTime, out: &mut String) {
        if self.second != Some(at.secs()) {
            let whole = UnixTime::new(at.secs(), 0);
            let text = time(whole);
            // `....:SS.000Z` without its milliseconds and zone.
            self.prefix = text[..text.len() - 4].to_owned();
            self.second = Some(at.secs());
        }
        out.push_str(&self.prefix);
        let millis = at.subsec_nanos() / 1_000_000;
        out.push(char::from(b'0' + (millis / 100) as u8));
        out.push(char::from(b'0' + (millis / 10 % 10) as u8));
        out.push(char::from(b'0' + (millis % 10) as u8));
        out.push('Z');
    }

    /// One event as a JSON line, appended to `out`.
    pub(crate) fn line(&mut self, event: &Event, out: &mut String) {
        event.json(out, |at, out| self.time(at, out));
        out.push('\n');
    }
}

/// A link's connection changed (`spec/liveness.md` §7.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LinkEvent {
    /// Subscribed, for the first time.
    Up { at: UnixTime },
    /// The connection was lost.
    Down { at: UnixTime },
    /// Subscribed again after an outage.
    Back { down_since: UnixTime, at: UnixTime },
}

impl LinkEvent {
    pub(crate) fn json(self, link: &str) -> serde_json::Value {
        match self {
            LinkEvent::Up { at } => json!({
                "event": "link", "link": link, "state": "up", "at": time(at),
            }),
            LinkEvent::Down { at } => json!({
                "event": "link", "link": link, "state": "down", "at": time(at),
            }),
            LinkEvent::Back { down_since, at } => json!({
                "event": "link", "link": link, "state": "up", "at": time(at),
                "down_since": time(down_since),
                "down_ms": u64::try_from(at.since(down_since).unwrap_or_default().as_millis()).unwrap_or(u64::MAX),
            }),
        }
    }

    /// The line for stderr and the table.
    pub(crate) fn line(self, link: &str) -> String {
        match self {
            LinkEvent::Up { .. } => format!("subscribed to {link}"),
            LinkEvent::Down { at } => format!(
                "{link}: connection lost at {}; its processes are not convicted until it is back",
                time(at)
            ),
            LinkEvent::Back { down_since, at } => format!(
                "{link}: subscribed again at {}, after {} down (since {})",
                time(at),
                span(at.since(down_since).unwrap_or_default()),
                time(down_since)
            ),
        }
    }
}

/// Messages a link knows it lost in the last second (`spec/liveness.md` §7.1).
pub(crate) fn lost_json(
    link: &str,
    reason: Loss,
    count: u64,
    total: u64,
    at: UnixTime,
) -> serde_json::Value {
    json!({
        "event": "lost", "link": link, "reason": reason.as_str(),
        "count": count, "total": total, "at": time(at),
    })
}

/// The stderr line of [`lost_json`].
pub(crate) fn lost_line(link: &str, reason: Loss, count: u64, total: u64) -> String {
    format!(
        "{link}: {count} messages lost ({reason}: {}); {total} in all",
        reason.explain()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn spans_read_at_a_glance() {
        assert_eq!(span(Duration::from_millis(850)), "850ms");
        assert_eq!(span(Duration::from_millis(12_500)), "12.5s");
        assert_eq!(span(Duration::from_secs(245)), "4m05s");
        assert_eq!(span(Duration::from_secs(3 * 3600 + 120)), "3h02m");
    }

    #[test]
    fn event_lines_are_what_the_json_tree_gave() {
        use heartwire_liveness::{Change, Reason, Source};
        let mut writer = EventWriter::default();
        let base = UnixTime::new(1_700_000_000, 7_000_000);
        for (i, (process, old)) in [
            ("api", None),
            ("billing.worker-1", Some(State::Late)),
            ("odd \"id\" \\ é\u{1}", Some(State::Alive)),
        ]
        .into_iter()
        .enumerate()
        {
            let event = Event::Changed(Change {
                process: process.to_owned(),
                source: Source::Command,
                old,
                new: State::Dead,
                reason: if i == 1 {
                    Reason::Exit(3)
                } else {
                    Reason::Silent
                },
                at: UnixTime::new(
                    base.secs() + i as i64 / 2,
                    base.subsec_nanos() + i as u32 * 99_000_000,
                ),
            });
            let mut line = String::new();
            writer.line(&event, &mut line);
            assert_eq!(line, format!("{}\n", event_json(&event)));
            assert_eq!(line.contains(r#""exit_status":3,"#), i == 1, "{line}");
        }
        let stall = Event::Stalled {
            from: base,
            to: base,
        };
        let mut line = String::new();
        writer.line(&stall, &mut line);
        assert_eq!(line, format!("{}\n", event_json(&stall)));
    }

    #[test]
    fn link_lines_say_how_long_it_was_down() {
        let back = LinkEvent::Back {
            down_since: UnixTime::new(1_700_000_000, 0),
            at: UnixTime::new(1_700_000_004, 500_000_000),
        };
        let json = back.json("nats://127.0.0.1:4222");
        assert_eq!(json["down_ms"], 4500);
        assert_eq!(json["state"], "up");
        assert!(
            back.line("n").contains("after 4.5s down"),
            "{}",
            back.line("n")
        );
    }
}
