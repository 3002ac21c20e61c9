//! The JSON liveness record (`spec/record.md`).

use schemars::JsonSchema;

use super::common::Timestamp;

/// # Liveness record
///
/// A JSON liveness record, as services publish it on Redis/Valkey channels
/// (`health:<service_name>` or `health:service:<service_name>:heartbeat`) to say they
/// are alive (spec/record.md). Members may come in any order; any member not listed here
/// is an extra member, kept verbatim.
#[derive(JsonSchema)]
#[schemars(extend("additionalProperties" = true), extend("examples" = [{
    "service_name": "tracker_fetcher",
    "instance_id": "a1b2c3d4-e5f6-7890-abcd-ef1234567890",
    "timestamp": "2025-01-16T08:30:00.123456+00:00",
    "uptime_seconds": 3600.5,
    "heartbeat_count": 120,
    "memory_usage_mb": 156.3,
    "cpu_usage_percent": 12.5,
    "queue_size": 0
}]))]
pub struct Record {
    /// The service's name: 1 to 128 ASCII letters, digits, `_` and `-` (spec/record.md §3),
    /// so that it is one inert token in a channel on every broker.
    #[schemars(regex(pattern = r"^[A-Za-z0-9_-]{1,128}$"))]
    pub service_name: String,
    /// This run of the service: a UUID in lower-case text form, made when the publisher
    /// starts (spec/record.md §4.3). Any version and variant.
    #[schemars(
        regex(pattern = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"),
        extend("format" = "uuid")
    )]
    pub instance_id: String,
    /// When the publisher built the record, by its own clock (spec/record.md §4.4).
    pub timestamp: Timestamp,
    /// Seconds since the instance started; not negative. `null` means not reported.
    #[schemars(range(min = 0))]
    pub uptime_seconds: Option<f64>,
    /// How many records this instance has sent, this one included: an integer from 0 to
    /// 2^64 - 1 written as digits. `null` means not reported.
    #[schemars(range(min = 0, max = 18446744073709551615_u64))]
    pub heartbeat_count: Option<u64>,
    /// The instance's memory in megabytes; not negative. `null` means not reported.
    #[schemars(range(min = 0))]
    pub memory_usage_mb: Option<f64>,
    /// The instance's CPU use in percent of one core (250 is two and a half cores); not
    /// negative, no upper bound. `null` means not reported.
    #[schemars(range(min = 0))]
    pub cpu_usage_percent: Option<f64>,
}
