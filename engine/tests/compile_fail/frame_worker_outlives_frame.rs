// A worker arena is lent for one frame: the guard cannot live into the next.
use engine::FrameArenas;

fn main() {
    let mut frames = FrameArenas::new(Default::default());
    let worker = frames.begin_frame().workers().acquire();
    frames.begin_frame();
    worker.alloc(1u8);
}
