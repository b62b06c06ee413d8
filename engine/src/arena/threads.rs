//! Which threads may use an arena, and the compiler error that says so.
//!
//! `Arena` is `Send` and not `Sync`: allocation goes through `&self` with no
//! atomics. Left to itself, the compiler explains the missing `Sync` by naming each
//! of the arena's `Cell` fields, five errors about internal types. Instead, every
//! such field is wrapped in [`Unshared`], which the `Sync` check looks through, and
//! the one reason left is the [`NotShared`] marker, whose error is written for the
//! reader: what cannot be shared, and what to use instead.

use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};

/// The compiler's message when an arena, or something that allocates from one (a
/// `Frame`, a `Scope`, an `ArenaVec`), is shared between threads. No type
/// implements it, so the marker below is never `Sync`.
#[diagnostic::on_unimplemented(
    message = "an `Arena` cannot be shared between threads: it allocates through `&self` without atomics",
    label = "this uses an `Arena` (or a `Frame`, `Scope` or list that allocates from one) from another thread",
    note = "give each thread its own arena: `frame.workers().acquire()` lends a worker arena to any thread, and `FrameSlice` handles bring what it built back"
)]
pub(crate) trait SharedBetweenThreads {}

/// Zero-sized, and never `Sync`: `Arena` holds a `NotShared<Arena>`, so that the
/// error names the arena as the type that cannot be shared.
pub(crate) struct NotShared<T>(PhantomData<fn() -> T>);

impl<T> NotShared<T> {
    pub(crate) const MARK: NotShared<T> = NotShared(PhantomData);
}

// SAFETY: no type implements `SharedBetweenThreads`, so this impl never applies; it
// exists for its where clause, which puts the trait's message in the error.
unsafe impl<T: SharedBetweenThreads> Sync for NotShared<T> {}

/// A field of [`Arena`](super::Arena) that the `Sync` check looks through, so that the owner's [`NotShared`] marker is the
/// one reason the compiler gives. It dereferences to the field.
#[repr(transparent)]
#[derive(Debug, Default)]
pub(crate) struct Unshared<C>(C);

impl<C> Unshared<C> {
    pub(crate) const fn new(field: C) -> Unshared<C> {
        Unshared(field)
    }
}

impl<C> Deref for Unshared<C> {
    type Target = C;

    #[inline(always)]
    fn deref(&self) -> &C {
        &self.0
    }
}

impl<C> DerefMut for Unshared<C> {
    #[inline(always)]
    fn deref_mut(&mut self) -> &mut C {
        &mut self.0
    }
}

// SAFETY: an `Unshared` is only ever a field of `Arena`, which also holds a
// `NotShared` and so is not `Sync` whatever this impl says: no `&Unshared` reaches
// another thread except through an arena that cannot be shared.
// `engine/tests/arena/threads.rs` asserts that `Arena` is not `Sync`.
unsafe impl<C> Sync for Unshared<C> {}
