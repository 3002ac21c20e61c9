//! The body of `heartwire monitor --alert-webhook` (`spec/alerts.md` §3): one POST per
//! state change that matters, with the event line of `spec/liveness.md` §7 inside.

use schemars::JsonSchema;

use super::common::{Timestamp, never_null};
use super::liveness::{ReasonName, SourceName, StateName};

/// # Alert
///
/// What `heartwire monitor --alert-webhook URL` POSTs (as `application/json`) when a
/// process changes to a state that matters (spec/alerts.md): the change, the same
/// members as the monitor's `changed` event line, with an id that is the same for every
/// attempt and every restart of the monitor, so that a receiver can drop a second copy.
/// Receivers ignore members they do not know: later versions of the body may add some.
#[derive(JsonSchema)]
#[schemars(extend("examples" = [{
    "version": 1,
    "id": "5d0c1c1fb1b5e8f07a9e2f3c4b6d8a10",
    "kind": "down",
    "host": "ops-1",
    "monitor": "heartwire 0.1.0",
    "text": "billing.worker-1 (text) is dead: silent (was late), at 2024-01-01T00:00:15.000Z",
    "event": {
        "event": "changed", "source": "text", "process": "billing.worker-1",
        "old": "late", "new": "dead", "reason": "silent", "at": "2024-01-01T00:00:15.000Z"
    }
}]))]
pub struct Alert {
    /// The body's version: 1. A receiver refuses a version it does not know.
    #[schemars(extend("const" = 1))]
    pub version: u8,
    /// The change's id: 32 lowercase hexadecimal digits (128 bits of a SHA-256 of the
    /// process's source and name, the new state and the instant), the same on every
    /// attempt and after a restart. Two bodies with one id are one alert.
    #[schemars(regex(pattern = r"^[0-9a-f]{32}$"))]
    pub id: String,
    /// `down` for a change to a state the monitor alerts on (`dead`, `failed`, and what
    /// `--alert-on` adds), `up` for a process back alive after a `down` alert.
    pub kind: AlertKind,
    /// The host name of the machine the monitor runs on.
    pub host: String,
    /// The program that sent it: `heartwire <version>`.
    #[schemars(regex(pattern = r"^heartwire [0-9]+\.[0-9]+\.[0-9]+.*$"))]
    pub monitor: String,
    /// One line for people: the process, its source, its new state, why, the state
    /// before and the instant.
    #[schemars(length(min = 1))]
    pub text: String,
    /// The change, as the monitor's `changed` event line (spec/liveness.md §7).
    pub event: AlertEvent,
}

/// Whether the process went down or came back.
#[derive(JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum AlertKind {
    /// A change to a state the monitor alerts on.
    Down,
    /// Back alive after a `down` alert.
    Up,
}

/// # Changed event
///
/// A process changed state (spec/liveness.md §7): the monitor's event line.
#[derive(JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(extend(
    "if" = {"properties": {"reason": {"const": "exit"}}},
    "then" = {"properties": {"exit_status": true}, "required": ["exit_status"]},
    "else" = {"not": {"properties": {"exit_status": true}, "required": ["exit_status"]}}
))]
pub struct AlertEvent {
    /// Always `changed`.
    #[schemars(extend("const" = "changed"))]
    pub event: String,
    /// Where the process is known from.
    pub source: SourceName,
    /// Its name.
    #[schemars(length(min = 1))]
    pub process: String,
    /// The state before (`null` when first seen).
    pub old: Option<StateName>,
    /// The state after.
    pub new: StateName,
    /// Why (spec/liveness.md §7).
    pub reason: ReasonName,
    /// The exit status a ping reported, for reason `exit` only (1 to 255).
    #[schemars(transform = never_null, range(min = 1, max = 255))]
    pub exit_status: Option<u8>,
    /// The instant of the change, in UTC to the millisecond.
    pub at: Timestamp,
}
