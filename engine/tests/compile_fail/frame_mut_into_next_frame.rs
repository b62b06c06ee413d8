// Frame N's data reaches frame N + 1 only as a `FrameSlice` read through
// `previous` (shared, read-only). Keeping the `&mut` from frame N does not work.
use engine::{FrameArenas, FrameConfig};

fn main() {
    let mut frames = FrameArenas::new(FrameConfig::default());
    let frame = frames.begin_frame();
    let positions: &mut [f32] = frame.alloc_slice_fill_copy(4, 0.0);
    let kept = frame.keep(positions).unwrap();
    let next = frames.begin_frame();
    let previous: &[f32] = next.previous(kept).unwrap(); // fine
    positions[0] = previous[0] + 1.0; // error: `frames` is still borrowed by frame N
}
