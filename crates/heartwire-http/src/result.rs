//! The last result of a ping, in the Intervalometerator's one-line format
//! (`spec/http.md` §2).

use std::fmt;

use heartwire::time::UnixTime;

/// How one ping ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// A 2xx response, with its status code.
    Success(u16),
    /// No response within the timeout.
    Timeout,
    /// No connection (refused, reset, name not resolved, TLS failure).
    Connection,
    /// A response outside 2xx and 3xx, with its status code.
    Http(u16),
    /// A redirect that could not be followed (too many, or to nowhere).
    Redirect,
    /// Anything else.
    Unknown,
}

impl Outcome {
    /// Whether the ping succeeded (any 2xx).
    pub const fn is_success(&self) -> bool {
        matches!(self, Outcome::Success(_))
    }

    /// The outcome of a final response status (after redirects were followed).
    pub const fn of_status(status: u16) -> Outcome {
        match status {
            200..=299 => Outcome::Success(status),
            300..=399 => Outcome::Redirect,
            _ => Outcome::Http(status),
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Success(code) => write!(f, "{code}"),
            Outcome::Timeout => f.write_str("Timeout error"),
            Outcome::Connection => f.write_str("Conn. error"),
            Outcome::Http(code) => write!(f, "HTTP error {code}"),
            Outcome::Redirect => f.write_str("Redir error"),
            Outcome::Unknown => f.write_str("Unknown error"),
        }
    }
}

/// Why an attempt failed, finer than its [`Outcome`] (whose words are the
/// Intervalometerator's): what a person fixing the ping needs to read. Its `Display`
/// never holds the URL, so it may be shown beside a redacted one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Cause {
    /// The host name was not resolved (DNS).
    Dns,
    /// The host answered that nothing listens on the port.
    Refused,
    /// No response within the timeout.
    Timeout,
    /// A connection that failed otherwise (reset, unreachable, TLS).
    Connection,
    /// A final status outside 2xx and 3xx.
    Http(u16),
    /// A redirect that could not be followed.
    Redirect,
    /// Anything else (an invalid URL, a malformed response).
    Unknown,
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cause::Dns => f.write_str("DNS: the host name was not resolved"),
            Cause::Refused => f.write_str("connection refused"),
            Cause::Timeout => f.write_str("timeout: no response in time"),
            Cause::Connection => f.write_str("connection failed (reset, unreachable or TLS)"),
            Cause::Http(code) => write!(f, "HTTP status {code}"),
            Cause::Redirect => f.write_str("redirect not followed"),
            Cause::Unknown => f.write_str("unknown error (invalid URL or malformed response)"),
        }
    }
}

/// A ping's last result: when, and how it ended. Its `Display` is the one-line form
/// `YYYY/MM/DD HH:MM:SS (200)`, in UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ResultLine {
    /// When the last attempt ended.
    pub at: UnixTime,
    /// How it ended.
    pub outcome: Outcome,
}

impl fmt::Display for ResultLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = self.at.civil();
        write!(
            f,
            "{:04}/{:02}/{:02} {:02}:{:02}:{:02} ({})",
            c.year, c.month, c.day, c.hour, c.minute, c.second, self.outcome
        )
    }
}
