//! `cargo run --release -p demo -- --help`

#![forbid(unsafe_code)]

use demo::alloc_counter::{COUNTING, CountingAllocator};
use demo::options::{self, Command};
use std::process::ExitCode;

#[global_allocator]
static GLOBAL: CountingAllocator = COUNTING;

/// tracing-tracy's settings: a span's fields go into its zone's text, not its name,
/// so `load_level` is one zone whichever level it loads (the default names it
/// `load_level{level=meadow}`, one zone per level).
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

/// With the `tracy` feature, the frame's `tracing` spans become Tracy zones.
#[cfg(feature = "tracy")]
fn install_tracing() {
    use tracing_subscriber::layer::SubscriberExt;
    let subscriber =
        tracing_subscriber::registry().with(tracing_tracy::TracyLayer::new(ZoneConfig::default()));
    if let Err(error) = tracing::subscriber::set_global_default(subscriber) {
        eprintln!("warning: Tracy zones are off: {error}");
    }
}

#[cfg(not(feature = "tracy"))]
fn install_tracing() {}

fn main() -> ExitCode {
    install_tracing();
    let command = match options::parse(std::env::args().skip(1)) {
        Ok(command) => command,
        Err(message) => {
            eprintln!("error: {message}\n\n{}", options::USAGE);
            return ExitCode::from(2);
        }
    };
    let result = match command {
        Command::Help => {
            print!("{}", options::USAGE);
            Ok(())
        }
        Command::BakeLevels(dir) => demo::scene::level_defs::bake_levels(&dir)
            .map(|()| println!("wrote levels to {}", dir.display()))
            .map_err(|source| demo::DemoError::Io { path: dir, source }),
        Command::Run(options) if options.headless => {
            demo::headless::run(&options, |_, _| {}).map(|summary| summary.print())
        }
        Command::Run(options) => demo::app::run(&options).map(|summary| {
            if !summary.fell_back_to_headless {
                println!(
                    "presented {} frames ({} surface reconfigurations)",
                    summary.frames, summary.reconfigures
                );
            }
        }),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
