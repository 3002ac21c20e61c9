//! The checks of the `receiver_path` fuzz target, shared with the replay test
//! `tests/fuzz_corpus.rs`, which runs them over the corpus on stable Rust.
//!
//! The promise of the HTTP receiver's one parser, `heartwire_http::Target::parse`
//! (`spec/http.md` §5.1, §5.4, §5.6, §5.7): whatever a request's method, path and query,
//! parsing ends with a target or an error, never a panic; an error is a 4xx of the
//! spec's table with a one-line, lower-case reason that never repeats a ping key given
//! in the path; a target keeps its bounds (the target's length, a run id of at most 64
//! bytes of visible ASCII, an offset below a week of minutes, a page of 1 to its
//! maximum, a cursor's name of at most 255 bytes); and a target written back as a
//! request parses to the same target.

use heartwire_http::receiver::{Asset, MAX_OFFSET_MINUTES, PingTarget, StatusQuery};
use heartwire_http::service::percent_encode;
use heartwire_http::{ReceiverConfig, Target};
use heartwire_liveness::{MAX_NAME_LEN, MAX_PING_GRACE, MAX_RUN_ID_LEN, PingOutcome};

/// The shortest path segment taken for a ping key when looking for it in a reason: a
/// shorter one may be part of any name.
const KEY_LIKE: usize = 16;

/// Checks one fuzz input; panics when the parser breaks a promise.
///
/// The input, read as UTF-8 (bytes that are not replaced), is a method, a newline and
/// a request target (`/ping/a?rid=1`); without a newline, the whole input is the target
/// of a `GET`. It is parsed with and without a ping key in the path, under the default
/// limits and under small ones.
pub fn receiver_path(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let (method, target) = text.split_once('\n').unwrap_or(("GET", &text));
    let (path, query) = match target.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (target, None),
    };
    let small = ReceiverConfig {
        max_target: 64,
        status_page: 2,
        max_status_page: 3,
        ..ReceiverConfig::default()
    };
    for config in [&ReceiverConfig::default(), &small] {
        for key_in_path in [false, true] {
            check(method, path, query, key_in_path, config);
        }
    }
}

fn check(
    method: &str,
    path: &str,
    query: Option<&str>,
    key_in_path: bool,
    config: &ReceiverConfig,
) {
    let parsed = Target::parse(method, path, query, key_in_path, config);
    let len = path.len() + query.map_or(0, |q| q.len() + 1);
    match parsed {
        Err(e) => {
            assert!(
                matches!(e.status(), 400 | 401 | 404 | 405 | 414),
                "{method} {path:?} {query:?}: status {}",
                e.status()
            );
            let reason = e.to_string();
            assert!(!reason.is_empty() && !reason.contains('\n'), "{reason:?}");
            assert!(
                !reason.starts_with(|c: char| c.is_ascii_uppercase()),
                "{reason:?}"
            );
            if key_in_path && let Some(key) = key_like(path, query) {
                assert!(!reason.contains(key), "{reason:?} repeats the key {key:?}");
            }
        }
        Ok(target) => {
            assert!(len <= config.max_target, "{len} bytes accepted");
            match &target {
                Target::Ping(ping) => {
                    assert!(matches!(method, "GET" | "HEAD" | "POST"), "{method}");
                    check_ping(ping, key_in_path);
                    again(method, &write_ping(ping), key_in_path, config, &target);
                }
                Target::Forget { key, process } => {
                    assert_eq!(method, "DELETE");
                    assert_eq!(key.is_some(), key_in_path);
                    assert!(process.as_str().len() <= MAX_NAME_LEN);
                }
                Target::Beat { subject } => {
                    assert_eq!(method, "POST");
                    assert_eq!(subject.is_some(), path.starts_with("/beat/"));
                }
                Target::Status(status) => {
                    assert!(matches!(method, "GET" | "HEAD"), "{method}");
                    check_status(status, config);
                    again(method, &write_status(status), key_in_path, config, &target);
                }
                Target::Metrics => {
                    assert!(matches!(method, "GET" | "HEAD"), "{method}");
                    assert_eq!(path, "/metrics");
                    assert!(
                        query.is_none_or(|q| q.split('&').all(str::is_empty)),
                        "{query:?}"
                    );
                }
                Target::Process { name, .. } => {
                    assert!(matches!(method, "GET" | "HEAD"), "{method}");
                    assert_eq!(path.strip_prefix("/status/"), Some(*name));
                    assert!(!name.is_empty() && name.len() <= MAX_NAME_LEN, "{name:?}");
                    assert!(!name.contains('/'), "{name:?}");
                }
                Target::Page(asset) => {
                    assert!(matches!(method, "GET" | "HEAD"), "{method}");
                    assert_eq!(Asset::at(path), Some(*asset));
                }
            }
        }
    }
}

/// The segment after `/ping/`, if it is long enough to be a key and appears nowhere
/// else in the request.
fn key_like<'a>(path: &'a str, query: Option<&str>) -> Option<&'a str> {
    let rest = path.strip_prefix("/ping/")?;
    let (key, after) = rest.split_once('/')?;
    (key.len() >= KEY_LIKE && !after.contains(key) && !query.unwrap_or("").contains(key))
        .then_some(key)
}

fn check_ping(ping: &PingTarget<'_>, key_in_path: bool) {
    assert_eq!(ping.key.is_some(), key_in_path);
    assert!(ping.process.as_str().len() <= MAX_NAME_LEN);
    assert!(ping.offset.is_none_or(|o| o < MAX_OFFSET_MINUTES));
    assert!(
        ping.grace
            .is_none_or(|g| g <= MAX_PING_GRACE && g.subsec_nanos() == 0)
    );
    if let Some(rid) = &ping.rid {
        let rid = rid.as_str();
        assert!(!rid.is_empty() && rid.len() <= MAX_RUN_ID_LEN, "{rid:?}");
        assert!(rid.bytes().all(|b| b.is_ascii_graphic()), "{rid:?}");
    }
}

fn check_status(status: &StatusQuery, config: &ReceiverConfig) {
    assert!((1..=config.max_status_page.max(1)).contains(&status.limit));
    if let Some(after) = &status.after {
        assert!(!after.name.is_empty() && after.name.len() <= MAX_NAME_LEN);
    }
}

/// A ping written back as a request target: `/ping/[<key>/]<name>[/<kind>]?...`.
fn write_ping(ping: &PingTarget<'_>) -> String {
    let mut target = "/ping/".to_owned();
    if let Some(key) = ping.key {
        target.push_str(key);
        target.push('/');
    }
    target.push_str(ping.process.as_str());
    match ping.outcome {
        PingOutcome::Success => {}
        PingOutcome::Start => target.push_str("/start"),
        PingOutcome::Log => target.push_str("/log"),
        PingOutcome::Fail => target.push_str("/fail"),
        PingOutcome::Exit(status) => target.push_str(&format!("/{status}")),
    }
    let mut query = Vec::new();
    match ping.period.as_ref().map(|p| (p, p.as_cron())) {
        Some((_, Some(cron))) => {
            query.push(("period", cron.expression().to_owned()));
            query.push(("tz", cron.time_zone().to_owned()));
        }
        Some((rate, None)) => query.push(("period", rate.to_string())),
        None => {}
    }
    if let Some(grace) = ping.grace {
        query.push(("grace", grace.as_secs().to_string()));
    }
    if let Some(offset) = ping.offset {
        query.push(("offset", offset.to_string()));
    }
    if let Some(rid) = &ping.rid {
        query.push(("rid", rid.as_str().to_owned()));
    }
    with_query(target, &query)
}

/// A `/status` query written back as a request target.
fn write_status(status: &StatusQuery) -> String {
    let mut query = vec![("limit", status.limit.to_string())];
    if let Some(state) = status.state {
        query.push(("state", state.to_string()));
    }
    if let Some(source) = status.source {
        query.push(("source", source.to_string()));
    }
    if let Some(after) = &status.after {
        query.push(("after", after.to_string()));
    }
    with_query("/status".to_owned(), &query)
}

fn with_query(mut target: String, query: &[(&str, String)]) -> String {
    for (i, (name, value)) in query.iter().enumerate() {
        target.push(if i == 0 { '?' } else { '&' });
        target.push_str(name);
        target.push('=');
        percent_encode(value, &mut target);
    }
    target
}

/// `written` parses to `target` again, unless writing it made it too long.
fn again(
    method: &str,
    written: &str,
    key_in_path: bool,
    config: &ReceiverConfig,
    target: &Target<'_>,
) {
    if written.len() > config.max_target {
        return;
    }
    let (path, query) = match written.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (written, None),
    };
    let reparsed = Target::parse(method, path, query, key_in_path, config);
    assert_eq!(reparsed.as_ref(), Ok(target), "{written:?}");
}
