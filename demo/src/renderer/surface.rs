//! A window's surface: configuration, resizing (minimized windows included) and
//! recovery from outdated or lost surfaces.

use super::gpu::GpuContext;
use std::sync::Arc;
use winit::window::Window;

/// A configured surface for one window.
#[derive(Debug)]
pub struct WindowSurface {
    window: Arc<Window>,
    surface: wgpu::Surface<'static>,
    config: wgpu::SurfaceConfiguration,
    /// Set by a suboptimal frame: reconfigure before the next one.
    reconfigure: bool,
    reconfigure_count: u64,
}

impl WindowSurface {
    /// Chooses an sRGB format (if the surface has one) and configures the surface
    /// to the window's current size (unless minimized).
    #[must_use]
    pub fn new(
        gpu: &GpuContext,
        window: Arc<Window>,
        surface: wgpu::Surface<'static>,
        vsync: bool,
    ) -> WindowSurface {
        let size = window.inner_size();
        let caps = surface.get_capabilities(&gpu.adapter);
        let mut config = surface
            .get_default_config(&gpu.adapter, size.width.max(1), size.height.max(1))
            .expect("the adapter was chosen to support this surface");
        if let Some(srgb) = caps
            .formats
            .iter()
            .copied()
            .find(wgpu::TextureFormat::is_srgb)
        {
            config.format = srgb;
        }
        config.present_mode = if vsync {
            wgpu::PresentMode::AutoVsync
        } else {
            wgpu::PresentMode::AutoNoVsync
        };
        config.desired_maximum_frame_latency = 2;
        let window_surface = WindowSurface {
            window,
            surface,
            config,
            reconfigure: false,
            reconfigure_count: 0,
        };
        if size.width > 0 && size.height > 0 {
            window_surface
                .surface
                .configure(&gpu.device, &window_surface.config);
        }
        window_surface
    }

    /// The surface's texture format.
    #[must_use]
    pub fn format(&self) -> wgpu::TextureFormat {
        self.config.format
    }

    /// The configured size.
    #[must_use]
    pub fn size(&self) -> (u32, u32) {
        (self.config.width, self.config.height)
    }

    /// How many times the surface was reconfigured after a resize, an outdated or
    /// suboptimal frame, or a loss.
    #[must_use]
    pub fn reconfigure_count(&self) -> u64 {
        self.reconfigure_count
    }

    /// Reconfigures for a new window size. A zero size (minimized) is remembered
    /// but not configured: [`acquire`](WindowSurface::acquire) then gives nothing.
    pub fn resize(&mut self, gpu: &GpuContext, width: u32, height: u32) {
        self.config.width = width;
        self.config.height = height;
        if width > 0 && height > 0 {
            self.configure(gpu);
        }
    }

    /// Whether the window has no area (minimized): nothing to draw.
    #[must_use]
    pub fn is_minimized(&self) -> bool {
        self.config.width == 0 || self.config.height == 0
    }

    fn configure(&mut self, gpu: &GpuContext) {
        self.surface.configure(&gpu.device, &self.config);
        self.reconfigure = false;
        self.reconfigure_count += 1;
    }

    /// The next texture to draw into, or `None` if this frame should be skipped
    /// (minimized, occluded, timed out, or the surface was just rebuilt).
    /// Outdated surfaces are reconfigured and tried once more; a lost surface is
    /// created again from the window.
    pub fn acquire(&mut self, gpu: &GpuContext) -> Option<wgpu::SurfaceTexture> {
        if self.is_minimized() {
            return None;
        }
        if self.reconfigure {
            self.configure(gpu);
        }
        for _attempt in 0..2 {
            match self.surface.get_current_texture() {
                wgpu::CurrentSurfaceTexture::Success(texture) => return Some(texture),
                wgpu::CurrentSurfaceTexture::Suboptimal(texture) => {
                    self.reconfigure = true;
                    return Some(texture);
                }
                wgpu::CurrentSurfaceTexture::Timeout
                | wgpu::CurrentSurfaceTexture::Occluded
                | wgpu::CurrentSurfaceTexture::Validation => return None,
                wgpu::CurrentSurfaceTexture::Outdated => {
                    // The window changed under us (a resize we have not seen yet).
                    let size = self.window.inner_size();
                    self.config.width = size.width;
                    self.config.height = size.height;
                    if self.is_minimized() {
                        return None;
                    }
                    self.configure(gpu);
                }
                wgpu::CurrentSurfaceTexture::Lost => {
                    match gpu.instance.create_surface(Arc::clone(&self.window)) {
                        Ok(surface) => {
                            self.surface = surface;
                            self.configure(gpu);
                        }
                        Err(error) => {
                            eprintln!("surface lost and could not be recreated: {error}");
                            return None;
                        }
                    }
                }
            }
        }
        None
    }
}
