//! A hint to the memory system: start loading a value's cache line now, so a later read finds it there. The play
//! path draws a minute's plays first and touches the tables they land on afterwards, with their cache lines on
//! the way; it changes no result.

/// Starts loading the cache line holding `value` (a hint: no effect on any result).
#[inline(always)]
pub fn prefetch<T>(value: &T) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        // SAFETY: a prefetch is a hint that never faults and reads nothing observable; the pointer comes from a
        // valid reference.
        unsafe { _mm_prefetch::<_MM_HINT_T0>((value as *const T).cast::<i8>()) };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = value;
}
