//! Where [`Arena`]'s allocation family gets fresh memory, and the one place that
//! writes values into it: the primitives that `allocation_family!` (typed.rs) calls.

use super::alloc::AlignIs;
use super::{AllocError, Arena, short_copy};
use std::alloc::Layout;
use std::mem;
use std::ptr::NonNull;

// The writes shared by each allocating call and its `try_` twin, once they hold
// fresh memory.

/// Writes `make()` to `ptr` and returns it as a reference.
///
/// # Safety
/// `ptr` is fresh arena memory, aligned and big enough for a `T`, that nothing else
/// points to and that stays allocated for `'a`.
#[inline(always)]
unsafe fn init_with<'a, T>(ptr: NonNull<T>, make: impl FnOnce() -> T) -> &'a mut T {
    // SAFETY: the caller's guarantee.
    unsafe {
        ptr.as_ptr().write(make());
        &mut *ptr.as_ptr()
    }
}

/// Writes `fill(i)` to element `i` of the `len` at `ptr` and returns them as a slice.
///
/// # Safety
/// As for [`init_with`], for `len` values of `T`.
#[inline(always)]
unsafe fn fill_into<'a, T>(
    ptr: NonNull<T>,
    len: usize,
    mut fill: impl FnMut(usize) -> T,
) -> &'a mut [T] {
    for index in 0..len {
        // SAFETY: `index < len`, and the caller gives room for `len` values. `fill`
        // may allocate from the same arena: that memory is disjoint.
        unsafe { ptr.as_ptr().add(index).write(fill(index)) };
    }
    // SAFETY: all `len` elements were written above; the caller's guarantee covers
    // the rest.
    unsafe { std::slice::from_raw_parts_mut(ptr.as_ptr(), len) }
}

/// Copies `src` to `ptr` and returns the copy.
///
/// # Safety
/// As for [`init_with`], for `src.len()` values of `T`. The memory cannot overlap
/// `src`, which was allocated before it.
#[inline(always)]
unsafe fn copy_into<'a, T: Copy>(ptr: NonNull<T>, src: &[T]) -> &'a mut [T] {
    // SAFETY: the caller's guarantee, for the `size_of_val(src)` bytes of `src`'s
    // values; `T: Copy`, so a bitwise copy is a copy.
    unsafe {
        short_copy::copy_bytes(
            src.as_ptr().cast::<u8>(),
            ptr.as_ptr().cast::<u8>(),
            mem::size_of_val(src),
        );
        std::slice::from_raw_parts_mut(ptr.as_ptr(), src.len())
    }
}

/// Compile-time refusal of types whose destructor the arena would skip.
struct NoDrop<T>(std::marker::PhantomData<T>);
impl<T> NoDrop<T> {
    const CHECK: () = assert!(
        !mem::needs_drop::<T>(),
        "Arena refuses types that need Drop (their destructors would never run); use a LevelArena or an ArenaVec"
    );
}
#[allow(clippy::mut_from_ref)] // each call hands out fresh, disjoint memory
impl Arena {
    #[inline(always)]
    #[track_caller]
    pub(super) fn family_place<T>(&self, make: impl FnOnce() -> T) -> &mut T {
        const { NoDrop::<T>::CHECK };
        let ptr = self
            .alloc_layout_where(Layout::new::<T>(), AlignIs::Constant)
            .cast::<T>();
        // SAFETY: fresh memory for one `T`, borrowed for the lifetime of `&self`.
        unsafe { init_with(ptr, make) }
    }

    #[inline(always)]
    #[track_caller]
    pub(super) fn family_try_place<T>(
        &self,
        make: impl FnOnce() -> T,
    ) -> Result<&mut T, AllocError> {
        const { NoDrop::<T>::CHECK };
        let ptr = self
            .try_alloc_layout_where(Layout::new::<T>(), AlignIs::Constant)?
            .cast::<T>();
        // SAFETY: fresh memory for one `T`, borrowed for the lifetime of `&self`.
        Ok(unsafe { init_with(ptr, make) })
    }

    #[inline(always)]
    #[track_caller]
    pub(super) fn family_place_slice<T>(
        &self,
        len: usize,
        fill: impl FnMut(usize) -> T,
    ) -> &mut [T] {
        const { NoDrop::<T>::CHECK };
        let Ok(layout) = Layout::array::<T>(len) else {
            self.size_overflow_failed(len, mem::size_of::<T>())
        };
        let ptr = self
            .alloc_layout_where(layout, AlignIs::Constant)
            .cast::<T>();
        // SAFETY: fresh memory for `len` values of `T`, borrowed for the lifetime of
        // `&self`.
        unsafe { fill_into(ptr, len, fill) }
    }

    #[inline(always)]
    #[track_caller]
    pub(super) fn family_try_place_slice<T>(
        &self,
        len: usize,
        fill: impl FnMut(usize) -> T,
    ) -> Result<&mut [T], AllocError> {
        const { NoDrop::<T>::CHECK };
        let layout =
            Layout::array::<T>(len).map_err(|_| self.size_overflow(len, mem::size_of::<T>()))?;
        let ptr = self
            .try_alloc_layout_where(layout, AlignIs::Constant)?
            .cast::<T>();
        // SAFETY: fresh memory for `len` values of `T`, borrowed for the lifetime of
        // `&self`.
        Ok(unsafe { fill_into(ptr, len, fill) })
    }

    #[inline(always)]
    #[track_caller]
    pub(super) fn family_copy_slice<T: Copy>(&self, src: &[T]) -> &mut [T] {
        let ptr = self
            .alloc_layout_where(Layout::for_value(src), AlignIs::Constant)
            .cast::<T>();
        // SAFETY: fresh memory for `src.len()` values of `T`, borrowed for the
        // lifetime of `&self`.
        unsafe { copy_into(ptr, src) }
    }

    #[inline(always)]
    #[track_caller]
    pub(super) fn family_try_copy_slice<T: Copy>(&self, src: &[T]) -> Result<&mut [T], AllocError> {
        let ptr = self
            .try_alloc_layout_where(Layout::for_value(src), AlignIs::Constant)?
            .cast::<T>();
        // SAFETY: fresh memory for `src.len()` values of `T`, borrowed for the
        // lifetime of `&self`.
        Ok(unsafe { copy_into(ptr, src) })
    }
}

#[allow(clippy::mut_from_ref)] // hands out fresh, disjoint memory
impl Arena {
    /// `total` values of `T`, copied from `parts` one after the other into one fresh
    /// slice (`Frame::concat`). The parts must hold exactly `total` values.
    ///
    /// # Panics
    /// If `parts` holds more or fewer than `total` values: the slice would overflow,
    /// or have elements never written.
    pub(crate) fn try_alloc_concat<'s, T: Copy + 's>(
        &self,
        total: usize,
        parts: impl Iterator<Item = &'s [T]>,
    ) -> Result<&mut [T], AllocError> {
        let layout = Layout::array::<T>(total)
            .map_err(|_| self.size_overflow(total, mem::size_of::<T>()))?;
        let start = self
            .try_alloc_layout_where(layout, AlignIs::Constant)?
            .cast::<T>();
        let mut written = 0;
        for part in parts {
            assert!(
                part.len() <= total - written,
                "invariant: the parts hold {total} values"
            );
            // SAFETY: `written + part.len() <= total`, so the destination is inside the
            // fresh allocation for `total` values; `copy_into` writes `part.len()`.
            unsafe { copy_into(start.add(written), part) };
            written += part.len();
        }
        assert_eq!(written, total, "invariant: the parts hold {total} values");
        // SAFETY: all `total` elements were written above, into fresh memory for
        // `total` values of `T` that nothing else points to, borrowed for `&self`.
        Ok(unsafe { std::slice::from_raw_parts_mut(start.as_ptr(), total) })
    }
}
