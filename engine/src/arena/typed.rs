//! The typed allocation family (`alloc`, `alloc_slice_copy`, ... and their `try_`
//! twins), defined once by [`allocation_family!`] for every arena type. `Arena`'s
//! primitives, which the family calls, are in `place.rs`.

use super::Arena;

/// Defines the typed allocation family on an arena type: `alloc`, `alloc_with`,
/// `alloc_slice_copy`, `alloc_slice_clone`, `alloc_slice_fill_copy`,
/// `alloc_slice_fill_with`, `alloc_slice_fill_iter`, `alloc_str`, and a `try_` twin
/// of each, with their docs. Written once here, so the arena types cannot drift.
///
/// [`Arena`] gets it below; `Scope`, `Frame` and worker arenas are `Arena`s (or
/// dereference to one) and so have the same calls; `LevelArena` gets it in
/// `level/mod.rs`, with its own primitives that record destructors and growth.
///
/// The type provides six primitives, each `#[track_caller]`, for the bound given:
/// `family_place(make)`, `family_try_place(make)`, `family_place_slice(len, fill)`,
/// `family_try_place_slice(len, fill)`, `family_copy_slice(src)` and
/// `family_try_copy_slice(src)`. The panicking ones panic with the
/// [`AllocError`](crate::AllocError) the `try_` ones return.
macro_rules! allocation_family {
    (
        type: $ty:ty,
        bound: [$($bound:tt)+],
        new: $new:literal,
        fixed_16_bytes: $fixed:literal,
        destructors: $destructors:literal $(,)?
    ) => {
        impl $ty {
            /// Moves `value` into the arena and returns a reference to it, valid as
            /// long as the borrow of the arena (until a reset, or a rewind below it).
            ///
            #[doc = $destructors]
            ///
            /// Costs one pointer bump and the move while the current chunk has room.
            ///
            /// # Panics
            /// If the arena cannot grow (fixed capacity, limit, or out of memory).
            ///
            /// ```
            #[doc = concat!("let arena = ", $new, ";")]
            /// let x = arena.alloc([1.0f32, 2.0, 3.0]);
            /// x[0] = 5.0;
            /// assert_eq!(*x, [5.0, 2.0, 3.0]);
            /// ```
            #[inline(always)]
            #[track_caller]
            #[allow(clippy::mut_from_ref)] // each call hands out fresh, disjoint memory
            pub fn alloc<T: $($bound)+>(&self, value: T) -> &mut T {
                self.family_place(|| value)
            }

            /// Fallible [`alloc`](Self::alloc).
            ///
            /// # Errors
            /// When the arena cannot hold a `T`; the arena is unchanged and `value`
            /// is dropped.
            ///
            /// ```
            #[doc = concat!("let arena = ", $fixed, ";")]
            /// assert!(arena.try_alloc(1u64).is_ok());
            /// assert!(arena.try_alloc([0u8; 16]).is_err());
            /// ```
            #[inline(always)]
            #[track_caller]
            #[allow(clippy::mut_from_ref)] // each call hands out fresh, disjoint memory
            pub fn try_alloc<T: $($bound)+>(&self, value: T) -> Result<&mut T, $crate::AllocError> {
                self.family_try_place(|| value)
            }

            /// Allocates a `T` and builds it in place with `make`, which avoids a copy
            /// of large values. `make` may allocate from the same arena.
            ///
            /// # Panics
            /// If the arena cannot grow, or if `make` panics (the memory then stays
            /// allocated, uninitialized and unreachable, until a reset, or a pop, rewind or
            /// scope end below it).
            ///
            /// ```
            #[doc = concat!("let arena = ", $new, ";")]
            /// let big = arena.alloc_with(|| [7u8; 4096]);
            /// assert_eq!(big[4095], 7);
            /// ```
            #[inline(always)]
            #[track_caller]
            #[allow(clippy::mut_from_ref)] // each call hands out fresh, disjoint memory
            pub fn alloc_with<T: $($bound)+>(&self, make: impl FnOnce() -> T) -> &mut T {
                self.family_place(make)
            }

            /// Fallible [`alloc_with`](Self::alloc_with); `make` is not called on
            /// failure.
            ///
            /// # Errors
            /// When the arena cannot hold a `T`; the arena is unchanged.
            ///
            /// ```
            #[doc = concat!("let arena = ", $fixed, ";")]
            /// assert!(arena.try_alloc_with(|| [0u64; 4]).is_err());
            /// ```
            #[inline(always)]
            #[track_caller]
            #[allow(clippy::mut_from_ref)] // each call hands out fresh, disjoint memory
            pub fn try_alloc_with<T: $($bound)+>(
                &self,
                make: impl FnOnce() -> T,
            ) -> Result<&mut T, $crate::AllocError> {
                self.family_try_place(make)
            }

            /// Copies `src` into the arena.
            ///
            /// Costs one bump and the copy: up to 64 bytes are moved in line, longer
            /// slices by `memcpy`.
            ///
            /// # Panics
            /// If the arena cannot grow.
            ///
            /// ```
            #[doc = concat!("let arena = ", $new, ";")]
            /// let xs = arena.alloc_slice_copy(&[1u32, 2, 3]);
            /// xs[1] = 20;
            /// assert_eq!(xs, &[1, 20, 3]);
            /// ```
            #[inline(always)]
            #[track_caller]
            #[allow(clippy::mut_from_ref)] // each call hands out fresh, disjoint memory
            pub fn alloc_slice_copy<T: Copy>(&self, src: &[T]) -> &mut [T] {
                self.family_copy_slice(src)
            }

            /// Fallible [`alloc_slice_copy`](Self::alloc_slice_copy).
            ///
            /// # Errors
            /// When the arena cannot hold the copy; the arena is unchanged.
            ///
            /// ```
            #[doc = concat!("let arena = ", $fixed, ";")]
            /// assert!(arena.try_alloc_slice_copy(&[1u32; 5]).is_err());
            /// ```
            #[inline(always)]
            #[track_caller]
            #[allow(clippy::mut_from_ref)] // each call hands out fresh, disjoint memory
            pub fn try_alloc_slice_copy<T: Copy>(
                &self,
                src: &[T],
            ) -> Result<&mut [T], $crate::AllocError> {
                self.family_try_copy_slice(src)
            }

            /// Clones each element of `src` into the arena.
            ///
            /// # Panics
            /// If the arena cannot grow, or if a `clone` panics (the memory stays
            /// allocated until a reset, or a pop, rewind or scope end below it).
            ///
            /// ```
            /// #[derive(Clone)]
            /// struct Tile { id: u16 }
            #[doc = concat!("let arena = ", $new, ";")]
            /// let tiles = arena.alloc_slice_clone(&[Tile { id: 1 }, Tile { id: 2 }]);
            /// assert_eq!(tiles[1].id, 2);
            /// ```
            #[inline]
            #[track_caller]
            #[allow(clippy::mut_from_ref)] // each call hands out fresh, disjoint memory
            pub fn alloc_slice_clone<T: Clone + $($bound)+>(&self, src: &[T]) -> &mut [T] {
                self.family_place_slice(src.len(), |i| src[i].clone())
            }

            /// Fallible [`alloc_slice_clone`](Self::alloc_slice_clone).
            ///
            /// # Errors
            /// When the arena cannot hold the clones; the arena is unchanged.
            ///
            /// ```
            #[doc = concat!("let arena = ", $fixed, ";")]
            /// assert!(arena.try_alloc_slice_clone(&[1u16; 9]).is_err());
            /// ```
            #[inline]
            #[track_caller]
            #[allow(clippy::mut_from_ref)] // each call hands out fresh, disjoint memory
            pub fn try_alloc_slice_clone<T: Clone + $($bound)+>(
                &self,
                src: &[T],
            ) -> Result<&mut [T], $crate::AllocError> {
                self.family_try_place_slice(src.len(), |i| src[i].clone())
            }

            /// A slice of `len` copies of `value`.
            ///
            /// Costs one bump and a store per element; nothing per element for a
            /// zero-sized `T`.
            ///
            /// # Panics
            /// If the size overflows or the arena cannot grow.
            ///
            /// ```
            #[doc = concat!("let arena = ", $new, ";")]
            /// assert_eq!(arena.alloc_slice_fill_copy(3, 9u8), &[9, 9, 9]);
            /// ```
            #[inline(always)]
            #[track_caller]
            #[allow(clippy::mut_from_ref)] // each call hands out fresh, disjoint memory
            pub fn alloc_slice_fill_copy<T: Copy + $($bound)+>(&self, len: usize, value: T) -> &mut [T] {
                if ::core::mem::size_of::<T>() == 0 {
                    // Zero-sized copies need no writes: no loop over `len`.
                    let empty = self.family_place_slice(0, |_| value);
                    // SAFETY: an aligned, non-null pointer is valid for any number of
                    // zero-sized values, and `T: Copy` with `value` in hand, so `len`
                    // copies of it may exist.
                    return unsafe { ::core::slice::from_raw_parts_mut(empty.as_mut_ptr(), len) };
                }
                self.family_place_slice(len, |_| value)
            }

            /// Fallible [`alloc_slice_fill_copy`](Self::alloc_slice_fill_copy).
            ///
            /// # Errors
            /// [`AllocError::SizeOverflow`](crate::AllocError::SizeOverflow) if `len`
            /// values do not fit in the address space, or when the arena cannot hold
            /// them; the arena is unchanged.
            ///
            /// ```
            #[doc = concat!("let arena = ", $new, ";")]
            /// assert!(matches!(
            ///     arena.try_alloc_slice_fill_copy(usize::MAX, 0u32),
            ///     Err(engine::AllocError::SizeOverflow { .. })
            /// ));
            /// ```
            #[inline(always)]
            #[track_caller]
            #[allow(clippy::mut_from_ref)] // each call hands out fresh, disjoint memory
            pub fn try_alloc_slice_fill_copy<T: Copy + $($bound)+>(
                &self,
                len: usize,
                value: T,
            ) -> Result<&mut [T], $crate::AllocError> {
                if ::core::mem::size_of::<T>() == 0 {
                    // Zero-sized copies need no writes: no loop over `len`.
                    let empty = self.family_try_place_slice(0, |_| value)?;
                    // SAFETY: as in `alloc_slice_fill_copy`.
                    return Ok(unsafe { ::core::slice::from_raw_parts_mut(empty.as_mut_ptr(), len) });
                }
                self.family_try_place_slice(len, |_| value)
            }

            /// A slice of `len` elements, element `i` being `fill(i)`. `fill` may
            /// allocate from the same arena.
            ///
            /// # Panics
            /// If the size overflows or the arena cannot grow. If `fill` panics, the
            /// memory stays allocated until a reset, or a pop, rewind or scope end below
            /// it.
            ///
            /// ```
            #[doc = concat!("let arena = ", $new, ";")]
            /// let squares = arena.alloc_slice_fill_with(4, |i| (i * i) as u32);
            /// assert_eq!(squares, &[0, 1, 4, 9]);
            /// ```
            #[inline(always)]
            #[track_caller]
            #[allow(clippy::mut_from_ref)] // each call hands out fresh, disjoint memory
            pub fn alloc_slice_fill_with<T: $($bound)+>(
                &self,
                len: usize,
                fill: impl FnMut(usize) -> T,
            ) -> &mut [T] {
                self.family_place_slice(len, fill)
            }

            /// Fallible [`alloc_slice_fill_with`](Self::alloc_slice_fill_with); `fill`
            /// is not called on failure.
            ///
            /// # Errors
            /// [`AllocError::SizeOverflow`](crate::AllocError::SizeOverflow) or a
            /// failure to grow; the arena is unchanged.
            ///
            /// ```
            #[doc = concat!("let arena = ", $fixed, ";")]
            /// assert!(arena.try_alloc_slice_fill_with(100, |i| i as u8).is_err());
            /// ```
            #[inline(always)]
            #[track_caller]
            #[allow(clippy::mut_from_ref)] // each call hands out fresh, disjoint memory
            pub fn try_alloc_slice_fill_with<T: $($bound)+>(
                &self,
                len: usize,
                fill: impl FnMut(usize) -> T,
            ) -> Result<&mut [T], $crate::AllocError> {
                self.family_try_place_slice(len, fill)
            }

            /// A slice holding the items of an iterator that knows its length.
            ///
            /// # Panics
            /// If the arena cannot grow, or if the iterator yields fewer items than
            /// its `len()` promised (a broken `ExactSizeIterator`).
            ///
            /// ```
            #[doc = concat!("let arena = ", $new, ";")]
            /// let evens = arena.alloc_slice_fill_iter((0..5u32).map(|i| i * 2));
            /// assert_eq!(evens, &[0, 2, 4, 6, 8]);
            /// ```
            #[inline]
            #[track_caller]
            #[allow(clippy::mut_from_ref)] // each call hands out fresh, disjoint memory
            pub fn alloc_slice_fill_iter<T: $($bound)+, I>(&self, items: I) -> &mut [T]
            where
                I: IntoIterator<Item = T>,
                I::IntoIter: ExactSizeIterator,
            {
                let mut iter = items.into_iter();
                let len = iter.len();
                self.family_place_slice(len, |_| {
                    iter.next()
                        .expect("ExactSizeIterator yielded fewer items than its len()")
                })
            }

            /// Fallible [`alloc_slice_fill_iter`](Self::alloc_slice_fill_iter).
            ///
            /// # Errors
            /// [`AllocError::SizeOverflow`](crate::AllocError::SizeOverflow) or a
            /// failure to grow; the arena is unchanged.
            ///
            /// # Panics
            /// If the iterator yields fewer items than its `len()` promised.
            ///
            /// ```
            #[doc = concat!("let arena = ", $fixed, ";")]
            /// assert!(arena.try_alloc_slice_fill_iter(0..10u32).is_err());
            /// ```
            #[inline]
            #[track_caller]
            #[allow(clippy::mut_from_ref)] // each call hands out fresh, disjoint memory
            pub fn try_alloc_slice_fill_iter<T: $($bound)+, I>(
                &self,
                items: I,
            ) -> Result<&mut [T], $crate::AllocError>
            where
                I: IntoIterator<Item = T>,
                I::IntoIter: ExactSizeIterator,
            {
                let mut iter = items.into_iter();
                let len = iter.len();
                self.family_try_place_slice(len, |_| {
                    iter.next()
                        .expect("ExactSizeIterator yielded fewer items than its len()")
                })
            }

            /// Copies a string into the arena.
            ///
            /// # Panics
            /// If the arena cannot grow.
            ///
            /// ```
            #[doc = concat!("let arena = ", $new, ";")]
            /// let name = arena.alloc_str("player-1");
            /// assert_eq!(name, "player-1");
            /// ```
            #[inline]
            #[track_caller]
            #[allow(clippy::mut_from_ref)] // each call hands out fresh, disjoint memory
            pub fn alloc_str(&self, src: &str) -> &mut str {
                let bytes = self.family_copy_slice(src.as_bytes());
                // SAFETY: the bytes were copied from a `str`, so they are valid UTF-8.
                unsafe { ::std::str::from_utf8_unchecked_mut(bytes) }
            }

            /// Fallible [`alloc_str`](Self::alloc_str).
            ///
            /// # Errors
            /// When the arena cannot hold the string; the arena is unchanged.
            ///
            /// ```
            #[doc = concat!("let arena = ", $fixed, ";")]
            /// assert!(arena.try_alloc_str("longer than sixteen bytes").is_err());
            /// ```
            #[inline]
            #[track_caller]
            #[allow(clippy::mut_from_ref)] // each call hands out fresh, disjoint memory
            pub fn try_alloc_str(&self, src: &str) -> Result<&mut str, $crate::AllocError> {
                let bytes = self.family_try_copy_slice(src.as_bytes())?;
                // SAFETY: the bytes were copied from a `str`, so they are valid UTF-8.
                Ok(unsafe { ::std::str::from_utf8_unchecked_mut(bytes) })
            }
        }
    };
}
pub(crate) use allocation_family;

allocation_family! {
    type: Arena,
    bound: [Sized],
    new: "engine::Arena::new(\"a\")",
    fixed_16_bytes: "engine::Arena::with_fixed_capacity(\"a\", 16)",
    destructors: "Types that need `Drop` are refused at compile time: see [`Arena`](crate::Arena#destructors).",
}
