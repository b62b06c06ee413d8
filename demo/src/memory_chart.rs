//! The picture of a run's memory: used bytes per arena per frame, with each arena's
//! budget as a dashed line, drawn as SVG from the `--stats` CSV.

use plotters::prelude::*;
use std::collections::BTreeMap;
use std::path::Path;

/// One arena's history, read from the CSV.
#[derive(Debug, Default, PartialEq)]
struct Series {
    /// `(frame_index, used_bytes)`, in file order.
    used: Vec<(u64, u64)>,
    budget_bytes: Option<u64>,
}

/// Reads the rows of [`engine::MemoryReport::write_csv`] (after its header) into one
/// series per arena, in name order.
fn read_series(csv: &str) -> Result<BTreeMap<String, Series>, String> {
    let mut series: BTreeMap<String, Series> = BTreeMap::new();
    let mut lines = csv.lines().enumerate();
    match lines.next() {
        Some((_, header)) if header == engine::MemoryReport::CSV_HEADER => {}
        other => {
            return Err(format!(
                "line 1: expected the header `{}`, found {:?}",
                engine::MemoryReport::CSV_HEADER,
                other.map(|(_, line)| line)
            ));
        }
    }
    for (index, line) in lines {
        let fields = split_csv_line(line);
        let column = |at: usize| -> Result<&str, String> {
            fields
                .get(at)
                .map(String::as_str)
                .ok_or(format!("line {}: only {} fields", index + 1, fields.len()))
        };
        let number = |at: usize| -> Result<u64, String> {
            let text = column(at)?;
            text.parse()
                .map_err(|_| format!("line {}: field {} `{text}` is not a number", index + 1, at + 1))
        };
        let entry = series.entry(column(2)?.to_owned()).or_default();
        entry.used.push((number(0)?, number(3)?));
        if !column(10)?.is_empty() {
            entry.budget_bytes = Some(number(10)?);
        }
    }
    Ok(series)
}

/// Splits one CSV line, undoing RFC 4180 quoting.
fn split_csv_line(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                fields.last_mut().expect("never empty").push('"');
            }
            ('"', _) => quoted = !quoted,
            (',', false) => fields.push(String::new()),
            (c, _) => fields.last_mut().expect("never empty").push(c),
        }
    }
    fields
}

/// Draws `csv` (a `--stats` file's text) as an SVG chart at `out`.
pub fn write_chart(csv: &str, out: &Path, title: &str) -> Result<(), String> {
    let series = read_series(csv)?;
    if series.is_empty() {
        return Err("the stats file has no rows to draw".into());
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
    let to_kib = |bytes: u64| bytes as f64 / 1024.0;
    let root = SVGBackend::new(out, (960, 540)).into_drawing_area();
    let fail = |error: &dyn std::fmt::Display| format!("drawing {}: {error}", out.display());
    root.fill(&WHITE).map_err(|e| fail(&e))?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 22))
        .margin(16)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d(0u64..last_frame.max(1), 0f64..to_kib(top_bytes) * 1.1)
        .map_err(|e| fail(&e))?;
    chart
        .configure_mesh()
        .x_desc("frame")
        .y_desc("KiB used")
        .draw()
        .map_err(|e| fail(&e))?;
    for (index, (name, arena)) in series.iter().enumerate() {
        let color = Palette99::pick(index).to_rgba();
        chart
            .draw_series(LineSeries::new(
                arena.used.iter().map(|&(frame, used)| (frame, to_kib(used))),
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
                .legend(move |(x, y)| PathElement::new([(x, y), (x + 16, y)], color.stroke_width(1)));
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

    fn sample_csv() -> String {
        format!(
            "{}\n0,frame,frame.a,100,4096,100,2,0,0,1,2048\n1,frame,frame.b,300,4096,300,3,0,0,1,2048\n1,level,\"level, one\",50,8192,50,1,0,0,0,\n",
            engine::MemoryReport::CSV_HEADER
        )
    }

    #[test]
    fn reads_one_series_per_arena_with_budgets() {
        let series = read_series(&sample_csv()).unwrap();
        assert_eq!(series.len(), 3);
        assert_eq!(series["frame.b"].used, vec![(1, 300)]);
        assert_eq!(series["frame.a"].budget_bytes, Some(2048));
        assert_eq!(series["level, one"].budget_bytes, None);
    }

    #[test]
    fn rejects_a_file_without_the_header_and_names_the_bad_field() {
        assert!(read_series("frame,used\n").unwrap_err().contains("line 1"));
        let bad = format!("{}\n0,frame,a,lots,0,0,0,0,0,0,\n", engine::MemoryReport::CSV_HEADER);
        let error = read_series(&bad).unwrap_err();
        assert!(error.contains("line 2") && error.contains("lots"), "{error}");
    }

    #[test]
    fn draws_an_svg_with_every_arena_and_budget_in_the_legend() {
        let out = std::env::temp_dir().join(format!("chart-test-{}.svg", std::process::id()));
        write_chart(&sample_csv(), &out, "memory").unwrap();
        let svg = std::fs::read_to_string(&out).unwrap();
        std::fs::remove_file(&out).unwrap();
        assert!(svg.starts_with("<svg"));
        for label in ["frame.a", "frame.b", "level, one", "frame.a budget"] {
            assert!(svg.contains(label), "legend lacks {label}");
        }
    }
}
