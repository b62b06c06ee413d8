//! The windowed shell: a winit 0.30 `ApplicationHandler` that owns the window and
//! its surface, turns keys into camera input and level switches, and asks
//! [`DemoState`] for a frame on every redraw.

use crate::alloc_counter;
use crate::error::DemoError;
use crate::headless;
use crate::memory_chart::MemoryHistory;
use crate::options::Options;
use crate::overlay::Bytes;
use crate::renderer::gpu::{GpuContext, GpuError};
use crate::renderer::surface::WindowSurface;
use crate::scene::CameraInput;
use crate::state::DemoState;
use crate::stats::StatsCsv;
use glam::Vec2;
use std::fmt::Write as _;
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
    if let Some(csv) = &mut app.csv {
        csv.flush().map_err(|source| DemoError::Io {
            path: options.stats.clone().unwrap_or_default(),
            source,
        })?;
    }
    if let (Some(history), Some(path)) = (&app.history, &options.chart) {
        headless::write_chart(history, path)?;
    }
    Ok(WindowedSummary {
        frames: app.frames_presented,
        reconfigures: app
            .surface
            .as_ref()
            .map_or(0, WindowSurface::reconfigure_count),
        fell_back_to_headless: false,
    })
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
    window: Option<Arc<Window>>,
    surface: Option<WindowSurface>,
    state: Option<DemoState>,
    keys: HeldKeys,
    csv: Option<StatsCsv>,
    history: Option<MemoryHistory>,
    error: Option<DemoError>,
    frames_presented: u64,
    last_frame: Instant,
    title: String,
    resize_step: usize,
    /// A scripted minimize ends at this time.
    minimized_until: Option<Instant>,
}

impl<'a> App<'a> {
    fn new(options: &'a Options) -> App<'a> {
        App {
            options,
            window: None,
            surface: None,
            state: None,
            keys: HeldKeys::default(),
            csv: None,
            history: options.chart.as_ref().map(|_| MemoryHistory::default()),
            error: None,
            frames_presented: 0,
            last_frame: Instant::now(),
            title: String::with_capacity(256),
            resize_step: 0,
            minimized_until: None,
        }
    }

    fn fail(&mut self, event_loop: &ActiveEventLoop, error: DemoError) {
        self.error = Some(error);
        event_loop.exit();
    }

    /// Window, surface, GPU and demo state, on the first `resumed`.
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
        if let Some(path) = &self.options.stats {
            self.csv = Some(StatsCsv::create(path).map_err(|source| DemoError::Io {
                path: path.clone(),
                source,
            })?);
        }
        window.request_redraw();
        self.window = Some(window);
        self.surface = Some(surface);
        self.state = Some(state);
        self.last_frame = Instant::now();
        Ok(())
    }

    fn resize(&mut self, width: u32, height: u32) {
        if let (Some(surface), Some(state)) = (&mut self.surface, &self.state) {
            surface.resize(state.gpu(), width, height);
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
        let Some(state) = &mut self.state else {
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
        let switched = match (code, level_key) {
            (_, Some(index)) if index < state.level_count() => Some(state.switch_level(index)),
            (KeyCode::Tab, _) => Some(state.next_level()),
            (KeyCode::Escape, _) => {
                event_loop.exit();
                None
            }
            (KeyCode::KeyO, _) => {
                state.toggle_overlay();
                None
            }
            (KeyCode::KeyP, _) => {
                state.toggle_autopilot();
                None
            }
            (KeyCode::KeyR, _) => {
                state.reset_camera();
                None
            }
            _ => None,
        };
        if let Some(Err(error)) = switched {
            eprintln!(
                "level switch failed, staying in {}: {error}",
                state.scene().level.name()
            );
        }
    }

    fn redraw(&mut self, event_loop: &ActiveEventLoop) {
        let (Some(window), Some(surface), Some(state)) =
            (&self.window, &mut self.surface, &mut self.state)
        else {
            return;
        };
        let now = Instant::now();
        let dt = (now - self.last_frame).as_secs_f32().min(0.1);
        self.last_frame = now;
        let heap_at_start = alloc_counter::snapshot();
        let Some(texture) = surface.acquire(state.gpu()) else {
            return;
        };
        let view = texture
            .texture
            .create_view(&wgpu::TextureViewDescriptor::default());
        let size = surface.size();
        let report = state.frame(&view, size, dt, self.keys.camera_input());
        let demo_heap = report.demo_heap;
        drop(view);
        window.pre_present_notify();
        state.gpu().queue.present(texture);
        let heap_at_end = alloc_counter::snapshot();
        if let Some(report) = state.last_report_mut() {
            // Acquire, view and present are wgpu's too.
            report.wgpu_heap = (heap_at_end - heap_at_start) - demo_heap;
            report.cpu_ms = now.elapsed().as_secs_f32() * 1000.0;
        }
        if let Some(history) = &mut self.history {
            history.record(state.telemetry().report());
        }
        if let Some(report) = state.last_report().cloned() {
            if let Some(csv) = &mut self.csv
                && let Err(source) = csv.write(&report)
            {
                let path = self.options.stats.clone().unwrap_or_default();
                self.fail(event_loop, DemoError::Io { path, source });
                return;
            }
            if self.frames_presented.is_multiple_of(30) {
                self.title.clear();
                let _ = write!(
                    self.title,
                    "frame-memory demo | {} | {} objects, {} visible, {} draws | frame {}/{} (hw {}) | level {} | assets {} | gpu ring {} | heap allocs: demo {}, wgpu {} | {:.1} ms",
                    state.scene().level.name(),
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
                );
                window.set_title(&self.title);
            }
        }
        self.frames_presented += 1;
        if self
            .options
            .frames
            .is_some_and(|limit| self.frames_presented >= limit)
        {
            event_loop.exit();
            return;
        }
        if let Some(every) = self.options.switch_every
            && self.frames_presented.is_multiple_of(every)
            && let Err(error) = state.next_level()
        {
            eprintln!("level switch failed: {error}");
        }
        if let Some(every) = self.options.resize_every
            && self.frames_presented.is_multiple_of(every)
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
        let Some(window) = self.window.clone() else {
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
        if self.window.is_some() {
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
            if let Some(window) = &self.window {
                let size = window.inner_size();
                self.resize(size.width, size.height);
            }
        }
        let minimized = self
            .surface
            .as_ref()
            .is_none_or(WindowSurface::is_minimized);
        match &self.window {
            Some(window) if !minimized => {
                event_loop.set_control_flow(ControlFlow::Poll);
                window.request_redraw();
            }
            // Nothing to draw: sleep until an event (or the scripted restore).
            _ => event_loop.set_control_flow(match self.minimized_until {
                Some(until) => ControlFlow::WaitUntil(until),
                None => ControlFlow::Wait,
            }),
        }
    }
}
