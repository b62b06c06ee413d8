//! Reserved backing's page release on Linux: `madvise(MADV_DONTNEED)` gives pages
//! back at once (the next touch maps a zeroed page), and `mprotect` with no access
//! then ends their commit charge (in the default overcommit modes; strict
//! accounting keeps charging pages once touched). A trim also gives back the contents of the pages
//! it keeps committed beyond the recent need, so that pages a spike touched stop
//! being resident even where the arena's starting size keeps them committed.

use rustix::mm::{self, Advice, MprotectFlags};
use std::ffi::c_void;

/// Gives the pages of `start..start + len` back to the system but keeps them
/// committed: the next touch of each maps a zeroed page. `false` if the system
/// refused (the pages then stay as they were).
///
/// The caller passes a page-aligned range of committed pages inside one of its
/// reservations, holding no data anyone still uses.
pub(crate) fn release_pages(start: *mut u8, len: usize) -> bool {
    // SAFETY: the caller owns the range and nothing in it is in use, so dropping its
    // contents loses nothing; the pages stay mapped and accessible.
    unsafe { mm::madvise(start.cast::<c_void>(), len, Advice::LinuxDontNeed) }.is_ok()
}

/// Gives the pages of `start..start + len` back to the system and makes them
/// inaccessible. `false` if the protection could not be taken away (the kernel's
/// mapping count): the pages then stay accessible, and committed. Whether they are
/// inaccessible is all the answer says: the caller must never count an
/// inaccessible page as usable, while a page that could not be emptied (locked
/// memory refuses `MADV_DONTNEED`) merely stays resident.
///
/// The caller passes a page-aligned range of committed pages inside one of its
/// reservations, holding no data anyone still uses.
pub(crate) fn decommit(start: *mut u8, len: usize) -> bool {
    release_pages(start, len);
    // SAFETY: the caller owns the range and nothing in it is in use: no reference
    // into it is alive to fault on.
    unsafe { mm::mprotect(start.cast::<c_void>(), len, MprotectFlags::empty()) }.is_ok()
}
