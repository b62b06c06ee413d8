//! Why an arena operation failed.

use std::fmt;
use std::sync::Arc;

/// Why an allocation failed. The arena is unchanged after any of these.
///
/// ```
/// use engine::{AllocError, Arena};
///
/// let arena = Arena::with_fixed_capacity("tiny", 64);
/// let err = arena.try_alloc_slice_fill_copy(1000, 0u8).unwrap_err();
/// assert!(matches!(err, AllocError::CapacityExceeded { requested: 1000, .. }));
/// assert!(err.to_string().contains("tiny"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AllocError {
    /// `count` elements of `element_size` bytes do not fit in `isize::MAX` bytes.
    SizeOverflow {
        /// Name of the arena.
        arena: Arc<str>,
        /// Number of elements asked for.
        count: usize,
        /// Size of one element in bytes.
        element_size: usize,
    },
    /// The size and alignment do not make a valid `Layout` (alignment not a power of
    /// two, or size too large once rounded up to the alignment).
    InvalidLayout {
        /// Name of the arena.
        arena: Arc<str>,
        /// Requested size in bytes.
        size: usize,
        /// Requested alignment in bytes.
        align: usize,
    },
    /// The arena has a fixed capacity and the request does not fit in what is left.
    CapacityExceeded {
        /// Name of the arena.
        arena: Arc<str>,
        /// Requested size in bytes.
        requested: usize,
        /// Requested alignment in bytes.
        align: usize,
        /// Bytes already in use.
        used: usize,
        /// The fixed capacity in bytes.
        capacity: usize,
    },
    /// Growing the arena for this request would commit more than its limit
    /// ([`ArenaConfig::limit_bytes`](crate::ArenaConfig::limit_bytes)).
    LimitExceeded {
        /// Name of the arena.
        arena: Arc<str>,
        /// Requested size in bytes.
        requested: usize,
        /// Bytes the arena holds from the system now.
        committed: usize,
        /// The limit in bytes.
        limit: usize,
    },
    /// The system allocator refused a new chunk. On a 64-bit target a chunk it
    /// places above `isize::MAX` counts as refused too: the arena's fast path relies
    /// on addresses below that. No 64-bit system we know of maps user memory there;
    /// pointers tagged in their top byte (HWASan on AArch64) can point there, so
    /// under HWASan this error comes at random.
    ///
    /// The one failure that can change the arena: an arena with a limit gives back
    /// its spare chunks (left by a rewind) before it takes a new one, when holding
    /// both would pass the limit. If the system then refuses the new chunk, the
    /// spares stay given back, and `committed_bytes` is lower by them.
    OutOfMemory {
        /// Name of the arena.
        arena: Arc<str>,
        /// Requested size in bytes.
        requested: usize,
        /// Size of the chunk that could not be allocated.
        chunk_bytes: usize,
    },
    /// The arena has [reserved backing](crate::Backing::Reserved) and the request does
    /// not fit in what is left of its reservation: its memory is one range of
    /// address space that cannot move or be extended. Reserve more, or use chunked
    /// backing for an arena with no upper bound.
    ReservationExhausted {
        /// Name of the arena.
        arena: Arc<str>,
        /// Requested size in bytes.
        requested: usize,
        /// Requested alignment in bytes.
        align: usize,
        /// Bytes already in use.
        used: usize,
        /// Bytes of address space reserved.
        reserved: usize,
    },
    /// The system refused a reserved arena its address space, or refused to commit
    /// pages of it (the system's commit limit, or its limit on memory mappings).
    CommitRefused {
        /// Name of the arena.
        arena: Arc<str>,
        /// Requested size in bytes.
        requested: usize,
        /// Bytes the arena would have committed in all.
        committed_bytes: usize,
    },
    /// The arena was called while it was taking memory, from code that its slow path
    /// called out to: a `#[global_allocator]` or a
    /// [`BlockObserver`](crate::BlockObserver) that uses the same arena. The arena
    /// refuses rather than let the two calls see each other's half-made changes.
    Reentered {
        /// Name of the arena.
        arena: Arc<str>,
    },
}

impl fmt::Display for AllocError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AllocError::SizeOverflow {
                arena,
                count,
                element_size,
            } => write!(
                f,
                "arena `{arena}`: {count} elements of {element_size} bytes overflow the address space"
            ),
            AllocError::InvalidLayout { arena, size, align } => write!(
                f,
                "arena `{arena}`: invalid layout of {size} bytes aligned to {align} (alignment must be a power of two and the size at most isize::MAX)"
            ),
            AllocError::CapacityExceeded {
                arena,
                requested,
                align,
                used,
                capacity,
            } => write!(
                f,
                "arena `{arena}`: {requested} bytes (align {align}) do not fit: {used} of a fixed {capacity} bytes are in use"
            ),
            AllocError::LimitExceeded {
                arena,
                requested,
                committed,
                limit,
            } => write!(
                f,
                "arena `{arena}`: growing for {requested} bytes would exceed its limit of {limit} bytes ({committed} bytes committed)"
            ),
            AllocError::OutOfMemory {
                arena,
                requested,
                chunk_bytes,
            } => write!(
                f,
                "arena `{arena}`: the system allocator refused a chunk of {chunk_bytes} bytes for a request of {requested} bytes"
            ),
            AllocError::ReservationExhausted {
                arena,
                requested,
                align,
                used,
                reserved,
            } => write!(
                f,
                "arena `{arena}`: {requested} bytes (align {align}) do not fit in its reservation of {reserved} bytes of address space ({used} bytes in use)"
            ),
            AllocError::CommitRefused {
                arena,
                requested,
                committed_bytes,
            } => write!(
                f,
                "arena `{arena}`: the system refused to reserve address space or commit {committed_bytes} bytes of it, for a request of {requested} bytes"
            ),
            AllocError::Reentered { arena } => write!(
                f,
                "arena `{arena}` was called again while it was taking memory, from the global allocator or a block observer it called; an arena cannot be used from inside its own growth"
            ),
        }
    }
}

impl std::error::Error for AllocError {}

/// Why a `pop` or `rewind` was refused. The arena is unchanged after any of these.
///
/// ```
/// use engine::{Arena, StackError};
///
/// let mut arena = Arena::new("stack");
/// arena.push(16);
/// let err = arena.try_pop(32).unwrap_err();
/// assert_eq!(err, StackError::PopUnderflow { requested: 32, used: 16 });
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StackError {
    /// More bytes were popped than the arena holds.
    PopUnderflow {
        /// Bytes asked to pop.
        requested: usize,
        /// Bytes in use.
        used: usize,
    },
    /// Debug mode: the popped size is not the size of the last block pushed.
    PopMismatch {
        /// Bytes asked to pop.
        requested: usize,
        /// Size of the last block, as recorded when it was pushed.
        last_block: usize,
    },
    /// The mark was taken on a different arena.
    ForeignMark {
        /// Name of the arena that was asked to rewind.
        arena: Arc<str>,
    },
    /// The arena was reset after the mark was taken.
    MarkBeforeReset {
        /// Resets of the arena when the mark was taken.
        mark_resets: u64,
        /// Resets of the arena now.
        arena_resets: u64,
    },
    /// The mark is stale: the arena was already rewound or popped below it, so it
    /// no longer names a position in use.
    StaleMark {
        /// Offset recorded in the mark.
        mark_offset: usize,
        /// Bytes in use now.
        used: usize,
    },
    /// Inside a [`Scope`](crate::Scope): the pop or rewind would free bytes that
    /// were allocated before the scope began.
    BelowScope {
        /// The offset the pop or rewind would go back to.
        target: usize,
        /// The offset at which the scope began.
        scope_start: usize,
    },
}

impl fmt::Display for StackError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StackError::PopUnderflow { requested, used } => {
                write!(
                    f,
                    "cannot pop {requested} bytes: only {used} bytes are in use"
                )
            }
            StackError::PopMismatch {
                requested,
                last_block,
            } => write!(
                f,
                "cannot pop {requested} bytes: the last block pushed was {last_block} bytes"
            ),
            StackError::ForeignMark { arena } => {
                write!(
                    f,
                    "arena `{arena}` cannot rewind to a mark of another arena"
                )
            }
            StackError::MarkBeforeReset {
                mark_resets,
                arena_resets,
            } => write!(
                f,
                "the mark was taken after reset {mark_resets}, but the arena has been reset {arena_resets} times since"
            ),
            StackError::StaleMark { mark_offset, used } => write!(
                f,
                "stale mark: offset {mark_offset} was already freed (only {used} bytes are in use)"
            ),
            StackError::BelowScope {
                target,
                scope_start,
            } => write!(
                f,
                "cannot go back to offset {target} inside a scope that began at offset {scope_start}"
            ),
        }
    }
}

impl std::error::Error for StackError {}
