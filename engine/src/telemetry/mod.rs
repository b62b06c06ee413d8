//! Per-frame memory reports of every arena, and with the `tracy` cargo feature the
//! same numbers sent to the [Tracy](https://github.com/wolfpld/tracy) profiler.
//!
//! The game owns one [`Telemetry`]. Each frame it calls
//! [`begin_frame`](Telemetry::begin_frame), records its arenas
//! ([`record_frames`](Telemetry::record_frames), [`record_arena`](Telemetry::record_arena),
//! or [`record`](Telemetry::record) for memory that is not an [`Arena`](crate::Arena)), and
//! [`end_frame`](Telemetry::end_frame). The frame's [`MemoryReport`] is then in
//! [`report`](Telemetry::report).
//!
//! # With the `tracy` feature
//! - Every arena is a Tracy memory pool named after it. Its chunks are the pool's
//!   allocations, so the pool's size is the arena's committed bytes. Only chunks
//!   really taken or given back are reported: a reset that keeps its chunks sends
//!   nothing, so the pool's graph does not drop to 0 at every reset.
//! - A plot `<name> used` (memory format) gets the arena's used bytes every frame,
//!   and 0 when the arena is [forgotten](Telemetry::forget_arena).
//! - [`end_frame`](Telemetry::end_frame) marks the frame.
//! - Growth and overflow each send a Tracy message.
//! - Per-allocation mode, for short debugging sessions: after
//!   [`track_allocations(true)`](track_allocations), every allocation of an arena
//!   built with [`ArenaConfig::debug_blocks`](crate::ArenaConfig::debug_blocks) is
//!   reported in a second pool, `<name> allocations`; rewinds and pops free what
//!   they give back, a reset discards that pool.
//!
//! The client is built with Tracy's `ondemand` option: nothing is collected or
//! buffered until a profiler connects, so a game that runs without one pays a few
//! atomic loads a frame. Tracy 0.14.x (protocol 82) must be used to connect.
//!
//! Without the feature there is no Tracy code at all; the functions of this module
//! that talk to the profiler do nothing.
//!
//! # Example
//! ```
//! use engine::{ArenaKind, FrameArenas, FrameConfig, LevelArena, Telemetry};
//!
//! let mut frames = FrameArenas::new(FrameConfig { budget_bytes: 4096, ..Default::default() });
//! let level = LevelArena::with_capacity("level", 1 << 16);
//! let mut telemetry = Telemetry::new();
//! for frame_index in 0..4 {
//!     telemetry.begin_frame(frame_index);
//!     let frame = frames.begin_frame();
//!     let bytes = if frame_index == 2 { 10_000 } else { 1_000 }; // a spike in frame 2
//!     frame.alloc_slice_fill_copy(bytes, 0u8);
//!     drop(frame);
//!     telemetry.record_frames(&frames);
//!     telemetry.record_arena(ArenaKind::Level, level.arena(), 0);
//!     telemetry.end_frame();
//!     let buffer = telemetry.report().arena(if frame_index % 2 == 0 { "frame.a" } else { "frame.b" }).unwrap();
//!     assert_eq!(buffer.overflow_bytes, bytes.saturating_sub(4096));
//!     assert_eq!(buffer.grow_events, u64::from(frame_index == 2));
//! }
//! ```

mod report;
#[cfg(feature = "tracy")]
pub(crate) mod tracy;

pub use report::{ArenaKind, ArenaReport, MemoryReport};

use crate::{ArenaStats, ArenaView, FrameArenaRole, FrameArenas};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// Records the arenas' memory frame by frame into a [`MemoryReport`], and with the
/// `tracy` feature reports it to Tracy. See the [module docs](crate::telemetry).
///
/// # What it costs
/// A disabled `Telemetry` ([`Telemetry::disabled`]) returns at once from every call.
/// An enabled one copies a few counters per arena and frame; it allocates only the
/// first time it sees an arena's name. Tracy events are sent only while a profiler
/// is connected: a plot value per arena and frame, and pool events when an arena
/// took or gave back chunks (the `telemetry` benchmark measures it).
///
/// Arenas are told apart by name: give each recorded arena its own.
///
/// With the `tracy` feature, one `Telemetry` at a time talks to Tracy (the pools are
/// process-wide); one created while another lives keeps its reports to itself.
///
/// # Example
/// ```
/// use engine::{Arena, ArenaKind, Telemetry};
///
/// let mut arena = Arena::with_capacity("scratch", 4096);
/// let mut telemetry = Telemetry::new();
/// for frame_index in 0..2 {
///     telemetry.begin_frame(frame_index);
///     arena.reset();
///     arena.alloc_slice_fill_copy(64, 0u8);
///     telemetry.record_arena(ArenaKind::Frame, &arena, 0);
///     telemetry.end_frame();
/// }
/// let report = &telemetry.report().arenas()[0];
/// assert_eq!((report.frame_index, report.used_bytes, report.reset_count), (1, 64, 2));
/// ```
pub struct Telemetry {
    enabled: bool,
    report: MemoryReport,
    arenas: Vec<ArenaState>,
    /// Index in `arenas` where the next lookup starts: arenas are usually recorded
    /// in the same order every frame, so the search is one comparison.
    cursor: usize,
    #[cfg(feature = "tracy")]
    tracy: tracy::TracyReporter,
}

/// What is remembered about an arena between frames.
struct ArenaState {
    name: Arc<str>,
    /// Whether the arena was recorded before.
    recorded: bool,
    grow_count: u64,
    reset_count: u64,
    trim_count: u64,
    trimmed_bytes: u64,
    #[cfg(feature = "tracy")]
    pool: tracy::ChunkPool,
}

impl Telemetry {
    /// An enabled telemetry with an empty report.
    ///
    /// ```
    /// let telemetry = engine::Telemetry::new();
    /// assert!(telemetry.is_enabled());
    /// assert!(telemetry.report().arenas().is_empty());
    /// ```
    #[must_use]
    pub fn new() -> Telemetry {
        Telemetry {
            enabled: true,
            report: MemoryReport::default(),
            arenas: Vec::new(),
            cursor: 0,
            #[cfg(feature = "tracy")]
            tracy: tracy::TracyReporter::new(),
        }
    }

    /// A telemetry that records nothing: every call returns at once and the report
    /// stays empty.
    ///
    /// ```
    /// use engine::{Arena, ArenaKind, Telemetry};
    /// let mut telemetry = Telemetry::disabled();
    /// telemetry.begin_frame(0);
    /// telemetry.record_arena(ArenaKind::Frame, &Arena::new("a"), 0);
    /// telemetry.end_frame();
    /// assert!(telemetry.report().arenas().is_empty());
    /// ```
    #[must_use]
    pub fn disabled() -> Telemetry {
        Telemetry {
            enabled: false,
            ..Telemetry::new()
        }
    }

    /// Whether frames are recorded.
    ///
    /// ```
    /// assert!(!engine::Telemetry::disabled().is_enabled());
    /// ```
    #[must_use]
    pub fn is_enabled(&self) -> bool {
        self.enabled
    }

    /// Turns recording on or off from the next call on. The report keeps the last
    /// frame recorded.
    ///
    /// ```
    /// let mut telemetry = engine::Telemetry::new();
    /// telemetry.set_enabled(false);
    /// assert!(!telemetry.is_enabled());
    /// ```
    pub fn set_enabled(&mut self, enabled: bool) {
        self.enabled = enabled;
    }

    /// Starts recording frame `frame_index`: the report is emptied (its memory kept).
    ///
    /// ```
    /// let mut telemetry = engine::Telemetry::new();
    /// telemetry.begin_frame(42);
    /// assert_eq!(telemetry.report().frame_index(), 42);
    /// ```
    #[inline]
    pub fn begin_frame(&mut self, frame_index: u64) {
        if self.enabled {
            self.report.begin(frame_index);
        }
    }

    /// Records `arena` (an `&Arena`, or the [`ArenaView`] of an
    /// [`AssetArena`](crate::AssetArena)) in this frame's report (and in Tracy),
    /// `overflow_bytes` being how far it went over its per-frame budget this frame (0
    /// if none, or if it has no such budget).
    ///
    /// ```
    /// use engine::{ArenaKind, LevelArena, Telemetry};
    /// let level = LevelArena::new("level");
    /// level.alloc_slice_copy(&[1u32, 2, 3]);
    /// let mut telemetry = Telemetry::new();
    /// telemetry.begin_frame(0);
    /// telemetry.record_arena(ArenaKind::Level, level.arena(), 0);
    /// assert_eq!(telemetry.report().arena("level").unwrap().used_bytes, 12);
    /// ```
    #[inline]
    pub fn record_arena<'a>(
        &mut self,
        kind: ArenaKind,
        arena: impl Into<ArenaView<'a>>,
        overflow_bytes: usize,
    ) {
        if !self.enabled {
            return;
        }
        let arena = arena.into();
        self.record(kind, &arena.stats(), overflow_bytes, arena.chunk_spans());
    }

    /// Records memory that is not an [`Arena`](crate::Arena) (the GPU upload ring, a pool of your
    /// own): its stats, how far it went over budget this frame, and its blocks of
    /// committed memory as `(address, bytes)`. Tracy shows the blocks as the pool's
    /// allocations; an address only has to be non-zero and unique among the blocks
    /// (an offset or id + 1 will do for memory without a CPU address). Only the
    /// blocks that changed since the last record are reported (a block given back,
    /// a new one); a block kept across a reset stays in the pool.
    ///
    /// ```
    /// use engine::{ArenaKind, ArenaStats, Telemetry};
    /// let stats = ArenaStats {
    ///     name: "upload".into(),
    ///     used_bytes: 300,
    ///     committed_bytes: 3 * 1024,
    ///     high_water_bytes: 700,
    ///     allocation_count: 2,
    ///     chunk_count: 3,
    ///     grow_count: 3,
    ///     reset_count: 9,
    ///     trim_count: 0,
    ///     trimmed_bytes: 0,
    ///     limit_bytes: None,
    ///     budget_bytes: None,
    /// };
    /// let buffers = (1..=3).map(|id| (id, 1024)); // three 1 KiB buffers, ids as addresses
    /// let mut telemetry = Telemetry::new();
    /// telemetry.begin_frame(9);
    /// telemetry.record(ArenaKind::GpuUpload, &stats, 0, buffers);
    /// assert_eq!(telemetry.report().arenas()[0].committed_bytes, 3 * 1024);
    /// ```
    pub fn record(
        &mut self,
        kind: ArenaKind,
        stats: &ArenaStats,
        overflow_bytes: usize,
        chunk_spans: impl IntoIterator<Item = (usize, usize)>,
    ) {
        if !self.enabled {
            return;
        }
        let index = self.state_index(&stats.name);
        self.record_at(index, kind, stats, overflow_bytes, chunk_spans);
    }

    /// [`record`](Telemetry::record) for the arena whose state is `arenas[index]`.
    fn record_at(
        &mut self,
        index: usize,
        kind: ArenaKind,
        stats: &ArenaStats,
        overflow_bytes: usize,
        chunk_spans: impl IntoIterator<Item = (usize, usize)>,
    ) {
        let state = &mut self.arenas[index];
        // The first chunk an arena takes is its starting memory, not growth.
        let grow_events = stats.grow_count.saturating_sub(state.grow_count.max(1));
        let trim_events = stats.trim_count.saturating_sub(state.trim_count);
        let trimmed_bytes = stats.trimmed_bytes.saturating_sub(state.trimmed_bytes);
        state.grow_count = stats.grow_count;
        state.trim_count = stats.trim_count;
        state.trimmed_bytes = stats.trimmed_bytes;
        state.reset_count = stats.reset_count;
        state.recorded = true;
        let entry = self.report.next_entry(&stats.name);
        entry.kind = kind;
        entry.used_bytes = stats.used_bytes;
        entry.committed_bytes = stats.committed_bytes;
        entry.high_water_bytes = stats.high_water_bytes;
        entry.allocation_count = stats.allocation_count;
        entry.grow_events = grow_events;
        entry.trim_events = trim_events;
        entry.trimmed_bytes = trimmed_bytes;
        entry.overflow_bytes = overflow_bytes;
        entry.reset_count = stats.reset_count;
        entry.budget_bytes = stats.budget_bytes;
        entry.limit_bytes = stats.limit_bytes;
        #[cfg(feature = "tracy")]
        self.tracy
            .record(&mut state.pool, stats, entry, chunk_spans);
        #[cfg(not(feature = "tracy"))]
        let _ = chunk_spans;
    }

    /// Records both frame buffers ([`ArenaKind::Frame`]), both arenas of every
    /// worker made so far ([`ArenaKind::Worker`]) and every scratch arena made so far
    /// ([`ArenaKind::Scratch`]) of `frames`. A buffer's or worker arena's overflow
    /// counts in the frame it was reset for, not again while it holds the previous
    /// frame.
    ///
    /// ```
    /// use engine::{ArenaKind, FrameArenas, FrameConfig, Telemetry};
    /// let mut frames = FrameArenas::new(FrameConfig { budget_bytes: 1024, worker_count: 1, ..Default::default() });
    /// let mut telemetry = Telemetry::new();
    /// telemetry.begin_frame(0);
    /// let frame = frames.begin_frame();
    /// frame.alloc_slice_fill_copy(1500, 0u8);
    /// frame.scratch(|tmp| tmp.alloc_slice_fill_copy(300, 0u8).len());
    /// drop(frame);
    /// telemetry.record_frames(&frames);
    /// let report = telemetry.report();
    /// let names: Vec<&str> = report.arenas().iter().map(|arena| &*arena.name).collect();
    /// assert_eq!(names, ["frame.a", "frame.b", "frame.worker0.a", "frame.worker0.b", "frame.scratch0"]);
    /// assert_eq!(report.arenas()[0].overflow_bytes, 1500 - 1024);
    /// let scratch = report.arena("frame.scratch0").unwrap();
    /// assert_eq!((scratch.kind, scratch.used_bytes, scratch.high_water_bytes), (ArenaKind::Scratch, 0, 300));
    /// ```
    pub fn record_frames(&mut self, frames: &FrameArenas) {
        if !self.enabled {
            return;
        }
        for (role, arena) in frames.labeled_arenas() {
            let kind = match role {
                FrameArenaRole::Buffer => ArenaKind::Frame,
                FrameArenaRole::Worker => ArenaKind::Worker,
                FrameArenaRole::Scratch { .. } => ArenaKind::Scratch,
            };
            let stats = arena.stats();
            let index = self.state_index(&stats.name);
            let known = &self.arenas[index];
            // The buffer not in use this frame keeps the last frame's bytes: its
            // overflow was reported when it was reset into.
            let reset_this_frame = !known.recorded || known.reset_count != stats.reset_count;
            let overflow_bytes = match stats.budget_bytes {
                Some(budget) if reset_this_frame => stats.used_bytes.saturating_sub(budget),
                _ => 0,
            };
            self.record_at(index, kind, &stats, overflow_bytes, arena.chunk_spans());
        }
    }

    /// Ends the frame: with the `tracy` feature, marks the frame in Tracy.
    ///
    /// ```
    /// let mut telemetry = engine::Telemetry::new();
    /// telemetry.begin_frame(0);
    /// telemetry.end_frame();
    /// ```
    #[inline]
    pub fn end_frame(&mut self) {
        #[cfg(feature = "tracy")]
        if self.enabled {
            self.tracy.end_frame();
        }
    }

    /// Stops following the arena called `name`, for an arena that is gone (a level
    /// arena dropped when its level unloaded). With the `tracy` feature its pool is
    /// emptied with one discard and its `<name> used` plot set to 0, so the profiler
    /// does not keep showing memory that was given back. Returns whether the arena
    /// was known. A later record under the same name starts afresh.
    ///
    /// ```
    /// use engine::{ArenaKind, LevelArena, Telemetry};
    /// let mut telemetry = Telemetry::new();
    /// let level = LevelArena::with_capacity("level:meadow", 4096);
    /// telemetry.begin_frame(0);
    /// telemetry.record_arena(ArenaKind::Level, level.arena(), 0);
    /// drop(level);
    /// assert!(telemetry.forget_arena("level:meadow"));
    /// assert!(!telemetry.forget_arena("level:meadow"));
    /// ```
    pub fn forget_arena(&mut self, name: &str) -> bool {
        let Some(index) = self.arenas.iter().position(|state| &*state.name == name) else {
            return false;
        };
        let state = self.arenas.remove(index);
        #[cfg(feature = "tracy")]
        self.tracy.forget(state.pool);
        #[cfg(not(feature = "tracy"))]
        let _ = state;
        self.cursor = 0;
        true
    }

    /// The frame recorded last (or in progress).
    ///
    /// ```
    /// assert_eq!(engine::Telemetry::new().report().frame_index(), 0);
    /// ```
    #[must_use]
    pub fn report(&self) -> &MemoryReport {
        &self.report
    }

    /// Index of the state for `name`, created if it is new.
    fn state_index(&mut self, name: &Arc<str>) -> usize {
        let count = self.arenas.len();
        let found = (0..count)
            .map(|step| (self.cursor + step) % count)
            .find(|&index| {
                let known = &self.arenas[index].name;
                Arc::ptr_eq(known, name) || **known == **name
            });
        let index = found.unwrap_or_else(|| {
            self.arenas.push(ArenaState {
                name: Arc::clone(name),
                recorded: false,
                grow_count: 0,
                reset_count: 0,
                trim_count: 0,
                trimmed_bytes: 0,
                #[cfg(feature = "tracy")]
                pool: tracy::ChunkPool::new(name),
            });
            count
        });
        self.cursor = (index + 1) % self.arenas.len();
        index
    }
}

impl Default for Telemetry {
    fn default() -> Self {
        Telemetry::new()
    }
}

impl fmt::Debug for Telemetry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Telemetry")
            .field("enabled", &self.enabled)
            .field("frame_index", &self.report.frame_index())
            .field("arenas", &self.arenas.len())
            .finish()
    }
}

/// How long [`wait_for_profiler`] waits after it sees a profiler connect, for the
/// Tracy client to finish the handshake (a few local socket writes).
const PROFILER_HANDSHAKE_GRACE: Duration = Duration::from_millis(100);

/// Whether a Tracy profiler is connected (always `false` without the `tracy`
/// feature).
///
/// ```
/// assert!(!engine::telemetry::profiler_connected()); // nobody connects in a doctest
/// ```
#[must_use]
pub fn profiler_connected() -> bool {
    connected_now()
}

#[cfg(feature = "tracy")]
fn connected_now() -> bool {
    tracy::connection_epoch().is_some()
}

#[cfg(not(feature = "tracy"))]
fn connected_now() -> bool {
    false
}

/// Waits up to `timeout` for a Tracy profiler to connect, so that a capture starts
/// with the first frame; returns whether one is connected. Without the `tracy`
/// feature, returns `false` at once.
///
/// Polls every 5 ms. Once a profiler is connected it waits a further 100 ms before
/// returning: the Tracy client flags the connection before it reads the frame count
/// it sends in its welcome, so frames marked in between would be numbered by the
/// profiler as if they came before the capture (their events still arrive).
///
/// ```
/// use std::time::Duration;
/// assert!(!engine::telemetry::wait_for_profiler(Duration::from_millis(1)));
/// ```
#[must_use]
pub fn wait_for_profiler(timeout: Duration) -> bool {
    let start = std::time::Instant::now();
    loop {
        if connected_now() {
            std::thread::sleep(PROFILER_HANDSHAKE_GRACE);
            return connected_now();
        }
        if !cfg!(feature = "tracy") || start.elapsed() >= timeout {
            return false;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Turns Tracy's per-allocation mode on or off (off at start; no effect without the
/// `tracy` feature): every allocation of an arena built with
/// [`ArenaConfig::debug_blocks`](crate::ArenaConfig::debug_blocks) is then reported
/// in a pool `<name> allocations`. Each report costs a lock and a Tracy event (a few
/// hundred nanoseconds while a profiler is connected): for short debugging sessions.
///
/// ```
/// use engine::{Arena, ArenaConfig};
/// engine::telemetry::track_allocations(true);
/// let mut arena = Arena::with_config("debugged", ArenaConfig { debug_blocks: true, ..Default::default() });
/// arena.alloc(1u64); // reported while a profiler is connected
/// arena.reset(); // the `debugged allocations` pool is discarded
/// engine::telemetry::track_allocations(false);
/// ```
pub fn track_allocations(on: bool) {
    #[cfg(feature = "tracy")]
    tracy::set_track_allocations(on);
    #[cfg(not(feature = "tracy"))]
    let _ = on;
}
