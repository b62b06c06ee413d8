//! `&Arena` as an `allocator_api2` allocator: Vec and hashbrown's HashMap in an arena.

use crate::debug_arena;
use allocator_api2::vec::Vec as ApiVec;
use engine::Arena;

#[test]
fn a_vec_at_the_top_of_the_arena_grows_in_place() {
    let arena = Arena::with_capacity("vec", 64 * 1024);
    let mut v = ApiVec::new_in(&arena);
    v.push(0u32);
    let first = v.as_ptr();
    for i in 1..10_000 {
        v.push(i);
    }
    assert_eq!(v.as_ptr(), first, "every growth stayed in place");
    assert_eq!(
        arena.offset(),
        v.capacity() * 4,
        "only the final capacity is in use"
    );
    assert!(v.iter().copied().eq(0..10_000));
}

#[test]
fn a_vec_that_is_not_on_top_moves_and_keeps_its_contents() {
    let arena = Arena::new("vec");
    let mut v = ApiVec::new_in(&arena);
    v.extend_from_slice(&[1u64, 2, 3, 4]);
    let before = v.as_ptr();
    let blocker = arena.alloc(0xB10Cu32);
    v.extend_from_slice(&[5, 6, 7, 8, 9]);
    assert_ne!(v.as_ptr(), before, "the vec cannot grow over `blocker`");
    assert_eq!(&v[..], &[1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert_eq!(*blocker, 0xB10C);
}

#[test]
fn a_vec_grows_into_a_new_chunk_when_the_current_one_is_full() {
    let arena = crate::chunked_with_capacity("vec", 256);
    let mut v = ApiVec::new_in(&arena);
    for i in 0..1000u16 {
        v.push(i);
    }
    assert!(arena.stats().chunk_count > 1);
    assert!(v.iter().copied().eq(0..1000));
}

#[test]
fn shrink_to_fit_on_top_gives_bytes_back() {
    let arena = Arena::with_capacity("vec", 4096);
    let mut v: ApiVec<u8, _> = ApiVec::with_capacity_in(1000, &arena);
    v.extend_from_slice(&[7; 10]);
    assert_eq!(arena.offset(), 1000);
    v.shrink_to_fit();
    assert_eq!(v.capacity(), 10);
    assert_eq!(arena.offset(), 10);
    assert_eq!(&v[..], &[7; 10]);
    v.push(8);
    assert_eq!(&v[..], &[7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 8]);
}

#[test]
fn shrinking_does_not_lose_the_high_water_mark() {
    // Regression: `shrink` handed bytes back without recording the high-water mark.
    let arena = Arena::with_capacity("vec", 4096);
    let mut v: ApiVec<u8, _> = ApiVec::with_capacity_in(1000, &arena);
    v.push(1);
    v.shrink_to_fit();
    assert_eq!(arena.offset(), 1);
    assert_eq!(arena.stats().high_water_bytes, 1000);
}

#[test]
fn dropping_the_top_vec_frees_its_bytes() {
    let arena = Arena::new("vec");
    arena.alloc(1u64);
    let capacity = {
        let mut v = ApiVec::new_in(&arena);
        v.extend(0..100u64);
        assert_eq!(arena.offset(), 8 + v.capacity() * 8);
        v.capacity()
    };
    assert_eq!(arena.offset(), 8);
    assert_eq!(arena.stats().high_water_bytes, 8 + capacity * 8);
}

#[test]
fn dropping_a_vec_that_is_not_on_top_frees_nothing() {
    let arena = Arena::new("vec");
    let mut v = ApiVec::new_in(&arena);
    v.extend(0..10u32);
    let on_top = arena.alloc(5u8);
    let used = arena.offset();
    drop(v);
    assert_eq!(arena.offset(), used);
    assert_eq!(*on_top, 5);
}

#[test]
fn in_debug_mode_vecs_never_grow_in_place_nor_give_bytes_back() {
    let arena = debug_arena("vec-debug");
    let mut v = ApiVec::new_in(&arena);
    v.push(0u32);
    let mut moves = 0;
    let mut last = v.as_ptr();
    for i in 1..100 {
        v.push(i);
        if v.as_ptr() != last {
            moves += 1;
            last = v.as_ptr();
        }
    }
    assert!(moves >= 5, "every growth should move: {moves}");
    assert!(v.iter().copied().eq(0..100));
    let used = arena.offset();
    drop(v);
    assert_eq!(arena.offset(), used);
}

#[test]
fn a_failed_growth_reports_an_allocation_error() {
    let arena = Arena::with_fixed_capacity("vec", 64);
    let mut v: ApiVec<u8, _> = ApiVec::new_in(&arena);
    assert!(v.try_reserve(64).is_ok());
    assert!(v.try_reserve(65).is_err());
    assert_eq!(arena.stats().allocation_count, 1);
}

#[test]
fn over_aligned_elements_in_a_vec() {
    #[derive(Clone, Copy, Debug, PartialEq)]
    #[repr(align(128))]
    struct Wide(u8);
    let arena = Arena::new("vec");
    arena.alloc(1u8);
    let mut v = ApiVec::new_in(&arena);
    for i in 0..50 {
        v.push(Wide(i));
        assert_eq!(v.as_ptr().addr() % 128, 0);
    }
    assert!(v.iter().map(|w| w.0).eq(0..50));
}

#[test]
fn hashbrown_map_in_an_arena() {
    let arena = Arena::new("map");
    let mut map = hashbrown::HashMap::new_in(&arena);
    for i in 0..10_000u32 {
        map.insert(i, i * 3);
    }
    assert_eq!(map.len(), 10_000);
    for i in 0..10_000u32 {
        assert_eq!(map.get(&i), Some(&(i * 3)));
    }
    map.retain(|k, _| k % 2 == 0);
    assert_eq!(map.len(), 5000);
    assert_eq!(map.get(&3), None);
    assert!(
        arena.stats().used_bytes >= 10_000 * 8,
        "the table lives in the arena"
    );
}

#[test]
fn hashbrown_map_in_a_debug_arena() {
    let arena = debug_arena("map-debug");
    let mut map = hashbrown::HashMap::new_in(&arena);
    for i in 0..1000u64 {
        map.insert(i, [i; 2]);
    }
    assert!((0..1000).all(|i| map[&i] == [i; 2]));
}

#[test]
fn hashbrown_map_reports_running_out_of_a_fixed_arena() {
    let arena = Arena::with_fixed_capacity("map", 1024);
    let mut map: hashbrown::HashMap<u64, u64, _, _> =
        hashbrown::HashMap::with_hasher_in(hashbrown::DefaultHashBuilder::default(), &arena);
    assert!(map.try_reserve(10).is_ok());
    assert!(map.try_reserve(10_000).is_err());
}

#[test]
fn vecs_of_strings_live_in_the_arena_and_drop_their_strings() {
    let arena = Arena::new("vec");
    let mut names = ApiVec::new_in(&arena);
    for i in 0..100 {
        names.push(format!("name-{i}"));
    }
    assert_eq!(names[42], "name-42");
}
