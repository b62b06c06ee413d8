//! Frame memory on many threads: 1, 2, 4 and 8 threads each allocate 10,000 small
//! values (`u64`) per frame, for 1,000 frames, from
//! - `engine`: a worker arena from the frame's pool (`frame.workers().acquire()`),
//!   with `FrameArenas::begin_frame` starting each frame;
//! - `bump_scope`: bump-scope's `BumpPool` (`pool.get()`), reset each frame;
//! - `global`: the global allocator, a `Box` per value, kept in a reused `Vec` per
//!   thread and freed at the end of the frame;
//! - `loop_only`: the same frames and loop (each value through `black_box`) with no
//!   allocation: what the job system and the loop cost, which every contender's
//!   figure includes. A frame's `broadcast` wakes the pool's threads, some
//!   microseconds, the same order as 10,000 arena allocations.
//!
//! Group `parallel/main_thread` runs the engine's and `BumpPool`'s frames on the
//! calling thread, with no job system, as a floor for the 1-thread figures.
//!
//! The threads are a rayon pool of that many threads; each frame is one
//! `broadcast`, so every thread runs one job, and its cost is in every contender's
//! figure. A timed iteration is 1,000 whole frames, the frame's start and end
//! (reset, or the frees) included. Criterion's throughput is per thread: values one
//! thread allocates per second, while all the others do the same.
//!
//! ```text
//! cargo bench -p engine --bench parallel
//! ```

// `criterion_group!` generates an undocumented `pub fn benches`.
#![allow(missing_docs)]
// A `Box` per value, kept in a `Vec`, is the global allocator's side of the work.
#![allow(clippy::vec_box)]

use bump_scope::BumpPool;
use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, Throughput, criterion_group, criterion_main};
use engine::{FrameArenas, FrameConfig};
use std::hint::black_box;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Values each thread allocates per frame.
const VALUES: usize = 10_000;
/// Frames per timed iteration.
const FRAMES: usize = 1_000;

/// One thread's share of a frame, in a worker arena of the pool.
#[inline(never)]
fn engine_job(worker: &engine::Arena) {
    for i in 0..VALUES as u64 {
        black_box(worker.alloc(black_box(i)));
    }
}

/// One thread's share of a frame, in a bump of bump-scope's pool.
#[inline(never)]
fn bump_scope_job(bump: &bump_scope::BumpScope<'_>) {
    for i in 0..VALUES as u64 {
        black_box(bump.alloc(black_box(i)).into_mut());
    }
}

/// One thread's share of a frame without the allocations.
#[inline(never)]
fn loop_only_job() {
    for i in 0..VALUES as u64 {
        black_box(black_box(i));
    }
}

/// One thread's share of a frame, a `Box` per value, freed at the frame's end.
#[inline(never)]
fn global_job(kept: &mut Vec<Box<u64>>) {
    for i in 0..VALUES as u64 {
        kept.push(Box::new(black_box(i)));
    }
    black_box(&*kept);
    kept.clear();
}

fn engine_frames(threads: &rayon::ThreadPool, frames: &mut FrameArenas, count: usize) {
    for _ in 0..count {
        let frame = frames.begin_frame();
        let pool = frame.workers();
        threads.broadcast(|_| engine_job(&pool.acquire()));
    }
}

fn bump_scope_frames(threads: &rayon::ThreadPool, pool: &mut BumpPool, count: usize) {
    for _ in 0..count {
        pool.reset();
        let pool = &*pool;
        threads.broadcast(|_| bump_scope_job(&pool.get()));
    }
}

fn global_frames(threads: &rayon::ThreadPool, kept: &[Mutex<Vec<Box<u64>>>], count: usize) {
    for _ in 0..count {
        threads.broadcast(|context| {
            let mut kept = kept[context.index()].lock().expect("no job panicked");
            global_job(&mut kept);
        });
    }
}

fn loop_only_frames(threads: &rayon::ThreadPool, count: usize) {
    for _ in 0..count {
        threads.broadcast(|_| loop_only_job());
    }
}

/// Times `iters` iterations of 1,000 frames.
fn timed(iters: u64, mut frames: impl FnMut(usize)) -> Duration {
    let start = Instant::now();
    for _ in 0..iters {
        frames(FRAMES);
    }
    start.elapsed()
}

fn contenders(group: &mut BenchmarkGroup<'_, WallTime>, thread_count: usize) {
    let threads = rayon::ThreadPoolBuilder::new()
        .num_threads(thread_count)
        .build()
        .expect("rayon's threads start");

    let mut frames = FrameArenas::new(FrameConfig {
        worker_count: thread_count,
        worker_budget_bytes: VALUES * 8,
        ..FrameConfig::default()
    });
    group.bench_function("engine", |b| {
        b.iter_custom(|iters| timed(iters, |count| engine_frames(&threads, &mut frames, count)));
    });

    let mut pool: BumpPool = BumpPool::new();
    group.bench_function("bump_scope", |b| {
        b.iter_custom(|iters| timed(iters, |count| bump_scope_frames(&threads, &mut pool, count)));
    });

    let kept: Vec<Mutex<Vec<Box<u64>>>> = (0..thread_count)
        .map(|_| Mutex::new(Vec::with_capacity(VALUES)))
        .collect();
    group.bench_function("global", |b| {
        b.iter_custom(|iters| timed(iters, |count| global_frames(&threads, &kept, count)));
    });

    group.bench_function("loop_only", |b| {
        b.iter_custom(|iters| timed(iters, |count| loop_only_frames(&threads, count)));
    });
}

/// The same frames on the calling thread, no job system.
fn main_thread(group: &mut BenchmarkGroup<'_, WallTime>) {
    let mut frames = FrameArenas::new(FrameConfig {
        worker_count: 1,
        worker_budget_bytes: VALUES * 8,
        ..FrameConfig::default()
    });
    group.bench_function("engine", |b| {
        b.iter_custom(|iters| {
            timed(iters, |count| {
                for _ in 0..count {
                    let frame = frames.begin_frame();
                    engine_job(&frame.workers().acquire());
                }
            })
        });
    });
    let mut pool: BumpPool = BumpPool::new();
    group.bench_function("bump_scope", |b| {
        b.iter_custom(|iters| {
            timed(iters, |count| {
                for _ in 0..count {
                    pool.reset();
                    bump_scope_job(&pool.get());
                }
            })
        });
    });
}

fn parallel(c: &mut Criterion) {
    let mut group = c.benchmark_group("parallel/main_thread");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .throughput(Throughput::Elements((VALUES * FRAMES) as u64));
    main_thread(&mut group);
    group.finish();
    for thread_count in [1, 2, 4, 8] {
        let mut group = c.benchmark_group(format!("parallel/{thread_count}_threads"));
        group
            .sample_size(10)
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(5))
            .throughput(Throughput::Elements((VALUES * FRAMES) as u64));
        contenders(&mut group, thread_count);
        group.finish();
    }
}

criterion_group!(benches, parallel);
criterion_main!(benches);
