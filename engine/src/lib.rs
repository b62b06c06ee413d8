#![doc = include_str!("../README.md")]
#![deny(unsafe_op_in_unsafe_fn)]

mod arena;
mod asset;
mod frame;
pub mod gpu;
mod level;
pub mod telemetry;

/// The pure arithmetic under the arenas and the upload ring, for the fuzz targets in
/// `fuzz/` (built with `--cfg fuzzing`). Not part of the API.
#[cfg(fuzzing)]
#[doc(hidden)]
pub mod fuzzing {
    pub use crate::arena::bump::*;
    pub use crate::gpu::placement::*;
}

pub use arena::{
    AllocError, Arena, ArenaConfig, ArenaStats, ArenaView, BlockObserver, BlockTicket,
    DEFAULT_FIRST_CHUNK_BYTES, Growth, Mark, POISON_BYTE, PUSH_ALIGN, Scope, StackError,
    set_block_observer,
};
pub use asset::format as asset_format;
pub use asset::{
    ASSET_HEADER_BYTES, ASSET_MAGIC, ASSET_PAYLOAD_ALIGN, ASSET_VERSION, AssetArena, AssetError,
    AssetId, AssetKind, AssetMark, ReleaseReport, encode_asset, write_asset_file,
};
pub use frame::{
    Frame, FrameArenaRole, FrameArenas, FrameConfig, FrameSlice, FrameStats, Overflow,
};
pub use level::{GrowthReport, GrowthSite, LevelArena, UnloadReport};
pub use telemetry::{ArenaKind, ArenaReport, MemoryReport, Telemetry};
