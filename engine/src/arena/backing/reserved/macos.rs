//! Reserved backing's system calls on macOS, through `rustix` as on Linux.
//!
//! Reserving, committing and releasing work as on Linux (`mmap` with no access,
//! `mprotect`, `munmap`). Giving pages back differs: macOS's `madvise` only hints
//! (`MADV_DONTNEED` may keep the pages and their contents), so a fresh anonymous
//! mapping is put over the range instead (`mmap` with `MAP_FIXED`), which drops the
//! old pages at once: with no access to decommit, readable and writable to keep the
//! pages committed but empty.
//!
//! Type-checked for `aarch64-apple-darwin`, not run here (see `mod.rs`).

use rustix::mm::{self, MapFlags, MprotectFlags, ProtFlags};
use std::ffi::c_void;
use std::ptr::NonNull;

/// The system's page size.
pub(super) fn page_size() -> usize {
    rustix::param::page_size()
}

/// Reserves `bytes` (whole pages) of address space plus one guard page, none of it
/// accessible. `None` if the system refuses.
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

/// Makes `start..start + len` readable and writable; `false` if the system refuses.
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

/// Puts a fresh anonymous mapping with `prot` over `start..start + len`, dropping
/// the pages there.
fn replace(start: *mut u8, len: usize, prot: ProtFlags) -> bool {
    // SAFETY: `MAP_FIXED` replaces whatever is mapped in the range; the caller owns
    // the range (inside one of its reservations) and holds no data there, so only
    // its own unused pages are replaced.
    unsafe {
        mm::mmap_anonymous(
            start.cast::<c_void>(),
            len,
            prot,
            MapFlags::PRIVATE | MapFlags::FIXED | MapFlags::NORESERVE,
        )
    }
    .is_ok()
}

/// Gives the pages of `start..start + len` back to the system but keeps them
/// committed: the next touch of each maps a zeroed page.
///
/// The caller passes a page-aligned range of committed pages inside one of its
/// reservations, holding no data anyone still uses.
pub(crate) fn release_pages(start: *mut u8, len: usize) -> bool {
    replace(start, len, ProtFlags::READ | ProtFlags::WRITE)
}

/// Gives the pages of `start..start + len` back to the system and makes them
/// inaccessible.
///
/// The caller passes a page-aligned range of committed pages inside one of its
/// reservations, holding no data anyone still uses.
pub(crate) fn decommit(start: *mut u8, len: usize) -> bool {
    replace(start, len, ProtFlags::empty())
}

/// Unmaps a reservation of `bytes` (and its guard page) made by [`reserve`].
///
/// # Safety
/// - `start` and `bytes` are those of a reservation made by [`reserve`], not
///   released before;
/// - nothing in it is used after this call.
pub(crate) unsafe fn release(start: NonNull<u8>, bytes: usize) {
    // SAFETY: the caller guarantees the range is one whole reservation of ours that
    // nothing uses any more. A failure (only for a bad range, which the contract
    // excludes) would leave the range mapped: a leak, not a fault.
    let _ = unsafe { mm::munmap(start.as_ptr().cast::<c_void>(), bytes + super::page_size()) };
}
