//! [`UploadSlice`]: where an allocation from the ring lives on the GPU.

/// Where an allocation from a [`GpuUploadRing`](super::GpuUploadRing) lives on the
/// GPU: a range of one of the ring's buffers, valid for the frame it was allocated
/// in.
///
/// Cloning it clones a `wgpu::Buffer` handle (a reference count, no heap
/// allocation).
#[derive(Debug, Clone)]
pub struct UploadSlice {
    pub(super) buffer: wgpu::Buffer,
    pub(super) buffer_id: u64,
    pub(super) offset: wgpu::BufferAddress,
    pub(super) size: wgpu::BufferAddress,
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
