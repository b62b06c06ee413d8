// An `ArenaVec` borrows its arena, so the arena cannot be reset (which needs
// `&mut`) while the list is still in use.
use engine::{Arena, ArenaVec};

fn main() {
    let mut arena = Arena::new("frame");
    let mut visible = ArenaVec::new_in(&arena);
    visible.push(1u32);
    arena.reset();
    visible.push(2);
}
