// The counterpart of the collection compile_fail cases: the same operations in an
// order the borrow checker accepts, and `into_slice` on a type without `Drop`.
use engine::{Arena, ArenaString, ArenaVec, FrameArenas, FrameConfig, format_in};

fn main() {
    let mut arena = Arena::new("frame");
    let mut visible = ArenaVec::new_in(&arena);
    visible.push(1u32);
    visible.push(2);
    let sorted: &mut [u32] = visible.into_slice();
    sorted.sort();
    assert_eq!(sorted, &[1, 2]);
    let label: &str = format_in!(&arena, "fps: {}", 60);
    assert_eq!(label, "fps: 60");
    arena.reset();

    let length = arena.scope(|tmp| {
        let mut label = ArenaString::new_in(tmp);
        label.push_str("temporary");
        label.len()
    });
    assert_eq!(length, 9);

    let mut frames = FrameArenas::new(FrameConfig::default());
    let frame = frames.begin_frame();
    let mut names = ArenaVec::new_in(frame.arena());
    names.push(String::from("ship"));
    assert_eq!(names.len(), 1);
    drop(names);
    drop(frame);
    frames.begin_frame();
}
