// A frame stays on the thread that began it, even moved whole.
use engine::FrameArenas;

fn main() {
    let mut frames = FrameArenas::new(Default::default());
    let frame = frames.begin_frame();
    std::thread::scope(|s| {
        s.spawn(move || {
            frame.alloc(1u32);
        });
    });
}
