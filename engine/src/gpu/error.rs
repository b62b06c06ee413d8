//! Why the upload ring refused a request.

use std::fmt;
use std::sync::Arc;

/// Why [`GpuUploadRing::try_push_aligned`](super::GpuUploadRing::try_push_aligned)
/// (or a panicking call, in its message) refused a request. The ring is unchanged
/// after any of these.
///
/// ```
/// use engine::gpu::UploadError;
/// let err = UploadError::TooLarge { ring: "uploads".into(), size: u64::MAX, max_buffer_size: 1 << 28 };
/// assert!(err.to_string().contains("18446744073709551615 bytes"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum UploadError {
    /// The request is bigger than one GPU buffer of this device may be.
    TooLarge {
        /// The ring's name.
        ring: Arc<str>,
        /// Bytes requested.
        size: u64,
        /// The device's `max_buffer_size`.
        max_buffer_size: u64,
    },
    /// The alignment is not a power of two.
    BadAlignment {
        /// The ring's name.
        ring: Arc<str>,
        /// The alignment asked for.
        align: u64,
    },
}

impl fmt::Display for UploadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UploadError::TooLarge {
                ring,
                size,
                max_buffer_size,
            } => write!(
                f,
                "upload ring `{ring}`: a request of {size} bytes is larger than a GPU buffer may be ({max_buffer_size} bytes on this device)"
            ),
            UploadError::BadAlignment { ring, align } => write!(
                f,
                "upload ring `{ring}`: alignment {align} is not a power of two"
            ),
        }
    }
}

impl std::error::Error for UploadError {}
