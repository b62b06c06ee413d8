//! The workloads of `benches/arena.rs`, measured for a shared, noisy machine.
//!
//! Criterion times each contender for seconds, one after the other, so load from
//! other processes lands on some contenders and not others. Here the contenders take
//! turns within each round, and each figure is the fastest of many short timings
//! (one iteration each): other processes only ever add time, so the minimum is the
//! closest to the uncontended cost. Prints a Markdown table, in ns per operation.
//!
//! `cargo bench -p engine --bench arena_interleaved [-- ROUNDS]`

mod workloads;

use std::hint::black_box;
use std::time::Instant;
use workloads::*;

/// Timings per contender per round; the fastest counts.
const TIMINGS: usize = 200;

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
    let mut arena = engine_arena();
    let mut bumpalo = bumpalo_bump();
    let mut bump_scope = bump_scope_bump();
    let layouts = layouts();
    let source = source();
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
            fastest(ops, &mut arena, engine_u64, engine::Arena::reset),
        );
        record(
            w,
            "bumpalo",
            fastest(ops, &mut bumpalo, bumpalo_u64, bumpalo::Bump::reset),
        );
        record(
            w,
            "bump_scope",
            fastest(
                ops,
                &mut bump_scope,
                bump_scope_u64,
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
            fastest(ops, &mut arena, engine_fill, engine::Arena::reset),
        );
        record(
            w,
            "bumpalo",
            fastest(ops, &mut bumpalo, bumpalo_fill, bumpalo::Bump::reset),
        );
        record(
            w,
            "bump_scope",
            fastest(
                ops,
                &mut bump_scope,
                bump_scope_fill,
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
        record(
            w,
            "engine",
            fastest(ops, &mut arena, engine_u64_reset, |_| ()),
        );
        record(
            w,
            "bumpalo",
            fastest(ops, &mut bumpalo, bumpalo_u64_reset, |_| ()),
        );
        record(
            w,
            "bump_scope",
            fastest(ops, &mut bump_scope, bump_scope_u64_reset, |_| ()),
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
