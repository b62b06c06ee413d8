//! What one frame's memory looked like, arena by arena.

use std::fmt;
use std::io;
use std::sync::Arc;

/// Which lifetime an arena serves; a column of the [`MemoryReport`].
///
/// ```
/// use engine::ArenaKind;
/// assert_eq!(ArenaKind::GpuUpload.as_str(), "gpu_upload");
/// assert_eq!(ArenaKind::Frame.to_string(), "frame");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ArenaKind {
    /// A frame buffer of [`FrameArenas`](crate::FrameArenas), or any arena reset every
    /// frame.
    Frame,
    /// A worker arena of [`FrameArenas`](crate::FrameArenas).
    Worker,
    /// A scratch arena of [`FrameArenas`](crate::FrameArenas), lent by
    /// [`Frame::scratch`](crate::Frame::scratch). It is empty between frames, so its
    /// high-water bytes are what tell how much scratch the frames use.
    Scratch,
    /// A [`LevelArena`](crate::LevelArena).
    Level,
    /// An [`AssetArena`](crate::AssetArena).
    Asset,
    /// The ring of GPU upload memory.
    GpuUpload,
}

impl ArenaKind {
    /// The kind's name in CSV files and messages: `frame`, `worker`, `scratch`,
    /// `level`, `asset` or `gpu_upload`.
    ///
    /// ```
    /// assert_eq!(engine::ArenaKind::Level.as_str(), "level");
    /// ```
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            ArenaKind::Frame => "frame",
            ArenaKind::Worker => "worker",
            ArenaKind::Scratch => "scratch",
            ArenaKind::Level => "level",
            ArenaKind::Asset => "asset",
            ArenaKind::GpuUpload => "gpu_upload",
        }
    }
}

impl fmt::Display for ArenaKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One arena in one frame, as recorded by [`Telemetry`](crate::Telemetry).
///
/// ```
/// use engine::{Arena, ArenaKind, Telemetry};
///
/// let arena = Arena::with_capacity("scratch", 4096);
/// arena.alloc_slice_fill_copy(100, 0u8);
/// let mut telemetry = Telemetry::new();
/// telemetry.begin_frame(7);
/// telemetry.record_arena(ArenaKind::Frame, &arena, 0);
/// telemetry.end_frame();
/// let report = &telemetry.report().arenas()[0];
/// assert_eq!((&*report.name, report.frame_index, report.used_bytes), ("scratch", 7, 100));
/// assert_eq!(report.committed_bytes, 4096);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArenaReport {
    /// Which lifetime the arena serves.
    pub kind: ArenaKind,
    /// The frame this report belongs to.
    pub frame_index: u64,
    /// The arena's name (also the name of its Tracy memory pool).
    pub name: Arc<str>,
    /// Bytes in use when the frame was recorded, alignment padding included.
    pub used_bytes: usize,
    /// Bytes held from the system allocator.
    pub committed_bytes: usize,
    /// The most bytes the arena ever had in use at once.
    pub high_water_bytes: usize,
    /// Allocations since the arena's last reset.
    pub allocation_count: u64,
    /// Chunks taken from the system since the arena was last recorded. The first
    /// chunk an arena ever takes is its starting memory, not growth, and does not
    /// count.
    pub grow_events: u64,
    /// Bytes used over the arena's per-frame budget this frame (0 if none).
    pub overflow_bytes: usize,
    /// How many times the arena was reset, in all.
    pub reset_count: u64,
    /// The arena's budget, the use it is expected to stay within, if it has one
    /// ([`ArenaStats::budget_bytes`](crate::ArenaStats::budget_bytes)); for frame
    /// buffers and workers, the per-frame budget of their
    /// [`FrameConfig`](crate::FrameConfig).
    pub budget_bytes: Option<usize>,
    /// The arena's limit, the hard cap on its committed bytes, if it has one
    /// ([`ArenaStats::limit_bytes`](crate::ArenaStats::limit_bytes)).
    pub limit_bytes: Option<usize>,
    /// Trims since the arena was last recorded: times it gave memory back to the
    /// system ([`TrimPolicy`](crate::TrimPolicy), [`Arena::trim`](crate::Arena::trim)).
    pub trim_events: u64,
    /// Bytes those trims gave back.
    pub trimmed_bytes: u64,
}

/// Every arena's [`ArenaReport`] for one frame, from [`Telemetry::report`](crate::Telemetry::report).
///
/// [`Telemetry`](crate::Telemetry) reuses one `MemoryReport` frame after frame, so
/// once the arena list has been seen, recording a frame neither allocates nor
/// touches the names' reference counts.
///
/// ```
/// use engine::{ArenaKind, FrameArenas, LevelArena, Telemetry};
///
/// let mut frames = FrameArenas::new(Default::default());
/// let level = LevelArena::with_capacity("level", 1 << 16);
/// let mut telemetry = Telemetry::new();
/// for frame_index in 0..3 {
///     telemetry.begin_frame(frame_index);
///     frames.begin_frame().alloc_slice_fill_copy(1000, 0u8);
///     telemetry.record_frames(&frames);
///     telemetry.record_arena(ArenaKind::Level, level.arena(), 0);
///     telemetry.end_frame();
/// }
/// let report = telemetry.report();
/// assert_eq!(report.frame_index(), 2);
/// assert_eq!(report.arenas().len(), 3); // frame.a, frame.b, level
/// assert_eq!(report.arena("frame.a").unwrap().used_bytes, 1000); // frame 2's buffer
/// assert!(report.total_committed_bytes() >= 2 * (4 << 20) + (1 << 16));
/// ```
#[derive(Debug, Clone, Default)]
pub struct MemoryReport {
    frame_index: u64,
    /// This frame's entries, then (past `len`) entries of earlier frames, kept so
    /// that the next frames reuse their names.
    entries: Vec<ArenaReport>,
    len: usize,
}

impl PartialEq for MemoryReport {
    fn eq(&self, other: &Self) -> bool {
        self.frame_index == other.frame_index && self.arenas() == other.arenas()
    }
}

impl Eq for MemoryReport {}

impl MemoryReport {
    /// The header line of [`write_csv`](MemoryReport::write_csv)'s rows, without a
    /// line break.
    pub const CSV_HEADER: &'static str = "frame_index,kind,name,used_bytes,committed_bytes,high_water_bytes,allocation_count,grow_events,overflow_bytes,reset_count,budget_bytes,limit_bytes,trim_events,trimmed_bytes";

    /// The frame recorded.
    ///
    /// ```
    /// assert_eq!(engine::MemoryReport::default().frame_index(), 0);
    /// ```
    #[must_use]
    pub fn frame_index(&self) -> u64 {
        self.frame_index
    }

    /// One entry per arena, in the order they were recorded.
    ///
    /// ```
    /// assert!(engine::MemoryReport::default().arenas().is_empty());
    /// ```
    #[must_use]
    pub fn arenas(&self) -> &[ArenaReport] {
        &self.entries[..self.len]
    }

    /// Starts the report of frame `frame_index`, empty.
    pub(crate) fn begin(&mut self, frame_index: u64) {
        self.frame_index = frame_index;
        self.len = 0;
    }

    /// The next entry, for the arena called `name` in this frame: last frame's
    /// entry at this place when it was the same arena (the caller overwrites the
    /// other fields), so a steady frame clones no name.
    pub(crate) fn next_entry(&mut self, name: &Arc<str>) -> &mut ArenaReport {
        if self.len == self.entries.len() {
            self.entries.push(ArenaReport {
                kind: ArenaKind::Frame,
                frame_index: self.frame_index,
                name: Arc::clone(name),
                used_bytes: 0,
                committed_bytes: 0,
                high_water_bytes: 0,
                allocation_count: 0,
                grow_events: 0,
                overflow_bytes: 0,
                reset_count: 0,
                budget_bytes: None,
                limit_bytes: None,
                trim_events: 0,
                trimmed_bytes: 0,
            });
        }
        let entry = &mut self.entries[self.len];
        if !Arc::ptr_eq(&entry.name, name) {
            entry.name = Arc::clone(name);
        }
        entry.frame_index = self.frame_index;
        self.len += 1;
        entry
    }

    /// The report of the arena called `name`, if it was recorded this frame.
    ///
    /// ```
    /// let report = engine::MemoryReport::default();
    /// assert!(report.arena("frame.a").is_none());
    /// ```
    #[must_use]
    pub fn arena(&self, name: &str) -> Option<&ArenaReport> {
        self.arenas().iter().find(|arena| &*arena.name == name)
    }

    /// Bytes in use over all arenas.
    ///
    /// ```
    /// assert_eq!(engine::MemoryReport::default().total_used_bytes(), 0);
    /// ```
    #[must_use]
    pub fn total_used_bytes(&self) -> usize {
        self.arenas().iter().map(|arena| arena.used_bytes).sum()
    }

    /// Bytes held from the system over all arenas.
    ///
    /// ```
    /// assert_eq!(engine::MemoryReport::default().total_committed_bytes(), 0);
    /// ```
    #[must_use]
    pub fn total_committed_bytes(&self) -> usize {
        self.arenas()
            .iter()
            .map(|arena| arena.committed_bytes)
            .sum()
    }

    /// Writes one CSV row per arena (columns as in
    /// [`CSV_HEADER`](MemoryReport::CSV_HEADER), no header). A name that holds a
    /// comma, quote or line break is quoted; an absent budget or limit is an empty
    /// field.
    /// Formats straight into `out`: no allocation of its own.
    ///
    /// # Errors
    /// The errors of `out`.
    ///
    /// ```
    /// use engine::{Arena, ArenaKind, MemoryReport, Telemetry};
    ///
    /// let arena = Arena::with_limit("level, main", 1 << 20);
    /// arena.alloc(0u64);
    /// let mut telemetry = Telemetry::new();
    /// telemetry.begin_frame(3);
    /// telemetry.record_arena(ArenaKind::Level, &arena, 0);
    /// let mut csv = Vec::new();
    /// telemetry.report().write_csv(&mut csv).unwrap();
    /// assert_eq!(
    ///     String::from_utf8(csv).unwrap(),
    ///     "3,level,\"level, main\",8,4096,8,1,0,0,0,,1048576,0,0\n",
    /// );
    /// assert_eq!(MemoryReport::CSV_HEADER.split(',').count(), 14);
    /// ```
    pub fn write_csv(&self, out: &mut impl io::Write) -> io::Result<()> {
        for arena in self.arenas() {
            write!(out, "{},{},", arena.frame_index, arena.kind)?;
            write_csv_field(out, &arena.name)?;
            write!(
                out,
                ",{},{},{},{},{},{},{},",
                arena.used_bytes,
                arena.committed_bytes,
                arena.high_water_bytes,
                arena.allocation_count,
                arena.grow_events,
                arena.overflow_bytes,
                arena.reset_count,
            )?;
            if let Some(budget) = arena.budget_bytes {
                write!(out, "{budget}")?;
            }
            out.write_all(b",")?;
            if let Some(limit) = arena.limit_bytes {
                write!(out, "{limit}")?;
            }
            writeln!(out, ",{},{}", arena.trim_events, arena.trimmed_bytes)?;
        }
        Ok(())
    }
}

/// Writes `text` as one CSV field, quoted (RFC 4180) only when it has to be.
fn write_csv_field(out: &mut impl io::Write, text: &str) -> io::Result<()> {
    if !text.contains([',', '"', '\n', '\r']) {
        return out.write_all(text.as_bytes());
    }
    out.write_all(b"\"")?;
    for (index, part) in text.split('"').enumerate() {
        if index > 0 {
            out.write_all(b"\"\"")?;
        }
        out.write_all(part.as_bytes())?;
    }
    out.write_all(b"\"")
}
