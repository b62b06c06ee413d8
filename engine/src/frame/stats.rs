//! What a frame reports about its memory.

/// Memory of one frame, from [`FrameArenas::stats`](crate::FrameArenas::stats) (the
/// frame in progress) or [`FrameArenas::last_frame_stats`](crate::FrameArenas::last_frame_stats).
///
/// ```
/// let mut frames = engine::FrameArenas::new(Default::default());
/// frames.begin_frame().alloc_slice_fill_copy(16, 0u32);
/// let stats = frames.stats();
/// assert_eq!(stats.used_bytes, 64);
/// assert_eq!(stats.overflow_bytes, 0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameStats {
    /// Which frame.
    pub frame_index: u64,
    /// Bytes used in the frame buffer.
    pub used_bytes: usize,
    /// Allocations made this frame: frame buffer, workers and scratch arenas
    /// together.
    pub allocation_count: u64,
    /// The most bytes this frame buffer ever held in one frame.
    pub high_water_bytes: usize,
    /// Bytes held from the system by both frame buffers, all workers and the
    /// scratch arenas.
    pub committed_bytes: usize,
    /// The per-frame budget of the frame buffer.
    pub budget_bytes: usize,
    /// Bytes over budget this frame, frame buffer and workers together (0 if none).
    pub overflow_bytes: usize,
    /// Bytes used by the worker arenas this frame.
    pub worker_used_bytes: usize,
}

/// A frame that went over its budget.
///
/// ```
/// let overflow = engine::Overflow { frame_index: 12, bytes_over: 4096 };
/// assert_eq!(overflow.to_string(), "frame 12 went 4096 bytes over budget");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Overflow {
    /// The frame that went over.
    pub frame_index: u64,
    /// By how much.
    pub bytes_over: usize,
}

impl std::fmt::Display for Overflow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "frame {} went {} bytes over budget",
            self.frame_index, self.bytes_over
        )
    }
}
