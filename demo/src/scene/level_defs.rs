//! The demo's levels as data, and the baker that writes them as asset files
//! (`cargo run -p demo -- --bake-levels`). The committed files in
//! `demo/assets/levels/` are what the demo loads; `tests/level_assets.rs` checks
//! they match these definitions.

use super::level_format::{
    LEVEL_FILES, LevelRecord, MaterialRecord, MeshRecord, MeshVertex, SpawnerRecord,
};
use engine::AssetKind;
use std::io;
use std::path::Path;

/// A mesh outline, triangulated as a fan around the origin.
#[derive(Debug, Clone, Copy)]
pub enum MeshShape {
    /// A regular polygon with a vertex at the top.
    Regular {
        /// Number of sides (>= 3).
        sides: u32,
    },
    /// A star: `points` tips on the unit circle, inner corners at radius `inner`.
    Star {
        /// Number of tips (>= 2).
        points: u32,
        /// Radius of the inner corners (0..1).
        inner: f32,
    },
    /// An explicit outline, counter-clockwise, star-shaped around the origin.
    Polygon(&'static [[f32; 2]]),
}

/// A material, colour given as sRGB hex (as a designer would).
#[derive(Debug, Clone, Copy)]
pub struct MaterialDef {
    /// `0xRRGGBB`, sRGB.
    pub color: u32,
    /// Opacity.
    pub alpha: f32,
    /// Edge darkening (0..1).
    pub edge: f32,
    /// Pulse amplitude (fraction of the size).
    pub pulse: f32,
    /// Pulse speed, radians per second.
    pub pulse_speed: f32,
}

/// A whole level.
#[derive(Debug, Clone, Copy)]
pub struct LevelDef {
    /// Directory name under `assets/levels/`.
    pub name: &'static str,
    /// Clear colour, `0xRRGGBB` sRGB.
    pub background: u32,
    /// Objects per square world unit.
    pub density: f32,
    /// Starting zoom: half the view height in world units.
    pub view_half_height: f32,
    /// Object generator seed.
    pub seed: u32,
    /// Meshes.
    pub meshes: &'static [MeshShape],
    /// Materials.
    pub materials: &'static [MaterialDef],
    /// Spawners.
    pub spawners: &'static [SpawnerRecord],
}

const fn material(color: u32, alpha: f32, edge: f32, pulse: f32, pulse_speed: f32) -> MaterialDef {
    MaterialDef {
        color,
        alpha,
        edge,
        pulse,
        pulse_speed,
    }
}

#[allow(clippy::too_many_arguments)] // a table row
const fn spawner(
    mesh: u32,
    material: u32,
    layer: u32,
    weight: f32,
    scale: [f32; 2],
    speed: [f32; 2],
    spin: f32,
    tint_variation: f32,
) -> SpawnerRecord {
    SpawnerRecord {
        mesh,
        material,
        layer,
        weight,
        scale,
        speed,
        spin,
        tint_variation,
        reserved: [0; 2],
    }
}

/// A green meadow: pollen dots, leaves, flowers, golden stars.
pub const MEADOW: LevelDef = LevelDef {
    name: "meadow",
    background: 0x14281d,
    density: 1.2,
    view_half_height: 14.0,
    seed: 0x5eed_0001,
    meshes: &[
        MeshShape::Regular { sides: 20 },
        MeshShape::Star {
            points: 5,
            inner: 0.45,
        },
        MeshShape::Star {
            points: 8,
            inner: 0.72,
        },
        MeshShape::Regular { sides: 3 },
        MeshShape::Polygon(&[[0.0, 1.0], [-0.45, 0.0], [0.0, -1.0], [0.45, 0.0]]),
    ],
    materials: &[
        material(0x8fd3fe, 0.85, 0.3, 0.0, 0.0),
        material(0xffd166, 1.0, 0.4, 0.15, 3.0),
        material(0xef476f, 1.0, 0.5, 0.0, 0.0),
        material(0x06d6a0, 1.0, 0.35, 0.0, 0.0),
        material(0xfffcf2, 1.0, 0.25, 0.0, 0.0),
        material(0xb392f0, 1.0, 0.45, 0.1, 2.0),
    ],
    spawners: &[
        spawner(0, 0, 0, 4.0, [0.12, 0.25], [0.5, 1.5], 0.0, 0.3),
        spawner(4, 3, 1, 3.0, [0.3, 0.6], [0.2, 0.8], 1.5, 0.35),
        spawner(2, 2, 2, 2.0, [0.35, 0.7], [0.3, 1.0], 1.0, 0.25),
        spawner(2, 5, 2, 1.5, [0.35, 0.7], [0.3, 1.0], 1.0, 0.25),
        spawner(1, 1, 3, 1.0, [0.3, 0.55], [0.8, 2.0], 2.5, 0.2),
        spawner(3, 4, 3, 1.0, [0.2, 0.4], [1.0, 2.5], 3.0, 0.3),
    ],
};

/// A night-sky nebula: dust, hexagons, gears, diamonds, sparks.
pub const NEBULA: LevelDef = LevelDef {
    name: "nebula",
    background: 0x070b1f,
    density: 1.2,
    view_half_height: 14.0,
    seed: 0x5eed_0002,
    meshes: &[
        MeshShape::Regular { sides: 6 },
        MeshShape::Polygon(&[[0.0, 1.0], [-0.6, 0.0], [0.0, -1.0], [0.6, 0.0]]),
        MeshShape::Star {
            points: 12,
            inner: 0.8,
        },
        MeshShape::Star {
            points: 4,
            inner: 0.25,
        },
        MeshShape::Regular { sides: 16 },
    ],
    materials: &[
        material(0x3a506b, 0.8, 0.2, 0.0, 0.0),
        material(0x2de2e6, 1.0, 0.5, 0.12, 4.0),
        material(0xff3864, 1.0, 0.45, 0.0, 0.0),
        material(0x8c1eff, 1.0, 0.4, 0.0, 0.0),
        material(0xf9c80e, 1.0, 0.3, 0.2, 5.0),
        material(0xe0f7ff, 1.0, 0.6, 0.0, 0.0),
    ],
    spawners: &[
        spawner(4, 0, 0, 5.0, [0.1, 0.3], [0.1, 0.4], 0.0, 0.4),
        spawner(0, 1, 1, 2.0, [0.3, 0.6], [0.3, 1.2], 0.8, 0.3),
        spawner(2, 3, 1, 1.5, [0.35, 0.65], [0.2, 0.8], 1.2, 0.25),
        spawner(1, 2, 2, 1.5, [0.3, 0.55], [0.6, 1.6], 1.5, 0.25),
        spawner(3, 4, 3, 1.0, [0.3, 0.7], [1.0, 2.5], 4.0, 0.2),
        spawner(3, 5, 3, 0.7, [0.2, 0.4], [1.5, 3.0], 5.0, 0.2),
    ],
};

/// Every level of the demo, in key order (key 1 is the first).
pub const LEVELS: [LevelDef; 2] = [MEADOW, NEBULA];

/// One sRGB channel (0..=255) to linear.
fn srgb_to_linear(channel: u8) -> f32 {
    let c = f32::from(channel) / 255.0;
    if c <= 0.04045 {
        c / 12.92
    } else {
        ((c + 0.055) / 1.055).powf(2.4)
    }
}

/// `0xRRGGBB` sRGB to linear RGBA.
#[must_use]
pub fn linear_rgba(rgb: u32, alpha: f32) -> [f32; 4] {
    let [_, r, g, b] = rgb.to_be_bytes();
    [
        srgb_to_linear(r),
        srgb_to_linear(g),
        srgb_to_linear(b),
        alpha,
    ]
}

/// The outline of a shape, counter-clockwise.
fn outline(shape: MeshShape) -> Vec<[f32; 2]> {
    let around = |count: u32, radius: &dyn Fn(u32) -> f32| {
        (0..count)
            .map(|i| {
                let angle =
                    std::f32::consts::FRAC_PI_2 + std::f32::consts::TAU * i as f32 / count as f32;
                let r = radius(i);
                [r * angle.cos(), r * angle.sin()]
            })
            .collect()
    };
    match shape {
        MeshShape::Regular { sides } => around(sides, &|_| 1.0),
        MeshShape::Star { points, inner } => {
            around(points * 2, &|i| if i % 2 == 0 { 1.0 } else { inner })
        }
        MeshShape::Polygon(points) => points.to_vec(),
    }
}

/// A fan of triangles from the origin to each outline edge.
fn triangulate(shape: MeshShape, vertices: &mut Vec<MeshVertex>) -> MeshRecord {
    let outline = outline(shape);
    let first_vertex = vertices.len() as u32;
    let vertex = |position: [f32; 2], edge: f32| MeshVertex {
        position,
        edge,
        pad: 0.0,
    };
    for (i, &a) in outline.iter().enumerate() {
        let b = outline[(i + 1) % outline.len()];
        vertices.push(vertex([0.0, 0.0], 0.0));
        vertices.push(vertex(a, 1.0));
        vertices.push(vertex(b, 1.0));
    }
    let radius = outline
        .iter()
        .map(|[x, y]| (x * x + y * y).sqrt())
        .fold(0.0f32, f32::max);
    MeshRecord {
        first_vertex,
        vertex_count: vertices.len() as u32 - first_vertex,
        radius_bits: radius.to_bits(),
        reserved: 0,
    }
}

/// The payload of each of the level's files, in [`LEVEL_FILES`] order.
#[must_use]
pub fn encode_level(def: &LevelDef) -> Vec<(&'static str, AssetKind, Vec<u8>)> {
    let level = LevelRecord {
        background: linear_rgba(def.background, 1.0),
        density: def.density,
        view_half_height: def.view_half_height,
        seed: def.seed,
        reserved: 0,
    };
    let mut vertices = Vec::new();
    let meshes: Vec<MeshRecord> = def
        .meshes
        .iter()
        .map(|&shape| triangulate(shape, &mut vertices))
        .collect();
    let materials: Vec<MaterialRecord> = def
        .materials
        .iter()
        .map(|m| MaterialRecord {
            color: linear_rgba(m.color, m.alpha),
            params: [m.edge, m.pulse, m.pulse_speed, 0.0],
        })
        .collect();
    let payloads: [Vec<u8>; 5] = [
        bytemuck::bytes_of(&level).to_vec(),
        bytemuck::cast_slice(&meshes).to_vec(),
        bytemuck::cast_slice(&vertices).to_vec(),
        bytemuck::cast_slice(&materials).to_vec(),
        bytemuck::cast_slice(def.spawners).to_vec(),
    ];
    LEVEL_FILES
        .iter()
        .zip(payloads)
        .map(|(&(file, kind), payload)| (file, kind, payload))
        .collect()
}

/// Writes every level under `levels_dir/<name>/`.
///
/// # Errors
/// Any I/O error creating the directories or writing the files.
pub fn bake_levels(levels_dir: &Path) -> io::Result<()> {
    for def in &LEVELS {
        let dir = levels_dir.join(def.name);
        std::fs::create_dir_all(&dir)?;
        for (file, kind, payload) in encode_level(def) {
            engine::write_asset_file(dir.join(file), kind, &payload)?;
        }
    }
    Ok(())
}
