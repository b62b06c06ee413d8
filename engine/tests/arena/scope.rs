//! `scope`: temporary allocations freed when the closure returns.

use crate::debug_arena;
use engine::{Arena, StackError};

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
fn scope_refuses_to_free_below_its_start() {
    let mut arena = Arena::new("scope");
    let before = arena.mark();
    arena.alloc(1u64);
    let at_start = arena.mark();
    arena.scope(|tmp| {
        tmp.alloc(2u64);
        let offset = tmp.offset();
        let below = StackError::BelowScope {
            target: 0,
            scope_start: 8,
        };
        assert_eq!(tmp.try_rewind(before), Err(below.clone()));
        assert_eq!(tmp.try_pop(16), Err(below));
        assert_eq!(tmp.offset(), offset, "a refused call changed the arena");
        // Back to exactly where the scope began is allowed.
        tmp.rewind(at_start);
        assert_eq!(tmp.offset(), 8);
        tmp.alloc(3u32);
        tmp.pop(4);
        assert_eq!(tmp.offset(), 8);
    });
    assert_eq!(arena.offset(), 8);
}

#[test]
#[should_panic(expected = "cannot go back to offset 0 inside a scope that began at offset 8")]
fn scope_pop_below_its_start_panics_with_the_offsets() {
    let mut arena = Arena::new("scope");
    arena.push(8);
    arena.scope(|tmp| tmp.pop(8));
}

#[test]
fn scope_checks_foreign_and_stale_marks_like_the_arena() {
    let mut arena = Arena::new("scope");
    let other = Arena::new("other");
    let stale = arena.mark();
    arena.alloc(1u8);
    arena.reset();
    arena.scope(|tmp| {
        assert!(matches!(
            tmp.try_rewind(other.mark()),
            Err(StackError::ForeignMark { .. })
        ));
        assert!(matches!(
            tmp.try_rewind(stale),
            Err(StackError::MarkBeforeReset { .. })
        ));
    });
}

#[test]
fn scope_rewinds_to_a_mark_in_an_earlier_chunk_it_owns() {
    for mut arena in [
        crate::chunked_with_capacity("scope", 256),
        crate::chunked_debug_arena("scope-debug"),
    ] {
        arena.alloc(1u64);
        arena.scope(|tmp| {
            tmp.alloc(2u64);
            let mark = tmp.mark();
            // Several chunks' worth, then back into the chunk the scope began in.
            for i in 0..200u64 {
                tmp.alloc([i; 4]);
            }
            assert!(tmp.stats().chunk_count > 1);
            tmp.rewind(mark);
            assert_eq!(tmp.offset(), 16);
            tmp.alloc(3u32);
        });
        assert_eq!(arena.offset(), 8);
        let stats = arena.stats();
        assert!(stats.high_water_bytes >= 8 + 200 * 32, "{stats:?}");
    }
}

#[test]
fn a_panicking_nested_scope_is_freed_by_the_enclosing_one() {
    let mut arena = Arena::new("scope");
    arena.alloc(1u64);
    arena.scope(|outer| {
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            outer.scope(|inner| {
                inner.alloc_slice_fill_copy(100, 0u8);
                panic!("inside the inner scope");
            })
        }));
        assert!(caught.is_err());
        // The inner scope never ended: its bytes are still in use...
        assert_eq!(outer.offset(), 108);
    });
    // ...until the outer one ends.
    assert_eq!(arena.offset(), 8);
}

#[test]
fn scope_handle_reports_where_it_began() {
    let mut arena = Arena::new("scope");
    arena.alloc(1u32);
    arena.scope(|tmp| {
        tmp.alloc(2u64);
        assert_eq!(tmp.start_offset(), 4);
        let text = format!("{tmp:?}");
        assert!(text.contains("start_offset: 4"), "{text}");
        assert!(text.contains("offset: 16"), "{text}");
        tmp.scope(|inner| assert_eq!(inner.start_offset(), 16));
    });
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

#[test]
fn a_scope_in_an_arena_that_grew_this_cycle_frees_exactly_its_own() {
    // With more than one chunk, scope exits take the slow path until the next
    // reset; it must free the same bytes as the fast one.
    let mut arena = crate::chunked_with_capacity("grown", 64);
    arena.alloc_slice_fill_copy(64, 0u8);
    let kept = arena.alloc(7u64);
    *kept += 1;
    assert_eq!(arena.stats().chunk_count, 2);
    let before = arena.offset();
    let inside = arena.scope(|tmp| {
        tmp.alloc_slice_fill_copy(100, 1u8);
        tmp.offset()
    });
    assert_eq!(inside, before + 100);
    assert_eq!(arena.offset(), before);
    assert_eq!(arena.stats().high_water_bytes, before + 100);
    assert_eq!(arena.alloc(9u64), &9);
    arena.reset();
    assert_eq!(arena.stats().chunk_count, 1);
    arena.scope(|tmp| {
        tmp.alloc(1u64);
    });
    assert_eq!(arena.offset(), 0);
}

#[test]
fn a_scope_whose_body_made_the_first_chunk_leaves_the_arena_in_it() {
    // The scope began before the arena had any chunk; its exit must not move the
    // arena back to the chunkless state while it holds one.
    let mut arena = Arena::new("lazy");
    arena.scope(|tmp| {
        tmp.push(16);
        tmp.pop(16);
    });
    assert_eq!(arena.offset(), 0);
    assert_eq!(arena.alloc(5u64), &5);
    let stats = arena.stats();
    assert_eq!((stats.used_bytes, stats.chunk_count), (8, 1));
    assert_eq!(stats.high_water_bytes, 16);
}

#[test]
fn steady_scopes_record_each_new_peak() {
    let mut arena = Arena::with_capacity("steady", 4096);
    let mut peak = 0;
    for (cycle, sizes) in [[100, 50, 200], [150, 300, 250]].iter().enumerate() {
        for &size in sizes {
            arena.scope(|tmp| {
                tmp.alloc_slice_fill_copy(size, 0u8);
            });
            peak = peak.max(size);
            assert_eq!(
                (arena.offset(), arena.stats().high_water_bytes),
                (0, peak),
                "cycle {cycle}, a scope of {size} bytes"
            );
        }
        arena.reset();
    }
    assert_eq!(arena.stats().chunk_count, 1);
}
