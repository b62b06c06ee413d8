//! `engine::Arena` against bumpalo, bump-scope and the system allocator.
//!
//! Every contender does the same work per iteration and starts it from the same
//! state: a pre-warmed allocator (one chunk of [`CHUNK_BYTES`], already used once)
//! that is emptied after each iteration. For the system allocator "emptying" means
//! freeing every block it handed out, so it has to keep them alive just as the
//! arenas do (in a reused `Vec`, whose pushes it pays for).
//!
//! Groups whose name does not say `reset` time only the allocations: the reset (or
//! the frees) runs after each iteration, outside the timed span. Results are in
//! `engine/BENCHMARKS.md`; run with `cargo bench -p engine --bench arena`. On a busy
//! machine, `benches/arena_interleaved.rs` measures the same work more steadily.

// `criterion_group!` generates an undocumented `pub fn benches`.
#![allow(missing_docs)]

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::alloc::Layout;
use std::hint::black_box;
use std::ptr::NonNull;
use std::time::{Duration, Instant};

/// Allocations per iteration in the per-allocation groups.
const ALLOCATIONS: usize = 10_000;
/// Slices per iteration in the slice groups.
const SLICES: usize = 1_000;
/// Elements per slice.
const SLICE_LEN: usize = 16;
/// Size of each arena's one chunk: room for every workload with no growth.
const CHUNK_BYTES: usize = 1 << 20;

/// The layouts of the "unknown layout" group, picked in turn. Passed through
/// `black_box` so size and alignment are run-time values.
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

fn engine_arena() -> engine::Arena {
    let mut arena = engine::Arena::with_capacity("bench", CHUNK_BYTES);
    arena.alloc_slice_fill_copy(CHUNK_BYTES / 2, 0u8);
    arena.reset();
    arena
}

fn bumpalo_bump() -> bumpalo::Bump {
    let mut bump = bumpalo::Bump::with_capacity(CHUNK_BYTES);
    bump.alloc_slice_fill_copy(CHUNK_BYTES / 2, 0u8);
    bump.reset();
    bump
}

fn bump_scope_bump() -> bump_scope::Bump {
    let mut bump = bump_scope::Bump::with_size(CHUNK_BYTES);
    bump.alloc_slice_fill(CHUNK_BYTES / 2, 0u8);
    bump.reset();
    bump
}

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

fn layouts() -> [Layout; 8] {
    LAYOUTS.map(|(size, align)| Layout::from_size_align(size, align).unwrap())
}

fn alloc_u64(c: &mut Criterion) {
    let mut group = c.benchmark_group("alloc_u64_x10k");
    group.throughput(Throughput::Elements(ALLOCATIONS as u64));

    group.bench_function("engine", |b| {
        let mut arena = engine_arena();
        b.iter_custom(|iters| {
            timed(
                iters,
                &mut arena,
                |arena| {
                    for i in 0..ALLOCATIONS as u64 {
                        black_box(arena.alloc(black_box(i)));
                    }
                },
                engine::Arena::reset,
            )
        });
    });
    group.bench_function("bumpalo", |b| {
        let mut bump = bumpalo_bump();
        b.iter_custom(|iters| {
            timed(
                iters,
                &mut bump,
                |bump| {
                    for i in 0..ALLOCATIONS as u64 {
                        black_box(bump.alloc(black_box(i)));
                    }
                },
                bumpalo::Bump::reset,
            )
        });
    });
    group.bench_function("bump_scope", |b| {
        let mut bump = bump_scope_bump();
        b.iter_custom(|iters| {
            timed(
                iters,
                &mut bump,
                |bump| {
                    for i in 0..ALLOCATIONS as u64 {
                        black_box(bump.alloc(black_box(i)).into_mut());
                    }
                },
                bump_scope::Bump::reset,
            )
        });
    });
    group.bench_function("system", |b| {
        let mut boxes: Vec<Box<u64>> = Vec::with_capacity(ALLOCATIONS);
        b.iter_custom(|iters| {
            timed(
                iters,
                &mut boxes,
                |boxes| {
                    for i in 0..ALLOCATIONS as u64 {
                        boxes.push(black_box(Box::new(black_box(i))));
                    }
                },
                Vec::clear,
            )
        });
    });
    // The floor: an upward bump with an alignment round-up and a bounds check, and
    // nothing else (no statistics, no slow path worth the name).
    group.bench_function("bare_bump", |b| {
        let mut buffer = vec![0u64; CHUNK_BYTES / 8];
        let range = buffer.as_mut_ptr_range();
        let (start, end) = (range.start.cast::<u8>(), range.end.cast::<u8>());
        let mut top = start;
        b.iter_custom(|iters| {
            timed(
                iters,
                &mut top,
                |top| {
                    for i in 0..ALLOCATIONS as u64 {
                        let aligned = top.wrapping_add(top.addr().wrapping_neg() & 7);
                        if end.addr() - aligned.addr() < 8 {
                            panic!("bare bump buffer is full");
                        }
                        *top = aligned.wrapping_add(8);
                        let slot = aligned.cast::<u64>();
                        // SAFETY: `slot..slot + 8` lies inside `buffer`, checked above,
                        // and is aligned for a u64.
                        unsafe { slot.write(black_box(i)) };
                        black_box(slot);
                    }
                },
                |top| *top = start,
            )
        });
    });
    group.finish();
}

fn alloc_unknown_layout(c: &mut Criterion) {
    let mut group = c.benchmark_group("alloc_layout_x10k");
    group.throughput(Throughput::Elements(ALLOCATIONS as u64));

    group.bench_function("engine", |b| {
        let mut arena = engine_arena();
        b.iter_custom(|iters| {
            timed(
                iters,
                &mut arena,
                |arena| {
                    let layouts = black_box(layouts());
                    for i in 0..ALLOCATIONS {
                        black_box(arena.alloc_layout(layouts[i % layouts.len()]));
                    }
                },
                engine::Arena::reset,
            )
        });
    });
    group.bench_function("bumpalo", |b| {
        let mut bump = bumpalo_bump();
        b.iter_custom(|iters| {
            timed(
                iters,
                &mut bump,
                |bump| {
                    let layouts = black_box(layouts());
                    for i in 0..ALLOCATIONS {
                        black_box(bump.alloc_layout(layouts[i % layouts.len()]));
                    }
                },
                bumpalo::Bump::reset,
            )
        });
    });
    group.bench_function("bump_scope", |b| {
        let mut bump = bump_scope_bump();
        b.iter_custom(|iters| {
            timed(
                iters,
                &mut bump,
                |bump| {
                    let layouts = black_box(layouts());
                    for i in 0..ALLOCATIONS {
                        black_box(bump.alloc_layout(layouts[i % layouts.len()]));
                    }
                },
                bump_scope::Bump::reset,
            )
        });
    });
    group.bench_function("system", |b| {
        let mut blocks: Vec<(NonNull<u8>, Layout)> = Vec::with_capacity(ALLOCATIONS);
        b.iter_custom(|iters| {
            timed(
                iters,
                &mut blocks,
                |blocks| {
                    let layouts = black_box(layouts());
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
                        // SAFETY: `ptr` came from `std::alloc::alloc(layout)` above and
                        // is freed once.
                        unsafe { std::alloc::dealloc(ptr.as_ptr(), layout) };
                    }
                },
            )
        });
    });
    group.finish();
}

fn alloc_slices(c: &mut Criterion) {
    for kind in ["copy", "fill"] {
        let mut group = c.benchmark_group(format!("alloc_slice_{kind}_16xu32_x1k"));
        group.throughput(Throughput::Elements(SLICES as u64));
        let copy = kind == "copy";
        let source: [u32; SLICE_LEN] = std::array::from_fn(|i| i as u32 * 3);

        group.bench_function("engine", |b| {
            let mut arena = engine_arena();
            b.iter_custom(|iters| {
                timed(
                    iters,
                    &mut arena,
                    |arena| {
                        let src = black_box(&source[..]);
                        for i in 0..SLICES {
                            if copy {
                                black_box(arena.alloc_slice_copy(src));
                            } else {
                                black_box(arena.alloc_slice_fill_copy(SLICE_LEN, i as u32));
                            }
                        }
                    },
                    engine::Arena::reset,
                )
            });
        });
        group.bench_function("bumpalo", |b| {
            let mut bump = bumpalo_bump();
            b.iter_custom(|iters| {
                timed(
                    iters,
                    &mut bump,
                    |bump| {
                        let src = black_box(&source[..]);
                        for i in 0..SLICES {
                            if copy {
                                black_box(bump.alloc_slice_copy(src));
                            } else {
                                black_box(bump.alloc_slice_fill_copy(SLICE_LEN, i as u32));
                            }
                        }
                    },
                    bumpalo::Bump::reset,
                )
            });
        });
        group.bench_function("bump_scope", |b| {
            let mut bump = bump_scope_bump();
            b.iter_custom(|iters| {
                timed(
                    iters,
                    &mut bump,
                    |bump| {
                        let src = black_box(&source[..]);
                        for i in 0..SLICES {
                            if copy {
                                black_box(bump.alloc_slice_copy(src).into_mut());
                            } else {
                                black_box(bump.alloc_slice_fill(SLICE_LEN, i as u32).into_mut());
                            }
                        }
                    },
                    bump_scope::Bump::reset,
                )
            });
        });
        group.bench_function("system", |b| {
            let mut boxes: Vec<Box<[u32]>> = Vec::with_capacity(SLICES);
            b.iter_custom(|iters| {
                timed(
                    iters,
                    &mut boxes,
                    |boxes| {
                        let src = black_box(&source[..]);
                        for i in 0..SLICES {
                            let slice: Box<[u32]> = if copy {
                                Box::from(src)
                            } else {
                                vec![i as u32; SLICE_LEN].into_boxed_slice()
                            };
                            boxes.push(black_box(slice));
                        }
                    },
                    Vec::clear,
                )
            });
        });
        group.finish();
    }
}

fn scope_enter_exit(c: &mut Criterion) {
    // One scope per iteration, holding one `u64`; the arena is never reset.
    // bumpalo has no scopes (no mark/rewind at all), so it sits this one out.
    let mut group = c.benchmark_group("scope_enter_exit");

    group.bench_function("engine", |b| {
        let mut arena = engine_arena();
        arena.alloc(1u64);
        b.iter(|| {
            arena.scope(|tmp| {
                black_box(tmp.alloc(black_box(1u64)));
            });
        });
    });
    group.bench_function("bump_scope", |b| {
        let mut bump = bump_scope_bump();
        bump.alloc(1u64);
        b.iter(|| {
            bump.scoped(|tmp| {
                black_box(tmp.alloc(black_box(1u64)).into_mut());
            });
        });
    });
    // `Bump::scoped` on the root resets the current chunk to its start on exit (the
    // `u64` allocated before is gone too); a scope inside a scope restores a
    // checkpoint, which is what `Arena::scope` does at any depth.
    group.bench_function("bump_scope_nested", |b| {
        let mut bump = bump_scope_bump();
        bump.scoped(|mut outer| {
            outer.alloc(1u64);
            b.iter(|| {
                outer.scoped(|tmp| {
                    black_box(tmp.alloc(black_box(1u64)).into_mut());
                });
            });
        });
    });
    group.bench_function("system", |b| {
        b.iter(|| drop(black_box(Box::new(black_box(1u64)))));
    });
    group.finish();
}

fn reset_after_10k(c: &mut Criterion) {
    // 10k `u64` allocations and then the reset (or the frees), all timed.
    let mut group = c.benchmark_group("alloc_u64_x10k_then_reset");
    group.throughput(Throughput::Elements(ALLOCATIONS as u64));

    group.bench_function("engine", |b| {
        let mut arena = engine_arena();
        b.iter(|| {
            for i in 0..ALLOCATIONS as u64 {
                black_box(arena.alloc(black_box(i)));
            }
            arena.reset();
        });
    });
    group.bench_function("bumpalo", |b| {
        let mut bump = bumpalo_bump();
        b.iter(|| {
            for i in 0..ALLOCATIONS as u64 {
                black_box(bump.alloc(black_box(i)));
            }
            bump.reset();
        });
    });
    group.bench_function("bump_scope", |b| {
        let mut bump = bump_scope_bump();
        b.iter(|| {
            for i in 0..ALLOCATIONS as u64 {
                black_box(bump.alloc(black_box(i)).into_mut());
            }
            bump.reset();
        });
    });
    group.bench_function("system", |b| {
        let mut boxes: Vec<Box<u64>> = Vec::with_capacity(ALLOCATIONS);
        b.iter(|| {
            for i in 0..ALLOCATIONS as u64 {
                boxes.push(black_box(Box::new(black_box(i))));
            }
            boxes.clear();
        });
    });
    group.finish();
}

criterion_group!(
    benches,
    alloc_u64,
    alloc_unknown_layout,
    alloc_slices,
    scope_enter_exit,
    reset_after_10k
);
criterion_main!(benches);
