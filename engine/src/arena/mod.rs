//! The bump arena every other lifetime is built on.

mod allocator;
mod chunk;
mod error;
mod inspect;
mod options;
mod scope;
mod short_copy;
mod stats;

pub use error::{AllocError, StackError};
pub use options::{ArenaOptions, DEFAULT_FIRST_CHUNK_BYTES, Growth};
pub use scope::Scope;
pub use stats::ArenaStats;

use chunk::{CHUNK_ALIGN, Chunk};
use std::alloc::Layout;
use std::cell::{Cell, UnsafeCell};
use std::fmt;
use std::mem::{self, MaybeUninit};
use std::ptr::{self, NonNull};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// The byte written over freed memory by arenas in debug mode
/// ([`ArenaOptions::debug_blocks`]). A value read back as `0xDD...` is a
/// use-after-free in the caller's unsafe code.
pub const POISON_BYTE: u8 = 0xDD;

/// Alignment of [`Arena::push`]: one machine word.
pub const PUSH_ALIGN: usize = mem::align_of::<usize>();

static NEXT_ARENA_ID: AtomicU64 = AtomicU64::new(1);

/// A bump allocator: allocation moves a pointer forward, and memory is given back
/// all at once ([`reset`](Arena::reset)) or in stack order ([`rewind`](Arena::rewind),
/// [`pop`](Arena::pop), [`scope`](Arena::scope)).
///
/// # What it costs
/// An allocation that fits in the current chunk is a handful of instructions and
/// never touches the system allocator. A full arena takes a new chunk at least twice
/// as big as the last (unless it has a [fixed capacity](Arena::with_fixed_capacity)
/// or a [budget](Arena::with_budget)). [`reset`](Arena::reset) is O(1) in the number
/// of allocations: it keeps one chunk big enough for the high-water mark, so a
/// steady workload stops calling the system allocator after its first cycles.
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
/// `allocator_api2` collection (`Vec::new_in(&arena)`), which runs them itself.
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
// `limit`, `allocation_count`, then what `scope` reads) lead the struct. With the
// compiler's own order (they sat 48 bytes in) `alloc_slice_copy` measured ~0.25 ns
// slower per call. `align(64)` puts them at the start of one cache line wherever the
// arena is stored: without it the speed of a loop depended on the arena's address
// (slice fill 1.40 ns at some stack offsets and 1.65-1.67 ns at others; scope,
// slice copy and reset moved too), and arenas kept side by side for different threads
// could share a line. See engine/BENCHMARKS.md.
#[repr(C, align(64))]
pub struct Arena {
    /// Next free byte of the current chunk.
    ptr: Cell<*mut u8>,
    /// End of the fast path: the current chunk's end, or `ptr` itself in debug mode
    /// so that every allocation takes the recording slow path.
    limit: Cell<*mut u8>,
    allocation_count: Cell<u64>,
    chunk_start: Cell<*mut u8>,
    /// `chunk_start` while the arena is in its steady state, null otherwise. Steady
    /// means: not in debug mode (whose exits and resets must poison and drop block
    /// records), holding at most one chunk, and no chunk entered since the cycle
    /// began (at construction or the last reset; see `begin_cycle`). A steady
    /// [`reset`](Arena::reset) needs only this one field.
    steady_chunk: Cell<*mut u8>,
    /// Logical offset of `chunk_start`.
    chunk_base: Cell<usize>,
    high_water: Cell<usize>,
    /// While steady, the address `high_water` bytes into the chunk (at most its
    /// end); null otherwise. A [`scope`](Arena::scope) exit that finds `ptr` at or
    /// below it is steady and sets no new peak, so one compare decides its fast path.
    steady_peak: Cell<*mut u8>,
    chunk_end: Cell<*mut u8>,
    /// Index of the current chunk in `slow.chunks` (0 when there is none).
    chunk_index: Cell<usize>,
    committed: Cell<usize>,
    grow_count: Cell<u64>,
    reset_count: u64,
    slow: UnsafeCell<SlowState>,
    id: u64,
    name: Arc<str>,
    options: ArenaOptions,
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

/// Debug mode's record of one allocation.
#[derive(Debug, Clone, Copy)]
struct Block {
    /// Offset before the allocation's alignment padding.
    offset_before: usize,
    size: usize,
    /// How Tracy's per-allocation mode reported it.
    #[cfg(feature = "tracy")]
    tracy: crate::telemetry::tracy::BlockReport,
}

// SAFETY: the arena owns its chunks outright; the raw pointers in it point only into
// those chunks. Moving the arena to another thread needs ownership, so no reference
// into it can be left behind. `Arena` stays `!Sync` (its `Cell`s), so two threads never
// allocate at once.
unsafe impl Send for Arena {}

/// A position in an arena's stack of allocations, from [`Arena::mark`].
///
/// Rewinding to it frees everything allocated after it was taken. A mark is
/// refused (see [`StackError`]) if it belongs to another arena, was taken before the
/// last reset, or lies past what is in use because the arena was already rewound
/// below it.
///
/// ```
/// let mut arena = engine::Arena::new("a");
/// arena.alloc(1u64);
/// let mark = arena.mark();
/// assert_eq!(mark.offset(), 8);
/// arena.alloc_slice_fill_copy(100, 0u8);
/// arena.rewind(mark);
/// assert_eq!(arena.offset(), 8);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mark {
    arena_id: u64,
    resets: u64,
    offset: usize,
}

impl Mark {
    /// The arena's offset (bytes in use) when the mark was taken.
    ///
    /// ```
    /// let arena = engine::Arena::new("a");
    /// assert_eq!(arena.mark().offset(), 0);
    /// ```
    #[must_use]
    pub fn offset(&self) -> usize {
        self.offset
    }
}

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

// The writes shared by each allocating call and its `try_` twin, once they hold
// fresh memory.

/// Writes `make()` to `ptr` and returns it as a reference.
///
/// # Safety
/// `ptr` is fresh arena memory, aligned and big enough for a `T`, that nothing else
/// points to and that stays allocated for `'a`.
#[inline(always)]
unsafe fn init_with<'a, T>(ptr: NonNull<T>, make: impl FnOnce() -> T) -> &'a mut T {
    // SAFETY: the caller's guarantee.
    unsafe {
        ptr.as_ptr().write(make());
        &mut *ptr.as_ptr()
    }
}

/// Writes `fill(i)` to element `i` of the `len` at `ptr` and returns them as a slice.
///
/// # Safety
/// As for [`init_with`], for `len` values of `T`.
#[inline(always)]
unsafe fn fill_into<'a, T>(
    ptr: NonNull<T>,
    len: usize,
    mut fill: impl FnMut(usize) -> T,
) -> &'a mut [T] {
    for index in 0..len {
        // SAFETY: `index < len`, and the caller gives room for `len` values. `fill`
        // may allocate from the same arena: that memory is disjoint.
        unsafe { ptr.as_ptr().add(index).write(fill(index)) };
    }
    // SAFETY: all `len` elements were written above; the caller's guarantee covers
    // the rest.
    unsafe { std::slice::from_raw_parts_mut(ptr.as_ptr(), len) }
}

/// Copies `src` to `ptr` and returns the copy.
///
/// # Safety
/// As for [`init_with`], for `src.len()` values of `T`. The memory cannot overlap
/// `src`, which was allocated before it.
#[inline(always)]
unsafe fn copy_into<'a, T: Copy>(ptr: NonNull<T>, src: &[T]) -> &'a mut [T] {
    // SAFETY: the caller's guarantee, for the `size_of_val(src)` bytes of `src`'s
    // values; `T: Copy`, so a bitwise copy is a copy.
    unsafe {
        short_copy::copy_bytes(
            src.as_ptr().cast::<u8>(),
            ptr.as_ptr().cast::<u8>(),
            mem::size_of_val(src),
        );
        std::slice::from_raw_parts_mut(ptr.as_ptr(), src.len())
    }
}

/// Whether the compiler knows an allocation's alignment, which decides how
/// [`Arena::bump_fast`] computes the aligned start.
///
/// With a constant alignment, rounding up (`(ptr + align - 1) & !(align - 1)`) is
/// two instructions and the end one more. With a run-time one the compiler turns
/// that into a longer chain, while adding the padding (`ptr + (-ptr & (align - 1))`)
/// lets it add `size` to `ptr` alongside. Each choice measured the faster of the two
/// for its case (engine/BENCHMARKS.md, change 12).
#[derive(Clone, Copy)]
enum AlignIs {
    /// A type's alignment, a constant once inlined.
    Constant,
    /// Any other alignment, as in `alloc_layout`.
    RunTime,
}

/// Compile-time refusal of types whose destructor the arena would skip.
struct NoDrop<T>(std::marker::PhantomData<T>);
impl<T> NoDrop<T> {
    const CHECK: () = assert!(
        !mem::needs_drop::<T>(),
        "Arena refuses types that need Drop (their destructors would never run); use a LevelArena or an allocator_api2 collection"
    );
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
        Arena::with_options(name, ArenaOptions::default())
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
        Arena::with_options(
            name,
            ArenaOptions {
                initial_capacity: bytes,
                ..ArenaOptions::default()
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
        Arena::with_options(
            name,
            ArenaOptions {
                initial_capacity: bytes,
                growth: Growth::Fixed,
                ..ArenaOptions::default()
            },
        )
    }

    /// A growing arena that never holds more than `budget_bytes` from the system;
    /// growth past it fails with [`AllocError::BudgetExceeded`].
    ///
    /// ```
    /// let arena = engine::Arena::with_budget("budgeted", 8192);
    /// assert!(arena.try_alloc_slice_fill_copy(6000, 0u8).is_ok());
    /// let err = arena.try_alloc_slice_fill_copy(6000, 0u8).unwrap_err();
    /// assert!(matches!(err, engine::AllocError::BudgetExceeded { budget: 8192, .. }));
    /// ```
    #[must_use]
    pub fn with_budget(name: impl Into<Arc<str>>, budget_bytes: usize) -> Arena {
        Arena::with_options(
            name,
            ArenaOptions {
                budget_bytes: Some(budget_bytes),
                ..ArenaOptions::default()
            },
        )
    }

    /// An arena with every option spelled out; see [`ArenaOptions`].
    ///
    /// # Panics
    /// If `options.initial_capacity` is not zero and the system allocator refuses it,
    /// or it is larger than `options.budget_bytes`.
    ///
    /// ```
    /// use engine::{Arena, ArenaOptions};
    /// let arena = Arena::with_options("dbg", ArenaOptions { debug_blocks: true, ..Default::default() });
    /// arena.push(24);
    /// ```
    #[must_use]
    pub fn with_options(name: impl Into<Arc<str>>, options: ArenaOptions) -> Arena {
        let dangling = ptr::dangling_mut::<u8>();
        let mut arena = Arena {
            ptr: Cell::new(dangling),
            limit: Cell::new(dangling),
            allocation_count: Cell::new(0),
            chunk_start: Cell::new(dangling),
            steady_chunk: Cell::new(ptr::null_mut()),
            chunk_end: Cell::new(dangling),
            chunk_base: Cell::new(0),
            chunk_index: Cell::new(0),
            high_water: Cell::new(0),
            steady_peak: Cell::new(ptr::null_mut()),
            committed: Cell::new(0),
            grow_count: Cell::new(0),
            reset_count: 0,
            slow: UnsafeCell::new(SlowState::default()),
            id: NEXT_ARENA_ID.fetch_add(1, Ordering::Relaxed),
            name: name.into(),
            options,
        };
        let initial = arena.options.initial_capacity;
        if initial > 0 {
            if let Some(budget) = arena.options.budget_bytes {
                assert!(
                    initial <= budget,
                    "arena `{}`: initial capacity {initial} exceeds the budget of {budget} bytes",
                    arena.name
                );
            }
            let chunk = Chunk::allocate(initial, 0).unwrap_or_else(|| {
                panic!(
                    "arena `{}`: the system allocator refused the first chunk of {initial} bytes",
                    arena.name
                )
            });
            arena.committed.set(initial);
            arena.grow_count.set(1);
            arena.slow.get_mut().chunks.push(chunk);
            arena.enter_chunk(0);
        }
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
        // SAFETY: only reads the chunk count; no other borrow of the slow state is
        // alive while `&self` methods run to completion.
        let chunk_count = unsafe { &*self.slow.get() }.chunks.len();
        ArenaStats {
            name: Arc::clone(&self.name),
            used_bytes,
            committed_bytes: self.committed.get(),
            high_water_bytes: self.high_water.get().max(used_bytes),
            allocation_count: self.allocation_count.get(),
            chunk_count,
            grow_count: self.grow_count.get(),
            reset_count: self.reset_count,
            budget_bytes: self.options.budget_bytes,
        }
    }

    /// The options the arena was built with.
    ///
    /// ```
    /// let arena = engine::Arena::with_budget("a", 1 << 20);
    /// assert_eq!(arena.options().budget_bytes, Some(1 << 20));
    /// ```
    #[must_use]
    pub fn options(&self) -> &ArenaOptions {
        &self.options
    }

    // ---- allocation: the fast path -------------------------------------------------

    /// The allocation fast path: bumps `ptr` by `size` bytes aligned to `align` if they
    /// end at or below `limit`.
    ///
    /// The caller guarantees `align` is a power of two and `size + align - 1` at most
    /// `isize::MAX`, which holds for any valid `Layout`. On 64-bit targets `ptr` is
    /// at most `isize::MAX` too: it is the dangling 1 or lies in a chunk, and
    /// [`Chunk::allocate`] refuses memory that ends above `isize::MAX`. So the end
    /// of the allocation cannot wrap, and `end <= limit` alone decides, where
    /// [`bump_below`](Arena::bump_below) must compare the room left (`limit - ptr`)
    /// with what it needs. Other targets keep `bump_below`: 32-bit Linux, for one,
    /// maps user memory above `isize::MAX`.
    ///
    /// `align_is` picks how the start is computed. Both give the same address; they
    /// differ in what the compiler makes of them (engine/BENCHMARKS.md, change 12).
    #[inline(always)]
    fn bump_fast(&self, size: usize, align: usize, align_is: AlignIs) -> Option<NonNull<u8>> {
        #[cfg(target_pointer_width = "64")]
        {
            let ptr = self.ptr.get();
            let start = match align_is {
                AlignIs::Constant => (ptr.addr() + (align - 1)) & !(align - 1),
                AlignIs::RunTime => ptr.addr() + Chunk::padding_for(ptr.addr(), align),
            };
            let end = start + size;
            if end > self.limit.get().addr() {
                return None;
            }
            self.ptr.set(ptr.with_addr(end));
            self.allocation_count.set(self.allocation_count.get() + 1);
            // SAFETY: `start >= ptr` (nothing wraps, see above), and `ptr` is never
            // null (it starts dangling at 1 and otherwise points into a chunk).
            Some(unsafe { NonNull::new_unchecked(ptr.with_addr(start)) })
        }
        #[cfg(not(target_pointer_width = "64"))]
        {
            let _ = align_is;
            self.bump_below(self.limit.get(), size, align)
        }
    }

    /// Bumps `ptr` by `size` bytes aligned to `align` if that fits below `limit`, at
    /// any address. The slow paths use it, and targets other than 64-bit ones use it
    /// as the fast path too.
    ///
    /// The caller guarantees `align` is a power of two, `size` at most
    /// `isize::MAX - (align - 1)` (any valid `Layout`) and `ptr <= limit`, so nothing
    /// overflows.
    #[inline(always)]
    fn bump_below(&self, limit: *mut u8, size: usize, align: usize) -> Option<NonNull<u8>> {
        let ptr = self.ptr.get();
        let padding = Chunk::padding_for(ptr.addr(), align);
        let available = limit.addr() - ptr.addr();
        let needed = padding + size;
        if needed > available {
            return None;
        }
        let start = ptr.wrapping_add(padding);
        self.ptr.set(ptr.wrapping_add(needed));
        self.allocation_count.set(self.allocation_count.get() + 1);
        // SAFETY: `start >= ptr`, and `ptr` is never null (it starts dangling at 1
        // and otherwise points into a chunk).
        Some(unsafe { NonNull::new_unchecked(start) })
    }

    /// Allocates memory for `layout`; the bytes are uninitialized.
    ///
    /// This is the call for layouts only known at run time. The pointer is valid for
    /// `layout.size()` bytes until the arena is reset, rewound or popped below it.
    ///
    /// # Panics
    /// If the arena cannot hold the request (see [`try_alloc_layout`](Arena::try_alloc_layout)).
    ///
    /// ```
    /// use std::alloc::Layout;
    /// let arena = engine::Arena::new("raw");
    /// let p = arena.alloc_layout(Layout::from_size_align(48, 16).unwrap());
    /// assert_eq!(p.as_ptr() as usize % 16, 0);
    /// ```
    #[inline(always)]
    #[track_caller]
    pub fn alloc_layout(&self, layout: Layout) -> NonNull<u8> {
        self.alloc_layout_where(layout, AlignIs::RunTime)
    }

    /// Fallible [`alloc_layout`](Arena::alloc_layout).
    ///
    /// # Errors
    /// [`AllocError::CapacityExceeded`], [`AllocError::BudgetExceeded`] or
    /// [`AllocError::OutOfMemory`] when no chunk can hold the request; the arena is
    /// unchanged.
    ///
    /// ```
    /// use std::alloc::Layout;
    /// let arena = engine::Arena::with_fixed_capacity("raw", 64);
    /// assert!(arena.try_alloc_layout(Layout::from_size_align(128, 8).unwrap()).is_err());
    /// assert_eq!(arena.offset(), 0);
    /// ```
    #[inline(always)]
    pub fn try_alloc_layout(&self, layout: Layout) -> Result<NonNull<u8>, AllocError> {
        self.try_alloc_layout_where(layout, AlignIs::RunTime)
    }

    /// [`alloc_layout`](Arena::alloc_layout), for a caller that can say whether the
    /// compiler knows `layout`'s alignment (a type's).
    #[inline(always)]
    #[track_caller]
    fn alloc_layout_where(&self, layout: Layout, align_is: AlignIs) -> NonNull<u8> {
        match self.bump_fast(layout.size(), layout.align(), align_is) {
            Some(ptr) => ptr,
            None => self.alloc_slow_or_panic(layout),
        }
    }

    /// [`try_alloc_layout`](Arena::try_alloc_layout), as
    /// [`alloc_layout_where`](Arena::alloc_layout_where).
    #[inline(always)]
    fn try_alloc_layout_where(
        &self,
        layout: Layout,
        align_is: AlignIs,
    ) -> Result<NonNull<u8>, AllocError> {
        match self.bump_fast(layout.size(), layout.align(), align_is) {
            Some(ptr) => Ok(ptr),
            None => self.alloc_slow(layout),
        }
    }

    // ---- allocation: the slow path -------------------------------------------------

    /// The slow path of the panicking calls. It returns a bare pointer, not a
    /// `Result`, on purpose: an `AllocError` is too big for registers, so a `Result`
    /// comes back through a stack slot that every function inlining the fast path
    /// must reserve. That slot added about 100 bytes to each such frame, and shifted
    /// the caller's own stack stores so that, with the stack 16 bytes off a 32-byte
    /// boundary, a 16-byte slice reference it stored straddled one: a tight fill loop
    /// then took 1.44 ns per slice instead of 1.29 (engine/BENCHMARKS.md, "The stack
    /// frame").
    #[cold]
    #[inline(never)]
    #[track_caller]
    fn alloc_slow_or_panic(&self, layout: Layout) -> NonNull<u8> {
        match self.alloc_slow(layout) {
            Ok(ptr) => ptr,
            Err(error) => alloc_failed(error),
        }
    }

    #[cold]
    #[inline(never)]
    fn alloc_slow(&self, layout: Layout) -> Result<NonNull<u8>, AllocError> {
        let (size, align) = (layout.size(), layout.align());
        let offset_before = self.offset();
        // Debug mode sends everything here: the current chunk may still have room.
        if let Some(ptr) = self.bump_below(self.chunk_end.get(), size, align) {
            self.after_slow_alloc(offset_before, size);
            return Ok(ptr);
        }
        if size == 0 {
            // Nothing to store, and no room for the padding: any aligned non-null
            // pointer will do.
            self.allocation_count.set(self.allocation_count.get() + 1);
            return Ok(NonNull::new(ptr::without_provenance_mut(align)).expect("align is non-zero"));
        }
        // SAFETY: no other borrow of the slow state is alive: this function calls no
        // user code and no other method that touches it.
        let slow = unsafe { &mut *self.slow.get() };
        let next = if slow.chunks.is_empty() {
            0
        } else {
            self.chunk_index.get() + 1
        };
        let spare_fits = slow
            .chunks
            .get(next)
            .is_some_and(|spare| spare.fits_when_empty(size, align));
        if spare_fits {
            slow.chunks[next].base_offset = offset_before;
        } else {
            let spare_bytes: usize = slow.chunks[next.min(slow.chunks.len())..]
                .iter()
                .map(Chunk::capacity)
                .sum();
            let kept_committed = self.committed.get() - spare_bytes;
            let last_capacity = slow.chunks[..next].last().map_or(0, Chunk::capacity);
            let capacity = self.next_chunk_capacity(size, align, kept_committed, last_capacity)?;
            let chunk = Chunk::allocate(capacity, offset_before).ok_or_else(|| {
                AllocError::OutOfMemory {
                    arena: Arc::clone(&self.name),
                    requested: size,
                    chunk_bytes: capacity,
                }
            })?;
            slow.chunks.truncate(next);
            slow.chunks.push(chunk);
            self.committed.set(kept_committed + capacity);
            self.grow_count.set(self.grow_count.get() + 1);
        }
        self.enter_chunk(next);
        let ptr = self
            .bump_below(self.chunk_end.get(), size, align)
            .expect("invariant: a fresh chunk holds the request it was chosen for");
        // Any padding at the start of the new chunk belongs to this allocation.
        self.after_slow_alloc(offset_before, size);
        Ok(ptr)
    }

    /// Debug-mode bookkeeping after an allocation took the slow path.
    fn after_slow_alloc(&self, offset_before: usize, size: usize) {
        if self.options.debug_blocks {
            // Zero-sized allocations are not blocks (most never reach this slow path),
            // so `pop(0)` frees nothing, as in a normal arena.
            if size > 0 {
                #[cfg(feature = "tracy")]
                let tracy = crate::telemetry::tracy::block_allocated(
                    &self.name,
                    self.ptr.get().addr() - size,
                    size,
                );
                // SAFETY: no other borrow of the slow state is alive (callers hold none).
                let slow = unsafe { &mut *self.slow.get() };
                slow.blocks.push(Block {
                    offset_before,
                    size,
                    #[cfg(feature = "tracy")]
                    tracy,
                });
            }
            self.limit.set(self.ptr.get());
        }
    }

    /// Size of the next chunk for a request that did not fit.
    fn next_chunk_capacity(
        &self,
        size: usize,
        align: usize,
        kept_committed: usize,
        last_capacity: usize,
    ) -> Result<usize, AllocError> {
        // Chunks start aligned to CHUNK_ALIGN; bigger alignments may need padding.
        let needed = size + align.saturating_sub(CHUNK_ALIGN);
        if self.options.growth == Growth::Fixed {
            return Err(AllocError::CapacityExceeded {
                arena: Arc::clone(&self.name),
                requested: size,
                align,
                used: self.offset(),
                capacity: self.committed.get(),
            });
        }
        let first = if self.options.initial_capacity > 0 {
            self.options.initial_capacity
        } else {
            DEFAULT_FIRST_CHUNK_BYTES
        };
        let geometric = last_capacity.saturating_mul(2).max(first);
        let mut capacity = geometric.max(needed.checked_next_power_of_two().unwrap_or(needed));
        if let Some(budget) = self.options.budget_bytes {
            let room = budget.saturating_sub(kept_committed);
            if needed > room {
                return Err(AllocError::BudgetExceeded {
                    arena: Arc::clone(&self.name),
                    requested: size,
                    committed: self.committed.get(),
                    budget,
                });
            }
            capacity = capacity.min(room);
        }
        Ok(capacity)
    }

    /// Makes chunk `index` current, with nothing allocated in it yet. This ends the
    /// steady state until the next reset: a scope entered before it may have begun
    /// in another chunk, or in none.
    fn enter_chunk(&self, index: usize) {
        // SAFETY: no other borrow of the slow state is alive (callers hold none).
        let slow = unsafe { &*self.slow.get() };
        let chunk = &slow.chunks[index];
        self.chunk_index.set(index);
        self.chunk_start.set(chunk.start());
        self.steady_chunk.set(ptr::null_mut());
        self.steady_peak.set(ptr::null_mut());
        self.chunk_end.set(chunk.end());
        self.chunk_base.set(chunk.base_offset);
        self.ptr.set(chunk.start());
        self.limit.set(if self.options.debug_blocks {
            chunk.start()
        } else {
            chunk.end()
        });
    }

    /// Starts a cycle (at construction and at the end of every reset outside the
    /// steady state): the arena becomes steady if it is not in debug mode and holds
    /// at most one chunk, which is then current with nothing entered since.
    fn begin_cycle(&self) {
        // SAFETY: no other borrow of the slow state is alive (callers hold none).
        let chunk_count = unsafe { &*self.slow.get() }.chunks.len();
        if self.options.debug_blocks || chunk_count > 1 {
            return;
        }
        self.steady_chunk.set(self.chunk_start.get());
        self.steady_peak
            .set(self.peak_address(self.high_water.get()));
    }

    /// The address `high_water` bytes into the current chunk, or its end if that is
    /// nearer: `ptr` never passes the end, so comparing with either says the same.
    fn peak_address(&self, high_water: usize) -> *mut u8 {
        let start = self.chunk_start.get();
        let capacity = self.chunk_end.get().addr() - start.addr();
        start.wrapping_add(high_water.min(capacity))
    }

    /// Records `used` bytes as the high-water mark if it is a new peak. Written only
    /// when it rises: a steady loop rarely sets one.
    #[inline]
    fn raise_high_water(&self, used: usize) {
        if used > self.high_water.get() {
            self.high_water.set(used);
            if !self.steady_peak.get().is_null() {
                self.steady_peak.set(self.peak_address(used));
            }
        }
    }

    // ---- typed allocation ------------------------------------------------------------

    /// Moves `value` into the arena and returns a reference to it, valid until the
    /// arena is reset (or rewound below it).
    ///
    /// Types that need `Drop` are refused at compile time; see the type docs.
    ///
    /// # Panics
    /// If the arena cannot grow (fixed capacity, budget, or out of memory).
    ///
    /// ```
    /// let arena = engine::Arena::new("a");
    /// let x = arena.alloc([1.0f32, 2.0, 3.0]);
    /// x[0] = 5.0;
    /// assert_eq!(*x, [5.0, 2.0, 3.0]);
    /// ```
    #[inline(always)]
    #[track_caller]
    #[allow(clippy::mut_from_ref)] // each call hands out fresh, disjoint memory
    pub fn alloc<T>(&self, value: T) -> &mut T {
        self.alloc_with(|| value)
    }

    /// Fallible [`alloc`](Arena::alloc).
    ///
    /// # Errors
    /// When the arena cannot hold a `T`; the arena is unchanged and `value` is
    /// dropped.
    ///
    /// ```
    /// let arena = engine::Arena::with_fixed_capacity("a", 8);
    /// assert!(arena.try_alloc(1u64).is_ok());
    /// assert!(arena.try_alloc(2u64).is_err());
    /// ```
    #[inline(always)]
    #[allow(clippy::mut_from_ref)] // each call hands out fresh, disjoint memory
    pub fn try_alloc<T>(&self, value: T) -> Result<&mut T, AllocError> {
        self.try_alloc_with(|| value)
    }

    /// Allocates a `T` and builds it in place with `make`, which avoids a copy of
    /// large values.
    ///
    /// # Panics
    /// If the arena cannot grow, or if `make` panics (the memory then stays
    /// allocated, uninitialized and unreachable, until the next reset).
    ///
    /// ```
    /// let arena = engine::Arena::new("a");
    /// let big = arena.alloc_with(|| [7u8; 4096]);
    /// assert_eq!(big[4095], 7);
    /// ```
    #[inline(always)]
    #[track_caller]
    #[allow(clippy::mut_from_ref)] // each call hands out fresh, disjoint memory
    pub fn alloc_with<T>(&self, make: impl FnOnce() -> T) -> &mut T {
        const { NoDrop::<T>::CHECK };
        let ptr = self
            .alloc_layout_where(Layout::new::<T>(), AlignIs::Constant)
            .cast::<T>();
        // SAFETY: fresh memory for one `T`, borrowed for the lifetime of `&self`.
        unsafe { init_with(ptr, make) }
    }

    /// Fallible [`alloc_with`](Arena::alloc_with); `make` is not called on failure.
    ///
    /// # Errors
    /// When the arena cannot hold a `T`; the arena is unchanged.
    ///
    /// ```
    /// let arena = engine::Arena::with_fixed_capacity("a", 4);
    /// assert!(arena.try_alloc_with(|| 0u64).is_err());
    /// ```
    #[inline(always)]
    #[allow(clippy::mut_from_ref)] // each call hands out fresh, disjoint memory
    pub fn try_alloc_with<T>(&self, make: impl FnOnce() -> T) -> Result<&mut T, AllocError> {
        const { NoDrop::<T>::CHECK };
        let ptr = self
            .try_alloc_layout_where(Layout::new::<T>(), AlignIs::Constant)?
            .cast::<T>();
        // SAFETY: fresh memory for one `T`, borrowed for the lifetime of `&self`.
        Ok(unsafe { init_with(ptr, make) })
    }

    /// Copies `src` into the arena.
    ///
    /// Costs one bump and the copy: up to 64 bytes are moved in line, longer
    /// slices by `memcpy`.
    ///
    /// # Panics
    /// If the arena cannot grow.
    ///
    /// ```
    /// let arena = engine::Arena::new("a");
    /// let xs = arena.alloc_slice_copy(&[1u32, 2, 3]);
    /// xs[1] = 20;
    /// assert_eq!(xs, &[1, 20, 3]);
    /// ```
    #[inline(always)]
    #[track_caller]
    #[allow(clippy::mut_from_ref)] // each call hands out fresh, disjoint memory
    pub fn alloc_slice_copy<T: Copy>(&self, src: &[T]) -> &mut [T] {
        let ptr = self
            .alloc_layout_where(Layout::for_value(src), AlignIs::Constant)
            .cast::<T>();
        // SAFETY: fresh memory for `src.len()` values of `T`, borrowed for the
        // lifetime of `&self`.
        unsafe { copy_into(ptr, src) }
    }

    /// Fallible [`alloc_slice_copy`](Arena::alloc_slice_copy).
    ///
    /// # Errors
    /// When the arena cannot hold the copy; the arena is unchanged.
    ///
    /// ```
    /// let arena = engine::Arena::with_fixed_capacity("a", 4);
    /// assert!(arena.try_alloc_slice_copy(&[1u32, 2]).is_err());
    /// ```
    #[inline(always)]
    #[allow(clippy::mut_from_ref)] // each call hands out fresh, disjoint memory
    pub fn try_alloc_slice_copy<T: Copy>(&self, src: &[T]) -> Result<&mut [T], AllocError> {
        let ptr = self
            .try_alloc_layout_where(Layout::for_value(src), AlignIs::Constant)?
            .cast::<T>();
        // SAFETY: fresh memory for `src.len()` values of `T`, borrowed for the
        // lifetime of `&self`.
        Ok(unsafe { copy_into(ptr, src) })
    }

    /// Clones each element of `src` into the arena.
    ///
    /// # Panics
    /// If the arena cannot grow.
    ///
    /// ```
    /// #[derive(Clone)]
    /// struct Tile { id: u16 }
    /// let arena = engine::Arena::new("a");
    /// let tiles = arena.alloc_slice_clone(&[Tile { id: 1 }, Tile { id: 2 }]);
    /// assert_eq!(tiles[1].id, 2);
    /// ```
    #[inline]
    #[track_caller]
    #[allow(clippy::mut_from_ref)] // each call hands out fresh, disjoint memory
    pub fn alloc_slice_clone<T: Clone>(&self, src: &[T]) -> &mut [T] {
        self.alloc_slice_fill_with(src.len(), |i| src[i].clone())
    }

    /// Fallible [`alloc_slice_clone`](Arena::alloc_slice_clone).
    ///
    /// # Errors
    /// When the arena cannot hold the clones; the arena is unchanged.
    ///
    /// ```
    /// let arena = engine::Arena::with_fixed_capacity("a", 1);
    /// assert!(arena.try_alloc_slice_clone(&[1u16, 2]).is_err());
    /// ```
    #[inline]
    #[allow(clippy::mut_from_ref)] // each call hands out fresh, disjoint memory
    pub fn try_alloc_slice_clone<T: Clone>(&self, src: &[T]) -> Result<&mut [T], AllocError> {
        self.try_alloc_slice_fill_with(src.len(), |i| src[i].clone())
    }

    /// A slice of `len` copies of `value`.
    ///
    /// # Panics
    /// If the size overflows or the arena cannot grow.
    ///
    /// ```
    /// let arena = engine::Arena::new("a");
    /// assert_eq!(arena.alloc_slice_fill_copy(3, 9u8), &[9, 9, 9]);
    /// ```
    #[inline(always)]
    #[track_caller]
    #[allow(clippy::mut_from_ref)] // each call hands out fresh, disjoint memory
    pub fn alloc_slice_fill_copy<T: Copy>(&self, len: usize, value: T) -> &mut [T] {
        self.alloc_slice_fill_with(len, |_| value)
    }

    /// Fallible [`alloc_slice_fill_copy`](Arena::alloc_slice_fill_copy).
    ///
    /// # Errors
    /// [`AllocError::SizeOverflow`] if `len` values do not fit in the address space,
    /// or when the arena cannot hold them; the arena is unchanged.
    ///
    /// ```
    /// let arena = engine::Arena::new("a");
    /// assert!(arena.try_alloc_slice_fill_copy(1 << 40, 0u8).is_err()); // 1 TiB
    /// assert!(matches!(
    ///     arena.try_alloc_slice_fill_copy(usize::MAX, 0u32),
    ///     Err(engine::AllocError::SizeOverflow { .. })
    /// ));
    /// ```
    #[inline(always)]
    #[allow(clippy::mut_from_ref)] // each call hands out fresh, disjoint memory
    pub fn try_alloc_slice_fill_copy<T: Copy>(
        &self,
        len: usize,
        value: T,
    ) -> Result<&mut [T], AllocError> {
        self.try_alloc_slice_fill_with(len, |_| value)
    }

    /// A slice of `len` elements, element `i` being `fill(i)`.
    ///
    /// # Panics
    /// If the size overflows or the arena cannot grow. If `fill` panics, the memory
    /// stays allocated until the next reset.
    ///
    /// ```
    /// let arena = engine::Arena::new("a");
    /// let squares = arena.alloc_slice_fill_with(4, |i| (i * i) as u32);
    /// assert_eq!(squares, &[0, 1, 4, 9]);
    /// ```
    #[inline(always)]
    #[track_caller]
    #[allow(clippy::mut_from_ref)] // each call hands out fresh, disjoint memory
    pub fn alloc_slice_fill_with<T>(&self, len: usize, fill: impl FnMut(usize) -> T) -> &mut [T] {
        const { NoDrop::<T>::CHECK };
        let Ok(layout) = Layout::array::<T>(len) else {
            self.size_overflow_failed(len, mem::size_of::<T>())
        };
        let ptr = self
            .alloc_layout_where(layout, AlignIs::Constant)
            .cast::<T>();
        // SAFETY: fresh memory for `len` values of `T`, borrowed for the lifetime of
        // `&self`.
        unsafe { fill_into(ptr, len, fill) }
    }

    /// Fallible [`alloc_slice_fill_with`](Arena::alloc_slice_fill_with); `fill` is not
    /// called on failure.
    ///
    /// # Errors
    /// [`AllocError::SizeOverflow`] or a failure to grow; the arena is unchanged.
    ///
    /// ```
    /// let arena = engine::Arena::with_fixed_capacity("a", 16);
    /// assert!(arena.try_alloc_slice_fill_with(100, |i| i as u8).is_err());
    /// ```
    #[inline(always)]
    #[allow(clippy::mut_from_ref)] // each call hands out fresh, disjoint memory
    pub fn try_alloc_slice_fill_with<T>(
        &self,
        len: usize,
        fill: impl FnMut(usize) -> T,
    ) -> Result<&mut [T], AllocError> {
        const { NoDrop::<T>::CHECK };
        let layout =
            Layout::array::<T>(len).map_err(|_| self.size_overflow(len, mem::size_of::<T>()))?;
        let ptr = self
            .try_alloc_layout_where(layout, AlignIs::Constant)?
            .cast::<T>();
        // SAFETY: fresh memory for `len` values of `T`, borrowed for the lifetime of
        // `&self`.
        Ok(unsafe { fill_into(ptr, len, fill) })
    }

    /// A slice holding the items of an iterator that knows its length.
    ///
    /// # Panics
    /// If the arena cannot grow, or if the iterator yields fewer items than its
    /// `len()` promised (a broken `ExactSizeIterator`).
    ///
    /// ```
    /// let arena = engine::Arena::new("a");
    /// let evens = arena.alloc_slice_fill_iter((0..5u32).map(|i| i * 2));
    /// assert_eq!(evens, &[0, 2, 4, 6, 8]);
    /// ```
    #[inline]
    #[track_caller]
    #[allow(clippy::mut_from_ref)] // each call hands out fresh, disjoint memory
    pub fn alloc_slice_fill_iter<T, I>(&self, items: I) -> &mut [T]
    where
        I: IntoIterator<Item = T>,
        I::IntoIter: ExactSizeIterator,
    {
        let mut iter = items.into_iter();
        let len = iter.len();
        self.alloc_slice_fill_with(len, |_| {
            iter.next()
                .expect("ExactSizeIterator yielded fewer items than its len()")
        })
    }

    /// Fallible [`alloc_slice_fill_iter`](Arena::alloc_slice_fill_iter).
    ///
    /// # Errors
    /// [`AllocError::SizeOverflow`] or a failure to grow; the arena is unchanged.
    ///
    /// # Panics
    /// If the iterator yields fewer items than its `len()` promised.
    ///
    /// ```
    /// let arena = engine::Arena::with_fixed_capacity("a", 4);
    /// assert!(arena.try_alloc_slice_fill_iter(0..10u32).is_err());
    /// ```
    #[inline]
    #[allow(clippy::mut_from_ref)] // each call hands out fresh, disjoint memory
    pub fn try_alloc_slice_fill_iter<T, I>(&self, items: I) -> Result<&mut [T], AllocError>
    where
        I: IntoIterator<Item = T>,
        I::IntoIter: ExactSizeIterator,
    {
        let mut iter = items.into_iter();
        let len = iter.len();
        self.try_alloc_slice_fill_with(len, |_| {
            iter.next()
                .expect("ExactSizeIterator yielded fewer items than its len()")
        })
    }

    /// Copies a string into the arena.
    ///
    /// # Panics
    /// If the arena cannot grow.
    ///
    /// ```
    /// let arena = engine::Arena::new("a");
    /// let name = arena.alloc_str("player-1");
    /// assert_eq!(name, "player-1");
    /// ```
    #[inline]
    #[track_caller]
    #[allow(clippy::mut_from_ref)] // each call hands out fresh, disjoint memory
    pub fn alloc_str(&self, src: &str) -> &mut str {
        let bytes = self.alloc_slice_copy(src.as_bytes());
        // SAFETY: the bytes were copied from a `str`, so they are valid UTF-8.
        unsafe { std::str::from_utf8_unchecked_mut(bytes) }
    }

    /// Fallible [`alloc_str`](Arena::alloc_str).
    ///
    /// # Errors
    /// When the arena cannot hold the string; the arena is unchanged.
    ///
    /// ```
    /// let arena = engine::Arena::with_fixed_capacity("a", 2);
    /// assert!(arena.try_alloc_str("too long").is_err());
    /// ```
    #[inline]
    #[allow(clippy::mut_from_ref)] // each call hands out fresh, disjoint memory
    pub fn try_alloc_str(&self, src: &str) -> Result<&mut str, AllocError> {
        let bytes = self.try_alloc_slice_copy(src.as_bytes())?;
        // SAFETY: the bytes were copied from a `str`, so they are valid UTF-8.
        Ok(unsafe { std::str::from_utf8_unchecked_mut(bytes) })
    }

    fn size_overflow(&self, count: usize, element_size: usize) -> AllocError {
        AllocError::SizeOverflow {
            arena: Arc::clone(&self.name),
            count,
            element_size,
        }
    }

    /// Out of line, like [`alloc_slow_or_panic`](Arena::alloc_slow_or_panic), so the
    /// error is never built in the caller's frame.
    #[cold]
    #[inline(never)]
    #[track_caller]
    fn size_overflow_failed(&self, count: usize, element_size: usize) -> ! {
        alloc_failed(self.size_overflow(count, element_size))
    }

    fn invalid_layout(&self, size: usize, align: usize) -> AllocError {
        AllocError::InvalidLayout {
            arena: Arc::clone(&self.name),
            size,
            align,
        }
    }

    #[cold]
    #[inline(never)]
    #[track_caller]
    fn invalid_layout_failed(&self, size: usize, align: usize) -> ! {
        alloc_failed(self.invalid_layout(size, align))
    }

    // ---- raw stack: push / pop / mark / rewind ---------------------------------------

    /// Pushes `size` raw bytes aligned to [`PUSH_ALIGN`] (one word), like the C
    /// `arena_push`. The bytes are uninitialized; [`pop`](Arena::pop) gives them back.
    ///
    /// # Panics
    /// If the arena cannot grow.
    ///
    /// ```
    /// let mut arena = engine::Arena::new("stack");
    /// let bytes = arena.push(256);
    /// assert_eq!(bytes.len(), 256);
    /// assert_eq!(bytes.as_ptr() as usize % engine::PUSH_ALIGN, 0);
    /// arena.pop(256);
    /// assert_eq!(arena.offset(), 0);
    /// ```
    #[inline]
    #[track_caller]
    #[allow(clippy::mut_from_ref)] // each call hands out fresh, disjoint memory
    pub fn push(&self, size: usize) -> &mut [MaybeUninit<u8>] {
        self.push_aligned(size, PUSH_ALIGN)
    }

    /// Fallible [`push`](Arena::push).
    ///
    /// # Errors
    /// [`AllocError::InvalidLayout`] for a size above `isize::MAX`, or a failure to
    /// grow; the arena is unchanged.
    ///
    /// ```
    /// let arena = engine::Arena::with_fixed_capacity("stack", 64);
    /// assert!(arena.try_push(65).is_err());
    /// ```
    #[inline]
    #[allow(clippy::mut_from_ref)] // each call hands out fresh, disjoint memory
    pub fn try_push(&self, size: usize) -> Result<&mut [MaybeUninit<u8>], AllocError> {
        self.try_push_aligned(size, PUSH_ALIGN)
    }

    /// Pushes `size` raw bytes aligned to `align`.
    ///
    /// # Panics
    /// If `align` is not a power of two, or the arena cannot grow.
    ///
    /// ```
    /// let arena = engine::Arena::new("stack");
    /// let page = arena.push_aligned(4096, 4096);
    /// assert_eq!(page.as_ptr() as usize % 4096, 0);
    /// ```
    #[inline]
    #[track_caller]
    #[allow(clippy::mut_from_ref)] // each call hands out fresh, disjoint memory
    pub fn push_aligned(&self, size: usize, align: usize) -> &mut [MaybeUninit<u8>] {
        let Ok(layout) = Layout::from_size_align(size, align) else {
            self.invalid_layout_failed(size, align)
        };
        let ptr = self.alloc_layout(layout);
        // SAFETY: `size` fresh bytes borrowed for the lifetime of `&self`;
        // `MaybeUninit<u8>` has no validity requirement.
        unsafe { std::slice::from_raw_parts_mut(ptr.as_ptr().cast(), size) }
    }

    /// Fallible [`push_aligned`](Arena::push_aligned).
    ///
    /// # Errors
    /// [`AllocError::InvalidLayout`] if `align` is not a power of two or the size is
    /// too large, or a failure to grow; the arena is unchanged.
    ///
    /// ```
    /// let arena = engine::Arena::new("stack");
    /// assert!(matches!(arena.try_push_aligned(8, 3), Err(engine::AllocError::InvalidLayout { align: 3, .. })));
    /// ```
    #[inline]
    #[allow(clippy::mut_from_ref)] // each call hands out fresh, disjoint memory
    pub fn try_push_aligned(
        &self,
        size: usize,
        align: usize,
    ) -> Result<&mut [MaybeUninit<u8>], AllocError> {
        let layout =
            Layout::from_size_align(size, align).map_err(|_| self.invalid_layout(size, align))?;
        let ptr = self.try_alloc_layout(layout)?;
        // SAFETY: `size` fresh bytes borrowed for the lifetime of `&self`;
        // `MaybeUninit<u8>` has no validity requirement.
        Ok(unsafe { std::slice::from_raw_parts_mut(ptr.as_ptr().cast(), size) })
    }

    /// Gives back the last `size` bytes, like the C `arena_pop`.
    ///
    /// In debug mode ([`ArenaOptions::debug_blocks`]) `size` must be the size of the
    /// last block pushed or allocated, and that block's alignment padding goes too;
    /// the freed bytes are poisoned (zero-sized allocations are not blocks, and
    /// `pop(0)` frees nothing). Otherwise the offset simply moves back `size` bytes.
    ///
    /// # Panics
    /// On the errors of [`try_pop`](Arena::try_pop).
    ///
    /// ```
    /// let mut arena = engine::Arena::new("stack");
    /// arena.push(64);
    /// arena.push(32);
    /// arena.pop(32);
    /// assert_eq!(arena.offset(), 64);
    /// ```
    #[track_caller]
    pub fn pop(&mut self, size: usize) {
        if let Err(error) = self.try_pop(size) {
            stack_failed(error);
        }
    }

    /// Fallible [`pop`](Arena::pop).
    ///
    /// # Errors
    /// [`StackError::PopUnderflow`] if `size` is more than is in use;
    /// [`StackError::PopMismatch`] in debug mode if `size` is not the size of the
    /// last block. The arena is unchanged.
    ///
    /// ```
    /// use engine::{Arena, ArenaOptions, StackError};
    /// let mut arena = Arena::with_options("dbg", ArenaOptions { debug_blocks: true, ..Default::default() });
    /// arena.push(40);
    /// assert_eq!(arena.try_pop(8), Err(StackError::PopMismatch { requested: 8, last_block: 40 }));
    /// assert_eq!(arena.try_pop(40), Ok(()));
    /// ```
    pub fn try_pop(&mut self, size: usize) -> Result<(), StackError> {
        let target = self.pop_target(size)?;
        self.retreat_to(target);
        Ok(())
    }

    /// The offset that popping `size` bytes goes back to, or why it cannot.
    fn pop_target(&mut self, size: usize) -> Result<usize, StackError> {
        let used = self.offset();
        if !self.options.debug_blocks {
            return used.checked_sub(size).ok_or(StackError::PopUnderflow {
                requested: size,
                used,
            });
        }
        if size == 0 {
            // Zero-sized allocations are not recorded as blocks.
            return Ok(used);
        }
        match self.slow.get_mut().blocks.last() {
            Some(block) if block.size == size => Ok(block.offset_before),
            Some(block) => Err(StackError::PopMismatch {
                requested: size,
                last_block: block.size,
            }),
            None => Err(StackError::PopUnderflow {
                requested: size,
                used,
            }),
        }
    }

    /// The current position, to [`rewind`](Arena::rewind) to later.
    ///
    /// ```
    /// let arena = engine::Arena::new("a");
    /// let before = arena.mark();
    /// arena.alloc(0u32);
    /// assert!(arena.mark().offset() > before.offset());
    /// ```
    #[inline]
    #[must_use]
    pub fn mark(&self) -> Mark {
        Mark {
            arena_id: self.id,
            resets: self.reset_count,
            offset: self.offset(),
        }
    }

    /// Frees everything allocated since `mark` was taken.
    ///
    /// # Panics
    /// On the errors of [`try_rewind`](Arena::try_rewind): a mark of another arena,
    /// from before the last reset, or past the current offset.
    ///
    /// ```
    /// let mut arena = engine::Arena::new("a");
    /// let mark = arena.mark();
    /// arena.alloc_slice_fill_copy(1000, 1u8);
    /// arena.rewind(mark);
    /// assert_eq!(arena.offset(), 0);
    /// ```
    #[inline]
    #[track_caller]
    pub fn rewind(&mut self, mark: Mark) {
        if let Err(error) = self.try_rewind(mark) {
            stack_failed(error);
        }
    }

    /// Fallible [`rewind`](Arena::rewind).
    ///
    /// # Errors
    /// [`StackError::ForeignMark`], [`StackError::MarkBeforeReset`] or
    /// [`StackError::MarkAhead`]; the arena is unchanged.
    ///
    /// ```
    /// use engine::{Arena, StackError};
    /// let mut a = Arena::new("a");
    /// let b = Arena::new("b");
    /// assert!(matches!(a.try_rewind(b.mark()), Err(StackError::ForeignMark { .. })));
    /// ```
    #[inline]
    pub fn try_rewind(&mut self, mark: Mark) -> Result<(), StackError> {
        if mark.arena_id != self.id {
            return Err(StackError::ForeignMark {
                arena: Arc::clone(&self.name),
            });
        }
        if mark.resets != self.reset_count {
            return Err(StackError::MarkBeforeReset {
                mark_resets: mark.resets,
                arena_resets: self.reset_count,
            });
        }
        let used = self.offset();
        if mark.offset > used {
            return Err(StackError::MarkAhead {
                mark_offset: mark.offset,
                used,
            });
        }
        if !self.options.debug_blocks && mark.offset >= self.chunk_base.get() {
            // Fast path: the mark is in the current chunk.
            self.raise_high_water(used);
            let within = mark.offset - self.chunk_base.get();
            self.ptr.set(self.chunk_start.get().wrapping_add(within));
            return Ok(());
        }
        self.retreat_to(mark.offset);
        Ok(())
    }

    /// Frees everything at once. O(1) in the number of allocations (plus poisoning
    /// in debug mode). If the arena had grown to several chunks, they are replaced
    /// by one chunk big enough for the high-water mark (rounded up to a power of
    /// two, and at least twice the first chunk, which the cycle outgrew), so the
    /// next cycle of the same work needs no new memory.
    ///
    /// ```
    /// let mut arena = engine::Arena::new("frame");
    /// for _ in 0..3 {
    ///     arena.alloc_slice_fill_copy(10_000, 0u32);
    ///     arena.reset();
    /// }
    /// let stats = arena.stats();
    /// assert_eq!((stats.used_bytes, stats.chunk_count), (0, 1));
    /// assert!(stats.committed_bytes >= 40_000);
    /// ```
    #[inline]
    pub fn reset(&mut self) {
        let start = self.steady_chunk.get();
        if start.is_null() {
            self.reset_chunks();
            return;
        }
        // The steady state: at most one chunk, already current, and chunk 0 always
        // starts at offset 0. Only debug mode keeps blocks, so there are none to clear.
        debug_assert!(
            self.chunk_index.get() == 0
                && self.chunk_base.get() == 0
                && start == self.chunk_start.get()
        );
        self.count_reset(self.ptr.get().addr() - start.addr());
        self.ptr.set(start);
    }

    /// The bookkeeping of every reset, given the bytes in use before it.
    #[inline(always)]
    fn count_reset(&mut self, used: usize) {
        self.raise_high_water(used);
        self.reset_count += 1;
        self.allocation_count.set(0);
    }

    /// [`reset`](Arena::reset) outside the steady state, out of line so that the
    /// common case stays a few instructions: debug-mode poisoning, going back to one
    /// chunk, and beginning a steady cycle where the arena can have one.
    #[inline(never)]
    fn reset_chunks(&mut self) {
        let used = self.offset();
        self.count_reset(used);
        if self.options.debug_blocks {
            self.poison(0, used);
        }
        let high_water = self.high_water.get();
        let budget = self.options.budget_bytes;
        let slow = self.slow.get_mut();
        #[cfg(feature = "tracy")]
        if self.options.debug_blocks {
            crate::telemetry::tracy::blocks_discarded(&self.name);
        }
        slow.blocks.clear();
        if slow.chunks.is_empty() {
            // Only in debug mode, which is never steady: a chunkless arena is steady
            // otherwise, and reaches the fast path instead.
            debug_assert!(self.options.debug_blocks);
            return;
        }
        if slow.chunks.len() > 1 {
            // At least twice the first chunk, which this cycle outgrew: the
            // high-water mark alone can undersize the new chunk. Alignment padding
            // depends on where a chunk starts, and the high-water mark does not count
            // the gap a full chunk leaves at its end, so a workload that overflowed
            // chunk 0 by its padding can measure a high-water mark that fits chunk 0
            // again, and then overflow it again every cycle.
            let outgrown = slow.chunks[0].capacity().saturating_mul(2);
            let mut target = high_water
                .checked_next_power_of_two()
                .unwrap_or(high_water)
                .max(outgrown)
                .max(DEFAULT_FIRST_CHUNK_BYTES);
            if let Some(budget) = budget {
                target = target.min(budget);
            }
            match Chunk::allocate(target, 0) {
                Some(chunk) => {
                    slow.chunks.clear();
                    slow.chunks.push(chunk);
                    self.committed.set(target);
                    self.grow_count.set(self.grow_count.get() + 1);
                }
                None => {
                    // Keep the biggest chunk we already have rather than fail a reset.
                    let biggest = (0..slow.chunks.len())
                        .max_by_key(|&index| slow.chunks[index].capacity())
                        .expect("chunks is not empty");
                    let chunk = slow.chunks.swap_remove(biggest);
                    slow.chunks.clear();
                    self.committed.set(chunk.capacity());
                    slow.chunks.push(chunk);
                }
            }
        }
        slow.chunks[0].base_offset = 0;
        self.enter_chunk(0);
        self.begin_cycle();
    }

    /// Moves the top of the stack down to `target` (at most the current offset),
    /// across chunks if need be. Chunks above become spares.
    fn retreat_to(&mut self, target: usize) {
        let used = self.offset();
        debug_assert!(target <= used, "retreat_to moves down only");
        self.raise_high_water(used);
        if self.options.debug_blocks {
            self.poison(target, used);
            let blocks = &mut self.slow.get_mut().blocks;
            while let Some(&block) = blocks.last() {
                if block.offset_before < target {
                    break;
                }
                blocks.pop();
                #[cfg(feature = "tracy")]
                crate::telemetry::tracy::block_freed(&self.name, block.tracy);
            }
        }
        if target < self.chunk_base.get() {
            let chunks = &self.slow.get_mut().chunks;
            let index = (0..self.chunk_index.get())
                .rev()
                .find(|&index| chunks[index].base_offset <= target)
                .expect("invariant: chunk 0 starts at offset 0");
            self.enter_chunk(index);
        }
        let within = target - self.chunk_base.get();
        self.ptr.set(self.chunk_start.get().wrapping_add(within));
        if self.options.debug_blocks {
            self.limit.set(self.ptr.get());
        }
    }

    /// Debug mode: overwrites the logical bytes `from..to` with [`POISON_BYTE`].
    fn poison(&mut self, from: usize, to: usize) {
        let current = self.chunk_index.get();
        let current_used = self.offset();
        let chunks = &self.slow.get_mut().chunks;
        if chunks.is_empty() {
            return;
        }
        for index in 0..=current {
            let base = chunks[index].base_offset;
            let end = if index == current {
                current_used
            } else {
                chunks[index + 1].base_offset
            };
            let (lo, hi) = (from.max(base), to.min(end));
            if lo < hi {
                // SAFETY: `lo..hi` lies within the used part of chunk `index`
                // (`base..end`), and `&mut self` proves no reference points into it.
                unsafe {
                    ptr::write_bytes(chunks[index].start().add(lo - base), POISON_BYTE, hi - lo);
                }
            }
        }
    }
}

#[cfg(feature = "tracy")]
impl Drop for Arena {
    /// Tracy's per-allocation pool of a debug-mode arena must not keep blocks that
    /// no longer exist.
    fn drop(&mut self) {
        if self.options.debug_blocks {
            crate::telemetry::tracy::blocks_discarded(&self.name);
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
