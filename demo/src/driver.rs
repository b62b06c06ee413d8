//! The frame loop's bookkeeping, once for both shells: the frame's timing and heap
//! traffic, telemetry, the `--stats` CSV, the `--chart` history, the
//! `--switch-every` and `--spike-every` schedules, the frame limit and the
//! end-of-run summary.
//!
//! A shell (the window in `app.rs`, the offscreen runner in `headless.rs`) only
//! supplies a [`RenderTarget`] and the camera input, and calls
//! [`FrameDriver::frame`] once per frame, like the wgpu examples' `Example` trait
//! with one `run`.

use crate::alloc_counter;
use crate::error::DemoError;
use crate::memory_chart::MemoryHistory;
use crate::options::Options;
use crate::renderer::gpu::GpuContext;
use crate::scene::CameraInput;
use crate::scene::level::LevelError;
use crate::state::{DemoState, UnloadedLevel};
use crate::stats::{FrameReport, StatsCsv};
use engine::Telemetry;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Where frames are drawn: a window's surface or an offscreen texture.
pub trait RenderTarget {
    /// One frame's texture, from [`acquire`](RenderTarget::acquire) until
    /// [`present`](RenderTarget::present).
    type Frame;

    /// The next frame's texture, or `None` to skip this frame (a minimized window,
    /// a surface that timed out).
    fn acquire(&mut self, gpu: &GpuContext) -> Option<Self::Frame>;

    /// The view to draw `frame` into.
    fn view<'a>(&'a self, frame: &'a Self::Frame) -> &'a wgpu::TextureView;

    /// The target's size in pixels (after `acquire`, which may have resized it).
    fn size(&self) -> (u32, u32);

    /// Shows the drawn frame: a window presents it; offscreen there is nothing to do.
    fn present(&mut self, gpu: &GpuContext, frame: Self::Frame);

    /// Shows a one-line status of the run where the target has a place for one (a
    /// window's title); offscreen there is none. `text` lives in the frame arena.
    fn show_status(&self, _text: &str) {}
}

/// A target's status line shows the last report every this many frames.
pub const STATUS_EVERY: u64 = 30;

/// How much simulated time a frame advances.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum TimeStep {
    /// The same step every frame, so frame N looks the same on every run.
    Fixed(f32),
    /// The wall time since the previous frame, at most [`MAX_REAL_TIME_STEP`].
    RealTime,
}

/// The longest step a real-time frame simulates: after a stall (a window being
/// dragged, a debugger) the objects move on instead of jumping.
pub const MAX_REAL_TIME_STEP: f32 = 0.1;

/// What [`FrameDriver::frame`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// The target had no texture: nothing was drawn or counted.
    Skipped,
    /// A frame was drawn; more may follow.
    Continue,
    /// A frame was drawn and it was the last one `--frames` asked for.
    Finished,
}

/// What a run did, from [`FrameDriver::finish`].
#[derive(Debug)]
pub struct RunSummary {
    /// The adapter used.
    pub adapter: String,
    /// Frames drawn.
    pub frames: u64,
    /// Wall time of the frame loop.
    pub elapsed: Duration,
    /// The last frame's report.
    pub last: Option<FrameReport>,
}

impl RunSummary {
    /// Prints the summary to stdout.
    pub fn print(&self) {
        println!(
            "rendered {} frames on {} in {:.2} s ({:.2} ms/frame)",
            self.frames,
            self.adapter,
            self.elapsed.as_secs_f64(),
            self.elapsed.as_secs_f64() * 1000.0 / self.frames.max(1) as f64
        );
        if let Some(r) = &self.last {
            let arena_chunks = if r.demo_allocations_are_arena_chunks() {
                " (the frame arenas' chunks)"
            } else {
                ""
            };
            println!(
                "last frame: {} objects, {} visible, {} draws; heap allocations: demo {}{arena_chunks}, wgpu {}; \
                 frame arena {} B (high-water {} B), level {} B, assets {} B, gpu ring {} B",
                r.object_count,
                r.visible_count,
                r.draw_count,
                r.demo_heap.allocations,
                r.wgpu_heap.allocations,
                r.frame.used_bytes,
                r.frame.high_water_bytes,
                r.level.used_bytes,
                r.assets.used_bytes,
                r.ring.used_bytes
            );
        }
    }
}

/// Runs frames of a [`DemoState`] into a shell's [`RenderTarget`] and keeps
/// everything a run records about them.
#[derive(Debug)]
pub struct FrameDriver {
    state: DemoState,
    telemetry: Telemetry,
    time_step: TimeStep,
    frame_limit: Option<u64>,
    switch_every: Option<u64>,
    spike_every: Option<u64>,
    /// `--stats`: the CSV and its path, for error messages.
    csv: Option<(StatsCsv, PathBuf)>,
    /// `--chart`: the history and the SVG to draw it to at the end.
    history: Option<(MemoryHistory, PathBuf)>,
    frames_drawn: u64,
    last_report: Option<FrameReport>,
    loop_started: Instant,
    last_frame_started: Instant,
}

impl FrameDriver {
    /// Takes over `state` for a run per `options` (`--frames`, `--stats`,
    /// `--chart`, `--switch-every`, `--spike-every`), and creates the stats file.
    ///
    /// # Errors
    /// [`DemoError::Io`] if the stats file cannot be created.
    pub fn new(
        state: DemoState,
        options: &Options,
        time_step: TimeStep,
    ) -> Result<FrameDriver, DemoError> {
        let csv = match &options.stats {
            Some(path) => {
                let csv = StatsCsv::create(path).map_err(|source| DemoError::Io {
                    path: path.clone(),
                    source,
                })?;
                Some((csv, path.clone()))
            }
            None => None,
        };
        let now = Instant::now();
        Ok(FrameDriver {
            state,
            telemetry: Telemetry::new(),
            time_step,
            frame_limit: options.frames,
            switch_every: options.switch_every,
            spike_every: options.spike_every,
            csv,
            history: options
                .chart
                .as_ref()
                .map(|path| (MemoryHistory::default(), path.clone())),
            frames_drawn: 0,
            last_report: None,
            loop_started: now,
            last_frame_started: now,
        })
    }

    /// The demo (for the GPU, the scene, the level count).
    #[must_use]
    pub fn state(&self) -> &DemoState {
        &self.state
    }

    /// The demo, for a shell's input (overlay, autopilot and camera keys). Level
    /// switches go through [`switch_level`](FrameDriver::switch_level) instead.
    pub fn state_mut(&mut self) -> &mut DemoState {
        &mut self.state
    }

    /// Every arena's memory in the last frame (and, with the `tracy` feature, the
    /// same numbers sent to the profiler).
    #[must_use]
    pub fn telemetry(&self) -> &Telemetry {
        &self.telemetry
    }

    /// The report of the last frame drawn (`None` before the first).
    #[must_use]
    pub fn last_report(&self) -> Option<&FrameReport> {
        self.last_report.as_ref()
    }

    /// Frames drawn so far.
    #[must_use]
    pub fn frames_drawn(&self) -> u64 {
        self.frames_drawn
    }

    /// Switches to level `index` (see [`DemoState::switch_level`]). A level that
    /// fails to load is reported on stderr and the current one keeps running.
    pub fn switch_level(&mut self, index: usize) {
        let result = self.state.switch_level(index);
        self.after_switch(result);
    }

    /// Switches to the next level (wrapping), as [`switch_level`](FrameDriver::switch_level).
    pub fn next_level(&mut self) {
        let result = self.state.next_level();
        self.after_switch(result);
    }

    fn after_switch(&mut self, result: Result<Option<UnloadedLevel>, LevelError>) {
        match result {
            Ok(Some(unloaded)) => {
                for name in &unloaded.arena_names {
                    self.telemetry.forget_arena(name);
                }
            }
            Ok(None) => {}
            Err(error) => eprintln!(
                "level switch failed, staying in {}: {error}",
                self.state.scene().level.name()
            ),
        }
    }

    /// One frame into `target`: acquire, build and draw, present; then the
    /// report, telemetry, CSV row and chart point, and the scheduled level switch.
    ///
    /// The frame's CPU time and wgpu's heap traffic are measured here, from before
    /// the acquire to after the present, so a window's surface counts as part of
    /// its frame; the demo's own building is measured inside [`DemoState::frame`].
    ///
    /// # Errors
    /// [`DemoError::Io`] if the stats file cannot be written.
    pub fn frame<T: RenderTarget>(
        &mut self,
        target: &mut T,
        input: CameraInput,
    ) -> Result<Flow, DemoError> {
        let started = Instant::now();
        let dt = match self.time_step {
            TimeStep::Fixed(step) => step,
            TimeStep::RealTime => (started - self.last_frame_started)
                .as_secs_f32()
                .min(MAX_REAL_TIME_STEP),
        };
        self.last_frame_started = started;
        let heap_at_start = alloc_counter::snapshot();
        let Some(frame) = target.acquire(self.state.gpu()) else {
            return Ok(Flow::Skipped);
        };
        let size = target.size();
        let status_due = self
            .last_report
            .as_ref()
            .is_some_and(|report| report.frame_index.is_multiple_of(STATUS_EVERY));
        if let Some(every) = self.spike_every
            && self.frames_drawn % every == every - 1
        {
            self.state.request_burst();
        }
        // Formatted for every target, even one with no place to show it, so that
        // the headless runs check it too.
        let show_status = |text: &str| target.show_status(text);
        let work = self.state.frame(
            target.view(&frame),
            size,
            dt,
            input,
            self.last_report.as_ref(),
            status_due.then_some(&show_status),
        );
        target.present(self.state.gpu(), frame);
        let heap_at_end = alloc_counter::snapshot();
        let frame_index = self.frames_drawn;
        self.state
            .record_telemetry(&mut self.telemetry, frame_index);
        let report = FrameReport {
            frame_index,
            level_index: work.level_index,
            cpu_ms: started.elapsed().as_secs_f32() * 1000.0,
            build_ms: work.build_ms,
            object_count: work.object_count,
            visible_count: work.visible_count,
            draw_count: work.draw_count,
            overlay_rects: work.overlay_rects,
            demo_heap: work.demo_heap,
            // Everything but the demo's building: acquire, upload, encode, submit,
            // present, and showing the status line.
            wgpu_heap: (heap_at_end - heap_at_start) - work.demo_heap,
            heap_live_bytes: heap_at_end.live_bytes(),
            frame: work.frame,
            workers: work.workers,
            frame_trim_count: work.frame_trim_count,
            frame_trimmed_bytes: work.frame_trimmed_bytes,
            frame_grow_count: work.frame_grows,
            frame_chunks_taken: work.frame_chunks_taken,
            overflow_count: work.overflow_count,
            last_overflow: work.last_overflow,
            burst_fragments: work.burst_fragments,
            level: work.level,
            assets: work.assets,
            ring: work.ring,
        };
        // Both grow files or memory: outside the measured frame.
        if let Some((csv, path)) = &mut self.csv {
            csv.write(&report).map_err(|source| DemoError::Io {
                path: path.clone(),
                source,
            })?;
        }
        if let Some((history, _)) = &mut self.history {
            history.record(self.telemetry.report());
        }
        self.last_report = Some(report);
        self.frames_drawn += 1;
        if self
            .frame_limit
            .is_some_and(|limit| self.frames_drawn >= limit)
        {
            return Ok(Flow::Finished);
        }
        if let Some(every) = self.switch_every
            && self.frames_drawn.is_multiple_of(every)
        {
            self.next_level();
        }
        Ok(Flow::Continue)
    }

    /// Ends the run: flushes the CSV, draws the chart (`--chart`) and sums up.
    ///
    /// # Errors
    /// A stats file or chart that cannot be written.
    pub fn finish(&mut self) -> Result<RunSummary, DemoError> {
        let elapsed = self.loop_started.elapsed();
        if let Some((csv, path)) = &mut self.csv {
            csv.flush().map_err(|source| DemoError::Io {
                path: path.clone(),
                source,
            })?;
        }
        if let Some((history, path)) = &self.history {
            write_chart(history, path)?;
        }
        Ok(RunSummary {
            adapter: self.state.gpu().describe(),
            frames: self.frames_drawn,
            elapsed,
            last: self.last_report.clone(),
        })
    }
}

/// Writes the run's memory chart (`--chart`) and says where.
fn write_chart(history: &MemoryHistory, path: &Path) -> Result<(), DemoError> {
    history
        .write_svg(
            path,
            "frame-memory demo: bytes used per arena per frame, and what the frame arenas hold",
        )
        .map_err(|reason| DemoError::Chart {
            path: path.to_path_buf(),
            reason,
        })?;
    eprintln!("wrote {}", path.display());
    Ok(())
}
