//! One tracked process in 32 bytes, and how the tables of slots grow.

/// `Slot::state` of a slot whose process was forgotten.
pub(super) const FREE: u8 = 0xFF;
/// `Slot::state` of a process created by the observation being applied.
pub(super) const UNSEEN: u8 = 0xFE;
/// `Slot::kind` flag: the process has an adaptive detector in `Monitor::adaptive`.
pub(super) const ADAPTIVE: u8 = 0x80;
/// `Slot::armed` of a process with no live deadline entry: its entry came due while its
/// link was down (§6.4), and the link's return arms it again.
pub(super) const DISARMED: u32 = u32::MAX;

/// One tracked process in 32 bytes; its name is in the monitor's arena.
#[derive(Debug, Clone, Copy)]
pub(super) struct Slot {
    /// The time deadlines count from, in nanoseconds since the epoch.
    pub(super) last: u64,
    /// Text: the declared duration; record: the last accepted timestamp; command: the
    /// disconnect grace. Nanoseconds.
    pub(super) aux: u64,
    /// The name's offset in the arena.
    pub(super) name: u32,
    /// The low 32 bits of the millisecond of the one live deadline entry of this
    /// process: an entry for another millisecond is stale.
    pub(super) armed: u32,
    /// The rate window: the second (mod 2^16) in the high half, the count in the low.
    pub(super) rate: u32,
    /// The name's length.
    pub(super) len: u8,
    /// The source (2 bits), the link last heard through (`LINK_MASK`), and the
    /// `ADAPTIVE` flag.
    pub(super) kind: u8,
    /// The state (`State as u8`), or `FREE`/`UNSEEN`.
    pub(super) state: u8,
    /// A beatit process's healthy state: starting, alive or degraded.
    pub(super) base: u8,
}

/// Makes room for one more element, growing by an eighth rather than doubling: the
/// copies stay amortized O(1), and the unused capacity is at most an eighth instead of
/// a half, which is most of the 64-byte budget per process.
pub(super) fn grow<C>(
    collection: &mut C,
    len: fn(&C) -> usize,
    capacity: fn(&C) -> usize,
    reserve_exact: fn(&mut C, usize),
) {
    let n = len(collection);
    if n == capacity(collection) {
        reserve_exact(collection, n / 8 + 64);
    }
}
