//! `mark` and `rewind`, and every way a mark can be refused.

use crate::debug_arena;
use engine::{Arena, StackError};

#[test]
fn rewind_frees_everything_after_the_mark() {
    let mut arena = Arena::new("marks");
    arena.alloc(1u64);
    let mark = arena.mark();
    assert_eq!(mark.offset(), 8);
    let scratch_addr = arena.alloc_slice_fill_copy(100, 0u32).as_ptr().addr();
    assert_eq!(arena.offset(), 408);
    arena.rewind(mark);
    assert_eq!(arena.offset(), 8);
    // The freed bytes are handed out again.
    assert_eq!(
        arena.alloc_slice_fill_copy(100, 1u32).as_ptr().addr(),
        scratch_addr
    );
}

#[test]
fn allocations_before_the_mark_survive_a_rewind_across_chunks() {
    for mut arena in [
        crate::chunked_with_capacity("marks", 64),
        crate::chunked_debug_arena("marks-debug"),
    ] {
        let kept: *const [u32] = arena.alloc_slice_fill_with(8, |i| i as u32 * 11);
        let mark = arena.mark();
        let chunks_before = arena.stats().chunk_count;
        for i in 0..500u32 {
            arena.alloc([i; 4]);
        }
        assert!(
            arena.stats().chunk_count > chunks_before,
            "should have grown"
        );
        arena.rewind(mark);
        assert_eq!(arena.offset(), mark.offset());
        let after = arena.alloc([9u32; 4]);
        *after = [10; 4];
        // SAFETY: `kept` was allocated before the mark and is still in use.
        let kept = unsafe { &*kept };
        assert_eq!(kept, &[0, 11, 22, 33, 44, 55, 66, 77]);
    }
}

#[test]
fn a_mark_can_be_rewound_to_repeatedly() {
    let mut arena = Arena::new("marks");
    let mark = arena.mark();
    for _ in 0..3 {
        arena.alloc_slice_fill_copy(10, 0u16);
        arena.rewind(mark);
        assert_eq!(arena.offset(), 0);
    }
}

#[test]
fn rewinding_to_an_outer_mark_frees_inner_ones() {
    let mut arena = Arena::new("marks");
    let outer = arena.mark();
    arena.alloc(1u32);
    let inner = arena.mark();
    arena.alloc(2u32);
    arena.rewind(inner);
    assert_eq!(arena.offset(), 4);
    arena.rewind(outer);
    assert_eq!(arena.offset(), 0);
}

#[test]
fn a_mark_of_another_arena_is_refused() {
    let mut a = Arena::new("a");
    let b = Arena::new("b");
    a.alloc(1u64);
    b.alloc(1u64);
    let before = a.stats();
    let err = a.try_rewind(b.mark()).unwrap_err();
    assert_eq!(err, StackError::ForeignMark { arena: "a".into() });
    assert_eq!(a.stats(), before);
}

#[test]
fn arenas_with_the_same_name_do_not_share_marks() {
    let mut a = Arena::new("same");
    let b = Arena::new("same");
    assert!(matches!(
        a.try_rewind(b.mark()),
        Err(StackError::ForeignMark { .. })
    ));
}

#[test]
fn a_mark_from_before_a_reset_is_refused() {
    let mut arena = Arena::new("marks");
    let mark = arena.mark();
    arena.reset();
    arena.alloc(1u64);
    let before = arena.stats();
    assert_eq!(
        arena.try_rewind(mark),
        Err(StackError::MarkBeforeReset {
            mark_resets: 0,
            arena_resets: 1
        })
    );
    assert_eq!(arena.stats(), before);
}

#[test]
fn a_mark_above_the_offset_after_rewinding_below_it_is_refused() {
    for mut arena in [Arena::new("marks"), debug_arena("marks-debug")] {
        let low = arena.mark();
        arena.alloc(1u64);
        let high = arena.mark();
        arena.rewind(low);
        let before = arena.stats();
        assert_eq!(
            arena.try_rewind(high),
            Err(StackError::StaleMark {
                mark_offset: 8,
                used: 0
            })
        );
        assert_eq!(arena.stats(), before);
    }
}

#[test]
fn a_mark_above_the_offset_after_a_pop_is_refused() {
    let mut arena = Arena::new("marks");
    arena.push(16);
    let mark = arena.mark();
    arena.pop(16);
    assert!(matches!(
        arena.try_rewind(mark),
        Err(StackError::StaleMark {
            mark_offset: 16,
            used: 0
        })
    ));
}

#[test]
#[should_panic(expected = "arena `mine` cannot rewind to a mark of another arena")]
fn rewind_panics_on_a_foreign_mark() {
    let mut mine = Arena::new("mine");
    let other = Arena::new("other");
    mine.rewind(other.mark());
}

#[test]
#[should_panic(
    expected = "the mark was taken after reset 0, but the arena has been reset 2 times since"
)]
fn rewind_panics_on_a_mark_from_before_reset() {
    let mut arena = Arena::new("marks");
    let mark = arena.mark();
    arena.reset();
    arena.reset();
    arena.rewind(mark);
}

#[test]
#[should_panic(expected = "stale mark: offset 24 was already freed (only 0 bytes are in use)")]
fn rewind_panics_on_a_stale_mark() {
    let mut arena = Arena::new("marks");
    let low = arena.mark();
    arena.push(24);
    let high = arena.mark();
    arena.rewind(low);
    arena.rewind(high);
}

#[test]
fn rewind_records_the_high_water_mark() {
    let mut arena = Arena::new("marks");
    let mark = arena.mark();
    arena.alloc_slice_fill_copy(3000, 0u8);
    arena.rewind(mark);
    assert_eq!(arena.stats().high_water_bytes, 3000);
    assert_eq!(arena.stats().used_bytes, 0);
}
