// A frame allocates from its buffer through `&self`: other threads may not use it.
// They borrow worker arenas from `frame.workers()` instead.
use engine::FrameArenas;

fn main() {
    let mut frames = FrameArenas::new(Default::default());
    let frame = frames.begin_frame();
    std::thread::scope(|s| {
        s.spawn(|| {
            frame.alloc(1u32);
        });
        frame.alloc(2u32);
    });
}
