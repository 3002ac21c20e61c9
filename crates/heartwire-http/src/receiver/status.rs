//! `GET /status` (`spec/http.md` §5.4): a page of processes in the order of (source,
//! name), chosen in one pass over the engine and then written a few processes at a
//! time as the client takes them, the engine locked for one chunk at a time.

use std::collections::BinaryHeap;
use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll};

use bytes::Bytes;
use heartwire::time::Timestamp;
use heartwire_liveness::{Monitor, ProcessView, RecordFacts, Source, State};
use hyper::body::{Body, Frame, SizeHint};

use super::answer::{Shared, minutes};
use super::clients::Slot;
use super::lock;
use super::target::{Cursor, StatusQuery};

/// Processes written per chunk: the engine is locked while one chunk is written.
const CHUNK: usize = 64;

/// A process in the order of the listing.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Key {
    source: Source,
    name: Box<str>,
}

/// The processes of one page, in order, and the cursor of the next page if any.
#[derive(Debug)]
pub(crate) struct Page {
    keys: Vec<Key>,
    next: Option<Cursor>,
}

fn wanted(view: &ProcessView<'_>, query: &StatusQuery) -> bool {
    query.state.is_none_or(|s| s == view.state) && query.source.is_none_or(|s| s == view.source)
}

/// The page `query` asks for: one pass over the engine, keeping the `limit + 1` first
/// processes after the cursor (the one more says whether there is a next page).
pub(crate) fn select(monitor: &Monitor, query: &StatusQuery) -> Page {
    let after = query.after.as_ref().map(|c| (c.source, c.name.as_str()));
    let mut first: BinaryHeap<Key> = BinaryHeap::with_capacity(query.limit + 1);
    for view in monitor.processes() {
        if !wanted(&view, query) {
            continue;
        }
        let key = (view.source, view.name);
        if after.is_some_and(|a| key <= a) {
            continue;
        }
        if first.len() > query.limit
            && first
                .peek()
                .is_some_and(|last| (last.source, &*last.name) <= key)
        {
            continue;
        }
        first.push(Key {
            source: view.source,
            name: view.name.into(),
        });
        if first.len() > query.limit + 1 {
            first.pop();
        }
    }
    let mut keys = first.into_sorted_vec();
    let next = if keys.len() > query.limit {
        keys.truncate(query.limit);
        keys.last().map(|k| Cursor {
            source: k.source,
            name: k.name.to_string(),
        })
    } else {
        None
    };
    Page { keys, next }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Opening,
    Processes,
    Done,
}

/// The body of a `/status` answer: written a chunk at a time, when hyper asks for the
/// next (when the client has taken the previous ones).
pub(crate) struct StatusBody {
    shared: Arc<Shared>,
    keys: std::vec::IntoIter<Key>,
    next: Option<Cursor>,
    state: Option<State>,
    source: Option<Source>,
    stage: Stage,
    /// Processes written so far.
    written: usize,
    /// Given back when the answer is dropped: written, or the connection gone.
    _slot: Slot,
}

impl StatusBody {
    pub(crate) fn new(
        shared: Arc<Shared>,
        page: Page,
        query: &StatusQuery,
        slot: Slot,
    ) -> StatusBody {
        StatusBody {
            shared,
            keys: page.keys.into_iter(),
            next: page.next,
            state: query.state,
            source: query.source,
            stage: Stage::Opening,
            written: 0,
            _slot: slot,
        }
    }

    fn chunk(&mut self) -> String {
        let mut out = String::with_capacity(CHUNK * 200);
        if self.stage == Stage::Opening {
            out.push_str("{\"processes\":[");
        }
        let keys: Vec<Key> = self.keys.by_ref().take(CHUNK).collect();
        if !keys.is_empty() {
            let monitor = lock(&self.shared.monitor);
            for key in &keys {
                let Some(view) = monitor.get(key.source, &key.name) else {
                    continue; // Forgotten since the page was chosen.
                };
                if self.state.is_some_and(|s| s != view.state)
                    || self.source.is_some_and(|s| s != view.source)
                {
                    continue;
                }
                if self.written > 0 {
                    out.push(',');
                }
                self.written += 1;
                out.push_str(&entry_json(entry(&monitor, &view), view.record));
            }
        }
        if self.keys.len() == 0 {
            out.push(']');
            if let Some(next) = &self.next {
                out.push_str(",\"next\":");
                out.push_str(&serde_json::Value::from(next.to_string()).to_string());
            }
            if let Some(members) = &self.shared.members {
                members(&mut out);
            }
            out.push_str("}\n");
            self.stage = Stage::Done;
        } else if self.stage == Stage::Opening {
            self.stage = Stage::Processes;
        }
        out
    }
}

impl Body for StatusBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        if self.stage == Stage::Done {
            return Poll::Ready(None);
        }
        let chunk = self.chunk();
        self.shared
            .stats
            .status_bytes
            .fetch_add(chunk.len() as u64, Ordering::Relaxed);
        Poll::Ready(Some(Ok(Frame::data(Bytes::from(chunk)))))
    }

    fn is_end_stream(&self) -> bool {
        self.stage == Stage::Done
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::default()
    }
}

/// One process as a JSON object: what the engine knows of it, and when it is due to
/// change if nothing more is heard (`deadline`, `deadline_state`).
pub(crate) fn entry(
    monitor: &Monitor,
    view: &ProcessView<'_>,
) -> serde_json::Map<String, serde_json::Value> {
    let mut entry = serde_json::Map::new();
    entry.insert("name".into(), view.name.into());
    entry.insert("source".into(), view.source.as_str().into());
    entry.insert("state".into(), view.state.as_str().into());
    entry.insert(
        "last".into(),
        Timestamp::from_unix_millis(view.last).as_str().into(),
    );
    if let Some(signal) = view.signal {
        entry.insert("signal".into(), signal.to_string().into());
    }
    if let Some(link) = view.link {
        entry.insert("link".into(), link.get().into());
    }
    if let Some(since) = view.unreachable_since {
        entry.insert(
            "link_down_since".into(),
            Timestamp::from_unix_millis(since).as_str().into(),
        );
    }
    if let Some(ping) = view.ping {
        match ping.schedule.as_cron() {
            Some(cron) => {
                entry.insert("period".into(), cron.expression().into());
                entry.insert("tz".into(), cron.time_zone().into());
            }
            None => {
                entry.insert("period".into(), ping.schedule.to_string().into());
            }
        }
        entry.insert("grace".into(), seconds(ping.grace));
        let offset = minutes(ping.anchor);
        if offset != 0 {
            entry.insert("offset".into(), offset.into());
        }
        if let Some(last) = ping.last_ping {
            entry.insert("last_ping".into(), last.kind().into());
            if let Some(status) = last.exit_status() {
                entry.insert("exit_status".into(), status.into());
            }
        }
        if let Some(rid) = ping.rid {
            entry.insert("rid".into(), rid.as_str().into());
        }
    }
    if let Some(facts) = view.record {
        entry.insert("instance_id".into(), facts.instance_id().as_str().into());
        let members = [
            ("uptime_seconds", facts.uptime_seconds()),
            ("memory_usage_mb", facts.memory_usage_mb()),
            ("cpu_usage_percent", facts.cpu_usage_percent()),
        ];
        for (key, value) in members {
            if let Some(value) = value {
                entry.insert(key.into(), value.into());
            }
        }
        if let Some(count) = facts.heartbeat_count() {
            entry.insert("heartbeat_count".into(), count.into());
        }
    }
    if let Some((at, state)) = monitor.next_change(view.source, view.name) {
        entry.insert(
            "deadline".into(),
            Timestamp::from_unix_millis(at).as_str().into(),
        );
        entry.insert("deadline_state".into(), state.as_str().into());
    }
    entry
}

/// An entry as JSON text, with a record process's `extras` last: an object of the
/// record's extra members in the record's order, each value byte for byte as received
/// (a `serde_json` map would sort them and rewrite their numbers).
pub(crate) fn entry_json(
    entry: serde_json::Map<String, serde_json::Value>,
    record: Option<&RecordFacts>,
) -> String {
    let mut text = serde_json::Value::Object(entry).to_string();
    let Some(facts) = record.filter(|f| f.extras().len() > 0) else {
        return text;
    };
    text.pop(); // The closing brace; the map has at least `name`.
    text.push_str(",\"extras\":{");
    for (i, (key, value)) in facts.extras().enumerate() {
        if i > 0 {
            text.push(',');
        }
        text.push_str(&serde_json::Value::from(key).to_string());
        text.push(':');
        text.push_str(value);
    }
    text.push_str("}}");
    text
}

/// A duration in seconds: a whole number when it is one.
fn seconds(d: std::time::Duration) -> serde_json::Value {
    if d.subsec_nanos() == 0 {
        d.as_secs().into()
    } else {
        d.as_secs_f64().into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extras_come_last_in_the_records_order_byte_for_byte() {
        let doc = r#"{"service_name":"geocoding_service","instance_id":"a1b2c3d4-e5f6-7890-abcd-ef1234567890","timestamp":"2025-01-16T08:30:00+00:00","memory_usage_mb":156.30,"pending_requests":12,"cache_size":1e3,"a\"b":{"x": [1, 2]}}"#;
        let record = heartwire::record::Record::decode(doc.as_bytes()).expect("a record");
        let facts = RecordFacts::of(&record);
        let mut entry = serde_json::Map::new();
        entry.insert("name".into(), "geocoding_service".into());
        entry.insert(
            "memory_usage_mb".into(),
            facts.memory_usage_mb().unwrap_or_default().into(),
        );
        let text = entry_json(entry, Some(&facts));
        assert_eq!(
            text,
            r#"{"memory_usage_mb":156.3,"name":"geocoding_service","extras":{"pending_requests":12,"cache_size":1e3,"a\"b":{"x": [1, 2]}}}"#
        );
        let parsed: serde_json::Value = serde_json::from_str(&text).expect("JSON");
        assert_eq!(parsed["extras"]["a\"b"]["x"][1], 2);
        let none = serde_json::Map::from_iter([("name".to_owned(), "x".into())]);
        assert_eq!(entry_json(none, None), r#"{"name":"x"}"#);
    }
}
