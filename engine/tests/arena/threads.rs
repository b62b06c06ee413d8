//! `Arena` is `Send` but not `Sync`: move it to a worker, never share it.

use engine::Arena;
use static_assertions::{assert_impl_all, assert_not_impl_any};

assert_impl_all!(Arena: Send);
assert_not_impl_any!(Arena: Sync);
assert_impl_all!(engine::Mark: Send, Sync, Copy);
assert_impl_all!(engine::ArenaStats: Send, Sync);
assert_impl_all!(engine::AllocError: Send, Sync, std::error::Error);

#[test]
fn an_arena_moved_to_another_thread_keeps_its_memory() {
    let arena = Arena::new("worker");
    let kept: *const [u64; 4] = arena.alloc([1, 2, 3, 4]);
    let kept = kept.expose_provenance();
    let arena = std::thread::spawn(move || {
        // SAFETY: the arena owns the chunk `kept` points into, and moving the arena
        // does not move its chunks.
        let value = unsafe { *std::ptr::with_exposed_provenance::<[u64; 4]>(kept) };
        assert_eq!(value, [1, 2, 3, 4]);
        let xs = arena.alloc_slice_fill_with(1000, |i| i as u32);
        assert_eq!(xs[999], 999);
        arena
    })
    .join()
    .expect("worker panicked");
    assert_eq!(arena.stats().allocation_count, 2);
}

#[test]
fn one_arena_per_thread() {
    let totals: Vec<u64> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..4u64)
            .map(|t| {
                s.spawn(move || {
                    let mut arena = Arena::new(format!("worker-{t}"));
                    let mut total = 0;
                    for _ in 0..10 {
                        total += arena.scope(|tmp| {
                            tmp.alloc_slice_fill_with(1000, |i| i as u64 * t)
                                .iter()
                                .sum::<u64>()
                        });
                    }
                    total
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().expect("worker panicked"))
            .collect()
    });
    assert_eq!(totals, vec![0, 4_995_000, 9_990_000, 14_985_000]);
}
