//! Growth after load: what a level allocates once loading is over, by call site.

use std::fmt;
use std::panic::Location;
use std::sync::Arc;

/// Bytes allocated from one call site after the level was sealed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GrowthSite {
    /// Where the allocation was made (`#[track_caller]`).
    pub location: &'static Location<'static>,
    /// Bytes allocated there since the seal, alignment padding included.
    pub bytes: usize,
    /// Allocations made there since the seal.
    pub allocations: u64,
}

/// What a [`LevelArena`](crate::LevelArena) allocated after
/// [`seal`](crate::LevelArena::seal), largest call site first. A level whose report
/// keeps growing during play leaks memory until it unloads.
///
/// ```
/// let level = engine::LevelArena::new("level-1");
/// level.alloc(String::from("loaded"));
/// level.seal();
/// for _ in 0..3 {
///     level.alloc([0u64; 8]); // growth during play
/// }
/// let report = level.growth_report();
/// assert_eq!(report.total_bytes, 3 * 64);
/// assert_eq!(report.sites[0].allocations, 3);
/// assert!(report.to_string().contains(file!()));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrowthReport {
    /// Name of the level arena.
    pub arena: Arc<str>,
    /// All bytes used since the seal, including those allocated through
    /// [`LevelArena::arena`](crate::LevelArena::arena), which has no call site.
    pub total_bytes: usize,
    /// Bytes by call site, largest first.
    pub sites: Vec<GrowthSite>,
}

impl GrowthReport {
    /// Bytes allocated since the seal that no call site accounts for (made through
    /// [`LevelArena::arena`](crate::LevelArena::arena)).
    ///
    /// ```
    /// let level = engine::LevelArena::new("l");
    /// level.seal();
    /// level.arena().alloc(0u32);
    /// assert_eq!(level.growth_report().untracked_bytes(), 4);
    /// ```
    #[must_use]
    pub fn untracked_bytes(&self) -> usize {
        self.total_bytes
            .saturating_sub(self.sites.iter().map(|site| site.bytes).sum())
    }
}

impl fmt::Display for GrowthReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "level arena `{}`: {} bytes allocated after load",
            self.arena, self.total_bytes
        )?;
        for site in &self.sites {
            writeln!(
                f,
                "{:>12} bytes {:>8} allocs  {}",
                site.bytes, site.allocations, site.location
            )?;
        }
        let untracked = self.untracked_bytes();
        if untracked > 0 {
            writeln!(
                f,
                "{untracked:>12} bytes           untracked (LevelArena::arena)"
            )?;
        }
        Ok(())
    }
}
