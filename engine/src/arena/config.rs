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
}

impl Default for ArenaConfig {
    fn default() -> Self {
        ArenaConfig {
            initial_capacity: 0,
            growth: Growth::Geometric,
            limit_bytes: None,
            budget_bytes: None,
            debug_blocks: false,
        }
    }
}
