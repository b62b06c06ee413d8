//! Slices: copy, clone, fill, fill_with, fill_iter.

use crate::byte_range;
use engine::{AllocError, Arena};

#[test]
fn alloc_slice_copy_copies_and_is_independent_of_the_source() {
    let arena = Arena::new("slices");
    let mut src = vec![1u32, 2, 3, 4];
    let copy = arena.alloc_slice_copy(&src);
    src[0] = 100;
    copy[3] = 40;
    assert_eq!(copy, &[1, 2, 3, 40]);
    assert_eq!(arena.offset(), 16);
}

#[test]
fn alloc_slice_clone_clones_each_element() {
    #[derive(Clone, Debug, PartialEq)]
    struct Tile {
        id: u16,
        solid: bool,
    }
    let arena = Arena::new("slices");
    let src = [
        Tile { id: 1, solid: true },
        Tile {
            id: 2,
            solid: false,
        },
    ];
    let tiles = arena.alloc_slice_clone(&src);
    assert_eq!(tiles, &src);
    assert_ne!(tiles.as_ptr(), src.as_ptr());
}

#[test]
fn fill_copy_and_fill_with() {
    let arena = Arena::new("slices");
    assert_eq!(arena.alloc_slice_fill_copy(4, 7i16), &[7, 7, 7, 7]);
    let squares = arena.alloc_slice_fill_with(5, |i| (i * i) as u64);
    assert_eq!(squares, &[0, 1, 4, 9, 16]);
}

#[test]
fn fill_with_may_allocate_from_the_same_arena_without_overlap() {
    let arena = Arena::new("slices");
    let mut inner_ranges = Vec::new();
    let outer = arena.alloc_slice_fill_with(8, |i| {
        let inner = arena.alloc(i as u64);
        inner_ranges.push(byte_range(&*inner));
        i as u32
    });
    let outer_range = byte_range(&*outer);
    for inner in &inner_ranges {
        assert!(!crate::overlaps(&outer_range, inner));
    }
    assert_eq!(outer, &[0, 1, 2, 3, 4, 5, 6, 7]);
}

#[test]
fn fill_iter_takes_the_items_in_order() {
    let arena = Arena::new("slices");
    let evens = arena.alloc_slice_fill_iter((0..6u8).map(|i| i * 2));
    assert_eq!(evens, &[0, 2, 4, 6, 8, 10]);
}

#[test]
#[should_panic(expected = "ExactSizeIterator yielded fewer items than its len()")]
fn fill_iter_panics_on_a_lying_iterator() {
    struct Liar(u32);
    impl Iterator for Liar {
        type Item = u32;
        fn next(&mut self) -> Option<u32> {
            self.0 = self.0.checked_sub(1)?;
            Some(self.0)
        }
    }
    impl ExactSizeIterator for Liar {
        fn len(&self) -> usize {
            10 // but yields only 2
        }
    }
    let arena = Arena::new("slices");
    arena.alloc_slice_fill_iter(Liar(2));
}

#[test]
fn empty_slices() {
    let arena = Arena::new("slices");
    let empty: &mut [u64] = arena.alloc_slice_copy(&[]);
    assert!(empty.is_empty());
    assert_eq!(empty.as_ptr().addr() % 8, 0);
    assert!(arena.alloc_slice_fill_with(0, |_| 1u8).is_empty());
    assert_eq!(arena.offset(), 0);
}

#[test]
fn a_slice_larger_than_a_chunk_gets_its_own_chunk() {
    let arena = Arena::new("slices");
    let big = arena.alloc_slice_fill_copy(100_000, 3u8);
    assert_eq!(big.len(), 100_000);
    assert!(big.iter().all(|&b| b == 3));
    assert!(arena.stats().committed_bytes >= 100_000);
}

#[test]
fn slice_size_overflow_is_an_error_not_a_wrap() {
    let arena = Arena::new("slices");
    let err = arena
        .try_alloc_slice_fill_copy(usize::MAX / 2, 0u64)
        .unwrap_err();
    assert!(matches!(
        err,
        AllocError::SizeOverflow { count, element_size: 8, .. } if count == usize::MAX / 2
    ));
    assert_eq!(arena.offset(), 0);
}

/// Short copies are done in line, in moves chosen by the byte length, and longer
/// ones by `memcpy`: every length on both sides of each boundary, for element types
/// of sizes 1 to 16, padded ones included, copies each value.
#[test]
fn alloc_slice_copy_copies_every_length_of_every_element_size() {
    #[derive(Clone, Copy, Debug, PartialEq)]
    struct Padded {
        tag: u8,
        value: u32,
    }
    fn check<T: Copy + PartialEq + std::fmt::Debug>(make: impl Fn(usize) -> T) {
        let arena = Arena::new("slices");
        for len in 0..=80 {
            let src: Vec<T> = (0..len).map(&make).collect();
            let copy = arena.alloc_slice_copy(&src);
            assert_eq!(copy, &src[..], "{len} values of {} bytes", size_of::<T>());
        }
    }
    check(|i| i as u8);
    check(|i| [i as u8, !(i as u8), 7]);
    check(|i| i as u16 * 3);
    check(|i| i as u32 * 5);
    check(|i| Padded {
        tag: i as u8,
        value: i as u32 * 11,
    });
    check(|i| i as u64 * 13);
    check(|i| i as u128 * 17);
}

/// Audit finding 7: a fill of zero-sized values looped `len` times (2^26 took 1.9 s
/// in a debug build), so `usize::MAX` of them never returned.
#[test]
fn zero_sized_fills_do_not_loop_over_their_length() {
    let arena = Arena::new("zst");
    let units: &mut [()] = arena.alloc_slice_fill_copy(usize::MAX, ());
    assert_eq!(units.len(), usize::MAX);
    let units = arena.try_alloc_slice_fill_copy(usize::MAX, ()).unwrap();
    assert_eq!(units.len(), usize::MAX);
    assert_eq!(arena.offset(), 0, "zero-sized values take no bytes");
    let level = engine::LevelArena::new("zst level");
    assert_eq!(
        level.alloc_slice_fill_copy(usize::MAX, ()).len(),
        usize::MAX
    );
}
