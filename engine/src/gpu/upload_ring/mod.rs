//! [`GpuUploadRing`]: a frame arena for the bytes a frame uploads to the GPU. Its
//! allocation calls are in `alloc.rs`.

mod alloc;

use super::{GpuUploadRingConfig, UploadSlice};
use crate::arena::bump;
use crate::{ArenaStats, TrimPolicy};
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};

/// Chunk map states, shared with the `map_async` callback.
const MAPPED: u8 = 0;
const MAP_PENDING: u8 = 1;
const UNMAPPED: u8 = 2;
const MAP_FAILED: u8 = 3;

/// Chunks are sized in multiples of this, so small growth steps do not create a
/// buffer per frame.
const CHUNK_GRANULE: u64 = 256;

/// Every ring gets ids from one counter, so an id names one GPU buffer for good.
static NEXT_BUFFER_ID: AtomicU64 = AtomicU64::new(1);

/// One staging buffer (CPU writes) and the GPU buffer it is copied into.
#[derive(Debug)]
struct Chunk {
    buffer_id: u64,
    /// `MAP_WRITE | COPY_SRC`: mapped while the CPU fills it.
    staging: wgpu::Buffer,
    /// The ring's usage `| COPY_DST`: what draws read.
    buffer: wgpu::Buffer,
    capacity: u64,
    used: u64,
    /// The whole staging buffer, while the frame is open.
    view: Option<wgpu::BufferViewMut>,
    /// One of `MAPPED`, `MAP_PENDING`, `UNMAPPED`, `MAP_FAILED`; the map callback
    /// writes it from whichever thread polls the device.
    map_state: Arc<AtomicU8>,
}

/// The memory of one frame in flight.
#[derive(Debug, Default)]
struct Region {
    /// Normally one chunk; a frame that overflows adds more, and the next
    /// `begin_frame` on this region merges them into one.
    chunks: Vec<Chunk>,
    /// The last submission that read this region's staging buffers.
    submission: Option<wgpu::SubmissionIndex>,
}

/// A GPU-side frame arena: per-frame uploads (instance data, per-draw uniforms,
/// overlay geometry) are bump-allocated from big buffers, one region per frame in
/// flight, and a region is written again only once the GPU has finished the frame
/// that last used it.
///
/// # How a frame uses it
/// 1. [`begin_frame`](GpuUploadRing::begin_frame) moves to the next region. If the
///    GPU still reads it, this waits (`device.poll`) until that frame's work is
///    done: this is where a CPU that runs ahead of the GPU is throttled.
/// 2. [`alloc_slice_copy`](GpuUploadRing::alloc_slice_copy),
///    [`alloc_uniform`](GpuUploadRing::alloc_uniform),
///    [`alloc_strided`](GpuUploadRing::alloc_strided) or
///    [`write_with`](GpuUploadRing::write_with) copy bytes straight into mapped
///    staging memory and return an [`UploadSlice`] (buffer + offset) to bind.
/// 3. [`finish_frame`](GpuUploadRing::finish_frame) unmaps the region and records
///    **one** buffer-to-buffer copy per chunk into the frame's command encoder.
/// 4. After `queue.submit`, [`frame_submitted`](GpuUploadRing::frame_submitted)
///    asks wgpu to map the region again when that submission completes.
///
/// No `queue.write_buffer` is involved, so wgpu allocates no staging memory per
/// frame; the ring's buffers are created once and reused.
///
/// # Growth
/// A frame that needs more than its region holds gets an extra chunk (twice the
/// size, or the request, whichever is bigger); the draws of that frame simply
/// bind the new buffer. The next time each region comes round it is replaced by
/// one chunk big enough for the biggest frame so far, so a steady workload stops
/// creating buffers after a few frames (like [`Arena::reset`](crate::Arena::reset)
/// keeping one chunk for its high-water mark).
///
/// # Giving memory back
/// With a [`trim`](GpuUploadRingConfig::trim) policy (the default), a spike's
/// regions shrink again: once a window of frames needed far less than the regions
/// hold, each region is replaced by a smaller one when it next comes round, and
/// [`stats`](GpuUploadRing::stats) count the trims. A steady workload never trims.
///
/// # Alignment
/// Offsets are aligned to what is asked for and at least to
/// `wgpu::COPY_BUFFER_ALIGNMENT` (4 bytes, which also satisfies
/// `wgpu::VERTEX_ALIGNMENT`). [`alloc_uniform`](GpuUploadRing::alloc_uniform) uses
/// the device's `min_uniform_buffer_offset_alignment` so the slice can be bound
/// with a dynamic offset; [`storage_alignment`](GpuUploadRing::storage_alignment)
/// gives the storage one.
///
/// # Example
/// ```no_run
/// # async fn frame(device: wgpu::Device, queue: wgpu::Queue, view: wgpu::TextureView) {
/// use engine::gpu::{GpuUploadRing, GpuUploadRingConfig};
///
/// let mut ring = GpuUploadRing::new(&device, &GpuUploadRingConfig {
///     label: "frame uploads",
///     usage: wgpu::BufferUsages::VERTEX | wgpu::BufferUsages::UNIFORM,
///     ..Default::default()
/// });
///
/// // Every frame:
/// ring.begin_frame();
/// let instances: &[[f32; 4]] = &[[0.0, 0.0, 1.0, 1.0]; 100];
/// let instance_slice = ring.alloc_slice_copy(instances, 16);
/// let mut encoder = device.create_command_encoder(&Default::default());
/// ring.finish_frame(&mut encoder); // the upload copies go first
/// {
///     let mut pass = encoder.begin_render_pass(&wgpu::RenderPassDescriptor {
///         color_attachments: &[Some(wgpu::RenderPassColorAttachment {
///             view: &view,
///             depth_slice: None,
///             resolve_target: None,
///             ops: wgpu::Operations::default(),
///         })],
///         ..Default::default()
///     });
///     pass.set_vertex_buffer(1, instance_slice.slice());
///     // ... set the pipeline, draw ...
/// }
/// let submission = queue.submit([encoder.finish()]);
/// ring.frame_submitted(submission);
///
/// let stats = ring.stats();
/// println!("{}: {} bytes this frame, {} high-water", stats.name, stats.used_bytes, stats.high_water_bytes);
/// # }
/// ```
pub struct GpuUploadRing {
    name: Arc<str>,
    device: wgpu::Device,
    usage: wgpu::BufferUsages,
    regions: Vec<Region>,
    /// Index of the region of the current (or last) frame.
    current: usize,
    frame_open: bool,
    /// Capacity every region is brought up to when it comes round: the largest
    /// region any frame has needed.
    region_target_bytes: u64,
    uniform_alignment: u64,
    storage_alignment: u64,
    /// The device's largest buffer: no chunk, and so no request, may be bigger.
    max_buffer_size: u64,
    budget_bytes: Option<usize>,
    /// What a trim never goes below: the regions' starting size.
    start_bytes: u64,
    trim: Option<TrimPolicy>,
    /// The most bytes one frame used in the current trim window.
    window_need: u64,
    /// Whether a frame overflowed its region in the current trim window.
    window_overflowed: bool,
    /// The `frame_count` whose `begin_frame` closes the trim window.
    window_ends_at: u64,
    trim_count: u64,
    trimmed_bytes: u64,
    used_bytes: u64,
    high_water_bytes: u64,
    allocation_count: u64,
    grow_count: u64,
    frame_count: u64,
    gpu_wait_count: u64,
}

impl fmt::Debug for GpuUploadRing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GpuUploadRing")
            .field("name", &self.name)
            .field("usage", &self.usage)
            .field("frames_in_flight", &self.regions.len())
            .field("current", &self.current)
            .field("frame_open", &self.frame_open)
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

impl GpuUploadRing {
    /// Creates the ring and its first buffers (`frames_in_flight` regions of
    /// `initial_bytes_per_frame` each, rounded up to 256 bytes).
    ///
    /// # Panics
    /// If `frames_in_flight` is 0.
    #[must_use]
    pub fn new(device: &wgpu::Device, config: &GpuUploadRingConfig<'_>) -> GpuUploadRing {
        assert!(
            config.frames_in_flight > 0,
            "a GpuUploadRing needs at least one region"
        );
        let limits = device.limits();
        let initial = config
            .initial_bytes_per_frame
            .max(1)
            .next_multiple_of(CHUNK_GRANULE);
        let mut ring = GpuUploadRing {
            name: Arc::from(config.label),
            device: device.clone(),
            usage: config.usage | wgpu::BufferUsages::COPY_DST,
            regions: Vec::with_capacity(config.frames_in_flight),
            // The first begin_frame moves to region 0.
            current: config.frames_in_flight - 1,
            frame_open: false,
            region_target_bytes: initial,
            uniform_alignment: u64::from(limits.min_uniform_buffer_offset_alignment),
            storage_alignment: u64::from(limits.min_storage_buffer_offset_alignment),
            max_buffer_size: limits.max_buffer_size,
            budget_bytes: config.budget_bytes,
            start_bytes: initial,
            trim: config.trim,
            window_need: 0,
            window_overflowed: false,
            window_ends_at: config
                .trim
                .map_or(u64::MAX, |policy| policy.window_resets() + 1),
            trim_count: 0,
            trimmed_bytes: 0,
            used_bytes: 0,
            high_water_bytes: 0,
            allocation_count: 0,
            grow_count: 0,
            frame_count: 0,
            gpu_wait_count: 0,
        };
        for _ in 0..config.frames_in_flight {
            let mut chunks = Vec::with_capacity(4);
            chunks.push(ring.create_chunk(initial));
            ring.regions.push(Region {
                chunks,
                submission: None,
            });
        }
        ring
    }

    /// The ring's name (its config's `label`).
    #[inline]
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// How many frames may be in flight: the number of regions.
    #[inline]
    #[must_use]
    pub fn frames_in_flight(&self) -> usize {
        self.regions.len()
    }

    /// The device's `min_uniform_buffer_offset_alignment` (256 on most GPUs):
    /// what [`alloc_uniform`](GpuUploadRing::alloc_uniform) aligns to.
    #[inline]
    #[must_use]
    pub fn uniform_alignment(&self) -> u64 {
        self.uniform_alignment
    }

    /// The device's `min_storage_buffer_offset_alignment`.
    #[inline]
    #[must_use]
    pub fn storage_alignment(&self) -> u64 {
        self.storage_alignment
    }

    /// The distance between consecutive `T`s that are bound one at a time with a
    /// dynamic offset: `size_of::<T>()` rounded up to the
    /// [uniform alignment](GpuUploadRing::uniform_alignment). Pass it to
    /// [`alloc_strided`](GpuUploadRing::alloc_strided).
    #[inline]
    #[must_use]
    pub fn uniform_stride<T>(&self) -> u64 {
        (size_of::<T>() as u64)
            .max(1)
            .next_multiple_of(self.uniform_alignment)
    }

    /// Frames begun so far.
    #[inline]
    #[must_use]
    pub fn frame_count(&self) -> u64 {
        self.frame_count
    }

    /// How many times [`begin_frame`](GpuUploadRing::begin_frame) had to wait for
    /// the GPU to finish an older frame: the CPU was `frames_in_flight` frames ahead.
    #[inline]
    #[must_use]
    pub fn gpu_wait_count(&self) -> u64 {
        self.gpu_wait_count
    }

    /// A snapshot of the ring's memory, in the same shape as the CPU arenas'.
    ///
    /// - `used_bytes`: bytes allocated in the current frame (padding included);
    ///   after [`finish_frame`](GpuUploadRing::finish_frame), the finished frame's.
    /// - `committed_bytes`: GPU memory held: every region's staging buffers plus
    ///   the buffers they are copied into (so twice the regions' capacity).
    /// - `high_water_bytes`: the most bytes one frame has used.
    /// - `allocation_count`: allocations in the current frame.
    /// - `chunk_count`: staging/GPU buffer pairs held, over all regions.
    /// - `grow_count`: buffer pairs created after construction (growth).
    /// - `reset_count`: frames begun.
    /// - `budget_bytes`: from the config; reported, not enforced.
    ///
    /// Never allocates (the name is a reference-counted `Arc<str>`).
    #[must_use]
    pub fn stats(&self) -> ArenaStats {
        let (capacity, chunk_count) = self
            .regions
            .iter()
            .flat_map(|region| region.chunks.iter())
            .fold((0u64, 0usize), |(bytes, count), chunk| {
                (bytes + chunk.capacity, count + 1)
            });
        ArenaStats {
            name: Arc::clone(&self.name),
            used_bytes: to_usize(self.used_bytes),
            committed_bytes: to_usize(capacity * 2),
            high_water_bytes: to_usize(self.high_water_bytes.max(self.used_bytes)),
            allocation_count: self.allocation_count,
            chunk_count,
            grow_count: self.grow_count,
            reset_count: self.frame_count,
            trim_count: self.trim_count,
            trimmed_bytes: self.trimmed_bytes,
            limit_bytes: None,
            budget_bytes: self.budget_bytes,
        }
    }

    /// The GPU memory the ring holds, one `(buffer_id, bytes)` per staging/GPU
    /// buffer pair (bytes of both), over all regions; the bytes sum to
    /// [`stats`](GpuUploadRing::stats)`().committed_bytes`. Ids are
    /// [`UploadSlice::buffer_id`]s, unique in the process, so they can stand in for
    /// addresses in a memory profiler (the chunk spans of `Telemetry::record`).
    ///
    /// ```no_run
    /// # fn f(ring: &engine::gpu::GpuUploadRing) {
    /// let total: usize = ring.chunk_spans().map(|(_, bytes)| bytes).sum();
    /// assert_eq!(total, ring.stats().committed_bytes);
    /// # }
    /// ```
    pub fn chunk_spans(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        self.regions
            .iter()
            .flat_map(|region| region.chunks.iter())
            .map(|chunk| (to_usize(chunk.buffer_id), to_usize(chunk.capacity * 2)))
    }

    /// Starts a frame: moves to the next region, waits until the GPU has finished
    /// the frame that used it last, and maps it for writing.
    ///
    /// Calling it again before [`finish_frame`](GpuUploadRing::finish_frame) (a
    /// frame that was abandoned, e.g. because the window was minimized) starts over
    /// in the same region: its earlier allocations are forgotten.
    ///
    /// A staging buffer that cannot be mapped again (the device was lost) is
    /// replaced by a new one rather than reported.
    pub fn begin_frame(&mut self) {
        self.allocation_count = 0;
        self.used_bytes = 0;
        if self.frame_open {
            for chunk in &mut self.regions[self.current].chunks {
                chunk.used = 0;
            }
            return;
        }
        self.frame_count += 1;
        if self.frame_count == self.window_ends_at {
            self.close_trim_window();
        }
        self.current = (self.current + 1) % self.regions.len();
        let target = self.region_target_bytes;
        let mut region = std::mem::take(&mut self.regions[self.current]);

        let region_capacity: u64 = region.chunks.iter().map(|chunk| chunk.capacity).sum();
        if region.chunks.len() != 1 || region_capacity != target {
            // Dropping a buffer the GPU still reads is fine: wgpu keeps it alive
            // until that work is done.
            region.chunks.clear();
            region.chunks.push(self.create_chunk(target));
            if region_capacity > target {
                // A trim: the staging and the GPU buffer each shrink.
                self.trim_count += 1;
                self.trimmed_bytes += 2 * (region_capacity - target);
            } else {
                self.grow_count += 1;
            }
        }

        for chunk in &region.chunks {
            if chunk.map_state.load(Ordering::Acquire) == UNMAPPED {
                request_map(chunk);
            }
        }
        if region
            .chunks
            .iter()
            .any(|chunk| chunk.map_state.load(Ordering::Acquire) == MAP_PENDING)
        {
            self.gpu_wait_count += 1;
            // Waiting on the region's last submission runs its map callbacks.
            // Errors (device lost, timeout) leave the state pending or failed;
            // both are handled below.
            let _ = self.device.poll(wgpu::PollType::Wait {
                submission_index: region.submission.take(),
                timeout: None,
            });
            if region
                .chunks
                .iter()
                .any(|chunk| chunk.map_state.load(Ordering::Acquire) == MAP_PENDING)
            {
                let _ = self.device.poll(wgpu::PollType::wait_indefinitely());
            }
        }
        for chunk in &mut region.chunks {
            if chunk.map_state.load(Ordering::Acquire) != MAPPED {
                // The map failed or never finished (device lost): start afresh.
                *chunk = self.create_chunk(chunk.capacity);
                self.grow_count += 1;
            }
            chunk.used = 0;
            chunk.view = chunk.staging.slice(..).get_mapped_range_mut().ok();
        }
        region.submission = None;
        self.regions[self.current] = region;
        self.frame_open = true;
    }

    /// Ends the frame's writes: unmaps the region and records into `encoder` the
    /// copies from staging memory to the GPU buffers (one per chunk used). Call it
    /// before recording the passes that read the frame's slices, on the encoder
    /// submitted first, then submit and call
    /// [`frame_submitted`](GpuUploadRing::frame_submitted).
    ///
    /// # Panics
    /// If no frame is open.
    pub fn finish_frame(&mut self, encoder: &mut wgpu::CommandEncoder) {
        assert!(
            self.frame_open,
            "GpuUploadRing::finish_frame without begin_frame"
        );
        let region = &mut self.regions[self.current];
        let mut used_bytes = 0;
        let mut capacity = 0;
        for chunk in &mut region.chunks {
            // Views must be gone before unmap.
            chunk.view = None;
            chunk.staging.unmap();
            chunk.map_state.store(UNMAPPED, Ordering::Release);
            if chunk.used > 0 {
                let copy_size = chunk.used.next_multiple_of(wgpu::COPY_BUFFER_ALIGNMENT);
                encoder.copy_buffer_to_buffer(&chunk.staging, 0, &chunk.buffer, 0, copy_size);
            }
            used_bytes += chunk.used;
            capacity += chunk.capacity;
        }
        self.used_bytes = used_bytes;
        self.high_water_bytes = self.high_water_bytes.max(used_bytes);
        self.window_need = self.window_need.max(used_bytes);
        self.window_overflowed |= region.chunks.len() > 1;
        self.region_target_bytes = self.region_target_bytes.max(capacity);
        self.frame_open = false;
    }

    /// Tells the ring which submission carried the frame's copies and draws, and
    /// asks wgpu to map the region again once it completes. Call it right after
    /// `queue.submit`.
    pub fn frame_submitted(&mut self, submission: wgpu::SubmissionIndex) {
        let region = &mut self.regions[self.current];
        for chunk in &region.chunks {
            if chunk.map_state.load(Ordering::Acquire) == UNMAPPED {
                request_map(chunk);
            }
        }
        region.submission = Some(submission);
    }

    /// At the `begin_frame` that closes a trim window: lowers the regions' target
    /// size to the window's need if the policy says the regions are far bigger, and
    /// starts the next window. Each region takes the new size when it comes round.
    fn close_trim_window(&mut self) {
        let Some(policy) = self.trim else {
            return;
        };
        let target = bump::trim_chunk_capacity(
            to_usize(self.window_need),
            to_usize(self.start_bytes),
            0,
            None,
        ) as u64;
        let target = target.next_multiple_of(CHUNK_GRANULE);
        // A window in which a frame overflowed its region measured its need across
        // chunks; trimming to it could make the next frame overflow again.
        if bump::should_trim(
            to_usize(self.region_target_bytes),
            to_usize(target),
            false,
            self.window_overflowed,
        ) {
            self.region_target_bytes = target;
        }
        self.window_need = 0;
        self.window_overflowed = false;
        self.window_ends_at = self.frame_count + policy.window_resets();
    }

    /// A staging/GPU buffer pair of `capacity` bytes, the staging one mapped.
    fn create_chunk(&self, capacity: u64) -> Chunk {
        let capacity = capacity.next_multiple_of(CHUNK_GRANULE);
        let staging = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some(&self.name),
            size: capacity,
            usage: wgpu::BufferUsages::MAP_WRITE | wgpu::BufferUsages::COPY_SRC,
            mapped_at_creation: true,
        });
        let buffer = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some(&self.name),
            size: capacity,
            usage: self.usage,
            mapped_at_creation: false,
        });
        Chunk {
            buffer_id: NEXT_BUFFER_ID.fetch_add(1, Ordering::Relaxed),
            staging,
            buffer,
            capacity,
            used: 0,
            view: None,
            map_state: Arc::new(AtomicU8::new(MAPPED)),
        }
    }
}

/// Asks wgpu to map `chunk`'s staging buffer for writing once the GPU is done
/// with it; the callback records the outcome.
fn request_map(chunk: &Chunk) {
    chunk.map_state.store(MAP_PENDING, Ordering::Release);
    let state = Arc::clone(&chunk.map_state);
    chunk
        .staging
        .map_async(wgpu::MapMode::Write, .., move |result| {
            state.store(
                if result.is_ok() { MAPPED } else { MAP_FAILED },
                Ordering::Release,
            );
        });
}

#[inline]
fn to_usize(bytes: u64) -> usize {
    usize::try_from(bytes).unwrap_or(usize::MAX)
}
