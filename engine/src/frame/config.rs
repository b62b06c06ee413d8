//! How the frame arenas are sized.

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
}

impl Default for FrameConfig {
    fn default() -> Self {
        FrameConfig {
            name: "frame",
            budget_bytes: 4 << 20,
            worker_count: 0,
            worker_budget_bytes: 1 << 20,
            scratch_capacity_bytes: 256 << 10,
        }
    }
}
