//! Offscreen rendering: N frames into a texture on any adapter (lavapipe
//! included), then a PNG of the last one. A fixed time step makes frame N the same
//! on every run, so a test can compare it with a reference image.

use crate::error::DemoError;
use crate::memory_chart::MemoryHistory;
use crate::options::Options;
use crate::renderer::gpu::GpuContext;
use crate::renderer::offscreen::OffscreenTarget;
use crate::scene::CameraInput;
use crate::state::DemoState;
use crate::stats::{FrameReport, StatsCsv};
use std::time::{Duration, Instant};

/// Frames rendered when `--frames` is not given.
pub const DEFAULT_FRAMES: u64 = 120;
/// The simulated time per frame.
pub const TIME_STEP: f32 = 1.0 / 60.0;

/// What a headless run did.
#[derive(Debug)]
pub struct HeadlessSummary {
    /// The adapter used.
    pub adapter: String,
    /// Frames rendered.
    pub frames: u64,
    /// Wall time of the frame loop.
    pub elapsed: Duration,
    /// The last frame's report.
    pub last: Option<FrameReport>,
}

impl HeadlessSummary {
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
            println!(
                "last frame: {} objects, {} visible, {} draws; heap allocations: demo {}, wgpu {}; \
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

/// Runs the demo offscreen per `options` (`--frames`, `--size`, `--screenshot`,
/// `--stats`, `--switch-every`), calling `on_frame` with each frame's report.
///
/// # Errors
/// No adapter, no level, or a file that cannot be written.
pub fn run(
    options: &Options,
    mut on_frame: impl FnMut(&DemoState, &FrameReport),
) -> Result<HeadlessSummary, DemoError> {
    let gpu = GpuContext::new_headless()?;
    let adapter = gpu.describe();
    let (width, height) = options.size;
    let target = OffscreenTarget::new(&gpu.device, width, height);
    let mut state = DemoState::new(gpu, OffscreenTarget::FORMAT, options)?;
    eprintln!(
        "headless: {adapter}, {width}x{height}, {} objects per level",
        state.object_count()
    );
    let mut csv = match &options.stats {
        Some(path) => Some(StatsCsv::create(path).map_err(|source| DemoError::Io {
            path: path.clone(),
            source,
        })?),
        None => None,
    };
    let frames = options.frames.unwrap_or(DEFAULT_FRAMES);
    let mut history = options.chart.as_ref().map(|_| MemoryHistory::default());
    let started = Instant::now();
    for frame_index in 0..frames {
        if let Some(every) = options.switch_every
            && frame_index > 0
            && frame_index.is_multiple_of(every)
            && let Err(error) = state.next_level()
        {
            eprintln!(
                "level switch failed, staying in {}: {error}",
                state.scene().level.name()
            );
        }
        let report = state.frame(
            target.view(),
            (width, height),
            TIME_STEP,
            CameraInput::default(),
        );
        if let Some(csv) = &mut csv {
            csv.write(report).map_err(|source| DemoError::Io {
                path: options.stats.clone().unwrap_or_default(),
                source,
            })?;
        }
        if let Some(history) = &mut history {
            history.record(state.telemetry().report());
        }
        let report = state.last_report().expect("a frame was just rendered");
        on_frame(&state, report);
    }
    let elapsed = started.elapsed();
    if let Some(csv) = &mut csv {
        csv.flush().map_err(|source| DemoError::Io {
            path: options.stats.clone().unwrap_or_default(),
            source,
        })?;
    }
    if let (Some(history), Some(path)) = (&history, &options.chart) {
        write_chart(history, path)?;
    }
    if let Some(path) = &options.screenshot {
        target
            .save_png(state.gpu(), path)
            .map_err(|source| DemoError::Image {
                path: path.clone(),
                source,
            })?;
        eprintln!("wrote {}", path.display());
    }
    Ok(HeadlessSummary {
        adapter,
        frames,
        elapsed,
        last: state.last_report().cloned(),
    })
}

/// Writes the run's memory chart (`--chart`) and says where.
///
/// # Errors
/// [`DemoError::Chart`] naming the file.
pub fn write_chart(history: &MemoryHistory, path: &std::path::Path) -> Result<(), DemoError> {
    history
        .write_svg(path, "frame-memory demo: bytes used per arena per frame")
        .map_err(|reason| DemoError::Chart {
            path: path.to_path_buf(),
            reason,
        })?;
    eprintln!("wrote {}", path.display());
    Ok(())
}
