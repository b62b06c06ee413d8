#![doc = include_str!("../README.md")]
#![deny(unsafe_op_in_unsafe_fn)]

mod arena;

pub use arena::{
    AllocError, Arena, ArenaOptions, ArenaStats, DEFAULT_FIRST_CHUNK_BYTES, Growth, Mark,
    POISON_BYTE, PUSH_ALIGN, StackError,
};
