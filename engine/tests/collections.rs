//! `ArenaVec`, `ArenaString`, `format_in!` and `alloc_iter`: growth in place and by
//! moving, hand-back, freezing, destructors, errors that change nothing, and the
//! frame's kept data.

use engine::{
    AllocError, Arena, ArenaConfig, ArenaString, ArenaVec, CollectIn, FrameArenas, LevelArena,
    format_in,
};
use std::cell::Cell;
use std::fmt::Write;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::rc::Rc;

#[test]
fn a_list_that_is_the_newest_allocation_grows_in_place() {
    let arena = Arena::with_capacity("a", 1 << 20);
    let mut list = ArenaVec::new_in(&arena);
    let mut first_address = None;
    for i in 0..10_000u32 {
        list.push(i);
        first_address.get_or_insert(list.as_ptr());
    }
    assert_eq!(first_address, Some(list.as_ptr()), "the buffer never moved");
    assert_eq!(arena.stats().used_bytes, list.capacity() * 4);
    assert_eq!(arena.stats().allocation_count, 1);
    assert!(list.iter().copied().eq(0..10_000));
}

#[test]
fn a_list_moves_when_other_allocations_sit_above_it_and_keeps_its_values() {
    let arena = Arena::with_capacity("a", 1 << 20);
    let mut list = ArenaVec::new_in(&arena);
    let mut moves = 0;
    for i in 0..1000u64 {
        let before = list.as_ptr();
        list.push(i * 3);
        if list.len() > 1 && list.as_ptr() != before {
            moves += 1;
        }
        let _other = arena.alloc(i as u8);
    }
    assert!(moves > 0, "interleaved allocations force moves");
    assert!(list.iter().copied().eq((0..1000).map(|i| i * 3)));
}

#[test]
fn dropping_the_newest_list_hands_its_bytes_back_and_an_older_one_keeps_them() {
    let arena = Arena::new("a");
    let keep = arena.alloc(1u64);
    let before = arena.offset();
    let mut list = ArenaVec::new_in(&arena);
    list.extend(0..100u32);
    drop(list);
    assert_eq!(arena.offset(), before);

    let mut older = ArenaVec::new_in(&arena);
    older.extend(0..100u32);
    let above = arena.alloc(2u8);
    let offset = arena.offset();
    drop(older);
    assert_eq!(arena.offset(), offset, "not the top: its bytes stay");
    assert_eq!((*keep, *above), (1, 2));
}

#[test]
fn into_slice_keeps_every_element_and_hands_back_the_spare_room() {
    let arena = Arena::new("a");
    let mut list = ArenaVec::with_capacity_in(100, &arena);
    list.extend([5u16, 6, 7]);
    let frozen = list.into_slice();
    assert_eq!(frozen, &[5, 6, 7]);
    assert_eq!(arena.stats().used_bytes, 6);
    let next = arena.alloc(9u16);
    assert_eq!(
        (frozen[2], *next),
        (7, 9),
        "the next allocation lands after it"
    );
}

#[test]
fn kept_frame_data_survives_its_list_being_dropped_and_keep_allocates_nothing() {
    let mut frames = FrameArenas::new(Default::default());
    let kept = {
        let frame = frames.begin_frame();
        let mut list = ArenaVec::new_in(frame.arena());
        list.extend(0..64u32);
        let before = frame.stats();
        let kept = frame.keep(&list).expect("the list is in the frame");
        let after = frame.stats();
        assert_eq!(
            (after.used_bytes, after.allocation_count),
            (before.used_bytes, before.allocation_count),
            "keeping allocates nothing"
        );
        drop(list); // the newest allocation, but kept: its bytes must stay
        let mut scratch = ArenaVec::new_in(frame.arena());
        scratch.extend(1000..1064u32); // would land on the kept bytes if handed back
        let frozen = ArenaVec::from_iter_in(7..9u8, frame.arena()).into_slice();
        let frozen_kept = frame.keep(frozen).expect("a frozen list is frame data");
        assert_eq!(frozen_kept.len(), 2);
        kept
    };
    let frame = frames.begin_frame();
    let previous = frame.previous(kept).expect("kept in the previous frame");
    assert!(previous.iter().copied().eq(0..64));
}

#[test]
fn a_new_frame_lifts_the_floor_so_lists_shrink_in_place_again() {
    let mut frames = FrameArenas::new(Default::default());
    {
        let frame = frames.begin_frame();
        let data = frame.alloc_slice_copy(&[1u32, 2]);
        let _ = frame.keep(data);
    }
    for _ in 0..2 {
        let frame = frames.begin_frame();
        let before = frame.offset();
        let mut list = ArenaVec::new_in(frame.arena());
        list.extend(0..10u32);
        drop(list);
        assert_eq!(frame.offset(), before);
    }
}

#[test]
fn the_list_runs_destructors_as_std_does() {
    struct Counted(Rc<Cell<usize>>);
    impl Drop for Counted {
        fn drop(&mut self) {
            self.0.set(self.0.get() + 1);
        }
    }
    let dropped = Rc::new(Cell::new(0));
    let arena = Arena::new("a");
    let mut list = ArenaVec::new_in(&arena);
    for _ in 0..10 {
        list.push(Counted(dropped.clone()));
    }
    list.truncate(8);
    assert_eq!(dropped.get(), 2);
    drop(list.pop());
    list.remove(0);
    list.swap_remove(0);
    assert_eq!(dropped.get(), 5);
    list.retain(|_| false);
    assert_eq!(dropped.get(), 10);
    list.push(Counted(dropped.clone()));
    drop(list);
    assert_eq!(dropped.get(), 11);
}

#[test]
fn extend_takes_every_item_whatever_the_size_hint_says_and_a_panic_drops_what_it_wrote() {
    let arena = Arena::new("a");
    let mut list = ArenaVec::new_in(&arena);
    list.push(0u32);
    // A filter's lower bound is 0: the list grows as the items come.
    list.extend((1..1000u32).filter(|i| i % 3 != 0));
    let expected: Vec<u32> = (0..1000).filter(|i| *i == 0 || i % 3 != 0).collect();
    assert_eq!(list, expected);
    list.extend(std::iter::empty::<u32>());
    assert_eq!(list.len(), expected.len());

    struct Counted(Rc<Cell<usize>>);
    impl Drop for Counted {
        fn drop(&mut self) {
            self.0.set(self.0.get() + 1);
        }
    }
    let dropped = Rc::new(Cell::new(0));
    let mut counted = ArenaVec::new_in(&arena);
    let panicked = catch_unwind(AssertUnwindSafe(|| {
        counted.extend((0..10).map(|i| {
            assert!(i < 7, "the iterator fails at item 7");
            Counted(dropped.clone())
        }));
    }));
    assert!(panicked.is_err());
    assert_eq!((counted.len(), dropped.get()), (7, 0));
    drop(counted);
    assert_eq!(dropped.get(), 7);
}

#[test]
fn a_failed_reserve_names_the_limit_and_changes_nothing() {
    let arena = Arena::with_limit("capped", 4096);
    let mut list = ArenaVec::<u64>::new_in(&arena);
    list.extend(0..10);
    let (capacity, stats) = (list.capacity(), arena.stats());
    let error = list.try_reserve(10_000).unwrap_err();
    assert!(
        matches!(error, AllocError::LimitExceeded { .. }),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(
        message.contains("capped") && message.contains("4096"),
        "{message}"
    );
    assert_eq!(list.capacity(), capacity);
    assert_eq!(arena.stats(), stats);
    assert!(list.iter().copied().eq(0..10));
}

#[test]
fn a_capacity_overflow_is_a_size_error() {
    let arena = Arena::new("a");
    let mut list = ArenaVec::<u64>::new_in(&arena);
    list.push(1);
    let error = list.try_reserve(usize::MAX).unwrap_err();
    assert!(
        matches!(error, AllocError::SizeOverflow { .. }),
        "{error:?}"
    );
    assert_eq!(list, [1]);
}

#[test]
fn a_push_the_arena_cannot_serve_panics_with_the_arena_error() {
    let arena = Arena::with_fixed_capacity("tiny", 64);
    let mut list = ArenaVec::new_in(&arena);
    let result = catch_unwind(AssertUnwindSafe(|| {
        for i in 0..100u64 {
            list.push(i);
        }
    }));
    let message = *result.unwrap_err().downcast::<String>().expect("a message");
    assert!(message.contains("tiny"), "{message}");
    assert!(list.len() <= 8 && list.iter().copied().eq(0..list.len() as u64));
}

#[test]
fn zero_sized_elements_take_no_arena_memory() {
    let arena = Arena::new("a");
    let mut list = ArenaVec::new_in(&arena);
    for _ in 0..1000 {
        list.push(());
    }
    assert_eq!((list.len(), arena.offset()), (1000, 0));
    assert_eq!(list.into_slice().len(), 1000);
}

#[test]
fn lists_work_in_scopes_frames_levels_and_debug_arenas() {
    let mut arena = Arena::new("a");
    let sum = arena.scope(|scope| {
        let list: ArenaVec<'_, u32> = (1..=4).collect_in(scope);
        list.iter().sum::<u32>()
    });
    assert_eq!((sum, arena.offset()), (10, 0));

    let level = LevelArena::new("level");
    let mut names = ArenaVec::new_in(&level);
    names.push(String::from("ship"));
    names.push(String::from("rock"));
    assert_eq!(names, ["ship", "rock"]);

    let debug = Arena::with_config(
        "debug",
        ArenaConfig {
            debug_blocks: true,
            ..Default::default()
        },
    );
    let mut list = ArenaVec::new_in(&debug);
    list.extend(0..500u32);
    list.retain(|i| i % 2 == 0);
    assert!(list.iter().copied().eq((0..500).step_by(2)));
}

#[test]
fn a_panicking_retain_leaves_a_valid_string() {
    let arena = Arena::new("a");
    let mut text = ArenaString::from_str_in("añb€c", &arena);
    let mut seen = 0;
    let result = catch_unwind(AssertUnwindSafe(|| {
        text.retain(|ch| {
            seen += 1;
            assert!(seen < 4, "stop at the fourth character");
            ch != 'ñ'
        })
    }));
    assert!(result.is_err());
    assert_eq!(text, "ab", "the characters accepted before the panic");
    text.push_str("!");
    assert_eq!(text, "ab!");
}

#[test]
fn strings_edit_by_character() {
    let arena = Arena::new("a");
    let mut text = ArenaString::from_str_in("hé", &arena);
    text.insert(1, 'ö');
    text.insert_str(0, "¡");
    assert_eq!(text, "¡höé");
    assert_eq!(text.remove(3), 'ö');
    assert_eq!(text.pop(), Some('é'));
    text.truncate(2);
    assert_eq!(text, "¡");
    let result = catch_unwind(AssertUnwindSafe(|| text.truncate(1)));
    assert!(result.is_err(), "byte 1 is inside '¡'");
}

#[test]
fn format_in_writes_into_the_arena_and_fits_a_small_limited_arena() {
    let arena = Arena::new("a");
    let label = format_in!(&arena, "fps: {} ({:.1} ms)", 60, 16.66);
    assert_eq!(label, "fps: 60 (16.7 ms)");
    assert_eq!(arena.stats().used_bytes, label.len());

    // Less room than `format_in!` reserves up front, but enough for the text.
    let small = Arena::with_fixed_capacity("small", 32);
    assert_eq!(format_in!(&small, "{}+{}", 1, 2), "1+2");
}

#[test]
fn format_in_that_the_arena_cannot_hold_panics_with_the_arena_error() {
    let arena = Arena::with_fixed_capacity("tiny", 16);
    let long = "x".repeat(100);
    let result = catch_unwind(AssertUnwindSafe(|| format_in!(&arena, "{long}").len()));
    let message = *result.unwrap_err().downcast::<String>().expect("a message");
    // As for the collections' other growth: the arena's error, which names it, and
    // not a complaint about a `Display` implementation.
    assert!(message.contains("tiny"), "{message}");
}

#[test]
fn write_into_a_full_arena_fails_and_leaves_the_string_as_it_was() {
    let arena = Arena::with_fixed_capacity("small", 16);
    let mut text = ArenaString::new_in(&arena);
    write!(text, "{}", 12345).unwrap();
    assert!(write!(text, "{}", "x".repeat(100)).is_err());
    assert_eq!(text, "12345");
}

#[test]
fn alloc_iter_collects_even_when_the_iterator_allocates_from_the_arena() {
    let arena = Arena::new("a");
    let side = Cell::new(0usize);
    let items = arena.alloc_iter((0..300u32).filter(|i| {
        // Allocating from the same arena meanwhile forces the list to move.
        let _ = arena.alloc(*i);
        side.set(side.get() + 1);
        i % 3 == 0
    }));
    assert_eq!(side.get(), 300);
    assert!(items.iter().copied().eq((0..300).step_by(3)));
    assert!(arena.try_alloc_iter(0..10u8).is_ok());
}

#[test]
fn a_panicking_clone_in_extend_from_slice_keeps_what_was_cloned() {
    struct Fragile(Rc<Cell<usize>>, bool);
    impl Clone for Fragile {
        fn clone(&self) -> Self {
            assert!(!self.1, "this one cannot be cloned");
            Fragile(self.0.clone(), false)
        }
    }
    impl Drop for Fragile {
        fn drop(&mut self) {
            self.0.set(self.0.get() + 1);
        }
    }
    let dropped = Rc::new(Cell::new(0));
    let items = [
        Fragile(dropped.clone(), false),
        Fragile(dropped.clone(), false),
        Fragile(dropped.clone(), true),
    ];
    let arena = Arena::new("a");
    let mut list = ArenaVec::new_in(&arena);
    list.push(Fragile(dropped.clone(), false));
    let result = catch_unwind(AssertUnwindSafe(|| list.extend_from_slice(&items)));
    assert!(result.is_err());
    assert_eq!(list.len(), 3, "the element before and the two clones made");
    drop(list);
    assert_eq!(
        dropped.get(),
        3,
        "each element the list held was dropped once"
    );
}

#[test]
fn an_extend_that_fills_reserved_room_exactly_does_not_grow() {
    let arena = Arena::new("a");
    let mut list = ArenaVec::with_capacity_in(100, &arena);
    // `filter` gives no lower bound, so the room is filled item by item.
    list.extend((0..200u32).filter(|i| i % 2 == 0));
    assert_eq!((list.len(), list.capacity()), (100, 100));
    list.resize(150, 7);
    assert_eq!((list.len(), list[149], list[99]), (150, 7, 198));
    list.resize(10, 0);
    assert_eq!(list.len(), 10);
}
