// A job cannot hand its worker's memory out as a reference: that outlives the guard.
// It hands out a `FrameSlice` with `worker.keep(..)`.
use engine::FrameArenas;

fn main() {
    let mut frames = FrameArenas::new(Default::default());
    let frame = frames.begin_frame();
    let pool = frame.workers();
    let ids: &[u32] = std::thread::scope(|s| {
        s.spawn(|| {
            let worker = pool.acquire();
            &*worker.alloc_slice_copy(&[1u32, 2, 3])
        })
        .join()
        .unwrap()
    });
    assert_eq!(ids.len(), 3);
}
