//! Plain text tables for the human views (`personas`, `show`), built with comfy-table: no
//! borders, two spaces between columns, wrapped to the terminal's width when stdout is one.
//!
//! Does not know about: what the rows mean; callers pass cells.

use std::io::IsTerminal;

use comfy_table::{presets, CellAlignment, ColumnConstraint, ContentArrangement, Table, Width};

/// Spaces after each column.
const PADDING: usize = 2;

/// The terminal's width when stdout is a terminal; `None` (no wrapping) otherwise.
pub fn terminal_width() -> Option<u16> {
    if !std::io::stdout().is_terminal() {
        return None;
    }
    Table::new().width()
}

/// An empty borderless table with `header`, wrapping to `width` when given. Columns listed in
/// `never_wrap` (names, kinds) keep their content whole; the others wrap.
pub fn plain(header: &[&str], width: Option<u16>, never_wrap: &[usize]) -> Table {
    let mut table = Table::new();
    table
        .load_preset(presets::NOTHING)
        .set_header(header.to_vec());
    match width {
        Some(width) => {
            table
                .set_content_arrangement(ContentArrangement::Dynamic)
                .set_width(width);
        }
        None => {
            table.set_content_arrangement(ContentArrangement::Disabled);
        }
    }
    for column in table.column_iter_mut() {
        column.set_padding((0, PADDING as u16));
        column.set_cell_alignment(CellAlignment::Left);
        if never_wrap.contains(&column.index) {
            column.set_constraint(ColumnConstraint::ContentWidth);
        }
    }
    table
}

/// The table's text, without trailing spaces, ending in a newline. A column that wraps never
/// narrows below its longest word, so names and paths are never cut in the middle (a table on a
/// very narrow terminal overflows instead).
pub fn render(mut table: Table) -> String {
    let mut longest_word: Vec<usize> = Vec::new();
    for row in table.row_iter() {
        for (index, cell) in row.cell_iter().enumerate() {
            let longest = cell
                .content()
                .split_whitespace()
                .map(|word| word.chars().count())
                .max()
                .unwrap_or(0);
            if longest_word.len() <= index {
                longest_word.resize(index + 1, 0);
            }
            longest_word[index] = longest_word[index].max(longest);
        }
    }
    for column in table.column_iter_mut() {
        if column.constraint().is_none() {
            // The constraint's width includes the column's padding.
            let longest = longest_word.get(column.index).copied().unwrap_or(0) + PADDING;
            let width = u16::try_from(longest).unwrap_or(u16::MAX);
            column.set_constraint(ColumnConstraint::LowerBoundary(Width::Fixed(width)));
        }
    }
    let mut text = String::new();
    for line in table.lines() {
        text.push_str(line.trim_end());
        text.push('\n');
    }
    text
}
