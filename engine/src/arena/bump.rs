//! The bump arithmetic: where an allocation starts and ends, whether it fits, and how
//! big the next chunk is. Pure functions on addresses and sizes, with no pointers,
//! no state and no unsafe code, so they can be unit-tested and fuzzed on their own.
//!
//! The arena's allocation paths (`alloc.rs`, `growth.rs`) call these and turn the
//! addresses they return back into pointers with the arena's provenance.
#![forbid(unsafe_code)]

use core::cmp::max;

/// Bytes of padding that bring `addr` up to a multiple of `align`.
///
/// `align` must be a power of two. The result is less than `align`.
#[inline(always)]
#[must_use]
pub const fn padding_for(addr: usize, align: usize) -> usize {
    addr.wrapping_neg() & (align - 1)
}

/// Start and end addresses of `size` bytes aligned to `align`, placed at or after
/// `addr`, computed the way a constant `align` compiles shortest: round up, then add.
///
/// The caller guarantees that nothing wraps: `addr + size + align - 1` fits in a
/// `usize` (on 64-bit targets an arena's addresses and a valid `Layout`'s size are
/// each at most `isize::MAX`).
#[inline(always)]
#[must_use]
pub const fn place_rounding_up(addr: usize, size: usize, align: usize) -> (usize, usize) {
    let start = (addr + (align - 1)) & !(align - 1);
    (start, start + size)
}

/// As [`place_rounding_up`], computed the way a run-time `align` compiles shortest:
/// add the padding, so that `size` can be added to `addr` alongside.
#[inline(always)]
#[must_use]
pub const fn place_adding_padding(addr: usize, size: usize, align: usize) -> (usize, usize) {
    let start = addr + padding_for(addr, align);
    (start, start + size)
}

/// Start and end of `size` bytes aligned to `align` at or after `addr`, if they end
/// at or below `limit`; `None` if they do not fit.
///
/// Correct at any address: it compares the room left (`limit - addr`) with what the
/// request needs, so nothing can wrap. The caller guarantees `addr <= limit`,
/// `align` a power of two and `size <= isize::MAX - (align - 1)` (any valid `Layout`).
#[inline(always)]
#[must_use]
pub const fn place_below(
    addr: usize,
    limit: usize,
    size: usize,
    align: usize,
) -> Option<(usize, usize)> {
    let padding = padding_for(addr, align);
    let available = limit - addr;
    let needed = padding + size;
    if needed > available {
        return None;
    }
    Some((addr + padding, addr + needed))
}

/// Whether a chunk of `capacity` bytes at `start` could hold `size` bytes aligned to
/// `align` while empty.
#[must_use]
pub fn fits_when_empty(start: usize, capacity: usize, size: usize, align: usize) -> bool {
    padding_for(start, align)
        .checked_add(size)
        .is_some_and(|needed| needed <= capacity)
}

/// Whether `capacity` bytes at `start` end at or below `isize::MAX`, the condition
/// under which the 64-bit fast path's single compare cannot wrap.
#[must_use]
pub fn ends_in_low_half(start: usize, capacity: usize) -> bool {
    start
        .checked_add(capacity)
        .is_some_and(|end| end <= isize::MAX as usize)
}

/// Why no chunk (or commit) can be sized for a request: the arena's configuration
/// forbids it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrowthRefused {
    /// The arena has a fixed capacity.
    Fixed,
    /// A chunk (or commit) big enough would take the arena past its limit.
    Limit,
    /// Reserved backing: the request does not fit in the reservation.
    Reservation,
}

/// What sizing the next chunk needs to know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkRequest {
    /// Bytes requested.
    pub size: usize,
    /// Their alignment (a power of two).
    pub align: usize,
    /// Alignment every chunk starts at.
    pub chunk_align: usize,
    /// Size of an arena's first chunk.
    pub first_chunk: usize,
    /// Capacity of the chunk the request did not fit in (0 if there is none).
    pub last_capacity: usize,
    /// Bytes of the chunks the arena keeps (spares that will be dropped excluded).
    pub kept_committed: usize,
    /// Whether the arena may grow at all.
    pub may_grow: bool,
    /// The most bytes the arena may hold from the system, if capped.
    pub limit: Option<usize>,
}

/// Capacity of the next chunk: at least twice the last one, the first chunk's size,
/// and the request rounded up to a power of two, but never past the limit.
///
/// # Errors
/// [`GrowthRefused`] when the arena is fixed, or when even the request alone (with
/// the padding a big alignment can need) would pass the limit.
pub fn next_chunk_capacity(request: ChunkRequest) -> Result<usize, GrowthRefused> {
    // Chunks start aligned to `chunk_align`; bigger alignments may need padding.
    let needed = request.size + request.align.saturating_sub(request.chunk_align);
    if !request.may_grow {
        return Err(GrowthRefused::Fixed);
    }
    let mut capacity = doubled_capacity(request.last_capacity, request.first_chunk, needed);
    if let Some(limit) = request.limit {
        let room = limit.saturating_sub(request.kept_committed);
        if needed > room {
            return Err(GrowthRefused::Limit);
        }
        capacity = capacity.min(room);
    }
    Ok(capacity)
}

/// What sizing a reserved arena's next commit needs to know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommitRequest {
    /// Address of the reservation's first byte.
    pub start: usize,
    /// Bytes in use from `start` (where the request would be placed).
    pub used: usize,
    /// Bytes requested.
    pub size: usize,
    /// Their alignment (a power of two).
    pub align: usize,
    /// Bytes usable now: the committed front of the reservation.
    pub capacity: usize,
    /// Size of an arena's first chunk: the least it commits.
    pub first_chunk: usize,
    /// Bytes reserved.
    pub reserved: usize,
    /// Whether the arena may grow at all.
    pub may_grow: bool,
    /// The most bytes the arena may hold from the system, if capped.
    pub limit: Option<usize>,
}

/// Usable bytes after a reserved arena's next commit: at least twice what it has,
/// the first chunk's size, and the end of the request rounded up to a power of two,
/// but never past the reservation or the limit. The same doubling as
/// [`next_chunk_capacity`], so that growth costs a logarithmic number of commits.
///
/// # Errors
/// [`GrowthRefused`] when the arena is fixed, or when the request's end (padding
/// included) passes the limit or the reservation.
pub fn next_commit_capacity(request: CommitRequest) -> Result<usize, GrowthRefused> {
    if !request.may_grow {
        return Err(GrowthRefused::Fixed);
    }
    let padding = padding_for(request.start.wrapping_add(request.used), request.align);
    // `None`: the request's end is past the address space, so past any bound.
    let needed = request
        .used
        .checked_add(padding)
        .and_then(|end| end.checked_add(request.size));
    let passes = |bound: usize| needed.is_none_or(|needed| needed > bound);
    if request.limit.is_some_and(passes) {
        return Err(GrowthRefused::Limit);
    }
    if passes(request.reserved) {
        return Err(GrowthRefused::Reservation);
    }
    let needed = needed.expect("within the reservation, so no overflow");
    let mut capacity =
        doubled_capacity(request.capacity, request.first_chunk, needed).min(request.reserved);
    if let Some(limit) = request.limit {
        capacity = capacity.min(limit);
    }
    Ok(capacity)
}

/// The growth rule both backings share, so that they cannot drift apart: at least
/// twice the `last` capacity, the first chunk's size, and `needed` rounded up to a
/// power of two (or `needed` itself where that overflows).
fn doubled_capacity(last: usize, first_chunk: usize, needed: usize) -> usize {
    max(
        max(last.saturating_mul(2), first_chunk),
        needed.checked_next_power_of_two().unwrap_or(needed),
    )
}

/// Capacity of the one chunk a reset keeps when the cycle needed several: the
/// high-water mark rounded up to a power of two, at least twice the first chunk
/// (which the cycle outgrew) and the default first chunk, capped by the limit.
///
/// Why twice the first chunk: alignment padding depends on where a chunk starts, and
/// the high-water mark does not count the gap a full chunk leaves at its end, so a
/// workload that overflowed chunk 0 by its padding can measure a high-water mark that
/// fits chunk 0 again, and then overflow it again every cycle.
#[must_use]
pub fn reset_chunk_capacity(
    high_water: usize,
    first_capacity: usize,
    default_first_chunk: usize,
    limit: Option<usize>,
) -> usize {
    trim_chunk_capacity(
        high_water,
        first_capacity.saturating_mul(2),
        default_first_chunk,
        limit,
    )
}

/// Capacity of the chunk a trim leaves for a measured `need`: the need rounded up
/// to a power of two, at least the arena's starting capacity and the default first
/// chunk (the least a reset keeps, see [`reset_chunk_capacity`], so that a trim
/// never undoes what a reset chose for the same need), capped by the limit.
#[must_use]
pub fn trim_chunk_capacity(
    need: usize,
    start_capacity: usize,
    default_first_chunk: usize,
    limit: Option<usize>,
) -> usize {
    let target = max(
        max(
            need.checked_next_power_of_two().unwrap_or(need),
            start_capacity,
        ),
        default_first_chunk,
    );
    match limit {
        Some(limit) => target.min(limit),
        None => target,
    }
}

/// Whether a trim replaces a chunk of `capacity` bytes with one of `target`.
///
/// Asked for (`requested`), any saving is worth it. Under the policy only a chunk of
/// at least twice the target is, and not after a window in which the arena `grew`:
/// its need, measured across chunks, can then miss the padding a chunk's end left
/// (see [`reset_chunk_capacity`]), and trimming to it could make the next cycle grow
/// again, and the next window trim again, for ever.
#[must_use]
pub fn should_trim(capacity: usize, target: usize, requested: bool, grew: bool) -> bool {
    if requested {
        capacity > target
    } else {
        !grew && capacity / 2 >= target
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padding_reaches_the_next_multiple_and_is_zero_on_one() {
        assert_eq!(padding_for(0x1000, 64), 0);
        assert_eq!(padding_for(0x1001, 64), 63);
        assert_eq!(padding_for(0x1007, 8), 1);
        assert_eq!(padding_for(usize::MAX, 2), 1);
    }

    #[test]
    fn both_placements_agree_at_every_small_address_and_alignment() {
        for addr in 0..300 {
            for shift in 0..10 {
                let align = 1 << shift;
                let by_rounding = place_rounding_up(addr, 24, align);
                assert_eq!(by_rounding, place_adding_padding(addr, 24, align));
                assert_eq!(by_rounding.0 % align, 0);
                assert!(by_rounding.0 >= addr && by_rounding.0 - addr < align);
            }
        }
    }

    #[test]
    fn place_below_fits_exactly_up_to_the_limit() {
        assert_eq!(place_below(0x1001, 0x1010, 8, 8), Some((0x1008, 0x1010)));
        assert_eq!(place_below(0x1001, 0x100f, 8, 8), None);
        // The room left is compared, so even a limit at the top of the address
        // space and a huge request cannot wrap around.
        assert_eq!(
            place_below(usize::MAX - 8, usize::MAX, isize::MAX as usize, 1),
            None
        );
        assert_eq!(place_below(0x10, 0x10, 0, 1), Some((0x10, 0x10)));
    }

    #[test]
    fn an_empty_chunk_fits_what_its_padding_leaves_room_for() {
        assert!(fits_when_empty(0x1000, 64, 64, 64));
        assert!(!fits_when_empty(0x1040, 64, 64, 128)); // 64 bytes of padding
        assert!(!fits_when_empty(0x1000, 64, usize::MAX, 1));
    }

    #[test]
    fn only_memory_ending_at_or_below_isize_max_is_in_the_low_half() {
        let top = isize::MAX as usize;
        assert!(ends_in_low_half(0x1000, 0x1000));
        assert!(ends_in_low_half(top - 64, 64)); // one past its last byte is `top`
        assert!(!ends_in_low_half(top - 64, 65));
        assert!(!ends_in_low_half(top + 1, 64));
        assert!(!ends_in_low_half(usize::MAX - 63, 64)); // end wraps to 0
    }

    fn request(size: usize) -> ChunkRequest {
        ChunkRequest {
            size,
            align: 8,
            chunk_align: 64,
            first_chunk: 4096,
            last_capacity: 0,
            kept_committed: 0,
            may_grow: true,
            limit: None,
        }
    }

    #[test]
    fn chunks_double_and_cover_the_request() {
        assert_eq!(next_chunk_capacity(request(10)), Ok(4096));
        let after_first = ChunkRequest {
            last_capacity: 4096,
            ..request(10)
        };
        assert_eq!(next_chunk_capacity(after_first), Ok(8192));
        assert_eq!(next_chunk_capacity(request(5000)), Ok(8192));
        let aligned = ChunkRequest {
            align: 4096,
            ..request(4096)
        };
        assert_eq!(next_chunk_capacity(aligned), Ok(8192)); // room for the padding
    }

    #[test]
    fn the_limit_caps_a_chunk_and_refuses_what_cannot_fit() {
        let capped = ChunkRequest {
            kept_committed: 4096,
            last_capacity: 4096,
            limit: Some(6000),
            ..request(1000)
        };
        assert_eq!(next_chunk_capacity(capped), Ok(6000 - 4096));
        let too_big = ChunkRequest {
            size: 2000,
            ..capped
        };
        assert_eq!(next_chunk_capacity(too_big), Err(GrowthRefused::Limit));
        let fixed = ChunkRequest {
            may_grow: false,
            ..request(1)
        };
        assert_eq!(next_chunk_capacity(fixed), Err(GrowthRefused::Fixed));
    }

    #[test]
    fn a_trimmed_chunk_covers_the_need_and_the_starting_capacity() {
        assert_eq!(trim_chunk_capacity(1000, 4 << 20, 4096, None), 4 << 20);
        assert_eq!(trim_chunk_capacity(5 << 20, 4 << 20, 4096, None), 8 << 20);
        assert_eq!(trim_chunk_capacity(0, 64, 4096, None), 4096);
        assert_eq!(
            trim_chunk_capacity(1 << 20, 4096, 4096, Some(65_536)),
            65_536
        );
        assert_eq!(trim_chunk_capacity(usize::MAX, 0, 4096, None), usize::MAX);
        // Never below what a reset keeps for the same need.
        for need in [0, 100, 5000, 1 << 20] {
            let kept = reset_chunk_capacity(need, 64, 4096, None);
            assert!(trim_chunk_capacity(need, 64, 4096, None) <= kept);
            assert!(!should_trim(
                kept,
                trim_chunk_capacity(need, 64, 4096, None),
                false,
                false
            ));
        }
    }

    #[test]
    fn the_policy_trims_only_a_chunk_twice_the_target_after_a_window_without_growth() {
        assert!(should_trim(8 << 20, 4 << 20, false, false));
        assert!(!should_trim((8 << 20) - 1, 4 << 20, false, false));
        assert!(!should_trim(64 << 20, 4 << 20, false, true));
        // Asked for, any saving counts, growth or not.
        assert!(should_trim((4 << 20) + 64, 4 << 20, true, true));
        assert!(!should_trim(4 << 20, 4 << 20, true, false));
    }

    fn commit(used: usize, size: usize, capacity: usize) -> CommitRequest {
        CommitRequest {
            start: 0x10_0000,
            used,
            size,
            align: 8,
            capacity,
            first_chunk: 4096,
            reserved: 1 << 20,
            may_grow: true,
            limit: None,
        }
    }

    #[test]
    fn commits_double_cover_the_request_and_stop_at_the_reservation() {
        assert_eq!(next_commit_capacity(commit(4000, 200, 4096)), Ok(8192));
        assert_eq!(next_commit_capacity(commit(4000, 20_000, 4096)), Ok(32_768));
        // The padding of a big alignment counts.
        let aligned = CommitRequest {
            align: 4096,
            ..commit(1, 4096, 4096)
        };
        assert_eq!(next_commit_capacity(aligned), Ok(8192));
        // Near the end, the reservation caps the doubling...
        assert_eq!(
            next_commit_capacity(commit(600_000, 10, 600_000)),
            Ok(1 << 20)
        );
        // ... and a request past it is refused, even by one byte.
        assert_eq!(
            next_commit_capacity(commit((1 << 20) - 8, 9, 1 << 20)),
            Err(GrowthRefused::Reservation)
        );
        assert_eq!(
            next_commit_capacity(commit(8, usize::MAX - 4, 4096)),
            Err(GrowthRefused::Reservation)
        );
        // An end past the address space passes a limit too, which is named first.
        let overflowing = CommitRequest {
            limit: Some(1 << 20),
            ..commit(8, usize::MAX - 4, 4096)
        };
        assert_eq!(next_commit_capacity(overflowing), Err(GrowthRefused::Limit));
    }

    #[test]
    fn the_limit_and_fixed_growth_refuse_commits() {
        let capped = CommitRequest {
            limit: Some(6000),
            ..commit(4000, 1000, 4096)
        };
        assert_eq!(next_commit_capacity(capped), Ok(6000));
        let past = CommitRequest {
            size: 2001,
            ..capped
        };
        assert_eq!(next_commit_capacity(past), Err(GrowthRefused::Limit));
        let fixed = CommitRequest {
            may_grow: false,
            ..commit(0, 1, 4096)
        };
        assert_eq!(next_commit_capacity(fixed), Err(GrowthRefused::Fixed));
    }

    #[test]
    fn a_reset_chunk_covers_the_peak_and_outgrows_the_first() {
        assert_eq!(reset_chunk_capacity(5000, 4096, 4096, None), 8192);
        assert_eq!(reset_chunk_capacity(100, 4096, 4096, None), 8192);
        assert_eq!(reset_chunk_capacity(100, 64, 4096, None), 4096);
        assert_eq!(
            reset_chunk_capacity(1 << 20, 4096, 4096, Some(65_536)),
            65_536
        );
    }
}
