//! Where an arena's memory comes from: the backing under the bump pointer.
//!
//! The arena sees its memory as [`Chunk`]s, each a start, a capacity and the logical
//! offset at which it begins. A chunk is either an allocation from the system
//! allocator (chunked backing: a list of them, each twice the last) or the committed
//! front of a reserved range of address space (`reserved.rs`; reserved backing: one
//! chunk whose capacity grows and shrinks in place as pages are committed and
//! decommitted). See [`Backing`](crate::Backing) for when each is used.

mod chunk;
#[cfg(reserved_backing)]
mod reserved;

pub(crate) use chunk::{CHUNK_ALIGN, Chunk};
