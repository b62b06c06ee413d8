//! The arena as a stack: raw pushes, pops, marks to rewind to, and the reset that
//! frees everything at once. Every operation that frees memory takes `&mut self`,
//! so the borrow checker refuses to free what a reference still points into.

use super::backing::Chunk;
use super::bump;
use super::{
    AllocError, Arena, DEFAULT_FIRST_CHUNK_BYTES, StackError, debug, sanitizer, stack_failed,
};
use std::alloc::Layout;
use std::mem::{self, MaybeUninit};
use std::sync::Arc;

/// Alignment of [`Arena::push`]: one machine word.
pub const PUSH_ALIGN: usize = mem::align_of::<usize>();

/// A position in an arena's stack of allocations, from [`Arena::mark`].
///
/// Rewinding to it frees everything allocated after it was taken. A mark is
/// refused (see [`StackError`]) if it belongs to another arena, was taken before the
/// last reset, or lies past what is in use because the arena was already rewound
/// below it.
///
/// ```
/// let mut arena = engine::Arena::new("a");
/// arena.alloc(1u64);
/// let mark = arena.mark();
/// assert_eq!(mark.offset(), 8);
/// arena.alloc_slice_fill_copy(100, 0u8);
/// arena.rewind(mark);
/// assert_eq!(arena.offset(), 8);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mark {
    pub(super) arena_id: u64,
    pub(super) resets: u64,
    pub(super) offset: usize,
}

impl Mark {
    /// The arena's offset (bytes in use) when the mark was taken.
    ///
    /// ```
    /// let arena = engine::Arena::new("a");
    /// assert_eq!(arena.mark().offset(), 0);
    /// ```
    #[must_use]
    pub fn offset(&self) -> usize {
        self.offset
    }
}

impl Arena {
    /// Pushes `size` raw bytes aligned to [`PUSH_ALIGN`] (one word), like the C
    /// `arena_push`. The bytes are uninitialized; [`pop`](Arena::pop) gives them back.
    ///
    /// # Panics
    /// If the arena cannot grow.
    ///
    /// ```
    /// let mut arena = engine::Arena::new("stack");
    /// let bytes = arena.push(256);
    /// assert_eq!(bytes.len(), 256);
    /// assert_eq!(bytes.as_ptr() as usize % engine::PUSH_ALIGN, 0);
    /// arena.pop(256);
    /// assert_eq!(arena.offset(), 0);
    /// ```
    #[inline]
    #[track_caller]
    #[allow(clippy::mut_from_ref)] // each call hands out fresh, disjoint memory
    pub fn push(&self, size: usize) -> &mut [MaybeUninit<u8>] {
        self.push_aligned(size, PUSH_ALIGN)
    }

    /// Fallible [`push`](Arena::push).
    ///
    /// # Errors
    /// [`AllocError::InvalidLayout`] for a size above `isize::MAX`, or a failure to
    /// grow; the arena is unchanged.
    ///
    /// ```
    /// let arena = engine::Arena::with_fixed_capacity("stack", 64);
    /// assert!(arena.try_push(65).is_err());
    /// ```
    #[inline]
    #[allow(clippy::mut_from_ref)] // each call hands out fresh, disjoint memory
    pub fn try_push(&self, size: usize) -> Result<&mut [MaybeUninit<u8>], AllocError> {
        self.try_push_aligned(size, PUSH_ALIGN)
    }

    /// Pushes `size` raw bytes aligned to `align`.
    ///
    /// # Panics
    /// If `align` is not a power of two, or the arena cannot grow.
    ///
    /// ```
    /// let arena = engine::Arena::new("stack");
    /// let page = arena.push_aligned(4096, 4096);
    /// assert_eq!(page.as_ptr() as usize % 4096, 0);
    /// ```
    #[inline]
    #[track_caller]
    #[allow(clippy::mut_from_ref)] // each call hands out fresh, disjoint memory
    pub fn push_aligned(&self, size: usize, align: usize) -> &mut [MaybeUninit<u8>] {
        let Ok(layout) = Layout::from_size_align(size, align) else {
            self.invalid_layout_failed(size, align)
        };
        let ptr = self.alloc_layout(layout);
        // SAFETY: `size` fresh bytes borrowed for the lifetime of `&self`;
        // `MaybeUninit<u8>` has no validity requirement.
        unsafe { std::slice::from_raw_parts_mut(ptr.as_ptr().cast(), size) }
    }

    /// Fallible [`push_aligned`](Arena::push_aligned).
    ///
    /// # Errors
    /// [`AllocError::InvalidLayout`] if `align` is not a power of two or the size is
    /// too large, or a failure to grow; the arena is unchanged.
    ///
    /// ```
    /// let arena = engine::Arena::new("stack");
    /// assert!(matches!(arena.try_push_aligned(8, 3), Err(engine::AllocError::InvalidLayout { align: 3, .. })));
    /// ```
    #[inline]
    #[allow(clippy::mut_from_ref)] // each call hands out fresh, disjoint memory
    pub fn try_push_aligned(
        &self,
        size: usize,
        align: usize,
    ) -> Result<&mut [MaybeUninit<u8>], AllocError> {
        let layout =
            Layout::from_size_align(size, align).map_err(|_| self.invalid_layout(size, align))?;
        let ptr = self.try_alloc_layout(layout)?;
        // SAFETY: `size` fresh bytes borrowed for the lifetime of `&self`;
        // `MaybeUninit<u8>` has no validity requirement.
        Ok(unsafe { std::slice::from_raw_parts_mut(ptr.as_ptr().cast(), size) })
    }

    /// Gives back the last `size` bytes, like the C `arena_pop`.
    ///
    /// In debug mode ([`ArenaConfig::debug_blocks`](crate::ArenaConfig::debug_blocks)) `size` must be the size of the
    /// last block pushed or allocated, and that block's alignment padding goes too;
    /// the freed bytes are poisoned (zero-sized allocations are not blocks, and
    /// `pop(0)` frees nothing). Otherwise the offset simply moves back `size` bytes.
    ///
    /// # Panics
    /// On the errors of [`try_pop`](Arena::try_pop).
    ///
    /// ```
    /// let mut arena = engine::Arena::new("stack");
    /// arena.push(64);
    /// arena.push(32);
    /// arena.pop(32);
    /// assert_eq!(arena.offset(), 64);
    /// ```
    #[track_caller]
    pub fn pop(&mut self, size: usize) {
        if let Err(error) = self.try_pop(size) {
            stack_failed(error);
        }
    }

    /// Fallible [`pop`](Arena::pop).
    ///
    /// # Errors
    /// [`StackError::PopUnderflow`] if `size` is more than is in use;
    /// [`StackError::PopMismatch`] in debug mode if `size` is not the size of the
    /// last block. The arena is unchanged.
    ///
    /// ```
    /// use engine::{Arena, ArenaConfig, StackError};
    /// let mut arena = Arena::with_config("dbg", ArenaConfig { debug_blocks: true, ..Default::default() });
    /// arena.push(40);
    /// assert_eq!(arena.try_pop(8), Err(StackError::PopMismatch { requested: 8, last_block: 40 }));
    /// assert_eq!(arena.try_pop(40), Ok(()));
    /// ```
    pub fn try_pop(&mut self, size: usize) -> Result<(), StackError> {
        let target = self.pop_target(size)?;
        self.retreat_to(target);
        Ok(())
    }

    /// The offset that popping `size` bytes goes back to, or why it cannot.
    pub(super) fn pop_target(&mut self, size: usize) -> Result<usize, StackError> {
        let used = self.offset();
        if !self.config.debug_blocks {
            return used.checked_sub(size).ok_or(StackError::PopUnderflow {
                requested: size,
                used,
            });
        }
        if size == 0 {
            // Zero-sized allocations are not recorded as blocks.
            return Ok(used);
        }
        match self.slow.get_mut().blocks.last() {
            Some(block) if block.size == size => Ok(block.offset_before),
            Some(block) => Err(StackError::PopMismatch {
                requested: size,
                last_block: block.size,
            }),
            None => Err(StackError::PopUnderflow {
                requested: size,
                used,
            }),
        }
    }

    /// The current position, to [`rewind`](Arena::rewind) to later.
    ///
    /// ```
    /// let arena = engine::Arena::new("a");
    /// let before = arena.mark();
    /// arena.alloc(0u32);
    /// assert!(arena.mark().offset() > before.offset());
    /// ```
    #[inline]
    #[must_use]
    pub fn mark(&self) -> Mark {
        Mark {
            arena_id: self.id,
            resets: self.reset_count,
            offset: self.offset(),
        }
    }

    /// Frees everything allocated since `mark` was taken.
    ///
    /// # Panics
    /// On the errors of [`try_rewind`](Arena::try_rewind): a mark of another arena,
    /// from before the last reset, or past the current offset.
    ///
    /// ```
    /// let mut arena = engine::Arena::new("a");
    /// let mark = arena.mark();
    /// arena.alloc_slice_fill_copy(1000, 1u8);
    /// arena.rewind(mark);
    /// assert_eq!(arena.offset(), 0);
    /// ```
    #[inline]
    #[track_caller]
    pub fn rewind(&mut self, mark: Mark) {
        if let Err(error) = self.try_rewind(mark) {
            stack_failed(error);
        }
    }

    /// Fallible [`rewind`](Arena::rewind).
    ///
    /// # Errors
    /// [`StackError::ForeignMark`], [`StackError::MarkBeforeReset`] or
    /// [`StackError::StaleMark`]; the arena is unchanged.
    ///
    /// ```
    /// use engine::{Arena, StackError};
    /// let mut a = Arena::new("a");
    /// let b = Arena::new("b");
    /// assert!(matches!(a.try_rewind(b.mark()), Err(StackError::ForeignMark { .. })));
    /// ```
    #[inline]
    pub fn try_rewind(&mut self, mark: Mark) -> Result<(), StackError> {
        if mark.arena_id != self.id {
            return Err(StackError::ForeignMark {
                arena: Arc::clone(&self.name),
            });
        }
        if mark.resets != self.reset_count {
            return Err(StackError::MarkBeforeReset {
                mark_resets: mark.resets,
                arena_resets: self.reset_count,
            });
        }
        let used = self.offset();
        if mark.offset > used {
            return Err(StackError::StaleMark {
                mark_offset: mark.offset,
                used,
            });
        }
        if !self.config.debug_blocks && mark.offset >= self.chunk_base.get() {
            // Fast path: the mark is in the current chunk.
            self.raise_high_water(used);
            let within = mark.offset - self.chunk_base.get();
            let top = self.ptr.get();
            self.ptr.set(self.chunk_start.get().wrapping_add(within));
            sanitizer::poison_between(self.ptr.get(), top);
            return Ok(());
        }
        self.retreat_to(mark.offset);
        Ok(())
    }

    /// Frees everything at once. O(1) in the number of allocations (plus poisoning
    /// in debug mode). If the arena had grown to several chunks, they are replaced
    /// by one chunk big enough for the high-water mark (rounded up to a power of
    /// two, and at least twice the first chunk, which the cycle outgrew), so the
    /// next cycle of the same work needs no new memory. With a
    /// [`TrimPolicy`](crate::TrimPolicy), or after [`trim`](Arena::trim), the reset
    /// that closes a measuring window may also replace that chunk by a smaller one.
    ///
    /// ```
    /// let mut arena = engine::Arena::new("frame");
    /// for _ in 0..3 {
    ///     arena.alloc_slice_fill_copy(10_000, 0u32);
    ///     arena.reset();
    /// }
    /// let stats = arena.stats();
    /// assert_eq!((stats.used_bytes, stats.chunk_count), (0, 1));
    /// assert!(stats.committed_bytes >= 40_000);
    /// ```
    #[inline]
    pub fn reset(&mut self) {
        let start = self.steady_chunk.get();
        if start.is_null() || self.reset_count == self.trim_check_at {
            self.reset_chunks();
            return;
        }
        // The steady state: at most one chunk, already current, and chunk 0 always
        // starts at offset 0. Only debug mode keeps blocks, so there are none to clear.
        debug_assert!(
            self.chunk_index.get() == 0
                && self.chunk_base.get() == 0
                && start == self.chunk_start.get()
        );
        self.count_reset(self.ptr.get().addr() - start.addr());
        #[cfg(feature = "asan")]
        sanitizer::poison_between(start, self.ptr.get());
        self.ptr.set(start);
    }

    /// The bookkeeping of every reset, given the bytes in use before it.
    #[inline(always)]
    pub(super) fn count_reset(&mut self, used: usize) {
        self.raise_high_water(used);
        self.reset_count += 1;
        self.allocation_count.set(0);
    }

    /// [`reset`](Arena::reset) outside the steady state, out of line so that the
    /// common case stays a few instructions: debug-mode poisoning, going back to one
    /// chunk, closing a trim window, and beginning a steady cycle where the arena
    /// can have one.
    #[inline(never)]
    pub(super) fn reset_chunks(&mut self) {
        let closes_trim_window = self.reset_count == self.trim_check_at;
        let used = self.offset();
        self.count_reset(used);
        if self.config.debug_blocks {
            self.poison(0, used);
        }
        let high_water = self.high_water.get();
        let limit = self.config.limit_bytes;
        let slow = self.slow.get_mut();
        if self.config.debug_blocks {
            debug::blocks_discarded(&self.name);
        }
        slow.blocks.clear();
        if slow.chunks.len() > 1 {
            let target = bump::reset_chunk_capacity(
                high_water,
                slow.chunks[0].capacity(),
                DEFAULT_FIRST_CHUNK_BYTES,
                limit,
            );
            if self.swap_for_fresh_chunk(target) {
                self.grow_count.set(self.grow_count.get() + 1);
            }
        }
        let slow = self.slow.get_mut();
        self.chunk_count.set(slow.chunks.len());
        match slow.chunks.first_mut() {
            Some(first) => {
                first.base_offset = 0;
                self.enter_chunk(0);
            }
            None => self.enter_no_chunk(),
        }
        if closes_trim_window {
            self.close_trim_window();
        }
        if let Some(chunk) = self.slow.get_mut().chunks.first() {
            // All of the one chunk is free again (a fresh chunk is poisoned already).
            sanitizer::poison(chunk.start(), chunk.capacity());
        }
        self.begin_cycle();
    }

    /// Replaces all the arena's chunks by one fresh chunk of `capacity` bytes at
    /// offset 0, and says whether the system gave it. The new chunk is taken before
    /// the old ones are freed, so that a refusal keeps the biggest of them rather
    /// than fail; unless holding them with the new one would pass the limit, even
    /// for a moment: they are then freed first, and a refusal leaves the arena with
    /// no chunk (it takes one on its next allocation). Sets `committed` and
    /// `chunk_count`; the caller enters the chunk.
    pub(super) fn swap_for_fresh_chunk(&mut self, capacity: usize) -> bool {
        let slow = self.slow.get_mut();
        if self
            .config
            .limit_bytes
            .is_some_and(|limit| self.committed.get() + capacity > limit)
        {
            slow.chunks.clear();
        }
        let taken = match Chunk::allocate(capacity, 0) {
            Some(chunk) => {
                slow.chunks.clear();
                slow.chunks.push(chunk);
                true
            }
            None => {
                if let Some(biggest) =
                    (0..slow.chunks.len()).max_by_key(|&index| slow.chunks[index].capacity())
                {
                    let chunk = slow.chunks.swap_remove(biggest);
                    slow.chunks.clear();
                    slow.chunks.push(chunk);
                }
                false
            }
        };
        self.committed
            .set(slow.chunks.iter().map(Chunk::capacity).sum());
        self.chunk_count.set(slow.chunks.len());
        taken
    }

    /// Moves the top of the stack down to `target` (at most the current offset),
    /// across chunks if need be. Chunks above become spares.
    pub(super) fn retreat_to(&mut self, target: usize) {
        let used = self.offset();
        debug_assert!(target <= used, "retreat_to moves down only");
        self.raise_high_water(used);
        if self.config.debug_blocks {
            self.poison(target, used);
            let blocks = &mut self.slow.get_mut().blocks;
            while let Some(&block) = blocks.last() {
                if block.offset_before < target {
                    break;
                }
                blocks.pop();
                debug::block_freed(&self.name, block);
            }
        }
        let (top, top_index) = (self.ptr.get(), self.chunk_index.get());
        if target < self.chunk_base.get() {
            let chunks = &self.slow.get_mut().chunks;
            let index = (0..self.chunk_index.get())
                .rev()
                .find(|&index| chunks[index].base_offset <= target)
                .expect("invariant: chunk 0 starts at offset 0");
            self.enter_chunk(index);
        }
        let within = target - self.chunk_base.get();
        self.ptr.set(self.chunk_start.get().wrapping_add(within));
        if top_index == self.chunk_index.get() {
            sanitizer::poison_between(self.ptr.get(), top);
        } else {
            // The chunks left become spares: poisoned whole, as new chunks are.
            sanitizer::poison_between(self.ptr.get(), self.chunk_end.get());
            let chunks = &self.slow.get_mut().chunks;
            for chunk in &chunks[self.chunk_index.get() + 1..=top_index] {
                sanitizer::poison(chunk.start(), chunk.capacity());
            }
        }
        if self.config.debug_blocks {
            self.limit.set(self.ptr.get());
        }
    }
}
