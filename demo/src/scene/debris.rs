//! A debris burst: for one frame, every visible object throws fragments, and the
//! frame builds many times its usual draw data. The fragments are objects like any
//! other, made in the frame arena and run through the same frame building (cull,
//! sort keys, instances, draws, in [`DrawLists`] of the frame arena), then drawn
//! after the level's objects. So a burst is a real spike in the frame arenas: it
//! goes over the frame budget, the arena grows, and over the next
//! `--trim-within-frames` frames it gives the memory back.

use super::build::{BuildInput, DrawCmd, DrawLists, DrawSlices, build_draws};
use super::objects::Object;
use super::rng::Rng;
use crate::gpu_types::Instance;
use crate::lists::{FrameList, InArena};
use engine::{Arena, ArenaVec};
use glam::Vec2;

/// A burst frame builds this many times the usual frame's bytes.
pub const BURST_FACTOR: usize = 16;

/// What one fragment adds to the frame: its object, its entry in the visible list,
/// its sort key, its instance, and its instance again in the frame's joined list.
pub const FRAGMENT_BYTES: usize =
    size_of::<Object>() + size_of::<u32>() + size_of::<u64>() + 2 * size_of::<Instance>();

/// The most fragments one burst throws, whatever the budget. Their instances (20
/// MiB) fit the GPU upload ring's budget, and a software renderer draws them in
/// seconds (lavapipe here took 0.3 to 0.7 s for a burst of 200,000 at 960x540 and
/// 1280x720).
pub const MAX_FRAGMENTS: usize = 1 << 20;

/// How many fragments a burst throws in a frame whose data is usually
/// `usual_bytes`, with a frame budget of `budget_bytes`: enough for
/// [`BURST_FACTOR`] times the usual bytes, and at least twice the budget. The
/// buffers start with their budget committed, so a burst within it would not make
/// the arena grow and there would be nothing to give back.
///
/// ```
/// use demo::scene::debris::{fragment_count, FRAGMENT_BYTES};
/// // A frame of 1 MiB and a budget of 256 KiB: 15 MiB more, in fragments.
/// assert_eq!(fragment_count(1 << 20, 256 << 10), (15 << 20) / FRAGMENT_BYTES);
/// // A small frame under a big budget: twice the budget.
/// assert_eq!(fragment_count(10_000, 8 << 20), ((16 << 20) - 10_000) / FRAGMENT_BYTES);
/// ```
#[must_use]
pub fn fragment_count(usual_bytes: usize, budget_bytes: usize) -> usize {
    let target = usual_bytes
        .saturating_mul(BURST_FACTOR)
        .max(budget_bytes.saturating_mul(2));
    (target.saturating_sub(usual_bytes) / FRAGMENT_BYTES).clamp(1, MAX_FRAGMENTS)
}

/// Pushes `count` fragments into `out`. Each is thrown from one of `parents` (the
/// indices of the visible objects in `input.objects`, taken in turn): a smaller
/// piece of the same kind, somewhere within four of its parent's radii, at full
/// brightness. With no parent in view they are strewn over the view instead, of
/// every kind in turn. `seed` makes the same frame throw the same fragments.
pub fn scatter(
    out: &mut impl FrameList<Object>,
    count: usize,
    parents: &[u32],
    input: &BuildInput<'_>,
    seed: u64,
) {
    let _span = tracing::trace_span!("debris").entered();
    let mut rng = Rng::new(seed);
    let kind_count = input.kinds.len().max(1);
    out.extend((0..count).map(|fragment| {
        let (center, reach, scale, kind) = match parents.len() {
            0 => {
                let corner = input.view_min;
                let size = input.view_max - input.view_min;
                let at = corner + Vec2::new(rng.next_f32(), rng.next_f32()) * size;
                let kind = (fragment % kind_count) as u16;
                let radius = input.kinds.get(usize::from(kind)).map_or(1.0, |k| k.radius);
                (at, 0.0, size.y.max(f32::MIN_POSITIVE) / 64.0 / radius, kind)
            }
            n => {
                let parent = &input.objects[parents[fragment % n] as usize];
                let radius = input.kinds[usize::from(parent.kind)].radius * parent.scale;
                (parent.position, 4.0 * radius, parent.scale, parent.kind)
            }
        };
        let angle = rng.range(0.0, std::f32::consts::TAU);
        let distance = reach * rng.next_f32().sqrt();
        Object {
            position: center + Vec2::from_angle(angle) * distance,
            velocity: Vec2::ZERO,
            rotation: rng.range(0.0, std::f32::consts::TAU),
            spin: 0.0,
            scale: scale * rng.range(0.15, 0.4),
            kind,
            brightness: 255,
            reserved: 0,
        }
    }));
}

/// A burst's draw lists, built in `arena`: `count` fragments thrown from `parents`
/// (see [`scatter`]), through the same [`build_draws`] as the level's objects.
pub fn build_debris<'f>(
    arena: &'f Arena,
    input: &BuildInput<'_>,
    parents: &[u32],
    count: usize,
    seed: u64,
) -> DrawSlices<'f> {
    let mut fragments = ArenaVec::with_capacity_in(count, arena);
    scatter(&mut fragments, count, parents, input, seed);
    let fragments: &[Object] = fragments.into_slice();
    let input = BuildInput {
        objects: fragments,
        ..*input
    };
    let mut lists = DrawLists::new_in(&InArena(arena));
    build_draws(&mut lists, &input);
    lists.into_slices()
}

/// Draws `debris` after the level's objects: `lists`' instances, draws and
/// per-draw uniforms become new lists in `arena` holding the level's and then the
/// debris', the debris' draws pointing past the level's instances. The visible
/// list and sort keys stay the level's.
pub fn append<'f>(arena: &'f Arena, lists: &mut DrawSlices<'f>, debris: &DrawSlices<'f>) {
    let offset = lists.instances.len() as u32;
    let shifted = debris.draws.iter().map(|draw| DrawCmd {
        first_instance: draw.first_instance + offset,
        ..*draw
    });
    // Chains of slices know their length: each list is one exact allocation.
    lists.draws = arena.alloc_iter(lists.draws.iter().copied().chain(shifted));
    lists.instances = arena.alloc_iter(lists.instances.iter().chain(debris.instances).copied());
    lists.draw_uniforms = arena.alloc_iter(
        lists
            .draw_uniforms
            .iter()
            .chain(debris.draw_uniforms)
            .copied(),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scene::build::tests::{input, scene, views};

    #[test]
    fn a_burst_is_sixteen_times_the_usual_frame_or_twice_the_budget() {
        let usual = 100_000;
        let fragments = fragment_count(usual, 64 << 10);
        let burst_bytes = usual + fragments * FRAGMENT_BYTES;
        assert!(burst_bytes <= BURST_FACTOR * usual);
        assert!(burst_bytes + FRAGMENT_BYTES > BURST_FACTOR * usual);
        let small = fragment_count(1000, 8 << 20);
        assert!(1000 + small * FRAGMENT_BYTES + FRAGMENT_BYTES > 16 << 20);
        assert_eq!(fragment_count(0, 0), 1, "a burst throws something");
        assert_eq!(fragment_count(usize::MAX / 2, 1), MAX_FRAGMENTS);
    }

    #[test]
    fn fragments_fly_from_their_parents_and_are_the_same_for_the_same_seed() {
        let scene = scene();
        let (view_min, view_max) = views()[1];
        let input = input(&scene, view_min, view_max);
        let parents = [3u32, 40, 41];
        let mut fragments = Vec::new();
        scatter(&mut fragments, 300, &parents, &input, 7);
        assert_eq!(fragments.len(), 300);
        for (index, fragment) in fragments.iter().enumerate() {
            let parent = &input.objects[parents[index % 3] as usize];
            let radius = input.kinds[usize::from(parent.kind)].radius * parent.scale;
            assert_eq!(fragment.kind, parent.kind, "fragment {index}");
            assert!(fragment.position.distance(parent.position) <= 4.0 * radius + 1e-3);
            assert!(fragment.scale < parent.scale);
        }
        let mut again = Vec::new();
        scatter(&mut again, 300, &parents, &input, 7);
        assert_eq!(fragments, again);
        let mut other = Vec::new();
        scatter(&mut other, 300, &parents, &input, 8);
        assert_ne!(fragments, other);
    }

    #[test]
    fn without_parents_fragments_are_strewn_over_the_view() {
        let scene = scene();
        let (view_min, view_max) = views()[2]; // nothing of the scene in view
        let input = input(&scene, view_min, view_max);
        let mut fragments = Vec::new();
        scatter(&mut fragments, 50, &[], &input, 1);
        assert!(fragments.iter().all(|fragment| {
            fragment.position.cmpge(view_min).all() && fragment.position.cmple(view_max).all()
        }));
    }

    #[test]
    fn the_debris_is_drawn_after_the_level_from_one_instance_list() {
        let scene = scene();
        let (view_min, view_max) = views()[1];
        let input = input(&scene, view_min, view_max);
        let arena = Arena::new("burst test");
        let mut level = DrawLists::new_in(&InArena(&arena));
        build_draws(&mut level, &input);
        let mut lists = level.into_slices();
        let (level_instances, level_draws) = (lists.instances, lists.draws);
        let debris = build_debris(&arena, &input, lists.visible, 2000, 3);
        assert!(!debris.instances.is_empty(), "the fragments are in view");
        append(&arena, &mut lists, &debris);

        assert_eq!(
            lists.instances.len(),
            level_instances.len() + debris.instances.len()
        );
        assert_eq!(&lists.instances[..level_instances.len()], level_instances);
        assert_eq!(&lists.draws[..level_draws.len()], level_draws);
        assert_eq!(
            lists.draws.len(),
            level_draws.len() + debris.draws.len(),
            "one more draw per bucket the debris fills"
        );
        // Every draw's instances are where it says, and together they are all of them.
        assert_eq!(lists.draw_uniforms.len(), lists.draws.len());
        let mut next = 0;
        for draw in lists.draws {
            assert_eq!(draw.first_instance, next);
            next += draw.instance_count;
        }
        assert_eq!(next as usize, lists.instances.len());
        for (draw, debris_draw) in lists.draws[level_draws.len()..].iter().zip(debris.draws) {
            let first = draw.first_instance as usize;
            let range = first..first + draw.instance_count as usize;
            let debris_first = debris_draw.first_instance as usize;
            let debris_range = debris_first..debris_first + debris_draw.instance_count as usize;
            assert_eq!(lists.instances[range], debris.instances[debris_range]);
        }
    }
}
