//! Memory that lives for one frame: two arenas used in turn, plus one arena per
//! worker thread, all reset at the frame boundary; and scratch arenas for
//! temporary memory inside a frame.

mod config;
mod handoff;
mod scratch;
mod stats;

pub use config::FrameConfig;
pub use handoff::FrameSlice;
pub use stats::{FrameStats, Overflow};

/// What an arena of [`FrameArenas`] is for, from
/// [`FrameArenas::labeled_arenas`].
///
/// ```
/// assert_ne!(engine::FrameArenaRole::Buffer, engine::FrameArenaRole::Worker);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FrameArenaRole {
    /// One of the two frame buffers that frames allocate from in turn.
    Buffer,
    /// A worker thread's arena, reset every frame.
    Worker,
    /// A scratch arena of [`Frame::scratch`], the one for nesting depth `depth`
    /// (0 for a scratch that is not inside another). Made on first use, kept
    /// across frames, reset every frame.
    Scratch {
        /// How many scratch scopes enclose the ones this arena serves.
        depth: usize,
    },
}

use crate::{Arena, ArenaConfig};
use scratch::{ScratchArenas, ScratchLender};
use std::fmt;
use std::ops::Deref;
use std::sync::atomic::{AtomicU64, Ordering};

static NEXT_FRAMES_ID: AtomicU64 = AtomicU64::new(1);

/// Double-buffered frame arenas: frame *N* allocates from one buffer while the
/// other still holds frame *N − 1*, which frame *N* may read through
/// [`FrameSlice`] handles. [`begin_frame`](FrameArenas::begin_frame) resets the
/// buffer of frame *N − 2*.
///
/// # What it costs
/// `begin_frame` is a reset of one arena (O(1)) plus a few stores, and a reset of
/// each worker and scratch arena. Once warm (after the first frames sized the
/// buffers to the high-water mark, and made the scratch arenas the frames nest)
/// a steady frame makes no call to the system allocator at all.
///
/// # Scratch
/// Temporary memory inside a frame comes from [`Frame::scratch`], whose arenas are
/// apart from the frame buffers: freeing scratch never touches the frame's data.
///
/// # Budget
/// Going over [`FrameConfig::budget_bytes`] never fails an allocation: the frame
/// grows into overflow memory, the overflow is recorded ([`FrameStats::overflow_bytes`],
/// [`FrameArenas::last_overflow`]), and the reset at the start of the frame after next
/// sizes that buffer to the high-water mark.
///
/// # Example
/// ```
/// use engine::{FrameArenas, FrameConfig};
///
/// let mut frames = FrameArenas::new(FrameConfig { budget_bytes: 1 << 20, ..Default::default() });
/// let mut last_positions = None;
/// for tick in 0..3 {
///     let frame = frames.begin_frame();
///     let positions = frame.alloc_slice_fill_with(4, |i| (tick * 10 + i) as f32);
///     if let Some(previous) = last_positions.and_then(|handle| frame.previous(handle)) {
///         assert_eq!(previous[0] + 10.0, positions[0]); // last frame's data, still there
///     }
///     last_positions = frame.keep(positions);
/// }
/// assert_eq!(frames.frame_index(), 2);
/// ```
pub struct FrameArenas {
    buffers: [Arena; 2],
    workers: Vec<Arena>,
    scratch: ScratchArenas,
    config: FrameConfig,
    id: u64,
    /// Index of the frame in progress; `None` before the first `begin_frame`.
    current: Option<u64>,
    overflow_count: u64,
    last_overflow: Option<Overflow>,
    last_frame: Option<FrameStats>,
}

/// One frame's allocator, from [`FrameArenas::begin_frame`]. It dereferences to
/// [`Arena`], so it allocates like one; nothing allocated from it can outlive it:
///
/// ```compile_fail
/// let mut frames = engine::FrameArenas::new(Default::default());
/// let frame = frames.begin_frame();
/// let visible: &mut [u32] = frame.alloc_slice_fill_copy(8, 0);
/// let next = frames.begin_frame(); // error: `frames` is still borrowed by `visible`
/// visible[0] = 1;
/// ```
///
/// Operations that free memory (`reset`, `rewind`, `pop`, `scope`) need `&mut Arena`
/// and so are not available through a frame: its memory is freed by the
/// `begin_frame` after next, not before. For temporary memory inside a frame, use
/// [`scratch`](Frame::scratch), which lends an arena apart from the frame buffer.
pub struct Frame<'f> {
    arena: &'f Arena,
    scratch: ScratchLender<'f>,
    index: u64,
    owner: u64,
}

impl FrameArenas {
    /// Two frame buffers of `config.budget_bytes` each and `config.worker_count`
    /// worker arenas of `config.worker_budget_bytes`, allocated now. Scratch arenas
    /// are made when a frame first needs them ([`Frame::scratch`]).
    ///
    /// # Panics
    /// If the system allocator refuses that memory.
    ///
    /// ```
    /// let frames = engine::FrameArenas::new(engine::FrameConfig::default());
    /// assert_eq!(frames.frame_index(), 0);
    /// ```
    #[must_use]
    pub fn new(config: FrameConfig) -> FrameArenas {
        // Each arena starts with its budget committed and carries it, so that its
        // stats (and the telemetry that reads them) report overflow against it.
        let arena = |name: String, budget_bytes: usize, trim| {
            Arena::with_config(
                name,
                ArenaConfig {
                    initial_capacity: budget_bytes.max(1),
                    budget_bytes: Some(budget_bytes),
                    trim,
                    ..ArenaConfig::default()
                },
            )
        };
        let buffer = |suffix: &str| {
            arena(
                format!("{}.{suffix}", config.name),
                config.budget_bytes,
                config.buffer_trim(),
            )
        };
        let workers = (0..config.worker_count)
            .map(|index| {
                arena(
                    format!("{}.worker{index}", config.name),
                    config.worker_budget_bytes,
                    config.per_frame_trim(),
                )
            })
            .collect();
        FrameArenas {
            buffers: [buffer("a"), buffer("b")],
            workers,
            scratch: ScratchArenas::new(
                config.name,
                config.scratch_capacity_bytes,
                config.per_frame_trim(),
            ),
            id: NEXT_FRAMES_ID.fetch_add(1, Ordering::Relaxed),
            config,
            current: None,
            overflow_count: 0,
            last_overflow: None,
            last_frame: None,
        }
    }

    /// Starts the next frame: closes the books on the frame in progress, resets the
    /// buffer that held the frame before it, every worker arena and every scratch
    /// arena, and returns the new frame's allocator.
    ///
    /// ```
    /// let mut frames = engine::FrameArenas::new(Default::default());
    /// let frame = frames.begin_frame();
    /// assert_eq!(frame.index(), 0);
    /// frame.alloc(1u32);
    /// let frame = frames.begin_frame();
    /// assert_eq!((frame.index(), frame.offset()), (1, 0));
    /// ```
    pub fn begin_frame(&mut self) -> Frame<'_> {
        self.begin_frame_with_workers().0
    }

    /// [`begin_frame`](FrameArenas::begin_frame), also handing out the worker
    /// arenas (reset) for this frame. Each worker arena is `Send`: give one to each
    /// thread, let it allocate, and hand what it built back to the main thread for
    /// the rest of the frame.
    ///
    /// ```
    /// use engine::{FrameArenas, FrameConfig};
    ///
    /// let mut frames = FrameArenas::new(FrameConfig { worker_count: 2, ..Default::default() });
    /// let (frame, workers) = frames.begin_frame_with_workers();
    /// let parts: Vec<&[u32]> = std::thread::scope(|s| {
    ///     let jobs: Vec<_> = workers
    ///         .iter_mut()
    ///         .enumerate()
    ///         .map(|(job, arena)| s.spawn(move || -> &[u32] {
    ///             let arena: &engine::Arena = arena;
    ///             arena.alloc_slice_fill_with(100, |i| (job * 100 + i) as u32)
    ///         }))
    ///         .collect();
    ///     jobs.into_iter().map(|job| job.join().unwrap()).collect()
    /// });
    /// let total: u32 = parts.iter().flat_map(|part| part.iter()).sum();
    /// let merged = frame.alloc_slice_copy(&[total]);
    /// assert_eq!(merged[0], (0..200).sum::<u32>());
    /// ```
    pub fn begin_frame_with_workers(&mut self) -> (Frame<'_>, &mut [Arena]) {
        if let Some(finished) = self.current {
            let stats = self.frame_stats(finished);
            if stats.overflow_bytes > 0 {
                self.overflow_count += 1;
                self.last_overflow = Some(Overflow {
                    frame_index: finished,
                    bytes_over: stats.overflow_bytes,
                });
            }
            self.last_frame = Some(stats);
        }
        let index = self.current.map_or(0, |finished| finished + 1);
        self.current = Some(index);
        let arena = &mut self.buffers[(index % 2) as usize];
        arena.reset();
        for worker in &mut self.workers {
            worker.reset();
        }
        self.scratch.reset();
        let frame = Frame {
            arena,
            scratch: self.scratch.lender(),
            index,
            owner: self.id,
        };
        (frame, &mut self.workers)
    }

    /// Gives memory back to the system now, from every frame buffer, worker and
    /// scratch arena ([`Arena::trim`]), and returns how many bytes: for a game that
    /// knows a spike is over (a loading screen, a cut scene) and will not wait for
    /// [`FrameConfig::trim_within_frames`].
    ///
    /// Arenas holding nothing (the scratch arenas between frames) go back to their
    /// starting size now. The buffers hold the last two frames' data, which stays
    /// where it is: each goes back to what it holds then at its next reset, in the
    /// next two `begin_frame`s; so do worker arenas, at the next one.
    ///
    /// # Costs
    /// A free, and an allocation from the system, per arena whose chunk is
    /// replaced; a frame that needs more afterwards grows again.
    ///
    /// ```
    /// use engine::{FrameArenas, FrameConfig};
    ///
    /// let config = FrameConfig { budget_bytes: 64 << 10, trim_within_frames: None, ..Default::default() };
    /// let mut frames = FrameArenas::new(config);
    /// frames.begin_frame().alloc_slice_fill_copy(4 << 20, 0u8); // a loading frame
    /// for _ in 0..2 {
    ///     frames.begin_frame();
    /// }
    /// let before = frames.stats().committed_bytes;
    /// frames.trim();
    /// frames.begin_frame();
    /// frames.begin_frame();
    /// assert!(frames.stats().committed_bytes < before - (3 << 20));
    /// ```
    pub fn trim(&mut self) -> usize {
        let mut given_back = self.scratch.trim();
        for arena in self.buffers.iter_mut().chain(&mut self.workers) {
            given_back += arena.trim();
        }
        given_back
    }

    /// Index of the frame in progress (0 for the first; also 0 before any).
    ///
    /// ```
    /// let mut frames = engine::FrameArenas::new(Default::default());
    /// frames.begin_frame();
    /// frames.begin_frame();
    /// assert_eq!(frames.frame_index(), 1);
    /// ```
    #[must_use]
    pub fn frame_index(&self) -> u64 {
        self.current.unwrap_or(0)
    }

    /// Number of worker arenas.
    ///
    /// ```
    /// assert_eq!(engine::FrameArenas::new(Default::default()).worker_count(), 0);
    /// ```
    #[must_use]
    pub fn worker_count(&self) -> usize {
        self.workers.len()
    }

    /// The configuration the arenas were built with.
    ///
    /// ```
    /// let frames = engine::FrameArenas::new(Default::default());
    /// assert_eq!(frames.config().budget_bytes, 4 << 20);
    /// ```
    #[must_use]
    pub fn config(&self) -> &FrameConfig {
        &self.config
    }

    /// The frame in progress so far: bytes used and allocations made (frame buffer,
    /// workers and scratch), high-water and committed bytes. Never allocates.
    ///
    /// ```
    /// let mut frames = engine::FrameArenas::new(Default::default());
    /// frames.begin_frame().alloc_slice_fill_copy(1000, 0u8);
    /// let stats = frames.stats();
    /// assert_eq!((stats.frame_index, stats.used_bytes, stats.allocation_count), (0, 1000, 1));
    /// ```
    #[must_use]
    pub fn stats(&self) -> FrameStats {
        self.frame_stats(self.frame_index())
    }

    /// The stats of the frame before the one in progress, as they were when it
    /// ended; `None` during the first frame.
    ///
    /// ```
    /// let mut frames = engine::FrameArenas::new(Default::default());
    /// frames.begin_frame().alloc(0u64);
    /// frames.begin_frame();
    /// assert_eq!(frames.last_frame_stats().unwrap().used_bytes, 8);
    /// ```
    #[must_use]
    pub fn last_frame_stats(&self) -> Option<&FrameStats> {
        self.last_frame.as_ref()
    }

    /// The most recent frame that went over its budget, and how many did in all.
    ///
    /// ```
    /// use engine::{FrameArenas, FrameConfig};
    /// let mut frames = FrameArenas::new(FrameConfig { budget_bytes: 1024, ..Default::default() });
    /// frames.begin_frame().alloc_slice_fill_copy(4096, 0u8); // 3072 bytes over, and fine
    /// frames.begin_frame();
    /// let (overflow, count) = frames.last_overflow();
    /// assert_eq!((overflow.unwrap().frame_index, overflow.unwrap().bytes_over, count), (0, 3072, 1));
    /// ```
    #[must_use]
    pub fn last_overflow(&self) -> (Option<Overflow>, u64) {
        (self.last_overflow, self.overflow_count)
    }

    /// The frame buffer that frame `frame_index` allocates from.
    fn buffer(&self, frame_index: u64) -> &Arena {
        &self.buffers[(frame_index % 2) as usize]
    }

    /// Both frame buffers, then the workers, then the scratch arenas made so far,
    /// for reporting. The buffers' and workers' stats carry their budget
    /// ([`ArenaStats::budget_bytes`](crate::ArenaStats::budget_bytes)); scratch
    /// arenas have none. [`labeled_arenas`](FrameArenas::labeled_arenas) says which
    /// is which.
    ///
    /// ```
    /// let mut frames = engine::FrameArenas::new(engine::FrameConfig { worker_count: 3, ..Default::default() });
    /// assert_eq!(frames.arenas().count(), 5);
    /// frames.begin_frame().scratch(|tmp| *tmp.alloc(1u32)); // makes the first scratch arena
    /// assert_eq!(frames.arenas().count(), 6);
    /// ```
    pub fn arenas(&self) -> impl Iterator<Item = &Arena> {
        self.buffers
            .iter()
            .chain(&self.workers)
            .chain(self.scratch.arenas())
    }

    /// Every arena with its role: the two frame buffers, then the workers, then the
    /// scratch arenas made so far, by nesting depth.
    ///
    /// ```
    /// use engine::{FrameArenaRole, FrameArenas, FrameConfig};
    /// let mut frames = FrameArenas::new(FrameConfig { worker_count: 1, ..Default::default() });
    /// let frame = frames.begin_frame();
    /// frame.scratch(|_| frame.scratch(|_| ())); // nested: two scratch arenas
    /// let roles: Vec<_> = frames.labeled_arenas().map(|(role, _)| role).collect();
    /// assert_eq!(
    ///     roles,
    ///     [
    ///         FrameArenaRole::Buffer,
    ///         FrameArenaRole::Buffer,
    ///         FrameArenaRole::Worker,
    ///         FrameArenaRole::Scratch { depth: 0 },
    ///         FrameArenaRole::Scratch { depth: 1 },
    ///     ]
    /// );
    /// ```
    pub fn labeled_arenas(&self) -> impl Iterator<Item = (FrameArenaRole, &Arena)> {
        let buffers = self
            .buffers
            .iter()
            .map(|arena| (FrameArenaRole::Buffer, arena));
        let workers = self
            .workers
            .iter()
            .map(|arena| (FrameArenaRole::Worker, arena));
        let scratch = self
            .scratch
            .arenas()
            .enumerate()
            .map(|(depth, arena)| (FrameArenaRole::Scratch { depth }, arena));
        buffers.chain(workers).chain(scratch)
    }

    fn frame_stats(&self, frame_index: u64) -> FrameStats {
        let buffer = self.buffer(frame_index).stats();
        let mut stats = FrameStats {
            frame_index,
            used_bytes: buffer.used_bytes,
            allocation_count: buffer.allocation_count,
            high_water_bytes: buffer.high_water_bytes,
            committed_bytes: self.buffers.iter().map(|a| a.stats().committed_bytes).sum(),
            budget_bytes: self.config.budget_bytes,
            overflow_bytes: buffer.used_bytes.saturating_sub(self.config.budget_bytes),
            worker_used_bytes: 0,
        };
        for worker in &self.workers {
            let worker = worker.stats();
            stats.worker_used_bytes += worker.used_bytes;
            stats.allocation_count += worker.allocation_count;
            stats.committed_bytes += worker.committed_bytes;
            stats.overflow_bytes += worker
                .used_bytes
                .saturating_sub(self.config.worker_budget_bytes);
        }
        for scratch in self.scratch.arenas() {
            let scratch = scratch.stats();
            stats.allocation_count += scratch.allocation_count;
            stats.committed_bytes += scratch.committed_bytes;
        }
        stats
    }
}

impl<'f> Frame<'f> {
    /// Index of this frame.
    ///
    /// ```
    /// let mut frames = engine::FrameArenas::new(Default::default());
    /// assert_eq!(frames.begin_frame().index(), 0);
    /// ```
    #[must_use]
    pub fn index(&self) -> u64 {
        self.index
    }

    /// The arena for the whole frame, with the frame's lifetime (the `Deref` borrow
    /// is only as long as the `Frame` value's).
    ///
    /// ```
    /// let mut frames = engine::FrameArenas::new(Default::default());
    /// let frame = frames.begin_frame();
    /// let arena: &engine::Arena = frame.arena();
    /// let ids = arena.alloc_slice_copy(&[1u32, 2]);
    /// drop(frame); // `ids` still lives: it borrows the frame arenas, not `frame`
    /// assert_eq!(ids, &[1, 2]);
    /// ```
    #[must_use]
    pub fn arena(&self) -> &'f Arena {
        self.arena
    }

    /// A handle to `data`, which must live in this frame's arena, for reading in the
    /// next frame with [`previous`](Frame::previous). `None` if `data` is not
    /// memory of this frame (another arena, the stack, the heap).
    ///
    /// ```
    /// let mut frames = engine::FrameArenas::new(Default::default());
    /// let frame = frames.begin_frame();
    /// let transforms = frame.alloc_slice_fill_copy(3, 1.5f32);
    /// assert!(frame.keep(transforms).is_some());
    /// assert!(frame.keep(&[1.5f32][..]).is_none()); // not in the frame
    /// ```
    ///
    /// `T: Copy` because the next frame reads the values as this frame leaves them:
    /// values with a destructor (a collection's `String`s, say) may have been
    /// dropped in place by then.
    ///
    /// Keeping allocates nothing. Until the frame ends, no collection in this frame
    /// hands back bytes at or below the kept data (an [`ArenaVec`](crate::ArenaVec)
    /// or `allocator_api2` list that owns `data` and is dropped or shrunk later in the
    /// frame keeps its bytes), so what the next frame reads is what was kept.
    #[must_use]
    pub fn keep<T: Copy>(&self, data: &[T]) -> Option<FrameSlice<T>> {
        let bytes = std::mem::size_of_val(data);
        let addr = data.as_ptr().addr();
        if bytes > 0 {
            if !self.arena.holds_live_range(addr, bytes) {
                return None;
            }
            self.arena.keep_below(addr + bytes);
        }
        Some(FrameSlice::new(self.owner, self.index, data))
    }

    /// The data a [`FrameSlice`] kept in the previous frame. `None` if the handle
    /// was made in any other frame (two or more frames ago, this frame, or by
    /// another `FrameArenas`): its memory is gone or still being written.
    ///
    /// ```
    /// let mut frames = engine::FrameArenas::new(Default::default());
    /// let kept = {
    ///     let frame = frames.begin_frame();
    ///     frame.keep(frame.alloc_slice_copy(&[7u32])).unwrap()
    /// };
    /// assert_eq!(frames.begin_frame().previous(kept), Some(&[7u32][..]));
    /// assert_eq!(frames.begin_frame().previous(kept), None); // two frames later
    /// ```
    #[must_use]
    pub fn previous<T>(&self, kept: FrameSlice<T>) -> Option<&'f [T]> {
        if kept.owner() != self.owner || kept.frame_index() + 1 != self.index {
            return None;
        }
        // SAFETY: the handle was made by `keep` in the previous frame of these frame
        // arenas, which checked that its bytes were live in that frame's buffer.
        // That buffer is reset only by the `begin_frame` after this one, which needs
        // `&mut FrameArenas` and so cannot run while `'f` lasts. Nothing can write it
        // meanwhile: references handed out in the previous frame ended with its
        // borrow, and this frame allocates from the other buffer.
        Some(unsafe { kept.as_slice::<'f>() })
    }
}

impl Deref for Frame<'_> {
    type Target = Arena;

    fn deref(&self) -> &Arena {
        self.arena
    }
}

impl fmt::Debug for FrameArenas {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FrameArenas")
            .field("frame_index", &self.current)
            .field("buffers", &self.buffers)
            .field("workers", &self.workers.len())
            .field("scratch", &self.scratch)
            .finish()
    }
}

impl fmt::Debug for Frame<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Frame")
            .field("index", &self.index)
            .field("arena", self.arena)
            .finish()
    }
}
