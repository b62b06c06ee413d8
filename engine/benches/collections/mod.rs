//! The work of the `collections` group in `benches/arena.rs`: growable lists and
//! formatted strings built in an arena, against std's heap `Vec` and `String`.
//!
//! As in `workloads`, each workload is its own `#[inline(never)]` function per
//! contender. The pushed values are `i ^ salt`, with `salt` read through `black_box`
//! once per call: the optimizer cannot precompute the list, yet the loop is not
//! slowed by a `black_box` per element, which costs about 3 ns a push and would
//! make every list look the same.
//!
//! Arena lists are dropped at the end of the call, inside the timed span, as their
//! owner would drop them (each hands its buffer back to the arena, which for `u32`
//! is all a drop does); the arena's reset follows, untimed. std's lists and strings
//! are kept in the contender's state until the untimed clear frees them, as the
//! system allocator's blocks are in the other groups.

use std::hint::black_box;

/// Elements per list.
pub const LIST_LEN: usize = 10_000;
/// Lines formatted per call.
pub const LINES: usize = 1_000;

/// Mixed into every pushed or formatted value; read through `black_box` once per call.
const SALT: u32 = 0x2a;

/// The slice the `extend_from_slice` workload appends: [`LIST_LEN`] values.
pub fn list_source() -> Vec<u32> {
    (0..LIST_LEN as u32).collect()
}

/// The `fps`, frame number and milliseconds of line `i`.
#[inline(always)]
fn line_values(i: u32, salt: u32) -> (u32, u64, f64) {
    let mixed = i ^ salt;
    (
        30 + mixed % 120,
        100_000 + u64::from(mixed),
        f64::from(mixed) * 0.0625,
    )
}

// 10 000 `u32` pushed into a fresh, empty list, which grows as it goes.

#[inline(never)]
pub fn engine_push_grow(arena: &mut engine::Arena) {
    let salt = black_box(SALT);
    let mut list = engine::ArenaVec::new_in(&*arena);
    for i in 0..LIST_LEN as u32 {
        list.push(i ^ salt);
    }
    black_box(&list);
}
#[inline(never)]
pub fn std_push_grow(kept: &mut Option<Vec<u32>>) {
    let salt = black_box(SALT);
    let mut list = Vec::new();
    for i in 0..LIST_LEN as u32 {
        list.push(i ^ salt);
    }
    *kept = Some(black_box(list));
}
#[inline(never)]
pub fn bumpalo_push_grow(bump: &mut bumpalo::Bump) {
    let salt = black_box(SALT);
    let mut list = bumpalo::collections::Vec::new_in(&*bump);
    for i in 0..LIST_LEN as u32 {
        list.push(i ^ salt);
    }
    black_box(&list);
}
#[inline(never)]
pub fn bump_scope_push_grow(bump: &mut bump_scope::Bump) {
    let salt = black_box(SALT);
    let mut list = bump_scope::BumpVec::new_in(&*bump);
    for i in 0..LIST_LEN as u32 {
        list.push(i ^ salt);
    }
    black_box(&list);
}

// 10 000 `u32` pushed into a fresh list that reserved room for all of them.

#[inline(never)]
pub fn engine_push_reserved(arena: &mut engine::Arena) {
    let salt = black_box(SALT);
    let mut list = engine::ArenaVec::with_capacity_in(LIST_LEN, &*arena);
    for i in 0..LIST_LEN as u32 {
        list.push(i ^ salt);
    }
    black_box(&list);
}
#[inline(never)]
pub fn std_push_reserved(kept: &mut Option<Vec<u32>>) {
    let salt = black_box(SALT);
    let mut list = Vec::with_capacity(LIST_LEN);
    for i in 0..LIST_LEN as u32 {
        list.push(i ^ salt);
    }
    *kept = Some(black_box(list));
}
#[inline(never)]
pub fn bumpalo_push_reserved(bump: &mut bumpalo::Bump) {
    let salt = black_box(SALT);
    let mut list = bumpalo::collections::Vec::with_capacity_in(LIST_LEN, &*bump);
    for i in 0..LIST_LEN as u32 {
        list.push(i ^ salt);
    }
    black_box(&list);
}
#[inline(never)]
pub fn bump_scope_push_reserved(bump: &mut bump_scope::Bump) {
    let salt = black_box(SALT);
    let mut list = bump_scope::BumpVec::with_capacity_in(LIST_LEN, &*bump);
    for i in 0..LIST_LEN as u32 {
        list.push(i ^ salt);
    }
    black_box(&list);
}

// A slice of 10 000 `u32` appended to a fresh, empty list. The rivals use their
// `Copy` version (a `memcpy`), since their `Clone` version copies element by element;
// the engine has one `extend_from_slice`.

#[inline(never)]
pub fn engine_extend(arena: &mut engine::Arena, src: &[u32]) {
    let mut list = engine::ArenaVec::new_in(&*arena);
    list.extend_from_slice(src);
    black_box(&list);
}
#[inline(never)]
pub fn std_extend(kept: &mut Option<Vec<u32>>, src: &[u32]) {
    let mut list = Vec::new();
    list.extend_from_slice(src);
    *kept = Some(black_box(list));
}
#[inline(never)]
pub fn bumpalo_extend(bump: &mut bumpalo::Bump, src: &[u32]) {
    let mut list = bumpalo::collections::Vec::new_in(&*bump);
    list.extend_from_slice_copy(src);
    black_box(&list);
}
#[inline(never)]
pub fn bump_scope_extend(bump: &mut bump_scope::Bump, src: &[u32]) {
    let mut list = bump_scope::BumpVec::new_in(&*bump);
    list.extend_from_slice_copy(src);
    black_box(&list);
}

// 1 000 lines "fps: {} frame {} ms {:.2}", each kept until the end of the call (a
// frame's labels live for the frame).

#[inline(never)]
pub fn engine_format(arena: &mut engine::Arena) {
    let salt = black_box(SALT);
    let arena = &*arena;
    for i in 0..LINES as u32 {
        let (fps, frame, ms) = line_values(i, salt);
        black_box(engine::format_in!(
            arena,
            "fps: {fps} frame {frame} ms {ms:.2}"
        ));
    }
}
#[inline(never)]
pub fn std_format(lines: &mut Vec<String>) {
    let salt = black_box(SALT);
    for i in 0..LINES as u32 {
        let (fps, frame, ms) = line_values(i, salt);
        lines.push(format!("fps: {fps} frame {frame} ms {ms:.2}"));
    }
    black_box(lines);
}
#[inline(never)]
pub fn bumpalo_format(bump: &mut bumpalo::Bump) {
    let salt = black_box(SALT);
    let bump = &*bump;
    for i in 0..LINES as u32 {
        let (fps, frame, ms) = line_values(i, salt);
        let line = bumpalo::format!(in bump, "fps: {} frame {} ms {:.2}", fps, frame, ms);
        black_box(line.into_bump_str());
    }
}
/// `bump_format!` builds a `BumpString`; `into_str` keeps it in the arena (after
/// trimming its spare capacity, which the next line can then use).
#[inline(never)]
pub fn bump_scope_format(bump: &mut bump_scope::Bump) {
    let salt = black_box(SALT);
    let bump = &*bump;
    for i in 0..LINES as u32 {
        let (fps, frame, ms) = line_values(i, salt);
        let line = bump_scope::bump_format!(in bump, "fps: {fps} frame {frame} ms {ms:.2}");
        black_box(line.into_str());
    }
}
/// bump-scope's fastest way, which needs the arena exclusively: `alloc_fmt_mut`
/// may write into all of the chunk's free room and trims it after.
#[inline(never)]
pub fn bump_scope_format_mut(bump: &mut bump_scope::Bump) {
    let salt = black_box(SALT);
    for i in 0..LINES as u32 {
        let (fps, frame, ms) = line_values(i, salt);
        let line = bump.alloc_fmt_mut(format_args!("fps: {fps} frame {frame} ms {ms:.2}"));
        black_box(line.into_mut());
    }
}

// A million `u64` pushed into a fresh, empty list: frame data that grows far past
// its first guess. On reserved backing the arena's list grows in place all the way;
// std's `Vec` reallocates about twenty times.

/// Elements of the big list.
pub const BIG_LIST_LEN: usize = 1_000_000;

#[inline(never)]
pub fn engine_grow_1m(arena: &mut engine::Arena) {
    let salt = u64::from(black_box(SALT));
    let mut list = engine::ArenaVec::new_in(&*arena);
    for i in 0..BIG_LIST_LEN as u64 {
        list.push(i ^ salt);
    }
    black_box(&list);
}
#[inline(never)]
pub fn std_grow_1m(kept: &mut Option<Vec<u64>>) {
    let salt = u64::from(black_box(SALT));
    let mut list = Vec::new();
    for i in 0..BIG_LIST_LEN as u64 {
        list.push(i ^ salt);
    }
    *kept = Some(black_box(list));
}

/// How many times a list's buffer moved (its address changed, so its elements were
/// copied or remapped) while `push` grew it from empty to [`BIG_LIST_LEN`].
pub fn moves_while_growing(mut push: impl FnMut(u64) -> *const u64) -> usize {
    let mut moves = 0;
    let mut at = push(0);
    for i in 1..BIG_LIST_LEN as u64 {
        let now = push(i);
        moves += usize::from(now != at);
        at = now;
    }
    moves
}
