//! [`Arena::scope`]: temporary allocations, freed when a closure returns.
//!
//! The closure gets a [`Scope`], not the arena itself. A scope allocates like the
//! arena (it dereferences to `&Arena`) and nests, but it cannot reset the arena,
//! swap it for another, or pop and rewind below where it began. That is what lets
//! the exit be a compare and a pointer store: nothing the body can do moves the
//! arena below the entry or into a chunk it does not own.

use super::{Arena, Mark, StackError, stack_failed};
use std::fmt;
use std::ops::Deref;

/// Where a scope began.
#[derive(Clone, Copy)]
struct ScopeEntry {
    ptr: *mut u8,
    chunk_start: *mut u8,
    chunk_base: usize,
}

impl ScopeEntry {
    /// The arena's offset when the scope began.
    fn offset(&self) -> usize {
        self.chunk_base + (self.ptr.addr() - self.chunk_start.addr())
    }
}

/// The arena as the body of [`Arena::scope`] sees it: everything it allocates is
/// freed when the body returns.
///
/// It dereferences to [`Arena`], so every allocating call (`alloc`,
/// `alloc_slice_copy`, `push`, `mark`, `stats`, `&Arena` as an allocator...) works
/// as on the arena. What frees memory is limited to the scope's own allocations:
/// [`pop`](Scope::pop) and [`rewind`](Scope::rewind) refuse to go below where the
/// scope began ([`StackError::BelowScope`]), and there is no `reset`. Scopes nest
/// with [`scope`](Scope::scope).
///
/// Why a separate type rather than `&mut Arena`: a body holding the arena itself
/// could reset it or swap it for another arena, so the exit would have to check for
/// both, four compares instead of one (ARCHITECTURE.md, "Decisions").
///
/// ```
/// let mut arena = engine::Arena::new("scratch");
/// arena.alloc(1u64);
/// let (scratch, longest) = arena.scope(|tmp| {
///     // A nested scope needs `&mut`, so it runs while nothing of `tmp` is borrowed.
///     let scratch = tmp.scope(|inner| inner.alloc_slice_fill_copy(1000, 0u8).len());
///     let words = tmp.alloc_slice_copy(&["arena", "scope", "bump"]);
///     let lengths = tmp.alloc_slice_fill_with(words.len(), |i| words[i].len());
///     (scratch, lengths.iter().copied().max())
/// });
/// assert_eq!((scratch, longest), (1000, Some(5)));
/// assert_eq!(arena.offset(), 8); // only what was allocated before the scope
/// ```
///
/// Resetting or swapping the arena inside a scope does not compile:
///
/// ```compile_fail
/// let mut arena = engine::Arena::new("a");
/// arena.scope(|tmp| tmp.reset());
/// ```
pub struct Scope<'a> {
    arena: &'a mut Arena,
    entry: ScopeEntry,
}

impl Arena {
    /// Runs `body` with temporary allocations: everything allocated through the
    /// [`Scope`] it gets is freed when it returns. Nothing allocated inside can
    /// escape, because `body`'s result cannot borrow the scope. Scopes nest.
    ///
    /// Costs three loads on entry, and on exit one compare and a store, plus a
    /// [`rewind`](Arena::rewind) when `body` set a new high-water mark, after the
    /// arena grew (until its next reset), or in debug mode. If `body` panics, its
    /// allocations stay until the next reset or the end of an enclosing scope.
    ///
    /// ```
    /// let mut arena = engine::Arena::new("a");
    /// let sum = arena.scope(|tmp| {
    ///     let xs = tmp.alloc_slice_fill_with(100, |i| i as u64);
    ///     xs.iter().sum::<u64>()
    /// });
    /// assert_eq!((sum, arena.offset()), (4950, 0));
    /// ```
    #[inline]
    pub fn scope<R>(&mut self, body: impl FnOnce(&mut Scope<'_>) -> R) -> R {
        let entry = ScopeEntry {
            ptr: self.ptr.get(),
            chunk_start: self.chunk_start.get(),
            chunk_base: self.chunk_base.get(),
        };
        let result = body(&mut Scope {
            arena: &mut *self,
            entry,
        });
        // `self`, not the `Scope`: the exit acts on this arena whatever the body did
        // with its handle.
        self.leave_scope(entry);
        result
    }

    /// Frees what a scope allocated: moves `ptr` back to where it was on entry.
    ///
    /// The fast path needs the arena to be steady (see `Arena::steady_chunk`) and
    /// `ptr` to be no higher than the high-water mark, so that there is no new peak
    /// to record. `steady_peak` is the high-water mark's address while steady and
    /// null otherwise (`ptr` never is), so one compare tells both. Moving `ptr` back
    /// to the entry is then memory-safe: only a reset begins a steady state and a
    /// scope cannot reset, so the arena was steady all through the body, and
    /// `entry.ptr` lies in its one chunk, which it still owns. It is also exact for
    /// safe code: the body cannot go below the entry (`Scope::pop` and
    /// `Scope::rewind` refuse to), so this frees the body's allocations and nothing
    /// else. Unsafe code can: handing the block allocated just before the scope back
    /// through `&Arena`'s `Allocator::deallocate` lowers `ptr` below the entry. Then
    /// a steady exit moves `ptr` back up to the entry (those bytes stay allocated
    /// until the next reset), and the slow exit panics.
    #[inline(always)]
    fn leave_scope(&mut self, entry: ScopeEntry) {
        let now = self.ptr.get();
        if now.addr() <= self.steady_peak.get().addr() {
            debug_assert!(
                now >= entry.ptr && entry.chunk_start == self.chunk_start.get(),
                "a steady scope's body went below its entry or into another chunk"
            );
            #[cfg(feature = "asan")]
            super::sanitizer::poison_between(entry.ptr, now);
            self.ptr.set(entry.ptr);
            return;
        }
        self.leave_scope_slow(entry.offset());
    }

    #[cold]
    #[inline(never)]
    fn leave_scope_slow(&mut self, offset: usize) {
        let used = self.offset();
        assert!(
            offset <= used,
            "invariant: a scope's body cannot free below the scope's start \
             (arena `{}`: scope began at offset {offset}, {used} bytes in use at its end)",
            self.name
        );
        self.retreat_to(offset);
    }
}

impl<'a> Scope<'a> {
    /// The arena's offset when the scope began: [`pop`](Scope::pop) and
    /// [`rewind`](Scope::rewind) cannot go below it.
    ///
    /// ```
    /// let mut arena = engine::Arena::new("a");
    /// arena.alloc(1u32);
    /// arena.scope(|tmp| {
    ///     tmp.alloc(2u32);
    ///     assert_eq!((tmp.start_offset(), tmp.offset()), (4, 8));
    /// });
    /// ```
    #[must_use]
    pub fn start_offset(&self) -> usize {
        self.entry.offset()
    }

    /// A nested scope: what `body` allocates is freed when it returns, and this
    /// scope's allocations stay. Costs as [`Arena::scope`].
    ///
    /// ```
    /// let mut arena = engine::Arena::new("a");
    /// arena.scope(|outer| {
    ///     outer.alloc(1u64);
    ///     outer.scope(|inner| inner.alloc_slice_fill_copy(64, 0u8).len());
    ///     assert_eq!(outer.offset(), 8);
    /// });
    /// ```
    #[inline]
    pub fn scope<R>(&mut self, body: impl FnOnce(&mut Scope<'_>) -> R) -> R {
        self.arena.scope(body)
    }

    /// [`Arena::pop`] within the scope: gives back the last `size` bytes.
    ///
    /// # Panics
    /// On the errors of [`try_pop`](Scope::try_pop).
    ///
    /// ```
    /// let mut arena = engine::Arena::new("a");
    /// arena.scope(|tmp| {
    ///     tmp.push(64);
    ///     tmp.pop(64);
    ///     assert_eq!(tmp.offset(), 0);
    /// });
    /// ```
    #[track_caller]
    pub fn pop(&mut self, size: usize) {
        if let Err(error) = self.try_pop(size) {
            stack_failed(error);
        }
    }

    /// Fallible [`pop`](Scope::pop).
    ///
    /// # Errors
    /// [`StackError::BelowScope`] if that would free bytes allocated before the
    /// scope began; otherwise those of [`Arena::try_pop`]. The arena is unchanged.
    ///
    /// ```
    /// use engine::{Arena, StackError};
    /// let mut arena = Arena::new("a");
    /// arena.push(16);
    /// arena.scope(|tmp| {
    ///     tmp.push(8);
    ///     assert_eq!(tmp.try_pop(24), Err(StackError::BelowScope { target: 0, scope_start: 16 }));
    ///     assert_eq!(tmp.offset(), 24);
    /// });
    /// ```
    pub fn try_pop(&mut self, size: usize) -> Result<(), StackError> {
        let target = self.arena.pop_target(size)?;
        self.check_floor(target)?;
        self.arena.retreat_to(target);
        Ok(())
    }

    /// [`Arena::rewind`] within the scope: frees everything allocated since `mark`.
    ///
    /// # Panics
    /// On the errors of [`try_rewind`](Scope::try_rewind).
    ///
    /// ```
    /// let mut arena = engine::Arena::new("a");
    /// arena.scope(|tmp| {
    ///     let mark = tmp.mark();
    ///     tmp.alloc_slice_fill_copy(100, 0u8);
    ///     tmp.rewind(mark);
    ///     assert_eq!(tmp.offset(), 0);
    /// });
    /// ```
    #[track_caller]
    pub fn rewind(&mut self, mark: Mark) {
        if let Err(error) = self.try_rewind(mark) {
            stack_failed(error);
        }
    }

    /// Fallible [`rewind`](Scope::rewind).
    ///
    /// # Errors
    /// [`StackError::BelowScope`] for a mark of this arena below where the scope
    /// began; otherwise those of [`Arena::try_rewind`]. The arena is unchanged.
    ///
    /// ```
    /// use engine::{Arena, StackError};
    /// let mut arena = Arena::new("a");
    /// let before = arena.mark();
    /// arena.alloc(1u64);
    /// arena.scope(|tmp| {
    ///     let err = tmp.try_rewind(before).unwrap_err();
    ///     assert_eq!(err, StackError::BelowScope { target: 0, scope_start: 8 });
    /// });
    /// ```
    pub fn try_rewind(&mut self, mark: Mark) -> Result<(), StackError> {
        // A mark of another arena, or from before a reset, is refused by the arena
        // with its own error; its offset means nothing here.
        if mark.arena_id == self.arena.id && mark.resets == self.arena.reset_count {
            self.check_floor(mark.offset)?;
        }
        self.arena.try_rewind(mark)
    }

    fn check_floor(&self, target: usize) -> Result<(), StackError> {
        let scope_start = self.start_offset();
        if target < scope_start {
            return Err(StackError::BelowScope {
                target,
                scope_start,
            });
        }
        Ok(())
    }
}

impl Deref for Scope<'_> {
    type Target = Arena;

    #[inline(always)]
    fn deref(&self) -> &Arena {
        self.arena
    }
}

impl fmt::Debug for Scope<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scope")
            .field("arena", &self.arena.name())
            .field("start_offset", &self.start_offset())
            .field("offset", &self.arena.offset())
            .finish()
    }
}
