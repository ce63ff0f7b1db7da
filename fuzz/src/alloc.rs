//! A global allocator that passes every request to the system allocator, remembers the largest single
//! allocation, and stops the run on any over `LIMIT_BYTES`: a parser that sizes a buffer from its input must
//! not be able to ask for gigabytes.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

pub const LIMIT_BYTES: usize = 1 << 30;

static LARGEST_BYTES: AtomicUsize = AtomicUsize::new(0);

pub struct Counting;

/// The largest single allocation (or reallocation) since the process started, in bytes.
pub fn largest_bytes() -> usize {
    LARGEST_BYTES.load(Ordering::Relaxed)
}

fn check(size_bytes: usize) {
    LARGEST_BYTES.fetch_max(size_bytes, Ordering::Relaxed);
    if size_bytes > LIMIT_BYTES {
        crate::fatal(&format!("allocation of {size_bytes} bytes (over the {LIMIT_BYTES}-byte limit)"));
    }
}

// SAFETY: every call is forwarded unchanged to `System`, which upholds GlobalAlloc's contract.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        check(layout.size());
        // SAFETY: the caller's contract for `alloc` is passed on as is.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        check(layout.size());
        // SAFETY: as for `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        check(new_size);
        // SAFETY: as for `alloc`; `ptr` and `layout` come from this allocator, which is `System`'s.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as for `realloc`.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_largest_allocation_is_remembered() {
        let big: Vec<u8> = Vec::with_capacity(3 << 20);
        assert!(super::largest_bytes() >= 3 << 20, "{}", super::largest_bytes());
        drop(big);
    }
}
