//! Once warm, a steady frame makes no call to the system allocator, nested scratch
//! and worker arenas used from rayon's threads included, and no system call for
//! memory: the arenas neither grow nor trim (with reserved backing, the default for
//! frame arenas on 64-bit systems, growth and trims are `mprotect`/`madvise` calls, which
//! no allocator sees), and, on one thread, the process takes no page fault
//! (`getrusage`): every page the frames touch is already mapped. (On several
//! threads, which worker arena takes which job changes from frame to frame, so a
//! warm worker arena can still touch a committed page for the first time.)
//!
//! A counting `#[global_allocator]` sees every allocation of the process, on every
//! thread. This binary runs without the test harness (`harness = false` in
//! Cargo.toml), so no harness thread allocates while frames are measured: the
//! counts are the frame code's alone. Rayon's pool threads run beside it: they are
//! made before the count starts, and the frame's parallel work goes through rayon
//! without allocating (jobs on the stack, split over a fixed array), so what they
//! add once warm is counted too and must be zero.

mod common;
use common::under_sanitizer;
use engine::{ArenaString, ArenaVec, FrameArenas, FrameConfig, FrameSlice, format_in};
use rayon::prelude::*;
use std::alloc::{GlobalAlloc, Layout, System};
use std::fmt::Write as _;
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};

/// Wraps the system allocator and counts calls into it.
struct CountingAllocator;

static ALLOCS: AtomicU64 = AtomicU64::new(0);
static REALLOCS: AtomicU64 = AtomicU64::new(0);
static DEALLOCS: AtomicU64 = AtomicU64::new(0);

// SAFETY: every call is forwarded to `System` unchanged; counting has no effect on
// the memory handed out.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller's contract is `System`'s.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller's contract is `System`'s.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        REALLOCS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller's contract is `System`'s.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        DEALLOCS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller's contract is `System`'s.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

/// Calls into the system allocator so far: (alloc, realloc, dealloc).
fn counts() -> (u64, u64, u64) {
    (
        ALLOCS.load(Ordering::SeqCst),
        REALLOCS.load(Ordering::SeqCst),
        DEALLOCS.load(Ordering::SeqCst),
    )
}

fn since(before: (u64, u64, u64)) -> (u64, u64, u64) {
    let now = counts();
    (now.0 - before.0, now.1 - before.1, now.2 - before.2)
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct Camera {
    view: [[f32; 4]; 4],
    frame: u64,
}

/// 64 bytes of per-instance GPU data.
#[derive(Debug, Clone, Copy, PartialEq)]
#[repr(C)]
struct Instance {
    transform: [f32; 12],
    color: [f32; 3],
    mesh: u32,
}

const OBJECTS: usize = 4000;

fn position(tick: u64, object: usize) -> [f32; 2] {
    let t = tick as f32 * 0.1;
    [object as f32 * 0.5 + t, (object % 97) as f32 - t]
}

/// One realistic frame; returns the handle to this frame's positions and a value
/// computed from everything (so nothing is optimized away).
/// What a frame hands the next: its positions, and the workers' culled lists.
#[derive(Clone, Copy)]
struct Kept {
    positions: FrameSlice<[f32; 2]>,
    culled: [FrameSlice<u32>; CHUNKS],
}

/// Parallel jobs per frame, each on a worker arena from the pool.
const CHUNKS: usize = 4;

/// What job `chunk` of frame `tick` culls: the objects it keeps, in order.
fn culled(tick: u64, chunk: usize) -> impl Iterator<Item = u32> {
    let per_chunk = OBJECTS / CHUNKS;
    (chunk * per_chunk..(chunk + 1) * per_chunk)
        .filter(move |object| !(*object as u64 + tick).is_multiple_of(3))
        .map(|object| object as u32)
}

fn run_frame(frames: &mut FrameArenas, tick: u64, last: Option<Kept>) -> (Option<Kept>, u64) {
    let frame = frames.begin_frame();
    assert_eq!(frame.index(), tick);
    // Frame sizes vary from frame to frame, within bounds.
    let visible_count = 1500 + (tick % 7) as usize * 100;

    let camera = frame.alloc(Camera {
        view: [[1.0, 0.0, 0.0, 0.0]; 4],
        frame: tick,
    });
    camera.view[3][3] = tick as f32;
    let positions = frame.alloc_slice_fill_with(OBJECTS, |object| position(tick, object));
    // Last frame's positions, through the handoff.
    let moved = match last.and_then(|kept| frame.previous(kept.positions)) {
        Some(previous) => {
            assert_eq!(previous.len(), OBJECTS);
            assert_eq!(previous[17], position(tick - 1, 17), "handoff corrupted");
            previous
                .iter()
                .zip(positions.iter())
                .filter(|(a, b)| a != b)
                .count()
        }
        None => {
            assert_eq!(tick, 0, "the handoff was lost");
            0
        }
    };
    let visible = frame.alloc_slice_fill_with(visible_count, |i| ((i * 7919) % OBJECTS) as u32);
    // Sort keys in a growing collection (starts empty, grows several times).
    let mut keys = ArenaVec::new_in(frame.arena());
    for &object in visible.iter() {
        let depth = positions[object as usize][1].to_bits() as u64;
        keys.push((depth << 32) | object as u64);
    }
    keys.sort_unstable();
    // Scratch: a histogram in a growing collection, and inside it a nested scratch
    // (a second arena) whose result goes into the frame, where it outlives both.
    let (busiest_mesh, batches) = frame.scratch(|tmp| {
        let mut histogram = ArenaVec::new_in(&**tmp);
        histogram.resize(16 + (tick % 5) as usize * 8, 0u32);
        let slots = histogram.len();
        for &key in keys.iter() {
            histogram[(key & 0xffff_ffff) as usize % slots] += 1;
        }
        let batches = frame.scratch(|inner| {
            let starts = inner.alloc_slice_fill_with(slots, |i| histogram[i]);
            let mut running = 0;
            for start in starts.iter_mut() {
                (*start, running) = (running, running + *start);
            }
            frame.alloc_slice_copy(starts)
        });
        let busiest = (0..slots).max_by_key(|&i| histogram[i]).unwrap_or(0);
        (busiest as u64, batches)
    });
    assert_eq!(batches[0], 0);
    let instances = frame.alloc_slice_fill_with(keys.len(), |i| Instance {
        transform: [i as f32; 12],
        color: [1.0, 0.5, 0.25],
        mesh: (keys[i] & 0xffff_ffff) as u32,
    });
    // A lookup table in the frame.
    let mut by_mesh = hashbrown::HashMap::with_capacity_in(64, frame.arena());
    for instance in instances.iter().take(64) {
        *by_mesh.entry(instance.mesh % 16).or_insert(0u32) += 1;
    }
    // Strings: copied and formatted.
    let label = frame.alloc_str("main camera");
    let mut text = ArenaString::new_in(frame.arena());
    write!(
        text,
        "frame {tick}: {} visible, {} moved",
        visible.len(),
        moved
    )
    .unwrap();
    let overlay = format_in!(&frame, "{label}: {:.2} ms", tick as f32 * 0.25);
    // A list of unknown length, frozen and kept like the positions.
    let near = frame.alloc_iter(
        keys.iter()
            .map(|key| *key as u32)
            .filter(|object| object % 3 == 0),
    );
    // Worker arenas from rayon's threads: each job culls a chunk into a growing list
    // in its arena, reads what its chunk kept last frame, and keeps its list; the
    // frame joins the lists.
    let pool = frame.workers();
    let previous_culled = last.map(|kept| kept.culled.map(|part| frame.previous(part)));
    let mut parts: [Option<FrameSlice<u32>>; CHUNKS] = [None; CHUNKS];
    parts
        .par_iter_mut()
        .enumerate()
        .with_max_len(1)
        .for_each_init(
            || pool.acquire(),
            |worker, (chunk, part)| {
                let mut list = ArenaVec::new_in(&**worker);
                list.extend(culled(tick, chunk));
                let lights = worker.alloc_slice_fill_copy(32, [tick as f32; 4]);
                assert_eq!(lights[31][0], tick as f32);
                *part = worker.keep(&list);
            },
        );
    let parts = parts.map(|part| part.expect("the job kept its list"));
    let merged = frame.concat(&parts);
    assert!(
        merged
            .iter()
            .copied()
            .eq((0..CHUNKS).flat_map(|chunk| culled(tick, chunk)))
    );
    if let Some(previous) = previous_culled {
        for (chunk, part) in previous.into_iter().enumerate() {
            let part = part.expect("last frame's worker data");
            assert!(
                part.iter().copied().eq(culled(tick - 1, chunk)),
                "handoff corrupted"
            );
        }
    }

    let kept = frame.keep(positions).map(|positions| Kept {
        positions,
        culled: parts,
    });
    assert!(kept.is_some());
    let checksum = camera.view[3][3] as u64
        + keys[0]
        + instances.iter().map(|i| i.mesh as u64).sum::<u64>()
        + by_mesh.values().map(|&n| n as u64).sum::<u64>()
        + label.len() as u64
        + text.len() as u64
        + overlay.len() as u64
        + near.len() as u64
        + merged[255] as u64
        + busiest_mesh
        + batches[batches.len() - 1] as u64;
    drop((keys, by_mesh, text));
    // Telemetry each frame: none of it may allocate either.
    let stats = frames.stats();
    assert_eq!(stats.frame_index, tick);
    assert!(stats.used_bytes > OBJECTS * 8);
    assert!(stats.allocation_count >= 10);
    if let Some(last) = frames.last_frame_stats() {
        assert_eq!(last.frame_index + 1, tick);
    }
    black_box(frames.last_overflow());
    black_box(
        frames
            .arenas()
            .map(|arena| arena.stats().committed_bytes)
            .sum::<usize>(),
    );
    (kept, checksum)
}

fn main() {
    // The counter sees allocations (so a zero below means something).
    let before = counts();
    let boxed = black_box(Box::new([7u8; 100]));
    let mut grown = black_box(Vec::<u8>::with_capacity(1));
    grown.extend_from_slice(&*boxed);
    drop((boxed, grown));
    let (allocs, reallocs, deallocs) = since(before);
    assert!(
        allocs >= 2 && reallocs >= 1 && deallocs >= 2,
        "counter broken"
    );

    // Each rayon thread holds at most one worker arena at a time (a job's arena is
    // given back before the thread takes the next job), so the pool never needs more
    // workers than there are threads.
    const THREADS: usize = 3;
    let threads = rayon::ThreadPoolBuilder::new()
        .num_threads(THREADS)
        .build()
        .expect("rayon's threads start");
    // A budget well below what a frame needs: warm-up has to grow the buffers. The
    // workers start big enough for all of a frame's jobs (about 5 KiB each): which
    // of them rayon's scheduling uses, and for how many jobs, is not the same in
    // every frame, so one could first need to grow after warm-up.
    let config = FrameConfig {
        name: "zero-alloc",
        budget_bytes: 16 * 1024,
        worker_count: THREADS,
        worker_budget_bytes: 32 * 1024,
        scratch_capacity_bytes: 64,
        ..FrameConfig::default() // trimming on, as by default
    };
    let mut frames = FrameArenas::new(config.clone());
    const WARM_UP: u64 = 64;
    const MEASURED: u64 = 2_000;

    // The whole run on rayon's threads, so that the frame's parallel work is pushed
    // on a worker's own queue rather than injected from outside (which allocates).
    threads.install(|| run(&mut frames, WARM_UP, MEASURED, false));
    assert_eq!(frames.worker_count(), THREADS, "the pool did not grow");

    // The same frames on one thread, where every frame touches the same pages once
    // warm: no page faults either.
    let one_thread = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("rayon's thread starts");
    let mut frames = FrameArenas::new(FrameConfig {
        name: "zero-faults",
        worker_count: 1,
        ..config
    });
    one_thread.install(|| run(&mut frames, WARM_UP, MEASURED / 2, true));
    println!("test zero_alloc ... ok");
}

/// Runs warm-up then measured frames, and checks that the measured ones made no
/// call to the system allocator, grew or trimmed no arena, and (if
/// `check_faults`) took no page fault.
fn run(frames: &mut FrameArenas, warm_up: u64, measured: u64, check_faults: bool) {
    let before_warm_up = counts();
    let mut kept = None;
    let mut checksum = 0u64;
    for tick in 0..warm_up {
        let (next, sum) = run_frame(frames, tick, kept);
        kept = next;
        checksum = checksum.wrapping_add(sum);
    }
    let warm_up_counts = since(before_warm_up);
    assert!(
        warm_up_counts.0 > 0,
        "warm-up grew the frame buffers: {warm_up_counts:?}"
    );
    let (overflow, overflow_count) = frames.last_overflow();
    assert!(overflow_count > 0, "the small budget was exceeded");

    let arena_counts = |frames: &FrameArenas| -> Vec<(u64, u64)> {
        frames
            .arenas()
            .map(|arena| {
                let stats = arena.stats();
                (stats.grow_count, stats.trim_count)
            })
            .collect()
    };
    let arenas_before = arena_counts(frames);
    let faults_before = page_faults();
    let before_measured = counts();
    for tick in warm_up..warm_up + measured {
        let (next, sum) = run_frame(frames, tick, kept);
        kept = next;
        checksum = checksum.wrapping_add(sum);
    }
    let measured_counts = since(before_measured);
    let faults = page_faults().map(|(minor, major)| {
        let (minor_before, major_before) = faults_before.expect("read before");
        (minor - minor_before, major - major_before)
    });

    let arenas_after = arena_counts(frames);
    println!(
        "zero_alloc: warm-up of {warm_up} frames: {} allocs, {} reallocs, {} deallocs; \
         {measured} measured frames: {} allocs, {} reallocs, {} deallocs \
         page faults (minor, major) {faults:?} \
         (last overflow {overflow:?}, {overflow_count} in all; (grow, trim) counts {arenas_after:?}; checksum {checksum})",
        warm_up_counts.0,
        warm_up_counts.1,
        warm_up_counts.2,
        measured_counts.0,
        measured_counts.1,
        measured_counts.2,
    );
    assert_eq!(
        measured_counts,
        (0, 0, 0),
        "steady frames called the system allocator (alloc, realloc, dealloc)"
    );
    assert_eq!(
        arenas_after, arenas_before,
        "steady frames grew or trimmed an arena (grow, trim counts)"
    );
    // AddressSanitizer's allocator and shadow memory fault on their own.
    if let Some(faults) = faults.filter(|_| check_faults && !under_sanitizer()) {
        assert_eq!(
            faults,
            (0, 0),
            "steady frames took page faults (minor, major)"
        );
    }
}

/// Page faults of the whole process so far, minor and major, from `getrusage`;
/// `None` where it is not available.
fn page_faults() -> Option<(i64, i64)> {
    #[cfg(unix)]
    {
        let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
        // SAFETY: `getrusage` writes one `rusage` through the pointer, which points
        // to one, and reads nothing else.
        let status = unsafe { libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr()) };
        if status != 0 {
            return None;
        }
        // SAFETY: `getrusage` succeeded, so it filled the struct (zeroed before,
        // so every field is initialized either way).
        let usage = unsafe { usage.assume_init() };
        Some((usage.ru_minflt, usage.ru_majflt))
    }
    #[cfg(not(unix))]
    None
}
