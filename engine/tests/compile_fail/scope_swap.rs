// A scope's body cannot swap the arena for another one (nor replace it): the
// scope's handle gives shared access to the arena only.
use engine::Arena;

fn main() {
    let mut arena = Arena::new("frame");
    let mut other = Arena::new("other");
    arena.scope(|tmp| {
        std::mem::swap(&mut **tmp, &mut other);
    });
}
