//! The URL of an SQS queue as heartwire takes it (`spec/transports.md` §6.1): the queue
//! URL the SDK is given, with a scheme that says it is SQS.

use std::fmt;

use heartwire_broker::redact_url;

/// The longest queue name SQS accepts.
pub const MAX_QUEUE_NAME_LEN: usize = 80;

/// A queue, read from a URL `sqs+https://host[:port]/<account>/<queue>[?region=<r>]`
/// (`sqs://` is `sqs+https://`; `sqs+http://` for a local server without TLS).
///
/// ```
/// use heartwire_sqs::Queue;
/// let q = Queue::parse("sqs+http://127.0.0.1:5000/123456789012/beats.fifo?region=eu-west-1")?;
/// assert_eq!(q.queue_url(), "http://127.0.0.1:5000/123456789012/beats.fifo");
/// assert_eq!(q.endpoint_url(), "http://127.0.0.1:5000");
/// assert_eq!((q.name(), q.is_fifo(), q.region()), ("beats.fifo", true, Some("eu-west-1")));
///
/// let aws = Queue::parse("sqs://sqs.us-east-2.amazonaws.com/123456789012/beats")?;
/// assert_eq!(aws.region(), Some("us-east-2"));
/// assert!(!aws.is_fifo());
/// # Ok::<(), String>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Queue {
    /// `http` or `https`.
    scheme: &'static str,
    /// `host[:port]`.
    authority: String,
    /// From the first `/` on, without the query.
    path: String,
    /// Where the name begins in `path`.
    name_at: usize,
    region: Option<String>,
}

impl Queue {
    /// Reads a queue URL; the error says what is wrong, without the URL (the caller
    /// shows it redacted).
    pub fn parse(url: &str) -> Result<Queue, String> {
        let (scheme, rest) = url
            .split_once("://")
            .ok_or("expected sqs://, sqs+https:// or sqs+http:// and the queue URL's host")?;
        let scheme = match scheme.to_ascii_lowercase().as_str() {
            "sqs" | "sqs+https" => "https",
            "sqs+http" => "http",
            _ => return Err("expected the scheme sqs://, sqs+https:// or sqs+http://".into()),
        };
        let (location, query) = match rest.split_once('?') {
            Some((location, query)) => (location, Some(query)),
            None => (rest, None),
        };
        if location.contains('@') {
            return Err(
                "credentials do not go in the URL: they come from the AWS environment \
                 (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_PROFILE)"
                    .into(),
            );
        }
        if location.contains('#') {
            return Err("a queue URL has no fragment (`#`)".into());
        }
        let (authority, path) = match location.find('/') {
            Some(slash) => location.split_at(slash),
            None => (location, ""),
        };
        if authority.is_empty() {
            return Err("expected a host after `://`".into());
        }
        let name_at = path.rfind('/').map_or(0, |i| i + 1);
        let name = &path[name_at..];
        if path.is_empty() || name.is_empty() {
            return Err("expected the queue's path after the host: /<account>/<queue name>".into());
        }
        check_name(name)?;
        let mut region = None;
        for pair in query.into_iter().flat_map(|q| q.split('&')) {
            match pair.split_once('=') {
                Some(("region", r)) if valid_region(r) && region.is_none() => {
                    region = Some(r.to_owned());
                }
                Some(("region", _)) => {
                    return Err("expected one region of letters, digits and `-`".into());
                }
                _ => return Err("expected no query but `region=<region>`".into()),
            }
        }
        let region = region.or_else(|| region_of_host(authority));
        Ok(Queue {
            scheme,
            authority: authority.to_owned(),
            path: path.to_owned(),
            name_at,
            region,
        })
    }

    /// The queue URL as SQS names the queue (`https://sqs.us-east-1.amazonaws.com/1/q`).
    pub fn queue_url(&self) -> String {
        format!("{}://{}{}", self.scheme, self.authority, self.path)
    }

    /// Where requests go: the queue URL's scheme and host.
    pub fn endpoint_url(&self) -> String {
        format!("{}://{}", self.scheme, self.authority)
    }

    /// The queue's name, the last segment of its path.
    pub fn name(&self) -> &str {
        &self.path[self.name_at..]
    }

    /// Whether it is a FIFO queue: SQS names every FIFO queue `*.fifo`.
    pub fn is_fifo(&self) -> bool {
        self.name().ends_with(".fifo")
    }

    /// The region, from `?region=` or an AWS host (`sqs.<region>.amazonaws.com`);
    /// `None`: the AWS environment's (`AWS_REGION`, the profile).
    pub fn region(&self) -> Option<&str> {
        self.region.as_deref()
    }
}

impl fmt::Debug for Queue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Queue")
            .field("url", &redact_url(&self.queue_url()))
            .field("region", &self.region)
            .finish()
    }
}

/// SQS's rule for queue names: 1 to 80 of ASCII letters, digits, `-` and `_`, then
/// `.fifo` for a FIFO queue (which the 80 include).
fn check_name(name: &str) -> Result<(), String> {
    let stem = name.strip_suffix(".fifo").unwrap_or(name);
    let ok = !stem.is_empty()
        && name.len() <= MAX_QUEUE_NAME_LEN
        && stem
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "expected a queue name of 1 to {MAX_QUEUE_NAME_LEN} ASCII letters, digits, `-` and \
             `_` (and `.fifo` for a FIFO queue) as the path's last segment"
        ))
    }
}

fn valid_region(r: &str) -> bool {
    !r.is_empty() && r.len() <= 64 && r.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// `us-east-2` of `sqs.us-east-2.amazonaws.com` (and of the legacy
/// `us-east-2.queue.amazonaws.com`).
fn region_of_host(authority: &str) -> Option<String> {
    let host = authority.split(':').next()?;
    let region = host
        .strip_prefix("sqs.")
        .and_then(|h| h.split_once('.'))
        .map(|(r, _)| r)
        .or_else(|| {
            host.split_once(".queue.amazonaws.com")
                .filter(|(_, rest)| rest.is_empty() || rest.starts_with('.'))
                .map(|(r, _)| r)
        })?;
    (host.contains(".amazonaws.com") && valid_region(region)).then(|| region.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_read_or_refused_with_a_reason() {
        let q = Queue::parse("SQS+HTTP://localhost:4566/000000000000/hb").expect("valid");
        assert_eq!(q.queue_url(), "http://localhost:4566/000000000000/hb");
        assert_eq!(q.region(), None);
        let legacy = Queue::parse("sqs://eu-west-1.queue.amazonaws.com/1/q").expect("valid");
        assert_eq!(legacy.region(), Some("eu-west-1"));
        for (url, reason) in [
            ("http://h/1/q", "scheme"),
            ("sqs://h", "path"),
            ("sqs://h/1/", "path"),
            ("sqs:///1/q", "host"),
            ("sqs://AKID:s3cret@h/1/q", "credentials"),
            ("sqs://h/1/q?region=a&region=b", "one region"),
            ("sqs://h/1/q?token=s3cret", "query"),
            ("sqs://h/1/q.fifo.fifo", "queue name"),
            ("sqs://h/1/.fifo", "queue name"),
            ("sqs://h/1/a b", "queue name"),
        ] {
            let e = Queue::parse(url).expect_err(url);
            assert!(e.contains(reason), "{url}: {e}");
            assert!(!e.contains("s3cret"), "{e}");
        }
        let long = format!("sqs://h/1/{}", "a".repeat(81));
        assert!(Queue::parse(&long).is_err());
        assert!(Queue::parse(&format!("sqs://h/1/{}", "a".repeat(80))).is_ok());
    }

    #[test]
    fn debug_is_redacted() {
        let q = Queue::parse("sqs+http://h:1/1/q?region=x").expect("valid");
        assert_eq!(
            format!("{q:?}"),
            "Queue { url: \"http://h:1/1/q\", region: Some(\"x\") }"
        );
    }
}
