//! [`ServiceName`]s, the two channel [`Convention`]s of the seed, and [`Channel`]s built
//! from them (`spec/record.md` §3 and §9).

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use crate::text::grammar::is_token_byte;

/// The longest service name, in bytes (`spec/record.md` §3.3).
///
/// With the longer convention's 25 bytes around it, a channel stays within the 255 bytes
/// of an AMQP routing key, the tightest limit of the brokers heartwire speaks, with room
/// for a deployment prefix; real names are a few dozen bytes.
pub const MAX_NAME_LEN: usize = 128;

/// What is wrong with a service name. Offsets count bytes from the start of the name, or
/// of the channel for errors inside [`ChannelError::Name`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum NameError {
    /// The name is empty.
    Empty {
        /// Where the name should start.
        offset: usize,
    },
    /// The name is longer than [`MAX_NAME_LEN`].
    TooLong {
        /// The first byte past the limit.
        offset: usize,
        /// The name's length in bytes.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A character outside the portable token set: ASCII letters, digits, `_` and `-`.
    ForbiddenChar {
        /// Where the character starts.
        offset: usize,
        /// The character.
        found: char,
    },
}

impl NameError {
    /// The stable error class used by the conformance vectors: `name.empty`,
    /// `name.too-long` or `name.forbidden-char`.
    pub const fn class(&self) -> &'static str {
        match self {
            NameError::Empty { .. } => "name.empty",
            NameError::TooLong { .. } => "name.too-long",
            NameError::ForbiddenChar { .. } => "name.forbidden-char",
        }
    }

    /// The byte offset the error points at.
    pub const fn offset(&self) -> usize {
        match *self {
            NameError::Empty { offset }
            | NameError::TooLong { offset, .. }
            | NameError::ForbiddenChar { offset, .. } => offset,
        }
    }

    /// The same error, counted from `by` bytes earlier.
    const fn shifted(self, by: usize) -> NameError {
        match self {
            NameError::Empty { offset } => NameError::Empty {
                offset: offset + by,
            },
            NameError::TooLong { offset, len, max } => NameError::TooLong {
                offset: offset + by,
                len,
                max,
            },
            NameError::ForbiddenChar { offset, found } => NameError::ForbiddenChar {
                offset: offset + by,
                found,
            },
        }
    }

    /// What a JSON reader says it expected, for `json.value` errors of `service_name`
    /// (the JSON error carries a fixed text, so the character is named by its kind).
    pub(crate) const fn expected(&self) -> &'static str {
        match self {
            NameError::Empty { .. } => "a service name, not an empty string",
            NameError::TooLong { .. } => "a service name of at most 128 bytes",
            NameError::ForbiddenChar { found, .. } => match why_forbidden(*found) {
                Forbidden::Glob => {
                    "a letter, digit, '_' or '-' in the service name, not a Redis glob character"
                }
                Forbidden::ChannelSeparator => {
                    "a letter, digit, '_' or '-' in the service name, not the channel separator ':'"
                }
                Forbidden::TokenSeparator => {
                    "a letter, digit, '_' or '-' in the service name, not the token separator '.'"
                }
                Forbidden::WhiteSpace => {
                    "a letter, digit, '_' or '-' in the service name, not white space"
                }
                Forbidden::Control => {
                    "a letter, digit, '_' or '-' in the service name, not a control character"
                }
                Forbidden::NonAscii => {
                    "a letter, digit, '_' or '-' in the service name, not a non-ASCII character"
                }
                Forbidden::Other => "a letter, digit, '_' or '-' in the service name",
            },
        }
    }
}

impl fmt::Display for NameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            NameError::Empty { offset } => write!(f, "empty service name at byte {offset}"),
            NameError::TooLong { len, max, .. } => {
                write!(f, "service name of {len} bytes is over the limit of {max}")
            }
            NameError::ForbiddenChar { offset, found } => write!(
                f,
                "expected a letter, digit, '_' or '-' at byte {offset}, found {found:?} ({})",
                why_forbidden(found).as_str()
            ),
        }
    }
}

impl std::error::Error for NameError {}

/// Why a character is not allowed in a service name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Forbidden {
    Glob,
    ChannelSeparator,
    TokenSeparator,
    WhiteSpace,
    Control,
    NonAscii,
    Other,
}

impl Forbidden {
    const fn as_str(self) -> &'static str {
        match self {
            Forbidden::Glob => "a Redis glob character",
            Forbidden::ChannelSeparator => "the channel separator",
            Forbidden::TokenSeparator => "the NATS and AMQP token separator",
            Forbidden::WhiteSpace => "white space",
            Forbidden::Control => "a control character",
            Forbidden::NonAscii => "not ASCII",
            Forbidden::Other => "not in the portable token set",
        }
    }
}

const fn why_forbidden(c: char) -> Forbidden {
    match c {
        '*' | '?' | '[' | ']' | '^' | '\\' => Forbidden::Glob,
        ':' => Forbidden::ChannelSeparator,
        '.' => Forbidden::TokenSeparator,
        ' ' | '\t' | '\n' | '\r' | '\x0b' | '\x0c' => Forbidden::WhiteSpace,
        c if c.is_ascii_control() => Forbidden::Control,
        c if !c.is_ascii() => Forbidden::NonAscii,
        _ => Forbidden::Other,
    }
}

/// [`is_token_byte`] of every byte, looked up in one load: names are checked on every
/// record decoded.
const TOKEN_BYTES: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = is_token_byte(b as u8);
        b += 1;
    }
    table
};

/// The one place the service name rule is applied (`spec/record.md` §3): length first, then each
/// character. Offsets count from the start of `name`.
fn check(name: &str) -> Result<(), NameError> {
    if name.is_empty() {
        return Err(NameError::Empty { offset: 0 });
    }
    if name.len() > MAX_NAME_LEN {
        return Err(NameError::TooLong {
            offset: MAX_NAME_LEN,
            len: name.len(),
            max: MAX_NAME_LEN,
        });
    }
    match name.bytes().position(|b| !TOKEN_BYTES[usize::from(b)]) {
        None => Ok(()),
        Some(offset) => Err(NameError::ForbiddenChar {
            offset,
            found: name
                .get(offset..)
                .and_then(|rest| rest.chars().next())
                .unwrap_or(char::REPLACEMENT_CHARACTER),
        }),
    }
}

/// The name of a service, safe as one token of a channel, a subject, a topic or a routing
/// key on every broker heartwire speaks (`spec/record.md` §3).
///
/// One to [`MAX_NAME_LEN`] bytes of ASCII letters, digits, `_` and `-`: `tracker_fetcher`,
/// `geocoding-service-2`. Letters are case-sensitive and kept as written. A name decoded
/// from a record or a channel borrows from it; [`ServiceName::into_owned`] detaches it.
///
/// ```
/// use heartwire::record::{Convention, NameError, ServiceName};
///
/// let name = ServiceName::new("tracker_fetcher")?;
/// assert_eq!(name.channel(Convention::Heartbeat), "heartbeat:service:tracker_fetcher");
/// assert_eq!(
///     name.channel(Convention::Health),
///     "health:service:tracker_fetcher:heartbeat"
/// );
/// // A glob character would make a monitor's PSUBSCRIBE pattern match other services.
/// assert_eq!(
///     ServiceName::new("orders*"),
///     Err(NameError::ForbiddenChar { offset: 6, found: '*' })
/// );
/// # Ok::<(), NameError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ServiceName<'a>(Cow<'a, str>);

impl<'a> ServiceName<'a> {
    /// Validates a name; errors count offsets from the start of `name`.
    pub fn new(name: &'a str) -> Result<ServiceName<'a>, NameError> {
        check(name)?;
        Ok(ServiceName(Cow::Borrowed(name)))
    }

    /// Validates a name that may own its text (a JSON string with escapes).
    pub fn from_cow(name: Cow<'a, str>) -> Result<ServiceName<'a>, NameError> {
        check(&name)?;
        Ok(ServiceName(name))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The same name, owning its text.
    pub fn into_owned(self) -> ServiceName<'static> {
        ServiceName(Cow::Owned(self.0.into_owned()))
    }

    /// A copy borrowing from `self`, to pass on without cloning the text.
    pub fn borrowed(&self) -> ServiceName<'_> {
        ServiceName(Cow::Borrowed(&self.0))
    }

    /// The channel this service publishes its records on, in a convention.
    pub fn channel(&self, convention: Convention) -> String {
        Channel::new(self.borrowed(), convention).to_string()
    }
}

impl fmt::Display for ServiceName<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for ServiceName<'static> {
    type Err = NameError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ServiceName::new(s).map(ServiceName::into_owned)
    }
}

impl AsRef<str> for ServiceName<'_> {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl<'a> TryFrom<&'a str> for ServiceName<'a> {
    type Error = NameError;

    fn try_from(name: &'a str) -> Result<Self, Self::Error> {
        ServiceName::new(name)
    }
}

const HEARTBEAT_PREFIX: &str = "heartbeat:service:";
const HEALTH_PREFIX: &str = "health:service:";
const HEALTH_SUFFIX: &str = ":heartbeat";

/// The two channel naming conventions of the seed document, which contradicts itself
/// (`spec/record.md` §9).
///
/// A publisher uses [`Convention::Heartbeat`] (the [`Default`]): it is the one the seed's
/// admin panel subscribes to. A monitor subscribes to both patterns.
///
/// ```
/// use heartwire::record::Convention;
///
/// let patterns: Vec<_> = Convention::ALL.iter().map(|c| c.pattern()).collect();
/// assert_eq!(patterns, ["heartbeat:service:*", "health:service:*:heartbeat"]);
/// assert_eq!("health".parse(), Ok(Convention::Health));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum Convention {
    /// `heartbeat:service:{name}`: the seed's message flow and its admin panel's
    /// `PSUBSCRIBE heartbeat:service:*`.
    #[default]
    Heartbeat,
    /// `health:service:{name}:heartbeat`: the seed's "Channel Naming Convention" section.
    Health,
}

impl Convention {
    /// Both conventions.
    pub const ALL: [Convention; 2] = [Convention::Heartbeat, Convention::Health];

    /// The convention's name in vectors and on the command line: `heartbeat` or
    /// `health`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Convention::Heartbeat => "heartbeat",
            Convention::Health => "health",
        }
    }

    /// The Redis glob pattern that subscribes to every service of this convention
    /// (`PSUBSCRIBE`): `heartbeat:service:*` or `health:service:*:heartbeat`.
    ///
    /// `*` also matches `:`, so the pattern can deliver channels that are not valid
    /// channels of the convention; a subscriber parses each with [`Channel::parse`].
    pub const fn pattern(self) -> &'static str {
        match self {
            Convention::Heartbeat => "heartbeat:service:*",
            Convention::Health => "health:service:*:heartbeat",
        }
    }

    const fn parts(self) -> (&'static str, &'static str) {
        match self {
            Convention::Heartbeat => (HEARTBEAT_PREFIX, ""),
            Convention::Health => (HEALTH_PREFIX, HEALTH_SUFFIX),
        }
    }
}

impl fmt::Display for Convention {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A convention name that is neither `heartbeat` nor `health`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct UnknownConvention;

impl fmt::Display for UnknownConvention {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("expected the convention \"heartbeat\" or \"health\"")
    }
}

impl std::error::Error for UnknownConvention {}

impl FromStr for Convention {
    type Err = UnknownConvention;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "heartbeat" => Ok(Convention::Heartbeat),
            "health" => Ok(Convention::Health),
            _ => Err(UnknownConvention),
        }
    }
}

/// What is wrong with a channel name; offsets count bytes from the start of the channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ChannelError {
    /// The channel starts with neither `heartbeat:service:` nor `health:service:`.
    Prefix {
        /// The first byte that differs from the closer of the two prefixes.
        offset: usize,
        /// The character there, or `None` at the end of the channel.
        found: Option<char>,
    },
    /// A `health:service:` channel whose name is not followed by exactly `:heartbeat`.
    Suffix {
        /// The first byte that differs from `:heartbeat`.
        offset: usize,
        /// The character there, or `None` at the end of the channel.
        found: Option<char>,
    },
    /// The service name breaks the name rule; its offset counts from the start of the
    /// channel.
    Name(NameError),
}

impl ChannelError {
    /// The stable error class used by the conformance vectors: `channel.prefix`,
    /// `channel.suffix`, or the name's class.
    pub const fn class(&self) -> &'static str {
        match self {
            ChannelError::Prefix { .. } => "channel.prefix",
            ChannelError::Suffix { .. } => "channel.suffix",
            ChannelError::Name(e) => e.class(),
        }
    }

    /// The byte offset the error points at.
    pub const fn offset(&self) -> usize {
        match *self {
            ChannelError::Prefix { offset, .. } | ChannelError::Suffix { offset, .. } => offset,
            ChannelError::Name(e) => e.offset(),
        }
    }
}

impl fmt::Display for ChannelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let found = |f: &mut fmt::Formatter<'_>, c: Option<char>| match c {
            Some(c) => write!(f, ", found {c:?}"),
            None => f.write_str(", found the end"),
        };
        match *self {
            ChannelError::Prefix { offset, found: c } => {
                write!(
                    f,
                    "expected \"{HEARTBEAT_PREFIX}\" or \"{HEALTH_PREFIX}\" at byte {offset}"
                )?;
                found(f, c)
            }
            ChannelError::Suffix { offset, found: c } => {
                write!(
                    f,
                    "expected \"{HEALTH_SUFFIX}\" to end the channel at byte {offset}"
                )?;
                found(f, c)
            }
            ChannelError::Name(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for ChannelError {}

impl From<NameError> for ChannelError {
    fn from(e: NameError) -> ChannelError {
        ChannelError::Name(e)
    }
}

/// The length of the common prefix of two strings, in bytes.
fn common_prefix(a: &str, b: &str) -> usize {
    a.bytes().zip(b.bytes()).take_while(|(x, y)| x == y).count()
}

/// The character at a byte offset, if any.
fn char_at(s: &str, offset: usize) -> Option<char> {
    s.get(offset..).and_then(|rest| rest.chars().next())
}

/// A channel a record travels on: a service name in a [`Convention`]
/// (`spec/record.md` §9).
///
/// ```
/// use heartwire::record::{Channel, ChannelError, Convention};
///
/// let channel = Channel::parse("health:service:geofence_service:heartbeat")?;
/// assert_eq!(channel.service().as_str(), "geofence_service");
/// assert_eq!(channel.convention(), Convention::Health);
/// assert_eq!(channel.to_string(), "health:service:geofence_service:heartbeat");
///
/// // Or take it apart.
/// let (service, convention) = Channel::parse("heartbeat:service:tracker_fetcher")?.into();
/// assert_eq!((service.as_str(), convention), ("tracker_fetcher", Convention::Heartbeat));
///
/// assert_eq!(
///     Channel::parse("heartbeat.service.tracker_fetcher"),
///     Err(ChannelError::Prefix { offset: 9, found: Some('.') })
/// );
/// # Ok::<(), ChannelError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Channel<'a> {
    service: ServiceName<'a>,
    convention: Convention,
}

impl<'a> Channel<'a> {
    /// The channel of a service in a convention.
    pub const fn new(service: ServiceName<'a>, convention: Convention) -> Channel<'a> {
        Channel {
            service,
            convention,
        }
    }

    /// Reads a channel name back into its service and convention; the name borrows from
    /// `channel`. Reading order: the prefix, then the name (up to the first `:` in the
    /// `health` convention), then the suffix.
    pub fn parse(channel: &'a str) -> Result<Channel<'a>, ChannelError> {
        if let Some(name) = channel.strip_prefix(HEARTBEAT_PREFIX) {
            let service = ServiceName::new(name).map_err(|e| e.shifted(HEARTBEAT_PREFIX.len()))?;
            return Ok(Channel::new(service, Convention::Heartbeat));
        }
        if let Some(rest) = channel.strip_prefix(HEALTH_PREFIX) {
            let end = rest.find(':').unwrap_or(rest.len());
            let (name, tail) = rest.split_at(end);
            let service = ServiceName::new(name).map_err(|e| e.shifted(HEALTH_PREFIX.len()))?;
            if tail != HEALTH_SUFFIX {
                let offset = HEALTH_PREFIX.len() + end + common_prefix(tail, HEALTH_SUFFIX);
                return Err(ChannelError::Suffix {
                    offset,
                    found: char_at(channel, offset),
                });
            }
            return Ok(Channel::new(service, Convention::Health));
        }
        let offset =
            common_prefix(channel, HEARTBEAT_PREFIX).max(common_prefix(channel, HEALTH_PREFIX));
        Err(ChannelError::Prefix {
            offset,
            found: char_at(channel, offset),
        })
    }

    /// The service.
    pub const fn service(&self) -> &ServiceName<'a> {
        &self.service
    }

    /// The convention.
    pub const fn convention(&self) -> Convention {
        self.convention
    }

    /// The service and the convention.
    pub fn into_parts(self) -> (ServiceName<'a>, Convention) {
        (self.service, self.convention)
    }

    /// The same channel, owning its name.
    pub fn into_owned(self) -> Channel<'static> {
        Channel {
            service: self.service.into_owned(),
            convention: self.convention,
        }
    }
}

impl<'a> From<Channel<'a>> for (ServiceName<'a>, Convention) {
    fn from(channel: Channel<'a>) -> Self {
        channel.into_parts()
    }
}

impl fmt::Display for Channel<'_> {
    /// The channel name: `heartbeat:service:{name}` or `health:service:{name}:heartbeat`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (prefix, suffix) = self.convention.parts();
        f.write_str(prefix)?;
        f.write_str(self.service.as_str())?;
        f.write_str(suffix)
    }
}

impl FromStr for Channel<'static> {
    type Err = ChannelError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Channel::parse(s).map(Channel::into_owned)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn forbidden(offset: usize, found: char) -> NameError {
        NameError::ForbiddenChar { offset, found }
    }

    #[test]
    fn names() {
        for ok in ["tracker_fetcher", "a", "A-9_z", &"x".repeat(MAX_NAME_LEN)] {
            assert_eq!(
                ServiceName::new(ok).map(|n| n.to_string()),
                Ok(ok.to_owned())
            );
        }
        assert_eq!(ServiceName::new(""), Err(NameError::Empty { offset: 0 }));
        let long = "x".repeat(MAX_NAME_LEN + 1);
        assert_eq!(
            ServiceName::new(&long),
            Err(NameError::TooLong {
                offset: 128,
                len: 129,
                max: 128
            })
        );
        // Length comes first, even with a bad character early.
        let long = format!("*{}", "x".repeat(MAX_NAME_LEN));
        assert_eq!(
            ServiceName::new(&long).map_err(|e| e.class()),
            Err("name.too-long")
        );
        for (name, at, c) in [
            ("a*", 1, '*'),
            ("a?", 1, '?'),
            ("[a]", 0, '['),
            ("a^", 1, '^'),
            ("a\\b", 1, '\\'),
            ("a:b", 1, ':'),
            ("a.b", 1, '.'),
            ("a b", 1, ' '),
            ("a\tb", 1, '\t'),
            ("a\0", 1, '\0'),
            ("café", 3, 'é'),
            ("a/b", 1, '/'),
            ("$SYS", 0, '$'),
        ] {
            assert_eq!(ServiceName::new(name), Err(forbidden(at, c)), "{name:?}");
        }
    }

    #[test]
    fn messages_name_the_character_and_why() {
        let e = ServiceName::new("orders*").expect_err("glob");
        assert_eq!(
            e.to_string(),
            "expected a letter, digit, '_' or '-' at byte 6, found '*' (a Redis glob character)"
        );
        assert!(e.expected().contains("Redis glob"));
        let long = "x".repeat(MAX_NAME_LEN + 1);
        let e = ServiceName::new(&long).expect_err("long");
        assert!(e.expected().contains(&MAX_NAME_LEN.to_string()));
        let e = ServiceName::new("caf\u{e9}").expect_err("non-ascii");
        assert!(e.to_string().ends_with("found 'é' (not ASCII)"), "{e}");
    }

    #[test]
    fn channels_round_trip() {
        for convention in Convention::ALL {
            let name = ServiceName::new("geocoding_service").expect("valid");
            let text = name.channel(convention);
            let channel = Channel::parse(&text).expect("parses");
            assert_eq!(channel.service(), &name);
            assert_eq!(channel.convention(), convention);
            assert_eq!(channel.convention().as_str().parse(), Ok(convention));
        }
    }

    #[test]
    fn channel_errors() {
        let err = |c: &str| Channel::parse(c).expect_err(c);
        assert_eq!(
            err(""),
            ChannelError::Prefix {
                offset: 0,
                found: None
            }
        );
        assert_eq!(
            err("heartbeat:service"),
            ChannelError::Prefix {
                offset: 17,
                found: None
            }
        );
        assert_eq!(
            err("health:svc:x"),
            ChannelError::Prefix {
                offset: 8,
                found: Some('v')
            }
        );
        assert_eq!(
            err("heartbeat:service:"),
            ChannelError::Name(NameError::Empty { offset: 18 })
        );
        assert_eq!(
            err("heartbeat:service:a:heartbeat"),
            ChannelError::Name(forbidden(19, ':'))
        );
        assert_eq!(
            err("health:service:a*:heartbeat"),
            ChannelError::Name(forbidden(16, '*'))
        );
        assert_eq!(
            err("health:service::heartbeat"),
            ChannelError::Name(NameError::Empty { offset: 15 })
        );
        assert_eq!(
            err("health:service:a"),
            ChannelError::Suffix {
                offset: 16,
                found: None
            }
        );
        assert_eq!(
            err("health:service:a:status"),
            ChannelError::Suffix {
                offset: 17,
                found: Some('s')
            }
        );
        assert_eq!(
            err("health:service:a:heartbeat:x"),
            ChannelError::Suffix {
                offset: 26,
                found: Some(':')
            }
        );
        let e = err("health:service:a:heartbeats");
        assert_eq!((e.class(), e.offset()), ("channel.suffix", 26));
    }
}
