//! A global allocator that counts allocations, for tests that prove code does not
//! allocate.
//!
//! Install it in a test binary and measure a closure:
//!
//! ```standalone_crate
//! use heartwire_alloc_counter::{CountingAlloc, count};
//!
//! #[global_allocator]
//! static ALLOC: CountingAlloc = CountingAlloc;
//!
//! fn main() {
//!     let (_, allocations) = count(|| std::hint::black_box(Vec::<u8>::with_capacity(1)));
//!     assert_eq!(allocations, 1);
//! }
//! ```
//!
//! The count is process-wide: measure on one thread while no other thread runs (a test
//! target with `harness = false`).
//!
//! Its unsafe code is confined to the `GlobalAlloc` impl, which forwards every call to
//! [`System`] unchanged. (The only other unsafe block of the workspace is the core
//! crate's `text::name::accepted_text`, a measured win with its proof beside it.)

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering};

/// Calls to `alloc`, `alloc_zeroed` and `realloc` since the program started.
static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

/// Bytes allocated and not yet freed (wrapping: a free of memory allocated before the
/// count started still subtracts).
static LIVE_BYTES: AtomicU64 = AtomicU64::new(0);

/// [`System`], counting every allocation and reallocation, and the bytes in use.
#[derive(Debug, Clone, Copy, Default)]
pub struct CountingAlloc;

#[allow(
    unsafe_code,
    reason = "GlobalAlloc is an unsafe trait; every method forwards to System unchanged"
)]
// SAFETY: each method forwards its arguments to `System`, which upholds the contract of
// `GlobalAlloc`; counting touches only an atomic and never allocates.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        LIVE_BYTES.fetch_add(layout.size() as u64, Ordering::Relaxed);
        // SAFETY: the caller's guarantees for `layout` pass through unchanged.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        LIVE_BYTES.fetch_add(layout.size() as u64, Ordering::Relaxed);
        // SAFETY: as for `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        LIVE_BYTES.fetch_add(
            (new_size as u64).wrapping_sub(layout.size() as u64),
            Ordering::Relaxed,
        );
        // SAFETY: `ptr` was allocated by `System` through this allocator with `layout`,
        // as the caller guarantees; `new_size` passes through unchanged.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE_BYTES.fetch_sub(layout.size() as u64, Ordering::Relaxed);
        // SAFETY: `ptr` was allocated by `System` through this allocator with `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }
}

/// Allocations (and reallocations) counted so far, by every thread.
pub fn allocations() -> u64 {
    ALLOCATIONS.load(Ordering::Relaxed)
}

/// Bytes allocated and not yet freed, by every thread, as a wrapping counter: the
/// difference of two readings is the growth in between (see [`live_bytes_of`]).
pub fn live_bytes() -> u64 {
    LIVE_BYTES.load(Ordering::Relaxed)
}

/// Runs `f` and returns its result with the bytes it left allocated: what the value it
/// returns (and anything else it kept) holds on the heap.
pub fn live_bytes_of<R>(f: impl FnOnce() -> R) -> (R, i64) {
    let before = live_bytes();
    let result = f();
    let after = live_bytes();
    (result, after.wrapping_sub(before) as i64)
}

/// Runs `f` and returns its result with the number of allocations made meanwhile.
///
/// Only meaningful when [`CountingAlloc`] is the global allocator and no other thread
/// allocates during the call.
pub fn count<R>(f: impl FnOnce() -> R) -> (R, u64) {
    let before = allocations();
    let result = f();
    let after = allocations();
    (result, after - before)
}
