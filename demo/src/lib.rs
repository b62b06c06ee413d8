//! The frame-memory demo: a 2D scene of up to 100,000 moving objects drawn with
//! wgpu, where every transient byte of a frame (visible list, sort keys, instance
//! data, draw commands, per-draw uniforms, overlay geometry) comes from the
//! engine's frame arenas and every per-frame GPU upload goes through its
//! [`GpuUploadRing`](engine::gpu::GpuUploadRing).
//!
//! - [`app`] (window) and [`headless`] (offscreen) are the shells: each supplies
//!   a render target and input to one [`driver::FrameDriver`], which runs
//!   [`state::DemoState`]'s frames and keeps the timing, telemetry, CSV, chart and
//!   level-switch schedule for both.
//! - [`scene`] is the simulation and frame building (no GPU); [`renderer`] turns
//!   draw lists into GPU work; [`overlay`] makes the statistics overlay's geometry.
//! - [`alloc_counter`] counts heap allocations, so the demo can show that its own
//!   frame building makes none.
//!
//! The demo is safe Rust throughout: its memory goes through the engine's types
//! (`ArenaVec`, `format_in!`, `LevelArena`), and its heap counter is `stats_alloc`.

#![forbid(unsafe_code)]

pub mod alloc_counter;
pub mod app;
pub mod driver;
pub mod error;
pub mod gpu_types;
pub mod headless;
pub mod lists;
pub mod memory_chart;
pub mod options;
pub mod overlay;
pub mod renderer;
pub mod scene;
pub mod state;
pub mod stats;
pub mod threads;

pub use error::DemoError;
