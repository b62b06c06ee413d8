//! `&Arena` as an `allocator_api2` allocator, so std-style collections (and
//! hashbrown's maps) can live in an arena.
//!
//! Deallocation is free except for the block at the top of the arena (the most
//! recent allocation, or the one before zero-sized allocations that took no
//! padding), whose bytes are handed back so that a growing `Vec` at the top of the
//! arena extends in place.
//! Arenas in debug mode never hand bytes back this way; their blocks stay on the
//! record until `pop`, `rewind` or `reset`.
//!
//! The same top-block operations (release, grow in place, the floor that kept
//! frame data sets) serve the engine's own collections (`crate::collections`).

use super::{Arena, sanitizer};
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
        // Not while a slow path runs: it is moving the arena to another chunk. Not
        // below the floor: kept data there must stay as it is until the reset.
        !self.config.debug_blocks
            && !self.in_slow_path.get()
            && ptr.as_ptr().addr() >= self.chunk_start.get().addr()
            && (ptr.as_ptr().addr() >= self.hand_back_floor.get()
                || self.hand_back_floor_cycle.get() != self.reset_count)
            && ptr.as_ptr().wrapping_add(size) == self.ptr.get()
    }

    /// Hands back the top `bytes` of the most recent allocation, recording the peak
    /// first (the bytes handed back were in use until now).
    fn hand_back_top(&self, bytes: usize) {
        let used = self.offset();
        self.raise_high_water(used);
        let top = self.ptr.get();
        self.ptr.set(top.wrapping_sub(bytes));
        sanitizer::poison(self.ptr.get(), bytes);
    }

    /// Hands the `size` bytes at `ptr` back to the arena if they are its most recent
    /// allocation; otherwise they stay in use until a reset, rewind or pop.
    ///
    /// The caller no longer uses the block: it is its owner, giving it up.
    pub(crate) fn release(&self, ptr: NonNull<u8>, size: usize) {
        if self.is_last_allocation(ptr, size) {
            self.hand_back_top(size);
        }
    }

    /// Gives up the tail of the `old_size` bytes at `ptr` beyond `new_size` if the
    /// block is the most recent allocation. The block keeps its address either way.
    pub(crate) fn release_tail(&self, ptr: NonNull<u8>, old_size: usize, new_size: usize) {
        if self.is_last_allocation(ptr, old_size) {
            self.hand_back_top(old_size - new_size);
        }
    }

    /// Grows the `old_size` bytes at `ptr` to `new_size` where they are, if they are
    /// the most recent allocation, `align` still holds and the chunk has the room
    /// (with reserved backing: once more is committed, up to the reservation).
    /// Returns the block, with provenance from the arena's own pointer, or `None`
    /// when the caller must move it.
    pub(crate) fn grow_in_place(
        &self,
        ptr: NonNull<u8>,
        old_size: usize,
        new_size: usize,
        align: usize,
    ) -> Option<NonNull<u8>> {
        let extra = new_size - old_size;
        if !self.is_last_allocation(ptr, old_size) || !ptr.as_ptr().addr().is_multiple_of(align) {
            return None;
        }
        // Reserved backing can commit the room where the block is.
        let has_room = extra <= self.chunk_end.get().addr() - self.ptr.get().addr()
            || self.commit_for_growth_in_place(extra);
        if !has_room {
            return None;
        }
        let block = self.ptr.get().wrapping_sub(old_size);
        sanitizer::unpoison(self.ptr.get(), extra);
        self.ptr.set(self.ptr.get().wrapping_add(extra));
        // SAFETY: `block` has the address of `ptr`, which is not null.
        Some(unsafe { NonNull::new_unchecked(block) })
    }

    /// Whether `data` lies in this arena's live memory (empty data always does); if
    /// it has bytes, they are then kept: see [`keep_below`](Arena::keep_below). The
    /// check and the floor behind `Frame::keep` and `WorkerArena::keep`.
    pub(crate) fn keep_if_live<T>(&self, data: &[T]) -> bool {
        let bytes = std::mem::size_of_val(data);
        if bytes == 0 {
            return true;
        }
        let addr = data.as_ptr().addr();
        if !self.holds_live_range(addr, bytes) {
            return false;
        }
        self.keep_below(addr + bytes);
        true
    }

    /// From now until the next reset, no block that starts below `end` is handed
    /// back: the bytes below it were handed to the next frame, and a collection
    /// that owns them (dropped or shrunk later in this frame) must not return them
    /// to be overwritten.
    pub(crate) fn keep_below(&self, end: usize) {
        if self.hand_back_floor_cycle.get() != self.reset_count {
            self.hand_back_floor_cycle.set(self.reset_count);
            self.hand_back_floor.set(end);
        } else if end > self.hand_back_floor.get() {
            self.hand_back_floor.set(end);
        }
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
        self.release(ptr, layout.size());
    }

    #[inline]
    unsafe fn grow(
        &self,
        ptr: NonNull<u8>,
        old_layout: Layout,
        new_layout: Layout,
    ) -> Result<NonNull<[u8]>, AllocError> {
        if let Some(block) = self.grow_in_place(
            ptr,
            old_layout.size(),
            new_layout.size(),
            new_layout.align(),
        ) {
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
        self.release_tail(ptr, old_layout.size(), new_layout.size());
        Ok(NonNull::slice_from_raw_parts(ptr, new_layout.size()))
    }
}
