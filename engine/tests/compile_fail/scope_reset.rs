// A scope's body cannot reset the arena: that would free what was allocated
// before the scope began, while the scope still expects to free only its own.
use engine::Arena;

fn main() {
    let mut arena = Arena::new("frame");
    arena.scope(|tmp| {
        tmp.alloc(1u64);
        tmp.reset();
    });
}
