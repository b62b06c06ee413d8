//! Draws a frame's draw lists into any texture view: a window's surface texture or
//! an offscreen target. Every per-frame byte goes through the engine's
//! [`GpuUploadRing`]; the only other GPU memory is the level's mesh buffer.

pub mod gpu;
pub mod offscreen;
mod pipelines;
pub mod surface;

pub use pipelines::{OVERLAY_WGSL, SPRITE_WGSL};

use crate::gpu_types::{DrawUniforms, FrameUniforms, Instance, OverlayRect};
use crate::scene::build::DrawCmd;
use crate::scene::level::{Level, LevelGpu};
use crate::scene::level_format::MeshRecord;
use engine::ArenaStats;
use engine::gpu::{GpuUploadRing, GpuUploadRingConfig, UploadSlice};
use gpu::GpuContext;
use wgpu::util::DeviceExt;

/// What the renderer needs to draw one frame; every slice lives in a frame arena.
#[derive(Debug)]
pub struct FrameDrawData<'a> {
    /// Camera, viewport, time.
    pub uniforms: FrameUniforms,
    /// Background.
    pub clear_color: wgpu::Color,
    /// Per-instance data, in draw order.
    pub instances: &'a [Instance],
    /// Draw commands; draw `i` uses `draw_uniforms[i]`.
    pub draws: &'a [DrawCmd],
    /// Per-draw uniforms.
    pub draw_uniforms: &'a [DrawUniforms],
    /// Overlay rectangles, drawn last.
    pub overlay: &'a [OverlayRect],
    /// The level's mesh table.
    pub meshes: &'a [MeshRecord],
    /// The level's vertex buffer (none: the sprites are skipped).
    pub level_gpu: Option<&'a LevelGpu>,
}

/// A bind group for one pair of ring buffers (frame uniforms, draw uniforms).
#[derive(Debug)]
struct CachedBindGroup {
    frame_buffer_id: u64,
    draw_buffer_id: u64,
    bind_group: wgpu::BindGroup,
    last_used_frame: u64,
}

/// Bind groups not used for this many frames are dropped (their ring buffers were
/// replaced when the ring grew).
const BIND_GROUP_MAX_AGE: u64 = 16;

/// Pipelines, the upload ring and the bind groups into it.
#[derive(Debug)]
pub struct Renderer {
    device: wgpu::Device,
    queue: wgpu::Queue,
    format: wgpu::TextureFormat,
    uniforms_layout: wgpu::BindGroupLayout,
    sprites: wgpu::RenderPipeline,
    overlay: wgpu::RenderPipeline,
    ring: GpuUploadRing,
    bind_groups: Vec<CachedBindGroup>,
    frame_index: u64,
}

impl Renderer {
    /// Pipelines for targets of `format`, and an upload ring of `frames_in_flight`
    /// regions starting at `ring_bytes_per_frame` each, trimmed by `ring_trim` after
    /// a spike.
    #[must_use]
    pub fn new(
        gpu: &GpuContext,
        format: wgpu::TextureFormat,
        frames_in_flight: usize,
        ring_bytes_per_frame: u64,
        ring_budget_bytes: usize,
        ring_trim: Option<engine::TrimPolicy>,
    ) -> Renderer {
        let device = &gpu.device;
        let uniforms_layout = pipelines::uniforms_layout(device);
        let layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("demo"),
            bind_group_layouts: &[Some(&uniforms_layout)],
            immediate_size: 0,
        });
        let ring = GpuUploadRing::new(
            device,
            &GpuUploadRingConfig {
                label: "gpu upload ring",
                usage: wgpu::BufferUsages::VERTEX | wgpu::BufferUsages::UNIFORM,
                frames_in_flight,
                initial_bytes_per_frame: ring_bytes_per_frame,
                budget_bytes: Some(ring_budget_bytes),
                trim: ring_trim,
            },
        );
        Renderer {
            device: device.clone(),
            queue: gpu.queue.clone(),
            format,
            sprites: pipelines::sprite_pipeline(device, &layout, format),
            overlay: pipelines::overlay_pipeline(device, &layout, format),
            uniforms_layout,
            ring,
            bind_groups: Vec::with_capacity(16),
            frame_index: 0,
        }
    }

    /// The format of the targets this renderer draws to.
    #[must_use]
    pub fn format(&self) -> wgpu::TextureFormat {
        self.format
    }

    /// The upload ring's stats, for telemetry.
    #[must_use]
    pub fn ring_stats(&self) -> ArenaStats {
        self.ring.stats()
    }

    /// The GPU upload ring (for telemetry: its buffers as chunk spans).
    #[must_use]
    pub fn ring(&self) -> &engine::gpu::GpuUploadRing {
        &self.ring
    }

    /// Uploads a level's mesh vertices (straight from its asset bytes) once.
    #[must_use]
    pub fn create_level_gpu(&self, level: &Level) -> LevelGpu {
        let vertex_buffer = self
            .device
            .create_buffer_init(&wgpu::util::BufferInitDescriptor {
                label: Some(level.name()),
                contents: bytemuck::cast_slice(level.vertices()),
                usage: wgpu::BufferUsages::VERTEX,
            });
        LevelGpu { vertex_buffer }
    }

    /// Uploads the frame's data through the ring, records the passes into one
    /// command buffer and submits it. The caller presents (window) or reads back
    /// (offscreen) afterwards.
    pub fn render(
        &mut self,
        target: &wgpu::TextureView,
        frame: &FrameDrawData<'_>,
    ) -> wgpu::SubmissionIndex {
        self.frame_index += 1;
        let upload = tracing::info_span!("upload").entered();
        self.ring.begin_frame();
        let frame_uniforms = self.ring.alloc_uniform(&frame.uniforms);
        let stride = self.ring.uniform_stride::<DrawUniforms>();
        let draw_uniforms = (!frame.draw_uniforms.is_empty())
            .then(|| self.ring.alloc_strided(frame.draw_uniforms, stride));
        let instances =
            (!frame.instances.is_empty()).then(|| self.ring.alloc_slice_copy(frame.instances, 4));
        let overlay =
            (!frame.overlay.is_empty()).then(|| self.ring.alloc_slice_copy(frame.overlay, 4));
        drop(upload);

        let encode = tracing::info_span!("encode").entered();
        let mut encoder = self
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("frame"),
            });
        self.ring.finish_frame(&mut encoder);
        // Binding 1 needs some valid range even when nothing is drawn with it.
        let draw_binding = draw_uniforms.as_ref().unwrap_or(&frame_uniforms);
        let bind_group = self.bind_group_for(&frame_uniforms, draw_binding);
        {
            let mut pass = encoder.begin_render_pass(&wgpu::RenderPassDescriptor {
                label: Some("main"),
                color_attachments: &[Some(wgpu::RenderPassColorAttachment {
                    view: target,
                    depth_slice: None,
                    resolve_target: None,
                    ops: wgpu::Operations {
                        load: wgpu::LoadOp::Clear(frame.clear_color),
                        store: wgpu::StoreOp::Store,
                    },
                })],
                ..Default::default()
            });
            let bind_group = &self.bind_groups[bind_group].bind_group;
            if let (Some(instances), Some(draw_uniforms), Some(level_gpu)) =
                (&instances, &draw_uniforms, frame.level_gpu)
            {
                pass.set_pipeline(&self.sprites);
                pass.set_vertex_buffer(0, level_gpu.vertex_buffer.slice(..));
                pass.set_vertex_buffer(1, instances.slice());
                for (index, draw) in frame.draws.iter().enumerate() {
                    let mesh = frame.meshes[draw.mesh as usize];
                    let draw_offset = draw_uniforms.dynamic_offset() + index as u32 * stride as u32;
                    pass.set_bind_group(
                        0,
                        bind_group,
                        &[frame_uniforms.dynamic_offset(), draw_offset],
                    );
                    pass.draw(
                        mesh.first_vertex..mesh.first_vertex + mesh.vertex_count,
                        draw.first_instance..draw.first_instance + draw.instance_count,
                    );
                }
            }
            if let Some(overlay) = &overlay {
                pass.set_pipeline(&self.overlay);
                pass.set_bind_group(
                    0,
                    bind_group,
                    &[
                        frame_uniforms.dynamic_offset(),
                        draw_binding.dynamic_offset(),
                    ],
                );
                pass.set_vertex_buffer(0, overlay.slice());
                pass.draw(0..4, 0..frame.overlay.len() as u32);
            }
        }
        drop(encode);

        let _submit = tracing::info_span!("submit").entered();
        let submission = self.queue.submit(std::iter::once(encoder.finish()));
        self.ring.frame_submitted(submission.clone());
        submission
    }

    /// The index of a bind group over these two ring buffers, made if needed.
    /// Once the ring stops growing, this finds one every frame and allocates nothing.
    fn bind_group_for(
        &mut self,
        frame_uniforms: &UploadSlice,
        draw_uniforms: &UploadSlice,
    ) -> usize {
        let frame_index = self.frame_index;
        let key = (frame_uniforms.buffer_id(), draw_uniforms.buffer_id());
        if let Some(index) = self
            .bind_groups
            .iter()
            .position(|cached| (cached.frame_buffer_id, cached.draw_buffer_id) == key)
        {
            self.bind_groups[index].last_used_frame = frame_index;
            return index;
        }
        self.bind_groups
            .retain(|cached| cached.last_used_frame + BIND_GROUP_MAX_AGE >= frame_index);
        fn binding(slice: &UploadSlice, size: usize) -> wgpu::BindingResource<'_> {
            wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                buffer: slice.buffer(),
                offset: 0,
                size: wgpu::BufferSize::new(size as u64),
            })
        }
        let bind_group = self.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("uniforms"),
            layout: &self.uniforms_layout,
            entries: &[
                wgpu::BindGroupEntry {
                    binding: 0,
                    resource: binding(frame_uniforms, size_of::<FrameUniforms>()),
                },
                wgpu::BindGroupEntry {
                    binding: 1,
                    resource: binding(draw_uniforms, size_of::<DrawUniforms>()),
                },
            ],
        });
        self.bind_groups.push(CachedBindGroup {
            frame_buffer_id: key.0,
            draw_buffer_id: key.1,
            bind_group,
            last_used_frame: frame_index,
        });
        self.bind_groups.len() - 1
    }
}
