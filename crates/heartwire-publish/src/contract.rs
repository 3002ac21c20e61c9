//! The publishing contracts: what a broker adapter implements so that the hearts, the
//! schedule runtime and the record publisher can publish through it.

use std::future::Future;

use heartwire::record::Record;
use heartwire::text::Subject;

/// Something that delivers a subject and a payload, blocking until it is handed over.
///
/// beatit's publisher contract (`publish(*, subject, payload)`) in Rust. Adapters for
/// brokers implement it; so can a test that collects what was sent.
pub trait Publish {
    /// Why a publish failed.
    type Error;

    /// Sends one message.
    fn publish(&mut self, subject: &Subject<'_>, payload: &[u8]) -> Result<(), Self::Error>;
}

/// The async form of [`Publish`], for publishers on an async runtime.
pub trait AsyncPublish {
    /// Why a publish failed.
    type Error;

    /// Sends one message.
    fn publish(
        &mut self,
        subject: &Subject<'_>,
        payload: &[u8],
    ) -> impl Future<Output = Result<(), Self::Error>> + Send;
}

/// Something that delivers a liveness record (`spec/record.md`) where records travel,
/// blocking until it is handed over.
///
/// Records have a contract of their own because [`Publish`] addresses a message by a
/// beatit [`Subject`] (`heartbeat.<process>`, checked by the text grammar), and no
/// record channel is one: `heartbeat:service:<service>` and
/// `health:service:<service>:heartbeat` hold `:`, which a subject may not. The record
/// names its channel itself (its `service_name`, record.md §9) and only the transport
/// knows which conventions it publishes on and whether it keeps a presence key
/// (`spec/transports.md` §3), so the contract takes the record, not an address. Only
/// the transports that carry records implement it (Redis and Valkey).
pub trait PublishRecord {
    /// Why a publish failed.
    type Error;

    /// Sends one record on its channel(s).
    fn publish_record(&mut self, record: &Record<'_>) -> Result<(), Self::Error>;
}

/// The async form of [`PublishRecord`], for publishers on an async runtime.
pub trait AsyncPublishRecord {
    /// Why a publish failed.
    type Error;

    /// Sends one record on its channel(s).
    fn publish_record(
        &mut self,
        record: &Record<'_>,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send;
}
