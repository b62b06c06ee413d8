//! The picture of a run's memory: used bytes per arena per frame, with each arena's
//! budget as a dashed line, and the bytes all frame arenas hold from the system as a
//! thick line with a marker at each trim (where it drops back after a burst), drawn
//! as SVG (`--chart`).

use engine::ArenaKind;
use plotters::prelude::*;
use std::collections::BTreeMap;
use std::path::Path;

/// One arena's history.
#[derive(Debug, Default, PartialEq)]
struct Series {
    /// `(frame_index, used_bytes)`, in frame order.
    used: Vec<(u64, u64)>,
    budget_bytes: Option<u64>,
}

/// The frame arenas together (buffers, workers, scratch): what they hold from the
/// system, and their trims.
#[derive(Debug, Default, PartialEq)]
struct FrameArenasSeries {
    /// `(frame_index, committed_bytes)`, in frame order.
    committed: Vec<(u64, u64)>,
    /// `(frame_index, committed_bytes after)` for each frame in which an arena
    /// trimmed.
    trims: Vec<(u64, u64)>,
}

/// Every arena's used bytes frame by frame, gathered from the telemetry's
/// [`MemoryReport`](engine::MemoryReport)s, to draw at the end of a run.
#[derive(Debug, Default)]
pub struct MemoryHistory {
    series: BTreeMap<String, Series>,
    frame_arenas: FrameArenasSeries,
}

/// Whether an arena of `kind` is one of the frame arenas.
fn is_frame_arena(kind: ArenaKind) -> bool {
    matches!(
        kind,
        ArenaKind::Frame | ArenaKind::Worker | ArenaKind::Scratch
    )
}

impl MemoryHistory {
    /// Adds one frame's report. Allocates as the history grows: call it outside the
    /// frame's measured work.
    pub fn record(&mut self, report: &engine::MemoryReport) {
        for arena in report.arenas() {
            let series = match self.series.get_mut(&*arena.name) {
                Some(series) => series,
                None => self.series.entry(arena.name.to_string()).or_default(),
            };
            series
                .used
                .push((arena.frame_index, arena.used_bytes as u64));
            series.budget_bytes = arena.budget_bytes.map(|budget| budget as u64);
        }
        let frame_arenas = report
            .arenas()
            .iter()
            .filter(|arena| is_frame_arena(arena.kind));
        let (committed, trims) = frame_arenas.fold((0u64, 0u64), |(committed, trims), arena| {
            (
                committed + arena.committed_bytes as u64,
                trims + arena.trim_events,
            )
        });
        let frame_index = report.frame_index();
        self.frame_arenas.committed.push((frame_index, committed));
        if trims > 0 {
            self.frame_arenas.trims.push((frame_index, committed));
        }
    }

    /// Draws the history as an SVG chart at `out`.
    ///
    /// # Errors
    /// Nothing recorded, or the file cannot be written.
    pub fn write_svg(&self, out: &Path, title: &str) -> Result<(), String> {
        write_chart(&self.series, &self.frame_arenas, out, title)
    }
}

/// Draws one line per arena, and its budget dashed, and the frame arenas' committed
/// bytes with their trims, as an SVG chart at `out`.
fn write_chart(
    series: &BTreeMap<String, Series>,
    frame_arenas: &FrameArenasSeries,
    out: &Path,
    title: &str,
) -> Result<(), String> {
    if series.is_empty() {
        return Err("no frames were recorded: nothing to draw".into());
    }
    let last_frame = series
        .values()
        .flat_map(|s| s.used.iter().map(|&(frame, _)| frame))
        .max()
        .unwrap_or(0);
    let top_bytes = series
        .values()
        .flat_map(|s| s.used.iter().map(|&(_, used)| used).chain(s.budget_bytes))
        .chain(
            frame_arenas
                .committed
                .iter()
                .map(|&(_, committed)| committed),
        )
        .max()
        .unwrap_or(1)
        .max(1);
    // A log scale: the arenas span bytes to tens of MiB (the GPU ring's budget), and
    // a linear axis would flatten all but the biggest. Empty arenas sit on the floor.
    let floor_kib = 0.5;
    let to_kib = |bytes: u64| (bytes as f64 / 1024.0).max(floor_kib);
    let root = SVGBackend::new(out, (960, 540)).into_drawing_area();
    let fail = |error: &dyn std::fmt::Display| format!("drawing {}: {error}", out.display());
    root.fill(&WHITE).map_err(|e| fail(&e))?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 22))
        .margin(16)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d(
            0u64..last_frame.max(1),
            (floor_kib..to_kib(top_bytes) * 2.0).log_scale(),
        )
        .map_err(|e| fail(&e))?;
    chart
        .configure_mesh()
        .x_desc("frame")
        .y_desc("KiB (log scale)")
        .draw()
        .map_err(|e| fail(&e))?;
    for (index, (name, arena)) in series.iter().enumerate() {
        let color = Palette99::pick(index).to_rgba();
        chart
            .draw_series(LineSeries::new(
                arena
                    .used
                    .iter()
                    .map(|&(frame, used)| (frame, to_kib(used))),
                color.stroke_width(2),
            ))
            .map_err(|e| fail(&e))?
            .label(name.as_str())
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 16, y)], color.stroke_width(2)));
        if let Some(budget) = arena.budget_bytes {
            let level = to_kib(budget);
            chart
                .draw_series(DashedLineSeries::new(
                    [(0, level), (last_frame, level)],
                    6,
                    4,
                    color.stroke_width(1),
                ))
                .map_err(|e| fail(&e))?
                .label(format!("{name} budget"))
                .legend(move |(x, y)| {
                    PathElement::new([(x, y), (x + 16, y)], color.stroke_width(1))
                });
        }
    }
    // What the frame arenas hold: it rises when a burst makes them grow and drops
    // back at the trims, each marked with a triangle.
    if !frame_arenas.committed.is_empty() {
        let committed_style = BLACK.stroke_width(3);
        chart
            .draw_series(LineSeries::new(
                frame_arenas
                    .committed
                    .iter()
                    .map(|&(frame, committed)| (frame, to_kib(committed))),
                committed_style,
            ))
            .map_err(|e| fail(&e))?
            .label("frame arenas committed")
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 16, y)], committed_style));
    }
    if !frame_arenas.trims.is_empty() {
        let trim_style = GREEN.mix(0.9).filled();
        chart
            .draw_series(frame_arenas.trims.iter().map(|&(frame, committed)| {
                TriangleMarker::new((frame, to_kib(committed)), 7, trim_style)
            }))
            .map_err(|e| fail(&e))?
            .label("trim (frame arenas give memory back)")
            .legend(move |(x, y)| TriangleMarker::new((x + 8, y), 5, trim_style));
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()
        .map_err(|e| fail(&e))?;
    root.present().map_err(|e| fail(&e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use engine::{Arena, ArenaKind, FrameArenas, FrameConfig, Telemetry};

    #[test]
    fn draws_every_arena_and_each_budget_from_the_telemetry() {
        let mut frames = FrameArenas::new(FrameConfig {
            budget_bytes: 2048,
            ..FrameConfig::default()
        });
        let level = Arena::with_capacity("level, one", 8192);
        level.alloc_slice_fill_copy(50, 0u8);
        let mut telemetry = Telemetry::new();
        let mut history = MemoryHistory::default();
        for frame_index in 0..4 {
            telemetry.begin_frame(frame_index);
            frames
                .begin_frame()
                .alloc_slice_fill_copy(100 * (frame_index as usize + 1), 0u8);
            telemetry.record_frames(&frames);
            telemetry.record_arena(ArenaKind::Level, &level, 0);
            history.record(telemetry.report());
        }
        assert_eq!(
            history.series["frame.b"].used,
            vec![(0, 0), (1, 200), (2, 200), (3, 400)]
        );
        assert_eq!(history.series["frame.a"].budget_bytes, Some(2048));
        assert_eq!(history.series["level, one"].budget_bytes, None);

        let out = std::env::temp_dir().join(format!("chart-test-{}.svg", std::process::id()));
        history.write_svg(&out, "memory").unwrap();
        let svg = std::fs::read_to_string(&out).unwrap();
        std::fs::remove_file(&out).unwrap();
        assert!(svg.starts_with("<svg"));
        for label in ["frame.a", "frame.b", "level, one", "frame.a budget"] {
            assert!(svg.contains(label), "the legend lacks {label}");
        }
        assert!(!svg.contains("level, one budget"));
    }

    #[test]
    fn draws_the_frame_arenas_committed_bytes_and_marks_their_trims() {
        let budget = 64 << 10;
        let mut frames = FrameArenas::new(FrameConfig {
            budget_bytes: budget,
            trim_within_frames: Some(8),
            ..FrameConfig::default()
        });
        let mut telemetry = Telemetry::new();
        let mut history = MemoryHistory::default();
        for frame_index in 0..20 {
            telemetry.begin_frame(frame_index);
            let bytes = if frame_index == 5 { 1 << 20 } else { 1000 };
            frames.begin_frame().alloc_slice_fill_copy(bytes, 0u8);
            telemetry.record_frames(&frames);
            history.record(telemetry.report());
        }
        let committed = &history.frame_arenas.committed;
        assert_eq!(committed.len(), 20);
        let before = committed[4].1;
        // A chunk of 1 MiB beside the budget's (chunked backing), or the budget's
        // range committed up to 1 MiB (reserved backing).
        assert!(
            committed[5].1 + budget as u64 >= before + (1 << 20),
            "the spike's growth"
        );
        assert_eq!(committed[19].1, before, "given back");
        let trims = &history.frame_arenas.trims;
        assert!(!trims.is_empty());
        assert!(trims.iter().all(|&(frame, _)| frame > 5 && frame <= 5 + 8));
        assert_eq!(
            trims.last().unwrap().1,
            before,
            "marked where the line lands"
        );

        let out = std::env::temp_dir().join(format!("chart-trim-{}.svg", std::process::id()));
        history.write_svg(&out, "memory").unwrap();
        let svg = std::fs::read_to_string(&out).unwrap();
        std::fs::remove_file(&out).unwrap();
        for label in [
            "frame arenas committed",
            "trim (frame arenas give memory back)",
        ] {
            assert!(svg.contains(label), "the legend lacks {label}");
        }
    }

    #[test]
    fn refuses_to_draw_nothing() {
        let out = std::env::temp_dir().join("never-written.svg");
        let error = MemoryHistory::default()
            .write_svg(&out, "memory")
            .unwrap_err();
        assert!(error.contains("no frames"), "{error}");
    }
}
