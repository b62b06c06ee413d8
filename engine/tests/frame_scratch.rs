//! `Frame::scratch`: temporary memory inside a frame, from arenas apart from the
//! frame buffer. Frame data survives scratch scopes, nested scratch gets distinct
//! arenas, scratch memory is reused, a panic gives the arena back, and the arenas
//! show up in the stats and the telemetry.

use allocator_api2::vec::Vec as ArenaVec;
use engine::{Arena, ArenaKind, Frame, FrameArenaRole, FrameArenas, FrameConfig, Telemetry};
use static_assertions::{assert_impl_all, assert_not_impl_any};
use std::ops::Range;
use std::panic::{AssertUnwindSafe, catch_unwind};

// Scratch is lent through the frame, which stays on the thread that began it.
assert_impl_all!(FrameArenas: Send);
assert_not_impl_any!(Frame<'static>: Send, Sync);

fn frames() -> FrameArenas {
    FrameArenas::new(FrameConfig {
        budget_bytes: 64 * 1024,
        scratch_capacity_bytes: 16 * 1024,
        ..FrameConfig::default()
    })
}

fn byte_range<T>(data: &[T]) -> Range<usize> {
    let start = data.as_ptr().addr();
    start..start + std::mem::size_of_val(data)
}

fn overlap(a: &Range<usize>, b: &Range<usize>) -> bool {
    a.start < b.end && b.start < a.end
}

/// The roles of the scratch arenas made so far.
fn scratch_roles(frames: &FrameArenas) -> Vec<FrameArenaRole> {
    frames
        .labeled_arenas()
        .map(|(role, _)| role)
        .filter(|role| matches!(role, FrameArenaRole::Scratch { .. }))
        .collect()
}

#[test]
fn frame_allocations_made_before_and_during_a_scratch_scope_survive_it() {
    let mut frames = frames();
    let frame = frames.begin_frame();
    let before = frame.alloc_slice_fill_with(256, |i| i as u32);
    let (during, sum) = frame.scratch(|tmp| {
        let squares = tmp.alloc_slice_fill_with(256, |i| (i * i) as u64);
        let during = frame.alloc_slice_fill_with(256, |i| squares[i] as u32 + 1);
        // More scratch after the frame allocation: it lands in the scratch arena,
        // not above `during` in the frame.
        let filler = tmp.alloc_slice_fill_copy(4096, 0xAAu8);
        assert!(!overlap(&byte_range(filler), &byte_range(during)));
        assert!(!overlap(&byte_range(squares), &byte_range(before)));
        (during, squares.iter().sum::<u64>())
    });
    // Scratch again, over the same bytes as the first scope: the frame data stays.
    frame.scratch(|tmp| tmp.alloc_slice_fill_copy(64 * 1024, 0x55u8).len());
    let after = frame.alloc_slice_fill_copy(16, 7u32);

    assert_eq!(sum, (0..256u64).map(|i| i * i).sum::<u64>());
    assert!(before.iter().enumerate().all(|(i, &v)| v == i as u32));
    assert!(
        during
            .iter()
            .enumerate()
            .all(|(i, &v)| v == (i * i) as u32 + 1)
    );
    assert_eq!(after, &[7; 16]);
    assert_eq!(frame.offset(), 256 * 4 * 2 + 16 * 4); // only frame data in the frame
}

#[test]
fn nested_scratch_gets_distinct_arenas_and_the_outer_data_stays_intact() {
    let mut frames = frames();
    let frame = frames.begin_frame();
    frame.scratch(|outer| {
        let pattern = outer.alloc_slice_fill_with(1000, |i| (i * 7) as u32);
        let outer_range = byte_range(pattern);
        let (inner_name, middle_range) = frame.scratch(|middle| {
            let filled = middle.alloc_slice_fill_copy(8 * 1024, 0xFFu8);
            // The outer scope still allocates inside the inner one, from its own arena.
            let late = outer.alloc_slice_copy(&[1u16, 2, 3]);
            let innermost = frame.scratch(|inner| {
                let bytes = inner.alloc_slice_fill_copy(8 * 1024, 0xEEu8);
                assert!(!overlap(&byte_range(bytes), &byte_range(filled)));
                assert!(!overlap(&byte_range(bytes), &outer_range));
                inner.name().to_owned()
            });
            assert_eq!(innermost, "frame.scratch2");
            assert!(
                filled.iter().all(|&b| b == 0xFF),
                "the inner scratch wrote here"
            );
            assert_eq!(late, &[1, 2, 3]);
            assert_eq!(pattern[999], 999 * 7);
            (middle.name().to_owned(), byte_range(filled))
        });
        assert_eq!(
            (outer.name(), inner_name.as_str()),
            ("frame.scratch0", "frame.scratch1")
        );
        assert!(!overlap(&outer_range, &middle_range));
        assert!(
            pattern
                .iter()
                .enumerate()
                .all(|(i, &v)| v == (i * 7) as u32)
        );
    });
    assert_eq!(
        scratch_roles(&frames),
        [0, 1, 2].map(|depth| FrameArenaRole::Scratch { depth })
    );
}

/// A function that builds into the arena it is given and needs scratch of its own.
fn sorted_copy<'a>(frame: &Frame<'_>, out: &'a Arena, values: &[u32]) -> &'a [u32] {
    frame.scratch(|tmp| {
        assert_ne!(tmp.name(), out.name(), "scratch aliases the caller's arena");
        let mut sorted = ArenaVec::new_in(&**tmp);
        sorted.extend_from_slice(values);
        sorted.sort_unstable();
        out.alloc_slice_copy(&sorted)
    })
}

#[test]
fn a_function_handed_the_outer_scratch_gets_scratch_that_does_not_alias_it() {
    let mut frames = frames();
    let frame = frames.begin_frame();
    let total = frame.scratch(|outer| {
        let first = sorted_copy(&frame, outer, &[5, 3, 9, 1]);
        let second = sorted_copy(&frame, outer, &[8, 2]);
        assert_eq!((first, second), (&[1, 3, 5, 9][..], &[2, 8][..]));
        first.iter().chain(second).sum::<u32>()
    });
    // Handed the frame itself, the function's result outlives its scratch.
    let kept = sorted_copy(&frame, frame.arena(), &[4, 0, 2]);
    assert_eq!((total, kept), (28, &[0, 2, 4][..]));
}

#[test]
fn scratch_memory_is_reused_after_the_scope() {
    let mut frames = frames();
    let mut first_address = None;
    for _ in 0..3 {
        let frame = frames.begin_frame();
        for round in 0..4u8 {
            let address = frame.scratch(|tmp| {
                assert_eq!(tmp.offset(), 0);
                let address = tmp.alloc_slice_fill_copy(1000, round).as_ptr().addr();
                tmp.scope(|inner| inner.alloc_slice_fill_copy(500, 0u8).len());
                assert_eq!(tmp.offset(), 1000);
                address
            });
            assert_eq!(*first_address.get_or_insert(address), address);
        }
        // The same for the nested depth, entered fresh each time.
        frame.scratch(|_| {
            for _ in 0..2 {
                frame.scratch(|inner| {
                    assert_eq!((inner.name(), inner.offset()), ("frame.scratch1", 0));
                    inner.alloc_slice_fill_copy(300, 1u8);
                });
            }
        });
    }
    // Between frames every scratch arena is empty and holds the one chunk it was
    // made with; two were ever made.
    for (role, arena) in frames.labeled_arenas() {
        if let FrameArenaRole::Scratch { .. } = role {
            let stats = arena.stats();
            assert_eq!(
                (stats.used_bytes, stats.chunk_count, stats.grow_count),
                (0, 1, 1)
            );
        }
    }
    assert_eq!(scratch_roles(&frames).len(), 2);
}

#[test]
fn a_panic_inside_the_body_gives_the_arena_back() {
    let mut frames = frames();
    let frame = frames.begin_frame();
    let frame_data = frame.alloc_slice_copy(&[1u64, 2, 3]);
    let caught = catch_unwind(AssertUnwindSafe(|| {
        frame.scratch(|tmp| {
            tmp.alloc_slice_fill_copy(5000, 0xABu8);
            panic!("a failed scratch computation");
        })
    }));
    assert!(caught.is_err());
    // The same arena again, empty.
    frame.scratch(|tmp| {
        assert_eq!((tmp.name(), tmp.offset()), ("frame.scratch0", 0));
        // A panic in a nested scratch, caught inside the outer one.
        let outer = tmp.alloc_slice_fill_copy(100, 0x11u8);
        let caught = catch_unwind(AssertUnwindSafe(|| {
            frame.scratch(|inner| {
                inner.alloc_slice_fill_copy(100, 0x22u8);
                panic!("inner");
            })
        }));
        assert!(caught.is_err());
        assert!(outer.iter().all(|&b| b == 0x11));
        frame.scratch(|inner| assert_eq!((inner.name(), inner.offset()), ("frame.scratch1", 0)));
        assert_eq!(tmp.offset(), 100);
    });
    assert_eq!(frame_data, &[1, 2, 3]);
    assert_eq!(
        scratch_roles(&frames).len(),
        2,
        "a panic made an arena leak"
    );
}

#[test]
fn scratch_that_outgrows_its_capacity_is_sized_to_it_by_the_next_frame() {
    let mut frames = FrameArenas::new(FrameConfig {
        scratch_capacity_bytes: 1024,
        ..FrameConfig::default()
    });
    let frame = frames.begin_frame();
    let used = frame.scratch(|tmp| {
        let mut words = ArenaVec::new_in(&**tmp);
        words.extend(0..10_000u32);
        words.len()
    });
    assert_eq!(used, 10_000);
    let scratch = |frames: &FrameArenas| frames.arenas().nth(2).expect("a scratch arena").stats();
    let grown = scratch(&frames);
    // More chunks, or (reserved backing) more of its range committed.
    assert!(
        grown.grow_count > 1 && grown.committed_bytes >= 40_000,
        "{grown:?}"
    );
    assert_eq!(grown.used_bytes, 0);

    frames.begin_frame();
    let sized = scratch(&frames);
    assert_eq!(sized.chunk_count, 1);
    assert!(sized.committed_bytes >= 40_000, "{sized:?}");
    // Now the same work fits without growing.
    let frame = frames.begin_frame();
    frame.scratch(|tmp| tmp.alloc_slice_fill_copy(10_000, 0u32).len());
    let steady = scratch(&frames);
    assert_eq!(
        (steady.chunk_count, steady.grow_count),
        (1, sized.grow_count)
    );
}

#[test]
fn no_scratch_arena_is_made_until_a_frame_asks() {
    let mut frames = FrameArenas::new(FrameConfig {
        worker_count: 1,
        ..FrameConfig::default()
    });
    frames.begin_frame().alloc(1u32);
    assert_eq!(frames.arenas().count(), 4); // two buffers, one worker's two arenas
    assert!(scratch_roles(&frames).is_empty());
    let committed = frames.stats().committed_bytes;

    frames.begin_frame().scratch(|tmp| *tmp.alloc(1u32));
    assert_eq!(frames.arenas().count(), 5);
    assert_eq!(
        frames.stats().committed_bytes,
        committed + frames.config().scratch_capacity_bytes
    );
}

#[test]
fn capacity_zero_takes_the_first_chunk_on_the_first_allocation() {
    let mut frames = FrameArenas::new(FrameConfig {
        scratch_capacity_bytes: 0,
        ..FrameConfig::default()
    });
    let frame = frames.begin_frame();
    assert_eq!(frame.scratch(|tmp| tmp.alloc_str("lazy").len()), 4);
    assert!(frames.arenas().nth(2).unwrap().stats().committed_bytes > 0);
}

#[test]
fn keep_refuses_scratch_memory() {
    let mut frames = frames();
    let frame = frames.begin_frame();
    frame.scratch(|tmp| {
        let temporary = tmp.alloc_slice_copy(&[1u32, 2]);
        assert!(frame.keep(temporary).is_none());
    });
}

#[test]
fn frame_stats_and_telemetry_count_the_scratch_arenas() {
    let mut frames = frames();
    let mut telemetry = Telemetry::new();
    for frame_index in 0..2 {
        telemetry.begin_frame(frame_index);
        let frame = frames.begin_frame();
        frame.alloc(0u64);
        frame.scratch(|tmp| {
            tmp.alloc_slice_fill_copy(100, 0u8);
            frame.scratch(|inner| inner.alloc_slice_fill_copy(40, 0u8).len());
        });
        let stats = frames.stats();
        // One in the frame buffer, one in each scratch arena, this frame only.
        assert_eq!(stats.allocation_count, 3);
        assert_eq!(stats.used_bytes, 8);
        telemetry.record_frames(&frames);
        telemetry.end_frame();
    }
    let report = telemetry.report();
    let scratch: Vec<_> = report
        .arenas()
        .iter()
        .filter(|arena| arena.kind == ArenaKind::Scratch)
        .map(|arena| (&*arena.name, arena.used_bytes, arena.high_water_bytes))
        .collect();
    assert_eq!(
        scratch,
        [("frame.scratch0", 0, 100), ("frame.scratch1", 0, 40)]
    );
}
