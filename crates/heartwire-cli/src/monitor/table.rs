//! The live table `heartwire monitor` draws on a terminal, read from the engine alone.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use heartwire::time::UnixTime;
use heartwire_liveness::{Monitor, Source};

use super::events::{span, time};
use super::ingest::LinkInfo;

/// The table of every process, the links, and the latest events.
pub(super) fn render(
    engine: &Monitor,
    links: &[Arc<LinkInfo>],
    recent: &[String],
    now: UnixTime,
) -> String {
    let mut rows: Vec<[String; 7]> = engine
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
                (None, Source::Record) => "record".to_owned(),
                // `success`, `start`, `log`, `fail` or `exit 3`.
                (None, Source::Ping) => {
                    last_ping.map_or_else(|| "ping".to_owned(), |o| o.to_string())
                }
                (None, Source::Command) => "command".to_owned(),
                (None, _) => String::new(),
            };
            let state = match p.unreachable_since {
                Some(since) => format!("{} (broker down since {})", p.state, time(since)),
                None => p.state.to_string(),
            };
            [
                p.name.to_owned(),
                via.to_owned(),
                state,
                signal,
                span(now.since(p.last).unwrap_or_default()),
                next,
                suspicion,
            ]
        })
        .collect();
    rows.sort();
    let header = [
        "PROCESS",
        "SOURCE",
        "STATE",
        "LAST SIGNAL",
        "AGE",
        "NEXT",
        "SUSPICION",
    ];
    let mut widths = header.map(str::len);
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.len());
        }
    }
    let mut text = String::new();
    let mut line = |cells: &[&str]| {
        for (i, cell) in cells.iter().enumerate() {
            let w = widths[i];
            text.push_str(&format!("{cell:<w$}  "));
        }
        text.truncate(text.trim_end().len());
        text.push('\n');
    };
    line(&header);
    for row in &rows {
        line(&row.each_ref().map(String::as_str));
    }
    text.push('\n');
    for info in links {
        let status = info.health.status();
        let state = if status.connected {
            "up".to_owned()
        } else {
            match status.down_since {
                Some(since) => format!("DOWN since {}", time(since)),
                None => "connecting".to_owned(),
            }
        };
        text.push_str(&format!(
            "{}: {state}, {} received, {} invalid, {} lost, {} outages\n",
            info.shown,
            info.received.load(Ordering::Relaxed),
            info.invalid.load(Ordering::Relaxed),
            status.lost_total(),
            status.outages
        ));
    }
    let n = rows.len();
    text.push_str(&format!(
        "{n} {}. Latest events:\n",
        if n == 1 { "process" } else { "processes" }
    ));
    for event in recent {
        text.push_str(event);
        text.push('\n');
    }
    text
}
