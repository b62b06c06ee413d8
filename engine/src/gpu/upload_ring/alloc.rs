//! Allocating from the ring. The names follow the arena's: `push_aligned` hands out
//! raw bytes, the `alloc_` calls copy values in.

use super::{CHUNK_GRANULE, GpuUploadRing, UploadSlice, to_usize};

impl GpuUploadRing {
    /// Allocates `size` bytes at an offset aligned to `align` (a power of two;
    /// at least 4 is used) without writing them; fill them with
    /// [`write_with`](GpuUploadRing::write_with) instead if you can.
    ///
    /// # Panics
    /// If no frame is open ([`begin_frame`](GpuUploadRing::begin_frame) first) or
    /// `align` is not a power of two.
    pub fn push_aligned(&mut self, size: u64, align: u64) -> UploadSlice {
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
    /// As [`push_aligned`](GpuUploadRing::push_aligned); also if `size` is 0.
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
    /// As [`push_aligned`](GpuUploadRing::push_aligned).
    ///
    /// ```no_run
    /// # fn f(ring: &mut engine::gpu::GpuUploadRing) {
    /// let positions = [[0.0f32, 1.0], [1.0, 0.0]];
    /// let slice = ring.alloc_slice_copy(&positions, 8);
    /// assert_eq!(slice.size(), 16);
    /// # }
    /// ```
    pub fn alloc_slice_copy<T: bytemuck::NoUninit>(
        &mut self,
        data: &[T],
        align: u64,
    ) -> UploadSlice {
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
    /// As [`push_aligned`](GpuUploadRing::push_aligned); also for a zero-sized `T`.
    pub fn alloc_uniform<T: bytemuck::NoUninit>(&mut self, value: &T) -> UploadSlice {
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
    /// As [`push_aligned`](GpuUploadRing::push_aligned); also if `items` is empty or `stride` is
    /// smaller than `size_of::<T>()`.
    ///
    /// ```no_run
    /// # fn f(ring: &mut engine::gpu::GpuUploadRing) {
    /// let per_draw = [[1.0f32; 4], [0.5; 4], [0.0; 4]];
    /// let stride = ring.uniform_stride::<[f32; 4]>();
    /// let slice = ring.alloc_strided(&per_draw, stride);
    /// let offset_of_draw_2 = slice.dynamic_offset() + 2 * stride as u32;
    /// # let _ = offset_of_draw_2;
    /// # }
    /// ```
    pub fn alloc_strided<T: bytemuck::NoUninit>(
        &mut self,
        items: &[T],
        stride: u64,
    ) -> UploadSlice {
        let item_size = size_of::<T>();
        assert!(
            !items.is_empty(),
            "GpuUploadRing::alloc_strided of no items"
        );
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

    /// Finds room for `size` bytes in the current region, growing it if needed.
    pub(super) fn alloc_in_chunk(&mut self, size: u64, align: u64) -> (usize, u64) {
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
}
