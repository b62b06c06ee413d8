//! Reserved backing's system calls on Windows, through `windows-sys`.
//!
//! `VirtualAlloc(MEM_RESERVE, PAGE_NOACCESS)` reserves address space without
//! charge; `VirtualAlloc(MEM_COMMIT, PAGE_READWRITE)` commits pages, which Windows
//! charges against the commit limit whether they are touched or not (the reason a
//! trim matters more here); `VirtualFree(MEM_DECOMMIT)` gives them back and
//! `VirtualFree(MEM_RELEASE)` the whole reservation. `MEM_RESET` keeps pages
//! committed but lets the system drop their contents.
//!
//! Type-checked for `x86_64-pc-windows-gnu`, not run here (see `mod.rs`).

use std::ffi::c_void;
use std::ptr::NonNull;
use windows_sys::Win32::System::Memory::{
    MEM_COMMIT, MEM_DECOMMIT, MEM_RELEASE, MEM_RESERVE, MEM_RESET, PAGE_NOACCESS, PAGE_READWRITE,
    VirtualAlloc, VirtualFree,
};
use windows_sys::Win32::System::SystemInformation::{GetSystemInfo, SYSTEM_INFO};

/// The system's page size.
pub(super) fn page_size() -> usize {
    let mut info = std::mem::MaybeUninit::<SYSTEM_INFO>::zeroed();
    // SAFETY: `GetSystemInfo` writes one `SYSTEM_INFO` through the pointer, which
    // points to one, and cannot fail.
    unsafe { GetSystemInfo(info.as_mut_ptr()) };
    // SAFETY: written just above (and zeroed before, so initialized either way).
    let info = unsafe { info.assume_init() };
    info.dwPageSize as usize
}

/// Reserves `bytes` (whole pages) of address space plus one guard page, none of it
/// accessible. `None` if the system refuses.
pub(crate) fn reserve(bytes: usize) -> Option<NonNull<u8>> {
    let with_guard = bytes.checked_add(super::page_size())?;
    // SAFETY: a reservation at an address the system chooses (null) replaces
    // nothing, so no memory the program uses can be affected.
    let start = unsafe { VirtualAlloc(std::ptr::null(), with_guard, MEM_RESERVE, PAGE_NOACCESS) };
    NonNull::new(start.cast::<u8>())
}

/// Commits `start..start + len`, readable and writable; `false` if the system
/// refuses (the commit limit).
///
/// The caller passes a page-aligned range inside one of its reservations.
pub(crate) fn commit(start: *mut u8, len: usize) -> bool {
    // SAFETY: the range lies in a reservation the caller owns and has not handed
    // out, so committing it affects no live data.
    let committed =
        unsafe { VirtualAlloc(start.cast::<c_void>(), len, MEM_COMMIT, PAGE_READWRITE) };
    !committed.is_null()
}

/// Lets the system drop the contents of `start..start + len` while the pages stay
/// committed.
///
/// The caller passes a page-aligned range of committed pages inside one of its
/// reservations, holding no data anyone still uses.
pub(crate) fn release_pages(start: *mut u8, len: usize) -> bool {
    // SAFETY: the caller owns the range and nothing in it is in use, so its
    // contents may be lost; the pages stay committed and accessible.
    let reset = unsafe { VirtualAlloc(start.cast::<c_void>(), len, MEM_RESET, PAGE_READWRITE) };
    !reset.is_null()
}

/// Decommits `start..start + len`: the pages go back to the system and stop being
/// charged.
///
/// The caller passes a page-aligned range of committed pages inside one of its
/// reservations, holding no data anyone still uses.
pub(crate) fn decommit(start: *mut u8, len: usize) -> bool {
    // SAFETY: the caller owns the range and nothing in it is in use: no reference
    // into it is alive to fault on.
    unsafe { VirtualFree(start.cast::<c_void>(), len, MEM_DECOMMIT) != 0 }
}

/// Releases a reservation made by [`reserve`].
///
/// # Safety
/// - `start` is that of a reservation made by [`reserve`], not released before;
/// - nothing in it is used after this call.
pub(crate) unsafe fn release(start: NonNull<u8>, _bytes: usize) {
    // SAFETY: the caller guarantees `start` is one whole reservation of ours that
    // nothing uses any more (`MEM_RELEASE` takes its base and a size of 0). A
    // failure would leave it reserved: a leak, not a fault.
    let _ = unsafe { VirtualFree(start.as_ptr().cast::<c_void>(), 0, MEM_RELEASE) };
}
