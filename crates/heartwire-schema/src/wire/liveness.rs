//! The scenario file of the liveness engine's vectors (`spec/liveness.md` §9,
//! `spec/vectors/liveness.json`).
//!
//! Its cases are not one input and one output, as those of the wire-format suites are,
//! but a timeline of observations and polls and the events they must give, so it has a
//! schema of its own beside `vectors`.

use std::collections::BTreeMap;

use schemars::JsonSchema;

use super::common::{NonEmptyString, Timestamp, never_null};

/// # Liveness vector file
///
/// The liveness engine's conformance scenarios (spec/liveness.md §9): each case drives a
/// monitor through timed steps (beatit messages, records, commands, ping registrations,
/// pings with their outcomes, MQTT wills and polls) and lists every event the polls must
/// return, the final state of every process and what ping processes' last pings said.
/// Part of the suite of `heartwire verify` (spec/harness.md §1, §11): its cases have the
/// format `liveness` and the operation `run`, one scenario each. Versioned on its own
/// (semver), with its own, more precise schema than `vectors`.
#[derive(JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(extend("examples" = [{
    "suite": "heartwire-liveness",
    "version": "1.3.0",
    "spec": "spec/liveness.md",
    "spec_version": "1.4.0",
    "format": "liveness",
    "cases": [{
        "id": "liveness.text.late-then-dead",
        "description": "beat/5: late at 1.5 periods and dead at 3",
        "section": "3.1",
        "operation": "run",
        "input": {"steps": [
            {"at": "2024-01-01T00:00:00Z", "text": "heartbeat.billing.worker-1 beat/5"},
            {"at": "2024-01-01T00:00:15Z", "poll": true}
        ]},
        "expect": {
            "events": [
                {"event": "changed", "source": "text", "process": "billing.worker-1",
                 "old": null, "new": "alive", "reason": "beat", "at": "2024-01-01T00:00:00Z"},
                {"event": "changed", "source": "text", "process": "billing.worker-1",
                 "old": "alive", "new": "late", "reason": "overdue", "at": "2024-01-01T00:00:07.5Z"},
                {"event": "changed", "source": "text", "process": "billing.worker-1",
                 "old": "late", "new": "dead", "reason": "silent", "at": "2024-01-01T00:00:15Z"}
            ],
            "states": {"text:billing.worker-1": "dead"}
        }
    }]
}]))]
pub struct LivenessVectorFile {
    /// The suite's name.
    #[schemars(extend("const" = "heartwire-liveness"))]
    pub suite: String,
    /// The file's version (semver): a new case is a minor change, a changed expectation a
    /// major one.
    #[schemars(regex(pattern = r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$"))]
    pub version: String,
    /// The chapter the cases test.
    #[schemars(extend("const" = "spec/liveness.md"))]
    pub spec: String,
    /// The version of that chapter.
    #[schemars(regex(pattern = r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$"))]
    pub spec_version: String,
    /// Always `liveness`.
    #[schemars(extend("const" = "liveness"))]
    pub format: String,
    /// The scenarios, in no particular order.
    pub cases: Vec<Scenario>,
}

/// One scenario: a monitor, a timeline, and what it must report.
#[derive(JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// The stable id: `liveness.<area>.<name>` (one early case is `liveness.stall`);
    /// never reused for another case.
    #[schemars(regex(pattern = r"^liveness(\.[a-z0-9-]+)+$"))]
    pub id: String,
    /// What the case shows, in one line.
    #[schemars(length(min = 1))]
    pub description: String,
    /// The section of spec/liveness.md it tests (`6.2`).
    #[schemars(regex(pattern = r"^[0-9]+(\.[0-9]+)?$"))]
    pub section: String,
    /// Always `run`: the steps in order.
    #[schemars(extend("const" = "run"))]
    pub operation: String,
    /// The monitor's configuration and the timeline.
    pub input: ScenarioInput,
    /// Every event the polls return, and the states at the end.
    pub expect: ScenarioExpect,
}

/// The monitor's configuration and the timeline of a scenario.
#[derive(JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScenarioInput {
    /// Changes to the defaults of spec/liveness.md; absent: the defaults.
    #[schemars(transform = never_null)]
    pub config: Option<ScenarioConfig>,
    /// The steps, each at its instant, in order.
    #[schemars(length(min = 1))]
    pub steps: Vec<Step>,
}

/// What a scenario changes of the monitor's defaults.
#[derive(JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScenarioConfig {
    /// How long after it was due a poll is a stall of the monitor (§6.2), in seconds
    /// (default 5).
    #[schemars(transform = never_null, range(min = 1))]
    pub stall_after_secs: Option<u64>,
    /// The interval records are judged by (§3.2), in seconds (default 60).
    #[schemars(transform = never_null, range(min = 1))]
    pub record_interval_secs: Option<u64>,
    /// The Reventless disconnect rule (§3.3): `scaled` (`N + max(2, N/2)`, the default)
    /// or `fixed` (`N + 2`, older code).
    #[schemars(transform = never_null)]
    pub grace_rule: Option<GraceRule>,
    /// The most processes tracked (§5.4).
    #[schemars(transform = never_null, range(min = 1))]
    pub max_processes: Option<u64>,
    /// The most observations accepted per process per second (§5.4).
    #[schemars(transform = never_null, range(min = 1, max = 65535))]
    pub max_beats_per_second: Option<u64>,
}

/// The Reventless disconnect rule.
#[derive(JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum GraceRule {
    /// `N + max(2, N/2)` minutes.
    Scaled,
    /// `N + 2` minutes.
    Fixed,
}

/// One step of a timeline: exactly one observation, registration or poll, at `at`.
#[derive(JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(extend("oneOf" = [
    {"properties": {"text": true}, "required": ["text"]},
    {"properties": {"record": true}, "required": ["record"]},
    {"properties": {"command": true}, "required": ["command"]},
    {"properties": {"expect_pings": true}, "required": ["expect_pings"]},
    {"properties": {"ping": true}, "required": ["ping"]},
    {"properties": {"gone": true}, "required": ["gone"]},
    {"properties": {"poll": true}, "required": ["poll"], "not": {"properties": {"rejected": true}, "required": ["rejected"]}}
]), extend("dependentRequired" = {"outcome": ["ping"], "rid": ["ping"]}))]
pub struct Step {
    /// The instant of the step: the receive time of an observation, the time of a poll.
    pub at: Timestamp,
    /// A beatit message in line form (`heartbeat.<process> <payload>`).
    #[schemars(transform = never_null, length(min = 1))]
    pub text: Option<String>,
    /// A liveness record document (spec/record.md).
    #[schemars(transform = never_null)]
    pub record: Option<BTreeMap<String, serde_json::Value>>,
    /// A command envelope document (spec/command.md).
    #[schemars(transform = never_null)]
    pub command: Option<BTreeMap<String, serde_json::Value>>,
    /// A ping schedule registered (§3.4).
    #[schemars(transform = never_null)]
    pub expect_pings: Option<PingRegistration>,
    /// An HTTP ping of this process.
    #[schemars(transform = never_null)]
    pub ping: Option<NonEmptyString>,
    /// What the ping said (§3.4); absent: a success.
    #[schemars(transform = never_null)]
    pub outcome: Option<PingOutcome>,
    /// The run id of the ping: 1 to 64 bytes of visible ASCII (§3.4).
    #[schemars(transform = never_null, regex(pattern = r"^[!-~]{1,64}$"))]
    pub rid: Option<String>,
    /// The MQTT Last Will of this beatit process (spec/transports.md).
    #[schemars(transform = never_null)]
    pub gone: Option<NonEmptyString>,
    /// A poll: the events since the previous poll are collected.
    #[schemars(transform = never_null, extend("const" = true))]
    pub poll: Option<bool>,
    /// The observation must be rejected, for this reason; absent: it must be accepted.
    #[schemars(transform = never_null)]
    pub rejected: Option<RejectionCode>,
}

/// A ping schedule: a process name, a rate of spec/schedule.md, and where interval rates
/// count from.
#[derive(JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PingRegistration {
    /// The process.
    #[schemars(length(min = 1))]
    pub name: String,
    /// The rate in its string form (`Minutes(5)`, `Daily(9,0)`).
    #[schemars(length(min = 1))]
    pub rate: String,
    /// The instant interval rates count from (truncated to its minute); absent: the
    /// epoch.
    #[schemars(transform = never_null)]
    pub anchor: Option<Timestamp>,
}

/// What a ping said (spec/liveness.md §3.4, spec/http.md §5.1): its kind, or the exit
/// status a job ended with (0 is a success, 1 to 255 a failure).
#[derive(JsonSchema)]
#[schemars(untagged)]
pub enum PingOutcome {
    /// `success`, `start`, `log` or `fail`.
    Kind(PingKind),
    /// An exit status.
    ExitStatus(#[schemars(range(min = 0, max = 255))] u8),
}

/// The kind of a ping.
#[derive(JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum PingKind {
    /// The job succeeded, or the pinger is alive.
    Success,
    /// A run began.
    Start,
    /// A run goes on.
    Log,
    /// The job failed.
    Fail,
}

/// What the last ping of a ping process said, at the end of a scenario (§3.4).
#[derive(JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LastPing {
    /// Its kind (a non-zero exit status is a `fail`, 0 a `success`).
    pub last_ping: PingKind,
    /// Its exit status, when it had one.
    #[schemars(transform = never_null, range(min = 0, max = 255))]
    pub exit_status: Option<u8>,
    /// Its run id, when it had one.
    #[schemars(transform = never_null, regex(pattern = r"^[!-~]{1,64}$"))]
    pub rid: Option<String>,
}

/// Why the engine rejects an observation (spec/liveness.md §5).
#[derive(JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RejectionCode {
    /// The name is longer than a process name may be.
    NameTooLong,
    /// The cap on tracked processes is reached.
    TooManyProcesses,
    /// The cap on observations per process per second is reached.
    RateLimited,
    /// Earlier than the last accepted observation of the process.
    OutOfOrder,
    /// The same record timestamp as the last accepted one.
    Duplicate,
    /// A record more than 5 s ahead of its receive time.
    FutureDated,
    /// A command that is not a Heartbeat.
    NotAHeartbeat,
    /// A ping of a process with no ping schedule.
    NotRegistered,
}

/// What a scenario must report.
#[derive(JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScenarioExpect {
    /// Every event the polls returned, in order.
    pub events: Vec<ExpectedEvent>,
    /// The state of every process at the end, keyed `<source>:<name>`; no other process
    /// is tracked.
    #[schemars(extend("propertyNames" = {"pattern": "^(text|record|command|ping):.+$"}))]
    pub states: BTreeMap<String, StateName>,
    /// What the last ping of ping processes said at the end, by process name; absent:
    /// not checked.
    #[schemars(transform = never_null)]
    pub pings: Option<BTreeMap<String, LastPing>>,
}

/// An event of spec/liveness.md §7.
#[derive(JsonSchema)]
#[serde(tag = "event", rename_all = "lowercase", deny_unknown_fields)]
pub enum ExpectedEvent {
    /// A process changed state.
    #[schemars(extend(
        "if" = {"properties": {"reason": {"const": "exit"}}},
        "then" = {"properties": {"exit_status": true}, "required": ["exit_status"]},
        "else" = {"not": {"properties": {"exit_status": true}, "required": ["exit_status"]}}
    ))]
    Changed {
        /// Where the process is known from.
        source: SourceName,
        /// Its name.
        process: String,
        /// The state before (`null` when first seen).
        old: Option<StateName>,
        /// The state after.
        new: StateName,
        /// Why (§7).
        reason: ReasonName,
        /// The exit status a ping reported, for reason `exit` only (1 to 255).
        #[schemars(transform = never_null, range(min = 1, max = 255))]
        exit_status: Option<u8>,
        /// The instant of the change.
        at: Timestamp,
    },
    /// A poll was overdue: nobody was convicted for the gap.
    Stalled {
        /// The previous poll.
        from: Timestamp,
        /// This poll.
        to: Timestamp,
    },
    /// A cap rejected an observation.
    Capped {
        /// `processes` or `rate`.
        cap: CapName,
        /// Where the process is known from.
        source: SourceName,
        /// The process.
        process: String,
        /// The observation's time.
        at: Timestamp,
    },
}

/// Where a process is known from.
#[derive(JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum SourceName {
    /// beatit text.
    Text,
    /// Liveness records.
    Record,
    /// Reventless commands.
    Command,
    /// HTTP pings.
    Ping,
}

/// A cap of §5.4.
#[derive(JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum CapName {
    /// The cap on tracked processes.
    Processes,
    /// The cap on observations per process per second.
    Rate,
}

/// A process's state (§2).
#[derive(JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum StateName {
    /// Started, within its warm-up.
    Starting,
    /// Heard from within its deadline.
    Alive,
    /// Alive, but says it is degraded.
    Degraded,
    /// Past its deadline.
    Late,
    /// Silent past the tolerance.
    Dead,
    /// Stopped gracefully.
    Stopped,
    /// A Reventless plugin past its grace.
    Disconnected,
    /// A ping process that reported a failure.
    Failed,
}

/// Why a state changed (§7).
#[derive(JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ReasonName {
    /// A beatit `start`.
    Start,
    /// A beatit `beat`.
    Beat,
    /// A beatit `degraded`.
    Degraded,
    /// A beatit `stop`.
    Stop,
    /// A liveness record.
    Record,
    /// A Reventless Heartbeat command.
    Heartbeat,
    /// A Reventless ConnectPlugin command.
    Connect,
    /// A Reventless DisconnectPlugin command.
    Disconnect,
    /// An HTTP ping.
    Ping,
    /// A ping schedule was registered.
    Registered,
    /// A deadline passed.
    Overdue,
    /// Silent past the tolerance.
    Silent,
    /// A scheduled ping is missing.
    Missed,
    /// The Reventless grace passed.
    Grace,
    /// An adaptive detector suspects the process.
    Suspected,
    /// An adaptive detector convicted the process.
    Convicted,
    /// The MQTT Last Will of the process came.
    Gone,
    /// A ping said the job failed (`/fail`).
    Failed,
    /// A ping gave a non-zero exit status (in the event's `exit_status`).
    Exit,
}
