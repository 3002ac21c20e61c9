//! A broker URL that holds credentials and never shows them, and the user information
//! read the one way `spec/transports.md` §1.6 reads it.

use std::fmt;

use crate::redact::{percent_decode, redact_url, scrub};

/// A broker URL as the user gave it, credentials and all. Its `Debug` and `Display` show
/// it redacted ([`redact_url`]), so a configuration that holds one can derive `Debug`;
/// only [`BrokerUrl::secret`] gives the text, for the client library.
///
/// ```
/// use heartwire_broker::BrokerUrl;
/// let url = BrokerUrl::new("amqp://guest:s3cret@127.0.0.1:5672/%2f");
/// assert_eq!(format!("{url:?}"), "\"amqp://***@127.0.0.1:5672/%2f\"");
/// assert_eq!(url.scrub("bad password s3cret"), "bad password ***");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct BrokerUrl(String);

impl BrokerUrl {
    /// The URL, kept as given.
    pub fn new(url: impl Into<String>) -> BrokerUrl {
        BrokerUrl(url.into())
    }

    /// The URL with its credentials: for the client library only, never for a message.
    pub fn secret(&self) -> &str {
        &self.0
    }

    /// The URL without credentials.
    pub fn redacted(&self) -> String {
        redact_url(&self.0)
    }

    /// `text` (a client library's message) without this URL's secrets ([`scrub`]).
    pub fn scrub(&self, text: &str) -> String {
        scrub(text, &self.0)
    }
}

impl fmt::Debug for BrokerUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.redacted(), f)
    }
}

impl fmt::Display for BrokerUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

/// The user information of a URL, percent-decoded, as a client sends it.
#[derive(Clone, PartialEq, Eq)]
pub struct UserInfo {
    /// Before the first `:` (all of it when there is none: a NATS token).
    pub user: String,
    /// After the first `:`, if there is one.
    pub password: Option<String>,
}

/// Never shows the secrets.
impl fmt::Debug for UserInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("UserInfo(***)")
    }
}

/// What follows a URL's `scheme://`, cut at its **last** `@` as [`redact_url`] reads it
/// (a password typed raw may hold `/ ? # @ :`): the user information, and the rest
/// (host, port, path).
///
/// ```
/// use heartwire_broker::split_user_info;
/// let (info, rest) = split_user_info("u:pa/ss@x%40y@127.0.0.1:1883");
/// let info = info.unwrap();
/// assert_eq!((info.user.as_str(), info.password.as_deref()), ("u", Some("pa/ss@x@y")));
/// assert_eq!(rest, "127.0.0.1:1883");
/// ```
pub fn split_user_info(after_scheme: &str) -> (Option<UserInfo>, &str) {
    let Some(at) = after_scheme.rfind('@') else {
        return (None, after_scheme);
    };
    let info = &after_scheme[..at];
    let (user, password) = match info.split_once(':') {
        Some((user, password)) => (user, Some(percent_decode(password).into_owned())),
        None => (info, None),
    };
    let info = UserInfo {
        user: percent_decode(user).into_owned(),
        password,
    };
    (Some(info), &after_scheme[at + 1..])
}
