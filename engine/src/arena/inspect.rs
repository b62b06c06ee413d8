//! Questions the other lifetimes ask about an arena's memory.

use super::Arena;

impl Arena {
    /// Whether `addr..addr + len` lies inside memory this arena has handed out and
    /// not freed: the used part of one of its chunks. O(number of chunks).
    ///
    /// # Panics
    /// If called from inside the arena's own slow path
    /// ([`AllocError::Reentered`](crate::AllocError::Reentered)).
    #[track_caller]
    pub(crate) fn holds_live_range(&self, addr: usize, len: usize) -> bool {
        self.assert_not_in_slow_path();
        let Some(end) = addr.checked_add(len) else {
            return false;
        };
        // SAFETY: only reads the chunk list. No slow path is running (checked above),
        // so nothing borrows the slow state mutably, and this calls no other code.
        let slow = unsafe { &*self.slow.get() };
        let current = self.chunk_index.get();
        slow.chunks
            .iter()
            .take(current + 1)
            .enumerate()
            .any(|(index, chunk)| {
                let used = if index == current {
                    self.ptr.get().addr() - chunk.start().addr()
                } else {
                    slow.chunks[index + 1].base_offset - chunk.base_offset
                };
                let start = chunk.start().addr();
                addr >= start && end <= start + used
            })
    }
}

impl Arena {
    /// The name, shared (for error values and reports).
    pub(crate) fn name_arc(&self) -> std::sync::Arc<str> {
        std::sync::Arc::clone(&self.name)
    }
}

impl Arena {
    /// `(address, capacity)` of each chunk held from the system, in logical order
    /// (spares left by a rewind included): the memory behind `committed_bytes`.
    ///
    /// # Panics
    /// If called from inside the arena's own slow path.
    pub(crate) fn chunk_spans(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        (0..).map_while(move |index| {
            self.assert_not_in_slow_path();
            // SAFETY: the shared borrow of the slow state lives only inside this call,
            // which calls no other code, and no slow path is running (checked above),
            // so no `&mut` to it can be alive meanwhile. Between calls the arena may change (an allocation in
            // the caller's loop); each call then reads the chunk list as it is.
            let slow = unsafe { &*self.slow.get() };
            slow.chunks
                .get(index)
                .map(|chunk| (chunk.start().addr(), chunk.capacity()))
        })
    }
}
