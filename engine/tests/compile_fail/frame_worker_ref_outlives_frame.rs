// Data a worker built in its arena lasts until the next frame begins, not beyond.
use engine::{FrameArenas, FrameConfig};

fn main() {
    let mut frames = FrameArenas::new(FrameConfig {
        worker_count: 1,
        ..Default::default()
    });
    let (_frame, workers) = frames.begin_frame_with_workers();
    let culled: &[u32] = workers[0].alloc_slice_copy(&[1, 2, 3]);
    frames.begin_frame();
    assert_eq!(culled.len(), 3);
}
