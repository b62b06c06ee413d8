//! Frame building: cull, sort, and turn the visible objects into instance data, draw
//! commands and per-draw uniforms, pushed into the frame's lists. The demo's lists
//! are [`ArenaVec`](engine::ArenaVec)s in the frame arena; the code is generic over
//! [`ListStorage`] so that the benchmark runs it over reused heap `Vec`s as well.

use super::objects::{Object, ObjectKind};
use crate::gpu_types::{DrawUniforms, Instance, OverlayRect};
use crate::lists::{FrameList, InArena, ListStorage};
use glam::Vec2;
use std::fmt;

/// One instanced draw: a run of equal (layer, mesh, material) in the sorted list.
/// Draw `i` uses per-draw uniforms `i`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DrawCmd {
    /// Index into the level's mesh table.
    pub mesh: u32,
    /// First instance in the frame's instance data.
    pub first_instance: u32,
    /// Number of instances.
    pub instance_count: u32,
}

/// Every transient list of a frame.
pub struct DrawLists<S: ListStorage> {
    /// Indices of the objects that touch the view (culling output).
    pub visible: S::List<u32>,
    /// The sort's table, one entry per bucket (sort prefix) and one more: where
    /// each bucket ends in `sort_keys` once sorted. A non-empty bucket is a draw.
    pub bucket_ends: S::List<u32>,
    /// One key per visible object: layer, mesh, material, object index; sorted.
    pub sort_keys: S::List<u64>,
    /// Per-instance GPU data, in sorted order.
    pub instances: S::List<Instance>,
    /// The draw command list.
    pub draws: S::List<DrawCmd>,
    /// One uniform block per draw.
    pub draw_uniforms: S::List<DrawUniforms>,
    /// The overlay's rectangles.
    pub overlay: S::List<OverlayRect>,
}

impl<S: ListStorage> fmt::Debug for DrawLists<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DrawLists")
            .field("visible", &self.visible.len())
            .field("sort_keys", &self.sort_keys.len())
            .field("instances", &self.instances.len())
            .field("draws", &self.draws.len())
            .field("overlay", &self.overlay.len())
            .finish_non_exhaustive()
    }
}

impl<S: ListStorage> DrawLists<S> {
    /// Empty lists in `storage` (nothing is allocated yet).
    pub fn new_in(storage: &S) -> DrawLists<S> {
        DrawLists {
            visible: storage.new_list(),
            bucket_ends: storage.new_list(),
            sort_keys: storage.new_list(),
            instances: storage.new_list(),
            draws: storage.new_list(),
            draw_uniforms: storage.new_list(),
            overlay: storage.new_list(),
        }
    }

    /// Empties every list, keeping its room.
    pub fn clear(&mut self) {
        self.visible.clear();
        self.bucket_ends.clear();
        self.sort_keys.clear();
        self.instances.clear();
        self.draws.clear();
        self.draw_uniforms.clear();
        self.overlay.clear();
    }
}

/// A frame's lists once built, frozen in the frame arena: they live until the frame
/// after next begins, and each counts in this frame's stats.
#[derive(Debug)]
pub struct DrawSlices<'a> {
    /// See [`DrawLists::visible`].
    pub visible: &'a [u32],
    /// See [`DrawLists::bucket_ends`].
    pub bucket_ends: &'a [u32],
    /// See [`DrawLists::sort_keys`].
    pub sort_keys: &'a [u64],
    /// See [`DrawLists::instances`].
    pub instances: &'a [Instance],
    /// See [`DrawLists::draws`].
    pub draws: &'a [DrawCmd],
    /// See [`DrawLists::draw_uniforms`].
    pub draw_uniforms: &'a [DrawUniforms],
    /// See [`DrawLists::overlay`].
    pub overlay: &'a [OverlayRect],
}

impl<'a> DrawLists<InArena<'a>> {
    /// Freezes the lists into slices of the arena. Dropping them instead would hand
    /// the newest list's bytes back to the arena, to be reused by the rest of the
    /// frame and missing from its stats.
    #[must_use]
    pub fn into_slices(self) -> DrawSlices<'a> {
        DrawSlices {
            visible: self.visible.into_slice(),
            bucket_ends: self.bucket_ends.into_slice(),
            sort_keys: self.sort_keys.into_slice(),
            instances: self.instances.into_slice(),
            draws: self.draws.into_slice(),
            draw_uniforms: self.draw_uniforms.into_slice(),
            overlay: self.overlay.into_slice(),
        }
    }
}

/// The scene as frame building sees it.
#[derive(Debug, Clone, Copy)]
pub struct BuildInput<'a> {
    /// Every object of the level.
    pub objects: &'a [Object],
    /// Their kinds.
    pub kinds: &'a [ObjectKind],
    /// Distinct sort prefixes among the kinds (see [`ObjectKind::bucket`]).
    pub bucket_count: usize,
    /// Materials, as per-draw uniforms.
    pub materials: &'a [DrawUniforms],
    /// The view rectangle in world units.
    pub view_min: Vec2,
    /// See `view_min`.
    pub view_max: Vec2,
}

/// Fills `lists` (except the overlay) for one frame. They start empty: new, or
/// [cleared](DrawLists::clear).
pub fn build_draws<S: ListStorage>(lists: &mut DrawLists<S>, input: &BuildInput<'_>) {
    cull(&mut lists.visible, &mut lists.bucket_ends, input);
    make_sorted_keys(
        &lists.visible,
        &mut lists.bucket_ends,
        &mut lists.sort_keys,
        input,
    );
    make_instances(&lists.sort_keys, &mut lists.instances, input);
    make_draws(
        &lists.sort_keys,
        &lists.bucket_ends,
        &mut lists.draws,
        &mut lists.draw_uniforms,
        input,
    );
}

/// The visible list: the indices of the objects whose bounding circle touches the
/// view. It also counts the visible objects of each bucket into `bucket_ends`
/// (entry `bucket + 1`), the counting sort's first pass, done here while each
/// object's kind is at hand.
pub fn cull(
    visible: &mut impl FrameList<u32>,
    bucket_ends: &mut impl FrameList<u32>,
    input: &BuildInput<'_>,
) {
    let _span = tracing::trace_span!("cull").entered();
    bucket_ends.clear();
    bucket_ends.resize(input.bucket_count + 1, 0);
    for (index, object) in input.objects.iter().enumerate() {
        let kind = &input.kinds[usize::from(object.kind)];
        if touches_view(object, kind, input) {
            visible.push(index as u32);
            bucket_ends[kind.bucket as usize + 1] += 1;
        }
    }
}

/// Whether `object` (of `kind`) is visible: its bounding circle touches the view.
#[inline(always)]
pub fn touches_view(object: &Object, kind: &ObjectKind, input: &BuildInput<'_>) -> bool {
    let (min, max) = (input.view_min, input.view_max);
    let radius = kind.radius * object.scale;
    let p = object.position;
    p.x + radius >= min.x && p.x - radius <= max.x && p.y + radius >= min.y && p.y - radius <= max.y
}

/// The instance data of `object`.
#[inline(always)]
pub fn instance_of(object: &Object) -> Instance {
    let b = object.brightness;
    Instance {
        position: object.position.to_array(),
        scale: object.scale,
        rotation: object.rotation,
        tint: [b, b, b, 255],
    }
}

/// One sort key per visible object, sorted: the rest of a counting sort over the
/// kinds' buckets, O(visible + buckets), from the counts [`cull`] left in
/// `bucket_ends`, which is left holding where each bucket ends. Within a bucket,
/// keys keep the visible list's (ascending) index order, so the result is exactly
/// that of sorting the keys.
pub fn make_sorted_keys(
    visible: &[u32],
    bucket_ends: &mut impl FrameList<u32>,
    keys: &mut impl FrameList<u64>,
    input: &BuildInput<'_>,
) {
    let _span = tracing::trace_span!("sort_keys").entered();
    // Where each bucket starts; each start then moves up as its bucket fills, and
    // ends where the bucket does.
    for bucket in 1..bucket_ends.len() {
        bucket_ends[bucket] += bucket_ends[bucket - 1];
    }
    keys.clear();
    keys.resize(visible.len(), 0);
    for &index in visible {
        let kind = &input.kinds[usize::from(input.objects[index as usize].kind)];
        let slot = &mut bucket_ends[kind.bucket as usize];
        keys[*slot as usize] = kind.sort_prefix | u64::from(index);
        *slot += 1;
    }
}

/// Instance data, in key order.
pub fn make_instances(
    keys: &[u64],
    instances: &mut impl FrameList<Instance>,
    input: &BuildInput<'_>,
) {
    let _span = tracing::trace_span!("instances").entered();
    instances.extend(
        keys.iter()
            .map(|&key| instance_of(&input.objects[ObjectKind::index_of(key)])),
    );
}

/// One draw (with its uniforms) per non-empty bucket of the sort: a run of equal
/// layer, mesh and material in `keys`, as [`make_sorted_keys`] left them and
/// `bucket_ends`.
pub fn make_draws(
    keys: &[u64],
    bucket_ends: &[u32],
    draws: &mut impl FrameList<DrawCmd>,
    draw_uniforms: &mut impl FrameList<DrawUniforms>,
    input: &BuildInput<'_>,
) {
    let _span = tracing::trace_span!("draws").entered();
    let mut first_instance = 0;
    for &end in bucket_ends {
        if end > first_instance {
            let key = keys[first_instance as usize];
            draws.push(DrawCmd {
                mesh: ObjectKind::mesh_of(key),
                first_instance,
                instance_count: end - first_instance,
            });
            draw_uniforms.push(input.materials[ObjectKind::material_of(key) as usize]);
            first_instance = end;
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::lists::OnHeap;
    use crate::scene::rng::Rng;

    pub(crate) struct Scene {
        objects: std::vec::Vec<Object>,
        kinds: std::vec::Vec<ObjectKind>,
        bucket_count: usize,
        materials: std::vec::Vec<DrawUniforms>,
    }

    /// 12 kinds over 3 layers, some sharing a (layer, mesh, material) prefix, and
    /// 5,000 objects scattered over -100..100.
    pub(crate) fn scene() -> Scene {
        let prefixes: std::vec::Vec<u64> = (0..12u8)
            .map(|kind| ObjectKind::sort_prefix(kind % 3, u16::from(kind % 5), kind % 4))
            .collect();
        let mut distinct = prefixes.clone();
        distinct.sort_unstable();
        distinct.dedup();
        let kinds = prefixes
            .iter()
            .enumerate()
            .map(|(kind, &sort_prefix)| ObjectKind {
                sort_prefix,
                radius: 0.5 + kind as f32 * 0.1,
                bucket: distinct.binary_search(&sort_prefix).unwrap() as u32,
            })
            .collect();
        let mut rng = Rng::new(7);
        let objects = (0..5000)
            .map(|_| Object {
                position: Vec2::new(rng.range(-100.0, 100.0), rng.range(-100.0, 100.0)),
                velocity: Vec2::ZERO,
                rotation: rng.range(0.0, 6.0),
                spin: 0.0,
                scale: rng.range(0.5, 3.0),
                kind: (rng.next_u64() % 12) as u16,
                brightness: rng.next_u64() as u8,
                reserved: 0,
            })
            .collect();
        let materials = (0..4)
            .map(|material| DrawUniforms {
                color: [material as f32, 0.0, 0.0, 1.0],
                params: [0.0; 4],
            })
            .collect();
        Scene {
            objects,
            kinds,
            bucket_count: distinct.len(),
            materials,
        }
    }

    pub(crate) fn input(scene: &Scene, view_min: Vec2, view_max: Vec2) -> BuildInput<'_> {
        BuildInput {
            objects: &scene.objects,
            kinds: &scene.kinds,
            bucket_count: scene.bucket_count,
            materials: &scene.materials,
            view_min,
            view_max,
        }
    }

    /// Views of [`scene`]: the whole world, a part, and nothing.
    pub(crate) fn views() -> [(Vec2, Vec2); 3] {
        [
            (Vec2::splat(-200.0), Vec2::splat(200.0)), // everything
            (Vec2::new(-20.0, -35.0), Vec2::new(30.0, 10.0)),
            (Vec2::splat(500.0), Vec2::splat(600.0)), // nothing
        ]
    }

    /// The lists as the obvious code makes them: filter, sort, group.
    struct Expected {
        visible: std::vec::Vec<u32>,
        keys: std::vec::Vec<u64>,
        instances: std::vec::Vec<Instance>,
        draws: std::vec::Vec<DrawCmd>,
        uniforms: std::vec::Vec<DrawUniforms>,
    }

    fn expected(input: &BuildInput<'_>) -> Expected {
        let (min, max) = (input.view_min, input.view_max);
        let visible: std::vec::Vec<u32> = (0..input.objects.len() as u32)
            .filter(|&index| {
                let object = &input.objects[index as usize];
                let radius = input.kinds[usize::from(object.kind)].radius * object.scale;
                let p = object.position;
                p.x + radius >= min.x
                    && p.x - radius <= max.x
                    && p.y + radius >= min.y
                    && p.y - radius <= max.y
            })
            .collect();
        let mut keys: std::vec::Vec<u64> = visible
            .iter()
            .map(|&index| {
                let kind = input.objects[index as usize].kind;
                input.kinds[usize::from(kind)].sort_prefix | u64::from(index)
            })
            .collect();
        keys.sort_unstable();
        let instances = keys
            .iter()
            .map(|&key| instance_of(&input.objects[ObjectKind::index_of(key)]))
            .collect();
        let mut draws = std::vec::Vec::<DrawCmd>::new();
        let mut uniforms = std::vec::Vec::new();
        for (position, &key) in keys.iter().enumerate() {
            let same_run = position > 0
                && keys[position - 1] >> crate::scene::objects::SORT_INDEX_BITS
                    == key >> crate::scene::objects::SORT_INDEX_BITS;
            if same_run {
                draws.last_mut().unwrap().instance_count += 1;
            } else {
                draws.push(DrawCmd {
                    mesh: ObjectKind::mesh_of(key),
                    first_instance: position as u32,
                    instance_count: 1,
                });
                uniforms.push(input.materials[ObjectKind::material_of(key) as usize]);
            }
        }
        Expected {
            visible,
            keys,
            instances,
            draws,
            uniforms,
        }
    }

    fn check<S: ListStorage>(lists: &DrawLists<S>, input: &BuildInput<'_>) {
        let expected = expected(input);
        assert_eq!(&lists.visible[..], &expected.visible[..]);
        assert_eq!(&lists.sort_keys[..], &expected.keys[..]);
        assert_eq!(&lists.instances[..], &expected.instances[..]);
        assert_eq!(&lists.draws[..], &expected.draws[..]);
        assert_eq!(&lists.draw_uniforms[..], &expected.uniforms[..]);
    }

    #[test]
    fn lists_match_the_obvious_code_in_the_arena_and_on_the_heap() {
        let scene = scene();
        let views = views();
        let arena = engine::Arena::new("test");
        let mut reused = DrawLists::new_in(&OnHeap);
        for (view_min, view_max) in views {
            let input = input(&scene, view_min, view_max);
            reused.clear();
            build_draws(&mut reused, &input);
            check(&reused, &input);
            let mut in_arena = DrawLists::new_in(&InArena(&arena));
            build_draws(&mut in_arena, &input);
            check(&in_arena, &input);
            let frozen = in_arena.into_slices();
            assert_eq!(frozen.instances, &reused.instances[..]);
            assert_eq!(frozen.draws, &reused.draws[..]);
        }
    }
}
