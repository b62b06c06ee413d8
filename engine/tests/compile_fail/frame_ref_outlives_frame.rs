// A reference from frame N cannot be used once frame N + 1 has begun: the frame's
// memory is recycled, and `begin_frame` needs `&mut FrameArenas`.
use engine::{FrameArenas, FrameConfig};

fn main() {
    let mut frames = FrameArenas::new(FrameConfig::default());
    let frame = frames.begin_frame();
    let visible: &mut [u32] = frame.alloc_slice_fill_copy(8, 0);
    let _next = frames.begin_frame();
    visible[0] = 1;
}
