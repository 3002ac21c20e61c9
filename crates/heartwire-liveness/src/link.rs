//! Links: the transports a monitor hears processes through, and their outages
//! (`spec/liveness.md` §6.4).

use std::fmt;
use std::num::NonZeroU8;

/// A transport a monitor hears processes through (one broker subscription), so that an
/// outage of it suspends the conviction of the processes last heard through it: a
/// monitor cannot tell a dead process from a dead broker (`spec/liveness.md` §6.4).
/// Numbered 1 to [`Link::MAX`] by whoever feeds the monitor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Link(NonZeroU8);

/// Bits of a slot's `kind` that hold the link a process was last heard through.
pub(crate) const LINK_SHIFT: u32 = 2;
pub(crate) const LINK_MASK: u8 = 0x0F << LINK_SHIFT;

impl Link {
    /// The most links a monitor tells apart: 15.
    pub const MAX: u8 = 15;

    /// Link number `n`, 1 to [`Link::MAX`].
    pub const fn new(n: u8) -> Option<Link> {
        match NonZeroU8::new(n) {
            Some(n) if n.get() <= Link::MAX => Some(Link(n)),
            _ => None,
        }
    }

    /// Its number.
    pub const fn get(self) -> u8 {
        self.0.get()
    }

    /// Its bits in a slot's `kind`.
    pub(crate) const fn bits(link: Option<Link>) -> u8 {
        match link {
            Some(l) => l.0.get() << LINK_SHIFT,
            None => 0,
        }
    }

    /// The link in a slot's `kind`, if any.
    pub(crate) const fn of_kind(kind: u8) -> Option<Link> {
        Link::new((kind & LINK_MASK) >> LINK_SHIFT)
    }
}

impl fmt::Display for Link {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "link {}", self.0)
    }
}

/// Since when each link is down, in nanoseconds since the epoch, and how its outage
/// ends; which links are durable.
#[derive(Debug, Clone, Default)]
pub(crate) struct Outages {
    down: [Option<Hold>; Link::MAX as usize + 1],
    /// Bit `n`: link `n` is durable (`spec/liveness.md` §6.5).
    durable: u16,
}

/// A link's outage: since when, and whether its end forgives the silence within it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Hold {
    /// Nanoseconds since the epoch.
    pub(crate) since: u64,
    /// `true` for a lost connection (§6.4: the broker may have heard nothing either);
    /// `false` while a durable link replays what the monitor itself missed (§6.5).
    pub(crate) forgive: bool,
}

impl Outages {
    pub(crate) fn down_since(&self, link: Option<Link>) -> Option<u64> {
        link.and_then(|l| self.down[usize::from(l.get())])
            .map(|hold| hold.since)
    }

    /// Marks `link` down from `at`, its end forgiving the silence (§6.4); a link held
    /// already keeps its first instant and is now forgiven too. `false` if it was down
    /// already.
    pub(crate) fn begin(&mut self, link: Link, at: u64) -> bool {
        let slot = &mut self.down[usize::from(link.get())];
        match slot {
            Some(hold) => {
                hold.forgive = true;
                false
            }
            None => {
                *slot = Some(Hold {
                    since: at,
                    forgive: true,
                });
                true
            }
        }
    }

    /// Holds a durable `link` from `at` while it replays (§6.5); a link down already
    /// stays as it is.
    pub(crate) fn begin_replay(&mut self, link: Link, at: u64) {
        let slot = &mut self.down[usize::from(link.get())];
        if slot.is_none() {
            *slot = Some(Hold {
                since: at,
                forgive: false,
            });
        }
    }

    /// Marks `link` up; when it had been down, how.
    pub(crate) fn end(&mut self, link: Link) -> Option<Hold> {
        self.down[usize::from(link.get())].take()
    }

    pub(crate) fn set_durable(&mut self, link: Link) {
        self.durable |= 1 << link.get();
    }

    pub(crate) fn is_durable(&self, link: Option<Link>) -> bool {
        link.is_some_and(|l| self.durable & (1 << l.get()) != 0)
    }

    /// The durable links.
    pub(crate) fn durable(&self) -> impl Iterator<Item = Link> + '_ {
        (1..=Link::MAX)
            .filter_map(Link::new)
            .filter(|&l| self.is_durable(Some(l)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_fit_their_bits() {
        assert_eq!(Link::new(0), None);
        assert_eq!(Link::new(16), None);
        for n in 1..=Link::MAX {
            let link = Link::new(n);
            let kind = Link::bits(link) | 3 | 0x80;
            assert_eq!(Link::of_kind(kind), link);
            assert_eq!(kind & 3, 3, "the source bits are untouched");
        }
        assert_eq!(Link::of_kind(0x83), None);
    }
}
