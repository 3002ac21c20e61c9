//! The canonical JSON form of a beatit text message (`spec/text.md` §9).
//!
//! One object type per signal, each naming all of its members (`format`, `process`,
//! `signal` and its number) and no others, so that a generator sees every member of
//! every branch and `signal` as the discriminator.

use schemars::JsonSchema;

/// # beatit message, canonical JSON form
///
/// A decoded beatit message (subject `heartbeat.<process>`, payload `start/60`, `beat/5`,
/// `degraded/5` or `stop`) in the JSON form heartwire's tools and the conformance
/// harness use (spec/text.md §9): `format`, `process`, `signal`, and `warmup` for start or
/// `period` for beat and degraded, in seconds. Exactly these members; `signal` says
/// which of the four it is.
#[derive(JsonSchema)]
#[schemars(
    untagged,
    extend("type" = "object"),
    extend("examples" = [
        {"format": "text", "process": "my.process", "signal": "beat", "period": 5},
        {"format": "text", "process": "my.process", "signal": "start", "warmup": 60},
        {"format": "text", "process": "my.process", "signal": "degraded", "period": 0.5},
        {"format": "text", "process": "my.process", "signal": "stop"}
    ])
)]
pub enum TextMessage {
    /// `signal` `start`.
    Start(TextStart),
    /// `signal` `beat`.
    Beat(TextBeat),
    /// `signal` `degraded`.
    Degraded(TextDegraded),
    /// `signal` `stop`.
    Stop(TextStop),
}

/// # TextStart
///
/// The process is starting; its first beat comes within `warmup` seconds.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct TextStart {
    /// Always `text`.
    pub format: TextFormat,
    /// The process name.
    pub process: ProcessName,
    /// `start`.
    #[schemars(extend("const" = "start"))]
    pub signal: String,
    /// Seconds until the first beat.
    pub warmup: Seconds,
}

/// # TextBeat
///
/// The process is alive; the next signal comes within `period` seconds.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct TextBeat {
    /// Always `text`.
    pub format: TextFormat,
    /// The process name.
    pub process: ProcessName,
    /// `beat`.
    #[schemars(extend("const" = "beat"))]
    pub signal: String,
    /// Seconds until the next signal.
    pub period: Seconds,
}

/// # TextDegraded
///
/// The process is alive but degraded; the next signal comes within `period` seconds.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct TextDegraded {
    /// Always `text`.
    pub format: TextFormat,
    /// The process name.
    pub process: ProcessName,
    /// `degraded`.
    #[schemars(extend("const" = "degraded"))]
    pub signal: String,
    /// Seconds until the next signal.
    pub period: Seconds,
}

/// # TextStop
///
/// The process stopped on purpose; it is never declared dead.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct TextStop {
    /// Always `text`.
    pub format: TextFormat,
    /// The process name.
    pub process: ProcessName,
    /// `stop`.
    #[schemars(extend("const" = "stop"))]
    pub signal: String,
}

/// # TextFormat
///
/// The format tag of the canonical JSON form: always `text`.
#[derive(JsonSchema)]
pub struct TextFormat(#[schemars(extend("const" = "text"))] pub String);

/// # ProcessName
///
/// A beatit process name: tokens of ASCII letters, digits, `_` and `-`, separated by
/// single dots, at most 245 bytes (spec/text.md §3, §7).
#[derive(JsonSchema)]
pub struct ProcessName(
    #[schemars(
        regex(pattern = r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$"),
        length(max = 245)
    )]
    pub String,
);

/// # Seconds
///
/// A duration in seconds, exact to the nanosecond: more than 0, at most 10^9
/// (spec/text.md §5). Written canonically without exponent or trailing zeros (`5`, `0.5`,
/// `0.00001`).
#[derive(JsonSchema)]
pub struct Seconds(#[schemars(range(max = 1_000_000_000), extend("exclusiveMinimum" = 0))] pub f64);
