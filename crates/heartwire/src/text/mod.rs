//! The beatit text convention: subject `heartbeat.<process>`, payloads `start/60`,
//! `beat/5`, `degraded/5` and `stop` (`spec/text.md`).
//!
//! Decoding is zero-copy and never allocates: a [`Message`] borrows its [`Process`] name
//! from the subject it was decoded from. Encoding appends the canonical form to a
//! caller's buffer (a `Vec<u8>`, or any `Extend<u8>`), allocating only when it lacks
//! room.
//!
//! ```
//! use heartwire::text::{Message, Seconds, Signal};
//!
//! let msg = Message::decode(b"heartbeat.my.process", b"beat/5.0")?;
//! assert_eq!(msg.process().as_str(), "my.process");
//! assert_eq!(msg.signal(), Signal::Beat { period: Seconds::from_secs(5).unwrap() });
//!
//! let mut buf = Vec::with_capacity(64);
//! msg.encode_payload(&mut buf);
//! assert_eq!(&buf[..], b"beat/5");
//! assert_eq!(msg.to_string(), "heartbeat.my.process beat/5");
//! # Ok::<(), heartwire::text::TextError>(())
//! ```

mod error;
#[cfg(test)]
mod fast_properties;
pub(crate) mod grammar;
mod json;
mod name;
mod seconds;
mod signal;

use crate::json::Buffer;
use std::fmt;
use std::str::FromStr;

use crate::json::JsonError;

pub use error::{NumberExpected, Part, TextError};
pub use json::{JsonForm, MAX_JSON_LEN};
pub use name::{Process, Subject};
pub use seconds::{MAX_SECONDS, Seconds, SecondsRangeError};
pub use signal::{Signal, SignalKind};

use name::check_len;

/// The longest subject, in bytes: an AMQP routing key is a short string of at most 255
/// bytes, the tightest limit of the brokers heartwire speaks (`spec/text.md` §7).
pub const MAX_SUBJECT_LEN: usize = 255;
/// The longest process name: a subject less its `heartbeat.` prefix.
pub const MAX_PROCESS_LEN: usize = MAX_SUBJECT_LEN - grammar::PREFIX.len();
/// The longest payload, in bytes: `degraded/` and the longest number Python writes for a
/// float fit with room to spare (`spec/text.md` §7).
pub const MAX_PAYLOAD_LEN: usize = 64;
/// The longest line form message: subject, one space, payload.
pub const MAX_LINE_LEN: usize = MAX_SUBJECT_LEN + 1 + MAX_PAYLOAD_LEN;

/// A decoded message: which process said what.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Message<'a> {
    process: Process<'a>,
    signal: Signal,
}

impl<'a> Message<'a> {
    /// A message from its parts.
    pub const fn new(process: Process<'a>, signal: Signal) -> Message<'a> {
        Message { process, signal }
    }

    /// Decodes a subject and a payload as a broker delivers them. The process name
    /// borrows from `subject`; nothing is allocated. Errors count offsets from the start
    /// of the subject or of the payload, as their [`TextError`] variant says.
    pub fn decode(subject: &'a [u8], payload: &[u8]) -> Result<Message<'a>, TextError> {
        let process = Process::from_subject(subject)?;
        let signal = Signal::decode(payload)?;
        Ok(Message { process, signal })
    }

    /// Decodes a subject that is text already, and a payload: what NATS, MQTT and AMQP
    /// clients hand over (their subjects, topics and routing keys are `str`). The same
    /// rules and errors as [`Message::decode`], minus the UTF-8 check that `&str` has
    /// made; a non-ASCII character is a [`TextError::ForbiddenChar`].
    ///
    /// ```
    /// use heartwire::text::{Message, Signal};
    ///
    /// let topic: String = "heartbeat.billing.worker-1".into();
    /// let msg = Message::decode_str(&topic, b"stop")?;
    /// assert_eq!(msg.signal(), Signal::Stop);
    /// # Ok::<(), heartwire::text::TextError>(())
    /// ```
    pub fn decode_str(subject: &'a str, payload: &[u8]) -> Result<Message<'a>, TextError> {
        let process = Process::from_subject_str(subject)?;
        let signal = Signal::decode(payload)?;
        Ok(Message { process, signal })
    }

    /// Decodes the line form `<subject> <payload>` (one space, no line terminator).
    /// Errors count offsets from the start of the line.
    pub fn decode_line(line: &'a [u8]) -> Result<Message<'a>, TextError> {
        check_len(line, Part::Line, MAX_LINE_LEN)?;
        // An encoding error anywhere in the line is reported first, as the line's.
        Message::decode_line_parts(line).map_err(|e| grammar::reported(line, Part::Line, e))
    }

    fn decode_line_parts(line: &'a [u8]) -> Result<Message<'a>, TextError> {
        let Some(space) = line.iter().position(|&b| b == b' ') else {
            // Report a bad subject before the missing payload: it is the first fault.
            Subject::decode(line)?;
            return Err(TextError::MissingSeparator { offset: line.len() });
        };
        let process = Process::from_subject(&line[..space])?;
        let signal = Signal::decode(&line[space + 1..]).map_err(|e| e.shifted(space + 1))?;
        Ok(Message { process, signal })
    }

    /// The process that sent the message.
    pub const fn process(&self) -> &Process<'a> {
        &self.process
    }

    /// What the process said.
    pub const fn signal(&self) -> Signal {
        self.signal
    }

    /// The same message, owning its process name.
    pub fn into_owned(self) -> Message<'static> {
        Message {
            process: self.process.into_owned(),
            signal: self.signal,
        }
    }

    /// Appends the subject to `buf` (a `Vec<u8>`, or any byte buffer); allocates only
    /// when `buf` lacks room.
    pub fn encode_subject(&self, buf: &mut impl Buffer) {
        buf.extend(grammar::PREFIX.as_bytes());
        buf.extend(self.process.as_str().as_bytes());
    }

    /// Appends the canonical payload to `buf`; allocates only when `buf` lacks room.
    pub fn encode_payload(&self, buf: &mut impl Buffer) {
        self.signal.encode(buf);
    }

    /// Appends the line form (without a line terminator) to `buf`.
    pub fn encode_line(&self, buf: &mut impl Buffer) {
        self.encode_subject(buf);
        buf.extend(b" ");
        self.encode_payload(buf);
    }

    /// The canonical JSON form, `{"format":"text","process":…,"signal":…,…}`, as a
    /// [`Display`](fmt::Display) value (`spec/text.md` §9).
    pub const fn json(&self) -> JsonForm<'_, 'a> {
        JsonForm::new(self)
    }

    /// Reads the canonical JSON form back. Strings borrow from `json` unless they
    /// contain escapes.
    pub fn from_json(json: &'a str) -> Result<Message<'a>, JsonError> {
        json::decode(json)
    }
}

impl fmt::Display for Message<'_> {
    /// The line form: `heartbeat.<process> <payload>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{} {}", grammar::PREFIX, self.process, self.signal)
    }
}

impl FromStr for Message<'static> {
    type Err = TextError;

    /// Reads the line form.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Message::decode_line(s.as_bytes()).map(Message::into_owned)
    }
}
