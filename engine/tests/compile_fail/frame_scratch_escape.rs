// Scratch memory is freed when the scratch body returns: nothing allocated in it
// can be returned out of `Frame::scratch`.
use engine::FrameArenas;

fn main() {
    let mut frames = FrameArenas::new(Default::default());
    let frame = frames.begin_frame();
    let escaped: &mut u32 = frame.scratch(|tmp| tmp.alloc(7u32));
    *escaped += 1;
}
