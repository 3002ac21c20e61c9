//! `GET /metrics` (`spec/http.md` §5.10): the monitor in the Prometheus text exposition
//! format (version 0.0.4), for the scrapers and alert rules operators already run.
//!
//! The answer is written at once with the engine locked, so its size is bounded:
//! per-process series for at most [`ReceiverConfig::max_metrics_processes`] processes,
//! those in trouble first (`dead`, `failed`, `disconnected`, `late`), the count of the
//! others in `heartwire_processes_unlisted`. The counts by source and state are always
//! whole.
//!
//! [`ReceiverConfig::max_metrics_processes`]: super::ReceiverConfig::max_metrics_processes

use std::fmt::Write as _;

use heartwire::time::UnixTime;
use heartwire_liveness::{Monitor, ProcessView, Source, State};

use super::ReceiverStats;

/// Every source, in the order the series are written.
const SOURCES: [Source; 4] = [Source::Text, Source::Record, Source::Command, Source::Ping];

/// A Prometheus text exposition being written: families, each with its `# HELP` and
/// `# TYPE` lines, then its samples.
///
/// [`Receiver::metrics`](crate::Receiver::metrics) hands one to the program's own
/// writer (the broker links of `heartwire monitor`), after the receiver's families.
#[derive(Debug)]
pub struct Exposition<'a> {
    out: &'a mut String,
}

/// What a family's samples are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricKind {
    /// A value that only grows (a `_total` name), from the start of the program.
    Counter,
    /// A value that goes up and down.
    Gauge,
}

impl<'a> Exposition<'a> {
    pub(crate) fn new(out: &'a mut String) -> Exposition<'a> {
        Exposition { out }
    }

    /// Starts a family: `name` (`heartwire_...`, `[a-zA-Z_:][a-zA-Z0-9_:]*`), its kind and
    /// a one-line help text. Its samples follow, and no other family's in between.
    pub fn family(&mut self, name: &str, kind: MetricKind, help: &str) {
        let kind = match kind {
            MetricKind::Counter => "counter",
            MetricKind::Gauge => "gauge",
        };
        let _ = writeln!(self.out, "# HELP {name} {}", escape_help(help));
        let _ = writeln!(self.out, "# TYPE {name} {kind}");
    }

    /// One sample of the family last started: its labels (values escaped here) and
    /// value.
    pub fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: f64) {
        self.out.push_str(name);
        if !labels.is_empty() {
            self.out.push('{');
            for (i, (label, text)) in labels.iter().enumerate() {
                if i > 0 {
                    self.out.push(',');
                }
                self.out.push_str(label);
                self.out.push_str("=\"");
                escape_label(text, self.out);
                self.out.push('"');
            }
            self.out.push('}');
        }
        let _ = writeln!(self.out, " {value}");
    }
}

/// A label value as the format wants it: `\`, `"` and line feeds escaped.
fn escape_label(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

/// A help text as the format wants it: `\` and line feeds escaped.
fn escape_help(text: &str) -> String {
    text.replace('\\', "\\\\").replace('\n', "\\n")
}

/// The states that need someone, listed first when not every process is.
fn in_trouble(state: State) -> bool {
    matches!(
        state,
        State::Dead | State::Failed | State::Disconnected | State::Late
    )
}

/// The receiver's families: the processes of `monitor` at `now` (at most
/// `max_listed` of them one by one) and the receiver's counters.
pub(crate) fn write(
    monitor: &Monitor,
    stats: &ReceiverStats,
    now: UnixTime,
    max_listed: usize,
    out: &mut Exposition<'_>,
) {
    let mut counts = [[0u64; State::ALL.len()]; SOURCES.len()];
    let mut total = 0usize;
    for view in monitor.processes() {
        counts[source_index(view.source)][view.state as usize] += 1;
        total += 1;
    }
    out.family(
        "heartwire_processes",
        MetricKind::Gauge,
        "Processes the monitor tracks, by source and state (spec/liveness.md).",
    );
    for (s, source) in SOURCES.iter().enumerate() {
        for state in State::ALL {
            out.sample(
                "heartwire_processes",
                &[("source", source.as_str()), ("state", state.as_str())],
                counts[s][state as usize] as f64,
            );
        }
    }

    // Those in trouble first, then the others, as long as the bound allows.
    let mut listed: Vec<ProcessView<'_>> = Vec::with_capacity(total.min(max_listed));
    if total <= max_listed {
        listed.extend(monitor.processes());
    } else {
        listed.extend(
            monitor
                .processes()
                .filter(|v| in_trouble(v.state))
                .take(max_listed),
        );
        let room = max_listed - listed.len();
        listed.extend(
            monitor
                .processes()
                .filter(|v| !in_trouble(v.state))
                .take(room),
        );
    }
    listed.sort_by(|a, b| (a.source, a.name).cmp(&(b.source, b.name)));
    out.family(
        "heartwire_process_state",
        MetricKind::Gauge,
        "1 for each listed process, labelled with the state it is in.",
    );
    for view in &listed {
        out.sample(
            "heartwire_process_state",
            &[
                ("source", view.source.as_str()),
                ("process", view.name),
                ("state", view.state.as_str()),
            ],
            1.0,
        );
    }
    out.family(
        "heartwire_process_last_signal_age_seconds",
        MetricKind::Gauge,
        "Seconds since each listed process's last accepted signal.",
    );
    for view in &listed {
        let age = now.since(view.last).unwrap_or_default().as_secs_f64();
        out.sample(
            "heartwire_process_last_signal_age_seconds",
            &[("source", view.source.as_str()), ("process", view.name)],
            (age * 1000.0).round() / 1000.0,
        );
    }
    out.family(
        "heartwire_processes_unlisted",
        MetricKind::Gauge,
        "Processes without series of their own, beyond the bound of spec/http.md 5.5.",
    );
    out.sample(
        "heartwire_processes_unlisted",
        &[],
        (total - listed.len()) as f64,
    );

    let counters: [(&str, &str, u64); 6] = [
        (
            "heartwire_http_requests_total",
            "HTTP requests answered.",
            stats.requests(),
        ),
        (
            "heartwire_http_pings_total",
            "Pings accepted.",
            stats.pings(),
        ),
        (
            "heartwire_http_beats_total",
            "beatit messages accepted through POST /beat.",
            stats.beats(),
        ),
        (
            "heartwire_http_refused_total",
            "HTTP requests answered with a 4xx or 5xx status.",
            stats.refused(),
        ),
        (
            "heartwire_http_connections_refused_total",
            "Connections closed at once, over a connection bound.",
            stats.refused_connections(),
        ),
        (
            "heartwire_http_status_bytes_total",
            "Bytes of /status answers written.",
            stats.status_bytes(),
        ),
    ];
    for (name, help, value) in counters {
        out.family(name, MetricKind::Counter, help);
        out.sample(name, &[], value as f64);
    }
    out.family(
        "heartwire_processes_removed_total",
        MetricKind::Counter,
        "Processes the receiver removed from the engine, by why (spec/http.md 5.5).",
    );
    for (reason, value) in [
        ("forgotten", stats.forgotten()),
        ("expired", stats.expired()),
        ("evicted", stats.evicted()),
    ] {
        out.sample(
            "heartwire_processes_removed_total",
            &[("reason", reason)],
            value as f64,
        );
    }
    out.family(
        "heartwire_http_connections",
        MetricKind::Gauge,
        "HTTP connections open now.",
    );
    out.sample(
        "heartwire_http_connections",
        &[],
        stats.connections() as f64,
    );
}

fn source_index(source: Source) -> usize {
    SOURCES.iter().position(|s| *s == source).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    use heartwire::text::Message;
    use heartwire_liveness::Config;

    /// The families of `write`, the lines of `family` only.
    fn lines<'a>(text: &'a str, family: &str) -> Vec<&'a str> {
        text.lines()
            .filter(|l| {
                l.starts_with(&format!("{family}{{")) || l.starts_with(&format!("{family} "))
            })
            .collect()
    }

    #[test]
    fn the_processes_in_trouble_are_listed_first_and_the_rest_counted() {
        let mut monitor = Monitor::new(Config::default());
        let t0 = UnixTime::new(1_700_000_000, 0);
        let beat = |monitor: &mut Monitor, name: &str, at: UnixTime| {
            let subject = format!("heartbeat.{name}");
            let message = Message::decode_str(&subject, b"beat/5").expect("a beat");
            monitor.observe_text(&message, at).expect("taken");
        };
        for name in ["quiet-1", "quiet-2"] {
            beat(&mut monitor, name, t0);
        }
        let later = UnixTime::new(1_700_000_020, 0);
        for name in ["busy-1", "busy-2", "busy-3", "busy-4"] {
            beat(&mut monitor, name, later);
        }
        let _ = monitor.poll(later).count();
        let stats = ReceiverStats::default();

        let mut text = String::new();
        write(&monitor, &stats, later, 3, &mut Exposition::new(&mut text));
        let listed = lines(&text, "heartwire_process_state");
        assert_eq!(listed.len(), 3, "{text}");
        for quiet in ["quiet-1", "quiet-2"] {
            let line = format!(
                "heartwire_process_state{{source=\"text\",process=\"{quiet}\",state=\"dead\"}} 1"
            );
            assert!(listed.contains(&&*line), "{text}");
        }
        assert_eq!(
            lines(&text, "heartwire_processes_unlisted"),
            ["heartwire_processes_unlisted 3"]
        );
        assert!(text.contains("heartwire_processes{source=\"text\",state=\"dead\"} 2\n"));
        assert!(text.contains("heartwire_processes{source=\"text\",state=\"alive\"} 4\n"));
        assert!(text.contains("heartwire_processes{source=\"ping\",state=\"failed\"} 0\n"));
        assert_eq!(
            lines(&text, "heartwire_process_last_signal_age_seconds").len(),
            3
        );

        let mut text = String::new();
        write(&monitor, &stats, later, 10, &mut Exposition::new(&mut text));
        assert_eq!(lines(&text, "heartwire_process_state").len(), 6, "{text}");
        assert_eq!(
            lines(&text, "heartwire_processes_unlisted"),
            ["heartwire_processes_unlisted 0"]
        );
        assert!(text.contains(
            "heartwire_process_last_signal_age_seconds{source=\"text\",process=\"quiet-1\"} 20\n"
        ));
    }

    #[test]
    fn labels_and_help_are_escaped() {
        let mut text = String::new();
        let mut out = Exposition::new(&mut text);
        out.family("heartwire_x", MetricKind::Gauge, "a \\ b\nc");
        out.sample("heartwire_x", &[("process", "a\"b\\c\nd")], 1.5);
        out.sample("heartwire_x", &[], 2.0);
        assert_eq!(
            text,
            "# HELP heartwire_x a \\\\ b\\nc\n# TYPE heartwire_x gauge\n\
             heartwire_x{process=\"a\\\"b\\\\c\\nd\"} 1.5\nheartwire_x 2\n"
        );
    }
}
