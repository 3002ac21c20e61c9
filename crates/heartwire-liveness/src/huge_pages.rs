//! A hint that the monitor's large tables be backed by 2 MiB pages (Linux's transparent
//! huge pages, `madvise(MADV_HUGEPAGE)`): the crate's second `unsafe`.
//!
//! With a million processes a beat reads three unrelated places in about 70 MB of
//! tables (its index bucket, its slot, its name). With 4 KiB pages each read also
//! misses the TLB, and the page walk (nested, under a hypervisor) costs about as much
//! as the read: the batch path measured 20 to 30% faster with the tables on huge pages
//! (benches/README.md, "Liveness engine"). Under the kernel's default policy
//! (`madvise`) a process gets huge pages only where it asks for them.

/// The size of a huge page on x86_64 and aarch64 Linux.
const HUGE_PAGE: usize = 2 << 20;

/// `vec.reserve_exact(additional)`; a vector of 4 MiB or more moves to a new allocation
/// advised for huge pages before it is written (where `realloc` would copy it, or remap
/// it, onto 4 KiB pages first).
pub(crate) fn reserve_exact<T: Copy>(vec: &mut Vec<T>, additional: usize) {
    let capacity = vec.len() + additional;
    if cfg!(not(target_os = "linux")) || capacity * size_of::<T>() < 2 * HUGE_PAGE {
        vec.reserve_exact(additional);
        return;
    }
    let mut moved = Vec::with_capacity(capacity);
    advise(moved.as_ptr(), moved.capacity());
    moved.extend_from_slice(vec);
    *vec = moved;
}

/// [`reserve_exact`] for a string.
pub(crate) fn reserve_exact_str(string: &mut String, additional: usize) {
    let capacity = string.len() + additional;
    if cfg!(not(target_os = "linux")) || capacity < 2 * HUGE_PAGE {
        string.reserve_exact(additional);
        return;
    }
    let mut moved = String::with_capacity(capacity);
    advise(moved.as_ptr(), moved.capacity());
    moved.push_str(string);
    *string = moved;
}

/// Advises huge pages for the whole 2 MiB pages inside the capacity of a collection
/// starting at `ptr`, so that the memory touched from now on is faulted in by 2 MiB
/// (the memory touched already stays as it is, until the kernel collapses it). Nothing
/// for less than 2 MiB, or elsewhere than Linux; a failure (a kernel without
/// transparent huge pages) changes nothing either.
pub(crate) fn advise<T>(ptr: *const T, capacity: usize) {
    #[cfg(target_os = "linux")]
    {
        let start = ptr as usize;
        let end = start.saturating_add(capacity.saturating_mul(size_of::<T>()));
        let from = start.next_multiple_of(HUGE_PAGE);
        let to = end / HUGE_PAGE * HUGE_PAGE;
        if from < to {
            #[allow(unsafe_code)]
            // SAFETY: `madvise` with `MADV_HUGEPAGE` changes neither the contents nor the
            // validity of any memory: it only marks the range as eligible for huge pages.
            // The range lies inside one live allocation of the caller's, so no advice
            // of another owner's memory changes either.
            unsafe {
                libc::madvise(from as *mut libc::c_void, to - from, libc::MADV_HUGEPAGE);
            }
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = (ptr, capacity);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Growing by a move keeps the elements and gives the exact capacity asked, as
    /// `reserve_exact` does, on both sides of the threshold.
    #[test]
    fn a_move_is_a_reserve_exact() {
        for len in [1000usize, 3 * HUGE_PAGE / 8] {
            let mut vec: Vec<u64> = (0..len as u64).collect();
            vec.shrink_to_fit();
            reserve_exact(&mut vec, len / 8);
            assert_eq!(vec.capacity(), len + len / 8);
            assert!(vec.iter().copied().eq(0..len as u64));
        }
        for len in [1000usize, 3 * HUGE_PAGE] {
            let mut string: String = "abcdefgh".repeat(len / 8);
            string.shrink_to_fit();
            reserve_exact_str(&mut string, 256);
            assert_eq!(string.capacity(), len + 256);
            assert_eq!(string, "abcdefgh".repeat(len / 8));
        }
    }
}
