//! Regression test: an arena whose chunks the system allocator placed back to back.
//!
//! A block that fills a chunk to its last byte ends exactly where the next chunk
//! begins. `&Arena` as an allocator once took such a block for the most recent
//! allocation of the current chunk, and rolled the arena back into the previous
//! chunk when it was freed (or grew it in place across the boundary). glibc never
//! places chunks back to back, but jemalloc or mimalloc may; this binary's global
//! allocator does so on purpose.

use allocator_api2::vec::Vec as ArenaVec;
use engine::{Arena, ArenaConfig, Backing};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::UnsafeCell;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

const REGION_BYTES: usize = 64 * 1024;
const CHUNK_SIZED: usize = 4096;

/// Hands out requests of at least 4 KiB from a static region, back to back, while
/// armed; everything else goes to the system allocator.
struct BackToBack {
    armed: AtomicBool,
    next: AtomicUsize,
}

#[repr(C, align(4096))]
struct Region(UnsafeCell<[u8; REGION_BYTES]>);

// SAFETY: the region's bytes are handed out at most once each (the cursor only
// moves forward), so no two owners share them.
unsafe impl Sync for Region {}

static REGION: Region = Region(UnsafeCell::new([0; REGION_BYTES]));

#[global_allocator]
static ALLOCATOR: BackToBack = BackToBack {
    armed: AtomicBool::new(false),
    next: AtomicUsize::new(0),
};

fn in_region(ptr: *mut u8) -> bool {
    let start = REGION.0.get().addr();
    (start..start + REGION_BYTES).contains(&ptr.addr())
}

// SAFETY: region blocks are disjoint, aligned (sizes and alignments checked below)
// and never reused; all other requests are forwarded to `System` unchanged.
unsafe impl GlobalAlloc for BackToBack {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if self.armed.load(Ordering::SeqCst)
            && layout.size() >= CHUNK_SIZED
            && layout.size().is_multiple_of(64)
            && layout.align() <= 64
        {
            let offset = self.next.fetch_add(layout.size(), Ordering::SeqCst);
            if offset + layout.size() <= REGION_BYTES {
                // SAFETY: `offset..offset + size` lies inside the region.
                return unsafe { REGION.0.get().cast::<u8>().add(offset) };
            }
        }
        // SAFETY: forwarded as is.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if !in_region(ptr) {
            // SAFETY: `ptr` came from `System.alloc` with this layout.
            unsafe { System.dealloc(ptr, layout) }
        }
    }
}

/// Serializes the tests: arming the allocator is global.
static ARMED: Mutex<()> = Mutex::new(());

/// Runs `body` with an arena whose first chunk (4 KiB) is filled exactly by `full`
/// and whose second chunk begins at `full`'s end; `next` is the second chunk's
/// first block.
fn with_back_to_back_chunks(body: impl FnOnce(&Arena, ArenaVec<u8, &Arena>, ArenaVec<u8, &Arena>)) {
    let _guard = ARMED
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    ALLOCATOR.armed.store(true, Ordering::SeqCst);
    // Chunked on purpose: the subject is two chunks the system placed back to back.
    let arena = Arena::with_config(
        "back-to-back",
        ArenaConfig {
            initial_capacity: CHUNK_SIZED,
            backing: Backing::Chunked,
            ..ArenaConfig::default()
        },
    );
    let mut full: ArenaVec<u8, _> = ArenaVec::with_capacity_in(CHUNK_SIZED, &arena);
    let mut next: ArenaVec<u8, _> = ArenaVec::with_capacity_in(16, &arena);
    ALLOCATOR.armed.store(false, Ordering::SeqCst);
    full.resize(CHUNK_SIZED, 0xAA);
    next.push(1);
    assert_eq!(arena.stats().chunk_count, 2);
    assert_eq!(
        next.as_ptr().addr(),
        full.as_ptr().addr() + CHUNK_SIZED,
        "precondition: the second chunk starts where the first one ends"
    );
    body(&arena, full, next);
}

#[test]
fn freeing_a_block_that_ends_the_previous_chunk_frees_nothing() {
    with_back_to_back_chunks(|arena, full, next| {
        let second_chunk = next.as_ptr().addr();
        drop(next); // the top block of the current chunk: handed back
        assert_eq!(arena.offset(), CHUNK_SIZED);
        drop(full); // ends where the current chunk begins, but is not its block
        assert_eq!(
            arena.offset(),
            CHUNK_SIZED,
            "rolled back into the first chunk"
        );
        assert_eq!((arena.alloc(7u8) as *mut u8).addr(), second_chunk);
    });
}

#[test]
fn a_block_that_ends_the_previous_chunk_does_not_grow_across_the_boundary() {
    with_back_to_back_chunks(|arena, mut full, next| {
        let second_chunk = next.as_ptr().addr();
        drop(next);
        full.reserve(100);
        // Moved into the second chunk rather than extended over its start.
        assert_eq!(full.as_ptr().addr(), second_chunk);
        assert_eq!(full.len(), CHUNK_SIZED);
        assert!(full.iter().all(|&b| b == 0xAA));
        assert_eq!(arena.offset(), CHUNK_SIZED + full.capacity());
        drop(full); // now the current chunk's top block
        assert_eq!(arena.offset(), CHUNK_SIZED);
    });
}
