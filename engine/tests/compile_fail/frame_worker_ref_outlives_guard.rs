// What a worker allocates borrows its guard: once the arena is back in the pool,
// another job may be using it.
use engine::FrameArenas;

fn main() {
    let mut frames = FrameArenas::new(Default::default());
    let frame = frames.begin_frame();
    let ids: &mut [u32] = {
        let worker = frame.workers().acquire();
        worker.alloc_slice_copy(&[1, 2, 3])
    };
    ids[0] = 7;
}
