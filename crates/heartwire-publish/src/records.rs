//! The publishing side of liveness records: the seed's `HeartbeatPublisher`, sans-I/O.
//!
//! A [`RecordPublisher`] builds a liveness record (`spec/record.md`) every interval:
//! `uptime_seconds`, `heartbeat_count`, this process's `memory_usage_mb` and
//! `cpu_usage_percent` from a [`Sampler`] ([`ProcessUsage`](crate::usage::ProcessUsage),
//! from the `sysinfo` crate, with the default feature `process-usage`), and one member per
//! registered [`Collector`] (the seed's service-specific `queue_size`, `api_status`, ...).
//! It does not publish: the caller sends the record to the channel it names, when
//! [`RecordPublisher::next_deadline`] comes, or hands the due record to any publisher of
//! the record contract ([`PublishRecord`], [`AsyncPublishRecord`]; the Redis adapter is
//! one) with [`RecordPublisher::publish_due_blocking`] or
//! [`RecordPublisher::publish_due`]. (The text contract, [`Publish`](crate::Publish),
//! cannot carry records: its address is a beatit subject, and a record channel such as
//! `heartbeat:service:<name>` is not one.)
//!
//! ```
//! use std::time::Duration;
//! use heartwire::record::{Convention, InstanceId, ServiceName};
//! use heartwire::time::UnixTime;
//! use heartwire_publish::records::RecordPublisher;
//! use heartwire_publish::usage::NoUsage;
//! use heartwire::json::RawJson;
//!
//! let start = UnixTime::new(1_737_016_200, 0);
//! let mut publisher = RecordPublisher::new(
//!     ServiceName::new("tracker_fetcher")?.into_owned(),
//!     InstanceId::from_u128(0xa1b2c3d4_e5f6_4890_abcd_ef1234567890),
//!     Duration::from_secs(60),
//!     start,
//!     NoUsage,
//! );
//! publisher.register("queue_size", |_| RawJson::new("1380").expect("JSON"))?;
//! assert_eq!(publisher.channel(Convention::Heartbeat), "heartbeat:service:tracker_fetcher");
//!
//! let first = publisher.record_due(start).expect("the first record is due at once");
//! assert_eq!(first.record.heartbeat_count(), Some(1));
//! assert!(first.record.to_string().ends_with(r#""uptime_seconds":0.0,"heartbeat_count":1,"queue_size":1380}"#));
//! assert!(publisher.record_due(UnixTime::new(1_737_016_259, 0)).is_none());
//! let second = publisher.record_due(UnixTime::new(1_737_016_260, 0)).expect("due");
//! assert_eq!(second.record.timestamp().as_str(), "2025-01-16T08:31:00.000000+00:00");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;
use std::time::Duration;

use heartwire::json::{JsonError, RawJson};
use heartwire::record::{Convention, InstanceId, MEMBERS, Metric, Record, ServiceName};
use heartwire::time::{Timestamp, UnixTime};

use crate::contract::{AsyncPublishRecord, PublishRecord};
use crate::usage::Sampler;

/// A service-specific member of every record: its value at the record's time, as JSON
/// (checked well-formed when it was made; the record checks the rest, such as nesting).
pub trait Collector {
    /// The member's value at `now`.
    fn collect(&mut self, now: UnixTime) -> RawJson<'static>;
}

impl<F: FnMut(UnixTime) -> RawJson<'static>> Collector for F {
    fn collect(&mut self, now: UnixTime) -> RawJson<'static> {
        self(now)
    }
}

/// Why a collector cannot be registered.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CollectorError {
    /// The key is one of the record's own members ([`MEMBERS`]).
    ReservedKey(String),
    /// A collector is registered under that key already.
    Duplicate(String),
}

impl fmt::Display for CollectorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CollectorError::ReservedKey(key) => {
                write!(f, "{key:?} is a member of the record itself")
            }
            CollectorError::Duplicate(key) => {
                write!(f, "a collector for {key:?} is registered already")
            }
        }
    }
}

impl std::error::Error for CollectorError {}

/// A record built by a [`RecordPublisher`], with what went wrong on the way.
#[derive(Debug, Clone)]
pub struct Built {
    /// The record.
    pub record: Record<'static>,
    /// Collectors whose value broke the rules of extra members (`spec/record.md` §6):
    /// the record was built without them.
    pub errors: Vec<JsonError>,
}

/// Builds a liveness record every interval; see the [module docs](self).
pub struct RecordPublisher<S> {
    service: ServiceName<'static>,
    instance: InstanceId<'static>,
    interval: Duration,
    started: UnixTime,
    next: Option<UnixTime>,
    count: u64,
    sampler: S,
    collectors: Vec<(String, Box<dyn Collector>)>,
}

impl<S: fmt::Debug> fmt::Debug for RecordPublisher<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecordPublisher")
            .field("service", &self.service)
            .field("instance", &self.instance)
            .field("interval", &self.interval)
            .field("count", &self.count)
            .field("sampler", &self.sampler)
            .field(
                "collectors",
                &self.collectors.iter().map(|c| &c.0).collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl<S: Sampler> RecordPublisher<S> {
    /// A publisher for `service` (instance `instance`) that started at `started` and
    /// publishes every `interval` from then on, the first record at once.
    pub fn new(
        service: ServiceName<'static>,
        instance: InstanceId<'static>,
        interval: Duration,
        started: UnixTime,
        sampler: S,
    ) -> RecordPublisher<S> {
        RecordPublisher {
            service,
            instance,
            interval,
            started,
            next: Some(started),
            count: 0,
            sampler,
            collectors: Vec::new(),
        }
    }

    /// Adds a member to every record from now on.
    pub fn register(
        &mut self,
        key: &str,
        collector: impl Collector + 'static,
    ) -> Result<(), CollectorError> {
        if MEMBERS.contains(&key) {
            return Err(CollectorError::ReservedKey(key.to_owned()));
        }
        if self.collectors.iter().any(|(k, _)| k == key) {
            return Err(CollectorError::Duplicate(key.to_owned()));
        }
        self.collectors.push((key.to_owned(), Box::new(collector)));
        Ok(())
    }

    /// Removes a collector; `false` if none had that key.
    pub fn unregister(&mut self, key: &str) -> bool {
        let before = self.collectors.len();
        self.collectors.retain(|(k, _)| k != key);
        self.collectors.len() != before
    }

    /// The channel to publish on, in a convention of `spec/record.md` §9.
    pub fn channel(&self, convention: Convention) -> String {
        self.service.channel(convention)
    }

    /// When the next record is due; `None` for an interval of zero after the first.
    pub fn next_deadline(&self) -> Option<UnixTime> {
        self.next
    }

    /// The next record, if one is due at `now`. Intervals missed meanwhile are not made
    /// up for: the one after is the first of the schedule after `now`.
    pub fn record_due(&mut self, now: UnixTime) -> Option<Built> {
        self.record_due_with(now, &[])
    }

    /// Publishes the next record through `publisher` if one is due at `now`; the record
    /// published, or `None` when none was due.
    ///
    /// A record whose publish fails still counts as built: it is not kept for a retry,
    /// because the next record, one interval later, is the retry (`spec/transports.md`
    /// §1.4), and a late copy of an old record would only say less than the next one.
    /// Its `heartbeat_count` is used up, so a receiver sees the loss as a gap in the count.
    pub async fn publish_due<P: AsyncPublishRecord>(
        &mut self,
        now: UnixTime,
        publisher: &mut P,
    ) -> Result<Option<Built>, P::Error> {
        let Some(built) = self.record_due(now) else {
            return Ok(None);
        };
        publisher.publish_record(&built.record).await?;
        Ok(Some(built))
    }

    /// [`RecordPublisher::publish_due`] through a blocking publisher.
    pub fn publish_due_blocking<P: PublishRecord>(
        &mut self,
        now: UnixTime,
        publisher: &mut P,
    ) -> Result<Option<Built>, P::Error> {
        let Some(built) = self.record_due(now) else {
            return Ok(None);
        };
        publisher.publish_record(&built.record)?;
        Ok(Some(built))
    }

    /// The first instant `started + k × interval` after `now`.
    fn after(&self, now: UnixTime) -> Option<UnixTime> {
        let interval = i128::try_from(self.interval.as_nanos())
            .ok()
            .filter(|&i| i > 0)?;
        let elapsed = (now.as_nanos() - self.started.as_nanos()).max(0);
        let next = self.started.as_nanos() + (elapsed / interval + 1) * interval;
        let secs = i64::try_from(next.div_euclid(1_000_000_000)).ok()?;
        Some(UnixTime::new(secs, next.rem_euclid(1_000_000_000) as u32))
    }

    /// A record of `now`, due or not; it counts as published.
    pub fn build(&mut self, now: UnixTime) -> Built {
        self.build_with(now, &[])
    }

    /// [`RecordPublisher::record_due`] with members of this record only (`extras`, such
    /// as the output of a command run for it), after those of the collectors; one with
    /// the key of a collector's member replaces it in this record.
    pub fn record_due_with(
        &mut self,
        now: UnixTime,
        extras: &[(String, RawJson<'static>)],
    ) -> Option<Built> {
        let due = self.next.is_some_and(|next| next <= now);
        if !due {
            return None;
        }
        self.next = self.after(now);
        Some(self.build_with(now, extras))
    }

    /// [`RecordPublisher::build`] with members of this record only; see
    /// [`RecordPublisher::record_due_with`]. A member that breaks the rules of extra
    /// members (or has a key of the record's own) is left out and reported in
    /// [`Built::errors`].
    pub fn build_with(&mut self, now: UnixTime, extras: &[(String, RawJson<'static>)]) -> Built {
        self.count += 1;
        let mut record = Record::new(
            self.service.clone(),
            self.instance.clone(),
            Timestamp::from_unix_micros(now),
        );
        let usage = self.sampler.sample();
        let started = usage.started.unwrap_or(self.started);
        let uptime = now.since(started).unwrap_or_default();
        record
            .set_uptime_seconds(Metric::from_f64(uptime.as_secs_f64()))
            .set_heartbeat_count(Some(self.count))
            .set_memory_usage_mb(usage.memory_mb.and_then(Metric::from_f64))
            .set_cpu_usage_percent(usage.cpu_percent.and_then(Metric::from_f64));
        let mut errors = Vec::new();
        for (key, collector) in &mut self.collectors {
            if let Err(e) = record.insert_extra(key.clone(), collector.collect(now)) {
                errors.push(e);
            }
        }
        for (key, value) in extras {
            if let Err(e) = record.insert_extra(key.clone(), value.clone()) {
                errors.push(e);
            }
        }
        Built { record, errors }
    }

    /// The sampler the measurements come from (to ask a [`ProcessUsage`] whether its
    /// process still runs).
    ///
    /// [`ProcessUsage`]: crate::usage::ProcessUsage
    pub fn sampler(&self) -> &S {
        &self.sampler
    }

    /// How many records were built.
    pub fn count(&self) -> u64 {
        self.count
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(feature = "process-usage")]
    use crate::usage::ProcessUsage;
    use crate::usage::{NoUsage, Usage};

    fn raw(json: &str) -> RawJson<'static> {
        RawJson::new(json.to_owned()).unwrap_or_else(|e| panic!("{e}"))
    }

    fn publisher<S: Sampler>(sampler: S) -> RecordPublisher<S> {
        RecordPublisher::new(
            ServiceName::new("geofence_service")
                .unwrap_or_else(|e| panic!("{e}"))
                .into_owned(),
            InstanceId::from_u128(7),
            Duration::from_secs(60),
            UnixTime::new(1_700_000_000, 0),
            sampler,
        )
    }

    struct Fixed;
    impl Sampler for Fixed {
        fn sample(&mut self) -> Usage {
            Usage {
                memory_mb: Some(98.5),
                cpu_percent: Some(f64::NAN),
                started: None,
            }
        }
    }

    #[test]
    fn records_every_interval_with_collectors() {
        let mut p = publisher(Fixed);
        let mut calls = 0;
        let register = p.register("active_geofences", move |_| {
            calls += 1;
            raw(&calls.to_string())
        });
        assert_eq!(register, Ok(()));
        assert_eq!(
            p.register("uptime_seconds", |_| raw("1")),
            Err(CollectorError::ReservedKey("uptime_seconds".into()))
        );
        assert_eq!(
            p.register("active_geofences", |_| raw("1")),
            Err(CollectorError::Duplicate("active_geofences".into()))
        );
        assert_eq!(p.register("broken", |_| raw(r#"{"a":1,"a":2}"#)), Ok(()));
        let t = |secs: i64| UnixTime::new(1_700_000_000 + secs, 0);
        let first = p.record_due(t(0)).unwrap_or_else(|| panic!("due at once"));
        assert_eq!(first.errors.len(), 1, "the duplicate key is refused");
        assert_eq!(
            first.record.to_string(),
            r#"{"service_name":"geofence_service","instance_id":"00000000-0000-0000-0000-000000000007","timestamp":"2023-11-14T22:13:20.000000+00:00","uptime_seconds":0.0,"heartbeat_count":1,"memory_usage_mb":98.5,"active_geofences":1}"#
        );
        assert!(p.record_due(t(59)).is_none());
        // Three intervals missed: one record, and the next on the schedule.
        let late = p.record_due(t(200)).unwrap_or_else(|| panic!("due"));
        assert_eq!(late.record.heartbeat_count(), Some(2));
        assert_eq!(p.next_deadline(), Some(t(240)));
        assert!(p.unregister("broken"));
        assert!(!p.unregister("broken"));
        assert!(p.record_due(t(240)).is_some_and(|b| b.errors.is_empty()));
        assert_eq!(p.count(), 3);
    }

    /// A sampler of a process that started 1 h before the publisher.
    struct Elder;
    impl Sampler for Elder {
        fn sample(&mut self) -> Usage {
            Usage {
                started: Some(UnixTime::new(1_700_000_000 - 3600, 0)),
                ..Usage::default()
            }
        }
    }

    #[test]
    fn members_of_one_record_and_the_uptime_of_the_measured_process() {
        let mut p = publisher(Elder);
        assert_eq!(p.register("api_status", |_| raw(r#""ok""#)), Ok(()));
        let extras = [
            ("queue_size".to_owned(), raw("1380")),
            ("api_status".to_owned(), raw(r#""authenticated""#)),
            ("heartbeat_count".to_owned(), raw("7")),
        ];
        let t = |secs: i64| UnixTime::new(1_700_000_000 + secs, 0);
        let built = p
            .record_due_with(t(30), &extras)
            .unwrap_or_else(|| panic!("due at once"));
        assert_eq!(
            built.errors.len(),
            1,
            "a key of the record's own is refused"
        );
        let text = built.record.to_string();
        assert!(
            text.ends_with(r#""uptime_seconds":3630.0,"heartbeat_count":1,"api_status":"authenticated","queue_size":1380}"#),
            "{text}"
        );
        assert!(p.record_due_with(t(31), &extras).is_none());
        let next = p.record_due(t(60)).unwrap_or_else(|| panic!("due"));
        assert!(!next.record.to_string().contains("queue_size"));
    }

    /// Keeps what was published; fails once when told to.
    #[derive(Default)]
    struct Sent {
        records: Vec<String>,
        fail_next: bool,
    }

    impl PublishRecord for Sent {
        type Error = &'static str;
        fn publish_record(&mut self, record: &Record<'_>) -> Result<(), Self::Error> {
            if std::mem::take(&mut self.fail_next) {
                return Err("redis down");
            }
            self.records.push(record.to_string());
            Ok(())
        }
    }

    #[test]
    fn due_records_go_through_a_record_publisher() {
        let mut p = publisher(NoUsage);
        let mut sent = Sent::default();
        let t = |secs: i64| UnixTime::new(1_700_000_000 + secs, 0);
        let first = p.publish_due_blocking(t(0), &mut sent);
        assert_eq!(
            first.map(|b| b.map(|b| b.record.heartbeat_count())),
            Ok(Some(Some(1)))
        );
        assert!(matches!(p.publish_due_blocking(t(30), &mut sent), Ok(None)));
        // A failed publish uses up its record: the next one is the retry.
        sent.fail_next = true;
        assert!(matches!(
            p.publish_due_blocking(t(60), &mut sent),
            Err("redis down")
        ));
        assert!(matches!(p.publish_due_blocking(t(61), &mut sent), Ok(None)));
        assert!(matches!(
            p.publish_due_blocking(t(120), &mut sent),
            Ok(Some(_))
        ));
        let counts: Vec<Option<u64>> = sent
            .records
            .iter()
            .map(|r| {
                Record::decode(r.as_bytes())
                    .ok()
                    .and_then(|r| r.heartbeat_count())
            })
            .collect();
        assert_eq!(counts, [Some(1), Some(3)], "{:?}", sent.records);
    }

    #[cfg(feature = "process-usage")]
    #[test]
    fn this_process_uses_some_memory() {
        let mut usage = ProcessUsage::new();
        let sample = usage.sample();
        // A test binary holds at least a megabyte and far less than a terabyte.
        assert!(
            sample.memory_mb.is_some_and(|mb| mb > 1.0 && mb < 1e6),
            "{sample:?}"
        );
        assert!(sample.cpu_percent.is_some_and(|c| c >= 0.0), "{sample:?}");
        let record = publisher(usage)
            .build(UnixTime::new(1_700_000_000, 0))
            .record;
        assert!(record.to_string().contains("\"memory_usage_mb\":"));
    }

    #[cfg(feature = "process-usage")]
    #[test]
    fn another_process_is_measured_until_it_exits() {
        let mut child = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .unwrap_or_else(|e| panic!("sleep: {e}"));
        let mut usage = ProcessUsage::of(child.id());
        let sample = usage.sample();
        assert!(usage.running());
        assert!(sample.memory_mb.is_some_and(|mb| mb > 0.0), "{sample:?}");
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let started = sample.started.map_or(0, |s| s.secs());
        assert!(
            started.abs_diff(i64::try_from(now).unwrap_or(0)) <= 2,
            "{sample:?}"
        );
        let _ = child.kill();
        let _ = child.wait();
        let gone = usage.sample();
        assert!(!usage.running());
        assert_eq!(gone, Usage::default());
    }
}
