//! The demo without its shell or its bookkeeping: level, camera, arenas, renderer.
//! The [`FrameDriver`](crate::driver::FrameDriver) calls [`DemoState::frame`],
//! which draws into whatever texture view the shell's target hands it; the driver
//! keeps the frame's timing, telemetry, CSV and chart.

use crate::alloc_counter;
use crate::alloc_counter::AllocSnapshot;
use crate::error::DemoError;
use crate::gpu_types::FrameUniforms;
use crate::lists::InArena;
use crate::options::Options;
use crate::overlay::graph::{GRAPH_FRAMES, GraphSample, MemoryGraph};
use crate::overlay::{self, Bar, Bytes, OverlayLine};
use crate::renderer::gpu::GpuContext;
use crate::renderer::{FrameDrawData, Renderer};
use crate::scene::build::{BuildInput, DrawLists, build_draws};
use crate::scene::debris;
use crate::scene::level::{Level, LevelError};
use crate::scene::parallel::{self, Split, build_draws_in_parallel};
use crate::scene::{CameraInput, Scene};
use crate::stats::{FrameReport, WorkerSummary};
use crate::threads::FrameThreads;
use engine::{
    Arena, ArenaKind, ArenaStats, ArenaString, ArenaVec, FrameArenaRole, FrameArenas, FrameConfig,
    FrameStats, Overflow, Telemetry, format_in,
};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Objects per level on a software renderer, unless `--objects` says otherwise.
pub const SOFTWARE_RENDERER_OBJECTS: usize = 20_000;
/// Objects per level on a GPU, unless `--objects` says otherwise.
pub const GPU_OBJECTS: usize = 100_000;
/// Regions of the GPU upload ring: frames the CPU may run ahead of the GPU.
pub const FRAMES_IN_FLIGHT: usize = 2;
/// Budget reported for the GPU upload ring.
pub const RING_BUDGET_BYTES: usize = 32 << 20;

/// The level directories under `levels_dir`, sorted by name.
///
/// # Errors
/// [`DemoError::NoLevels`] if there are none (or the directory cannot be read).
pub fn level_dirs(levels_dir: &Path) -> Result<Vec<PathBuf>, DemoError> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(levels_dir)
        .map_err(|_| DemoError::NoLevels(levels_dir.to_path_buf()))?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.is_dir())
        .collect();
    dirs.sort();
    if dirs.is_empty() {
        return Err(DemoError::NoLevels(levels_dir.to_path_buf()));
    }
    Ok(dirs)
}

/// The running demo.
#[derive(Debug)]
pub struct DemoState {
    gpu: GpuContext,
    renderer: Renderer,
    frames: FrameArenas,
    threads: FrameThreads,
    scene: Scene,
    level_dirs: Vec<PathBuf>,
    object_count: usize,
    overlay_enabled: bool,
    /// The overlay's memory graph, allocated once here so that frames never
    /// allocate for it.
    graph: MemoryGraph,
    /// The next frame throws a debris burst.
    burst_requested: bool,
    /// Bytes the last frame without a burst used in its buffer: what a burst
    /// multiplies.
    usual_frame_bytes: usize,
    /// The frame arenas' chunk counts after the last frame.
    chunk_counts: ChunkCounts,
}

/// What the frame arenas did with system memory so far, over all of them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct ChunkCounts {
    /// Chunks taken to grow (and a reset's one chunk for several).
    grows: u64,
    /// Trims: smaller chunks taken in place of big ones.
    trims: u64,
    /// Bytes the trims gave back.
    trimmed_bytes: u64,
}

impl ChunkCounts {
    fn of(frames: &FrameArenas) -> ChunkCounts {
        frames
            .arenas()
            .map(Arena::stats)
            .fold(ChunkCounts::default(), |counts, stats| ChunkCounts {
                grows: counts.grows + stats.grow_count,
                trims: counts.trims + stats.trim_count,
                trimmed_bytes: counts.trimmed_bytes + stats.trimmed_bytes,
            })
    }

    /// Chunks taken from the system: one per growth and one per trim.
    fn taken(&self) -> u64 {
        self.grows + self.trims
    }
}

/// What [`DemoState::frame`] built and drew: the demo's part of a
/// [`FrameReport`]. The whole frame's time and wgpu's heap traffic are measured
/// by the [`FrameDriver`](crate::driver::FrameDriver), around the target's acquire
/// and present as well.
#[derive(Debug, Clone)]
pub struct FrameWork {
    /// Index of the level played.
    pub level_index: usize,
    /// CPU time of the demo's own frame building (update, cull, sort, lists).
    pub build_ms: f32,
    /// Heap traffic of the demo's own frame building.
    pub demo_heap: AllocSnapshot,
    /// Objects simulated.
    pub object_count: usize,
    /// Objects that passed culling.
    pub visible_count: usize,
    /// Instanced draws.
    pub draw_count: usize,
    /// Overlay rectangles.
    pub overlay_rects: usize,
    /// The frame arenas after the frame.
    pub frame: FrameStats,
    /// The frame arenas' workers after the frame.
    pub workers: WorkerSummary,
    /// Trims of the frame arenas (buffers, workers, scratch) so far.
    pub frame_trim_count: u64,
    /// Bytes those trims gave back.
    pub frame_trimmed_bytes: u64,
    /// Chunks the frame arenas took to grow so far.
    pub frame_grows: u64,
    /// Chunks the frame arenas took from the system in this frame, growing or
    /// trimming: the heap allocations the engine made for them.
    pub frame_chunks_taken: u64,
    /// Frames that went over the frame budget so far, this one included.
    pub overflow_count: u64,
    /// The last of them.
    pub last_overflow: Option<Overflow>,
    /// Fragments of this frame's debris burst (0: no burst).
    pub burst_fragments: usize,
    /// The level arena.
    pub level: ArenaStats,
    /// The level's asset arena.
    pub assets: ArenaStats,
    /// The GPU upload ring.
    pub ring: ArenaStats,
}

/// What a level switch unloaded: the old level's arenas, by name, for the
/// telemetry to stop reporting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnloadedLevel {
    /// The old level's arena and asset arena.
    pub arena_names: [String; 2],
}

impl DemoState {
    /// Loads the starting level and builds a renderer for targets of `format`, and
    /// with `options.threads` above 1 a pool of frame-building threads that the
    /// calling thread joins (so frames must run on the thread that calls this for
    /// their building to stay off the heap: see [`FrameThreads`]).
    ///
    /// # Errors
    /// No levels, the starting level does not load, or the threads do not start.
    pub fn new(
        gpu: GpuContext,
        format: wgpu::TextureFormat,
        options: &Options,
    ) -> Result<DemoState, DemoError> {
        let level_dirs = level_dirs(&options.assets.join("levels"))?;
        let object_count = options.objects.unwrap_or(if gpu.is_software() {
            SOFTWARE_RENDERER_OBJECTS
        } else {
            GPU_OBJECTS
        });
        let renderer = Renderer::new(
            &gpu,
            format,
            FRAMES_IN_FLIGHT,
            256 * 1024,
            RING_BUDGET_BYTES,
            // The ring gives a burst's GPU memory back on the frame arenas' schedule.
            Some(engine::TrimPolicy {
                within_resets: options.trim_within_frames,
            }),
        );
        let level_index = options.level.min(level_dirs.len() - 1);
        let level = load_level(&renderer, &level_dirs[level_index], object_count)?;
        let threads = FrameThreads::new(options.threads).map_err(DemoError::Threads)?;
        // A worker for each thread: each holds one arena at a time.
        let frames = FrameArenas::new(FrameConfig {
            name: "frame",
            budget_bytes: options.frame_budget,
            worker_count: if threads.count() > 1 {
                threads.count()
            } else {
                0
            },
            worker_budget_bytes: parallel::worker_budget_bytes(object_count),
            trim_within_frames: Some(options.trim_within_frames),
            ..FrameConfig::default()
        });
        let autopilot = options.autopilot.unwrap_or(options.headless);
        let chunk_counts = ChunkCounts::of(&frames);
        Ok(DemoState {
            gpu,
            renderer,
            frames,
            threads,
            scene: Scene::new(level, level_index, autopilot),
            level_dirs,
            object_count,
            overlay_enabled: options.overlay,
            graph: MemoryGraph::new(GRAPH_FRAMES),
            burst_requested: false,
            usual_frame_bytes: 0,
            chunk_counts,
        })
    }

    /// The GPU (for presenting, reading back, recreating surfaces).
    #[must_use]
    pub fn gpu(&self) -> &GpuContext {
        &self.gpu
    }

    /// The scene (level, camera).
    #[must_use]
    pub fn scene(&self) -> &Scene {
        &self.scene
    }

    /// Objects per level.
    #[must_use]
    pub fn object_count(&self) -> usize {
        self.object_count
    }

    /// How many levels there are.
    #[must_use]
    pub fn level_count(&self) -> usize {
        self.level_dirs.len()
    }

    /// Shows or hides the overlay.
    pub fn toggle_overlay(&mut self) {
        self.overlay_enabled = !self.overlay_enabled;
    }

    /// Makes the next frame throw a debris burst: every visible object throws
    /// fragments, built and drawn like the level's objects, for
    /// [`BURST_FACTOR`](debris::BURST_FACTOR) times the usual frame's bytes and at
    /// least twice the frame budget ([`debris::fragment_count`]).
    pub fn request_burst(&mut self) {
        self.burst_requested = true;
    }

    /// Turns the camera autopilot on or off.
    pub fn toggle_autopilot(&mut self) {
        self.scene.autopilot = !self.scene.autopilot;
    }

    /// Puts the camera back where the level starts it.
    pub fn reset_camera(&mut self) {
        self.scene.camera = Scene::start_camera(&self.scene.level);
    }

    /// Switches to level `index`: loads it, and only if that worked unloads the
    /// current level (its arena and its assets). On failure the current level
    /// keeps running and the error names the file at fault. Returns what was
    /// unloaded, or `None` if `index` is no other level.
    ///
    /// # Errors
    /// The new level's [`LevelError`].
    pub fn switch_level(&mut self, index: usize) -> Result<Option<UnloadedLevel>, LevelError> {
        if index >= self.level_dirs.len() || index == self.scene.level_index {
            return Ok(None);
        }
        let level = load_level(&self.renderer, &self.level_dirs[index], self.object_count)?;
        let old = self.scene.replace_level(level, index);
        let name = old.name().to_owned();
        let arena_names = [
            old.level_arena().name().to_owned(),
            old.asset_arena().name().to_owned(),
        ];
        let report = old.unload();
        eprintln!(
            "switched to {}; unloaded {name}: level arena {} freed ({} destructors run), {} asset files ({}) released",
            self.scene.level.name(),
            Bytes(report.level.bytes_freed),
            report.level.destructors_run,
            report.assets.assets.len(),
            Bytes(report.assets.bytes),
        );
        Ok(Some(UnloadedLevel { arena_names }))
    }

    /// Switches to the next level (wrapping).
    ///
    /// # Errors
    /// As [`switch_level`](DemoState::switch_level).
    pub fn next_level(&mut self) -> Result<Option<UnloadedLevel>, LevelError> {
        self.switch_level((self.scene.level_index + 1) % self.level_dirs.len())
    }

    /// One frame: simulate `dt` seconds, build the draw lists in the frame arena,
    /// draw them into `target` (`size` pixels) and submit. The overlay shows
    /// `shown`, the previous frame's report (`None`: "warming up"); with
    /// `show_status`, a one-line status of `shown` goes there too (a window's
    /// title). After [`request_burst`](DemoState::request_burst) the frame throws a
    /// debris burst. Returns what the frame built, with the time and heap traffic
    /// of building it.
    pub fn frame(
        &mut self,
        target: &wgpu::TextureView,
        size: (u32, u32),
        dt: f32,
        input: CameraInput,
        shown: Option<&FrameReport>,
        show_status: Option<&dyn Fn(&str)>,
    ) -> FrameWork {
        let started = Instant::now();
        let heap_at_start = alloc_counter::snapshot();
        let (width, height) = (size.0.max(1) as f32, size.1.max(1) as f32);
        let burst = std::mem::take(&mut self.burst_requested);
        let burst_fragments = if burst {
            debris::fragment_count(self.usual_frame_bytes, self.frames.config().budget_bytes)
        } else {
            0
        };

        // The demo's own frame building: everything here comes from the arenas.
        let build = tracing::info_span!("build_frame").entered();
        {
            let _update = tracing::info_span!("update").entered();
            self.scene.update(dt, input);
        }
        let frame = self.frames.begin_frame();
        let arena = frame.arena();
        let level = &self.scene.level;
        let half_extent = self.scene.camera.half_extent(width / height);
        let center = self.scene.camera.center;
        let status = show_status
            .and(shown)
            .map(|report| status_line(arena, level, report));
        let lists = {
            let _build = tracing::info_span!("build_draws").entered();
            let input = BuildInput {
                objects: level.objects(),
                kinds: level.kinds(),
                bucket_count: level.bucket_count(),
                materials: level.materials(),
                view_min: center - half_extent,
                view_max: center + half_extent,
            };
            let mut lists = match self.threads.pool() {
                Some(threads) => build_draws_in_parallel(&frame, threads, &input, Split::DEMO),
                None => {
                    let mut lists = DrawLists::new_in(&InArena(arena));
                    build_draws(&mut lists, &input);
                    lists.into_slices()
                }
            };
            if burst {
                let debris = debris::build_debris(
                    arena,
                    &input,
                    lists.visible,
                    burst_fragments,
                    frame.index(),
                );
                debris::append(arena, &mut lists, &debris);
            }
            if self.overlay_enabled {
                let lines = overlay_lines(arena, level, self.object_count, shown);
                let mut overlay = ArenaVec::new_in(arena);
                overlay::build_with_graph(
                    &mut overlay,
                    &lines,
                    Some(&self.graph),
                    (height / 270.0).floor().max(1.0),
                );
                lists.overlay = overlay.into_slice();
            }
            lists
        };
        let background = level.record().background;
        let draw_data = FrameDrawData {
            uniforms: FrameUniforms {
                camera: [center.x, center.y, half_extent.x, half_extent.y],
                viewport: [width, height, self.scene.time, 0.0],
            },
            clear_color: wgpu::Color {
                r: f64::from(background[0]),
                g: f64::from(background[1]),
                b: f64::from(background[2]),
                a: f64::from(background[3]),
            },
            instances: lists.instances,
            draws: lists.draws,
            draw_uniforms: lists.draw_uniforms,
            overlay: lists.overlay,
            meshes: level.meshes(),
            level_gpu: level.gpu(),
        };
        drop(build);
        let heap_after_build = alloc_counter::snapshot();
        let build_ms = started.elapsed().as_secs_f32() * 1000.0;
        // Showing it is the shell's work (a window system call), not building.
        if let (Some(show_status), Some(status)) = (show_status, status) {
            show_status(status);
        }

        // wgpu's part: upload through the ring, encode, submit.
        self.renderer.render(target, &draw_data);

        let (visible_count, draw_count, overlay_rects) =
            (lists.visible.len(), lists.draws.len(), lists.overlay.len());
        // Walks every arena, so the workers and overflows read this one.
        let frame_stats = self.frames.stats();
        let workers = self.worker_summary(&frame_stats);
        let (overflow_count, last_overflow) = self.overflows(&frame_stats);
        let chunk_counts = ChunkCounts::of(&self.frames);
        let trims_now = chunk_counts.trims - self.chunk_counts.trims;
        let chunks_taken = chunk_counts.taken() - self.chunk_counts.taken();
        self.chunk_counts = chunk_counts;
        if !burst {
            self.usual_frame_bytes = frame_stats.used_bytes;
        }
        self.graph.record(GraphSample {
            used_bytes: frame_stats.used_bytes + frame_stats.worker_used_bytes,
            budget_bytes: frame_stats.budget_bytes + workers.budget_bytes,
            committed_bytes: frame_stats.committed_bytes,
            trims: trims_now,
        });
        FrameWork {
            level_index: self.scene.level_index,
            build_ms,
            demo_heap: heap_after_build - heap_at_start,
            object_count: self.scene.level.objects().len(),
            visible_count,
            draw_count,
            overlay_rects,
            frame: frame_stats,
            workers,
            frame_trim_count: chunk_counts.trims,
            frame_trimmed_bytes: chunk_counts.trimmed_bytes,
            frame_grows: chunk_counts.grows,
            frame_chunks_taken: chunks_taken,
            overflow_count,
            last_overflow,
            burst_fragments,
            level: self.scene.level.arena_stats(),
            assets: self.scene.level.asset_stats(),
            ring: self.renderer.ring_stats(),
        }
    }

    /// The frames that went over budget, the one in progress (`now`) included:
    /// [`FrameArenas::last_overflow`] counts a frame only when the next one begins,
    /// so it never holds `now` yet.
    fn overflows(&self, now: &FrameStats) -> (u64, Option<Overflow>) {
        let (mut last, mut count) = self.frames.last_overflow();
        if now.overflow_bytes > 0 {
            count += 1;
            last = Some(Overflow {
                frame_index: now.frame_index,
                bytes_over: now.overflow_bytes,
            });
        }
        (count, last)
    }

    /// The workers of the frame arenas, between frames; `now` is the frame arenas'
    /// [`stats`](FrameArenas::stats).
    fn worker_summary(&self, now: &FrameStats) -> WorkerSummary {
        let worker_count = self.frames.worker_count();
        WorkerSummary {
            threads: self.threads.count(),
            worker_count,
            used_bytes: now.worker_used_bytes,
            budget_bytes: worker_count * self.frames.config().worker_budget_bytes,
            high_water_bytes: self
                .frames
                .labeled_arenas()
                .filter(|(role, _)| *role == FrameArenaRole::Worker)
                .map(|(_, arena)| arena.stats().high_water_bytes)
                .max()
                .unwrap_or(0),
        }
    }

    /// Every arena's memory now, as frame `frame_index`, into `telemetry` (and
    /// from there to Tracy).
    pub fn record_telemetry(&self, telemetry: &mut Telemetry, frame_index: u64) {
        let _span = tracing::info_span!("telemetry").entered();
        let level = &self.scene.level;
        telemetry.begin_frame(frame_index);
        telemetry.record_frames(&self.frames);
        telemetry.record_arena(ArenaKind::Level, level.level_arena(), 0);
        telemetry.record_arena(ArenaKind::Asset, level.asset_arena(), 0);
        let ring = self.renderer.ring();
        let ring_stats = ring.stats();
        let ring_overflow = ring_stats
            .used_bytes
            .saturating_sub(ring_stats.budget_bytes.unwrap_or(usize::MAX));
        telemetry.record(
            ArenaKind::GpuUpload,
            &ring_stats,
            ring_overflow,
            ring.chunk_spans(),
        );
        telemetry.end_frame();
    }
}

/// Lines of the overlay's text.
const OVERLAY_LINES: usize = 11;

/// The overlay's text, from the last frame's report, formatted into the frame
/// arena: one line per arena (bytes this frame / budget, high-water), the frame
/// arenas' committed bytes, trims and overflows, the heap traffic, and the memory
/// graph's caption.
fn overlay_lines<'f>(
    arena: &'f Arena,
    level: &Level,
    object_count: usize,
    shown: Option<&FrameReport>,
) -> [OverlayLine<'f>; OVERLAY_LINES] {
    let line = |text: &'f str| OverlayLine {
        text,
        color: overlay::TEXT,
        bar: None,
    };
    let title = |text: &'f str| OverlayLine {
        color: overlay::TITLE,
        ..line(text)
    };
    let graph_caption = line(format_in!(
        arena,
        "FRAME ARENAS, LAST {GRAPH_FRAMES} FRAMES (B: BURST)"
    ));
    let Some(r) = shown else {
        let mut lines = [line(""); OVERLAY_LINES];
        lines[0] = title(format_in!(arena, "{} {object_count} OBJ", level.name()));
        lines[1] = line("WARMING UP");
        lines[OVERLAY_LINES - 1] = graph_caption;
        return lines;
    };
    let arena_line = |label: &str, used: usize, budget: Option<usize>, high_water: usize| {
        let mut text = ArenaString::new_in(arena);
        let _ = write!(text, "{label:<6} {}", Bytes(used));
        let _ = match budget {
            Some(budget) => write!(text, "/{}", Bytes(budget)),
            None => write!(text, "/-"),
        };
        let _ = write!(text, " HW {}", Bytes(high_water));
        OverlayLine {
            bar: budget.map(|budget| Bar::of(used, high_water, budget)),
            ..line(text.into_str())
        }
    };
    [
        title(format_in!(
            arena,
            "{} {object_count} OBJ {} VIS {} DRAWS",
            level.name(),
            r.visible_count,
            r.draw_count
        )),
        arena_line(
            "FRAME",
            r.frame.used_bytes,
            Some(r.frame.budget_bytes),
            r.frame.high_water_bytes,
        ),
        line(format_in!(
            arena,
            "  COMMITTED {}, {} TRIMS GAVE BACK {}",
            Bytes(r.frame.committed_bytes),
            r.frame_trim_count,
            Bytes(r.frame_trimmed_bytes as usize)
        )),
        match r.last_overflow {
            Some(last) => OverlayLine {
                color: if last.frame_index == r.frame_index {
                    overlay::BAD
                } else {
                    overlay::TITLE
                },
                ..line(format_in!(
                    arena,
                    "  OVER BUDGET {}X, LAST FRAME {} BY {}",
                    r.overflow_count,
                    last.frame_index,
                    Bytes(last.bytes_over)
                ))
            },
            None => line("  NEVER OVER BUDGET"),
        },
        arena_line(
            "LEVEL",
            r.level.used_bytes,
            r.level.budget_bytes,
            r.level.high_water_bytes,
        ),
        arena_line(
            "ASSETS",
            r.assets.used_bytes,
            r.assets.budget_bytes,
            r.assets.high_water_bytes,
        ),
        arena_line(
            "GPU",
            r.ring.used_bytes,
            r.ring.budget_bytes,
            r.ring.high_water_bytes,
        ),
        if r.workers.threads > 1 {
            // This frame's worker arenas together, and the fullest one ever.
            arena_line(
                format_in!(arena, "{}X WRK", r.workers.worker_count),
                r.workers.used_bytes,
                Some(r.workers.budget_bytes),
                r.workers.high_water_bytes,
            )
        } else {
            line("1 THREAD, NO WORKER ARENAS")
        },
        heap_line(arena, r),
        line(format_in!(
            arena,
            "CPU {:.1} MS BUILD {:.1} MS",
            r.cpu_ms,
            r.build_ms
        )),
        graph_caption,
    ]
}

/// The overlay's heap line: green at 0 allocations in the demo's frame building;
/// yellow, and saying so, when they were the frame arenas' own chunks (a burst, the
/// reset after it, a trim); red otherwise.
fn heap_line<'f>(arena: &'f Arena, r: &FrameReport) -> OverlayLine<'f> {
    let demo = r.demo_heap.allocations;
    let (color, text) = if demo == 0 {
        (overlay::GOOD, "")
    } else if r.demo_allocations_are_arena_chunks() {
        (overlay::TITLE, " = ARENA CHUNKS")
    } else {
        (overlay::BAD, "")
    };
    OverlayLine {
        text: format_in!(
            arena,
            "HEAP ALLOCS: DEMO {demo}{text} WGPU {} ({})",
            r.wgpu_heap.allocations,
            Bytes(r.wgpu_heap.bytes_allocated as usize)
        ),
        color,
        bar: None,
    }
}

/// The one-line status a window shows as its title, formatted into the frame arena.
fn status_line<'f>(arena: &'f Arena, level: &Level, report: &FrameReport) -> &'f str {
    format_in!(
        arena,
        "frame-memory demo | {} | {} objects, {} visible, {} draws | frame {}/{} (hw {}) | level {} | assets {} | gpu ring {} | heap allocs: demo {}, wgpu {} | {:.1} ms",
        level.name(),
        report.object_count,
        report.visible_count,
        report.draw_count,
        Bytes(report.frame.used_bytes),
        Bytes(report.frame.budget_bytes),
        Bytes(report.frame.high_water_bytes),
        Bytes(report.level.used_bytes),
        Bytes(report.assets.used_bytes),
        Bytes(report.ring.used_bytes),
        report.demo_heap.allocations,
        report.wgpu_heap.allocations,
        report.cpu_ms,
    )
}

/// Loads a level, uploads its meshes and seals it.
fn load_level(renderer: &Renderer, dir: &Path, object_count: usize) -> Result<Level, LevelError> {
    let mut level = Level::load(dir, object_count)?;
    level.attach_gpu(renderer.create_level_gpu(&level));
    level.seal();
    Ok(level)
}
