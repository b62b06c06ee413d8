//! What per-frame memory telemetry adds to a frame: a typical frame's allocation
//! work (10 000 allocations from the frame arenas), the same frame recorded by an
//! enabled `Telemetry` (two frame buffers, two workers of two arenas each, a level
//! and an asset arena), and the recording alone. Built without the `tracy` feature
//! this measures the engine's own reporting; with it (and no profiler connected),
//! Tracy's checks too.
//!
//! ```text
//! cargo bench -p engine --bench telemetry
//! ```

// `criterion_group!` generates an undocumented `pub fn benches`.
#![allow(missing_docs)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use engine::{ArenaKind, AssetArena, AssetKind, FrameArenas, FrameConfig, LevelArena, Telemetry};

const ALLOCATIONS_PER_FRAME: usize = 10_000;

/// Everything a frame allocates from: built once, warm after the first frames.
struct World {
    frames: FrameArenas,
    level: LevelArena,
    assets: AssetArena,
}

impl World {
    fn new() -> World {
        let frames = FrameArenas::new(FrameConfig {
            budget_bytes: 1 << 20,
            worker_count: 2,
            worker_budget_bytes: 64 << 10,
            ..FrameConfig::default()
        });
        let level = LevelArena::with_capacity("level", 1 << 20);
        level.alloc_slice_fill_with(1000, |i| [i as f32; 4]);
        let mut assets = AssetArena::new("assets");
        assets
            .insert("mesh", AssetKind::MESH, &[1; 64 << 10])
            .expect("the asset fits");
        World {
            frames,
            level,
            assets,
        }
    }

    /// One frame's allocation work: 10 000 allocations of mixed sizes, mostly from
    /// the frame buffer and some from the workers.
    fn frame_work(&mut self) {
        let frame = self.frames.begin_frame();
        for index in 0..ALLOCATIONS_PER_FRAME - 200 {
            match index % 4 {
                0 => {
                    black_box(frame.alloc([index as f32; 4]));
                }
                1 => {
                    black_box(frame.alloc_slice_fill_copy(4, index as u32));
                }
                2 => {
                    black_box(frame.alloc(index as u64));
                }
                _ => {
                    black_box(frame.alloc_slice_copy(&[index as u16; 6]));
                }
            }
        }
        let workers = [frame.workers().acquire(), frame.workers().acquire()];
        for (job, worker) in workers.iter().enumerate() {
            for index in 0..100 {
                black_box(worker.alloc_slice_fill_copy(8, (job + index) as u32));
            }
        }
    }

    fn record(&self, telemetry: &mut Telemetry, frame_index: u64) {
        telemetry.begin_frame(frame_index);
        telemetry.record_frames(&self.frames);
        telemetry.record_arena(ArenaKind::Level, self.level.arena(), 0);
        telemetry.record_arena(ArenaKind::Asset, self.assets.arena(), 0);
        telemetry.end_frame();
    }
}

fn telemetry(c: &mut Criterion) {
    let mut group = c.benchmark_group("frame");

    let mut world = World::new();
    group.bench_function("allocations_only", |b| b.iter(|| world.frame_work()));

    let mut world = World::new();
    let mut telemetry = Telemetry::new();
    let mut frame_index = 0;
    group.bench_function("allocations_and_telemetry", |b| {
        b.iter(|| {
            world.frame_work();
            world.record(&mut telemetry, frame_index);
            frame_index += 1;
        })
    });

    let mut world = World::new();
    let mut disabled = Telemetry::disabled();
    group.bench_function("allocations_and_disabled_telemetry", |b| {
        b.iter(|| {
            world.frame_work();
            world.record(&mut disabled, frame_index);
            frame_index += 1;
        })
    });

    // The recording alone, on a frame that already happened (the arenas' state
    // does not change between iterations, as in the middle of a steady game).
    let mut world = World::new();
    world.frame_work();
    let mut telemetry = Telemetry::new();
    group.bench_function("telemetry_only", |b| {
        b.iter(|| {
            world.record(&mut telemetry, frame_index);
            frame_index += 1;
            black_box(telemetry.report().total_used_bytes());
        })
    });
    group.finish();
}

criterion_group!(benches, telemetry);
criterion_main!(benches);
