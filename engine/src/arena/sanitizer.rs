//! AddressSanitizer's manual poisoning, with the `asan` feature: bytes an arena has
//! not handed out, or has taken back, are poisoned, so that a read or write through
//! a raw pointer that outlived its allocation is reported as `use-after-poison`.
//!
//! The invariant, with the feature on: in every chunk, the bytes handed out since
//! they were last taken back are addressable, and the rest (the current chunk past
//! `ptr`, spare chunks, a chunk's unused end) is poisoned. A new chunk is poisoned
//! whole; each allocation, and each growth in place, unpoisons what it hands out;
//! every move of `ptr` down (reset, rewind, pop, scope exit, a block handed back)
//! poisons what it passed over. A chunk is unpoisoned before it goes back to the
//! system allocator. The shadow memory keeps, per 8 bytes, how many of their first
//! bytes are addressable, which fits a stack: unpoisoning extends that prefix and
//! poisoning cuts it.
//!
//! Without the feature these functions do nothing and are not called from the
//! allocation fast path at all (`cfg` removes the calls). With it, the program must
//! be built with `-Zsanitizer=address`: the two functions are the sanitizer
//! runtime's, and nothing else defines them (linking fails otherwise).

#[cfg(feature = "asan")]
unsafe extern "C" {
    fn __asan_poison_memory_region(addr: *const u8, size: usize);
    fn __asan_unpoison_memory_region(addr: *const u8, size: usize);
}

/// Marks `len` bytes at `start` as not to be touched (with the `asan` feature).
///
/// Only the sanitizer's shadow memory changes: the bytes stay as they are. The range
/// must lie in memory the arena owns.
#[inline(always)]
pub(super) fn poison(start: *const u8, len: usize) {
    #[cfg(feature = "asan")]
    // SAFETY: the sanitizer's runtime defines the function (the feature is only for
    // builds with `-Zsanitizer=address`); it changes shadow memory only, for a range
    // the caller owns, and accepts any address and length.
    unsafe {
        __asan_poison_memory_region(start, len);
    }
    #[cfg(not(feature = "asan"))]
    let _ = (start, len);
}

/// Marks `len` bytes at `start` as addressable again (with the `asan` feature).
#[inline(always)]
pub(super) fn unpoison(start: *const u8, len: usize) {
    #[cfg(feature = "asan")]
    // SAFETY: as in `poison`.
    unsafe {
        __asan_unpoison_memory_region(start, len);
    }
    #[cfg(not(feature = "asan"))]
    let _ = (start, len);
}

/// Poisons `start..end` (addresses), nothing if it is empty.
#[inline(always)]
pub(super) fn poison_between(start: *const u8, end: *const u8) {
    poison(start, end.addr().saturating_sub(start.addr()));
}
