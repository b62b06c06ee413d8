//! Worker threads building frame data in parallel, handed to the main thread for
//! the rest of the frame, over many frames.

use allocator_api2::vec::Vec as ArenaVec;
use engine::{Arena, FrameArenas, FrameConfig, FrameSlice};
use std::sync::Barrier;

const WORKERS: usize = 6;
const FRAMES: u64 = 200;

/// The value job `job` writes at `index` in frame `tick`.
fn encode(tick: u64, job: usize, index: usize) -> u64 {
    (tick << 40) | ((job as u64) << 32) | index as u64
}

/// How much job `job` builds in frame `tick`: varies, bounded.
fn job_len(tick: u64, job: usize) -> usize {
    500 + ((tick as usize * 31 + job * 17) % 13) * 150
}

/// What one worker hands back: its items, a label, and what it read of last frame.
struct JobOutput<'f> {
    job: usize,
    items: &'f [u64],
    label: &'f str,
    previous_sum: u64,
}

#[test]
fn workers_build_frame_data_in_parallel_for_the_main_thread() {
    let mut frames = FrameArenas::new(FrameConfig {
        name: "threads",
        budget_bytes: 64 * 1024,
        worker_count: WORKERS,
        worker_budget_bytes: 8 * 1024,
        ..FrameConfig::default()
    });
    assert_eq!(frames.worker_count(), WORKERS);
    let mut kept: Option<FrameSlice<u64>> = None;
    let mut previous_expected_sum: Option<u64> = None;

    for tick in 0..FRAMES {
        let (frame, workers) = frames.begin_frame_with_workers();
        let previous: Option<&[u64]> = kept.and_then(|handle| frame.previous(handle));
        assert_eq!(previous.is_some(), tick > 0, "frame {tick}: handoff");
        // All workers and the main thread start allocating at the same moment.
        let start = Barrier::new(WORKERS + 1);
        let (outputs, main_side) = std::thread::scope(|scope| {
            let handles: Vec<_> = workers
                .iter_mut()
                .enumerate()
                .map(|(job, arena)| {
                    let start = &start;
                    scope.spawn(move || {
                        let arena: &Arena = arena;
                        start.wait();
                        let items = arena
                            .alloc_slice_fill_with(job_len(tick, job), |i| encode(tick, job, i));
                        // A growing collection in the worker arena, read back in place.
                        let mut scratch = ArenaVec::new_in(arena);
                        scratch.extend(items.iter().map(|&value| value ^ 0xFF));
                        assert!(
                            scratch
                                .iter()
                                .zip(items.iter())
                                .all(|(s, i)| s ^ 0xFF == *i)
                        );
                        drop(scratch);
                        let label = arena.alloc_str(if job % 2 == 0 { "even job" } else { "odd" });
                        // Every worker reads last frame's data at the same time.
                        let previous_sum = previous.map_or(0, |data| {
                            data.iter().fold(0u64, |sum, &v| sum.wrapping_add(v))
                        });
                        JobOutput {
                            job,
                            items,
                            label,
                            previous_sum,
                        }
                    })
                })
                .collect();
            // Meanwhile the main thread allocates in the frame.
            start.wait();
            let main_side = frame.alloc_slice_fill_with(2000, |i| i as u32 ^ tick as u32);
            let outputs: Vec<JobOutput<'_>> = handles
                .into_iter()
                .map(|handle| handle.join().unwrap())
                .collect();
            (outputs, main_side)
        });

        // The rest of the frame uses what the workers built.
        assert_eq!(outputs.len(), WORKERS);
        let total: usize = outputs.iter().map(|output| output.items.len()).sum();
        let merged = frame.alloc_slice_fill_iter(
            outputs
                .iter()
                .flat_map(|output| output.items.iter().copied())
                .collect::<Vec<u64>>(),
        );
        assert_eq!(merged.len(), total);
        let mut at = 0;
        for output in &outputs {
            assert_eq!(output.items.len(), job_len(tick, output.job));
            for (index, &value) in output.items.iter().enumerate() {
                assert_eq!(value, encode(tick, output.job, index), "frame {tick}");
                assert_eq!(merged[at], value);
                at += 1;
            }
            let expected_label = if output.job % 2 == 0 {
                "even job"
            } else {
                "odd"
            };
            assert_eq!(output.label, expected_label);
            if let Some(expected) = previous_expected_sum {
                assert_eq!(
                    output.previous_sum, expected,
                    "frame {tick}: last frame's data"
                );
            }
        }
        assert!(
            main_side
                .iter()
                .enumerate()
                .all(|(i, &v)| v == i as u32 ^ tick as u32)
        );
        previous_expected_sum = Some(merged.iter().fold(0u64, |sum, &v| sum.wrapping_add(v)));
        kept = frame.keep(merged);
        assert!(kept.is_some());
        drop(outputs);

        let stats = frames.stats();
        let expected_worker_bytes: usize = (0..WORKERS)
            .map(|job| job_len(tick, job) * 8 + if job % 2 == 0 { 8 } else { 3 })
            .sum();
        assert_eq!(
            stats.worker_used_bytes, expected_worker_bytes,
            "frame {tick}"
        );
        // Frame: main side + merged (keeping allocates nothing); workers: items,
        // scratch (given back, but counted as an allocation), label.
        assert_eq!(
            stats.allocation_count,
            2 + WORKERS as u64 * 3,
            "frame {tick}"
        );
    }
    // The workers went over their 8 KiB budget on the biggest frames.
    assert!(frames.last_overflow().1 > 0);
}

#[test]
fn worker_arenas_move_between_threads_across_frames() {
    // Persistent threads: each frame, every worker arena is sent to a long-lived
    // thread over a channel, filled there, and sent back.
    use std::sync::mpsc;

    let mut frames = FrameArenas::new(FrameConfig {
        worker_count: 4,
        worker_budget_bytes: 4096,
        ..FrameConfig::default()
    });
    let mut senders = Vec::new();
    let (done_tx, done_rx) = mpsc::channel::<(usize, Arena, u64)>();
    let mut threads = Vec::new();
    for job in 0..4 {
        let (tx, rx) = mpsc::channel::<(Arena, u64)>();
        senders.push(tx);
        let done_tx = done_tx.clone();
        threads.push(std::thread::spawn(move || {
            for (arena, tick) in rx {
                let items = arena.alloc_slice_fill_with(1000 + job * 10, |i| encode(tick, job, i));
                let sum = items.iter().fold(0u64, |sum, &v| sum.wrapping_add(v));
                done_tx.send((job, arena, sum)).unwrap();
            }
        }));
    }
    drop(done_tx);

    for tick in 0..100u64 {
        let (frame, workers) = frames.begin_frame_with_workers();
        // Lend each arena to its thread (leaving a placeholder), then take it back.
        for (job, slot) in workers.iter_mut().enumerate() {
            let arena = std::mem::replace(slot, Arena::new("placeholder"));
            senders[job].send((arena, tick)).unwrap();
        }
        for _ in 0..4 {
            let (job, arena, sum) = done_rx.recv().unwrap();
            let expected = (0..1000 + job * 10)
                .map(|i| encode(tick, job, i))
                .fold(0u64, |sum, v| sum.wrapping_add(v));
            assert_eq!(sum, expected);
            workers[job] = arena;
        }
        // The data survived the trip: read it in the main thread.
        for (job, arena) in workers.iter().enumerate() {
            assert_eq!(arena.stats().used_bytes, (1000 + job * 10) * 8);
        }
        frame.alloc(tick);
    }
    drop(senders);
    for thread in threads {
        thread.join().unwrap();
    }
}
