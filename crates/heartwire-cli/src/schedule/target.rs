//! Where a schedule's payload goes when it fires (`spec/schedule.md` §13.2): a broker
//! URL and an address on it, written `URL#ADDRESS`, given by `--to` for every schedule
//! or by a schedule's own `target` member.
//!
//! One enum, one arm per kind of destination, so that the SQS queue of the Reventless
//! framework joins as an arm of its own beside the brokers.

use std::fmt;

use heartwire_broker::{Broker, redact_url};

use super::limits::MAX_ADDRESS_LEN;
use crate::send;

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
}

/// Why a target cannot be used. Its text never holds credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FireTargetError {
    /// Not `URL#ADDRESS`.
    NoAddress(String),
    /// The URL part is not a broker URL (send.rs's reason).
    Url(String),
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
    /// Reads `URL#ADDRESS` (split at the last `#`: a password may hold one, an address
    /// may not).
    pub(crate) fn parse(text: &str) -> Result<FireTarget, FireTargetError> {
        let Some((url, address)) = text.rsplit_once('#') else {
            return Err(FireTargetError::NoAddress(redact_url(text)));
        };
        let broker = send::broker_of(url).map_err(|e| FireTargetError::Url(e.to_string()))?;
        if broker == Broker::Sqs {
            // Refused here rather than at each fire, where it would be retried for a day.
            return Err(FireTargetError::Url(format!(
                "{}: schedule run fires to NATS, Redis, MQTT and AMQP addresses; an SQS queue is not one of its targets",
                redact_url(url)
            )));
        }
        check_address(broker, address)?;
        Ok(FireTarget::Broker {
            broker,
            url: url.to_owned(),
            address: address.to_owned(),
        })
    }

    /// The target of a schedule document's `target` member (its JSON text): a full
    /// `URL#ADDRESS` without credentials, or `#ADDRESS` on the broker of `default`.
    pub(crate) fn of_member(
        json: &str,
        default: Option<&FireTarget>,
    ) -> Result<FireTarget, FireTargetError> {
        let text: String = serde_json::from_str(json).map_err(|_| FireTargetError::NotAString)?;
        if let Some(address) = text.strip_prefix('#') {
            let Some(FireTarget::Broker { broker, url, .. }) = default else {
                return Err(FireTargetError::NoDefault);
            };
            check_address(*broker, address)?;
            return Ok(FireTarget::Broker {
                broker: *broker,
                url: url.clone(),
                address: address.to_owned(),
            });
        }
        let target = FireTarget::parse(&text)?;
        let FireTarget::Broker { url, .. } = &target;
        if redact_url(url) != *url {
            return Err(FireTargetError::Credentials(redact_url(url)));
        }
        Ok(target)
    }

    /// The broker URL, credentials included, to connect with.
    pub(crate) fn url(&self) -> &str {
        match self {
            FireTarget::Broker { url, .. } => url,
        }
    }
}

/// `URL#ADDRESS` with the URL's credentials hidden.
impl fmt::Display for FireTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FireTarget::Broker { url, address, .. } => write!(f, "{}#{address}", redact_url(url)),
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
/// printable ASCII without spaces or `#` on every broker, and each broker's own.
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
    if !address.bytes().all(|b| b.is_ascii_graphic() && b != b'#') {
        return refuse("printable ASCII without spaces or '#'");
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
        assert_eq!(t.url(), "redis://:ab#cd@127.0.0.1:6379");
        assert!(!format!("{t:?}").contains("cd@"));
    }

    #[test]
    fn an_sqs_queue_is_refused_when_read_not_at_each_fire() {
        let refused = FireTarget::parse("sqs+http://127.0.0.1:1/000000000000/q.fifo#x");
        assert!(
            matches!(&refused, Err(FireTargetError::Url(why)) if why.contains("SQS")),
            "{refused:?}"
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
