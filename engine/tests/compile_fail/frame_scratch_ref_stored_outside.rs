// Nor can a scratch allocation be stored in a variable that outlives the body.
use engine::FrameArenas;

fn main() {
    let mut frames = FrameArenas::new(Default::default());
    let frame = frames.begin_frame();
    let mut label: Option<&str> = None;
    frame.scratch(|tmp| {
        label = Some(tmp.alloc_str("scratch"));
    });
    println!("{label:?}");
}
