//! `FrameArenas`: allocation, handoff to the next frame, budget overflow, stats,
//! and a randomized test against a model.

use allocator_api2::vec::Vec as ApiVec;
use engine::{Arena, FrameArenas, FrameConfig, FrameSlice, Overflow};
use proptest::prelude::*;
use std::mem::MaybeUninit;

fn frames_with_budget(budget_bytes: usize) -> FrameArenas {
    FrameArenas::new(FrameConfig {
        budget_bytes,
        ..FrameConfig::default()
    })
}

/// The stats of frame buffer `index` (0 = `.a`, 1 = `.b`).
fn buffer_stats(frames: &FrameArenas, index: usize) -> engine::ArenaStats {
    frames
        .arenas()
        .nth(index)
        .expect("two frame buffers")
        .stats()
}

#[test]
fn a_frame_allocates_like_an_arena() {
    #[derive(Debug, Clone, Copy, PartialEq)]
    struct Instance {
        transform: [f32; 12],
        material: u32,
    }

    let mut frames = frames_with_budget(64 * 1024);
    let frame = frames.begin_frame();
    let counter: &mut u64 = frame.alloc(41);
    *counter += 1;
    let visible = frame.alloc_slice_fill_with(100, |i| i as u32 * 3);
    let instances = frame.alloc_slice_fill_copy(
        10,
        Instance {
            transform: [1.0; 12],
            material: 7,
        },
    );
    instances[9].material = 9;
    let label = frame.alloc_str("frame label");
    let mut keys = ApiVec::new_in(&*frame);
    for key in (0..500u64).rev() {
        keys.push(key << 32);
    }
    keys.sort_unstable();
    let mut through_arena = ApiVec::new_in(frame.arena());
    through_arena.extend_from_slice(b"bytes");
    let mut map = hashbrown::HashMap::new_in(frame.arena());
    for entity in 0..64u32 {
        map.insert(entity, entity * 2);
    }

    assert_eq!(*counter, 42);
    assert_eq!(visible[99], 297);
    assert_eq!((instances[0].material, instances[9].material), (7, 9));
    assert_eq!(label, "frame label");
    assert_eq!((keys[0], keys[499]), (0, 499 << 32));
    assert_eq!(&through_arena[..], b"bytes");
    assert_eq!(map[&63], 126);
    // Everything above lives in the frame buffer, none of it on the heap.
    let arena: &Arena = frame.arena();
    assert!(arena.stats().used_bytes >= 8 + 400 + 10 * 52 + 11 + 500 * 8);
    assert!(frame.keep(&keys[..]).is_some());
    assert!(frame.keep(instances).is_some());
}

#[test]
fn frame_index_counts_frames() {
    let mut frames = FrameArenas::new(FrameConfig::default());
    assert_eq!(frames.frame_index(), 0);
    for expected in 0..5u64 {
        let frame = frames.begin_frame();
        assert_eq!(frame.index(), expected);
        assert_eq!(frames.frame_index(), expected);
        assert_eq!(frames.stats().frame_index, expected);
    }
}

#[test]
fn begin_frame_resets_the_buffer_of_two_frames_ago() {
    let mut frames = frames_with_budget(64 * 1024);
    frames.begin_frame().alloc_slice_fill_copy(1000, 1u8);
    frames.begin_frame().alloc_slice_fill_copy(300, 1u8);
    assert_eq!(buffer_stats(&frames, 0).used_bytes, 1000); // frame 0's data stays for frame 1
    assert_eq!(buffer_stats(&frames, 1).used_bytes, 300);
    let frame = frames.begin_frame();
    assert_eq!((frame.index(), frame.offset()), (2, 0));
    assert_eq!(buffer_stats(&frames, 0).used_bytes, 0);
    assert_eq!(buffer_stats(&frames, 1).used_bytes, 300);
}

#[test]
fn stats_count_this_frames_bytes_and_allocations() {
    let mut frames = FrameArenas::new(FrameConfig {
        budget_bytes: 64 * 1024,
        worker_count: 2,
        worker_budget_bytes: 4096,
        ..FrameConfig::default()
    });
    let frame = frames.begin_frame();
    frame.alloc_slice_fill_copy(100, 0u32);
    frame.alloc(0u64);
    let (first, second) = (frame.workers().acquire(), frame.workers().acquire());
    first.alloc_slice_fill_copy(10, 0u8);
    second.alloc_slice_fill_copy(20, 0u8);
    second.alloc(1u8);
    drop((first, second));
    let stats = frames.stats();
    assert_eq!(stats.frame_index, 0);
    assert_eq!(stats.used_bytes, 408);
    assert_eq!(stats.allocation_count, 5);
    assert_eq!(stats.worker_used_bytes, 31);
    assert_eq!(stats.high_water_bytes, 408);
    // Two buffers, and two workers of two arenas each.
    assert_eq!(stats.committed_bytes, 2 * 64 * 1024 + 2 * 2 * 4096);
    assert_eq!((stats.budget_bytes, stats.overflow_bytes), (64 * 1024, 0));
    assert!(frames.last_frame_stats().is_none());

    let frame = frames.begin_frame();
    frame.alloc(1u16);
    let last = *frames.last_frame_stats().expect("frame 0 ended");
    assert_eq!(
        (last.frame_index, last.used_bytes, last.allocation_count),
        (0, 408, 5)
    );
    let stats = frames.stats();
    // Workers were reset at the frame boundary.
    assert_eq!((stats.frame_index, stats.used_bytes), (1, 2));
    assert_eq!((stats.allocation_count, stats.worker_used_bytes), (1, 0));

    // The high-water mark of a buffer survives its reset.
    frames.begin_frame().alloc_slice_fill_copy(10, 0u8);
    frames.begin_frame();
    let frame = frames.begin_frame(); // frame 4, buffer `.a` again
    frame.alloc(0u8);
    let stats = frames.stats();
    assert_eq!(
        (stats.frame_index, stats.used_bytes, stats.high_water_bytes),
        (4, 1, 408)
    );
}

#[test]
fn kept_data_is_read_in_the_next_frame_only() {
    let mut frames = frames_with_budget(64 * 1024);
    let kept = {
        let frame = frames.begin_frame();
        let positions = frame.alloc_slice_fill_with(256, |i| [i as f32, -(i as f32)]);
        let kept = frame.keep(positions).expect("frame memory");
        // A handle is not readable in the frame that made it.
        assert_eq!(frame.previous(kept), None);
        kept
    };
    assert_eq!(
        (kept.frame_index(), kept.len(), kept.is_empty()),
        (0, 256, false)
    );
    {
        let frame = frames.begin_frame();
        // The next frame allocates over nothing of frame 0's.
        frame.alloc_slice_fill_copy(4096, [9.0f32; 2]);
        let previous = frame.previous(kept).expect("kept in the previous frame");
        assert_eq!(previous.len(), 256);
        for (i, position) in previous.iter().enumerate() {
            assert_eq!(*position, [i as f32, -(i as f32)]);
        }
        // Reading it twice is fine.
        assert_eq!(frame.previous(kept).map(<[_]>::len), Some(256));
    }
    for _ in 0..3 {
        let frame = frames.begin_frame();
        assert_eq!(frame.previous(kept), None, "frame {}", frame.index());
    }
}

#[test]
fn kept_data_outlives_the_frame_value_but_not_the_next_frame() {
    let mut frames = frames_with_budget(4096);
    let kept = {
        let frame = frames.begin_frame();
        frame.keep(frame.alloc_slice_copy(&[1u16, 2, 3])).unwrap()
    };
    // The slice borrows the frame arenas, not the `Frame` value.
    let previous: &[u16] = {
        let next = frames.begin_frame();
        next.previous(kept).unwrap()
    };
    assert_eq!(previous, &[1, 2, 3]);
}

#[test]
fn a_handle_from_other_frame_arenas_is_none() {
    let mut ours = frames_with_budget(4096);
    let mut theirs = frames_with_budget(4096);
    let theirs_kept = {
        let frame = theirs.begin_frame();
        frame.keep(frame.alloc_slice_copy(&[5u32; 4])).unwrap()
    };
    let _ = ours.begin_frame();
    // Frame 1 of `ours` would accept a frame-0 handle of its own.
    let frame = ours.begin_frame();
    assert_eq!(frame.index(), theirs_kept.frame_index() + 1);
    assert_eq!(frame.previous(theirs_kept), None);
    // And `theirs` still reads it.
    assert_eq!(
        theirs.begin_frame().previous(theirs_kept),
        Some(&[5u32; 4][..])
    );
}

#[test]
fn keep_refuses_memory_that_is_not_this_frames() {
    let mut other = FrameArenas::new(FrameConfig {
        budget_bytes: 4096,
        worker_count: 1,
        ..FrameConfig::default()
    });
    let other_frame = other.begin_frame();
    let other_data = other_frame.alloc_slice_copy(&[1u32, 2]);

    let mut frames = FrameArenas::new(FrameConfig {
        budget_bytes: 4096,
        worker_count: 1,
        ..FrameConfig::default()
    });
    let kept = {
        let frame = frames.begin_frame();
        frame.keep(frame.alloc_slice_copy(&[3u32, 4])).unwrap()
    };
    let frame = frames.begin_frame();
    let worker = frame.workers().acquire();
    let on_stack = [1u32, 2, 3];
    let on_heap: Box<[u32]> = Box::new([1, 2, 3]);
    let in_worker = worker.alloc_slice_copy(&[1u32, 2, 3]);
    let plain = Arena::new("plain");
    let in_plain_arena = plain.alloc_slice_copy(&[1u32, 2, 3]);
    let from_previous_frame = frame.previous(kept).unwrap();

    assert!(frame.keep(&on_stack[..]).is_none(), "stack");
    assert!(frame.keep(&on_heap[..]).is_none(), "heap");
    assert!(frame.keep(in_worker).is_none(), "worker arena");
    assert!(frame.keep(in_plain_arena).is_none(), "another arena");
    assert!(frame.keep(other_data).is_none(), "another FrameArenas");
    assert!(
        frame.keep(from_previous_frame).is_none(),
        "the other buffer"
    );

    // Memory of this frame, whole or in part, is accepted.
    let mine = frame.alloc_slice_fill_with(16, |i| i as u32);
    assert_eq!(frame.keep(&mine[4..8]).map(|k| k.len()), Some(4));
    // A slice that runs past what the frame handed out is not.
    // SAFETY: the bytes lie inside the frame buffer's first chunk (4 KiB), and
    // `MaybeUninit` asks nothing of them; `keep` only compares addresses.
    let past_the_end: &[MaybeUninit<u32>] =
        unsafe { std::slice::from_raw_parts(mine.as_ptr().cast(), 17) };
    assert!(frame.keep(past_the_end).is_none(), "past the end");
    // Empty slices hold no memory: any is fine.
    assert!(frame.keep::<u32>(&[]).is_some_and(|k| k.is_empty()));
}

#[test]
fn keep_refuses_memory_a_collection_already_gave_back() {
    let mut frames = frames_with_budget(4096);
    let frame = frames.begin_frame();
    let mut items = ApiVec::new_in(frame.arena());
    items.extend(0..64u32);
    let (addr, len) = (items.as_ptr(), items.len());
    drop(items); // the last allocation: its bytes go back to the frame
    // SAFETY: the bytes are still inside the frame buffer's chunk, and
    // `MaybeUninit` asks nothing of them; `keep` only compares addresses.
    let freed: &[MaybeUninit<u32>] = unsafe { std::slice::from_raw_parts(addr.cast(), len) };
    assert!(frame.keep(freed).is_none());
}

#[test]
fn kept_data_stays_intact_when_its_collection_is_dropped() {
    // A collection at the top of the frame hands its bytes back when dropped; kept
    // data must not be handed back and overwritten before the next frame reads it.
    let mut frames = frames_with_budget(64 * 1024);
    let kept = {
        let frame = frames.begin_frame();
        let mut visible = ApiVec::new_in(frame.arena());
        visible.extend(0..1000u32);
        let kept = frame.keep(&visible[..]).unwrap();
        visible.shrink_to(10);
        visible.truncate(0);
        drop(visible);
        // A later collection of this frame ends up at the same place as `visible`
        // if its memory was given back.
        let mut later = ApiVec::new_in(frame.arena());
        later.resize(2000, u32::MAX);
        let scribble = frame.alloc_slice_fill_copy(2000, 0xAAAA_AAAAu32);
        assert_eq!(scribble.len(), 2000);
        kept
    };
    let frame = frames.begin_frame();
    let previous = frame.previous(kept).unwrap();
    assert!(
        previous.iter().copied().eq(0..1000u32),
        "kept data was overwritten"
    );
}

#[test]
fn kept_data_survives_later_collections_being_dropped_too() {
    // Data below the top is protected as well: dropping everything allocated after
    // it (so that it becomes the top again) must not give it back either.
    let mut frames = frames_with_budget(64 * 1024);
    let kept = {
        let frame = frames.begin_frame();
        let mut visible = ApiVec::new_in(frame.arena());
        visible.extend(0..100u64);
        let mut after = ApiVec::new_in(frame.arena());
        after.extend(0..100u64);
        let kept = frame.keep(&visible[..]).unwrap();
        drop(after);
        drop(visible);
        frame.alloc_slice_fill_copy(400, u64::MAX);
        kept
    };
    let frame = frames.begin_frame();
    assert!(frame.previous(kept).unwrap().iter().copied().eq(0..100u64));
}

#[test]
fn going_over_budget_is_recorded_and_the_buffer_resizes_to_the_high_water_mark() {
    let budget = 4096;
    let mut frames = frames_with_budget(budget);
    assert_eq!(frames.last_overflow(), (None, 0));
    let before = buffer_stats(&frames, 0);
    assert_eq!((before.committed_bytes, before.chunk_count), (budget, 1));

    let frame = frames.begin_frame();
    let big = frame.alloc_slice_fill_with(10_000, |i| i as u8);
    assert_eq!(big[9_999], (9_999 % 256) as u8); // the game goes on
    let stats = frames.stats();
    assert_eq!(stats.used_bytes, 10_000);
    assert_eq!(stats.overflow_bytes, 10_000 - budget);
    assert_eq!(frames.last_overflow(), (None, 0)); // recorded when the frame ends
    // It grew once: a second chunk, or (reserved backing) more of its range.
    assert_eq!(buffer_stats(&frames, 0).grow_count, before.grow_count + 1);

    frames.begin_frame(); // frame 1: within budget
    let expected = Overflow {
        frame_index: 0,
        bytes_over: 10_000 - budget,
    };
    assert_eq!(frames.last_overflow(), (Some(expected), 1));
    assert_eq!(
        frames.last_frame_stats().unwrap().overflow_bytes,
        10_000 - budget
    );
    assert_eq!(frames.stats().overflow_bytes, 0);

    frames.begin_frame(); // frame 2 resets buffer `.a`
    let resized = buffer_stats(&frames, 0);
    assert_eq!(resized.chunk_count, 1);
    assert!(resized.committed_bytes >= 10_000, "{resized:?}");
    assert_eq!(resized.used_bytes, 0);
    assert_eq!(frames.last_overflow(), (Some(expected), 1)); // frame 1 was fine

    // The same big frame now fits in buffer `.a` without growing.
    let grows_before = resized.grow_count;
    let frame = frames.begin_frame(); // frame 3, buffer `.b`
    frame.alloc(0u8);
    let frame = frames.begin_frame(); // frame 4, buffer `.a`
    frame.alloc_slice_fill_copy(10_000, 0u8);
    let after = buffer_stats(&frames, 0);
    assert_eq!((after.grow_count, after.chunk_count), (grows_before, 1));
    // Still over budget, though: the overflow is reported each time.
    frames.begin_frame();
    let (overflow, count) = frames.last_overflow();
    assert_eq!((overflow.unwrap().frame_index, count), (4, 2));
    assert_eq!(
        overflow.unwrap().to_string(),
        format!("frame 4 went {} bytes over budget", 10_000 - budget)
    );
}

#[test]
fn worker_overflow_is_recorded_too() {
    let mut frames = FrameArenas::new(FrameConfig {
        budget_bytes: 4096,
        worker_count: 1,
        worker_budget_bytes: 1024,
        ..FrameConfig::default()
    });
    let frame = frames.begin_frame();
    let worker = frame.workers().acquire();
    worker.alloc_slice_fill_copy(1500, 0u8);
    drop((worker, frame));
    assert_eq!(frames.stats().overflow_bytes, 476);
    frames.begin_frame();
    assert_eq!(
        frames.last_overflow(),
        (
            Some(Overflow {
                frame_index: 0,
                bytes_over: 476
            }),
            1
        )
    );
}

#[test]
fn frame_slices_are_plain_tokens() {
    fn assert_send_sync_copy<T: Send + Sync + Copy>() {}
    assert_send_sync_copy::<FrameSlice<[f32; 3]>>();
    let mut frames = frames_with_budget(4096);
    let frame = frames.begin_frame();
    let kept = frame.keep(frame.alloc_slice_copy(&[1u8, 2])).unwrap();
    let copy = kept;
    assert_eq!((kept.len(), copy.len()), (2, 2));
    assert!(format!("{kept:?}").contains("frame_index: 0"));
    assert!(format!("{frame:?}").contains("index: 0"));
    assert!(format!("{frames:?}").contains("FrameArenas"));
}

// ---- randomized test against a model --------------------------------------------

#[derive(Debug, Clone)]
enum FrameOp {
    /// Allocate `len` u32s with a pattern made from `seed`.
    Alloc { len: usize, seed: u32 },
    /// Grow an allocator_api2 Vec of `len` u64s in the frame, then keep it as a slice.
    Collection { len: usize, seed: u64 },
    /// Keep allocation `which` (modulo the count) of this frame.
    Keep { which: usize },
    /// Keep a part of allocation `which`.
    KeepPart { which: usize, skip: usize },
    /// Try to keep memory that is not this frame's.
    KeepForeign { kind: u8 },
    /// Read handle `which` (modulo the count) of all handles made so far.
    Previous { which: usize },
}

fn frame_op() -> impl Strategy<Value = FrameOp> {
    prop_oneof![
        4 => (0usize..200, any::<u32>()).prop_map(|(len, seed)| FrameOp::Alloc { len, seed }),
        1 => (0usize..100, any::<u64>()).prop_map(|(len, seed)| FrameOp::Collection { len, seed }),
        2 => any::<usize>().prop_map(|which| FrameOp::Keep { which }),
        1 => (any::<usize>(), 0usize..50).prop_map(|(which, skip)| FrameOp::KeepPart { which, skip }),
        1 => (0u8..3).prop_map(|kind| FrameOp::KeepForeign { kind }),
        3 => any::<usize>().prop_map(|which| FrameOp::Previous { which }),
    ]
}

fn pattern(seed: u32, index: usize) -> u32 {
    seed.wrapping_mul(2_654_435_761).wrapping_add(index as u32)
}

/// A handle and what it must read back as.
struct ModelHandle {
    handle: FrameSlice<u32>,
    frame_index: u64,
    expected: Vec<u32>,
}

fn align_up(offset: usize, align: usize) -> usize {
    offset.next_multiple_of(align)
}

fn run_frame_model(budget_bytes: usize, script: Vec<Vec<FrameOp>>) -> Result<(), TestCaseError> {
    let mut frames = frames_with_budget(budget_bytes);
    // With a big budget the frame never leaves its first chunk, so the model can
    // predict the exact offset; a small budget is checked with bounds.
    let exact = budget_bytes >= 1 << 20;
    let mut handles: Vec<ModelHandle> = Vec::new();
    let mut wide_handles: Vec<(FrameSlice<u64>, u64, Vec<u64>)> = Vec::new();
    let foreign_heap = vec![1u32; 8];
    for (frame_number, ops) in script.into_iter().enumerate() {
        let frame = frames.begin_frame();
        prop_assert_eq!(frame.index(), frame_number as u64);
        let mut slices: Vec<(&[u32], u32)> = Vec::new();
        let (mut used, mut allocations, mut payload_bytes) = (0usize, 0u64, 0usize);
        for op in ops {
            match op {
                FrameOp::Alloc { len, seed } => {
                    let slice = frame.alloc_slice_fill_with(len, |i| pattern(seed, i));
                    used = align_up(used, 4) + 4 * len;
                    allocations += 1;
                    payload_bytes += 4 * len;
                    slices.push((slice, seed));
                }
                FrameOp::Collection { len, seed } => {
                    let mut items = ApiVec::with_capacity_in(len, frame.arena());
                    items.extend((0..len as u64).map(|i| seed ^ i));
                    if len > 0 {
                        used = align_up(used, 8) + 8 * len;
                        allocations += 1;
                        payload_bytes += 8 * len;
                    }
                    let kept = frame.keep(&items[..]).expect("a collection in the frame");
                    wide_handles.push((kept, frame.index(), items.to_vec()));
                }
                FrameOp::Keep { which } if !slices.is_empty() => {
                    let (slice, seed) = slices[which % slices.len()];
                    let handle = frame.keep(slice);
                    prop_assert!(handle.is_some(), "keeping allocates nothing");
                    handles.push(ModelHandle {
                        handle: handle.unwrap(),
                        frame_index: frame.index(),
                        expected: (0..slice.len()).map(|i| pattern(seed, i)).collect(),
                    });
                }
                FrameOp::KeepPart { which, skip } if !slices.is_empty() => {
                    let (slice, seed) = slices[which % slices.len()];
                    let skip = skip.min(slice.len());
                    let handle = frame.keep(&slice[skip..]);
                    prop_assert!(handle.is_some(), "keeping allocates nothing");
                    handles.push(ModelHandle {
                        handle: handle.unwrap(),
                        frame_index: frame.index(),
                        expected: (skip..slice.len()).map(|i| pattern(seed, i)).collect(),
                    });
                }
                FrameOp::Keep { .. } | FrameOp::KeepPart { .. } => {}
                FrameOp::KeepForeign { kind } => {
                    let on_stack = [7u32; 4];
                    let foreign: &[u32] =
                        match kind {
                            0 => &on_stack,
                            1 => &foreign_heap,
                            _ => match handles.iter().rev().find(|h| {
                                h.frame_index + 1 == frame.index() && !h.expected.is_empty()
                            }) {
                                Some(previous) => frame.previous(previous.handle).unwrap(),
                                None => &on_stack,
                            },
                        };
                    prop_assert!(frame.keep(foreign).is_none());
                }
                FrameOp::Previous { which } if !handles.is_empty() => {
                    let model = &handles[which % handles.len()];
                    let read = frame.previous(model.handle);
                    if model.frame_index + 1 == frame.index() {
                        prop_assert_eq!(read, Some(&model.expected[..]));
                    } else {
                        prop_assert_eq!(read, None);
                    }
                }
                FrameOp::Previous { .. } => {}
            }
        }
        // Everything this frame made is still intact at its end.
        for (slice, seed) in &slices {
            for (i, value) in slice.iter().enumerate() {
                prop_assert_eq!(*value, pattern(*seed, i));
            }
        }
        // ... and so is what the previous frame kept.
        for model in handles
            .iter()
            .filter(|h| h.frame_index + 1 == frame.index())
        {
            prop_assert_eq!(frame.previous(model.handle), Some(&model.expected[..]));
        }
        for (handle, index, expected) in &wide_handles {
            if index + 1 == frame.index() {
                prop_assert_eq!(frame.previous(*handle), Some(&expected[..]));
            }
        }
        drop(slices);
        let stats = frames.stats();
        prop_assert_eq!(stats.frame_index, frame_number as u64);
        if exact {
            prop_assert_eq!(stats.used_bytes, used);
            prop_assert_eq!(stats.allocation_count, allocations);
            prop_assert_eq!(stats.overflow_bytes, 0);
        } else {
            prop_assert!(stats.used_bytes >= payload_bytes);
            prop_assert!(stats.allocation_count >= allocations);
            prop_assert_eq!(
                stats.overflow_bytes,
                stats.used_bytes.saturating_sub(budget_bytes)
            );
        }
        prop_assert!(stats.high_water_bytes >= stats.used_bytes);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(200)
    ))]

    #[test]
    fn frame_arenas_match_the_model(
        budget_bytes in prop_oneof![Just(1usize << 20), Just(512usize)],
        script in prop::collection::vec(prop::collection::vec(frame_op(), 0..24), 1..8),
    ) {
        run_frame_model(budget_bytes, script)?;
    }
}

#[test]
fn a_spike_in_every_kind_of_frame_arena_goes_back_within_trim_within_frames() {
    for within in [4, 5, 9, 20] {
        let config = FrameConfig {
            budget_bytes: 64 << 10,
            worker_count: 2,
            worker_budget_bytes: 16 << 10,
            scratch_capacity_bytes: 16 << 10,
            trim_within_frames: Some(within),
            ..FrameConfig::default()
        };
        for spike_frame in 0..4u64 {
            let mut frames = FrameArenas::new(config.clone());
            // Two buffers, two workers (two arenas each: they are double-buffered)
            // and one scratch arena at their starting size.
            let usual = (64 << 10) * 2 + (16 << 10) * 5;
            for frame_index in 0..=spike_frame + u64::from(within) {
                let bytes = if frame_index == spike_frame {
                    2 << 20
                } else {
                    1000
                };
                let frame = frames.begin_frame();
                frame.alloc_slice_fill_copy(bytes, 1u8);
                frame.workers().acquire().alloc_slice_fill_copy(bytes, 2u8);
                frame.scratch(|tmp| tmp.alloc_slice_fill_copy(bytes, 3u8).len());
                if frame_index == spike_frame {
                    assert!(frames.stats().committed_bytes >= 3 * (2 << 20));
                } else if frame_index < spike_frame {
                    assert_eq!(frames.stats().committed_bytes, usual);
                }
            }
            assert_eq!(
                frames.stats().committed_bytes,
                usual,
                "within {within} frames, spike in frame {spike_frame}"
            );
        }
    }
}
