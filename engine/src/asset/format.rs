//! The asset file format: a 24-byte header, then the payload.
//!
//! | offset | size | field                                             |
//! |-------:|-----:|---------------------------------------------------|
//! | 0      | 4    | magic, the bytes `FMAS`                           |
//! | 4      | 2    | format version, little-endian; this is version 1  |
//! | 6      | 2    | kind ([`AssetKind`]), little-endian               |
//! | 8      | 8    | payload length in bytes, little-endian            |
//! | 16     | 4    | CRC-32 (IEEE) of the payload, little-endian       |
//! | 20     | 4    | reserved, zero                                    |
//! | 24     | len  | payload                                           |
//!
//! Nothing follows the payload. A reader checks each field in that order and
//! names the first one that is wrong, with its offset.

use std::fmt;
use std::io::{self, Write};
use std::path::Path;

/// The four bytes every asset file starts with.
pub const ASSET_MAGIC: [u8; 4] = *b"FMAS";
/// The format version this crate reads and writes.
pub const ASSET_VERSION: u16 = 1;
/// Size of the header before the payload.
pub const ASSET_HEADER_BYTES: usize = 24;
/// Alignment of every payload in an [`AssetArena`](crate::AssetArena), enough for
/// typed views of `f32`, `u32`, `[f32; 4]` and `glam` vectors.
pub const ASSET_PAYLOAD_ALIGN: usize = 16;

/// What an asset holds. The engine does not interpret payloads; the kind lets a game
/// check it got the asset it expected. Unknown values are kept as they are.
///
/// ```
/// use engine::AssetKind;
/// assert_eq!(AssetKind::MESH.to_string(), "mesh");
/// assert_eq!(AssetKind(77).to_string(), "kind 77");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AssetKind(pub u16);

impl AssetKind {
    /// Bytes with no declared meaning.
    pub const RAW: AssetKind = AssetKind(0);
    /// Vertex and index data.
    pub const MESH: AssetKind = AssetKind(1);
    /// Texels.
    pub const TEXTURE: AssetKind = AssetKind(2);
    /// A level description: object lists, spawn points.
    pub const LEVEL: AssetKind = AssetKind(3);
    /// Material parameters.
    pub const MATERIAL: AssetKind = AssetKind(4);
}

impl fmt::Display for AssetKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            AssetKind::RAW => f.write_str("raw"),
            AssetKind::MESH => f.write_str("mesh"),
            AssetKind::TEXTURE => f.write_str("texture"),
            AssetKind::LEVEL => f.write_str("level"),
            AssetKind::MATERIAL => f.write_str("material"),
            AssetKind(other) => write!(f, "kind {other}"),
        }
    }
}

/// A parsed header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct AssetHeader {
    pub(crate) kind: AssetKind,
    pub(crate) payload_len: u64,
    pub(crate) checksum: u32,
}

/// What is wrong with a header: the field, its offset and the value found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HeaderProblem {
    Magic([u8; 4]),
    Version(u16),
    Reserved(u32),
}

pub(crate) fn parse_header(bytes: &[u8; ASSET_HEADER_BYTES]) -> Result<AssetHeader, HeaderProblem> {
    let field = |at: usize, len: usize| &bytes[at..at + len];
    let magic: [u8; 4] = field(0, 4).try_into().expect("4 bytes");
    if magic != ASSET_MAGIC {
        return Err(HeaderProblem::Magic(magic));
    }
    let version = u16::from_le_bytes(field(4, 2).try_into().expect("2 bytes"));
    if version != ASSET_VERSION {
        return Err(HeaderProblem::Version(version));
    }
    let reserved = u32::from_le_bytes(field(20, 4).try_into().expect("4 bytes"));
    if reserved != 0 {
        return Err(HeaderProblem::Reserved(reserved));
    }
    Ok(AssetHeader {
        kind: AssetKind(u16::from_le_bytes(field(6, 2).try_into().expect("2 bytes"))),
        payload_len: u64::from_le_bytes(field(8, 8).try_into().expect("8 bytes")),
        checksum: u32::from_le_bytes(field(16, 4).try_into().expect("4 bytes")),
    })
}

/// Encodes `payload` as an asset file in memory.
///
/// ```
/// use engine::{encode_asset, AssetKind, ASSET_HEADER_BYTES};
/// let file = encode_asset(AssetKind::RAW, b"hello");
/// assert_eq!(&file[..4], b"FMAS");
/// assert_eq!(file.len(), ASSET_HEADER_BYTES + 5);
/// ```
#[must_use]
pub fn encode_asset(kind: AssetKind, payload: &[u8]) -> Vec<u8> {
    let mut file = Vec::with_capacity(ASSET_HEADER_BYTES + payload.len());
    file.extend_from_slice(&ASSET_MAGIC);
    file.extend_from_slice(&ASSET_VERSION.to_le_bytes());
    file.extend_from_slice(&kind.0.to_le_bytes());
    file.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    file.extend_from_slice(&crc32fast::hash(payload).to_le_bytes());
    file.extend_from_slice(&0u32.to_le_bytes());
    file.extend_from_slice(payload);
    file
}

/// Writes `payload` as an asset file at `path` (for tools that make assets).
///
/// # Errors
/// Any I/O error creating or writing the file.
///
/// ```
/// use engine::{write_asset_file, AssetArena, AssetKind};
/// let path = std::env::temp_dir().join(format!("doc-write-{}.asset", std::process::id()));
/// write_asset_file(&path, AssetKind::MESH, &[1, 2, 3]).unwrap();
/// let mut assets = AssetArena::new("assets");
/// let id = assets.load(&path).unwrap();
/// assert_eq!(assets.get(id), &[1, 2, 3]);
/// # std::fs::remove_file(path).unwrap();
/// ```
pub fn write_asset_file(path: impl AsRef<Path>, kind: AssetKind, payload: &[u8]) -> io::Result<()> {
    let mut file = std::fs::File::create(path)?;
    file.write_all(&encode_asset(kind, payload))?;
    file.sync_all()
}
