// A string built in a scope cannot be returned out of it: the scope frees its
// bytes when the closure returns.
use engine::{Arena, ArenaString};

fn main() {
    let mut arena = Arena::new("frame");
    let label = arena.scope(|tmp| {
        let mut label = ArenaString::new_in(tmp);
        label.push_str("temporary");
        label
    });
    println!("{label}");
}
