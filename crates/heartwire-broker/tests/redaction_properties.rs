//! `redact_url` and `scrub` over generated credentials (proptest):
//! whatever a user name or password holds (`/ # ? @ : % ,`, percent-encoded bytes,
//! non-ASCII), no broker URL shows it once redacted, and no message scrubbed with the
//! URL shows it either (`spec/transports.md` §1.6).
//!
//! Every URL is built of a scheme, a host of `[a-z0-9.-]`, fixed ports and paths, and
//! the generated secrets. A secret that must not be seen holds [`MARK`], which nothing
//! else holds (not the scheme, host or path, not `***`), so that "the output does not
//! contain it" means something even for a one-byte password. Besides, each redacted URL
//! is compared whole with what the rule gives, which holds for any secret.

use heartwire_broker::{redact_url, scrub};
use proptest::prelude::*;

/// In every secret that must not be seen, and nowhere else.
const MARK: char = '§';

const SCHEMES: [&str; 5] = ["nats", "redis", "rediss", "mqtt", "amqp"];

/// How many cases each property runs: `PROPTEST_CASES`, or 1024.
fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(1024)
}

/// User names and passwords: mostly the characters that end parts of a URL, and
/// percent-encoded bytes, and anything at all.
fn secret_text() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "[/#?@:%,=&*a-z0-9]{0,12}",
        2 => "(%[0-9A-Fa-f]{2}|%|[/#?@:,a-z]){0,8}",
        1 => "\\PC{0,16}",
        1 => any::<String>(),
    ]
}

/// A secret with [`MARK`] somewhere in it.
fn marked_text() -> impl Strategy<Value = String> {
    (secret_text(), any::<prop::sample::Index>()).prop_map(|(text, at)| {
        let boundaries: Vec<usize> = text
            .char_indices()
            .map(|(i, _)| i)
            .chain([text.len()])
            .collect();
        let at = boundaries[at.index(boundaries.len())];
        format!("{}{MARK}{}", &text[..at], &text[at..])
    })
}

fn host() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9.-]{0,10}"
}

/// One way a URL holds a secret: the URL, what redacting it gives, and the secret that
/// must not be seen (the password, or the token).
struct Shape {
    name: &'static str,
    url: String,
    redacted: String,
    secret: String,
}

/// Every shape of URL, for one scheme, user, password and host.
fn shapes(scheme: &str, user: &str, password: &str, host: &str) -> Vec<Shape> {
    let s = format!("{scheme}://");
    // A '?' before the last '@' hides everything after "://" (the '@' may be in a query).
    let after_user_info = |user_info: &str, shown: String| {
        if user_info.contains('?') {
            format!("{s}***")
        } else {
            format!("{s}***@{shown}")
        }
    };
    let user_password = format!("{user}:{password}");
    let shape = |name, url: String, redacted: String| Shape {
        name,
        url,
        redacted,
        secret: password.to_owned(),
    };
    vec![
        shape(
            "user and password",
            format!("{s}{user_password}@{host}:5672/vh"),
            after_user_info(&user_password, format!("{host}:5672/vh")),
        ),
        shape(
            "user and password, and a query",
            format!("{s}{user_password}@{host}:5672/vh?heartbeat=10"),
            after_user_info(&user_password, format!("{host}:5672/vh?***")),
        ),
        shape(
            "password alone",
            format!("{s}:{password}@{host}"),
            after_user_info(password, host.to_owned()),
        ),
        shape(
            "token",
            format!("{s}{password}@{host}"),
            after_user_info(password, host.to_owned()),
        ),
        shape(
            "password in the query",
            format!("{s}{host}:6379/0?password={password}"),
            if password.contains('@') {
                format!("{s}***")
            } else {
                format!("{s}{host}:6379/0?***")
            },
        ),
        shape(
            "comma-separated list",
            format!("{s}h1.example:4222,{s}{user_password}@{host}:4222,{s}h3.example:4222"),
            after_user_info(&user_password, format!("{host}:4222,{s}h3.example:4222")),
        ),
    ]
}

/// `text` with each `%` and two hex digits decoded, as a client library prints it.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
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

/// Text of URLs and of anything: what the functions must take without panicking.
fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "([a-z]{1,6}://|[/#?@:%,=&*]|[a-z0-9.]{1,4}){0,12}",
        "\\PC{0,40}",
        any::<String>(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    /// For any user and password, each URL redacts to exactly what the rule says:
    /// scheme, `***`, then host, port and path (never a part of a secret), `?***`.
    #[test]
    fn redaction_follows_the_rule(
        user in secret_text(),
        password in secret_text(),
        host in host(),
    ) {
        for scheme in SCHEMES {
            for shape in shapes(scheme, &user, &password, &host) {
                prop_assert_eq!(
                    redact_url(&shape.url),
                    shape.redacted,
                    "{}: {:?}",
                    shape.name,
                    shape.url
                );
            }
        }
    }

    /// A password (or token) is never in a redacted URL, nor the user's.
    #[test]
    fn redacted_urls_show_no_password(
        user in marked_text(),
        password in marked_text(),
        host in host(),
    ) {
        for scheme in SCHEMES {
            for shape in shapes(scheme, &user, &password, &host) {
                let redacted = redact_url(&shape.url);
                prop_assert!(
                    !redacted.contains(&shape.secret),
                    "{}: {:?} shows {:?} as {:?}",
                    shape.name,
                    shape.url,
                    shape.secret,
                    redacted
                );
                prop_assert!(!redacted.contains(MARK), "{}: {:?}", shape.name, redacted);
            }
        }
    }

    /// A message that quotes the URL and the password (or token), as written in the URL
    /// or percent-decoded, shows neither once scrubbed with the URL (a password of 3 bytes
    /// or more), and the URL quoted alone shows nothing of its secrets however short.
    #[test]
    fn scrubbed_messages_show_no_password(
        user in marked_text(),
        password in marked_text(),
        host in host(),
    ) {
        for scheme in SCHEMES {
            for shape in shapes(scheme, &user, &password, &host) {
                let url = &shape.url;
                let alone = scrub(url, url);
                prop_assert!(!alone.contains(MARK), "{}: {:?} is {:?}", shape.name, url, alone);
                let decoded = percent_decode(&shape.secret);
                for shown in [&shape.secret, &decoded] {
                    let message = format!("error at {url}: {shown} refused");
                    let scrubbed = scrub(&message, url);
                    if shown.len() >= 3 {
                        prop_assert!(
                            !scrubbed.contains(shown.as_str()) && !scrubbed.contains(MARK),
                            "{}: {:?} scrubbed with {:?} is {:?}",
                            shape.name,
                            message,
                            url,
                            scrubbed
                        );
                    }
                }
            }
        }
    }

    /// Any text: redacting never panics, redacting twice is redacting once, text with
    /// neither `@` nor `?` (a NATS list without credentials) is left as it is, and
    /// scrubbing any text with any URL never panics.
    #[test]
    fn redaction_is_total_and_idempotent(text in any_text(), url in any_text()) {
        let once = redact_url(&text);
        prop_assert_eq!(redact_url(&once), once.clone(), "{:?}", text);
        if !text.contains(['@', '?']) {
            prop_assert_eq!(&once, &text);
        }
        let _ = scrub(&text, &url);
        let _ = scrub(&url, &text);
        let _ = scrub(&text, &text);
    }
}
