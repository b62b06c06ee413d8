//! Questions the other lifetimes ask about an arena's memory.

use super::Arena;

impl Arena {
    /// Whether `addr..addr + len` lies inside memory this arena has handed out and
    /// not freed: the used part of one of its chunks. O(number of chunks).
    pub(crate) fn holds_live_range(&self, addr: usize, len: usize) -> bool {
        let Some(end) = addr.checked_add(len) else {
            return false;
        };
        // SAFETY: only reads the chunk list; no other borrow of the slow state is
        // alive while this `&self` method runs, and it calls no user code.
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
