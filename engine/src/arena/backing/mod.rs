//! Where an arena's memory comes from: the backing under the bump pointer.
//!
//! Today that is a list of chunks taken from the system allocator ([`Chunk`]). The
//! arena sees a backing only as ranges of bytes with a start, a capacity and the
//! logical offset at which each begins, so another backing (a reserved range of
//! address space, committed as the bump pointer advances) can take its place here.

mod chunk;

pub(crate) use chunk::{CHUNK_ALIGN, Chunk};
