//! What an arena reports about itself.

use std::sync::Arc;

/// A snapshot of an arena's memory, from [`Arena::stats`](crate::Arena::stats).
///
/// Taking it costs a few loads and one reference-count increment for the name; it
/// never allocates.
///
/// ```
/// use engine::Arena;
///
/// let arena = Arena::with_capacity("scratch", 4096);
/// arena.alloc(1u64);
/// arena.alloc(2u64);
/// let stats = arena.stats();
/// assert_eq!(&*stats.name, "scratch");
/// assert_eq!(stats.used_bytes, 16);
/// assert_eq!(stats.allocation_count, 2);
/// assert_eq!(stats.committed_bytes, 4096);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArenaStats {
    /// The arena's name, as given at construction.
    pub name: Arc<str>,
    /// Bytes in use, alignment padding included: the arena's [`offset`](crate::Arena::offset).
    pub used_bytes: usize,
    /// Bytes held from the system allocator, over all chunks.
    pub committed_bytes: usize,
    /// The most bytes ever in use at once.
    pub high_water_bytes: usize,
    /// Allocations since the last reset (pushes and collection growth included).
    pub allocation_count: u64,
    /// Chunks held from the system allocator.
    pub chunk_count: usize,
    /// How many times the arena took a new chunk from the system allocator.
    pub grow_count: u64,
    /// How many times the arena was reset.
    pub reset_count: u64,
    /// How many times the arena gave memory back to the system: a trim under its
    /// [`TrimPolicy`](crate::TrimPolicy) or by [`Arena::trim`](crate::Arena::trim).
    pub trim_count: u64,
    /// Bytes those trims gave back, in all (what `committed_bytes` went down by).
    pub trimmed_bytes: u64,
    /// The arena's limit, the hard cap on `committed_bytes`, if it has one
    /// ([`ArenaConfig::limit_bytes`](crate::ArenaConfig::limit_bytes)).
    pub limit_bytes: Option<usize>,
    /// The arena's budget, the use it is expected to stay within, if it has one
    /// ([`ArenaConfig::budget_bytes`](crate::ArenaConfig::budget_bytes)).
    pub budget_bytes: Option<usize>,
}
