// What `previous` hands out lives for frame N + 1 only: frame N + 2 resets the
// buffer it points into.
use engine::{FrameArenas, FrameConfig};

fn main() {
    let mut frames = FrameArenas::new(FrameConfig::default());
    let kept = {
        let frame = frames.begin_frame();
        frame.keep(frame.alloc_slice_copy(&[1u32, 2, 3])).unwrap()
    };
    let next = frames.begin_frame();
    let previous: &[u32] = next.previous(kept).unwrap();
    frames.begin_frame();
    assert_eq!(previous[0], 1);
}
