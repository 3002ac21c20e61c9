//! The JSON-facing shape of every format, as types that derive [`JsonSchema`].
//!
//! These types describe the wire and nothing else: they are never built from a document
//! (heartwire's own types in the `heartwire` crate read and write documents, zero-copy and
//! with exact error offsets). Each exists so that `schemars` can derive the JSON Schema
//! of the format from it, with the doc comments as descriptions. Where a rule is a
//! grammar (a name, a timestamp, the string form of a rate), its field carries the
//! regular expression of that grammar; `spec/schema/README.md` lists what the schemas
//! cannot say.
//!
//! [`JsonSchema`]: schemars::JsonSchema

pub mod alert;
pub mod command;
pub mod common;
pub mod harness;
pub mod liveness;
pub mod record;
pub mod schedule;
pub mod text;
