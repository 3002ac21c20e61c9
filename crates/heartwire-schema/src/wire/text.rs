//! The canonical JSON form of a beatit text message (`spec/text.md` §9).

use schemars::JsonSchema;

/// # beatit message, canonical JSON form
///
/// A decoded beatit message (subject `heartbeat.<process>`, payload `start/60`, `beat/5`,
/// `degraded/5` or `stop`) in the JSON form heartwire's tools and the conformance
/// harness use (spec/text.md §9): `format`, `process`, `signal`, and `warmup` for start or
/// `period` for beat and degraded, in seconds. Exactly these members.
#[derive(JsonSchema)]
#[schemars(
    deny_unknown_fields,
    extend("examples" = [
        {"format": "text", "process": "my.process", "signal": "beat", "period": 5},
        {"format": "text", "process": "my.process", "signal": "start", "warmup": 60},
        {"format": "text", "process": "my.process", "signal": "degraded", "period": 0.5},
        {"format": "text", "process": "my.process", "signal": "stop"}
    ])
)]
pub struct TextMessage {
    /// Always `text`.
    pub format: TextFormat,
    /// The process name: tokens of ASCII letters, digits, `_` and `-`, separated by
    /// single dots, at most 245 bytes (spec/text.md §3, §7).
    #[schemars(
        regex(pattern = r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$"),
        length(max = 245)
    )]
    pub process: String,
    /// The signal and its number.
    #[schemars(flatten)]
    pub signal: TextSignal,
}

/// The format tag of the canonical JSON form.
#[derive(JsonSchema)]
#[schemars(rename_all = "lowercase")]
pub enum TextFormat {
    /// The beatit text convention.
    Text,
}

/// The signal word (spec/text.md §4.2) and the number it carries.
#[derive(JsonSchema)]
#[schemars(tag = "signal", rename_all = "lowercase")]
pub enum TextSignal {
    /// The process is starting; its first beat comes within `warmup` seconds.
    Start {
        /// Seconds until the first beat.
        warmup: Seconds,
    },
    /// The process is alive; the next signal comes within `period` seconds.
    Beat {
        /// Seconds until the next signal.
        period: Seconds,
    },
    /// The process is alive but degraded; the next signal comes within `period` seconds.
    Degraded {
        /// Seconds until the next signal.
        period: Seconds,
    },
    /// The process stopped on purpose; it is never declared dead.
    Stop,
}

/// # Seconds
///
/// A duration in seconds, exact to the nanosecond: more than 0, at most 10^9
/// (spec/text.md §5). Written canonically without exponent or trailing zeros (`5`, `0.5`,
/// `0.00001`).
#[derive(JsonSchema)]
pub struct Seconds(#[schemars(range(max = 1_000_000_000), extend("exclusiveMinimum" = 0))] pub f64);
