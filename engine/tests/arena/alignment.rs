//! Every power-of-two alignment, in the current chunk and in a fresh one.

use crate::debug_arena;
use engine::{AllocError, Arena, PUSH_ALIGN};
use std::alloc::Layout;

const MAX_ALIGN_LOG2: u32 = 16;

fn check_all_alignments(arena: &Arena) {
    for log2 in 0..=MAX_ALIGN_LOG2 {
        let align = 1usize << log2;
        for size in [1, 3, align, align + 1] {
            // An odd-sized byte first, so the next allocation needs padding.
            arena.alloc(0u8);
            let before = arena.offset();
            let layout = Layout::from_size_align(size, align).unwrap();
            let p = arena.alloc_layout(layout);
            assert_eq!(p.as_ptr().addr() % align, 0, "align {align}, size {size}");
            let after = arena.offset();
            assert!(
                after - before >= size && after - before < size + align,
                "offset moved {} for size {size} align {align}",
                after - before
            );
            // SAFETY: `p` points to `size` fresh bytes owned by the arena.
            unsafe { std::ptr::write_bytes(p.as_ptr(), 0xEE, size) };
        }
    }
}

#[test]
fn alloc_layout_honours_every_power_of_two_up_to_64_kib() {
    check_all_alignments(&Arena::new("align"));
}

#[test]
fn alignment_holds_in_debug_mode() {
    check_all_alignments(&debug_arena("align-debug"));
}

#[test]
fn alignment_holds_when_every_request_needs_a_new_chunk() {
    // A 16-byte first chunk: almost every request above takes a new chunk, so
    // the padding at the start of fresh chunks is exercised.
    check_all_alignments(&Arena::with_capacity("align-tiny", 16));
}

#[test]
fn every_chunk_starts_on_a_cache_line() {
    let arena = crate::chunked_with_capacity("align-lines", 100);
    for round in 0..6 {
        // Fills the current chunk, so the next allocation is a fresh chunk's first.
        let first = arena.alloc_slice_fill_copy(100 << round, 0u8);
        assert_eq!(first.as_ptr().addr() % 64, 0, "chunk {round}");
        assert_eq!(arena.stats().chunk_count, round + 1);
    }
}

#[test]
fn push_aligned_honours_every_power_of_two() {
    let arena = Arena::new("align");
    for log2 in 0..=MAX_ALIGN_LOG2 {
        let align = 1usize << log2;
        arena.push(1);
        let bytes = arena.push_aligned(24, align);
        assert_eq!(bytes.len(), 24);
        assert_eq!(bytes.as_ptr().addr() % align, 0, "align {align}");
    }
}

#[test]
fn push_is_word_aligned() {
    let arena = Arena::new("align");
    for size in 1..40 {
        let bytes = arena.push(size);
        assert_eq!(bytes.as_ptr().addr() % PUSH_ALIGN, 0);
    }
}

#[test]
fn over_aligned_types() {
    #[derive(Clone, Copy)]
    #[repr(C, align(4096))]
    struct Page([u8; 4096]);
    #[derive(Clone, Copy)]
    #[repr(align(64))]
    struct CacheLine(u8);

    let arena = Arena::new("align");
    arena.alloc(1u8);
    let line = arena.alloc(CacheLine(7));
    let page = arena.alloc(Page([1; 4096]));
    let lines = arena.alloc_slice_fill_copy(3, CacheLine(2));
    assert_eq!((line as *const CacheLine).addr() % 64, 0);
    assert_eq!((page as *const Page).addr() % 4096, 0);
    assert_eq!(lines.as_ptr().addr() % 64, 0);
    assert_eq!((line.0, page.0[4095], lines[2].0), (7, 1, 2));
}

#[test]
fn non_power_of_two_alignment_is_an_invalid_layout() {
    let arena = Arena::new("align");
    for align in [0, 3, 6, 12, 100] {
        let err = arena.try_push_aligned(8, align).unwrap_err();
        assert!(
            matches!(err, AllocError::InvalidLayout { size: 8, align: a, .. } if a == align),
            "{err:?}"
        );
    }
    assert_eq!(arena.offset(), 0);
}

#[test]
fn the_largest_layouts_are_refused_without_wrapping_around() {
    // Sizes and alignments near `isize::MAX`: if the fast path's address arithmetic
    // wrapped, the end would land below the chunk's end and the request would
    // "fit". Every one must be refused, with the arena unchanged.
    let arena = Arena::with_fixed_capacity("align-huge", 256);
    arena.alloc(1u8);
    let top = isize::MAX as usize;
    let layouts = [
        Layout::from_size_align(top - 63, 64).unwrap(),
        Layout::from_size_align(top - 4095, 4096).unwrap(),
        Layout::from_size_align(1, 1 << 40).unwrap(),
        Layout::from_size_align(1, 1 << 62).unwrap(),
        Layout::from_size_align(top, 1).unwrap(),
    ];
    for layout in layouts {
        let err = arena.try_alloc_layout(layout).unwrap_err();
        assert!(
            matches!(err, AllocError::CapacityExceeded { requested, used: 1, .. } if requested == layout.size()),
            "{layout:?}: {err:?}"
        );
        assert_eq!(arena.offset(), 1, "{layout:?}");
    }
    // The same through the typed calls, whose alignment the compiler knows.
    let err = arena.try_alloc_slice_fill_copy(top / 8, 0u64).unwrap_err();
    assert!(
        matches!(err, AllocError::CapacityExceeded { requested, align: 8, .. } if requested == top / 8 * 8),
        "{err:?}"
    );
    let err = arena.try_alloc_slice_fill_copy(top, 0u8).unwrap_err();
    assert!(
        matches!(err, AllocError::CapacityExceeded { .. }),
        "{err:?}"
    );
    assert_eq!(arena.offset(), 1);
    // Nothing to store: a huge alignment is still honoured, at no cost.
    let zero = arena.alloc_layout(Layout::from_size_align(0, 1 << 62).unwrap());
    assert_eq!(zero.as_ptr().addr() % (1 << 62), 0);
    assert_eq!(arena.offset(), 1);
}
