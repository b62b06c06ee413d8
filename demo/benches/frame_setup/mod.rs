//! What both frame-building benches share: the level, the two views, the overlay's
//! lines, and one frame's build over any list storage.

use demo::lists::ListStorage;
use demo::options::Options;
use demo::overlay::{self, Bar, OverlayLine};
use demo::scene::build::{BuildInput, DrawLists, build_draws};
use demo::scene::level::Level;
use engine::{FrameArenas, FrameConfig};
use glam::Vec2;
use std::hint::black_box;

/// Objects in the level the benches build frames for.
pub const OBJECTS: usize = 100_000;

/// The views: the whole world, and about a tenth of it (the side scaled by √0.1),
/// which moves every frame (see [`PLACES`]).
pub const VIEWS: [(&str, f32); 2] = [("all_visible", 1.0), ("tenth_visible", 0.316)];

/// Places a view smaller than the world takes in turn, one a frame.
///
/// A view that never moves gives the culling test the same outcomes every frame, in
/// the same order, which a branch predictor can partly learn: the tenth-visible frame
/// then took anywhere from 190 to 300 µs on this machine with the same code,
/// depending on where the code was placed and what ran before. (The VM has no
/// hardware counters to show the predictor at work; with the view moving, the figure
/// holds within 1% from run to run.) A game's camera and objects move, so each frame
/// here looks somewhere else.
pub const PLACES: usize = 64;

/// The meadow level with [`OBJECTS`] objects.
pub fn level() -> Level {
    let levels = demo::options::default_assets_dir().join("levels");
    Level::load(&levels.join("meadow"), OBJECTS).expect("the meadow level loads")
}

/// What frame building reads, for each place a view whose side is `scale` times the
/// world's takes in turn (see [`PLACES`]; one place when it covers the world).
pub fn inputs(level: &Level, scale: f32) -> Vec<BuildInput<'_>> {
    let half = level.world_half_extent();
    let places = if scale < 1.0 { PLACES } else { 1 };
    // Centres spread over the world by two coprime strides, so that one frame's
    // view overlaps the next one's little, and the view stays inside the world.
    let room = half * (1.0 - scale);
    let spread = |step: usize, stride: usize| {
        if places == 1 {
            0.0
        } else {
            (step * stride % places) as f32 / (places - 1) as f32 * 2.0 - 1.0
        }
    };
    (0..places)
        .map(|place| {
            let centre = Vec2::new(spread(place, 37), spread(place, 23)) * room;
            BuildInput {
                objects: level.objects(),
                kinds: level.kinds(),
                bucket_count: level.bucket_count(),
                materials: level.materials(),
                view_min: centre - half * scale,
                view_max: centre + half * scale,
            }
        })
        .collect()
}

/// The frame arenas' configuration as the demo makes it with `--threads 1` (its
/// default budget, no workers).
pub fn frame_config() -> FrameConfig {
    FrameConfig {
        name: "frame",
        budget_bytes: Options::default().frame_budget,
        ..FrameConfig::default()
    }
}

/// Frame arenas as the demo makes them with `--threads 1` ([`frame_config`]).
pub fn frame_arenas() -> FrameArenas {
    FrameArenas::new(frame_config())
}

/// Six overlay lines, one with a bar, as the demo's overlay has.
pub fn overlay_lines() -> [OverlayLine<'static>; 6] {
    let mut lines = [OverlayLine {
        text: "LINE 0 FRAME 123.4K/8.0M HW 130.0K",
        color: overlay::TEXT,
        bar: None,
    }; 6];
    lines[1].bar = Some(Bar::of(1, 2, 3));
    lines
}

/// One frame's lists and overlay, built into `lists`.
pub fn build<S: ListStorage>(
    lists: &mut DrawLists<S>,
    input: &BuildInput<'_>,
    lines: &[OverlayLine<'_>],
) {
    build_draws(lists, input);
    overlay::build(&mut lists.overlay, lines, 1.0);
    black_box((
        &*lists.instances,
        &*lists.draws,
        &*lists.draw_uniforms,
        &*lists.overlay,
    ));
}
