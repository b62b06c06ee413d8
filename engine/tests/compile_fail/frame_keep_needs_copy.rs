// `keep` takes plain `Copy` data only: values with destructors (the `String`s of a
// frame collection) may be dropped before the next frame reads them.
use engine::{FrameArenas, FrameConfig};

fn main() {
    let mut frames = FrameArenas::new(FrameConfig::default());
    let frame = frames.begin_frame();
    let mut names = allocator_api2::vec::Vec::new_in(frame.arena());
    names.push(String::from("player"));
    let _kept = frame.keep(&names[..]);
}
