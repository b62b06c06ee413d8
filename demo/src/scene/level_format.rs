//! The files a level is made of. Each is an engine asset file
//! ([`engine::asset_format`]: a 24-byte `FMAS` header with kind and CRC-32, then the
//! payload); each payload is an array of one of the records below, read in place
//! with `AssetArena::get_pod`.
//!
//! | file              | kind       | payload                                   |
//! |-------------------|------------|-------------------------------------------|
//! | `level.asset`     | `LEVEL`    | exactly one [`LevelRecord`]               |
//! | `meshes.asset`    | `MESH`     | [`MeshRecord`]s: ranges of `vertices`     |
//! | `vertices.asset`  | `MESH`     | [`MeshVertex`]es, a triangle list         |
//! | `materials.asset` | `MATERIAL` | [`MaterialRecord`]s                       |
//! | `spawners.asset`  | `LEVEL`    | [`SpawnerRecord`]s: what objects to make  |
//!
//! The object list itself is not stored: it is generated at load time from the
//! spawners, the level's seed and the requested object count, so one set of files
//! serves 1,000 objects on lavapipe and 100,000 on a GPU.

use bytemuck::{Pod, Zeroable};
use engine::AssetKind;

pub use crate::gpu_types::MeshVertex;

/// The files of a level, in load order, with the kind each must declare.
pub const LEVEL_FILES: [(&str, AssetKind); 5] = [
    ("level.asset", AssetKind::LEVEL),
    ("meshes.asset", AssetKind::MESH),
    ("vertices.asset", AssetKind::MESH),
    ("materials.asset", AssetKind::MATERIAL),
    ("spawners.asset", AssetKind::LEVEL),
];

/// Level-wide settings (`level.asset`).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Pod, Zeroable)]
pub struct LevelRecord {
    /// Clear colour, linear RGBA.
    pub background: [f32; 4],
    /// Objects per square world unit: the world is sized to the object count.
    pub density: f32,
    /// Half the view's height in world units when the level starts (the zoom).
    pub view_half_height: f32,
    /// Seed of the object generator.
    pub seed: u32,
    /// Zero.
    pub reserved: u32,
}

/// One mesh: a range of the level's vertices (`meshes.asset`).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Pod, Zeroable)]
pub struct MeshRecord {
    /// First vertex in `vertices.asset`.
    pub first_vertex: u32,
    /// Vertex count, a multiple of 3 (triangle list).
    pub vertex_count: u32,
    /// Bounding radius in mesh units, as `f32` bits (kept `Eq` for tests).
    pub radius_bits: u32,
    /// Zero.
    pub reserved: u32,
}

impl MeshRecord {
    /// The bounding radius in mesh units.
    #[must_use]
    pub fn radius(&self) -> f32 {
        f32::from_bits(self.radius_bits)
    }
}

/// One material (`materials.asset`); the same layout as the shader's per-draw block.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Pod, Zeroable)]
pub struct MaterialRecord {
    /// Linear RGBA.
    pub color: [f32; 4],
    /// x: edge darkening, y: pulse amplitude, z: pulse speed (rad/s), w: unused.
    pub params: [f32; 4],
}

/// A rule for making objects (`spawners.asset`): each object picks a spawner with
/// probability proportional to `weight`.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Pod, Zeroable)]
pub struct SpawnerRecord {
    /// Index into `meshes.asset`.
    pub mesh: u32,
    /// Index into `materials.asset`.
    pub material: u32,
    /// Draw order: lower layers first (0..=255).
    pub layer: u32,
    /// Relative share of the objects (> 0).
    pub weight: f32,
    /// Scale range (world units per mesh unit).
    pub scale: [f32; 2],
    /// Speed range (world units per second).
    pub speed: [f32; 2],
    /// Spin range is `-spin..spin` radians per second.
    pub spin: f32,
    /// How much darker than the material an object may be (0..1).
    pub tint_variation: f32,
    /// Zero.
    pub reserved: [u32; 2],
}

const _: () = {
    assert!(size_of::<LevelRecord>() == 32);
    assert!(size_of::<MeshRecord>() == 16);
    assert!(size_of::<MaterialRecord>() == 32);
    assert!(size_of::<SpawnerRecord>() == 48);
};
