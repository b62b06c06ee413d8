//! Helpers shared by the demo's test binaries.

use std::path::Path;

/// A `--stats` CSV, its columns looked up by name.
pub struct StatsCsv {
    /// The header's column names, in order.
    pub columns: Vec<String>,
    /// One row per frame, its fields in column order.
    pub rows: Vec<Vec<String>>,
}

impl StatsCsv {
    /// Reads the CSV at `path`: a header, then rows.
    pub fn read(path: &Path) -> StatsCsv {
        let text = std::fs::read_to_string(path).unwrap();
        let mut lines = text.lines();
        let header = lines.next().expect("a header");
        StatsCsv {
            columns: header.split(',').map(str::to_owned).collect(),
            rows: lines
                .map(|line| line.split(',').map(str::to_owned).collect())
                .collect(),
        }
    }

    /// Column `name` of frame `frame` (its row), as an integer.
    pub fn get(&self, frame: u64, name: &str) -> u64 {
        let row = &self.rows[frame as usize];
        assert_eq!(row[0], frame.to_string(), "rows are in frame order");
        self.value(row, name)
    }

    /// Column `name` of `row` (one of [`rows`](StatsCsv::rows)), as an integer.
    pub fn value(&self, row: &[String], name: &str) -> u64 {
        let column = self
            .columns
            .iter()
            .position(|column| column == name)
            .unwrap_or_else(|| panic!("no column {name}"));
        row[column]
            .parse()
            .unwrap_or_else(|_| panic!("{name} of frame {}: {}", row[0], row[column]))
    }
}
