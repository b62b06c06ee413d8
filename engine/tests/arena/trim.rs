//! Trimming: memory a spike made the arena take goes back, under a `TrimPolicy` at a
//! reset, or on request with `Arena::trim`; a steady workload never trims.

use engine::{Arena, ArenaConfig, DEFAULT_FIRST_CHUNK_BYTES, TrimPolicy};
use proptest::prelude::*;

const START: usize = 64 << 10;

fn trimming_arena(within_resets: u32) -> Arena {
    Arena::with_config(
        "trim",
        ArenaConfig {
            initial_capacity: START,
            trim: Some(TrimPolicy { within_resets }),
            ..ArenaConfig::default()
        },
    )
}

/// One cycle that uses `bytes` in four pieces, whose first and last bytes are
/// written and checked before the reset.
fn cycle(arena: &mut Arena, bytes: usize, seed: u8) {
    let mut pieces: Vec<&mut [std::mem::MaybeUninit<u8>]> =
        (0..4).map(|_| arena.push(bytes / 4)).collect();
    for (piece, bytes) in pieces.iter_mut().enumerate() {
        let len = bytes.len();
        if len > 0 {
            bytes[0].write(seed.wrapping_add(piece as u8));
            bytes[len - 1].write(seed.wrapping_add(piece as u8));
        }
    }
    for (piece, bytes) in pieces.iter().enumerate() {
        if let (Some(first), Some(last)) = (bytes.first(), bytes.last()) {
            // SAFETY: both were written above.
            let (first, last) = unsafe { (first.assume_init(), last.assume_init()) };
            assert_eq!(
                (first, last),
                (
                    seed.wrapping_add(piece as u8),
                    seed.wrapping_add(piece as u8)
                )
            );
        }
    }
    arena.reset();
}

#[test]
fn a_spike_goes_back_at_the_latest_within_resets_after_it() {
    for within_resets in [1, 2, 3, 4, 7, 10, 240] {
        let mut arena = trimming_arena(within_resets);
        // Warm, and shift the spike to every position in a window.
        for offset in 0..within_resets.min(12) {
            let mut arena_here = trimming_arena(within_resets);
            for _ in 0..offset {
                cycle(&mut arena_here, 10_000, 1);
            }
            cycle(&mut arena_here, 4 << 20, 2); // the spike's cycle ends at this reset
            assert!(arena_here.stats().committed_bytes >= 4 << 20);
            for _ in 0..within_resets {
                cycle(&mut arena_here, 10_000, 3);
            }
            let stats = arena_here.stats();
            assert_eq!(
                (stats.committed_bytes, stats.trim_count, stats.chunk_count),
                (START, 1, 1),
                "within_resets {within_resets}, spike after {offset} cycles"
            );
            assert_eq!(stats.trimmed_bytes as usize, (4 << 20) - START);
        }
        cycle(&mut arena, 10_000, 4);
        assert_eq!(arena.stats().trim_count, 0);
    }
}

#[test]
fn a_steady_or_growing_workload_never_trims() {
    let mut arena = trimming_arena(4);
    for round in 0..200 {
        // Varies within bounds, above the starting capacity.
        cycle(&mut arena, 200_000 + (round % 7) * 10_000, round as u8);
    }
    let stats = arena.stats();
    assert_eq!((stats.trim_count, stats.chunk_count), (0, 1));
    let committed = stats.committed_bytes;
    let grow_count = stats.grow_count;
    for round in 0..200 {
        cycle(&mut arena, 200_000 + (round % 7) * 10_000, round as u8);
    }
    let stats = arena.stats();
    assert_eq!(
        (stats.committed_bytes, stats.grow_count, stats.trim_count),
        (committed, grow_count, 0)
    );
}

#[test]
fn without_a_policy_a_spike_stays_committed() {
    let mut arena = Arena::with_capacity("keep", START);
    cycle(&mut arena, 4 << 20, 1);
    for _ in 0..1000 {
        cycle(&mut arena, 1000, 2);
    }
    let stats = arena.stats();
    assert!(stats.committed_bytes >= 4 << 20);
    assert_eq!(stats.trim_count, 0);
}

#[test]
fn scope_peaks_count_as_need() {
    // A scratch-like arena: empty at every reset, its use is all in scopes.
    let mut arena = trimming_arena(4);
    let scoped_cycle = |arena: &mut Arena, bytes: usize| {
        arena.scope(|tmp| {
            let xs = tmp.alloc_slice_fill_copy(bytes, 7u8);
            assert!(xs.iter().all(|&x| x == 7));
        });
        arena.reset();
    };
    scoped_cycle(&mut arena, 8 << 20);
    for _ in 0..20 {
        scoped_cycle(&mut arena, 200_000);
    }
    let stats = arena.stats();
    assert_eq!((stats.trim_count, stats.committed_bytes), (1, 256 << 10));
    let grow_count = stats.grow_count;
    for _ in 0..20 {
        scoped_cycle(&mut arena, 200_000);
    }
    assert_eq!(
        arena.stats().grow_count,
        grow_count,
        "trimmed below the need"
    );
    assert_eq!(arena.stats().high_water_bytes, 8 << 20);
}

#[test]
fn trim_frees_spare_chunks_and_an_empty_arenas_big_chunk_now() {
    let mut arena = crate::chunked_with_capacity("explicit", START);
    let mark = arena.mark();
    arena.alloc_slice_fill_copy(START, 1u8);
    arena.alloc_slice_fill_copy(4 * START, 2u8); // a second chunk
    arena.rewind(mark);
    let before = arena.stats();
    assert_eq!(before.chunk_count, 2);
    let kept = arena.alloc_slice_fill_copy(100, 3u8).as_ptr();
    let given_back = arena.trim();
    let stats = arena.stats();
    assert_eq!(given_back, before.committed_bytes - START);
    assert_eq!((stats.committed_bytes, stats.chunk_count), (START, 1));
    assert_eq!((stats.used_bytes, stats.trim_count), (100, 1));
    // SAFETY: the 100 bytes are still allocated: trimming frees no data in use.
    let kept = unsafe { std::slice::from_raw_parts(kept, 100) };
    assert!(kept.iter().all(|&b| b == 3));

    arena.reset();
    arena.alloc_slice_fill_copy(8 << 20, 4u8);
    arena.reset();
    assert!(arena.stats().committed_bytes >= 8 << 20);
    let given_back = arena.trim();
    let stats = arena.stats();
    assert_eq!(stats.committed_bytes, START);
    assert_eq!(
        stats.trimmed_bytes as usize,
        before.committed_bytes - START + given_back
    );
    assert_eq!(arena.trim(), 0, "nothing left to give back");
    // The arena still works, and is steady: a cycle that fits takes no chunk.
    let grow_count = stats.grow_count;
    cycle(&mut arena, 10_000, 5);
    assert_eq!(arena.stats().grow_count, grow_count);
}

#[test]
fn trim_with_data_in_use_shrinks_at_the_next_reset() {
    let mut arena = Arena::with_capacity("explicit", START);
    arena.alloc_slice_fill_copy(8 << 20, 1u8);
    arena.reset();
    let data = arena.alloc_slice_fill_copy(300_000, 2u8).as_ptr();
    assert_eq!(arena.trim(), 0, "the chunk holds data in use");
    // SAFETY: the data is still allocated.
    let data = unsafe { std::slice::from_raw_parts(data, 300_000) };
    assert!(data.iter().all(|&b| b == 2));
    arena.alloc_slice_fill_copy(100_000, 3u8);
    arena.reset();
    let stats = arena.stats();
    // What was in use at the call and after it, 400,000 bytes, rounded up.
    assert_eq!((stats.committed_bytes, stats.trim_count), (512 << 10, 1));
    arena.reset();
    assert_eq!(arena.stats().trim_count, 1, "one request, one trim");
}

#[test]
fn a_trim_that_would_pass_the_limit_frees_first() {
    let limit = 6 << 20;
    let mut arena = Arena::with_config(
        "limited",
        ArenaConfig {
            initial_capacity: 2 << 20,
            limit_bytes: Some(limit),
            trim: Some(TrimPolicy { within_resets: 2 }),
            ..ArenaConfig::default()
        },
    );
    cycle(&mut arena, 5 << 20, 1);
    assert!(arena.stats().committed_bytes > limit - (2 << 20));
    for _ in 0..2 {
        cycle(&mut arena, 1000, 2);
    }
    let stats = arena.stats();
    assert_eq!((stats.committed_bytes, stats.trim_count), (2 << 20, 1));
    cycle(&mut arena, 1000, 3);
}

#[test]
fn a_small_arena_is_not_trimmed_below_the_default_first_chunk() {
    let mut arena = Arena::with_config(
        "small",
        ArenaConfig {
            initial_capacity: 64,
            trim: Some(TrimPolicy { within_resets: 2 }),
            ..ArenaConfig::default()
        },
    );
    cycle(&mut arena, 1 << 20, 1);
    for _ in 0..4 {
        cycle(&mut arena, 40, 2);
    }
    assert_eq!(arena.stats().committed_bytes, DEFAULT_FIRST_CHUNK_BYTES);
    assert_eq!(arena.trim(), 0);
}

#[test]
fn debug_mode_arenas_trim_too() {
    let mut arena = Arena::with_config(
        "debug",
        ArenaConfig {
            initial_capacity: START,
            debug_blocks: true,
            trim: Some(TrimPolicy { within_resets: 2 }),
            ..ArenaConfig::default()
        },
    );
    cycle(&mut arena, 2 << 20, 1);
    for _ in 0..2 {
        cycle(&mut arena, 1000, 2);
    }
    assert_eq!(arena.stats().committed_bytes, START);
    arena.push(24);
    arena.pop(24);
}

proptest! {
    /// Random spike patterns: data is never lost, committed memory covers every
    /// cycle, and `within_resets` resets after the last spike the arena holds the
    /// chunk its recent need calls for, having trimmed at most once per spike.
    #[test]
    fn spike_patterns(
        within_resets in 1u32..12,
        cycles in proptest::collection::vec((0usize..20, any::<bool>()), 1..80),
    ) {
        let mut arena = trimming_arena(within_resets);
        let base = 40_000;
        let mut spikes = 0;
        for (index, &(spike_size, spike)) in cycles.iter().enumerate() {
            let bytes = if spike && spike_size > 0 { spikes += 1; spike_size * START * 4 } else { base };
            cycle(&mut arena, bytes, index as u8);
            let stats = arena.stats();
            prop_assert!(stats.committed_bytes >= bytes.min(stats.high_water_bytes));
            prop_assert!(stats.trim_count <= spikes);
        }
        for index in 0..within_resets {
            cycle(&mut arena, base, index as u8);
        }
        let stats = arena.stats();
        prop_assert_eq!(stats.committed_bytes, START);
        prop_assert_eq!(stats.chunk_count, 1);
    }
}
