//! The windowed shell: a winit 0.30 `ApplicationHandler` that owns the window and
//! its surface, turns keys into camera input and level switches, and asks the
//! [`FrameDriver`] for a frame on every redraw.

use crate::driver::{Flow, FrameDriver, RenderTarget, TimeStep};
use crate::error::DemoError;
use crate::headless;
use crate::options::Options;
use crate::renderer::gpu::{GpuContext, GpuError};
use crate::renderer::surface::WindowSurface;
use crate::scene::CameraInput;
use crate::state::DemoState;
use glam::Vec2;
use std::sync::Arc;
use std::time::{Duration, Instant};
use winit::application::ApplicationHandler;
use winit::dpi::PhysicalSize;
use winit::event::{ElementState, KeyEvent, WindowEvent};
use winit::event_loop::{ActiveEventLoop, ControlFlow, EventLoop};
use winit::keyboard::{KeyCode, PhysicalKey};
use winit::window::{Window, WindowId};

/// How a windowed run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowedSummary {
    /// Frames presented.
    pub frames: u64,
    /// Surface reconfigurations (resizes, outdated or lost surfaces).
    pub reconfigures: u64,
    /// Whether the run fell back to headless (no display).
    pub fell_back_to_headless: bool,
}

/// Runs the demo in a window. Without a display (no `DISPLAY` or
/// `WAYLAND_DISPLAY`, or a server that cannot be reached) it says so and runs
/// headless instead.
///
/// # Errors
/// No adapter, no level, a window that cannot be created, or a stats file that
/// cannot be written.
pub fn run(options: &Options) -> Result<WindowedSummary, DemoError> {
    let event_loop = match EventLoop::new() {
        Ok(event_loop) => event_loop,
        Err(error) => {
            eprintln!(
                "no display available ({error}).\n\
                 Running headless instead ({} frames at {}x{}); pass --screenshot FILE to see the result.",
                options.frames.unwrap_or(headless::DEFAULT_FRAMES),
                options.size.0,
                options.size.1
            );
            let options = Options {
                headless: true,
                ..options.clone()
            };
            let summary = headless::run(&options, |_, _| {})?;
            summary.print();
            return Ok(WindowedSummary {
                frames: summary.frames,
                reconfigures: 0,
                fell_back_to_headless: true,
            });
        }
    };
    event_loop.set_control_flow(ControlFlow::Poll);
    let mut app = App::new(options);
    event_loop
        .run_app(&mut app)
        .map_err(|error| DemoError::Window(error.to_string()))?;
    if let Some(error) = app.error.take() {
        return Err(error);
    }
    let frames = match &mut app.driver {
        Some(driver) => driver.finish()?.frames,
        None => 0,
    };
    Ok(WindowedSummary {
        frames,
        reconfigures: app
            .target
            .as_ref()
            .map_or(0, |target| target.surface.reconfigure_count()),
        fell_back_to_headless: false,
    })
}

/// The window's surface as a [`RenderTarget`].
struct WindowTarget {
    window: Arc<Window>,
    surface: WindowSurface,
}

/// A surface texture and the view drawn into it.
struct SurfaceFrame {
    texture: wgpu::SurfaceTexture,
    view: wgpu::TextureView,
}

impl RenderTarget for WindowTarget {
    type Frame = SurfaceFrame;

    fn acquire(&mut self, gpu: &GpuContext) -> Option<SurfaceFrame> {
        let texture = self.surface.acquire(gpu)?;
        let view = texture
            .texture
            .create_view(&wgpu::TextureViewDescriptor::default());
        Some(SurfaceFrame { texture, view })
    }

    fn view<'a>(&'a self, frame: &'a SurfaceFrame) -> &'a wgpu::TextureView {
        &frame.view
    }

    fn size(&self) -> (u32, u32) {
        self.surface.size()
    }

    fn present(&mut self, gpu: &GpuContext, frame: SurfaceFrame) {
        drop(frame.view);
        self.window.pre_present_notify();
        gpu.queue.present(frame.texture);
    }

    fn show_status(&self, text: &str) {
        self.window.set_title(text);
    }
}

/// Keys held down, for smooth camera movement.
#[derive(Debug, Default, Clone, Copy)]
struct HeldKeys {
    left: bool,
    right: bool,
    up: bool,
    down: bool,
    zoom_in: bool,
    zoom_out: bool,
}

impl HeldKeys {
    fn camera_input(&self) -> CameraInput {
        let axis = |negative: bool, positive: bool| {
            f32::from(u8::from(positive)) - f32::from(u8::from(negative))
        };
        CameraInput {
            pan: Vec2::new(axis(self.left, self.right), axis(self.down, self.up)),
            zoom: axis(self.zoom_out, self.zoom_in),
        }
    }
}

/// The steps of `--resize-every`: shrink, minimize (a 0x0 resize), restore.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ResizeStep {
    Shrink,
    Minimize,
    Restore,
}

struct App<'a> {
    options: &'a Options,
    target: Option<WindowTarget>,
    driver: Option<FrameDriver>,
    keys: HeldKeys,
    error: Option<DemoError>,
    resize_step: usize,
    /// A scripted minimize ends at this time.
    minimized_until: Option<Instant>,
}

impl<'a> App<'a> {
    fn new(options: &'a Options) -> App<'a> {
        App {
            options,
            target: None,
            driver: None,
            keys: HeldKeys::default(),
            error: None,
            resize_step: 0,
            minimized_until: None,
        }
    }

    fn fail(&mut self, event_loop: &ActiveEventLoop, error: DemoError) {
        self.error = Some(error);
        event_loop.exit();
    }

    /// Window, surface, GPU, demo state and its driver, on the first `resumed`.
    fn init(&mut self, event_loop: &ActiveEventLoop) -> Result<(), DemoError> {
        let (width, height) = self.options.size;
        let attributes = Window::default_attributes()
            .with_title("frame-memory demo")
            .with_inner_size(PhysicalSize::new(width, height));
        let window = Arc::new(
            event_loop
                .create_window(attributes)
                .map_err(|error| DemoError::Window(error.to_string()))?,
        );
        let instance =
            wgpu::Instance::new(wgpu::InstanceDescriptor::new_with_display_handle_from_env(
                Box::new(event_loop.owned_display_handle()),
            ));
        let surface = instance
            .create_surface(Arc::clone(&window))
            .map_err(GpuError::Surface)?;
        let gpu = GpuContext::with_instance(instance, Some(&surface))?;
        eprintln!("window: {}", gpu.describe());
        let surface = WindowSurface::new(&gpu, Arc::clone(&window), surface, self.options.vsync);
        let state = DemoState::new(gpu, surface.format(), self.options)?;
        if state.gpu().is_software() && self.options.objects.is_none() {
            eprintln!(
                "software renderer: {} objects per level (pass --objects N to change)",
                state.object_count()
            );
        }
        let driver = FrameDriver::new(state, self.options, TimeStep::RealTime)?;
        window.request_redraw();
        self.target = Some(WindowTarget { window, surface });
        self.driver = Some(driver);
        Ok(())
    }

    fn resize(&mut self, width: u32, height: u32) {
        if let (Some(target), Some(driver)) = (&mut self.target, &self.driver) {
            target.surface.resize(driver.state().gpu(), width, height);
        }
    }

    fn key(&mut self, event_loop: &ActiveEventLoop, event: &KeyEvent) {
        let PhysicalKey::Code(code) = event.physical_key else {
            return;
        };
        let pressed = event.state == ElementState::Pressed;
        match code {
            KeyCode::KeyA | KeyCode::ArrowLeft => self.keys.left = pressed,
            KeyCode::KeyD | KeyCode::ArrowRight => self.keys.right = pressed,
            KeyCode::KeyW | KeyCode::ArrowUp => self.keys.up = pressed,
            KeyCode::KeyS | KeyCode::ArrowDown => self.keys.down = pressed,
            KeyCode::KeyE | KeyCode::Equal => self.keys.zoom_in = pressed,
            KeyCode::KeyQ | KeyCode::Minus => self.keys.zoom_out = pressed,
            _ => {}
        }
        if !pressed || event.repeat {
            return;
        }
        let Some(driver) = &mut self.driver else {
            return;
        };
        let level_key = match code {
            KeyCode::Digit1 => Some(0),
            KeyCode::Digit2 => Some(1),
            KeyCode::Digit3 => Some(2),
            KeyCode::Digit4 => Some(3),
            KeyCode::Digit5 => Some(4),
            KeyCode::Digit6 => Some(5),
            KeyCode::Digit7 => Some(6),
            KeyCode::Digit8 => Some(7),
            KeyCode::Digit9 => Some(8),
            _ => None,
        };
        match (code, level_key) {
            (_, Some(index)) if index < driver.state().level_count() => {
                driver.switch_level(index);
            }
            (KeyCode::Tab, _) => driver.next_level(),
            (KeyCode::Escape, _) => event_loop.exit(),
            (KeyCode::KeyB, _) => driver.state_mut().request_burst(),
            (KeyCode::KeyO, _) => driver.state_mut().toggle_overlay(),
            (KeyCode::KeyP, _) => driver.state_mut().toggle_autopilot(),
            (KeyCode::KeyR, _) => driver.state_mut().reset_camera(),
            _ => {}
        }
    }

    fn redraw(&mut self, event_loop: &ActiveEventLoop) {
        let (Some(target), Some(driver)) = (&mut self.target, &mut self.driver) else {
            return;
        };
        let flow = match driver.frame(target, self.keys.camera_input()) {
            Ok(flow) => flow,
            Err(error) => {
                self.fail(event_loop, error);
                return;
            }
        };
        if flow == Flow::Skipped {
            return;
        }
        if flow == Flow::Finished {
            event_loop.exit();
            return;
        }
        if let Some(every) = self.options.resize_every
            && driver.frames_drawn().is_multiple_of(every)
        {
            self.scripted_resize();
        }
    }

    /// `--resize-every`: cycles through a real resize, a minimize (the 0x0 resize
    /// a minimized window gets) and back.
    fn scripted_resize(&mut self) {
        const STEPS: [ResizeStep; 3] = [
            ResizeStep::Shrink,
            ResizeStep::Minimize,
            ResizeStep::Restore,
        ];
        let step = STEPS[self.resize_step % STEPS.len()];
        self.resize_step += 1;
        let Some(window) = self
            .target
            .as_ref()
            .map(|target| Arc::clone(&target.window))
        else {
            return;
        };
        let (width, height) = self.options.size;
        match step {
            ResizeStep::Shrink => {
                let _ = window
                    .request_inner_size(PhysicalSize::new((width / 2).max(1), (height / 2).max(1)));
            }
            ResizeStep::Minimize => {
                self.resize(0, 0);
                self.minimized_until = Some(Instant::now() + Duration::from_millis(100));
            }
            ResizeStep::Restore => {
                let _ = window.request_inner_size(PhysicalSize::new(width, height));
            }
        }
    }
}

impl ApplicationHandler for App<'_> {
    fn resumed(&mut self, event_loop: &ActiveEventLoop) {
        if self.target.is_some() {
            return;
        }
        if let Err(error) = self.init(event_loop) {
            self.fail(event_loop, error);
        }
    }

    fn window_event(
        &mut self,
        event_loop: &ActiveEventLoop,
        _window_id: WindowId,
        event: WindowEvent,
    ) {
        match event {
            WindowEvent::CloseRequested => event_loop.exit(),
            WindowEvent::Resized(size) => self.resize(size.width, size.height),
            WindowEvent::KeyboardInput { event, .. } => self.key(event_loop, &event),
            WindowEvent::RedrawRequested => self.redraw(event_loop),
            _ => {}
        }
    }

    fn about_to_wait(&mut self, event_loop: &ActiveEventLoop) {
        if let Some(until) = self.minimized_until
            && Instant::now() >= until
        {
            self.minimized_until = None;
            if let Some(target) = &self.target {
                let size = target.window.inner_size();
                self.resize(size.width, size.height);
            }
        }
        let minimized = self
            .target
            .as_ref()
            .is_none_or(|target| target.surface.is_minimized());
        match &self.target {
            Some(target) if !minimized => {
                event_loop.set_control_flow(ControlFlow::Poll);
                target.window.request_redraw();
            }
            // Nothing to draw: sleep until an event (or the scripted restore).
            _ => event_loop.set_control_flow(match self.minimized_until {
                Some(until) => ControlFlow::WaitUntil(until),
                None => ControlFlow::Wait,
            }),
        }
    }
}
