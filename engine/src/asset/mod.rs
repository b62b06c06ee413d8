//! Assets that come and go with levels: files read into a growing arena, addressed
//! by handles, released in stack order.

mod error;
pub mod format;
mod load;

pub use error::AssetError;
pub use format::{
    ASSET_HEADER_BYTES, ASSET_MAGIC, ASSET_PAYLOAD_ALIGN, ASSET_VERSION, AssetKind, encode_asset,
    write_asset_file,
};

use crate::{Arena, ArenaConfig, ArenaStats, ArenaView, Mark, StackError};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

/// Serials are unique across all asset arenas, so that a handle of one arena never
/// resolves in another.
static NEXT_ASSET_SERIAL: AtomicU64 = AtomicU64::new(1);

/// A handle to an asset in an [`AssetArena`]. It stays valid while the arena grows;
/// once its asset is released, [`AssetArena::try_get`] gives `None` for it (and
/// [`AssetArena::get`] panics), even if another asset took its place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AssetId {
    index: u32,
    serial: u64,
}

/// A position in an [`AssetArena`]'s stack of assets, from [`AssetArena::mark`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AssetMark {
    arena: Mark,
    asset_count: usize,
    /// Serial of the newest asset when the mark was taken (0 if none): if that
    /// asset is gone, the arena was released below the mark.
    last_serial: u64,
}

/// What [`AssetArena::release_to`] released.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseReport {
    /// The released assets' paths (or names), newest first.
    pub assets: Vec<Arc<Path>>,
    /// Bytes given back to the arena, payload padding included.
    pub bytes: usize,
}

#[derive(Debug)]
struct AssetEntry {
    serial: u64,
    path: Arc<Path>,
    kind: AssetKind,
    start: *const u8,
    len: usize,
}

/// The dynamic asset arena: asset files ([format](crate::asset_format)) read into
/// an arena that grows as they arrive, handed out as [`AssetId`]s, and released in
/// stack order when a level's assets unload.
///
/// # What it costs
/// `load` reads the payload twice: once through a small stack buffer to check its
/// CRC-32 before anything is allocated (so a corrupt file leaves the arena exactly
/// as it was), then straight into the arena, checked again; plus one entry in a
/// handle table. `get` is an index and a compare. Growth adds a chunk; it never
/// moves loaded assets, so handles and the slices they give stay valid.
///
/// # Example
/// ```
/// use engine::{write_asset_file, AssetArena, AssetKind};
///
/// let dir = std::env::temp_dir().join(format!("doc-assets-{}", std::process::id()));
/// std::fs::create_dir_all(&dir).unwrap();
/// let ship = dir.join("ship.mesh");
/// let positions: [f32; 6] = [0.0, 1.0, -1.0, -1.0, 1.0, -1.0];
/// write_asset_file(&ship, AssetKind::MESH, bytemuck::cast_slice(&positions)).unwrap();
///
/// let mut assets = AssetArena::new("assets");
/// let level_start = assets.mark();
/// let mesh = assets.load(&ship)?;
/// assert_eq!(assets.kind(mesh), AssetKind::MESH);
/// assert_eq!(assets.get_pod::<f32>(mesh)?, &positions);
/// let released = assets.release_to(level_start).unwrap();
/// assert_eq!(released.assets.len(), 1);
/// assert!(assets.try_get(mesh).is_err());
/// # std::fs::remove_dir_all(dir).unwrap();
/// # Ok::<(), engine::AssetError>(())
/// ```
pub struct AssetArena {
    arena: Arena,
    entries: Vec<AssetEntry>,
    limit_bytes: Option<usize>,
}

// SAFETY: the raw pointers in `entries` point into `arena`, which is `Send` and moves
// with it; the bytes are plain `u8`s.
unsafe impl Send for AssetArena {}

impl AssetArena {
    /// An empty asset arena with no limit.
    ///
    /// ```
    /// let assets = engine::AssetArena::new("assets");
    /// assert_eq!(assets.len(), 0);
    /// ```
    #[must_use]
    pub fn new(name: impl Into<Arc<str>>) -> AssetArena {
        AssetArena::with_config(name, ArenaConfig::default())
    }

    /// An asset arena that never holds more than `limit_bytes` from the system. An
    /// asset bigger than the limit fails with [`AssetError::TooLarge`]; one that does
    /// not fit in what is left, with [`AssetError::Alloc`].
    ///
    /// ```
    /// let assets = engine::AssetArena::with_limit("assets", 64 << 20);
    /// assert_eq!(assets.limit_bytes(), Some(64 << 20));
    /// ```
    #[must_use]
    pub fn with_limit(name: impl Into<Arc<str>>, limit_bytes: usize) -> AssetArena {
        AssetArena::with_config(
            name,
            ArenaConfig {
                limit_bytes: Some(limit_bytes),
                ..ArenaConfig::default()
            },
        )
    }

    /// An asset arena over an [`Arena`] built with `config`; the arena's limit is the
    /// asset arena's.
    ///
    /// # Panics
    /// As [`Arena::with_config`].
    ///
    /// ```
    /// use engine::{ArenaConfig, AssetArena};
    /// let assets = AssetArena::with_config("assets", ArenaConfig { initial_capacity: 1 << 20, ..Default::default() });
    /// assert_eq!(assets.stats().committed_bytes, 1 << 20);
    /// ```
    #[must_use]
    pub fn with_config(name: impl Into<Arc<str>>, config: ArenaConfig) -> AssetArena {
        let limit_bytes = config.limit_bytes;
        AssetArena {
            arena: Arena::with_config(name, config),
            entries: Vec::new(),
            limit_bytes,
        }
    }

    /// The most bytes the arena may hold, if limited.
    ///
    /// ```
    /// assert_eq!(engine::AssetArena::new("a").limit_bytes(), None);
    /// ```
    #[must_use]
    pub fn limit_bytes(&self) -> Option<usize> {
        self.limit_bytes
    }

    fn entry(&self, id: AssetId) -> Option<&AssetEntry> {
        self.entries
            .get(id.index as usize)
            .filter(|entry| entry.serial == id.serial)
    }

    #[track_caller]
    fn live_entry(&self, id: AssetId) -> &AssetEntry {
        self.entry(id).unwrap_or_else(|| {
            panic!(
                "{}",
                AssetError::NotLoaded {
                    arena: self.arena.name_arc(),
                    id,
                }
            )
        })
    }

    /// The bytes of a loaded asset.
    ///
    /// # Panics
    /// If the asset was released; use [`try_get`](AssetArena::try_get) to check.
    ///
    /// ```
    /// let mut assets = engine::AssetArena::new("a");
    /// let id = assets.insert("x", engine::AssetKind::RAW, b"abc").unwrap();
    /// assert_eq!(assets.get(id), b"abc");
    /// ```
    #[must_use]
    #[track_caller]
    pub fn get(&self, id: AssetId) -> &[u8] {
        let entry = self.live_entry(id);
        // SAFETY: the entry is live, so its bytes are allocated in the arena and were
        // initialized by `load`/`insert`; only `release_to` frees them and it needs
        // `&mut self`.
        unsafe { std::slice::from_raw_parts(entry.start, entry.len) }
    }

    /// Fallible [`get`](AssetArena::get): the bytes of an asset.
    ///
    /// # Errors
    /// [`AssetError::NotLoaded`] if the asset was released, or the handle belongs to
    /// another asset arena.
    ///
    /// ```
    /// use engine::{AssetArena, AssetError, AssetKind};
    /// let mut assets = AssetArena::new("a");
    /// let mark = assets.mark();
    /// let id = assets.insert("x", AssetKind::RAW, b"abc").unwrap();
    /// assert_eq!(assets.try_get(id).unwrap(), b"abc");
    /// assets.release_to(mark).unwrap();
    /// assert!(matches!(assets.try_get(id), Err(AssetError::NotLoaded { .. })));
    /// ```
    pub fn try_get(&self, id: AssetId) -> Result<&[u8], AssetError> {
        let entry = self.entry(id).ok_or_else(|| AssetError::NotLoaded {
            arena: self.arena.name_arc(),
            id,
        })?;
        // SAFETY: as in `get`.
        Ok(unsafe { std::slice::from_raw_parts(entry.start, entry.len) })
    }

    /// The payload viewed as a slice of plain-old-data `T`.
    ///
    /// # Errors
    /// [`AssetError::BadView`] if the payload's length is not a multiple of
    /// `size_of::<T>()` or `T` needs more than [`ASSET_PAYLOAD_ALIGN`].
    ///
    /// # Panics
    /// If the asset was released.
    ///
    /// ```
    /// let mut assets = engine::AssetArena::new("a");
    /// let id = assets.insert("x", engine::AssetKind::RAW, &[0u8; 12]).unwrap();
    /// assert_eq!(assets.get_pod::<u32>(id).unwrap().len(), 3);
    /// assert!(assets.get_pod::<u64>(id).is_err()); // 12 bytes are not whole u64s
    /// ```
    #[track_caller]
    pub fn get_pod<T: bytemuck::AnyBitPattern>(&self, id: AssetId) -> Result<&[T], AssetError> {
        let bytes = self.get(id);
        // Checked even when this payload happens to sit at a higher alignment, so
        // that the answer does not depend on where the asset landed.
        let view = if std::mem::align_of::<T>() <= ASSET_PAYLOAD_ALIGN {
            bytemuck::try_cast_slice(bytes).ok()
        } else {
            None
        };
        view.ok_or_else(|| AssetError::BadView {
            path: self.live_entry(id).path.to_path_buf(),
            payload_bytes: bytes.len(),
            type_name: std::any::type_name::<T>(),
            type_size: std::mem::size_of::<T>(),
            type_align: std::mem::align_of::<T>(),
        })
    }

    /// The kind declared in the asset's header.
    ///
    /// # Panics
    /// If the asset was released.
    ///
    /// ```
    /// let mut assets = engine::AssetArena::new("a");
    /// let id = assets.insert("x", engine::AssetKind::MATERIAL, b"").unwrap();
    /// assert_eq!(assets.kind(id), engine::AssetKind::MATERIAL);
    /// ```
    #[must_use]
    #[track_caller]
    pub fn kind(&self, id: AssetId) -> AssetKind {
        self.live_entry(id).kind
    }

    /// The file the asset was loaded from (or the name it was inserted under).
    ///
    /// # Panics
    /// If the asset was released.
    ///
    /// ```
    /// let mut assets = engine::AssetArena::new("a");
    /// let id = assets.insert("x", engine::AssetKind::RAW, b"").unwrap();
    /// assert_eq!(assets.path(id), std::path::Path::new("x"));
    /// ```
    #[must_use]
    #[track_caller]
    pub fn path(&self, id: AssetId) -> &Path {
        &self.live_entry(id).path
    }

    /// Number of loaded assets.
    ///
    /// ```
    /// let mut assets = engine::AssetArena::new("a");
    /// assets.insert("x", engine::AssetKind::RAW, b"1").unwrap();
    /// assert_eq!(assets.len(), 1);
    /// ```
    #[must_use]
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no asset is loaded.
    ///
    /// ```
    /// assert!(engine::AssetArena::new("a").is_empty());
    /// ```
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The current top of the asset stack, to release back to later (say, before a
    /// level's assets load).
    ///
    /// ```
    /// let assets = engine::AssetArena::new("a");
    /// let _before_level = assets.mark();
    /// ```
    #[must_use]
    pub fn mark(&self) -> AssetMark {
        AssetMark {
            arena: self.arena.mark(),
            asset_count: self.entries.len(),
            last_serial: self.entries.last().map_or(0, |entry| entry.serial),
        }
    }

    /// Releases every asset loaded after `mark`, newest first, and gives their memory
    /// back. Their handles stop resolving.
    ///
    /// # Errors
    /// A [`StackError`] if `mark` belongs to another arena or is stale
    /// (the arena was already released below it); nothing is released then.
    ///
    /// ```
    /// use engine::{AssetArena, AssetKind};
    /// let mut assets = AssetArena::new("a");
    /// let common = assets.insert("font", AssetKind::TEXTURE, &[0; 100]).unwrap();
    /// let level_start = assets.mark();
    /// assets.insert("level-1/map", AssetKind::LEVEL, &[0; 500]).unwrap();
    /// let report = assets.release_to(level_start).unwrap();
    /// assert_eq!(report.assets[0].to_str(), Some("level-1/map"));
    /// assert!(report.bytes >= 500);
    /// assert_eq!(assets.get(common).len(), 100); // older assets stay
    /// ```
    pub fn release_to(&mut self, mark: AssetMark) -> Result<ReleaseReport, StackError> {
        let used = self.arena.offset();
        // Stale if the asset below the mark was released since: a newer asset may
        // now lie across the mark's offset, and rewinding would free part of it.
        let stale = mark.asset_count > self.entries.len()
            || (mark.asset_count > 0
                && self.entries[mark.asset_count - 1].serial != mark.last_serial);
        if stale {
            return Err(StackError::StaleMark {
                mark_offset: mark.arena.offset(),
                used,
            });
        }
        self.arena.try_rewind(mark.arena)?;
        let assets = self
            .entries
            .drain(mark.asset_count..)
            .rev()
            .map(|entry| entry.path)
            .collect();
        Ok(ReleaseReport {
            assets,
            bytes: used - self.arena.offset(),
        })
    }

    /// The arena's stats.
    ///
    /// ```
    /// let mut assets = engine::AssetArena::new("a");
    /// assets.insert("x", engine::AssetKind::RAW, &[1; 32]).unwrap();
    /// assert_eq!(assets.stats().used_bytes, 32);
    /// ```
    #[must_use]
    pub fn stats(&self) -> ArenaStats {
        self.arena.stats()
    }

    /// A read-only view of the underlying arena, for reports and telemetry. It
    /// cannot allocate: every byte in the arena belongs to an asset, which is what
    /// lets [`release_to`](AssetArena::release_to) check a mark.
    ///
    /// ```
    /// let assets = engine::AssetArena::new("assets");
    /// assert_eq!(assets.arena().name(), "assets");
    /// ```
    #[must_use]
    pub fn arena(&self) -> ArenaView<'_> {
        ArenaView::from(&self.arena)
    }
}

impl std::fmt::Debug for AssetArena {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AssetArena")
            .field("arena", &self.arena)
            .field("assets", &self.entries.len())
            .field("limit_bytes", &self.limit_bytes)
            .finish()
    }
}
