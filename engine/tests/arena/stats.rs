//! `stats`: what an arena reports about itself.

use engine::{Arena, ArenaStats, DEFAULT_FIRST_CHUNK_BYTES};

#[test]
fn a_new_arena_reports_nothing_in_use() {
    let stats = Arena::new("stats").stats();
    assert_eq!(
        stats,
        ArenaStats {
            name: "stats".into(),
            used_bytes: 0,
            committed_bytes: 0,
            high_water_bytes: 0,
            allocation_count: 0,
            chunk_count: 0,
            grow_count: 0,
            reset_count: 0,
            trim_count: 0,
            trimmed_bytes: 0,
            limit_bytes: None,
            budget_bytes: None,
        }
    );
}

#[test]
fn the_name_is_kept_and_shared() {
    let name: std::sync::Arc<str> = "level-1".into();
    let arena = Arena::new(std::sync::Arc::clone(&name));
    assert_eq!(arena.name(), "level-1");
    assert!(std::sync::Arc::ptr_eq(&arena.stats().name, &name));
    assert!(format!("{arena:?}").contains("level-1"));
}

#[test]
fn used_bytes_count_padding() {
    let arena = Arena::new("stats");
    arena.alloc(1u8);
    arena.alloc(1u32);
    arena.alloc(1u16);
    assert_eq!(arena.stats().used_bytes, 10);
    assert_eq!(arena.stats().used_bytes, arena.offset());
}

#[test]
fn allocation_count_counts_every_allocation_since_the_last_reset() {
    let mut arena = Arena::new("stats");
    arena.alloc(1u8);
    arena.alloc_slice_copy(&[1, 2, 3]);
    arena.alloc_str("x");
    arena.push(10);
    arena.alloc(());
    assert_eq!(arena.stats().allocation_count, 5);
    arena.pop(10);
    assert_eq!(arena.stats().allocation_count, 5, "pop does not uncount");
    arena.reset();
    assert_eq!(arena.stats().allocation_count, 0);
    arena.alloc(2u8);
    assert_eq!(arena.stats().allocation_count, 1);
}

#[test]
fn failed_allocations_are_not_counted() {
    let arena = Arena::with_fixed_capacity("stats", 4);
    arena.alloc(1u32);
    assert!(arena.try_alloc(1u32).is_err());
    assert_eq!(arena.stats().allocation_count, 1);
}

#[test]
fn high_water_survives_pops_rewinds_and_resets() {
    let mut arena = Arena::new("stats");
    arena.push(1000);
    arena.pop(1000);
    assert_eq!(arena.stats().high_water_bytes, 1000);
    let mark = arena.mark();
    arena.push(3000);
    arena.rewind(mark);
    assert_eq!(arena.stats().high_water_bytes, 3000);
    arena.push(2000);
    arena.reset();
    let stats = arena.stats();
    assert_eq!((stats.used_bytes, stats.high_water_bytes), (0, 3000));
    arena.push(5000);
    assert_eq!(arena.stats().high_water_bytes, 5000, "live usage counts");
}

#[test]
fn committed_chunk_and_grow_counts_follow_the_chunks() {
    let mut arena = crate::chunked("stats", engine::ArenaConfig::default());
    arena.push(10);
    let one = arena.stats();
    assert_eq!(
        (one.committed_bytes, one.chunk_count, one.grow_count),
        (DEFAULT_FIRST_CHUNK_BYTES, 1, 1)
    );
    arena.push(DEFAULT_FIRST_CHUNK_BYTES);
    let two = arena.stats();
    assert_eq!((two.chunk_count, two.grow_count), (2, 2));
    assert!(two.committed_bytes >= 3 * DEFAULT_FIRST_CHUNK_BYTES);
    arena.reset();
    let after = arena.stats();
    assert_eq!(
        (after.chunk_count, after.grow_count, after.reset_count),
        (1, 3, 1)
    );
    assert!(after.committed_bytes >= two.high_water_bytes);
}

#[test]
fn limit_is_reported() {
    assert_eq!(
        Arena::with_limit("stats", 1234).stats().limit_bytes,
        Some(1234)
    );
}

#[test]
fn committed_is_at_least_used() {
    let arena = Arena::with_capacity("stats", 100);
    for size in [10, 90, 1, 200, 33, 5000, 7] {
        arena.push(size);
        let stats = arena.stats();
        assert!(stats.committed_bytes >= stats.used_bytes, "{stats:?}");
        assert!(stats.high_water_bytes >= stats.used_bytes, "{stats:?}");
    }
}
