#![doc = include_str!("../README.md")]
#![deny(unsafe_op_in_unsafe_fn)]

mod arena;
mod asset;
mod collections;
mod frame;
pub mod gpu;
mod level;
pub mod telemetry;

/// The `allocator-api2` crate (0.2) whose `Allocator` trait `&Arena` implements.
/// Use its collections through this path, so that the version always matches the
/// engine's: 0.3 and 0.4 are different crates whose traits `&Arena` does not
/// implement, and hashbrown's maps take 0.2.
///
/// ```
/// use engine::allocator_api2::vec::Vec;
/// let arena = engine::Arena::new("scratch");
/// let mut ids = Vec::new_in(&arena);
/// ids.extend([3u32, 1, 2]);
/// ids.sort();
/// assert_eq!(ids, [1, 2, 3]);
/// ```
pub use allocator_api2;

/// The pure arithmetic under the arenas and the upload ring, for the fuzz targets in
/// `fuzz/` (built with `--cfg fuzzing`). Not part of the API.
#[cfg(fuzzing)]
#[doc(hidden)]
pub mod fuzzing {
    pub use crate::arena::bump::*;
    pub use crate::gpu::placement::*;
}

pub use arena::{
    AllocError, Arena, ArenaConfig, ArenaStats, ArenaView, Backing, BlockObserver, BlockTicket,
    DEFAULT_FIRST_CHUNK_BYTES, DEFAULT_RESERVE_BYTES, Growth, Mark, POISON_BYTE, PUSH_ALIGN, Scope,
    StackError, TrimPolicy, set_block_observer,
};
pub use asset::format as asset_format;
pub use asset::{
    ASSET_HEADER_BYTES, ASSET_MAGIC, ASSET_PAYLOAD_ALIGN, ASSET_VERSION, AssetArena, AssetError,
    AssetId, AssetKind, AssetMark, ReleaseReport, encode_asset, write_asset_file,
};
pub use collections::{ArenaString, ArenaVec, CollectIn, FromIteratorIn};
pub use frame::{
    ConcatError, Frame, FrameArenaRole, FrameArenas, FrameConfig, FrameReadError, FrameSlice,
    FrameStats, Overflow, WorkerArena, WorkerPool,
};
pub use level::{GrowthReport, GrowthSite, LevelArena, UnloadReport};
pub use telemetry::{ArenaKind, ArenaReport, MemoryReport, Telemetry};
