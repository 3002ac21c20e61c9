//! The ping key: a shared secret that a deployment may require of every request
//! (`spec/http.md` §5.6), compared in constant time and never shown.

use std::fmt;
use std::str::FromStr;

/// The fewest bytes a ping key has: shorter ones are guessable.
pub const MIN_PING_KEY_LEN: usize = 16;

/// The most bytes a ping key has.
pub const MAX_PING_KEY_LEN: usize = 128;

/// The header a request may carry its key in, instead of its path.
pub const PING_KEY_HEADER: &str = "x-heartwire-key";

/// A ping key: [`MIN_PING_KEY_LEN`] to [`MAX_PING_KEY_LEN`] bytes of
/// `A-Z a-z 0-9 - . _ ~`, so that it sits in a URL path unescaped (healthchecks.io's
/// ping keys are 22 of them).
///
/// It cannot be read back: its `Debug` shows `PingKey(..)`, it has no `Display`, and
/// comparing it with what a request presents takes the same time whatever the request
/// says.
///
/// ```
/// use heartwire_http::{PingKey, PingKeyError};
///
/// let key: PingKey = "r4nd0m-Str1ng_of-22ch".parse()?;
/// assert_eq!(format!("{key:?}"), "PingKey(..)");
/// assert_eq!(PingKey::new("short"), Err(PingKeyError::TooShort { len: 5 }));
/// # Ok::<(), PingKeyError>(())
/// ```
#[derive(Clone)]
pub struct PingKey(Box<str>);

impl PingKey {
    /// The key `text`, if it is one. A key read from a file must be trimmed of its line
    /// end first.
    pub fn new(text: &str) -> Result<PingKey, PingKeyError> {
        if text.len() < MIN_PING_KEY_LEN {
            return Err(PingKeyError::TooShort { len: text.len() });
        }
        if text.len() > MAX_PING_KEY_LEN {
            return Err(PingKeyError::TooLong { len: text.len() });
        }
        if let Some(offset) = text.bytes().position(|b| !is_unreserved(b)) {
            return Err(PingKeyError::InvalidByte { offset });
        }
        Ok(PingKey(text.into()))
    }

    /// Whether `presented` is this key, in a time that depends on the key's length
    /// only.
    pub(crate) fn matches(&self, presented: &[u8]) -> bool {
        let key = self.0.as_bytes();
        let mut diff = u8::from(key.len() != presented.len());
        for (i, k) in key.iter().enumerate() {
            let p = presented.get(i).copied().unwrap_or(!k);
            diff |= std::hint::black_box(k ^ p);
        }
        std::hint::black_box(diff) == 0
    }
}

/// Unreserved characters of RFC 3986: safe in a path segment and a header.
fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

impl fmt::Debug for PingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PingKey(..)")
    }
}

impl PartialEq for PingKey {
    fn eq(&self, other: &PingKey) -> bool {
        self.matches(other.0.as_bytes())
    }
}

impl Eq for PingKey {}

impl FromStr for PingKey {
    type Err = PingKeyError;

    fn from_str(text: &str) -> Result<PingKey, PingKeyError> {
        PingKey::new(text)
    }
}

/// Why a text is no [`PingKey`]. It never holds the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PingKeyError {
    /// Shorter than [`MIN_PING_KEY_LEN`] bytes.
    TooShort {
        /// Its length in bytes.
        len: usize,
    },
    /// Longer than [`MAX_PING_KEY_LEN`] bytes.
    TooLong {
        /// Its length in bytes.
        len: usize,
    },
    /// A byte other than `A-Z a-z 0-9 - . _ ~`.
    InvalidByte {
        /// Where, in bytes from the start.
        offset: usize,
    },
}

impl fmt::Display for PingKeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PingKeyError::TooShort { len } => write!(
                f,
                "ping key of {len} bytes, expected at least {MIN_PING_KEY_LEN}"
            ),
            PingKeyError::TooLong { len } => write!(
                f,
                "ping key of {len} bytes, expected at most {MAX_PING_KEY_LEN}"
            ),
            PingKeyError::InvalidByte { offset } => write!(
                f,
                "invalid byte at offset {offset} of the ping key, expected A-Z a-z 0-9 - . _ ~"
            ),
        }
    }
}

impl std::error::Error for PingKeyError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_key_matches() {
        let key = PingKey::new("0123456789abcdef").expect("a key");
        assert!(key.matches(b"0123456789abcdef"));
        for other in [
            &b""[..],
            b"0123456789abcde",
            b"0123456789abcdeF",
            b"0123456789abcdefg",
            b"\x00123456789abcdef",
        ] {
            assert!(!key.matches(other), "{other:?}");
        }
    }

    #[test]
    fn keys_are_checked() {
        assert_eq!(
            PingKey::new("0123456789abcde/"),
            Err(PingKeyError::InvalidByte { offset: 15 })
        );
        assert_eq!(
            PingKey::new(&"k".repeat(129)),
            Err(PingKeyError::TooLong { len: 129 })
        );
        assert!(PingKey::new(&"k".repeat(128)).is_ok());
    }
}
