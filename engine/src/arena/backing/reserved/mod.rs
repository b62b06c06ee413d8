//! A reserved range of address space whose pages are committed as the arena
//! advances and decommitted when it trims: the system calls behind reserved
//! backing. `unix.rs` reserves, commits and releases on Linux and macOS, which give
//! pages back each their own way (`linux.rs`, `macos.rs`); `windows.rs` does all
//! five on Windows.
//!
//! Every system here reserves address space without memory or commit charge,
//! commits pages so that they are readable and writable (and charged), gives pages
//! back (decommit), and can drop a committed page's contents while keeping it
//! committed (its next touch reads zeros on Linux and macOS; on Windows the old
//! contents may come back: nothing relies on either). One page past the reservation is never
//! committed: a guard, so that no other mapping can sit right after the arena's last
//! byte.
//!
//! Only Linux is run here (its tests and CI); the macOS and Windows files are
//! type-checked against those targets (`cargo check --target`), not run.

#[cfg(target_os = "linux")]
mod linux;
#[cfg(target_os = "macos")]
mod macos;
#[cfg(unix)]
mod unix;
#[cfg(windows)]
mod windows;

#[cfg(target_os = "linux")]
pub(crate) use linux::{decommit, release_pages};
#[cfg(target_os = "macos")]
pub(crate) use macos::{decommit, release_pages};
#[cfg(unix)]
use unix as system;
#[cfg(unix)]
pub(crate) use unix::{commit, release, reserve};
#[cfg(windows)]
use windows as system;
#[cfg(windows)]
pub(crate) use windows::{commit, decommit, release, release_pages, reserve};

use std::sync::OnceLock;

/// The system's page size: the unit of every commit and decommit.
pub(crate) fn page_size() -> usize {
    static PAGE: OnceLock<usize> = OnceLock::new();
    *PAGE.get_or_init(system::page_size)
}

/// `bytes` rounded up to whole pages, or `None` if that overflows.
pub(crate) fn round_to_pages(bytes: usize) -> Option<usize> {
    bytes.checked_next_multiple_of(page_size())
}
