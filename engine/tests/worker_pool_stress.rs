//! 8 threads (more than this machine's cores) take and give back worker arenas in
//! random order, one or two at a time, for 10,000 frames. Every slice a job keeps
//! is read by the main thread as soon as the job sends it (while the other jobs
//! still allocate from the same arenas), joined at the end of the frame, and
//! checked again in the next frame; the heap is the same size at the end of every
//! frame once warm (once the frame's threads have exited). CI runs it under
//! AddressSanitizer.
//!
//! A counting `#[global_allocator]` measures the live heap of the whole process, so
//! this binary runs without the test harness (`harness = false`): no harness thread
//! allocates while it measures.

use engine::{ArenaVec, FrameArenas, FrameConfig, FrameSlice};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Barrier, mpsc};
use std::time::{Duration, Instant};

/// Wraps the system allocator and counts the bytes allocated and not yet freed.
struct LiveBytes;

static LIVE: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded to `System` unchanged; counting has no effect on
// the memory handed out.
unsafe impl GlobalAlloc for LiveBytes {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        // SAFETY: the caller's contract is `System`'s.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        // SAFETY: the caller's contract is `System`'s.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(new_size, Ordering::Relaxed);
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: the caller's contract is `System`'s.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: the caller's contract is `System`'s.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: LiveBytes = LiveBytes;

const THREADS: usize = 8;
const FRAMES: u64 = 10_000;
/// Frames after which the heap must stay the same size.
const WARM_UP: u64 = 16;
/// Jobs a thread runs per frame, at most; each takes one or two worker arenas.
const MAX_JOBS: usize = 4;
/// Values a job keeps, at most.
const MAX_VALUES: usize = 96;

/// xorshift64*: a deterministic sequence per thread and frame.
struct Rng(u64);

impl Rng {
    fn new(frame: u64, thread: usize) -> Rng {
        Rng((frame + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (thread as u64 + 1) << 32)
    }

    fn below(&mut self, bound: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 33) as usize % bound
    }
}

/// Which job kept a slice: frame, thread, job, and part of the job (0 or 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct JobId {
    frame: u64,
    thread: usize,
    job: usize,
    part: usize,
}

/// The values a job keeps: `len` of them, each naming the job and its position.
fn expected(id: JobId, len: usize) -> impl Iterator<Item = u64> {
    let tag = id.frame << 24 | (id.thread as u64) << 16 | (id.job as u64) << 8 | id.part as u64;
    (0..len as u64).map(move |i| tag << 16 | i)
}

/// The live heap once it is `expected` bytes, or after 5 s. A scoped thread tells
/// its scope that it is done before it frees its own handle, so some bytes of a
/// frame's threads can outlive the frame for a moment; memory the frame arenas
/// took would not go away.
fn settled_live(expected: usize) -> usize {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let live = LIVE.load(Ordering::SeqCst);
        if live == expected || Instant::now() > deadline {
            return live;
        }
        std::thread::yield_now();
    }
}

fn check(data: &[u64], id: JobId, len: usize, when: &str) {
    assert_eq!(data.len(), len, "{id:?} {when}");
    assert!(data.iter().copied().eq(expected(id, len)), "{id:?} {when}");
}

/// What a job hands the main thread: who kept it, how many values, the handle.
type Part = (JobId, usize, FrameSlice<u64>);

/// Parts per frame, at most: two per job.
const MAX_PARTS: usize = THREADS * MAX_JOBS * 2;

fn main() {
    let start = Instant::now();
    let mut frames = FrameArenas::new(FrameConfig {
        name: "stress",
        budget_bytes: 64 * 1024,
        // Fewer than the threads hold at once: the first frame grows the pool.
        worker_count: 4,
        // A worker arena never grows: it can hold the whole frame's work, which is
        // what it gets if one arena serves every job (about 50 KiB).
        worker_budget_bytes: 128 * 1024,
        ..FrameConfig::default()
    });
    // The bookkeeping lives in frame memory and on the stack, so that the heap's
    // size says only what the engine and the threads hold.
    let mut last: Option<FrameSlice<Part>> = None;
    let mut last_joined: Option<(FrameSlice<u64>, usize)> = None;
    let mut two_ago: [Option<FrameSlice<u64>>; MAX_PARTS] = [None; MAX_PARTS];
    let mut live_when_warm = None;
    let mut reads_while_running = 0u64;

    for tick in 0..FRAMES {
        let frame = frames.begin_frame();
        let pool = frame.workers();

        // Two frames ago: a checked refusal, never the memory.
        for part in two_ago.iter().flatten() {
            assert!(frame.previous(*part).is_none());
            assert!(frame.read(*part).is_err());
        }
        // Last frame's slices, and the join of them, in the next frame.
        let mut next_two_ago = [None; MAX_PARTS];
        if let Some(list) = last {
            let list = frame.previous(list).expect("last frame's list of parts");
            for (slot, &(id, len, part)) in next_two_ago.iter_mut().zip(list) {
                check(
                    frame.previous(part).expect("kept last frame"),
                    id,
                    len,
                    "in N+1",
                );
                *slot = Some(part);
            }
        }
        if let Some((joined, len)) = last_joined {
            assert_eq!(frame.previous(joined).map(<[u64]>::len), Some(len));
        }

        let (sent, received) = mpsc::channel::<Part>();
        // In the first frame every thread holds two arenas at the same moment, so
        // the pool grows to its largest there, in warm-up.
        let all_hold_two = Barrier::new(THREADS);
        let mut parts = std::thread::scope(|scope| {
            for thread in 0..THREADS {
                let (sent, all_hold_two) = (sent.clone(), &all_hold_two);
                scope.spawn(move || {
                    let mut rng = Rng::new(tick, thread);
                    let jobs = 1 + rng.below(MAX_JOBS);
                    for job in 0..jobs {
                        let first = pool.acquire();
                        let second = (tick == 0 || rng.below(3) == 0).then(|| pool.acquire());
                        if tick == 0 && job == 0 {
                            all_hold_two.wait();
                        }
                        let mut kept = [None, None];
                        let workers = [Some(&first), second.as_ref()];
                        for (part, worker) in workers.into_iter().enumerate() {
                            let Some(worker) = worker else { continue };
                            let id = JobId {
                                frame: tick,
                                thread,
                                job,
                                part,
                            };
                            let len = rng.below(MAX_VALUES + 1);
                            // A growing list, a slice allocated after it, and the
                            // list kept.
                            let mut list = ArenaVec::new_in(&**worker);
                            list.extend(expected(id, len));
                            let noise = worker.alloc_slice_fill_copy(rng.below(64), u64::MAX);
                            assert!(noise.iter().all(|&v| v == u64::MAX));
                            kept[part] = Some((id, len, worker.keep(&list).expect("in the arena")));
                            if rng.below(2) == 0 {
                                std::thread::yield_now();
                            }
                        }
                        // Given back in either order.
                        if rng.below(2) == 0 {
                            drop(first);
                            drop(second);
                        } else {
                            drop(second);
                            drop(first);
                        }
                        for handle in kept.into_iter().flatten() {
                            sent.send(handle).expect("the main thread listens");
                        }
                    }
                });
            }
            drop(sent);
            // Read each slice as it arrives: its job gave its arenas back, while
            // other jobs still allocate from them.
            let mut parts = ArenaVec::with_capacity_in(MAX_PARTS, frame.arena());
            for (id, len, part) in received {
                check(frame.read(part).expect("the job is done"), id, len, "in N");
                reads_while_running += 1;
                parts.push((id, len, part));
            }
            parts
        });

        parts.sort_unstable_by_key(|&(id, _, _)| id);
        let handles = frame.alloc_slice_fill_with(parts.len(), |i| parts[i].2);
        let joined = frame.concat(handles);
        let mut at = 0;
        for &(id, len, _) in parts.iter() {
            check(&joined[at..at + len], id, len, "joined");
            at += len;
        }
        assert_eq!(at, joined.len());
        last_joined = Some((frame.keep(joined).expect("in the frame"), joined.len()));
        last = frame.keep(parts.into_slice());
        two_ago = next_two_ago;

        // Once warm, the heap is the same size at the end of every frame.
        if tick + 1 == WARM_UP {
            std::thread::sleep(Duration::from_millis(100));
            live_when_warm = Some(LIVE.load(Ordering::SeqCst));
        } else if let Some(warm) = live_when_warm {
            let live = settled_live(warm);
            assert_eq!(live, warm, "frame {tick}: the heap changed size");
        }
    }
    let workers = frames.worker_count();
    assert!(
        workers >= 2 * THREADS,
        "every thread held two at once in frame 0: {workers}"
    );
    println!(
        "worker_pool_stress: {FRAMES} frames, {THREADS} threads, {reads_while_running} slices read \
         while other jobs ran, {workers} workers, heap {} bytes once warm, {:.1} s",
        live_when_warm.unwrap_or(0),
        start.elapsed().as_secs_f64()
    );
    println!("test worker_pool_stress ... ok");
}
