//! Undoing a failed operation exactly, stats included: for an owner that allocates,
//! then finds out it cannot finish (an asset file that changed while it was read).

use super::{Arena, Mark};

/// The arena's state before an operation, to undo it with [`Arena::undo_since`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Snapshot {
    mark: Mark,
    ptr: *mut u8,
    limit: *mut u8,
    chunk_start: *mut u8,
    chunk_end: *mut u8,
    chunk_base: usize,
    chunk_index: usize,
    chunk_count: usize,
    steady_chunk: *mut u8,
    steady_peak: *mut u8,
    high_water: usize,
    allocation_count: u64,
    committed: usize,
    grow_count: u64,
}

impl Arena {
    /// The state to come back to if what follows fails.
    pub(crate) fn snapshot(&self) -> Snapshot {
        Snapshot {
            mark: self.mark(),
            ptr: self.ptr.get(),
            limit: self.limit.get(),
            chunk_start: self.chunk_start.get(),
            chunk_end: self.chunk_end.get(),
            chunk_base: self.chunk_base.get(),
            chunk_index: self.chunk_index.get(),
            chunk_count: self.chunk_count.get(),
            steady_chunk: self.steady_chunk.get(),
            steady_peak: self.steady_peak.get(),
            high_water: self.high_water.get(),
            allocation_count: self.allocation_count.get(),
            committed: self.committed.get(),
            grow_count: self.grow_count.get(),
        }
    }

    /// Frees everything allocated since `snapshot` was taken, gives back the chunks
    /// taken since, and puts the stats back: used, committed and high-water bytes,
    /// allocation, chunk and growth counts are as they were. If the arena held spare
    /// chunks (left by a rewind) that growth since replaced, those are not taken back,
    /// and `committed_bytes` is lower by them.
    ///
    /// # Panics
    /// If the arena was reset, or rewound below the snapshot, since it was taken:
    /// the caller must only have allocated in between.
    pub(crate) fn undo_since(&mut self, snapshot: Snapshot) {
        // Frees the blocks (poisoning them and telling an observer, in debug mode).
        self.rewind(snapshot.mark);
        let chunks_taken = self.grow_count.get() > snapshot.grow_count;
        // The current chunk's end when a reserved chunk keeps more than the
        // snapshot's (its decommit was refused): the arena then keeps using it.
        let mut kept_end = None;
        let slow = self.slow.get_mut();
        if chunks_taken {
            // Chunks up to the snapshot's current one were not touched since (growth
            // only adds or replaces chunks after the current one): keep those. A
            // reserved arena's one chunk may have committed more since: give that
            // back, or drop the reservation if the arena had none.
            if snapshot.chunk_count == 0 {
                slow.chunks.clear();
            } else {
                slow.chunks.truncate(snapshot.chunk_index + 1);
                let current = &mut slow.chunks[snapshot.chunk_index];
                let capacity = snapshot.chunk_end.addr() - snapshot.chunk_start.addr();
                if current.reserved() > 0
                    && current.capacity() > capacity
                    && !current.decommit_to(capacity, capacity)
                {
                    // A refusal keeps the pages committed and usable: the arena's
                    // end stays where they end, and `exact` below says the stats
                    // differ.
                    kept_end = Some(current.end());
                }
            }
        }
        let committed = slow.chunks.iter().map(|chunk| chunk.capacity()).sum();
        let exact = slow.chunks.len() == snapshot.chunk_count && committed == snapshot.committed;
        self.chunk_count.set(slow.chunks.len());
        self.committed.set(committed);
        self.ptr.set(snapshot.ptr);
        self.limit.set(snapshot.limit);
        self.chunk_start.set(snapshot.chunk_start);
        self.chunk_end.set(snapshot.chunk_end);
        if let Some(end) = kept_end {
            self.chunk_end.set(end);
            if !self.config.debug_blocks {
                self.limit.set(end);
            }
        }
        self.chunk_base.set(snapshot.chunk_base);
        self.chunk_index.set(snapshot.chunk_index);
        self.high_water.set(snapshot.high_water);
        self.allocation_count.set(snapshot.allocation_count);
        self.grow_count.set(snapshot.grow_count);
        if exact {
            // The very chunks of the snapshot: its steady state holds again.
            self.steady_chunk.set(snapshot.steady_chunk);
            self.steady_peak.set(snapshot.steady_peak);
        } else {
            self.steady_chunk.set(std::ptr::null_mut());
            self.steady_peak.set(std::ptr::null_mut());
        }
    }
}
