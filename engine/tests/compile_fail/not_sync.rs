// Two threads may not allocate from one arena: `Arena` is not `Sync`.
use engine::Arena;

fn main() {
    let arena = Arena::new("shared");
    std::thread::scope(|s| {
        s.spawn(|| {
            arena.alloc(1u32);
        });
        arena.alloc(2u32);
    });
}
