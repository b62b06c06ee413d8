//! A whole frame: `FrameArenas::begin_frame`, a typical frame's allocations, and
//! the reset, against two bumpalo `Bump`s used the same way (alternating, the one
//! about to be used reset at the start of each frame).
//!
//! The frame: a visible list of ~2k `u32`, sort keys (`u64`) built in a growing
//! `allocator_api2` vector, 2k instances of 64 bytes, a few strings and a small
//! vector. The keys are not sorted: a sort would take most of the time and measure
//! nothing about the allocators. Both contenders are warm (their buffers already sized for the
//! frame), so no iteration calls the system allocator. Run with
//! `cargo bench -p engine --bench frame`.

// `criterion_group!` generates an undocumented `pub fn benches`.
#![allow(missing_docs)]

use allocator_api2::vec::Vec as ArenaVec;
use criterion::{Criterion, criterion_group, criterion_main};
use engine::{FrameArenas, FrameConfig};
use std::hint::black_box;

const OBJECTS: usize = 2048;

/// 64 bytes of per-instance GPU data.
#[derive(Clone, Copy)]
#[repr(C)]
struct Instance {
    transform: [f32; 12],
    color: [f32; 3],
    mesh: u32,
}

/// The same frame for any allocator with bumpalo-style methods (`alloc`,
/// `alloc_slice_fill_with`, `alloc_str`) that is also an `allocator_api2`
/// allocator by reference. Returns a value depending on everything built.
macro_rules! typical_frame {
    ($alloc:expr, $tick:expr) => {{
        let alloc = $alloc;
        let tick: u64 = $tick;
        let camera = alloc.alloc([[tick as f32; 4]; 4]);
        let visible = alloc.alloc_slice_fill_with(OBJECTS, |i| ((i * 7919) % OBJECTS) as u32);
        let mut keys = ArenaVec::new_in(alloc);
        for &object in visible.iter() {
            keys.push(((object as u64 ^ tick) << 32) | object as u64);
        }
        let instances = alloc.alloc_slice_fill_with(keys.len(), |i| Instance {
            transform: [i as f32; 12],
            color: [1.0, 0.5, 0.25],
            mesh: keys[i] as u32,
        });
        let names = [
            alloc.alloc_str("main camera"),
            alloc.alloc_str("shadow pass"),
            alloc.alloc_str("ui overlay"),
        ];
        let mut lights = ArenaVec::with_capacity_in(8, alloc);
        for light in 0..16u32 {
            lights.push([light as f32; 4]);
        }
        black_box(&*camera);
        black_box(&*instances);
        black_box(&names);
        keys[0] + instances[OBJECTS - 1].mesh as u64 + lights.len() as u64
    }};
}

fn frame(c: &mut Criterion) {
    let mut group = c.benchmark_group("frame");

    let mut frames = FrameArenas::new(FrameConfig {
        budget_bytes: 1 << 20,
        ..FrameConfig::default()
    });
    for tick in 0..4 {
        let frame = frames.begin_frame();
        black_box(typical_frame!(frame.arena(), tick));
    }
    let mut tick = 4u64;
    group.bench_function("engine FrameArenas", |b| {
        b.iter(|| {
            let frame = frames.begin_frame();
            let result = typical_frame!(frame.arena(), tick);
            tick += 1;
            black_box(result)
        })
    });

    let mut bumps = [
        bumpalo::Bump::with_capacity(1 << 20),
        bumpalo::Bump::with_capacity(1 << 20),
    ];
    for tick in 0..4u64 {
        let bump = &mut bumps[(tick % 2) as usize];
        bump.reset();
        black_box(typical_frame!(&*bump, tick));
    }
    let mut tick = 4u64;
    group.bench_function("bumpalo two Bumps", |b| {
        b.iter(|| {
            let bump = &mut bumps[(tick % 2) as usize];
            bump.reset();
            let result = typical_frame!(&*bump, tick);
            tick += 1;
            black_box(result)
        })
    });

    // With the handoff too: the frame keeps its instances and reads last frame's.
    let mut frames = FrameArenas::new(FrameConfig {
        budget_bytes: 1 << 20,
        ..FrameConfig::default()
    });
    let mut kept = None;
    let mut tick = 0u64;
    group.bench_function("engine FrameArenas + keep/previous", |b| {
        b.iter(|| {
            let frame = frames.begin_frame();
            let previous = kept.and_then(|handle| frame.previous(handle));
            let ids = frame.alloc_slice_fill_with(OBJECTS, |i| i as u32 ^ tick as u32);
            let result = typical_frame!(frame.arena(), tick);
            kept = frame.keep(ids);
            tick += 1;
            black_box((result, previous.map(|p| p[0])))
        })
    });

    group.finish();
}

criterion_group!(benches, frame);
criterion_main!(benches);
