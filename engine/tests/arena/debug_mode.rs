//! Debug mode (`ArenaConfig::debug_blocks`): checked pops and poisoned frees.

use crate::debug_arena;
use engine::{Arena, ArenaConfig, POISON_BYTE, StackError};
use std::alloc::Layout;

/// Reads `len` bytes at `ptr` one by one with volatile loads, so the compiler cannot
/// assume the values it wrote before the memory was freed.
///
/// # Safety
/// - `ptr..ptr + len` lies in a chunk the arena still owns (freed by pop, rewind or
///   a single-chunk reset, which keep the chunk).
unsafe fn read_bytes(ptr: *const u8, len: usize) -> Vec<u8> {
    // SAFETY: the caller guarantees the range is owned, allocated memory.
    (0..len)
        .map(|i| unsafe { std::ptr::read_volatile(ptr.add(i)) })
        .collect()
}

fn is_poisoned(bytes: &[u8]) -> bool {
    !bytes.is_empty() && bytes.iter().all(|&b| b == POISON_BYTE)
}

#[test]
fn pop_must_match_the_size_of_the_last_block() {
    let mut arena = debug_arena("debug");
    arena.push(40);
    arena.push(24);
    let before = arena.stats();
    assert_eq!(
        arena.try_pop(40),
        Err(StackError::PopMismatch {
            requested: 40,
            last_block: 24
        })
    );
    assert_eq!(arena.stats(), before);
    arena.pop(24);
    arena.pop(40);
    assert_eq!(arena.offset(), 0);
}

#[test]
fn typed_allocations_are_blocks_too() {
    let mut arena = debug_arena("debug");
    arena.alloc_slice_fill_copy(3, 0u32);
    assert!(matches!(
        arena.try_pop(8),
        Err(StackError::PopMismatch { last_block: 12, .. })
    ));
    arena.pop(12);
    assert_eq!(arena.offset(), 0);
}

#[test]
#[should_panic(expected = "cannot pop 16 bytes: the last block pushed was 8 bytes")]
fn pop_panics_on_a_mismatch() {
    let mut arena = debug_arena("debug");
    arena.push(8);
    arena.pop(16);
}

#[test]
fn pop_of_an_empty_debug_arena_underflows() {
    let mut arena = debug_arena("debug");
    assert_eq!(
        arena.try_pop(8),
        Err(StackError::PopUnderflow {
            requested: 8,
            used: 0
        })
    );
}

#[test]
fn pop_gives_back_the_blocks_padding_too() {
    let mut arena = debug_arena("debug");
    arena.push(1); // offset 1: the next 64-aligned address is further on
    arena.push_aligned(8, 64);
    assert!(
        arena.offset() > 9,
        "expected padding, offset {}",
        arena.offset()
    );
    arena.pop(8);
    assert_eq!(arena.offset(), 1);
    arena.pop(1);
    assert_eq!(arena.offset(), 0);
}

#[test]
#[cfg_attr(
    feature = "asan",
    ignore = "reads freed bytes, which the `asan` feature poisons (tests/asan_poison.rs)"
)]
fn popped_bytes_are_poisoned() {
    let mut arena = debug_arena("debug");
    let kept = arena.alloc_slice_fill_copy(16, 0x11u8).as_ptr();
    let popped = arena.alloc_slice_fill_copy(32, 0x22u8).as_ptr();
    arena.pop(32);
    // SAFETY: both ranges lie in the arena's only chunk, which it still owns.
    let (kept, popped) = unsafe { (read_bytes(kept, 16), read_bytes(popped, 32)) };
    assert!(is_poisoned(&popped), "{popped:x?}");
    assert_eq!(kept, vec![0x11; 16], "bytes still in use are not poisoned");
}

#[test]
#[cfg_attr(
    feature = "asan",
    ignore = "reads freed bytes, which the `asan` feature poisons (tests/asan_poison.rs)"
)]
fn rewound_bytes_are_poisoned_across_chunks() {
    let mut arena = crate::chunked(
        "debug",
        ArenaConfig {
            initial_capacity: 64,
            debug_blocks: true,
            ..ArenaConfig::default()
        },
    );
    let kept = arena.alloc_slice_fill_copy(8, 0x11u8).as_ptr();
    let mark = arena.mark();
    let freed: Vec<*const u8> = (0..20u8)
        .map(|i| arena.alloc_slice_fill_copy(40, i).as_ptr())
        .collect();
    assert!(arena.stats().chunk_count > 2);
    arena.rewind(mark);
    for ptr in freed {
        // SAFETY: rewinding keeps chunks as spares: the memory is still owned.
        let bytes = unsafe { read_bytes(ptr, 40) };
        assert!(is_poisoned(&bytes), "{bytes:x?}");
    }
    // SAFETY: allocated before the mark; in use.
    assert_eq!(unsafe { read_bytes(kept, 8) }, vec![0x11; 8]);
}

#[test]
#[cfg_attr(
    feature = "asan",
    ignore = "reads freed bytes, which the `asan` feature poisons (tests/asan_poison.rs)"
)]
fn scope_poisons_what_it_frees() {
    let mut arena = debug_arena("debug");
    // A raw pointer carries no borrow, so it may leave the scope (a reference may not).
    let inside: *const u8 = arena.scope(|tmp| tmp.alloc_slice_fill_copy(100, 0x33u8).as_ptr());
    // SAFETY: the scope's memory lies in the arena's only chunk, still owned.
    let bytes = unsafe { read_bytes(inside, 100) };
    assert!(is_poisoned(&bytes), "{bytes:x?}");
}

#[test]
#[cfg_attr(
    feature = "asan",
    ignore = "reads freed bytes, which the `asan` feature poisons (tests/asan_poison.rs)"
)]
fn reset_poisons_everything() {
    let mut arena = Arena::with_config(
        "debug",
        ArenaConfig {
            initial_capacity: 4096,
            debug_blocks: true,
            ..ArenaConfig::default()
        },
    );
    let a = arena.alloc_slice_fill_copy(100, 0x44u8).as_ptr();
    let b = arena.alloc_slice_fill_copy(7, 0x55u8).as_ptr();
    arena.reset();
    assert_eq!(
        arena.stats().chunk_count,
        1,
        "the chunk is kept, so reading it is sound"
    );
    // SAFETY: a single-chunk reset keeps the chunk.
    let (a, b) = unsafe { (read_bytes(a, 100), read_bytes(b, 7)) };
    assert!(is_poisoned(&a) && is_poisoned(&b), "{a:x?} {b:x?}");
}

#[test]
#[cfg_attr(
    feature = "asan",
    ignore = "reads freed bytes, which the `asan` feature poisons (tests/asan_poison.rs)"
)]
fn a_normal_arena_does_not_poison() {
    let mut arena = Arena::new("plain");
    let ptr = arena.alloc_slice_fill_copy(16, 0x66u8).as_ptr();
    arena.pop(16);
    // SAFETY: the chunk is still owned by the arena.
    assert_eq!(unsafe { read_bytes(ptr, 16) }, vec![0x66; 16]);
}

#[test]
fn lifo_pops_of_mixed_sizes() {
    let mut arena = debug_arena("debug");
    let sizes = [1, 7, 8, 100, 3, 4096, 5, 64];
    for &size in &sizes {
        arena.push(size);
    }
    for &size in sizes.iter().rev() {
        arena.pop(size);
    }
    assert_eq!(arena.offset(), 0);
}

#[test]
fn zero_sized_push_and_pop_behave_as_in_a_normal_arena() {
    // Regression: in debug mode `push(0)` was not recorded (it takes the fast path)
    // but `pop(0)` was checked against the last block, and refused.
    for mut arena in [Arena::new("plain"), debug_arena("debug")] {
        arena.push(8);
        arena.push(0);
        arena.pop(0);
        arena.pop(8);
        assert_eq!(arena.offset(), 0, "{}", arena.name());
        arena.push(0);
        arena.pop(0);
    }
}

#[test]
fn zero_sized_allocations_do_not_break_the_block_record() {
    // Regression: a zero-sized allocation that needed padding took the slow path and
    // was recorded as a block of 0 bytes, so the next `pop(8)` was a mismatch.
    let mut arena = debug_arena("debug");
    arena.push(8); // chunks are 64-aligned: the next byte is 8 past a cache line
    let before = arena.offset();
    arena.alloc_layout(Layout::from_size_align(0, 64).unwrap());
    assert!(
        arena.offset() > before,
        "the zero-sized allocation needed padding"
    );
    arena.alloc(());
    arena.pop(8);
    assert_eq!(
        arena.offset(),
        0,
        "the pop frees the padding after the block too"
    );
}

#[test]
fn debug_mode_is_reported_in_the_config() {
    assert!(debug_arena("debug").config().debug_blocks);
    assert!(!Arena::new("plain").config().debug_blocks);
}
