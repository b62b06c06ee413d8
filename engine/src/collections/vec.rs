//! [`ArenaVec`]: a growable list in an arena.

use crate::{AllocError, Arena};
use allocator_api2::vec::{Drain, IntoIter, Vec as ApiVec};
use std::alloc::Layout;
use std::borrow::{Borrow, BorrowMut};
use std::fmt;
use std::hash::{Hash, Hasher};
use std::mem;
use std::ops::{Deref, DerefMut, RangeBounds};
use std::ptr::{self, NonNull};

/// A growable list whose buffer lives in an arena: `Vec` for frame code.
///
/// It offers the `Vec` calls frame code uses (`push`, `extend`, `retain`, `drain`,
/// ...) and derefs to a slice for the rest (sorting, searching, iteration).
///
/// # What it costs
/// A `push` into reserved room is a store and a length update, as for
/// `std::vec::Vec`. A full list doubles its capacity: **in place, with no copy**, when
/// its buffer is the arena's newest allocation and the chunk has room; otherwise it
/// moves to a new block and copies its elements. The old block then stays in use
/// until the arena is reset (a bump arena only reuses memory at its top), so a list
/// grown from empty takes at most twice its final size. Reserving up front
/// ([`with_capacity_in`](ArenaVec::with_capacity_in)) avoids both.
///
/// Dropping the list drops its elements and hands its buffer back to the arena if it
/// is still the newest allocation. [`into_slice`](ArenaVec::into_slice) freezes the
/// list into a slice that lives as long as the arena borrow.
///
/// # Elements that need `Drop`
/// The list follows `std`'s rule: dropping it (or `clear`, `truncate`, `pop`, ...)
/// runs the elements' destructors. [`into_slice`](ArenaVec::into_slice) refuses such
/// types **at compile time**, because no one would run their destructors once the
/// list is gone. To keep values that need `Drop` beyond the list, move them into a
/// [`LevelArena`](crate::LevelArena) (`level.alloc_slice_fill_iter(list.drain(..))`),
/// which runs destructors on unload.
///
/// # Errors and panics
/// Growth that the arena cannot serve (its [limit](crate::ArenaConfig::limit_bytes),
/// a fixed capacity, the system allocator) panics with the arena's
/// [`AllocError`], which names the arena and the request. [`try_reserve`](ArenaVec::try_reserve)
/// returns it instead; after a successful `try_reserve(n)`, `n` pushes cannot fail.
///
/// # Example
/// ```
/// use engine::{Arena, ArenaVec};
///
/// let arena = Arena::new("scratch");
/// let mut visible: ArenaVec<'_, u32> = ArenaVec::new_in(&arena);
/// visible.push(7);
/// visible.extend([8, 9]);
/// visible.retain(|&i| i != 8);
/// assert_eq!(visible, [7, 9]);
/// let visible: &mut [u32] = visible.into_slice(); // frozen: lives as long as `&arena`
/// visible.sort_unstable_by(|a, b| b.cmp(a));
/// assert_eq!(visible, &[9, 7]);
/// ```
///
/// A list cannot outlive the arena's reset:
/// ```compile_fail
/// let mut arena = engine::Arena::new("a");
/// let mut list = engine::ArenaVec::new_in(&arena);
/// list.push(1u32);
/// arena.reset(); // error: `arena` is borrowed by `list`
/// list.push(2);
/// ```
pub struct ArenaVec<'a, T> {
    // `allocator_api2`'s list over `&Arena` (which grows in place at the arena's top)
    // gives the element handling; this type adds the fast push, and does every growth
    // itself so that a failure is the arena's `AllocError`, never an abort.
    list: ApiVec<T, &'a Arena>,
}

/// The first capacity a list takes when it grows from empty, as `std`'s `Vec`
/// chooses it: small elements take a few at once, since a tiny block is wasted
/// padding and each growth costs a call.
const fn min_non_zero_capacity<T>() -> usize {
    match mem::size_of::<T>() {
        1 => 8,
        size if size <= 1024 => 4,
        _ => 1,
    }
}

#[cold]
#[inline(never)]
#[track_caller]
fn grow_failed(error: AllocError) -> ! {
    panic!("{error}")
}

impl<'a, T> ArenaVec<'a, T> {
    /// An empty list in `arena`. Allocates nothing until the first element.
    ///
    /// `arena` is anything that lends an [`Arena`]: an `Arena`, a [`Scope`](crate::Scope),
    /// a [`Frame`](crate::Frame) or a [`LevelArena`](crate::LevelArena). The list borrows
    /// it; to keep a frame's list for the whole frame, pass
    /// [`frame.arena()`](crate::Frame::arena), which has the frame's lifetime.
    ///
    /// ```
    /// let arena = engine::Arena::new("a");
    /// let list: engine::ArenaVec<'_, f32> = engine::ArenaVec::new_in(&arena);
    /// assert_eq!((list.len(), list.capacity()), (0, 0));
    /// ```
    #[must_use]
    pub fn new_in<A: AsRef<Arena> + ?Sized>(arena: &'a A) -> ArenaVec<'a, T> {
        ArenaVec {
            list: ApiVec::new_in(arena.as_ref()),
        }
    }

    /// An empty list with room for `capacity` elements, allocated now.
    ///
    /// # Panics
    /// If the arena cannot hold the room (see
    /// [`try_with_capacity_in`](ArenaVec::try_with_capacity_in)).
    ///
    /// ```
    /// let arena = engine::Arena::new("a");
    /// let list = engine::ArenaVec::<u64>::with_capacity_in(100, &arena);
    /// assert!(list.capacity() >= 100);
    /// assert_eq!(arena.stats().used_bytes, 800);
    /// ```
    #[must_use]
    #[track_caller]
    pub fn with_capacity_in<A: AsRef<Arena> + ?Sized>(
        capacity: usize,
        arena: &'a A,
    ) -> ArenaVec<'a, T> {
        match ArenaVec::try_with_capacity_in(capacity, arena) {
            Ok(list) => list,
            Err(error) => grow_failed(error),
        }
    }

    /// Fallible [`with_capacity_in`](ArenaVec::with_capacity_in).
    ///
    /// # Errors
    /// [`AllocError::SizeOverflow`] when `capacity` elements overflow `isize`, or the
    /// arena's error when it cannot hold them; the arena is unchanged.
    ///
    /// ```
    /// let arena = engine::Arena::with_fixed_capacity("a", 64);
    /// assert!(engine::ArenaVec::<u64>::try_with_capacity_in(100, &arena).is_err());
    /// assert_eq!(arena.offset(), 0);
    /// ```
    pub fn try_with_capacity_in<A: AsRef<Arena> + ?Sized>(
        capacity: usize,
        arena: &'a A,
    ) -> Result<ArenaVec<'a, T>, AllocError> {
        let mut list = ArenaVec::new_in(arena);
        list.try_reserve_exact(capacity)?;
        Ok(list)
    }

    /// A list of the items of `iter`, in `arena`.
    ///
    /// # Panics
    /// As [`push`](ArenaVec::push).
    ///
    /// ```
    /// let arena = engine::Arena::new("a");
    /// let squares = engine::ArenaVec::from_iter_in((1..4).map(|i| i * i), &arena);
    /// assert_eq!(squares, [1, 4, 9]);
    /// ```
    #[must_use]
    #[track_caller]
    pub fn from_iter_in<A: AsRef<Arena> + ?Sized>(
        iter: impl IntoIterator<Item = T>,
        arena: &'a A,
    ) -> ArenaVec<'a, T> {
        let mut list = ArenaVec::new_in(arena);
        list.extend(iter);
        list
    }

    /// The arena the list lives in.
    ///
    /// ```
    /// let arena = engine::Arena::new("lists");
    /// let list = engine::ArenaVec::<u8>::new_in(&arena);
    /// assert_eq!(list.arena().name(), "lists");
    /// ```
    #[must_use]
    pub fn arena(&self) -> &'a Arena {
        self.list.allocator()
    }

    /// Number of elements.
    ///
    /// ```
    /// let arena = engine::Arena::new("a");
    /// assert_eq!(engine::ArenaVec::from_iter_in([1, 2], &arena).len(), 2);
    /// ```
    #[must_use]
    #[inline(always)]
    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// Whether the list has no elements.
    ///
    /// ```
    /// let arena = engine::Arena::new("a");
    /// assert!(engine::ArenaVec::<u8>::new_in(&arena).is_empty());
    /// ```
    #[must_use]
    #[inline(always)]
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Elements the list holds before it must grow.
    ///
    /// ```
    /// let arena = engine::Arena::new("a");
    /// let mut list = engine::ArenaVec::new_in(&arena);
    /// list.push(1u32);
    /// assert!(list.capacity() >= 1);
    /// ```
    #[must_use]
    #[inline(always)]
    pub fn capacity(&self) -> usize {
        self.list.capacity()
    }

    /// Appends `value`.
    ///
    /// # Panics
    /// If the list is full and the arena cannot give it a bigger buffer (the panic
    /// message is the arena's [`AllocError`]). Use [`try_reserve`](ArenaVec::try_reserve)
    /// first to get the error instead.
    ///
    /// ```
    /// let arena = engine::Arena::new("a");
    /// let mut list = engine::ArenaVec::new_in(&arena);
    /// for i in 0..1000u32 {
    ///     list.push(i);
    /// }
    /// assert_eq!(list[999], 999);
    /// // Nothing else was allocated meanwhile, so the list grew in place.
    /// assert_eq!(arena.stats().used_bytes, list.capacity() * 4);
    /// ```
    #[inline(always)]
    #[track_caller]
    pub fn push(&mut self, value: T) {
        let len = self.list.len();
        if len == self.list.capacity() {
            self.grow_for_push();
        }
        // SAFETY: `len < capacity` now, so slot `len` is allocated and unused; the
        // length grows only after the slot is written.
        unsafe {
            self.list.as_mut_ptr().add(len).write(value);
            self.list.set_len(len + 1);
        }
    }

    // The growth itself is out of line (`grown_buffer`), so that the push loop
    // holds only the store and the compare.
    #[inline(always)]
    #[track_caller]
    fn grow_for_push(&mut self) {
        if let Err(error) = self.grow_amortized(1) {
            grow_failed(error)
        }
    }

    /// Removes and returns the last element.
    ///
    /// ```
    /// let arena = engine::Arena::new("a");
    /// let mut list = engine::ArenaVec::from_iter_in([1, 2], &arena);
    /// assert_eq!((list.pop(), list.pop(), list.pop()), (Some(2), Some(1), None));
    /// ```
    #[inline]
    pub fn pop(&mut self) -> Option<T> {
        self.list.pop()
    }

    /// Inserts `value` at `index`, shifting the elements after it. O(len - index).
    ///
    /// # Panics
    /// If `index > len`, or as [`push`](ArenaVec::push) when the list must grow.
    ///
    /// ```
    /// let arena = engine::Arena::new("a");
    /// let mut list = engine::ArenaVec::from_iter_in([1, 3], &arena);
    /// list.insert(1, 2);
    /// assert_eq!(list, [1, 2, 3]);
    /// ```
    #[track_caller]
    pub fn insert(&mut self, index: usize, value: T) {
        let len = self.len();
        assert!(
            index <= len,
            "ArenaVec::insert: index {index} is past the end (len {len})"
        );
        self.reserve(1);
        self.list.insert(index, value);
    }

    /// Removes and returns the element at `index`, shifting the rest. O(len - index).
    ///
    /// # Panics
    /// If `index >= len`.
    ///
    /// ```
    /// let arena = engine::Arena::new("a");
    /// let mut list = engine::ArenaVec::from_iter_in([1, 2, 3], &arena);
    /// assert_eq!(list.remove(0), 1);
    /// assert_eq!(list, [2, 3]);
    /// ```
    #[track_caller]
    pub fn remove(&mut self, index: usize) -> T {
        let len = self.len();
        assert!(
            index < len,
            "ArenaVec::remove: index {index} is out of bounds (len {len})"
        );
        self.list.remove(index)
    }

    /// Removes and returns the element at `index`, moving the last element into its
    /// place. O(1); does not keep the order.
    ///
    /// # Panics
    /// If `index >= len`.
    ///
    /// ```
    /// let arena = engine::Arena::new("a");
    /// let mut list = engine::ArenaVec::from_iter_in([1, 2, 3], &arena);
    /// assert_eq!(list.swap_remove(0), 1);
    /// assert_eq!(list, [3, 2]);
    /// ```
    #[track_caller]
    pub fn swap_remove(&mut self, index: usize) -> T {
        let len = self.len();
        assert!(
            index < len,
            "ArenaVec::swap_remove: index {index} is out of bounds (len {len})"
        );
        self.list.swap_remove(index)
    }

    /// Keeps the first `len` elements and drops the rest; nothing if `len` is not
    /// less than the length. The capacity stays.
    ///
    /// ```
    /// let arena = engine::Arena::new("a");
    /// let mut list = engine::ArenaVec::from_iter_in([1, 2, 3], &arena);
    /// list.truncate(1);
    /// assert_eq!(list, [1]);
    /// ```
    pub fn truncate(&mut self, len: usize) {
        self.list.truncate(len);
    }

    /// Drops every element. The capacity stays, so refilling does not allocate.
    ///
    /// ```
    /// let arena = engine::Arena::new("a");
    /// let mut list = engine::ArenaVec::from_iter_in([1, 2, 3], &arena);
    /// list.clear();
    /// assert!(list.is_empty() && list.capacity() >= 3);
    /// ```
    pub fn clear(&mut self) {
        self.list.clear();
    }

    /// Keeps the elements for which `keep` returns true, in order. O(len).
    ///
    /// If `keep` panics, the list is left valid (some elements may be gone).
    ///
    /// ```
    /// let arena = engine::Arena::new("a");
    /// let mut list = engine::ArenaVec::from_iter_in(0..10, &arena);
    /// list.retain(|&i| i % 3 == 0);
    /// assert_eq!(list, [0, 3, 6, 9]);
    /// ```
    pub fn retain(&mut self, keep: impl FnMut(&T) -> bool) {
        self.list.retain(keep);
    }

    /// [`retain`](ArenaVec::retain), with mutable access to each element.
    ///
    /// ```
    /// let arena = engine::Arena::new("a");
    /// let mut list = engine::ArenaVec::from_iter_in(0..4, &arena);
    /// list.retain_mut(|i| { *i *= 10; *i != 20 });
    /// assert_eq!(list, [0, 10, 30]);
    /// ```
    pub fn retain_mut(&mut self, keep: impl FnMut(&mut T) -> bool) {
        self.list.retain_mut(keep);
    }

    /// Removes the elements in `range` and yields them; the elements after the range
    /// move down when the iterator is dropped (even if not run to the end).
    ///
    /// # Panics
    /// If the range is decreasing or ends past the length.
    ///
    /// ```
    /// let arena = engine::Arena::new("a");
    /// let mut list = engine::ArenaVec::from_iter_in(0..6, &arena);
    /// let taken: Vec<i32> = list.drain(1..3).collect();
    /// assert_eq!((taken, list.as_slice()), (vec![1, 2], &[0, 3, 4, 5][..]));
    /// ```
    #[track_caller]
    pub fn drain<R: RangeBounds<usize>>(&mut self, range: R) -> Drain<'_, T, &'a Arena> {
        self.list.drain(range)
    }

    /// Makes room for at least `additional` more elements, growing as `push` does
    /// (at least doubling).
    ///
    /// # Panics
    /// If the arena cannot give the room (see [`try_reserve`](ArenaVec::try_reserve)).
    ///
    /// ```
    /// let arena = engine::Arena::new("a");
    /// let mut list = engine::ArenaVec::<u32>::new_in(&arena);
    /// list.reserve(10);
    /// assert!(list.capacity() >= 10);
    /// ```
    #[inline]
    #[track_caller]
    pub fn reserve(&mut self, additional: usize) {
        if let Err(error) = self.try_reserve(additional) {
            grow_failed(error)
        }
    }

    /// Fallible [`reserve`](ArenaVec::reserve): after `Ok`, `additional` pushes cannot
    /// fail.
    ///
    /// # Errors
    /// [`AllocError::SizeOverflow`] when the capacity would overflow `isize`, or the
    /// arena's error ([`AllocError::LimitExceeded`], ...) when it cannot give the
    /// room. The list and the arena are then unchanged.
    ///
    /// ```
    /// use engine::{AllocError, Arena, ArenaConfig, ArenaVec};
    ///
    /// let arena = Arena::with_limit("a", 4096);
    /// let mut list = ArenaVec::<u64>::new_in(&arena);
    /// let error = list.try_reserve(1 << 20).unwrap_err();
    /// assert!(matches!(error, AllocError::LimitExceeded { .. }));
    /// assert_eq!((list.capacity(), arena.offset()), (0, 0));
    /// ```
    #[inline]
    pub fn try_reserve(&mut self, additional: usize) -> Result<(), AllocError> {
        if self.list.capacity() - self.list.len() >= additional {
            return Ok(());
        }
        self.grow_amortized(additional)
    }

    /// Makes room for exactly `additional` more elements (no doubling); for a list
    /// whose final size is known.
    ///
    /// # Panics
    /// As [`reserve`](ArenaVec::reserve).
    ///
    /// ```
    /// let arena = engine::Arena::new("a");
    /// let mut list = engine::ArenaVec::<u32>::new_in(&arena);
    /// list.reserve_exact(10);
    /// assert_eq!(list.capacity(), 10);
    /// ```
    #[track_caller]
    pub fn reserve_exact(&mut self, additional: usize) {
        if let Err(error) = self.try_reserve_exact(additional) {
            grow_failed(error)
        }
    }

    /// Fallible [`reserve_exact`](ArenaVec::reserve_exact).
    ///
    /// # Errors
    /// As [`try_reserve`](ArenaVec::try_reserve).
    ///
    /// ```
    /// let arena = engine::Arena::with_fixed_capacity("a", 64);
    /// let mut list = engine::ArenaVec::<u8>::new_in(&arena);
    /// assert!(list.try_reserve_exact(64).is_ok());
    /// assert!(list.try_reserve_exact(65).is_err());
    /// ```
    pub fn try_reserve_exact(&mut self, additional: usize) -> Result<(), AllocError> {
        if self.list.capacity() - self.list.len() >= additional {
            return Ok(());
        }
        let required = self.required_capacity(additional)?;
        self.grow_to(required)
    }

    /// Hands unused capacity back to the arena if the buffer is its newest
    /// allocation; otherwise keeps it (a bump arena cannot reuse bytes below its
    /// top).
    ///
    /// ```
    /// let arena = engine::Arena::new("a");
    /// let mut list = engine::ArenaVec::<u32>::with_capacity_in(100, &arena);
    /// list.push(1);
    /// list.shrink_to_fit();
    /// assert_eq!(arena.stats().used_bytes, 4);
    /// ```
    pub fn shrink_to_fit(&mut self) {
        if self.list.capacity() > self.list.len() {
            self.list.shrink_to_fit();
        }
    }

    /// Appends clones of the elements of `items`; a plain copy for `Copy` types.
    ///
    /// # Panics
    /// As [`push`](ArenaVec::push).
    ///
    /// ```
    /// let arena = engine::Arena::new("a");
    /// let mut list = engine::ArenaVec::new_in(&arena);
    /// list.extend_from_slice(&[1u16, 2, 3]);
    /// assert_eq!(list, [1, 2, 3]);
    /// ```
    #[track_caller]
    pub fn extend_from_slice(&mut self, items: &[T])
    where
        T: Clone,
    {
        // The count stays in a local (`FilledLength`) through the loop, which lets
        // the compiler turn the clones of a `Copy` type into one copy.
        self.reserve(items.len());
        let start = self.list.as_mut_ptr();
        let mut written = FilledLength {
            len: self.list.len(),
            list: &mut self.list,
        };
        for item in items {
            // SAFETY: room for `items.len()` more was reserved above, so slot `len`
            // is allocated and unused. `clone` cannot reach the list (it is
            // borrowed mutably here).
            unsafe { start.add(written.len).write(item.clone()) };
            written.len += 1;
        }
    }

    /// Appends a copy of `items`, for which room was reserved: one `memcpy`, where
    /// `extend_from_slice` clones element by element.
    #[inline(always)]
    pub(super) fn extend_from_reserved_copy(&mut self, items: &[T])
    where
        T: Copy,
    {
        let len = self.list.len();
        assert!(
            self.list.capacity() - len >= items.len(),
            "extend_from_reserved_copy: no room was reserved"
        );
        // SAFETY: the slots `len..len + items.len()` are allocated (checked above)
        // and unused, and `items` lies outside them (it is borrowed while `self` is
        // borrowed mutably, so it is not this list's memory). `T: Copy`.
        unsafe {
            ptr::copy_nonoverlapping(items.as_ptr(), self.list.as_mut_ptr().add(len), items.len());
            self.list.set_len(len + items.len());
        }
    }

    /// Resizes the list to `new_len`, appending clones of `value` or dropping the tail.
    ///
    /// # Panics
    /// As [`push`](ArenaVec::push).
    ///
    /// ```
    /// let arena = engine::Arena::new("a");
    /// let mut list = engine::ArenaVec::from_iter_in([1], &arena);
    /// list.resize(3, 0);
    /// assert_eq!(list, [1, 0, 0]);
    /// ```
    #[inline]
    #[track_caller]
    pub fn resize(&mut self, new_len: usize, value: T)
    where
        T: Clone,
    {
        let len = self.len();
        if new_len <= len {
            self.list.truncate(new_len);
            return;
        }
        self.reserve(new_len - len);
        let base = self.list.as_mut_ptr();
        let mut filled = FilledLength {
            len,
            list: &mut self.list,
        };
        // Clones, counted in a local so that a `Copy` type becomes one fill; the
        // last slot takes `value` itself.
        while filled.len + 1 < new_len {
            // SAFETY: room for `new_len` elements was reserved, and slots from
            // `filled.len` on hold no element.
            unsafe { base.add(filled.len).write(value.clone()) };
            filled.len += 1;
        }
        // SAFETY: as above, for the last slot, `new_len - 1`.
        unsafe { base.add(filled.len).write(value) };
        filled.len += 1;
    }

    /// The elements as a slice.
    ///
    /// ```
    /// let arena = engine::Arena::new("a");
    /// let list = engine::ArenaVec::from_iter_in([1, 2], &arena);
    /// assert_eq!(list.as_slice(), &[1, 2]);
    /// ```
    #[must_use]
    #[inline(always)]
    pub fn as_slice(&self) -> &[T] {
        self.list.as_slice()
    }

    /// The elements as a mutable slice.
    ///
    /// ```
    /// let arena = engine::Arena::new("a");
    /// let mut list = engine::ArenaVec::from_iter_in([2, 1], &arena);
    /// list.as_mut_slice().sort();
    /// assert_eq!(list, [1, 2]);
    /// ```
    #[must_use]
    #[inline(always)]
    pub fn as_mut_slice(&mut self) -> &mut [T] {
        self.list.as_mut_slice()
    }

    /// Freezes the list into a slice that lives as long as the arena borrow: no
    /// element is lost, and spare capacity is handed back to the arena if the buffer
    /// is its newest allocation. Allocates nothing.
    ///
    /// `T` must not need `Drop`: that is checked at compile time, since no one would
    /// run the destructors of a frozen slice (see the type's docs for where such
    /// values go).
    ///
    /// ```
    /// let arena = engine::Arena::new("a");
    /// let mut list = engine::ArenaVec::with_capacity_in(64, &arena);
    /// list.extend([3u32, 1, 2]);
    /// let frozen: &mut [u32] = list.into_slice();
    /// frozen.sort();
    /// assert_eq!(frozen, &[1, 2, 3]);
    /// assert_eq!(arena.stats().used_bytes, 12); // the spare 61 slots went back
    /// ```
    ///
    /// ```compile_fail
    /// let arena = engine::Arena::new("a");
    /// let list = engine::ArenaVec::from_iter_in([String::new()], &arena);
    /// let frozen = list.into_slice(); // error: String needs Drop
    /// ```
    #[must_use]
    pub fn into_slice(self) -> &'a mut [T] {
        const {
            assert!(
                !mem::needs_drop::<T>(),
                "ArenaVec::into_slice refuses types that need Drop (no one would run their destructors); keep them in the list or move them into a LevelArena"
            );
        };
        let mut list = self.list;
        let size = mem::size_of::<T>();
        if let Some(buffer) = NonNull::new(list.as_mut_ptr())
            && list.capacity() > list.len()
            && size > 0
        {
            // The spare room goes straight back to the arena: the list is given up
            // here, so its recorded capacity no longer matters.
            list.allocator()
                .release_tail(buffer.cast(), list.capacity() * size, list.len() * size);
        }
        list.leak()
    }

    /// The capacity that `additional` more elements need, or the overflow error.
    fn required_capacity(&self, additional: usize) -> Result<usize, AllocError> {
        self.list.len().checked_add(additional).ok_or_else(|| {
            self.arena().size_overflow(
                self.list.len().saturating_add(additional),
                mem::size_of::<T>(),
            )
        })
    }

    /// Grows to hold `additional` more elements, at least doubling.
    #[inline(always)]
    fn grow_amortized(&mut self, additional: usize) -> Result<(), AllocError> {
        let required = self.required_capacity(additional)?;
        let doubled = self.list.capacity().saturating_mul(2);
        self.grow_to(required.max(doubled).max(min_non_zero_capacity::<T>()))
    }

    /// Moves the elements into a buffer of `capacity` (more than the current one),
    /// see [`grown_buffer`]. On an error nothing changes.
    #[inline(always)]
    fn grow_to(&mut self, capacity: usize) -> Result<(), AllocError> {
        let arena = self.arena();
        let len = self.list.len();
        // SAFETY: the list's own buffer, length and capacity, in `arena`; every
        // caller asks for more than the capacity.
        let block = unsafe {
            grown_buffer(
                arena,
                self.list.as_mut_ptr(),
                len,
                self.list.capacity(),
                capacity,
            )?
        };
        // SAFETY: `block` is arena memory laid out for `capacity` elements (as
        // `&Arena`'s `allocate` or `grow` returns it), holding the `len` elements
        // just moved or grown in place.
        let grown = unsafe { ApiVec::from_raw_parts_in(block.as_ptr(), len, capacity, arena) };
        // The old list's elements now belong to `grown` (moved bitwise), so it must
        // neither drop them nor hand its block back: the block is `grown`'s own
        // when grown in place, and below the new one (not the top) otherwise.
        mem::forget(mem::replace(&mut self.list, grown));
        Ok(())
    }
}

/// A buffer of `capacity` elements holding the `len` elements of `old` (a buffer of
/// `old_capacity` in `arena`): the same block grown in place when it is the arena's
/// newest allocation and fits, otherwise a new block they are copied into. On an
/// error the arena and `old` are unchanged.
///
/// It takes the buffer by value, not the list: once a list's address has reached a
/// call the optimizer cannot see into, any later store might change the list as far
/// as it knows, so a loop that pushes or indexes would reload the list's fields
/// after every store it makes.
///
/// # Safety
/// `old` holds `len` initialized elements in a buffer of `old_capacity` elements
/// that `arena` allocated (dangling when `old_capacity` is 0), `len <= old_capacity`
/// and `old_capacity < capacity`. On `Ok` the elements belong to the new buffer and
/// `old` must no longer be used.
#[cold]
#[inline(never)]
unsafe fn grown_buffer<T>(
    arena: &Arena,
    old: *mut T,
    len: usize,
    old_capacity: usize,
    capacity: usize,
) -> Result<NonNull<T>, AllocError> {
    let layout = Layout::array::<T>(capacity)
        .map_err(|_| arena.size_overflow(capacity, mem::size_of::<T>()))?;
    let old_bytes = old_capacity * mem::size_of::<T>();
    let in_place = match NonNull::new(old.cast::<u8>()) {
        Some(old) if old_bytes != 0 => {
            arena.grow_in_place(old, old_bytes, layout.size(), layout.align())
        }
        _ => None,
    };
    let block = match in_place {
        Some(block) => block,
        None => {
            let block = arena.try_alloc_layout(layout)?;
            // SAFETY: the old buffer holds `len` initialized elements (the caller's
            // promise); the new block is fresh, holds `capacity > len` of them, and
            // is disjoint.
            unsafe { ptr::copy_nonoverlapping(old, block.as_ptr().cast::<T>(), len) };
            block
        }
    };
    Ok(block.cast::<T>())
}

impl<T> Deref for ArenaVec<'_, T> {
    type Target = [T];

    #[inline(always)]
    fn deref(&self) -> &[T] {
        self.list.as_slice()
    }
}

impl<T> DerefMut for ArenaVec<'_, T> {
    #[inline(always)]
    fn deref_mut(&mut self) -> &mut [T] {
        self.list.as_mut_slice()
    }
}

impl<T> Extend<T> for ArenaVec<'_, T> {
    // Items go straight into the room reserved for them, the length counted in a
    // local: a `push` per item would reload and store the length, compare with the
    // capacity, and keep the item alive across its growth call (on the stack), which
    // made an `extend` of 100,000 instances 1.7x slower than `std`'s.
    #[track_caller]
    fn extend<I: IntoIterator<Item = T>>(&mut self, iter: I) {
        let mut iter = iter.into_iter();
        self.reserve(iter.size_hint().0);
        loop {
            let room = self.list.capacity() - self.list.len();
            let base = self.list.as_mut_ptr();
            let mut filled = FilledLength {
                len: self.list.len(),
                list: &mut self.list,
            };
            for _ in 0..room {
                let Some(item) = iter.next() else {
                    return;
                };
                // SAFETY: `filled.len < capacity` (at most `room` items are written
                // after the length the round started at), so the slot is allocated
                // and holds no element.
                unsafe { base.add(filled.len).write(item) };
                filled.len += 1;
            }
            drop(filled);
            // The room is full: grow only if another item comes, so that an
            // `extend` that fills reserved room exactly never grows.
            let Some(item) = iter.next() else {
                return;
            };
            self.reserve(iter.size_hint().0.saturating_add(1));
            self.push(item);
        }
    }
}

/// The length of a list being filled past its recorded length (by `extend`,
/// `extend_from_slice` and `resize`), written back when the filling ends, also by
/// a panic in an iterator or a `clone` (so what was written is dropped with the
/// list).
struct FilledLength<'v, 'a, T> {
    list: &'v mut ApiVec<T, &'a Arena>,
    len: usize,
}

impl<T> Drop for FilledLength<'_, '_, T> {
    fn drop(&mut self) {
        // SAFETY: its users initialize every slot below `len` (each slot is counted
        // after it is written) and keep `len` within the capacity.
        unsafe { self.list.set_len(self.len) };
    }
}

impl<'x, T: Copy + 'x> Extend<&'x T> for ArenaVec<'_, T> {
    #[track_caller]
    fn extend<I: IntoIterator<Item = &'x T>>(&mut self, iter: I) {
        self.extend(iter.into_iter().copied());
    }
}

impl<'a, T> IntoIterator for ArenaVec<'a, T> {
    type Item = T;
    type IntoIter = IntoIter<T, &'a Arena>;

    fn into_iter(self) -> Self::IntoIter {
        self.list.into_iter()
    }
}

impl<'v, T> IntoIterator for &'v ArenaVec<'_, T> {
    type Item = &'v T;
    type IntoIter = std::slice::Iter<'v, T>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<'v, T> IntoIterator for &'v mut ArenaVec<'_, T> {
    type Item = &'v mut T;
    type IntoIter = std::slice::IterMut<'v, T>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter_mut()
    }
}

impl<T: Clone> Clone for ArenaVec<'_, T> {
    /// A copy in the same arena.
    #[track_caller]
    fn clone(&self) -> Self {
        let mut copy = ArenaVec::with_capacity_in(self.len(), self.arena());
        copy.extend_from_slice(self);
        copy
    }
}

impl<T: fmt::Debug> fmt::Debug for ArenaVec<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_slice(), f)
    }
}

impl<T: Hash> Hash for ArenaVec<'_, T> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_slice().hash(state);
    }
}

impl<T, U> PartialEq<ArenaVec<'_, U>> for ArenaVec<'_, T>
where
    T: PartialEq<U>,
{
    fn eq(&self, other: &ArenaVec<'_, U>) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl<T: Eq> Eq for ArenaVec<'_, T> {}

impl<T, U> PartialEq<[U]> for ArenaVec<'_, T>
where
    T: PartialEq<U>,
{
    fn eq(&self, other: &[U]) -> bool {
        self.as_slice() == other
    }
}

impl<T, U> PartialEq<&[U]> for ArenaVec<'_, T>
where
    T: PartialEq<U>,
{
    fn eq(&self, other: &&[U]) -> bool {
        self.as_slice() == *other
    }
}

impl<T, U, const N: usize> PartialEq<[U; N]> for ArenaVec<'_, T>
where
    T: PartialEq<U>,
{
    fn eq(&self, other: &[U; N]) -> bool {
        self.as_slice() == other
    }
}

impl<T, U> PartialEq<Vec<U>> for ArenaVec<'_, T>
where
    T: PartialEq<U>,
{
    fn eq(&self, other: &Vec<U>) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl<T> AsRef<[T]> for ArenaVec<'_, T> {
    fn as_ref(&self) -> &[T] {
        self
    }
}

impl<T> AsMut<[T]> for ArenaVec<'_, T> {
    fn as_mut(&mut self) -> &mut [T] {
        self
    }
}

impl<T> Borrow<[T]> for ArenaVec<'_, T> {
    fn borrow(&self) -> &[T] {
        self
    }
}

impl<T> BorrowMut<[T]> for ArenaVec<'_, T> {
    fn borrow_mut(&mut self) -> &mut [T] {
        self
    }
}

impl Arena {
    /// Collects `iter`, whose length need not be known, into a slice in the arena.
    ///
    /// The items go into an [`ArenaVec`] that grows in place while nothing else is
    /// allocated from the arena; the spare room is handed back at the end. An
    /// iterator that allocates from the same arena makes the list move as it grows
    /// (see [`ArenaVec`]'s costs). For an exact-size iterator,
    /// [`alloc_slice_fill_iter`](Arena::alloc_slice_fill_iter) does no growth at all.
    ///
    /// Types that need `Drop` are refused at compile time, as for the rest of the
    /// arena's allocation family.
    ///
    /// # Panics
    /// If the arena cannot hold the items (see [`try_alloc_iter`](Arena::try_alloc_iter)).
    ///
    /// ```
    /// let arena = engine::Arena::new("a");
    /// let evens: &mut [u32] = arena.alloc_iter((0..100).filter(|i| i % 2 == 0));
    /// assert_eq!((evens.len(), evens[49]), (50, 98));
    /// assert_eq!(arena.stats().used_bytes, 200);
    /// ```
    #[track_caller]
    #[allow(clippy::mut_from_ref)] // fresh, disjoint memory
    pub fn alloc_iter<T>(&self, iter: impl IntoIterator<Item = T>) -> &mut [T] {
        ArenaVec::from_iter_in(iter, self).into_slice()
    }

    /// Fallible [`alloc_iter`](Arena::alloc_iter).
    ///
    /// # Errors
    /// The arena's [`AllocError`] when the items do not fit. The items taken so far
    /// are dropped and their bytes handed back if they are still the arena's newest
    /// allocation.
    ///
    /// ```
    /// let arena = engine::Arena::with_fixed_capacity("a", 64);
    /// assert!(arena.try_alloc_iter(0..8u32).is_ok());
    /// assert!(arena.try_alloc_iter(0..100u64).is_err());
    /// ```
    #[allow(clippy::mut_from_ref)] // fresh, disjoint memory
    pub fn try_alloc_iter<T>(
        &self,
        iter: impl IntoIterator<Item = T>,
    ) -> Result<&mut [T], AllocError> {
        let iter = iter.into_iter();
        let mut list = ArenaVec::new_in(self);
        list.try_reserve(iter.size_hint().0)?;
        for item in iter {
            list.try_reserve(1)?;
            list.push(item);
        }
        Ok(list.into_slice())
    }
}
