//! Copying a short slice into the arena without a call to `memcpy`.
//!
//! Most slices a frame copies into its arena are short: a handful of indices, a
//! name, a 4×4 matrix. For a copy whose length is only known at run time, the
//! compiler calls the C library's `memcpy`, and for a few dozen bytes that call
//! (through the dynamic linker's table, then `memcpy`'s own dispatch on the length)
//! costs more than the moves themselves. [`copy_bytes`] does copies of up to
//! [`INLINE_COPY_MAX`] bytes in line, the way `memcpy` does them inside: two moves
//! of a fixed width, one from each end, that overlap in the middle. Longer copies
//! still go to `memcpy`, which is faster for them.

use std::ptr;

/// Longest copy, in bytes, that [`copy_bytes`] does without calling `memcpy`: two
/// 32-byte moves, four SSE2 registers.
pub(super) const INLINE_COPY_MAX: usize = 64;

/// Copies `len` bytes from `src` to `dst`, like `ptr::copy_nonoverlapping`.
///
/// Costs a few compares to find the width and four moves for up to
/// [`INLINE_COPY_MAX`] bytes, a `memcpy` call beyond.
///
/// # Safety
/// `src` must be valid for reads and `dst` for writes of `len` bytes, and the two
/// ranges must not overlap. No alignment is needed.
#[inline(always)]
pub(super) unsafe fn copy_bytes(src: *const u8, dst: *mut u8, len: usize) {
    // SAFETY: the caller's guarantee for `len` bytes, in every arm; and each
    // `copy_ends` arm's width `N` satisfies `N <= len <= 2 * N`, as it requires.
    unsafe {
        match len {
            0 => {}
            1..=2 => copy_ends::<1>(src, dst, len),
            3..=4 => copy_ends::<2>(src, dst, len),
            5..=8 => copy_ends::<4>(src, dst, len),
            9..=16 => copy_ends::<8>(src, dst, len),
            17..=32 => copy_ends::<16>(src, dst, len),
            33..=INLINE_COPY_MAX => copy_ends::<32>(src, dst, len),
            _ => ptr::copy_nonoverlapping(src, dst, len),
        }
    }
}

/// Copies the first `N` and the last `N` of `len` bytes; with `N <= len <= 2 * N`
/// the two copies cover all of them. Each is a `copy_nonoverlapping` of a constant
/// size, which the compiler turns into plain moves. Their destinations overlap
/// when `len < 2 * N`, which is harmless: the bytes in common are the same.
///
/// # Safety
/// As for [`copy_bytes`], and `N <= len <= 2 * N`.
#[inline(always)]
unsafe fn copy_ends<const N: usize>(src: *const u8, dst: *mut u8, len: usize) {
    debug_assert!(
        N <= len && len <= 2 * N,
        "{len} bytes are not two moves of {N}"
    );
    // SAFETY: `N <= len`, so `[0, N)` and `[len - N, len)` both lie inside the
    // caller's `len` readable and writable bytes, and the caller's ranges do not
    // overlap, so neither do any two parts of them.
    unsafe {
        ptr::copy_nonoverlapping(src, dst, N);
        ptr::copy_nonoverlapping(src.add(len - N), dst.add(len - N), N);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every length up to twice the inline limit, at every source and destination
    /// misalignment within a word, against the standard copy; the bytes around the
    /// destination stay untouched.
    #[test]
    fn copies_every_short_length_exactly() {
        let source: Vec<u8> = (0..=255u8).collect();
        for len in 0..=2 * INLINE_COPY_MAX {
            for src_shift in 0..8 {
                for dst_shift in 0..8 {
                    let mut ours = vec![0xEEu8; 2 * INLINE_COPY_MAX + 16];
                    let src = &source[src_shift..src_shift + len];
                    // SAFETY: `src` has `len` bytes, `ours` has room for `len` bytes
                    // at `dst_shift + 1`, and the two are different allocations.
                    unsafe { copy_bytes(src.as_ptr(), ours.as_mut_ptr().add(dst_shift + 1), len) };
                    let mut expected = vec![0xEEu8; ours.len()];
                    expected[dst_shift + 1..dst_shift + 1 + len].copy_from_slice(src);
                    assert_eq!(
                        ours, expected,
                        "len {len}, src +{src_shift}, dst +{dst_shift}"
                    );
                }
            }
        }
    }
}
