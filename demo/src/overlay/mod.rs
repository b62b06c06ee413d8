//! The statistics overlay as geometry: a dark panel, lines of 5x7 text and usage
//! bars, all as [`OverlayRect`]s pushed into a frame-arena list. The text is
//! formatted into the frame arena too (`format_in!`), so building the overlay never
//! touches the heap.

pub mod font;
pub mod graph;

use crate::gpu_types::OverlayRect;
use crate::lists::FrameList;
use graph::{GraphLayout, MemoryGraph};
use std::fmt;

/// Bytes in a short human form: `512B`, `12.3K`, `4.0M`, `1.2G` (powers of 1024).
#[derive(Debug, Clone, Copy)]
pub struct Bytes(pub usize);

impl fmt::Display for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let bytes = self.0 as f64;
        if self.0 < 1024 {
            write!(f, "{}B", self.0)
        } else if bytes < 1024.0 * 1024.0 {
            write!(f, "{:.1}K", bytes / 1024.0)
        } else if bytes < 1024.0 * 1024.0 * 1024.0 {
            write!(f, "{:.1}M", bytes / (1024.0 * 1024.0))
        } else {
            write!(f, "{:.1}G", bytes / (1024.0 * 1024.0 * 1024.0))
        }
    }
}

/// A usage bar under a line: used and high-water as fractions of a budget.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bar {
    /// Used / budget (drawn red above 1).
    pub used: f32,
    /// High-water / budget (a tick).
    pub high_water: f32,
}

impl Bar {
    /// The bar for `used` and `high_water` bytes against `budget` bytes.
    #[must_use]
    pub fn of(used: usize, high_water: usize, budget: usize) -> Bar {
        let budget = budget.max(1) as f32;
        Bar {
            used: used as f32 / budget,
            high_water: high_water as f32 / budget,
        }
    }
}

/// One line of the overlay.
#[derive(Debug, Clone, Copy)]
pub struct OverlayLine<'a> {
    /// The text; a character the font lacks is drawn as `?`.
    pub text: &'a str,
    /// Its colour (sRGB, alpha).
    pub color: [u8; 4],
    /// An optional bar drawn under it.
    pub bar: Option<Bar>,
}

/// Text colour for ordinary lines.
pub const TEXT: [u8; 4] = [232, 236, 240, 255];
/// Text colour for the title line.
pub const TITLE: [u8; 4] = [255, 214, 102, 255];
/// Text colour for a good number (zero allocations).
pub const GOOD: [u8; 4] = [120, 230, 140, 255];
/// Text colour for a bad number.
pub const BAD: [u8; 4] = [255, 96, 96, 255];

const PANEL: [u8; 4] = [0, 0, 0, 170];
const BAR_BACK: [u8; 4] = [70, 70, 80, 255];
const BAR_FILL: [u8; 4] = [86, 204, 242, 255];
const BAR_OVER: [u8; 4] = [255, 96, 96, 255];
const BAR_HIGH_WATER: [u8; 4] = [255, 214, 102, 255];

/// Pixels between characters (glyph width + 1).
const ADVANCE: f32 = (font::GLYPH_WIDTH + 1) as f32;
/// Height of a line without a bar, and the bar's extra height.
const LINE_HEIGHT: f32 = (font::GLYPH_HEIGHT + 3) as f32;
const BAR_HEIGHT: f32 = 4.0;
/// Bars are this many characters wide.
const BAR_CHARS: f32 = 24.0;

/// The runs of lit pixels in a glyph row, as (first column, width).
fn row_runs(row: u8) -> impl Iterator<Item = (u32, u32)> {
    let lit = move |column: u32| {
        column < font::GLYPH_WIDTH && row & (1 << (font::GLYPH_WIDTH - 1 - column)) != 0
    };
    let mut column = 0;
    std::iter::from_fn(move || {
        while column < font::GLYPH_WIDTH && !lit(column) {
            column += 1;
        }
        if column == font::GLYPH_WIDTH {
            return None;
        }
        let start = column;
        while lit(column) {
            column += 1;
        }
        Some((start, column - start))
    })
}

/// Appends the overlay for `lines` at the top-left corner, `scale` pixels per
/// font pixel.
pub fn build(out: &mut impl FrameList<OverlayRect>, lines: &[OverlayLine<'_>], scale: f32) {
    build_with_graph(out, lines, None, scale);
}

/// Appends the overlay for `lines`, and under them `graph` if there is one
/// ([`graph::build`]), at the top-left corner, `scale` pixels per font pixel.
pub fn build_with_graph(
    out: &mut impl FrameList<OverlayRect>,
    lines: &[OverlayLine<'_>],
    graph: Option<&MemoryGraph>,
    scale: f32,
) {
    let _span = tracing::trace_span!("overlay").entered();
    let margin = 4.0 * scale;
    let widest = lines
        .iter()
        .map(|line| {
            (line.text.chars().count() as f32).max(if line.bar.is_some() { BAR_CHARS } else { 0.0 })
        })
        .fold(0.0, f32::max);
    let height: f32 = lines
        .iter()
        .map(|line| {
            LINE_HEIGHT
                + if line.bar.is_some() {
                    BAR_HEIGHT + 2.0
                } else {
                    0.0
                }
        })
        .sum();
    let graph_layout = graph.map(|graph| {
        GraphLayout::new(
            graph.capacity(),
            margin,
            margin + (height + graph::TOP_GAP) * scale,
            scale,
        )
    });
    let (graph_width, graph_height) = graph_layout.map_or((0.0, 0.0), |layout| {
        (layout.width(), layout.height() + graph::TOP_GAP * scale)
    });
    out.push(rect(
        0.0,
        0.0,
        (widest * ADVANCE * scale).max(graph_width) + 2.0 * margin,
        height * scale + graph_height + 2.0 * margin,
        PANEL,
    ));

    let mut y = margin;
    for line in lines {
        push_text(out, line.text, margin, y, scale, line.color);
        y += LINE_HEIGHT * scale;
        if let Some(bar) = line.bar {
            let width = BAR_CHARS * ADVANCE * scale - scale;
            let height = BAR_HEIGHT * scale;
            out.push(rect(margin, y - 2.0 * scale, width, height, BAR_BACK));
            let fill = if bar.used > 1.0 { BAR_OVER } else { BAR_FILL };
            out.push(rect(
                margin,
                y - 2.0 * scale,
                width * bar.used.clamp(0.0, 1.0),
                height,
                fill,
            ));
            let tick = margin + width * bar.high_water.clamp(0.0, 1.0);
            out.push(rect(
                tick - scale,
                y - 3.0 * scale,
                2.0 * scale,
                height + 2.0 * scale,
                BAR_HIGH_WATER,
            ));
            y += (BAR_HEIGHT + 2.0) * scale;
        }
    }
    if let (Some(graph), Some(layout)) = (graph, graph_layout) {
        graph::build(out, graph, &layout);
    }
}

/// Appends `text` with its top-left corner at (`x`, `y`) and returns where the next
/// character would go.
fn push_text(
    out: &mut impl FrameList<OverlayRect>,
    text: &str,
    x: f32,
    y: f32,
    scale: f32,
    color: [u8; 4],
) -> f32 {
    let mut x = x;
    for c in text.chars() {
        push_glyph(out, font::glyph(c), x, y, scale, color);
        x += ADVANCE * scale;
    }
    x
}

fn rect(x: f32, y: f32, width: f32, height: f32, color: [u8; 4]) -> OverlayRect {
    OverlayRect {
        rect: [x, y, width, height],
        color,
    }
}

/// One rectangle per horizontal run of lit pixels in each row.
fn push_glyph(
    out: &mut impl FrameList<OverlayRect>,
    rows: [u8; 7],
    x: f32,
    y: f32,
    scale: f32,
    color: [u8; 4],
) {
    for (row_index, &row) in rows.iter().enumerate() {
        for (start, width) in row_runs(row) {
            out.push(rect(
                x + start as f32 * scale,
                y + row_index as f32 * scale,
                width as f32 * scale,
                scale,
                color,
            ));
        }
    }
}
