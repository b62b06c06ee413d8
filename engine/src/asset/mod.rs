//! Assets that come and go with levels: files read into a growing arena, addressed
//! by handles, released in stack order.

mod error;
pub mod format;

pub use error::AssetError;
pub use format::{
    ASSET_HEADER_BYTES, ASSET_MAGIC, ASSET_PAYLOAD_ALIGN, ASSET_VERSION, AssetKind, encode_asset,
    write_asset_file,
};

use crate::{Arena, ArenaOptions, ArenaStats, Mark, StackError};
use format::{HeaderProblem, parse_header};
use std::alloc::Layout;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

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
/// assert!(assets.try_get(mesh).is_none());
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
        AssetArena::with_options(name, ArenaOptions::default())
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
        AssetArena::with_options(
            name,
            ArenaOptions {
                budget_bytes: Some(limit_bytes),
                ..ArenaOptions::default()
            },
        )
    }

    /// An asset arena over an [`Arena`] built with `options`; its budget is the limit.
    ///
    /// # Panics
    /// As [`Arena::with_options`].
    ///
    /// ```
    /// use engine::{ArenaOptions, AssetArena};
    /// let assets = AssetArena::with_options("assets", ArenaOptions { initial_capacity: 1 << 20, ..Default::default() });
    /// assert_eq!(assets.stats().committed_bytes, 1 << 20);
    /// ```
    #[must_use]
    pub fn with_options(name: impl Into<Arc<str>>, options: ArenaOptions) -> AssetArena {
        let limit_bytes = options.budget_bytes;
        AssetArena {
            arena: Arena::with_options(name, options),
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

    /// Reads the asset file at `path` into the arena.
    ///
    /// # Errors
    /// An [`AssetError`] naming the file and the problem: missing or unreadable,
    /// header too short, wrong magic or version, payload truncated or followed by
    /// extra bytes, checksum mismatch (corrupt), larger than the limit. The arena
    /// and every asset loaded before are unchanged.
    ///
    /// ```
    /// use engine::{AssetArena, AssetError};
    /// let path = std::env::temp_dir().join(format!("doc-bad-{}.asset", std::process::id()));
    /// std::fs::write(&path, b"not an asset file at all").unwrap();
    /// let mut assets = AssetArena::new("assets");
    /// assert!(matches!(assets.load(&path), Err(AssetError::BadMagic { .. })));
    /// assert_eq!(assets.stats().used_bytes, 0);
    /// # std::fs::remove_file(path).unwrap();
    /// ```
    pub fn load(&mut self, path: impl AsRef<Path>) -> Result<AssetId, AssetError> {
        let path = path.as_ref();
        let io_error = |source| AssetError::Io {
            path: path.to_path_buf(),
            source,
        };
        let mut file = File::open(path).map_err(io_error)?;
        let metadata = file.metadata().map_err(io_error)?;
        if metadata.is_dir() {
            return Err(io_error(io::ErrorKind::IsADirectory.into()));
        }
        let file_bytes = metadata.len();
        let mut header = [0u8; ASSET_HEADER_BYTES];
        if file_bytes < ASSET_HEADER_BYTES as u64 {
            return Err(AssetError::HeaderTruncated {
                path: path.to_path_buf(),
                file_bytes,
            });
        }
        file.read_exact(&mut header).map_err(io_error)?;
        let header = parse_header(&header).map_err(|problem| match problem {
            HeaderProblem::Magic(found) => AssetError::BadMagic {
                path: path.to_path_buf(),
                found,
            },
            HeaderProblem::Version(found) => AssetError::UnsupportedVersion {
                path: path.to_path_buf(),
                found,
            },
            HeaderProblem::Reserved(found) => AssetError::ReservedNotZero {
                path: path.to_path_buf(),
                found,
            },
        })?;
        let present = file_bytes - ASSET_HEADER_BYTES as u64;
        if let Some(limit_bytes) = self.limit_bytes
            && header.payload_len > limit_bytes as u64
        {
            return Err(AssetError::TooLarge {
                path: path.to_path_buf(),
                payload_bytes: header.payload_len,
                limit_bytes,
            });
        }
        if present < header.payload_len {
            return Err(AssetError::PayloadTruncated {
                path: path.to_path_buf(),
                declared: header.payload_len,
                found: present,
            });
        }
        if present > header.payload_len {
            return Err(AssetError::TrailingBytes {
                path: path.to_path_buf(),
                offset: ASSET_HEADER_BYTES as u64 + header.payload_len,
                extra: present - header.payload_len,
            });
        }
        let len = usize::try_from(header.payload_len).map_err(|_| AssetError::TooLarge {
            path: path.to_path_buf(),
            payload_bytes: header.payload_len,
            limit_bytes: usize::MAX,
        })?;
        let read_error = |source: io::Error| {
            // The file shrank after the size check.
            if source.kind() == io::ErrorKind::UnexpectedEof {
                AssetError::PayloadTruncated {
                    path: path.to_path_buf(),
                    declared: header.payload_len,
                    found: present.min(header.payload_len.saturating_sub(1)),
                }
            } else {
                io_error(source)
            }
        };
        let mismatch = |actual| AssetError::ChecksumMismatch {
            path: path.to_path_buf(),
            expected: header.checksum,
            actual,
        };
        // Check the payload before touching the arena, so that a corrupt file leaves
        // it exactly as it was (no allocation, no growth).
        let actual = checksum_of(&mut file, header.payload_len).map_err(read_error)?;
        if actual != header.checksum {
            return Err(mismatch(actual));
        }
        file.seek(SeekFrom::Start(ASSET_HEADER_BYTES as u64))
            .map_err(io_error)?;
        let mark = self.arena.mark();
        let payload = self.alloc_payload(path, len)?;
        if let Err(source) = file.read_exact(payload) {
            self.arena.rewind(mark);
            return Err(read_error(source));
        }
        // Checked again: the file may have changed since the first pass.
        let actual = crc32fast::hash(payload);
        if actual != header.checksum {
            self.arena.rewind(mark);
            return Err(mismatch(actual));
        }
        let start = payload.as_ptr();
        Ok(self.push_entry(Arc::from(path), header.kind, start, len))
    }

    /// Copies `payload` into the arena as an asset named `name` (for assets made at
    /// run time).
    ///
    /// # Errors
    /// [`AssetError::TooLarge`] or [`AssetError::Alloc`]; the arena is unchanged.
    ///
    /// ```
    /// use engine::{AssetArena, AssetKind};
    /// let mut assets = AssetArena::new("assets");
    /// let id = assets.insert("generated/noise", AssetKind::TEXTURE, &[7; 64]).unwrap();
    /// assert_eq!(assets.get(id).len(), 64);
    /// assert_eq!(assets.path(id).to_str(), Some("generated/noise"));
    /// ```
    pub fn insert(
        &mut self,
        name: impl AsRef<Path>,
        kind: AssetKind,
        payload: &[u8],
    ) -> Result<AssetId, AssetError> {
        let name = name.as_ref();
        if let Some(limit_bytes) = self.limit_bytes
            && payload.len() > limit_bytes
        {
            return Err(AssetError::TooLarge {
                path: name.to_path_buf(),
                payload_bytes: payload.len() as u64,
                limit_bytes,
            });
        }
        let copy = self.alloc_payload(name, payload.len())?;
        copy.copy_from_slice(payload);
        let start = copy.as_ptr();
        Ok(self.push_entry(Arc::from(name), kind, start, payload.len()))
    }

    /// Room for a payload, zeroed (so it can be read into as `&mut [u8]`).
    #[allow(clippy::mut_from_ref)] // fresh memory from the arena
    fn alloc_payload(&self, path: &Path, len: usize) -> Result<&mut [u8], AssetError> {
        let layout = Layout::from_size_align(len, ASSET_PAYLOAD_ALIGN).map_err(|_| {
            AssetError::TooLarge {
                path: path.to_path_buf(),
                payload_bytes: len as u64,
                limit_bytes: isize::MAX as usize,
            }
        })?;
        let start = self
            .arena
            .try_alloc_layout(layout)
            .map_err(|source| AssetError::Alloc {
                path: path.to_path_buf(),
                source,
            })?;
        // SAFETY: `len` fresh bytes from the arena, zeroed before the slice is made,
        // borrowed for the lifetime of `&self`.
        unsafe {
            start.as_ptr().write_bytes(0, len);
            Ok(std::slice::from_raw_parts_mut(start.as_ptr(), len))
        }
    }

    fn push_entry(
        &mut self,
        path: Arc<Path>,
        kind: AssetKind,
        start: *const u8,
        len: usize,
    ) -> AssetId {
        let serial = NEXT_ASSET_SERIAL.fetch_add(1, Ordering::Relaxed);
        let index = u32::try_from(self.entries.len()).expect("fewer than 2^32 assets are loaded");
        self.entries.push(AssetEntry {
            serial,
            path,
            kind,
            start,
            len,
        });
        AssetId { index, serial }
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
                "asset handle {id:?} is not loaded in `{}`: it was released (or comes from another asset arena)",
                self.arena.name()
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

    /// The bytes of an asset, or `None` if it was released.
    ///
    /// ```
    /// let mut assets = engine::AssetArena::new("a");
    /// let mark = assets.mark();
    /// let id = assets.insert("x", engine::AssetKind::RAW, b"abc").unwrap();
    /// assets.release_to(mark).unwrap();
    /// assert_eq!(assets.try_get(id), None);
    /// ```
    #[must_use]
    pub fn try_get(&self, id: AssetId) -> Option<&[u8]> {
        self.entry(id).map(|entry| {
            // SAFETY: as in `get`.
            unsafe { std::slice::from_raw_parts(entry.start, entry.len) }
        })
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
    /// A [`StackError`] if `mark` belongs to another arena or is no longer valid
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
            return Err(StackError::MarkAhead {
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

    /// The underlying arena (read-only use: reporting, telemetry).
    ///
    /// ```
    /// assert_eq!(engine::AssetArena::new("assets").arena().name(), "assets");
    /// ```
    #[must_use]
    pub fn arena(&self) -> &Arena {
        &self.arena
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

/// CRC-32 of the next `len` bytes of `file`, read through a small stack buffer.
fn checksum_of(file: &mut File, len: u64) -> io::Result<u32> {
    let mut hasher = crc32fast::Hasher::new();
    let mut buffer = [0u8; 16 * 1024];
    let mut left = len;
    while left > 0 {
        let chunk = buffer
            .len()
            .min(usize::try_from(left).unwrap_or(usize::MAX));
        file.read_exact(&mut buffer[..chunk])?;
        hasher.update(&buffer[..chunk]);
        left -= chunk as u64;
    }
    Ok(hasher.finalize())
}
