//! GPU-side frame memory (cargo feature `wgpu`).
//!
//! The CPU arenas give a frame its transient bytes; [`GpuUploadRing`] does the same
//! for the bytes a frame sends to the GPU (instance data, per-draw uniforms, overlay
//! geometry): one region per frame in flight, bump-allocated with the device's
//! alignment and reused once the GPU is done with that frame. Its
//! [`stats`](GpuUploadRing::stats) are an [`ArenaStats`](crate::ArenaStats), so the
//! ring shows up in the same telemetry as the CPU arenas.

mod config;
mod upload_ring;
mod upload_slice;

pub use config::GpuUploadRingConfig;
pub use upload_ring::GpuUploadRing;
pub use upload_slice::UploadSlice;
