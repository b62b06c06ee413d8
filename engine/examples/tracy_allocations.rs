//! Tracy's per-allocation mode on a debug-mode scratch arena: every allocation shows
//! up in the pool `scratch allocations`, every `scope` that ends frees its blocks,
//! and every reset discards the pool. The arena's chunks are the pool `scratch`, as
//! in the default mode. The end-to-end test `tests/tracy_wire.rs` checks both pools
//! against the arena's own numbers.
//!
//! ```text
//! cargo run -p engine --example tracy_allocations --features tracy -- --frames 100000 --wait-for-profiler 60
//! ```
//!
//! `--telemetry-csv PATH` writes each frame's [`MemoryReport`]. Every size here is a
//! multiple of 8 with an alignment of at most 8, so the arena's used bytes have no
//! padding and equal the sum of its live blocks.

#![forbid(unsafe_code)]

use engine::{Arena, ArenaConfig, ArenaKind, MemoryReport, Telemetry};
use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

struct Options {
    frames: u64,
    wait_for_profiler: Option<u64>,
    telemetry_csv: Option<PathBuf>,
}

fn parse_options() -> Result<Options, String> {
    let mut options = Options {
        frames: 240,
        wait_for_profiler: None,
        telemetry_csv: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match flag.as_str() {
            "--frames" => {
                options.frames = value("--frames")?
                    .parse()
                    .map_err(|_| "--frames: not a number")?;
            }
            "--wait-for-profiler" => {
                let seconds = value("--wait-for-profiler")?;
                options.wait_for_profiler = Some(
                    seconds
                        .parse()
                        .map_err(|_| "--wait-for-profiler: not a number")?,
                );
            }
            "--telemetry-csv" => options.telemetry_csv = Some(value("--telemetry-csv")?.into()),
            "--help" | "-h" => {
                println!(
                    "usage: tracy_allocations [--frames N] [--wait-for-profiler SECONDS] [--telemetry-csv PATH]"
                );
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument `{other}` (try --help)")),
        }
    }
    Ok(options)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let options = parse_options()?;
    if let Some(seconds) = options.wait_for_profiler
        && !engine::telemetry::wait_for_profiler(Duration::from_secs(seconds))
    {
        return Err(format!("no Tracy profiler connected within {seconds} s").into());
    }
    engine::telemetry::track_allocations(true);

    let mut scratch = Arena::with_config(
        "scratch",
        ArenaConfig {
            initial_capacity: 16 << 10,
            debug_blocks: true,
            ..ArenaConfig::default()
        },
    );
    let mut telemetry = Telemetry::new();
    let mut csv = match &options.telemetry_csv {
        Some(path) => {
            let mut file = std::io::BufWriter::new(std::fs::File::create(path)?);
            writeln!(file, "{}", MemoryReport::CSV_HEADER)?;
            Some(file)
        }
        None => None,
    };
    let mut checksum = 0u64;
    for frame_index in 0..options.frames {
        telemetry.begin_frame(frame_index);
        scratch.reset();
        // Temporary work: allocated and freed (a free per block) inside the frame.
        checksum += scratch.scope(|tmp| {
            let weights = tmp.alloc_slice_fill_with(64, |i| (i as u64) * frame_index);
            let total = tmp.alloc(weights.iter().sum::<u64>());
            *total
        });
        let mark = scratch.mark();
        scratch.alloc_slice_fill_copy(32, 0u64);
        scratch.rewind(mark);
        // What the frame keeps until the next reset; every 25th frame a burst that
        // does not fit in the first chunk, so the arena grows.
        let count = 100 + (frame_index % 7) as usize * 40;
        let particles = scratch.alloc_slice_fill_with(count, |i| [i as f32, frame_index as f32]);
        let ids = scratch.alloc_slice_fill_with(count, |i| i as u64);
        if frame_index % 25 == 24 {
            let burst = scratch.alloc_slice_fill_copy(4096, frame_index);
            checksum += burst[4095];
        }
        checksum += particles.len() as u64 + ids[count - 1];

        telemetry.record_arena(ArenaKind::Frame, &scratch, 0);
        telemetry.end_frame();
        if let Some(csv) = csv.as_mut() {
            telemetry.report().write_csv(csv)?;
        }
    }
    if let Some(mut csv) = csv {
        csv.flush()?;
    }
    println!("{} frames, checksum {checksum}", options.frames);
    Ok(())
}
