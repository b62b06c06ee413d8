//! Single values: `alloc`, `alloc_with`, `alloc_layout` and their fallible twins.

use crate::{byte_range, overlaps};
use engine::Arena;
use std::alloc::Layout;

#[test]
fn alloc_moves_the_value_in_and_hands_out_a_mutable_reference() {
    let arena = Arena::new("alloc");
    let x = arena.alloc(41u64);
    *x += 1;
    let pair = arena.alloc((1u8, 2.5f32));
    pair.0 = 9;
    assert_eq!(*x, 42);
    assert_eq!(*pair, (9, 2.5));
}

#[test]
fn allocations_never_overlap_and_keep_their_values() {
    let arena = Arena::new("alloc");
    // Enough values to grow several times (the first chunk is 4 KiB).
    let values: Vec<&mut [u64; 3]> = (0..2000u64)
        .map(|i| arena.alloc([i, i * 2, i * 3]))
        .collect();
    assert!(
        arena.stats().grow_count > 2,
        "the test should make the arena grow"
    );
    let mut ranges: Vec<_> = values.iter().map(|v| byte_range(&**v)).collect();
    ranges.sort_by_key(|range| range.start);
    for pair in ranges.windows(2) {
        assert!(!overlaps(&pair[0], &pair[1]), "{pair:?} overlap");
    }
    for (i, value) in values.iter().enumerate() {
        let i = i as u64;
        assert_eq!(**value, [i, i * 2, i * 3]);
    }
}

#[test]
fn consecutive_allocations_in_one_chunk_are_contiguous() {
    let arena = Arena::with_capacity("alloc", 1024);
    let a = arena.alloc(1u32);
    let b = arena.alloc(2u32);
    assert_eq!(byte_range(a).end, byte_range(b).start);
    assert_eq!(arena.offset(), 8);
}

#[test]
fn alloc_with_builds_in_place() {
    let arena = Arena::new("alloc");
    let big = arena.alloc_with(|| [0xABu8; 10_000]);
    assert!(big.iter().all(|&b| b == 0xAB));
    assert_eq!(arena.offset(), 10_000);
}

#[test]
fn alloc_with_may_allocate_from_the_same_arena() {
    let arena = Arena::new("alloc");
    let outer = arena.alloc_with(|| *arena.alloc(5u32) + 1);
    assert_eq!(*outer, 6);
    assert_eq!(arena.stats().allocation_count, 2);
}

#[test]
fn try_alloc_with_does_not_call_make_on_failure() {
    let arena = Arena::with_fixed_capacity("alloc", 4);
    let mut called = false;
    let result = arena.try_alloc_with(|| {
        called = true;
        0u64
    });
    assert!(result.is_err());
    assert!(!called);
}

#[test]
fn zero_sized_values_take_no_space() {
    let arena = Arena::new("alloc");
    let _unit: &mut () = arena.alloc(());
    let empty: &mut [u64; 0] = arena.alloc([]);
    assert_eq!((empty as *mut [u64; 0]).addr() % 8, 0);
    assert_eq!(arena.offset(), 0);
    assert_eq!(arena.stats().allocation_count, 2);
    assert_eq!(arena.stats().committed_bytes, 0, "a ZST needs no chunk");
}

#[test]
fn zero_sized_layout_is_aligned_even_when_the_chunk_is_full() {
    let arena = Arena::with_fixed_capacity("alloc", 8);
    arena.alloc(1u64);
    let p = arena.alloc_layout(Layout::from_size_align(0, 64).unwrap());
    assert_eq!(p.as_ptr().addr() % 64, 0);
    assert_eq!(arena.offset(), 8);
}

#[test]
fn alloc_layout_gives_writable_memory_of_the_requested_size() {
    let arena = Arena::new("alloc");
    let layout = Layout::from_size_align(100, 8).unwrap();
    let p = arena.alloc_layout(layout);
    // SAFETY: `p` points to 100 fresh bytes owned by the arena.
    let bytes = unsafe {
        std::ptr::write_bytes(p.as_ptr(), 0x5A, 100);
        std::slice::from_raw_parts(p.as_ptr(), 100)
    };
    assert!(bytes.iter().all(|&b| b == 0x5A));
    assert_eq!(arena.offset(), 100);
}

#[test]
fn try_alloc_returns_ok_when_there_is_room() {
    let arena = Arena::with_fixed_capacity("alloc", 8);
    assert_eq!(arena.try_alloc(7u64).copied(), Ok(7));
}
