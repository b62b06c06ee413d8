//! The engine under a `#[global_allocator]` it does not control: one that calls back
//! into an arena while the arena is taking memory from it, and one that watches how
//! much chunk memory an arena holds at every moment.
//!
//! The arenas here are chunked on purpose ([`Backing::Chunked`]): chunked growth is
//! what calls the global allocator. Reserved growth calls the system instead, and
//! its reservation is never larger than a limit.
//!
//! `harness = false` (Cargo.toml): the allocator is process-wide and its hooks are
//! armed one check at a time, on the main thread. CI runs this binary under
//! AddressSanitizer too, which is where a use-after-free would show.

use engine::{AllocError, Arena, ArenaConfig, Backing, FrameArenas, FrameConfig};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Forwards to `System`. When a hook is armed, the next allocation on this thread
/// runs it first, once; allocations the hook makes itself do not run it again.
struct ReentrantAllocator;

/// The armed hook, its lifetime erased: [`with_hook`] clears it before the closure
/// it points to goes away.
type ErasedHook = *const (dyn Fn() + 'static);

thread_local! {
    static HOOK: Cell<Option<ErasedHook>> = const { Cell::new(None) };
    static IN_HOOK: Cell<bool> = const { Cell::new(false) };
}

/// Chunks are the only allocations aligned to 64 bytes: their live bytes and peak.
static CHUNK_BYTES_LIVE: AtomicUsize = AtomicUsize::new(0);
static CHUNK_BYTES_PEAK: AtomicUsize = AtomicUsize::new(0);
const CHUNK_ALIGN: usize = 64;

/// What the last hook saw, as text.
static OUTCOME: Mutex<Option<String>> = Mutex::new(None);

// SAFETY: every call forwards to `System` with the caller's arguments; the hook runs
// before the forwarded call and does not touch the block being allocated.
unsafe impl GlobalAlloc for ReentrantAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        run_hook();
        if layout.align() == CHUNK_ALIGN {
            let live = CHUNK_BYTES_LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            CHUNK_BYTES_PEAK.fetch_max(live, Ordering::Relaxed);
        }
        // SAFETY: the caller's guarantee, passed on.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if layout.align() == CHUNK_ALIGN {
            CHUNK_BYTES_LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        }
        // SAFETY: the caller's guarantee, passed on.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: ReentrantAllocator = ReentrantAllocator;

fn run_hook() {
    if IN_HOOK.get() {
        return;
    }
    if let Some(hook) = HOOK.take() {
        IN_HOOK.set(true);
        // SAFETY: `with_hook` armed it and is still running (it disarms the hook
        // before it returns or unwinds), so the closure is alive and borrowed.
        unsafe { (*hook)() };
        IN_HOOK.set(false);
    }
}

/// Runs `check` with `hook` armed for the next allocation on this thread, and
/// disarms it afterwards (also if `check` panics). Nothing is leaked, so the
/// AddressSanitizer run's leak check stays quiet.
fn with_hook(hook: &dyn Fn(), check: impl FnOnce()) {
    struct Disarm;
    impl Drop for Disarm {
        fn drop(&mut self) {
            HOOK.set(None);
        }
    }
    // SAFETY: only the lifetime changes; `Disarm` clears `HOOK` before `hook`'s
    // borrow ends, so the pointer is never called after that.
    let erased = unsafe { std::mem::transmute::<*const (dyn Fn() + '_), ErasedHook>(hook) };
    let _disarm = Disarm;
    HOOK.set(Some(erased));
    check();
}

fn record(outcome: String) {
    *OUTCOME.lock().unwrap() = Some(outcome);
}

/// A chunked arena, whatever the build's default backing.
fn chunked(name: &str, limit_bytes: Option<usize>) -> Arena {
    Arena::with_config(
        name,
        ArenaConfig {
            limit_bytes,
            backing: Backing::Chunked,
            ..ArenaConfig::default()
        },
    )
}

fn take_outcome() -> String {
    OUTCOME
        .lock()
        .unwrap()
        .take()
        .expect("the hook ran during the arena's growth")
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| {
            payload
                .downcast_ref::<&str>()
                .map(|text| (*text).to_owned())
        })
        .unwrap_or_default()
}

/// Audit finding 1: a `try_` allocation from inside the global allocator, while the
/// arena takes a chunk, got the arena's half-updated chunk list (a use-after-free,
/// and with a nested growth a double free). It is refused with `Reentered`.
fn reentrant_try_alloc_is_refused() {
    let arena = chunked("reentered", None);
    let hook = || {
        let inner = arena
            .try_alloc_slice_fill_copy(100_000, 1u8)
            .map(|bytes| bytes.len());
        record(format!("{inner:?}"));
    };
    // The arena has no chunk yet: this allocation takes one, and the hook runs then.
    let mut outer: &mut [u8] = &mut [];
    with_hook(&hook, || outer = arena.alloc_slice_fill_copy(1000, 7u8));
    let inner = take_outcome();
    assert!(inner.starts_with("Err(Reentered"), "{inner}");
    assert!(outer.iter().all(|&byte| byte == 7));
    let stats = arena.stats();
    assert_eq!(
        (stats.used_bytes, stats.chunk_count),
        (1000, 1),
        "{stats:?}"
    );
    // The arena works as before once its slow path is over.
    assert_eq!(arena.alloc_slice_fill_copy(100_000, 2u8).len(), 100_000);
}

/// Audit finding 1, the panicking calls: they panic with a message that says what
/// happened, and the outer call completes.
fn reentrant_alloc_panics_with_a_message() {
    let arena = chunked("reentered-panic", None);
    let hook = || {
        let result = catch_unwind(AssertUnwindSafe(|| arena.alloc(5u64).to_string()));
        record(match result {
            Ok(value) => format!("allocated {value}"),
            Err(payload) => panic_message(&*payload),
        });
    };
    let mut outer = &mut 0u64;
    with_hook(&hook, || outer = arena.alloc(9u64));
    let message = take_outcome();
    assert!(
        message.contains("`reentered-panic` was called again while it was taking memory"),
        "{message}"
    );
    assert_eq!(*outer, 9);
    assert_eq!(arena.stats().used_bytes, 8);
    let error = AllocError::Reentered {
        arena: "reentered-panic".into(),
    };
    assert!(message.contains(&error.to_string()), "{message}");
}

/// Audit finding 1, through `Frame::keep`: it reads the chunk list, which the growth
/// it was called from was changing.
fn reentrant_frame_keep_panics_with_a_message() {
    let mut frames = FrameArenas::new(FrameConfig {
        budget_bytes: 4096,
        backing: Backing::Chunked,
        ..FrameConfig::default()
    });
    let frame = frames.begin_frame();
    let kept: &[u32] = frame.alloc_slice_copy(&[1, 2, 3]);
    let hook = || {
        let result = catch_unwind(AssertUnwindSafe(|| frame.keep(kept).is_some()));
        record(match result {
            Ok(kept) => format!("kept: {kept}"),
            Err(payload) => panic_message(&*payload),
        });
    };
    // Past the 4 KiB first chunk: the frame's arena grows, and the hook runs.
    let mut big: &mut [u8] = &mut [];
    with_hook(&hook, || big = frame.alloc_slice_fill_copy(64 * 1024, 0u8));
    let message = take_outcome();
    assert!(
        message.contains("was called again while it was taking memory"),
        "{message}"
    );
    assert_eq!(big.len(), 64 * 1024);
    assert!(frame.keep(kept).is_some(), "outside the growth, keep works");
}

/// Audit finding 4: growth and reset took the new chunk before they freed the old
/// ones, so an arena limited to 65,536 bytes held 126,976 for a moment.
fn a_limited_arena_never_holds_more_than_its_limit() {
    const LIMIT: usize = 65_536;
    let mut arena = chunked("capped", Some(LIMIT));
    CHUNK_BYTES_PEAK.store(CHUNK_BYTES_LIVE.load(Ordering::Relaxed), Ordering::Relaxed);
    let baseline = CHUNK_BYTES_LIVE.load(Ordering::Relaxed);
    for _cycle in 0..3 {
        // Grows through 4, 8, 16 and 32 KiB chunks, then a reset consolidates them.
        while arena.try_push(3000).is_ok() {}
        arena.reset();
        // Spares: fill, rewind to the start, then ask for more than a spare holds.
        let mark = arena.mark();
        while arena.try_push(1000).is_ok() {}
        arena.rewind(mark);
        let _ = arena.try_push(40_000);
        arena.reset();
    }
    let peak = CHUNK_BYTES_PEAK.load(Ordering::Relaxed) - baseline;
    assert!(peak <= LIMIT, "held {peak} bytes of chunks, limit {LIMIT}");
    assert!(arena.stats().committed_bytes <= LIMIT);
}

fn main() {
    let checks: [(&str, fn()); 4] = [
        (
            "reentrant_try_alloc_is_refused",
            reentrant_try_alloc_is_refused,
        ),
        (
            "reentrant_alloc_panics_with_a_message",
            reentrant_alloc_panics_with_a_message,
        ),
        (
            "reentrant_frame_keep_panics_with_a_message",
            reentrant_frame_keep_panics_with_a_message,
        ),
        (
            "a_limited_arena_never_holds_more_than_its_limit",
            a_limited_arena_never_holds_more_than_its_limit,
        ),
    ];
    // The re-entrant calls panic on purpose, inside the hook; report other panics.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !info
            .to_string()
            .contains("was called again while it was taking memory")
        {
            default_hook(info);
        }
    }));
    for (name, check) in checks {
        check();
        println!("ok: {name}");
    }
}
