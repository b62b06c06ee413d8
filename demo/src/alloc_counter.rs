//! A counting global allocator: every heap allocation in the process goes through
//! it, so a frame can measure the heap traffic of each of its phases.
//!
//! The binary installs it (`main.rs`); a test binary that wants the counts installs
//! it the same way:
//!
//! ```ignore
//! #[global_allocator]
//! static GLOBAL: demo::alloc_counter::CountingAllocator = demo::alloc_counter::CountingAllocator;
//! ```
//!
//! The counters are process-wide (relaxed atomics), so a phase's count includes any
//! other thread that allocated meanwhile: it can over-count, never under-count.
//! Mesa and the Vulkan loader allocate with C `malloc`, which is not seen here; wgpu
//! and winit are Rust and are counted.

use std::alloc::{GlobalAlloc, Layout, System};
use std::ops::Sub;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);
static DEALLOCATIONS: AtomicU64 = AtomicU64::new(0);
static BYTES_ALLOCATED: AtomicU64 = AtomicU64::new(0);
static BYTES_FREED: AtomicU64 = AtomicU64::new(0);
static INSTALLED: AtomicBool = AtomicBool::new(false);

/// The system allocator, counting. `realloc` counts as one allocation (of the new
/// size) and one deallocation (of the old), which is the heap traffic it can cause.
#[derive(Debug, Clone, Copy, Default)]
pub struct CountingAllocator;

#[inline]
fn count_alloc(size: usize) {
    ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
    BYTES_ALLOCATED.fetch_add(size as u64, Ordering::Relaxed);
    if !INSTALLED.load(Ordering::Relaxed) {
        INSTALLED.store(true, Ordering::Relaxed);
    }
}

#[inline]
fn count_dealloc(size: usize) {
    DEALLOCATIONS.fetch_add(1, Ordering::Relaxed);
    BYTES_FREED.fetch_add(size as u64, Ordering::Relaxed);
}

// SAFETY: every call is forwarded unchanged to `System`, which upholds the
// `GlobalAlloc` contract; the counters are atomics and never allocate.
unsafe impl GlobalAlloc for CountingAllocator {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count_alloc(layout.size());
        // SAFETY: forwarded with the caller's guarantees (non-zero size layout).
        unsafe { System.alloc(layout) }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count_alloc(layout.size());
        // SAFETY: as in `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        count_dealloc(layout.size());
        // SAFETY: `ptr` was allocated by `System` (through us) with `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count_dealloc(layout.size());
        count_alloc(new_size);
        // SAFETY: `ptr` was allocated by `System` with `layout`; the caller
        // guarantees `new_size` is valid for it.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// Whether the counting allocator is the global allocator of this process (it has
/// seen at least one allocation). If not, every count stays 0 and means nothing.
#[must_use]
pub fn is_installed() -> bool {
    INSTALLED.load(Ordering::Relaxed)
}

/// The counters at one moment. Subtract two snapshots to get what happened between.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AllocSnapshot {
    /// Allocations (and reallocations).
    pub allocations: u64,
    /// Deallocations (and reallocations).
    pub deallocations: u64,
    /// Bytes requested by those allocations.
    pub bytes_allocated: u64,
    /// Bytes given back by those deallocations.
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

/// The process-wide counters now. Four relaxed loads; never allocates.
#[inline]
#[must_use]
pub fn snapshot() -> AllocSnapshot {
    AllocSnapshot {
        allocations: ALLOCATIONS.load(Ordering::Relaxed),
        deallocations: DEALLOCATIONS.load(Ordering::Relaxed),
        bytes_allocated: BYTES_ALLOCATED.load(Ordering::Relaxed),
        bytes_freed: BYTES_FREED.load(Ordering::Relaxed),
    }
}
