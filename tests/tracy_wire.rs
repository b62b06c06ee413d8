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
    trim_events: u64,
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
            trim_events: number(12),
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

/// What one run of a program gave.
struct Run {
    /// What Tracy got.
    capture: Capture,
    /// The program's own report, by arena.
    report: BTreeMap<String, Vec<Row>>,
    /// What it printed.
    stdout: String,
}

/// Runs `program` with Tracy on a free port, as the profiler.
fn run(program: &Path, args: &[&str], name: &str) -> Run {
    let deadline = Instant::now() + Duration::from_secs(120);
    let file = |extension: &str| {
        std::env::temp_dir().join(format!(
            "tracy-wire-{name}-{}.{extension}",
            std::process::id()
        ))
    };
    let (csv, stdout) = (file("csv"), file("stdout"));
    let port = free_port();
    let child = Command::new(program)
        .args(args)
        .args(["--wait-for-profiler", "60", "--telemetry-csv"])
        .arg(&csv)
        .env("TRACY_PORT", port.to_string())
        .env_remove("TRACY_NO_EXIT")
        .stdout(std::fs::File::create(&stdout).expect("a file for the output"))
        .spawn()
        .expect("the example starts");
    let program = Program(child);
    let capture = Capture::record(port, &build().layout, deadline)
        .unwrap_or_else(|error| panic!("capturing {name}: {error}"));
    program.finish(deadline);
    let report = read_report(&csv);
    let printed = std::fs::read_to_string(&stdout).expect("the output file");
    let _ = std::fs::remove_file(&csv);
    let _ = std::fs::remove_file(&stdout);
    Run {
        capture,
        report,
        stdout: printed,
    }
}

/// Frames of the shared `game_loop` run: three levels of 30 frames (1, 2, 1).
const GAME_LOOP_FRAMES: usize = 90;

/// One run of `game_loop`, shared by the tests that read it. Its 4 KiB frame budget
/// puts every frame over budget, the last one included.
fn game_loop_run() -> &'static Run {
    static RUN: OnceLock<Run> = OnceLock::new();
    RUN.get_or_init(|| {
        run(
            &build().game_loop,
            &[
                "--frames",
                &GAME_LOOP_FRAMES.to_string(),
                "--frames-per-level",
                "30",
                "--frame-budget",
                "4096",
                "--print-every",
                "1000000",
            ],
            "game_loop",
        )
    })
}

/// The checks every run shares: no event the profiler would stop on, one frame mark
/// per frame, and for every arena a pool that holds its committed bytes at every
/// frame mark, is never discarded while the arena lives (a reset keeps chunks),
/// ends empty, and a plot of its used bytes, then 0 for the arenas in `forgotten`.
fn check_arena_pools(
    capture: &Capture,
    report: &BTreeMap<String, Vec<Row>>,
    frames: usize,
    forgotten: &[&str],
) {
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
            assert_eq!(at_mark.discards, 0, "{name}, frame {frame}: a discard");
        }
        let final_pool = &capture.pools[&pool];
        assert!(
            final_pool.live.is_empty() && final_pool.bytes == 0,
            "{name}: pool not empty at exit"
        );

        let plot = capture
            .plot_named(&format!("{name} used"))
            .unwrap_or_else(|| panic!("no plot `{name} used`"));
        let mut used: Vec<f64> = rows.iter().map(|row| row.used_bytes as f64).collect();
        if forgotten.contains(&name.as_str()) {
            used.push(0.0);
        }
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

/// The arenas `game_loop` records, and the two it forgets when the run ends.
const GAME_LOOP_ARENAS: [&str; 8] = [
    "assets",
    "frame.a",
    "frame.b",
    "frame.worker0.a",
    "frame.worker0.b",
    "frame.worker1.a",
    "frame.worker1.b",
    "level",
];
const GAME_LOOP_FORGOTTEN: [&str; 2] = ["level", "assets"];

#[test]
fn game_loop_reports_to_tracy_what_its_arenas_hold() {
    let Run {
        capture, report, ..
    } = game_loop_run();
    let names: Vec<&str> = report.keys().map(String::as_str).collect();
    assert_eq!(names, GAME_LOOP_ARENAS, "the arenas recorded");
    check_arena_pools(capture, report, GAME_LOOP_FRAMES, &GAME_LOOP_FORGOTTEN);
    check_messages(capture, report);

    let kinds: Vec<&str> = report.values().map(|rows| rows[0].kind.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "asset", "frame", "frame", "worker", "worker", "worker", "worker", "level"
        ]
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
        capture.zones_begun >= 4 * GAME_LOOP_FRAMES as u64,
        "{} zones",
        capture.zones_begun
    );
    assert_eq!(capture.zones_begun, capture.zones_ended);
}

/// A spike, then the trims that give its memory back: the pools fall back with
/// every free matched to an allocation (the profiler would stop otherwise), still
/// equal to the committed bytes at every frame mark, and each trim sends a message.
#[test]
fn trims_shrink_the_pools_and_send_a_message() {
    // Spikes in frames 24, 49 and 74 (on both frame buffers), each trimmed within
    // 16 frames, before the run ends.
    const FRAMES: usize = 95;
    let Run {
        capture, report, ..
    } = &run(
        &build().game_loop,
        &[
            "--frames",
            &FRAMES.to_string(),
            "--frames-per-level",
            "50",
            "--spike-every",
            "25",
            "--trim-within-frames",
            "16",
            "--print-every",
            "1000000",
        ],
        "game_loop_spikes",
    );
    check_arena_pools(capture, report, FRAMES, &GAME_LOOP_FORGOTTEN);
    check_messages(capture, report);
    for (name, rows) in report {
        let prefix = format!("arena `{name}` trimmed: ");
        let messages = capture
            .messages
            .iter()
            .filter(|text| text.starts_with(&prefix))
            .count();
        let trim_frames = rows.iter().filter(|row| row.trim_events > 0).count();
        assert_eq!(messages, trim_frames, "{name}: trim messages");
    }
    for name in ["frame.a", "frame.b", "frame.worker0.a", "frame.worker0.b"] {
        let rows = &report[name];
        let trims = rows.iter().filter(|row| row.trim_events > 0).count();
        assert!(trims >= 1, "{name} never trimmed");
        let peak = rows.iter().map(|row| row.committed_bytes).max().unwrap();
        let last = rows.last().unwrap().committed_bytes;
        assert!(
            last + (3 << 20) < peak,
            "{name}: committed {last} at the end, {peak} at the peak"
        );
    }
}

/// Finding 8: Tracy's pool graph dropped to 0 at every reset, because a reset was
/// sent as a discard of the pool and every chunk allocated again. A chunk that
/// survives a reset is still committed: only chunks really freed or allocated are
/// sent, and a pool is discarded only when its arena is gone.
#[test]
fn pool_graph_does_not_drop_to_0_at_every_reset() {
    let Run {
        capture, report, ..
    } = game_loop_run();
    for name in GAME_LOOP_ARENAS {
        let rows = &report[name];
        let pool = &capture.pools[&capture.pool_named(name).unwrap()];
        let resets = rows.last().unwrap().reset_count;
        // The first chunk, and one per growth after it; the telemetry's end (or
        // `forget_arena`) discards the pool once.
        let chunks_taken = 1 + rows.iter().map(|row| row.grow_events).sum::<u64>();
        assert_eq!(pool.discards, 1, "{name}: discards after {resets} resets");
        if name.starts_with("frame.") {
            // Frame arenas may have reserved backing (their default where it is
            // available): growth commits more of their one range, which Tracy sees
            // as that block freed and allocated again, bigger, once per record in
            // which it grew (after the first record, which shows the block as it
            // is then); chunked, once per chunk.
            let records_with_growth = rows[1..].iter().filter(|row| row.grow_events > 0).count();
            assert!(
                (1 + records_with_growth as u64..=chunks_taken).contains(&pool.allocations),
                "{name}: {} block allocations after {resets} resets, {chunks_taken} chunks or commits",
                pool.allocations
            );
        } else {
            assert_eq!(
                pool.allocations, chunks_taken,
                "{name}: chunk allocations after {resets} resets"
            );
        }
        assert!(
            pool.frees < chunks_taken,
            "{name}: {} frees of {chunks_taken} chunks",
            pool.frees
        );
    }
    let frame_buffer_resets: u64 = ["frame.a", "frame.b"]
        .map(|name| report[name].last().unwrap().reset_count)
        .iter()
        .sum();
    assert!(
        frame_buffer_resets >= GAME_LOOP_FRAMES as u64,
        "the frame buffers were reset every frame ({frame_buffer_resets})"
    );
}

/// Finding 9: an unloaded level's `used` plot kept its last value while its pool
/// was empty. `forget_arena` sets it to 0 (`game_loop` forgets its level and asset
/// arenas when the run ends).
#[test]
fn forgotten_arena_used_plot_ends_at_0() {
    let Run {
        capture, report, ..
    } = game_loop_run();
    for name in GAME_LOOP_FORGOTTEN {
        let plot = capture.plot_named(&format!("{name} used")).unwrap();
        let last_used = report[name].last().unwrap().used_bytes;
        assert!(
            last_used > 0,
            "{name}: held nothing before it was forgotten"
        );
        assert_eq!(
            plot[plot.len() - 2..],
            [last_used as f64, 0.0],
            "{name}: the plot's last values"
        );
        let pool = &capture.pools[&capture.pool_named(name).unwrap()];
        assert_eq!((pool.bytes, pool.live.len()), (0, 0), "{name}: pool");
    }
}

/// Finding 10: tracing-tracy put the span's fields in the zone name
/// (`load_level{level=1}`), one zone per level. The level is the zone's text, and
/// the zones are the game loop's own.
#[test]
fn level_loading_is_one_zone_named_load_level() {
    let Run { capture, .. } = game_loop_run();
    let frames = GAME_LOOP_FRAMES as u64;
    let zones: Vec<(&str, u64)> = capture
        .zone_names
        .iter()
        .map(|(name, &count)| (name.as_str(), count))
        .collect();
    assert_eq!(
        zones,
        [
            ("build_draws", frames),
            ("frame", frames),
            ("load_level", 3),
            ("telemetry", frames),
            ("update", frames),
        ],
        "zone names and how often each began"
    );
    let texts: Vec<(&str, &str)> = capture
        .zone_texts
        .iter()
        .map(|(zone, text)| (zone.as_str(), text.as_str()))
        .collect();
    assert_eq!(
        texts,
        [
            ("load_level", "level=1"),
            ("load_level", "level=2"),
            ("load_level", "level=1")
        ]
    );
}

/// Finding 11: the summary printed one frame fewer over budget than the CSV and
/// Tracy count, because the last frame's overflow was not counted.
#[test]
fn summary_counts_the_last_frames_overflow() {
    let Run {
        capture,
        report,
        stdout,
    } = game_loop_run();
    let over_in_csv: std::collections::BTreeSet<u64> = report
        .values()
        .flatten()
        .filter(|row| row.overflow_bytes > 0)
        .map(|row| row.frame_index)
        .collect();
    let last_frame = GAME_LOOP_FRAMES as u64 - 1;
    assert!(
        over_in_csv.contains(&last_frame),
        "the last frame must go over budget for this test to mean anything"
    );
    let over_in_tracy: std::collections::BTreeSet<u64> = capture
        .messages
        .iter()
        .filter(|text| text.contains("bytes over budget (frame "))
        .map(|text| {
            let number = text.rsplit("(frame ").next().unwrap().trim_end_matches(')');
            number.parse().unwrap()
        })
        .collect();
    assert_eq!(over_in_tracy, over_in_csv);
    let summary = stdout
        .lines()
        .find(|line| line.starts_with("done: "))
        .unwrap_or_else(|| panic!("no summary in:\n{stdout}"));
    assert!(
        summary.starts_with(&format!(
            "done: {GAME_LOOP_FRAMES} frames, {} over budget (last: frame {last_frame} went ",
            over_in_csv.len()
        )),
        "{summary}"
    );
}

#[test]
fn per_allocation_mode_reports_every_block() {
    let frames = 60;
    let Run {
        capture, report, ..
    } = run(
        &build().tracy_allocations,
        &["--frames", &frames.to_string()],
        "tracy_allocations",
    );
    check_arena_pools(&capture, &report, frames, &[]);
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
