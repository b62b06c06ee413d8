//! The demo rendered offscreen (lavapipe in CI), in this process:
//!
//! - the README's picture, `demo/screenshot.png`, is what the demo renders: frame
//!   120 of the meadow level at 960x540 with 20,000 objects, within a tolerance
//!   (set `UPDATE_REFERENCE=1` to rewrite it after an intended change);
//! - the demo's own frame building makes zero heap allocations over 600 frames
//!   once warm (this binary installs the counting allocator), with the overlay's
//!   formatted text on screen and the status line formatted every 30 frames;
//! - switching levels back and forth ten times brings committed memory back to
//!   its baseline each time;
//! - debris bursts (`--spike-every`) make the frame arenas grow past their budget,
//!   and within `--trim-within-frames` frames their committed memory is back at its
//!   baseline (the GPU upload ring's too, within its regions in flight more), read
//!   from the `--stats` CSV; the only heap allocations in the demo's frame building
//!   are the arenas' own chunks;
//! - a level with a corrupt file fails to load with a message naming the file and
//!   the current level keeps running.
//!
//! `harness = false`: the allocation counts are process-wide, so the checks run
//! one after another on the main thread, not as parallel tests.

use demo::alloc_counter::{self, COUNTING, CountingAllocator};
use demo::options::Options;
use demo::renderer::gpu::GpuContext;
use demo::renderer::offscreen::OffscreenTarget;
use demo::scene::CameraInput;
use demo::state::DemoState;
use demo::stats::FrameReport;
use integration_tests::StatsCsv;
use std::path::{Path, PathBuf};
use std::time::Instant;

#[global_allocator]
static GLOBAL: CountingAllocator = COUNTING;

fn tmp(name: &str) -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join(name)
}

fn headless(frames: u64, size: (u32, u32), objects: usize) -> Options {
    Options {
        headless: true,
        frames: Some(frames),
        size,
        objects: Some(objects),
        ..Options::default()
    }
}

/// The picture both READMEs show, and the one this test compares against.
const REFERENCE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../demo/screenshot.png");

/// The README's settings: `--headless --frames 120 --size 960x540 --objects 20000
/// --no-overlay`. The overlay is off because it prints the last frame's CPU time
/// and wgpu's heap allocations, which change from run to run and from backend to
/// backend.
fn reference_options(screenshot: PathBuf) -> Options {
    Options {
        screenshot: Some(screenshot),
        overlay: false,
        ..headless(120, (960, 540), 20_000)
    }
}

/// Largest mean difference per colour channel, in 1/255 steps. The scene is the
/// same on every run (fixed time step, autopilot camera, seeded level), so what
/// may differ is the rasterizer: GPUs sample sprite edges with other sub-pixel
/// precision and round sRGB blending differently, which moves an edge pixel here
/// and there and changes other pixels by one step. Measured here: lavapipe over
/// Vulkan and llvmpipe over GL render the same bytes (0.000), while the picture
/// one simulated frame later is 11.6 off and the overlay alone 6.6; 2.0 leaves
/// room for other rasterizers and still fails on either.
const MAX_MEAN_ABS_DIFF: f64 = 2.0;

/// A channel off by more than this makes a pixel "far" off: a different colour,
/// not a rounding step (a sprite edge on the other side of a pixel centre, or a
/// sprite that moved or is missing).
const FAR_CHANNEL_DIFF: u8 = 48;

/// Largest share of far pixels. Edge pixels that flip stay well under 2%; one
/// simulated frame of motion makes 10% of the pixels far (measured here).
const MAX_FAR_PIXEL_FRACTION: f64 = 0.02;

fn reference_image() {
    let reference = Path::new(REFERENCE);
    let actual = tmp("screenshot.png");
    demo::headless::run(&reference_options(actual.clone()), |_, _| {}).expect("headless run");
    if std::env::var_os("UPDATE_REFERENCE").is_some() {
        std::fs::copy(&actual, reference).unwrap();
        println!("  updated {}", reference.display());
        return;
    }
    let expected = image::open(reference)
        .unwrap_or_else(|e| {
            panic!(
                "{}: {e} (UPDATE_REFERENCE=1 writes it)",
                reference.display()
            )
        })
        .to_rgba8();
    let got = image::open(&actual).unwrap().to_rgba8();
    assert_eq!(got.dimensions(), expected.dimensions());
    let mut sum = 0u64;
    let mut far = 0usize;
    let mut diff = image::RgbaImage::new(got.width(), got.height());
    for ((a, b), d) in got.pixels().zip(expected.pixels()).zip(diff.pixels_mut()) {
        let delta: [u8; 3] = std::array::from_fn(|c| a[c].abs_diff(b[c]));
        sum += delta.iter().map(|&v| u64::from(v)).sum::<u64>();
        if delta.iter().any(|&v| v > FAR_CHANNEL_DIFF) {
            far += 1;
        }
        *d = image::Rgba([delta[0], delta[1], delta[2], 255]);
    }
    let pixels = (got.width() * got.height()) as usize;
    let mean = sum as f64 / (pixels * 3) as f64;
    let far_fraction = far as f64 / pixels as f64;
    println!(
        "  mean abs diff {mean:.3}/255, {:.2}% of pixels off by more than {FAR_CHANNEL_DIFF}",
        far_fraction * 100.0
    );
    if mean > MAX_MEAN_ABS_DIFF || far_fraction > MAX_FAR_PIXEL_FRACTION {
        let diff_path = tmp("screenshot.diff.png");
        diff.save(&diff_path).unwrap();
        panic!(
            "the headless render differs from {}: mean abs diff {mean:.3} (limit {MAX_MEAN_ABS_DIFF}), \
             {:.2}% far pixels (limit {}%).\nactual: {}\ndiff: {}",
            reference.display(),
            far_fraction * 100.0,
            MAX_FAR_PIXEL_FRACTION * 100.0,
            actual.display(),
            diff_path.display()
        );
    }
}

/// Frame building on one thread and split over three draws the same frames: the
/// same counts every frame, and the same last picture, byte for byte.
fn threads_build_the_same_frames() {
    let run = |threads: usize| {
        let screenshot = tmp(&format!("threads-{threads}.png"));
        let options = Options {
            threads,
            screenshot: Some(screenshot.clone()),
            overlay: false,
            ..headless(120, (256, 256), 20_000)
        };
        let mut counts = Vec::new();
        demo::headless::run(&options, |_, report| {
            counts.push((report.visible_count, report.draw_count));
            assert_eq!(report.workers.threads, threads);
            if threads > 1 && report.visible_count > 0 {
                assert!(report.workers.used_bytes > 0, "the workers culled");
            }
        })
        .expect("headless run");
        (counts, image::open(&screenshot).unwrap().to_rgba8())
    };
    let (one_counts, one_picture) = run(1);
    let (three_counts, three_picture) = run(3);
    assert_eq!(one_counts.len(), 120);
    assert!(one_counts.iter().any(|&(visible, _)| visible > 0));
    assert_eq!(one_counts, three_counts, "(visible, draws) per frame");
    assert!(
        one_picture.as_raw() == three_picture.as_raw(),
        "the last frame's pictures differ"
    );
    println!("  120 frames: the same counts and the same last picture at 1 and 3 threads");
}

const WARM_UP_FRAMES: u64 = 60;
const MEASURED_FRAMES: u64 = 600;

fn zero_allocations() {
    assert!(
        alloc_counter::is_installed(),
        "this binary installs the counting allocator"
    );
    let options = Options {
        stats: Some(tmp("zero_allocations.csv")),
        ..headless(WARM_UP_FRAMES + MEASURED_FRAMES, (128, 128), 3000)
    };
    let mut offenders = Vec::new();
    let mut wgpu_allocations = 0u64;
    let mut settled: Option<(usize, usize)> = None;
    let mut warming_up_rects = None;
    demo::headless::run(&options, |_, report| {
        // Frame 0 has no report to show: its overlay says "warming up".
        let warming_up_rects = *warming_up_rects.get_or_insert(report.overlay_rects);
        if report.frame_index < WARM_UP_FRAMES {
            return;
        }
        assert!(
            report.overlay_rects > warming_up_rects,
            "frame {} draws the overlay's numbers ({} rectangles, {warming_up_rects} warming up)",
            report.frame_index,
            report.overlay_rects
        );
        if report.demo_heap.allocations != 0 && offenders.len() < 10 {
            offenders.push((report.frame_index, report.demo_heap.allocations));
        }
        wgpu_allocations += report.wgpu_heap.allocations;
        let committed = (report.frame.committed_bytes, report.ring.committed_bytes);
        assert_eq!(
            *settled.get_or_insert(committed),
            committed,
            "arenas grew after warm-up at frame {}",
            report.frame_index
        );
    })
    .expect("headless run");
    assert!(
        offenders.is_empty(),
        "the demo's frame building allocated on the heap (frame, allocations): {offenders:?}"
    );
    println!(
        "  {MEASURED_FRAMES} frames, 0 heap allocations in frame building; wgpu: {:.1} allocations per frame (encode/submit)",
        wgpu_allocations as f64 / MEASURED_FRAMES as f64
    );
}

const SWITCH_EVERY: u64 = 10;
const ROUND_TRIPS: u64 = 10;

fn level_switching() {
    // Level 0 for frames 0..10, level 1 for 10..20, level 0 again, ...: ten round trips.
    let options = Options {
        switch_every: Some(SWITCH_EVERY),
        ..headless(SWITCH_EVERY * (2 * ROUND_TRIPS + 1), (128, 128), 3000)
    };
    // The last frame of each visit.
    let mut visits: Vec<FrameReport> = Vec::new();
    demo::headless::run(&options, |_, report| {
        if report.frame_index % SWITCH_EVERY == SWITCH_EVERY - 1 {
            visits.push(report.clone());
        }
    })
    .expect("headless run");
    assert_eq!(visits.len() as u64, 2 * ROUND_TRIPS + 1);
    for (visit, report) in visits.iter().enumerate() {
        assert_eq!(
            report.level_index,
            visit % 2,
            "visit {visit} plays the expected level"
        );
    }
    // Each level's arenas hold the same memory on every visit.
    for level in 0..2 {
        let first = &visits[level];
        for report in visits.iter().skip(level).step_by(2) {
            assert_eq!(
                (
                    report.level.committed_bytes,
                    report.assets.committed_bytes,
                    report.level.used_bytes
                ),
                (
                    first.level.committed_bytes,
                    first.assets.committed_bytes,
                    first.level.used_bytes
                ),
                "level {level} at frame {}",
                report.frame_index
            );
        }
    }
    // After the first round trip everything is warm: committed memory (CPU arenas,
    // GPU ring) and the process heap come back to the same baseline on level 0.
    let baseline = &visits[2];
    for report in visits.iter().skip(2).step_by(2) {
        assert_eq!(
            report.cpu_committed_bytes(),
            baseline.cpu_committed_bytes(),
            "frame {}",
            report.frame_index
        );
        assert_eq!(
            report.ring.committed_bytes, baseline.ring.committed_bytes,
            "frame {}",
            report.frame_index
        );
        let drift = report.heap_live_bytes.abs_diff(baseline.heap_live_bytes);
        assert!(
            drift <= 256 * 1024,
            "process heap drifted by {drift} bytes between frame {} and frame {}",
            baseline.frame_index,
            report.frame_index
        );
    }
    let last = visits.last().unwrap();
    println!(
        "  {} switches; on level 0: cpu arenas {} B committed, gpu ring {} B, heap {} B live (drift {} B)",
        2 * ROUND_TRIPS,
        last.cpu_committed_bytes(),
        last.ring.committed_bytes,
        last.heap_live_bytes,
        last.heap_live_bytes.abs_diff(baseline.heap_live_bytes)
    );
}

const SPIKE_EVERY: u64 = 40;
const SPIKES: u64 = 3;
/// Far fewer than the default 240, so that the run stays short.
const TRIM_WITHIN_FRAMES: u32 = 24;
/// A small budget for a small scene: an ordinary frame (about 60 KiB here) fits,
/// and a burst (16 times that) does not.
const SPIKE_FRAME_BUDGET: usize = 256 << 10;
/// Frames before the first burst in which the threads and the worker pool settle
/// (the pool may grow once, on the heap, when a thread holds two worker arenas).
const SPIKE_WARM_UP_FRAMES: u64 = 30;

fn spikes_give_their_memory_back() {
    let csv = tmp("spikes.csv");
    let frames = SPIKE_EVERY * SPIKES + u64::from(TRIM_WITHIN_FRAMES) + 6;
    let options = Options {
        stats: Some(csv.clone()),
        spike_every: Some(SPIKE_EVERY),
        trim_within_frames: TRIM_WITHIN_FRAMES,
        frame_budget: SPIKE_FRAME_BUDGET,
        ..headless(frames, (128, 128), 3000)
    };
    demo::headless::run(&options, |_, _| {}).expect("headless run");
    let stats = StatsCsv::read(&csv);
    assert_eq!(stats.columns.join(","), demo::stats::CSV_HEADER);
    assert_eq!(stats.rows.len() as u64, frames);
    let committed = |frame| stats.get(frame, "frame_committed_bytes");
    let within = u64::from(TRIM_WITHIN_FRAMES);

    let spikes: Vec<u64> = (0..frames)
        .filter(|&frame| stats.get(frame, "burst_fragments") > 0)
        .collect();
    let scheduled: Vec<u64> = (1..=SPIKES).map(|n| n * SPIKE_EVERY - 1).collect();
    assert_eq!(spikes, scheduled, "a burst every {SPIKE_EVERY} frames");
    let baseline = committed(spikes[0] - 1);
    for &spike in &spikes {
        let before = spike - 1;
        assert_eq!(
            committed(before),
            baseline,
            "frame {before}: committed memory before the burst is where it was before the first"
        );
        let (used, usual) = (
            stats.get(spike, "frame_used_bytes"),
            stats.get(before, "frame_used_bytes"),
        );
        assert!(
            used >= 15 * usual && used > SPIKE_FRAME_BUDGET as u64,
            "frame {spike}: the burst used {used} bytes, an ordinary frame {usual}"
        );
        assert!(stats.get(spike, "frame_overflow_bytes") > 0);
        assert!(
            committed(spike) > baseline,
            "frame {spike}: the frame arenas grew for the burst"
        );
        // The debris was drawn: its draws were made and its instances uploaded.
        assert!(stats.get(spike, "draws") > stats.get(before, "draws"));
        let uploaded = stats.get(spike, "ring_used_bytes") - stats.get(before, "ring_used_bytes");
        let fragment_instances = stats.get(spike, "burst_fragments") * 20;
        assert!(
            uploaded >= fragment_instances / 2,
            "frame {spike}: {uploaded} more bytes uploaded for {fragment_instances} bytes of fragments"
        );
        // Back to the baseline by the configured frame, and there it stays.
        let back = (spike + 1..=spike + within)
            .find(|&frame| committed(frame) == baseline)
            .unwrap_or_else(|| {
                panic!(
                    "committed memory not back to {baseline} bytes within {within} frames of \
                     the burst at frame {spike}: {:?}",
                    (spike..=spike + within).map(committed).collect::<Vec<_>>()
                )
            });
        let next_burst = (spike + SPIKE_EVERY).min(frames);
        for frame in back..next_burst {
            assert_eq!(committed(frame), baseline, "frame {frame}");
        }
        assert!(
            stats.get(back, "frame_trim_count") > stats.get(before, "frame_trim_count"),
            "frame {back}: a trim gave the memory back"
        );
        // The GPU upload ring grew for the burst's instances and gives that back on
        // the same schedule (plus its regions in flight, which shrink in turn).
        let ring = |frame| stats.get(frame, "ring_committed_bytes");
        let ring_baseline = ring(before);
        assert!(ring(spike) > ring_baseline, "frame {spike}: the ring grew");
        let ring_back = (spike + 1..=spike + within + 2)
            .find(|&frame| ring(frame) == ring_baseline)
            .unwrap_or_else(|| {
                panic!(
                    "the ring not back to {ring_baseline} bytes within {within} frames and its                      regions of the burst at frame {spike}: {:?}",
                    (spike..=spike + within + 2).map(ring).collect::<Vec<_>>()
                )
            });
        println!(
            "  burst at frame {spike}: {} fragments, frame arenas used {usual} -> {used} bytes, \
             committed {baseline} -> {} -> {baseline} bytes at frame {back} ({} frames later; \
             trims {} -> {}); ring {ring_baseline} -> {} -> {ring_baseline} bytes at frame {ring_back}",
            stats.get(spike, "burst_fragments"),
            committed(spike),
            back - spike,
            stats.get(before, "frame_trim_count"),
            stats.get(back, "frame_trim_count"),
            ring(spike),
        );
    }

    // The demo's frame building touched the heap only for the arenas' own chunks
    // (the bursts' growth, the resets after them, the trims), never in other frames.
    for frame in SPIKE_WARM_UP_FRAMES..frames {
        let (allocations, chunks) = (
            stats.get(frame, "demo_allocs"),
            stats.get(frame, "frame_chunks_taken"),
        );
        assert!(
            allocations <= chunks,
            "frame {frame}: {allocations} heap allocations in frame building, {chunks} arena chunks"
        );
        if chunks > 0 {
            assert!(
                spikes
                    .iter()
                    .any(|&spike| (spike..=spike + within).contains(&frame)),
                "frame {frame}: the frame arenas took {chunks} chunks with no burst in the last {within} frames"
            );
        }
    }
}

fn corrupt_level_keeps_the_current_one() {
    let assets = tmp("corrupt-assets");
    let _ = std::fs::remove_dir_all(&assets);
    for level in ["meadow", "nebula"] {
        let dir = assets.join("levels").join(level);
        std::fs::create_dir_all(&dir).unwrap();
        for entry in std::fs::read_dir(
            demo::options::default_assets_dir()
                .join("levels")
                .join(level),
        )
        .unwrap()
        {
            let path = entry.unwrap().path();
            std::fs::copy(&path, dir.join(path.file_name().unwrap())).unwrap();
        }
    }
    let corrupt = assets.join("levels/nebula/vertices.asset");
    let mut bytes = std::fs::read(&corrupt).unwrap();
    bytes[40] ^= 0xff;
    std::fs::write(&corrupt, bytes).unwrap();

    let options = Options {
        assets: assets.clone(),
        ..headless(1, (64, 64), 500)
    };
    let gpu = GpuContext::new_headless().expect("an adapter");
    let target = OffscreenTarget::new(&gpu.device, 64, 64);
    let mut state = DemoState::new(gpu, OffscreenTarget::FORMAT, &options).expect("meadow loads");
    state.frame(
        target.view(),
        (64, 64),
        1.0 / 60.0,
        CameraInput::default(),
        None,
        None,
    );
    let error = state.switch_level(1).expect_err("nebula is corrupt");
    let message = error.to_string();
    assert!(
        message.contains("vertices.asset"),
        "the error names the file: {message}"
    );
    assert_eq!(state.scene().level.name(), "meadow");
    assert_eq!(state.scene().level_index, 0);
    let work = state.frame(
        target.view(),
        (64, 64),
        1.0 / 60.0,
        CameraInput::default(),
        None,
        None,
    );
    assert_eq!(work.object_count, 500, "meadow still runs");
    println!("  {message}");
}

fn main() {
    let checks: [(&str, fn()); 6] = [
        (
            "headless render matches the README's screenshot",
            reference_image,
        ),
        (
            "frames built on 1 and on 3 threads are the same",
            threads_build_the_same_frames,
        ),
        (
            "zero heap allocations in frame building over 600 frames",
            zero_allocations,
        ),
        (
            "level switching returns committed memory to its baseline",
            level_switching,
        ),
        (
            "debris bursts overflow the frame arenas, which give the memory back in time",
            spikes_give_their_memory_back,
        ),
        (
            "a corrupt level fails with the file named, the current level keeps running",
            corrupt_level_keeps_the_current_one,
        ),
    ];
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    for (name, check) in checks {
        if !filter.is_empty() && !filter.iter().any(|f| name.contains(f.as_str())) {
            continue;
        }
        let started = Instant::now();
        println!("test {name} ...");
        check();
        println!(
            "test {name} ... ok ({:.1} s)",
            started.elapsed().as_secs_f64()
        );
    }
}
