//! [`GpuUploadRing`]: a frame arena for the bytes a frame uploads to the GPU.

use crate::ArenaStats;
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

/// How to build a [`GpuUploadRing`].
///
/// ```
/// let desc = engine::gpu::GpuUploadRingDescriptor {
///     label: "frame uploads",
///     usage: wgpu::BufferUsages::VERTEX | wgpu::BufferUsages::UNIFORM,
///     frames_in_flight: 3,
///     initial_bytes_per_frame: 1 << 20,
///     budget_bytes: Some(64 << 20),
/// };
/// assert_eq!(desc.frames_in_flight, 3);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GpuUploadRingDescriptor<'a> {
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
    /// (see [`GpuUploadRing`]), so this is a starting guess, not a limit.
    pub initial_bytes_per_frame: u64,
    /// A budget reported in [`stats`](GpuUploadRing::stats) for telemetry. The ring
    /// does not refuse to grow past it (a frame must be drawn); compare
    /// `committed_bytes` with it to flag the overrun.
    pub budget_bytes: Option<usize>,
}

impl Default for GpuUploadRingDescriptor<'_> {
    fn default() -> Self {
        GpuUploadRingDescriptor {
            label: "gpu upload ring",
            usage: wgpu::BufferUsages::VERTEX
                | wgpu::BufferUsages::INDEX
                | wgpu::BufferUsages::UNIFORM
                | wgpu::BufferUsages::STORAGE,
            frames_in_flight: 2,
            initial_bytes_per_frame: 256 * 1024,
            budget_bytes: None,
        }
    }
}

/// Where an allocation from a [`GpuUploadRing`] lives on the GPU: a range of one of
/// the ring's buffers, valid for the frame it was allocated in.
///
/// Cloning it clones a `wgpu::Buffer` handle (a reference count, no heap
/// allocation).
#[derive(Debug, Clone)]
pub struct UploadSlice {
    buffer: wgpu::Buffer,
    buffer_id: u64,
    offset: wgpu::BufferAddress,
    size: wgpu::BufferAddress,
}

impl UploadSlice {
    /// The GPU buffer that holds the data (usable with the ring's usage flags).
    #[inline]
    #[must_use]
    pub fn buffer(&self) -> &wgpu::Buffer {
        &self.buffer
    }

    /// A number that names [`buffer`](UploadSlice::buffer) for as long as the
    /// process runs. It changes only when the ring grows or replaces a buffer, so
    /// it is a cheap key for caching bind groups that point into the ring.
    #[inline]
    #[must_use]
    pub fn buffer_id(&self) -> u64 {
        self.buffer_id
    }

    /// Byte offset of the data in the buffer; a multiple of the alignment asked for.
    #[inline]
    #[must_use]
    pub fn offset(&self) -> wgpu::BufferAddress {
        self.offset
    }

    /// Size of the data in bytes, as asked for (no padding).
    #[inline]
    #[must_use]
    pub fn size(&self) -> wgpu::BufferAddress {
        self.size
    }

    /// The offset as a dynamic offset for `set_bind_group`.
    ///
    /// # Panics
    /// If the offset does not fit a `u32` (a ring region over 4 GiB).
    #[inline]
    #[must_use]
    pub fn dynamic_offset(&self) -> u32 {
        u32::try_from(self.offset).expect("upload ring offset exceeds u32")
    }

    /// The data as a buffer slice, e.g. for `set_vertex_buffer`.
    ///
    /// # Panics
    /// If the allocation is empty (wgpu has no empty buffer slices).
    #[inline]
    #[must_use]
    pub fn slice(&self) -> wgpu::BufferSlice<'_> {
        self.buffer.slice(self.offset..self.offset + self.size)
    }
}

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
/// 2. [`push_slice`](GpuUploadRing::push_slice),
///    [`push_uniform`](GpuUploadRing::push_uniform),
///    [`push_strided`](GpuUploadRing::push_strided) or
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
/// # Alignment
/// Offsets are aligned to what is asked for and at least to
/// `wgpu::COPY_BUFFER_ALIGNMENT` (4 bytes, which also satisfies
/// `wgpu::VERTEX_ALIGNMENT`). [`push_uniform`](GpuUploadRing::push_uniform) uses
/// the device's `min_uniform_buffer_offset_alignment` so the slice can be bound
/// with a dynamic offset; [`storage_alignment`](GpuUploadRing::storage_alignment)
/// gives the storage one.
///
/// # Example
/// ```no_run
/// # async fn frame(device: wgpu::Device, queue: wgpu::Queue, view: wgpu::TextureView) {
/// use engine::gpu::{GpuUploadRing, GpuUploadRingDescriptor};
///
/// let mut ring = GpuUploadRing::new(&device, &GpuUploadRingDescriptor {
///     label: "frame uploads",
///     usage: wgpu::BufferUsages::VERTEX | wgpu::BufferUsages::UNIFORM,
///     ..Default::default()
/// });
///
/// // Every frame:
/// ring.begin_frame();
/// let instances: &[[f32; 4]] = &[[0.0, 0.0, 1.0, 1.0]; 100];
/// let instance_slice = ring.push_slice(instances, 16);
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
    budget_bytes: Option<usize>,
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
    pub fn new(device: &wgpu::Device, desc: &GpuUploadRingDescriptor<'_>) -> GpuUploadRing {
        assert!(
            desc.frames_in_flight > 0,
            "a GpuUploadRing needs at least one region"
        );
        let limits = device.limits();
        let initial = desc
            .initial_bytes_per_frame
            .max(1)
            .next_multiple_of(CHUNK_GRANULE);
        let mut ring = GpuUploadRing {
            name: Arc::from(desc.label),
            device: device.clone(),
            usage: desc.usage | wgpu::BufferUsages::COPY_DST,
            regions: Vec::with_capacity(desc.frames_in_flight),
            // The first begin_frame moves to region 0.
            current: desc.frames_in_flight - 1,
            frame_open: false,
            region_target_bytes: initial,
            uniform_alignment: u64::from(limits.min_uniform_buffer_offset_alignment),
            storage_alignment: u64::from(limits.min_storage_buffer_offset_alignment),
            budget_bytes: desc.budget_bytes,
            used_bytes: 0,
            high_water_bytes: 0,
            allocation_count: 0,
            grow_count: 0,
            frame_count: 0,
            gpu_wait_count: 0,
        };
        for _ in 0..desc.frames_in_flight {
            let mut chunks = Vec::with_capacity(4);
            chunks.push(ring.create_chunk(initial));
            ring.regions.push(Region {
                chunks,
                submission: None,
            });
        }
        ring
    }

    /// The ring's name (its descriptor's `label`).
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
    /// what [`push_uniform`](GpuUploadRing::push_uniform) aligns to.
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
    /// [`push_strided`](GpuUploadRing::push_strided).
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
    /// - `budget_bytes`: from the descriptor; reported, not enforced.
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
        self.current = (self.current + 1) % self.regions.len();
        let target = self.region_target_bytes;
        let mut region = std::mem::take(&mut self.regions[self.current]);

        let region_capacity: u64 = region.chunks.iter().map(|chunk| chunk.capacity).sum();
        if region.chunks.len() != 1 || region_capacity < target {
            // Dropping a buffer the GPU still reads is fine: wgpu keeps it alive
            // until that work is done.
            region.chunks.clear();
            region.chunks.push(self.create_chunk(target));
            self.grow_count += 1;
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

    /// Allocates `size` bytes at an offset aligned to `align` (a power of two;
    /// at least 4 is used) without writing them; fill them with
    /// [`write_with`](GpuUploadRing::write_with) instead if you can.
    ///
    /// # Panics
    /// If no frame is open ([`begin_frame`](GpuUploadRing::begin_frame) first) or
    /// `align` is not a power of two.
    pub fn alloc(&mut self, size: u64, align: u64) -> UploadSlice {
        let (chunk_index, offset) = self.alloc_in_chunk(size, align);
        let chunk = &self.regions[self.current].chunks[chunk_index];
        UploadSlice {
            buffer: chunk.buffer.clone(),
            buffer_id: chunk.buffer_id,
            offset,
            size,
        }
    }

    /// Allocates `size` bytes aligned to `align` and lets `fill` write them
    /// straight into the mapped staging memory (write-only: reading it back may
    /// be slow or return garbage).
    ///
    /// # Panics
    /// As [`alloc`](GpuUploadRing::alloc); also if `size` is 0.
    ///
    /// ```no_run
    /// # fn f(ring: &mut engine::gpu::GpuUploadRing) {
    /// let slice = ring.write_with(64, 16, |mut bytes| bytes.fill(0));
    /// assert_eq!(slice.size(), 64);
    /// # }
    /// ```
    pub fn write_with(
        &mut self,
        size: u64,
        align: u64,
        fill: impl FnOnce(wgpu::WriteOnly<'_, [u8]>),
    ) -> UploadSlice {
        assert!(size > 0, "GpuUploadRing::write_with of 0 bytes");
        let (chunk_index, offset) = self.alloc_in_chunk(size, align);
        let chunk = &mut self.regions[self.current].chunks[chunk_index];
        let start = to_usize(offset);
        let view = chunk
            .view
            .as_mut()
            .expect("upload ring chunk is mapped while its frame is open");
        fill(view.slice(start..start + to_usize(size)));
        UploadSlice {
            buffer: chunk.buffer.clone(),
            buffer_id: chunk.buffer_id,
            offset,
            size,
        }
    }

    /// Copies `data` into the ring at an offset aligned to `align` (at least 4 and
    /// `align_of::<T>()`). An empty `data` allocates 4 bytes so the slice can
    /// still be bound.
    ///
    /// # Panics
    /// As [`alloc`](GpuUploadRing::alloc).
    ///
    /// ```no_run
    /// # fn f(ring: &mut engine::gpu::GpuUploadRing) {
    /// let positions = [[0.0f32, 1.0], [1.0, 0.0]];
    /// let slice = ring.push_slice(&positions, 8);
    /// assert_eq!(slice.size(), 16);
    /// # }
    /// ```
    pub fn push_slice<T: bytemuck::NoUninit>(&mut self, data: &[T], align: u64) -> UploadSlice {
        let bytes: &[u8] = bytemuck::cast_slice(data);
        let align = align.max(align_of::<T>() as u64);
        if bytes.is_empty() {
            return self.write_with(4, align, |mut out| out.fill(0));
        }
        self.write_with(bytes.len() as u64, align, |mut out| {
            out.copy_from_slice(bytes)
        })
    }

    /// Copies one value aligned to the device's uniform alignment, ready to bind
    /// with [`UploadSlice::dynamic_offset`].
    ///
    /// # Panics
    /// As [`alloc`](GpuUploadRing::alloc); also for a zero-sized `T`.
    pub fn push_uniform<T: bytemuck::NoUninit>(&mut self, value: &T) -> UploadSlice {
        let bytes = bytemuck::bytes_of(value);
        let align = self.uniform_alignment;
        self.write_with(bytes.len() as u64, align, |mut out| {
            out.copy_from_slice(bytes)
        })
    }

    /// Copies `items` one per `stride` bytes (e.g.
    /// [`uniform_stride::<T>()`](GpuUploadRing::uniform_stride)), so item `i` can
    /// be bound with the dynamic offset `slice.dynamic_offset() + i * stride`.
    /// The slice starts at the uniform alignment; the padding between items is
    /// left unwritten.
    ///
    /// # Panics
    /// As [`alloc`](GpuUploadRing::alloc); also if `items` is empty or `stride` is
    /// smaller than `size_of::<T>()`.
    ///
    /// ```no_run
    /// # fn f(ring: &mut engine::gpu::GpuUploadRing) {
    /// let per_draw = [[1.0f32; 4], [0.5; 4], [0.0; 4]];
    /// let stride = ring.uniform_stride::<[f32; 4]>();
    /// let slice = ring.push_strided(&per_draw, stride);
    /// let offset_of_draw_2 = slice.dynamic_offset() + 2 * stride as u32;
    /// # let _ = offset_of_draw_2;
    /// # }
    /// ```
    pub fn push_strided<T: bytemuck::NoUninit>(&mut self, items: &[T], stride: u64) -> UploadSlice {
        let item_size = size_of::<T>();
        assert!(!items.is_empty(), "GpuUploadRing::push_strided of no items");
        assert!(
            stride >= item_size as u64,
            "stride {stride} is smaller than the item ({item_size} bytes)"
        );
        let stride = to_usize(stride);
        let size = (items.len() - 1) * stride + item_size;
        let align = self.uniform_alignment;
        self.write_with(size as u64, align, |mut out| {
            for (index, item) in items.iter().enumerate() {
                let start = index * stride;
                out.slice(start..start + item_size)
                    .copy_from_slice(bytemuck::bytes_of(item));
            }
        })
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

    /// Finds room for `size` bytes in the current region, growing it if needed.
    fn alloc_in_chunk(&mut self, size: u64, align: u64) -> (usize, u64) {
        assert!(
            self.frame_open,
            "GpuUploadRing allocation outside begin_frame/finish_frame"
        );
        assert!(
            align.is_power_of_two(),
            "alignment {align} is not a power of two"
        );
        let align = align.max(wgpu::COPY_BUFFER_ALIGNMENT);
        let chunks = &self.regions[self.current].chunks;
        let last = chunks.len() - 1;
        let last_capacity = chunks[last].capacity;
        let offset = chunks[last].used.next_multiple_of(align);
        let (chunk_index, offset) = if offset + size <= last_capacity {
            (last, offset)
        } else {
            let capacity = (last_capacity * 2).max(size.next_multiple_of(CHUNK_GRANULE));
            let mut chunk = self.create_chunk(capacity);
            chunk.view = chunk.staging.slice(..).get_mapped_range_mut().ok();
            self.grow_count += 1;
            let chunks = &mut self.regions[self.current].chunks;
            chunks.push(chunk);
            (chunks.len() - 1, 0)
        };
        let chunk = &mut self.regions[self.current].chunks[chunk_index];
        let before = chunk.used;
        chunk.used = offset + size;
        self.used_bytes += chunk.used - before;
        self.allocation_count += 1;
        (chunk_index, offset)
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
