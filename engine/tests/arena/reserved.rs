//! Reserved backing ([`Backing::Reserved`]): one range of address space, committed
//! as the arena advances. What only it promises: addresses that never change, growth
//! of the newest list in place, trims that decommit without moving anything, and a
//! guard page past the reservation. (The rest of the suite runs on it too, with
//! `ENGINE_DEFAULT_BACKING=reserved`.) Each test returns early on targets without
//! it ([`Backing::is_available`]).

use crate::reserved;
use engine::{Arena, ArenaConfig, ArenaVec, Backing, TrimPolicy};

#[test]
fn a_list_grows_from_empty_to_a_million_elements_without_moving() {
    let Some(arena) = reserved("grow", 1 << 30, None) else {
        return;
    };
    let mut list = ArenaVec::new_in(&arena);
    list.push(0u64);
    let first = list.as_ptr();
    let mut moves = 0;
    for i in 1..1_000_000u64 {
        let before = list.as_ptr();
        list.push(i);
        moves += usize::from(list.as_ptr() != before);
    }
    assert_eq!(moves, 0, "the buffer moved");
    assert_eq!(list.as_ptr(), first);
    assert!(list.iter().copied().eq(0..1_000_000));
    let stats = arena.stats();
    assert_eq!(stats.chunk_count, 1);
    assert!(stats.committed_bytes >= 8_000_000, "{stats:?}");
    // Commits double: a handful of system calls, not one per page.
    assert!(stats.grow_count <= 16, "{stats:?}");
}

#[test]
fn a_trim_decommits_in_place_and_the_arena_keeps_its_address() {
    let policy = TrimPolicy { within_resets: 4 };
    let Some(mut arena) = reserved("trim", 1 << 30, Some(policy)) else {
        return;
    };
    let start = arena.alloc(0u8) as *const u8;
    arena.reset();
    arena.alloc_slice_fill_copy(8 << 20, 1u8); // a spike
    arena.reset();
    let spiked = arena.stats().committed_bytes;
    assert!(spiked >= 8 << 20, "{spiked}");
    for _ in 0..policy.within_resets {
        arena.alloc_slice_fill_copy(1000, 2u8);
        arena.reset();
    }
    let stats = arena.stats();
    assert_eq!(stats.trim_count, 1, "{stats:?}");
    assert_eq!(stats.trimmed_bytes, (spiked - stats.committed_bytes) as u64);
    assert!(stats.committed_bytes <= 64 << 10, "{stats:?}");
    // The same range: nothing moved, and the decommitted pages come back on demand.
    assert_eq!(arena.alloc(0u8) as *const u8, start);
    let again = arena.alloc_slice_fill_copy(4 << 20, 3u8);
    assert!(again.iter().all(|&byte| byte == 3));
    assert_eq!(again.as_ptr().addr(), start.addr() + 1);
}

#[test]
fn an_explicit_trim_of_an_empty_arena_decommits_now() {
    let Some(mut arena) = reserved("explicit", 1 << 30, None) else {
        return;
    };
    arena.alloc_slice_fill_copy(4 << 20, 1u8);
    arena.reset();
    let given_back = arena.trim();
    let stats = arena.stats();
    assert_eq!(stats.committed_bytes, engine::DEFAULT_FIRST_CHUNK_BYTES);
    assert_eq!(given_back, (4 << 20) - engine::DEFAULT_FIRST_CHUNK_BYTES);
    assert_eq!(stats.chunk_count, 1);
}

/// The mappings of this process that contain `addr`: `(start, end, permissions)`.
fn mapping_of(addr: usize) -> Option<(usize, usize, String)> {
    let maps = std::fs::read_to_string("/proc/self/maps").ok()?;
    maps.lines().find_map(|line| {
        let mut fields = line.split_whitespace();
        let (start, end) = fields.next()?.split_once('-')?;
        let (start, end) = (
            usize::from_str_radix(start, 16).ok()?,
            usize::from_str_radix(end, 16).ok()?,
        );
        let permissions = fields.next()?.to_owned();
        (start <= addr && addr < end).then_some((start, end, permissions))
    })
}

#[test]
fn the_committed_front_is_writable_and_the_rest_and_a_guard_page_are_not() {
    const RESERVED: usize = 1 << 20;
    let Some(arena) = reserved("guard", RESERVED, None) else {
        return;
    };
    let all = arena.alloc_slice_fill_copy(RESERVED, 9u8);
    let start = all.as_ptr().addr();
    let end = start + RESERVED;
    let (_, writable_end, permissions) = mapping_of(start).expect("the arena is mapped");
    assert!(permissions.starts_with("rw"), "{permissions}");
    assert_eq!(writable_end, end, "everything reserved is committed now");
    let (guard_start, _, guard) = mapping_of(end).expect("a guard page follows");
    assert_eq!(guard_start, end);
    assert!(guard.starts_with("---"), "{guard}");

    let small = reserved("small", RESERVED, None).expect("available");
    let first = small.alloc(1u64) as *const u64 as usize;
    let (_, committed_end, _) = mapping_of(first).expect("mapped");
    let (_, _, rest) = mapping_of(committed_end).expect("the rest is reserved");
    assert!(rest.starts_with("---"), "{rest}");
    assert_eq!(committed_end - first, small.stats().committed_bytes);
}

#[test]
fn an_arena_whose_reservation_is_refused_is_chunked_and_says_so() {
    if !Backing::is_available() {
        return;
    }
    // More address space than any 64-bit system maps for a process.
    let arena = Arena::with_config(
        "refused",
        ArenaConfig {
            initial_capacity: 4096,
            backing: Backing::Reserved {
                reserve_bytes: 1 << 62,
            },
            ..ArenaConfig::default()
        },
    );
    assert_eq!(arena.config().backing, Backing::Chunked);
    assert_eq!(arena.alloc_slice_fill_copy(100_000, 7u8).len(), 100_000);
    assert_eq!(arena.stats().chunk_count, 2);

    // Without a starting capacity the reservation is taken at the first
    // allocation, which then fails with an error that says so.
    let lazy = Arena::with_config(
        "refused-later",
        ArenaConfig {
            backing: Backing::Reserved {
                reserve_bytes: 1 << 62,
            },
            ..ArenaConfig::default()
        },
    );
    let error = lazy.try_alloc(1u64).unwrap_err();
    assert!(
        matches!(error, engine::AllocError::CommitRefused { .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("refused to reserve"), "{error}");
    assert_eq!(lazy.stats().committed_bytes, 0);
}
