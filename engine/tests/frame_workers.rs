//! The worker pool: lending worker arenas to any thread, growing when all are
//! lent, double-buffered kept data, reading and joining it in the frame, and what
//! may be shared between threads.

use engine::{
    Arena, ArenaKind, ArenaVec, ConcatError, Frame, FrameArenas, FrameConfig, FrameReadError,
    FrameSlice, Telemetry, WorkerArena, WorkerPool,
};
use rayon::prelude::*;
use static_assertions::{assert_impl_all, assert_not_impl_any};
use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind};

// Which types may cross threads.
assert_impl_all!(FrameArenas: Send);
assert_not_impl_any!(FrameArenas: Sync);
assert_not_impl_any!(Frame<'static>: Send, Sync);
assert_impl_all!(WorkerPool: Send, Sync);
assert_impl_all!(&'static WorkerPool: Send, Sync);
assert_impl_all!(WorkerArena<'static>: Send);
assert_not_impl_any!(WorkerArena<'static>: Sync);
assert_impl_all!(FrameSlice<u32>: Send, Sync, Copy);
assert_not_impl_any!(FrameSlice<Cell<u32>>: Send, Sync);
assert_impl_all!(FrameReadError: Send, Sync, std::error::Error, Copy);
assert_impl_all!(ConcatError: Send, Sync, std::error::Error);
assert_not_impl_any!(Arena: Sync);

fn frames_with(workers: usize) -> FrameArenas {
    FrameArenas::new(FrameConfig {
        budget_bytes: 4096,
        worker_count: workers,
        worker_budget_bytes: 1024,
        ..FrameConfig::default()
    })
}

#[test]
fn acquire_lends_the_first_free_arena_and_makes_one_when_all_are_lent() {
    let mut frames = frames_with(2);
    let frame = frames.begin_frame();
    let pool = frame.workers();
    assert_eq!(pool.worker_count(), 2);
    let (a, b) = (pool.acquire(), pool.acquire());
    assert_eq!((a.index(), b.index()), (0, 1));
    assert!(pool.try_acquire().is_none(), "try_acquire never makes one");
    let c = pool.acquire();
    assert_eq!((c.index(), pool.worker_count()), (2, 3));
    drop(b);
    assert_eq!(pool.try_acquire().map(|w| w.index()), Some(1));
    assert_eq!(pool.acquire().index(), 1, "given back, lent again");
    drop((a, c, frame));
    assert_eq!(frames.worker_count(), 3);
    let names: Vec<String> = frames
        .arenas()
        .map(|arena| arena.name().to_owned())
        .collect();
    assert_eq!(
        names,
        [
            "frame.a",
            "frame.b",
            "frame.worker0.a",
            "frame.worker0.b",
            "frame.worker1.a",
            "frame.worker1.b",
            "frame.worker2.a",
            "frame.worker2.b",
        ]
    );
}

#[test]
fn the_pool_grows_past_64_arenas_lent_at_once() {
    let mut frames = frames_with(0);
    let frame = frames.begin_frame();
    let pool = frame.workers();
    let guards: Vec<WorkerArena<'_>> = (0..150).map(|_| pool.acquire()).collect();
    let indices: Vec<usize> = guards.iter().map(WorkerArena::index).collect();
    assert_eq!(indices, (0..150).collect::<Vec<_>>());
    assert!(pool.try_acquire().is_none());
    // Kept data of a worker in the third group of 64, read once it is given back.
    let kept = guards[130]
        .keep(guards[130].alloc_slice_copy(&[130u32]))
        .unwrap();
    assert_eq!(
        frame.read(kept),
        Err(FrameReadError::WorkerStillLent { worker: 130 })
    );
    drop(guards);
    assert_eq!(frame.read(kept), Ok(&[130u32][..]));
    assert_eq!(pool.try_acquire().map(|w| w.index()), Some(0));
    assert_eq!(frames.worker_count(), 150);
    assert_eq!(frames.begin_frame().previous(kept), Some(&[130u32][..]));
}

#[test]
fn a_lent_again_arena_allocates_after_what_the_last_job_kept() {
    let mut frames = frames_with(1);
    let frame = frames.begin_frame();
    let first = {
        let worker = frame.workers().acquire();
        // A list that owns the kept data and is dropped after keeping: its bytes
        // stay (the hand-back floor), though it was the arena's newest block.
        let mut list = ArenaVec::new_in(&*worker);
        list.extend(0..100u32);
        let kept = worker.keep(&list).unwrap();
        drop(list);
        kept
    };
    let second = {
        let worker = frame.workers().acquire();
        assert_eq!(worker.index(), 0, "the same arena");
        let mut list = ArenaVec::new_in(&*worker);
        list.extend(1000..1100u32);
        worker.keep(&list).unwrap()
    };
    assert!(frame.read(first).unwrap().iter().copied().eq(0..100));
    assert!(frame.read(second).unwrap().iter().copied().eq(1000..1100));
    assert_eq!(frame.concat(&[second, first])[99..101], [1099, 0]);
}

#[test]
fn keep_refuses_memory_that_is_not_this_workers() {
    let mut other = frames_with(1);
    let other_frame = other.begin_frame();
    let other_worker = other_frame.workers().acquire();
    let other_data = other_worker.alloc_slice_copy(&[1u32]);

    let mut frames = frames_with(2);
    let frame = frames.begin_frame();
    let (worker, neighbour) = (frame.workers().acquire(), frame.workers().acquire());
    let in_frame = frame.alloc_slice_copy(&[1u32]);
    let in_neighbour = neighbour.alloc_slice_copy(&[1u32]);
    let on_stack = [1u32];
    let mine = worker.alloc_slice_copy(&[1u32, 2]);
    assert!(worker.keep(in_frame).is_none(), "the frame buffer");
    assert!(worker.keep(in_neighbour).is_none(), "another worker");
    assert!(worker.keep(&on_stack[..]).is_none(), "the stack");
    assert!(worker.keep(other_data).is_none(), "another FrameArenas");
    assert!(worker.keep(&mine[1..]).is_some());
    assert!(worker.keep::<u64>(&[]).is_some(), "nothing to read");
    assert!(
        frame.keep(&*mine).is_none(),
        "the frame keeps only its own buffer"
    );
}

#[test]
fn read_says_why_it_cannot() {
    let mut other = frames_with(1);
    let foreign = {
        let frame = other.begin_frame();
        let worker = frame.workers().acquire();
        worker.keep(worker.alloc_slice_copy(&[9u8])).unwrap()
    };

    let mut frames = frames_with(1);
    let frame = frames.begin_frame();
    let own = frame.keep(frame.alloc_slice_copy(&[1u8])).unwrap();
    let worker = frame.workers().acquire();
    let by_worker = worker.keep(worker.alloc_slice_copy(&[2u8])).unwrap();
    assert_eq!(frame.read(own), Err(FrameReadError::ThisFramesBuffer));
    assert_eq!(
        frame.read(by_worker),
        Err(FrameReadError::WorkerStillLent { worker: 0 })
    );
    assert_eq!(frame.read(foreign), Err(FrameReadError::OtherFrameArenas));
    drop(worker);
    assert_eq!(frame.read(by_worker), Ok(&[2u8][..]));
    assert_eq!(
        frame.previous(by_worker),
        None,
        "previous is last frame's only"
    );

    let frame = frames.begin_frame();
    assert_eq!(frame.read(own), Ok(&[1u8][..]));
    assert_eq!(frame.read(by_worker), Ok(&[2u8][..]));
    assert_eq!(frame.previous(by_worker), Some(&[2u8][..]));

    let frame = frames.begin_frame();
    assert_eq!(
        frame.read(by_worker),
        Err(FrameReadError::Expired {
            kept_in: 0,
            frame: 2
        })
    );
    assert_eq!(frame.previous(by_worker), None);
    assert!(
        FrameReadError::WorkerStillLent { worker: 3 }
            .to_string()
            .contains("worker arena 3")
    );
}

#[test]
fn worker_data_lives_through_the_next_frame_while_that_frame_uses_the_other_arena() {
    let mut frames = frames_with(1);
    let mut last: Option<(FrameSlice<u64>, u64)> = None;
    for tick in 0..20u64 {
        let frame = frames.begin_frame();
        if let Some((kept, kept_tick)) = last {
            let data = frame.previous(kept).expect("kept last frame");
            assert!(data.iter().all(|&value| value == kept_tick));
        }
        // Fill this frame's worker arena; it must not touch last frame's.
        let kept = {
            let worker = frame.workers().acquire();
            let data = worker.alloc_slice_fill_copy(200, tick);
            worker.alloc_slice_fill_copy(600, u64::MAX);
            worker.keep(data).unwrap()
        };
        if let Some((kept, kept_tick)) = last {
            let data = frame.previous(kept).expect("still there");
            assert!(data.iter().all(|&value| value == kept_tick), "frame {tick}");
        }
        last = Some((kept, tick));
    }
}

#[test]
fn concat_joins_parts_of_this_and_the_last_frame_in_order() {
    let mut frames = frames_with(2);
    let old = {
        let frame = frames.begin_frame();
        let worker = frame.workers().acquire();
        let from_worker = worker.keep(worker.alloc_slice_copy(&[1u32, 2])).unwrap();
        let from_buffer = frame.keep(frame.alloc_slice_copy(&[3u32])).unwrap();
        [from_worker, from_buffer]
    };
    let frame = frames.begin_frame();
    let fresh = {
        let worker = frame.workers().acquire();
        worker.keep(worker.alloc_slice_copy(&[4u32, 5, 6])).unwrap()
    };
    let empty = {
        let worker = frame.workers().acquire();
        worker.keep::<u32>(&[]).unwrap()
    };
    let all = frame.concat(&[old[0], empty, old[1], fresh]);
    assert_eq!(all, [1, 2, 3, 4, 5, 6]);
    all[0] = 10; // the result is the frame's own, mutable
    assert_eq!(frame.read(old[0]), Ok(&[1u32, 2][..]));
    assert!(frame.concat::<u32>(&[]).is_empty());
    let offset = frame.offset();
    let frame_own = frame.keep(&*all).unwrap();
    assert_eq!(
        frame.try_concat(&[fresh, frame_own]),
        Err(ConcatError::Part {
            index: 1,
            error: FrameReadError::ThisFramesBuffer
        })
    );
    assert_eq!(frame.offset(), offset, "a failed concat allocates nothing");
}

#[test]
fn concat_panics_with_the_part_and_the_reason() {
    let mut frames = frames_with(1);
    let frame = frames.begin_frame();
    let worker = frame.workers().acquire();
    let kept = worker.keep(worker.alloc_slice_copy(&[1u8])).unwrap();
    let panic = catch_unwind(AssertUnwindSafe(|| frame.concat(&[kept, kept]).len()))
        .expect_err("the worker still holds its arena");
    let message = panic.downcast_ref::<String>().expect("a formatted message");
    assert!(
        message.contains("part 0") && message.contains("still lent"),
        "{message}"
    );
}

#[test]
fn a_job_that_panics_gives_its_arena_back() {
    let mut frames = frames_with(1);
    let frame = frames.begin_frame();
    let pool = frame.workers();
    let result = catch_unwind(AssertUnwindSafe(|| {
        let worker = pool.acquire();
        worker.alloc_slice_fill_with(8, |i| {
            assert!(i < 4, "the job's closure panics");
            i as u32
        });
    }));
    assert!(result.is_err());
    let worker = pool.try_acquire().expect("given back on unwind");
    assert_eq!(worker.index(), 0);
    let kept = worker.keep(worker.alloc_slice_copy(&[7u8])).unwrap();
    drop(worker);
    assert_eq!(frame.read(kept), Ok(&[7u8][..]));
}

#[test]
fn a_forgotten_guard_keeps_its_arena_until_the_frame_ends() {
    let mut frames = frames_with(1);
    let kept = {
        let frame = frames.begin_frame();
        let worker = frame.workers().acquire();
        let kept = worker.keep(worker.alloc_slice_copy(&[5u16])).unwrap();
        std::mem::forget(worker);
        assert!(frame.workers().try_acquire().is_none(), "still lent");
        assert_eq!(
            frame.read(kept),
            Err(FrameReadError::WorkerStillLent { worker: 0 })
        );
        kept
    };
    let frame = frames.begin_frame();
    assert_eq!(frame.read(kept), Ok(&[5u16][..]));
    assert!(frame.workers().try_acquire().is_some(), "free again");
}

#[test]
fn stats_and_telemetry_report_each_worker_arena() {
    let mut frames = frames_with(1);
    let mut telemetry = Telemetry::new();
    for frame_index in 0..3u64 {
        telemetry.begin_frame(frame_index);
        let frame = frames.begin_frame();
        let (a, b) = (frame.workers().acquire(), frame.workers().acquire());
        a.alloc_slice_fill_copy(1500, 0u8); // 476 over its 1024-byte budget
        b.alloc_slice_fill_copy(100 + frame_index as usize, 0u8);
        drop((a, b, frame));
        let stats = frames.stats();
        assert_eq!(stats.worker_used_bytes, 1600 + frame_index as usize);
        assert_eq!(stats.overflow_bytes, 476);
        telemetry.record_frames(&frames);
        telemetry.end_frame();
        let report = telemetry.report();
        let set = if frame_index % 2 == 0 { "a" } else { "b" };
        let other = if frame_index % 2 == 0 { "b" } else { "a" };
        let used = report.arena(&format!("frame.worker1.{set}")).unwrap();
        assert_eq!(
            (used.kind, used.used_bytes, used.overflow_bytes),
            (ArenaKind::Worker, 100 + frame_index as usize, 0)
        );
        let over = report.arena(&format!("frame.worker0.{set}")).unwrap();
        assert_eq!((over.used_bytes, over.overflow_bytes), (1500, 476));
        // The other arena holds last frame's data: its overflow counted then.
        let resting = report.arena(&format!("frame.worker0.{other}")).unwrap();
        assert_eq!(resting.overflow_bytes, 0);
    }
    assert_eq!(frames.last_overflow().1, 2);
}

#[test]
fn rayon_map_init_takes_worker_arenas_from_the_pool() {
    let chunks: Vec<Vec<u32>> = (0..64u32)
        .map(|chunk| (0..100).map(|i| chunk * 100 + i).collect())
        .collect();
    let mut frames = FrameArenas::new(FrameConfig {
        worker_count: 8,
        ..Default::default()
    });
    let mut last: Option<(Vec<FrameSlice<u32>>, u64)> = None;
    for tick in 0..10u64 {
        let frame = frames.begin_frame();
        let pool = frame.workers();
        if let Some((parts, kept_tick)) = &last {
            // Last frame's parts, read on rayon's threads: the slices are `Sync`,
            // the frame is not.
            let previous: Vec<&[u32]> = parts
                .iter()
                .map(|&part| frame.previous(part).expect("kept last frame"))
                .collect();
            let sum: u64 = previous
                .par_iter()
                .map(|part| part.iter().map(|&v| u64::from(v)).sum::<u64>())
                .sum();
            assert_eq!(sum, (0..6400u64).map(|v| v + kept_tick).sum::<u64>());
        }
        let parts: Vec<FrameSlice<u32>> = chunks
            .par_iter()
            .map_init(
                || pool.acquire(),
                |worker, chunk| {
                    let visible =
                        worker.alloc_slice_fill_with(chunk.len(), |i| chunk[i] + tick as u32);
                    worker.keep(visible).expect("in the worker arena")
                },
            )
            .collect();
        let all: &[u32] = frame.concat(&parts);
        assert!(all.iter().copied().eq((0..6400).map(|v| v + tick as u32)));
        last = Some((parts, tick));
    }
}
