//! `AssetArena`: loading files, handles across growth, typed views, release in
//! stack order, every kind of bad input, and a randomized test against a model.

use engine::{
    ASSET_HEADER_BYTES, ASSET_PAYLOAD_ALIGN, ArenaConfig, ArenaStats, AssetArena, AssetError,
    AssetId, AssetKind, StackError, encode_asset, write_asset_file,
};
use proptest::prelude::*;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// A directory under the system temp dir, unique to this process and call, removed
/// on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let unique = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!(
            "engine-asset-test-{tag}-{}-{unique}",
            std::process::id()
        ));
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }

    fn file(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn payload(seed: u8, len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| seed.wrapping_mul(31).wrapping_add(i as u8))
        .collect()
}

#[test]
fn loads_asset_files() {
    let dir = TempDir::new("load");
    let mesh = dir.0.join("ship.mesh");
    let positions: [f32; 9] = [0.0, 1.0, 0.0, -1.0, -1.0, 0.0, 1.0, -1.0, 0.0];
    write_asset_file(&mesh, AssetKind::MESH, bytemuck::cast_slice(&positions)).unwrap();
    let texture = dir.file(
        "noise.tex",
        &encode_asset(AssetKind::TEXTURE, &payload(3, 300)),
    );
    let empty = dir.file("empty.raw", &encode_asset(AssetKind::RAW, &[]));
    let custom = dir.file("custom", &encode_asset(AssetKind(900), b"mine"));

    let mut assets = AssetArena::new("assets");
    assert!(assets.is_empty());
    let mesh_id = assets.load(&mesh).unwrap();
    let texture_id = assets.load(&texture).unwrap();
    let empty_id = assets.load(&empty).unwrap();
    let custom_id = assets.load(&custom).unwrap();

    assert_eq!(assets.len(), 4);
    assert_eq!(assets.get_pod::<f32>(mesh_id).unwrap(), &positions);
    assert_eq!(assets.get(texture_id), &payload(3, 300)[..]);
    assert_eq!(assets.get(empty_id), b"");
    assert_eq!(assets.get(custom_id), b"mine");
    assert_eq!(assets.kind(mesh_id), AssetKind::MESH);
    assert_eq!(assets.kind(texture_id), AssetKind::TEXTURE);
    assert_eq!(assets.kind(custom_id), AssetKind(900));
    assert_eq!(assets.path(texture_id), texture.as_path());
    assert_eq!(assets.try_get(custom_id).ok(), Some(&b"mine"[..]));
    // Loading the same file again makes a second asset.
    let again = assets.load(&texture).unwrap();
    assert_ne!(again, texture_id);
    assert_eq!(assets.get(again), assets.get(texture_id));
    for id in [mesh_id, texture_id, again] {
        assert_eq!(assets.get(id).as_ptr().addr() % ASSET_PAYLOAD_ALIGN, 0);
    }
}

#[test]
fn handles_stay_valid_while_the_arena_grows() {
    let mut assets = AssetArena::new("growing"); // first chunk: 4 KiB
    let mut loaded: Vec<(AssetId, Vec<u8>, usize)> = Vec::new();
    for n in 0..120u32 {
        let len = (n as usize * 997) % 9_000 + 1;
        let bytes = payload(n as u8, len);
        let id = assets
            .insert(format!("generated/{n}"), AssetKind::RAW, &bytes)
            .unwrap();
        let addr = assets.get(id).as_ptr().addr();
        loaded.push((id, bytes, addr));
        for (id, bytes, addr) in &loaded {
            let now = assets.get(*id);
            assert_eq!(now, &bytes[..]);
            assert_eq!(now.as_ptr().addr(), *addr, "an asset moved");
        }
    }
    let stats = assets.stats();
    assert!(stats.grow_count >= 4, "{stats:?}");

    // Files too: loaded across chunks, all still readable.
    let dir = TempDir::new("grow");
    let mut files = Vec::new();
    for n in 0..20u8 {
        let bytes = payload(n, 5_000 + n as usize * 1_000);
        let path = dir.file(
            &format!("{n}.asset"),
            &encode_asset(AssetKind::MESH, &bytes),
        );
        files.push((assets.load(&path).unwrap(), bytes));
    }
    for (id, bytes) in &files {
        assert_eq!(assets.get(*id), &bytes[..]);
    }
    for (id, bytes, _) in &loaded {
        assert_eq!(assets.get(*id), &bytes[..]);
    }
}

#[test]
fn typed_views_check_size_and_alignment() {
    #[derive(Debug, Clone, Copy, PartialEq, bytemuck::Zeroable, bytemuck::Pod)]
    #[repr(C)]
    struct Vertex {
        position: [f32; 3],
        normal: [f32; 3],
    }
    #[derive(Debug, Clone, Copy, bytemuck::AnyBitPattern)]
    #[repr(C, align(64))]
    struct CacheLine {
        bytes: [u8; 64],
    }

    let mut assets = AssetArena::new("views");
    let vertices = [
        Vertex {
            position: [1.0, 2.0, 3.0],
            normal: [0.0, 0.0, 1.0],
        },
        Vertex {
            position: [4.0, 5.0, 6.0],
            normal: [0.0, 1.0, 0.0],
        },
    ];
    let id = assets
        .insert("mesh", AssetKind::MESH, bytemuck::cast_slice(&vertices))
        .unwrap();
    assert_eq!(assets.get_pod::<Vertex>(id).unwrap(), &vertices);
    assert_eq!(assets.get_pod::<[f32; 4]>(id).unwrap().len(), 3);
    assert_eq!(assets.get_pod::<u8>(id).unwrap().len(), 48);

    // 48 bytes are not whole [f32; 5]s (20 bytes).
    let err = assets.get_pod::<[f32; 5]>(id).unwrap_err();
    assert!(
        matches!(
            err,
            AssetError::BadView {
                payload_bytes: 48,
                type_size: 20,
                type_align: 4,
                ..
            }
        ),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(
        message.contains("mesh") && message.contains("48-byte"),
        "{message}"
    );
    assert!(message.contains("[f32; 5]"), "{message}");

    // An alignment above the payload alignment is refused whatever the address.
    for n in 0..4 {
        let id = assets
            .insert(format!("lines-{n}"), AssetKind::RAW, &[0u8; 128])
            .unwrap();
        let err = assets.get_pod::<CacheLine>(id).unwrap_err();
        assert!(
            matches!(err, AssetError::BadView { type_align: 64, .. }),
            "asset at {:#x}: {err:?}",
            assets.get(id).as_ptr().addr()
        );
        assets.insert("pad", AssetKind::RAW, &[0u8; 16]).unwrap();
    }

    let empty = assets.insert("empty", AssetKind::RAW, &[]).unwrap();
    assert_eq!(assets.get_pod::<u64>(empty).unwrap(), &[] as &[u64]);
}

#[test]
fn release_goes_in_stack_order_and_reports_what_went() {
    let mut assets = AssetArena::new("levels");
    let font = assets
        .insert("font", AssetKind::TEXTURE, &payload(1, 100))
        .unwrap();
    let level_1 = assets.mark();
    let map = assets
        .insert("level-1/map", AssetKind::LEVEL, &payload(2, 500))
        .unwrap();
    let inner = assets.mark();
    let used_at_inner = assets.stats().used_bytes;
    let mesh = assets
        .insert("level-1/mesh", AssetKind::MESH, &payload(3, 1000))
        .unwrap();
    let tex = assets
        .insert("level-1/tex", AssetKind::TEXTURE, &payload(4, 20))
        .unwrap();

    let used = assets.stats().used_bytes;
    let report = assets.release_to(inner).unwrap();
    let names: Vec<&Path> = report.assets.iter().map(|path| &**path).collect();
    assert_eq!(names, [Path::new("level-1/tex"), Path::new("level-1/mesh")]);
    assert_eq!(report.bytes, used - used_at_inner);
    assert!(report.bytes >= 1020);
    assert_eq!(assets.stats().used_bytes, used_at_inner);
    assert_eq!(
        (assets.try_get(mesh).ok(), assets.try_get(tex).ok()),
        (None, None)
    );
    assert_eq!(assets.get(map), &payload(2, 500)[..]);
    assert_eq!(assets.len(), 2);

    // Releasing to the same mark again releases nothing.
    let report = assets.release_to(inner).unwrap();
    assert_eq!((report.assets.len(), report.bytes), (0, 0));

    let report = assets.release_to(level_1).unwrap();
    assert_eq!(report.assets.len(), 1);
    assert_eq!(&*report.assets[0], Path::new("level-1/map"));
    assert_eq!(assets.try_get(map).ok(), None);
    assert_eq!(assets.get(font), &payload(1, 100)[..]);

    // A released asset's handle stays dead even when another asset takes its place.
    let newcomer = assets
        .insert("level-2/map", AssetKind::LEVEL, &payload(5, 500))
        .unwrap();
    assert_eq!(assets.try_get(map).ok(), None);
    assert_eq!(assets.get(newcomer), &payload(5, 500)[..]);
    let panic = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| assets.get(map).len()))
        .unwrap_err();
    let message = panic.downcast_ref::<String>().unwrap();
    assert!(
        message.contains("levels") && message.contains("released"),
        "{message}"
    );
}

#[test]
fn a_stale_mark_is_refused_and_changes_nothing() {
    let mut assets = AssetArena::with_config(
        "stale",
        ArenaConfig {
            initial_capacity: 64 * 1024,
            ..ArenaConfig::default()
        },
    );
    let start = assets.mark();
    assets
        .insert("a", AssetKind::RAW, &payload(1, 100))
        .unwrap();
    let after_a = assets.mark();
    assets.release_to(start).unwrap();
    // `after_a` now lies inside `b`: rewinding to it would free half of `b`.
    let b = assets
        .insert("b", AssetKind::RAW, &payload(2, 1000))
        .unwrap();
    let before = assets.stats();
    let err = assets.release_to(after_a).unwrap_err();
    assert!(matches!(err, StackError::StaleMark { .. }), "{err:?}");
    assert_eq!(assets.stats(), before);
    assert_eq!(assets.len(), 1);
    // `b` is still whole, and nothing later overwrites it.
    let c = assets
        .insert("c", AssetKind::RAW, &payload(3, 1000))
        .unwrap();
    assert_eq!(assets.get(b), &payload(2, 1000)[..]);
    assert_eq!(assets.get(c), &payload(3, 1000)[..]);

    // A mark from below the current top that was released past is refused too.
    let after_b = assets.mark();
    assets.release_to(start).unwrap();
    assert!(assets.release_to(after_b).is_err());
    assert!(
        assets.release_to(start).is_ok(),
        "the oldest mark is still good"
    );
}

#[test]
fn handles_and_marks_of_another_arena_are_refused() {
    let mut ours = AssetArena::new("ours");
    let mut theirs = AssetArena::new("theirs");
    let our_id = ours.insert("x", AssetKind::RAW, b"ours").unwrap();
    let their_id = theirs.insert("x", AssetKind::RAW, b"theirs").unwrap();
    assert_eq!(ours.try_get(their_id).ok(), None);
    assert_eq!(theirs.try_get(our_id).ok(), None);
    // A mark of an empty arena is refused by the arena check; one with assets
    // below it is refused as not naming this arena's stack (either error will do:
    // what matters is that nothing is released).
    let their_empty_mark = AssetArena::new("empty").mark();
    let their_mark = theirs.mark();
    ours.insert("y", AssetKind::RAW, b"more").unwrap();
    let before = ours.stats();
    let err = ours.release_to(their_empty_mark).unwrap_err();
    assert!(matches!(err, StackError::ForeignMark { .. }), "{err:?}");
    let err = ours.release_to(their_mark).unwrap_err();
    assert!(
        matches!(
            err,
            StackError::ForeignMark { .. } | StackError::StaleMark { .. }
        ),
        "{err:?}"
    );
    assert_eq!((ours.len(), ours.stats()), (2, before));
    assert_eq!(ours.get(our_id), b"ours");
}

/// Everything about an arena that a failed load must leave alone.
struct Snapshot {
    stats: ArenaStats,
    len: usize,
    contents: Vec<(AssetId, Vec<u8>)>,
}

fn snapshot(assets: &AssetArena, ids: &[AssetId]) -> Snapshot {
    Snapshot {
        stats: assets.stats(),
        len: assets.len(),
        contents: ids
            .iter()
            .map(|&id| (id, assets.get(id).to_vec()))
            .collect(),
    }
}

fn assert_unchanged(assets: &AssetArena, before: &Snapshot, case: &str) {
    assert_eq!(assets.stats(), before.stats, "{case}: stats changed");
    assert_eq!(assets.len(), before.len, "{case}: asset count changed");
    for (id, bytes) in &before.contents {
        assert_eq!(
            assets.get(*id),
            &bytes[..],
            "{case}: an earlier asset changed"
        );
    }
}

/// Loads `path`, expects an error that `check` accepts and whose message names the
/// file and contains each of `says`, and checks that nothing changed.
fn expect_load_error(
    assets: &mut AssetArena,
    ids: &[AssetId],
    path: &Path,
    says: &[&str],
    check: impl FnOnce(&AssetError) -> bool,
) {
    let before = snapshot(assets, ids);
    let err = assets.load(path).unwrap_err();
    let message = err.to_string();
    assert!(check(&err), "{}: unexpected error {err:?}", path.display());
    assert!(
        message.contains(&path.display().to_string()),
        "the message names the file: {message}"
    );
    for part in says {
        assert!(message.contains(part), "`{part}` missing from: {message}");
    }
    assert_unchanged(assets, &before, &message);
}

fn header_with(file: &mut [u8], at: usize, bytes: &[u8]) {
    file[at..at + bytes.len()].copy_from_slice(bytes);
}

#[test]
fn bad_input_is_reported_and_changes_nothing() {
    let dir = TempDir::new("bad");
    // A 4 KiB first chunk, so that a large asset would need a new chunk.
    let mut assets = AssetArena::with_limit("assets", 1 << 20);
    let good: Vec<AssetId> = (0..3u8)
        .map(|n| {
            let path = dir.file(
                &format!("good-{n}"),
                &encode_asset(AssetKind::MESH, &payload(n, 1000)),
            );
            assets.load(&path).unwrap()
        })
        .collect();
    let big_payload = payload(9, 100_000);
    let valid = encode_asset(AssetKind::MESH, &big_payload);

    // Missing.
    let missing = dir.0.join("missing.asset");
    expect_load_error(
        &mut assets,
        &good,
        &missing,
        &["cannot read"],
        |e| matches!(e, AssetError::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound),
    );
    // A directory is not a readable file.
    let directory = dir.0.join("a-directory");
    std::fs::create_dir(&directory).unwrap();
    expect_load_error(&mut assets, &good, &directory, &["cannot read"], |e| {
        matches!(e, AssetError::Io { .. })
    });
    // Empty, and shorter than the header.
    let empty = dir.file("empty", b"");
    expect_load_error(
        &mut assets,
        &good,
        &empty,
        &["0 bytes", "24-byte header"],
        |e| matches!(e, AssetError::HeaderTruncated { file_bytes: 0, .. }),
    );
    let short = dir.file("short", &valid[..ASSET_HEADER_BYTES - 1]);
    expect_load_error(&mut assets, &good, &short, &["23 bytes"], |e| {
        matches!(e, AssetError::HeaderTruncated { file_bytes: 23, .. })
    });
    // Wrong magic.
    let mut bytes = valid.clone();
    header_with(&mut bytes, 0, b"GLTF");
    let path = dir.file("magic", &bytes);
    expect_load_error(
        &mut assets,
        &good,
        &path,
        &["offset 0", "magic"],
        |e| matches!(e, AssetError::BadMagic { found, .. } if found == b"GLTF"),
    );
    // Wrong version.
    let mut bytes = valid.clone();
    header_with(&mut bytes, 4, &2u16.to_le_bytes());
    let path = dir.file("version", &bytes);
    expect_load_error(&mut assets, &good, &path, &["offset 4", "version 2"], |e| {
        matches!(e, AssetError::UnsupportedVersion { found: 2, .. })
    });
    // Reserved not zero.
    let mut bytes = valid.clone();
    header_with(&mut bytes, 20, &0xBEEFu32.to_le_bytes());
    let path = dir.file("reserved", &bytes);
    expect_load_error(&mut assets, &good, &path, &["offset 20", "0xbeef"], |e| {
        matches!(e, AssetError::ReservedNotZero { found: 0xBEEF, .. })
    });
    // Payload cut short.
    let path = dir.file("truncated", &valid[..valid.len() - 10]);
    expect_load_error(
        &mut assets,
        &good,
        &path,
        &["truncated", "100000-byte", "99990"],
        |e| {
            matches!(
                e,
                AssetError::PayloadTruncated {
                    declared: 100_000,
                    found: 99_990,
                    ..
                }
            )
        },
    );
    // Bytes after the payload.
    let mut bytes = valid.clone();
    bytes.extend_from_slice(b"extra");
    let path = dir.file("trailing", &bytes);
    expect_load_error(
        &mut assets,
        &good,
        &path,
        &["offset 100024", "5 unexpected bytes"],
        |e| {
            matches!(
                e,
                AssetError::TrailingBytes {
                    offset: 100_024,
                    extra: 5,
                    ..
                }
            )
        },
    );
    // Corrupt payload: one bit flipped, in a payload big enough that the arena
    // would need a new chunk to read it.
    let mut bytes = valid.clone();
    bytes[ASSET_HEADER_BYTES + 50_000] ^= 0x10;
    let path = dir.file("corrupt", &bytes);
    let expected = crc32fast::hash(&big_payload);
    expect_load_error(
        &mut assets,
        &good,
        &path,
        &["corrupt", "CRC-32"],
        |e| matches!(e, AssetError::ChecksumMismatch { expected: found, .. } if *found == expected),
    );
    // Larger than the arena's limit.
    let path = dir.file(
        "huge",
        &encode_asset(AssetKind::TEXTURE, &vec![0u8; (1 << 20) + 1]),
    );
    expect_load_error(
        &mut assets,
        &good,
        &path,
        &["1048577", "limit of 1048576"],
        |e| {
            matches!(
                e,
                AssetError::TooLarge {
                    payload_bytes: 1_048_577,
                    limit_bytes: 1_048_576,
                    ..
                }
            )
        },
    );
    // Within the limit, but more than is left of it.
    let path = dir.file(
        "too-much",
        &encode_asset(AssetKind::TEXTURE, &vec![1u8; 1_048_000]),
    );
    expect_load_error(&mut assets, &good, &path, &["limit"], |e| {
        matches!(e, AssetError::Alloc { .. })
    });
    // A header that declares a huge payload is caught before any allocation.
    let mut bytes = valid.clone();
    header_with(&mut bytes, 8, &u64::MAX.to_le_bytes());
    let path = dir.file("declares-huge", &bytes);
    expect_load_error(&mut assets, &good, &path, &["limit"], |e| {
        matches!(e, AssetError::TooLarge { .. })
    });

    // After all that, the same arena still loads good files.
    let path = dir.file("fine", &valid);
    let id = assets.load(&path).unwrap();
    assert_eq!(assets.get(id), &big_payload[..]);
}

#[test]
fn bad_input_without_a_limit_changes_nothing_either() {
    let dir = TempDir::new("nolimit");
    let mut assets = AssetArena::new("unlimited");
    let first = assets
        .insert("first", AssetKind::RAW, &payload(1, 3000))
        .unwrap();
    let mut bytes = encode_asset(AssetKind::RAW, &payload(2, 1 << 20));
    bytes[ASSET_HEADER_BYTES] ^= 1;
    let path = dir.file("corrupt", &bytes);
    expect_load_error(&mut assets, &[first], &path, &["corrupt"], |e| {
        matches!(e, AssetError::ChecksumMismatch { .. })
    });
    // Declared far larger than the file: truncated, and nothing allocated.
    let mut bytes = encode_asset(AssetKind::RAW, b"tiny");
    header_with(&mut bytes, 8, &(1u64 << 40).to_le_bytes());
    let path = dir.file("declares-a-terabyte", &bytes);
    expect_load_error(&mut assets, &[first], &path, &["truncated"], |e| {
        matches!(e, AssetError::PayloadTruncated { .. })
    });
}

#[test]
fn an_unreadable_file_is_reported() {
    use std::os::unix::fs::PermissionsExt;
    let dir = TempDir::new("perm");
    let path = dir.file("locked", &encode_asset(AssetKind::RAW, b"secret"));
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o000)).unwrap();
    if std::fs::File::open(&path).is_ok() {
        // Running as root: permissions do not stop reads (the directory case in
        // `bad_input_is_reported_and_changes_nothing` covers unreadable files).
        return;
    }
    let mut assets = AssetArena::new("assets");
    expect_load_error(
        &mut assets,
        &[],
        &path,
        &["cannot read"],
        |e| matches!(e, AssetError::Io { source, .. } if source.kind() == std::io::ErrorKind::PermissionDenied),
    );
}

#[test]
fn insert_errors_change_nothing() {
    let mut assets = AssetArena::with_limit("small", 8192);
    let first = assets
        .insert("first", AssetKind::RAW, &payload(1, 100))
        .unwrap();
    let before = snapshot(&assets, &[first]);
    let err = assets
        .insert("too-big", AssetKind::RAW, &[0; 8193])
        .unwrap_err();
    assert!(matches!(err, AssetError::TooLarge { .. }), "{err:?}");
    assert!(err.to_string().contains("too-big"));
    assert_unchanged(&assets, &before, "too big");
    let err = assets
        .insert("no-room", AssetKind::RAW, &[0; 8100])
        .unwrap_err();
    assert!(matches!(err, AssetError::Alloc { .. }), "{err:?}");
    assert!(err.to_string().contains("no-room"));
    assert!(std::error::Error::source(&err).is_some());
    assert_unchanged(&assets, &before, "no room");
}

// ---- randomized test against a model --------------------------------------------

#[derive(Debug, Clone)]
enum AssetOp {
    Insert {
        len: usize,
        seed: u8,
    },
    Mark,
    /// Release to mark `which` (modulo the marks taken so far).
    Release {
        which: usize,
    },
    Check {
        which: usize,
    },
}

fn asset_op() -> impl Strategy<Value = AssetOp> {
    prop_oneof![
        5 => (0usize..3000, any::<u8>()).prop_map(|(len, seed)| AssetOp::Insert { len, seed }),
        2 => Just(AssetOp::Mark),
        2 => any::<usize>().prop_map(|which| AssetOp::Release { which }),
        2 => any::<usize>().prop_map(|which| AssetOp::Check { which }),
    ]
}

/// The model's view of a mark: the assets below it (by serial), or `None` once a
/// release went below it.
struct MarkModel {
    mark: engine::AssetMark,
    below: Vec<u64>,
}

fn run_asset_model(ops: Vec<AssetOp>) -> Result<(), TestCaseError> {
    let mut assets = AssetArena::new("model");
    // Live assets, oldest first: (model serial, id, name, bytes).
    let mut live: Vec<(u64, AssetId, String, Vec<u8>)> = Vec::new();
    let mut released: Vec<AssetId> = Vec::new();
    let mut marks: Vec<MarkModel> = Vec::new();
    let mut serial = 0u64;
    for op in ops {
        match op {
            AssetOp::Insert { len, seed } => {
                let bytes = payload(seed, len);
                let name = format!("asset-{serial}");
                let id = assets.insert(&name, AssetKind::RAW, &bytes).unwrap();
                live.push((serial, id, name, bytes));
                serial += 1;
            }
            AssetOp::Mark => marks.push(MarkModel {
                mark: assets.mark(),
                below: live.iter().map(|a| a.0).collect(),
            }),
            AssetOp::Release { which } if !marks.is_empty() => {
                let model = &marks[which % marks.len()];
                // Valid while the assets below it are exactly the oldest live ones.
                let valid = model.below.len() <= live.len()
                    && live.iter().zip(&model.below).all(|(a, &s)| a.0 == s);
                let before = assets.stats();
                let result = assets.release_to(model.mark);
                if valid {
                    let report = result.unwrap();
                    let gone: Vec<_> = live.drain(model.below.len()..).collect();
                    let names: Vec<String> = report
                        .assets
                        .iter()
                        .map(|p| p.to_str().unwrap().to_owned())
                        .collect();
                    let expected: Vec<String> = gone.iter().rev().map(|a| a.2.clone()).collect();
                    prop_assert_eq!(names, expected);
                    prop_assert_eq!(report.bytes, before.used_bytes - assets.stats().used_bytes);
                    prop_assert!(report.bytes >= gone.iter().map(|a| a.3.len()).sum::<usize>());
                    released.extend(gone.iter().map(|a| a.1));
                } else {
                    prop_assert!(result.is_err());
                    prop_assert_eq!(assets.stats(), before);
                }
            }
            AssetOp::Release { .. } => {}
            AssetOp::Check { which } if !live.is_empty() => {
                let (_, id, name, bytes) = &live[which % live.len()];
                prop_assert_eq!(assets.get(*id), &bytes[..]);
                prop_assert_eq!(assets.path(*id), Path::new(name));
            }
            AssetOp::Check { .. } => {}
        }
        prop_assert_eq!(assets.len(), live.len());
    }
    for (_, id, _, bytes) in &live {
        prop_assert_eq!(assets.try_get(*id).ok(), Some(&bytes[..]));
    }
    for id in &released {
        prop_assert_eq!(assets.try_get(*id).ok(), None);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(256)
    ))]

    #[test]
    fn asset_arena_matches_the_model(ops in prop::collection::vec(asset_op(), 0..60)) {
        run_asset_model(ops)?;
    }
}
