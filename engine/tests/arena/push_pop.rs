//! The raw stack: `push` and `pop`.

use engine::{Arena, PUSH_ALIGN, StackError};

#[test]
fn push_then_pop_returns_to_the_previous_offset() {
    let mut arena = Arena::new("stack");
    arena.push(64);
    assert_eq!(arena.offset(), 64);
    arena.push(32);
    assert_eq!(arena.offset(), 96);
    arena.pop(32);
    assert_eq!(arena.offset(), 64);
    arena.pop(64);
    assert_eq!(arena.offset(), 0);
}

#[test]
fn pushed_bytes_are_reused_after_a_pop() {
    let mut arena = Arena::new("stack");
    let first = arena.push(48).as_ptr().addr();
    arena.pop(48);
    let second = arena.push(48).as_ptr().addr();
    assert_eq!(first, second);
}

#[test]
fn pop_keeps_earlier_pushes_intact() {
    let mut arena = Arena::new("stack");
    let keep = arena.push(16);
    for (i, byte) in keep.iter_mut().enumerate() {
        byte.write(i as u8);
    }
    let keep_ptr = keep.as_ptr().cast::<u8>();
    let scratch = arena.push(16);
    for byte in scratch.iter_mut() {
        byte.write(0xFF);
    }
    arena.pop(16);
    let overwrite = arena.push(16);
    for byte in overwrite.iter_mut() {
        byte.write(0x77);
    }
    // SAFETY: the first 16 bytes were written above and are still in use.
    let kept = unsafe { std::slice::from_raw_parts(keep_ptr, 16) };
    assert_eq!(kept, &(0..16u8).collect::<Vec<_>>()[..]);
}

#[test]
fn pop_across_chunks() {
    let mut arena = crate::chunked_with_capacity("stack", 64);
    let first_chunk = arena.push(40).as_ptr().addr();
    arena.push(40); // does not fit in the first chunk
    assert_eq!(arena.stats().chunk_count, 2);
    assert_eq!(arena.offset(), 80);
    arena.pop(40);
    assert_eq!(arena.offset(), 40);
    arena.pop(40);
    assert_eq!(arena.offset(), 0);
    // The first chunk is current again: the next push lands at its start.
    assert_eq!(arena.push(8).as_ptr().addr(), first_chunk);
    assert_eq!(arena.push(8).as_ptr().addr() % PUSH_ALIGN, 0);
}

#[test]
fn the_second_chunk_is_reused_after_popping_back_into_the_first() {
    let mut arena = Arena::with_capacity("stack", 64);
    arena.push(40);
    let second_chunk = arena.push(40).as_ptr().addr();
    arena.pop(40);
    let grows = arena.stats().grow_count;
    let again = arena.push(40).as_ptr().addr();
    assert_eq!(again, second_chunk);
    assert_eq!(arena.stats().grow_count, grows, "the spare chunk is reused");
}

#[test]
fn try_pop_refuses_to_underflow_and_leaves_the_arena_unchanged() {
    let mut arena = Arena::new("stack");
    arena.push(16);
    let before = arena.stats();
    assert_eq!(
        arena.try_pop(17),
        Err(StackError::PopUnderflow {
            requested: 17,
            used: 16
        })
    );
    assert_eq!(arena.stats(), before);
}

#[test]
fn pop_zero_is_a_no_op() {
    let mut arena = Arena::new("stack");
    arena.push(8);
    arena.pop(0);
    assert_eq!(arena.offset(), 8);
}

#[test]
#[should_panic(expected = "cannot pop 8 bytes: only 0 bytes are in use")]
fn pop_panics_with_a_clear_message() {
    let mut arena = Arena::new("stack");
    arena.pop(8);
}

#[test]
fn push_zero_bytes() {
    let mut arena = Arena::new("stack");
    arena.push(8);
    let empty = arena.push(0);
    assert!(empty.is_empty());
    assert_eq!(arena.offset(), 8);
    arena.pop(0);
    arena.pop(8);
    assert_eq!(arena.offset(), 0);
}
