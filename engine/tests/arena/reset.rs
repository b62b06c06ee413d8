//! `reset`: everything freed at once, chunks consolidated so steady work stops growing.

use engine::{Arena, DEFAULT_FIRST_CHUNK_BYTES};

/// One "frame" of mixed work: about 60 KiB in many small pieces plus a few big ones.
fn frame_workload(arena: &Arena) {
    for i in 0..1000u32 {
        arena.alloc([i; 8]);
    }
    arena.alloc_slice_fill_copy(20_000, 0u8);
    arena.alloc_str("frame text");
    arena.alloc_slice_fill_with(1000, |i| i as u64);
}

#[test]
fn reset_frees_everything_and_reuses_the_memory() {
    let mut arena = Arena::new("reset");
    let first = arena.alloc(1u64) as *mut u64 as usize;
    arena.alloc_slice_fill_copy(100, 0u8);
    arena.reset();
    let stats = arena.stats();
    assert_eq!(stats.used_bytes, 0);
    assert_eq!(stats.allocation_count, 0);
    assert_eq!(stats.reset_count, 1);
    assert_eq!(stats.high_water_bytes, 108);
    assert_eq!(arena.alloc(2u64) as *mut u64 as usize, first);
}

#[test]
fn reset_of_a_single_chunk_keeps_it() {
    let mut arena = Arena::with_capacity("reset", 1024);
    arena.alloc_slice_fill_copy(1000, 0u8);
    let before = arena.stats();
    arena.reset();
    let after = arena.stats();
    assert_eq!(after.grow_count, before.grow_count);
    assert_eq!(after.committed_bytes, 1024);
    assert_eq!(after.chunk_count, 1);
}

#[test]
fn reset_consolidates_many_chunks_into_one_that_holds_the_high_water_mark() {
    let mut arena = crate::chunked("reset", engine::ArenaConfig::default());
    frame_workload(&arena);
    let grown = arena.stats();
    assert!(
        grown.chunk_count >= 3,
        "expected several chunks, got {grown:?}"
    );
    arena.reset();
    let stats = arena.stats();
    assert_eq!(stats.chunk_count, 1);
    assert_eq!(stats.high_water_bytes, grown.used_bytes);
    assert!(stats.committed_bytes >= stats.high_water_bytes, "{stats:?}");
    assert!(stats.committed_bytes >= DEFAULT_FIRST_CHUNK_BYTES);
    assert_eq!(stats.grow_count, grown.grow_count + 1, "one new chunk");
}

#[test]
fn after_consolidation_the_same_work_fits_in_one_chunk() {
    let mut arena = Arena::new("reset");
    frame_workload(&arena);
    arena.reset();
    let consolidated = arena.stats();
    frame_workload(&arena);
    let stats = arena.stats();
    assert_eq!(stats.chunk_count, 1);
    assert_eq!(stats.grow_count, consolidated.grow_count);
    assert_eq!(stats.committed_bytes, consolidated.committed_bytes);
}

#[test]
fn a_steady_workload_stops_growing_after_the_first_cycles() {
    let mut arena = Arena::new("reset");
    let mut grow_counts = Vec::new();
    for _ in 0..50 {
        frame_workload(&arena);
        arena.reset();
        grow_counts.push(arena.stats().grow_count);
    }
    let settled = grow_counts[2];
    assert!(
        grow_counts[2..].iter().all(|&count| count == settled),
        "grow counts per cycle: {grow_counts:?}"
    );
    assert_eq!(arena.stats().chunk_count, 1);
}

#[test]
fn a_steady_workload_with_big_alignments_settles_too() {
    let mut arena = Arena::new("reset");
    let mut grow_counts = Vec::new();
    for _ in 0..20 {
        for i in 0..64u64 {
            arena.alloc(i as u8);
            arena.push_aligned(100, 1 << (i % 13));
        }
        arena.reset();
        grow_counts.push(arena.stats().grow_count);
    }
    let last = *grow_counts.last().unwrap();
    assert!(
        grow_counts[5..].iter().all(|&count| count == last),
        "grow counts per cycle: {grow_counts:?}"
    );
}

/// A workload that overflows its chunk only by alignment padding: the high-water
/// mark, measured across two chunks, fits the old chunk size again. Chunk starts are
/// 64-aligned, so the padding is the same in every run.
#[test]
fn a_workload_that_overflows_by_its_padding_settles() {
    const CHUNK: usize = 1 << 16;
    let mut arena = Arena::with_capacity("reset", CHUNK);
    let mut grow_counts = Vec::new();
    for _ in 0..10 {
        // 1 byte, then 15 bytes of padding before a block that fills the chunk to
        // 8 bytes past its end. In a fresh chunk the block needs no padding, so
        // the high-water mark is `CHUNK - 7`.
        arena.alloc(1u8);
        arena.push_aligned(CHUNK - 8, 16);
        arena.reset();
        grow_counts.push(arena.stats().grow_count);
    }
    assert!(
        grow_counts[2..]
            .iter()
            .all(|&count| count == grow_counts[2]),
        "grow counts per cycle: {grow_counts:?}"
    );
}

#[test]
fn reset_of_an_empty_arena() {
    let mut arena = Arena::new("reset");
    arena.reset();
    let stats = arena.stats();
    assert_eq!(
        (stats.used_bytes, stats.chunk_count, stats.reset_count),
        (0, 0, 1)
    );
    assert_eq!(*arena.alloc(5u8), 5);
}

#[test]
fn consolidation_respects_the_limit() {
    let mut arena = crate::chunked_with_limit("reset", 20_000);
    for _ in 0..4 {
        arena.alloc_slice_fill_copy(3000, 0u8);
    }
    assert!(arena.stats().chunk_count > 1);
    arena.reset();
    let stats = arena.stats();
    assert_eq!(stats.chunk_count, 1);
    assert!(stats.committed_bytes <= 20_000, "{stats:?}");
    assert!(stats.committed_bytes >= stats.high_water_bytes, "{stats:?}");
    arena.alloc_slice_fill_copy(12_000, 0u8);
    assert_eq!(arena.stats().chunk_count, 1);
}

#[test]
fn reset_after_rewinding_into_an_earlier_chunk_consolidates_the_spares() {
    let mut arena = crate::chunked_with_capacity("reset", 64);
    let mark = arena.mark();
    for _ in 0..10 {
        arena.push(60);
    }
    arena.rewind(mark);
    assert!(arena.stats().chunk_count > 1);
    arena.reset();
    let stats = arena.stats();
    assert_eq!(stats.chunk_count, 1);
    assert!(stats.committed_bytes >= 600);
}
