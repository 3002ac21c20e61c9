//! The messages of the conformance harness protocol (`spec/harness.md`), one schema per
//! direction. The message types are the harness's own ([`heartwire_harness::protocol`]);
//! these enums only gather each direction's messages under one schema.

use heartwire_harness::protocol::{
    HarnessHello, ImplementationHello, Output, Rejection, Request, Response, Stop,
};
use schemars::JsonSchema;

/// # Session mode: a message from the harness
///
/// One JSON line the harness writes on the implementation's stdin: `hello` first, then
/// one `request` per case, then `stop` (spec/harness.md). Members an implementation does
/// not know are to be ignored.
#[derive(JsonSchema)]
#[schemars(
    untagged,
    extend("examples" = [
        {"type": "hello", "protocol": 1, "suite": "1.0.0"},
        {
            "type": "request", "seq": 1, "id": "text.payload.beat.fraction", "format": "text",
            "operation": "decode", "input": {"subject": "heartbeat.my.process", "payload": "beat/0.5"}
        },
        {"type": "stop"}
    ])
)]
pub enum FromHarness {
    /// The handshake.
    Hello(HarnessHello),
    /// One case.
    Request(Request<'static>),
    /// The end of the session.
    Stop(Stop),
}

/// # Session mode: a message from the implementation
///
/// One JSON line an implementation writes on its stdout: its `hello` (what it is and
/// supports), then one answer per request, with the request's `seq`: `ok`, `rejected`,
/// `skipped` or `errored` (spec/harness.md).
#[derive(JsonSchema)]
#[schemars(
    untagged,
    extend("examples" = [
        {
            "type": "hello", "protocol": 1, "name": "my-heartbeat-lib", "version": "0.3.1",
            "supports": {"text": ["decode", "encode"]}, "choices": {}
        },
        {
            "type": "ok", "seq": 1,
            "output": {
                "decoded": {"format": "text", "process": "my.process", "signal": "beat", "period": 0.5},
                "encoded": "heartbeat.my.process beat/0.5"
            }
        },
        {"type": "rejected", "seq": 2, "error": "subject.forbidden-char", "offset": 17},
        {"type": "skipped", "seq": 3, "reason": "schedules are not supported"}
    ])
)]
pub enum FromImplementation {
    /// The handshake.
    Hello(ImplementationHello),
    /// An answer to a request.
    Answer(Response),
}

/// # Exec mode: what an implementation prints
///
/// In exec mode an implementation reads one case on stdin and prints one JSON object: its
/// output, exiting 0, or a rejection, exiting 1 (spec/harness.md).
#[derive(JsonSchema)]
#[schemars(
    untagged,
    extend("examples" = [
        {"decoded": {"format": "text", "process": "p", "signal": "stop"}, "encoded": "heartbeat.p stop"},
        {"error": "number.syntax", "offset": 5}
    ])
)]
pub enum ExecAnswer {
    /// An accepted input's output.
    Output(Output),
    /// A rejection.
    Rejection(Rejection),
}
