//! Credentials kept out of sight (`spec/transports.md` §1.6): [`redact_url`] shows a
//! broker URL without them, [`scrub`] takes them out of a client library's message, and
//! [`percent_decode`] reads the user information as a client sends it.

use std::borrow::Cow;

/// A broker URL with the credentials taken out, for logs and error messages.
///
/// The rule looks for nothing but `://`, `@` and `?`, so that no password, whatever it
/// holds (`/ # ? @ : % ,`, non-ASCII), can end the user information early and be shown:
///
/// - the user information is everything between the first `://` (after a scheme of
///   letters, digits, `+`, `-` and `.`) and the *last* `@` of the whole text, and
///   becomes `***@` (`user:password@`, `:password@` and a token alone as in
///   `nats://token@host` alike); text without a scheme is read from its start, so
///   `user:password@host` is redacted too;
/// - a query, from the first `?` after that `@`, becomes `?***`, and whatever follows it
///   (a fragment too: a query value may hold `#`) is dropped;
/// - when the user information holds a `?`, that last `@` may be inside a query value
///   (`?password=a@b`), so what follows it may be the end of a secret: everything after
///   `://` becomes `***`.
///
/// Over-redaction is the price of never leaking: a path holding `@` (`mqtt://h/a@b` →
/// `mqtt://***@b`) and a comma-separated NATS list with credentials in any of its URLs
/// (`nats://h1:4222,nats://t@h2` → `nats://***@h2`: the servers before the last `@` are
/// hidden with it) lose some of what they show. Text with no `@` and no `?`, such as a
/// NATS list without credentials, is returned as it is.
///
/// ```
/// use heartwire_broker::redact_url;
/// assert_eq!(redact_url("redis://:hunter2@localhost:6379/0"), "redis://***@localhost:6379/0");
/// assert_eq!(redact_url("nats://s3cr3t@localhost"), "nats://***@localhost");
/// assert_eq!(redact_url("amqp://user:pa/ss@host:5672"), "amqp://***@host:5672");
/// assert_eq!(redact_url("redis://:ab#cd@host"), "redis://***@host");
/// assert_eq!(redact_url("mqtt://127.0.0.1:1883?password=x#y"), "mqtt://127.0.0.1:1883?***");
/// assert_eq!(redact_url("nats://u:p?q@h"), "nats://***");
/// assert_eq!(redact_url("nats://h1:4222,nats://h2:4222"), "nats://h1:4222,nats://h2:4222");
/// ```
pub fn redact_url(url: &str) -> String {
    let parts = UrlParts::split(url);
    let mut out = String::with_capacity(url.len());
    out.push_str(parts.scheme);
    if parts.hides_all {
        out.push_str("***");
        return out;
    }
    if parts.user_info.is_some() {
        out.push_str("***@");
    }
    out.push_str(parts.location);
    if parts.query.is_some() {
        out.push_str("?***");
    }
    out
}

/// `text` (a client library's error message, say) with every secret of `url` replaced by
/// `***`, so that a message that quotes the URL, or a password alone, leaks neither.
///
/// The secrets are what [`redact_url`] hides, found by the same reading of `url`: the
/// user information and the query; or, when the user information holds a `?`, the user
/// information and everything after `://`. Each is replaced whole, however short, and so
/// is each of its pieces between its separators (`:`, `@`, `/`, `,`, `?`, `&`, `=`) or
/// its ends: the password alone, the user alone, a query value (not a query's key, such
/// as `password`). Every one is also replaced percent-decoded (`p%40ss` as `p@ss`), as
/// client libraries print it. A piece shorter than 3 bytes is not replaced alone, as that
/// would mangle the message (`u` or `db` anywhere in it); the whole user information and
/// the whole query always are, however short.
///
/// A secret with more than 24 separators is cut only into the pieces that reach one of
/// its ends and those between neighbouring separators, so that their number stays linear:
/// still the user and the password of one URL, and a password at the end of a query.
/// Every occurrence in `text` is covered, overlapping ones too, so a secret can be in what
/// is left only if it holds a `*` itself, next to a `***`.
///
/// ```
/// use heartwire_broker::scrub;
/// let url = "amqp://guest:s3cret@127.0.0.1:5672";
/// assert_eq!(
///     scrub("cannot log in as guest:s3cret at amqp://guest:s3cret@127.0.0.1:5672", url),
///     "cannot log in as *** at amqp://***@127.0.0.1:5672"
/// );
/// assert_eq!(scrub("bad password s3cret", url), "bad password ***");
/// let url = "redis://:p%40ss/1@127.0.0.1:6379";
/// assert_eq!(scrub("wrong password p@ss/1", url), "wrong password ***");
/// ```
pub fn scrub(text: &str, url: &str) -> String {
    let parts = UrlParts::split(url);
    let mut secrets: Vec<Cow<'_, str>> = Vec::new();
    for span in parts.secrets() {
        secrets.push(Cow::Borrowed(span));
        secrets.extend(percent_decoded(span).map(Cow::Owned));
        for piece in secret_pieces(span) {
            if piece.len() >= 3 {
                secrets.push(Cow::Borrowed(piece));
            }
            secrets.extend(
                percent_decoded(piece)
                    .filter(|d| d.len() >= 3)
                    .map(Cow::Owned),
            );
        }
    }
    secrets.retain(|s| !s.is_empty());
    secrets.sort_unstable();
    secrets.dedup();
    if secrets.is_empty() {
        return text.to_owned();
    }
    // Marks first, replaces once: a `***` put in never meets a later secret.
    let mut covered = vec![false; text.len()];
    let hay = text.as_bytes();
    for secret in &secrets {
        let needle = secret.as_bytes();
        // Every start, so that overlapping occurrences are covered too. A needle of UTF-8
        // starts and ends on character boundaries wherever it matches.
        for at in 0..(hay.len() + 1).saturating_sub(needle.len()) {
            if hay[at] == needle[0] && hay[at..].starts_with(needle) {
                covered[at..at + needle.len()].fill(true);
            }
        }
    }
    let mut out = String::with_capacity(text.len());
    let mut start = 0;
    while start < text.len() {
        let hidden = covered[start];
        let end = covered[start..]
            .iter()
            .position(|&c| c != hidden)
            .map_or(text.len(), |n| start + n);
        out.push_str(if hidden { "***" } else { &text[start..end] });
        start = end;
    }
    out
}

/// A URL read the way [`redact_url`] reads it; the parts are slices of the text, which is
/// exactly `scheme` and `body`, the body being `user_info` and `@`, then `location`,
/// then `?` and `query`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct UrlParts<'a> {
    /// The scheme and `://`, or nothing when the text has no valid scheme.
    scheme: &'a str,
    /// Everything after `://`.
    body: &'a str,
    /// Everything from after `://` to the last `@`.
    user_info: Option<&'a str>,
    /// Host, port, path (and a fragment when there is no query): what is shown. When
    /// [`hides_all`](Self::hides_all), everything after the last `@`.
    location: &'a str,
    /// Everything after the first `?` after the user information.
    query: Option<&'a str>,
    /// The user information holds a `?`, so the last `@` may be in a query value and what
    /// follows it may be the end of a secret: nothing after `://` is shown.
    hides_all: bool,
}

impl<'a> UrlParts<'a> {
    fn split(url: &'a str) -> UrlParts<'a> {
        let scheme_len = url
            .find("://")
            .filter(|&end| is_scheme(&url[..end]))
            .map_or(0, |end| end + 3);
        let (scheme, body) = url.split_at(scheme_len);
        let (user_info, rest) = match body.rfind('@') {
            Some(at) => (Some(&body[..at]), &body[at + 1..]),
            None => (None, body),
        };
        let hides_all = user_info.is_some_and(|u| u.contains('?'));
        let (location, query) = match rest.split_once('?') {
            Some((location, query)) if !hides_all => (location, Some(query)),
            _ => (rest, None),
        };
        UrlParts {
            scheme,
            body,
            user_info,
            location,
            query,
            hides_all,
        }
    }

    /// What [`redact_url`] hides, as spans of the text that [`scrub`] hides whole and in
    /// pieces: the user information and the query, or, when everything after `://` is
    /// hidden, the user information and that (the one ends with the password of a user
    /// information, the other with the password of a query).
    fn secrets(&self) -> Vec<&'a str> {
        let mut spans: Vec<&'a str> = self.user_info.into_iter().chain(self.query).collect();
        if self.hides_all {
            spans.push(self.body);
        }
        spans
    }
}

/// RFC 3986's `scheme`: a letter, then letters, digits, `+`, `-` and `.`.
fn is_scheme(text: &str) -> bool {
    let mut chars = text.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

/// Where the pieces of a secret start and end, besides its own ends.
const PIECE_SEPARATORS: [char; 7] = [':', '@', '/', ',', '?', '&', '='];

/// Above this many separators a secret is cut into fewer pieces (see [`scrub`]), so that
/// their number stays linear in its length.
const MAX_PIECE_SEPARATORS: usize = 24;

/// The pieces of `span` that start at its start or after a separator and end at its end
/// or before a separator, without `span` itself and without the keys of a query.
fn secret_pieces(span: &str) -> Vec<&str> {
    let cuts: Vec<usize> = span
        .match_indices(PIECE_SEPARATORS)
        .map(|(at, _)| at)
        .collect();
    let starts: Vec<usize> = std::iter::once(0)
        .chain(cuts.iter().map(|&c| c + 1))
        .collect();
    let ends: Vec<usize> = cuts.iter().copied().chain([span.len()]).collect();
    let mut pieces = Vec::new();
    if cuts.len() <= MAX_PIECE_SEPARATORS {
        for &start in &starts {
            pieces.extend(
                ends.iter()
                    .filter(|&&end| end > start)
                    .map(|&end| (start, end)),
            );
        }
    } else {
        pieces.extend(ends.iter().map(|&end| (0, end)));
        pieces.extend(starts.iter().map(|&start| (start, span.len())));
        pieces.extend(starts.iter().zip(&ends).map(|(&start, &end)| (start, end)));
    }
    // A query's key (`password` in `?password=x`) names a secret but is none.
    let is_key = |start: usize, end: usize| {
        span[end..].starts_with('=')
            && (start == 0 || matches!(span.as_bytes()[start - 1], b'?' | b'&'))
    };
    pieces.retain(|&(start, end)| {
        start < end && (start, end) != (0, span.len()) && !is_key(start, end)
    });
    pieces.sort_unstable();
    pieces.dedup();
    pieces
        .into_iter()
        .map(|(start, end)| &span[start..end])
        .collect()
}

/// The user information of a broker URL as a client sends it: each `%` and two hex
/// digits decoded (bytes that are not UTF-8 replaced); a `%` without two hex digits is
/// kept as it is, since passwords are often typed raw.
///
/// ```
/// use heartwire_broker::percent_decode;
/// assert_eq!(percent_decode("pa%2Fss%40x"), "pa/ss@x");
/// assert_eq!(percent_decode("100%"), "100%");
/// ```
pub fn percent_decode(text: &str) -> std::borrow::Cow<'_, str> {
    match percent_decoded(text) {
        Some(decoded) => std::borrow::Cow::Owned(decoded),
        None => std::borrow::Cow::Borrowed(text),
    }
}

/// `text` with each `%` and two hex digits decoded (bytes that are not UTF-8 replaced),
/// when it holds any.
fn percent_decoded(text: &str) -> Option<String> {
    if !text.contains('%') {
        return None;
    }
    let bytes = text.as_bytes();
    let digit = |at: usize| bytes.get(at).and_then(|&b| char::from(b).to_digit(16));
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match (bytes[i], digit(i + 1), digit(i + 2)) {
            (b'%', Some(high), Some(low)) => {
                out.extend(u8::try_from(high * 16 + low).ok());
                i += 3;
            }
            (byte, _, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    (out.len() != bytes.len()).then(|| String::from_utf8_lossy(&out).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction() {
        for (url, want) in [
            ("amqp://u:p@h:5672/%2f", "amqp://***@h:5672/%2f"),
            ("amqp://u:p@h", "amqp://***@h"),
            ("redis://u:p@w@h/0?password=x#f", "redis://***@h/0?***"),
            ("h:4222", "h:4222"),
            ("", ""),
            ("nats://", "nats://"),
            // What a password may hold, raw: nothing of it ends the user information.
            ("amqp://user:pa/ss@host:5672", "amqp://***@host:5672"),
            ("redis://:ab#cd@host", "redis://***@host"),
            ("nats://u:p%q,r@h:4222", "nats://***@h:4222"),
            ("amqp://u:a://b@h/vh", "amqp://***@h/vh"),
            ("amqp://ü:pä/ß@h", "amqp://***@h"),
            // A '?' before the last '@': that '@' may be in a query value.
            ("nats://u:p?q@h", "nats://***"),
            ("redis://h:6379/0?password=ab@cd", "redis://***"),
            ("redis://h:6379/0?password=x&db=1", "redis://h:6379/0?***"),
            ("mqtt://h#frag", "mqtt://h#frag"),
            // Over-redacted: a path with '@', servers of a list before the last '@'.
            ("mqtt://h/a@b", "mqtt://***@b"),
            ("nats://h:4222,nats://t@h2", "nats://***@h2"),
            (
                "nats://u:p@h1:4222,nats://h2:4222",
                "nats://***@h1:4222,nats://h2:4222",
            ),
            (
                "nats://h1:4222,nats://h2:4222",
                "nats://h1:4222,nats://h2:4222",
            ),
            // Without a scheme, or with text that is not one before "://".
            ("user:pw@host", "***@host"),
            ("u:a://b@h", "***@h"),
            ("h:4222?password=x", "h:4222?***"),
        ] {
            assert_eq!(redact_url(url), want, "{url}");
            assert_eq!(redact_url(want), want, "{url}: redacting twice");
        }
    }

    #[test]
    fn scrubbing() {
        for (text, url, want) in [
            (
                "amqp://guest:pa/ss@h:5672 refused guest, pa/ss",
                "amqp://guest:pa/ss@h:5672",
                "amqp://***@h:5672 refused ***, ***",
            ),
            // Percent-decoded, as client libraries print it.
            ("bad password p@ss", "redis://:p%40ss@h", "bad password ***"),
            ("bad token tök", "nats://t%C3%B6k@h", "bad token ***"),
            // A query value, even holding '@' or '#'.
            (
                "bad password a@b#c",
                "redis://h/0?password=a@b#c",
                "bad password ***",
            ),
            (
                "bad password s3cret",
                "redis://h/0?x=1&password=s3cret",
                "bad password ***",
            ),
            // A piece under 3 bytes is left alone; the whole user information is not.
            ("u: p, at u:p@h", "amqp://u:p@h", "u: p, at ***@h"),
            (
                "bad token ab at ab@h",
                "nats://ab@h",
                "bad token *** at ***@h",
            ),
            // Overlapping occurrences.
            ("abab:abab", "nats://abab:abab@h", "***"),
            (
                "no secrets in nats://h:4222",
                "nats://h:4222",
                "no secrets in nats://h:4222",
            ),
        ] {
            assert_eq!(scrub(text, url), want, "{text} with {url}");
        }
    }

    #[test]
    fn pieces_of_secrets() {
        assert_eq!(secret_pieces("user:pass"), ["user", "pass"]);
        let list = secret_pieces("h:1,nats://t");
        assert!(list.contains(&"t") && list.contains(&"1,nats") && !list.contains(&"h:1,nats://t"));
        assert_eq!(
            secret_pieces("password=a&db=0"),
            ["password=a", "a", "a&db", "a&db=0", "db=0", "0"]
        );
        // Many separators: the pieces at either end and between neighbours only.
        let many = "a:".repeat(30) + "pw";
        let pieces = secret_pieces(&many);
        assert!(pieces.contains(&"pw") && pieces.contains(&"a") && pieces.len() < 100);
        assert_eq!(percent_decoded("p%40ss%2"), Some("p@ss%2".to_owned()));
        assert_eq!(percent_decoded("p%4gss"), None);
    }
}
