//! How an arena is sized, capped and checked.

/// Size of the first chunk of an arena that was not given a capacity.
pub const DEFAULT_FIRST_CHUNK_BYTES: usize = 4096;

/// Whether a full arena may take more memory from the system.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Growth {
    /// Add chunks, each at least twice the size of the last (the default).
    #[default]
    Geometric,
    /// Never grow: the first chunk is all there is. Allocations that do not fit
    /// fail with [`AllocError::CapacityExceeded`](crate::AllocError::CapacityExceeded).
    Fixed,
}

/// Bytes of address space a reserved arena takes by default: 8 GiB.
///
/// Address space, not memory: a 64-bit process has 128 TiB of it (Linux, Windows),
/// so a thousand arenas reserved this way use under a tenth. Only the pages committed
/// count as memory.
pub const DEFAULT_RESERVE_BYTES: usize = 8 << 30;

/// Where an arena's memory comes from, for [`ArenaConfig::backing`].
///
/// - **Chunked**: blocks from the global allocator, each at least twice the last,
///   chained. Works everywhere. A value that outgrows its chunk moves to the next, so
///   a growing list is copied when it crosses a chunk boundary, and a trim swaps the
///   big chunk for a smaller one (a free and an allocation).
/// - **Reserved**: one range of address space, reserved up front and committed in
///   whole pages as the bump pointer advances; one guard page past its end. The
///   arena's memory is one contiguous range whose addresses never change, so the
///   newest allocation (an [`ArenaVec`](crate::ArenaVec) being pushed to) grows in
///   place until the reservation ends, and a trim decommits pages with one system
///   call. The arena cannot pass its reservation: an allocation that would fails
///   with [`AllocError::ReservationExhausted`](crate::AllocError::ReservationExhausted).
///
/// An arena with a starting capacity reserves its range when it is made; if the
/// system refuses the address space (a process limit such as `RLIMIT_AS`), the
/// arena is chunked instead, and [`Arena::config`](crate::Arena::config) says so. One
/// that takes its first memory later reports the refusal as
/// [`AllocError::CommitRefused`](crate::AllocError::CommitRefused) then.
///
/// Plain arenas default to chunked; [`FrameArenas`](crate::FrameArenas) default
/// to reserved where it is available ([`Backing::is_available`]: 64-bit Linux,
/// macOS and Windows).
/// Elsewhere an arena asked for reserved backing uses chunks, and
/// [`Arena::config`](crate::Arena::config) says so.
///
/// # What it costs
/// Reserving is one system call when the arena takes its first memory, and one more
/// when it is dropped. Each commit (at most one per doubling of the arena's memory)
/// is one or two, and each trim one to three. Allocation and reset cost the same on both.
///
/// ```
/// use engine::{Arena, ArenaConfig, Backing};
///
/// let arena = Arena::with_config(
///     "reserved",
///     ArenaConfig { backing: Backing::Reserved { reserve_bytes: 1 << 30 }, ..Default::default() },
/// );
/// let first = arena.alloc(1u64) as *const u64;
/// arena.alloc_slice_fill_copy(1 << 20, 0u8); // commits more of the same range
/// if Backing::is_available() {
///     assert_eq!(arena.stats().chunk_count, 1);
///     assert_eq!(arena.config().backing, Backing::Reserved { reserve_bytes: 1 << 30 });
/// } else {
///     assert_eq!(arena.config().backing, Backing::Chunked);
/// }
/// # let _ = first;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backing {
    /// Chunks from the global allocator.
    Chunked,
    /// One reserved range of address space of `reserve_bytes` (rounded up to whole
    /// pages), committed as it is used. An arena with a
    /// [`limit`](ArenaConfig::limit_bytes) or a [fixed](Growth::Fixed) capacity
    /// reserves no more than that.
    Reserved {
        /// Bytes of address space to reserve: the most the arena can ever hold.
        reserve_bytes: usize,
    },
}

impl Backing {
    /// Whether this target has reserved backing: 64-bit Linux, macOS and Windows.
    ///
    /// ```
    /// let systems = cfg!(any(target_os = "linux", target_os = "macos", windows));
    /// assert_eq!(engine::Backing::is_available(), systems && cfg!(target_pointer_width = "64"));
    /// ```
    #[must_use]
    pub const fn is_available() -> bool {
        cfg!(reserved_backing)
    }

    /// Reserved backing of [`DEFAULT_RESERVE_BYTES`] where it is available,
    /// chunked elsewhere: what [`FrameArenas`](crate::FrameArenas) and their worker
    /// arenas use by default.
    ///
    /// ```
    /// use engine::Backing;
    /// if Backing::is_available() {
    ///     assert!(matches!(Backing::reserved_where_available(), Backing::Reserved { .. }));
    /// }
    /// ```
    #[must_use]
    pub const fn reserved_where_available() -> Backing {
        if Backing::is_available() {
            Backing::Reserved {
                reserve_bytes: DEFAULT_RESERVE_BYTES,
            }
        } else {
            Backing::Chunked
        }
    }

    /// The default of plain arenas: chunked, unless the engine was built with
    /// `ENGINE_DEFAULT_BACKING=reserved` (see [`Backing::frame_default`]).
    #[must_use]
    pub(crate) const fn arena_default() -> Backing {
        if cfg!(engine_default_backing = "reserved") {
            Backing::reserved_where_available()
        } else {
            Backing::Chunked
        }
    }

    /// The default of frame and worker arenas: [`reserved_where_available`], unless
    /// the engine was built with `ENGINE_DEFAULT_BACKING=chunked`.
    ///
    /// The build-time variable `ENGINE_DEFAULT_BACKING` (`chunked` or `reserved`)
    /// gives every arena that backing by default. It exists so that one test suite
    /// can run on each backing; a game picks its backing in its configs instead.
    ///
    /// [`reserved_where_available`]: Backing::reserved_where_available
    #[must_use]
    pub(crate) const fn frame_default() -> Backing {
        if cfg!(engine_default_backing = "chunked") {
            Backing::Chunked
        } else {
            Backing::reserved_where_available()
        }
    }

    /// What an arena asked for `self` gets on this target.
    pub(crate) const fn resolved(self) -> Backing {
        match self {
            Backing::Reserved { .. } if !Backing::is_available() => Backing::Chunked,
            backing => backing,
        }
    }
}

/// What an arena is built with, for [`Arena::with_config`](crate::Arena::with_config).
///
/// Two numbers bound an arena's memory, and they mean different things: a
/// **limit** is a hard cap that growth cannot pass (an allocation fails instead);
/// a **budget** is the size the arena is expected to stay within, which it may
/// overflow, and which is only reported (in [`ArenaStats`](crate::ArenaStats), for
/// whoever reads them).
///
/// ```
/// use engine::{Arena, ArenaConfig, Growth};
///
/// let arena = Arena::with_config(
///     "checked",
///     ArenaConfig { initial_capacity: 1024, growth: Growth::Fixed, debug_blocks: true, ..Default::default() },
/// );
/// assert_eq!(arena.stats().committed_bytes, 1024);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArenaConfig {
    /// Bytes of the first chunk, allocated at construction. `0` defers the first
    /// chunk to the first allocation, which then takes
    /// [`DEFAULT_FIRST_CHUNK_BYTES`] (or more if the request is bigger).
    pub initial_capacity: usize,
    /// Whether the arena may grow when full.
    pub growth: Growth,
    /// The limit: the most bytes the arena may take from the system, over all its
    /// chunks. Growth that would pass it fails with
    /// [`AllocError::LimitExceeded`](crate::AllocError::LimitExceeded). `None`: no
    /// cap.
    pub limit_bytes: Option<usize>,
    /// The budget: the bytes the arena is expected to use at most. Going over it
    /// never fails an allocation; [`ArenaStats::budget_bytes`](crate::ArenaStats::budget_bytes)
    /// reports it, so a report can show the overflow. `None`: no budget.
    pub budget_bytes: Option<usize>,
    /// Debug mode, like the block headers of a C stack allocator: every allocation
    /// is recorded with its size, `pop` is checked against the last block pushed,
    /// and freed bytes are overwritten with [`POISON_BYTE`](crate::POISON_BYTE).
    /// Every allocation takes the slow path, so use it to hunt bugs, not to ship.
    pub debug_blocks: bool,
    /// Whether, and how soon, memory a spike made the arena take is given back; see
    /// [`TrimPolicy`]. `None` (the default for a plain arena): the arena keeps the
    /// chunk its biggest cycle needed. [`Arena::trim`](crate::Arena::trim) works
    /// either way.
    pub trim: Option<TrimPolicy>,
    /// Where the memory comes from; see [`Backing`]. Defaults to chunked (every
    /// arena's default is reserved instead if the engine was built with the
    /// environment variable `ENGINE_DEFAULT_BACKING=reserved`, which exists to run
    /// a test suite on each backing).
    pub backing: Backing,
}

/// When an arena gives back memory that its recent cycles did not need, for
/// [`ArenaConfig::trim`].
///
/// A reset keeps one chunk sized to the high-water mark, so that the next cycle of
/// the same work needs no new memory. Without a policy that chunk never shrinks: one
/// spike keeps its memory committed for the arena's whole life. With one, the arena
/// measures its need over windows of resets (the most bytes in use at once, scopes
/// included), and at the reset that closes a window it replaces its chunk with a
/// smaller one (with [reserved backing](Backing::Reserved): decommits the pages
/// past the smaller size) when the chunk is at least twice what the window needed (rounded up
/// to a power of two, and never less than the arena's starting capacity, nor than
/// [`DEFAULT_FIRST_CHUNK_BYTES`]).
///
/// # What it costs
/// One compare per reset. At the reset that closes a window (one in every
/// `within_resets / 2`), a few more; a trim itself frees the big chunk and takes the
/// smaller one from the system allocator right away, at that reset, so the next
/// cycle starts on the fast path. A window in which the arena grew does not trim: it
/// is still finding its size. So a workload whose need stays the same is never
/// trimmed, and once warm makes no call to the system allocator; a workload that
/// spikes more rarely than once a window pays one free and one allocation per spike.
///
/// # How it fails
/// If the system allocator refuses the smaller chunk, the arena keeps the big one
/// and counts no trim. An arena with a limit that cannot hold both chunks at once
/// frees the big one first; if the smaller one is then refused, the arena holds no
/// chunk and takes one at its next allocation, as a new arena does.
///
/// ```
/// use engine::{Arena, ArenaConfig, TrimPolicy};
///
/// let policy = TrimPolicy { within_resets: 4 };
/// let mut arena = Arena::with_config(
///     "spiky",
///     ArenaConfig { initial_capacity: 64 << 10, trim: Some(policy), ..Default::default() },
/// );
/// arena.alloc_slice_fill_copy(1 << 20, 0u8); // a spike: the arena grows
/// arena.reset(); // the reset that ends the spike's cycle
/// assert!(arena.stats().committed_bytes >= 1 << 20);
/// for _ in 0..policy.within_resets {
///     arena.alloc_slice_fill_copy(1000, 0u8); // the usual need
///     arena.reset();
/// }
/// let stats = arena.stats();
/// assert_eq!((stats.committed_bytes, stats.trim_count), (64 << 10, 1));
/// assert_eq!(stats.high_water_bytes, 1 << 20); // the peak is still reported
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrimPolicy {
    /// After a cycle that needed far more than the cycles around it, the arena is
    /// back to a chunk sized for their need at the latest at the `within_resets`-th
    /// reset after the one that ended the spike's cycle. The arena measures its
    /// need over windows of `(within_resets + 1) / 2` resets (see
    /// [`window_resets`](TrimPolicy::window_resets)); `0` acts as `1`.
    pub within_resets: u32,
}

impl TrimPolicy {
    /// The policy the frame arenas use by default: 240 resets, four seconds of
    /// frames at 60 frames a second.
    pub const DEFAULT: TrimPolicy = TrimPolicy { within_resets: 240 };

    /// Resets in one measuring window: `within_resets` is at most two windows.
    ///
    /// ```
    /// use engine::TrimPolicy;
    /// assert_eq!(TrimPolicy { within_resets: 240 }.window_resets(), 120);
    /// assert_eq!(TrimPolicy { within_resets: 1 }.window_resets(), 1);
    /// assert_eq!(TrimPolicy { within_resets: 0 }.window_resets(), 1);
    /// ```
    #[must_use]
    pub fn window_resets(&self) -> u64 {
        (u64::from(self.within_resets).div_ceil(2)).max(1)
    }
}

impl Default for TrimPolicy {
    /// [`TrimPolicy::DEFAULT`].
    fn default() -> Self {
        TrimPolicy::DEFAULT
    }
}

impl Default for ArenaConfig {
    fn default() -> Self {
        ArenaConfig {
            initial_capacity: 0,
            growth: Growth::Geometric,
            limit_bytes: None,
            budget_bytes: None,
            debug_blocks: false,
            trim: None,
            backing: Backing::arena_default(),
        }
    }
}
