//! An inbox: what a subscriber's task received and its reader has not taken yet,
//! bounded in messages and bytes, each message that does not fit counted as lost
//! (`spec/transports.md` §1.3). For client libraries that read the socket into an
//! unbounded queue of their own (redis-rs, rumqttc's event loop): a task drains that
//! queue at once into an inbox, and the reader takes from the inbox.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};

use crate::{LinkHealth, Loss};
use tokio::sync::mpsc;

/// How much the inbox holds now.
#[derive(Debug, Default)]
struct Held {
    count: AtomicUsize,
    bytes: AtomicUsize,
}

/// The task's end: [`Sender::push`] holds a message or counts it as lost.
#[derive(Debug)]
pub struct Sender<T> {
    tx: mpsc::UnboundedSender<(T, usize)>,
    held: Arc<Held>,
    capacity: usize,
    max_bytes: usize,
    health: LinkHealth,
}

/// The reader's end.
#[derive(Debug)]
pub struct Receiver<T> {
    rx: mpsc::UnboundedReceiver<(T, usize)>,
    held: Arc<Held>,
}

/// The reader went away: the task can end.
#[derive(Debug)]
pub struct Closed;

/// An inbox of at most `capacity` messages and `max_bytes` bytes; what does not fit is
/// counted in `health` as [`Loss::Overflow`].
pub fn inbox<T>(capacity: usize, max_bytes: usize, health: LinkHealth) -> (Sender<T>, Receiver<T>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let held = Arc::new(Held::default());
    let sender = Sender {
        tx,
        held: Arc::clone(&held),
        capacity: capacity.max(1),
        max_bytes,
        health,
    };
    (sender, Receiver { rx, held })
}

impl<T> Sender<T> {
    /// Holds `item` (`size` bytes) for the reader, or, when the inbox is full, drops it
    /// and counts it as lost. An empty inbox takes any message, however big, so that a
    /// message too big for the bound is still reported (as invalid) rather than lost.
    pub fn push(&self, item: T, size: usize) -> Result<(), Closed> {
        // One task pushes: the counts can only fall between this check and the send.
        let count = self.held.count.load(Ordering::Acquire);
        let bytes = self.held.bytes.load(Ordering::Acquire);
        if count > 0 && (count >= self.capacity || bytes.saturating_add(size) > self.max_bytes) {
            self.health.lost(Loss::Overflow, 1);
            return if self.tx.is_closed() {
                Err(Closed)
            } else {
                Ok(())
            };
        }
        self.held.count.fetch_add(1, Ordering::AcqRel);
        self.held.bytes.fetch_add(size, Ordering::AcqRel);
        self.tx.send((item, size)).map_err(|_| Closed)
    }

    /// Whether the reader is gone.
    pub fn is_closed(&self) -> bool {
        self.tx.is_closed()
    }
}

impl<T> Receiver<T> {
    /// The oldest message held; `None` once the task has ended.
    pub async fn pop(&mut self) -> Option<T> {
        std::future::poll_fn(|cx| self.poll_pop(cx)).await
    }

    /// [`Receiver::pop`] for a [`Stream`](futures_core::Stream) implementation.
    pub fn poll_pop(&mut self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        self.rx.poll_recv(cx).map(|taken| {
            let (item, size) = taken?;
            self.held.count.fetch_sub(1, Ordering::AcqRel);
            self.held.bytes.fetch_sub(size, Ordering::AcqRel);
            Some(item)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn what_does_not_fit_is_counted_and_a_lone_big_message_fits() {
        let health = LinkHealth::new();
        let (tx, mut rx) = inbox::<u32>(3, 100, health.clone());
        for i in 0..5 {
            assert!(tx.push(i, 10).is_ok());
        }
        assert_eq!(health.status().lost(Loss::Overflow), 2);
        for i in 0..3 {
            assert_eq!(rx.pop().await, Some(i));
        }
        // Alone, a message over the byte bound is held; nothing fits beside it.
        assert!(tx.push(7, 1000).is_ok());
        assert!(tx.push(8, 1).is_ok());
        assert_eq!(health.status().lost(Loss::Overflow), 3);
        assert_eq!(rx.pop().await, Some(7));
        assert!(tx.push(9, 60).is_ok());
        assert!(tx.push(10, 40).is_ok());
        assert!(tx.push(11, 1).is_ok());
        assert_eq!(health.status().lost(Loss::Overflow), 4);
        assert_eq!(rx.pop().await, Some(9));
        assert_eq!(rx.pop().await, Some(10));
        drop(rx);
        assert!(tx.is_closed());
        assert!(tx.push(12, 1).is_err());
    }
}
