//! Plain-old-data types shared with the WGSL shaders in `shaders/`. Field order and
//! sizes must match the shader structs; `tests/shaders.rs` checks the uniform blocks.

use bytemuck::{Pod, Zeroable};

/// `FrameUniforms` in `sprite.wgsl` and `overlay.wgsl`: one per frame.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Pod, Zeroable)]
pub struct FrameUniforms {
    /// xy: camera centre in world units; zw: half extent of the view.
    pub camera: [f32; 4],
    /// x, y: target size in pixels; z: time in seconds; w: unused.
    pub viewport: [f32; 4],
}

/// `DrawUniforms` in `sprite.wgsl`: one per draw, bound with a dynamic offset.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Pod, Zeroable)]
pub struct DrawUniforms {
    /// Material colour, linear RGBA.
    pub color: [f32; 4],
    /// x: edge darkening, y: pulse amplitude, z: pulse speed (rad/s), w: unused.
    pub params: [f32; 4],
}

/// One vertex of a level mesh (vertex buffer slot 0 of the sprite pipeline). The
/// same layout is stored in the level's `vertices.asset`, so the asset bytes are
/// uploaded as they are.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Pod, Zeroable)]
pub struct MeshVertex {
    /// Position in mesh units (the mesh fits the unit circle).
    pub position: [f32; 2],
    /// 0 at the centre, 1 on the outline (for shading).
    pub edge: f32,
    /// Keeps the vertex 16 bytes.
    pub pad: f32,
}

/// One visible object (vertex buffer slot 1 of the sprite pipeline, per instance).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Pod, Zeroable)]
pub struct Instance {
    /// World position.
    pub position: [f32; 2],
    /// World units per mesh unit.
    pub scale: f32,
    /// Radians.
    pub rotation: f32,
    /// Brightness/colour multiplier, unorm8x4.
    pub tint: [u8; 4],
}

/// One overlay rectangle (vertex buffer slot 0 of the overlay pipeline, per instance).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Pod, Zeroable)]
pub struct OverlayRect {
    /// x, y: top-left corner in pixels; z, w: width and height.
    pub rect: [f32; 4],
    /// sRGB colour with alpha.
    pub color: [u8; 4],
}

const _: () = {
    assert!(size_of::<FrameUniforms>() == 32);
    assert!(size_of::<DrawUniforms>() == 32);
    assert!(size_of::<MeshVertex>() == 16);
    assert!(size_of::<Instance>() == 20);
    assert!(size_of::<OverlayRect>() == 20);
};
