//! The workloads of `benches/arena.rs`, measured for a shared, noisy machine.
//!
//! Criterion times each contender for seconds, one after the other, so load from
//! other processes lands on some contenders and not others. Here the contenders take
//! turns within each round, and each figure is the fastest of many short timings
//! (one iteration each): other processes only ever add time, so the minimum is the
//! closest to the uncontended cost. Prints a Markdown table, in ns per operation.
//!
//! `cargo bench -p engine --bench arena_interleaved [-- ROUNDS]`

use std::alloc::Layout;
use std::hint::black_box;
use std::time::Instant;

const ALLOCATIONS: usize = 10_000;
const SLICES: usize = 1_000;
const SLICE_LEN: usize = 16;
const CHUNK_BYTES: usize = 1 << 20;
/// Timings per contender per round; the fastest counts.
const TIMINGS: usize = 200;

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

// Each workload is its own non-inlined function, as it would be inside criterion's
// timing loop, so that no contender's code is merged with another's.

#[inline(never)]
fn engine_u64(arena: &engine::Arena) {
    for i in 0..ALLOCATIONS as u64 {
        black_box(arena.alloc(black_box(i)));
    }
}
#[inline(never)]
fn bumpalo_u64(bump: &bumpalo::Bump) {
    for i in 0..ALLOCATIONS as u64 {
        black_box(bump.alloc(black_box(i)));
    }
}
#[inline(never)]
fn bump_scope_u64(bump: &bump_scope::Bump) {
    for i in 0..ALLOCATIONS as u64 {
        black_box(bump.alloc(black_box(i)).into_mut());
    }
}

#[inline(never)]
fn engine_layout(arena: &engine::Arena, layouts: &[Layout; 8]) {
    for i in 0..ALLOCATIONS {
        black_box(arena.alloc_layout(layouts[i % layouts.len()]));
    }
}
#[inline(never)]
fn bumpalo_layout(bump: &bumpalo::Bump, layouts: &[Layout; 8]) {
    for i in 0..ALLOCATIONS {
        black_box(bump.alloc_layout(layouts[i % layouts.len()]));
    }
}
#[inline(never)]
fn bump_scope_layout(bump: &bump_scope::Bump, layouts: &[Layout; 8]) {
    for i in 0..ALLOCATIONS {
        black_box(bump.alloc_layout(layouts[i % layouts.len()]));
    }
}

#[inline(never)]
fn engine_copy(arena: &engine::Arena, src: &[u32]) {
    for _ in 0..SLICES {
        black_box(arena.alloc_slice_copy(src));
    }
}
#[inline(never)]
fn bumpalo_copy(bump: &bumpalo::Bump, src: &[u32]) {
    for _ in 0..SLICES {
        black_box(bump.alloc_slice_copy(src));
    }
}
#[inline(never)]
fn bump_scope_copy(bump: &bump_scope::Bump, src: &[u32]) {
    for _ in 0..SLICES {
        black_box(bump.alloc_slice_copy(src).into_mut());
    }
}

#[inline(never)]
fn engine_fill(arena: &engine::Arena) {
    for i in 0..SLICES {
        black_box(arena.alloc_slice_fill_copy(SLICE_LEN, i as u32));
    }
}
#[inline(never)]
fn bumpalo_fill(bump: &bumpalo::Bump) {
    for i in 0..SLICES {
        black_box(bump.alloc_slice_fill_copy(SLICE_LEN, i as u32));
    }
}
#[inline(never)]
fn bump_scope_fill(bump: &bump_scope::Bump) {
    for i in 0..SLICES {
        black_box(bump.alloc_slice_fill(SLICE_LEN, i as u32).into_mut());
    }
}

#[inline(never)]
fn engine_scopes(arena: &mut engine::Arena) {
    for _ in 0..SLICES {
        arena.scope(|tmp| {
            black_box(tmp.alloc(black_box(1u64)));
        });
    }
}
#[inline(never)]
fn bump_scope_scopes(bump: &mut bump_scope::Bump) {
    for _ in 0..SLICES {
        bump.scoped(|tmp| {
            black_box(tmp.alloc(black_box(1u64)).into_mut());
        });
    }
}
#[inline(never)]
fn bump_scope_nested_scopes(bump: &mut bump_scope::Bump) {
    bump.scoped(|mut outer| {
        outer.alloc(1u64);
        for _ in 0..SLICES {
            outer.scoped(|tmp| {
                black_box(tmp.alloc(black_box(1u64)).into_mut());
            });
        }
    });
}

// A reset on its own: one small allocation (so there is something to free), then
// the reset, a thousand times.
#[inline(never)]
fn engine_resets(arena: &mut engine::Arena) {
    for _ in 0..SLICES {
        black_box(arena.alloc(1u8));
        arena.reset();
    }
}
#[inline(never)]
fn bumpalo_resets(bump: &mut bumpalo::Bump) {
    for _ in 0..SLICES {
        black_box(bump.alloc(1u8));
        bump.reset();
    }
}
#[inline(never)]
fn bump_scope_resets(bump: &mut bump_scope::Bump) {
    for _ in 0..SLICES {
        black_box(bump.alloc(1u8).into_mut());
        bump.reset();
    }
}

#[inline(never)]
fn engine_reset(arena: &mut engine::Arena) {
    engine_u64(arena);
    arena.reset();
}
#[inline(never)]
fn bumpalo_reset(bump: &mut bumpalo::Bump) {
    bumpalo_u64(bump);
    bump.reset();
}
#[inline(never)]
fn bump_scope_reset(bump: &mut bump_scope::Bump) {
    bump_scope_u64(bump);
    bump.reset();
}

/// The fastest of [`TIMINGS`] runs of `work` on `state` (each followed by `clear`,
/// untimed), in ns per operation.
fn fastest<S>(
    ops: usize,
    state: &mut S,
    mut work: impl FnMut(&mut S),
    mut clear: impl FnMut(&mut S),
) -> f64 {
    let mut best = f64::MAX;
    for _ in 0..TIMINGS {
        let start = Instant::now();
        work(state);
        best = best.min(start.elapsed().as_nanos() as f64 / ops as f64);
        clear(state);
    }
    best
}

fn main() {
    // `cargo bench` passes `--bench`; a plain number is the round count.
    let rounds = std::env::args()
        .skip(1)
        .find_map(|arg| arg.parse::<usize>().ok())
        .unwrap_or(7);
    let mut arena = engine::Arena::with_capacity("bench", CHUNK_BYTES);
    let mut bumpalo = bumpalo::Bump::with_capacity(CHUNK_BYTES);
    let mut bump_scope = bump_scope::Bump::with_size(CHUNK_BYTES);
    let layouts = black_box(
        LAYOUTS.map(|(size, align)| Layout::from_size_align(size, align).expect("valid layout")),
    );
    let source: Vec<u32> = (0..SLICE_LEN as u32).map(|i| i * 3).collect();
    let src = black_box(&source[..]);

    let mut results: Vec<(&str, &str, Vec<f64>)> = Vec::new();
    let mut record = |workload: &'static str, allocator: &'static str, ns: f64| match results
        .iter_mut()
        .find(|(w, a, _)| *w == workload && *a == allocator)
    {
        Some((_, _, all)) => all.push(ns),
        None => results.push((workload, allocator, vec![ns])),
    };
    for _ in 0..rounds {
        let w = "10k u64";
        let ops = ALLOCATIONS;
        record(
            w,
            "engine",
            fastest(ops, &mut arena, |a| engine_u64(a), engine::Arena::reset),
        );
        record(
            w,
            "bumpalo",
            fastest(ops, &mut bumpalo, |b| bumpalo_u64(b), bumpalo::Bump::reset),
        );
        record(
            w,
            "bump_scope",
            fastest(
                ops,
                &mut bump_scope,
                |b| bump_scope_u64(b),
                bump_scope::Bump::reset,
            ),
        );
        let w = "10k alloc_layout";
        record(
            w,
            "engine",
            fastest(
                ops,
                &mut arena,
                |a| engine_layout(a, &layouts),
                engine::Arena::reset,
            ),
        );
        record(
            w,
            "bumpalo",
            fastest(
                ops,
                &mut bumpalo,
                |b| bumpalo_layout(b, &layouts),
                bumpalo::Bump::reset,
            ),
        );
        record(
            w,
            "bump_scope",
            fastest(
                ops,
                &mut bump_scope,
                |b| bump_scope_layout(b, &layouts),
                bump_scope::Bump::reset,
            ),
        );
        let w = "1k slice copy (16 u32)";
        let ops = SLICES;
        record(
            w,
            "engine",
            fastest(
                ops,
                &mut arena,
                |a| engine_copy(a, src),
                engine::Arena::reset,
            ),
        );
        record(
            w,
            "bumpalo",
            fastest(
                ops,
                &mut bumpalo,
                |b| bumpalo_copy(b, src),
                bumpalo::Bump::reset,
            ),
        );
        record(
            w,
            "bump_scope",
            fastest(
                ops,
                &mut bump_scope,
                |b| bump_scope_copy(b, src),
                bump_scope::Bump::reset,
            ),
        );
        let w = "1k slice fill (16 u32)";
        record(
            w,
            "engine",
            fastest(ops, &mut arena, |a| engine_fill(a), engine::Arena::reset),
        );
        record(
            w,
            "bumpalo",
            fastest(ops, &mut bumpalo, |b| bumpalo_fill(b), bumpalo::Bump::reset),
        );
        record(
            w,
            "bump_scope",
            fastest(
                ops,
                &mut bump_scope,
                |b| bump_scope_fill(b),
                bump_scope::Bump::reset,
            ),
        );
        let w = "scope enter+exit";
        record(w, "engine", fastest(ops, &mut arena, engine_scopes, |_| ()));
        record(
            w,
            "bump_scope",
            fastest(ops, &mut bump_scope, bump_scope_scopes, |_| ()),
        );
        record(
            w,
            "bump_scope_nested",
            fastest(ops, &mut bump_scope, bump_scope_nested_scopes, |_| ()),
        );
        let w = "1 u8 + reset";
        record(w, "engine", fastest(ops, &mut arena, engine_resets, |_| ()));
        record(
            w,
            "bumpalo",
            fastest(ops, &mut bumpalo, bumpalo_resets, |_| ()),
        );
        record(
            w,
            "bump_scope",
            fastest(ops, &mut bump_scope, bump_scope_resets, |_| ()),
        );
        let w = "10k u64 + reset";
        let ops = ALLOCATIONS;
        record(w, "engine", fastest(ops, &mut arena, engine_reset, |_| ()));
        record(
            w,
            "bumpalo",
            fastest(ops, &mut bumpalo, bumpalo_reset, |_| ()),
        );
        record(
            w,
            "bump_scope",
            fastest(ops, &mut bump_scope, bump_scope_reset, |_| ()),
        );
    }

    println!("{rounds} rounds, each the fastest of {TIMINGS} timings; ns per operation\n");
    println!("| workload | allocator | fastest round | median round |");
    println!("|---|---|---:|---:|");
    for (workload, allocator, mut all) in results {
        all.sort_by(f64::total_cmp);
        println!(
            "| {workload} | {allocator} | {:.3} | {:.3} |",
            all[0],
            all[all.len() / 2]
        );
    }
}
