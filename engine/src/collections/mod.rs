//! Lists and text in an arena: [`ArenaVec`], [`ArenaString`], [`format_in!`](crate::format_in)
//! and [`Arena::alloc_iter`](crate::Arena::alloc_iter).
//!
//! One concern per file:
//! - `vec.rs`: the list, its growth (in place where the buffer is the arena's newest
//!   allocation) and freezing it into a slice;
//! - `string.rs`: the string, a UTF-8 list of bytes, and `format_in!`;
//! - `collect.rs`: `collect_in`, and the arenas a collection can live in.
//!
//! The collections hold a `&Arena`. Every arena type of the engine reaches one: a
//! [`Scope`](crate::Scope), a [`Frame`](crate::Frame) and a worker arena deref to
//! it, and a [`LevelArena`](crate::LevelArena) lends its own through
//! [`AsRef<Arena>`], which `new_in` takes.

mod collect;
mod string;
mod vec;

pub use collect::{CollectIn, FromIteratorIn};
pub use string::ArenaString;
pub use vec::ArenaVec;
