//! Every `AllocError` variant, and the promise that a failed call changes nothing.

use engine::{AllocError, Arena, ArenaConfig, ArenaStats, Backing};
use std::alloc::Layout;

const ONE_TIB: usize = 1 << 40;

/// What must survive a failed allocation: the stats, and the contents of earlier
/// allocations (checked through a pointer to a value allocated first).
struct Snapshot {
    stats: ArenaStats,
    offset: usize,
    canary: *const [u32; 4],
}

impl Snapshot {
    fn take(arena: &Arena, canary: *const [u32; 4]) -> Snapshot {
        Snapshot {
            stats: arena.stats(),
            offset: arena.offset(),
            canary,
        }
    }

    fn assert_unchanged(&self, arena: &Arena) {
        assert_eq!(arena.offset(), self.offset);
        assert_eq!(arena.stats(), self.stats);
        // SAFETY: the canary was allocated before the failure and the arena has not
        // been reset or rewound since.
        assert_eq!(unsafe { *self.canary }, [1, 2, 3, 4]);
    }
}

/// Runs `fail` on an arena that already holds a canary and a few allocations, checks
/// the error it returns with `check`, and that the arena is unchanged.
fn assert_fails_cleanly(
    arena: &Arena,
    fail: impl FnOnce(&Arena) -> AllocError,
    check: impl FnOnce(&AllocError) -> bool,
) {
    let canary: *const [u32; 4] = arena.alloc([1u32, 2, 3, 4]);
    arena.alloc_str("something else");
    let snapshot = Snapshot::take(arena, canary);
    let err = fail(arena);
    assert!(check(&err), "unexpected error: {err:?}");
    assert!(
        err.to_string()
            .contains(&format!("arena `{}`", arena.name())),
        "{err}"
    );
    snapshot.assert_unchanged(arena);
    // The arena still works.
    assert_eq!(*arena.alloc(99u16), 99);
}

#[test]
fn size_overflow() {
    assert_fails_cleanly(
        &Arena::new("errors"),
        |arena| {
            arena
                .try_alloc_slice_fill_copy(usize::MAX, 0u32)
                .unwrap_err()
        },
        |err| {
            matches!(
                err,
                AllocError::SizeOverflow {
                    count: usize::MAX,
                    element_size: 4,
                    ..
                }
            )
        },
    );
}

#[test]
fn size_overflow_from_fill_with_and_iter() {
    assert_fails_cleanly(
        &Arena::new("errors"),
        |arena| {
            arena
                .try_alloc_slice_fill_with(usize::MAX / 4, |_| -> u64 { unreachable!() })
                .unwrap_err()
        },
        |err| {
            matches!(
                err,
                AllocError::SizeOverflow {
                    element_size: 8,
                    ..
                }
            )
        },
    );
}

#[test]
fn invalid_layout_from_a_bad_alignment() {
    assert_fails_cleanly(
        &Arena::new("errors"),
        |arena| arena.try_push_aligned(16, 24).unwrap_err(),
        |err| {
            matches!(
                err,
                AllocError::InvalidLayout {
                    size: 16,
                    align: 24,
                    ..
                }
            )
        },
    );
}

#[test]
fn invalid_layout_from_a_size_above_isize_max() {
    assert_fails_cleanly(
        &Arena::new("errors"),
        |arena| arena.try_push(usize::MAX - 3).unwrap_err(),
        |err| matches!(err, AllocError::InvalidLayout { size, align: 8, .. } if *size == usize::MAX - 3),
    );
}

#[test]
fn capacity_exceeded() {
    assert_fails_cleanly(
        &Arena::with_fixed_capacity("errors", 256),
        |arena| arena.try_alloc([0u8; 512]).unwrap_err(),
        |err| {
            matches!(
                err,
                AllocError::CapacityExceeded { requested: 512, align: 1, capacity: 256, used, .. } if *used > 0
            )
        },
    );
}

#[test]
fn limit_exceeded() {
    assert_fails_cleanly(
        &Arena::with_limit("errors", 5000),
        |arena| arena.try_alloc_slice_fill_copy(5000, 0u8).unwrap_err(),
        |err| {
            matches!(
                err,
                AllocError::LimitExceeded {
                    requested: 5000,
                    committed: 4096,
                    limit: 5000,
                    ..
                }
            )
        },
    );
}

#[test]
fn out_of_memory_for_a_one_tib_request() {
    assert_fails_cleanly(
        &crate::chunked("errors", ArenaConfig::default()),
        |arena| {
            arena
                .try_alloc_layout(Layout::from_size_align(ONE_TIB, 8).unwrap())
                .unwrap_err()
        },
        |err| {
            matches!(
                err,
                AllocError::OutOfMemory { requested: ONE_TIB, chunk_bytes, .. } if *chunk_bytes >= ONE_TIB
            )
        },
    );
}

#[test]
fn out_of_memory_for_a_request_beyond_the_address_space() {
    // Unlike 1 TiB, no overcommit setting lets the system allocator serve 4 EiB.
    const FOUR_EIB: usize = 1 << 62;
    assert_fails_cleanly(
        &crate::chunked("errors", ArenaConfig::default()),
        |arena| {
            arena
                .try_alloc_layout(Layout::from_size_align(FOUR_EIB, 8).unwrap())
                .unwrap_err()
        },
        |err| {
            matches!(
                err,
                AllocError::OutOfMemory {
                    requested: FOUR_EIB,
                    ..
                }
            )
        },
    );
}

#[test]
fn out_of_memory_does_not_drop_spare_chunks() {
    let mut arena = crate::chunked_with_capacity("errors", 64);
    let mark = arena.mark();
    arena.push(60);
    arena.push(100); // a second chunk
    arena.rewind(mark); // ... now a spare
    let before = arena.stats();
    assert!(matches!(
        arena.try_push(ONE_TIB),
        Err(AllocError::OutOfMemory { .. })
    ));
    assert_eq!(arena.stats(), before);
}

#[test]
fn failed_allocations_in_debug_mode_change_nothing() {
    let arena = crate::debug_arena("errors");
    assert_fails_cleanly(
        &arena,
        |arena| arena.try_push_aligned(8, 5).unwrap_err(),
        |err| matches!(err, AllocError::InvalidLayout { .. }),
    );
    assert_fails_cleanly(
        &arena,
        |arena| arena.try_push(ONE_TIB).unwrap_err(),
        |err| match arena.config().backing {
            Backing::Chunked => matches!(err, AllocError::OutOfMemory { .. }),
            Backing::Reserved { .. } => matches!(err, AllocError::ReservationExhausted { .. }),
        },
    );
}

#[test]
fn failures_in_a_fresh_arena_take_no_memory() {
    let arena = Arena::with_limit("errors", 100);
    assert!(arena.try_push(1000).is_err());
    assert!(arena.try_alloc_slice_fill_copy(usize::MAX, 0u16).is_err());
    let stats = arena.stats();
    assert_eq!(
        (
            stats.committed_bytes,
            stats.chunk_count,
            stats.allocation_count
        ),
        (0, 0, 0)
    );
}

#[test]
fn errors_are_std_errors() {
    let arena = Arena::with_fixed_capacity("errors", 0);
    let err: Box<dyn std::error::Error> = Box::new(arena.try_push(1).unwrap_err());
    assert_eq!(
        err.to_string(),
        "arena `errors`: 1 bytes (align 8) do not fit: 0 of a fixed 0 bytes are in use"
    );
}

#[test]
#[should_panic(
    expected = "arena `errors`: 18446744073709551615 elements of 4 bytes overflow the address space"
)]
fn the_panicking_twins_panic_with_the_error() {
    let arena = Arena::new("errors");
    arena.alloc_slice_fill_copy(usize::MAX, 0u32);
}

thread_local! {
    /// The file of the last panic on this thread, as its hook reported it.
    static PANIC_FILE: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

/// Runs `call`, which must panic, and returns the panic's message and the file it
/// reports.
fn panic_of(call: impl FnOnce()) -> (String, String) {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let file = info.location().map(|at| at.file().to_owned());
            PANIC_FILE.with(|last| *last.borrow_mut() = file);
            previous(info);
        }));
    });
    let payload = std::panic::catch_unwind(std::panic::AssertUnwindSafe(call))
        .expect_err("the call should have panicked");
    let message = match payload.downcast::<String>() {
        Ok(text) => *text,
        Err(payload) => payload
            .downcast_ref::<&str>()
            .expect("panic payloads are strings")
            .to_string(),
    };
    let file = PANIC_FILE
        .with(|last| last.borrow_mut().take())
        .expect("the hook saw the panic");
    (message, file)
}

/// Each panicking call, made where its `try_` twin fails: it panics with the twin's
/// error, reports the caller's file (not the engine's), and leaves the arena as it
/// was.
#[test]
fn each_panicking_twin_panics_with_its_twins_error_where_it_was_called() {
    let arena = Arena::with_fixed_capacity("twins", 64);
    let bytes = [7u8; 100];
    let text = "x".repeat(100);
    let layout = Layout::from_size_align(100, 1).unwrap();
    let cases: Vec<(AllocError, Box<dyn FnOnce() + '_>)> = vec![
        (
            arena.try_alloc(bytes).unwrap_err(),
            Box::new(|| {
                let _ = arena.alloc(bytes);
            }),
        ),
        (
            arena.try_alloc_with(|| bytes).unwrap_err(),
            Box::new(|| {
                let _ = arena.alloc_with(|| bytes);
            }),
        ),
        (
            arena.try_alloc_slice_copy(&bytes).unwrap_err(),
            Box::new(|| {
                let _ = arena.alloc_slice_copy(&bytes);
            }),
        ),
        (
            arena.try_alloc_slice_clone(&bytes).unwrap_err(),
            Box::new(|| {
                let _ = arena.alloc_slice_clone(&bytes);
            }),
        ),
        (
            arena.try_alloc_slice_fill_copy(100, 0u8).unwrap_err(),
            Box::new(|| {
                let _ = arena.alloc_slice_fill_copy(100, 0u8);
            }),
        ),
        (
            arena
                .try_alloc_slice_fill_copy(usize::MAX, 0u32)
                .unwrap_err(),
            Box::new(|| {
                let _ = arena.alloc_slice_fill_copy(usize::MAX, 0u32);
            }),
        ),
        (
            arena
                .try_alloc_slice_fill_with(100, |i| i as u8)
                .unwrap_err(),
            Box::new(|| {
                let _ = arena.alloc_slice_fill_with(100, |i| i as u8);
            }),
        ),
        (
            arena.try_alloc_slice_fill_iter(0..100u8).unwrap_err(),
            Box::new(|| {
                let _ = arena.alloc_slice_fill_iter(0..100u8);
            }),
        ),
        (
            arena.try_alloc_str(&text).unwrap_err(),
            Box::new(|| {
                let _ = arena.alloc_str(&text);
            }),
        ),
        (
            arena.try_alloc_layout(layout).unwrap_err(),
            Box::new(|| {
                let _ = arena.alloc_layout(layout);
            }),
        ),
        (
            arena.try_push(100).unwrap_err(),
            Box::new(|| {
                let _ = arena.push(100);
            }),
        ),
        (
            arena.try_push_aligned(8, 3).unwrap_err(),
            Box::new(|| {
                let _ = arena.push_aligned(8, 3);
            }),
        ),
    ];
    for (index, (error, call)) in cases.into_iter().enumerate() {
        let (message, file) = panic_of(call);
        assert_eq!(message, error.to_string(), "case {index}");
        assert_eq!(
            file,
            file!(),
            "case {index}: the panic should point at the caller"
        );
    }
    assert_eq!(arena.offset(), 0);
    assert_eq!(arena.stats().allocation_count, 0);
}

/// A reserved arena whose reservation cannot hold a request says so, names the
/// reservation, and loses nothing: what it holds stays where it is, and it goes on
/// allocating up to the reservation's end.
#[test]
fn reservation_exhausted() {
    const RESERVED: usize = 1 << 20;
    let Some(arena) = crate::reserved("reserved", RESERVED, None) else {
        return;
    };
    assert_fails_cleanly(
        &arena,
        |arena| arena.try_alloc_slice_fill_copy(RESERVED, 0u8).unwrap_err(),
        |err| {
            matches!(
                err,
                AllocError::ReservationExhausted {
                    requested: RESERVED,
                    reserved: RESERVED,
                    ..
                }
            ) && err.to_string().contains("reservation of 1048576 bytes")
        },
    );
    // Up to the last byte of the reservation still fits, in one contiguous range.
    let rest = RESERVED - arena.offset();
    let first = arena.alloc(1u8) as *const u8;
    let tail = arena.alloc_slice_fill_copy(rest - 1, 7u8);
    assert_eq!(tail.as_ptr().addr(), first.addr() + 1);
    assert_eq!(arena.offset(), RESERVED);
    assert!(matches!(
        arena.try_alloc(0u8),
        Err(AllocError::ReservationExhausted { .. })
    ));
    let stats = arena.stats();
    assert_eq!((stats.committed_bytes, stats.chunk_count), (RESERVED, 1));
}
