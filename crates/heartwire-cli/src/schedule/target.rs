//! Where a schedule's payload goes when it fires (`spec/schedule.md` §13.2): a broker
//! URL and an address on it, written `URL#ADDRESS`, or an SQS queue URL alone, given by
//! `--to` for every schedule or by a schedule's own `target` member.
//!
//! One enum, one arm per kind of destination: the brokers, and the SQS queue of the
//! Reventless framework (with the `sqs` feature; a build without it refuses an SQS
//! target when it is read).

use std::fmt;

use heartwire_broker::{Broker, redact_url};

use super::limits::MAX_ADDRESS_LEN;
use crate::{brokers, send};

/// A destination of fired payloads.
#[derive(Clone, PartialEq, Eq)]
pub(crate) enum FireTarget {
    /// A subject (NATS), channel (Redis), topic (MQTT) or routing key on the exchange
    /// `heartbeat` (AMQP) of a broker.
    Broker {
        broker: Broker,
        /// The URL as given, credentials included: never shown, never written.
        url: String,
        address: String,
    },
    /// An SQS queue (`spec/transports.md` §6.1): its URL is the whole target. Checked
    /// by `heartwire_sqs::Queue` when read, so it holds no credentials.
    #[cfg(feature = "sqs")]
    Sqs { url: String },
}

/// Why a target cannot be used. Its text never holds credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FireTargetError {
    /// Not `URL#ADDRESS`.
    NoAddress(String),
    /// The URL part is not a broker URL (send.rs's reason), or not an SQS queue URL
    /// (heartwire-sqs's reason), redacted.
    Url(String),
    /// A broker this binary was built without: the URL redacted, and why.
    NotBuilt { url: String, why: String },
    /// An SQS queue URL followed by `#ADDRESS`.
    QueueAddress(String),
    /// `"#ADDRESS"` when `--to` is an SQS queue, which has no addresses.
    #[cfg(feature = "sqs")]
    NoDefaultAddress,
    /// A payload an SQS queue cannot take (`spec/schedule.md` §13.2).
    #[cfg(feature = "sqs")]
    Payload(String),
    /// The address breaks the rules of its broker.
    Address { address: String, expected: String },
    /// A `target` member of a document holding credentials, which would be written to
    /// the state file and shown by `GET /schedules`.
    Credentials(String),
    /// A `#ADDRESS` target when no `--to` says which broker.
    NoDefault,
    /// No `target` member and no `--to`.
    NoTarget,
    /// A `target` member that is not a JSON string.
    NotAString,
}

impl fmt::Display for FireTargetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FireTargetError::NoAddress(target) => write!(
                f,
                "target {target:?} has no address, expected URL#ADDRESS (nats://127.0.0.1:4222#orders.process)"
            ),
            FireTargetError::Url(why) => f.write_str(why),
            FireTargetError::NotBuilt { url, why } => write!(f, "target {url}: {why}"),
            FireTargetError::QueueAddress(url) => write!(
                f,
                "target {url}#...: an SQS target is the queue URL alone, without #ADDRESS (a queue has no addresses)"
            ),
            #[cfg(feature = "sqs")]
            FireTargetError::NoDefaultAddress => f.write_str(
                "target \"#ADDRESS\": the --to target is an SQS queue, which has no addresses; give a full target",
            ),
            #[cfg(feature = "sqs")]
            FireTargetError::Payload(why) => write!(f, "payload: {why}"),
            FireTargetError::Address { address, expected } => {
                write!(f, "target address {address:?}: expected {expected}")
            }
            FireTargetError::Credentials(url) => write!(
                f,
                "target {url} holds credentials, which a schedule document may not (it is kept in the state file): give the URL with them in --to and the address as \"#ADDRESS\""
            ),
            FireTargetError::NoDefault => f.write_str(
                "target \"#ADDRESS\" names no broker and there is no --to URL to publish on",
            ),
            FireTargetError::NoTarget => {
                f.write_str("no target: give --to URL#ADDRESS, or the schedule a target member")
            }
            FireTargetError::NotAString => f.write_str("target: expected a JSON string"),
        }
    }
}

impl FireTarget {
    /// Reads a target: an SQS queue URL whole, anything else as `URL#ADDRESS`, split at
    /// the last `#` after the last `@` (a password may hold a `#`, an address holds
    /// neither `#` nor `@`): `redis://:ab#cd@h` is a URL without an address, never the
    /// URL `redis://:ab` and the address `cd@h`, which would show the password as an
    /// address. A broker this binary was built without is refused here rather than at
    /// each fire, where it would be retried for a day.
    pub(crate) fn parse(text: &str) -> Result<FireTarget, FireTargetError> {
        if Broker::of(text) == Some(Broker::Sqs) {
            return FireTarget::queue(text);
        }
        let after_credentials = text.rfind('@').map_or(0, |at| at + 1);
        let Some(hash) = text[after_credentials..]
            .rfind('#')
            .map(|i| after_credentials + i)
        else {
            return Err(FireTargetError::NoAddress(redact_url(text)));
        };
        let (url, address) = (&text[..hash], &text[hash + 1..]);
        let broker = send::broker_of(url).map_err(|e| FireTargetError::Url(e.to_string()))?;
        if !brokers::built(broker) {
            return Err(FireTargetError::NotBuilt {
                url: redact_url(url),
                why: brokers::not_built(broker),
            });
        }
        check_address(broker, address)?;
        Ok(FireTarget::Broker {
            broker,
            url: url.to_owned(),
            address: address.to_owned(),
        })
    }

    /// An SQS queue URL (`spec/transports.md` §6.1), with nothing after it.
    fn queue(url: &str) -> Result<FireTarget, FireTargetError> {
        if let Some((queue, _)) = url.split_once('#') {
            return Err(FireTargetError::QueueAddress(redact_url(queue)));
        }
        #[cfg(feature = "sqs")]
        {
            heartwire_sqs::Queue::parse(url)
                .map_err(|why| FireTargetError::Url(format!("{}: {why}", redact_url(url))))?;
            Ok(FireTarget::Sqs {
                url: url.to_owned(),
            })
        }
        #[cfg(not(feature = "sqs"))]
        Err(FireTargetError::NotBuilt {
            url: redact_url(url),
            why: brokers::not_built(Broker::Sqs),
        })
    }

    /// The target of a schedule document's `target` member (its JSON text): a full
    /// target without credentials, or `#ADDRESS` on the broker of `default`.
    pub(crate) fn of_member(
        json: &str,
        default: Option<&FireTarget>,
    ) -> Result<FireTarget, FireTargetError> {
        let text: String = serde_json::from_str(json).map_err(|_| FireTargetError::NotAString)?;
        if let Some(address) = text.strip_prefix('#') {
            let (broker, url) = match default {
                Some(FireTarget::Broker { broker, url, .. }) => (*broker, url),
                #[cfg(feature = "sqs")]
                Some(FireTarget::Sqs { .. }) => return Err(FireTargetError::NoDefaultAddress),
                None => return Err(FireTargetError::NoDefault),
            };
            check_address(broker, address)?;
            return Ok(FireTarget::Broker {
                broker,
                url: url.clone(),
                address: address.to_owned(),
            });
        }
        // The whole text, not only the URL part that parses: whatever is refused must
        // not be taken for a URL without credentials and an address that holds them.
        if Broker::of(&text) != Some(Broker::Sqs) && redact_url(&text) != text {
            return Err(FireTargetError::Credentials(redact_url(&text)));
        }
        let target = FireTarget::parse(&text)?;
        match &target {
            FireTarget::Broker { url, .. } if redact_url(url) != *url => {
                Err(FireTargetError::Credentials(redact_url(url)))
            }
            // A queue URL that parsed has no user information and no query but its
            // region (transports.md §6.1): no credentials.
            _ => Ok(target),
        }
    }

    /// The URL of the broker or queue, credentials included: a key, never shown.
    pub(crate) fn url(&self) -> &str {
        match self {
            FireTarget::Broker { url, .. } => url,
            #[cfg(feature = "sqs")]
            FireTarget::Sqs { url } => url,
        }
    }

    /// Whether `payload` can be fired to this target: any payload to a broker; to an
    /// SQS queue, a message body SQS takes (`spec/schedule.md` §13.2): 1 to
    /// [`MAX_SQS_BODY_LEN`](super::limits::MAX_SQS_BODY_LEN) bytes of the characters
    /// SQS allows. Checked when the target is read, not at each fire, where SQS would
    /// refuse it for a day.
    pub(crate) fn check_payload(&self, payload: &str) -> Result<(), FireTargetError> {
        let _ = payload;
        match self {
            FireTarget::Broker { .. } => Ok(()),
            #[cfg(feature = "sqs")]
            FireTarget::Sqs { .. } => check_sqs_body(payload),
        }
    }
}

/// SQS's rule for a message body: at least 1 byte, at most [`MAX_SQS_BODY_LEN`] bytes,
/// of tab, line feed, carriage return and the characters from U+0020 on but U+FFFE and
/// U+FFFF (surrogates are no `char`).
///
/// [`MAX_SQS_BODY_LEN`]: super::limits::MAX_SQS_BODY_LEN
#[cfg(feature = "sqs")]
fn check_sqs_body(payload: &str) -> Result<(), FireTargetError> {
    use super::limits::MAX_SQS_BODY_LEN;
    if payload.is_empty() {
        return Err(FireTargetError::Payload(
            "empty, and an SQS message body is at least 1 byte".to_owned(),
        ));
    }
    if payload.len() > MAX_SQS_BODY_LEN {
        return Err(FireTargetError::Payload(format!(
            "{} bytes, and an SQS message body is at most {MAX_SQS_BODY_LEN}",
            payload.len()
        )));
    }
    let refused = |c: char| {
        !matches!(c, '\t' | '\n' | '\r') && (c < ' ' || c == '\u{FFFE}' || c == '\u{FFFF}')
    };
    match payload.char_indices().find(|&(_, c)| refused(c)) {
        Some((at, c)) => Err(FireTargetError::Payload(format!(
            "U+{:04X} at byte {at}: an SQS message body holds tab, line feed, carriage return and characters from U+0020 on, but U+FFFE and U+FFFF",
            u32::from(c)
        ))),
        None => Ok(()),
    }
}

/// The ids of one fire on a FIFO queue (`spec/schedule.md` §13.2): the group is the
/// schedule's name, the deduplication id `NAME@DUE`, DUE the fire time as the report's
/// `due` writes it. Both are at most 64 + 1 + 20 bytes of ASCII letters, digits and
/// punctuation, so always ids SQS takes; `heartwire_sqs` hashes any id over 128 bytes
/// all the same (its one rule, `message_group_id`).
#[cfg(feature = "sqs")]
pub(crate) fn fire_ids(name: &str, due: heartwire::time::UnixTime) -> (String, String) {
    (name.to_owned(), format!("{name}@{due}"))
}

/// `URL#ADDRESS` with the URL's credentials hidden.
impl fmt::Display for FireTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FireTarget::Broker { url, address, .. } => write!(f, "{}#{address}", redact_url(url)),
            #[cfg(feature = "sqs")]
            FireTarget::Sqs { url } => f.write_str(&redact_url(url)),
        }
    }
}

/// Redacted, as [`fmt::Display`].
impl fmt::Debug for FireTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FireTarget({self})")
    }
}

/// The address rules of `spec/schedule.md` §13.2: 1 to [`MAX_ADDRESS_LEN`] bytes of
/// printable ASCII without spaces, `#` or `@` on every broker (so that the `#` that
/// starts it comes after any credentials of the URL), and each broker's own.
fn check_address(broker: Broker, address: &str) -> Result<(), FireTargetError> {
    let refuse = |expected: &str| {
        Err(FireTargetError::Address {
            address: address.chars().take(80).collect(),
            expected: expected.to_owned(),
        })
    };
    if address.is_empty() || address.len() > MAX_ADDRESS_LEN {
        return refuse("1 to 255 bytes");
    }
    if !address
        .bytes()
        .all(|b| b.is_ascii_graphic() && b != b'#' && b != b'@')
    {
        return refuse("printable ASCII without spaces, '#' or '@'");
    }
    match broker {
        Broker::Nats if address.starts_with('$') => {
            refuse("a NATS subject not starting with '$' (reserved)")
        }
        Broker::Nats
            if address
                .split('.')
                .any(|t| t.is_empty() || t == "*" || t == ">") =>
        {
            refuse("a NATS subject: tokens separated by '.', none empty, no wildcard '*' or '>'")
        }
        Broker::Mqtt if address.starts_with('$') || address.contains('+') => {
            refuse("an MQTT topic without the wildcard '+' and not starting with '$'")
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_split_at_the_last_hash_and_hide_credentials() {
        let t = FireTarget::parse("redis://:ab#cd@127.0.0.1:6379#orders:process");
        let t = t.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(t.to_string(), "redis://***@127.0.0.1:6379#orders:process");
        assert!(
            matches!(&t, FireTarget::Broker { url, .. } if url == "redis://:ab#cd@127.0.0.1:6379"),
            "{t:?}"
        );
        assert!(!format!("{t:?}").contains("cd@"));
    }

    /// A `#` in a password is not where the address starts: a target whose address was
    /// forgotten is refused without showing the password, and a document's target with
    /// credentials is refused as such, whatever `#` it holds.
    #[test]
    fn a_hash_in_a_password_is_never_taken_for_the_address() {
        for (forgot, secrets) in [
            ("redis://:ab#cd@127.0.0.1:6379", ["ab", "cd"]),
            ("nats://user:pa#ss@127.0.0.1:4222", ["user", "pa#ss"]),
            ("amqp://u:x#y#z@h:5672/vhost", ["x#y", "z@"]),
        ] {
            let e = match FireTarget::parse(forgot) {
                Ok(t) => panic!("{forgot}: accepted as {t:?}"),
                Err(e) => e,
            };
            assert!(
                matches!(e, FireTargetError::NoAddress(_)),
                "{forgot}: {e:?}"
            );
            let shown = e.to_string();
            assert!(shown.contains("***@"), "{forgot}: {shown}");
            for secret in secrets {
                assert!(!shown.contains(secret), "{forgot}: {shown}");
            }
        }
        // An address never holds '@'.
        assert!(matches!(
            FireTarget::parse("redis://h#a@b"),
            Err(FireTargetError::NoAddress(_) | FireTargetError::Address { .. })
        ));
        let default = FireTarget::parse("nats://h#d").ok();
        assert!(matches!(
            FireTarget::of_member("\"#a@b\"", default.as_ref()),
            Err(FireTargetError::Address { .. })
        ));
        // A document's target: credentials refused as such, never shown.
        for doc in [
            "\"redis://:s3#cret@h\"",
            "\"redis://:s3#cret@h#chan\"",
            "\"nats://u:s3#cret@h:4222#a.b\"",
        ] {
            let e = FireTarget::of_member(doc, None);
            assert!(
                matches!(&e, Err(FireTargetError::Credentials(u)) if !u.contains("s3") && !u.contains("cret")),
                "{doc}: {e:?}"
            );
        }
    }

    const QUEUE: &str = "sqs+http://127.0.0.1:1/000000000000/q.fifo?region=us-east-1";

    /// A build without the `sqs` feature refuses an SQS queue when the target is read
    /// (`--to`, a document, the API), naming the feature, not at each fire; a build with
    /// it takes the queue URL alone as the target.
    #[test]
    fn an_sqs_queue_is_refused_when_read_not_at_each_fire() {
        let read = FireTarget::parse(QUEUE);
        let member = FireTarget::of_member(&format!("\"{QUEUE}\""), None);
        #[cfg(feature = "sqs")]
        {
            let t = read.unwrap_or_else(|e| panic!("{e}"));
            assert!(
                matches!(&t, FireTarget::Sqs { url } if url == QUEUE),
                "{t:?}"
            );
            assert_eq!(
                t.to_string(),
                "sqs+http://127.0.0.1:1/000000000000/q.fifo?***"
            );
            assert_eq!(member.map(|m| m == t), Ok(true));
        }
        #[cfg(not(feature = "sqs"))]
        for refused in [read, member] {
            let why = match refused {
                Ok(t) => panic!("accepted: {t}"),
                Err(e) => e.to_string(),
            };
            assert!(
                why.contains("built without the `sqs` feature")
                    && why.contains("--features sqs")
                    && !why.contains("us-east-1"),
                "{why}"
            );
        }
        // Whatever the build: a queue has no #ADDRESS.
        let e = FireTarget::parse(&format!("{QUEUE}#orders"));
        assert!(
            matches!(&e, Err(FireTargetError::QueueAddress(u)) if !u.contains('#')),
            "{e:?}"
        );
    }

    #[cfg(feature = "sqs")]
    #[test]
    fn an_sqs_target_is_a_queue_url_and_a_body_sqs_takes() {
        for (bad, reason) in [
            ("sqs+http://AKID:s3cret@h:1/1/q", "credentials"),
            ("sqs://h/1/a b", "queue name"),
            ("sqs://h/1/q?token=s3cret", "query"),
        ] {
            let e = match FireTarget::parse(bad) {
                Ok(t) => panic!("accepted: {t}"),
                Err(e) => e.to_string(),
            };
            assert!(e.contains(reason) && !e.contains("s3cret"), "{bad}: {e}");
        }
        // "#ADDRESS" has nothing to name on a queue.
        let default = FireTarget::parse(QUEUE).ok();
        assert_eq!(
            FireTarget::of_member("\"#orders\"", default.as_ref()),
            Err(FireTargetError::NoDefaultAddress)
        );
        let queue = default.unwrap_or_else(|| panic!("{QUEUE} is a target"));
        for good in ["{\"a\": 1}", "x", "tab\tnl\ncr\r", "é ✓ 🙂 \u{FFFD}"] {
            assert_eq!(queue.check_payload(good), Ok(()), "{good:?}");
        }
        for (bad, reason) in [
            ("", "empty"),
            ("a\u{0}b", "U+0000 at byte 1"),
            ("ok\u{1F}", "U+001F at byte 2"),
            ("é\u{FFFF}", "U+FFFF at byte 2"),
            ("\u{FFFE}", "U+FFFE at byte 0"),
        ] {
            let e = queue.check_payload(bad).map_err(|e| e.to_string());
            assert!(
                matches!(&e, Err(why) if why.contains(reason)),
                "{bad:?}: {e:?}"
            );
        }
        let big = "x".repeat(super::super::limits::MAX_SQS_BODY_LEN + 1);
        assert!(queue.check_payload(&big).is_err());
        // Any payload goes to a broker.
        let nats = FireTarget::parse("nats://h#a.b").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(nats.check_payload(""), Ok(()));
    }

    /// The ids of a fire are valid SQS ids for every name a schedule may have (§3: 1 to
    /// 64 of letters, digits, `.`, `_`, `-`) and every fire time (years 0000 to 9999),
    /// so they are sent as they are, never hashed; and the same fire always has the
    /// same ids, a different fire time a different deduplication id.
    #[cfg(feature = "sqs")]
    #[test]
    fn fire_ids_are_ids_sqs_takes_for_every_name_and_fire_time() {
        use heartwire::time::UnixTime;
        use heartwire_sqs::{MAX_GROUP_ID_LEN, message_group_id};
        let sqs_id = |id: &str| {
            (1..=MAX_GROUP_ID_LEN).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_graphic())
        };
        let longest = format!("{}._-9", "Zz".repeat(30));
        assert_eq!(longest.len(), 64);
        let first = UnixTime::new(-62_167_219_200, 0); // 0000-01-01T00:00:00Z
        let last = UnixTime::new(253_402_300_740, 0); // 9999-12-31T23:59:00Z
        for name in ["a", "0", ".", "-_-", "daily-report", longest.as_str()] {
            assert!(heartwire::schedule::Name::new(name).is_ok(), "{name}");
            for due in [first, last, UnixTime::new(1_700_000_040, 0)] {
                let (group, dedup) = fire_ids(name, due);
                assert_eq!(group, name);
                assert_eq!(dedup, format!("{name}@{due}"));
                for id in [&group, &dedup] {
                    assert!(sqs_id(id), "{id:?}");
                    assert_eq!(message_group_id(id), id.as_str(), "hashed: {id}");
                }
            }
        }
        assert_eq!(
            fire_ids("tick", UnixTime::new(1_700_000_040, 0)).1,
            "tick@2023-11-14T22:14:00Z"
        );
        assert_eq!(fire_ids("tick", first).1, "tick@0000-01-01T00:00:00Z");
        assert_eq!(fire_ids("tick", last).1, "tick@9999-12-31T23:59:00Z");
        assert_ne!(
            fire_ids("tick", last).1,
            fire_ids("tick", UnixTime::new(253_402_300_680, 0)).1
        );
    }

    #[test]
    fn addresses_follow_their_broker() {
        for bad in [
            "nats://h#",
            "nats://h#a..b",
            "nats://h#a.*",
            "nats://h#a.>",
            "nats://h#$SYS.x",
            "nats://h#a b",
            "mqtt://h#a/+/b",
            "mqtt://h#$SYS/x",
        ] {
            assert!(
                matches!(FireTarget::parse(bad), Err(FireTargetError::Address { .. })),
                "{bad}"
            );
        }
        let long = format!("redis://h#{}", "a".repeat(256));
        assert!(FireTarget::parse(&long).is_err());
        assert!(matches!(
            FireTarget::parse("nats://h"),
            Err(FireTargetError::NoAddress(_))
        ));
        assert!(matches!(
            FireTarget::parse("ftp://h#x"),
            Err(FireTargetError::Url(_))
        ));
        assert!(FireTarget::parse("amqp://h#orders.process").is_ok());
        assert!(FireTarget::parse("mqtt://h#orders/process").is_ok());
    }

    #[test]
    fn a_document_names_an_address_or_a_url_without_credentials() {
        let default = FireTarget::parse("nats://u:pw@127.0.0.1:4222#default.subject").ok();
        let t = FireTarget::of_member("\"#orders.process\"", default.as_ref());
        assert_eq!(
            t.map(|t| t.to_string()),
            Ok("nats://***@127.0.0.1:4222#orders.process".to_owned())
        );
        assert_eq!(
            FireTarget::of_member("\"#x\"", None),
            Err(FireTargetError::NoDefault)
        );
        let e = FireTarget::of_member("\"redis://:pw@h#x\"", None);
        assert!(matches!(&e, Err(FireTargetError::Credentials(u)) if !u.contains("pw")));
        assert_eq!(
            FireTarget::of_member("5", None),
            Err(FireTargetError::NotAString)
        );
    }
}
