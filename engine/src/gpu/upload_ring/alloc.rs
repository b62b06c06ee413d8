//! Allocating from the ring. The names follow the arena's: `push_aligned` hands out
//! raw bytes, the `alloc_` calls copy values in.

use super::{CHUNK_GRANULE, GpuUploadRing, UploadSlice, to_usize};
use crate::gpu::UploadError;
use crate::gpu::placement::{self, Placement, PlacementError};
use std::sync::Arc;

impl GpuUploadRing {
    /// Allocates `size` bytes at an offset aligned to `align` (a power of two;
    /// at least 4 is used) without writing them; fill them with
    /// [`write_with`](GpuUploadRing::write_with) instead if you can.
    ///
    /// # Panics
    /// If no frame is open ([`begin_frame`](GpuUploadRing::begin_frame) first), or
    /// with the message of the [`UploadError`] that
    /// [`try_push_aligned`](GpuUploadRing::try_push_aligned) returns.
    #[track_caller]
    pub fn push_aligned(&mut self, size: u64, align: u64) -> UploadSlice {
        match self.try_push_aligned(size, align) {
            Ok(slice) => slice,
            Err(error) => panic!("{error}"),
        }
    }

    /// Fallible [`push_aligned`](GpuUploadRing::push_aligned).
    ///
    /// # Errors
    /// [`UploadError::TooLarge`] if `size` is bigger than one GPU buffer of the
    /// device may be, [`UploadError::BadAlignment`] if `align` is not a power of two.
    /// The ring is unchanged.
    ///
    /// # Panics
    /// If no frame is open.
    ///
    /// ```no_run
    /// # fn f(ring: &mut engine::gpu::GpuUploadRing) {
    /// let err = ring.try_push_aligned(u64::MAX - 15, 4).unwrap_err();
    /// assert!(matches!(err, engine::gpu::UploadError::TooLarge { size, .. } if size == u64::MAX - 15));
    /// # }
    /// ```
    pub fn try_push_aligned(&mut self, size: u64, align: u64) -> Result<UploadSlice, UploadError> {
        let (chunk_index, offset) = self.reserve(size, align)?;
        let chunk = &self.regions[self.current].chunks[chunk_index];
        Ok(UploadSlice {
            buffer: chunk.buffer.clone(),
            buffer_id: chunk.buffer_id,
            offset,
            size,
        })
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
    #[track_caller]
    pub fn write_with(
        &mut self,
        size: u64,
        align: u64,
        fill: impl FnOnce(wgpu::WriteOnly<'_, [u8]>),
    ) -> UploadSlice {
        assert!(size > 0, "GpuUploadRing::write_with of 0 bytes");
        let (chunk_index, offset) = match self.reserve(size, align) {
            Ok(place) => place,
            Err(error) => panic!("{error}"),
        };
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
        // Saturating: a size that does not fit is refused by `write_with`, named.
        let size = (items.len() - 1)
            .saturating_mul(stride)
            .saturating_add(item_size);
        let align = self.uniform_alignment;
        self.write_with(size as u64, align, |mut out| {
            for (index, item) in items.iter().enumerate() {
                let start = index * stride;
                out.slice(start..start + item_size)
                    .copy_from_slice(bytemuck::bytes_of(item));
            }
        })
    }

    /// Places `size` bytes aligned to `align` (at least `COPY_BUFFER_ALIGNMENT`) in
    /// the current region, growing it by a chunk if they do not fit: the chunk's
    /// index and the offset in it. Nothing changes on an error.
    fn reserve(&mut self, size: u64, align: u64) -> Result<(usize, u64), UploadError> {
        assert!(
            self.frame_open,
            "GpuUploadRing allocation outside begin_frame/finish_frame"
        );
        if !align.is_power_of_two() {
            return Err(UploadError::BadAlignment {
                ring: Arc::clone(&self.name),
                align,
            });
        }
        let chunks = &self.regions[self.current].chunks;
        let last = chunks.len() - 1;
        let placed = placement::place(
            chunks[last].used,
            chunks[last].capacity,
            size,
            align.max(wgpu::COPY_BUFFER_ALIGNMENT),
            CHUNK_GRANULE,
            self.max_buffer_size,
        );
        let (chunk_index, offset, end) = match placed {
            Ok(Placement::InChunk { offset, end }) => (last, offset, end),
            Ok(Placement::NewChunk { capacity }) => {
                let mut chunk = self.create_chunk(capacity);
                chunk.view = chunk.staging.slice(..).get_mapped_range_mut().ok();
                self.grow_count += 1;
                let chunks = &mut self.regions[self.current].chunks;
                chunks.push(chunk);
                (chunks.len() - 1, 0, size)
            }
            Err(PlacementError::TooLarge) => {
                return Err(UploadError::TooLarge {
                    ring: Arc::clone(&self.name),
                    size,
                    max_buffer_size: self.max_buffer_size,
                });
            }
            Err(PlacementError::BadAlignment) => {
                unreachable!("invariant: the alignment was checked above")
            }
        };
        let chunk = &mut self.regions[self.current].chunks[chunk_index];
        let before = chunk.used;
        chunk.used = end;
        self.used_bytes += end - before;
        self.allocation_count += 1;
        Ok((chunk_index, offset))
    }
}
