//! The raw memory behind an arena: chunks taken from the system allocator.
//!
//! This is the only place that calls `std::alloc`. Everything above it sees a chunk
//! as a start pointer, a capacity and the logical offset at which it begins.

use crate::arena::{bump, sanitizer};
use std::alloc::{self, Layout};
use std::ptr::NonNull;

/// Alignment of every chunk's first byte. Allocations with an alignment up to this
/// never need padding at the start of a fresh chunk.
pub(crate) const CHUNK_ALIGN: usize = 64;

/// A block of memory owned by an arena.
#[derive(Debug)]
pub(crate) struct Chunk {
    start: NonNull<u8>,
    capacity: usize,
    /// Logical offset of `start`: the arena's used bytes before this chunk.
    pub(crate) base_offset: usize,
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
        })
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
