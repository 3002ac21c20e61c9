//! `--durable NAME`: a NATS link read through a JetStream durable consumer
//! (`spec/transports.md` §2.1), whose position is kept in the snapshot and acknowledged
//! to the server once a snapshot holds it, so that nothing acknowledged is lost and a
//! restarted monitor reads on from where its state ends (`spec/liveness.md` §6.5).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};

use heartwire_nats::{ConsumerName, DurableConfig, MAX_ACK_PENDING, Position};
use tokio::sync::Notify;

/// A durable link's positions, shared by its task (which applies and acknowledges) and
/// the main loop (which saves).
pub(crate) struct DurableLink {
    pub(crate) config: DurableConfig,
    /// Where the restored snapshot left this link: it reads on after it.
    pub(crate) start: Option<u64>,
    /// The last message applied to the engine.
    applied: Mutex<Option<Position>>,
    /// The last message a written snapshot holds, to acknowledge.
    saved: Mutex<Option<Position>>,
    /// Rung when `saved` moved.
    pub(crate) saved_moved: Notify,
    /// Messages applied since the last position saved.
    unsaved: AtomicU64,
}

/// Applied and unsaved messages past this ask for a snapshot before the next one is
/// due, so that the server never holds back delivery for want of acknowledgements.
const SAVE_EARLY_AFTER: u64 = (MAX_ACK_PENDING / 2) as u64;

impl DurableLink {
    pub(crate) fn new(config: DurableConfig, start: Option<u64>) -> DurableLink {
        DurableLink {
            config,
            start,
            applied: Mutex::new(None),
            saved: Mutex::new(None),
            saved_moved: Notify::new(),
            unsaved: AtomicU64::new(0),
        }
    }

    /// The key of this link's position in the snapshot: the consumer and the server
    /// (the URL without credentials).
    pub(crate) fn key(&self, shown: &str) -> String {
        DurableLink::key_of(self.config.name(), shown)
    }

    pub(crate) fn key_of(name: &ConsumerName, shown: &str) -> String {
        format!("{name}@{shown}")
    }

    /// `count` messages up to `position` are applied; whether a snapshot is due early.
    pub(crate) fn applied(&self, position: Position, count: usize) -> bool {
        *lock(&self.applied) = Some(position);
        let unsaved = self.unsaved.fetch_add(count as u64, Ordering::Relaxed) + count as u64;
        unsaved > SAVE_EARLY_AFTER
    }

    /// The position applied so far, for the snapshot being taken.
    pub(crate) fn applied_position(&self) -> Option<Position> {
        lock(&self.applied).clone()
    }

    /// A snapshot holding `position` is written: it may be acknowledged.
    pub(crate) fn saved(&self, position: Position) {
        self.unsaved.store(0, Ordering::Relaxed);
        *lock(&self.saved) = Some(position);
        self.saved_moved.notify_one();
    }

    /// The position to acknowledge, once.
    pub(crate) fn take_saved(&self) -> Option<Position> {
        lock(&self.saved).take()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
