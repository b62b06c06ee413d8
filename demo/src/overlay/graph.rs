//! The overlay's live memory graph: the frame arenas' bytes over the last few
//! hundred frames, as rectangles. Each frame is a column of the bytes it used (red
//! above its budget, with a red tick over the plot), the bytes all frame arenas
//! hold from the system are a yellow line over the columns, the budget a dashed
//! white line, and a frame in which an arena gave memory back (a trim) a green
//! tick. The vertical axis is logarithmic, labelled at powers of 4: a burst is many
//! times an ordinary frame, and on a linear axis the ordinary frames would be flat.
//!
//! The history is a [`MemoryGraph`]: a ring of samples allocated once, at start-up,
//! and overwritten frame after frame, so recording and drawing it never touch the
//! heap.

use super::{ADVANCE, LINE_HEIGHT, push_text, rect};
use crate::gpu_types::OverlayRect;
use crate::lists::FrameList;

/// Frames the demo's graph shows: five seconds at 60 frames a second, more than the
/// default trim window of 240 frames, so that a burst and its trim are on screen
/// together.
pub const GRAPH_FRAMES: usize = 300;

/// The plot's height, in font pixels: about five lines of text, room for the six or
/// so powers of 4 between an ordinary frame and a burst's committed bytes.
pub const PLOT_HEIGHT: f32 = 49.0;

/// Room right of the plot for the axis labels ("256K"), in characters.
const LABEL_CHARS: f32 = 5.0;

/// Font pixels between the plot and the legend: room for the lowest label, which
/// is centred on the plot's bottom edge.
const LEGEND_GAP: f32 = 5.0;

/// Font pixels the graph leaves above its plot: room for the highest label and
/// the ticks.
pub const TOP_GAP: f32 = 4.0;

const PLOT_BACK: [u8; 4] = [20, 20, 28, 255];
const GRID: [u8; 4] = [62, 62, 74, 255];
const LABEL: [u8; 4] = [150, 150, 162, 255];
/// Colour of a frame's column up to its budget.
pub const USED: [u8; 4] = super::BAR_FILL;
/// Colour of the part of a column above the budget.
pub const OVER: [u8; 4] = super::BAR_OVER;
/// Colour of the committed-bytes line: the overlay's title yellow.
pub const COMMITTED: [u8; 4] = super::TITLE;
/// Colour of the dashed budget line.
pub const BUDGET: [u8; 4] = [236, 236, 244, 255];
/// Colour of the tick above a frame with a trim.
pub const TRIM: [u8; 4] = super::GOOD;

/// The legend under the plot: each word in the colour it names.
const LEGEND: [(&str, [u8; 4]); 5] = [
    ("USED", USED),
    ("OVER", OVER),
    ("COMMITTED", COMMITTED),
    ("BUDGET", BUDGET),
    ("TRIM", TRIM),
];

/// The budget line is drawn in dashes: this many columns on...
const DASH_ON: usize = 4;
/// ...out of this many.
const DASH_PERIOD: usize = 6;

/// One frame of the graph.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GraphSample {
    /// Bytes the frame used in the frame arenas: its buffer and its worker arenas.
    pub used_bytes: usize,
    /// The frame's budget: its buffer's and its worker arenas'.
    pub budget_bytes: usize,
    /// Bytes every frame arena (both buffers, all workers, scratch) held from the
    /// system after the frame.
    pub committed_bytes: usize,
    /// Trims of the frame arenas in the frame: times one gave memory back.
    pub trims: u64,
}

/// The last frames' [`GraphSample`]s, oldest first: a ring allocated once by
/// [`new`](MemoryGraph::new).
#[derive(Debug, Clone)]
pub struct MemoryGraph {
    samples: Box<[GraphSample]>,
    /// Where the next sample goes.
    next: usize,
    len: usize,
}

impl MemoryGraph {
    /// Room for the last `frames` frames (at least one), allocated now.
    #[must_use]
    pub fn new(frames: usize) -> MemoryGraph {
        MemoryGraph {
            samples: vec![GraphSample::default(); frames.max(1)].into_boxed_slice(),
            next: 0,
            len: 0,
        }
    }

    /// How many frames it keeps.
    #[must_use]
    pub fn capacity(&self) -> usize {
        self.samples.len()
    }

    /// How many frames it holds now.
    #[must_use]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no frame was recorded yet.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Adds a frame, in place of the oldest once full. Never allocates.
    pub fn record(&mut self, sample: GraphSample) {
        self.samples[self.next] = sample;
        self.next = (self.next + 1) % self.samples.len();
        self.len = (self.len + 1).min(self.samples.len());
    }

    /// The frames held, oldest first.
    pub fn samples(&self) -> impl Iterator<Item = &GraphSample> + '_ {
        let capacity = self.samples.len();
        let oldest = if self.len < capacity { 0 } else { self.next };
        (0..self.len).map(move |age| &self.samples[(oldest + age) % capacity])
    }
}

/// Labels of the powers of 4, by exponent.
const POWER_OF_4_LABELS: [&str; 32] = [
    "1B", "4B", "16B", "64B", "256B", "1K", "4K", "16K", "64K", "256K", "1M", "4M", "16M", "64M",
    "256M", "1G", "4G", "16G", "64G", "256G", "1T", "4T", "16T", "64T", "256T", "1P", "4P", "16P",
    "64P", "256P", "1E", "4E",
];

/// The graph's vertical axis: logarithmic, from one power of 4 to a higher one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GraphScale {
    /// The exponent of the power of 4 at the bottom.
    pub floor_exponent: u32,
    /// The exponent of the power of 4 at the top (above the bottom's).
    pub top_exponent: u32,
}

impl GraphScale {
    /// The axis for `samples`: from the power of 4 at or below the least used bytes
    /// or budget (but at least 1 KiB) to the one at or above the most used or
    /// committed bytes or budget. Zero bytes do not count.
    ///
    /// ```
    /// use demo::overlay::graph::{GraphSample, GraphScale};
    /// let sample = GraphSample { used_bytes: 100 << 10, budget_bytes: 1 << 20, committed_bytes: 3 << 20, trims: 0 };
    /// let scale = GraphScale::fit([&sample]);
    /// assert_eq!(scale.floor_bytes(), 64 << 10);
    /// assert_eq!(scale.top_bytes(), 4 << 20);
    /// ```
    pub fn fit<'a>(samples: impl IntoIterator<Item = &'a GraphSample>) -> GraphScale {
        let (mut low, mut high) = (u64::MAX, 0u64);
        for sample in samples {
            for bytes in [sample.used_bytes, sample.budget_bytes] {
                if bytes > 0 {
                    low = low.min(bytes as u64);
                }
            }
            high = high
                .max(sample.used_bytes as u64)
                .max(sample.committed_bytes as u64)
                .max(sample.budget_bytes as u64);
        }
        let floor_exponent = if low == u64::MAX {
            5
        } else {
            (low.ilog2() / 2).max(5)
        };
        let floor_exponent = floor_exponent.min(30);
        let top_exponent = match high {
            0 => 0,
            high => high
                .checked_next_power_of_two()
                .map_or(64, u64::ilog2)
                .div_ceil(2),
        };
        GraphScale {
            floor_exponent,
            top_exponent: top_exponent.clamp(floor_exponent + 1, 31),
        }
    }

    /// The bytes at the bottom.
    #[must_use]
    pub fn floor_bytes(&self) -> u64 {
        1 << (2 * self.floor_exponent)
    }

    /// The bytes at the top.
    #[must_use]
    pub fn top_bytes(&self) -> u64 {
        1 << (2 * self.top_exponent)
    }

    /// Where `bytes` sit, from 0 (the bottom, and anything at or below it) to 1 (the
    /// top, and anything above).
    ///
    /// ```
    /// use demo::overlay::graph::GraphScale;
    /// let scale = GraphScale { floor_exponent: 8, top_exponent: 12 }; // 64K..16M
    /// assert_eq!(scale.fraction(1 << 20), 0.5);
    /// assert_eq!((scale.fraction(0), scale.fraction(1 << 40)), (0.0, 1.0));
    /// ```
    #[must_use]
    pub fn fraction(&self, bytes: usize) -> f32 {
        if bytes == 0 {
            return 0.0;
        }
        let exponent = (bytes as f64).log2() / 2.0;
        let fraction = (exponent - f64::from(self.floor_exponent))
            / f64::from(self.top_exponent - self.floor_exponent);
        fraction.clamp(0.0, 1.0) as f32
    }
}

/// Where the graph's parts go, in pixels, for a graph of `columns` frames drawn
/// with its top-left corner at (`x`, `y`), `scale` pixels per font pixel.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GraphLayout {
    /// The plot's left edge.
    pub x: f32,
    /// The plot's top edge.
    pub y: f32,
    /// Frames the plot has a column for.
    pub columns: usize,
    /// A column's width: half a font pixel, rounded down, and at least one pixel.
    /// A frame per pixel on ordinary screens; on big ones the graph keeps its width
    /// next to the text.
    pub column_width: f32,
    /// The plot's height.
    pub plot_height: f32,
    /// The thickness of a line (budget, committed, grid).
    pub line: f32,
    /// Pixels per font pixel.
    pub scale: f32,
}

impl GraphLayout {
    /// The layout of a graph of `columns` frames at (`x`, `y`).
    #[must_use]
    pub fn new(columns: usize, x: f32, y: f32, scale: f32) -> GraphLayout {
        GraphLayout {
            x,
            y,
            columns,
            column_width: (scale / 2.0).floor().max(1.0),
            plot_height: PLOT_HEIGHT * scale,
            line: scale,
            scale,
        }
    }

    /// The plot's width.
    #[must_use]
    pub fn plot_width(&self) -> f32 {
        self.columns as f32 * self.column_width
    }

    /// The whole graph's width: plot and axis labels.
    #[must_use]
    pub fn width(&self) -> f32 {
        self.plot_width() + LABEL_CHARS * ADVANCE * self.scale
    }

    /// The whole graph's height: plot and legend.
    #[must_use]
    pub fn height(&self) -> f32 {
        self.plot_height + LEGEND_GAP * self.scale + LINE_HEIGHT * self.scale
    }

    /// The plot's bottom edge: a column of `f` of the plot's height spans
    /// `bottom - f * plot_height .. bottom`.
    #[must_use]
    pub fn bottom(&self) -> f32 {
        self.y + self.plot_height
    }

    /// The top of a line at `fraction` of the axis: the line spans
    /// `line_top .. line_top + line`, inside the plot from the bottom (0) to the
    /// top (1).
    #[must_use]
    pub fn line_top(&self, fraction: f32) -> f32 {
        self.y + (self.plot_height - self.line) * (1.0 - fraction)
    }

    /// The left edge of column `column` (0: the oldest frame a full graph shows).
    #[must_use]
    pub fn column_x(&self, column: usize) -> f32 {
        self.x + column as f32 * self.column_width
    }
}

/// Appends `graph` as rectangles, laid out by `layout` (whose `columns` should be
/// the graph's capacity): the newest frame in the rightmost column, older ones to
/// its left.
pub fn build(out: &mut impl FrameList<OverlayRect>, graph: &MemoryGraph, layout: &GraphLayout) {
    let _span = tracing::trace_span!("memory_graph").entered();
    let l = layout;
    let scale = GraphScale::fit(graph.samples());
    out.push(rect(l.x, l.y, l.plot_width(), l.plot_height, PLOT_BACK));

    // Grid lines and their labels, at each power of 4; labels every other line
    // where they would touch.
    let steps = scale.top_exponent - scale.floor_exponent;
    let spacing = (l.plot_height - l.line) / steps as f32;
    let label_every = if spacing >= (super::font::GLYPH_HEIGHT + 1) as f32 * l.scale {
        1
    } else {
        2
    };
    for step in 0..=steps {
        let y = l.line_top(step as f32 / steps as f32);
        if step > 0 {
            out.push(rect(l.x, y, l.plot_width(), l.line, GRID));
        }
        if (steps - step).is_multiple_of(label_every) {
            let label = POWER_OF_4_LABELS[(scale.floor_exponent + step) as usize];
            let glyph_height = super::font::GLYPH_HEIGHT as f32 * l.scale;
            let label_y = y + l.line / 2.0 - glyph_height / 2.0;
            push_text(
                out,
                label,
                l.x + l.plot_width() + 2.0 * l.scale,
                label_y,
                l.scale,
                LABEL,
            );
        }
    }

    let first_column = l.columns.saturating_sub(graph.len());
    let columns = || {
        graph
            .samples()
            .zip(first_column..)
            .map(|(sample, column)| (column, l.column_x(column), sample))
    };
    // Used bytes: a column per frame, red above its budget.
    for (_, x, sample) in columns() {
        let used = scale.fraction(sample.used_bytes) * l.plot_height;
        if used <= 0.0 {
            continue;
        }
        let budget = scale.fraction(sample.budget_bytes) * l.plot_height;
        if sample.used_bytes > sample.budget_bytes {
            out.push(rect(x, l.bottom() - budget, l.column_width, budget, USED));
            out.push(rect(
                x,
                l.bottom() - used,
                l.column_width,
                used - budget,
                OVER,
            ));
        } else {
            out.push(rect(x, l.bottom() - used, l.column_width, used, USED));
        }
    }
    // The budget, dashed, where the screen's column says so (the dashes stay put
    // while the frames scroll past).
    for (column, x, sample) in columns() {
        if column % DASH_PERIOD < DASH_ON && sample.budget_bytes > 0 {
            let y = l.line_top(scale.fraction(sample.budget_bytes));
            out.push(rect(x, y, l.column_width, l.line, BUDGET));
        }
    }
    // Committed bytes: a line, with a vertical step where it changed.
    let mut previous_top = None;
    for (_, x, sample) in columns() {
        let top = l.line_top(scale.fraction(sample.committed_bytes));
        if let Some(previous) = previous_top
            && previous != top
        {
            let (from, to) = if previous < top {
                (previous, top)
            } else {
                (top, previous)
            };
            out.push(rect(x, from, l.column_width, to - from + l.line, COMMITTED));
        } else {
            out.push(rect(x, top, l.column_width, l.line, COMMITTED));
        }
        previous_top = Some(top);
    }
    // Ticks over the plot's top edge: red where a frame went over its budget
    // (its column is one pixel wide, easy to miss), green where an arena gave
    // memory back.
    for (_, x, sample) in columns() {
        let tick = |color| {
            rect(
                x - l.column_width,
                l.y - l.scale,
                3.0 * l.column_width,
                4.0 * l.scale,
                color,
            )
        };
        if sample.used_bytes > sample.budget_bytes {
            out.push(tick(OVER));
        }
        if sample.trims > 0 {
            out.push(tick(TRIM));
        }
    }

    let mut x = l.x;
    let legend_y = l.bottom() + LEGEND_GAP * l.scale;
    for (word, color) in LEGEND {
        x = push_text(out, word, x, legend_y, l.scale, color) + ADVANCE * l.scale;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const K: usize = 1 << 10;
    const M: usize = 1 << 20;

    fn sample(used_bytes: usize, committed_bytes: usize) -> GraphSample {
        GraphSample {
            used_bytes,
            budget_bytes: M,
            committed_bytes,
            trims: 0,
        }
    }

    fn drawn(graph: &MemoryGraph) -> (GraphLayout, Vec<OverlayRect>) {
        let layout = GraphLayout::new(graph.capacity(), 10.0, 20.0, 1.0);
        let mut rects = Vec::new();
        build(&mut rects, graph, &layout);
        (layout, rects)
    }

    /// The rectangles of `color` in the plot (and the trim ticks just above it):
    /// not the legend's or the labels' letters.
    fn colored(layout: &GraphLayout, rects: &[OverlayRect], color: [u8; 4]) -> Vec<[f32; 4]> {
        rects
            .iter()
            .filter(|rect| rect.color == color)
            .map(|rect| rect.rect)
            .filter(|rect| {
                rect[0] < layout.x + layout.plot_width()
                    && rect[1] >= layout.y - layout.scale
                    && rect[1] + rect[3] <= layout.bottom()
            })
            .collect()
    }

    /// The used-bytes parts of column `column`: (top, height) of each, by colour.
    fn column(
        layout: &GraphLayout,
        rects: &[OverlayRect],
        column: usize,
        color: [u8; 4],
    ) -> Option<(f32, f32)> {
        let x = layout.column_x(column);
        colored(layout, rects, color)
            .into_iter()
            .find(|rect| {
                rect[0] == x
                    && rect[2] == layout.column_width
                    && rect[1] + rect[3] == layout.bottom()
            })
            .map(|rect| (rect[1], rect[3]))
    }

    #[test]
    fn a_spike_is_a_taller_column_red_above_the_budget_line() {
        let mut graph = MemoryGraph::new(8);
        for _ in 0..7 {
            graph.record(sample(128 * K, 2 * M));
        }
        graph.record(sample(4 * M, 8 * M));
        let (layout, rects) = drawn(&graph);
        let scale = GraphScale::fit(graph.samples());
        // 64K..16M: 128K is an eighth of the way up, the 1M budget half way, 4M at
        // three quarters.
        assert_eq!(
            (scale.floor_bytes(), scale.top_bytes()),
            (64 * K as u64, 16 * M as u64)
        );
        let usual = column(&layout, &rects, 0, USED).expect("an ordinary column");
        assert_eq!(usual.1, 0.125 * layout.plot_height);
        let spike = column(&layout, &rects, 7, USED).expect("the spike's column");
        assert_eq!(spike.1, 0.5 * layout.plot_height, "blue up to the budget");
        assert!(spike.0 < usual.0, "the spike's column is taller");
        let over = colored(&layout, &rects, OVER);
        assert_eq!(
            over.len(),
            2,
            "only the spike went over: its column and its tick"
        );
        assert!(over[1][1] < layout.y, "the tick is over the plot");
        assert_eq!(over[1][0], layout.column_x(6));
        let over = over[0];
        assert_eq!(over[0], layout.column_x(7));
        assert_eq!(over[1], layout.bottom() - 0.75 * layout.plot_height);
        assert_eq!(over[1] + over[3], spike.0, "red from the budget up");
        // The budget line crosses the spike's column where blue turns red.
        let budget_top = layout.line_top(0.5);
        let dashes = colored(&layout, &rects, BUDGET);
        assert!(dashes.iter().all(|dash| dash[1] == budget_top));
        assert!(budget_top <= spike.0 && spike.0 <= budget_top + layout.line);
    }

    #[test]
    fn columns_grow_with_the_bytes_used() {
        let mut graph = MemoryGraph::new(3);
        for used in [100 * K, 400 * K, 800 * K] {
            graph.record(sample(used, 2 * M));
        }
        let (layout, rects) = drawn(&graph);
        let heights: Vec<f32> = (0..3)
            .map(|c| column(&layout, &rects, c, USED).map_or(0.0, |(_, height)| height))
            .collect();
        assert!(
            heights[0] > 0.0 && heights[0] < heights[1] && heights[1] < heights[2],
            "{heights:?}"
        );
    }

    #[test]
    fn the_budget_line_sits_at_the_budget_in_dashes() {
        let mut graph = MemoryGraph::new(12);
        for _ in 0..12 {
            graph.record(sample(64 * K, 2 * M));
        }
        let (layout, rects) = drawn(&graph);
        let scale = GraphScale::fit(graph.samples());
        // 64K..4M: 1M is two thirds up.
        assert_eq!((scale.floor_exponent, scale.top_exponent), (8, 11));
        let dashes = colored(&layout, &rects, BUDGET);
        let expected_top = layout.line_top(2.0 / 3.0);
        assert!((expected_top - (20.0 + (49.0 - 1.0) / 3.0)).abs() < 1e-4);
        assert_eq!(dashes.len(), 8, "4 of every 6 columns");
        for dash in &dashes {
            assert!((dash[1] - expected_top).abs() < 1e-4, "{dash:?}");
            assert_eq!(dash[3], layout.line);
        }
        // The committed line, at 2M, sits above it.
        let committed = colored(&layout, &rects, COMMITTED);
        assert_eq!(committed.len(), 12);
        assert!(committed.iter().all(|line| line[1] < expected_top));
    }

    #[test]
    fn committed_bytes_coming_back_is_a_drop_in_the_line_and_trims_are_ticked() {
        let mut graph = MemoryGraph::new(6);
        graph.record(sample(64 * K, 2 * M));
        graph.record(sample(4 * M, 8 * M));
        graph.record(sample(64 * K, 8 * M));
        graph.record(GraphSample {
            trims: 1,
            ..sample(64 * K, 2 * M)
        });
        graph.record(sample(64 * K, 2 * M));
        let (layout, rects) = drawn(&graph);
        let committed = colored(&layout, &rects, COMMITTED);
        assert_eq!(committed.len(), 5);
        // Columns 1..=5 (the graph is not full: the newest is at the right edge).
        let top = |at: usize| committed[at][1];
        assert!(top(1) < top(0), "the line rose at the spike");
        assert_eq!(top(2), top(1));
        // The drop is a step from the high line down to the low one.
        assert_eq!(committed[3][1], top(1));
        assert_eq!(committed[3][1] + committed[3][3], top(0) + layout.line);
        assert_eq!(top(4), top(0));
        let ticks = colored(&layout, &rects, TRIM);
        let tick = ticks
            .iter()
            .find(|tick| tick[1] < layout.y)
            .expect("a tick above the plot");
        assert_eq!(tick[0], layout.column_x(4) - layout.column_width);
    }

    #[test]
    fn the_ring_keeps_the_last_frames_oldest_first() {
        let mut graph = MemoryGraph::new(4);
        assert!(graph.is_empty());
        graph.record(sample(K, M));
        graph.record(sample(2 * K, M));
        let used = |graph: &MemoryGraph| -> Vec<usize> {
            graph
                .samples()
                .map(|sample| sample.used_bytes / K)
                .collect()
        };
        assert_eq!(used(&graph), [1, 2]);
        for kib in 3..=6 {
            graph.record(sample(kib * K, M));
        }
        assert_eq!((graph.len(), graph.capacity()), (4, 4));
        assert_eq!(used(&graph), [3, 4, 5, 6]);
        graph.record(sample(7 * K, M));
        assert_eq!(used(&graph), [4, 5, 6, 7]);
        // Drawn oldest at the left, the newest in the last column.
        let mut graph = MemoryGraph::new(4);
        for kib in [64, 128, 256, 512, 1024] {
            graph.record(sample(kib * K, 2 * M));
        }
        let (layout, rects) = drawn(&graph);
        let heights: Vec<f32> = (0..4)
            .map(|c| column(&layout, &rects, c, USED).map_or(0.0, |(_, height)| height))
            .collect();
        assert!(
            heights.windows(2).all(|pair| pair[0] < pair[1]),
            "{heights:?}"
        );
    }

    #[test]
    fn an_empty_graph_draws_its_frame_and_nothing_else() {
        let graph = MemoryGraph::new(GRAPH_FRAMES);
        let (layout, rects) = drawn(&graph);
        assert_eq!(
            rects[0].rect,
            [10.0, 20.0, layout.plot_width(), layout.plot_height]
        );
        assert!(colored(&layout, &rects, USED).is_empty());
        assert!(colored(&layout, &rects, COMMITTED).is_empty());
        assert_eq!(layout.plot_width(), GRAPH_FRAMES as f32);
    }
}
