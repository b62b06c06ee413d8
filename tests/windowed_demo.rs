//! The windowed demo under Xvfb: a few hundred frames with level switches, resizes
//! (a minimize included) and debris bursts, then a clean exit; and, with no display
//! at all, the fallback to headless.
//!
//! `harness = false`: winit wants the main thread, so this binary re-runs itself
//! as a child: under `xvfb-run` for the window, and with `DISPLAY` unset for the
//! fallback. Needs `xvfb-run` (Debian: `apt-get install xvfb`).

use demo::alloc_counter::{COUNTING, CountingAllocator};
use demo::options::Options;
use integration_tests::StatsCsv;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

#[global_allocator]
static GLOBAL: CountingAllocator = COUNTING;

const CHILD: &str = "WINDOWED_DEMO_CHILD";
const FRAMES: u64 = 300;
/// Debris bursts at frames 89, 179 and 269.
const SPIKE_EVERY: u64 = 90;

fn tmp(name: &str) -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join(name)
}

fn child_options(mode: &str) -> Options {
    Options {
        frames: Some(if mode == "window" { FRAMES } else { 30 }),
        size: (256, 256),
        objects: Some(2000),
        switch_every: Some(100),
        resize_every: Some(40),
        spike_every: Some(SPIKE_EVERY),
        trim_within_frames: 30,
        frame_budget: 1 << 20,
        vsync: false,
        stats: Some(tmp(&format!("{mode}.csv"))),
        ..Options::default()
    }
}

fn child(mode: &str) {
    let summary = demo::app::run(&child_options(mode))
        .unwrap_or_else(|error| panic!("windowed demo failed: {error}"));
    match mode {
        "window" => {
            assert!(!summary.fell_back_to_headless, "Xvfb provides a display");
            assert_eq!(summary.frames, FRAMES);
            assert!(
                summary.reconfigures >= 2,
                "the scripted resizes reconfigured the surface"
            );
        }
        "no-display" => assert!(summary.fell_back_to_headless),
        other => panic!("unknown child mode {other}"),
    }
    println!("child {mode}: {summary:?}");
}

fn run_child(mode: &str, command: &mut Command) {
    let runtime_dir = tmp("xdg-runtime");
    std::fs::create_dir_all(&runtime_dir).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&runtime_dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    }
    let status = command
        .env(CHILD, mode)
        .env("XDG_RUNTIME_DIR", &runtime_dir)
        .status()
        .unwrap_or_else(|error| panic!("cannot start the {mode} child: {error}"));
    assert!(status.success(), "the {mode} child failed: {status}");
}

fn main() {
    if let Ok(mode) = std::env::var(CHILD) {
        child(&mode);
        return;
    }
    // Like libtest: name filters (arguments not starting with '-') select checks.
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let selected =
        |name: &str| filters.is_empty() || filters.iter().any(|f| name.contains(f.as_str()));
    let exe = std::env::current_exe().unwrap();

    if selected("windowed demo under Xvfb") {
        let started = Instant::now();
        println!("test windowed demo under Xvfb, {FRAMES} frames ...");
        if Command::new("xvfb-run").arg("--help").output().is_err() {
            panic!("xvfb-run is not installed (Debian/Ubuntu: apt-get install xvfb)");
        }
        run_child(
            "window",
            Command::new("xvfb-run")
                .args(["-a", "-s", "-screen 0 1024x768x24"])
                .arg(&exe)
                .env_remove("WAYLAND_DISPLAY"),
        );
        let stats = StatsCsv::read(&tmp("window.csv"));
        let rows = &stats.rows;
        assert_eq!(rows.len() as u64, FRAMES, "one CSV row per presented frame");
        let levels: std::collections::BTreeSet<&str> =
            rows.iter().map(|row| row[1].as_str()).collect();
        assert_eq!(levels.len(), 2, "both levels were played");
        // After warm-up, frame building allocates only when the frame arenas take
        // chunks (a burst's growth, the reset after it, a trim).
        let allocating: Vec<u64> = rows
            .iter()
            .filter(|row| {
                stats.value(row, "frame") >= 30
                    && stats.value(row, "demo_allocs") > stats.value(row, "frame_chunks_taken")
            })
            .map(|row| stats.value(row, "frame"))
            .collect();
        assert!(
            allocating.is_empty(),
            "frame building allocated in frames {allocating:?}"
        );
        let bursts: Vec<u64> = rows
            .iter()
            .filter(|row| stats.value(row, "burst_fragments") > 0)
            .map(|row| stats.value(row, "frame"))
            .collect();
        assert_eq!(bursts, [89, 179, 269], "a burst every {SPIKE_EVERY} frames");
        let last = rows.last().unwrap();
        assert!(
            stats.value(last, "frame_trim_count") >= 2,
            "the first two bursts were given back by frame 299"
        );
        let wgpu: u64 = rows.iter().map(|row| stats.value(row, "wgpu_allocs")).sum();
        let chunk_frames = rows
            .iter()
            .filter(|row| stats.value(row, "frame") >= 30 && stats.value(row, "demo_allocs") > 0)
            .count();
        println!(
            "  after warm-up, heap allocations in frame building only for the frame arenas' chunks \
             ({chunk_frames} frames, around the bursts at {bursts:?}); wgpu (acquire, submit, present): {:.1} per frame",
            wgpu as f64 / rows.len() as f64
        );
        println!(
            "test windowed demo under Xvfb ... ok ({:.1} s)",
            started.elapsed().as_secs_f64()
        );
    }
    if selected("no display falls back to headless") {
        let started = Instant::now();
        println!("test no display falls back to headless ...");
        run_child(
            "no-display",
            Command::new(&exe)
                .env_remove("DISPLAY")
                .env_remove("WAYLAND_DISPLAY")
                .env_remove("WAYLAND_SOCKET"),
        );
        println!(
            "test no display falls back to headless ... ok ({:.1} s)",
            started.elapsed().as_secs_f64()
        );
    }
}
