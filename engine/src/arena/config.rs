//! How an arena is sized, capped and checked.

/// Size of the first chunk of an arena that was not given a capacity.
pub const DEFAULT_FIRST_CHUNK_BYTES: usize = 4096;

/// Whether a full arena may take more memory from the system.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Growth {
    /// Add chunks, each at least twice the size of the last (the default).
    #[default]
    Geometric,
    /// Never grow: the first chunk is all there is. Allocations that do not fit
    /// fail with [`AllocError::CapacityExceeded`](crate::AllocError::CapacityExceeded).
    Fixed,
}

/// What an arena is built with, for [`Arena::with_config`](crate::Arena::with_config).
///
/// Two numbers bound an arena's memory, and they mean different things: a
/// **limit** is a hard cap that growth cannot pass (an allocation fails instead);
/// a **budget** is the size the arena is expected to stay within, which it may
/// overflow, and which is only reported (in [`ArenaStats`](crate::ArenaStats), for
/// whoever reads them).
///
/// ```
/// use engine::{Arena, ArenaConfig, Growth};
///
/// let arena = Arena::with_config(
///     "checked",
///     ArenaConfig { initial_capacity: 1024, growth: Growth::Fixed, debug_blocks: true, ..Default::default() },
/// );
/// assert_eq!(arena.stats().committed_bytes, 1024);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArenaConfig {
    /// Bytes of the first chunk, allocated at construction. `0` defers the first
    /// chunk to the first allocation, which then takes
    /// [`DEFAULT_FIRST_CHUNK_BYTES`] (or more if the request is bigger).
    pub initial_capacity: usize,
    /// Whether the arena may grow when full.
    pub growth: Growth,
    /// The limit: the most bytes the arena may take from the system, over all its
    /// chunks. Growth that would pass it fails with
    /// [`AllocError::LimitExceeded`](crate::AllocError::LimitExceeded). `None`: no
    /// cap.
    pub limit_bytes: Option<usize>,
    /// The budget: the bytes the arena is expected to use at most. Going over it
    /// never fails an allocation; [`ArenaStats::budget_bytes`](crate::ArenaStats::budget_bytes)
    /// reports it, so a report can show the overflow. `None`: no budget.
    pub budget_bytes: Option<usize>,
    /// Debug mode, like the block headers of a C stack allocator: every allocation
    /// is recorded with its size, `pop` is checked against the last block pushed,
    /// and freed bytes are overwritten with [`POISON_BYTE`](crate::POISON_BYTE).
    /// Every allocation takes the slow path, so use it to hunt bugs, not to ship.
    pub debug_blocks: bool,
    /// Whether, and how soon, memory a spike made the arena take is given back; see
    /// [`TrimPolicy`]. `None` (the default for a plain arena): the arena keeps the
    /// chunk its biggest cycle needed. [`Arena::trim`](crate::Arena::trim) works
    /// either way.
    pub trim: Option<TrimPolicy>,
}

/// When an arena gives back memory that its recent cycles did not need, for
/// [`ArenaConfig::trim`].
///
/// A reset keeps one chunk sized to the high-water mark, so that the next cycle of
/// the same work needs no new memory. Without a policy that chunk never shrinks: one
/// spike keeps its memory committed for the arena's whole life. With one, the arena
/// measures its need over windows of resets (the most bytes in use at once, scopes
/// included), and at the reset that closes a window it replaces its chunk with a
/// smaller one when the chunk is at least twice what the window needed (rounded up
/// to a power of two, and never less than the arena's starting capacity, nor than
/// [`DEFAULT_FIRST_CHUNK_BYTES`]).
///
/// # What it costs
/// One compare per reset. At the reset that closes a window (one in every
/// `within_resets / 2`), a few more; a trim itself frees the big chunk and takes the
/// smaller one from the system allocator right away, at that reset, so the next
/// cycle starts on the fast path. A window in which the arena grew does not trim: it
/// is still finding its size. So a workload whose need stays the same is never
/// trimmed, and once warm makes no call to the system allocator; a workload that
/// spikes more rarely than once a window pays one free and one allocation per spike.
///
/// # How it fails
/// If the system allocator refuses the smaller chunk, the arena keeps the big one
/// and counts no trim. An arena with a limit that cannot hold both chunks at once
/// frees the big one first; if the smaller one is then refused, the arena holds no
/// chunk and takes one at its next allocation, as a new arena does.
///
/// ```
/// use engine::{Arena, ArenaConfig, TrimPolicy};
///
/// let policy = TrimPolicy { within_resets: 4 };
/// let mut arena = Arena::with_config(
///     "spiky",
///     ArenaConfig { initial_capacity: 64 << 10, trim: Some(policy), ..Default::default() },
/// );
/// arena.alloc_slice_fill_copy(1 << 20, 0u8); // a spike: the arena grows
/// arena.reset(); // the reset that ends the spike's cycle
/// assert!(arena.stats().committed_bytes >= 1 << 20);
/// for _ in 0..policy.within_resets {
///     arena.alloc_slice_fill_copy(1000, 0u8); // the usual need
///     arena.reset();
/// }
/// let stats = arena.stats();
/// assert_eq!((stats.committed_bytes, stats.trim_count), (64 << 10, 1));
/// assert_eq!(stats.high_water_bytes, 1 << 20); // the peak is still reported
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrimPolicy {
    /// After a cycle that needed far more than the cycles around it, the arena is
    /// back to a chunk sized for their need at the latest at the `within_resets`-th
    /// reset after the one that ended the spike's cycle. The arena measures its
    /// need over windows of `(within_resets + 1) / 2` resets (see
    /// [`window_resets`](TrimPolicy::window_resets)); `0` acts as `1`.
    pub within_resets: u32,
}

impl TrimPolicy {
    /// The policy the frame arenas use by default: 240 resets, four seconds of
    /// frames at 60 frames a second.
    pub const DEFAULT: TrimPolicy = TrimPolicy { within_resets: 240 };

    /// Resets in one measuring window: `within_resets` is at most two windows.
    ///
    /// ```
    /// use engine::TrimPolicy;
    /// assert_eq!(TrimPolicy { within_resets: 240 }.window_resets(), 120);
    /// assert_eq!(TrimPolicy { within_resets: 1 }.window_resets(), 1);
    /// assert_eq!(TrimPolicy { within_resets: 0 }.window_resets(), 1);
    /// ```
    #[must_use]
    pub fn window_resets(&self) -> u64 {
        (u64::from(self.within_resets).div_ceil(2)).max(1)
    }
}

impl Default for TrimPolicy {
    /// [`TrimPolicy::DEFAULT`].
    fn default() -> Self {
        TrimPolicy::DEFAULT
    }
}

impl Default for ArenaConfig {
    fn default() -> Self {
        ArenaConfig {
            initial_capacity: 0,
            growth: Growth::Geometric,
            limit_bytes: None,
            budget_bytes: None,
            debug_blocks: false,
            trim: None,
        }
    }
}
