// Nothing allocated inside a scope can be returned out of it.
use engine::Arena;

fn main() {
    let mut arena = Arena::new("frame");
    let escaped: &mut u32 = arena.scope(|tmp| tmp.alloc(7u32));
    *escaped += 1;
}
