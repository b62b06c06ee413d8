//! `scope`: temporary allocations freed when the closure returns.

use crate::debug_arena;
use engine::Arena;

#[test]
fn scope_frees_everything_allocated_inside() {
    let mut arena = Arena::new("scope");
    arena.alloc(1u64);
    let sum = arena.scope(|tmp| {
        let xs = tmp.alloc_slice_fill_with(1000, |i| i as u64);
        tmp.alloc_str("temporary");
        assert!(tmp.offset() > 8000);
        xs.iter().sum::<u64>()
    });
    assert_eq!(sum, 499_500);
    assert_eq!(arena.offset(), 8);
}

#[test]
fn scope_returns_owned_results() {
    let mut arena = Arena::new("scope");
    let text: String = arena.scope(|tmp| {
        let parts = tmp.alloc_slice_copy(&["a", "b", "c"]);
        parts.concat()
    });
    assert_eq!(text, "abc");
}

#[test]
fn nested_scopes_each_free_their_own_allocations() {
    let mut arena = Arena::new("scope");
    let outer_kept = arena.alloc(7u32) as *const u32;
    arena.scope(|outer| {
        let a = outer.alloc(1u64) as *const u64;
        let offset_a = outer.offset();
        outer.scope(|inner| {
            inner.alloc_slice_fill_copy(500, 2u64);
            inner.scope(|innermost| {
                innermost.alloc_slice_fill_copy(5000, 3u8);
            });
            assert_eq!(inner.offset(), offset_a + 4000);
        });
        assert_eq!(outer.offset(), offset_a);
        // SAFETY: allocated in this scope, which has not ended.
        assert_eq!(unsafe { *a }, 1);
    });
    assert_eq!(arena.offset(), 4);
    // SAFETY: allocated before any scope; still in use.
    assert_eq!(unsafe { *outer_kept }, 7);
}

#[test]
fn scope_across_chunks_returns_to_the_first_chunk() {
    for mut arena in [
        Arena::with_capacity("scope", 128),
        debug_arena("scope-debug"),
    ] {
        let first = arena.alloc(1u8) as *mut u8 as usize;
        arena.scope(|tmp| {
            for i in 0..100u64 {
                tmp.alloc([i; 8]);
            }
        });
        assert_eq!(arena.offset(), 1);
        let next = arena.alloc(2u8) as *mut u8 as usize;
        assert_eq!(
            next,
            first + 1,
            "allocation continues right after the kept byte"
        );
    }
}

#[test]
fn a_steady_scope_in_a_loop_does_not_grow() {
    let mut arena = Arena::new("scope");
    for _ in 0..3 {
        arena.scope(|tmp| {
            tmp.alloc_slice_fill_copy(20_000, 0u8);
        });
    }
    let grows = arena.stats().grow_count;
    for _ in 0..100 {
        arena.scope(|tmp| {
            tmp.alloc_slice_fill_copy(20_000, 0u8);
        });
    }
    assert_eq!(arena.stats().grow_count, grows);
    assert_eq!(arena.offset(), 0);
}

#[test]
fn scope_tolerates_a_body_that_resets_the_arena() {
    let mut arena = Arena::new("scope");
    arena.alloc(1u64);
    arena.scope(|tmp| {
        tmp.alloc(2u64);
        tmp.reset();
        tmp.alloc(3u32);
    });
    // The mark is from before the reset: nothing left for the scope to free.
    assert_eq!(arena.offset(), 4);
}

#[test]
fn scope_whose_body_rewinds_below_its_start_keeps_what_the_body_left() {
    let mut arena = Arena::new("scope");
    let before = arena.mark();
    arena.alloc(1u64);
    arena.scope(|tmp| {
        tmp.alloc(2u64);
        tmp.rewind(before);
        tmp.alloc(3u32);
    });
    // Below the scope's start there is nothing for the scope to free.
    assert_eq!(arena.offset(), 4);

    arena.reset();
    let before = arena.mark();
    arena.alloc(1u64);
    arena.scope(|tmp| {
        tmp.rewind(before);
        tmp.alloc_slice_fill_copy(3, 0u64);
    });
    // The body went past the scope's start again: back to where the scope began.
    assert_eq!(arena.offset(), 8);
}

#[test]
fn scope_whose_body_swaps_the_arena_frees_nothing_of_the_other_one() {
    let mut arena = Arena::new("scope");
    let mut other = Arena::new("other");
    other.alloc(5u64);
    arena.alloc(1u64);
    arena.scope(|tmp| {
        tmp.alloc(2u64);
        std::mem::swap(tmp, &mut other);
        tmp.alloc(3u64);
    });
    // `arena` now holds what was `other`: its allocations are kept.
    assert_eq!(arena.stats().name.as_ref(), "other");
    assert_eq!(arena.offset(), 16);
    assert_eq!(other.offset(), 16);
}

#[test]
fn scope_updates_the_high_water_mark() {
    let mut arena = Arena::new("scope");
    arena.alloc(1u64);
    arena.scope(|tmp| {
        tmp.alloc_slice_fill_copy(100, 0u64);
    });
    let stats = arena.stats();
    assert_eq!((stats.used_bytes, stats.high_water_bytes), (8, 808));
}
