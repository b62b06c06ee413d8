//! Loading asset files (and inserting bytes) straight into the asset arena.

use super::format::{HeaderProblem, parse_header};
use super::{
    ASSET_HEADER_BYTES, ASSET_PAYLOAD_ALIGN, AssetArena, AssetEntry, AssetError, AssetId,
    AssetKind, NEXT_ASSET_SERIAL,
};
use std::alloc::Layout;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;

impl AssetArena {
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
        self.load_from(path, &mut file, metadata.len())
    }

    /// [`load`](AssetArena::load) from an open file of `file_bytes` bytes, read in
    /// two passes: the checksum first, then the payload into the arena.
    pub(super) fn load_from(
        &mut self,
        path: &Path,
        file: &mut (impl Read + Seek),
        file_bytes: u64,
    ) -> Result<AssetId, AssetError> {
        let io_error = |source| AssetError::Io {
            path: path.to_path_buf(),
            source,
        };
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
        let actual = checksum_of(file, header.payload_len).map_err(read_error)?;
        if actual != header.checksum {
            return Err(mismatch(actual));
        }
        file.seek(SeekFrom::Start(ASSET_HEADER_BYTES as u64))
            .map_err(io_error)?;
        // From here the arena may grow for the payload: a failure undoes that too,
        // so that the stats are as they were.
        let snapshot = self.arena.snapshot();
        let payload = self.alloc_payload(path, len)?;
        if let Err(source) = file.read_exact(payload) {
            self.arena.undo_since(snapshot);
            return Err(read_error(source));
        }
        // Checked again: the file may have changed since the first pass.
        let actual = crc32fast::hash(payload);
        if actual != header.checksum {
            self.arena.undo_since(snapshot);
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
    pub(super) fn alloc_payload(&self, path: &Path, len: usize) -> Result<&mut [u8], AssetError> {
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

    pub(super) fn push_entry(
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
}

/// CRC-32 of the next `len` bytes of `file`, read through a small stack buffer.
fn checksum_of(file: &mut impl Read, len: u64) -> io::Result<u32> {
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

#[cfg(test)]
mod tests {
    use crate::{AssetArena, AssetError, AssetKind, encode_asset};
    use std::io::{self, Cursor, Read, Seek, SeekFrom};
    use std::path::Path;

    /// A file whose bytes change between the checksum pass and the payload pass:
    /// the second seek (back to the payload) switches to `second`.
    struct ChangingFile {
        first: Cursor<Vec<u8>>,
        second: Cursor<Vec<u8>>,
        seeks: usize,
    }

    impl Read for ChangingFile {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.seeks == 0 {
                self.first.read(buf)
            } else {
                self.second.read(buf)
            }
        }
    }

    impl Seek for ChangingFile {
        fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
            self.seeks += 1;
            self.first.seek(to)?;
            self.second.seek(to)
        }
    }

    /// Audit finding 3: when the file changed between the two passes, `load` failed
    /// with `ChecksumMismatch` but kept the chunk it had grown into for the payload
    /// (committed 4096 -> 4198400, chunks 1 -> 2, high-water 7 -> 4194311).
    #[test]
    fn a_file_that_changes_between_passes_leaves_the_arena_exactly_as_it_was() {
        let mut assets = AssetArena::with_config(
            "changing",
            crate::ArenaConfig {
                initial_capacity: 4096,
                ..Default::default()
            },
        );
        let earlier = assets.insert("earlier", AssetKind::RAW, b"kept").unwrap();
        let payload = vec![1u8; 4 << 20];
        let first = encode_asset(AssetKind::TEXTURE, &payload);
        let mut second = first.clone();
        *second.last_mut().unwrap() = 2; // same header, other payload
        let before = assets.stats();
        let mut file = ChangingFile {
            first: Cursor::new(first.clone()),
            second: Cursor::new(second),
            seeks: 0,
        };
        let error = assets
            .load_from(Path::new("changing.asset"), &mut file, first.len() as u64)
            .unwrap_err();
        assert!(
            matches!(error, AssetError::ChecksumMismatch { .. }),
            "{error}"
        );
        assert_eq!(assets.stats(), before);
        assert_eq!(assets.get(earlier), b"kept");
        // And the arena works as before: the same file, unchanged, loads.
        let mut file = Cursor::new(first.clone());
        let id = assets
            .load_from(Path::new("steady.asset"), &mut file, first.len() as u64)
            .unwrap();
        assert_eq!(assets.get(id), &payload[..]);
    }
}
