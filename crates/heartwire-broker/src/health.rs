//! A subscription's health: its connection and the messages it knows it lost.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use heartwire::time::UnixTime;

/// Why messages were lost between the broker and the subscriber (`spec/transports.md`
/// §1.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Loss {
    /// The subscriber fell behind and its client's buffer was full: the client dropped
    /// the message (NATS's "slow consumer").
    Overflow,
    /// A packet larger than the client accepts: the client could not read it, and ended
    /// the connection to get past it (MQTT).
    Oversized,
    /// The broker ended the connection with messages still owed to the subscriber (a
    /// Redis output buffer limit): how many is unknown, counted as one.
    Dropped,
    /// A durable stream discarded the message by its retention (age or size) before
    /// the subscriber read it: the stream's sequence numbers skipped it (JetStream).
    Expired,
}

impl Loss {
    /// Every reason, in the order of [`LinkStatus::lost`]'s counters.
    pub const ALL: [Loss; 4] = [
        Loss::Overflow,
        Loss::Oversized,
        Loss::Dropped,
        Loss::Expired,
    ];

    /// `overflow`, `oversized`, `dropped` or `expired`: the name in events and
    /// `/status`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Loss::Overflow => "overflow",
            Loss::Oversized => "oversized",
            Loss::Dropped => "dropped",
            Loss::Expired => "expired",
        }
    }

    /// What it means, for a line on stderr.
    pub const fn explain(self) -> &'static str {
        match self {
            Loss::Overflow => "the subscriber fell behind and a bounded buffer on the way was full",
            Loss::Oversized => "a packet over the client's size limit; the connection was re-made",
            Loss::Dropped => "the broker closed the connection with messages owed",
            Loss::Expired => {
                "the broker's stream discarded them by its retention before they were read"
            }
        }
    }

    const fn index(self) -> usize {
        match self {
            Loss::Overflow => 0,
            Loss::Oversized => 1,
            Loss::Dropped => 2,
            Loss::Expired => 3,
        }
    }
}

impl fmt::Display for Loss {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The connection part of a link's state, changed rarely and read together.
#[derive(Debug, Clone, Copy, Default)]
struct Connection {
    connected: bool,
    outages: u64,
    down_since: Option<UnixTime>,
    up_since: Option<UnixTime>,
}

#[derive(Debug, Default)]
struct Inner {
    connection: Mutex<Connection>,
    lost: [AtomicU64; 4],
}

/// A subscription's health, shared between the adapter that counts and whoever reads
/// (cloning shares it). Counters only grow.
#[derive(Debug, Clone, Default)]
pub struct LinkHealth(Arc<Inner>);

impl LinkHealth {
    /// A link that has not connected yet.
    pub fn new() -> LinkHealth {
        LinkHealth::default()
    }

    fn connection(&self) -> std::sync::MutexGuard<'_, Connection> {
        // The guarded data is plain numbers: a panic elsewhere cannot leave it torn.
        self.0
            .connection
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// The connection is (again) up and subscribed, at `at`.
    pub fn connected(&self, at: UnixTime) {
        let mut c = self.connection();
        if !c.connected {
            c.connected = true;
            c.up_since = Some(at);
        }
    }

    /// The connection went away at `at` (a first connection that never came up is not an
    /// outage).
    pub fn disconnected(&self, at: UnixTime) {
        let mut c = self.connection();
        if c.connected {
            c.connected = false;
            c.outages += 1;
            c.down_since = Some(at);
        }
    }

    /// `count` messages lost, for `reason`.
    pub fn lost(&self, reason: Loss, count: u64) {
        self.0.lost[reason.index()].fetch_add(count, Ordering::Relaxed);
    }

    /// What it is now.
    pub fn status(&self) -> LinkStatus {
        let c = *self.connection();
        LinkStatus {
            connected: c.connected,
            outages: c.outages,
            down_since: c.down_since,
            up_since: c.up_since,
            lost: [0, 1, 2, 3].map(|i| self.0.lost[i].load(Ordering::Relaxed)),
        }
    }
}

/// A link's state at one moment ([`LinkHealth::status`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkStatus {
    /// Connected and subscribed now.
    pub connected: bool,
    /// How many times an established connection went away.
    pub outages: u64,
    /// When the latest outage began.
    pub down_since: Option<UnixTime>,
    /// When the connection was last made.
    pub up_since: Option<UnixTime>,
    lost: [u64; 4],
}

impl LinkStatus {
    /// Messages lost so far for `reason`.
    pub const fn lost(&self, reason: Loss) -> u64 {
        self.lost[reason.index()]
    }

    /// Messages lost so far, for every reason.
    pub fn lost_total(&self) -> u64 {
        self.lost.iter().sum()
    }

    /// The latest outage that is over: when it began and when the connection was back.
    pub fn last_outage(&self) -> Option<(UnixTime, UnixTime)> {
        match (self.connected, self.down_since, self.up_since) {
            (true, Some(down), Some(up)) if up >= down => Some((down, up)),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(secs: i64) -> UnixTime {
        UnixTime::new(secs, 0)
    }

    #[test]
    fn outages_are_counted_once_each() {
        let health = LinkHealth::new();
        health.disconnected(t(1)); // never connected: no outage
        assert_eq!(health.status().outages, 0);
        health.connected(t(2));
        health.connected(t(3)); // already up: keeps the first time
        assert_eq!(health.status().up_since, Some(t(2)));
        health.disconnected(t(4));
        health.disconnected(t(5));
        let down = health.status();
        assert!(!down.connected);
        assert_eq!((down.outages, down.down_since), (1, Some(t(4))));
        assert_eq!(down.last_outage(), None);
        health.connected(t(9));
        assert_eq!(health.status().last_outage(), Some((t(4), t(9))));
    }

    #[test]
    fn losses_add_up_per_reason() {
        let health = LinkHealth::new();
        let reader = health.clone();
        health.lost(Loss::Overflow, 5);
        health.lost(Loss::Oversized, 1);
        health.lost(Loss::Overflow, 2);
        let status = reader.status();
        assert_eq!(status.lost(Loss::Overflow), 7);
        assert_eq!(status.lost(Loss::Oversized), 1);
        assert_eq!(status.lost(Loss::Dropped), 0);
        assert_eq!(status.lost_total(), 8);
    }
}
