// A list built on `frame.arena()` lives as long as the frame borrow: it cannot be
// used once the next `begin_frame` has begun.
use engine::{ArenaVec, FrameArenas, FrameConfig};

fn main() {
    let mut frames = FrameArenas::new(FrameConfig::default());
    let frame = frames.begin_frame();
    let mut visible = ArenaVec::new_in(frame.arena());
    visible.push(1u32);
    drop(frame);
    frames.begin_frame();
    visible.push(2);
}
