//! The JSON liveness record: a service says who it is, which run of it is speaking, when,
//! and how it is doing, every 60 seconds on a Redis or Valkey channel
//! (`spec/record.md`).
//!
//! ```json
//! {"service_name":"tracker_fetcher","instance_id":"a1b2c3d4-e5f6-7890-abcd-ef1234567890",
//!  "timestamp":"2025-01-16T08:30:00.123456+00:00","uptime_seconds":3600.5,
//!  "heartbeat_count":60,"memory_usage_mb":156.3,"cpu_usage_percent":12.5,
//!  "queue_size":1380,"api_status":"authenticated"}
//! ```
//!
//! Decoding is zero-copy: a [`Record`] borrows its strings, numbers and service-specific
//! members from the document, and a typical record (such as the seed's) is decoded
//! without a heap allocation.
//! Encoding appends the canonical form (`spec/json.md` §7) to a caller's buffer.
//! [`Channel`] names where records travel, and [`classify`] turns the last record of a
//! service into a [`Liveness`] verdict.
//!
//! ```
//! use heartwire::record::{DEFAULT_INTERVAL, Liveness, Record, classify};
//! use heartwire::time::Timestamp;
//!
//! let doc = br#"{
//!   "service_name": "tracker_fetcher",
//!   "instance_id": "a1b2c3d4-e5f6-7890-abcd-ef1234567890",
//!   "timestamp": "2025-01-16T08:30:00.123456+00:00",
//!   "uptime_seconds": 3600.5, "heartbeat_count": 60,
//!   "memory_usage_mb": 156.30, "cpu_usage_percent": 12.5,
//!   "queue_size": 1380, "api_status": "authenticated"
//! }"#;
//! let record = Record::decode(doc)?;
//! assert_eq!(record.service_name().as_str(), "tracker_fetcher");
//! assert_eq!(record.heartbeat_count(), Some(60));
//! // Numbers keep their text; service-specific members are kept verbatim, in order.
//! assert_eq!(record.memory_usage_mb().map(|m| m.as_str()), Some("156.30"));
//! assert_eq!(record.extras().get("queue_size"), Some("1380"));
//!
//! let mut buf = Vec::with_capacity(512);
//! record.encode(&mut buf);
//! assert!(buf.starts_with(br#"{"service_name":"tracker_fetcher","instance_id":"#));
//! assert!(buf.ends_with(br#""cpu_usage_percent":12.5,"queue_size":1380,"api_status":"authenticated"}"#));
//!
//! let now = Timestamp::parse("2025-01-16T08:31:30.123456Z")?.unix_time();
//! assert_eq!(classify(&record, now, DEFAULT_INTERVAL), Liveness::Stale);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod instance;
mod liveness;
mod metric;
mod name;

use crate::json::Buffer;
use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use crate::json::Object;
use crate::json::write::string as write_string;
use crate::json::{
    Appender, Count, Doc, Extras, JsonError, JsonErrorKind, Kind, Raw, RawJson, required,
};
use crate::time::{Timestamp, UnixTime};

pub use instance::{InstanceId, InstanceIdError, InstanceIdExpected};
pub use liveness::{
    DEFAULT_INTERVAL, Liveness, MAX_CLOCK_SKEW, UnknownLiveness, classify, classify_at,
};
pub use metric::Metric;
pub use name::{
    Channel, ChannelError, Convention, MAX_NAME_LEN, NameError, ServiceName, UnknownConvention,
};

/// The members a record's rules describe, in canonical order (`spec/record.md` §4.1).
/// Any other member is an extra (§6).
pub const MEMBERS: [&str; 7] = [
    SERVICE_NAME,
    INSTANCE_ID,
    TIMESTAMP,
    UPTIME_SECONDS,
    HEARTBEAT_COUNT,
    MEMORY_USAGE_MB,
    CPU_USAGE_PERCENT,
];

const SERVICE_NAME: &str = "service_name";
const INSTANCE_ID: &str = "instance_id";
const TIMESTAMP: &str = "timestamp";
const UPTIME_SECONDS: &str = "uptime_seconds";
const HEARTBEAT_COUNT: &str = "heartbeat_count";
const MEMORY_USAGE_MB: &str = "memory_usage_mb";
const CPU_USAGE_PERCENT: &str = "cpu_usage_percent";

/// One liveness record (`spec/record.md`).
///
/// The three members a monitor needs are always there: who ([`ServiceName`]), which run
/// ([`InstanceId`]) and when ([`Timestamp`]). The four measurements are optional, because
/// a service that cannot measure its memory is still alive; they are never negative.
/// Every other member is kept verbatim, in order, in [`Record::extras`].
///
/// A publisher builds one with [`Record::new`] and the setters:
///
/// ```
/// use heartwire::record::{InstanceId, Metric, Record, ServiceName};
/// use heartwire::json::RawJson;
/// use heartwire::time::{Timestamp, UnixTime};
///
/// let mut record = Record::new(
///     ServiceName::new("geofence_service")?,
///     InstanceId::from_u128(0x0f1e2d3c_4b5a_4978_8695_a4b3c2d1e0f0),
///     Timestamp::from_unix_micros(UnixTime::new(1_737_016_200, 123_456_000)),
/// );
/// record
///     .set_heartbeat_count(Some(1))
///     .set_cpu_usage_percent(Metric::from_f64(3.25));
/// record.insert_extra("active_geofences", RawJson::new("42")?)?;
/// assert_eq!(
///     record.to_string(),
///     concat!(
///         r#"{"service_name":"geofence_service","#,
///         r#""instance_id":"0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f0","#,
///         r#""timestamp":"2025-01-16T08:30:00.123456+00:00","#,
///         r#""heartbeat_count":1,"cpu_usage_percent":3.25,"active_geofences":42}"#,
///     )
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Record<'a> {
    service_name: ServiceName<'a>,
    instance_id: InstanceId<'a>,
    timestamp: Timestamp<'a>,
    uptime_seconds: Option<Metric<'a>>,
    heartbeat_count: Option<u64>,
    memory_usage_mb: Option<Metric<'a>>,
    cpu_usage_percent: Option<Metric<'a>>,
    extras: Extras<'a>,
}

impl<'a> Record<'a> {
    /// A record with the three required members, no measurements and no extras.
    pub fn new(
        service_name: ServiceName<'a>,
        instance_id: InstanceId<'a>,
        timestamp: Timestamp<'a>,
    ) -> Record<'a> {
        Record {
            service_name,
            instance_id,
            timestamp,
            uptime_seconds: None,
            heartbeat_count: None,
            memory_usage_mb: None,
            cpu_usage_percent: None,
            extras: Extras::new(),
        }
    }

    /// Decodes a record document. Strings, numbers and extras borrow from `bytes` (a
    /// string with escapes is the exception). A typical record (no escapes, up to eight
    /// extras, arrays and objects among them included) is decoded without a heap
    /// allocation.
    ///
    /// Errors say what, where (byte offset) and in which member (`spec/record.md` §8):
    /// the document's limits and syntax first, then the members in document order, then
    /// a missing required member.
    pub fn decode(bytes: &'a [u8]) -> Result<Record<'a>, JsonError> {
        let (doc, raw) = Doc::parse(bytes)?;
        Record::decode_object(&doc, Object::Text(raw))
    }

    /// Decodes the top-level object of a document known to be a record.
    pub(crate) fn decode_object(
        doc: &Doc<'a>,
        object: Object<'a>,
    ) -> Result<Record<'a>, JsonError> {
        let raw = object.raw();
        let mut members = Members::default();
        doc.each(object, |key, value| {
            let known = members
                .read(doc, key.as_ref(), value)
                .map_err(|e| e.in_field(&key))?;
            if known {
                Ok(())
            } else {
                members.extras.keep(doc, key, value, 2)
            }
        })?;
        Ok(Record {
            service_name: required(doc, raw, members.service_name, SERVICE_NAME)?,
            instance_id: required(doc, raw, members.instance_id, INSTANCE_ID)?,
            timestamp: required(doc, raw, members.timestamp, TIMESTAMP)?,
            uptime_seconds: members.uptime_seconds.flatten(),
            heartbeat_count: members.heartbeat_count.flatten(),
            memory_usage_mb: members.memory_usage_mb.flatten(),
            cpu_usage_percent: members.cpu_usage_percent.flatten(),
            extras: members.extras,
        })
    }

    /// The service that sent the record.
    pub const fn service_name(&self) -> &ServiceName<'a> {
        &self.service_name
    }

    /// The run of the service that sent it.
    pub const fn instance_id(&self) -> &InstanceId<'a> {
        &self.instance_id
    }

    /// When it was sent, by the publisher's clock.
    pub const fn timestamp(&self) -> &Timestamp<'a> {
        &self.timestamp
    }

    /// Seconds since the instance started, if reported.
    pub const fn uptime_seconds(&self) -> Option<&Metric<'a>> {
        self.uptime_seconds.as_ref()
    }

    /// How many records this instance has sent, this one included, if reported.
    pub const fn heartbeat_count(&self) -> Option<u64> {
        self.heartbeat_count
    }

    /// The instance's memory use in megabytes, if reported.
    pub const fn memory_usage_mb(&self) -> Option<&Metric<'a>> {
        self.memory_usage_mb.as_ref()
    }

    /// The instance's CPU use in percent of one core (over 100 on several cores), if
    /// reported.
    pub const fn cpu_usage_percent(&self) -> Option<&Metric<'a>> {
        self.cpu_usage_percent.as_ref()
    }

    /// The service-specific members, in document order, values verbatim.
    pub const fn extras(&self) -> &Extras<'a> {
        &self.extras
    }

    /// Sets the service name.
    pub fn set_service_name(&mut self, name: ServiceName<'a>) -> &mut Record<'a> {
        self.service_name = name;
        self
    }

    /// Sets the instance id.
    pub fn set_instance_id(&mut self, id: InstanceId<'a>) -> &mut Record<'a> {
        self.instance_id = id;
        self
    }

    /// Sets the timestamp; a publisher stamps each record as it sends it.
    pub fn set_timestamp(&mut self, timestamp: Timestamp<'a>) -> &mut Record<'a> {
        self.timestamp = timestamp;
        self
    }

    /// Sets or clears the uptime in seconds.
    pub fn set_uptime_seconds(&mut self, value: Option<Metric<'a>>) -> &mut Record<'a> {
        self.uptime_seconds = value;
        self
    }

    /// Sets or clears the heartbeat count.
    pub fn set_heartbeat_count(&mut self, value: Option<u64>) -> &mut Record<'a> {
        self.heartbeat_count = value;
        self
    }

    /// Sets or clears the memory use in megabytes.
    pub fn set_memory_usage_mb(&mut self, value: Option<Metric<'a>>) -> &mut Record<'a> {
        self.memory_usage_mb = value;
        self
    }

    /// Sets or clears the CPU use in percent.
    pub fn set_cpu_usage_percent(&mut self, value: Option<Metric<'a>>) -> &mut Record<'a> {
        self.cpu_usage_percent = value;
        self
    }

    /// Sets a service-specific member: replaces the value of an existing extra in place,
    /// or adds it at the end, and returns the old value.
    ///
    /// The value follows the rules a decoder applies to extras (`spec/record.md` §6):
    /// nested no deeper than `spec/json.md` §2.3 allows and without duplicate keys, or
    /// the error names the member and points into `value`. A key of the record's own
    /// ([`MEMBERS`]) is refused with `json.duplicate`: it has its own setter.
    pub fn insert_extra(
        &mut self,
        key: impl Into<Cow<'a, str>>,
        value: RawJson<'a>,
    ) -> Result<Option<Cow<'a, str>>, JsonError> {
        let key = key.into();
        if MEMBERS.contains(&key.as_ref()) {
            return Err(JsonError::new(
                JsonErrorKind::DuplicateKey {
                    key: key.clone().into_owned(),
                },
                0,
            )
            .in_field(&key));
        }
        let (doc, raw) = Doc::parse(value.get().as_bytes()).map_err(|e| e.in_field(&key))?;
        doc.free_form(raw, 2).map_err(|e| e.in_field(&key))?;
        Ok(self.extras.insert(key, value))
    }

    /// The verdict on the service at `now`, for a publisher that sends a record every
    /// `interval`; see [`classify`].
    pub fn liveness(&self, now: UnixTime, interval: Duration) -> Liveness {
        classify(self, now, interval)
    }

    /// Appends the canonical document (`spec/record.md` §7) to `buf`; no allocation
    /// when `buf` has room ([`Record::encoded_len`] says how much it needs).
    pub fn encode(&self, buf: &mut impl Buffer) {
        // One pass: a buffer without room grows as it is written (measuring the length
        // first would write everything twice). Appending to a buffer does not fail.
        let _ = self.write(&mut Appender(buf));
    }

    /// The canonical document as a string (what [`Display`](fmt::Display) writes).
    pub fn to_json_string(&self) -> String {
        let mut text = String::with_capacity(self.encoded_len());
        let _ = self.write(&mut text);
        text
    }

    /// The length in bytes of the canonical document, so that a publisher can check it
    /// against the limit of `spec/json.md` §2.2 ([`crate::json::MAX_DOCUMENT_LEN`]).
    pub fn encoded_len(&self) -> usize {
        let mut count = Count(0);
        let _ = self.write(&mut count);
        count.0
    }

    /// The one writer of the canonical document, shared by `encode` and `Display`.
    fn write(&self, w: &mut impl fmt::Write) -> fmt::Result {
        w.write_char('{')?;
        member(w, SERVICE_NAME)?;
        write_string(w, self.service_name.as_str())?;
        w.write_char(',')?;
        member(w, INSTANCE_ID)?;
        write_string(w, self.instance_id.as_str())?;
        w.write_char(',')?;
        member(w, TIMESTAMP)?;
        write_string(w, self.timestamp.as_str())?;
        optional(w, UPTIME_SECONDS, metric_text(&self.uptime_seconds))?;
        if let Some(count) = self.heartbeat_count {
            w.write_char(',')?;
            member(w, HEARTBEAT_COUNT)?;
            write!(w, "{count}")?;
        }
        optional(w, MEMORY_USAGE_MB, metric_text(&self.memory_usage_mb))?;
        optional(w, CPU_USAGE_PERCENT, metric_text(&self.cpu_usage_percent))?;
        for (key, value) in self.extras.iter() {
            w.write_char(',')?;
            write_string(w, key)?;
            w.write_char(':')?;
            w.write_str(value)?;
        }
        w.write_char('}')
    }

    /// The same record, owning all its text.
    pub fn into_owned(self) -> Record<'static> {
        Record {
            service_name: self.service_name.into_owned(),
            instance_id: self.instance_id.into_owned(),
            timestamp: self.timestamp.into_owned(),
            uptime_seconds: self.uptime_seconds.map(Metric::into_owned),
            heartbeat_count: self.heartbeat_count,
            memory_usage_mb: self.memory_usage_mb.map(Metric::into_owned),
            cpu_usage_percent: self.cpu_usage_percent.map(Metric::into_owned),
            extras: self.extras.into_owned(),
        }
    }
}

/// Records are equal when every member has the same text: the same canonical document.
///
/// Implemented by hand across lifetimes, so that an owned record compares with a
/// borrowed one: [`Extras`] makes `Record<'a>` invariant in `'a`, so the derived
/// comparison would need both to borrow for exactly as long.
impl<'b> PartialEq<Record<'b>> for Record<'_> {
    fn eq(&self, other: &Record<'b>) -> bool {
        let metric = |a: Option<&Metric<'_>>, b: Option<&Metric<'_>>| {
            a.map(Metric::as_str) == b.map(Metric::as_str)
        };
        self.service_name.as_str() == other.service_name.as_str()
            && self.instance_id.as_str() == other.instance_id.as_str()
            && self.timestamp.as_str() == other.timestamp.as_str()
            && metric(self.uptime_seconds(), other.uptime_seconds())
            && self.heartbeat_count == other.heartbeat_count
            && metric(self.memory_usage_mb(), other.memory_usage_mb())
            && metric(self.cpu_usage_percent(), other.cpu_usage_percent())
            && self.extras == other.extras
    }
}

impl Eq for Record<'_> {}

impl fmt::Display for Record<'_> {
    /// The canonical document.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write(f)
    }
}

impl FromStr for Record<'static> {
    type Err = JsonError;

    /// Decodes a record document and detaches it from the text.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Record::decode(s.as_bytes()).map(Record::into_owned)
    }
}

/// The members of a document being read: `None` until seen; the optional ones are
/// `Some(None)` once seen as `null`.
#[derive(Default)]
struct Members<'a> {
    service_name: Option<ServiceName<'a>>,
    instance_id: Option<InstanceId<'a>>,
    timestamp: Option<Timestamp<'a>>,
    uptime_seconds: Option<Option<Metric<'a>>>,
    heartbeat_count: Option<Option<u64>>,
    memory_usage_mb: Option<Option<Metric<'a>>>,
    cpu_usage_percent: Option<Option<Metric<'a>>>,
    extras: Extras<'a>,
}

impl<'a> Members<'a> {
    /// Reads one member by the rule of its key; the error's path is added by the caller.
    /// A repeated key is reported before its value is looked at: the key comes first.
    /// Returns whether the key is one of the record's own members; the caller keeps the
    /// others as extra members.
    ///
    /// The key is matched once: this runs for every member of every record decoded.
    fn read(&mut self, doc: &Doc<'a>, key: &str, value: Raw<'a>) -> Result<bool, JsonError> {
        match key {
            SERVICE_NAME => {
                doc.once(&self.service_name, key, value)?;
                self.service_name = Some(service_name(doc, value)?);
            }
            INSTANCE_ID => {
                doc.once(&self.instance_id, key, value)?;
                self.instance_id = Some(instance_id(doc, value)?);
            }
            TIMESTAMP => {
                doc.once(&self.timestamp, key, value)?;
                self.timestamp = Some(doc.timestamp(value)?);
            }
            UPTIME_SECONDS => {
                doc.once(&self.uptime_seconds, key, value)?;
                self.uptime_seconds = Some(metric(doc, value)?);
            }
            HEARTBEAT_COUNT => {
                doc.once(&self.heartbeat_count, key, value)?;
                self.heartbeat_count = Some(count(doc, value)?);
            }
            MEMORY_USAGE_MB => {
                doc.once(&self.memory_usage_mb, key, value)?;
                self.memory_usage_mb = Some(metric(doc, value)?);
            }
            CPU_USAGE_PERCENT => {
                doc.once(&self.cpu_usage_percent, key, value)?;
                self.cpu_usage_percent = Some(metric(doc, value)?);
            }
            _ => return Ok(false),
        }
        Ok(true)
    }
}

/// Where an error at byte `inner` of a string's decoded text points in the document:
/// at that byte when the string is written without escapes (so the decoded text is the
/// raw text), else at the opening quote (`spec/json.md` §3).
fn inside(doc: &Doc<'_>, raw: Raw<'_>, escaped: bool, inner: usize) -> usize {
    doc.offset(raw) + if escaped { 0 } else { 1 + inner }
}

fn service_name<'a>(doc: &Doc<'a>, raw: Raw<'a>) -> Result<ServiceName<'a>, JsonError> {
    let text = doc.string(raw)?;
    let escaped = matches!(text, Cow::Owned(_));
    ServiceName::from_cow(text).map_err(|e| {
        JsonError::new(
            JsonErrorKind::Value {
                expected: e.expected(),
            },
            inside(doc, raw, escaped, e.offset()),
        )
    })
}

fn instance_id<'a>(doc: &Doc<'a>, raw: Raw<'a>) -> Result<InstanceId<'a>, JsonError> {
    let text = doc.string(raw)?;
    let escaped = matches!(text, Cow::Owned(_));
    InstanceId::from_cow(text).map_err(|e| {
        JsonError::new(
            JsonErrorKind::Value {
                expected: e.expected_text(),
            },
            inside(doc, raw, escaped, e.offset),
        )
    })
}

/// A measurement: `null` (not reported) or a number that is not negative.
#[inline]
fn metric<'a>(doc: &Doc<'a>, raw: Raw<'a>) -> Result<Option<Metric<'a>>, JsonError> {
    match raw.kind() {
        Kind::Null => Ok(None),
        Kind::Number => Metric::new(doc.number(raw)?)
            .map(Some)
            .ok_or_else(|| doc.value_error(raw, "a number that is not negative")),
        _ => Err(doc.type_error(raw, "a number or null")),
    }
}

/// The heartbeat count: `null` (not reported) or an integer from 0 to 2^64-1.
#[inline]
fn count<'a>(doc: &Doc<'a>, raw: Raw<'a>) -> Result<Option<u64>, JsonError> {
    match raw.kind() {
        Kind::Null => Ok(None),
        Kind::Number => doc.u64(raw).map(Some),
        _ => Err(doc.type_error(raw, "an integer or null")),
    }
}

/// The text of a measurement that is there.
fn metric_text<'m>(metric: &'m Option<Metric<'_>>) -> Option<&'m str> {
    metric.as_ref().map(Metric::as_str)
}

/// Writes `,"key":number` for a number that is there.
fn optional(w: &mut impl fmt::Write, key: &str, number: Option<&str>) -> fmt::Result {
    let Some(number) = number else {
        return Ok(());
    };
    w.write_char(',')?;
    member(w, key)?;
    w.write_str(number)
}

/// Writes `"key":`.
fn member(w: &mut impl fmt::Write, key: &str) -> fmt::Result {
    write_string(w, key)?;
    w.write_char(':')
}

#[cfg(test)]
mod tests;
