//! The moving objects of a level and their simulation.

use bytemuck::{Pod, Zeroable};
use glam::Vec2;

/// One moving object. Lives in the level arena for as long as the level.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Pod, Zeroable)]
pub struct Object {
    /// World position.
    pub position: Vec2,
    /// World units per second.
    pub velocity: Vec2,
    /// Radians, kept in `0..TAU`.
    pub rotation: f32,
    /// Radians per second.
    pub spin: f32,
    /// World units per mesh unit.
    pub scale: f32,
    /// Index of its [`ObjectKind`] (the spawner that made it).
    pub kind: u16,
    /// Tint, 255 = the material's colour.
    pub brightness: u8,
    /// Zero.
    pub reserved: u8,
}

/// What objects of one spawner share, precomputed at level load.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ObjectKind {
    /// The high bits of the objects' sort keys: layer, mesh, material.
    pub sort_prefix: u64,
    /// Bounding radius per unit of scale (mesh radius, pulse included).
    pub radius: f32,
    /// Rank of `sort_prefix` among the level's distinct prefixes: frame building
    /// sorts by counting objects per bucket, in O(n).
    pub bucket: u32,
}

/// Bits of a sort key below the prefix: the object index.
pub const SORT_INDEX_BITS: u32 = 32;

impl ObjectKind {
    /// The sort-key prefix of (layer, mesh, material): layer in the top byte, so
    /// layers draw in order; then mesh and material, so equal ones are adjacent and
    /// become one instanced draw.
    #[must_use]
    pub fn sort_prefix(layer: u8, mesh: u16, material: u8) -> u64 {
        (u64::from(layer) << 56)
            | (u64::from(mesh) << 40)
            | (u64::from(material) << SORT_INDEX_BITS)
    }

    /// The mesh of a sort key.
    #[must_use]
    pub fn mesh_of(key: u64) -> u32 {
        ((key >> 40) & 0xffff) as u32
    }

    /// The material of a sort key.
    #[must_use]
    pub fn material_of(key: u64) -> u32 {
        ((key >> SORT_INDEX_BITS) & 0xff) as u32
    }

    /// The object index of a sort key.
    #[must_use]
    pub fn index_of(key: u64) -> usize {
        (key & 0xffff_ffff) as usize
    }
}

/// Moves every object by `dt` seconds; objects bounce off the world's edges
/// (the world spans `-half_extent..half_extent`).
pub fn simulate(objects: &mut [Object], half_extent: Vec2, dt: f32) {
    for object in objects {
        let mut position = object.position + object.velocity * dt;
        if position.x.abs() > half_extent.x {
            object.velocity.x = -object.velocity.x;
            position.x = position.x.clamp(-half_extent.x, half_extent.x);
        }
        if position.y.abs() > half_extent.y {
            object.velocity.y = -object.velocity.y;
            position.y = position.y.clamp(-half_extent.y, half_extent.y);
        }
        object.position = position;
        object.rotation = (object.rotation + object.spin * dt).rem_euclid(std::f32::consts::TAU);
    }
}
