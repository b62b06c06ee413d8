//! Heap allocation counts: every heap allocation in the process goes through the
//! global allocator, so a frame can measure the heap traffic of each of its phases.
//!
//! The counting itself is `stats_alloc`'s [`StatsAlloc`] around the system
//! allocator, so the demo's own code stays safe Rust. The binary installs it
//! (`main.rs`); a test binary that wants the counts installs it the same way:
//!
//! ```ignore
//! #[global_allocator]
//! static GLOBAL: demo::alloc_counter::CountingAllocator = demo::alloc_counter::COUNTING;
//! ```
//!
//! The counters are process-wide atomics, so a phase's count includes any other
//! thread that allocated meanwhile: it can over-count, never under-count.
//! Mesa and the Vulkan loader allocate with C `malloc`, which is not seen here; wgpu
//! and winit are Rust and are counted.

use stats_alloc::StatsAlloc;
use std::alloc::System;
use std::ops::Sub;

/// The type of the global allocator to install: the system allocator, counting
/// into the one process-wide [`stats_alloc::INSTRUMENTED_SYSTEM`] that
/// [`snapshot`] reads.
pub type CountingAllocator = &'static StatsAlloc<System>;

/// The value to install as the global allocator (see the [module docs](self)).
pub const COUNTING: CountingAllocator = &stats_alloc::INSTRUMENTED_SYSTEM;

/// Whether the counting allocator is the global allocator of this process (it has
/// seen at least one allocation). If not, every count stays 0 and means nothing.
#[must_use]
pub fn is_installed() -> bool {
    let stats = stats_alloc::INSTRUMENTED_SYSTEM.stats();
    stats.allocations.wrapping_add(stats.reallocations) > 0
}

/// The counters at one moment. Subtract two snapshots to get what happened between.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AllocSnapshot {
    /// Allocations, a reallocation counted as one (of the new size): it can move
    /// the block, which is the heap traffic it can cause.
    pub allocations: u64,
    /// Deallocations, a reallocation counted as one (of the old size).
    pub deallocations: u64,
    /// Bytes requested by those allocations; a reallocation adds what it grew by.
    pub bytes_allocated: u64,
    /// Bytes given back by those deallocations; a reallocation adds what it shrank
    /// by.
    pub bytes_freed: u64,
}

impl AllocSnapshot {
    /// Heap bytes live now (allocated minus freed), for a snapshot of totals.
    #[must_use]
    pub fn live_bytes(&self) -> u64 {
        self.bytes_allocated.saturating_sub(self.bytes_freed)
    }
}

impl Sub for AllocSnapshot {
    type Output = AllocSnapshot;

    fn sub(self, earlier: AllocSnapshot) -> AllocSnapshot {
        AllocSnapshot {
            allocations: self.allocations.wrapping_sub(earlier.allocations),
            deallocations: self.deallocations.wrapping_sub(earlier.deallocations),
            bytes_allocated: self.bytes_allocated.wrapping_sub(earlier.bytes_allocated),
            bytes_freed: self.bytes_freed.wrapping_sub(earlier.bytes_freed),
        }
    }
}

/// The process-wide counters now. A few atomic loads; never allocates.
#[inline]
#[must_use]
pub fn snapshot() -> AllocSnapshot {
    let stats = stats_alloc::INSTRUMENTED_SYSTEM.stats();
    AllocSnapshot {
        allocations: stats.allocations.wrapping_add(stats.reallocations) as u64,
        deallocations: stats.deallocations.wrapping_add(stats.reallocations) as u64,
        bytes_allocated: stats.bytes_allocated as u64,
        bytes_freed: stats.bytes_deallocated as u64,
    }
}
