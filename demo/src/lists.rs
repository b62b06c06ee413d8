//! The lists a frame builds into. The demo's are [`ArenaVec`]s in the frame arena
//! ([`InArena`]); `std`'s `Vec` implements the same trait ([`OnHeap`]), so the
//! benchmark and the tests run the very same building code over heap lists too.

use engine::{Arena, ArenaVec};
use std::ops::DerefMut;

/// A growable list as frame building uses it: the `Vec` calls it makes (`push`,
/// `extend`, `resize`, `clear`), and a slice for everything else.
pub trait FrameList<T>: DerefMut<Target = [T]> + Extend<T> {
    /// Appends `value`.
    fn push(&mut self, value: T);

    /// Makes the list `new_len` long, appending copies of `value` or cutting.
    fn resize(&mut self, new_len: usize, value: T)
    where
        T: Clone;

    /// Removes every element, keeping the room.
    fn clear(&mut self);
}

impl<T> FrameList<T> for ArenaVec<'_, T> {
    #[inline(always)]
    fn push(&mut self, value: T) {
        ArenaVec::push(self, value);
    }

    #[inline]
    fn resize(&mut self, new_len: usize, value: T)
    where
        T: Clone,
    {
        ArenaVec::resize(self, new_len, value);
    }

    #[inline]
    fn clear(&mut self) {
        ArenaVec::clear(self);
    }
}

impl<T> FrameList<T> for Vec<T> {
    #[inline(always)]
    fn push(&mut self, value: T) {
        Vec::push(self, value);
    }

    #[inline]
    fn resize(&mut self, new_len: usize, value: T)
    where
        T: Clone,
    {
        Vec::resize(self, new_len, value);
    }

    #[inline]
    fn clear(&mut self) {
        Vec::clear(self);
    }
}

/// Where a frame's lists live: it names the list type and makes empty lists.
pub trait ListStorage {
    /// A list of `T` in this storage.
    type List<T>: FrameList<T>;

    /// An empty list; allocates nothing yet.
    fn new_list<T>(&self) -> Self::List<T>;
}

/// Lists in an arena (the demo's: the frame arena), as [`ArenaVec`]s.
#[derive(Debug, Clone, Copy)]
pub struct InArena<'a>(pub &'a Arena);

impl<'a> ListStorage for InArena<'a> {
    type List<T> = ArenaVec<'a, T>;

    fn new_list<T>(&self) -> ArenaVec<'a, T> {
        ArenaVec::new_in(self.0)
    }
}

/// Lists on the heap, as `std` `Vec`s: what the benchmark and the tests compare the
/// arena against.
#[derive(Debug, Clone, Copy, Default)]
pub struct OnHeap;

impl ListStorage for OnHeap {
    type List<T> = Vec<T>;

    fn new_list<T>(&self) -> Vec<T> {
        Vec::new()
    }
}
