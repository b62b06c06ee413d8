//! End to end: the engine's frame loop with the `tracy` feature, and this test in
//! the profiler's place.
//!
//! The test builds the `game_loop` and `tracy_allocations` examples with
//! `--features tracy` (a nested `cargo build`, so plain `cargo test --workspace`
//! runs it), starts one with `TRACY_PORT` set to a free port and
//! `--wait-for-profiler`, connects as the Tracy profiler does (protocol 82
//! handshake, LZ4 frames decoded with the stream's dictionary, events sized by the
//! vendored `TracyQueue.hpp`), and reads every event until the program exits. The
//! program writes its own per-frame `MemoryReport` as CSV; every number Tracy got
//! must equal the engine's for the same frame.

mod tracy_protocol;

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};
use tracy_protocol::capture::{Capture, PoolAtMark};
use tracy_protocol::queue::QueueLayout;
use tracy_protocol::wire::WELCOME_FLAG_ON_DEMAND;

/// The examples, built with Tracy, and the client's headers.
struct Build {
    game_loop: PathBuf,
    tracy_allocations: PathBuf,
    layout: QueueLayout,
}

/// Builds the examples once per test binary.
fn build() -> &'static Build {
    static BUILD: OnceLock<Build> = OnceLock::new();
    BUILD.get_or_init(|| {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("../Cargo.toml");
        let output = Command::new(cargo)
            .arg("build")
            .arg("--manifest-path")
            .arg(&manifest)
            .args(["-p", "engine", "--features", "tracy"])
            .args(["--example", "game_loop", "--example", "tracy_allocations"])
            .args(["--message-format", "json-render-diagnostics"])
            .stderr(Stdio::inherit())
            .output()
            .expect("cargo runs");
        assert!(
            output.status.success(),
            "building the examples with --features tracy failed"
        );
        let mut executables = BTreeMap::new();
        let mut tracy_sys_dir = None;
        for line in String::from_utf8_lossy(&output.stdout).lines() {
            let Ok(message) = serde_json::from_str::<serde_json::Value>(line) else {
                continue;
            };
            if message["reason"] != "compiler-artifact" {
                continue;
            }
            if let Some(executable) = message["executable"].as_str() {
                let name = message["target"]["name"].as_str().unwrap_or_default();
                executables.insert(name.to_owned(), PathBuf::from(executable));
            }
            let package = message["package_id"].as_str().unwrap_or_default();
            if package.contains("tracy-client-sys") {
                let manifest = message["manifest_path"]
                    .as_str()
                    .expect("artifacts name their manifest");
                tracy_sys_dir = Some(Path::new(manifest).parent().expect("a file").to_path_buf());
            }
        }
        let common = tracy_sys_dir
            .expect("tracy-client-sys was part of the build")
            .join("tracy/common");
        Build {
            game_loop: executables
                .remove("game_loop")
                .expect("game_loop was built"),
            tracy_allocations: executables
                .remove("tracy_allocations")
                .expect("tracy_allocations was built"),
            layout: QueueLayout::from_headers(&common).expect("TracyQueue.hpp parses"),
        }
    })
}

/// One row of `MemoryReport::write_csv`.
#[derive(Debug, Clone)]
struct Row {
    frame_index: u64,
    kind: String,
    name: String,
    used_bytes: u64,
    committed_bytes: u64,
    grow_events: u64,
    overflow_bytes: u64,
    reset_count: u64,
}

/// The CSV's rows, by arena name, in frame order.
fn read_report(path: &Path) -> BTreeMap<String, Vec<Row>> {
    let text = std::fs::read_to_string(path).expect("the program wrote its report");
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some(engine::MemoryReport::CSV_HEADER));
    let mut arenas: BTreeMap<String, Vec<Row>> = BTreeMap::new();
    for line in lines {
        let fields: Vec<&str> = line.split(',').collect();
        let columns = engine::MemoryReport::CSV_HEADER.split(',').count();
        assert_eq!(fields.len(), columns, "row `{line}`");
        let number = |at: usize| {
            fields[at]
                .parse::<u64>()
                .unwrap_or_else(|_| panic!("row `{line}`"))
        };
        let row = Row {
            frame_index: number(0),
            kind: fields[1].to_owned(),
            name: fields[2].to_owned(),
            used_bytes: number(3),
            committed_bytes: number(4),
            grow_events: number(7),
            overflow_bytes: number(8),
            reset_count: number(9),
        };
        arenas.entry(row.name.clone()).or_default().push(row);
    }
    arenas
}

/// A child process, killed if the test fails before it exits.
struct Program(Child);

impl Drop for Program {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Program {
    /// Waits for the program to exit successfully.
    fn finish(mut self, deadline: Instant) {
        loop {
            if let Some(status) = self.0.try_wait().expect("wait") {
                assert!(status.success(), "the program failed: {status}");
                return;
            }
            assert!(Instant::now() < deadline, "the program did not exit");
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

fn free_port() -> u16 {
    TcpListener::bind(("127.0.0.1", 0))
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}

/// Runs `program` with Tracy on a free port, as the profiler; returns what Tracy
/// got and the program's own report.
fn run(program: &Path, args: &[&str], name: &str) -> (Capture, BTreeMap<String, Vec<Row>>) {
    let deadline = Instant::now() + Duration::from_secs(120);
    let csv = std::env::temp_dir().join(format!("tracy-wire-{name}-{}.csv", std::process::id()));
    let port = free_port();
    let child = Command::new(program)
        .args(args)
        .args(["--wait-for-profiler", "60", "--telemetry-csv"])
        .arg(&csv)
        .env("TRACY_PORT", port.to_string())
        .env_remove("TRACY_NO_EXIT")
        .stdout(Stdio::null())
        .spawn()
        .expect("the example starts");
    let program = Program(child);
    let capture = Capture::record(port, &build().layout, deadline)
        .unwrap_or_else(|error| panic!("capturing {name}: {error}"));
    program.finish(deadline);
    let report = read_report(&csv);
    let _ = std::fs::remove_file(&csv);
    (capture, report)
}

/// The checks every run shares: no event the profiler would stop on, one frame mark
/// per frame, and for every arena a pool that holds its committed bytes at every
/// frame mark, is discarded once per reset, ends empty, and a plot of its used
/// bytes.
fn check_arena_pools(capture: &Capture, report: &BTreeMap<String, Vec<Row>>, frames: usize) {
    assert!(
        capture.errors.is_empty(),
        "the profiler would have stopped: {:?}",
        capture.errors
    );
    assert_ne!(
        capture.welcome.flags & WELCOME_FLAG_ON_DEMAND,
        0,
        "built with `ondemand`"
    );
    // The welcome's count of frames before the connection is not compared with 0:
    // the client reads it after flagging the connection, so on a loaded machine it
    // can count frames whose marks are in the stream (`wait_for_profiler`'s grace
    // period makes that rare, not impossible). That the capture starts with the first
    // frame shows in one frame mark per frame.
    let counted_before = capture
        .welcome
        .frames_before_connect
        .expect("an on-demand welcome counts frames");
    assert!(counted_before <= frames as u64, "{counted_before} frames");
    assert_eq!(capture.frames.len(), frames, "one frame mark per frame");
    for (name, rows) in report {
        assert_eq!(rows.len(), frames, "{name}: one row per frame");
        let pool = capture
            .pool_named(name)
            .unwrap_or_else(|| panic!("no Tracy pool named `{name}`"));
        for (frame, row) in rows.iter().enumerate() {
            assert_eq!(row.frame_index, frame as u64);
            let at_mark = capture.frames[frame].pools.get(&pool).copied();
            let at_mark = at_mark.unwrap_or(PoolAtMark {
                bytes: 0,
                live: 0,
                discards: 0,
            });
            assert_eq!(
                at_mark.bytes, row.committed_bytes,
                "{name}, frame {frame}: Tracy's pool holds {} bytes, the arena committed {}",
                at_mark.bytes, row.committed_bytes
            );
            let resets = if frame == 0 {
                0 // the profiler had seen nothing to discard
            } else {
                row.reset_count - rows[frame - 1].reset_count
            };
            assert_eq!(
                at_mark.discards, resets,
                "{name}, frame {frame}: {} discards for {resets} resets",
                at_mark.discards
            );
        }
        let final_pool = &capture.pools[&pool];
        assert!(
            final_pool.live.is_empty() && final_pool.bytes == 0,
            "{name}: pool not empty at exit"
        );

        let plot = capture
            .plot_named(&format!("{name} used"))
            .unwrap_or_else(|| panic!("no plot `{name} used`"));
        let used: Vec<f64> = rows.iter().map(|row| row.used_bytes as f64).collect();
        assert_eq!(
            plot,
            used.as_slice(),
            "{name}: the plot's values are not its used bytes"
        );
    }
    let mut pool_names: Vec<&str> = capture
        .pools
        .keys()
        .map(|pointer| {
            capture
                .strings
                .get(pointer)
                .map_or("<unnamed>", String::as_str)
        })
        .collect();
    pool_names.retain(|name| !report.contains_key(*name) && !name.ends_with(" allocations"));
    assert!(pool_names.is_empty(), "pools of no arena: {pool_names:?}");
}

/// One message per growth event and per frame over budget, for every arena.
fn check_messages(capture: &Capture, report: &BTreeMap<String, Vec<Row>>) {
    for (name, rows) in report {
        let prefix = format!("arena `{name}` ");
        let grew = capture
            .messages
            .iter()
            .filter(|text| text.starts_with(&prefix) && text[prefix.len()..].starts_with("grew"))
            .count() as u64;
        let over = capture
            .messages
            .iter()
            .filter(|text| text.starts_with(&prefix) && text[prefix.len()..].starts_with("went"))
            .count() as u64;
        let growth_frames = rows.iter().filter(|row| row.grow_events > 0).count() as u64;
        let overflow_frames = rows.iter().filter(|row| row.overflow_bytes > 0).count() as u64;
        assert_eq!(grew, growth_frames, "{name}: growth messages");
        assert_eq!(over, overflow_frames, "{name}: overflow messages");
    }
}

#[test]
fn the_header_layout_is_the_one_the_client_sends() {
    let layout = &build().layout;
    assert_eq!(layout.item_size, 32, "static_assert( QueueItemSize == 32 )");
    // Sizes worked out by hand from TracyQueue.hpp (packed structs, 1-byte header).
    for (event, size) in [
        ("ZoneText", 1),
        ("Message", 1 + 8 + 1),
        ("ZoneBeginAllocSrcLoc", 1 + 8),
        ("ZoneEnd", 1 + 8),
        ("MemAllocNamed", 1 + 8 + 4 + 8 + 6),
        ("MemFreeNamed", 1 + 8 + 4 + 8),
        ("MemDiscard", 1 + 8 + 4 + 8),
        ("MemNamePayload", 1 + 8),
        ("PlotDataInt", 1 + 8 + 8 + 8),
        ("PlotDataDouble", 1 + 8 + 8 + 8),
        ("PlotConfig", 1 + 8 + 1 + 1 + 1 + 4),
        ("FrameMarkMsg", 1 + 8 + 8),
        ("ThreadContext", 1 + 4),
        ("KeepAlive", 1),
        ("Terminate", 1),
        ("SingleStringData8", 1),
        ("StringData", 1 + 8),
        ("SourceLocationPayload", 1 + 8),
    ] {
        assert_eq!(layout.size_of(event), size, "{event}");
    }
    assert_eq!(layout.name(0), Some("ZoneText"));
    assert!(layout.len() > 100);
}

#[test]
fn game_loop_reports_to_tracy_what_its_arenas_hold() {
    let frames = 90;
    let (capture, report) = run(
        &build().game_loop,
        &[
            "--frames",
            &frames.to_string(),
            "--frames-per-level",
            "30",
            "--frame-budget",
            "16384",
            "--print-every",
            "1000000",
        ],
        "game_loop",
    );
    let names: Vec<&str> = report.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "assets",
            "frame.a",
            "frame.b",
            "frame.worker0",
            "frame.worker1",
            "level"
        ],
        "the arenas recorded"
    );
    check_arena_pools(&capture, &report, frames);
    check_messages(&capture, &report);

    // The run exercised what it checks.
    let buffers = ["frame.a", "frame.b"].map(|name| capture.pool_named(name).unwrap());
    let frame_discards: u64 = capture
        .frames
        .iter()
        .flat_map(|frame| buffers.iter().map(|pool| frame.pools[pool].discards))
        .sum();
    assert_eq!(
        frame_discards,
        frames as u64 - 1,
        "a frame buffer reset per frame after the first"
    );
    // And one more each when the telemetry was dropped, leaving the pools empty.
    let all_discards: u64 = buffers
        .iter()
        .map(|pool| capture.pools[pool].discards)
        .sum();
    assert_eq!(all_discards, frames as u64 + 1);
    let kinds: Vec<&str> = report.values().map(|rows| rows[0].kind.as_str()).collect();
    assert_eq!(
        kinds,
        ["asset", "frame", "frame", "worker", "worker", "level"]
    );
    assert!(
        report.values().flatten().any(|row| row.overflow_bytes > 0),
        "no frame went over budget"
    );
    assert!(
        report.values().flatten().any(|row| row.grow_events > 0),
        "no arena grew"
    );
    assert!(
        capture
            .messages
            .iter()
            .any(|text| text.contains("over budget"))
    );
    // The frame's phases are tracing spans: frame, update, build_draws, telemetry.
    assert!(
        capture.zones_begun >= 4 * frames as u64,
        "{} zones",
        capture.zones_begun
    );
    assert_eq!(capture.zones_begun, capture.zones_ended);
}

#[test]
fn per_allocation_mode_reports_every_block() {
    let frames = 60;
    let (capture, report) = run(
        &build().tracy_allocations,
        &["--frames", &frames.to_string()],
        "tracy_allocations",
    );
    check_arena_pools(&capture, &report, frames);
    check_messages(&capture, &report);

    let rows = &report["scratch"];
    let pool = capture
        .pool_named("scratch allocations")
        .expect("a pool `scratch allocations`");
    for (frame, row) in rows.iter().enumerate() {
        let at_mark = capture.frames[frame].pools[&pool];
        assert_eq!(
            at_mark.bytes, row.used_bytes,
            "frame {frame}: the live blocks hold {} bytes, the arena used {}",
            at_mark.bytes, row.used_bytes
        );
        let resets = if frame == 0 {
            0
        } else {
            row.reset_count - rows[frame - 1].reset_count
        };
        assert_eq!(
            at_mark.discards, resets,
            "frame {frame}: discards of the allocation pool"
        );
        assert_eq!(
            at_mark.live,
            2 + usize::from(frame % 25 == 24),
            "frame {frame}: live blocks"
        );
    }
    let blocks = &capture.pools[&pool];
    assert!(blocks.live.is_empty(), "blocks left live at exit");
    // Per frame: the scope's 2 blocks and the rewound one are freed one by one.
    assert_eq!(blocks.frees, 3 * frames as u64);
    assert!(
        rows.iter().any(|row| row.grow_events > 0),
        "the arena never grew"
    );
}
