//! An offscreen render target and its readback to RGBA bytes or a PNG.

use super::gpu::GpuContext;
use std::path::Path;

/// A texture the renderer can draw into without a window.
#[derive(Debug)]
pub struct OffscreenTarget {
    texture: wgpu::Texture,
    view: wgpu::TextureView,
    width: u32,
    height: u32,
}

impl OffscreenTarget {
    /// The target's format: 8-bit sRGB, what a PNG holds.
    pub const FORMAT: wgpu::TextureFormat = wgpu::TextureFormat::Rgba8UnormSrgb;

    /// A `width` x `height` target.
    #[must_use]
    pub fn new(device: &wgpu::Device, width: u32, height: u32) -> OffscreenTarget {
        let texture = device.create_texture(&wgpu::TextureDescriptor {
            label: Some("offscreen target"),
            size: wgpu::Extent3d {
                width,
                height,
                depth_or_array_layers: 1,
            },
            mip_level_count: 1,
            sample_count: 1,
            dimension: wgpu::TextureDimension::D2,
            format: Self::FORMAT,
            usage: wgpu::TextureUsages::RENDER_ATTACHMENT | wgpu::TextureUsages::COPY_SRC,
            view_formats: &[],
        });
        let view = texture.create_view(&wgpu::TextureViewDescriptor::default());
        OffscreenTarget {
            texture,
            view,
            width,
            height,
        }
    }

    /// The view to render into.
    #[must_use]
    pub fn view(&self) -> &wgpu::TextureView {
        &self.view
    }

    /// Width and height in pixels.
    #[must_use]
    pub fn size(&self) -> (u32, u32) {
        (self.width, self.height)
    }

    /// Copies the texture to the CPU (after all submitted work) as tightly packed
    /// RGBA8 rows. Texture-to-buffer copies need rows padded to 256 bytes; the
    /// padding is removed here.
    ///
    /// # Panics
    /// If the GPU cannot map the readback buffer (device lost).
    #[must_use]
    pub fn read_rgba(&self, gpu: &GpuContext) -> Vec<u8> {
        let row_bytes = self.width * 4;
        let padded_row_bytes = row_bytes.next_multiple_of(wgpu::COPY_BYTES_PER_ROW_ALIGNMENT);
        let buffer = gpu.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("readback"),
            size: u64::from(padded_row_bytes) * u64::from(self.height),
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let mut encoder = gpu
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("readback"),
            });
        encoder.copy_texture_to_buffer(
            wgpu::TexelCopyTextureInfo {
                texture: &self.texture,
                mip_level: 0,
                origin: wgpu::Origin3d::ZERO,
                aspect: wgpu::TextureAspect::All,
            },
            wgpu::TexelCopyBufferInfo {
                buffer: &buffer,
                layout: wgpu::TexelCopyBufferLayout {
                    offset: 0,
                    bytes_per_row: Some(padded_row_bytes),
                    rows_per_image: Some(self.height),
                },
            },
            wgpu::Extent3d {
                width: self.width,
                height: self.height,
                depth_or_array_layers: 1,
            },
        );
        gpu.queue.submit(std::iter::once(encoder.finish()));
        let slice = buffer.slice(..);
        let (sender, receiver) = std::sync::mpsc::channel();
        slice.map_async(wgpu::MapMode::Read, move |result| {
            let _ = sender.send(result);
        });
        gpu.device
            .poll(wgpu::PollType::wait_indefinitely())
            .expect("GPU finished the readback");
        receiver
            .recv()
            .expect("map callback ran")
            .expect("readback buffer mapped");
        let mapped = slice.get_mapped_range().expect("readback buffer is mapped");
        let mut pixels = Vec::with_capacity((row_bytes * self.height) as usize);
        for row in mapped.chunks(padded_row_bytes as usize) {
            pixels.extend_from_slice(&row[..row_bytes as usize]);
        }
        drop(mapped);
        buffer.unmap();
        pixels
    }

    /// Reads the texture back and writes it as a PNG.
    ///
    /// # Errors
    /// If the file cannot be written.
    pub fn save_png(&self, gpu: &GpuContext, path: &Path) -> Result<(), image::ImageError> {
        let pixels = self.read_rgba(gpu);
        image::save_buffer(
            path,
            &pixels,
            self.width,
            self.height,
            image::ExtendedColorType::Rgba8,
        )
    }
}
