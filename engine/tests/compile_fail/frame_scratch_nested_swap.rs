// A nested scratch's handle cannot be swapped with the outer one's: each handle is
// tied to its own body, so neither can leave with the other's arena.
use engine::FrameArenas;

fn main() {
    let mut frames = FrameArenas::new(Default::default());
    let frame = frames.begin_frame();
    frame.scratch(|outer| {
        frame.scratch(|inner| std::mem::swap(outer, inner));
    });
}
