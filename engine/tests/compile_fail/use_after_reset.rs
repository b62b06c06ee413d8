// A reference into the arena cannot outlive a reset: `reset` needs `&mut`.
use engine::Arena;

fn main() {
    let mut arena = Arena::new("frame");
    let position = arena.alloc([0.0f32; 3]);
    arena.reset();
    position[0] = 1.0;
}
