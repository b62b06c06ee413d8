//! How a [`GpuUploadRing`](super::GpuUploadRing) is built.

/// How to build a [`GpuUploadRing`](super::GpuUploadRing).
///
/// ```
/// let config = engine::gpu::GpuUploadRingConfig {
///     label: "frame uploads",
///     usage: wgpu::BufferUsages::VERTEX | wgpu::BufferUsages::UNIFORM,
///     frames_in_flight: 3,
///     initial_bytes_per_frame: 1 << 20,
///     budget_bytes: Some(64 << 20),
///     trim: Some(engine::TrimPolicy::DEFAULT),
/// };
/// assert_eq!(config.frames_in_flight, 3);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GpuUploadRingConfig<'a> {
    /// The ring's name, in its stats and on its GPU buffers (debuggers show it).
    pub label: &'a str,
    /// How the frame's data is used on the GPU (`VERTEX`, `UNIFORM`, `STORAGE`,
    /// `INDEX`, `INDIRECT`). `COPY_DST` is added by the ring.
    pub usage: wgpu::BufferUsages,
    /// Regions in the ring: how many frames the CPU may record while the GPU still
    /// works on older ones. `begin_frame` waits for the GPU when all are busy.
    /// At least 1; 2 or 3 is usual.
    pub frames_in_flight: usize,
    /// Bytes each region starts with. A frame that needs more grows its region
    /// (see [`GpuUploadRing`](super::GpuUploadRing)), so this is a starting guess, not a limit.
    pub initial_bytes_per_frame: u64,
    /// A budget reported in [`stats`](super::GpuUploadRing::stats) for telemetry. The ring
    /// does not refuse to grow past it (a frame must be drawn); compare
    /// `committed_bytes` with it to flag the overrun.
    pub budget_bytes: Option<usize>,
    /// Whether, and how soon, GPU memory a spike made the ring take is given back,
    /// as for an arena ([`TrimPolicy`](crate::TrimPolicy); `within_resets` counts
    /// frames here). The ring measures the most bytes a frame uploaded over windows
    /// of frames; at a window's end, if its regions are at least twice that need
    /// (rounded up to a power of two, and never less than `initial_bytes_per_frame`)
    /// and no frame overflowed its region in the window, each region is replaced by
    /// a smaller one when it next comes round. So after a spike the ring's memory is
    /// back within `within_resets + frames_in_flight` frames. `None`: the regions
    /// keep the size of the biggest frame. Defaults to [`TrimPolicy::DEFAULT`](crate::TrimPolicy::DEFAULT).
    pub trim: Option<crate::TrimPolicy>,
}

impl Default for GpuUploadRingConfig<'_> {
    fn default() -> Self {
        GpuUploadRingConfig {
            label: "gpu upload ring",
            usage: wgpu::BufferUsages::VERTEX
                | wgpu::BufferUsages::INDEX
                | wgpu::BufferUsages::UNIFORM
                | wgpu::BufferUsages::STORAGE,
            frames_in_flight: 2,
            initial_bytes_per_frame: 256 * 1024,
            budget_bytes: None,
            trim: Some(crate::TrimPolicy::DEFAULT),
        }
    }
}
