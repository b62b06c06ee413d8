//! What Tracy is told: a memory pool and a plot per arena, frame marks, messages for
//! growth, trims and overflow, and the per-allocation pools. Built only with the `tracy`
//! feature.
//!
//! Two rules of the profiler shape this file. It keys a pool (and a plot) by the
//! *address* of its name, so each name is leaked once and the same pointer is passed
//! every time ([`ArenaNames`]). And allocating an address that is live in a pool, or
//! freeing one that is not, is fatal to it, so every event is sent only if the
//! profiler saw the state it changes: that is what the connection epoch tracks
//! (with Tracy's `ondemand` option, a profiler that connects sees nothing sent
//! before).

use super::ArenaReport;
use crate::{ArenaStats, BlockObserver, BlockTicket};
use std::ffi::{CStr, CString};
use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use tracy_client::{Client, sys};

// ---- connection ----------------------------------------------------------------------

/// Connections seen so far; the current one's number is its epoch.
static EPOCH: AtomicU64 = AtomicU64::new(0);
/// Whether the last look found a profiler connected.
static CONNECTED: AtomicBool = AtomicBool::new(false);

/// The epoch of the connected profiler, or `None` if none is connected. A profiler
/// that connects after a look found none gets a new epoch, so state reported to an
/// earlier one is not assumed. (A disconnect and reconnect between two looks, a
/// frame apart, would go unseen.)
pub(crate) fn connection_epoch() -> Option<u64> {
    if !Client::is_connected() {
        CONNECTED.store(false, Ordering::Release);
        return None;
    }
    if CONNECTED.swap(true, Ordering::AcqRel) {
        Some(EPOCH.load(Ordering::Acquire))
    } else {
        Some(EPOCH.fetch_add(1, Ordering::AcqRel) + 1)
    }
}

// ---- names ---------------------------------------------------------------------------

/// The profiler's names for one arena, leaked the first time the arena's name is
/// seen and the same pointers ever after.
pub(crate) struct ArenaNames {
    arena: Box<str>,
    /// The pool of the arena's chunks, named after the arena.
    chunks: &'static CStr,
    /// Per-allocation mode's pool, `<name> allocations`.
    allocations: &'static CStr,
    /// The plot of used bytes, `<name> used`.
    used_plot: &'static CStr,
    /// Epoch in which the `allocations` pool last got an allocation (0: never, or
    /// discarded since).
    allocations_epoch: AtomicU64,
}

static NAMES: Mutex<Vec<&'static ArenaNames>> = Mutex::new(Vec::new());

fn leak_c_string(text: String) -> &'static CStr {
    let text = CString::new(text.replace('\0', " ")).expect("interior NULs were replaced");
    Box::leak(text.into_boxed_c_str())
}

/// The names of `arena`, if it was seen before.
fn find_names(arena: &str) -> Option<&'static ArenaNames> {
    let names = NAMES.lock().unwrap_or_else(PoisonError::into_inner);
    names.iter().copied().find(|names| &*names.arena == arena)
}

/// The names of `arena`, made (and its plot configured) the first time.
fn names_for(arena: &str) -> &'static ArenaNames {
    let mut names = NAMES.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(found) = names.iter().copied().find(|names| &*names.arena == arena) {
        return found;
    }
    let made: &'static ArenaNames = Box::leak(Box::new(ArenaNames {
        arena: arena.into(),
        chunks: leak_c_string(arena.to_owned()),
        allocations: leak_c_string(format!("{arena} allocations")),
        used_plot: leak_c_string(format!("{arena} used")),
        allocations_epoch: AtomicU64::new(0),
    }));
    // SAFETY: the name is NUL-terminated and lives forever. Tracy keeps the plot's
    // configuration and sends it again to every profiler that connects.
    unsafe {
        sys::___tracy_emit_plot_config(
            made.used_plot.as_ptr(),
            sys::TracyPlotFormatEnum_TracyPlotFormatMemory as i32,
            1, // stepped: one value per frame
            1, // filled
            0, // default color
        );
    }
    names.push(made);
    made
}

// ---- the arena pools -----------------------------------------------------------------

/// Makes sure only one `Telemetry` at a time sends pool events.
static REPORTER_TAKEN: AtomicBool = AtomicBool::new(false);

/// A `Telemetry`'s link to Tracy.
pub(crate) struct TracyReporter {
    client: Client,
    /// Whether this reporter talks to Tracy (`None` until it first records).
    owner: Option<bool>,
    /// Message text, reused frame to frame.
    message: String,
}

impl TracyReporter {
    pub(crate) fn new() -> TracyReporter {
        TracyReporter {
            client: Client::start(),
            owner: None,
            message: String::new(),
        }
    }

    fn is_owner(&mut self) -> bool {
        *self
            .owner
            .get_or_insert_with(|| !REPORTER_TAKEN.swap(true, Ordering::AcqRel))
    }

    /// Sends one arena's frame: its plot value, its pool's changes, and a message for
    /// growth, a trim or overflow.
    pub(crate) fn record(
        &mut self,
        pool: &mut ChunkPool,
        stats: &ArenaStats,
        report: &ArenaReport,
        chunk_spans: impl IntoIterator<Item = (usize, usize)>,
    ) {
        if !self.is_owner() {
            return;
        }
        let Some(epoch) = connection_epoch() else {
            return;
        };
        let used = i64::try_from(stats.used_bytes).unwrap_or(i64::MAX);
        // SAFETY: the plot name is NUL-terminated and lives forever.
        unsafe { sys::___tracy_emit_plot_int(pool.names.used_plot.as_ptr(), used) };
        pool.report_chunks(epoch, chunk_spans);
        if report.grow_events > 0 {
            self.send_message(format_args!(
                "arena `{}` grew: {} new chunk(s), {} bytes committed (frame {})",
                report.name, report.grow_events, report.committed_bytes, report.frame_index
            ));
        }
        if report.trim_events > 0 {
            // The pool already shows the drop: the big chunk freed, the small one
            // allocated (`report_chunks` above).
            self.send_message(format_args!(
                "arena `{}` trimmed: {} bytes given back, {} bytes committed (frame {})",
                report.name, report.trimmed_bytes, report.committed_bytes, report.frame_index
            ));
        }
        if report.overflow_bytes > 0 {
            self.send_message(format_args!(
                "arena `{}` went {} bytes over budget (frame {})",
                report.name, report.overflow_bytes, report.frame_index
            ));
        }
    }

    /// Sends a Tracy message, formatted into the reused buffer (no allocation once
    /// it is big enough).
    fn send_message(&mut self, text: std::fmt::Arguments<'_>) {
        self.message.clear();
        let _ = self.message.write_fmt(text);
        self.client.message(&self.message, 0);
    }

    /// An arena is gone: its `used` plot goes to 0, and dropping `pool` empties its
    /// pool.
    pub(crate) fn forget(&mut self, pool: ChunkPool) {
        if self.is_owner() && connection_epoch().is_some() {
            // SAFETY: the plot name is NUL-terminated and lives forever.
            unsafe { sys::___tracy_emit_plot_int(pool.names.used_plot.as_ptr(), 0) };
        }
        drop(pool);
    }

    pub(crate) fn end_frame(&mut self) {
        if self.is_owner() {
            self.client.frame_mark();
        }
    }
}

impl Drop for TracyReporter {
    fn drop(&mut self) {
        if self.owner == Some(true) {
            REPORTER_TAKEN.store(false, Ordering::Release);
        }
    }
}

/// An arena's chunk pool, as the connected profiler holds it.
pub(crate) struct ChunkPool {
    names: &'static ArenaNames,
    /// Epoch of the connection that holds `spans` (0: none).
    epoch: u64,
    /// The chunks the profiler holds, as `(address, bytes)`.
    spans: Vec<(usize, usize)>,
    /// This frame's chunks, gathered to compare (kept to reuse its memory).
    scratch: Vec<(usize, usize)>,
}

impl ChunkPool {
    pub(crate) fn new(arena: &str) -> ChunkPool {
        ChunkPool {
            names: names_for(arena),
            epoch: 0,
            spans: Vec::new(),
            scratch: Vec::new(),
        }
    }

    /// Brings the profiler's pool in line with `chunk_spans`: a free for each chunk
    /// gone, an allocation for each new one, and nothing for a chunk the arena kept.
    /// A reset is not a discard: the chunks that survive it are still committed, and
    /// a discard followed by their allocation again would draw the pool dropping to 0
    /// every frame. Once the vectors have grown to the arena's chunk count, this does
    /// not allocate.
    fn report_chunks(&mut self, epoch: u64, chunk_spans: impl IntoIterator<Item = (usize, usize)>) {
        let pool = self.names.chunks.as_ptr();
        self.scratch.clear();
        self.scratch.extend(chunk_spans);
        if self.epoch != epoch {
            // A profiler that just connected holds none of the chunks.
            self.spans.clear();
        }
        for &(address, bytes) in &self.spans {
            if !self.scratch.contains(&(address, bytes)) {
                // SAFETY: the pool name is NUL-terminated and lives forever; the
                // profiler holds `address` in this pool.
                unsafe { sys::___tracy_emit_memory_free_named(address as *const _, pool) };
            }
        }
        for &(address, bytes) in &self.scratch {
            if !self.spans.contains(&(address, bytes)) {
                // SAFETY: as above; `address` is not live in the pool (freed just
                // above if it held another size, or never sent), so the profiler
                // accepts it.
                unsafe { sys::___tracy_emit_memory_alloc_named(address as *const _, bytes, pool) };
            }
        }
        std::mem::swap(&mut self.spans, &mut self.scratch);
        self.epoch = epoch;
    }
}

impl Drop for ChunkPool {
    /// Leaves the pool empty, so the profiler sees every chunk freed.
    fn drop(&mut self) {
        if self.epoch != 0 && connection_epoch() == Some(self.epoch) {
            // SAFETY: the pool name is NUL-terminated and lives forever.
            unsafe { sys::___tracy_emit_memory_discard(self.names.chunks.as_ptr()) };
        }
    }
}

// ---- per-allocation mode -------------------------------------------------------------

/// Whether allocations of debug-mode arenas are reported.
static TRACK_ALLOCATIONS: AtomicBool = AtomicBool::new(false);
/// Whether any allocation was ever reported (spares resets a lock until then).
static ANY_TRACKED: AtomicBool = AtomicBool::new(false);

pub(crate) fn set_track_allocations(on: bool) {
    if on {
        // Refused only if the game registered its own observer first; then that one
        // keeps the events, and Tracy's per-allocation pools stay empty.
        crate::set_block_observer(&TRACY_BLOCKS);
    }
    TRACK_ALLOCATIONS.store(on, Ordering::Release);
}

/// The observer of debug-mode blocks that reports them to Tracy. A block's
/// [`BlockTicket`] carries its address and the connection epoch it was sent in (0
/// if it was not sent), so that it is freed only in the connection that saw it.
struct TracyBlocks;

static TRACY_BLOCKS: TracyBlocks = TracyBlocks;

impl BlockObserver for TracyBlocks {
    fn allocated(&self, arena: &str, address: usize, size: usize) -> BlockTicket {
        // A zero-sized block may share its address with the next one: not sent.
        if size == 0 || !TRACK_ALLOCATIONS.load(Ordering::Acquire) {
            return BlockTicket::default();
        }
        let Some(epoch) = connection_epoch() else {
            return BlockTicket::default();
        };
        let names = names_for(arena);
        names.allocations_epoch.store(epoch, Ordering::Release);
        ANY_TRACKED.store(true, Ordering::Release);
        // SAFETY: the pool name is NUL-terminated and lives forever; `address` is a live
        // block that no other block of the arena overlaps.
        unsafe {
            sys::___tracy_emit_memory_alloc_named(
                address as *const _,
                size,
                names.allocations.as_ptr(),
            )
        };
        BlockTicket {
            address,
            tag: epoch,
        }
    }

    /// A debug-mode arena gave back a block (rewind or pop).
    fn freed(&self, arena: &str, block: BlockTicket) {
        if block.tag == 0 || connection_epoch() != Some(block.tag) {
            return;
        }
        if let Some(names) = find_names(arena) {
            // SAFETY: the pool name is NUL-terminated and lives forever; the profiler got
            // this block's allocation in this connection.
            unsafe {
                sys::___tracy_emit_memory_free_named(
                    block.address as *const _,
                    names.allocations.as_ptr(),
                )
            };
        }
    }

    /// A debug-mode arena was reset or dropped: all its blocks are gone.
    fn discarded(&self, arena: &str) {
        if !ANY_TRACKED.load(Ordering::Acquire) {
            return;
        }
        let Some(epoch) = connection_epoch() else {
            return;
        };
        if let Some(names) = find_names(arena)
            && names.allocations_epoch.swap(0, Ordering::AcqRel) == epoch
        {
            // SAFETY: the pool name is NUL-terminated and lives forever.
            unsafe { sys::___tracy_emit_memory_discard(names.allocations.as_ptr()) };
        }
    }
}
