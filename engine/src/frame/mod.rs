//! Memory that lives for one frame: two arenas used in turn, and a pool of worker
//! arenas (each two, used in turn) that any thread borrows; and scratch arenas for
//! temporary memory inside a frame.

mod config;
mod handoff;
mod join;
mod scratch;
mod stats;
mod workers;

pub use config::FrameConfig;
pub use handoff::FrameSlice;
pub use join::{ConcatError, FrameReadError};
pub use stats::{FrameStats, Overflow};
pub use workers::{WorkerArena, WorkerPool};

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
    /// A worker arena of the [`WorkerPool`]: each worker has two, used in turn
    /// (`<name>.worker<i>.a` and `.b`), each reset every other frame.
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
/// each worker arena that serves the new frame and of each scratch arena. Once warm
/// (after the first frames sized the buffers to the high-water mark, made the
/// scratch arenas the frames nest and the worker arenas they hold at once) a steady
/// frame makes no call to the system allocator at all.
///
/// # Threads
/// [`Frame::workers`] is a [`WorkerPool`] that any thread borrows worker arenas
/// from. `FrameArenas` is `Send` and not `Sync`; a [`Frame`] is neither, since it
/// allocates from the frame buffer through `&self`.
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
    workers: WorkerPool,
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
///
/// A `Frame` stays on the thread that began it (it is neither `Send` nor `Sync`);
/// other threads allocate from [`workers`](Frame::workers).
pub struct Frame<'f> {
    arena: &'f Arena,
    scratch: ScratchLender<'f>,
    workers: &'f WorkerPool,
    index: u64,
    owner: u64,
}

impl FrameArenas {
    /// Two frame buffers of `config.budget_bytes` each and `config.worker_count`
    /// workers of two arenas of `config.worker_budget_bytes` each, allocated now.
    /// Scratch arenas are made when a frame first needs them ([`Frame::scratch`]),
    /// more workers when a frame holds more at once ([`WorkerPool::acquire`]).
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
        // Each budgeted arena starts with its budget committed and carries it, so
        // that its stats (and the telemetry that reads them) report overflow
        // against it.
        let budgeted = |budget_bytes: usize, trim| ArenaConfig {
            initial_capacity: budget_bytes.max(1),
            budget_bytes: Some(budget_bytes),
            trim,
            backing: config.backing,
            ..ArenaConfig::default()
        };
        let buffer_config = budgeted(config.budget_bytes, config.buffer_trim());
        let buffer = |suffix: &str| {
            Arena::with_config(format!("{}.{suffix}", config.name), buffer_config.clone())
        };
        let id = NEXT_FRAMES_ID.fetch_add(1, Ordering::Relaxed);
        FrameArenas {
            buffers: [buffer("a"), buffer("b")],
            // Worker arenas are double-buffered too: each is reset every other frame.
            workers: WorkerPool::new(
                config.name,
                config.worker_count,
                budgeted(config.worker_budget_bytes, config.buffer_trim()),
                id,
            ),
            scratch: ScratchArenas::new(
                config.name,
                ArenaConfig {
                    initial_capacity: config.scratch_capacity_bytes,
                    trim: config.per_frame_trim(),
                    backing: config.backing,
                    ..ArenaConfig::default()
                },
            ),
            id,
            config,
            current: None,
            overflow_count: 0,
            last_overflow: None,
            last_frame: None,
        }
    }

    /// Starts the next frame: closes the books on the frame in progress, resets the
    /// buffer that held the frame before it, the worker arenas that served it and
    /// every scratch arena, and returns the new frame's allocator.
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
        self.workers.begin(index);
        self.scratch.reset();
        Frame {
            arena,
            scratch: self.scratch.lender(),
            workers: &self.workers,
            index,
            owner: self.id,
        }
    }

    /// Gives memory back to the system now, from every frame buffer, worker and
    /// scratch arena ([`Arena::trim`]), and returns how many bytes: for a game that
    /// knows a spike is over (a loading screen, a cut scene) and will not wait for
    /// [`FrameConfig::trim_within_frames`].
    ///
    /// Arenas holding nothing (the scratch arenas between frames) go back to their
    /// starting size now. The buffers hold the last two frames' data, which stays
    /// where it is: each goes back to what it holds then at its next reset, in the
    /// next two `begin_frame`s, and so do the (double-buffered) worker arenas.
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
        let mut given_back = self.scratch.trim() + self.workers.trim();
        for arena in &mut self.buffers {
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

    /// Number of workers made so far ([`FrameConfig::worker_count`], more if a
    /// frame held more worker arenas at once), each two arenas.
    ///
    /// ```
    /// let mut frames = engine::FrameArenas::new(Default::default());
    /// assert_eq!(frames.worker_count(), 0);
    /// let frame = frames.begin_frame();
    /// let worker = frame.workers().acquire(); // none was made up front: one is now
    /// drop((worker, frame));
    /// assert_eq!(frames.worker_count(), 1);
    /// ```
    #[must_use]
    pub fn worker_count(&self) -> usize {
        self.workers.worker_count()
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

    /// Every worker's two arenas, by worker.
    fn worker_arenas(&self) -> impl Iterator<Item = &[Arena; 2]> {
        // SAFETY: `&self` here means no frame is alive: a `Frame`, and with it the
        // pool and every `WorkerArena` lent from it, holds `FrameArenas` by `&mut`.
        unsafe { self.workers.arenas_at_rest() }
    }

    /// Both frame buffers, then the workers' arenas (`.a` and `.b` of each), then
    /// the scratch arenas made so far, for reporting. The buffers' and workers' stats carry their budget
    /// ([`ArenaStats::budget_bytes`](crate::ArenaStats::budget_bytes)); scratch
    /// arenas have none. [`labeled_arenas`](FrameArenas::labeled_arenas) says which
    /// is which.
    ///
    /// ```
    /// let mut frames = engine::FrameArenas::new(engine::FrameConfig { worker_count: 3, ..Default::default() });
    /// assert_eq!(frames.arenas().count(), 2 + 3 * 2);
    /// frames.begin_frame().scratch(|tmp| *tmp.alloc(1u32)); // makes the first scratch arena
    /// assert_eq!(frames.arenas().count(), 9);
    /// ```
    pub fn arenas(&self) -> impl Iterator<Item = &Arena> {
        self.labeled_arenas().map(|(_, arena)| arena)
    }

    /// Every arena with its role: the two frame buffers, then each worker's two
    /// arenas, then the scratch arenas made so far, by nesting depth.
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
            .worker_arenas()
            .flatten()
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
        let set = (frame_index % 2) as usize;
        for arenas in self.worker_arenas() {
            let worker = arenas[set].stats();
            stats.worker_used_bytes += worker.used_bytes;
            stats.allocation_count += worker.allocation_count;
            stats.committed_bytes += worker.committed_bytes;
            stats.overflow_bytes += worker
                .used_bytes
                .saturating_sub(self.config.worker_budget_bytes);
        }
        for arenas in self.worker_arenas() {
            stats.committed_bytes += arenas[1 - set].stats().committed_bytes;
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

    /// The worker arenas, for other threads: `Sync`, so any thread that can see
    /// it (a rayon job, a scoped thread, a job queue's worker) borrows an arena with
    /// [`WorkerPool::acquire`] and hands its results back as [`FrameSlice`]s, which
    /// this frame reads ([`read`](Frame::read), [`concat`](Frame::concat)) and the
    /// next one too ([`previous`](Frame::previous)). It lives as long as the frame.
    ///
    /// ```
    /// let mut frames = engine::FrameArenas::new(Default::default());
    /// let frame = frames.begin_frame();
    /// let pool: &engine::WorkerPool = frame.workers();
    /// let kept = std::thread::scope(|s| {
    ///     s.spawn(|| {
    ///         let worker = pool.acquire();
    ///         worker.keep(worker.alloc_slice_copy(&[1u16, 2, 3])).unwrap()
    ///     })
    ///     .join()
    ///     .unwrap()
    /// });
    /// assert_eq!(frame.read(kept), Ok(&[1u16, 2, 3][..]));
    /// ```
    #[must_use]
    pub fn workers(&self) -> &'f WorkerPool {
        self.workers
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
        if !self.arena.keep_if_live(data) {
            return None;
        }
        Some(FrameSlice::new(self.owner, self.index, data))
    }

    /// The data a [`FrameSlice`] kept in the previous frame, by the frame or by a
    /// worker. `None` if the handle was made in any other frame (two or more frames
    /// ago, this frame, or by another `FrameArenas`): its memory is gone or still
    /// being written. [`read`](Frame::read) also reads a worker's handle of this
    /// frame, and says why it cannot.
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
        // arenas (`Frame::keep` or `WorkerArena::keep`), which checked that its bytes
        // were live in that frame's buffer or worker arena. Those are reset only by
        // the `begin_frame` after this one, which needs `&mut FrameArenas` and so
        // cannot run while `'f` lasts. Nothing can write them meanwhile: references
        // handed out in the previous frame ended with its borrow, and this frame
        // allocates from the other buffer and the workers' other arenas.
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
            .field("workers", &self.workers)
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
