//! The upload ring's offset arithmetic: where an allocation goes in a region's last
//! chunk, or how big the chunk that holds it must be. Pure functions on byte counts,
//! with no GPU and no unsafe code, so they can be tested and fuzzed on their own.
//! Every sum is checked: a request the ring cannot represent is an error, never a
//! wrapped offset.
#![forbid(unsafe_code)]

/// Where a request goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// In the current chunk, at `offset`; the chunk's used bytes become `end`.
    InChunk {
        /// Start of the allocation.
        offset: u64,
        /// Used bytes of the chunk after it.
        end: u64,
    },
    /// At offset 0 of a new chunk of `capacity` bytes.
    NewChunk {
        /// Capacity of the new chunk: a multiple of the granule, at least the
        /// request, and twice the current chunk unless that passes the largest
        /// buffer on the granule.
        capacity: u64,
    },
}

/// Why a request cannot be placed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlacementError {
    /// `align` is not a power of two.
    BadAlignment,
    /// The request, rounded up to the granule, is bigger than one buffer may be.
    TooLarge,
}

/// Places `size` bytes aligned to `align` after the `used` bytes of a chunk of
/// `capacity` bytes, or in a new chunk (sized in multiples of `granule`, a power of
/// two) when they do not fit. No result exceeds `max_buffer`.
pub fn place(
    used: u64,
    capacity: u64,
    size: u64,
    align: u64,
    granule: u64,
    max_buffer: u64,
) -> Result<Placement, PlacementError> {
    if !align.is_power_of_two() {
        return Err(PlacementError::BadAlignment);
    }
    let fitted = size
        .checked_next_multiple_of(granule)
        .filter(|&rounded| rounded <= max_buffer)
        .ok_or(PlacementError::TooLarge)?;
    let in_chunk = used
        .checked_next_multiple_of(align)
        .and_then(|offset| Some((offset, offset.checked_add(size)?)))
        .filter(|&(_, end)| end <= capacity);
    if let Some((offset, end)) = in_chunk {
        return Ok(Placement::InChunk { offset, end });
    }
    // The biggest chunk that is a multiple of the granule and fits in a buffer.
    let largest = max_buffer - max_buffer % granule;
    let doubled = capacity
        .saturating_mul(2)
        .checked_next_multiple_of(granule)
        .map_or(largest, |doubled| doubled.min(largest));
    Ok(Placement::NewChunk {
        capacity: doubled.max(fitted),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAX: u64 = 1 << 30;

    #[test]
    fn a_request_that_fits_goes_after_the_used_bytes_aligned() {
        assert_eq!(
            place(10, 256, 16, 16, 256, MAX),
            Ok(Placement::InChunk {
                offset: 16,
                end: 32
            })
        );
        assert_eq!(
            place(0, 256, 256, 4, 256, MAX),
            Ok(Placement::InChunk {
                offset: 0,
                end: 256
            })
        );
    }

    #[test]
    fn a_request_that_does_not_fit_takes_a_chunk_twice_as_big_or_its_own_size() {
        assert_eq!(
            place(200, 256, 100, 4, 256, MAX),
            Ok(Placement::NewChunk { capacity: 512 })
        );
        assert_eq!(
            place(0, 256, 5000, 4, 256, MAX),
            Ok(Placement::NewChunk { capacity: 5120 })
        );
    }

    /// Found by the `offset_arithmetic` fuzz target: with a buffer limit that is not
    /// a multiple of the granule, doubling up to the limit gave a chunk off the
    /// granule (1000 bytes), which the ring then rounded up past the limit.
    #[test]
    fn a_new_chunk_capped_by_the_buffer_limit_stays_on_the_granule() {
        assert_eq!(
            place(512, 512, 100, 4, 256, 1000),
            Ok(Placement::NewChunk { capacity: 768 })
        );
    }

    #[test]
    fn sizes_near_the_top_of_u64_are_refused_not_wrapped() {
        assert_eq!(
            place(16, 1 << 20, u64::MAX - 15, 4, 256, MAX),
            Err(PlacementError::TooLarge)
        );
        assert_eq!(
            place(16, 1 << 20, u64::MAX, 4, 256, u64::MAX),
            Err(PlacementError::TooLarge)
        );
        assert_eq!(
            place(0, 256, MAX + 1, 4, 256, MAX),
            Err(PlacementError::TooLarge)
        );
        assert_eq!(
            place(0, 256, 8, 3, 256, MAX),
            Err(PlacementError::BadAlignment)
        );
    }
}
