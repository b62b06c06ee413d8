//! The demo's top-level error: everything that can stop it, with a message a user
//! can act on.

use crate::renderer::gpu::GpuError;
use crate::scene::level::LevelError;
use std::fmt;
use std::path::PathBuf;

/// Why the demo stopped.
#[derive(Debug)]
pub enum DemoError {
    /// No GPU adapter or device.
    Gpu(GpuError),
    /// The starting level did not load.
    Level(LevelError),
    /// The asset directory has no levels.
    NoLevels(PathBuf),
    /// A file could not be written (stats, screenshot).
    Io {
        /// The file.
        path: PathBuf,
        /// What failed.
        source: std::io::Error,
    },
    /// The screenshot could not be encoded or written.
    Image {
        /// The file.
        path: PathBuf,
        /// What failed.
        source: image::ImageError,
    },
    /// The memory chart could not be drawn or written.
    Chart {
        /// The file.
        path: PathBuf,
        /// What failed.
        reason: String,
    },
    /// The window system failed.
    Window(String),
    /// The frame-building threads did not start.
    Threads(rayon::ThreadPoolBuildError),
}

impl fmt::Display for DemoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DemoError::Gpu(error) => write!(f, "{error}"),
            DemoError::Level(error) => write!(f, "cannot load the first level: {error}"),
            DemoError::NoLevels(dir) => write!(
                f,
                "no levels in {} (each level is a directory of .asset files; `demo --bake-levels` writes them)",
                dir.display()
            ),
            DemoError::Io { path, source } => write!(f, "{}: {source}", path.display()),
            DemoError::Image { path, source } => write!(f, "{}: {source}", path.display()),
            DemoError::Chart { path, reason } => write!(f, "{}: {reason}", path.display()),
            DemoError::Window(message) => write!(f, "window system: {message}"),
            DemoError::Threads(error) => write!(f, "frame-building threads: {error}"),
        }
    }
}

impl std::error::Error for DemoError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            DemoError::Gpu(error) => Some(error),
            DemoError::Level(error) => Some(error),
            DemoError::Io { source, .. } => Some(source),
            DemoError::Image { source, .. } => Some(source),
            DemoError::Threads(error) => Some(error),
            DemoError::NoLevels(_) | DemoError::Chart { .. } | DemoError::Window(_) => None,
        }
    }
}

impl From<GpuError> for DemoError {
    fn from(error: GpuError) -> Self {
        DemoError::Gpu(error)
    }
}

impl From<LevelError> for DemoError {
    fn from(error: LevelError) -> Self {
        DemoError::Level(error)
    }
}
