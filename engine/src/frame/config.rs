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
    /// `<name>.b`, the workers `<name>.worker0`, `<name>.worker1`, ..., the scratch
    /// arenas `<name>.scratch0`, `<name>.scratch1`, ...
    pub name: &'static str,
    /// Bytes a frame is expected to need. Each frame buffer starts with this much;
    /// a frame that needs more grows into overflow memory and is recorded as an
    /// [`Overflow`](crate::Overflow), it never fails.
    pub budget_bytes: usize,
    /// How many per-thread worker arenas to keep, all reset at each frame boundary.
    pub worker_count: usize,
    /// Bytes each worker arena starts with (and its overflow threshold).
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
