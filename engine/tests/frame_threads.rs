//! Worker threads building frame data in parallel, handed to the main thread for
//! the rest of the frame, over many frames.

use allocator_api2::vec::Vec as ArenaVec;
use engine::{FrameArenas, FrameConfig, FrameSlice, WorkerArena};
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
struct JobOutput {
    job: usize,
    items: FrameSlice<u64>,
    label: FrameSlice<u8>,
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
        let frame = frames.begin_frame();
        let pool = frame.workers();
        let previous: Option<&[u64]> = kept.and_then(|handle| frame.previous(handle));
        assert_eq!(previous.is_some(), tick > 0, "frame {tick}: handoff");
        // All workers and the main thread start allocating at the same moment.
        let start = Barrier::new(WORKERS + 1);
        let (outputs, main_side) = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..WORKERS)
                .map(|job| {
                    let start = &start;
                    scope.spawn(move || {
                        let worker = pool.acquire();
                        start.wait();
                        let items = worker
                            .alloc_slice_fill_with(job_len(tick, job), |i| encode(tick, job, i));
                        // A growing collection in the worker arena, read back in place.
                        let mut scratch = ArenaVec::new_in(&*worker);
                        scratch.extend(items.iter().map(|&value| value ^ 0xFF));
                        assert!(
                            scratch
                                .iter()
                                .zip(items.iter())
                                .all(|(s, i)| s ^ 0xFF == *i)
                        );
                        drop(scratch);
                        let label = worker.alloc_str(if job % 2 == 0 { "even job" } else { "odd" });
                        // Every worker reads last frame's data at the same time.
                        let previous_sum = previous.map_or(0, |data| {
                            data.iter().fold(0u64, |sum, &v| sum.wrapping_add(v))
                        });
                        JobOutput {
                            job,
                            items: worker.keep(items).expect("items are in the worker arena"),
                            label: worker.keep(label.as_bytes()).expect("so is the label"),
                            previous_sum,
                        }
                    })
                })
                .collect();
            // Meanwhile the main thread allocates in the frame.
            start.wait();
            let main_side = frame.alloc_slice_fill_with(2000, |i| i as u32 ^ tick as u32);
            let outputs: Vec<JobOutput> = handles
                .into_iter()
                .map(|handle| handle.join().unwrap())
                .collect();
            (outputs, main_side)
        });

        // The rest of the frame uses what the workers built.
        assert_eq!(outputs.len(), WORKERS);
        let parts: Vec<FrameSlice<u64>> = outputs.iter().map(|output| output.items).collect();
        let merged = frame.concat(&parts);
        let total: usize = parts.iter().map(FrameSlice::len).sum();
        assert_eq!(merged.len(), total);
        let mut at = 0;
        for output in &outputs {
            let items = frame.read(output.items).expect("the worker is done");
            assert_eq!(items.len(), job_len(tick, output.job));
            for (index, &value) in items.iter().enumerate() {
                assert_eq!(value, encode(tick, output.job, index), "frame {tick}");
                assert_eq!(merged[at], value);
                at += 1;
            }
            let expected_label = if output.job % 2 == 0 {
                "even job"
            } else {
                "odd"
            };
            let label = frame.read(output.label).expect("the worker is done");
            assert_eq!(std::str::from_utf8(label), Ok(expected_label));
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
    // All six held an arena at once, never more: the pool did not grow.
    assert_eq!(frames.worker_count(), WORKERS);
}

#[test]
fn guards_move_to_the_threads_of_a_job_queue() {
    // A hand-made job queue: the main thread takes the worker arenas and sends each,
    // with its job, over a channel to whichever queue thread is free; the threads
    // send back what they kept.
    use std::sync::Mutex;
    use std::sync::mpsc;

    const THREADS: usize = 3;
    const JOBS: usize = 8;
    let mut frames = FrameArenas::new(FrameConfig {
        worker_count: JOBS,
        worker_budget_bytes: 4096,
        ..FrameConfig::default()
    });
    let mut last: Option<(Vec<FrameSlice<u64>>, u64)> = None;
    for tick in 0..100u64 {
        let frame = frames.begin_frame();
        let (job_tx, job_rx) = mpsc::channel::<(usize, WorkerArena<'_>)>();
        let (done_tx, done_rx) = mpsc::channel::<(usize, FrameSlice<u64>)>();
        let job_rx = Mutex::new(job_rx);
        let mut parts = std::thread::scope(|s| {
            for _ in 0..THREADS {
                let (job_rx, done_tx) = (&job_rx, done_tx.clone());
                s.spawn(move || {
                    loop {
                        let next = job_rx.lock().unwrap().recv();
                        let Ok((job, worker)) = next else { break };
                        let items =
                            worker.alloc_slice_fill_with(1000 + job * 10, |i| encode(tick, job, i));
                        done_tx.send((job, worker.keep(items).unwrap())).unwrap();
                    }
                });
            }
            for job in 0..JOBS {
                job_tx.send((job, frame.workers().acquire())).unwrap();
            }
            drop((job_tx, done_tx));
            done_rx.iter().collect::<Vec<_>>()
        });
        parts.sort_by_key(|&(job, _)| job);
        let parts: Vec<FrameSlice<u64>> = parts.into_iter().map(|(_, part)| part).collect();
        for (job, part) in parts.iter().enumerate() {
            let data = frame.read(*part).expect("the queue is done with it");
            assert_eq!(data.len(), 1000 + job * 10);
            assert!(
                data.iter()
                    .enumerate()
                    .all(|(i, &v)| v == encode(tick, job, i))
            );
        }
        // Last frame's parts, still there.
        if let Some((previous, previous_tick)) = last.take() {
            for (job, part) in previous.iter().enumerate() {
                let data = frame.previous(*part).expect("kept last frame");
                assert_eq!(
                    data[data.len() - 1],
                    encode(previous_tick, job, data.len() - 1)
                );
            }
        }
        last = Some((parts, tick));
    }
}
