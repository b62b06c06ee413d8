//! The allocation fast path: a pointer bump in the current chunk. Every allocating
//! call of every arena type ends up in [`Arena::bump_fast`]; what does not fit goes
//! to the slow path in `growth.rs`.

use super::{AllocError, Arena, alloc_failed, bump};
use std::alloc::Layout;
use std::ptr::NonNull;
use std::sync::Arc;

/// Whether the compiler knows an allocation's alignment, which decides how
/// [`Arena::bump_fast`] computes the aligned start.
///
/// With a constant alignment, rounding up (`(ptr + align - 1) & !(align - 1)`) is
/// two instructions and the end one more. With a run-time one the compiler turns
/// that into a longer chain, while adding the padding (`ptr + (-ptr & (align - 1))`)
/// lets it add `size` to `ptr` alongside. Each case uses the form that benchmarked
/// faster for it.
#[derive(Clone, Copy)]
pub(super) enum AlignIs {
    /// A type's alignment, a constant once inlined.
    Constant,
    /// Any other alignment, as in `alloc_layout`.
    RunTime,
}

impl Arena {
    /// The allocation fast path: bumps `ptr` by `size` bytes aligned to `align` if they
    /// end at or below `limit`.
    ///
    /// The caller guarantees `align` is a power of two and `size + align - 1` at most
    /// `isize::MAX`, which holds for any valid `Layout`. On 64-bit targets `ptr` is
    /// at most `isize::MAX` too: it is the dangling 1 or lies in a chunk, and
    /// [`Chunk::allocate`] refuses memory that ends above `isize::MAX`. So the end
    /// of the allocation cannot wrap, and `end <= limit` alone decides, where
    /// [`bump_below`](Arena::bump_below) must compare the room left (`limit - ptr`)
    /// with what it needs. Other targets keep `bump_below`: 32-bit Linux, for one,
    /// maps user memory above `isize::MAX`.
    ///
    /// `align_is` picks how the start is computed. Both give the same address; they
    /// differ in what the compiler makes of them (see [`AlignIs`]).
    #[inline(always)]
    pub(super) fn bump_fast(
        &self,
        size: usize,
        align: usize,
        align_is: AlignIs,
    ) -> Option<NonNull<u8>> {
        #[cfg(target_pointer_width = "64")]
        {
            let ptr = self.ptr.get();
            let (start, end) = match align_is {
                AlignIs::Constant => bump::place_rounding_up(ptr.addr(), size, align),
                AlignIs::RunTime => bump::place_adding_padding(ptr.addr(), size, align),
            };
            if end > self.limit.get().addr() {
                return None;
            }
            self.ptr.set(ptr.with_addr(end));
            self.allocation_count.set(self.allocation_count.get() + 1);
            #[cfg(feature = "asan")]
            super::sanitizer::unpoison(ptr.with_addr(start), size);
            // SAFETY: `start >= ptr` (nothing wraps, see above), and `ptr` is never
            // null (it starts dangling at 1 and otherwise points into a chunk).
            Some(unsafe { NonNull::new_unchecked(ptr.with_addr(start)) })
        }
        #[cfg(not(target_pointer_width = "64"))]
        {
            let _ = align_is;
            self.bump_below(self.limit.get(), size, align)
        }
    }

    /// Bumps `ptr` by `size` bytes aligned to `align` if that fits below `limit`, at
    /// any address. The slow paths use it, and targets other than 64-bit ones use it
    /// as the fast path too.
    ///
    /// The caller guarantees `align` is a power of two, `size` at most
    /// `isize::MAX - (align - 1)` (any valid `Layout`) and `ptr <= limit`, so nothing
    /// overflows.
    #[inline(always)]
    pub(super) fn bump_below(
        &self,
        limit: *mut u8,
        size: usize,
        align: usize,
    ) -> Option<NonNull<u8>> {
        let ptr = self.ptr.get();
        let (start, end) = bump::place_below(ptr.addr(), limit.addr(), size, align)?;
        self.ptr.set(ptr.with_addr(end));
        self.allocation_count.set(self.allocation_count.get() + 1);
        #[cfg(feature = "asan")]
        super::sanitizer::unpoison(ptr.with_addr(start), end - start);
        // SAFETY: `start >= ptr`, and `ptr` is never null (it starts dangling at 1
        // and otherwise points into a chunk).
        Some(unsafe { NonNull::new_unchecked(ptr.with_addr(start)) })
    }

    /// Allocates memory for `layout`; the bytes are uninitialized.
    ///
    /// This is the call for layouts only known at run time. The pointer is valid for
    /// `layout.size()` bytes until the arena is reset, rewound or popped below it.
    ///
    /// # Panics
    /// If the arena cannot hold the request (see [`try_alloc_layout`](Arena::try_alloc_layout)).
    ///
    /// ```
    /// use std::alloc::Layout;
    /// let arena = engine::Arena::new("raw");
    /// let p = arena.alloc_layout(Layout::from_size_align(48, 16).unwrap());
    /// assert_eq!(p.as_ptr() as usize % 16, 0);
    /// ```
    #[inline(always)]
    #[track_caller]
    pub fn alloc_layout(&self, layout: Layout) -> NonNull<u8> {
        self.alloc_layout_where(layout, AlignIs::RunTime)
    }

    /// Fallible [`alloc_layout`](Arena::alloc_layout).
    ///
    /// # Errors
    /// [`AllocError::CapacityExceeded`], [`AllocError::LimitExceeded`] or
    /// [`AllocError::OutOfMemory`] when no chunk can hold the request; the arena is
    /// unchanged.
    ///
    /// ```
    /// use std::alloc::Layout;
    /// let arena = engine::Arena::with_fixed_capacity("raw", 64);
    /// assert!(arena.try_alloc_layout(Layout::from_size_align(128, 8).unwrap()).is_err());
    /// assert_eq!(arena.offset(), 0);
    /// ```
    #[inline(always)]
    pub fn try_alloc_layout(&self, layout: Layout) -> Result<NonNull<u8>, AllocError> {
        self.try_alloc_layout_where(layout, AlignIs::RunTime)
    }

    /// [`alloc_layout`](Arena::alloc_layout), for a caller that can say whether the
    /// compiler knows `layout`'s alignment (a type's).
    #[inline(always)]
    #[track_caller]
    pub(super) fn alloc_layout_where(&self, layout: Layout, align_is: AlignIs) -> NonNull<u8> {
        match self.bump_fast(layout.size(), layout.align(), align_is) {
            Some(ptr) => ptr,
            None => self.alloc_slow_or_panic(layout),
        }
    }

    /// [`try_alloc_layout`](Arena::try_alloc_layout), as
    /// [`alloc_layout_where`](Arena::alloc_layout_where).
    #[inline(always)]
    pub(super) fn try_alloc_layout_where(
        &self,
        layout: Layout,
        align_is: AlignIs,
    ) -> Result<NonNull<u8>, AllocError> {
        match self.bump_fast(layout.size(), layout.align(), align_is) {
            Some(ptr) => Ok(ptr),
            None => self.alloc_slow(layout),
        }
    }

    pub(crate) fn size_overflow(&self, count: usize, element_size: usize) -> AllocError {
        AllocError::SizeOverflow {
            arena: Arc::clone(&self.name),
            count,
            element_size,
        }
    }

    /// Out of line, like [`alloc_slow_or_panic`](Arena::alloc_slow_or_panic), so the
    /// error is never built in the caller's frame.
    #[cold]
    #[inline(never)]
    #[track_caller]
    pub(super) fn size_overflow_failed(&self, count: usize, element_size: usize) -> ! {
        alloc_failed(self.size_overflow(count, element_size))
    }

    pub(super) fn invalid_layout(&self, size: usize, align: usize) -> AllocError {
        AllocError::InvalidLayout {
            arena: Arc::clone(&self.name),
            size,
            align,
        }
    }

    #[cold]
    #[inline(never)]
    #[track_caller]
    pub(super) fn invalid_layout_failed(&self, size: usize, align: usize) -> ! {
        alloc_failed(self.invalid_layout(size, align))
    }
}
