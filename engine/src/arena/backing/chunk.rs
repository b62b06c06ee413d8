//! The raw memory behind an arena: chunks taken from the system allocator.
//!
//! This is the only place that calls `std::alloc`. Everything above it sees a chunk
//! as a start pointer, a capacity and the logical offset at which it begins.

#[cfg(reserved_backing)]
use super::reserved;
use crate::arena::{bump, sanitizer};
use std::alloc::{self, Layout};
use std::ptr::NonNull;

/// Alignment of every chunk's first byte. Allocations with an alignment up to this
/// never need padding at the start of a fresh chunk.
pub(crate) const CHUNK_ALIGN: usize = 64;

/// A block of memory owned by an arena: an allocation from the system allocator, or
/// the committed front of a reserved range of address space.
#[derive(Debug)]
pub(crate) struct Chunk {
    start: NonNull<u8>,
    /// Bytes the arena may use: the whole allocation, or the committed front of a
    /// reservation (its pages rounded up: the rest of the last page is unused).
    capacity: usize,
    /// Logical offset of `start`: the arena's used bytes before this chunk.
    pub(crate) base_offset: usize,
    /// Bytes of address space reserved, whole pages; 0 for a heap chunk.
    reserved: usize,
    /// The most bytes ever committed, whole pages: what the sanitizer's shadow may
    /// hold state for when the reservation is released.
    #[cfg_attr(not(feature = "asan"), allow(dead_code))]
    peak_committed: usize,
}

impl Chunk {
    /// Takes `capacity` bytes from the system allocator, or `None` if it refuses, the
    /// size is not representable as a `Layout`, or (on 64-bit targets) the memory
    /// would end above `isize::MAX`.
    ///
    /// That last refusal is what lets the arena's fast path (`Arena::bump_fast`) add
    /// to addresses without checking for overflow. No 64-bit system we know of maps
    /// user memory up there. Pointers that carry a tag in their top byte (AArch64
    /// with HWASan) land there whenever the tag's top bit is set, so under HWASan
    /// about half of all chunk requests would fail, at random.
    pub(crate) fn allocate(capacity: usize, base_offset: usize) -> Option<Chunk> {
        debug_assert!(capacity > 0, "chunks are never empty");
        let layout = Layout::from_size_align(capacity, CHUNK_ALIGN).ok()?;
        // SAFETY: `layout` has a non-zero size (asserted above, and every caller
        // asks for at least one byte).
        let start = NonNull::new(unsafe { alloc::alloc(layout) })?;
        if cfg!(target_pointer_width = "64")
            && !bump::ends_in_low_half(start.as_ptr().addr(), capacity)
        {
            // SAFETY: `start` was allocated just above with this `layout`.
            unsafe { alloc::dealloc(start.as_ptr(), layout) };
            return None;
        }
        // Nothing in it is handed out yet (see `sanitizer.rs`).
        sanitizer::poison(start.as_ptr(), capacity);
        Some(Chunk {
            start,
            capacity,
            base_offset,
            reserved: 0,
            peak_committed: 0,
        })
    }

    /// Reserves `reserved` bytes of address space, whole pages as
    /// [`reservation_size`](Chunk::reservation_size) gives them, and commits the
    /// first `capacity` of them, or `None` if the system refuses either, or
    /// `capacity` is more than the reservation. Only where reserved backing is
    /// available ([`Backing::is_available`](crate::Backing::is_available)).
    #[cfg(reserved_backing)]
    pub(crate) fn reserve(reserved: usize, capacity: usize, base_offset: usize) -> Option<Chunk> {
        debug_assert_eq!(Chunk::reservation_size(reserved), reserved, "whole pages");
        if capacity > reserved {
            return None;
        }
        // A size too big to round to pages is refused here too: no room is left
        // past it for the guard page.
        let start = reserved::reserve(reserved)?;
        if !bump::ends_in_low_half(start.as_ptr().addr(), reserved) {
            // The fast path's one compare needs the arena's memory below
            // `isize::MAX` (see `Chunk::allocate`); no system maps it there.
            // SAFETY: made just above, and nothing uses it.
            unsafe { reserved::release(start, reserved) };
            return None;
        }
        let mut chunk = Chunk {
            start,
            capacity: 0,
            base_offset,
            reserved,
            peak_committed: 0,
        };
        // Dropping the chunk on failure releases the reservation.
        chunk.commit_to(capacity).then_some(chunk)
    }

    /// Without reserved backing no chunk is ever reserved.
    #[cfg(not(reserved_backing))]
    pub(crate) fn reserve(
        _reserved: usize,
        _capacity: usize,
        _base_offset: usize,
    ) -> Option<Chunk> {
        None
    }

    /// `bytes` as a reservation takes them: rounded up to whole pages (unchanged
    /// where reserved backing is not available, or if rounding overflows).
    pub(crate) fn reservation_size(bytes: usize) -> usize {
        #[cfg(reserved_backing)]
        return reserved::round_to_pages(bytes).unwrap_or(bytes);
        #[cfg(not(reserved_backing))]
        bytes
    }

    /// Bytes of address space reserved, or 0 for a chunk from the system allocator.
    pub(crate) fn reserved(&self) -> usize {
        self.reserved
    }

    /// Grows a reserved chunk to `capacity` usable bytes, committing the pages that
    /// takes. `false`, with nothing changed, if the system refuses the pages or
    /// `capacity` passes the reservation. The bytes committed are poisoned for the
    /// sanitizer: nothing in them is handed out yet.
    #[cfg(reserved_backing)]
    pub(crate) fn commit_to(&mut self, capacity: usize) -> bool {
        debug_assert!(capacity >= self.capacity, "commit_to only grows");
        let Some(pages_end) = reserved::round_to_pages(capacity) else {
            return false;
        };
        if pages_end > self.reserved {
            return false;
        }
        let committed_end = self.committed_pages();
        if pages_end > committed_end {
            let from = self.start.as_ptr().wrapping_add(committed_end);
            if !reserved::commit(from, pages_end - committed_end) {
                return false;
            }
            self.peak_committed = self.peak_committed.max(pages_end);
        }
        sanitizer::poison(
            self.start.as_ptr().wrapping_add(self.capacity),
            capacity - self.capacity,
        );
        self.capacity = capacity;
        true
    }

    /// Without reserved backing no chunk grows.
    #[cfg(not(reserved_backing))]
    pub(crate) fn commit_to(&mut self, _capacity: usize) -> bool {
        false
    }

    /// Shrinks a reserved chunk to `capacity` usable bytes, giving back the pages
    /// past it, and the contents of those past `resident` (at most `capacity`): they
    /// stay committed, but stop being resident until touched again. The caller holds
    /// no data past `resident`. `false`, with the capacity unchanged, if the system
    /// refused to decommit.
    #[cfg(reserved_backing)]
    pub(crate) fn decommit_to(&mut self, capacity: usize, resident: usize) -> bool {
        debug_assert!(capacity <= self.capacity, "decommit_to only shrinks");
        debug_assert!(resident <= capacity);
        let pages_end = reserved::round_to_pages(capacity).expect("below the reservation");
        let resident_end = reserved::round_to_pages(resident).expect("below the reservation");
        let committed_end = self.committed_pages();
        if resident_end < pages_end {
            let from = self.start.as_ptr().wrapping_add(resident_end);
            // Only residency is at stake: a refusal keeps the pages as they are.
            reserved::release_pages(from, pages_end - resident_end);
        }
        if pages_end < committed_end {
            let from = self.start.as_ptr().wrapping_add(pages_end);
            if !reserved::decommit(from, committed_end - pages_end) {
                return false;
            }
        }
        self.capacity = capacity;
        true
    }

    /// Without reserved backing no chunk shrinks.
    #[cfg(not(reserved_backing))]
    pub(crate) fn decommit_to(&mut self, _capacity: usize, _resident: usize) -> bool {
        false
    }

    /// End of the committed pages of a reserved chunk, as an offset from `start`.
    #[cfg(reserved_backing)]
    fn committed_pages(&self) -> usize {
        reserved::round_to_pages(self.capacity).expect("below the reservation")
    }

    pub(crate) fn start(&self) -> *mut u8 {
        self.start.as_ptr()
    }

    pub(crate) fn end(&self) -> *mut u8 {
        self.start.as_ptr().wrapping_add(self.capacity)
    }

    pub(crate) fn capacity(&self) -> usize {
        self.capacity
    }

    /// Whether an allocation of `size` bytes aligned to `align` fits in this chunk
    /// when it is empty.
    pub(crate) fn fits_when_empty(&self, size: usize, align: usize) -> bool {
        bump::fits_when_empty(self.start.as_ptr().addr(), self.capacity, size, align)
    }
}

impl Drop for Chunk {
    fn drop(&mut self) {
        #[cfg(reserved_backing)]
        if self.reserved > 0 {
            // The system may map other memory here next; the shadow of every page
            // ever committed may still say poisoned.
            sanitizer::unpoison(self.start.as_ptr(), self.peak_committed);
            // SAFETY: `start` and `reserved` are those of the reservation made in
            // `Chunk::reserve`, released only here, once; the arena drops a chunk
            // only when nothing can use its memory any more.
            unsafe { reserved::release(self.start, self.reserved) };
            return;
        }
        // The system allocator may hand these bytes to anyone next.
        sanitizer::unpoison(self.start.as_ptr(), self.capacity);
        // SAFETY: `start` came from `alloc::alloc` with exactly this layout in
        // `Chunk::allocate` (which checked the layout), and a chunk is dropped once.
        unsafe {
            alloc::dealloc(
                self.start.as_ptr(),
                Layout::from_size_align_unchecked(self.capacity, CHUNK_ALIGN),
            );
        }
    }
}
