//! The checks of the `redact_url` fuzz target, shared with the replay test
//! `tests/fuzz_corpus.rs`, which runs them over the corpus on stable Rust.
//!
//! The promise of `heartwire_broker::redact_url` and `scrub` (`spec/transports.md`
//! §1.6): whatever a user name or password holds, a redacted URL never shows it, and a
//! message scrubbed with the URL never shows the password, as written in the URL or
//! percent-decoded. And neither function panics on any text.

use heartwire_broker::{redact_url as redact, scrub};

const SCHEMES: [&str; 5] = ["nats", "redis", "rediss", "mqtt", "amqp"];

/// Checks one fuzz input; panics when heartwire breaks a promise.
///
/// The input, read as UTF-8 (bytes that are not replaced), is split at its first two
/// newlines into a user, a password and a host (of which only `[a-z0-9.-]` is kept, so
/// that it holds no part of a URL's syntax). Each shape of URL is built of them (user
/// and password, with and without a query; password alone; token; password in the query;
/// a comma-separated NATS list) with one of the schemes, chosen by the input's length,
/// and checked. The whole input is also checked as a URL of its own.
pub fn redact_url(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let mut parts = text.splitn(3, '\n');
    let user = parts.next().unwrap_or("");
    let password = parts.next().unwrap_or("");
    let host: String = parts
        .next()
        .unwrap_or("")
        .chars()
        .filter(|c| matches!(c, 'a'..='z' | '0'..='9' | '.' | '-'))
        .collect();
    let host = if host.is_empty() { "h.example" } else { &host };
    let scheme = SCHEMES[data.len() % SCHEMES.len()];
    for (url, redacted, secret) in shapes(scheme, user, password, host) {
        check_redacted(&url, &redacted, secret);
        check_scrubbed(&url, secret);
    }
    check_any(&text);
}

/// Every shape of URL: the URL, what redacting it must give, and its secret.
fn shapes<'a>(
    scheme: &str,
    user: &str,
    password: &'a str,
    host: &str,
) -> [(String, String, &'a str); 6] {
    let s = format!("{scheme}://");
    // A '?' before the last '@' hides everything after "://" (the '@' may be in a query).
    let after = |user_info: &str, shown: String| {
        if user_info.contains('?') {
            format!("{s}***")
        } else {
            format!("{s}***@{shown}")
        }
    };
    let user_password = format!("{user}:{password}");
    let in_query = if password.contains('@') {
        format!("{s}***")
    } else {
        format!("{s}{host}:6379/0?***")
    };
    [
        (
            format!("{s}{user_password}@{host}:5672/vh"),
            after(&user_password, format!("{host}:5672/vh")),
            password,
        ),
        (
            format!("{s}{user_password}@{host}:5672/vh?heartbeat=10"),
            after(&user_password, format!("{host}:5672/vh?***")),
            password,
        ),
        (
            format!("{s}:{password}@{host}"),
            after(password, host.to_owned()),
            password,
        ),
        (
            format!("{s}{password}@{host}"),
            after(password, host.to_owned()),
            password,
        ),
        (
            format!("{s}{host}:6379/0?password={password}"),
            in_query,
            password,
        ),
        (
            format!("{s}h1.example:4222,{s}{user_password}@{host}:4222,{s}h3.example:4222"),
            after(&user_password, format!("{host}:4222,{s}h3.example:4222")),
            password,
        ),
    ]
}

fn check_redacted(url: &str, want: &str, password: &str) {
    let redacted = redact(url);
    // Made of the scheme, the host, fixed text and `***` only: it can hold the password
    // only where those do.
    assert!(
        !redacted.contains(password) || want.contains(password),
        "{url:?} redacts to {redacted:?}, showing the password {password:?}"
    );
    assert_eq!(redacted, want, "{url:?}");
}

fn check_scrubbed(url: &str, password: &str) {
    let decoded = percent_decode(password);
    let shown = if decoded == password {
        &[password][..]
    } else {
        &[password, &decoded][..]
    };
    for &shown in shown {
        let message = format!("error at {url}: {shown} refused");
        let scrubbed = scrub(&message, url);
        // Without a '*' of its own, a password cannot be pieced together with a `***`.
        if shown.len() >= 3 && !shown.contains('*') {
            assert!(
                !scrubbed.contains(shown),
                "{message:?} scrubbed with {url:?} is {scrubbed:?}"
            );
        }
    }
}

/// Any text as a URL: redacting twice is redacting once, text with neither `@` nor `?`
/// is left as it is, and scrubbing does not panic.
fn check_any(text: &str) {
    let once = redact(text);
    assert_eq!(redact(&once), once, "{text:?}: redacting twice");
    if !text.contains(['@', '?']) {
        assert_eq!(once, text);
    }
    let _ = scrub(text, text);
    let _ = scrub(&once, text);
}

/// `text` with each `%` and two hex digits decoded, as a client library prints it.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .filter(|h| bytes[i] == b'%' && h.iter().all(u8::is_ascii_hexdigit))
            .and_then(|h| u8::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok());
        match hex {
            Some(byte) => {
                out.push(byte);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
