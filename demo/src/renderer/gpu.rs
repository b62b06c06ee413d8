//! The wgpu instance, adapter, device and queue, and the error a user sees when
//! there is no adapter at all.

use std::fmt;

/// Why no GPU could be used.
#[derive(Debug)]
pub enum GpuError {
    /// No adapter: no GPU driver, and no software one either.
    NoAdapter(wgpu::RequestAdapterError),
    /// An adapter was found but refused to open a device.
    Device(wgpu::RequestDeviceError),
    /// The window's surface could not be created.
    Surface(wgpu::CreateSurfaceError),
}

impl fmt::Display for GpuError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GpuError::NoAdapter(error) => write!(
                f,
                "no GPU adapter found ({error}).\n\
                 The demo needs a Vulkan, Metal, DX12 or OpenGL driver. Without a GPU, install\n\
                 Mesa's software Vulkan driver (lavapipe):\n\
                 \x20   sudo apt-get install mesa-vulkan-drivers      (Debian/Ubuntu)\n\
                 \x20   sudo dnf install mesa-vulkan-drivers          (Fedora)\n\
                 or try OpenGL with WGPU_BACKEND=gl. Then run with fewer objects, e.g. --objects 5000."
            ),
            GpuError::Device(error) => {
                write!(f, "the GPU adapter refused to open a device: {error}")
            }
            GpuError::Surface(error) => {
                write!(f, "cannot create a surface for the window: {error}")
            }
        }
    }
}

impl std::error::Error for GpuError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            GpuError::NoAdapter(error) => Some(error),
            GpuError::Device(error) => Some(error),
            GpuError::Surface(error) => Some(error),
        }
    }
}

/// An open GPU: what every part of the renderer needs.
#[derive(Debug)]
pub struct GpuContext {
    /// Kept to recreate a lost window surface.
    pub instance: wgpu::Instance,
    /// The adapter (its info says whether it is a software renderer).
    pub adapter: wgpu::Adapter,
    /// The device.
    pub device: wgpu::Device,
    /// Its queue.
    pub queue: wgpu::Queue,
}

impl GpuContext {
    /// An instance for offscreen rendering (no display needed), honouring
    /// `WGPU_BACKEND`, `WGPU_ADAPTER_NAME` and `WGPU_POWER_PREF`, and a device on
    /// its adapter.
    ///
    /// # Errors
    /// [`GpuError::NoAdapter`] (with install instructions) or [`GpuError::Device`].
    pub fn new_headless() -> Result<GpuContext, GpuError> {
        let instance =
            wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle().with_env());
        GpuContext::with_instance(instance, None)
    }

    /// A device on an adapter of `instance` that can present to `surface` (if given).
    ///
    /// # Errors
    /// As [`new_headless`](GpuContext::new_headless).
    pub fn with_instance(
        instance: wgpu::Instance,
        surface: Option<&wgpu::Surface<'_>>,
    ) -> Result<GpuContext, GpuError> {
        let adapter = pollster::block_on(wgpu::util::initialize_adapter_from_env_or_default(
            &instance, surface,
        ))
        .map_err(GpuError::NoAdapter)?;
        let limits = wgpu::Limits::downlevel_defaults()
            .using_resolution(adapter.limits())
            .using_alignment(adapter.limits());
        let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
            label: Some("demo device"),
            required_limits: limits,
            ..Default::default()
        }))
        .map_err(GpuError::Device)?;
        Ok(GpuContext {
            instance,
            adapter,
            device,
            queue,
        })
    }

    /// Whether the adapter is a software renderer (lavapipe, llvmpipe, WARP).
    #[must_use]
    pub fn is_software(&self) -> bool {
        self.adapter.get_info().device_type == wgpu::DeviceType::Cpu
    }

    /// "name (backend, type)", for the log.
    #[must_use]
    pub fn describe(&self) -> String {
        let info = self.adapter.get_info();
        format!("{} ({:?}, {:?})", info.name, info.backend, info.device_type)
    }
}
