//! Reserved backing's system calls that Linux and macOS share, through `rustix`:
//! it wraps them with typed flags and `io::Result`s and, on Linux, calls the kernel
//! directly, so no `libc` bindings or `extern` blocks of our own are needed.
//!
//! The range is mapped with no access (`PROT_NONE`) and `MAP_NORESERVE`, so it costs
//! address space only: no memory, and no commit charge. Committing makes pages
//! readable and writable (`mprotect`); the kernel then charges them, and backs each
//! with memory on first touch. How pages are given back differs (`linux.rs`,
//! `macos.rs`).

use rustix::mm::{self, MapFlags, MprotectFlags, ProtFlags};
use std::ffi::c_void;
use std::ptr::NonNull;

/// The system's page size.
pub(super) fn page_size() -> usize {
    rustix::param::page_size()
}

/// Reserves `bytes` (whole pages) of address space plus one guard page, none of it
/// accessible. `None` if the system refuses (address space exhausted, or a limit
/// such as `RLIMIT_AS`).
pub(crate) fn reserve(bytes: usize) -> Option<NonNull<u8>> {
    let with_guard = bytes.checked_add(super::page_size())?;
    // SAFETY: an anonymous mapping at an address the kernel chooses (null hint)
    // replaces nothing, so no memory the program uses can be affected.
    let start = unsafe {
        mm::mmap_anonymous(
            std::ptr::null_mut(),
            with_guard,
            ProtFlags::empty(),
            MapFlags::PRIVATE | MapFlags::NORESERVE,
        )
    }
    .ok()?;
    NonNull::new(start.cast::<u8>())
}

/// Makes `start..start + len` readable and writable. `false` if the system refuses
/// (the commit charge would pass the system's limit, or the mapping count would):
/// the range then stays inaccessible.
///
/// The caller passes a page-aligned range inside one of its reservations.
pub(crate) fn commit(start: *mut u8, len: usize) -> bool {
    // SAFETY: the range lies in a reservation the caller owns and has not handed
    // out (it was inaccessible), so changing its protection affects no live data.
    unsafe {
        mm::mprotect(
            start.cast::<c_void>(),
            len,
            MprotectFlags::READ | MprotectFlags::WRITE,
        )
    }
    .is_ok()
}

/// Unmaps a reservation of `bytes` (and its guard page) made by [`reserve`].
///
/// # Safety
/// - `start` and `bytes` are those of a reservation made by [`reserve`], not
///   released before;
/// - nothing in it is used after this call.
pub(crate) unsafe fn release(start: NonNull<u8>, bytes: usize) {
    // SAFETY: the caller guarantees the range is one whole reservation of ours that
    // nothing uses any more. A failure (only possible for a bad range, which the
    // contract excludes) would leave the range mapped: a leak, not a fault.
    let _ = unsafe { mm::munmap(start.as_ptr().cast::<c_void>(), bytes + super::page_size()) };
}
