// The arena never runs destructors, so it refuses values that need one.
use engine::Arena;

fn main() {
    let arena = Arena::new("frame");
    let name = arena.alloc(String::new());
    name.push('x');
}
