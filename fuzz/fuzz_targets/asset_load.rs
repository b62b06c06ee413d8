//! `AssetArena::load` on arbitrary file contents (seeded with the demo's asset files).
//!
//! The bytes are written to a temporary file and loaded twice: into an arena with no
//! limit, and into one whose limit is nearly used up. Checked:
//! - a file loads into the unlimited arena exactly when it is a well-formed asset
//!   file, that is, when it equals `encode_asset` of its own kind and payload;
//! - a loaded asset holds the file's payload and kind;
//! - an error leaves the arena's stats and every earlier asset as they were, and
//!   what it reports (the field, its offset, the values found) is true of the file;
//! - releasing a loaded asset gives its bytes back.
#![no_main]

use engine::{
    ASSET_HEADER_BYTES, ASSET_MAGIC, ASSET_VERSION, AssetArena, AssetError, AssetKind, encode_asset,
};
use libfuzzer_sys::fuzz_target;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The limited arena's limit, and what an earlier asset leaves of it.
const LIMIT_BYTES: usize = 1024;
const EARLIER_BYTES: usize = 600;

/// The file each input is written to: in `$ENGINE_FUZZ_SCRATCH` (a folder `fuzz/run`
/// makes in memory, as a disk's writeback would slow every execution down), else in
/// `/dev/shm` or the temporary folder.
fn scratch_file() -> &'static Path {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let shm = Path::new("/dev/shm");
        let dir = match std::env::var_os("ENGINE_FUZZ_SCRATCH") {
            Some(dir) => PathBuf::from(dir),
            None if shm.is_dir() => shm.to_path_buf(),
            None => std::env::temp_dir(),
        };
        dir.join(format!("engine-fuzz-asset-{}.asset", std::process::id()))
    })
}

fuzz_target!(|data: &[u8]| {
    let path = scratch_file();
    std::fs::write(path, data).expect("the scratch file can be written");
    let well_formed = well_formed(data);

    let mut unlimited = AssetArena::new("unlimited");
    let result = load_and_check(&mut unlimited, path, data, &[7; 40]);
    assert_eq!(
        result.is_ok(),
        well_formed,
        "a well-formed file must load (and nothing else may): {result:?}"
    );

    let mut limited = AssetArena::with_limit("limited", LIMIT_BYTES);
    if let Err(error) = load_and_check(&mut limited, path, data, &[9; EARLIER_BYTES]) {
        // A well-formed file fails here only for want of room.
        if well_formed {
            assert!(
                matches!(
                    error,
                    AssetError::TooLarge { .. } | AssetError::Alloc { .. }
                ),
                "a well-formed file failed with {error:?}"
            );
        }
    }
});

/// Whether `data` is an asset file: exactly the encoding of its own kind and payload.
fn well_formed(data: &[u8]) -> bool {
    data.len() >= ASSET_HEADER_BYTES
        && encode_asset(header_kind(data), &data[ASSET_HEADER_BYTES..]) == data
}

fn header_kind(data: &[u8]) -> AssetKind {
    AssetKind(u16::from_le_bytes([data[6], data[7]]))
}

fn le_u16(data: &[u8], at: usize) -> u16 {
    u16::from_le_bytes(data[at..at + 2].try_into().expect("2 bytes"))
}

fn le_u32(data: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(data[at..at + 4].try_into().expect("4 bytes"))
}

fn le_u64(data: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(data[at..at + 8].try_into().expect("8 bytes"))
}

/// Inserts an earlier asset, loads `path` (which holds `data`) and checks the
/// result against the file and the arena's state before.
fn load_and_check(
    assets: &mut AssetArena,
    path: &Path,
    data: &[u8],
    earlier: &[u8],
) -> Result<(), AssetError> {
    let earlier_id = assets
        .insert("earlier", AssetKind::RAW, earlier)
        .expect("the earlier asset fits");
    let before = assets.stats();
    let mark = assets.mark();
    match assets.load(path) {
        Ok(id) => {
            assert!(well_formed(data), "loaded a malformed file");
            assert_eq!(assets.get(id), &data[ASSET_HEADER_BYTES..], "payload");
            assert_eq!(assets.kind(id), header_kind(data), "kind");
            assert_eq!(assets.path(id), path);
            assert_eq!(assets.len(), 2);
            assert_eq!(assets.get(earlier_id), earlier, "an earlier asset changed");
            let report = assets.release_to(mark).expect("the mark is valid");
            assert_eq!(report.assets.len(), 1);
            assert!(report.bytes >= data.len() - ASSET_HEADER_BYTES);
            assert!(
                assets.try_get(id).is_err(),
                "a released asset still resolves"
            );
            assert_eq!(assets.stats().used_bytes, before.used_bytes);
            Ok(())
        }
        Err(error) => {
            let after = assets.stats();
            assert_eq!(after, before, "a failed load changed the arena ({error})");
            assert_eq!(assets.len(), 1, "a failed load added an asset");
            assert_eq!(assets.get(earlier_id), earlier, "an earlier asset changed");
            assert!(
                error.to_string().contains(&*path.to_string_lossy()),
                "the error does not name the file: {error}"
            );
            check_error_is_true(&error, data, assets.limit_bytes());
            Err(error)
        }
    }
}

/// What the error says about the file holds, and every check the reader makes
/// before it passed.
fn check_error_is_true(error: &AssetError, data: &[u8], limit: Option<usize>) {
    let len = data.len() as u64;
    let header_ok = |data: &[u8]| {
        data.len() >= ASSET_HEADER_BYTES
            && data[..4] == ASSET_MAGIC
            && le_u16(data, 4) == ASSET_VERSION
            && le_u32(data, 20) == 0
    };
    let declared = || le_u64(data, 8);
    let present = || len - ASSET_HEADER_BYTES as u64;
    match *error {
        AssetError::HeaderTruncated { file_bytes, .. } => {
            assert_eq!(file_bytes, len);
            assert!(data.len() < ASSET_HEADER_BYTES);
        }
        AssetError::BadMagic { found, .. } => {
            assert!(data.len() >= ASSET_HEADER_BYTES);
            assert_eq!(found[..], data[..4]);
            assert_ne!(found, ASSET_MAGIC);
        }
        AssetError::UnsupportedVersion { found, .. } => {
            assert!(data.len() >= ASSET_HEADER_BYTES && data[..4] == ASSET_MAGIC);
            assert_eq!(found, le_u16(data, 4));
            assert_ne!(found, ASSET_VERSION);
        }
        AssetError::ReservedNotZero { found, .. } => {
            assert!(data.len() >= ASSET_HEADER_BYTES && data[..4] == ASSET_MAGIC);
            assert_eq!(le_u16(data, 4), ASSET_VERSION);
            assert_eq!(found, le_u32(data, 20));
            assert_ne!(found, 0);
        }
        AssetError::TooLarge {
            payload_bytes,
            limit_bytes,
            ..
        } => {
            assert!(header_ok(data));
            assert_eq!(payload_bytes, declared());
            assert!(payload_bytes > limit_bytes as u64);
            if limit_bytes != usize::MAX {
                assert_eq!(Some(limit_bytes), limit, "TooLarge names another limit");
            }
        }
        AssetError::PayloadTruncated {
            declared: said,
            found,
            ..
        } => {
            assert!(header_ok(data));
            assert_eq!(said, declared());
            assert_eq!(found, present());
            assert!(found < said);
        }
        AssetError::TrailingBytes { offset, extra, .. } => {
            assert!(header_ok(data));
            assert_eq!(offset, ASSET_HEADER_BYTES as u64 + declared());
            assert_eq!(extra, len - offset);
            assert!(extra > 0);
        }
        AssetError::ChecksumMismatch {
            expected, actual, ..
        } => {
            assert!(header_ok(data));
            assert_eq!(present(), declared());
            assert_eq!(expected, le_u32(data, 16));
            let payload = &data[ASSET_HEADER_BYTES..];
            let crc = le_u32(&encode_asset(AssetKind::RAW, payload), 16);
            assert_eq!(actual, crc, "the reported checksum is not the payload's");
            assert_ne!(actual, expected);
        }
        AssetError::Alloc { .. } => {
            assert!(header_ok(data));
            assert!(limit.is_some(), "an arena with no limit ran out of room");
        }
        ref other => panic!("unexpected error loading a readable file: {other:?}"),
    }
}
