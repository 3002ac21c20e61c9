//! The messages the harness and an implementation under test exchange
//! (`spec/harness.md`): in session mode, JSON lines on the implementation's stdin and
//! stdout; in exec mode, the [`Output`] or [`Rejection`] object an implementation prints.
//!
//! Every message is a JSON object with a `type` member; an implementation ignores members
//! it does not know, so that a minor addition does not need a new [`PROTOCOL`] version.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::suite::Input;

/// The version of the protocol this harness speaks. It changes when a message changes
/// in a way an implementation of the previous version would misread.
pub const PROTOCOL: u32 = 1;

/// The exit status with which an implementation in exec mode says it does not support
/// a case's format or operation (the case is skipped).
pub const EXIT_UNSUPPORTED: i32 = 3;

/// The exit status with which an implementation in exec mode rejects an input (it also
/// prints a [`Rejection`]).
pub const EXIT_REJECTED: i32 = 1;

/// The longest line the harness reads from an implementation; a longer one is garbage.
pub const MAX_LINE: usize = 4 << 20;

/// The first message of a session, from the harness.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct HarnessHello {
    /// Always `"hello"`.
    #[serde(rename = "type")]
    #[schemars(extend("const" = "hello"))]
    pub kind: String,
    /// The protocol version the harness speaks ([`PROTOCOL`]).
    pub protocol: u32,
    /// The version of the suite it is about to run.
    pub suite: String,
}

/// The implementation's answer to [`HarnessHello`]: what it is and what it supports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ImplementationHello {
    /// Always `"hello"`.
    #[serde(rename = "type")]
    #[schemars(extend("const" = "hello"))]
    pub kind: String,
    /// The protocol version the implementation speaks; the session stops unless it is
    /// the harness's.
    pub protocol: u32,
    /// The implementation's name (`my-heartbeat-lib`).
    pub name: String,
    /// Its version.
    pub version: String,
    /// For each format it supports (`text`, `json`, `record`, `command`, `schedule`),
    /// the operations it supports (`decode`, `encode`, `timestamp`, ...). Cases of
    /// anything else are skipped without being sent.
    pub supports: BTreeMap<String, Vec<String>>,
    /// Its choices where the specification leaves behaviour to the implementation, by
    /// name (free text; shown in reports).
    #[serde(default)]
    pub choices: BTreeMap<String, String>,
}

impl ImplementationHello {
    /// Whether it supports an operation of a format.
    pub fn supports(&self, format: &str, operation: &str) -> bool {
        self.supports
            .get(format)
            .is_some_and(|ops| ops.iter().any(|op| op == operation))
    }
}

/// One case, from the harness.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Request<'a> {
    /// Always `"request"`.
    #[serde(rename = "type")]
    #[schemars(extend("const" = "request"))]
    pub kind: &'static str,
    /// The sequence number, from 1 in each session; the answer repeats it.
    pub seq: u64,
    /// The case's id (for the implementation's logs; it must not change the answer).
    pub id: &'a str,
    /// The format of the case.
    pub format: &'a str,
    /// The operation: `decode`, `encode` or a chapter's own.
    pub operation: &'a str,
    /// The case's input, exactly as in the vector file.
    pub input: &'a Input<'a>,
}

/// The end of a session, from the harness: the implementation exits.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Stop {
    /// Always `"stop"`.
    #[serde(rename = "type")]
    #[schemars(extend("const" = "stop"))]
    pub kind: &'static str,
}

/// What an implementation produced for an accepted input. It gives the members the
/// case's operation calls for: `decoded` and `encoded` for `decode`, `encoded` for
/// `encode`, `result` for a chapter's own operation.
#[derive(Debug, Default, Serialize, Deserialize, JsonSchema)]
pub struct Output {
    /// The canonical form, as JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decoded: Option<Box<RawValue>>,
    /// The canonical wire form, as a string.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encoded: Option<String>,
    /// An operation's result, any JSON value (`null` included).
    #[serde(
        default,
        deserialize_with = "crate::suite::present",
        skip_serializing_if = "Option::is_none"
    )]
    pub result: Option<Box<RawValue>>,
}

/// How an implementation rejected an input; every member is optional, and each one
/// given is compared with the case's.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Rejection {
    /// The error class (`subject.forbidden-char`, `json.value`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The byte offset, counted as the chapter says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<usize>,
    /// The member or argument the error is in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

/// An implementation's answer to a [`Request`]: a JSON object whose `type` says which.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Response {
    /// `{"type":"ok","seq":N,"output":{...}}`: the input was accepted.
    Ok {
        /// The request's sequence number.
        seq: u64,
        /// What it produced.
        output: Output,
    },
    /// `{"type":"rejected","seq":N,"error":..,"offset":..,"path":..}`: the input is
    /// invalid.
    Rejected {
        /// The request's sequence number.
        seq: u64,
        /// How (its members are the response's own).
        #[serde(flatten)]
        rejection: Rejection,
    },
    /// `{"type":"skipped","seq":N,"reason":".."}`: not supported.
    Skipped {
        /// The request's sequence number.
        seq: u64,
        /// Why.
        reason: String,
    },
    /// `{"type":"errored","seq":N,"message":".."}`: the implementation failed on this
    /// case (counted as an error, never as a rejection).
    Errored {
        /// The request's sequence number.
        seq: u64,
        /// What happened.
        message: String,
    },
}

/// The members any response may have, as read from the wire (an internally tagged enum
/// would buffer the output, and a buffered `RawValue` fails to read).
#[derive(Deserialize)]
struct WireResponse {
    #[serde(rename = "type")]
    kind: String,
    seq: u64,
    #[serde(default)]
    output: Option<Output>,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    offset: Option<usize>,
    #[serde(default)]
    path: Option<String>,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    message: Option<String>,
}

impl Response {
    /// Reads a response line; `Err` says why it is not one.
    pub fn parse(line: &[u8]) -> Result<Response, String> {
        let wire: WireResponse =
            serde_json::from_slice(line).map_err(|e| format!("not a response: {e}"))?;
        let seq = wire.seq;
        match wire.kind.as_str() {
            "ok" => Ok(Response::Ok {
                seq,
                output: wire.output.ok_or("an ok response without output")?,
            }),
            "rejected" => Ok(Response::Rejected {
                seq,
                rejection: Rejection {
                    error: wire.error,
                    offset: wire.offset,
                    path: wire.path,
                },
            }),
            "skipped" => Ok(Response::Skipped {
                seq,
                reason: wire.reason.unwrap_or_default(),
            }),
            "errored" => Ok(Response::Errored {
                seq,
                message: wire.message.unwrap_or_default(),
            }),
            other => Err(format!("an unknown response type {other:?}")),
        }
    }

    /// The sequence number it answers.
    pub fn seq(&self) -> u64 {
        match self {
            Response::Ok { seq, .. }
            | Response::Rejected { seq, .. }
            | Response::Skipped { seq, .. }
            | Response::Errored { seq, .. } => *seq,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn responses_write_as_they_read() {
        let line = r#"{"type":"ok","seq":3,"output":{"decoded":{"period":0.1000000000000000000001},"result":null}}"#;
        let response = Response::parse(line.as_bytes()).map_err(|e| e.to_string());
        let written = response.and_then(|r| serde_json::to_string(&r).map_err(|e| e.to_string()));
        assert_eq!(written.as_deref(), Ok(line), "numbers kept exactly");
        let rejected = Response::Rejected {
            seq: 4,
            rejection: Rejection {
                error: Some("json.value".to_owned()),
                offset: Some(7),
                path: None,
            },
        };
        assert_eq!(
            serde_json::to_string(&rejected).ok().as_deref(),
            Some(r#"{"type":"rejected","seq":4,"error":"json.value","offset":7}"#)
        );
    }

    #[test]
    fn responses_parse() {
        let ok = Response::parse(br#"{"type":"ok","seq":3,"output":{"result":null}}"#);
        assert!(
            matches!(&ok, Ok(Response::Ok { seq: 3, output }) if output.result.as_ref().is_some_and(|r| r.get() == "null")),
            "{ok:?}"
        );
        let rejected = Response::parse(br#"{"type":"rejected","seq":4,"error":"json.value"}"#);
        assert!(matches!(
            rejected,
            Ok(Response::Rejected { seq: 4, rejection }) if rejection.error.as_deref() == Some("json.value") && rejection.offset.is_none()
        ));
        for garbage in [
            &b"hello"[..],
            br#"{"type":"ok","seq":1}"#,
            br#"{"type":"maybe","seq":1}"#,
            br#"{"type":"ok"}"#,
            br#"{"type":"ok","seq":-1,"output":{}}"#,
        ] {
            assert!(
                Response::parse(garbage).is_err(),
                "{}",
                String::from_utf8_lossy(garbage)
            );
        }
    }
}
