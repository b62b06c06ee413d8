//! Frame building: cull, sort, and turn the visible objects into instance data, draw
//! commands and per-draw uniforms. Every list is an `allocator_api2` `Vec` in the
//! allocator the caller picks: the demo passes a frame arena; the benchmark also
//! passes the global heap (fresh or reused lists) to compare.

use super::objects::{Object, ObjectKind};
use crate::gpu_types::{DrawUniforms, Instance, OverlayRect};
use allocator_api2::alloc::Allocator;
use allocator_api2::vec::Vec;
use glam::Vec2;

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
#[derive(Debug)]
pub struct DrawLists<A: Allocator> {
    /// Indices of the objects that touch the view (culling output).
    pub visible: Vec<u32, A>,
    /// Scratch for the sort: where each bucket (sort prefix) starts.
    pub bucket_starts: Vec<u32, A>,
    /// One key per visible object: layer, mesh, material, object index; sorted.
    pub sort_keys: Vec<u64, A>,
    /// Per-instance GPU data, in sorted order.
    pub instances: Vec<Instance, A>,
    /// The draw command list.
    pub draws: Vec<DrawCmd, A>,
    /// One uniform block per draw.
    pub draw_uniforms: Vec<DrawUniforms, A>,
    /// The overlay's rectangles.
    pub overlay: Vec<OverlayRect, A>,
}

impl<A: Allocator + Clone> DrawLists<A> {
    /// Empty lists allocating from `alloc` (nothing is allocated yet).
    pub fn new_in(alloc: A) -> DrawLists<A> {
        DrawLists {
            visible: Vec::new_in(alloc.clone()),
            bucket_starts: Vec::new_in(alloc.clone()),
            sort_keys: Vec::new_in(alloc.clone()),
            instances: Vec::new_in(alloc.clone()),
            draws: Vec::new_in(alloc.clone()),
            draw_uniforms: Vec::new_in(alloc.clone()),
            overlay: Vec::new_in(alloc),
        }
    }
}

impl<A: Allocator> DrawLists<A> {
    /// Empties every list, keeping its capacity.
    pub fn clear(&mut self) {
        self.visible.clear();
        self.bucket_starts.clear();
        self.sort_keys.clear();
        self.instances.clear();
        self.draws.clear();
        self.draw_uniforms.clear();
        self.overlay.clear();
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

/// Fills `lists` (except the overlay) for one frame. Each list is reserved once at
/// its final size bound, so none reallocates while it fills.
pub fn build_draws<A: Allocator>(lists: &mut DrawLists<A>, input: &BuildInput<'_>) {
    cull(&mut lists.visible, input);
    make_sorted_keys(lists, input);
    make_instances_and_draws(lists, input);
}

/// The visible list: objects whose bounding circle touches the view.
pub fn cull<A: Allocator>(visible: &mut Vec<u32, A>, input: &BuildInput<'_>) {
    let _span = tracing::trace_span!("cull").entered();
    visible.reserve(input.objects.len());
    let (min, max) = (input.view_min, input.view_max);
    for (index, object) in input.objects.iter().enumerate() {
        let radius = input.kinds[usize::from(object.kind)].radius * object.scale;
        let p = object.position;
        if p.x + radius >= min.x
            && p.x - radius <= max.x
            && p.y + radius >= min.y
            && p.y - radius <= max.y
        {
            visible.push(index as u32);
        }
    }
}

/// One sort key per visible object, sorted: a counting sort over the kinds'
/// buckets, O(visible + buckets). Within a bucket, keys keep the visible list's
/// (ascending) index order, so the result is exactly that of sorting the keys.
pub fn make_sorted_keys<A: Allocator>(lists: &mut DrawLists<A>, input: &BuildInput<'_>) {
    let _span = tracing::trace_span!("sort_keys").entered();
    let starts = &mut lists.bucket_starts;
    starts.clear();
    starts.resize(input.bucket_count + 1, 0);
    let kind_of = |index: u32| &input.kinds[usize::from(input.objects[index as usize].kind)];
    for &index in lists.visible.iter() {
        starts[kind_of(index).bucket as usize + 1] += 1;
    }
    for bucket in 1..starts.len() {
        starts[bucket] += starts[bucket - 1];
    }
    let keys = &mut lists.sort_keys;
    keys.clear();
    keys.resize(lists.visible.len(), 0);
    for &index in lists.visible.iter() {
        let kind = kind_of(index);
        let slot = &mut starts[kind.bucket as usize];
        keys[*slot as usize] = kind.sort_prefix | u64::from(index);
        *slot += 1;
    }
}

/// Instance data in key order, and one draw (with its uniforms) per run of equal
/// layer, mesh and material.
pub fn make_instances_and_draws<A: Allocator>(lists: &mut DrawLists<A>, input: &BuildInput<'_>) {
    let _span = tracing::trace_span!("instances").entered();
    let keys = &lists.sort_keys;
    lists.instances.reserve(keys.len());
    // At most one draw per kind (layer, mesh and material come from the kind).
    lists.draws.reserve(input.kinds.len().min(keys.len()));
    lists
        .draw_uniforms
        .reserve(input.kinds.len().min(keys.len()));
    let mut run_prefix = None;
    for (position, &key) in keys.iter().enumerate() {
        let object = &input.objects[ObjectKind::index_of(key)];
        let b = object.brightness;
        lists.instances.push(Instance {
            position: object.position.to_array(),
            scale: object.scale,
            rotation: object.rotation,
            tint: [b, b, b, 255],
        });
        let prefix = key >> super::objects::SORT_INDEX_BITS;
        if run_prefix == Some(prefix) {
            if let Some(draw) = lists.draws.last_mut() {
                draw.instance_count += 1;
            }
        } else {
            run_prefix = Some(prefix);
            lists.draws.push(DrawCmd {
                mesh: ObjectKind::mesh_of(key),
                first_instance: position as u32,
                instance_count: 1,
            });
            lists
                .draw_uniforms
                .push(input.materials[ObjectKind::material_of(key) as usize]);
        }
    }
}
