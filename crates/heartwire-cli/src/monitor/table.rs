//! The live table `heartwire monitor` draws on a terminal, read from the engine alone.
//!
//! The table is laid out for the terminal it is drawn on: the summary line and the
//! header stay at the top, the processes come by severity (the dead first, so that a
//! process in trouble is never the one scrolled off), then by name in natural order
//! (`svc-4` before `svc-38`), and what does not fit is counted in one line rather than
//! pushing the header off screen. Every cell is cleaned of control characters: a name
//! sent by a network peer must not be able to move the cursor or retitle the terminal.

use std::cmp::Ordering as CmpOrdering;
use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use heartwire::time::UnixTime;
use heartwire_liveness::{Monitor, RecordFacts, Source, State};

use super::events::{span, time};
use super::ingest::LinkInfo;

/// The terminal's size in character cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Size {
    pub(super) rows: u16,
    pub(super) cols: u16,
}

/// The events shown under the table, at most.
pub(super) const RECENT: usize = 8;

/// The process rows kept on screen however small the terminal, before the events give
/// way (the events go first: the table is what the monitor is for).
const MIN_ROWS: usize = 3;

const HEADER: [&str; 7] = [
    "PROCESS",
    "SOURCE",
    "STATE",
    "LAST SIGNAL",
    "AGE",
    "NEXT",
    "SUSPICION",
];

/// One process's row: how it sorts, its cells, and a line under it (a record's extra
/// members, as the seed's monitor script shows its "Service Data").
#[derive(Debug, Clone, PartialEq, Eq)]
struct Row {
    state: State,
    cells: [String; 7],
    detail: Option<String>,
}

impl Row {
    /// The lines it takes.
    fn lines(&self) -> usize {
        1 + usize::from(self.detail.is_some())
    }
}

/// A record's facts as the seed's monitor script prints them:
/// `Uptime: 1.2h | Heartbeats: 72 | Memory: 156.3MB | CPU: 12.5%`, the measurements
/// the record had.
fn record_line(facts: &RecordFacts) -> String {
    let mut parts = Vec::with_capacity(4);
    if let Some(uptime) = facts.uptime_seconds() {
        parts.push(format!("Uptime: {:.1}h", uptime / 3600.0));
    }
    if let Some(count) = facts.heartbeat_count() {
        parts.push(format!("Heartbeats: {count}"));
    }
    if let Some(memory) = facts.memory_usage_mb() {
        parts.push(format!("Memory: {memory:.1}MB"));
    }
    if let Some(cpu) = facts.cpu_usage_percent() {
        parts.push(format!("CPU: {cpu:.1}%"));
    }
    if parts.is_empty() {
        "record".to_owned()
    } else {
        parts.join(" | ")
    }
}

/// A record's extra members on one line, `queue_size: 1380 | api_status: authenticated`
/// (a string without its quotes, any other value as its JSON); `None` without any.
fn extras_line(facts: &RecordFacts) -> Option<String> {
    if facts.extras().len() == 0 {
        return None;
    }
    let parts: Vec<String> = facts
        .extras()
        .map(|(key, value)| {
            let shown = serde_json::from_str::<String>(value).unwrap_or_else(|_| value.to_owned());
            format!("{key}: {shown}")
        })
        .collect();
    Some(format!("    {}", parts.join(" | ")))
}

/// What the table shows, read from the engine and the links at one instant.
#[derive(Debug, Default)]
pub(super) struct Table {
    rows: Vec<Row>,
    links: Vec<String>,
    /// Where the HTTP receiver listens, when it does.
    listening: Option<String>,
}

impl Table {
    /// Reads every process of `engine` and the state of every link at `now`.
    pub(super) fn read(
        engine: &Monitor,
        links: &[Arc<LinkInfo>],
        listening: Option<&str>,
        now: UnixTime,
    ) -> Table {
        let rows = engine
            .processes()
            .map(|p| {
                let next = engine.next_change(p.source, p.name).map_or_else(
                    || "-".to_owned(),
                    |(at, state)| format!("{state} in {}", span(at.since(now).unwrap_or_default())),
                );
                let suspicion = engine
                    .suspicion(p.source, p.name, now)
                    .map_or_else(|| "-".to_owned(), |s| format!("{s:.2}"));
                let via = p
                    .link
                    .and_then(|l| links.get(usize::from(l.get()) - 1))
                    .map_or("http", |info| info.broker.as_str());
                let last_ping = p.ping.and_then(|ping| ping.last_ping);
                let signal = match (p.signal, p.source) {
                    (Some(signal), _) => signal.to_string(),
                    (None, Source::Record) => {
                        p.record.map_or_else(|| "record".to_owned(), record_line)
                    }
                    // `success`, `start`, `log`, `fail` or `exit 3`.
                    (None, Source::Ping) => {
                        last_ping.map_or_else(|| "ping".to_owned(), |o| o.to_string())
                    }
                    (None, source) => source.to_string(),
                };
                let state = match p.unreachable_since {
                    Some(since) => format!("{} (broker down since {})", p.state, time(since)),
                    None => p.state.to_string(),
                };
                Row {
                    state: p.state,
                    cells: [
                        p.name.to_owned(),
                        via.to_owned(),
                        state,
                        signal,
                        span(now.since(p.last).unwrap_or_default()),
                        next,
                        suspicion,
                    ],
                    detail: p.record.and_then(extras_line),
                }
            })
            .collect();
        let links = links
            .iter()
            .map(|info| {
                let status = info.health.status();
                let state = if status.connected {
                    "up".to_owned()
                } else {
                    match status.down_since {
                        Some(since) => format!("DOWN since {}", time(since)),
                        None => "connecting".to_owned(),
                    }
                };
                format!(
                    "{}: {state}, {} received, {} invalid, {} lost, {} outages",
                    info.shown,
                    info.received.load(Ordering::Relaxed),
                    info.invalid.load(Ordering::Relaxed),
                    status.lost_total(),
                    status.outages
                )
            })
            .collect();
        Table {
            rows,
            links,
            listening: listening.map(str::to_owned),
        }
    }

    /// The table as text for a terminal of `size` (unbounded when the size is not
    /// known): every line fits its width, and the whole its height.
    pub(super) fn render(mut self, recent: &[String], size: Option<Size>) -> String {
        self.rows.sort_by(|a, b| {
            severity(a.state)
                .cmp(&severity(b.state))
                .then_with(|| natural(&a.cells[0], &b.cells[0]))
                .then_with(|| a.cells.cmp(&b.cells))
        });
        for row in &mut self.rows {
            for cell in &mut row.cells {
                clean(cell);
            }
            if let Some(detail) = &mut row.detail {
                clean(detail);
            }
        }
        let recent = &recent[recent.len().saturating_sub(RECENT)..];
        let (height, width) = size.map_or((usize::MAX, usize::MAX), |s| {
            (usize::from(s.rows).max(1), usize::from(s.cols).max(1))
        });

        // Lines besides the process rows: the summary, the header, a blank line, the
        // links, and "Latest events:" with the events.
        let fixed = 3 + self.links.len();
        let mut events = recent.len();
        let budget = |events: usize| height.saturating_sub(fixed + 1 + events);
        while events > 0 && budget(events) < MIN_ROWS.min(self.rows.len() + 1) {
            events -= 1;
        }
        // The rows that fit in `lines`, each with its detail line.
        let fits = |lines: usize| {
            let mut used = 0;
            self.rows
                .iter()
                .take_while(|row| {
                    used += row.lines();
                    used <= lines
                })
                .count()
        };
        let mut shown = fits(budget(events));
        if shown < self.rows.len() {
            // One line says how many are not shown.
            shown = fits(budget(events).saturating_sub(1));
        }

        let mut lines: Vec<String> = Vec::with_capacity(fixed + shown + events + 2);
        lines.push(self.summary());
        let mut widths = HEADER.map(|h| h.chars().count());
        for row in &self.rows[..shown] {
            for (w, cell) in widths.iter_mut().zip(&row.cells) {
                *w = (*w).max(cell.chars().count());
            }
        }
        let line = |cells: &[&str]| {
            let mut text = String::new();
            for (cell, w) in cells.iter().zip(widths) {
                let _ = write!(text, "{cell:<w$}  ");
            }
            text.truncate(text.trim_end().len());
            text
        };
        lines.push(line(&HEADER));
        for row in &self.rows[..shown] {
            lines.push(line(&row.cells.each_ref().map(String::as_str)));
            lines.extend(row.detail.clone());
        }
        let hidden = &self.rows[shown..];
        if !hidden.is_empty() {
            let in_trouble = hidden.iter().filter(|r| severity(r.state) < 4).count();
            lines.push(if in_trouble > 0 {
                format!("... and {} more, {in_trouble} not alive", hidden.len())
            } else {
                format!("... and {} more, all alive or stopped", hidden.len())
            });
        }
        lines.push(String::new());
        lines.extend(self.links.iter().cloned());
        if events > 0 {
            lines.push("Latest events:".to_owned());
            lines.extend(recent[recent.len() - events..].iter().cloned());
        }
        lines.truncate(height);
        let mut text = String::new();
        for mut line in lines {
            clean(&mut line);
            if let Some((cut, _)) = line.char_indices().nth(width) {
                line.truncate(cut);
            }
            text.push_str(&line);
            text.push('\n');
        }
        text
    }

    /// `12 processes: 1 dead, 2 late, 9 alive · listening on http://127.0.0.1:8387/`: the
    /// address first cut when the terminal is narrow.
    fn summary(&self) -> String {
        let n = self.rows.len();
        let mut text = format!("{n} {}", plural(n));
        let mut by_state = [0usize; State::ALL.len()];
        for row in &self.rows {
            by_state[row.state as usize] += 1;
        }
        let mut states: Vec<State> = State::ALL.to_vec();
        states.sort_by_key(|s| severity(*s));
        let mut first = true;
        for state in states {
            let count = by_state[state as usize];
            if count > 0 {
                text.push_str(if first { ": " } else { ", " });
                first = false;
                let _ = write!(text, "{count} {state}");
            }
        }
        if let Some(address) = &self.listening {
            let _ = write!(text, " · listening on {address}");
        }
        text
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "process" } else { "processes" }
}

/// The order of the rows: the states that need someone first.
fn severity(state: State) -> u8 {
    match state {
        State::Dead => 0,
        State::Failed => 1,
        State::Disconnected => 2,
        State::Late => 3,
        State::Degraded => 4,
        State::Starting => 5,
        State::Alive => 6,
        State::Stopped => 7,
    }
}

/// Compares names as people read them: runs of digits by their value, so that `svc-4`
/// comes before `svc-38`.
fn natural(a: &str, b: &str) -> CmpOrdering {
    let (mut a, mut b) = (a.as_bytes(), b.as_bytes());
    // Leading zeros decide only between names equal otherwise (`svc-4` < `svc-04`).
    let mut zeros = CmpOrdering::Equal;
    loop {
        match (a.first(), b.first()) {
            (None, None) => return zeros,
            (None, Some(_)) => return CmpOrdering::Less,
            (Some(_), None) => return CmpOrdering::Greater,
            (Some(x), Some(y)) if x.is_ascii_digit() && y.is_ascii_digit() => {
                let (da, ra) = digits(a);
                let (db, rb) = digits(b);
                // Without leading zeros, the longer run is the larger number.
                let (za, zb) = (trim_zeros(da), trim_zeros(db));
                let order = za.len().cmp(&zb.len()).then_with(|| za.cmp(zb));
                if order != CmpOrdering::Equal {
                    return order;
                }
                zeros = zeros.then(da.len().cmp(&db.len()));
                (a, b) = (ra, rb);
            }
            (Some(x), Some(y)) => {
                if x != y {
                    return x.cmp(y);
                }
                (a, b) = (&a[1..], &b[1..]);
            }
        }
    }
}

fn digits(s: &[u8]) -> (&[u8], &[u8]) {
    let n = s.iter().take_while(|c| c.is_ascii_digit()).count();
    s.split_at(n)
}

fn trim_zeros(s: &[u8]) -> &[u8] {
    let n = s.iter().take_while(|&&c| c == b'0').count();
    &s[n..]
}

/// Replaces every control character with `?`, in place when there is none.
fn clean(text: &mut String) {
    if text.chars().any(char::is_control) {
        *text = text
            .chars()
            .map(|c| if c.is_control() { '?' } else { c })
            .collect();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(name: &str, state: State) -> Row {
        Row {
            state,
            cells: [
                name.to_owned(),
                "nats".to_owned(),
                state.to_string(),
                "beat".to_owned(),
                "1.0s".to_owned(),
                "-".to_owned(),
                "-".to_owned(),
            ],
            detail: None,
        }
    }

    fn fleet(n: usize) -> Table {
        Table {
            rows: (0..n)
                .map(|i| {
                    let state = if i == 38 { State::Dead } else { State::Alive };
                    row(&format!("svc-{i}"), state)
                })
                .collect(),
            links: vec![
                "nats://127.0.0.1:4222: up, 3 received, 0 invalid, 0 lost, 0 outages".to_owned(),
            ],
            listening: Some("http://127.0.0.1:8387/".to_owned()),
        }
    }

    fn events(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("event {i}")).collect()
    }

    #[test]
    fn names_sort_as_people_read_them() {
        let mut names = vec!["svc-38", "svc-4", "svc-39", "svc-04", "svc-", "svc-4a", "a"];
        names.sort_by(|a, b| natural(a, b));
        assert_eq!(
            names,
            ["a", "svc-", "svc-4", "svc-04", "svc-4a", "svc-38", "svc-39"]
        );
        assert_eq!(
            natural("n99999999999999999999999", "n100000000000000000000000"),
            CmpOrdering::Less
        );
    }

    #[test]
    fn the_dead_come_first_then_the_names_in_order() {
        let text = fleet(40).render(&[], None);
        let names: Vec<&str> = text
            .lines()
            .skip(2)
            .take(4)
            .map(|l| l.split_whitespace().next().unwrap_or(""))
            .collect();
        assert_eq!(names, ["svc-38", "svc-0", "svc-1", "svc-2"]);
        assert!(text.starts_with(
            "40 processes: 1 dead, 39 alive · listening on http://127.0.0.1:8387/\n\
             PROCESS"
        ));
    }

    #[test]
    fn the_table_fits_the_terminal_with_its_header_and_a_count_of_the_rest() {
        let size = Size { rows: 20, cols: 60 };
        let text = fleet(40).render(&events(8), Some(size));
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines.len() <= 20, "{} lines:\n{text}", lines.len());
        assert!(lines.iter().all(|l| l.chars().count() <= 60), "{text}");
        assert!(lines[1].starts_with("PROCESS"), "{text}");
        assert!(
            lines[2].starts_with("svc-38"),
            "the dead process is on screen: {text}"
        );
        let more = lines
            .iter()
            .find(|l| l.starts_with("... and "))
            .unwrap_or_else(|| panic!("no count of the hidden rows: {text}"));
        let shown = lines.iter().filter(|l| l.starts_with("svc-")).count();
        assert_eq!(
            more.split(' ').nth(2),
            Some(&*(40 - shown).to_string()),
            "{text}"
        );
        assert!(shown >= MIN_ROWS, "{text}");
        assert!(text.contains("nats://127.0.0.1:4222: up"), "{text}");
    }

    #[test]
    fn events_give_way_to_rows_on_a_small_terminal() {
        let text = fleet(40).render(
            &events(8),
            Some(Size {
                rows: 10,
                cols: 200,
            }),
        );
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 10, "{text}");
        let shown = lines.iter().filter(|l| l.starts_with("svc-")).count();
        assert_eq!(shown, MIN_ROWS - 1, "one of the rows is the count: {text}");
        assert!(
            lines.contains(&"... and 38 more, all alive or stopped"),
            "{text}"
        );
    }

    #[test]
    fn everything_fits_when_the_terminal_is_tall_enough() {
        let text = fleet(5).render(
            &events(3),
            Some(Size {
                rows: 50,
                cols: 200,
            }),
        );
        assert!(!text.contains("... and"), "{text}");
        assert_eq!(text.lines().filter(|l| l.starts_with("svc-")).count(), 5);
        assert!(
            text.ends_with("Latest events:\nevent 0\nevent 1\nevent 2\n"),
            "{text}"
        );
        let text = fleet(1).render(&[], None);
        assert!(text.starts_with("1 process: 1 alive · listening"), "{text}");
    }

    #[test]
    fn control_characters_never_reach_the_terminal() {
        let mut table = fleet(1);
        table.rows[0].cells[0] = "evil\u{1b}]0;owned\u{7}\u{1b}[2J".to_owned();
        let text = table.render(&["\u{1b}[31mred".to_owned()], None);
        assert!(
            !text.chars().any(|c| c.is_control() && c != '\n'),
            "{text:?}"
        );
        assert!(text.contains("evil?]0;owned??[2J"), "{text:?}");
    }

    /// A service's record shows as the seed's monitor script shows it: its uptime,
    /// count, memory and CPU in the row, its own members on the line under it.
    #[test]
    fn a_record_shows_its_facts_and_members() {
        let mut engine = Monitor::default();
        let now = UnixTime::new(1_737_016_200, 0);
        let doc = r#"{"service_name":"tracker_fetcher","instance_id":"a1b2c3d4-e5f6-7890-abcd-ef1234567890","timestamp":"2025-01-16T08:30:00+00:00","uptime_seconds":4320,"heartbeat_count":72,"memory_usage_mb":156.3,"cpu_usage_percent":12.5,"queue_size":1380,"last_successful_operation":"2025-01-16T08:29:45.123456+00:00","api_status":"authenticated"}"#;
        let record = heartwire::record::Record::decode(doc.as_bytes()).expect("a seed record");
        assert!(engine.observe_record(&record, now).is_ok());
        let doc = r#"{"service_name":"bare","instance_id":"a1b2c3d4-e5f6-7890-abcd-ef1234567890","timestamp":"2025-01-16T08:30:00+00:00"}"#;
        let bare = heartwire::record::Record::decode(doc.as_bytes()).expect("a record");
        assert!(engine.observe_record(&bare, now).is_ok());
        let text = Table::read(&engine, &[], None, now).render(&[], None);
        let lines: Vec<&str> = text.lines().collect();
        let row = lines
            .iter()
            .position(|l| l.starts_with("tracker_fetcher"))
            .unwrap_or_else(|| panic!("{text}"));
        assert!(
            lines[row].contains("Uptime: 1.2h | Heartbeats: 72 | Memory: 156.3MB | CPU: 12.5%"),
            "{text}"
        );
        assert_eq!(
            lines[row + 1],
            "    queue_size: 1380 | last_successful_operation: 2025-01-16T08:29:45.123456+00:00 | api_status: authenticated",
            "{text}"
        );
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with("bare") && l.contains(" record ")),
            "{text}"
        );
        // On a short terminal a row and its member line come and go together.
        let short =
            Table::read(&engine, &[], None, now).render(&[], Some(Size { rows: 4, cols: 300 }));
        assert_eq!(short.lines().count(), 4, "{short}");
    }
}
