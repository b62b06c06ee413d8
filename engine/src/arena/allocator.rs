//! `&Arena` as an `allocator_api2` allocator, so std-style collections (and
//! hashbrown's maps) can live in an arena.
//!
//! Deallocation is free except for the block at the top of the arena (the most
//! recent allocation, or the one before zero-sized allocations that took no
//! padding), whose bytes are handed back so that a growing `Vec` at the top of the
//! arena extends in place.
//! Arenas in debug mode never hand bytes back this way; their blocks stay on the
//! record until `pop`, `rewind` or `reset`.

use super::Arena;
use allocator_api2::alloc::{AllocError, Allocator};
use std::alloc::Layout;
use std::ptr::{self, NonNull};

// Where a block is the most recent allocation, the pointers below are derived from
// the arena's own `ptr`, never from the caller's: the caller's has the right address
// but may carry another allocation's provenance. A zero-sized block taken at the end
// of a full chunk has that chunk's, and the next chunk can begin at that very address.

impl Arena {
    /// Whether `ptr..ptr + size` is the most recent allocation (and bytes may be handed
    /// back or grown in place).
    fn is_last_allocation(&self, ptr: NonNull<u8>, size: usize) -> bool {
        // The start check matters: a block that ends a previous chunk can end exactly
        // where the current chunk begins, if the system allocator placed them so.
        // Not while a slow path runs: it is moving the arena to another chunk.
        !self.config.debug_blocks
            && !self.in_slow_path.get()
            && ptr.as_ptr().addr() >= self.chunk_start.get().addr()
            && ptr.as_ptr().wrapping_add(size) == self.ptr.get()
    }

    /// Hands back the top `bytes` of the most recent allocation, recording the peak
    /// first (the bytes handed back were in use until now).
    fn hand_back_top(&self, bytes: usize) {
        let used = self.offset();
        self.raise_high_water(used);
        self.ptr.set(self.ptr.get().wrapping_sub(bytes));
    }
}

// SAFETY: memory handed out stays valid until the arena is reset, rewound or popped,
// all of which need `&mut Arena` and so cannot happen while a `&Arena` (this
// allocator) is alive. Blocks never overlap, and `grow`/`shrink` keep the contents.
unsafe impl Allocator for &Arena {
    #[inline]
    fn allocate(&self, layout: Layout) -> Result<NonNull<[u8]>, AllocError> {
        let ptr = self.try_alloc_layout(layout).map_err(|_| AllocError)?;
        Ok(NonNull::slice_from_raw_parts(ptr, layout.size()))
    }

    #[inline]
    unsafe fn deallocate(&self, ptr: NonNull<u8>, layout: Layout) {
        if self.is_last_allocation(ptr, layout.size()) {
            self.hand_back_top(layout.size());
        }
    }

    #[inline]
    unsafe fn grow(
        &self,
        ptr: NonNull<u8>,
        old_layout: Layout,
        new_layout: Layout,
    ) -> Result<NonNull<[u8]>, AllocError> {
        let extra = new_layout.size() - old_layout.size();
        let fits_in_place = self.is_last_allocation(ptr, old_layout.size())
            && ptr.as_ptr().addr().is_multiple_of(new_layout.align())
            && extra <= self.chunk_end.get().addr() - self.ptr.get().addr();
        if fits_in_place {
            let block = self.ptr.get().wrapping_sub(old_layout.size());
            self.ptr.set(self.ptr.get().wrapping_add(extra));
            // SAFETY: `block` has the address of `ptr`, which is not null.
            let block = unsafe { NonNull::new_unchecked(block) };
            return Ok(NonNull::slice_from_raw_parts(block, new_layout.size()));
        }
        let new_ptr = self.try_alloc_layout(new_layout).map_err(|_| AllocError)?;
        // SAFETY: the caller guarantees `ptr` holds `old_layout.size()` bytes; the new
        // block is fresh, at least as big, and disjoint from the old one.
        unsafe { ptr::copy_nonoverlapping(ptr.as_ptr(), new_ptr.as_ptr(), old_layout.size()) };
        Ok(NonNull::slice_from_raw_parts(new_ptr, new_layout.size()))
    }

    #[inline]
    unsafe fn shrink(
        &self,
        ptr: NonNull<u8>,
        old_layout: Layout,
        new_layout: Layout,
    ) -> Result<NonNull<[u8]>, AllocError> {
        if !ptr.as_ptr().addr().is_multiple_of(new_layout.align()) {
            let new_ptr = self.try_alloc_layout(new_layout).map_err(|_| AllocError)?;
            // SAFETY: the old block holds at least `new_layout.size()` bytes; the new
            // block is fresh and disjoint from it.
            unsafe { ptr::copy_nonoverlapping(ptr.as_ptr(), new_ptr.as_ptr(), new_layout.size()) };
            return Ok(NonNull::slice_from_raw_parts(new_ptr, new_layout.size()));
        }
        if self.is_last_allocation(ptr, old_layout.size()) {
            self.hand_back_top(old_layout.size() - new_layout.size());
        }
        Ok(NonNull::slice_from_raw_parts(ptr, new_layout.size()))
    }
}
