//! The picture of a run's memory: used bytes per arena per frame, with each arena's
//! budget as a dashed line, drawn as SVG (`--chart`).

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

/// Every arena's used bytes frame by frame, gathered from the telemetry's
/// [`MemoryReport`](engine::MemoryReport)s, to draw at the end of a run.
#[derive(Debug, Default)]
pub struct MemoryHistory {
    series: BTreeMap<String, Series>,
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
    }

    /// Draws the history as an SVG chart at `out`.
    ///
    /// # Errors
    /// Nothing recorded, or the file cannot be written.
    pub fn write_svg(&self, out: &Path, title: &str) -> Result<(), String> {
        write_chart(&self.series, out, title)
    }
}

/// Draws one line per arena, and its budget dashed, as an SVG chart at `out`.
fn write_chart(series: &BTreeMap<String, Series>, out: &Path, title: &str) -> Result<(), String> {
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
        .y_desc("KiB used (log scale)")
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
    fn refuses_to_draw_nothing() {
        let out = std::env::temp_dir().join("never-written.svg");
        let error = MemoryHistory::default()
            .write_svg(&out, "memory")
            .unwrap_err();
        assert!(error.contains("no frames"), "{error}");
    }
}
