// `format_in!`'s text lives in the arena, so it cannot be used after a reset.
use engine::{Arena, format_in};

fn main() {
    let mut arena = Arena::new("overlay");
    let label: &str = format_in!(&arena, "fps: {}", 60);
    arena.reset();
    println!("{label}");
}
