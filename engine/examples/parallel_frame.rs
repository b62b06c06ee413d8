#![forbid(unsafe_code)]
//! A frame built by rayon's threads from the worker pool: the scene's objects are
//! split into chunks, each chunk is culled and turned into draw instances on a
//! worker arena (`map_init(|| pool.acquire(), ...)`), and the chunks' results are
//! joined into frame memory. Each frame checks its result against the same work
//! done on one thread, and reads last frame's instances through the handoff.
//!
//! ```text
//! cargo run -p engine --example parallel_frame -- --frames 120 --threads 4
//! ```
//!
//! At the end it prints what each worker arena held, as the telemetry records it.

use engine::{
    ArenaKind, ArenaVec, FrameArenas, FrameConfig, FrameSlice, Telemetry, WorkerArena, WorkerPool,
};
use rayon::prelude::*;

/// Objects per job: small enough that every thread gets several jobs.
const CHUNK: usize = 2048;

/// What the renderer draws for one visible object.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Instance {
    object: u32,
    position: [f32; 2],
    /// Front to back: depth bits high, object index low.
    sort_key: u64,
}

struct Options {
    frames: u64,
    threads: usize,
    objects: usize,
}

fn parse_options() -> Result<Options, String> {
    let mut options = Options {
        frames: 120,
        threads: std::thread::available_parallelism().map_or(2, usize::from),
        objects: 100_000,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut number = |name: &str| -> Result<u64, String> {
            let value = args.next().ok_or(format!("{name} needs a number"))?;
            value
                .parse()
                .map_err(|_| format!("{name}: `{value}` is not a number"))
        };
        match flag.as_str() {
            "--frames" => options.frames = number("--frames")?,
            "--threads" => options.threads = number("--threads")?.max(1) as usize,
            "--objects" => options.objects = number("--objects")? as usize,
            "--help" | "-h" => {
                println!("usage: parallel_frame [--frames N] [--threads N] [--objects N]");
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument `{other}` (try --help)")),
        }
    }
    Ok(options)
}

/// Where object `object` is at time `time`: on a slowly turning spiral.
fn position(object: usize, time: f32) -> [f32; 2] {
    let angle = object as f32 * 0.01 + time * 0.2;
    let radius = (object % 1000) as f32 * 0.1;
    [radius * angle.cos(), radius * angle.sin()]
}

/// The instances of the visible objects among `objects`, in order: visible means
/// inside a 60 × 60 view that drifts with time.
fn cull(objects: std::ops::Range<usize>, time: f32) -> impl Iterator<Item = Instance> {
    let view_x = (time * 5.0) % 60.0 - 30.0;
    objects.filter_map(move |object| {
        let position = position(object, time);
        let visible =
            position[0] >= view_x && position[0] < view_x + 60.0 && position[1].abs() < 30.0;
        visible.then(|| Instance {
            object: object as u32,
            position,
            sort_key: u64::from((position[1] + 1000.0).to_bits()) << 32 | object as u64,
        })
    })
}

/// One job: culls a chunk into its worker arena and keeps the instances.
fn build_chunk(
    worker: &mut WorkerArena<'_>,
    chunk: usize,
    objects: usize,
    time: f32,
) -> FrameSlice<Instance> {
    let range = chunk * CHUNK..((chunk + 1) * CHUNK).min(objects);
    let mut instances = ArenaVec::with_capacity_in(range.len() / 4, &**worker);
    instances.extend(cull(range, time));
    worker
        .keep(&instances)
        .expect("the instances are in this worker arena")
}

/// The chunks' instances, built by the pool's workers on rayon's threads. Rayon
/// calls `pool.acquire()` once for each run of chunks it hands a thread, and the
/// run's chunks share that arena.
fn build_in_parallel(pool: &WorkerPool, objects: usize, time: f32) -> Vec<FrameSlice<Instance>> {
    (0..objects.div_ceil(CHUNK))
        .into_par_iter()
        .map_init(
            || pool.acquire(),
            |worker, chunk| build_chunk(worker, chunk, objects, time),
        )
        .collect()
}

/// What a frame hands the next: the joined instances, and each chunk's.
type Kept = (FrameSlice<Instance>, Vec<FrameSlice<Instance>>);

/// One frame: build, check against one thread, sort, read last frame's, keep.
fn run_frame(
    frames: &mut FrameArenas,
    threads: &rayon::ThreadPool,
    objects: usize,
    last: Option<Kept>,
) -> Kept {
    let frame = frames.begin_frame();
    let frame_number = frame.index();
    let time = frame_number as f32 / 60.0;
    // The frame stays on this thread (it is not `Send`); its worker pool goes to
    // rayon's threads, and their results come back as handles, joined here.
    let pool = frame.workers();
    let parts = threads.install(|| build_in_parallel(pool, objects, time));
    let instances = frame.concat(&parts);

    // The same frame built on one thread, in scratch memory, for comparison.
    frame.scratch(|tmp| {
        let mut single = ArenaVec::new_in(&**tmp);
        single.extend(cull(0..objects, time));
        assert_eq!(
            &single[..],
            &instances[..],
            "frame {frame_number}: parallel and single-threaded differ"
        );
    });

    // Sort front to back, in place: the join is the frame's own slice.
    instances.sort_unstable_by_key(|instance| instance.sort_key);

    // Last frame's instances, joined and per chunk from the worker arenas.
    if let Some((joined, previous_parts)) = last {
        let joined = frame.previous(joined).expect("kept last frame");
        let from_workers: usize = previous_parts
            .iter()
            .map(|&part| {
                frame
                    .previous(part)
                    .expect("a worker kept it last frame")
                    .len()
            })
            .sum();
        assert_eq!(from_workers, joined.len());
        if frame_number % 30 == 0 {
            println!(
                "frame {frame_number:>4}: {:>6} visible of {objects} in {} chunks (last frame: {})",
                instances.len(),
                parts.len(),
                joined.len(),
            );
        }
    }
    (frame.keep(instances).expect("in the frame"), parts)
}

fn main() -> Result<(), String> {
    let options = parse_options()?;
    let threads = rayon::ThreadPoolBuilder::new()
        .num_threads(options.threads)
        .build()
        .map_err(|error| error.to_string())?;
    let mut frames = FrameArenas::new(FrameConfig {
        name: "frame",
        budget_bytes: 4 << 20,
        // One worker per rayon thread: each thread holds one arena at a time.
        worker_count: options.threads,
        worker_budget_bytes: 1 << 20,
        ..FrameConfig::default()
    });
    let mut telemetry = Telemetry::new();
    let mut last = None;
    let start = std::time::Instant::now();
    for frame_number in 0..options.frames {
        telemetry.begin_frame(frame_number);
        last = Some(run_frame(&mut frames, &threads, options.objects, last));
        telemetry.record_frames(&frames);
        telemetry.end_frame();
    }
    let elapsed = start.elapsed();

    println!(
        "{} frames of {} objects on {} threads in {:.2} s (the single-threaded check included)",
        options.frames,
        options.objects,
        options.threads,
        elapsed.as_secs_f64(),
    );
    println!(
        "worker arenas in the last frame ({} workers, as the telemetry records them):",
        frames.worker_count()
    );
    for arena in telemetry
        .report()
        .arenas()
        .iter()
        .filter(|arena| arena.kind == ArenaKind::Worker)
    {
        println!(
            "  {:<16} used {:>7} B, high-water {:>7} B, committed {:>7} B, {:>3} allocations",
            arena.name,
            arena.used_bytes,
            arena.high_water_bytes,
            arena.committed_bytes,
            arena.allocation_count
        );
    }
    Ok(())
}
