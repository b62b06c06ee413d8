//! Giving back memory that a spike made the arena take: under a [`TrimPolicy`], at
//! the reset that closes a measuring window, and on request ([`Arena::trim`]).
//!
//! The arena measures its need as `high_water`, the most bytes in use at once in the
//! current window (scope peaks included, since a scope exit above the mark raises
//! it). A window is `TrimPolicy::window_resets` resets long; at the reset that closes
//! it (`reset_count == trim_check_at`, the one compare the steady reset pays), the
//! arena's one chunk is replaced by a smaller one if the policy says the window's
//! need is far below it ([`bump::should_trim`]). A spike is in at most two windows'
//! worth of resets: the window that holds it, and the next, which then trims.

use super::backing::Chunk;
use super::bump;
use super::{Arena, DEFAULT_FIRST_CHUNK_BYTES};

impl Arena {
    /// Gives memory back to the system now, and returns how many bytes.
    ///
    /// - Spare chunks (left above the current one by a rewind, a pop or a scope)
    ///   are freed.
    /// - If nothing is in use, the arena's chunk is replaced by one of its starting
    ///   capacity ([`ArenaConfig::initial_capacity`](crate::ArenaConfig::initial_capacity),
    ///   but at least [`DEFAULT_FIRST_CHUNK_BYTES`]) when it is bigger.
    /// - Otherwise the chunk holds data in use, which keeps its address: the next
    ///   [`reset`](Arena::reset) replaces the chunk by one sized to what is in use
    ///   now and what is allocated until then, if that is smaller.
    ///
    /// Either way the arena's measured need starts again from what is in use now,
    /// so a [`TrimPolicy`](crate::TrimPolicy) does not keep a spike from before the
    /// call. [`stats`](Arena::stats) count each trim in `trim_count` and
    /// `trimmed_bytes`; `high_water_bytes` still reports the peak.
    ///
    /// # Costs
    /// One free per chunk given back and, for a replaced chunk, one allocation from
    /// the system allocator. With [reserved backing](crate::Backing::Reserved), up
    /// to three system calls: one or two (by platform) that give back the pages past
    /// the new capacity, and one that drops the contents of the pages between the
    /// need and that capacity, when there are any; the arena's memory keeps its
    /// address. The next cycle may need to grow again if it needs more
    /// than it gets; the reset after that sizes the chunk to it.
    ///
    /// # Failures
    /// If the system allocator refuses the smaller chunk (or the system refuses to
    /// decommit, with reserved backing), the arena keeps the memory it has (spares
    /// are still freed); see [`TrimPolicy`](crate::TrimPolicy) for an
    /// arena with a limit.
    ///
    /// ```
    /// let mut arena = engine::Arena::with_capacity("loading", 64 << 10);
    /// arena.alloc_slice_fill_copy(1 << 20, 0u8); // a loading screen's worth
    /// arena.reset();
    /// assert!(arena.stats().committed_bytes >= 1 << 20);
    /// let given_back = arena.trim();
    /// let stats = arena.stats();
    /// assert_eq!(stats.committed_bytes, 64 << 10);
    /// assert_eq!((stats.trim_count, stats.trimmed_bytes), (1, given_back as u64));
    /// ```
    pub fn trim(&mut self) -> usize {
        let used = self.offset();
        let committed_before = self.committed.get();
        self.raise_high_water(used);
        let slow = self.slow.get_mut();
        let keep = if slow.chunks.is_empty() {
            0
        } else {
            self.chunk_index.get() + 1
        };
        if slow.chunks.len() > keep {
            let spare_bytes: usize = slow.chunks[keep..].iter().map(Chunk::capacity).sum();
            slow.chunks.truncate(keep);
            self.chunk_count.set(keep);
            self.committed.set(committed_before - spare_bytes);
            self.count_trim(spare_bytes);
        }
        self.begin_trim_window(used);
        self.trim_requested = used > 0;
        if used == 0 && keep == 1 {
            let target = self.trim_target(0);
            if bump::should_trim(self.committed.get(), target, true, false) {
                self.replace_chunk(target, 0);
            }
        } else if used > 0 {
            self.trim_check_at = self.reset_count;
        }
        self.begin_cycle();
        committed_before - self.committed.get()
    }

    /// Starts a trim window, with `in_use` bytes in use: the need measured so far
    /// becomes the peak of earlier windows, and the next window closes at the reset
    /// the policy says (never without one).
    pub(super) fn begin_trim_window(&mut self, in_use: usize) {
        self.peak_before_window = self.peak_before_window.max(self.high_water.get());
        self.high_water.set(in_use);
        self.window_grow_count = self.grow_count.get();
        self.trim_check_at = match self.config.trim {
            Some(policy) => self.reset_count + policy.window_resets() - 1,
            None => u64::MAX,
        };
    }

    /// At the reset that closes a trim window, after it went back to at most one
    /// chunk: replaces that chunk by a smaller one if the policy (or a requested
    /// trim) says so, then starts the next window. The caller enters the chunk and
    /// begins the cycle after.
    pub(super) fn close_trim_window(&mut self) {
        let requested = std::mem::take(&mut self.trim_requested);
        let grew = self.grow_count.get() != self.window_grow_count;
        let need = self.high_water.get();
        if self.slow.get_mut().chunks.len() == 1 {
            let target = self.trim_target(need);
            if bump::should_trim(self.committed.get(), target, requested, grew) {
                self.replace_chunk(target, need);
            }
        }
        self.begin_trim_window(0);
    }

    /// The chunk a trim leaves for `need` bytes.
    fn trim_target(&self, need: usize) -> usize {
        bump::trim_chunk_capacity(
            need,
            self.first_chunk_bytes(),
            DEFAULT_FIRST_CHUNK_BYTES,
            self.config.limit_bytes,
        )
    }

    /// Replaces the arena's one chunk, with nothing in use, by one of `capacity`
    /// bytes, and enters it; with reserved backing, decommits the pages past
    /// `capacity` instead, and releases the contents of those past `need` (which a
    /// fresh chunk would not have touched). A refusal leaves the arena as it was,
    /// or with no chunk where holding both would have passed the limit (see
    /// [`swap_for_fresh_chunk`](Arena::swap_for_fresh_chunk)).
    fn replace_chunk(&mut self, capacity: usize, need: usize) {
        debug_assert_eq!(self.offset(), 0);
        let slow = self.slow.get_mut();
        debug_assert_eq!(slow.chunks.len(), 1);
        let old_capacity = slow.chunks[0].capacity();
        if slow.chunks[0].reserved() > 0 {
            // Reserved backing keeps its range and gives back the pages past
            // `capacity`: nothing moves, and nothing is taken.
            if slow.chunks[0].decommit_to(capacity, need.min(capacity)) {
                self.committed.set(capacity);
                self.count_trim(old_capacity - capacity);
            }
            self.enter_chunk(0);
            return;
        }
        if !self.swap_for_fresh_chunk(capacity) && self.chunk_count.get() > 0 {
            // Refused, and the old chunk kept: nothing changed.
            return;
        }
        let committed = self.committed.get();
        self.count_trim(old_capacity - committed);
        // The floor's address belonged to the old chunk.
        self.hand_back_floor_cycle.set(u64::MAX);
        if committed > 0 {
            self.enter_chunk(0);
        } else {
            self.enter_no_chunk();
        }
    }

    fn count_trim(&mut self, bytes: usize) {
        self.trim_count += 1;
        self.trimmed_bytes += bytes as u64;
    }
}
