// Pushed bytes cannot be used after they are popped.
use engine::Arena;

fn main() {
    let mut arena = Arena::new("stack");
    let bytes = arena.push(8);
    arena.pop(8);
    bytes[0].write(1);
}
