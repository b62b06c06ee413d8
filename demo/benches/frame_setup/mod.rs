//! What both frame-building benches share: the level, the two views, the overlay's
//! lines, and one frame's build over any list storage.

use demo::lists::ListStorage;
use demo::options::Options;
use demo::overlay::{self, Bar, OverlayLine};
use demo::scene::build::{BuildInput, DrawLists, build_draws};
use demo::scene::level::Level;
use engine::{FrameArenas, FrameConfig};
use std::hint::black_box;

/// Objects in the level the benches build frames for.
pub const OBJECTS: usize = 100_000;

/// The views: the whole world, and about a tenth of it (the side scaled by √0.1).
pub const VIEWS: [(&str, f32); 2] = [("all_visible", 1.0), ("tenth_visible", 0.316)];

/// The meadow level with [`OBJECTS`] objects.
pub fn level() -> Level {
    let levels = demo::options::default_assets_dir().join("levels");
    Level::load(&levels.join("meadow"), OBJECTS).expect("the meadow level loads")
}

/// What frame building reads, for a view whose side is `scale` times the world's.
pub fn input(level: &Level, scale: f32) -> BuildInput<'_> {
    let half = level.world_half_extent();
    BuildInput {
        objects: level.objects(),
        kinds: level.kinds(),
        bucket_count: level.bucket_count(),
        materials: level.materials(),
        view_min: -half * scale,
        view_max: half * scale,
    }
}

/// Frame arenas as the demo makes them with `--threads 1` (its default budget).
pub fn frame_arenas() -> FrameArenas {
    FrameArenas::new(FrameConfig {
        name: "frame",
        budget_bytes: Options::default().frame_budget,
        ..FrameConfig::default()
    })
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
