//! Frame building split over threads: the same lists as [`build_draws`](super::build::build_draws),
//! element for element, built by chunks of objects on a rayon pool and joined in the
//! frame arena.
//!
//! 1. **Cull**, in parallel: each chunk of objects ([`Split`]) gets a worker
//!    arena from the frame's pool (`map_init`-style, one per run of chunks a thread
//!    takes), which holds the chunk's visible list and its count per bucket; the
//!    worker keeps both as `FrameSlice`s.
//! 2. **Place**, on the calling thread: the visible lists are joined into the frame
//!    (`Frame::concat`); the counts give each bucket's end, as the counting sort of
//!    the single-threaded build leaves them, and each chunk's run of each bucket in
//!    the key and instance lists, which are allocated in the frame and cut into
//!    those runs.
//! 3. **Fill**, in parallel when there are enough visible objects: each chunk
//!    writes the keys and instances of its visible objects into its runs. Chunks are in object order and each writes its objects
//!    in order, so every bucket ends up in ascending object order: the order the
//!    single-threaded counting sort gives.
//! 4. **Draws**, on the calling thread, from the keys and the bucket ends.

use super::build::{BuildInput, DrawSlices, instance_of, make_draws, touches_view};
use crate::gpu_types::Instance;
use bytemuck::Zeroable;
use engine::{ArenaVec, Frame, FrameSlice, WorkerArena};
use rayon::prelude::*;

/// How [`build_draws_in_parallel`] splits a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Split {
    /// Objects per chunk of the cull and the fill.
    pub chunk_objects: usize,
    /// Fewer visible objects than this are filled on the calling thread.
    pub parallel_fill_min_keys: usize,
}

impl Split {
    /// The demo's: chunks of 8,192 objects (a few per thread for balance, each
    /// big enough that a worker arena and two kept slices are a small share of its
    /// work), and the fill on the pool from 32,768 visible objects. Below that,
    /// handing the fill to another thread costs about as much as the fill itself:
    /// in one run of the `frame_building` bench with about 10,000 of 100,000
    /// objects visible on 2 threads, 272 µs a frame with the fill on the pool,
    /// 186 µs with it on the calling thread.
    pub const DEMO: Split = Split {
        chunk_objects: 8192,
        parallel_fill_min_keys: 32_768,
    };
}

/// Bucket counts per chunk that [`worker_budget_bytes`] makes room for.
const BUDGETED_BUCKETS: usize = 1024;

/// What a worker kept of one chunk: its visible objects and its count per bucket.
#[derive(Debug, Clone, Copy)]
struct Culled {
    visible: FrameSlice<u32>,
    counts: FrameSlice<u32>,
}

/// A worker arena's budget for frames of `object_count` objects: every chunk's
/// visible list and counts, which one worker holds if it culls every chunk. With it
/// no worker arena grows after the first frames, whatever the scheduling.
#[must_use]
pub fn worker_budget_bytes(object_count: usize) -> usize {
    let chunks = object_count.div_ceil(Split::DEMO.chunk_objects).max(1);
    object_count * size_of::<u32>() + chunks * BUDGETED_BUCKETS * size_of::<u32>()
}

/// The lists of [`build_draws`](super::build::build_draws) for `input`, built on
/// `threads` from the frame's worker pool as `split` says, and joined in the
/// frame. The overlay is left empty.
///
/// # Panics
/// If `split.chunk_objects` is 0.
pub fn build_draws_in_parallel<'f>(
    frame: &Frame<'f>,
    threads: &rayon::ThreadPool,
    input: &BuildInput<'_>,
    split: Split,
) -> DrawSlices<'f> {
    let chunk_objects = split.chunk_objects;
    assert!(chunk_objects > 0, "a chunk holds at least one object");
    let arena = frame.arena();
    let pool = frame.workers();
    let chunk_count = input.objects.len().div_ceil(chunk_objects);
    let bucket_count = input.bucket_count;

    // 1. Cull.
    let culled = arena.alloc_slice_fill_copy(chunk_count, None::<Culled>);
    {
        let _span = tracing::trace_span!("cull").entered();
        threads.install(|| {
            culled.par_iter_mut().enumerate().for_each_init(
                || pool.acquire(),
                |worker, (chunk, out)| *out = Some(cull_chunk(worker, chunk, chunk_objects, input)),
            );
        });
    }

    // 2. Place.
    let _span = tracing::trace_span!("sort_keys").entered();
    let culled = arena.alloc_slice_fill_with(chunk_count, |chunk| {
        culled[chunk].expect("every chunk was culled")
    });
    let visible_parts = arena.alloc_slice_fill_with(chunk_count, |chunk| culled[chunk].visible);
    let visible: &'f [u32] = frame.concat(visible_parts);
    let chunk_visible = arena.alloc_slice_fill_with(chunk_count, |chunk| {
        frame
            .read(culled[chunk].visible)
            .expect("the workers gave their arenas back")
    });
    let counts = arena.alloc_slice_fill_with(chunk_count, |chunk| {
        frame
            .read(culled[chunk].counts)
            .expect("the workers gave their arenas back")
    });
    let bucket_ends = arena.alloc_slice_fill_copy(bucket_count + 1, 0u32);
    let mut end = 0;
    for bucket in 0..bucket_count {
        end += counts.iter().map(|counts| counts[bucket]).sum::<u32>();
        bucket_ends[bucket] = end;
    }
    bucket_ends[bucket_count] = end;
    let total = end as usize;
    debug_assert_eq!(total, visible.len());
    let sort_keys = arena.alloc_slice_fill_copy(total, 0u64);
    let instances = arena.alloc_slice_fill_copy(total, Instance::zeroed());
    {
        // Chunk `c`'s run of bucket `b` is entry `c * bucket_count + b`; the runs lie
        // bucket by bucket, and within a bucket chunk by chunk.
        let runs = chunk_count * bucket_count;
        let key_runs = arena.alloc_slice_fill_with(runs, |_| <&mut [u64]>::default());
        let instance_runs = arena.alloc_slice_fill_with(runs, |_| <&mut [Instance]>::default());
        let (mut keys_left, mut instances_left) = (&mut *sort_keys, &mut *instances);
        for bucket in 0..bucket_count {
            for (chunk, counts) in counts.iter().enumerate() {
                let len = counts[bucket] as usize;
                let run = chunk * bucket_count + bucket;
                (key_runs[run], keys_left) = std::mem::take(&mut keys_left).split_at_mut(len);
                (instance_runs[run], instances_left) =
                    std::mem::take(&mut instances_left).split_at_mut(len);
            }
        }

        // 3. Fill.
        let _span = tracing::trace_span!("instances").entered();
        if total < split.parallel_fill_min_keys {
            let chunks = key_runs
                .chunks_mut(bucket_count.max(1))
                .zip(instance_runs.chunks_mut(bucket_count.max(1)))
                .zip(chunk_visible.iter());
            for ((keys, instances), visible) in chunks {
                fill_chunk(keys, instances, visible, input);
            }
        } else {
            threads.install(|| {
                key_runs
                    .par_chunks_mut(bucket_count)
                    .zip(instance_runs.par_chunks_mut(bucket_count))
                    .zip(chunk_visible.par_iter())
                    .for_each(|((keys, instances), visible)| {
                        fill_chunk(keys, instances, visible, input);
                    });
            });
        }
    }

    // 4. Draws.
    let _span = tracing::trace_span!("draws").entered();
    let mut draws = ArenaVec::new_in(arena);
    let mut draw_uniforms = ArenaVec::new_in(arena);
    make_draws(
        sort_keys,
        bucket_ends,
        &mut draws,
        &mut draw_uniforms,
        input,
    );
    DrawSlices {
        visible,
        bucket_ends,
        sort_keys,
        instances,
        draws: draws.into_slice(),
        draw_uniforms: draw_uniforms.into_slice(),
        overlay: &[],
    }
}

/// Culls chunk `chunk` in `worker`'s arena and keeps what it found.
fn cull_chunk(
    worker: &WorkerArena<'_>,
    chunk: usize,
    chunk_objects: usize,
    input: &BuildInput<'_>,
) -> Culled {
    let start = chunk * chunk_objects;
    let objects = &input.objects[start..(start + chunk_objects).min(input.objects.len())];
    let counts = worker.alloc_slice_fill_copy(input.bucket_count, 0u32);
    let mut visible = ArenaVec::with_capacity_in(objects.len(), &**worker);
    for (offset, object) in objects.iter().enumerate() {
        let kind = &input.kinds[usize::from(object.kind)];
        if touches_view(object, kind, input) {
            visible.push((start + offset) as u32);
            counts[kind.bucket as usize] += 1;
        }
    }
    let visible = visible.into_slice();
    Culled {
        visible: worker
            .keep(visible)
            .expect("the list is in the worker arena"),
        counts: worker
            .keep(counts)
            .expect("the counts are in the worker arena"),
    }
}

/// Writes the key and instance of each object of `visible` (one chunk's, in
/// order) into the next place of its bucket's run.
fn fill_chunk(
    keys: &mut [&mut [u64]],
    instances: &mut [&mut [Instance]],
    visible: &[u32],
    input: &BuildInput<'_>,
) {
    for &index in visible {
        let object = &input.objects[index as usize];
        let kind = &input.kinds[usize::from(object.kind)];
        let bucket = kind.bucket as usize;
        *take_first(&mut keys[bucket]) = kind.sort_prefix | u64::from(index);
        *take_first(&mut instances[bucket]) = instance_of(object);
    }
}

/// The first element of `run`, which then starts after it.
fn take_first<'a, T>(run: &mut &'a mut [T]) -> &'a mut T {
    let (first, rest) = std::mem::take(run)
        .split_first_mut()
        .expect("the run was cut to the chunk's count of its bucket");
    *run = rest;
    first
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lists::InArena;
    use crate::scene::build::tests::{input, scene, views};
    use crate::scene::build::{DrawLists, build_draws};
    use crate::threads::FrameThreads;
    use engine::{FrameArenas, FrameConfig};

    /// Asserts `got == expected`, naming the first element that differs.
    fn same<T: PartialEq + std::fmt::Debug>(got: &[T], expected: &[T], list: &str, case: &str) {
        assert_eq!(got.len(), expected.len(), "{list} length, {case}");
        if let Some(at) = (0..got.len()).find(|&at| got[at] != expected[at]) {
            panic!(
                "{list}[{at}] is {:?}, single-threaded {:?}; {case}",
                got[at], expected[at]
            );
        }
    }

    #[test]
    fn the_parallel_build_equals_the_single_threaded_one() {
        let scene = scene();
        let mut frames = FrameArenas::new(FrameConfig {
            worker_count: 2,
            ..FrameConfig::default()
        });
        for thread_count in [2, 3] {
            let threads = FrameThreads::new(thread_count).expect("rayon starts");
            let pool = threads.pool().expect("more than one thread");
            for (view_min, view_max) in views() {
                let input = input(&scene, view_min, view_max);
                // Chunk sizes: the demo's (one chunk here), uneven, tiny, one object;
                // the fill on the pool and on the calling thread.
                let splits = [Split::DEMO.chunk_objects, 1000, 37, 1]
                    .into_iter()
                    .flat_map(|chunk_objects| {
                        [0, usize::MAX].map(|parallel_fill_min_keys| Split {
                            chunk_objects,
                            parallel_fill_min_keys,
                        })
                    });
                for split in splits {
                    let frame = frames.begin_frame();
                    let mut lists = DrawLists::new_in(&InArena(frame.arena()));
                    build_draws(&mut lists, &input);
                    let single = lists.into_slices();
                    let parallel = build_draws_in_parallel(&frame, pool, &input, split);
                    let case =
                        format!("{thread_count} threads, {split:?}, view {view_min}..{view_max}");
                    same(parallel.visible, single.visible, "visible", &case);
                    same(
                        parallel.bucket_ends,
                        single.bucket_ends,
                        "bucket_ends",
                        &case,
                    );
                    same(parallel.sort_keys, single.sort_keys, "sort_keys", &case);
                    same(parallel.instances, single.instances, "instances", &case);
                    same(parallel.draws, single.draws, "draws", &case);
                    same(
                        parallel.draw_uniforms,
                        single.draw_uniforms,
                        "draw_uniforms",
                        &case,
                    );
                }
            }
        }
        assert!(frames.stats().worker_used_bytes > 0, "the workers culled");
    }

    #[test]
    fn the_worker_budget_holds_a_frame_culled_by_one_worker() {
        let scene = scene();
        let (view_min, view_max) = views()[0];
        let input = input(&scene, view_min, view_max);
        let objects = input.objects.len();
        let mut frames = FrameArenas::new(FrameConfig {
            worker_count: 1,
            worker_budget_bytes: worker_budget_bytes(objects),
            ..FrameConfig::default()
        });
        // One thread in the pool: one worker culls every chunk.
        let threads = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .expect("rayon starts");
        let frame = frames.begin_frame();
        let split = Split {
            chunk_objects: 1000,
            ..Split::DEMO
        };
        let visible = build_draws_in_parallel(&frame, &threads, &input, split)
            .visible
            .len();
        assert_eq!(visible, objects, "the whole world in view");
        let stats = frames.stats();
        assert!(stats.worker_used_bytes <= worker_budget_bytes(objects));
        assert_eq!(stats.overflow_bytes, 0);
    }
}
