//! Questions the other lifetimes ask about an arena's memory.

use super::{Arena, ArenaStats};
use std::fmt;

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

/// A read-only view of an arena: its name, offset and stats, and what telemetry
/// reads. It cannot allocate or free, so an owner that must keep its arena's
/// contents in step with its own records (as [`AssetArena`](crate::AssetArena) does)
/// can show its arena without handing out allocation.
///
/// Copying it is copying a reference. Any `&Arena` converts into one.
///
/// ```
/// use engine::{Arena, ArenaView};
/// let arena = Arena::new("scratch");
/// arena.alloc(1u64);
/// let view = ArenaView::from(&arena);
/// assert_eq!((view.name(), view.offset()), ("scratch", 8));
/// assert_eq!(view.stats().allocation_count, 1);
/// ```
#[derive(Clone, Copy)]
pub struct ArenaView<'a> {
    arena: &'a Arena,
}

impl<'a> ArenaView<'a> {
    /// The arena's name.
    ///
    /// ```
    /// assert_eq!(engine::ArenaView::from(&engine::Arena::new("a")).name(), "a");
    /// ```
    #[must_use]
    pub fn name(&self) -> &'a str {
        self.arena.name()
    }

    /// Bytes in use; see [`Arena::offset`].
    ///
    /// ```
    /// assert_eq!(engine::ArenaView::from(&engine::Arena::new("a")).offset(), 0);
    /// ```
    #[must_use]
    pub fn offset(&self) -> usize {
        self.arena.offset()
    }

    /// A snapshot of the arena's memory; see [`Arena::stats`]. Never allocates
    /// (beyond a reference count on the name).
    ///
    /// ```
    /// let arena = engine::Arena::with_capacity("a", 4096);
    /// assert_eq!(engine::ArenaView::from(&arena).stats().committed_bytes, 4096);
    /// ```
    #[must_use]
    pub fn stats(&self) -> ArenaStats {
        self.arena.stats()
    }

    /// The chunks behind the arena's committed bytes, for telemetry.
    pub(crate) fn chunk_spans(&self) -> impl Iterator<Item = (usize, usize)> + 'a {
        self.arena.chunk_spans()
    }
}

impl<'a> From<&'a Arena> for ArenaView<'a> {
    fn from(arena: &'a Arena) -> ArenaView<'a> {
        ArenaView { arena }
    }
}

impl fmt::Debug for ArenaView<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ArenaView").field(self.arena).finish()
    }
}
