//! The demo's level files: the committed ones match their definitions, they load
//! into a level arena and an asset arena, and a missing or corrupt file fails the
//! load with a message naming it. No GPU needed.

use demo::scene::level::{Level, LevelError};
use demo::scene::level_defs::{LEVELS, encode_level};
use demo::scene::level_format::LEVEL_FILES;
use std::path::{Path, PathBuf};

fn levels_dir() -> PathBuf {
    demo::options::default_assets_dir().join("levels")
}

/// A scratch copy of one level directory.
fn copy_level(name: &str, test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("level-assets-{test}"))
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for (file, _) in LEVEL_FILES {
        std::fs::copy(levels_dir().join(name).join(file), dir.join(file)).unwrap();
    }
    dir
}

#[test]
fn committed_files_match_the_definitions() {
    for def in &LEVELS {
        for (file, kind, payload) in encode_level(def) {
            let path = levels_dir().join(def.name).join(file);
            let committed =
                std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert_eq!(
                committed,
                engine::encode_asset(kind, &payload),
                "{} is stale: run `cargo run -p demo -- --bake-levels`",
                path.display()
            );
        }
    }
}

#[test]
fn levels_load_with_their_objects() {
    for def in &LEVELS {
        let level = Level::load(&levels_dir().join(def.name), 5_000).expect("level loads");
        assert_eq!(level.name(), def.name);
        assert_eq!(level.objects().len(), 5_000);
        assert_eq!(level.meshes().len(), def.meshes.len());
        assert_eq!(level.materials().len(), def.materials.len());
        let half = level.world_half_extent();
        assert!(
            level
                .objects()
                .iter()
                .all(|o| o.position.abs().cmple(half).all())
        );
        // Objects live in the level arena, the file bytes in the asset arena.
        assert!(
            level.arena_stats().used_bytes >= 5_000 * size_of::<demo::scene::objects::Object>()
        );
        assert!(level.asset_stats().used_bytes > 0);
        let report = level.unload();
        assert_eq!(report.assets.assets.len(), LEVEL_FILES.len());
    }
}

#[test]
fn same_seed_same_objects() {
    let a = Level::load(&levels_dir().join("meadow"), 100).unwrap();
    let b = Level::load(&levels_dir().join("meadow"), 100).unwrap();
    assert_eq!(a.objects(), b.objects());
}

#[test]
fn a_missing_file_is_named() {
    let dir = copy_level("nebula", "missing");
    std::fs::remove_file(dir.join("spawners.asset")).unwrap();
    let error = Level::load(&dir, 100).unwrap_err();
    assert!(matches!(
        error,
        LevelError::Asset(engine::AssetError::Io { .. })
    ));
    assert!(error.to_string().contains("spawners.asset"), "{error}");
}

#[test]
fn a_corrupt_file_is_named() {
    let dir = copy_level("nebula", "corrupt");
    let path = dir.join("materials.asset");
    let mut bytes = std::fs::read(&path).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x55;
    std::fs::write(&path, bytes).unwrap();
    let error = Level::load(&dir, 100).unwrap_err();
    assert!(matches!(
        error,
        LevelError::Asset(engine::AssetError::ChecksumMismatch { .. })
    ));
    assert!(error.to_string().contains("materials.asset"), "{error}");
}

#[test]
fn a_bad_reference_is_named() {
    let dir = copy_level("meadow", "bad-reference");
    let mut def_spawners = encode_level(&LEVELS[0]).remove(4).2;
    // Point the first spawner at mesh 99.
    def_spawners[..4].copy_from_slice(&99u32.to_le_bytes());
    engine::write_asset_file(
        dir.join("spawners.asset"),
        engine::AssetKind::LEVEL,
        &def_spawners,
    )
    .unwrap();
    let error = Level::load(&dir, 100).unwrap_err();
    let message = error.to_string();
    assert!(
        message.contains("spawners.asset") && message.contains("mesh 99"),
        "{message}"
    );
}

#[test]
fn a_wrong_kind_is_named() {
    let dir = copy_level("meadow", "wrong-kind");
    let payload = encode_level(&LEVELS[0]).remove(1).2;
    engine::write_asset_file(
        dir.join("meshes.asset"),
        engine::AssetKind::TEXTURE,
        &payload,
    )
    .unwrap();
    let message = Level::load(&dir, 100).unwrap_err().to_string();
    assert!(
        message.contains("meshes.asset") && message.contains("texture"),
        "{message}"
    );
}

#[test]
fn frame_building_sorts_draws_like_a_comparison_sort() {
    use demo::lists::InArena;
    use demo::scene::build::{BuildInput, DrawLists, build_draws};
    let level = Level::load(&levels_dir().join("nebula"), 20_000).unwrap();
    let half = level.world_half_extent();
    let input = BuildInput {
        objects: level.objects(),
        kinds: level.kinds(),
        bucket_count: level.bucket_count(),
        materials: level.materials(),
        view_min: -half * 0.5,
        view_max: half * 0.5,
    };
    let arena = engine::Arena::new("frame");
    let mut lists = DrawLists::new_in(&InArena(&arena));
    build_draws(&mut lists, &input);
    assert!(lists.visible.len() > 1000 && lists.visible.len() < 20_000);
    let mut expected: Vec<u64> = lists.sort_keys.iter().copied().collect();
    expected.sort_unstable();
    assert_eq!(lists.sort_keys.as_slice(), expected.as_slice());
    // One draw per run of equal prefix, covering every instance once.
    let covered: u32 = lists.draws.iter().map(|d| d.instance_count).sum();
    assert_eq!(covered as usize, lists.instances.len());
    assert_eq!(lists.draws.len(), lists.draw_uniforms.len());
    assert!(lists.draws.len() <= level.kinds().len());
}
