//! How an arena is sized, bounded and checked.

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

/// Construction options for [`Arena::with_options`](crate::Arena::with_options).
///
/// ```
/// use engine::{Arena, ArenaOptions, Growth};
///
/// let arena = Arena::with_options(
///     "checked",
///     ArenaOptions { initial_capacity: 1024, growth: Growth::Fixed, debug_blocks: true, ..Default::default() },
/// );
/// assert_eq!(arena.stats().committed_bytes, 1024);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArenaOptions {
    /// Bytes of the first chunk, allocated at construction. `0` defers the first
    /// chunk to the first allocation, which then takes
    /// [`DEFAULT_FIRST_CHUNK_BYTES`] (or more if the request is bigger).
    pub initial_capacity: usize,
    /// Whether the arena may grow when full.
    pub growth: Growth,
    /// Upper bound on the bytes the arena takes from the system, over all its
    /// chunks. Growth that would pass it fails with
    /// [`AllocError::BudgetExceeded`](crate::AllocError::BudgetExceeded).
    pub budget_bytes: Option<usize>,
    /// Debug mode, like the block headers of a C stack allocator: every allocation
    /// is recorded with its size, `pop` is checked against the last block pushed,
    /// and freed bytes are overwritten with [`POISON_BYTE`](crate::POISON_BYTE).
    /// Every allocation takes the slow path, so use it to hunt bugs, not to ship.
    pub debug_blocks: bool,
}

impl Default for ArenaOptions {
    fn default() -> Self {
        ArenaOptions {
            initial_capacity: 0,
            growth: Growth::Geometric,
            budget_bytes: None,
            debug_blocks: false,
        }
    }
}
