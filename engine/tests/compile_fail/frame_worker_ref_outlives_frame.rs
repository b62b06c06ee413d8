// What a worker kept, read by the frame, lasts until the next frame begins, not beyond.
use engine::FrameArenas;

fn main() {
    let mut frames = FrameArenas::new(Default::default());
    let frame = frames.begin_frame();
    let kept = {
        let worker = frame.workers().acquire();
        worker.keep(worker.alloc_slice_copy(&[1u32, 2, 3])).unwrap()
    };
    let culled: &[u32] = frame.read(kept).unwrap();
    frames.begin_frame();
    assert_eq!(culled.len(), 3);
}
