//! How the frame arenas are sized.

use crate::{Backing, TrimPolicy};

/// Construction options for [`FrameArenas`](crate::FrameArenas).
///
/// ```
/// use engine::{FrameArenas, FrameConfig};
/// let frames = FrameArenas::new(FrameConfig { budget_bytes: 8 << 20, worker_count: 4, ..Default::default() });
/// assert_eq!(frames.worker_count(), 4);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameConfig {
    /// Prefix of the arenas' names: the two frame buffers are `<name>.a` and
    /// `<name>.b`, the workers' arenas `<name>.worker0.a`, `<name>.worker0.b`,
    /// `<name>.worker1.a`, ..., the scratch arenas `<name>.scratch0`,
    /// `<name>.scratch1`, ...
    pub name: &'static str,
    /// Bytes a frame is expected to need. Each frame buffer starts with this much;
    /// a frame that needs more grows into overflow memory and is recorded as an
    /// [`Overflow`](crate::Overflow), it never fails.
    pub budget_bytes: usize,
    /// How many workers of the [`WorkerPool`](crate::WorkerPool) to make now, each
    /// two arenas used in turn (like the frame buffers). A frame that holds more
    /// worker arenas at once makes more ([`WorkerPool::acquire`](crate::WorkerPool::acquire)),
    /// which are kept; set it to the most a frame holds at once (the number of
    /// threads that take one, for a job system) so that no frame has to.
    pub worker_count: usize,
    /// Bytes each worker arena starts with, and its per-frame budget: going over
    /// it is recorded as overflow, as for the frame buffers, and never fails.
    pub worker_budget_bytes: usize,
    /// Bytes each scratch arena of [`Frame::scratch`](crate::Frame::scratch) starts
    /// with. A scratch arena is made the first time a frame needs one at its nesting
    /// depth and kept from then on; a scope that needs more grows it, and the next
    /// `begin_frame` sizes it to its high-water mark. `0` defers each arena's first
    /// chunk to its first allocation.
    pub scratch_capacity_bytes: usize,
    /// After a frame that needed far more memory than the frames around it, the
    /// frame buffers, worker and scratch arenas give the extra memory back to the
    /// system by the `begin_frame` of this many frames later (values below 4 act as
    /// 4: a buffer is reset two frames after its frame, and every other frame). Each arena measures its need over
    /// windows of frames and, at a window's end, replaces a chunk at least twice
    /// that need (and its starting size) by a smaller one; see
    /// [`TrimPolicy`](crate::TrimPolicy), which this sets for each arena. Frames
    /// whose need does not change never trim. `None`: a spike's memory stays
    /// committed. [`FrameArenas::trim`](crate::FrameArenas::trim) gives memory
    /// back on request either way.
    pub trim_within_frames: Option<u32>,
    /// Where the frame buffers, worker and scratch arenas take their memory; see
    /// [`Backing`]. Defaults to [reserved](Backing::Reserved) address space
    /// ([`DEFAULT_RESERVE_BYTES`](crate::DEFAULT_RESERVE_BYTES) per arena) where it
    /// is available, chunks elsewhere: each arena's memory is then one range that
    /// trims by decommitting pages, and the newest list of a frame grows in place.
    pub backing: Backing,
}

impl FrameConfig {
    /// The trim policy of a frame buffer. Frame N's buffer is reset at the start of
    /// frame N + 2 and then every other frame, so its R-th reset after that one is
    /// at frame N + 2 + 2R.
    pub(super) fn buffer_trim(&self) -> Option<TrimPolicy> {
        self.trim_within_frames.map(|frames| TrimPolicy {
            within_resets: (frames.saturating_sub(2) / 2).max(1),
        })
    }

    /// The trim policy of a worker or scratch arena, reset at the start of every
    /// frame: frame N's R-th reset after the one that ends it is at frame N + 1 + R.
    pub(super) fn per_frame_trim(&self) -> Option<TrimPolicy> {
        self.trim_within_frames.map(|frames| TrimPolicy {
            within_resets: frames.saturating_sub(1).max(1),
        })
    }
}

impl Default for FrameConfig {
    fn default() -> Self {
        FrameConfig {
            name: "frame",
            budget_bytes: 4 << 20,
            worker_count: 0,
            worker_budget_bytes: 1 << 20,
            scratch_capacity_bytes: 256 << 10,
            trim_within_frames: Some(TrimPolicy::DEFAULT.within_resets),
            backing: Backing::frame_default(),
        }
    }
}
