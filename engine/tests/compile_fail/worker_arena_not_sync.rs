// One thread at a time allocates from a worker arena: the guard may move to another
// thread, but not be shared with one.
use engine::FrameArenas;

fn main() {
    let mut frames = FrameArenas::new(Default::default());
    let frame = frames.begin_frame();
    let worker = frame.workers().acquire();
    std::thread::scope(|s| {
        s.spawn(|| {
            worker.alloc(1u32);
        });
        worker.alloc(2u32);
    });
}
