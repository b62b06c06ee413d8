//! A game loop over the three memory lifetimes: two levels loaded in turn (level
//! arena + asset files), frames built from double-buffered frame arenas, and the
//! per-frame memory printed.
//!
//! ```text
//! cargo run -p engine --example game_loop -- --frames 240 --frames-per-level 60
//! ```
//!
//! Every frame is recorded by a [`Telemetry`]; `--telemetry-csv PATH` writes each
//! frame's [`MemoryReport`] there. With `--features tracy`, connect the Tracy 0.14
//! profiler: each arena is a memory pool and a plot, each frame a frame mark, and the
//! frame's phases are `tracing` spans (zones `frame`, `update`, `build_draws`,
//! `telemetry`, and `load_level` with the level as its text). The pools are `frame.a`,
//! `frame.b`, `frame.worker0.a`, `.b`, `frame.worker1.a`, `.b`, `level` and `assets`;
//! when the run ends the level and asset arenas are dropped and forgotten, so their
//! pools empty and their plots go to 0. `--wait-for-profiler SECONDS` waits for it
//! before the first frame; `--frame-budget BYTES` sets the frame arenas' budget (a
//! small one shows the overflow reports). `--spike-every N` makes every N-th frame
//! take 4 MiB more, in the frame and in a worker arena, and `--trim-within-frames N`
//! sets how soon the frame arenas give that memory back (`FrameConfig`'s 240 by
//! default): the pools drop again, and Tracy gets a message per trim.
//!
//! ```text
//! cargo run -p engine --example game_loop --features tracy -- --frames 100000 --wait-for-profiler 60
//! ```

#![forbid(unsafe_code)]

use engine::{
    ArenaKind, ArenaVec, AssetArena, AssetId, AssetKind, FrameArenas, FrameConfig, LevelArena,
    MemoryReport, Overflow, Telemetry, format_in, write_asset_file,
};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// One object of a level: loaded once, lives until the level unloads.
struct LevelObject {
    name: String,
    position: [f32; 2],
    velocity: [f32; 2],
}

/// A loaded level: its objects live in the level arena, its files in the asset arena.
struct Level<'a> {
    objects: &'a [LevelObject],
    mesh: AssetId,
    material: AssetId,
}

struct Options {
    frames: u64,
    frames_per_level: u64,
    print_every: u64,
    frame_budget: usize,
    wait_for_profiler: Option<u64>,
    telemetry_csv: Option<PathBuf>,
    spike_every: Option<u64>,
    trim_within_frames: Option<u32>,
}

/// What a spike frame takes, in the frame and in a worker arena.
const SPIKE_BYTES: usize = 4 << 20;

fn parse_options() -> Result<Options, String> {
    let mut options = Options {
        frames: 240,
        frames_per_level: 60,
        print_every: 30,
        frame_budget: 256 << 10,
        wait_for_profiler: None,
        telemetry_csv: None,
        spike_every: None,
        trim_within_frames: FrameConfig::default().trim_within_frames,
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
            "--frames-per-level" => options.frames_per_level = number("--frames-per-level")?.max(1),
            "--print-every" => options.print_every = number("--print-every")?.max(1),
            "--frame-budget" => options.frame_budget = number("--frame-budget")? as usize,
            "--spike-every" => options.spike_every = Some(number("--spike-every")?.max(1)),
            "--trim-within-frames" => {
                let frames = number("--trim-within-frames")?;
                options.trim_within_frames =
                    Some(u32::try_from(frames).map_err(|_| "--trim-within-frames: too big")?);
            }
            "--wait-for-profiler" => {
                options.wait_for_profiler = Some(number("--wait-for-profiler")?);
            }
            "--telemetry-csv" => {
                let path = args.next().ok_or("--telemetry-csv needs a path")?;
                options.telemetry_csv = Some(path.into());
            }
            "--help" | "-h" => {
                println!(
                    "usage: game_loop [--frames N] [--frames-per-level N] [--print-every N] \
                     [--frame-budget BYTES] [--wait-for-profiler SECONDS] [--telemetry-csv PATH] \
                     [--spike-every N] [--trim-within-frames N]"
                );
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument `{other}` (try --help)")),
        }
    }
    Ok(options)
}

/// Writes the two levels' asset files (a mesh and a material each).
fn write_assets(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    for level in 1..=2u32 {
        let vertices: Vec<f32> = (0..level * 96).map(|i| (i as f32).sin()).collect();
        write_asset_file(
            dir.join(format!("level{level}.mesh")),
            AssetKind::MESH,
            bytemuck::cast_slice(&vertices),
        )?;
        let tint = [0.2 * level as f32, 0.5, 1.0 / level as f32, 1.0];
        write_asset_file(
            dir.join(format!("level{level}.material")),
            AssetKind::MATERIAL,
            bytemuck::cast_slice(&tint),
        )?;
    }
    Ok(())
}

fn load_level<'a>(
    number: u32,
    arena: &'a LevelArena,
    assets: &mut AssetArena,
    dir: &Path,
) -> Result<Level<'a>, engine::AssetError> {
    // One zone name for every level: the number is the zone's text (see
    // `install_tracing`), so Tracy's statistics gather all loads under `load_level`.
    let _span = tracing::info_span!("load_level", level = number).entered();
    let mesh = assets.load(dir.join(format!("level{number}.mesh")))?;
    let material = assets.load(dir.join(format!("level{number}.material")))?;
    let count = 500 * number as usize;
    let objects = arena.alloc_slice_fill_with(count, |i| LevelObject {
        name: format!("level{number}-object{i}"),
        position: [(i % 50) as f32, (i / 50) as f32],
        velocity: [((i * 7) % 5) as f32 - 2.0, ((i * 3) % 5) as f32 - 2.0],
    });
    arena.seal();
    Ok(Level {
        objects,
        mesh,
        material,
    })
}

/// tracing-tracy's settings: a span's fields go into its zone's text, not its name,
/// so `load_level` is one zone whichever level it loads (the default names it
/// `load_level{level=1}`, one zone per level).
#[cfg(feature = "tracy")]
#[derive(Default)]
struct ZoneConfig(tracing_subscriber::fmt::format::DefaultFields);

#[cfg(feature = "tracy")]
impl tracing_tracy::Config for ZoneConfig {
    type Formatter = tracing_subscriber::fmt::format::DefaultFields;

    fn formatter(&self) -> &Self::Formatter {
        &self.0
    }

    fn format_fields_in_zone_name(&self) -> bool {
        false
    }
}

/// With the `tracy` feature, `tracing` spans become Tracy zones.
#[cfg(feature = "tracy")]
fn install_tracing() -> Result<(), Box<dyn std::error::Error>> {
    use tracing_subscriber::layer::SubscriberExt;
    let subscriber =
        tracing_subscriber::registry().with(tracing_tracy::TracyLayer::new(ZoneConfig::default()));
    tracing::subscriber::set_global_default(subscriber)?;
    Ok(())
}

#[cfg(not(feature = "tracy"))]
fn install_tracing() -> Result<(), Box<dyn std::error::Error>> {
    Ok(())
}

/// The last frame that went over budget and how many did, the last frame included:
/// [`FrameArenas::last_overflow`] counts a frame when the next one begins, so after
/// the loop it has not counted the last.
fn over_budget(frames: &FrameArenas) -> (Option<Overflow>, u64) {
    let (mut overflow, mut count) = frames.last_overflow();
    let last = frames.stats();
    let counted = overflow.is_some_and(|counted| counted.frame_index == last.frame_index);
    if last.overflow_bytes > 0 && !counted {
        count += 1;
        overflow = Some(Overflow {
            frame_index: last.frame_index,
            bytes_over: last.overflow_bytes,
        });
    }
    (overflow, count)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let options = parse_options()?;
    install_tracing()?;
    if let Some(seconds) = options.wait_for_profiler
        && !engine::telemetry::wait_for_profiler(Duration::from_secs(seconds))
    {
        return Err(format!("no Tracy profiler connected within {seconds} s").into());
    }
    let mut telemetry = Telemetry::new();
    let mut telemetry_csv = match &options.telemetry_csv {
        Some(path) => {
            let mut file = std::io::BufWriter::new(std::fs::File::create(path)?);
            writeln!(file, "{}", MemoryReport::CSV_HEADER)?;
            Some(file)
        }
        None => None,
    };
    let asset_dir: PathBuf =
        std::env::temp_dir().join(format!("game-loop-assets-{}", std::process::id()));
    write_assets(&asset_dir)?;

    let mut frames = FrameArenas::new(FrameConfig {
        budget_bytes: options.frame_budget,
        worker_count: 2,
        worker_budget_bytes: 64 << 10,
        trim_within_frames: options.trim_within_frames,
        ..FrameConfig::default()
    });
    let mut level_arena = LevelArena::with_capacity("level", 256 << 10);
    let mut assets = AssetArena::with_limit("assets", 16 << 20);
    let assets_before_levels = assets.mark();

    let mut frame_number = 0;
    let mut level_number = 1;
    while frame_number < options.frames {
        let level = load_level(level_number, &level_arena, &mut assets, &asset_dir)?;
        println!(
            "loaded level {level_number}: {} objects, {} assets, level arena {} bytes",
            level.objects.len(),
            assets.len(),
            level_arena.stats().used_bytes
        );
        let mut last_positions = None;
        let level_end = (frame_number + options.frames_per_level).min(options.frames);
        while frame_number < level_end {
            let frame_span = tracing::info_span!("frame").entered();
            telemetry.begin_frame(frame_number);
            let frame = frames.begin_frame();
            if options
                .spike_every
                .is_some_and(|every| frame_number % every == every - 1)
            {
                frame.alloc_slice_fill_copy(SPIKE_BYTES, 1u8);
                frame
                    .workers()
                    .acquire()
                    .alloc_slice_fill_copy(SPIKE_BYTES, 2u8);
            }
            let time = frame.index() as f32 / 60.0;
            let update = tracing::info_span!("update").entered();
            // Move every object; keep the positions for the next frame.
            let positions = frame.alloc_slice_fill_with(level.objects.len(), |i| {
                let object = &level.objects[i];
                [
                    object.position[0] + object.velocity[0] * time,
                    object.position[1] + object.velocity[1] * time,
                ]
            });
            let previous = last_positions.and_then(|kept| frame.previous(kept));
            drop(update);
            let build_draws = tracing::info_span!("build_draws").entered();
            // Cull: what is inside a 40x40 view, moving with time.
            let view_x = (time * 3.0) % 40.0;
            let mut visible = ArenaVec::new_in(frame.arena());
            visible.extend(
                positions
                    .iter()
                    .enumerate()
                    .filter(|(_, p)| p[0] >= view_x && p[0] < view_x + 40.0 && p[1].abs() < 40.0)
                    .map(|(index, _)| index as u32),
            );
            // Sort by depth (y), front to back.
            let mut keys = ArenaVec::with_capacity_in(visible.len(), frame.arena());
            keys.extend(visible.iter().map(|&index| {
                let depth = positions[index as usize][1].to_bits() as u64;
                (depth << 32) | index as u64
            }));
            keys.sort_unstable();
            drop(build_draws);
            let mesh_bytes = assets.get(level.mesh).len();
            let tint: &[f32] = assets.get_pod(level.material)?;
            let moved = previous.map_or(0, |previous| {
                previous
                    .iter()
                    .zip(positions.iter())
                    .filter(|(a, b)| a != b)
                    .count()
            });
            let label = frame.alloc_str(level.objects[0].name.as_str());
            if frame_number % options.print_every == 0 {
                // The frame's own arena stats: `frames.stats()` would need the
                // frame's borrow to end first.
                let stats = frame.stats();
                let line = format_in!(
                    frame.arena(),
                    "frame {:>5} level {level_number} ({label}): visible {:>4} moved {:>4} mesh {mesh_bytes} B tint {:.1} | frame {} B in {} allocs, high-water {} B, committed {} B | level {} B (+{} after load) | assets {} B",
                    frame.index(),
                    keys.len(),
                    moved,
                    tint[0],
                    stats.used_bytes,
                    stats.allocation_count,
                    stats.high_water_bytes,
                    stats.committed_bytes,
                    level_arena.stats().used_bytes,
                    level_arena.growth_bytes(),
                    assets.stats().used_bytes,
                );
                println!("{line}");
            }
            last_positions = frame.keep(positions);
            drop((visible, keys));
            let report = tracing::info_span!("telemetry").entered();
            telemetry.record_frames(&frames);
            telemetry.record_arena(ArenaKind::Level, level_arena.arena(), 0);
            telemetry.record_arena(ArenaKind::Asset, assets.arena(), 0);
            telemetry.end_frame();
            if let Some(csv) = telemetry_csv.as_mut() {
                telemetry.report().write_csv(csv)?;
            }
            drop(report);
            drop(frame_span);
            frame_number += 1;
        }
        let unloaded = level_arena.unload();
        let released = assets.release_to(assets_before_levels)?;
        println!(
            "unloaded level {level_number}: {} destructors, {} level bytes, {} assets ({} bytes) released",
            unloaded.destructors_run,
            unloaded.bytes_freed,
            released.assets.len(),
            released.bytes
        );
        level_number = 3 - level_number;
    }
    // The run is over: the level and its assets go, and the telemetry forgets them
    // (their Tracy pools empty, their plots go to 0).
    drop(level_arena);
    drop(assets);
    telemetry.forget_arena("level");
    telemetry.forget_arena("assets");
    let (overflow, overflow_count) = over_budget(&frames);
    println!(
        "done: {} frames, {overflow_count} over budget{}",
        options.frames,
        overflow.map_or(String::new(), |o| format!(" (last: {o})"))
    );
    if let Some(mut csv) = telemetry_csv {
        csv.flush()?;
    }
    std::fs::remove_dir_all(&asset_dir)?;
    Ok(())
}
