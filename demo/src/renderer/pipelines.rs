//! The two render pipelines and the bind group layout they share.

use crate::gpu_types::{DrawUniforms, FrameUniforms, Instance, MeshVertex, OverlayRect};

/// The WGSL sources, compiled into the binary (the files are validated by
/// `tests/shaders.rs`).
pub const SPRITE_WGSL: &str = include_str!("../../../shaders/sprite.wgsl");
/// See [`SPRITE_WGSL`].
pub const OVERLAY_WGSL: &str = include_str!("../../../shaders/overlay.wgsl");

/// Group 0 of both pipelines: binding 0 the frame's uniforms, binding 1 the draw's,
/// both in the upload ring at dynamic offsets.
pub fn uniforms_layout(device: &wgpu::Device) -> wgpu::BindGroupLayout {
    let uniform = |binding, size: usize| wgpu::BindGroupLayoutEntry {
        binding,
        visibility: wgpu::ShaderStages::VERTEX_FRAGMENT,
        ty: wgpu::BindingType::Buffer {
            ty: wgpu::BufferBindingType::Uniform,
            has_dynamic_offset: true,
            min_binding_size: wgpu::BufferSize::new(size as u64),
        },
        count: None,
    };
    device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
        label: Some("uniforms"),
        entries: &[
            uniform(0, size_of::<FrameUniforms>()),
            uniform(1, size_of::<DrawUniforms>()),
        ],
    })
}

fn pipeline(
    device: &wgpu::Device,
    layout: &wgpu::PipelineLayout,
    label: &str,
    source: &str,
    buffers: &[Option<wgpu::VertexBufferLayout<'_>>],
    topology: wgpu::PrimitiveTopology,
    format: wgpu::TextureFormat,
) -> wgpu::RenderPipeline {
    let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
        label: Some(label),
        source: wgpu::ShaderSource::Wgsl(source.into()),
    });
    device.create_render_pipeline(&wgpu::RenderPipelineDescriptor {
        label: Some(label),
        layout: Some(layout),
        vertex: wgpu::VertexState {
            module: &module,
            entry_point: Some("vs_main"),
            compilation_options: Default::default(),
            buffers,
        },
        primitive: wgpu::PrimitiveState {
            topology,
            ..Default::default()
        },
        depth_stencil: None,
        multisample: wgpu::MultisampleState::default(),
        fragment: Some(wgpu::FragmentState {
            module: &module,
            entry_point: Some("fs_main"),
            compilation_options: Default::default(),
            targets: &[Some(wgpu::ColorTargetState {
                format,
                blend: Some(wgpu::BlendState::ALPHA_BLENDING),
                write_mask: wgpu::ColorWrites::ALL,
            })],
        }),
        multiview_mask: None,
        cache: None,
    })
}

/// Instanced level meshes: slot 0 mesh vertices, slot 1 instances.
pub fn sprite_pipeline(
    device: &wgpu::Device,
    layout: &wgpu::PipelineLayout,
    format: wgpu::TextureFormat,
) -> wgpu::RenderPipeline {
    let mesh = wgpu::VertexBufferLayout {
        array_stride: size_of::<MeshVertex>() as u64,
        step_mode: wgpu::VertexStepMode::Vertex,
        attributes: &wgpu::vertex_attr_array![0 => Float32x2, 1 => Float32],
    };
    let instance = wgpu::VertexBufferLayout {
        array_stride: size_of::<Instance>() as u64,
        step_mode: wgpu::VertexStepMode::Instance,
        attributes: &wgpu::vertex_attr_array![2 => Float32x2, 3 => Float32, 4 => Float32, 5 => Unorm8x4],
    };
    pipeline(
        device,
        layout,
        "sprites",
        SPRITE_WGSL,
        &[Some(mesh), Some(instance)],
        wgpu::PrimitiveTopology::TriangleList,
        format,
    )
}

/// Overlay rectangles: slot 0 one [`OverlayRect`] per instance, 4-vertex strips.
pub fn overlay_pipeline(
    device: &wgpu::Device,
    layout: &wgpu::PipelineLayout,
    format: wgpu::TextureFormat,
) -> wgpu::RenderPipeline {
    let rects = wgpu::VertexBufferLayout {
        array_stride: size_of::<OverlayRect>() as u64,
        step_mode: wgpu::VertexStepMode::Instance,
        attributes: &wgpu::vertex_attr_array![0 => Float32x4, 1 => Unorm8x4],
    };
    pipeline(
        device,
        layout,
        "overlay",
        OVERLAY_WGSL,
        &[Some(rects)],
        wgpu::PrimitiveTopology::TriangleStrip,
        format,
    )
}
