// The counterpart of the compile_fail cases: the same operations in a valid order.
// Having a pass case also makes trybuild use `cargo build` instead of `cargo check`,
// which the compile-time Drop refusal (a post-monomorphization error) needs.
use engine::Arena;

fn main() {
    let mut arena = Arena::new("frame");
    let position = arena.alloc([0.0f32; 3]);
    position[0] = 1.0;
    arena.reset();

    let mark = arena.mark();
    let scratch = arena.alloc_slice_fill_copy(16, 0u32);
    scratch[0] = 1;
    arena.rewind(mark);

    let bytes = arena.push(8);
    bytes[0].write(1);
    arena.pop(8);

    let sum = arena.scope(|tmp| *tmp.alloc(7u32) + 1);
    assert_eq!(sum, 8);

    let name = arena.alloc_str("copy types are fine");
    assert_eq!(name.len(), 19);

    // Moving the arena to another thread is fine: `Arena` is `Send`.
    let arena = std::thread::spawn(move || {
        arena.alloc(3u64);
        arena
    })
    .join()
    .unwrap();
    assert_eq!(arena.stats().allocation_count, 5);
}
