//! The arenas a collection can live in, and `collect_in`.

use super::{ArenaString, ArenaVec};
use crate::{Arena, Frame, LevelArena, Scope};

impl AsRef<Arena> for Arena {
    fn as_ref(&self) -> &Arena {
        self
    }
}

impl AsRef<Arena> for Scope<'_> {
    fn as_ref(&self) -> &Arena {
        self
    }
}

impl AsRef<Arena> for Frame<'_> {
    fn as_ref(&self) -> &Arena {
        self
    }
}

/// A level's collections live in its arena. Their growth after the seal counts as
/// untracked growth (see [`LevelArena::arena`]), and values with destructors are
/// dropped by the collection, not at unload.
impl AsRef<Arena> for LevelArena {
    fn as_ref(&self) -> &Arena {
        self.arena()
    }
}

/// A collection that can be built from an iterator in an arena: the arena version
/// of [`FromIterator`], used by [`CollectIn::collect_in`].
///
/// ```
/// use engine::{Arena, ArenaVec, FromIteratorIn};
/// let arena = Arena::new("a");
/// let list: ArenaVec<'_, u8> = FromIteratorIn::from_iter_in(0..3, &arena);
/// assert_eq!(list, [0, 1, 2]);
/// ```
pub trait FromIteratorIn<'a, T>: Sized {
    /// The collection of `iter`'s items, in `arena`.
    fn from_iter_in<I: IntoIterator<Item = T>>(iter: I, arena: &'a Arena) -> Self;
}

impl<'a, T> FromIteratorIn<'a, T> for ArenaVec<'a, T> {
    #[track_caller]
    fn from_iter_in<I: IntoIterator<Item = T>>(iter: I, arena: &'a Arena) -> Self {
        ArenaVec::from_iter_in(iter, arena)
    }
}

impl<'a> FromIteratorIn<'a, char> for ArenaString<'a> {
    #[track_caller]
    fn from_iter_in<I: IntoIterator<Item = char>>(iter: I, arena: &'a Arena) -> Self {
        let mut string = ArenaString::new_in(arena);
        string.extend(iter);
        string
    }
}

impl<'a, 'x> FromIteratorIn<'a, &'x str> for ArenaString<'a> {
    #[track_caller]
    fn from_iter_in<I: IntoIterator<Item = &'x str>>(iter: I, arena: &'a Arena) -> Self {
        let mut string = ArenaString::new_in(arena);
        string.extend(iter);
        string
    }
}

/// `collect` into an arena: `iter.collect_in::<ArenaVec<_>>(&arena)`. Implemented for
/// every iterator.
///
/// # Panics
/// If the arena cannot hold the items (as the collection's `push`).
///
/// ```
/// use engine::{Arena, ArenaString, ArenaVec, CollectIn};
///
/// let arena = Arena::new("a");
/// let visible: ArenaVec<'_, u32> = (0..10).filter(|i| i % 3 == 0).collect_in(&arena);
/// assert_eq!(visible, [0, 3, 6, 9]);
/// let shout: ArenaString<'_> = "hey".chars().map(|c| c.to_ascii_uppercase()).collect_in(&arena);
/// assert_eq!(shout, "HEY");
/// ```
pub trait CollectIn: Iterator + Sized {
    /// Collects the items into `C`, a collection in `arena` (anything that lends an
    /// [`Arena`]: an arena, a scope, a frame, a level).
    #[track_caller]
    fn collect_in<'a, C, A>(self, arena: &'a A) -> C
    where
        C: FromIteratorIn<'a, Self::Item>,
        A: AsRef<Arena> + ?Sized,
    {
        C::from_iter_in(self, arena.as_ref())
    }
}

impl<I: Iterator> CollectIn for I {}
