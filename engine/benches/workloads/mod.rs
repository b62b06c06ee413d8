//! The work both arena benchmarks time, shared so that `arena` (criterion) and
//! `arena_interleaved` run the very same machine code.
//!
//! Each workload is its own `#[inline(never)]` function per contender, so no
//! contender's code is merged with another's or with the timing loop around it, and
//! a difference between the two benchmarks' figures cannot come from different
//! code. (It still comes from elsewhere: see engine/BENCHMARKS.md, "Placement".)

use bump_scope::traits::BumpAllocatorTyped;
use std::alloc::Layout;
use std::hint::black_box;

/// Allocations per call in the per-allocation workloads.
pub const ALLOCATIONS: usize = 10_000;
/// Slices, scopes or resets per call in the other workloads.
pub const SLICES: usize = 1_000;
/// Elements per slice.
pub const SLICE_LEN: usize = 16;
/// Size of each arena's one chunk: room for every workload with no growth.
pub const CHUNK_BYTES: usize = 1 << 20;

/// The layouts of the "unknown layout" workload, picked in turn.
const LAYOUTS: [(usize, usize); 8] = [
    (8, 8),
    (24, 8),
    (4, 4),
    (32, 16),
    (1, 1),
    (12, 4),
    (64, 16),
    (16, 8),
];

/// [`LAYOUTS`] through `black_box`, so size and alignment are run-time values.
pub fn layouts() -> [Layout; 8] {
    black_box(LAYOUTS.map(|(size, align)| {
        Layout::from_size_align(size, align).expect("the benchmark's layouts are valid")
    }))
}

/// Elements per slice in the long-copy workload: 256 bytes, past the length up to
/// which engine copies in line rather than calling `memcpy`.
pub const LONG_SLICE_LEN: usize = 64;

/// The slice the copy workload copies: [`SLICE_LEN`] values.
pub fn source() -> Vec<u32> {
    (0..SLICE_LEN as u32).map(|i| i * 3).collect()
}

/// The slice the long-copy workload copies: [`LONG_SLICE_LEN`] values.
pub fn long_source() -> Vec<u32> {
    (0..LONG_SLICE_LEN as u32).map(|i| i * 3).collect()
}

/// What an arena needs after each timed call of a workload, outside the timed span.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum After {
    /// A reset: the workload only allocates.
    Reset,
    /// Nothing: the workload leaves the arena empty itself.
    Nothing,
}

impl After {
    /// The untimed step to run on an arena after each timed call.
    pub fn clear<A: Reset>(self) -> impl FnMut(&mut A) {
        move |arena| {
            if self == After::Reset {
                arena.reset();
            }
        }
    }
}

/// Emptying an arena, whichever crate it comes from.
pub trait Reset {
    /// Frees everything the arena handed out, keeping its chunk.
    fn reset(&mut self);
}

impl Reset for engine::Arena {
    fn reset(&mut self) {
        engine::Arena::reset(self);
    }
}
impl Reset for bumpalo::Bump {
    fn reset(&mut self) {
        bumpalo::Bump::reset(self);
    }
}
impl Reset for bump_scope::Bump {
    fn reset(&mut self) {
        bump_scope::Bump::reset(self);
    }
}

// Pre-warmed contenders: one chunk of `CHUNK_BYTES`, touched once, then emptied.

pub fn engine_arena() -> engine::Arena {
    let mut arena = engine::Arena::with_capacity("bench", CHUNK_BYTES);
    arena.alloc_slice_fill_copy(CHUNK_BYTES / 2, 0u8);
    arena.reset();
    arena
}
/// As [`engine_arena`], on reserved backing (`engine::Backing::Reserved`) where the
/// target has it: the backing frame arenas use by default.
pub fn engine_reserved_arena() -> engine::Arena {
    let mut arena = engine::Arena::with_config(
        "bench-reserved",
        engine::ArenaConfig {
            initial_capacity: CHUNK_BYTES,
            backing: engine::Backing::reserved_where_available(),
            ..engine::ArenaConfig::default()
        },
    );
    arena.alloc_slice_fill_copy(CHUNK_BYTES / 2, 0u8);
    arena.reset();
    arena
}
pub fn bumpalo_bump() -> bumpalo::Bump {
    let mut bump = bumpalo::Bump::with_capacity(CHUNK_BYTES);
    bump.alloc_slice_fill_copy(CHUNK_BYTES / 2, 0u8);
    bump.reset();
    bump
}
pub fn bump_scope_bump() -> bump_scope::Bump {
    let mut bump = bump_scope::Bump::with_size(CHUNK_BYTES);
    bump.alloc_slice_fill(CHUNK_BYTES / 2, 0u8);
    bump.reset();
    bump
}

// 10 000 `u64`s.

#[inline(never)]
pub fn engine_u64(arena: &mut engine::Arena) {
    for i in 0..ALLOCATIONS as u64 {
        black_box(arena.alloc(black_box(i)));
    }
}
#[inline(never)]
pub fn bumpalo_u64(bump: &mut bumpalo::Bump) {
    for i in 0..ALLOCATIONS as u64 {
        black_box(bump.alloc(black_box(i)));
    }
}
#[inline(never)]
pub fn bump_scope_u64(bump: &mut bump_scope::Bump) {
    for i in 0..ALLOCATIONS as u64 {
        black_box(bump.alloc(black_box(i)).into_mut());
    }
}

// 10 000 allocations of layouts only known at run time.

#[inline(never)]
pub fn engine_layout(arena: &mut engine::Arena, layouts: &[Layout; 8]) {
    let layouts = local(layouts);
    for i in 0..ALLOCATIONS {
        black_box(arena.alloc_layout(layouts[i % layouts.len()]));
    }
}
#[inline(never)]
pub fn bumpalo_layout(bump: &mut bumpalo::Bump, layouts: &[Layout; 8]) {
    let layouts = local(layouts);
    for i in 0..ALLOCATIONS {
        black_box(bump.alloc_layout(layouts[i % layouts.len()]));
    }
}
/// bump-scope calls `alloc_layout` `allocate_layout`, a method of its
/// `BumpAllocatorTyped` trait.
#[inline(never)]
pub fn bump_scope_layout(bump: &mut bump_scope::Bump, layouts: &[Layout; 8]) {
    let layouts = local(layouts);
    for i in 0..ALLOCATIONS {
        black_box(bump.allocate_layout(layouts[i % layouts.len()]));
    }
}

// 1 000 copies of a slice (16 elements, or `LONG_SLICE_LEN`).

#[inline(never)]
pub fn engine_copy(arena: &mut engine::Arena, src: &[u32]) {
    let mut buffer = [0; LONG_SLICE_LEN];
    let src = local_slice(&mut buffer, src);
    for _ in 0..SLICES {
        black_box(arena.alloc_slice_copy(src));
    }
}
#[inline(never)]
pub fn bumpalo_copy(bump: &mut bumpalo::Bump, src: &[u32]) {
    let mut buffer = [0; LONG_SLICE_LEN];
    let src = local_slice(&mut buffer, src);
    for _ in 0..SLICES {
        black_box(bump.alloc_slice_copy(src));
    }
}
#[inline(never)]
pub fn bump_scope_copy(bump: &mut bump_scope::Bump, src: &[u32]) {
    let mut buffer = [0; LONG_SLICE_LEN];
    let src = local_slice(&mut buffer, src);
    for _ in 0..SLICES {
        black_box(bump.alloc_slice_copy(src).into_mut());
    }
}

// 1 000 slices of 16 copies of one value.

#[inline(never)]
pub fn engine_fill(arena: &mut engine::Arena) {
    for i in 0..SLICES {
        black_box(arena.alloc_slice_fill_copy(SLICE_LEN, i as u32));
    }
}
#[inline(never)]
pub fn bumpalo_fill(bump: &mut bumpalo::Bump) {
    for i in 0..SLICES {
        black_box(bump.alloc_slice_fill_copy(SLICE_LEN, i as u32));
    }
}
#[inline(never)]
pub fn bump_scope_fill(bump: &mut bump_scope::Bump) {
    for i in 0..SLICES {
        black_box(bump.alloc_slice_fill(SLICE_LEN, i as u32).into_mut());
    }
}

// 1 000 scopes, each holding one `u64`. bumpalo has no scopes.

#[inline(never)]
pub fn engine_scopes(arena: &mut engine::Arena) {
    for _ in 0..SLICES {
        arena.scope(|tmp| {
            black_box(tmp.alloc(black_box(1u64)));
        });
    }
}
/// `Bump::scoped` on the root: the scope starts at the chunk's start.
#[inline(never)]
pub fn bump_scope_scopes(bump: &mut bump_scope::Bump) {
    for _ in 0..SLICES {
        bump.scoped(|tmp| {
            black_box(tmp.alloc(black_box(1u64)).into_mut());
        });
    }
}
/// A scope inside a scope that already holds a value, so the checkpoint each inner
/// scope restores is not the chunk's start, as with `Arena::scope` at any depth.
#[inline(never)]
pub fn bump_scope_nested_scopes(bump: &mut bump_scope::Bump) {
    bump.scoped(|outer| {
        outer.alloc(1u64);
        for _ in 0..SLICES {
            outer.scoped(|tmp| {
                black_box(tmp.alloc(black_box(1u64)).into_mut());
            });
        }
    });
}

// A reset on its own: one small allocation (so there is something to free), then
// the reset, 1 000 times.

#[inline(never)]
pub fn engine_resets(arena: &mut engine::Arena) {
    for _ in 0..SLICES {
        black_box(arena.alloc(1u8));
        arena.reset();
    }
}
#[inline(never)]
pub fn bumpalo_resets(bump: &mut bumpalo::Bump) {
    for _ in 0..SLICES {
        black_box(bump.alloc(1u8));
        bump.reset();
    }
}
#[inline(never)]
pub fn bump_scope_resets(bump: &mut bump_scope::Bump) {
    for _ in 0..SLICES {
        black_box(bump.alloc(1u8).into_mut());
        bump.reset();
    }
}

// 10 000 `u64`s, then the reset that frees them.

#[inline(never)]
pub fn engine_u64_reset(arena: &mut engine::Arena) {
    engine_u64(arena);
    arena.reset();
}
#[inline(never)]
pub fn bumpalo_u64_reset(bump: &mut bumpalo::Bump) {
    bumpalo_u64(bump);
    bump.reset();
}
#[inline(never)]
pub fn bump_scope_u64_reset(bump: &mut bump_scope::Bump) {
    bump_scope_u64(bump);
    bump.reset();
}

/// A copy of `value` in the calling workload's own stack frame.
///
/// Why: a workload that reads its input from another frame or from the heap while
/// `black_box` stores each result to its own frame can lose a few cycles per
/// iteration to "4K aliasing" (a load whose address matches an earlier store's in
/// the low 12 bits waits for that store), and whether it does depends on where the
/// input sits relative to the frame: on the build or the process, not on the
/// allocator. In the workload's own frame the input is within a page of the store
/// slots, so their low 12 bits cannot match. See engine/BENCHMARKS.md, "4K aliasing".
#[inline(always)]
fn local<T: Copy>(value: &T) -> T {
    black_box(*value)
}

/// [`local`] for a slice of up to `buffer.len()` values: copies `src` into
/// `buffer`, in the caller's frame, and returns the copy with a length the
/// compiler cannot see.
#[inline(always)]
fn local_slice<'a, T: Copy>(buffer: &'a mut [T], src: &[T]) -> &'a [T] {
    let copy = &mut buffer[..src.len()];
    copy.copy_from_slice(src);
    black_box(copy)
}
