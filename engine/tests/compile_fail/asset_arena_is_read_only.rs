// Audit finding 5: `AssetArena::arena()` handed out allocation, and raw bytes
// allocated through it let a stale mark rewind into the middle of a newer asset.
// It is a read-only view now.
use engine::AssetArena;

fn main() {
    let assets = AssetArena::new("assets");
    assets.arena().alloc_slice_fill_copy(1000, 0u8);
}
