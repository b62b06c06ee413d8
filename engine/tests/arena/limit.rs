//! Limits: growth never commits more than `limit_bytes`.

use engine::{AllocError, Arena, ArenaConfig};

#[test]
fn growth_stops_at_the_limit() {
    let arena = Arena::with_limit("limit", 10_000);
    let mut pushed = 0;
    let err = loop {
        match arena.try_push(1000) {
            Ok(_) => pushed += 1,
            Err(err) => break err,
        }
        assert!(arena.stats().committed_bytes <= 10_000);
    };
    assert!(
        pushed >= 8,
        "only {pushed} pushes fit in a 10 000-byte limit"
    );
    assert!(
        matches!(
            err,
            AllocError::LimitExceeded {
                requested: 1000,
                limit: 10_000,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(arena.stats().limit_bytes, Some(10_000));
}

#[test]
fn the_last_chunk_is_trimmed_to_the_limit() {
    let arena = crate::chunked_with_limit("limit", 6000);
    arena.push(4000); // first chunk: 4096
    arena.push(1900); // 8192 would pass the limit: the chunk is 1904 bytes
    let stats = arena.stats();
    assert_eq!(stats.committed_bytes, 6000);
    assert_eq!(stats.chunk_count, 2);
    let err = arena.try_push(8).unwrap_err();
    assert_eq!(
        err,
        AllocError::LimitExceeded {
            arena: "limit".into(),
            requested: 8,
            committed: 6000,
            limit: 6000
        }
    );
}

#[test]
fn a_request_bigger_than_the_limit_fails_before_anything_is_taken() {
    let arena = Arena::with_limit("limit", 4096);
    assert!(matches!(
        arena.try_alloc_slice_fill_copy(5000, 0u8),
        Err(AllocError::LimitExceeded {
            requested: 5000,
            committed: 0,
            ..
        })
    ));
    assert_eq!(arena.stats().committed_bytes, 0);
    assert_eq!(*arena.alloc(1u8), 1, "smaller requests still work");
}

#[test]
fn after_reset_the_limited_arena_is_usable_again() {
    let mut arena = Arena::with_limit("limit", 8192);
    arena.push(4000);
    arena.push(4000);
    assert!(arena.try_push(4000).is_err());
    arena.reset();
    assert!(arena.try_push(4000).is_ok());
    assert!(arena.stats().committed_bytes <= 8192);
}

#[test]
#[should_panic(expected = "arena `over`: initial capacity 2048 exceeds the limit of 1024 bytes")]
fn an_initial_capacity_over_the_limit_panics() {
    let _ = Arena::with_config(
        "over",
        ArenaConfig {
            initial_capacity: 2048,
            limit_bytes: Some(1024),
            ..ArenaConfig::default()
        },
    );
}

#[test]
#[should_panic(expected = "would exceed its limit of 100 bytes")]
fn alloc_panics_when_the_limit_is_exhausted() {
    let arena = Arena::with_limit("limit", 100);
    arena.alloc([0u8; 200]);
}
