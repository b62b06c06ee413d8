//! The worker pool: frame arenas that any thread borrows for part of a frame.
//!
//! Each worker slot holds two arenas, used in turn like the frame buffers, so that
//! what a worker kept in frame N is still there in frame N + 1. Slots are lent by an
//! atomic bitmask, 64 slots to a segment; a lease is one bit, set by a
//! compare-and-swap and cleared by the guard's drop. A slot that is not made yet is
//! made by the thread that claimed its bit, so `acquire` never waits for another
//! thread's lease: when every arena is lent, it makes one more.
//!
//! Every slot counts the leases that began and ended on it. A handle kept by a
//! worker names its slot and lease, so that the frame can tell, with one atomic
//! load, whether the worker that wrote the data has given its arena back (and so
//! can no longer write the data) before reading it in the same frame.

use super::handoff::FrameSlice;
use crate::Arena;
use crate::ArenaConfig;
use std::fmt;
use std::marker::PhantomData;
use std::ops::Deref;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

/// Worker slots per segment: the bits of one `AtomicU64`.
const SEGMENT_SLOTS: usize = 64;

/// The worker arenas of a [`FrameArenas`](crate::FrameArenas), lent to threads for
/// part of a frame: [`Frame::workers`](crate::Frame::workers) hands it out, and any
/// thread that can see it takes an arena with [`acquire`](WorkerPool::acquire): a
/// rayon job (`map_init(|| pool.acquire(), ...)`), a `std::thread::scope` thread,
/// a job of your own queue. It is `Sync`, and lives as long as the frame.
///
/// # What a worker's data is for
/// A [`WorkerArena`] allocates like an [`Arena`]; what it allocates borrows it, so
/// the data stays inside the job. The job hands its result out as a
/// [`FrameSlice`], with [`WorkerArena::keep`]. The frame then reads it with
/// [`Frame::read`](crate::Frame::read) or joins several with
/// [`Frame::concat`](crate::Frame::concat), once the worker arena has gone back to
/// the pool; and the next frame reads it with [`Frame::previous`](crate::Frame::previous).
/// Worker arenas are double-buffered like the frame buffers: a slice kept in frame
/// N is readable in N + 1, and a checked `None` from N + 2 on.
///
/// # When every arena is lent
/// [`acquire`](WorkerPool::acquire) never waits and never fails for want of an
/// arena: when all are lent it makes another (two arenas of
/// [`FrameConfig::worker_budget_bytes`](crate::FrameConfig::worker_budget_bytes), a
/// call to the system allocator) and keeps it for later frames. So a job system
/// that holds more arenas at once than expected, such as rayon running nested jobs
/// on a thread that already holds one, cannot deadlock on the pool; the pool grows
/// to the most arenas ever held at once, which
/// [`FrameArenas::worker_count`](crate::FrameArenas::worker_count) reports.
/// [`try_acquire`](WorkerPool::try_acquire) never makes one and returns `None`
/// instead. Waiting was turned down because a thread that holds an arena and
/// waits for another would deadlock, and an error because a job system decides how
/// many jobs run at once, not the caller.
///
/// # What it costs
/// `acquire` is lock-free: an atomic load and a compare-and-swap on a bitmask
/// (64 arenas to a word), plus a few stores; dropping the guard is an atomic
/// store and an atomic AND. Making a new arena takes the system allocator's time, once; and if more
/// than 64 arenas are lent at once, the threads that reach the next group of 64
/// first make it while the others wait for it.
///
/// # Example
/// ```
/// use engine::{FrameArenas, FrameConfig};
///
/// let mut frames = FrameArenas::new(FrameConfig { worker_count: 2, ..Default::default() });
/// let frame = frames.begin_frame();
/// let pool = frame.workers();
/// let parts: Vec<_> = std::thread::scope(|s| {
///     let jobs: Vec<_> = (0..4u32)
///         .map(|job| {
///             s.spawn(move || {
///                 let worker = pool.acquire(); // four threads, two arenas: the pool grows
///                 let ids = worker.alloc_slice_fill_with(3, |i| job * 10 + i as u32);
///                 worker.keep(ids).expect("the ids are in this worker arena")
///             })
///         })
///         .collect();
///     jobs.into_iter().map(|job| job.join().unwrap()).collect()
/// });
/// let all: &[u32] = frame.concat(&parts);
/// assert_eq!(all, [0, 1, 2, 10, 11, 12, 20, 21, 22, 30, 31, 32]);
/// ```
pub struct WorkerPool {
    /// The first 64 slots; further segments hang off it.
    first: Box<Segment>,
    /// Slots made so far.
    slot_count: AtomicUsize,
    name: &'static str,
    /// What every arena of a slot is built with; only the names differ.
    arena_config: ArenaConfig,
    /// The `FrameArenas`' id, stamped on kept handles.
    owner: u64,
    frame_index: u64,
    /// Which arena of each slot the frame allocates from (`frame_index % 2`).
    set: usize,
}

/// 64 worker slots and the bitmask that lends them.
struct Segment {
    /// Bit `i` set: slot `i` is lent (or being made by the thread that claimed it).
    lent: AtomicU64,
    /// Bit `i` set: slot `i` is made.
    made: AtomicU64,
    slots: [OnceLock<Box<WorkerSlot>>; SEGMENT_SLOTS],
    next: OnceLock<Box<Segment>>,
}

/// One worker: its two arenas, used in turn, and its lease counts.
struct WorkerSlot {
    /// Position in the pool (segment × 64 + bit), in the arenas' names and handles.
    index: usize,
    /// `arenas[frame_index % 2]` serves the frame in progress.
    arenas: [Arena; 2],
    /// Leases begun on this slot since the pool was made. Written only by the
    /// holder of the slot's bit, and by `begin` under `&mut`.
    leases_begun: AtomicU64,
    /// Leases ended: lease `n` has ended once this is above `n`. Stored with
    /// `Release` by the guard's drop, so a reader that loads it with `Acquire` and
    /// finds the lease ended sees every write the lease made.
    leases_ended: AtomicU64,
}

// SAFETY: the arenas are reached only (a) through a `WorkerArena`, whose lease (the
// slot's bit, claimed by compare-and-swap) gives one thread at a time the use of
// them, each lease's writes ordered before the next by the bit's Release clear and
// Acquire claim; (b) by `WorkerPool::begin` under `&mut`; (c) by the `unsafe`
// `arenas_at_rest`, whose callers hold no lease. Everything else in a slot is atomic.
unsafe impl Sync for WorkerSlot {}

/// A worker arena lent from a [`WorkerPool`] by [`WorkerPool::acquire`]. It
/// dereferences to [`Arena`], so it allocates like one; what it allocates borrows
/// it. Dropping it gives the arena back to the pool, whose next `acquire` may lend
/// it to another job of the same frame, which allocates after what this one left.
///
/// To hand data out of the job, [`keep`](WorkerArena::keep) it: the
/// [`FrameSlice`] is a plain token that the frame reads once this guard is gone.
///
/// It is `Send` (a job may move it to another thread, as it would move a
/// `&mut Arena`) but not `Sync`: one thread at a time allocates from it. Nothing
/// allocated from it outlives it, and it cannot outlive the frame:
///
/// ```compile_fail
/// let mut frames = engine::FrameArenas::new(Default::default());
/// let frame = frames.begin_frame();
/// let worker = frame.workers().acquire();
/// let ids: &[u32] = worker.alloc_slice_copy(&[1, 2, 3]);
/// drop(worker); // error: `worker` is still borrowed by `ids`
/// assert_eq!(ids.len(), 3);
/// ```
///
/// Operations that free memory (`reset`, `rewind`, `pop`, `scope`) need
/// `&mut Arena` and so are not available: what a worker kept must stay until the
/// frame after next. Temporary lists ([`ArenaVec`](crate::ArenaVec)) still hand
/// their bytes back when dropped, while they are the arena's newest allocation.
pub struct WorkerArena<'p> {
    arena: &'p Arena,
    slot: &'p WorkerSlot,
    segment: &'p Segment,
    pool: &'p WorkerPool,
    /// The slot's bit in `segment.lent`.
    bit: u32,
    /// This lease's number on the slot.
    lease: u64,
    /// Not `Sync`, through the arena's own marker (so the compiler's message is the
    /// arena's), whatever the other fields are.
    _not_sync: PhantomData<&'p Arena>,
}

// SAFETY: a `WorkerArena` is the only way to reach its arena while the lease lasts
// (the slot's bit is set, and no other guard holds it). Moving the guard moves that
// sole use to another thread, as moving a `&mut Arena` would (`Arena` is `Send`);
// the other references are to `Sync` data.
unsafe impl Send for WorkerArena<'_> {}

impl WorkerPool {
    /// A pool with `worker_count` slots made now, each two arenas built with
    /// `arena_config` and named `<name>.worker<i>.a` and `.b`.
    pub(super) fn new(
        name: &'static str,
        worker_count: usize,
        arena_config: ArenaConfig,
        owner: u64,
    ) -> WorkerPool {
        let pool = WorkerPool {
            first: Box::new(Segment::new()),
            slot_count: AtomicUsize::new(0),
            name,
            arena_config,
            owner,
            frame_index: 0,
            set: 0,
        };
        let mut segment = &*pool.first;
        for index in 0..worker_count {
            let bit = index % SEGMENT_SLOTS;
            if index > 0 && bit == 0 {
                segment = segment.next_segment();
            }
            pool.make_slot(segment, bit, index);
        }
        pool
    }

    /// Lends a worker arena until the guard drops, making a new one if every arena
    /// is lent (see [When every arena is lent](WorkerPool#when-every-arena-is-lent)).
    /// Any thread may call it, as often as it likes; the arenas made first are lent
    /// first.
    ///
    /// # Panics
    /// If the system allocator refuses a new arena's memory.
    ///
    /// # Example
    /// ```
    /// use engine::{FrameArenas, FrameConfig};
    ///
    /// let mut frames = FrameArenas::new(FrameConfig { worker_count: 1, ..Default::default() });
    /// let frame = frames.begin_frame();
    /// let first = frame.workers().acquire();
    /// let second = frame.workers().acquire(); // the one arena is lent: a second is made
    /// assert_eq!((first.index(), second.index()), (0, 1));
    /// drop(first);
    /// assert_eq!(frame.workers().acquire().index(), 0); // given back, lent again
    /// ```
    #[must_use = "dropping the guard gives the arena straight back"]
    pub fn acquire(&self) -> WorkerArena<'_> {
        let mut segment = &*self.first;
        let mut base = 0;
        loop {
            if let Some(bit) = segment.claim(u64::MAX) {
                let slot = match segment.slots[bit as usize].get() {
                    Some(slot) => slot,
                    None => {
                        // If making the arenas panics, the bit goes back.
                        let claim = Unclaim { segment, bit };
                        let slot = self.make_slot(segment, bit as usize, base + bit as usize);
                        std::mem::forget(claim);
                        slot
                    }
                };
                return self.lease(segment, bit, slot);
            }
            segment = segment.next_segment();
            base += SEGMENT_SLOTS;
        }
    }

    /// Lends a worker arena that exists already, or returns `None` if every one is
    /// lent: [`acquire`](WorkerPool::acquire) without making arenas, so it never
    /// calls the system allocator.
    ///
    /// ```
    /// use engine::{FrameArenas, FrameConfig};
    ///
    /// let mut frames = FrameArenas::new(FrameConfig { worker_count: 1, ..Default::default() });
    /// let frame = frames.begin_frame();
    /// let worker = frame.workers().try_acquire().expect("one arena, not lent");
    /// assert!(frame.workers().try_acquire().is_none());
    /// drop(worker);
    /// assert!(frame.workers().try_acquire().is_some());
    /// ```
    #[must_use]
    pub fn try_acquire(&self) -> Option<WorkerArena<'_>> {
        let mut segment = &*self.first;
        loop {
            let made = segment.made.load(Ordering::Acquire);
            if let Some(bit) = segment.claim(made) {
                let slot = segment.slots[bit as usize]
                    .get()
                    .expect("invariant: a slot whose `made` bit is set is made");
                return Some(self.lease(segment, bit, slot));
            }
            segment = segment.next.get()?;
        }
    }

    /// Worker slots made so far, each two arenas (one per frame parity). Grows when
    /// [`acquire`](WorkerPool::acquire) finds every arena lent.
    ///
    /// ```
    /// use engine::{FrameArenas, FrameConfig};
    /// let mut frames = FrameArenas::new(FrameConfig { worker_count: 3, ..Default::default() });
    /// assert_eq!(frames.begin_frame().workers().worker_count(), 3);
    /// ```
    #[must_use]
    pub fn worker_count(&self) -> usize {
        self.slot_count.load(Ordering::Relaxed)
    }

    /// Index of the frame the pool serves.
    ///
    /// ```
    /// let mut frames = engine::FrameArenas::new(Default::default());
    /// frames.begin_frame();
    /// assert_eq!(frames.begin_frame().workers().frame_index(), 1);
    /// ```
    #[must_use]
    pub fn frame_index(&self) -> u64 {
        self.frame_index
    }

    /// Starts frame `frame_index`: resets the arena of every slot that serves it
    /// (holding frame `frame_index - 2`), and takes back every lease. Guards are
    /// gone: they borrow the frame, which `&mut self` outlives.
    pub(super) fn begin(&mut self, frame_index: u64) {
        self.frame_index = frame_index;
        self.set = (frame_index % 2) as usize;
        let set = self.set;
        let mut link = Some(&mut self.first);
        while let Some(segment) = link {
            // Bits of guards that were forgotten (`mem::forget`): their borrows
            // ended with the frame, so their slots are free.
            *segment.lent.get_mut() = 0;
            for slot in segment.slots.iter_mut().filter_map(OnceLock::get_mut) {
                slot.arenas[set].reset();
                let begun = *slot.leases_begun.get_mut();
                *slot.leases_ended.get_mut() = begun;
            }
            link = segment.next.get_mut();
        }
    }

    /// [`Arena::trim`] on both arenas of every slot; the bytes given back now.
    pub(super) fn trim(&mut self) -> usize {
        let mut given_back = 0;
        let mut link = Some(&mut self.first);
        while let Some(segment) = link {
            for slot in segment.slots.iter_mut().filter_map(OnceLock::get_mut) {
                given_back += slot.arenas.iter_mut().map(Arena::trim).sum::<usize>();
            }
            link = segment.next.get_mut();
        }
        given_back
    }

    /// Whether lease `lease` of slot `slot_index` has ended, so that what it kept
    /// can be read: a `true` here (an `Acquire` load) orders every write the lease
    /// made before the caller's reads.
    pub(super) fn lease_ended(&self, slot_index: usize, lease: u64) -> bool {
        let mut segment = &*self.first;
        for _ in 0..slot_index / SEGMENT_SLOTS {
            match segment.next.get() {
                Some(next) => segment = next,
                None => return false,
            }
        }
        segment.slots[slot_index % SEGMENT_SLOTS]
            .get()
            .is_some_and(|slot| slot.leases_ended.load(Ordering::Acquire) > lease)
    }

    /// Every slot made so far, in order, with its two arenas.
    ///
    /// # Safety
    /// No [`WorkerArena`] of this pool is alive, nor can one begin while the
    /// returned references live: the caller reaches the pool through
    /// `&FrameArenas`, which no frame borrows (a frame holds it by `&mut`).
    pub(super) unsafe fn arenas_at_rest(&self) -> impl Iterator<Item = &[Arena; 2]> {
        std::iter::successors(Some(&*self.first), |segment| {
            segment.next.get().map(|next| &**next)
        })
        .flat_map(|segment| segment.slots.iter().filter_map(OnceLock::get))
        .map(|slot| &slot.arenas)
    }

    /// Makes slot `index` at `bit` of `segment`; the caller holds its bit, or is
    /// `new`, before anything else can reach the pool.
    fn make_slot<'s>(&self, segment: &'s Segment, bit: usize, index: usize) -> &'s WorkerSlot {
        let arena = |suffix: &str| {
            Arena::with_config(
                format!("{}.worker{index}.{suffix}", self.name),
                self.arena_config.clone(),
            )
        };
        let slot = segment.slots[bit].get_or_init(|| {
            Box::new(WorkerSlot {
                index,
                arenas: [arena("a"), arena("b")],
                leases_begun: AtomicU64::new(0),
                leases_ended: AtomicU64::new(0),
            })
        });
        segment.made.fetch_or(1 << bit, Ordering::Release);
        self.slot_count.fetch_add(1, Ordering::Relaxed);
        slot
    }

    /// The guard for the slot at `bit` of `segment`, whose bit the caller claimed.
    fn lease<'p>(
        &'p self,
        segment: &'p Segment,
        bit: u32,
        slot: &'p WorkerSlot,
    ) -> WorkerArena<'p> {
        // Only the holder of the bit writes `leases_begun`; the claim's `Acquire`
        // ordered the last holder's writes before this.
        let lease = slot.leases_begun.load(Ordering::Relaxed);
        slot.leases_begun.store(lease + 1, Ordering::Relaxed);
        WorkerArena {
            arena: &slot.arenas[self.set],
            slot,
            segment,
            pool: self,
            bit,
            lease,
            _not_sync: PhantomData,
        }
    }
}

impl Segment {
    fn new() -> Segment {
        Segment {
            lent: AtomicU64::new(0),
            made: AtomicU64::new(0),
            slots: [const { OnceLock::new() }; SEGMENT_SLOTS],
            next: OnceLock::new(),
        }
    }

    /// Claims the lowest bit that is in `allowed` and not lent; `None` if there is
    /// none. Lock-free: a failed compare-and-swap means another thread's succeeded.
    fn claim(&self, allowed: u64) -> Option<u32> {
        let mut lent = self.lent.load(Ordering::Relaxed);
        loop {
            let free = !lent & allowed;
            if free == 0 {
                return None;
            }
            let bit = free.trailing_zeros();
            // `Acquire` pairs with the `Release` of the last guard's drop: what that
            // lease did to the arena happens before this one uses it.
            match self.lent.compare_exchange_weak(
                lent,
                lent | 1 << bit,
                Ordering::Acquire,
                Ordering::Relaxed,
            ) {
                Ok(_) => return Some(bit),
                Err(now) => lent = now,
            }
        }
    }

    /// The next 64 slots, made on first use.
    fn next_segment(&self) -> &Segment {
        self.next.get_or_init(|| Box::new(Segment::new()))
    }
}

/// A claimed bit, cleared again on drop: held while a new slot is made, so that a
/// panic there does not leave the bit set for the rest of the frame.
struct Unclaim<'s> {
    segment: &'s Segment,
    bit: u32,
}

impl Drop for Unclaim<'_> {
    fn drop(&mut self) {
        self.segment
            .lent
            .fetch_and(!(1 << self.bit), Ordering::Release);
    }
}

impl<'p> WorkerArena<'p> {
    /// A handle to `data`, which must live in this worker arena, for the frame to
    /// read once this guard is dropped ([`Frame::read`](crate::Frame::read),
    /// [`Frame::concat`](crate::Frame::concat)) and for the next frame to read with
    /// [`Frame::previous`](crate::Frame::previous). `None` if `data` is not memory
    /// this arena handed out in this frame (another arena, the stack, the heap).
    ///
    /// Keeping allocates nothing. Until the frame after next, no list in this
    /// arena hands back bytes at or below the kept data (an
    /// [`ArenaVec`](crate::ArenaVec) that owns `data` and is dropped later keeps its
    /// bytes), so what is read is what was kept. `T: Copy` as for
    /// [`Frame::keep`](crate::Frame::keep).
    ///
    /// ```
    /// use engine::{ArenaVec, FrameArenas};
    ///
    /// let mut frames = FrameArenas::new(Default::default());
    /// let frame = frames.begin_frame();
    /// let kept = {
    ///     let worker = frame.workers().acquire();
    ///     let mut visible = ArenaVec::new_in(&*worker);
    ///     visible.extend([4u32, 8, 15]);
    ///     assert!(worker.keep(&[1u32][..]).is_none()); // not in the worker arena
    ///     worker.keep(&visible).unwrap()
    /// }; // the guard and the list are dropped; the kept bytes stay
    /// assert_eq!(frame.read(kept), Ok(&[4u32, 8, 15][..]));
    /// ```
    #[must_use]
    pub fn keep<T: Copy>(&self, data: &[T]) -> Option<FrameSlice<T>> {
        if !self.arena.keep_if_live(data) {
            return None;
        }
        Some(FrameSlice::from_worker(
            self.pool.owner,
            self.pool.frame_index,
            data,
            self.slot.index,
            self.lease,
        ))
    }

    /// Which worker slot this is: 0 for the arenas `<name>.worker0.a`/`.b`, and so
    /// on.
    ///
    /// ```
    /// let mut frames = engine::FrameArenas::new(Default::default());
    /// let frame = frames.begin_frame();
    /// assert_eq!(frame.workers().acquire().index(), 0);
    /// ```
    #[must_use]
    pub fn index(&self) -> usize {
        self.slot.index
    }
}

impl Deref for WorkerArena<'_> {
    type Target = Arena;

    #[inline]
    fn deref(&self) -> &Arena {
        self.arena
    }
}

impl AsRef<Arena> for WorkerArena<'_> {
    fn as_ref(&self) -> &Arena {
        self.arena
    }
}

impl Drop for WorkerArena<'_> {
    fn drop(&mut self) {
        // First the lease count, then the bit: a reader that sees the lease ended,
        // and the next holder of the bit, both see this lease's writes.
        self.slot
            .leases_ended
            .store(self.lease + 1, Ordering::Release);
        self.segment
            .lent
            .fetch_and(!(1 << self.bit), Ordering::Release);
    }
}

impl fmt::Debug for WorkerPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WorkerPool")
            .field("frame_index", &self.frame_index)
            .field("worker_count", &self.worker_count())
            .field(
                "lent_in_first_64",
                &self.first.lent.load(Ordering::Relaxed).count_ones(),
            )
            .finish()
    }
}

impl fmt::Debug for WorkerArena<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WorkerArena")
            .field("index", &self.slot.index)
            .field("lease", &self.lease)
            .field("arena", self.arena)
            .finish()
    }
}
