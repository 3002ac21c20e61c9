//! The Reventless Scheduler schedule: `{ name, rate, payload }`, its rates `Daily(9,0)`,
//! `Hours(6)`, `Single(2024,12,25,14,30)` and the rest, when they fire, and the
//! EventBridge expressions they deploy as (`spec/schedule.md`).
//!
//! Decoding is zero-copy: a [`Schedule`] borrows its name, payload and extra members from
//! the document unless they contain escapes, and a typical document is decoded without a
//! heap allocation. The rate is accepted in the three encodings the framework's ReScript
//! code produces: the string form `"Daily(9,0)"`, sury's `{"TAG":"Daily","_0":9,"_1":0}`
//! and decco's `["Daily",9,0]`; encoding writes the canonical document, with the rate in
//! its string form.
//!
//! ```
//! use heartwire::schedule::{Rate, Schedule};
//! use heartwire::time::Timestamp;
//!
//! let doc = br#"{"name": "daily-report",
//!                "rate": {"TAG": "Daily", "_0": 9, "_1": 0},
//!                "payload": "{\"type\": \"GenerateReport\"}"}"#;
//! let schedule = Schedule::decode(doc)?;
//! assert_eq!(schedule.name().as_str(), "daily-report");
//! assert_eq!(schedule.rate(), Rate::daily(9, 0).unwrap());
//! assert_eq!(schedule.payload(), r#"{"type": "GenerateReport"}"#);
//!
//! let mut buf = Vec::new();
//! schedule.encode(&mut buf);
//! assert_eq!(
//!     &buf[..],
//!     br#"{"name":"daily-report","rate":"Daily(9,0)","payload":"{\"type\": \"GenerateReport\"}"}"#
//! );
//!
//! // When it fires, and how EventBridge says it.
//! let after = Timestamp::parse("2024-02-28T09:00:00Z").unwrap().unix_time();
//! let next = schedule.rate().next_after(after).unwrap();
//! assert_eq!(next, Timestamp::parse("2024-02-29T09:00:00Z").unwrap().unix_time());
//! assert_eq!(schedule.rate().expression(), "cron(0 9 * * ? *)");
//! # Ok::<(), heartwire::json::JsonError>(())
//! ```

mod cron;
mod error;
mod expression;
mod fire;
mod grammar;
pub(crate) mod json;
mod name;
mod rate;

use crate::json::Buffer;
use std::borrow::Cow;
use std::fmt;

use crate::json::{Extras, JsonError};

pub use cron::{Cron, CronError, CronErrorKind, CronField, MAX_CRON_LEN, SEARCH_YEARS};
pub use error::{Expected, Field, ScheduleError, ScheduleErrorKind};
pub use fire::{FIRST_FIRE_TIME, FireTimes, LAST_FIRE_TIME};
pub use name::{MAX_NAME_LEN, Name};
pub use rate::{Count, Date, Hour, MAX_COUNT, MAX_YEAR, MIN_YEAR, Minute, Rate, RateKind};

/// How a rate is written in a document: the three encodings of the framework's ReScript
/// variant (`spec/schedule.md` §4). Decoding accepts all three; encoding writes
/// [`Dialect::String`] unless asked for another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Dialect {
    /// The canonical string form, `"Daily(9,0)"`.
    #[default]
    String,
    /// The sury form, ReScript's runtime representation: `{"TAG":"Daily","_0":9,"_1":0}`.
    Sury,
    /// The decco form: `["Daily",9,0]`.
    Decco,
}

impl Dialect {
    /// Every dialect.
    pub const ALL: [Dialect; 3] = [Dialect::String, Dialect::Sury, Dialect::Decco];

    /// The name the conformance vectors use: `string`, `sury` or `decco`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Dialect::String => "string",
            Dialect::Sury => "sury",
            Dialect::Decco => "decco",
        }
    }

    /// The dialect of a name of [`Dialect::as_str`].
    pub fn from_name(name: &str) -> Option<Dialect> {
        Dialect::ALL.into_iter().find(|d| d.as_str() == name)
    }
}

/// A schedule of the Reventless Scheduler: a name, when it fires, and what it publishes
/// then (`spec/schedule.md` §2).
///
/// ```
/// use heartwire::schedule::{Name, Rate, Schedule};
///
/// let reminder = Schedule::new(
///     Name::new("meeting-reminder")?,
///     "Single(2024, 12, 25, 14, 30)".parse()?,
///     r#"{"type": "SendReminder", "meetingId": "abc123"}"#,
/// );
/// assert_eq!(
///     reminder.to_string(),
///     r#"{"name":"meeting-reminder","rate":"Single(2024,12,25,14,30)","payload":"{\"type\": \"SendReminder\", \"meetingId\": \"abc123\"}"}"#
/// );
/// assert_eq!(reminder.rate().at_expression().as_deref(), Some("at(2024-12-25T14:30:00)"));
/// # Ok::<(), heartwire::schedule::ScheduleError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Schedule<'a> {
    name: Name<'a>,
    rate: Rate,
    payload: Cow<'a, str>,
    extras: Extras<'a>,
}

impl<'a> Schedule<'a> {
    /// A schedule without extra members. The payload is any string, kept as given.
    pub fn new(name: Name<'a>, rate: Rate, payload: impl Into<Cow<'a, str>>) -> Schedule<'a> {
        Schedule {
            name,
            rate,
            payload: payload.into(),
            extras: Extras::new(),
        }
    }

    /// Decodes a schedule document (`spec/schedule.md` §2). Strings borrow from `bytes`
    /// unless they contain escapes; members nobody knows are kept, in order.
    pub fn decode(bytes: &'a [u8]) -> Result<Schedule<'a>, JsonError> {
        json::decode(bytes)
    }

    /// Appends the canonical document to `buf` (`spec/schedule.md` §6): compact,
    /// `name`, `rate` in its string form, `payload`, then the extra members as given.
    pub fn encode(&self, buf: &mut impl Buffer) {
        json::encode(self, buf, Dialect::String);
    }

    /// Appends the document with the rate written in `dialect`, for a consumer that reads
    /// only one of the framework's encodings; otherwise as [`Schedule::encode`].
    pub fn encode_as(&self, buf: &mut impl Buffer, dialect: Dialect) {
        json::encode(self, buf, dialect);
    }

    /// The name.
    pub const fn name(&self) -> &Name<'a> {
        &self.name
    }

    /// When it fires.
    pub const fn rate(&self) -> Rate {
        self.rate
    }

    /// What it publishes when it fires, exactly as given (often JSON text, but any string).
    pub fn payload(&self) -> &str {
        &self.payload
    }

    /// The members of the document that this format has no rule for, in order.
    pub const fn extras(&self) -> &Extras<'a> {
        &self.extras
    }

    /// The extra members, to add or replace some before encoding.
    pub fn extras_mut(&mut self) -> &mut Extras<'a> {
        &mut self.extras
    }

    /// The same schedule, owning all its text.
    pub fn into_owned(self) -> Schedule<'static> {
        Schedule {
            name: self.name.into_owned(),
            rate: self.rate,
            payload: Cow::Owned(self.payload.into_owned()),
            extras: self.extras.into_owned(),
        }
    }
}

/// Schedules are equal when their name, rate, payload and extra members (keys, and values
/// as text, in order) are; borrowed and owned ones compare alike. (Written out because
/// [`Extras`] makes the type invariant over its lifetime.)
impl<'b> PartialEq<Schedule<'b>> for Schedule<'_> {
    fn eq(&self, other: &Schedule<'b>) -> bool {
        self.name.as_str() == other.name.as_str()
            && self.rate == other.rate
            && self.payload == other.payload
            && self.extras == other.extras
    }
}

impl Eq for Schedule<'_> {}

impl fmt::Display for Schedule<'_> {
    /// The canonical document.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        json::write(self, f, Dialect::String)
    }
}
