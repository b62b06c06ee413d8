//! The allocation slow path: what happens when the current chunk is full. It takes a
//! spare chunk left by a rewind or a new one from the backing, sized by
//! [`bump::next_chunk_capacity`], and keeps the steady-state fields that let
//! `reset` and scope exits take their one-compare fast paths.

use super::backing::{CHUNK_ALIGN, Chunk};
use super::bump::{self, ChunkRequest, CommitRequest, GrowthRefused};
use super::{
    AllocError, Arena, Backing, DEFAULT_FIRST_CHUNK_BYTES, Growth, SlowState, alloc_failed,
};
use std::alloc::Layout;
use std::ptr::{self, NonNull};
use std::sync::Arc;

impl Arena {
    /// The slow path of the panicking calls. It returns a bare pointer, not a
    /// `Result`, on purpose: an `AllocError` is too big for registers, so a `Result`
    /// comes back through a stack slot that every function inlining the fast path
    /// must reserve. That slot makes each such frame bigger and shifts the caller's
    /// own stack stores, which can then straddle a 32-byte boundary and slow a tight
    /// loop (ARCHITECTURE.md, "Decisions").
    #[cold]
    #[inline(never)]
    #[track_caller]
    pub(super) fn alloc_slow_or_panic(&self, layout: Layout) -> NonNull<u8> {
        match self.alloc_slow(layout) {
            Ok(ptr) => ptr,
            Err(error) => alloc_failed(error),
        }
    }

    #[cold]
    #[inline(never)]
    pub(super) fn alloc_slow(&self, layout: Layout) -> Result<NonNull<u8>, AllocError> {
        let _guard = self.enter_slow_path()?;
        let (size, align) = (layout.size(), layout.align());
        let offset_before = self.offset();
        // Debug mode sends everything here: the current chunk may still have room.
        if let Some(ptr) = self.bump_below(self.chunk_end.get(), size, align) {
            self.record_block(offset_before, size);
            return Ok(ptr);
        }
        if size == 0 {
            // Nothing to store, and no room for the padding: any aligned non-null
            // pointer will do.
            self.allocation_count.set(self.allocation_count.get() + 1);
            return Ok(NonNull::new(ptr::without_provenance_mut(align)).expect("align is non-zero"));
        }
        // SAFETY: no other borrow of the slow state is alive: slow paths do not nest
        // (the guard above), and what this one calls out to (the global allocator,
        // for the chunk and the chunk list) cannot re-enter it past that guard.
        let slow = unsafe { &mut *self.slow.get() };
        match self.config.backing {
            Backing::Reserved { reserve_bytes } => {
                self.grow_reserved(slow, size, align, reserve_bytes)?;
            }
            Backing::Chunked => self.take_chunk(slow, size, align, offset_before)?,
        }
        let ptr = self
            .bump_below(self.chunk_end.get(), size, align)
            .expect("invariant: growth leaves room for the request it was sized for");
        // Any padding at the start of a new chunk belongs to this allocation.
        self.record_block(offset_before, size);
        Ok(ptr)
    }

    /// The slow path of chunked backing: makes current the next chunk, a spare that
    /// fits `size` bytes aligned to `align` or a new one that does, starting at the
    /// logical offset `offset_before`.
    fn take_chunk(
        &self,
        slow: &mut SlowState,
        size: usize,
        align: usize,
        offset_before: usize,
    ) -> Result<(), AllocError> {
        let next = if slow.chunks.is_empty() {
            0
        } else {
            self.chunk_index.get() + 1
        };
        let spare_fits = slow
            .chunks
            .get(next)
            .is_some_and(|spare| spare.fits_when_empty(size, align));
        if spare_fits {
            slow.chunks[next].base_offset = offset_before;
        } else {
            let spare_bytes: usize = slow.chunks[next.min(slow.chunks.len())..]
                .iter()
                .map(Chunk::capacity)
                .sum();
            let kept_committed = self.committed.get() - spare_bytes;
            let last_capacity = slow.chunks[..next].last().map_or(0, Chunk::capacity);
            let capacity = self.next_chunk_capacity(size, align, kept_committed, last_capacity)?;
            if self
                .config
                .limit_bytes
                .is_some_and(|limit| self.committed.get() + capacity > limit)
            {
                // Holding the spares while the new chunk is taken would pass the
                // limit, even for a moment: give them back first.
                slow.chunks.truncate(next);
                self.committed.set(kept_committed);
                self.chunk_count.set(slow.chunks.len());
            }
            let chunk = Chunk::allocate(capacity, offset_before).ok_or_else(|| {
                AllocError::OutOfMemory {
                    arena: Arc::clone(&self.name),
                    requested: size,
                    chunk_bytes: capacity,
                }
            })?;
            slow.chunks.truncate(next);
            slow.chunks.push(chunk);
            self.chunk_count.set(slow.chunks.len());
            self.committed.set(kept_committed + capacity);
            self.grow_count.set(self.grow_count.get() + 1);
        }
        self.enter_chunk(next);
        Ok(())
    }

    /// The slow path of reserved backing: reserves the range on the first request,
    /// and otherwise commits more of it, so that `size` bytes aligned to `align` fit
    /// past `ptr`. The arena's one chunk is then current, with room for them.
    fn grow_reserved(
        &self,
        slow: &mut SlowState,
        size: usize,
        align: usize,
        reserve_bytes: usize,
    ) -> Result<(), AllocError> {
        if !slow.chunks.is_empty() {
            return self.commit_past_ptr(slow, size, align);
        }
        let reserved = self.reservation_bytes(reserve_bytes);
        // The range starts on a page, so alignments up to `CHUNK_ALIGN` need no
        // padding; past that, assume the worst.
        let request = CommitRequest {
            size: size.saturating_add(align.saturating_sub(CHUNK_ALIGN)),
            reserved,
            ..self.empty_commit_request()
        };
        let capacity = self.commit_capacity(request, size, align)?;
        let chunk = Chunk::reserve(reserved, capacity, 0)
            .ok_or_else(|| self.commit_refused(size, capacity))?;
        slow.chunks.push(chunk);
        self.chunk_count.set(1);
        self.committed.set(capacity);
        self.grow_count.set(self.grow_count.get() + 1);
        self.enter_chunk(0);
        Ok(())
    }

    /// Commits more of a reserved arena's range so that `size` bytes aligned to
    /// `align` fit past `ptr`. The chunk keeps its address and stays current, and so
    /// does everything in it; only its end moves. On an error nothing changed.
    pub(super) fn commit_past_ptr(
        &self,
        slow: &mut SlowState,
        size: usize,
        align: usize,
    ) -> Result<(), AllocError> {
        let chunk = &mut slow.chunks[0];
        let request = CommitRequest {
            start: chunk.start().addr(),
            used: self.ptr.get().addr() - chunk.start().addr(),
            size,
            align,
            capacity: chunk.capacity(),
            reserved: chunk.reserved(),
            ..self.empty_commit_request()
        };
        let capacity = self.commit_capacity(request, size, align)?;
        if !chunk.commit_to(capacity) {
            return Err(self.commit_refused(size, capacity));
        }
        self.committed.set(capacity);
        self.grow_count.set(self.grow_count.get() + 1);
        self.chunk_end.set(chunk.end());
        if !self.steady_peak.get().is_null() {
            self.steady_peak
                .set(self.peak_address(self.high_water.get()));
        }
        Ok(())
    }

    /// Commits room for `extra` more bytes right past `ptr`, for a block at the top
    /// that grows in place. `false` (nothing changed) without reserved backing,
    /// inside another slow path, or when the arena cannot commit them.
    #[cold]
    #[inline(never)]
    pub(super) fn commit_for_growth_in_place(&self, extra: usize) -> bool {
        if !matches!(self.config.backing, Backing::Reserved { .. }) {
            return false;
        }
        let Ok(_guard) = self.enter_slow_path() else {
            return false;
        };
        // SAFETY: no other borrow of the slow state is alive: slow paths do not nest
        // (the guard above), and committing calls out to nothing but the system.
        let slow = unsafe { &mut *self.slow.get() };
        !slow.chunks.is_empty() && self.commit_past_ptr(slow, extra, 1).is_ok()
    }

    /// A request for nothing, in an empty reservation of no bytes, under the arena's
    /// growth configuration: callers fill in what they know with `..` (struct
    /// update), so that every commit is sized under the same configuration.
    fn empty_commit_request(&self) -> CommitRequest {
        CommitRequest {
            start: 0,
            used: 0,
            size: 0,
            align: 1,
            capacity: 0,
            first_chunk: self.first_chunk_bytes(),
            reserved: 0,
            may_grow: self.config.growth != Growth::Fixed,
            limit: self.config.limit_bytes,
        }
    }

    /// The error for a system that refused to commit `capacity` bytes for a request
    /// of `size`.
    fn commit_refused(&self, size: usize, capacity: usize) -> AllocError {
        AllocError::CommitRefused {
            arena: Arc::clone(&self.name),
            requested: size,
            committed_bytes: capacity,
        }
    }

    /// The usable bytes a commit request gets, or the error that names why none.
    fn commit_capacity(
        &self,
        request: CommitRequest,
        size: usize,
        align: usize,
    ) -> Result<usize, AllocError> {
        bump::next_commit_capacity(request)
            .map_err(|refused| self.growth_refused(refused, size, align, request.reserved))
    }

    /// The error that says why the arena may not grow for `size` bytes aligned to
    /// `align` (`reserved`: its reservation, with reserved backing).
    fn growth_refused(
        &self,
        refused: GrowthRefused,
        size: usize,
        align: usize,
        reserved: usize,
    ) -> AllocError {
        match refused {
            GrowthRefused::Fixed => AllocError::CapacityExceeded {
                arena: Arc::clone(&self.name),
                requested: size,
                align,
                used: self.offset(),
                capacity: self.committed.get(),
            },
            GrowthRefused::Limit => AllocError::LimitExceeded {
                arena: Arc::clone(&self.name),
                requested: size,
                committed: self.committed.get(),
                limit: self.config.limit_bytes.unwrap_or(usize::MAX),
            },
            GrowthRefused::Reservation => AllocError::ReservationExhausted {
                arena: Arc::clone(&self.name),
                requested: size,
                align,
                used: self.offset(),
                reserved,
            },
        }
    }

    /// Bytes of address space a reserved arena takes for `reserve_bytes`: no more
    /// than its limit, exactly its capacity if that is fixed, and never less than
    /// its starting capacity, rounded up to whole pages as
    /// [`Chunk::reserve`] wants them.
    pub(super) fn reservation_bytes(&self, reserve_bytes: usize) -> usize {
        let mut bytes = reserve_bytes;
        if let Some(limit) = self.config.limit_bytes {
            bytes = bytes.min(limit);
        }
        if self.config.growth == Growth::Fixed {
            bytes = self.config.initial_capacity;
        }
        Chunk::reservation_size(bytes.max(self.config.initial_capacity))
    }

    /// Size of the first chunk (or first commit): the starting capacity, or
    /// [`DEFAULT_FIRST_CHUNK_BYTES`].
    pub(super) fn first_chunk_bytes(&self) -> usize {
        if self.config.initial_capacity > 0 {
            self.config.initial_capacity
        } else {
            DEFAULT_FIRST_CHUNK_BYTES
        }
    }

    /// Size of the next chunk for a request that did not fit, or why the arena's
    /// configuration refuses to grow.
    pub(super) fn next_chunk_capacity(
        &self,
        size: usize,
        align: usize,
        kept_committed: usize,
        last_capacity: usize,
    ) -> Result<usize, AllocError> {
        let first_chunk = self.first_chunk_bytes();
        let request = ChunkRequest {
            size,
            align,
            chunk_align: CHUNK_ALIGN,
            first_chunk,
            last_capacity,
            kept_committed,
            may_grow: self.config.growth != Growth::Fixed,
            limit: self.config.limit_bytes,
        };
        bump::next_chunk_capacity(request)
            .map_err(|refused| self.growth_refused(refused, size, align, 0))
    }

    /// Makes chunk `index` current, with nothing allocated in it yet. This ends the
    /// steady state until the next reset: a scope entered before it may have begun
    /// in another chunk, or in none.
    pub(super) fn enter_chunk(&self, index: usize) {
        // SAFETY: no other borrow of the slow state is alive (callers hold none).
        let slow = unsafe { &*self.slow.get() };
        let chunk = &slow.chunks[index];
        self.chunk_index.set(index);
        self.chunk_start.set(chunk.start());
        self.steady_chunk.set(ptr::null_mut());
        self.steady_peak.set(ptr::null_mut());
        self.chunk_end.set(chunk.end());
        self.chunk_base.set(chunk.base_offset);
        self.ptr.set(chunk.start());
        self.limit.set(if self.config.debug_blocks {
            chunk.start()
        } else {
            chunk.end()
        });
    }

    /// Makes the arena hold no chunk, as at construction without a capacity: every
    /// pointer is the dangling 1, so the next allocation takes the slow path.
    pub(super) fn enter_no_chunk(&self) {
        let dangling = ptr::dangling_mut::<u8>();
        self.chunk_index.set(0);
        self.chunk_start.set(dangling);
        self.chunk_end.set(dangling);
        self.chunk_base.set(0);
        self.ptr.set(dangling);
        self.limit.set(dangling);
        self.steady_chunk.set(ptr::null_mut());
        self.steady_peak.set(ptr::null_mut());
    }

    /// Starts a cycle (at construction and at the end of every reset outside the
    /// steady state): the arena becomes steady if it is not in debug mode and holds
    /// at most one chunk, which is then current with nothing entered since.
    pub(super) fn begin_cycle(&self) {
        // SAFETY: no other borrow of the slow state is alive (callers hold none).
        let chunk_count = unsafe { &*self.slow.get() }.chunks.len();
        if self.config.debug_blocks || chunk_count > 1 {
            return;
        }
        self.steady_chunk.set(self.chunk_start.get());
        self.steady_peak
            .set(self.peak_address(self.high_water.get()));
    }

    /// The address `high_water` bytes into the current chunk, or its end if that is
    /// nearer: `ptr` never passes the end, so comparing with either says the same.
    pub(super) fn peak_address(&self, high_water: usize) -> *mut u8 {
        let start = self.chunk_start.get();
        let capacity = self.chunk_end.get().addr() - start.addr();
        start.wrapping_add(high_water.min(capacity))
    }

    /// Records `used` bytes as the high-water mark if it is a new peak. Written only
    /// when it rises: a steady loop rarely sets one.
    #[inline]
    pub(super) fn raise_high_water(&self, used: usize) {
        if used > self.high_water.get() {
            self.high_water.set(used);
            if !self.steady_peak.get().is_null() {
                self.steady_peak.set(self.peak_address(used));
            }
        }
    }
}
