//! [`Signal`]: what a payload says.

use crate::json::Buffer;
use std::fmt;
use std::str::FromStr;

use super::grammar::{self, reported};
use super::name::check_len;
use super::seconds::MAX_CANONICAL_LEN;
use super::{MAX_PAYLOAD_LEN, Part, Seconds, TextError};

/// The four signals of the convention, without their values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SignalKind {
    /// `start/<warmup>`.
    Start,
    /// `beat/<period>`.
    Beat,
    /// `degraded/<period>`.
    Degraded,
    /// `stop`.
    Stop,
}

impl SignalKind {
    /// Every kind, in the order of the spec.
    pub const ALL: [SignalKind; 4] = [
        SignalKind::Start,
        SignalKind::Beat,
        SignalKind::Degraded,
        SignalKind::Stop,
    ];

    /// The signal word as written in a payload.
    pub const fn as_str(self) -> &'static str {
        match self {
            SignalKind::Start => "start",
            SignalKind::Beat => "beat",
            SignalKind::Degraded => "degraded",
            SignalKind::Stop => "stop",
        }
    }

    /// The kind whose word is `word` exactly (case matters).
    pub fn from_word(word: &str) -> Option<SignalKind> {
        match grammar::run(word.as_bytes(), grammar::signal) {
            Ok(([], kind)) => Some(kind),
            _ => None,
        }
    }

    /// The name of the value in the canonical JSON form: `warmup`, `period`, or none.
    pub const fn value_name(self) -> Option<&'static str> {
        match self {
            SignalKind::Start => Some("warmup"),
            SignalKind::Beat | SignalKind::Degraded => Some("period"),
            SignalKind::Stop => None,
        }
    }

    /// The signal of this kind with `value`; `None` when the kind takes a value and
    /// `value` is `None`, or the other way round.
    pub const fn with_value(self, value: Option<Seconds>) -> Option<Signal> {
        match (self, value) {
            (SignalKind::Start, Some(warmup)) => Some(Signal::Start { warmup }),
            (SignalKind::Beat, Some(period)) => Some(Signal::Beat { period }),
            (SignalKind::Degraded, Some(period)) => Some(Signal::Degraded { period }),
            (SignalKind::Stop, None) => Some(Signal::Stop),
            _ => None,
        }
    }
}

impl fmt::Display for SignalKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The meaning of a payload (`spec/text.md` §4).
///
/// ```
/// use heartwire::text::{Seconds, Signal};
///
/// let signal = Signal::decode(b"beat/0.5")?;
/// assert_eq!(signal, Signal::Beat { period: Seconds::from_millis(500).unwrap() });
/// assert_eq!(signal.to_string(), "beat/0.5");
/// assert_eq!("degraded/5.0".parse::<Signal>()?.to_string(), "degraded/5");
/// # Ok::<(), heartwire::text::TextError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Signal {
    /// The process is starting; expect `beat` or `degraded` within `warmup`.
    Start {
        /// Time until the first beat is due.
        warmup: Seconds,
    },
    /// The process is alive; expect the next signal within `period`.
    Beat {
        /// Time until the next signal is due.
        period: Seconds,
    },
    /// The process is alive but degraded; expect the next signal within `period`.
    Degraded {
        /// Time until the next signal is due.
        period: Seconds,
    },
    /// The process stopped gracefully; expect nothing more.
    Stop,
}

impl Signal {
    /// Decodes a payload; errors count offsets from its first byte. Never allocates.
    ///
    /// Always inlined, as are its fast path and the subject's: the calls, and the results
    /// passed through memory, measured 39 of the 306 instructions of a text decode.
    #[inline(always)]
    pub fn decode(payload: &[u8]) -> Result<Signal, TextError> {
        // The common payloads in one scan; anything else, and every error, through the
        // general grammar, which gives the same signal for what the scan accepts.
        if let Ok(([], (kind, nanos))) = grammar::plain_payload(payload)
            && let Some(signal) = kind.with_value(nanos.and_then(Seconds::from_nanos))
        {
            return Ok(signal);
        }
        Signal::decode_general(payload)
    }

    /// [`Signal::decode`] through the general grammar: every number form, and the error
    /// of a payload that breaks a rule. The reference the fast path is tested against.
    #[inline(never)]
    pub(crate) fn decode_general(payload: &[u8]) -> Result<Signal, TextError> {
        check_len(payload, Part::Payload, MAX_PAYLOAD_LEN)?;
        let fail = |error| reported(payload, Part::Payload, error);
        let (rest, kind) = grammar::run(payload, grammar::signal)
            .map_err(|f| f.into_error(payload, Part::Payload))?;
        let value_at = payload.len() - rest.len();
        let value = if kind == SignalKind::Stop {
            if !rest.is_empty() {
                return Err(fail(TextError::UnexpectedValue { offset: value_at }));
            }
            None
        } else {
            let (rest, decimal) = grammar::run(rest, grammar::value(kind))
                .map_err(|f| f.into_error(payload, Part::Payload))?;
            // The whole payload must be well formed before its value is judged, so
            // `beat/0x10` is junk after `0`, not a zero period.
            if !rest.is_empty() {
                return Err(fail(TextError::TrailingInput {
                    offset: payload.len() - rest.len(),
                }));
            }
            Some(Seconds::from_decimal(&decimal, value_at + 1)?)
        };
        // `kind` and `value` agree by construction of the branches above.
        kind.with_value(value)
            .ok_or(TextError::UnknownSignal { offset: 0 })
    }

    /// Decodes a payload given as text.
    pub fn parse(payload: &str) -> Result<Signal, TextError> {
        Signal::decode(payload.as_bytes())
    }

    /// The kind of signal, without its value.
    pub const fn kind(&self) -> SignalKind {
        match self {
            Signal::Start { .. } => SignalKind::Start,
            Signal::Beat { .. } => SignalKind::Beat,
            Signal::Degraded { .. } => SignalKind::Degraded,
            Signal::Stop => SignalKind::Stop,
        }
    }

    /// The warmup or period; `None` for `stop`.
    pub const fn value(&self) -> Option<Seconds> {
        match *self {
            Signal::Start { warmup } => Some(warmup),
            Signal::Beat { period } | Signal::Degraded { period } => Some(period),
            Signal::Stop => None,
        }
    }

    /// Appends the canonical payload to `buf` (a `Vec<u8>`, or any byte buffer);
    /// allocates only when `buf` has no room for it (a payload is at most
    /// [`MAX_PAYLOAD_LEN`] bytes).
    pub fn encode(&self, buf: &mut impl Buffer) {
        buf.extend(self.kind().as_str().as_bytes());
        if let Some(value) = self.value() {
            let mut digits = [0u8; MAX_CANONICAL_LEN];
            let len = value.write_canonical(&mut digits);
            buf.extend(b"/");
            buf.extend(digits.get(..len).unwrap_or_default());
        }
    }
}

impl fmt::Display for Signal {
    /// The canonical payload.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.kind().as_str())?;
        match self.value() {
            Some(value) => write!(f, "/{value}"),
            None => Ok(()),
        }
    }
}

impl FromStr for Signal {
    type Err = TextError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Signal::parse(s)
    }
}
