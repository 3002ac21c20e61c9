//! Every bound of `heartwire schedule run`, in one place (`spec/schedule.md` §13.6):
//! what an API client or a state file can make it hold.

use std::time::Duration;

/// The most schedules it runs at once; a create beyond is refused.
pub(crate) const MAX_SCHEDULES: usize = 1000;

/// The largest schedule document, as a file line or a request body: the 64 KiB of every
/// JSON format (`spec/json.md` §2.2).
pub(crate) const MAX_DOCUMENT_LEN: usize = heartwire::json::MAX_DOCUMENT_LEN;

/// The most bytes of canonical documents all schedules together may take; a create
/// beyond is refused. With [`MAX_SCHEDULES`], what bounds the state file.
pub(crate) const MAX_DOCUMENTS_LEN: usize = 8 * 1024 * 1024;

/// The largest state file written: the documents, unescaped, and per schedule its
/// creation, last fire time and the JSON around them (about 100 bytes, below 1 KiB).
pub(crate) const MAX_STATE_LEN: u64 = (MAX_DOCUMENTS_LEN + MAX_SCHEDULES * 1024) as u64;

/// The largest state file read: twice the documents, so that a file of version 1, whose
/// documents were JSON strings (escaping at most doubles a canonical document: `\"`
/// as `\\\"`), written within these bounds, is read too.
pub(crate) const MAX_STATE_READ_LEN: u64 = (2 * MAX_DOCUMENTS_LEN + MAX_SCHEDULES * 1024) as u64;

const _: () = assert!(MAX_STATE_LEN <= MAX_STATE_READ_LEN);

/// The largest payload fired to an SQS queue: 256 KiB, SQS's limit on a message body
/// until August 2025 (1 MiB since), which every queue takes unless its own
/// `MaximumMessageSize` is set lower. A payload is never longer than its document, so a
/// valid schedule is never refused for this; the build checks that it stays so.
pub(crate) const MAX_SQS_BODY_LEN: usize = 256 * 1024;

const _: () = assert!(MAX_DOCUMENT_LEN <= MAX_SQS_BODY_LEN);

/// The longest address of a target (an AMQP routing key is at most 255 bytes).
pub(crate) const MAX_ADDRESS_LEN: usize = 255;

/// The most API connections open at once; one more is closed at once.
pub(crate) const MAX_CONNECTIONS: usize = 64;

/// The most bytes of a request's head (request line and headers).
pub(crate) const MAX_HEAD_LEN: usize = 16 * 1024;

/// The time a client has to send a request's head.
pub(crate) const HEAD_TIMEOUT: Duration = Duration::from_secs(5);

/// The time a connection may stay open in all, whatever it does.
pub(crate) const CONNECTION_TIMEOUT: Duration = Duration::from_secs(30);

/// The time one publish may take before it counts as failed.
pub(crate) const PUBLISH_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a fire that could not be published is tried again: 24 hours, EventBridge
/// Scheduler's default `MaximumEventAgeInSeconds`.
pub(crate) const MAX_EVENT_AGE: Duration = Duration::from_secs(24 * 3600);

/// The shortest wait before a failed publish is tried again.
pub(crate) const RETRY_MIN: Duration = Duration::from_secs(1);

/// The longest wait before a failed publish is tried again.
pub(crate) const RETRY_MAX: Duration = Duration::from_secs(60);

/// The longest the run loop sleeps, so that it follows the wall clock when it jumps.
pub(crate) const MAX_SLEEP: Duration = Duration::from_secs(1);
