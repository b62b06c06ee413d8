//! The bump arena every other lifetime is built on.
//!
//! One concern per file:
//! - `bump.rs`: the bump arithmetic, as pure functions with no unsafe code;
//! - `backing/`: where the memory comes from (chunks from the system allocator);
//! - `alloc.rs`: the allocation fast path, on which every allocating call is built;
//! - `growth.rs`: the slow path, taking a new chunk when the current one is full;
//! - `typed.rs`: the typed allocation family (`alloc`, `alloc_slice_copy`, ... and
//!   their `try_` twins), defined once for every arena type; `place.rs`: the
//!   primitives through which `Arena`'s family writes values into fresh memory;
//! - `stack.rs`: marks, rewind, push, pop and reset; `scope.rs`: scopes;
//! - `trim.rs`: giving back memory a spike took, by policy at a reset or on request;
//! - `debug.rs`: debug mode's block records, poisoning and block events;
//! - `sanitizer.rs`: AddressSanitizer poisoning of what is not handed out (feature
//!   `asan`);
//! - `undo.rs`: undoing a failed operation exactly, for owners such as the asset
//!   arena;
//! - `allocator.rs`: `&Arena` as an `allocator_api2` allocator;
//! - `config.rs`, `stats.rs`, `error.rs`, `inspect.rs`: what an arena is built
//!   with, reports, fails with, and answers to the other lifetimes.

mod alloc;
mod allocator;
mod backing;
pub(crate) mod bump;
mod config;
mod debug;
mod error;
mod growth;
mod inspect;
mod place;
mod sanitizer;
mod scope;
mod short_copy;
mod stack;
mod stats;
mod threads;
mod trim;
mod typed;
mod undo;

pub use config::{
    ArenaConfig, Backing, DEFAULT_FIRST_CHUNK_BYTES, DEFAULT_RESERVE_BYTES, Growth, TrimPolicy,
};
pub use debug::{BlockObserver, BlockTicket, POISON_BYTE, set_block_observer};
pub use error::{AllocError, StackError};
pub use inspect::ArenaView;
pub use scope::Scope;
pub use stack::{Mark, PUSH_ALIGN};
pub use stats::ArenaStats;
pub(crate) use typed::allocation_family;

use backing::Chunk;
use debug::Block;
use std::cell::{Cell, UnsafeCell};
use std::fmt;
use std::ptr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use threads::NotShared;
pub(crate) use threads::Unshared;

static NEXT_ARENA_ID: AtomicU64 = AtomicU64::new(1);

/// A bump allocator: allocation moves a pointer forward, and memory is given back
/// all at once ([`reset`](Arena::reset)) or in stack order ([`rewind`](Arena::rewind),
/// [`pop`](Arena::pop), [`scope`](Arena::scope)).
///
/// # What it costs
/// An allocation that fits in the current chunk is a handful of instructions and
/// never touches the system allocator. A full arena takes a new chunk at least twice
/// as big as the last (unless it has a [fixed capacity](Arena::with_fixed_capacity)
/// or a [limit](Arena::with_limit)). [`reset`](Arena::reset) is O(1) in the number
/// of allocations: it keeps one chunk big enough for the high-water mark, so a
/// steady workload stops calling the system allocator after its first cycles.
/// With [reserved backing](Backing::Reserved) a full arena commits more of its one
/// range of address space instead (one system call per doubling), and its memory
/// never moves.
///
/// An `Arena` is aligned to 64 bytes (a cache line), so that its hot fields share one
/// line wherever it is stored; a struct holding one is aligned the same way. Its
/// chunks start on a cache line too: the first allocation in a chunk needs no padding
/// for any alignment up to 64, and vectors laid out from there do not straddle lines.
///
/// # Safety by lifetimes
/// Allocations borrow the arena (`&self`), and every operation that frees memory
/// (`reset`, `rewind`, `pop`) needs `&mut self`, so the borrow checker refuses to free
/// memory that a reference still points into:
///
/// ```compile_fail
/// let mut arena = engine::Arena::new("a");
/// let x = arena.alloc(1u32);
/// arena.reset(); // error: `arena` is still borrowed by `x`
/// *x += 1;
/// ```
///
/// # Destructors
/// The plain `alloc` family refuses types that need `Drop` **at compile time**, so a
/// destructor is never skipped silently. Values with destructors belong in a
/// [`LevelArena`](crate::LevelArena), which runs them on unload, or in an
/// [`ArenaVec`](crate::ArenaVec) (`ArenaVec::new_in(&arena)`), which runs them itself.
///
/// ```compile_fail
/// let arena = engine::Arena::new("a");
/// arena.alloc(String::from("leaked?")); // error: String needs Drop
/// ```
///
/// # Threads
/// `Arena` is `Send` (move it to a worker) but not `Sync`: allocation goes through
/// `&self` with no atomics, so two threads may not allocate from one arena. Give
/// each thread its own arena.
///
/// # Example
/// ```
/// use engine::{Arena, ArenaStats, AllocError};
///
/// let mut arena = Arena::with_capacity("scratch", 64 * 1024);
/// let x: &mut u64 = arena.alloc(7);
/// *x += 1;
/// let xs: &mut [u32] = arena.alloc_slice_copy(&[1, 2, 3]);
/// let s: &str = arena.alloc_str("hello");
/// assert_eq!((*x, xs.len(), s), (8, 3, "hello"));
/// let total = arena.scope(|tmp| tmp.alloc_slice_fill_with(10, |i| i as u32).iter().sum::<u32>());
/// assert_eq!(total, 45);
/// let stats: ArenaStats = arena.stats();
/// assert_eq!(stats.allocation_count, 4);
/// arena.reset();
/// assert_eq!(arena.offset(), 0);
/// ```
// `repr(C)` keeps the declared order, so the fields every allocation touches (`ptr`,
// `limit`, `allocation_count`, then what `scope` reads) lead the struct, and
// `align(64)` puts them at the start of one cache line wherever the arena is stored:
// a loop's speed then does not depend on the arena's address, and arenas kept side by
// side for different threads do not share a line (ARCHITECTURE.md, "Decisions").
#[repr(C, align(64))]
pub struct Arena {
    /// Next free byte of the current chunk.
    ptr: Unshared<Cell<*mut u8>>,
    /// End of the fast path: the current chunk's end, or `ptr` itself in debug mode
    /// so that every allocation takes the recording slow path.
    limit: Unshared<Cell<*mut u8>>,
    allocation_count: Unshared<Cell<u64>>,
    chunk_start: Unshared<Cell<*mut u8>>,
    /// `chunk_start` while the arena is in its steady state, null otherwise. Steady
    /// means: not in debug mode (whose exits and resets must poison and drop block
    /// records), holding at most one chunk, and no chunk entered since the cycle
    /// began (at construction or the last reset; see `begin_cycle`). A steady
    /// [`reset`](Arena::reset) needs only this one field.
    steady_chunk: Unshared<Cell<*mut u8>>,
    /// Logical offset of `chunk_start`.
    chunk_base: Unshared<Cell<usize>>,
    /// The most bytes in use at once in the current trim window (since the arena
    /// was made if it has no [`TrimPolicy`]); `peak_before_window` keeps the peak
    /// of the windows before, for the stats.
    high_water: Unshared<Cell<usize>>,
    /// While steady, the address `high_water` bytes into the chunk (at most its
    /// end); null otherwise. A [`scope`](Arena::scope) exit that finds `ptr` at or
    /// below it is steady and sets no new peak, so one compare decides its fast path.
    steady_peak: Unshared<Cell<*mut u8>>,
    chunk_end: Unshared<Cell<*mut u8>>,
    /// Index of the current chunk in `slow.chunks` (0 when there is none).
    chunk_index: Unshared<Cell<usize>>,
    committed: Unshared<Cell<usize>>,
    grow_count: Unshared<Cell<u64>>,
    reset_count: u64,
    /// The reset taken while `reset_count` equals this closes the trim window
    /// (see `trim.rs`); `u64::MAX` without a [`TrimPolicy`] or a requested trim.
    trim_check_at: u64,
    /// The peak of the trim windows before the current one.
    peak_before_window: usize,
    /// `grow_count` when the current trim window began.
    window_grow_count: u64,
    /// Whether [`trim`](Arena::trim) asked the next reset to trim whatever it can.
    trim_requested: bool,
    trim_count: u64,
    trimmed_bytes: u64,
    /// Chunks held, kept beside the chunk list so that `stats` never reads the
    /// slow state.
    chunk_count: Unshared<Cell<usize>>,
    /// Set while a slow path runs (see [`SlowPathGuard`]): the slow state may be
    /// borrowed, and code it calls out to (the global allocator, a block observer)
    /// must not re-enter the arena.
    in_slow_path: Unshared<Cell<bool>>,
    /// No block starting below this address is handed back (see `allocator.rs`):
    /// data handed to the next frame (`Frame::keep`) lies below it. It holds only
    /// while `hand_back_floor_cycle` equals `reset_count`, so that a reset lifts it
    /// without a store on the reset path.
    hand_back_floor: Unshared<Cell<usize>>,
    hand_back_floor_cycle: Unshared<Cell<u64>>,
    slow: Unshared<UnsafeCell<SlowState>>,
    id: u64,
    name: Arc<str>,
    config: ArenaConfig,
    /// Makes `Arena` `!Sync`, with an error message that says what to do instead.
    not_shared: NotShared<Arena>,
}

/// State only the slow paths touch.
#[derive(Debug, Default)]
struct SlowState {
    /// Chunks in logical order. Those after the current one are spares left by a
    /// rewind, reused before asking the system for more.
    chunks: Vec<Chunk>,
    /// Debug mode: every live allocation, oldest first.
    blocks: Vec<Block>,
}

// SAFETY: the arena owns its chunks outright; the raw pointers in it point only into
// those chunks. Moving the arena to another thread needs ownership, so no reference
// into it can be left behind. `Arena` stays `!Sync` (its `NotShared` marker), so two
// threads never allocate at once.
unsafe impl Send for Arena {}

#[cold]
#[inline(never)]
#[track_caller]
fn alloc_failed(error: AllocError) -> ! {
    panic!("{error}")
}

#[cold]
#[inline(never)]
#[track_caller]
fn stack_failed(error: StackError) -> ! {
    panic!("{error}")
}

impl Arena {
    /// An empty arena that takes its first chunk
    /// ([`DEFAULT_FIRST_CHUNK_BYTES`]) on the first allocation and grows as needed.
    ///
    /// Costs one small heap allocation for the name.
    ///
    /// ```
    /// let arena = engine::Arena::new("scratch");
    /// assert_eq!(arena.stats().committed_bytes, 0);
    /// ```
    #[must_use]
    pub fn new(name: impl Into<Arc<str>>) -> Arena {
        Arena::with_config(name, ArenaConfig::default())
    }

    /// An arena whose first chunk of `bytes` is allocated now; it grows when full.
    ///
    /// # Panics
    /// If the system allocator refuses `bytes`.
    ///
    /// ```
    /// let arena = engine::Arena::with_capacity("scratch", 64 * 1024);
    /// assert_eq!(arena.stats().committed_bytes, 64 * 1024);
    /// ```
    #[must_use]
    pub fn with_capacity(name: impl Into<Arc<str>>, bytes: usize) -> Arena {
        Arena::with_config(
            name,
            ArenaConfig {
                initial_capacity: bytes,
                ..ArenaConfig::default()
            },
        )
    }

    /// An arena of exactly `bytes` that never grows: allocations that do not fit fail
    /// with [`AllocError::CapacityExceeded`] (or panic, for the non-`try_` calls).
    ///
    /// # Panics
    /// If the system allocator refuses `bytes`.
    ///
    /// ```
    /// let arena = engine::Arena::with_fixed_capacity("fixed", 16);
    /// assert!(arena.try_alloc(1u64).is_ok());
    /// assert!(arena.try_alloc_slice_fill_copy(2, 0u64).is_err());
    /// ```
    #[must_use]
    pub fn with_fixed_capacity(name: impl Into<Arc<str>>, bytes: usize) -> Arena {
        Arena::with_config(
            name,
            ArenaConfig {
                initial_capacity: bytes,
                growth: Growth::Fixed,
                ..ArenaConfig::default()
            },
        )
    }

    /// A growing arena whose limit is `limit_bytes`: it never holds more than that
    /// from the system, and growth past it fails with [`AllocError::LimitExceeded`].
    /// The first chunk is taken on the first allocation.
    ///
    /// ```
    /// let arena = engine::Arena::with_limit("capped", 8192);
    /// assert!(arena.try_alloc_slice_fill_copy(6000, 0u8).is_ok());
    /// let err = arena.try_alloc_slice_fill_copy(6000, 0u8).unwrap_err();
    /// assert!(matches!(err, engine::AllocError::LimitExceeded { limit: 8192, .. }));
    /// ```
    #[must_use]
    pub fn with_limit(name: impl Into<Arc<str>>, limit_bytes: usize) -> Arena {
        Arena::with_config(
            name,
            ArenaConfig {
                limit_bytes: Some(limit_bytes),
                ..ArenaConfig::default()
            },
        )
    }

    /// An arena with every option spelled out; see [`ArenaConfig`].
    ///
    /// # Panics
    /// If `config.initial_capacity` is not zero and the system allocator refuses it,
    /// or it is larger than `config.limit_bytes`.
    ///
    /// ```
    /// use engine::{Arena, ArenaConfig};
    /// let arena = Arena::with_config("dbg", ArenaConfig { debug_blocks: true, ..Default::default() });
    /// arena.push(24);
    /// ```
    #[must_use]
    pub fn with_config(name: impl Into<Arc<str>>, config: ArenaConfig) -> Arena {
        let dangling = ptr::dangling_mut::<u8>();
        let config = ArenaConfig {
            backing: config.backing.resolved(),
            ..config
        };
        let mut arena = Arena {
            ptr: Unshared::new(Cell::new(dangling)),
            limit: Unshared::new(Cell::new(dangling)),
            allocation_count: Unshared::new(Cell::new(0)),
            chunk_start: Unshared::new(Cell::new(dangling)),
            steady_chunk: Unshared::new(Cell::new(ptr::null_mut())),
            chunk_end: Unshared::new(Cell::new(dangling)),
            chunk_base: Unshared::new(Cell::new(0)),
            chunk_index: Unshared::new(Cell::new(0)),
            high_water: Unshared::new(Cell::new(0)),
            steady_peak: Unshared::new(Cell::new(ptr::null_mut())),
            committed: Unshared::new(Cell::new(0)),
            grow_count: Unshared::new(Cell::new(0)),
            reset_count: 0,
            trim_check_at: u64::MAX,
            peak_before_window: 0,
            window_grow_count: 0,
            trim_requested: false,
            trim_count: 0,
            trimmed_bytes: 0,
            chunk_count: Unshared::new(Cell::new(0)),
            in_slow_path: Unshared::new(Cell::new(false)),
            hand_back_floor: Unshared::new(Cell::new(0)),
            hand_back_floor_cycle: Unshared::new(Cell::new(u64::MAX)),
            slow: Unshared::new(UnsafeCell::new(SlowState::default())),
            id: NEXT_ARENA_ID.fetch_add(1, Ordering::Relaxed),
            name: name.into(),
            config,
            not_shared: NotShared::MARK,
        };
        let initial = arena.config.initial_capacity;
        if initial > 0 {
            if let Some(limit) = arena.config.limit_bytes {
                assert!(
                    initial <= limit,
                    "arena `{}`: initial capacity {initial} exceeds the limit of {limit} bytes",
                    arena.name
                );
            }
            let reserved = match arena.config.backing {
                Backing::Chunked => None,
                Backing::Reserved { reserve_bytes } => {
                    Chunk::reserve(arena.reservation_bytes(reserve_bytes), initial, 0)
                }
            };
            if reserved.is_none() {
                // No reservation (none asked for, or the system refused the address
                // space, under `RLIMIT_AS` say): the arena is chunked, and says so.
                arena.config.backing = Backing::Chunked;
            }
            let chunk = reserved.or_else(|| Chunk::allocate(initial, 0));
            let chunk = chunk.unwrap_or_else(|| {
                panic!(
                    "arena `{}`: the system refused the first {initial} bytes ({:?} backing)",
                    arena.name, arena.config.backing
                )
            });
            arena.committed.set(initial);
            arena.grow_count.set(1);
            arena.slow.get_mut().chunks.push(chunk);
            arena.chunk_count.set(1);
            arena.enter_chunk(0);
        }
        arena.begin_trim_window(0);
        arena.begin_cycle();
        arena
    }

    /// The name given at construction.
    ///
    /// ```
    /// assert_eq!(engine::Arena::new("level").name(), "level");
    /// ```
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Bytes in use, alignment padding included, like the C `arena_offset`. Chunks
    /// left partly empty when the arena grew do not count.
    ///
    /// ```
    /// let arena = engine::Arena::new("a");
    /// arena.alloc(1u8);
    /// arena.alloc(2u32); // 3 bytes of padding before it
    /// assert_eq!(arena.offset(), 8);
    /// ```
    #[inline]
    #[must_use]
    pub fn offset(&self) -> usize {
        self.chunk_base.get() + (self.ptr.get().addr() - self.chunk_start.get().addr())
    }

    /// A snapshot of the arena's memory; see [`ArenaStats`]. Never allocates.
    ///
    /// ```
    /// let arena = engine::Arena::new("a");
    /// arena.alloc_slice_fill_copy(100, 0u8);
    /// assert_eq!(arena.stats().used_bytes, 100);
    /// ```
    #[must_use]
    pub fn stats(&self) -> ArenaStats {
        let used_bytes = self.offset();
        let chunk_count = self.chunk_count.get();
        ArenaStats {
            name: Arc::clone(&self.name),
            used_bytes,
            committed_bytes: self.committed.get(),
            high_water_bytes: self
                .high_water
                .get()
                .max(self.peak_before_window)
                .max(used_bytes),
            allocation_count: self.allocation_count.get(),
            chunk_count,
            grow_count: self.grow_count.get(),
            reset_count: self.reset_count,
            trim_count: self.trim_count,
            trimmed_bytes: self.trimmed_bytes,
            limit_bytes: self.config.limit_bytes,
            budget_bytes: self.config.budget_bytes,
        }
    }

    /// The configuration the arena was built with.
    ///
    /// ```
    /// let arena = engine::Arena::with_limit("a", 1 << 20);
    /// assert_eq!(arena.config().limit_bytes, Some(1 << 20));
    /// ```
    #[must_use]
    pub fn config(&self) -> &ArenaConfig {
        &self.config
    }
}

/// Marks an arena as inside a slow path for as long as it lives.
///
/// A slow path borrows the arena's slow state and calls out to code the engine does
/// not control: the global allocator (for chunks and the chunk and block lists) and a
/// [`BlockObserver`]. Such code can reach the same arena through safe code (a
/// thread-local `&Arena`, say) and call it again. While the guard lives, every entry
/// that would touch the slow state refuses instead ([`Arena::enter_slow_path`]), and
/// the fast path is closed (`limit` is `ptr`) so that allocations come to that check.
/// Dropping the guard, on return or unwind, reopens the fast path.
pub(super) struct SlowPathGuard<'a> {
    arena: &'a Arena,
}

impl Drop for SlowPathGuard<'_> {
    fn drop(&mut self) {
        let arena = self.arena;
        arena.in_slow_path.set(false);
        // Outside a slow path, `limit` is the current chunk's end, or `ptr` in debug
        // mode so that every allocation is recorded.
        arena.limit.set(if arena.config.debug_blocks {
            arena.ptr.get()
        } else {
            arena.chunk_end.get()
        });
    }
}

impl Arena {
    /// Enters a slow path, or says that one is already running: the arena was
    /// called again from code its slow path called out to.
    pub(super) fn enter_slow_path(&self) -> Result<SlowPathGuard<'_>, AllocError> {
        if self.in_slow_path.replace(true) {
            return Err(AllocError::Reentered {
                arena: Arc::clone(&self.name),
            });
        }
        self.limit.set(self.ptr.get());
        Ok(SlowPathGuard { arena: self })
    }

    /// Panics with the [`AllocError::Reentered`] message if a slow path is running,
    /// for the `&self` calls that read the slow state.
    #[track_caller]
    pub(super) fn assert_not_in_slow_path(&self) {
        if self.in_slow_path.get() {
            alloc_failed(AllocError::Reentered {
                arena: Arc::clone(&self.name),
            });
        }
    }
}

impl Drop for Arena {
    /// An observer of debug-mode blocks must not keep blocks that no longer exist.
    fn drop(&mut self) {
        if self.config.debug_blocks {
            debug::blocks_discarded(&self.name);
        }
    }
}

impl fmt::Debug for Arena {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let stats = self.stats();
        f.debug_struct("Arena")
            .field("name", &stats.name)
            .field("used_bytes", &stats.used_bytes)
            .field("committed_bytes", &stats.committed_bytes)
            .field("chunk_count", &stats.chunk_count)
            .finish()
    }
}
