//! The offscreen shell: N frames into a texture on any adapter (lavapipe
//! included), then a PNG of the last one. A fixed time step and the camera's
//! autopilot make frame N the same on every run, so a test can compare it with the
//! README's picture.

use crate::driver::{Flow, FrameDriver, RenderTarget, RunSummary, TimeStep};
use crate::error::DemoError;
use crate::options::Options;
use crate::renderer::gpu::GpuContext;
use crate::renderer::offscreen::OffscreenTarget;
use crate::scene::CameraInput;
use crate::state::DemoState;
use crate::stats::FrameReport;

/// Frames rendered when `--frames` is not given.
pub const DEFAULT_FRAMES: u64 = 120;
/// The simulated time per frame.
pub const TIME_STEP: f32 = 1.0 / 60.0;

/// An offscreen texture is always there to draw into, and there is nothing to
/// present: the PNG is read back once, after the last frame.
impl RenderTarget for OffscreenTarget {
    type Frame = ();

    fn acquire(&mut self, _gpu: &GpuContext) -> Option<()> {
        Some(())
    }

    fn view<'a>(&'a self, _frame: &'a ()) -> &'a wgpu::TextureView {
        OffscreenTarget::view(self)
    }

    fn size(&self) -> (u32, u32) {
        OffscreenTarget::size(self)
    }

    fn present(&mut self, _gpu: &GpuContext, _frame: ()) {}
}

/// Runs the demo offscreen per `options` (`--frames`, `--size`, `--screenshot`,
/// `--stats`, `--chart`, `--switch-every`), calling `on_frame` with each frame's
/// report.
///
/// # Errors
/// No adapter, no level, or a file that cannot be written.
pub fn run(
    options: &Options,
    mut on_frame: impl FnMut(&DemoState, &FrameReport),
) -> Result<RunSummary, DemoError> {
    let gpu = GpuContext::new_headless()?;
    let (width, height) = options.size;
    let mut target = OffscreenTarget::new(&gpu.device, width, height);
    let state = DemoState::new(gpu, OffscreenTarget::FORMAT, options)?;
    eprintln!(
        "headless: {}, {width}x{height}, {} objects per level",
        state.gpu().describe(),
        state.object_count()
    );
    let options = Options {
        frames: Some(options.frames.unwrap_or(DEFAULT_FRAMES)),
        ..options.clone()
    };
    let mut driver = FrameDriver::new(state, &options, TimeStep::Fixed(TIME_STEP))?;
    loop {
        let flow = driver.frame(&mut target, CameraInput::default())?;
        if flow == Flow::Skipped {
            continue;
        }
        let report = driver.last_report().expect("a frame was just drawn");
        on_frame(driver.state(), report);
        if flow == Flow::Finished {
            break;
        }
    }
    let summary = driver.finish()?;
    if let Some(path) = &options.screenshot {
        target
            .save_png(driver.state().gpu(), path)
            .map_err(|source| DemoError::Image {
                path: path.clone(),
                source,
            })?;
        eprintln!("wrote {}", path.display());
    }
    Ok(summary)
}
