//! What a frame reports about its memory and heap traffic, and the per-frame CSV.

use crate::alloc_counter::AllocSnapshot;
use engine::{ArenaStats, FrameStats, Overflow};
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

/// The worker arenas of the frame arenas, as the overlay shows them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WorkerSummary {
    /// Threads that built the frame, the render thread included (1: no workers).
    pub threads: usize,
    /// Workers made (each two arenas, one per frame parity).
    pub worker_count: usize,
    /// Bytes the workers used this frame.
    pub used_bytes: usize,
    /// The budget of this frame's worker arenas together.
    pub budget_bytes: usize,
    /// The most bytes any one worker arena ever held in a frame.
    pub high_water_bytes: usize,
}

/// One frame's numbers: the overlay and title show the last one, `--stats`
/// writes one CSV row each.
#[derive(Debug, Clone)]
pub struct FrameReport {
    /// Frames rendered before this one.
    pub frame_index: u64,
    /// Index of the level played.
    pub level_index: usize,
    /// CPU time of the whole frame (build, upload, submit; present in a window).
    pub cpu_ms: f32,
    /// CPU time of the demo's own frame building (update, cull, sort, lists).
    pub build_ms: f32,
    /// Objects simulated.
    pub object_count: usize,
    /// Objects that passed culling.
    pub visible_count: usize,
    /// Instanced draws.
    pub draw_count: usize,
    /// Overlay rectangles.
    pub overlay_rects: usize,
    /// Heap traffic of the demo's own frame building: the number the arenas keep at 0.
    pub demo_heap: AllocSnapshot,
    /// Heap traffic of the rest of the frame: wgpu's encode/submit/present (and
    /// the surface acquire in a window), measured separately.
    pub wgpu_heap: AllocSnapshot,
    /// Heap bytes live in the whole process after the frame.
    pub heap_live_bytes: u64,
    /// The frame arenas.
    pub frame: FrameStats,
    /// The frame arenas' workers.
    pub workers: WorkerSummary,
    /// Trims of the frame arenas so far ([`engine::TrimPolicy`]).
    pub frame_trim_count: u64,
    /// Bytes those trims gave back to the system.
    pub frame_trimmed_bytes: u64,
    /// Chunks the frame arenas took to grow so far (a burst, and the one chunk a
    /// reset after it keeps).
    pub frame_grow_count: u64,
    /// Chunks the frame arenas took from the system in this frame, growing or
    /// trimming: the heap allocations the engine made for them.
    pub frame_chunks_taken: u64,
    /// Frames that went over the frame budget so far, this one included.
    pub overflow_count: u64,
    /// The last of them.
    pub last_overflow: Option<Overflow>,
    /// Fragments of this frame's debris burst (0: no burst this frame).
    pub burst_fragments: usize,
    /// The level arena.
    pub level: ArenaStats,
    /// The level's asset arena.
    pub assets: ArenaStats,
    /// The GPU upload ring.
    pub ring: ArenaStats,
}

impl FrameReport {
    /// CPU-side memory held by the arenas (frame + level + assets).
    #[must_use]
    pub fn cpu_committed_bytes(&self) -> usize {
        self.frame.committed_bytes + self.level.committed_bytes + self.assets.committed_bytes
    }

    /// Whether the demo's frame building made heap allocations, and no more than the
    /// chunks its frame arenas took from the system in the frame: the engine's
    /// growth and trims, which a burst causes, not the demo's own code. False for a
    /// frame without any, the warm frame's usual case.
    #[must_use]
    pub fn demo_allocations_are_arena_chunks(&self) -> bool {
        let allocations = self.demo_heap.allocations;
        allocations > 0 && allocations <= self.frame_chunks_taken
    }
}

/// The CSV's columns, in order.
pub const CSV_HEADER: &str = "frame,level,cpu_ms,build_ms,objects,visible,draws,overlay_rects,\
demo_allocs,demo_alloc_bytes,wgpu_allocs,wgpu_alloc_bytes,heap_live_bytes,\
frame_used_bytes,frame_budget_bytes,frame_high_water_bytes,frame_committed_bytes,frame_allocations,\
level_used_bytes,level_committed_bytes,assets_used_bytes,assets_committed_bytes,\
ring_used_bytes,ring_committed_bytes,ring_high_water_bytes,ring_budget_bytes,ring_allocations,\
threads,worker_used_bytes,worker_high_water_bytes,\
frame_trim_count,frame_trimmed_bytes,\
frame_overflow_bytes,frame_grow_count,frame_chunks_taken,burst_fragments";

/// Writes one row per frame (buffered; one `write` call per few frames).
#[derive(Debug)]
pub struct StatsCsv {
    out: BufWriter<File>,
}

impl StatsCsv {
    /// Creates (truncates) the file and writes the header.
    ///
    /// # Errors
    /// If the file cannot be created or written.
    pub fn create(path: &Path) -> io::Result<StatsCsv> {
        let mut out = BufWriter::with_capacity(64 * 1024, File::create(path)?);
        writeln!(out, "{CSV_HEADER}")?;
        Ok(StatsCsv { out })
    }

    /// Appends `report` as a row.
    ///
    /// # Errors
    /// If writing fails.
    pub fn write(&mut self, r: &FrameReport) -> io::Result<()> {
        writeln!(
            self.out,
            "{},{},{:.3},{:.3},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
            r.frame_index,
            r.level_index,
            r.cpu_ms,
            r.build_ms,
            r.object_count,
            r.visible_count,
            r.draw_count,
            r.overlay_rects,
            r.demo_heap.allocations,
            r.demo_heap.bytes_allocated,
            r.wgpu_heap.allocations,
            r.wgpu_heap.bytes_allocated,
            r.heap_live_bytes,
            r.frame.used_bytes,
            r.frame.budget_bytes,
            r.frame.high_water_bytes,
            r.frame.committed_bytes,
            r.frame.allocation_count,
            r.level.used_bytes,
            r.level.committed_bytes,
            r.assets.used_bytes,
            r.assets.committed_bytes,
            r.ring.used_bytes,
            r.ring.committed_bytes,
            r.ring.high_water_bytes,
            r.ring.budget_bytes.unwrap_or(0),
            r.ring.allocation_count,
            r.workers.threads,
            r.workers.used_bytes,
            r.workers.high_water_bytes,
            r.frame_trim_count,
            r.frame_trimmed_bytes,
            r.frame.overflow_bytes,
            r.frame_grow_count,
            r.frame_chunks_taken,
            r.burst_fragments,
        )
    }

    /// Flushes the buffer.
    ///
    /// # Errors
    /// If writing fails.
    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}
