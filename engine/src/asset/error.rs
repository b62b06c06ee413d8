//! Why an asset could not be loaded or viewed.

use super::format::{ASSET_HEADER_BYTES, ASSET_MAGIC, ASSET_VERSION};
use crate::AllocError;
use std::fmt;
use std::io;
use std::path::PathBuf;
use std::sync::Arc;

/// Why [`AssetArena::load`](crate::AssetArena::load) (or a typed view) failed. Each
/// names the file and what is wrong with it, with the byte offset where that
/// applies. After any of these the arena and every asset loaded before are exactly
/// as they were.
///
/// ```
/// let mut assets = engine::AssetArena::new("assets");
/// let err = assets.load("no/such/file.asset").unwrap_err();
/// assert!(err.to_string().contains("no/such/file.asset"));
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum AssetError {
    /// The file could not be opened or read.
    Io {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        source: io::Error,
    },
    /// The file is shorter than the header.
    HeaderTruncated {
        /// The file.
        path: PathBuf,
        /// Its length in bytes.
        file_bytes: u64,
    },
    /// The first four bytes are not the magic `FMAS`.
    BadMagic {
        /// The file.
        path: PathBuf,
        /// The bytes found at offset 0.
        found: [u8; 4],
    },
    /// The version at offset 4 is not one this crate reads.
    UnsupportedVersion {
        /// The file.
        path: PathBuf,
        /// The version found.
        found: u16,
    },
    /// The reserved field at offset 20 is not zero.
    ReservedNotZero {
        /// The file.
        path: PathBuf,
        /// The value found.
        found: u32,
    },
    /// The payload is shorter than the length declared at offset 8.
    PayloadTruncated {
        /// The file.
        path: PathBuf,
        /// Payload bytes declared in the header.
        declared: u64,
        /// Payload bytes present after offset 24.
        found: u64,
    },
    /// Bytes follow the payload.
    TrailingBytes {
        /// The file.
        path: PathBuf,
        /// Offset where the payload ends and the extra bytes begin.
        offset: u64,
        /// How many extra bytes.
        extra: u64,
    },
    /// The payload's CRC-32 does not match the one at offset 16: the file is corrupt.
    ChecksumMismatch {
        /// The file.
        path: PathBuf,
        /// Checksum in the header.
        expected: u32,
        /// Checksum of the payload read.
        actual: u32,
    },
    /// The payload is larger than the arena's limit.
    TooLarge {
        /// The file.
        path: PathBuf,
        /// Payload bytes declared in the header.
        payload_bytes: u64,
        /// The arena's limit in bytes.
        limit_bytes: usize,
    },
    /// The arena could not hold the payload (its limit is nearly used up, or the
    /// system is out of memory).
    Alloc {
        /// The file.
        path: PathBuf,
        /// Why the arena refused.
        source: AllocError,
    },
    /// A typed view does not fit the payload's size or alignment.
    BadView {
        /// The asset's file (or name, for inserted assets).
        path: PathBuf,
        /// Payload bytes.
        payload_bytes: usize,
        /// The element type asked for.
        type_name: &'static str,
        /// Its size.
        type_size: usize,
        /// Its alignment.
        type_align: usize,
    },
    /// The handle names no loaded asset of this arena: the asset was released, or
    /// the handle comes from another asset arena.
    NotLoaded {
        /// The asset arena asked.
        arena: Arc<str>,
        /// The handle.
        id: super::AssetId,
    },
}

impl fmt::Display for AssetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AssetError::Io { path, source } => {
                write!(
                    f,
                    "asset {}: cannot read the file: {source}",
                    path.display()
                )
            }
            AssetError::HeaderTruncated { path, file_bytes } => write!(
                f,
                "asset {}: the file is {file_bytes} bytes, shorter than the {ASSET_HEADER_BYTES}-byte header",
                path.display()
            ),
            AssetError::BadMagic { path, found } => write!(
                f,
                "asset {}: offset 0: magic is {found:02x?}, expected {ASSET_MAGIC:02x?} (\"FMAS\"): not an asset file",
                path.display()
            ),
            AssetError::UnsupportedVersion { path, found } => write!(
                f,
                "asset {}: offset 4: format version {found} is not supported (this engine reads version {ASSET_VERSION})",
                path.display()
            ),
            AssetError::ReservedNotZero { path, found } => write!(
                f,
                "asset {}: offset 20: the reserved field is {found:#x}, expected 0",
                path.display()
            ),
            AssetError::PayloadTruncated {
                path,
                declared,
                found,
            } => write!(
                f,
                "asset {}: truncated: the header (offset 8) declares a {declared}-byte payload, but only {found} bytes follow offset {ASSET_HEADER_BYTES}",
                path.display()
            ),
            AssetError::TrailingBytes {
                path,
                offset,
                extra,
            } => write!(
                f,
                "asset {}: offset {offset}: {extra} unexpected bytes after the payload",
                path.display()
            ),
            AssetError::ChecksumMismatch {
                path,
                expected,
                actual,
            } => write!(
                f,
                "asset {}: corrupt payload: CRC-32 is {actual:#010x}, the header (offset 16) says {expected:#010x}",
                path.display()
            ),
            AssetError::TooLarge {
                path,
                payload_bytes,
                limit_bytes,
            } => write!(
                f,
                "asset {}: the payload of {payload_bytes} bytes is larger than the arena's limit of {limit_bytes} bytes",
                path.display()
            ),
            AssetError::Alloc { path, source } => {
                write!(f, "asset {}: {source}", path.display())
            }
            AssetError::BadView {
                path,
                payload_bytes,
                type_name,
                type_size,
                type_align,
            } => write!(
                f,
                "asset {}: a {payload_bytes}-byte payload cannot be viewed as [{type_name}] (size {type_size}, align {type_align})",
                path.display()
            ),
            AssetError::NotLoaded { arena, id } => write!(
                f,
                "asset handle {id:?} is not loaded in `{arena}`: it was released (or comes from another asset arena)"
            ),
        }
    }
}

impl std::error::Error for AssetError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            AssetError::Io { source, .. } => Some(source),
            AssetError::Alloc { source, .. } => Some(source),
            _ => None,
        }
    }
}
