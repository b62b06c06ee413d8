//! The pure offset arithmetic, on arbitrary inputs: the upload ring's placement
//! (`engine::fuzzing::place`) and the arena's bump arithmetic (`padding_for`,
//! `place_*`, `fits_when_empty`, `ends_in_low_half`, `next_chunk_capacity`,
//! `next_commit_capacity`, `reset_chunk_capacity`). Each check is a property the function's docs promise,
//! stated without re-running its own formula.
#![no_main]

use arbitrary::Arbitrary;
use engine::fuzzing::{
    ChunkRequest, CommitRequest, GrowthRefused, Placement, PlacementError, ends_in_low_half,
    fits_when_empty, next_chunk_capacity, next_commit_capacity, padding_for, place,
    place_adding_padding, place_below, place_rounding_up, reset_chunk_capacity,
};
use libfuzzer_sys::fuzz_target;
use std::alloc::Layout;

/// A number biased towards the edges where arithmetic goes wrong: small values,
/// powers of two and their neighbours, and values near the top of the type.
#[derive(Arbitrary, Debug, Clone, Copy)]
enum Num {
    Small(u16),
    PowerOfTwo { shift: u8, delta: i8 },
    NearMax(u16),
    Raw(u64),
}

impl Num {
    fn get(self) -> u64 {
        match self {
            Num::Small(value) => u64::from(value),
            Num::PowerOfTwo { shift, delta } => {
                (1u64 << (shift % 64)).wrapping_add_signed(i64::from(delta))
            }
            Num::NearMax(below) => u64::MAX - u64::from(below),
            Num::Raw(value) => value,
        }
    }

    fn usize(self) -> usize {
        self.get() as usize
    }
}

#[derive(Arbitrary, Debug)]
enum Input {
    /// `place(used, capacity, size, align, 1 << granule_log2, max_buffer)`.
    Ring {
        used: Num,
        capacity: Num,
        size: Num,
        align: Num,
        granule_log2: u8,
        max_buffer: Num,
    },
    /// The placement functions at one address.
    Bump {
        addr: Num,
        size: Num,
        align_log2: u8,
        room: Num,
    },
    /// `next_chunk_capacity`.
    Chunk {
        size: Num,
        align_log2: u8,
        chunk_align_log2: u8,
        first_chunk: Num,
        last_capacity: Num,
        kept_committed: Num,
        may_grow: bool,
        limit: Option<Num>,
    },
    /// `next_commit_capacity` (reserved backing).
    Commit {
        start: Num,
        used: Num,
        size: Num,
        align_log2: u8,
        capacity: Num,
        first_chunk: Num,
        reserved: Num,
        may_grow: bool,
        limit: Option<Num>,
    },
    /// `reset_chunk_capacity`.
    Reset {
        high_water: Num,
        first_capacity: Num,
        default_first_chunk: Num,
        limit: Option<Num>,
    },
}

fuzz_target!(|input: Input| match input {
    Input::Ring {
        used,
        capacity,
        size,
        align,
        granule_log2,
        max_buffer,
    } => check_ring(
        used.get(),
        capacity.get(),
        size.get(),
        align.get(),
        1 << (granule_log2 % 64),
        max_buffer.get(),
    ),
    Input::Bump {
        addr,
        size,
        align_log2,
        room,
    } => check_bump(
        addr.usize(),
        size.usize(),
        1 << (align_log2 as u32 % usize::BITS),
        room.usize(),
    ),
    Input::Chunk {
        size,
        align_log2,
        chunk_align_log2,
        first_chunk,
        last_capacity,
        kept_committed,
        may_grow,
        limit,
    } => check_chunk(ChunkRequest {
        size: size.usize(),
        align: 1 << (align_log2 as u32 % usize::BITS),
        chunk_align: 1 << (chunk_align_log2 % 13), // chunks start at most page-aligned
        first_chunk: first_chunk.usize(),
        last_capacity: last_capacity.usize(),
        kept_committed: kept_committed.usize(),
        may_grow,
        limit: limit.map(Num::usize),
    }),
    Input::Commit {
        start,
        used,
        size,
        align_log2,
        capacity,
        first_chunk,
        reserved,
        may_grow,
        limit,
    } => check_commit(CommitRequest {
        start: start.usize(),
        used: used.usize(),
        size: size.usize(),
        align: 1 << (align_log2 as u32 % usize::BITS),
        capacity: capacity.usize(),
        first_chunk: first_chunk.usize(),
        reserved: reserved.usize(),
        may_grow,
        limit: limit.map(Num::usize),
    }),
    Input::Reset {
        high_water,
        first_capacity,
        default_first_chunk,
        limit,
    } => check_reset(
        high_water.usize(),
        first_capacity.usize(),
        default_first_chunk.usize(),
        limit.map(Num::usize),
    ),
});

/// `place`: where a ring request goes, or why it cannot.
fn check_ring(used: u64, capacity: u64, size: u64, align: u64, granule: u64, max_buffer: u64) {
    let placed = place(used, capacity, size, align, granule, max_buffer);
    if !align.is_power_of_two() {
        assert_eq!(placed, Err(PlacementError::BadAlignment));
        return;
    }
    // TooLarge exactly when the request rounded up to the granule overflows or
    // passes the biggest buffer.
    let fitted = size
        .checked_next_multiple_of(granule)
        .filter(|&rounded| rounded <= max_buffer);
    if fitted.is_none() {
        assert_eq!(placed, Err(PlacementError::TooLarge));
        return;
    }
    // Fits in the chunk: computed in u128, so nothing can wrap here.
    let aligned_used = u128::from(used).next_multiple_of(u128::from(align));
    let fits = aligned_used + u128::from(size) <= u128::from(capacity);
    match placed {
        Ok(Placement::InChunk { offset, end }) => {
            assert!(fits, "placed in a chunk it does not fit in");
            assert_eq!(offset % align, 0, "misaligned offset");
            assert!(
                offset >= used && offset - used < align,
                "offset not the next aligned"
            );
            assert_eq!(
                offset.checked_add(size),
                Some(end),
                "end is not offset + size"
            );
            assert!(end <= capacity, "end past the chunk");
        }
        Ok(Placement::NewChunk {
            capacity: new_capacity,
        }) => {
            assert!(!fits, "a new chunk for a request that fits the current one");
            assert!(new_capacity >= size, "new chunk smaller than the request");
            assert!(
                new_capacity <= max_buffer,
                "new chunk larger than a buffer may be"
            );
            // Twice the current chunk, unless that passes the largest buffer on the
            // granule.
            let largest_on_granule = max_buffer - max_buffer % granule;
            assert!(
                new_capacity >= capacity.saturating_mul(2).min(largest_on_granule),
                "new chunk less than twice the current one"
            );
            // The ring's chunks are all multiples of the granule (it rounds every
            // chunk it creates), and the docs promise the new one is too.
            if capacity.is_multiple_of(granule) {
                assert_eq!(
                    new_capacity % granule,
                    0,
                    "new chunk of {new_capacity} bytes is not a multiple of the granule {granule}"
                );
            }
        }
        Err(error) => panic!("{error:?} for a request that is valid and fits a buffer"),
    }
}

/// The bump placement functions at `addr`, within their documented preconditions.
fn check_bump(addr: usize, size: usize, align: usize, room: usize) {
    let padding = padding_for(addr, align);
    assert!(padding < align);
    assert_eq!(addr.wrapping_add(padding) % align, 0);

    // Rounding up and adding padding agree wherever nothing can wrap.
    if addr
        .checked_add(size)
        .and_then(|end| end.checked_add(align - 1))
        .is_some()
    {
        let by_rounding = place_rounding_up(addr, size, align);
        assert_eq!(by_rounding, place_adding_padding(addr, size, align));
        let (start, end) = by_rounding;
        assert_eq!(start % align, 0);
        assert!(start >= addr && start - addr < align);
        assert_eq!(end - start, size);
    }

    // `place_below` for a limit `room` bytes above `addr`, never wrapping.
    let limit = addr.saturating_add(room);
    if Layout::from_size_align(size, align).is_ok() {
        let available = limit - addr;
        let fits = padding
            .checked_add(size)
            .is_some_and(|need| need <= available);
        match place_below(addr, limit, size, align) {
            Some((start, end)) => {
                assert!(fits, "placed below a limit it does not fit under");
                assert_eq!(start % align, 0);
                assert!(start >= addr && end <= limit);
                assert_eq!(end - start, size);
            }
            None => assert!(!fits, "refused a request that fits"),
        }
        // An empty chunk of `available` bytes at `addr` agrees with `place_below`.
        assert_eq!(
            fits_when_empty(addr, available, size, align),
            fits,
            "fits_when_empty disagrees with place_below"
        );
    }

    assert_eq!(
        ends_in_low_half(addr, room),
        addr as u128 + room as u128 <= isize::MAX as u128
    );
}

/// `next_commit_capacity`: a commit covers the request where it would be placed,
/// never passes the reservation or the limit, and at least doubles what is
/// committed (or reaches the first chunk's size, or the request's power of two)
/// where those allow.
fn check_commit(request: CommitRequest) {
    let result = next_commit_capacity(request);
    if !request.may_grow {
        assert_eq!(result, Err(GrowthRefused::Fixed));
        return;
    }
    let padding = padding_for(request.start.wrapping_add(request.used), request.align);
    let needed = (request.used as u128) + (padding as u128) + (request.size as u128);
    if request.limit.is_some_and(|limit| needed > limit as u128) {
        assert_eq!(result, Err(GrowthRefused::Limit));
        return;
    }
    if needed > request.reserved as u128 {
        assert_eq!(result, Err(GrowthRefused::Reservation));
        return;
    }
    let capacity = result.expect("a commit that the limit and the reservation allow");
    assert!(
        capacity as u128 >= needed,
        "{capacity} bytes cannot hold the request's end {needed}"
    );
    let cap = request.limit.unwrap_or(usize::MAX).min(request.reserved);
    assert!(
        capacity <= cap,
        "a commit of {capacity} passes the limit or the reservation"
    );
    let needed = needed as usize;
    let wanted = request
        .capacity
        .saturating_mul(2)
        .max(request.first_chunk)
        .max(needed.checked_next_power_of_two().unwrap_or(needed));
    assert!(
        capacity >= wanted.min(cap),
        "a commit of {capacity} is less than doubling, the first chunk and the request ({wanted})"
    );
}

/// `next_chunk_capacity` for a valid `Layout` request.
fn check_chunk(request: ChunkRequest) {
    if Layout::from_size_align(request.size, request.align).is_err() {
        return;
    }
    let result = next_chunk_capacity(request);
    if !request.may_grow {
        assert_eq!(result, Err(GrowthRefused::Fixed));
        return;
    }
    // The request plus the padding a start aligned to `chunk_align` may need.
    let needed = request.size + request.align.saturating_sub(request.chunk_align);
    let room = request
        .limit
        .map(|limit| limit.saturating_sub(request.kept_committed));
    if room.is_some_and(|room| needed > room) {
        assert_eq!(result, Err(GrowthRefused::Limit));
        return;
    }
    let capacity = result.expect("growth that the limit allows");
    assert!(
        capacity >= needed,
        "a chunk of {capacity} cannot hold {needed}"
    );
    let wanted = request
        .last_capacity
        .saturating_mul(2)
        .max(request.first_chunk)
        .max(needed.checked_next_power_of_two().unwrap_or(needed));
    let cap = room.unwrap_or(usize::MAX);
    assert!(capacity <= cap, "chunk passes the limit");
    assert!(
        capacity >= wanted.min(cap),
        "a chunk of {capacity} is less than doubling, the first chunk and the request ({wanted})"
    );
}

/// `reset_chunk_capacity`: covers the peak and outgrows the first chunk, capped.
fn check_reset(
    high_water: usize,
    first_capacity: usize,
    default_first_chunk: usize,
    limit: Option<usize>,
) {
    let capacity = reset_chunk_capacity(high_water, first_capacity, default_first_chunk, limit);
    let cap = limit.unwrap_or(usize::MAX);
    assert!(capacity <= cap, "reset chunk passes the limit");
    for floor in [
        high_water,
        first_capacity.saturating_mul(2),
        default_first_chunk,
    ] {
        assert!(
            capacity >= floor.min(cap),
            "reset chunk of {capacity} below {floor} (limit {limit:?})"
        );
    }
    if capacity < cap && high_water.checked_next_power_of_two().is_some() {
        // Not capped: at least the peak rounded up to a power of two.
        assert!(capacity >= high_water.next_power_of_two());
    }
}
