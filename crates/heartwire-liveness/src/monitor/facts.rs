//! What the last accepted record of a service said besides its time (`spec/liveness.md`
//! §3.2): its instance, measurements and extra members, kept beside the slots for record
//! processes only, so that a monitor shows them as the seed's monitor script does. A
//! beatit or ping process has none, and its slot is unchanged.

use heartwire::record::{InstanceId, Metric, Record};

use super::Monitor;

/// The facts of a service's last accepted liveness record (`spec/record.md` §4 to §6).
///
/// Measurements are kept as numbers, extra members as their JSON text, in the order of
/// the record. At most one per record process; its size is bounded by the record's
/// (64 KiB, `spec/json.md` §2.2).
#[derive(Debug, Clone, PartialEq)]
pub struct RecordFacts {
    instance_id: u128,
    uptime_seconds: Option<f64>,
    heartbeat_count: Option<u64>,
    memory_usage_mb: Option<f64>,
    cpu_usage_percent: Option<f64>,
    extras: Box<[(Box<str>, Box<str>)]>,
}

// The measurements are never NaN: a `Metric` is a finite JSON number.
impl Eq for RecordFacts {}

impl RecordFacts {
    /// The facts of `record`.
    pub fn of(record: &Record<'_>) -> RecordFacts {
        RecordFacts {
            instance_id: record.instance_id().as_u128(),
            uptime_seconds: record.uptime_seconds().map(Metric::as_f64),
            heartbeat_count: record.heartbeat_count(),
            memory_usage_mb: record.memory_usage_mb().map(Metric::as_f64),
            cpu_usage_percent: record.cpu_usage_percent().map(Metric::as_f64),
            extras: record
                .extras()
                .iter()
                .map(|(k, v)| (Box::from(k), Box::from(v)))
                .collect(),
        }
    }

    /// The run of the service that sent the record.
    pub fn instance_id(&self) -> InstanceId<'static> {
        InstanceId::from_u128(self.instance_id)
    }

    /// `uptime_seconds`, when the record had it.
    pub fn uptime_seconds(&self) -> Option<f64> {
        self.uptime_seconds
    }

    /// `heartbeat_count`, when the record had it.
    pub fn heartbeat_count(&self) -> Option<u64> {
        self.heartbeat_count
    }

    /// `memory_usage_mb`, when the record had it.
    pub fn memory_usage_mb(&self) -> Option<f64> {
        self.memory_usage_mb
    }

    /// `cpu_usage_percent`, when the record had it.
    pub fn cpu_usage_percent(&self) -> Option<f64> {
        self.cpu_usage_percent
    }

    /// The extra members, in the record's order: each key and its value's JSON text,
    /// byte for byte as received.
    pub fn extras(&self) -> impl ExactSizeIterator<Item = (&str, &str)> + '_ {
        self.extras.iter().map(|(k, v)| (&**k, &**v))
    }

    /// The bytes this holds besides itself.
    pub(super) fn heap_bytes(&self) -> usize {
        self.extras.len() * size_of::<(Box<str>, Box<str>)>()
            + self
                .extras
                .iter()
                .map(|(k, v)| k.len() + v.len())
                .sum::<usize>()
    }
}

impl Monitor {
    /// Keeps the facts of the record just accepted for process `id`.
    pub(super) fn keep_facts(&mut self, id: u32, record: &Record<'_>) {
        self.facts.insert(id, RecordFacts::of(record));
    }
}
