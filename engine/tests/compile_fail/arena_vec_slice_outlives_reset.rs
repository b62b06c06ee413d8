// `into_slice` gives up the list but not its borrow of the arena: the frozen slice
// cannot be used after a reset either.
use engine::{Arena, ArenaVec};

fn main() {
    let mut arena = Arena::new("frame");
    let mut list = ArenaVec::new_in(&arena);
    list.extend([3u32, 1, 2]);
    let sorted: &mut [u32] = list.into_slice();
    arena.reset();
    sorted.sort();
}
