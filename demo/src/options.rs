//! Command-line options (hand-parsed: a dozen flags do not need a parser crate).

use std::path::PathBuf;

/// `--help` text.
pub const USAGE: &str = "\
frame-memory demo: every transient byte of a frame comes from an arena.

USAGE:
    demo [OPTIONS]

OPTIONS:
    --headless             Render offscreen, no window (also the fallback without a display)
    --frames N             Exit after N frames (headless default: 120; windowed: run until closed)
    --size WxH             Window or offscreen size in pixels [default: 1280x720]
    --screenshot FILE      Headless: write the last frame as a PNG
    --stats FILE           Write per-frame memory statistics as CSV
    --chart FILE           At exit, draw each arena's memory per frame, with budgets, and
                           what the frame arenas hold, with their trims, as SVG
    --objects N            Objects per level [default: 100000 on a GPU, 20000 on a software renderer]
    --level N              Start in level N (1-based) [default: 1]
    --assets DIR           Asset directory holding levels/ [default: the demo's assets/]
    --frame-budget BYTES   Frame arena budget per frame [default: 8388608]
    --threads N            Threads that build each frame, the render thread included;
                           1 builds it on the render thread alone [default: the cores]
    --switch-every N       Switch to the next level every N frames (for tests)
    --spike-every N        Throw a debris burst every N frames (frames N-1, 2N-1, ...): one
                           frame with 16 times its usual draw data, and at least twice
                           the frame budget, so that it overflows (key B does it once)
    --trim-within-frames N
                           After a burst, the frame arenas give the extra memory back
                           within N frames (at least 4) [default: 240]
    --resize-every N       Windowed: resize the window every N frames, minimizing included (for tests)
    --autopilot            Let the camera drift by itself (the headless default)
    --no-autopilot         Keep the camera still unless moved (the windowed default)
    --no-overlay           Hide the statistics overlay and its memory graph
    --no-vsync             Present without waiting for vertical sync
    --bake-levels          Write the level asset files from their definitions and exit
    -h, --help             Show this help

KEYS (windowed):
    W A S D / arrows       Move the camera
    Q / E  (or - / =)      Zoom out / in
    1, 2, ...              Switch to level 1, 2, ...
    Tab                    Next level
    B                      Throw a debris burst (one frame far over budget)
    P                      Toggle the camera autopilot
    O                      Toggle the overlay
    R                      Reset the camera
    Escape                 Quit
";

/// Everything the demo can be told.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// Offscreen instead of a window.
    pub headless: bool,
    /// Frame limit.
    pub frames: Option<u64>,
    /// Width and height in pixels.
    pub size: (u32, u32),
    /// PNG of the last headless frame.
    pub screenshot: Option<PathBuf>,
    /// Per-frame CSV.
    pub stats: Option<PathBuf>,
    /// SVG chart of every arena's memory per frame.
    pub chart: Option<PathBuf>,
    /// Objects per level (`None`: decided by the adapter).
    pub objects: Option<usize>,
    /// Starting level, 0-based.
    pub level: usize,
    /// Directory holding `levels/`.
    pub assets: PathBuf,
    /// Frame arena budget.
    pub frame_budget: usize,
    /// Scripted level switches.
    pub switch_every: Option<u64>,
    /// Scripted window resizes.
    pub resize_every: Option<u64>,
    /// Scripted debris bursts: frames `N - 1`, `2N - 1`, ... are burst frames.
    pub spike_every: Option<u64>,
    /// How soon the frame arenas give a burst's memory back
    /// ([`FrameConfig::trim_within_frames`](engine::FrameConfig::trim_within_frames)).
    pub trim_within_frames: u32,
    /// Camera autopilot (`None`: on headless, off windowed).
    pub autopilot: Option<bool>,
    /// Statistics overlay.
    pub overlay: bool,
    /// Wait for vertical sync.
    pub vsync: bool,
    /// Threads that build each frame (the render thread and `threads - 1` more);
    /// 1: the render thread alone, with no worker arenas.
    pub threads: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            headless: false,
            frames: None,
            size: (1280, 720),
            screenshot: None,
            stats: None,
            chart: None,
            objects: None,
            level: 0,
            assets: default_assets_dir(),
            frame_budget: 8 << 20,
            switch_every: None,
            resize_every: None,
            spike_every: None,
            trim_within_frames: engine::TrimPolicy::DEFAULT.within_resets,
            autopilot: None,
            overlay: true,
            vsync: true,
            threads: std::thread::available_parallelism().map_or(1, usize::from),
        }
    }
}

/// The demo's `assets/` directory in the source tree.
#[must_use]
pub fn default_assets_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/assets"))
}

/// What to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Run the demo.
    Run(Options),
    /// Print [`USAGE`].
    Help,
    /// Bake the level files into `<assets>/levels`.
    BakeLevels(PathBuf),
}

fn number<T: std::str::FromStr>(flag: &str, value: Option<String>) -> Result<T, String> {
    let value = value.ok_or_else(|| format!("{flag} needs a value"))?;
    value
        .parse()
        .map_err(|_| format!("{flag}: '{value}' is not a valid number"))
}

/// The smallest `--trim-within-frames`: a frame buffer is reset two frames after its
/// frame and then every other frame, so the engine treats anything less as 4, and
/// the demo would promise a bound it cannot keep.
pub const MIN_TRIM_WITHIN_FRAMES: u32 = 4;

fn positive(flag: &str, value: Option<String>) -> Result<u64, String> {
    let n: u64 = number(flag, value)?;
    if n == 0 {
        return Err(format!("{flag} must be at least 1"));
    }
    Ok(n)
}

/// Parses the arguments (without the program name).
///
/// # Errors
/// A message naming the flag that is unknown, missing its value or malformed.
///
/// ```
/// use demo::options::{parse, Command};
/// let Command::Run(options) = parse(["--headless", "--size", "256x256", "--frames", "10"].map(String::from)).unwrap() else { panic!() };
/// assert_eq!((options.headless, options.size, options.frames), (true, (256, 256), Some(10)));
/// assert!(parse(["--size", "big"].map(String::from)).is_err());
/// ```
pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Command, String> {
    let mut options = Options::default();
    let mut bake = false;
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "-h" | "--help" => return Ok(Command::Help),
            "--headless" => options.headless = true,
            "--frames" => options.frames = Some(positive(&arg, args.next())?),
            "--size" => {
                let value = args.next().ok_or("--size needs a value like 1280x720")?;
                let parsed = value
                    .split_once(['x', 'X'])
                    .and_then(|(w, h)| Some((w.parse::<u32>().ok()?, h.parse::<u32>().ok()?)))
                    .filter(|&(w, h)| (1..=16384).contains(&w) && (1..=16384).contains(&h));
                options.size = parsed.ok_or_else(|| {
                    format!("--size: '{value}' is not WIDTHxHEIGHT (1..=16384 each)")
                })?;
            }
            "--screenshot" => {
                options.screenshot = Some(args.next().ok_or("--screenshot needs a file")?.into())
            }
            "--stats" => options.stats = Some(args.next().ok_or("--stats needs a file")?.into()),
            "--chart" => options.chart = Some(args.next().ok_or("--chart needs a file")?.into()),
            "--objects" => options.objects = Some(number(&arg, args.next())?),
            "--level" => options.level = positive(&arg, args.next())? as usize - 1,
            "--assets" => options.assets = args.next().ok_or("--assets needs a directory")?.into(),
            "--frame-budget" => options.frame_budget = positive(&arg, args.next())? as usize,
            "--threads" => options.threads = positive(&arg, args.next())? as usize,
            "--switch-every" => options.switch_every = Some(positive(&arg, args.next())?),
            "--resize-every" => options.resize_every = Some(positive(&arg, args.next())?),
            "--spike-every" => options.spike_every = Some(positive(&arg, args.next())?),
            "--trim-within-frames" => {
                let frames: u64 = number(&arg, args.next())?;
                options.trim_within_frames = u32::try_from(frames)
                    .ok()
                    .filter(|&frames| frames >= MIN_TRIM_WITHIN_FRAMES)
                    .ok_or_else(|| {
                        format!(
                            "--trim-within-frames must be {MIN_TRIM_WITHIN_FRAMES}..={} \
                             (a frame buffer is reset every other frame, so fewer than \
                             {MIN_TRIM_WITHIN_FRAMES} cannot be kept)",
                            u32::MAX
                        )
                    })?;
            }
            "--autopilot" => options.autopilot = Some(true),
            "--no-autopilot" => options.autopilot = Some(false),
            "--no-overlay" => options.overlay = false,
            "--no-vsync" => options.vsync = false,
            "--bake-levels" => bake = true,
            other => return Err(format!("unknown option '{other}' (see --help)")),
        }
    }
    if bake {
        return Ok(Command::BakeLevels(options.assets.join("levels")));
    }
    if options.objects.is_some_and(|n| n > u32::MAX as usize) {
        return Err("--objects must fit in 32 bits".into());
    }
    Ok(Command::Run(options))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str]) -> Result<Options, String> {
        match parse(args.iter().map(|arg| (*arg).to_owned()))? {
            Command::Run(options) => Ok(options),
            other => panic!("{args:?} parsed as {other:?}"),
        }
    }

    #[test]
    fn spikes_and_trimming_have_flags() {
        let options = run(&["--spike-every", "60", "--trim-within-frames", "30"]).unwrap();
        assert_eq!(
            (options.spike_every, options.trim_within_frames),
            (Some(60), 30)
        );
        let defaults = run(&[]).unwrap();
        assert_eq!(defaults.spike_every, None);
        assert_eq!(
            Some(defaults.trim_within_frames),
            engine::FrameConfig::default().trim_within_frames
        );
    }

    #[test]
    fn bad_spike_and_trim_values_are_refused_with_the_flag_named() {
        for args in [
            &["--spike-every", "0"][..],
            &["--spike-every", "often"],
            &["--spike-every"],
            &["--trim-within-frames", "3"],
            &["--trim-within-frames", "0"],
            &["--trim-within-frames", "4294967296"],
            &["--trim-within-frames", "-5"],
            &["--trim-within-frames"],
        ] {
            let error = run(args).expect_err("refused");
            assert!(error.contains(args[0]), "{args:?}: {error}");
        }
        assert_eq!(
            run(&["--trim-within-frames", "4"])
                .unwrap()
                .trim_within_frames,
            4
        );
    }
}
