//! A loaded level: its files in an asset arena, everything derived from them (mesh
//! table, materials, object kinds, the object list, GPU buffers) in a level arena.
//! Unloading resets both in one step each.

use super::level_format::{
    LEVEL_FILES, LevelRecord, MaterialRecord, MeshRecord, MeshVertex, SpawnerRecord,
};
use super::objects::{Object, ObjectKind};
use super::rng::Rng;
use crate::gpu_types::DrawUniforms;
use engine::{
    ArenaStats, AssetArena, AssetError, AssetId, AssetMark, LevelArena, ReleaseReport, UnloadReport,
};
use glam::Vec2;
use std::fmt;
use std::path::{Path, PathBuf};

/// Why a level did not load. Every variant names the file at fault.
#[derive(Debug)]
pub enum LevelError {
    /// A file is missing, unreadable or corrupt (bad header, checksum, size).
    Asset(AssetError),
    /// A file loaded but its contents make no sense.
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        problem: String,
    },
}

impl fmt::Display for LevelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LevelError::Asset(error) => write!(f, "{error}"),
            LevelError::Invalid { path, problem } => {
                write!(f, "asset {}: {problem}", path.display())
            }
        }
    }
}

impl std::error::Error for LevelError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            LevelError::Asset(error) => Some(error),
            LevelError::Invalid { .. } => None,
        }
    }
}

impl From<AssetError> for LevelError {
    fn from(error: AssetError) -> Self {
        LevelError::Asset(error)
    }
}

/// GPU resources a level owns. The renderer makes them; they live in the level
/// arena, and the arena's unload drops them (a `Drop` type in an arena).
#[derive(Debug)]
pub struct LevelGpu {
    /// All the level's mesh vertices, uploaded once at load.
    pub vertex_buffer: wgpu::Buffer,
}

/// What [`Level::unload`] freed.
#[derive(Debug)]
pub struct LevelUnloadReport {
    /// The level arena's report (destructors run, bytes freed).
    pub level: UnloadReport,
    /// The asset arena's report (files released, bytes).
    pub assets: ReleaseReport,
}

/// What a level derives into its level arena, borrowing that arena.
struct LevelData<'arena> {
    meshes: &'arena [MeshRecord],
    materials: &'arena [DrawUniforms],
    kinds: &'arena [ObjectKind],
    objects: &'arena mut [Object],
    gpu: Option<&'arena LevelGpu>,
}

self_cell::self_cell!(
    /// The level arena together with the slices in it: the arena cannot be
    /// unloaded or dropped while they are reachable, since only `into_owner` hands
    /// it out by value, and that drops them first.
    struct LevelCell {
        owner: LevelArena,
        #[covariant]
        dependent: LevelData,
    }
);

/// A level in memory. See the [module docs](self).
pub struct Level {
    name: String,
    dir: PathBuf,
    cell: LevelCell,
    assets: AssetArena,
    assets_start: AssetMark,
    vertices_id: AssetId,
    record: LevelRecord,
    world_half_extent: Vec2,
    bucket_count: usize,
}

impl fmt::Debug for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Level")
            .field("name", &self.name)
            .field("dir", &self.dir)
            .field("objects", &self.objects().len())
            .field("arena", self.cell.borrow_owner())
            .field("assets", &self.assets)
            .finish_non_exhaustive()
    }
}

fn invalid(path: &Path, problem: impl Into<String>) -> LevelError {
    LevelError::Invalid {
        path: path.to_path_buf(),
        problem: problem.into(),
    }
}

fn all_finite(values: &[f32]) -> bool {
    values.iter().all(|v| v.is_finite())
}

impl Level {
    /// Loads the level in `dir` (the files of [`LEVEL_FILES`]) and generates
    /// `object_count` objects from its spawners. Nothing outside the new level is
    /// touched, so a failed load leaves the caller's current level as it was.
    ///
    /// # Errors
    /// A [`LevelError`] naming the first file that is missing, corrupt or invalid.
    pub fn load(dir: &Path, object_count: usize) -> Result<Level, LevelError> {
        let name = dir.file_name().map_or_else(
            || dir.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        let _span = tracing::info_span!("load_level", level = %name).entered();

        let mut assets = AssetArena::new(format!("assets:{name}"));
        let assets_start = assets.mark();
        let mut ids = Vec::with_capacity(LEVEL_FILES.len());
        for (file, kind) in LEVEL_FILES {
            let path = dir.join(file);
            let id = assets.load(&path)?;
            if assets.kind(id) != kind {
                return Err(invalid(
                    &path,
                    format!("declares asset kind {}, expected {kind}", assets.kind(id)),
                ));
            }
            ids.push((path, id));
        }
        let [
            level_file,
            meshes_file,
            vertices_file,
            materials_file,
            spawners_file,
        ] = <[(PathBuf, AssetId); 5]>::try_from(ids).expect("one id per level file");

        let records = assets.get_pod::<LevelRecord>(level_file.1)?;
        let [record] = records else {
            return Err(invalid(
                &level_file.0,
                format!("holds {} level records, expected 1", records.len()),
            ));
        };
        let positive = |value: f32| value.is_finite() && value > 0.0;
        if !positive(record.density)
            || !positive(record.view_half_height)
            || !all_finite(&record.background)
        {
            return Err(invalid(
                &level_file.0,
                "density, zoom and background must be finite and positive",
            ));
        }

        let vertices = assets.get_pod::<MeshVertex>(vertices_file.1)?;
        if vertices
            .iter()
            .any(|v| !all_finite(&[v.position[0], v.position[1], v.edge]))
        {
            return Err(invalid(&vertices_file.0, "a vertex is not finite"));
        }
        let meshes = assets.get_pod::<MeshRecord>(meshes_file.1)?;
        if meshes.is_empty() || meshes.len() > usize::from(u16::MAX) {
            return Err(invalid(
                &meshes_file.0,
                format!("holds {} meshes, expected 1..=65535", meshes.len()),
            ));
        }
        for (index, mesh) in meshes.iter().enumerate() {
            let end = u64::from(mesh.first_vertex) + u64::from(mesh.vertex_count);
            if mesh.vertex_count == 0 || mesh.vertex_count % 3 != 0 || end > vertices.len() as u64 {
                return Err(invalid(
                    &meshes_file.0,
                    format!(
                        "mesh {index}: vertices {}..{end} are not whole triangles within the {} vertices of {}",
                        mesh.first_vertex,
                        vertices.len(),
                        vertices_file.0.display()
                    ),
                ));
            }
            if !(mesh.radius().is_finite() && mesh.radius() > 0.0) {
                return Err(invalid(
                    &meshes_file.0,
                    format!("mesh {index}: radius is not positive"),
                ));
            }
        }
        let materials = assets.get_pod::<MaterialRecord>(materials_file.1)?;
        if materials.is_empty() || materials.len() > 256 {
            return Err(invalid(
                &materials_file.0,
                format!("holds {} materials, expected 1..=256", materials.len()),
            ));
        }
        if materials
            .iter()
            .any(|m| !all_finite(&m.color) || !all_finite(&m.params))
        {
            return Err(invalid(&materials_file.0, "a material is not finite"));
        }
        let spawners = assets.get_pod::<SpawnerRecord>(spawners_file.1)?;
        if spawners.is_empty() || spawners.len() > usize::from(u16::MAX) {
            return Err(invalid(
                &spawners_file.0,
                format!("holds {} spawners, expected 1..=65535", spawners.len()),
            ));
        }
        for (index, spawner) in spawners.iter().enumerate() {
            let problem = if spawner.mesh as usize >= meshes.len() {
                Some(format!("mesh {} does not exist", spawner.mesh))
            } else if spawner.material as usize >= materials.len() {
                Some(format!("material {} does not exist", spawner.material))
            } else if spawner.layer > 255 {
                Some(format!("layer {} is over 255", spawner.layer))
            } else if !(spawner.weight.is_finite() && spawner.weight > 0.0) {
                Some("weight must be positive".to_owned())
            } else if !all_finite(&[
                spawner.scale[0],
                spawner.scale[1],
                spawner.speed[0],
                spawner.speed[1],
                spawner.spin,
                spawner.tint_variation,
            ]) || spawner.scale[0] <= 0.0
                || spawner.scale[0] > spawner.scale[1]
                || spawner.speed[0] > spawner.speed[1]
            {
                Some("scale/speed ranges must be finite, ordered and scale positive".to_owned())
            } else {
                None
            };
            if let Some(problem) = problem {
                return Err(invalid(
                    &spawners_file.0,
                    format!("spawner {index}: {problem}"),
                ));
            }
        }

        // Everything checks out: derive the level's data into its arena.
        let record = *record;
        let objects_bytes = object_count * size_of::<Object>();
        let arena = LevelArena::with_capacity(format!("level:{name}"), objects_bytes + 16 * 1024);
        let prefix_of = |spawner: &SpawnerRecord| {
            ObjectKind::sort_prefix(
                spawner.layer as u8,
                spawner.mesh as u16,
                spawner.material as u8,
            )
        };
        let mut prefixes: Vec<u64> = spawners.iter().map(prefix_of).collect();
        prefixes.sort_unstable();
        prefixes.dedup();
        let bucket_count = prefixes.len();

        let side = (object_count.max(1) as f32 / record.density).sqrt();
        let world_half_extent = Vec2::splat((side * 0.5).max(1.0));
        let total_weight: f32 = spawners.iter().map(|s| s.weight).sum();
        let mut rng = Rng::new(u64::from(record.seed));
        let cell = LevelCell::new(arena, |arena| LevelData {
            meshes: arena.alloc_slice_copy(meshes),
            materials: arena.alloc_slice_fill_with(materials.len(), |i| DrawUniforms {
                color: materials[i].color,
                params: materials[i].params,
            }),
            kinds: arena.alloc_slice_fill_with(spawners.len(), |i| {
                let spawner = &spawners[i];
                let pulse = materials[spawner.material as usize].params[1].abs();
                let sort_prefix = prefix_of(spawner);
                ObjectKind {
                    sort_prefix,
                    radius: meshes[spawner.mesh as usize].radius() * (1.0 + pulse),
                    bucket: prefixes
                        .binary_search(&sort_prefix)
                        .expect("every prefix is listed") as u32,
                }
            }),
            objects: arena.alloc_slice_fill_with(object_count, |_| {
                let mut pick = rng.next_f32() * total_weight;
                let mut kind = spawners.len() - 1;
                for (index, spawner) in spawners.iter().enumerate() {
                    if pick < spawner.weight {
                        kind = index;
                        break;
                    }
                    pick -= spawner.weight;
                }
                let spawner = &spawners[kind];
                let heading = rng.range(0.0, std::f32::consts::TAU);
                let speed = rng.range(spawner.speed[0], spawner.speed[1]);
                Object {
                    position: Vec2::new(
                        rng.range(-world_half_extent.x, world_half_extent.x),
                        rng.range(-world_half_extent.y, world_half_extent.y),
                    ),
                    velocity: Vec2::from_angle(heading) * speed,
                    rotation: rng.range(0.0, std::f32::consts::TAU),
                    spin: rng.range(-spawner.spin, spawner.spin),
                    scale: rng.range(spawner.scale[0], spawner.scale[1]),
                    kind: kind as u16,
                    brightness: (255.0
                        * (1.0 - spawner.tint_variation.clamp(0.0, 1.0) * rng.next_f32()))
                        as u8,
                    reserved: 0,
                }
            }),
            gpu: None,
        });

        Ok(Level {
            name,
            dir: dir.to_path_buf(),
            cell,
            assets,
            assets_start,
            vertices_id: vertices_file.1,
            record,
            world_half_extent,
            bucket_count,
        })
    }

    /// Moves the level's GPU resources into its arena; they are dropped at unload.
    pub fn attach_gpu(&mut self, gpu: LevelGpu) {
        self.cell
            .with_dependent_mut(|arena, data| data.gpu = Some(arena.alloc(gpu)));
    }

    /// Ends loading: what the level arena allocates from now on is reported as
    /// growth-after-load.
    pub fn seal(&self) {
        self.cell.borrow_owner().seal();
    }

    /// The level's name (its directory's name).
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The directory the level was loaded from.
    #[must_use]
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Level-wide settings.
    #[must_use]
    pub fn record(&self) -> &LevelRecord {
        &self.record
    }

    /// The world spans `-world_half_extent..world_half_extent`.
    #[must_use]
    pub fn world_half_extent(&self) -> Vec2 {
        self.world_half_extent
    }

    /// The mesh table (level arena).
    #[must_use]
    pub fn meshes(&self) -> &[MeshRecord] {
        self.cell.borrow_dependent().meshes
    }

    /// The materials as per-draw uniforms (level arena).
    #[must_use]
    pub fn materials(&self) -> &[DrawUniforms] {
        self.cell.borrow_dependent().materials
    }

    /// One kind per spawner (level arena).
    #[must_use]
    pub fn kinds(&self) -> &[ObjectKind] {
        self.cell.borrow_dependent().kinds
    }

    /// How many distinct sort prefixes (layer, mesh, material) the kinds have.
    #[must_use]
    pub fn bucket_count(&self) -> usize {
        self.bucket_count
    }

    /// The objects (level arena).
    #[must_use]
    pub fn objects(&self) -> &[Object] {
        self.cell.borrow_dependent().objects
    }

    /// The objects, to simulate them.
    #[must_use]
    pub fn objects_mut(&mut self) -> &mut [Object] {
        self.cell.with_dependent_mut(|_, data| &mut *data.objects)
    }

    /// The mesh vertices, straight from the asset file's bytes (asset arena).
    #[must_use]
    pub fn vertices(&self) -> &[MeshVertex] {
        self.assets
            .get_pod(self.vertices_id)
            .expect("vertices.asset was checked at load")
    }

    /// The GPU resources, once [attached](Level::attach_gpu).
    #[must_use]
    pub fn gpu(&self) -> Option<&LevelGpu> {
        self.cell.borrow_dependent().gpu
    }

    /// The level arena's memory (for telemetry).
    #[must_use]
    pub fn level_arena(&self) -> &engine::Arena {
        self.cell.borrow_owner().arena()
    }

    /// The asset arena's memory (for telemetry).
    #[must_use]
    pub fn asset_arena(&self) -> engine::ArenaView<'_> {
        self.assets.arena()
    }

    /// The level arena's stats.
    #[must_use]
    pub fn arena_stats(&self) -> ArenaStats {
        self.cell.borrow_owner().stats()
    }

    /// The asset arena's stats.
    #[must_use]
    pub fn asset_stats(&self) -> ArenaStats {
        self.assets.stats()
    }

    /// Bytes the level arena grew by after [`seal`](Level::seal).
    #[must_use]
    pub fn growth_after_load_bytes(&self) -> usize {
        self.cell.borrow_owner().growth_bytes()
    }

    /// Unloads the level: the level arena runs its destructors (the GPU buffers)
    /// and resets, and the level's files are released from the asset arena.
    #[must_use]
    pub fn unload(self) -> LevelUnloadReport {
        let Level {
            cell,
            mut assets,
            assets_start,
            ..
        } = self;
        let level = cell.into_owner().unload();
        let assets = assets
            .release_to(assets_start)
            .expect("the level's own start mark is valid");
        LevelUnloadReport { level, assets }
    }
}
