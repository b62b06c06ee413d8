//! Destructors owed by a level arena, kept in the arena itself.

use crate::{AllocError, Arena};
use std::alloc::Layout;
use std::cell::Cell;
use std::ptr::{self, NonNull};

/// One value whose destructor must run when the level unloads. Entries live in the
/// arena they describe and form a list from newest to oldest.
struct DropEntry {
    older: *mut DropEntry,
    first: *mut u8,
    len: usize,
    drop_values: unsafe fn(*mut u8, usize),
}

/// # Safety
/// `first` points to `len` live, initialized values of `T` that nothing else will
/// drop.
unsafe fn drop_slice_as<T>(first: *mut u8, len: usize) {
    // SAFETY: guaranteed by the caller.
    unsafe { ptr::drop_in_place(ptr::slice_from_raw_parts_mut(first.cast::<T>(), len)) }
}

/// The newest entry; following `older` links visits values in reverse order of
/// allocation.
#[derive(Debug)]
pub(crate) struct DropList {
    newest: Cell<*mut DropEntry>,
    len: Cell<usize>,
}

impl DropList {
    pub(crate) fn new() -> DropList {
        DropList {
            newest: Cell::new(ptr::null_mut()),
            len: Cell::new(0),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.len.get()
    }

    /// Builds `make()` in `arena` and records its destructor (if it has one).
    pub(crate) fn alloc_with<T>(
        &self,
        arena: &Arena,
        make: impl FnOnce() -> T,
    ) -> Result<(NonNull<T>, usize), AllocError> {
        let mut make = Some(make);
        let (slice, reserved_end) = self.alloc_slice_with(arena, 1, |_| {
            make.take()
                .expect("invariant: a one-element slice is filled once")()
        })?;
        Ok((slice.cast(), reserved_end))
    }

    /// Allocates `len` values made by `fill` in `arena` and records their destructor
    /// (if they have one). The entry and the values are one allocation, so a
    /// failure changes nothing and `fill` is not called.
    ///
    /// If `fill` panics, the values made so far are leaked (never dropped twice).
    pub(crate) fn alloc_slice_with<T>(
        &self,
        arena: &Arena,
        len: usize,
        mut fill: impl FnMut(usize) -> T,
    ) -> Result<(NonNull<[T]>, usize), AllocError> {
        let values_layout = Layout::array::<T>(len).map_err(|_| AllocError::SizeOverflow {
            arena: arena.name_arc(),
            count: len,
            element_size: std::mem::size_of::<T>(),
        })?;
        let needs_drop = std::mem::needs_drop::<T>();
        let (layout, values_offset) = if needs_drop {
            Layout::new::<DropEntry>()
                .extend(values_layout)
                .map_err(|_| AllocError::SizeOverflow {
                    arena: arena.name_arc(),
                    count: len,
                    element_size: std::mem::size_of::<T>(),
                })?
        } else {
            (values_layout, 0)
        };
        let block = arena.try_alloc_layout(layout)?;
        // Before `fill` runs: what it allocates itself is not this block's.
        let reserved_end = arena.offset();
        // SAFETY: `values_offset` is within the block that `layout` describes.
        let first = unsafe { block.add(values_offset) }.cast::<T>();
        for index in 0..len {
            // SAFETY: `index < len`; the block holds `len` values of `T` from `first`.
            // `fill` may allocate from the arena too: that memory is disjoint.
            unsafe { first.as_ptr().add(index).write(fill(index)) };
        }
        if needs_drop {
            // SAFETY: the block starts with room for a `DropEntry`, disjoint from the
            // values; all `len` values are initialized above.
            unsafe {
                block.cast::<DropEntry>().as_ptr().write(DropEntry {
                    older: self.newest.get(),
                    first: first.as_ptr().cast(),
                    len,
                    drop_values: drop_slice_as::<T>,
                });
            }
            self.newest.set(block.cast::<DropEntry>().as_ptr());
            self.len.set(self.len.get() + len);
        }
        Ok((NonNull::slice_from_raw_parts(first, len), reserved_end))
    }

    /// Runs every recorded destructor, newest first, and forgets them.
    ///
    /// # Safety
    /// - every recorded value and entry is still allocated (the arena has not been
    ///   reset or rewound since they were recorded)
    /// - no reference to any of those values is alive
    pub(crate) unsafe fn run_all(&self) {
        // Take the list first: if a destructor panics, the rest are leaked, never
        // dropped twice.
        let mut entry = self.newest.replace(ptr::null_mut());
        self.len.set(0);
        while !entry.is_null() {
            // SAFETY: entries are live (caller's guarantee) and each value is dropped
            // once, because the list was detached above.
            unsafe {
                let DropEntry {
                    older,
                    first,
                    len,
                    drop_values,
                } = entry.read();
                drop_values(first, len);
                entry = older;
            }
        }
    }
}
