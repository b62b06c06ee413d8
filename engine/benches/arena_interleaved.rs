//! The workloads of `benches/arena.rs`, measured for a shared, noisy machine.
//!
//! Criterion times each contender for seconds, one after the other, so load from
//! other processes lands on some contenders and not others. Here the contenders take
//! turns within each round, and each figure is the fastest of many short timings
//! (one iteration each): other processes only ever add time, so the minimum is the
//! closest to the uncontended cost. Prints a Markdown table, in ns per operation.
//!
//! `cargo bench -p engine --bench arena_interleaved [-- ROUNDS]`

// This bench times the arenas' lists and lines, not std's or the big list.
#[allow(dead_code)]
mod collections;
mod workloads;

use collections::*;
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

/// Every timing so far, per workload and allocator, in the order first recorded.
#[derive(Default)]
struct Results(Vec<(&'static str, &'static str, Vec<f64>)>);

impl Results {
    fn record(&mut self, workload: &'static str, allocator: &'static str, ns: f64) {
        match self
            .0
            .iter_mut()
            .find(|(w, a, _)| *w == workload && *a == allocator)
        {
            Some((_, _, all)) => all.push(ns),
            None => self.0.push((workload, allocator, vec![ns])),
        }
    }
}

/// The arenas, each kept warm across rounds, and their timings.
struct Bench {
    engine: engine::Arena,
    /// The engine's arena on reserved backing, the frame arenas' default.
    engine_reserved: engine::Arena,
    bumpalo: bumpalo::Bump,
    bump_scope: bump_scope::Bump,
    results: Results,
}

impl Bench {
    /// Times one workload of `ops` operations on each arena, in the order engine
    /// (chunked, then reserved), bumpalo, bump-scope, each with its own function
    /// for it.
    fn time(
        &mut self,
        workload: &'static str,
        ops: usize,
        after: After,
        mut engine_work: impl FnMut(&mut engine::Arena),
        bumpalo_work: impl FnMut(&mut bumpalo::Bump),
        bump_scope_work: impl FnMut(&mut bump_scope::Bump),
    ) {
        let ns = fastest(ops, &mut self.engine, &mut engine_work, after.clear());
        self.results.record(workload, "engine", ns);
        let ns = fastest(ops, &mut self.engine_reserved, engine_work, after.clear());
        self.results.record(workload, "engine (reserved)", ns);
        let ns = fastest(ops, &mut self.bumpalo, bumpalo_work, after.clear());
        self.results.record(workload, "bumpalo", ns);
        let ns = fastest(ops, &mut self.bump_scope, bump_scope_work, after.clear());
        self.results.record(workload, "bump_scope", ns);
    }
}

fn main() {
    // `cargo bench` passes `--bench`; a plain number is the round count.
    let rounds = std::env::args()
        .skip(1)
        .find_map(|arg| arg.parse::<usize>().ok())
        .unwrap_or(7);
    let mut bench = Bench {
        engine: engine_arena(),
        engine_reserved: engine_reserved_arena(),
        bumpalo: bumpalo_bump(),
        bump_scope: bump_scope_bump(),
        results: Results::default(),
    };
    let layouts = layouts();
    let source = source();
    let src = black_box(&source[..]);
    let long_source = long_source();
    let long_src = black_box(&long_source[..]);
    let list_items = list_source();
    let list_src = black_box(&list_items[..]);

    for _ in 0..rounds {
        bench.time(
            "10k u64",
            ALLOCATIONS,
            After::Reset,
            engine_u64,
            bumpalo_u64,
            bump_scope_u64,
        );
        bench.time(
            "10k alloc_layout",
            ALLOCATIONS,
            After::Reset,
            |arena| engine_layout(arena, &layouts),
            |bump| bumpalo_layout(bump, &layouts),
            |bump| bump_scope_layout(bump, &layouts),
        );
        for (workload, src) in [
            ("1k slice copy (16 u32)", src),
            ("1k slice copy (64 u32)", long_src),
        ] {
            bench.time(
                workload,
                SLICES,
                After::Reset,
                |arena| engine_copy(arena, src),
                |bump| bumpalo_copy(bump, src),
                |bump| bump_scope_copy(bump, src),
            );
        }
        bench.time(
            "1k slice fill (16 u32)",
            SLICES,
            After::Reset,
            engine_fill,
            bumpalo_fill,
            bump_scope_fill,
        );
        // bumpalo has no scopes; bump-scope has two ways in.
        let w = "scope enter+exit";
        let ns = fastest(SLICES, &mut bench.engine, engine_scopes, |_| ());
        bench.results.record(w, "engine", ns);
        let ns = fastest(SLICES, &mut bench.engine_reserved, engine_scopes, |_| ());
        bench.results.record(w, "engine (reserved)", ns);
        let ns = fastest(SLICES, &mut bench.bump_scope, bump_scope_scopes, |_| ());
        bench.results.record(w, "bump_scope", ns);
        let ns = fastest(
            SLICES,
            &mut bench.bump_scope,
            bump_scope_nested_scopes,
            |_| (),
        );
        bench.results.record(w, "bump_scope_nested", ns);
        bench.time(
            "1 u8 + reset",
            SLICES,
            After::Nothing,
            engine_resets,
            bumpalo_resets,
            bump_scope_resets,
        );
        bench.time(
            "10k u64 + reset",
            ALLOCATIONS,
            After::Nothing,
            engine_u64_reset,
            bumpalo_u64_reset,
            bump_scope_u64_reset,
        );
        bench.time(
            "push 10k u32, growing",
            LIST_LEN,
            After::Reset,
            engine_push_grow,
            bumpalo_push_grow,
            bump_scope_push_grow,
        );
        bench.time(
            "push 10k u32, reserved",
            LIST_LEN,
            After::Reset,
            engine_push_reserved,
            bumpalo_push_reserved,
            bump_scope_push_reserved,
        );
        bench.time(
            "extend_from_slice, 10k u32",
            LIST_LEN,
            After::Reset,
            |arena| engine_extend(arena, list_src),
            |bump| bumpalo_extend(bump, list_src),
            |bump| bump_scope_extend(bump, list_src),
        );
        bench.time(
            "format a line",
            LINES,
            After::Reset,
            engine_format,
            bumpalo_format,
            bump_scope_format,
        );
        let ns = fastest(
            LINES,
            &mut bench.bump_scope,
            bump_scope_format_mut,
            After::Reset.clear(),
        );
        bench
            .results
            .record("format a line", "bump_scope_fmt_mut", ns);
    }

    println!("{rounds} rounds, each the fastest of {TIMINGS} timings; ns per operation\n");
    println!("| workload | allocator | fastest round | median round |");
    println!("|---|---|---:|---:|");
    for (workload, allocator, mut all) in bench.results.0 {
        all.sort_by(f64::total_cmp);
        println!(
            "| {workload} | {allocator} | {:.3} | {:.3} |",
            all[0],
            all[all.len() / 2]
        );
    }
}
