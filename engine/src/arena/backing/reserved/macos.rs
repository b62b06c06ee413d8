//! Reserved backing's page release on macOS. Its `madvise` only hints
//! (`MADV_DONTNEED` may keep the pages and their contents), so a fresh anonymous
//! mapping is put over the range instead (`mmap` with `MAP_FIXED`), which drops the
//! old pages at once: with no access to decommit, readable and writable to keep the
//! pages committed but empty.
//!
//! Type-checked for `aarch64-apple-darwin`, not run here (see `mod.rs`).

use rustix::mm::{self, MapFlags, ProtFlags};
use std::ffi::c_void;

/// Puts a fresh anonymous mapping with `prot` over `start..start + len`, dropping
/// the pages there.
fn replace(start: *mut u8, len: usize, prot: ProtFlags) -> bool {
    // SAFETY: `MAP_FIXED` replaces whatever is mapped in the range; the caller owns
    // the range (inside one of its reservations) and holds no data there, so only
    // its own unused pages are replaced. A failed `MAP_FIXED` may leave the range
    // unmapped under POSIX; XNU restores the old mapping instead, which this relies
    // on (a hole would let a later commit or the final `munmap` reach another
    // mapping placed there).
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
