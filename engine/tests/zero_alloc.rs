//! Once warm, a steady frame makes no call to the system allocator, nested scratch
//! included.
//!
//! A counting `#[global_allocator]` sees every allocation of the process, on every
//! thread. This binary runs without the test harness (`harness = false` in
//! Cargo.toml), so no harness thread allocates while frames are measured: the
//! counts are the frame code's alone.

use engine::{ArenaString, ArenaVec, FrameArenas, FrameConfig, FrameSlice, format_in};
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
///
/// `spike_bytes` more are taken in the frame, in scratch and in a worker arena: a
/// spike, when not 0.
fn run_frame(
    frames: &mut FrameArenas,
    tick: u64,
    last_positions: Option<FrameSlice<[f32; 2]>>,
    spike_bytes: usize,
) -> (Option<FrameSlice<[f32; 2]>>, u64) {
    let (frame, workers) = frames.begin_frame_with_workers();
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
    let moved = match last_positions.and_then(|kept| frame.previous(kept)) {
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
    // Worker arenas, used here on the main thread and read back by the frame.
    let culled = workers[0].alloc_slice_fill_with(256, |i| i as u32 * 2);
    let lights = workers[1].alloc_slice_fill_copy(32, [tick as f32; 4]);
    let merged = frame.alloc_slice_copy(culled);

    if spike_bytes > 0 {
        black_box(frame.alloc_slice_fill_copy(spike_bytes, 1u8));
        black_box(frame.scratch(|tmp| tmp.alloc_slice_fill_copy(spike_bytes, 2u8).len()));
        black_box(workers[0].alloc_slice_fill_copy(spike_bytes, 3u8));
    }
    let kept = frame.keep(positions);
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
        + lights[31][0] as u64
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

    // A budget well below what a frame needs: warm-up has to grow the buffers.
    let mut frames = FrameArenas::new(FrameConfig {
        name: "zero-alloc",
        budget_bytes: 16 * 1024,
        worker_count: 2,
        worker_budget_bytes: 512,
        scratch_capacity_bytes: 64,
        ..FrameConfig::default() // trimming on, as by default
    });
    let trim_within_frames = u64::from(frames.config().trim_within_frames.unwrap());
    const WARM_UP: u64 = 64;
    const MEASURED: u64 = 2_000;

    let before_warm_up = counts();
    let mut kept = None;
    let mut checksum = 0u64;
    for tick in 0..WARM_UP {
        let (next, sum) = run_frame(&mut frames, tick, kept, 0);
        kept = next;
        checksum = checksum.wrapping_add(sum);
    }
    let warm_up = since(before_warm_up);
    assert!(warm_up.0 > 0, "warm-up grew the frame buffers: {warm_up:?}");
    let (overflow, overflow_count) = frames.last_overflow();
    assert!(overflow_count > 0, "the small budget was exceeded");

    let before_measured = counts();
    for tick in WARM_UP..WARM_UP + MEASURED {
        let (next, sum) = run_frame(&mut frames, tick, kept, 0);
        kept = next;
        checksum = checksum.wrapping_add(sum);
    }
    let measured = since(before_measured);

    let grow_counts: Vec<(u64, u64, usize, usize)> = frames
        .arenas()
        .map(|arena| {
            let s = arena.stats();
            (
                s.grow_count,
                s.trim_count,
                s.committed_bytes,
                s.high_water_bytes,
            )
        })
        .collect();
    println!(
        "zero_alloc: warm-up of {WARM_UP} frames: {} allocs, {} reallocs, {} deallocs; \
         {MEASURED} measured frames: {} allocs, {} reallocs, {} deallocs \
         (last overflow {overflow:?}, {overflow_count} in all; per arena (grows, trims, committed, high-water) {grow_counts:?}; checksum {checksum})",
        warm_up.0, warm_up.1, warm_up.2, measured.0, measured.1, measured.2,
    );
    assert_eq!(
        measured,
        (0, 0, 0),
        "steady frames called the system allocator (alloc, realloc, dealloc)"
    );

    // A spike, then the trims that give its memory back: steady frames are back to
    // the committed bytes from before, and to no system allocator calls.
    let committed = |frames: &FrameArenas| -> usize {
        frames
            .arenas()
            .map(|arena| arena.stats().committed_bytes)
            .sum()
    };
    let committed_before_spike = committed(&frames);
    let mut tick = WARM_UP + MEASURED;
    let (next, sum) = run_frame(&mut frames, tick, kept, 4 << 20);
    (kept, checksum) = (next, checksum.wrapping_add(sum));
    tick += 1;
    let committed_in_spike = committed(&frames);
    assert!(committed_in_spike >= committed_before_spike + 3 * (4 << 20));
    let spike_end = tick + trim_within_frames;
    while tick < spike_end {
        let (next, sum) = run_frame(&mut frames, tick, kept, 0);
        (kept, checksum) = (next, checksum.wrapping_add(sum));
        tick += 1;
    }
    let committed_after_trims = committed(&frames);
    let trims: u64 = frames.arenas().map(|arena| arena.stats().trim_count).sum();
    assert_eq!(
        committed_after_trims, committed_before_spike,
        "the spike's memory went back within {trim_within_frames} frames ({trims} trims)"
    );
    let before_after_trims = counts();
    for tick in spike_end..spike_end + MEASURED {
        let (next, sum) = run_frame(&mut frames, tick, kept, 0);
        (kept, checksum) = (next, checksum.wrapping_add(sum));
    }
    let after_trims = since(before_after_trims);
    println!(
        "zero_alloc: one spike of 3 x 4 MiB: committed {committed_before_spike} -> \
         {committed_in_spike} -> {committed_after_trims} bytes after {trim_within_frames} \
         frames ({trims} trims); {MEASURED} frames after: {} allocs, {} reallocs, {} deallocs \
         (checksum {checksum})",
        after_trims.0, after_trims.1, after_trims.2,
    );
    assert_eq!(
        after_trims,
        (0, 0, 0),
        "steady frames after the trims called the system allocator (alloc, realloc, dealloc)"
    );
    println!("test zero_alloc ... ok");
}
