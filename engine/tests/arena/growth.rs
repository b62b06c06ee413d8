//! Growth: lazy first chunk, then chunks at least twice the size of the last.

use engine::{Arena, ArenaConfig, DEFAULT_FIRST_CHUNK_BYTES};

/// The capacity of each chunk, in order, observed through `committed_bytes` as the
/// arena grows under a stream of 100-byte allocations.
fn chunk_sizes(arena: &Arena, allocations: usize) -> Vec<usize> {
    let mut sizes = Vec::new();
    let mut committed = arena.stats().committed_bytes;
    if committed > 0 {
        sizes.push(committed);
    }
    for _ in 0..allocations {
        arena.push(100);
        let now = arena.stats().committed_bytes;
        if now != committed {
            sizes.push(now - committed);
            committed = now;
        }
    }
    sizes
}

#[test]
fn the_first_chunk_is_taken_lazily() {
    let arena = Arena::new("growth");
    let stats = arena.stats();
    assert_eq!(
        (stats.committed_bytes, stats.chunk_count, stats.grow_count),
        (0, 0, 0)
    );
    arena.alloc(1u8);
    let stats = arena.stats();
    assert_eq!(stats.committed_bytes, DEFAULT_FIRST_CHUNK_BYTES);
    assert_eq!((stats.chunk_count, stats.grow_count), (1, 1));
}

#[test]
fn chunks_grow_geometrically() {
    let arena = crate::chunked("growth", engine::ArenaConfig::default());
    let sizes = chunk_sizes(&arena, 5000); // ~500 KB
    assert_eq!(sizes[0], DEFAULT_FIRST_CHUNK_BYTES);
    assert!(sizes.len() >= 6, "{sizes:?}");
    for pair in sizes.windows(2) {
        assert!(pair[1] >= 2 * pair[0], "not geometric: {sizes:?}");
    }
    let stats = arena.stats();
    assert_eq!(stats.chunk_count, sizes.len());
    assert_eq!(stats.grow_count, sizes.len() as u64);
    // Geometric growth wastes at most about half of what it commits.
    assert!(stats.committed_bytes <= 4 * stats.used_bytes, "{stats:?}");
}

#[test]
fn the_initial_capacity_sets_the_first_chunk_and_growth_doubles_from_it() {
    let arena = crate::chunked_with_capacity("growth", 1000);
    let sizes = chunk_sizes(&arena, 200);
    assert_eq!(sizes[0], 1000);
    assert!(sizes[1] >= 2000, "{sizes:?}");
    for pair in sizes.windows(2) {
        assert!(pair[1] >= 2 * pair[0], "not geometric: {sizes:?}");
    }
}

#[test]
fn a_request_bigger_than_the_next_chunk_gets_a_chunk_that_fits_it() {
    let arena = crate::chunked("growth", engine::ArenaConfig::default());
    arena.alloc(1u8);
    let big = arena.alloc_slice_fill_copy(1 << 20, 1u8);
    assert_eq!(big.len(), 1 << 20);
    let stats = arena.stats();
    assert_eq!(stats.chunk_count, 2);
    assert!(stats.committed_bytes >= DEFAULT_FIRST_CHUNK_BYTES + (1 << 20));
}

#[test]
fn an_over_aligned_request_gets_room_for_its_padding() {
    let arena = Arena::with_capacity("growth", 16);
    let page = arena.push_aligned(4096, 4096);
    assert_eq!(page.as_ptr().addr() % 4096, 0);
    assert_eq!(page.len(), 4096);
}

#[test]
fn growth_across_chunks_leaves_the_offset_counting_only_used_bytes() {
    let arena = Arena::with_capacity("growth", 64);
    arena.push(40);
    arena.push(40); // the last 24 bytes of the first chunk are skipped
    assert_eq!(arena.offset(), 80);
}

#[test]
fn options_initial_capacity_zero_defers_the_first_chunk() {
    let arena = Arena::with_config("growth", ArenaConfig::default());
    assert_eq!(arena.stats().committed_bytes, 0);
    arena.push(10_000);
    // The first chunk is the default size or the request, whichever is bigger.
    assert!(arena.stats().committed_bytes >= 10_000);
    assert_eq!(arena.stats().chunk_count, 1);
}

#[test]
fn a_spare_chunk_too_small_for_the_request_is_replaced_and_no_longer_counted() {
    let mut arena = crate::chunked_with_capacity("growth", 64);
    let start = arena.mark();
    arena.push(60);
    arena.push(100); // a second chunk of 128 bytes
    assert_eq!(arena.stats().committed_bytes, 64 + 128);
    arena.rewind(start); // ... now a spare
    arena.push(60);
    arena.push(300); // the spare is too small: dropped for a 512-byte chunk
    let stats = arena.stats();
    assert_eq!(stats.chunk_count, 2);
    assert_eq!(stats.committed_bytes, 64 + 512);
}
