// A reference allocated after a mark cannot be used once the arena is rewound to it.
use engine::Arena;

fn main() {
    let mut arena = Arena::new("frame");
    let mark = arena.mark();
    let scratch = arena.alloc_slice_fill_copy(16, 0u32);
    arena.rewind(mark);
    scratch[0] = 1;
}
