//! Frame building: cull, sort, and turn the visible objects into instance data, draw
//! commands and per-draw uniforms. Every list is an `allocator_api2` `Vec` in the
//! allocator the caller picks: the demo passes a frame arena; the benchmark also
//! passes the global heap (fresh or reused lists) to compare.
//!
//! Each list is reserved once at its final size bound, and the loops then write into
//! that reserved capacity (`fill_reserved`) rather than call `Vec::push`: a push
//! carries the allocator's grow path into the loop, so the loop's code would
//! depend on the allocator (and with `&Arena` it was about 10% more instructions
//! than with the global heap).

use super::objects::{Object, ObjectKind};
use crate::gpu_types::{DrawUniforms, Instance, OverlayRect};
use allocator_api2::alloc::Allocator;
use allocator_api2::vec::Vec;
use glam::Vec2;
use std::mem::MaybeUninit;

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
    fill_reserved(visible, |visible| {
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
    });
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
///
/// # Panics
/// If `lists.sort_keys` has more runs of equal prefix than there are kinds, which
/// keys sorted by [`make_sorted_keys`] never have.
pub fn make_instances_and_draws<A: Allocator>(lists: &mut DrawLists<A>, input: &BuildInput<'_>) {
    let _span = tracing::trace_span!("instances").entered();
    let keys = &lists.sort_keys;
    lists.instances.reserve(keys.len());
    // At most one draw per kind (layer, mesh and material come from the kind).
    lists.draws.reserve(input.kinds.len().min(keys.len()));
    lists
        .draw_uniforms
        .reserve(input.kinds.len().min(keys.len()));
    let (instances, draws, draw_uniforms) = (
        &mut lists.instances,
        &mut lists.draws,
        &mut lists.draw_uniforms,
    );
    fill_reserved(instances, |instances| {
        fill_reserved(draws, |draws| {
            fill_reserved(draw_uniforms, |draw_uniforms| {
                let mut run_prefix = None;
                for (position, &key) in keys.iter().enumerate() {
                    let object = &input.objects[ObjectKind::index_of(key)];
                    let b = object.brightness;
                    instances.push(Instance {
                        position: object.position.to_array(),
                        scale: object.scale,
                        rotation: object.rotation,
                        tint: [b, b, b, 255],
                    });
                    let prefix = key >> super::objects::SORT_INDEX_BITS;
                    if run_prefix == Some(prefix) {
                        if let Some(draw) = draws.last_mut() {
                            draw.instance_count += 1;
                        }
                    } else {
                        run_prefix = Some(prefix);
                        draws.push(DrawCmd {
                            mesh: ObjectKind::mesh_of(key),
                            first_instance: position as u32,
                            instance_count: 1,
                        });
                        draw_uniforms.push(input.materials[ObjectKind::material_of(key) as usize]);
                    }
                }
            });
        });
    });
}

/// Appends to `list` within the capacity it already has: `fill` pushes into the
/// spare capacity through a [`ReservedTail`], and the list's length then grows by
/// what it pushed. The loop in `fill` has no path into the allocator, so it compiles
/// to the same code for every allocator.
///
/// # Panics
/// If `fill` pushes more than the spare capacity. The list then keeps its old
/// length; what `fill` had pushed is forgotten, not dropped.
#[inline(always)]
fn fill_reserved<T, A: Allocator>(
    list: &mut Vec<T, A>,
    fill: impl FnOnce(&mut ReservedTail<'_, T>),
) {
    let mut tail = ReservedTail {
        spare: list.spare_capacity_mut(),
        written: 0,
    };
    fill(&mut tail);
    let written = tail.written;
    // SAFETY: only `ReservedTail::push` changes `written`, and it first initializes
    // element `written` of the spare capacity (which starts at `list.len()`), so
    // `written` never exceeds the spare capacity and `list.len() + written` is within
    // capacity with every element below it initialized.
    unsafe { list.set_len(list.len() + written) };
}

/// The spare capacity of a list, written front to back by
/// [`push`](ReservedTail::push); see [`fill_reserved`].
struct ReservedTail<'a, T> {
    spare: &'a mut [MaybeUninit<T>],
    /// Elements initialized so far, all at the front of `spare`.
    written: usize,
}

impl<T> ReservedTail<'_, T> {
    /// Appends `value`.
    ///
    /// # Panics
    /// If the reserved capacity is full.
    #[inline(always)]
    fn push(&mut self, value: T) {
        let Some(slot) = self.spare.get_mut(self.written) else {
            reserved_capacity_exceeded()
        };
        slot.write(value);
        self.written += 1;
    }

    /// The element pushed last, if any.
    #[inline(always)]
    fn last_mut(&mut self) -> Option<&mut T> {
        let last = self.written.checked_sub(1)?;
        // SAFETY: `push` initialized every element below `written`.
        Some(unsafe { self.spare[last].assume_init_mut() })
    }
}

#[cold]
#[inline(never)]
#[track_caller]
fn reserved_capacity_exceeded() -> ! {
    panic!("frame building pushed past the capacity it reserved")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scene::rng::Rng;
    use allocator_api2::alloc::Global;

    struct Scene {
        objects: std::vec::Vec<Object>,
        kinds: std::vec::Vec<ObjectKind>,
        bucket_count: usize,
        materials: std::vec::Vec<DrawUniforms>,
    }

    /// 12 kinds over 3 layers, some sharing a (layer, mesh, material) prefix, and
    /// 5,000 objects scattered over -100..100.
    fn scene() -> Scene {
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

    fn input(scene: &Scene, view_min: Vec2, view_max: Vec2) -> BuildInput<'_> {
        BuildInput {
            objects: &scene.objects,
            kinds: &scene.kinds,
            bucket_count: scene.bucket_count,
            materials: &scene.materials,
            view_min,
            view_max,
        }
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
            .map(|&key| {
                let object = &input.objects[ObjectKind::index_of(key)];
                let b = object.brightness;
                Instance {
                    position: object.position.to_array(),
                    scale: object.scale,
                    rotation: object.rotation,
                    tint: [b, b, b, 255],
                }
            })
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

    fn check<A: Allocator>(lists: &DrawLists<A>, input: &BuildInput<'_>) {
        let expected = expected(input);
        assert_eq!(&lists.visible[..], &expected.visible[..]);
        assert_eq!(&lists.sort_keys[..], &expected.keys[..]);
        assert_eq!(&lists.instances[..], &expected.instances[..]);
        assert_eq!(&lists.draws[..], &expected.draws[..]);
        assert_eq!(&lists.draw_uniforms[..], &expected.uniforms[..]);
    }

    #[test]
    fn lists_match_the_obvious_code_in_every_allocator() {
        let scene = scene();
        let views = [
            (Vec2::splat(-200.0), Vec2::splat(200.0)), // everything
            (Vec2::new(-20.0, -35.0), Vec2::new(30.0, 10.0)),
            (Vec2::splat(500.0), Vec2::splat(600.0)), // nothing
        ];
        let arena = engine::Arena::new("test");
        let mut reused = DrawLists::new_in(Global);
        for (view_min, view_max) in views {
            let input = input(&scene, view_min, view_max);
            let mut fresh = DrawLists::new_in(Global);
            build_draws(&mut fresh, &input);
            check(&fresh, &input);
            reused.clear();
            build_draws(&mut reused, &input);
            check(&reused, &input);
            let mut in_arena = DrawLists::new_in(&arena);
            build_draws(&mut in_arena, &input);
            check(&in_arena, &input);
        }
    }

    #[test]
    #[should_panic(expected = "past the capacity it reserved")]
    fn more_runs_than_kinds_is_refused() {
        let scene = scene();
        let input = input(&scene, Vec2::splat(-200.0), Vec2::splat(200.0));
        let mut lists = DrawLists::new_in(Global);
        // Not grouped by prefix: every key starts a run, 64 runs for 12 kinds.
        let (a, b) = (scene.kinds[0].sort_prefix, scene.kinds[1].sort_prefix);
        lists
            .sort_keys
            .extend((0..64u64).map(|index| if index % 2 == 0 { a } else { b } | index));
        make_instances_and_draws(&mut lists, &input);
    }
}
