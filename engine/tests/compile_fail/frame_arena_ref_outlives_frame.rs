// `Frame::arena` has the frame's lifetime, not longer: a collection built on it
// cannot be used after the next `begin_frame`.
use engine::{FrameArenas, FrameConfig};

fn main() {
    let mut frames = FrameArenas::new(FrameConfig::default());
    let frame = frames.begin_frame();
    let mut keys = allocator_api2::vec::Vec::new_in(frame.arena());
    keys.push(1u64);
    drop(frame);
    frames.begin_frame();
    keys.push(2);
}
