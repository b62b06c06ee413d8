//! [`Frame::scratch`]: temporary memory inside a frame, from arenas apart from the
//! frame buffer, freed when a closure returns.
//!
//! `FrameArenas` keeps a chain of scratch arenas, one per nesting depth reached so
//! far. A scratch lends the first arena of the chain that is not lent already, so a
//! scratch inside another never gets the arena its caller is still using: the
//! "conflict" rule of scratch arenas (a function that takes an arena and also needs
//! scratch must not get scratch that aliases the arena it took). Each arena sits in
//! a `RefCell`, whose borrow flag is the record of what is lent: the borrow is the
//! loan, and dropping it, on return or unwind, gives the arena back.

use super::Frame;
use crate::{Arena, ArenaConfig, Scope};
use std::cell::{OnceCell, RefCell, RefMut};
use std::fmt;

/// The scratch arenas of a `FrameArenas`, made on first use and kept across frames.
pub(super) struct ScratchArenas {
    /// The arena for nesting depth 0, which holds the one for depth 1, and so on.
    /// Each is boxed, so it stays put while lent whatever is made after it, and a
    /// `OnceCell` is never emptied through `&self`.
    first: OnceCell<Box<ScratchArena>>,
    /// Prefix of the arenas' names (`FrameConfig::name`).
    name: &'static str,
    /// What every scratch arena is built with; only the names differ.
    arena_config: ArenaConfig,
}

/// One scratch arena and the link to the next depth's.
struct ScratchArena {
    arena: RefCell<Arena>,
    next: OnceCell<Box<ScratchArena>>,
}

/// What a [`Frame`] lends scratch arenas through. It holds the `ScratchArenas`
/// borrowed from `&mut` (see [`ScratchArenas::lender`]), which is what makes
/// [`ScratchArenas::arenas`] sound: while a lender lives, nothing else can read the
/// chain, and while the chain is read, no lender lives.
pub(super) struct ScratchLender<'f> {
    arenas: &'f ScratchArenas,
}

// SAFETY: a `ScratchLender` is only ever a field of `Frame`, which also holds the
// frame buffer's `&Arena` and so is neither `Send` nor `Sync` (through the arena's
// marker; `engine/tests/frame_scratch.rs` asserts it): a lender never leaves, nor is
// reached from, any thread but the one that began its frame. These impls only keep
// the scratch chain's cells out of the compiler's explanation of why `Frame` is
// neither, so that it names the arena and what to use instead.
unsafe impl Send for ScratchLender<'_> {}
// SAFETY: as above.
unsafe impl Sync for ScratchLender<'_> {}

/// A lent scratch arena. Dropping it gives the arena back, empty.
struct ScratchLease<'f> {
    arena: RefMut<'f, Arena>,
}

impl ScratchArenas {
    /// No arenas yet: each is made the first time a frame nests scratch that deep.
    pub(super) fn new(name: &'static str, arena_config: ArenaConfig) -> ScratchArenas {
        ScratchArenas {
            first: OnceCell::new(),
            name,
            arena_config,
        }
    }

    /// Resets every scratch arena, which sizes one that grew to its high-water mark
    /// and restarts its counters for the new frame. None is lent: lending needs the
    /// lender, which holds `self` borrowed.
    pub(super) fn reset(&mut self) {
        self.for_each_arena_mut(Arena::reset);
    }

    /// Trims every scratch arena ([`Arena::trim`]); returns the bytes given back.
    pub(super) fn trim(&mut self) -> usize {
        let mut given_back = 0;
        self.for_each_arena_mut(|arena| given_back += arena.trim());
        given_back
    }

    /// Calls `f` on every scratch arena made so far, by nesting depth.
    fn for_each_arena_mut(&mut self, mut f: impl FnMut(&mut Arena)) {
        let mut link = &mut self.first;
        while let Some(node) = link.get_mut() {
            f(node.arena.get_mut());
            link = &mut node.next;
        }
    }

    /// The lender for one frame, holding `self` borrowed for as long as it lives.
    pub(super) fn lender(&mut self) -> ScratchLender<'_> {
        ScratchLender { arenas: self }
    }

    /// The scratch arenas made so far, by nesting depth.
    pub(super) fn arenas(&self) -> impl Iterator<Item = &Arena> {
        std::iter::successors(self.first.get(), |node| node.next.get()).map(|node| {
            // SAFETY: the only mutable borrows of a scratch arena's `RefCell` are the
            // loans of `ScratchLender::lend` (`for_each_arena_mut` uses `get_mut`,
            // which needs `&mut self`). A lender is made only from `&mut self` and
            // keeps it for its whole life, so while this `&self`, and with it the
            // returned references, lives, no lender and no loan exists, and none can
            // begin.
            let arena = unsafe { node.arena.try_borrow_unguarded() };
            arena.expect("invariant: no scratch arena is lent while the chain is read")
        })
    }

    /// Makes the scratch arena for nesting depth `depth`.
    fn make(&self, depth: usize) -> Box<ScratchArena> {
        let arena = Arena::with_config(
            format!("{}.scratch{depth}", self.name),
            self.arena_config.clone(),
        );
        Box::new(ScratchArena {
            arena: RefCell::new(arena),
            next: OnceCell::new(),
        })
    }
}

impl<'f> ScratchLender<'f> {
    /// Lends the first scratch arena that is not lent, making one at the end of the
    /// chain if all are. Scratch nests like the closures that take it, so the lent
    /// arenas are always the first ones of the chain, and the walk is as long as
    /// the nesting is deep.
    fn lend(&self) -> ScratchLease<'f> {
        let arenas = self.arenas;
        let mut link = &arenas.first;
        let mut depth = 0;
        loop {
            let node = link.get_or_init(|| arenas.make(depth));
            if let Ok(arena) = node.arena.try_borrow_mut() {
                return ScratchLease { arena };
            }
            link = &node.next;
            depth += 1;
        }
    }
}

impl Drop for ScratchLease<'_> {
    fn drop(&mut self) {
        // `Arena::scope` skips its exit when its body unwinds. The arena was empty
        // when lent (every loan gives it back empty), so a reset frees exactly what
        // the body left, and the next loan starts empty again.
        if self.arena.offset() != 0 {
            self.arena.reset();
        }
    }
}

impl Frame<'_> {
    /// Runs `body` with scratch memory: temporary allocations from an arena apart
    /// from the frame buffer, all freed when `body` returns or unwinds. What the
    /// frame itself holds, allocated before `body` or inside it, stays valid for the
    /// rest of the frame: only the scratch arena goes back.
    ///
    /// `body` gets a [`Scope`], as in [`Arena::scope`]: it allocates like an arena,
    /// nests on the same scratch arena with [`Scope::scope`], and nothing allocated
    /// through it can leave `body` (that does not compile).
    ///
    /// # Nesting
    /// A `scratch` inside another one (directly, or in a function that was handed
    /// the outer [`Scope`] as its arena) gets a different arena: the first one that
    /// is not lent. So the inner scratch never frees or overwrites the outer one's
    /// memory, and the outer `Scope` stays usable inside the inner `body`. The
    /// [`FrameArenas`](crate::FrameArenas) makes a scratch arena the first time a
    /// frame nests scratch that deep, with
    /// [`FrameConfig::scratch_capacity_bytes`](crate::FrameConfig::scratch_capacity_bytes)
    /// bytes and named `<name>.scratch<depth>`, and keeps it; each
    /// [`begin_frame`](crate::FrameArenas::begin_frame) resets them all. Recursion
    /// that takes scratch at every level therefore keeps one arena per level it
    /// ever reached.
    ///
    /// # What it costs
    /// One borrow-flag check per level of nesting to find the free arena, the costs
    /// of [`Arena::scope`], and a check that the arena went back empty. Once a frame
    /// has reached a depth (and the arena there has grown to what the scopes need),
    /// no call makes a call to the system allocator.
    ///
    /// # Panics
    /// If the system allocator refuses a new scratch arena's memory. A panic in
    /// `body` goes on through this call, and the arena is given back empty on the
    /// way (reset, which also zeroes its counters).
    ///
    /// # Example
    /// ```
    /// let mut frames = engine::FrameArenas::new(Default::default());
    /// let frame = frames.begin_frame();
    /// let depths = frame.alloc_slice_fill_with(100, |i| (i * 37 % 100) as u32);
    /// let order: &[u32] = frame.scratch(|tmp| {
    ///     // Sort keys in scratch; only the result goes into the frame.
    ///     let keys = tmp.alloc_slice_fill_with(depths.len(), |i| (depths[i], i as u32));
    ///     keys.sort_unstable();
    ///     frame.alloc_slice_fill_with(keys.len(), |i| keys[i].1)
    /// });
    /// assert_eq!(depths[order[0] as usize], 0);
    ///
    /// frame.scratch(|outer| {
    ///     let name: &str = outer.alloc_str("outer");
    ///     let filled = frame.scratch(|inner| inner.alloc_slice_fill_copy(4096, 0xffu8).len());
    ///     assert_eq!((name, filled), ("outer", 4096)); // the inner scratch left it alone
    /// });
    /// ```
    ///
    /// Scratch memory cannot leave `body`:
    ///
    /// ```compile_fail
    /// let mut frames = engine::FrameArenas::new(Default::default());
    /// let frame = frames.begin_frame();
    /// let escaped: &mut u32 = frame.scratch(|tmp| tmp.alloc(7u32));
    /// ```
    #[inline]
    pub fn scratch<R>(&self, body: impl FnOnce(&mut Scope<'_>) -> R) -> R {
        let mut lease = self.scratch.lend();
        lease.arena.scope(body)
    }
}

impl fmt::Debug for ScratchArenas {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.arenas()).finish()
    }
}
