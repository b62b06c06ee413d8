//! Fixed-capacity arenas never grow.

use engine::{AllocError, Arena, ArenaConfig, Growth};

#[test]
fn a_fixed_arena_fills_up_exactly() {
    let arena = Arena::with_fixed_capacity("fixed", 64);
    for i in 0..8u64 {
        arena.alloc(i);
    }
    assert_eq!(arena.offset(), 64);
    let err = arena.try_alloc(8u8).unwrap_err();
    assert_eq!(
        err,
        AllocError::CapacityExceeded {
            arena: "fixed".into(),
            requested: 1,
            align: 1,
            used: 64,
            capacity: 64
        }
    );
    let stats = arena.stats();
    assert_eq!(
        (stats.chunk_count, stats.grow_count, stats.committed_bytes),
        (1, 1, 64)
    );
}

#[test]
fn padding_counts_against_a_fixed_capacity() {
    let arena = Arena::with_fixed_capacity("fixed", 16);
    arena.alloc(1u8);
    arena.alloc(2u64); // 7 bytes of padding, ends at 16
    assert!(arena.try_alloc(3u8).is_err());
}

#[test]
fn a_zero_capacity_fixed_arena_holds_only_zero_sized_values() {
    let arena = Arena::with_fixed_capacity("fixed", 0);
    assert!(arena.try_alloc(()).is_ok());
    assert!(matches!(
        arena.try_alloc(1u8),
        Err(AllocError::CapacityExceeded { capacity: 0, .. })
    ));
    assert_eq!(arena.stats().committed_bytes, 0);
}

#[test]
fn a_fixed_arena_is_reusable_after_reset_and_rewind() {
    let mut arena = Arena::with_fixed_capacity("fixed", 32);
    for _ in 0..100 {
        let mark = arena.mark();
        arena.alloc_slice_fill_copy(32, 1u8);
        assert!(arena.try_alloc(0u8).is_err());
        arena.rewind(mark);
        arena.alloc_slice_fill_copy(32, 2u8);
        arena.reset();
    }
    let stats = arena.stats();
    assert_eq!((stats.grow_count, stats.committed_bytes), (1, 32));
}

#[test]
fn with_options_fixed_matches_with_fixed_capacity() {
    let arena = Arena::with_config(
        "fixed",
        ArenaConfig {
            initial_capacity: 128,
            growth: Growth::Fixed,
            ..ArenaConfig::default()
        },
    );
    assert!(arena.try_push(128).is_ok());
    assert!(matches!(
        arena.try_push(1),
        Err(AllocError::CapacityExceeded { .. })
    ));
}

#[test]
#[should_panic(
    expected = "arena `fixed`: 8 bytes (align 8) do not fit: 0 of a fixed 4 bytes are in use"
)]
fn alloc_panics_with_the_error_message_when_full() {
    let arena = Arena::with_fixed_capacity("fixed", 4);
    arena.alloc(1u64);
}
