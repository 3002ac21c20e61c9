//! What the receiver acknowledged, as a write-ahead journal keeps it: [`Accepted`] is
//! handed to the embedding program's journal ([`Receiver::journal`](crate::Receiver::journal))
//! before the answer is sent, and applied again to a restored engine by
//! [`Accepted::apply`], so that nothing acknowledged is lost to a crash
//! (`spec/http.md` §5.9).

use std::fmt;
use std::time::Duration;

use heartwire::schedule::{Cron, Rate};
use heartwire::text::{Message, Process};
use heartwire::time::UnixTime;
use heartwire_liveness::{
    MAX_PING_GRACE, Monitor, PingOutcome, PingSchedule, Rejected, RunId, Source,
};
use serde_json::{Value, json};

/// One acknowledged change of the engine, as the receiver applied it.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Accepted {
    /// A ping: the schedule it registered, if it registered one, then its outcome.
    Ping {
        /// The process.
        process: Process<'static>,
        /// The schedule registered by this ping (new name, new period, offset or
        /// grace).
        registered: Option<Registration>,
        /// What the ping said.
        outcome: PingOutcome,
        /// Its run id.
        rid: Option<RunId>,
        /// When it was received.
        at: UnixTime,
    },
    /// beatit messages POSTed to `/beat`, those the engine took.
    Beats {
        /// The messages.
        messages: Vec<Message<'static>>,
        /// When they were received.
        at: UnixTime,
    },
    /// `DELETE /ping/<name>`.
    Forget {
        /// The process.
        process: Process<'static>,
    },
}

/// A ping process's schedule as a ping registered it
/// ([`Monitor::expect_ping_schedule`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Registration {
    /// A rate or a cron schedule in its time zone.
    pub schedule: PingSchedule,
    /// Where interval rates count from.
    pub anchor: UnixTime,
    /// The process's own grace; `None`: the engine's configured one.
    pub grace: Option<Duration>,
}

/// A journal line that is not an [`Accepted`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalError(String);

impl fmt::Display for JournalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "not a journal entry: {}", self.0)
    }
}

impl std::error::Error for JournalError {}

fn time(at: UnixTime) -> Value {
    json!([at.secs(), at.subsec_nanos()])
}

impl Accepted {
    /// One line of JSON (no line break in it).
    pub fn to_line(&self) -> String {
        let value = match self {
            Accepted::Ping {
                process,
                registered,
                outcome,
                rid,
                at,
            } => {
                let mut value = json!({
                    "ping": process.as_str(),
                    "rate": registered
                        .as_ref()
                        .and_then(|r| r.schedule.rate())
                        .map(|rate| rate.to_string()),
                    "anchor": registered.as_ref().map(|r| time(r.anchor)),
                    "kind": outcome.kind(),
                    "exit_status": outcome.exit_status(),
                    "rid": rid.as_ref().map(RunId::as_str),
                    "at": time(*at),
                });
                // Members added since the first journals, only when they are used.
                if let Some(r) = registered {
                    if let Some(cron) = r.schedule.as_cron() {
                        value["cron"] = cron.expression().into();
                        value["tz"] = cron.time_zone().into();
                    }
                    if let Some(grace) = r.grace {
                        value["grace"] = time(UnixTime::new(
                            i64::try_from(grace.as_secs()).unwrap_or(i64::MAX),
                            grace.subsec_nanos(),
                        ));
                    }
                }
                value
            }
            Accepted::Beats { messages, at } => json!({
                "beats": messages.iter().map(ToString::to_string).collect::<Vec<_>>(),
                "at": time(*at),
            }),
            Accepted::Forget { process } => json!({ "forget": process.as_str() }),
        };
        value.to_string()
    }

    /// Reads a line [`Accepted::to_line`] wrote.
    pub fn from_line(line: &[u8]) -> Result<Accepted, JournalError> {
        let bad = |what: &str| JournalError(what.to_owned());
        let value: Value = serde_json::from_slice(line).map_err(|e| bad(&e.to_string()))?;
        let time = |v: &Value| -> Result<UnixTime, JournalError> {
            let secs = v
                .get(0)
                .and_then(Value::as_i64)
                .ok_or_else(|| bad("a time"))?;
            let nanos = v
                .get(1)
                .and_then(Value::as_u64)
                .and_then(|n| u32::try_from(n).ok())
                .filter(|n| *n < 1_000_000_000)
                .ok_or_else(|| bad("a time"))?;
            Ok(UnixTime::new(secs, nanos))
        };
        let process = |v: &Value| -> Result<Process<'static>, JournalError> {
            let name = v.as_str().ok_or_else(|| bad("a process name"))?;
            Process::new(name)
                .map(Process::into_owned)
                .map_err(|e| bad(&e.to_string()))
        };
        if let Some(name) = value.get("forget") {
            return Ok(Accepted::Forget {
                process: process(name)?,
            });
        }
        let at = time(value.get("at").ok_or_else(|| bad("a time"))?)?;
        if let Some(lines) = value.get("beats") {
            let messages = lines
                .as_array()
                .ok_or_else(|| bad("beats"))?
                .iter()
                .map(|line| {
                    let line = line.as_str().ok_or_else(|| bad("a beat"))?;
                    Message::decode_line(line.as_bytes())
                        .map(Message::into_owned)
                        .map_err(|e| bad(&e.to_string()))
                })
                .collect::<Result<Vec<_>, _>>()?;
            return Ok(Accepted::Beats { messages, at });
        }
        let name = value.get("ping").ok_or_else(|| bad("an entry kind"))?;
        let schedule = match (value.get("rate"), value.get("cron")) {
            (_, Some(Value::String(cron))) => {
                let tz = value.get("tz").and_then(Value::as_str).unwrap_or("UTC");
                let cron = Cron::with_time_zone(cron, tz).map_err(|e| bad(&e.to_string()))?;
                Some(PingSchedule::cron(cron))
            }
            (Some(Value::String(rate)), _) => Some(PingSchedule::Rate(
                rate.parse::<Rate>().map_err(|_| bad("a rate"))?,
            )),
            _ => None,
        };
        let registered = match (schedule, value.get("anchor")) {
            (Some(schedule), Some(anchor)) => {
                let grace = match value.get("grace") {
                    None | Some(Value::Null) => None,
                    Some(grace) => {
                        let grace = time(grace)?;
                        let grace = u64::try_from(grace.secs())
                            .ok()
                            .map(|secs| Duration::new(secs, grace.subsec_nanos()))
                            .filter(|g| *g <= MAX_PING_GRACE)
                            .ok_or_else(|| bad("a grace of at most 7 days"))?;
                        Some(grace)
                    }
                };
                Some(Registration {
                    schedule,
                    anchor: time(anchor)?,
                    grace,
                })
            }
            _ => None,
        };
        let exit_status = value
            .get("exit_status")
            .and_then(Value::as_u64)
            .map(|s| u8::try_from(s).map_err(|_| bad("an exit status")))
            .transpose()?;
        let kind = value.get("kind").and_then(Value::as_str).unwrap_or("");
        let outcome =
            PingOutcome::from_parts(kind, exit_status).ok_or_else(|| bad("a ping outcome"))?;
        let rid = match value.get("rid").and_then(Value::as_str) {
            Some(rid) => Some(RunId::new(rid).map_err(|e| bad(&e.to_string()))?),
            None => None,
        };
        Ok(Accepted::Ping {
            process: process(name)?,
            registered,
            outcome,
            rid,
            at,
        })
    }

    /// Applies it to `monitor` as the receiver did: on a restored engine, what was
    /// acknowledged after its snapshot.
    pub fn apply(&self, monitor: &mut Monitor) -> Result<(), Rejected> {
        match self {
            Accepted::Ping {
                process,
                registered,
                outcome,
                rid,
                at,
            } => {
                if let Some(r) = registered {
                    monitor.expect_ping_schedule(
                        process,
                        r.schedule.clone(),
                        r.anchor,
                        r.grace,
                        *at,
                    )?;
                }
                monitor
                    .observe_ping_outcome(process, *outcome, rid.clone(), *at)
                    .map(drop)
            }
            Accepted::Beats { messages, at } => {
                for message in messages {
                    monitor.observe_text(message, *at)?;
                }
                Ok(())
            }
            Accepted::Forget { process } => {
                monitor.forget(Source::Ping, process.as_str());
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn process(name: &str) -> Process<'static> {
        Process::new(name)
            .map(Process::into_owned)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn entries_round_trip_through_their_lines() {
        let at = UnixTime::new(1_700_000_000, 123_456_789);
        let entries = [
            Accepted::Ping {
                process: process("backup"),
                registered: Some(Registration {
                    schedule: PingSchedule::Rate("Minutes(5)".parse().unwrap_or_else(|_| panic!())),
                    anchor: UnixTime::new(900, 0),
                    grace: None,
                }),
                outcome: PingOutcome::Exit(3),
                rid: RunId::new("run-1").ok(),
                at,
            },
            Accepted::Ping {
                process: process("report"),
                registered: Some(Registration {
                    schedule: PingSchedule::cron(
                        Cron::with_time_zone("0 9 * * 1-5", "Europe/Paris")
                            .unwrap_or_else(|e| panic!("{e}")),
                    ),
                    anchor: UnixTime::EPOCH,
                    grace: Some(Duration::from_secs(600)),
                }),
                outcome: PingOutcome::Success,
                rid: None,
                at,
            },
            Accepted::Ping {
                process: process("backup"),
                registered: Some(Registration {
                    schedule: PingSchedule::Rate("Hours(1)".parse().unwrap_or_else(|_| panic!())),
                    anchor: UnixTime::EPOCH,
                    grace: Some(Duration::new(90, 500)),
                }),
                outcome: PingOutcome::Success,
                rid: None,
                at,
            },
            Accepted::Ping {
                process: process("backup"),
                registered: None,
                outcome: PingOutcome::Start,
                rid: None,
                at,
            },
            Accepted::Beats {
                messages: vec![
                    Message::decode_line(b"heartbeat.api beat/5")
                        .map(Message::into_owned)
                        .unwrap_or_else(|e| panic!("{e}")),
                ],
                at,
            },
            Accepted::Forget {
                process: process("backup"),
            },
        ];
        for entry in entries {
            let line = entry.to_line();
            assert!(!line.contains('\n'));
            assert_eq!(Accepted::from_line(line.as_bytes()), Ok(entry), "{line}");
        }
        assert!(Accepted::from_line(b"{}").is_err());
        // A line of a journal written before cron schedules and graces.
        let old = br#"{"anchor":[900,0],"at":[1700000000,5],"exit_status":null,"kind":"success","ping":"backup","rate":"Minutes(5)","rid":null}"#;
        let Ok(Accepted::Ping {
            registered: Some(r),
            ..
        }) = Accepted::from_line(old)
        else {
            panic!("an old line parses")
        };
        assert_eq!(
            (r.schedule.rate(), r.anchor, r.grace),
            ("Minutes(5)".parse().ok(), UnixTime::new(900, 0), None)
        );
        // A cron line reads as one, and a bad zone or grace is refused.
        let line = br#"{"anchor":[0,0],"at":[0,0],"kind":"success","ping":"a","rate":null,"cron":"*/5 * * * *","tz":"Europe/Paris","grace":[60,0]}"#;
        assert!(Accepted::from_line(line).is_ok());
        for bad in [
            br#"{"anchor":[0,0],"at":[0,0],"kind":"success","ping":"a","cron":"*/5 * * * *","tz":"Nowhere"}"#.as_slice(),
            br#"{"anchor":[0,0],"at":[0,0],"kind":"success","ping":"a","cron":"*/5 * * *"}"#,
            br#"{"anchor":[0,0],"at":[0,0],"kind":"success","ping":"a","rate":"Hours(1)","grace":[604801,0]}"#,
        ] {
            assert!(Accepted::from_line(bad).is_err(), "{}", String::from_utf8_lossy(bad));
        }
        assert!(
            Accepted::from_line(b"{\"ping\":\"a b\",\"at\":[0,0],\"kind\":\"success\"}").is_err()
        );
    }
}
