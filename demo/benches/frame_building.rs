//! Frame building for 100,000 objects (cull, sort keys, instance data, draw
//! commands, per-draw uniforms, overlay geometry), with the same code and several
//! places for the lists, in one run:
//!
//! - `frame_arenas`: `ArenaVec`s in `engine::FrameArenas` with the demo's default
//!   budget, as the demo does every frame with `--threads 1`: two buffers used in
//!   turn, each list pushed into as it comes (reserved only where its size is known)
//!   and frozen into a slice at the end;
//! - `one_arena`: the same `ArenaVec`s in one `engine::Arena` reset every frame, to
//!   tell apart what the double buffering costs (two buffers touch twice the
//!   memory);
//! - `frame_arenas_2_threads`: the demo with `--threads 2`: culling and the key and
//!   instance lists split into chunks over the calling thread and one more (a rayon
//!   pool the calling thread joins), the chunks' lists in worker arenas of the
//!   frame's pool, joined in the frame (`demo::scene::parallel`);
//! - `fresh_vecs`: new `std` `Vec`s every frame, dropped at its end;
//! - `reused_vecs`: `std` `Vec`s kept across frames and `clear()`ed.
//!
//! The building code is the demo's (`demo::scene::build`, `demo::overlay`), generic
//! over where its lists live (`demo::lists::ListStorage`).
//!
//! Two views: the whole world (every object visible) and about a tenth of it, which
//! looks somewhere else every frame (`frame_setup::PLACES` says why).
//!
//! `cargo bench -p demo --bench frame_building`
//! (`-- --measurement-time 8` on a loaded machine).

#![forbid(unsafe_code)]

mod frame_setup;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use demo::lists::{InArena, OnHeap};
use demo::overlay;
use demo::scene::build::DrawLists;
use demo::scene::parallel::{self, Split, build_draws_in_parallel};
use demo::threads::FrameThreads;
use engine::{ArenaVec, FrameArenas, FrameConfig};
use frame_setup::{
    OBJECTS, VIEWS, build, frame_arenas, frame_config, inputs, level, overlay_lines,
};
use std::hint::black_box;

fn frame_building(c: &mut Criterion) {
    let level = level();
    let lines = overlay_lines();
    let mut group = c.benchmark_group("frame_building");
    group.throughput(Throughput::Elements(OBJECTS as u64));
    for (view, scale) in VIEWS {
        let inputs = inputs(&level, scale);
        // Each frame looks at the next place, round the list.
        let mut places = inputs.iter().cycle();

        let mut frames = frame_arenas();
        group.bench_function(BenchmarkId::new("frame_arenas", view), |b| {
            b.iter(|| {
                let input = places.next().expect("a cycle never ends");
                let frame = frames.begin_frame();
                let mut lists = DrawLists::new_in(&InArena(frame.arena()));
                build(&mut lists, input, &lines);
                black_box(lists.into_slices());
            });
        });

        let mut arena = engine::Arena::new("frame");
        group.bench_function(BenchmarkId::new("one_arena", view), |b| {
            b.iter(|| {
                let input = places.next().expect("a cycle never ends");
                arena.reset();
                let mut lists = DrawLists::new_in(&InArena(&arena));
                build(&mut lists, input, &lines);
                black_box(lists.into_slices());
            });
        });

        // As `DemoState` makes them with `--threads 2`.
        let threads = FrameThreads::new(2).expect("rayon starts");
        assert!(
            threads.joins_the_pool(),
            "the bench thread builds frames with the pool"
        );
        let mut frames = FrameArenas::new(FrameConfig {
            worker_count: threads.count(),
            worker_budget_bytes: parallel::worker_budget_bytes(OBJECTS),
            ..frame_config()
        });
        let pool = threads.pool().expect("two threads");
        group.bench_function(BenchmarkId::new("frame_arenas_2_threads", view), |b| {
            b.iter(|| {
                let input = places.next().expect("a cycle never ends");
                let frame = frames.begin_frame();
                let mut lists = build_draws_in_parallel(&frame, pool, input, Split::DEMO);
                let mut overlay = ArenaVec::new_in(frame.arena());
                overlay::build(&mut overlay, &lines, 1.0);
                lists.overlay = overlay.into_slice();
                black_box(lists);
            });
        });

        group.bench_function(BenchmarkId::new("fresh_vecs", view), |b| {
            b.iter(|| {
                let input = places.next().expect("a cycle never ends");
                let mut lists = DrawLists::new_in(&OnHeap);
                build(&mut lists, input, &lines);
            });
        });

        let mut reused = DrawLists::new_in(&OnHeap);
        group.bench_function(BenchmarkId::new("reused_vecs", view), |b| {
            b.iter(|| {
                let input = places.next().expect("a cycle never ends");
                reused.clear();
                build(&mut reused, input, &lines);
            });
        });
    }
    group.finish();
}

criterion_group!(benches, frame_building);
criterion_main!(benches);
