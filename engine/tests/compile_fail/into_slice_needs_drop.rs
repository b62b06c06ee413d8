// A frozen slice has no owner to run its elements' destructors, so `into_slice`
// refuses types that need `Drop` when the program is built.
use engine::{Arena, ArenaVec};

fn main() {
    let arena = Arena::new("frame");
    let mut names = ArenaVec::new_in(&arena);
    names.push(String::from("ship"));
    let frozen: &mut [String] = names.into_slice();
    frozen[0].push('!');
}
