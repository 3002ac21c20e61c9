//! A hint that a cache line will be read soon: the one `unsafe` of the crate, for the
//! batch path of the monitor ([`crate::Monitor::observe_texts`]).
//!
//! A plain read of the line would bring it in too, but the read must complete before
//! the instructions after it retire, so that only as many reads wait for memory at once
//! as the processor's reorder buffer spans; a prefetch retires at once, and a batch's
//! reads then wait together.

/// Asks the processor to bring the cache line of `x` into its caches; nothing else.
#[inline(always)]
pub(crate) fn prefetch<T>(x: &T) {
    #[cfg(target_arch = "x86_64")]
    #[allow(unsafe_code)]
    // SAFETY: `_mm_prefetch` is `unsafe` only for its `sse` target feature, which every
    // x86_64 processor has (it is in the target's baseline). A prefetch neither reads
    // nor writes anything the program can see, and cannot fault; the address is that
    // of a live reference anyway.
    unsafe {
        use core::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        _mm_prefetch::<_MM_HINT_T0>((x as *const T).cast::<i8>());
    }
    #[cfg(not(target_arch = "x86_64"))]
    std::hint::black_box(x);
}
