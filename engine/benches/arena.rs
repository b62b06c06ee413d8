//! `engine::Arena` against bumpalo, bump-scope and the system allocator.
//!
//! Every contender does the same work per iteration and starts it from the same
//! state: a pre-warmed allocator (one chunk of [`CHUNK_BYTES`], already used once)
//! that is emptied after each iteration. For the system allocator "emptying" means
//! freeing every block it handed out, so it has to keep them alive just as the
//! arenas do (in a reused `Vec`, whose pushes it pays for).
//!
//! Groups whose name does not say `reset` time only the allocations: the reset (or
//! the frees) runs after each iteration, outside the timed span. The `collections`
//! group builds lists and formatted strings in the arenas (`ArenaVec`, `format_in!`
//! and the rivals' equivalents), against std's `Vec` and `String`; its work is in
//! `benches/collections/mod.rs`.
//!
//! Results are in `engine/BENCHMARKS.md`; run with `cargo bench -p engine --bench
//! arena`. On a busy machine, `benches/arena_interleaved.rs` measures the other
//! groups' work more steadily.

// `criterion_group!` generates an undocumented `pub fn benches`.
#![allow(missing_docs)]

mod collections;
mod workloads;

use collections::*;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::alloc::Layout;
use std::hint::black_box;
use std::ptr::NonNull;
use std::time::{Duration, Instant};
use workloads::*;

/// Times `work` on `state` for `iters` iterations, running `clear` after each one
/// outside the timed span.
fn timed<S>(
    iters: u64,
    state: &mut S,
    mut work: impl FnMut(&mut S),
    mut clear: impl FnMut(&mut S),
) -> Duration {
    let mut total = Duration::ZERO;
    for _ in 0..iters {
        let start = Instant::now();
        work(state);
        total += start.elapsed();
        clear(state);
    }
    total
}

/// Benchmarks `work` as `name` in `group`, on a state made by `make`, which `clear`
/// empties after each iteration outside the timed span.
fn contender<S>(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    name: &str,
    make: impl FnOnce() -> S,
    mut work: impl FnMut(&mut S),
    mut clear: impl FnMut(&mut S),
) {
    let mut state = make();
    group.bench_function(name, |b| {
        b.iter_custom(|iters| timed(iters, &mut state, &mut work, &mut clear));
    });
}

/// Benchmarks the arenas on one workload, each with its own function for it, in
/// the order engine (chunked, then on reserved backing), bumpalo, bump-scope.
fn arenas(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    after: After,
    mut engine_work: impl FnMut(&mut engine::Arena),
    bumpalo_work: impl FnMut(&mut bumpalo::Bump),
    bump_scope_work: impl FnMut(&mut bump_scope::Bump),
) {
    contender(
        group,
        "engine",
        engine_arena,
        &mut engine_work,
        after.clear(),
    );
    contender(
        group,
        "engine_reserved",
        engine_reserved_arena,
        engine_work,
        after.clear(),
    );
    contender(group, "bumpalo", bumpalo_bump, bumpalo_work, after.clear());
    contender(
        group,
        "bump_scope",
        bump_scope_bump,
        bump_scope_work,
        after.clear(),
    );
}

fn alloc_u64(c: &mut Criterion) {
    let mut group = c.benchmark_group("alloc_u64_x10k");
    group.throughput(Throughput::Elements(ALLOCATIONS as u64));
    arenas(
        &mut group,
        After::Reset,
        engine_u64,
        bumpalo_u64,
        bump_scope_u64,
    );
    contender(
        &mut group,
        "system",
        || Vec::<Box<u64>>::with_capacity(ALLOCATIONS),
        |boxes| {
            for i in 0..ALLOCATIONS as u64 {
                boxes.push(black_box(Box::new(black_box(i))));
            }
        },
        Vec::clear,
    );
    // The floor: an upward bump with an alignment round-up and a bounds check, and
    // nothing else (no statistics, no slow path worth the name).
    let mut buffer = vec![0u64; CHUNK_BYTES / 8];
    let range = buffer.as_mut_ptr_range();
    let (start, end) = (range.start.cast::<u8>(), range.end.cast::<u8>());
    contender(
        &mut group,
        "bare_bump",
        || start,
        |top| {
            for i in 0..ALLOCATIONS as u64 {
                let aligned = top.wrapping_add(top.addr().wrapping_neg() & 7);
                if end.addr() - aligned.addr() < 8 {
                    panic!("bare bump buffer is full");
                }
                *top = aligned.wrapping_add(8);
                let slot = aligned.cast::<u64>();
                // SAFETY: `slot..slot + 8` lies inside `buffer`, checked above, and
                // is aligned for a u64.
                unsafe { slot.write(black_box(i)) };
                black_box(slot);
            }
        },
        |top| *top = start,
    );
    group.finish();
}

fn alloc_unknown_layout(c: &mut Criterion) {
    let mut group = c.benchmark_group("alloc_layout_x10k");
    group.throughput(Throughput::Elements(ALLOCATIONS as u64));
    let layouts = layouts();
    arenas(
        &mut group,
        After::Reset,
        |arena| engine_layout(arena, &layouts),
        |bump| bumpalo_layout(bump, &layouts),
        |bump| bump_scope_layout(bump, &layouts),
    );
    contender(
        &mut group,
        "system",
        || Vec::<(NonNull<u8>, Layout)>::with_capacity(ALLOCATIONS),
        |blocks| {
            for i in 0..ALLOCATIONS {
                let layout = layouts[i % layouts.len()];
                // SAFETY: every layout in `LAYOUTS` has a non-zero size.
                let ptr = NonNull::new(unsafe { std::alloc::alloc(layout) })
                    .expect("system allocator refused a small block");
                blocks.push((black_box(ptr), layout));
            }
        },
        |blocks| {
            for (ptr, layout) in blocks.drain(..) {
                // SAFETY: `ptr` came from `std::alloc::alloc(layout)` above and is
                // freed once.
                unsafe { std::alloc::dealloc(ptr.as_ptr(), layout) };
            }
        },
    );
    group.finish();
}

fn alloc_slice_copy(c: &mut Criterion) {
    copies(c, "alloc_slice_copy_16xu32_x1k", &source());
    copies(c, "alloc_slice_copy_64xu32_x1k", &long_source());
}

/// The copy workload on `source`, as the group `name`.
fn copies(c: &mut Criterion, name: &str, source: &[u32]) {
    let mut group = c.benchmark_group(name);
    group.throughput(Throughput::Elements(SLICES as u64));
    let src = black_box(source);
    arenas(
        &mut group,
        After::Reset,
        |arena| engine_copy(arena, src),
        |bump| bumpalo_copy(bump, src),
        |bump| bump_scope_copy(bump, src),
    );
    contender(
        &mut group,
        "system",
        || Vec::<Box<[u32]>>::with_capacity(SLICES),
        |boxes| {
            for _ in 0..SLICES {
                boxes.push(black_box(Box::from(src)));
            }
        },
        Vec::clear,
    );
    group.finish();
}

fn alloc_slice_fill(c: &mut Criterion) {
    let mut group = c.benchmark_group("alloc_slice_fill_16xu32_x1k");
    group.throughput(Throughput::Elements(SLICES as u64));
    arenas(
        &mut group,
        After::Reset,
        engine_fill,
        bumpalo_fill,
        bump_scope_fill,
    );
    contender(
        &mut group,
        "system",
        || Vec::<Box<[u32]>>::with_capacity(SLICES),
        |boxes| {
            for i in 0..SLICES {
                boxes.push(black_box(vec![i as u32; SLICE_LEN].into_boxed_slice()));
            }
        },
        Vec::clear,
    );
    group.finish();
}

fn scope_enter_exit(c: &mut Criterion) {
    // 1 000 scopes per iteration, each holding one `u64`; nothing to clear after.
    // bumpalo has no scopes (no mark/rewind at all), so it sits this one out.
    let mut group = c.benchmark_group("scope_enter_exit_x1k");
    group.throughput(Throughput::Elements(SLICES as u64));
    contender(&mut group, "engine", engine_arena, engine_scopes, |_| ());
    contender(
        &mut group,
        "bump_scope",
        bump_scope_bump,
        bump_scope_scopes,
        |_| (),
    );
    contender(
        &mut group,
        "bump_scope_nested",
        bump_scope_bump,
        bump_scope_nested_scopes,
        |_| (),
    );
    contender(
        &mut group,
        "system",
        || (),
        |()| {
            for _ in 0..SLICES {
                drop(black_box(Box::new(black_box(1u64))));
            }
        },
        |_| (),
    );
    group.finish();
}

fn reset_alone(c: &mut Criterion) {
    // 1 000 times: one `u8`, then the reset, both timed.
    let mut group = c.benchmark_group("alloc_u8_then_reset_x1k");
    group.throughput(Throughput::Elements(SLICES as u64));
    arenas(
        &mut group,
        After::Nothing,
        engine_resets,
        bumpalo_resets,
        bump_scope_resets,
    );
    group.finish();
}

fn reset_after_10k(c: &mut Criterion) {
    // 10k `u64` allocations and then the reset (or the frees), all timed.
    let mut group = c.benchmark_group("alloc_u64_x10k_then_reset");
    group.throughput(Throughput::Elements(ALLOCATIONS as u64));
    arenas(
        &mut group,
        After::Nothing,
        engine_u64_reset,
        bumpalo_u64_reset,
        bump_scope_u64_reset,
    );
    contender(
        &mut group,
        "system",
        || Vec::<Box<u64>>::with_capacity(ALLOCATIONS),
        |boxes| {
            for i in 0..ALLOCATIONS as u64 {
                boxes.push(black_box(Box::new(black_box(i))));
            }
            boxes.clear();
        },
        |_| (),
    );
    group.finish();
}

/// The three arenas on one workload of a group that holds several, named
/// `workload/arena`, in the order engine, bumpalo, bump-scope, each with its own
/// function and reset after each call.
fn arenas_on(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    workload: &str,
    engine_work: impl FnMut(&mut engine::Arena),
    bumpalo_work: impl FnMut(&mut bumpalo::Bump),
    bump_scope_work: impl FnMut(&mut bump_scope::Bump),
) {
    let reset = After::Reset;
    let name = |arena: &str| format!("{workload}/{arena}");
    contender(
        group,
        &name("engine"),
        engine_arena,
        engine_work,
        reset.clear(),
    );
    contender(
        group,
        &name("bumpalo"),
        bumpalo_bump,
        bumpalo_work,
        reset.clear(),
    );
    contender(
        group,
        &name("bump_scope"),
        bump_scope_bump,
        bump_scope_work,
        reset.clear(),
    );
}

fn lists_and_strings(c: &mut Criterion) {
    let mut group = c.benchmark_group("collections");
    group.throughput(Throughput::Elements(LIST_LEN as u64));
    // std's lists live in the contender's state until the untimed clear frees them.
    let free = |kept: &mut Option<Vec<u32>>| *kept = None;

    arenas_on(
        &mut group,
        "push_grow_10k",
        engine_push_grow,
        bumpalo_push_grow,
        bump_scope_push_grow,
    );
    contender(
        &mut group,
        "push_grow_10k/std",
        || None,
        std_push_grow,
        free,
    );

    arenas_on(
        &mut group,
        "push_reserved_10k",
        engine_push_reserved,
        bumpalo_push_reserved,
        bump_scope_push_reserved,
    );
    contender(
        &mut group,
        "push_reserved_10k/std",
        || None,
        std_push_reserved,
        free,
    );

    let source = list_source();
    let src = black_box(&source[..]);
    arenas_on(
        &mut group,
        "extend_from_slice_10k",
        |arena| engine_extend(arena, src),
        |bump| bumpalo_extend(bump, src),
        |bump| bump_scope_extend(bump, src),
    );
    contender(
        &mut group,
        "extend_from_slice_10k/std",
        || None,
        |kept| std_extend(kept, src),
        free,
    );

    group.throughput(Throughput::Elements(LINES as u64));
    arenas_on(
        &mut group,
        "format_1k",
        engine_format,
        bumpalo_format,
        bump_scope_format,
    );
    contender(
        &mut group,
        "format_1k/bump_scope_fmt_mut",
        bump_scope_bump,
        bump_scope_format_mut,
        After::Reset.clear(),
    );
    contender(
        &mut group,
        "format_1k/std",
        || Vec::with_capacity(LINES),
        std_format,
        Vec::clear,
    );
    group.finish();
}

/// A list grown from empty to a million `u64`, in a warm arena (chunked and
/// reserved) and in std's `Vec`. Before timing, prints how often each list's buffer
/// moved while growing, in a fresh arena and in a warm one.
fn grow_to_a_million(c: &mut Criterion) {
    fn reserved_arena() -> engine::Arena {
        engine::Arena::with_config(
            "grow-1m",
            engine::ArenaConfig {
                backing: engine::Backing::reserved_where_available(),
                ..engine::ArenaConfig::default()
            },
        )
    }
    let engine_moves = |arena: &mut engine::Arena| {
        let moves = {
            let mut list = engine::ArenaVec::new_in(&*arena);
            moves_while_growing(|value| {
                list.push(value);
                list.as_ptr()
            })
        };
        arena.reset();
        moves
    };
    let mut reserved = reserved_arena();
    let mut chunked = engine::Arena::new("grow-1m-chunked");
    let (reserved_cold, chunked_cold) = (engine_moves(&mut reserved), engine_moves(&mut chunked));
    let (reserved_warm, chunked_warm) = (engine_moves(&mut reserved), engine_moves(&mut chunked));
    let mut list = Vec::new();
    let std_moves = moves_while_growing(|value| {
        list.push(value);
        list.as_ptr()
    });
    drop(list);
    eprintln!(
        "grow_1m: buffer moves while growing to {BIG_LIST_LEN} u64: engine reserved {reserved_cold}          (fresh arena) / {reserved_warm} (warm), engine chunked {chunked_cold} / {chunked_warm},          std Vec {std_moves}"
    );

    let mut group = c.benchmark_group("grow_1m");
    group.throughput(Throughput::Elements(BIG_LIST_LEN as u64));
    let warm = |make: fn() -> engine::Arena| {
        move || {
            let mut arena = make();
            engine_grow_1m(&mut arena);
            arena.reset();
            arena
        }
    };
    contender(
        &mut group,
        "engine_reserved",
        warm(reserved_arena),
        engine_grow_1m,
        After::Reset.clear(),
    );
    contender(
        &mut group,
        "engine_chunked",
        warm(|| engine::Arena::new("grow-1m-chunked")),
        engine_grow_1m,
        After::Reset.clear(),
    );
    contender(
        &mut group,
        "std",
        || None,
        std_grow_1m,
        |kept: &mut Option<Vec<u64>>| *kept = None,
    );
    group.finish();
}

criterion_group!(
    benches,
    alloc_u64,
    alloc_unknown_layout,
    alloc_slice_copy,
    alloc_slice_fill,
    scope_enter_exit,
    reset_alone,
    reset_after_10k,
    lists_and_strings,
    grow_to_a_million
);
criterion_main!(benches);
