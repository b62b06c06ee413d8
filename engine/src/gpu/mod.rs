//! GPU-side frame memory (cargo feature `wgpu`; without it this module is empty).
//!
//! The CPU arenas give a frame its transient bytes; [`GpuUploadRing`] does the same
//! for the bytes a frame sends to the GPU (instance data, per-draw uniforms, overlay
//! geometry): one region per frame in flight, bump-allocated with the device's
//! alignment and reused once the GPU is done with that frame. Its
//! [`stats`](GpuUploadRing::stats) are an [`ArenaStats`](crate::ArenaStats), so the
//! ring shows up in the same telemetry as the CPU arenas.

#[cfg(feature = "wgpu")]
mod config;
#[cfg(feature = "wgpu")]
mod error;
// Without the ring only the fuzz targets use it.
#[cfg_attr(not(feature = "wgpu"), allow(dead_code))]
pub(crate) mod placement;
#[cfg(feature = "wgpu")]
mod upload_ring;
#[cfg(feature = "wgpu")]
mod upload_slice;

#[cfg(feature = "wgpu")]
pub use config::GpuUploadRingConfig;
#[cfg(feature = "wgpu")]
pub use error::UploadError;
#[cfg(feature = "wgpu")]
pub use upload_ring::GpuUploadRing;
#[cfg(feature = "wgpu")]
pub use upload_slice::UploadSlice;
