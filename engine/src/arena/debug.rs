//! Debug mode ([`ArenaConfig::debug_blocks`](crate::ArenaConfig::debug_blocks)): a
//! record of every live allocation, checked pops, poisoned freed bytes, and events an
//! observer (a profiler) can subscribe to.
//!
//! The arena knows nothing of who observes it: an observer registers itself with
//! [`set_block_observer`], and the arena only calls the [`BlockObserver`] it was
//! given.

use super::{Arena, sanitizer};
use std::ptr;
use std::sync::OnceLock;

/// The byte written over freed memory by arenas in debug mode
/// ([`ArenaConfig::debug_blocks`](crate::ArenaConfig::debug_blocks)). A value read
/// back as `0xDD...` is a use-after-free in the caller's unsafe code.
pub const POISON_BYTE: u8 = 0xDD;

/// What an observer keeps about one block it was told of; the arena hands it back
/// when the block is freed.
///
/// ```
/// let ticket = engine::BlockTicket { address: 0x1000, tag: 7 };
/// assert_eq!(ticket, engine::BlockTicket { address: 0x1000, tag: 7 });
/// assert_eq!(engine::BlockTicket::default().tag, 0);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BlockTicket {
    /// The block's address, as reported to [`BlockObserver::allocated`].
    pub address: usize,
    /// The observer's own tag; 0 by convention when it did not record the block.
    pub tag: u64,
}

/// Events of every debug-mode arena's blocks
/// ([`ArenaConfig::debug_blocks`](crate::ArenaConfig::debug_blocks)), for a profiler
/// or a leak checker.
///
/// The arena calls these from its slow paths, after its own bookkeeping for the
/// event and holding no borrow of its state. An observer should not allocate from
/// or free into the arena that calls it: that is memory-safe, but the block records
/// then no longer follow the stack order the observer sees.
///
/// # Example
/// ```
/// use engine::{Arena, ArenaConfig, BlockObserver, BlockTicket};
/// use std::sync::atomic::{AtomicUsize, Ordering};
///
/// struct LiveBytes(AtomicUsize);
/// impl BlockObserver for LiveBytes {
///     fn allocated(&self, _arena: &str, address: usize, size: usize) -> BlockTicket {
///         self.0.fetch_add(size, Ordering::Relaxed);
///         BlockTicket { address, tag: size as u64 }
///     }
///     fn freed(&self, _arena: &str, ticket: BlockTicket) {
///         self.0.fetch_sub(ticket.tag as usize, Ordering::Relaxed);
///     }
///     fn discarded(&self, _arena: &str) {}
/// }
///
/// static LIVE: LiveBytes = LiveBytes(AtomicUsize::new(0));
/// engine::set_block_observer(&LIVE);
/// let mut arena = Arena::with_config("dbg", ArenaConfig { debug_blocks: true, ..Default::default() });
/// arena.push(100);
/// arena.push(28);
/// arena.pop(28);
/// assert_eq!(LIVE.0.load(Ordering::Relaxed), 100);
/// ```
pub trait BlockObserver: Sync {
    /// A block of `size` bytes at `address` was allocated in the arena named
    /// `arena`. What it returns comes back to [`freed`](BlockObserver::freed).
    fn allocated(&self, arena: &str, address: usize, size: usize) -> BlockTicket;
    /// The block of `ticket` was freed by a pop, rewind or scope exit.
    fn freed(&self, arena: &str, ticket: BlockTicket);
    /// Every block of the arena was freed at once: a reset, or the arena dropped.
    fn discarded(&self, arena: &str);
}

static OBSERVER: OnceLock<&'static dyn BlockObserver> = OnceLock::new();

/// Registers the observer of every debug-mode arena's blocks, for the rest of the
/// process. Returns `false`, and changes nothing, if one was registered already:
/// there is one observer per process, as there is one profiler.
///
/// Blocks allocated before the call are not reported, and their frees are reported
/// with a default [`BlockTicket`]. Costs one atomic load per debug-mode event when no
/// observer is registered; arenas outside debug mode never call it.
///
/// ```
/// struct Quiet;
/// impl engine::BlockObserver for Quiet {
///     fn allocated(&self, _: &str, address: usize, _: usize) -> engine::BlockTicket {
///         engine::BlockTicket { address, tag: 0 }
///     }
///     fn freed(&self, _: &str, _: engine::BlockTicket) {}
///     fn discarded(&self, _: &str) {}
/// }
/// static QUIET: Quiet = Quiet;
/// assert!(engine::set_block_observer(&QUIET));
/// assert!(!engine::set_block_observer(&QUIET)); // the first one stays
/// ```
pub fn set_block_observer(observer: &'static dyn BlockObserver) -> bool {
    OBSERVER.set(observer).is_ok()
}

pub(super) fn blocks_discarded(arena: &str) {
    if let Some(observer) = OBSERVER.get() {
        observer.discarded(arena);
    }
}

pub(super) fn block_freed(arena: &str, block: Block) {
    if let Some(observer) = OBSERVER.get() {
        observer.freed(arena, block.ticket);
    }
}

/// Debug mode's record of one allocation.
#[derive(Debug, Clone, Copy)]
pub(super) struct Block {
    /// Offset before the allocation's alignment padding.
    pub(super) offset_before: usize,
    pub(super) size: usize,
    /// What the observer returned for it, if one was registered.
    pub(super) ticket: BlockTicket,
}

impl Arena {
    /// Debug-mode bookkeeping after an allocation took the slow path: records the
    /// block, and keeps `limit` at `ptr` so that the next allocation comes here too.
    pub(super) fn record_block(&self, offset_before: usize, size: usize) {
        if !self.config.debug_blocks {
            return;
        }
        // Zero-sized allocations are not blocks (most never reach this slow path), so
        // `pop(0)` frees nothing, as in a normal arena.
        if size > 0 {
            let ticket = match OBSERVER.get() {
                Some(observer) => {
                    observer.allocated(&self.name, self.ptr.get().addr() - size, size)
                }
                None => BlockTicket::default(),
            };
            // SAFETY: no other borrow of the slow state is alive: callers hold none,
            // and the observer above has returned.
            let slow = unsafe { &mut *self.slow.get() };
            slow.blocks.push(Block {
                offset_before,
                size,
                ticket,
            });
        }
        self.limit.set(self.ptr.get());
    }

    /// Debug mode: overwrites the logical bytes `from..to` with [`POISON_BYTE`].
    pub(super) fn poison(&mut self, from: usize, to: usize) {
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
                let start = chunks[index].start().wrapping_add(lo - base);
                // Alignment padding in the range was never handed out, so the `asan`
                // feature keeps it poisoned; the caller poisons it all again after.
                sanitizer::unpoison(start, hi - lo);
                // SAFETY: `lo..hi` lies within the used part of chunk `index`
                // (`base..end`), and `&mut self` proves no reference points into it.
                unsafe {
                    ptr::write_bytes(start, POISON_BYTE, hi - lo);
                }
            }
        }
    }
}
