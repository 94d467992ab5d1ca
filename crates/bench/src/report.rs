//! Result rows and the table `agentctl-bench` prints (Markdown, so it can be pasted into
//! docs/BENCHMARKS.md), plus a JSON form for scripts.
//!
//! Owns: how a measurement is compared with its goal and shown. Does not know how anything was
//! measured.

use std::fmt::Write as _;

use serde::Serialize;

use crate::stats::Summary;

/// A target a median must meet.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Goal {
    Below(f64),
    Above(f64),
}

impl Goal {
    pub fn met_by(self, value: f64) -> bool {
        match self {
            Goal::Below(limit) => value < limit,
            Goal::Above(limit) => value > limit,
        }
    }

    fn text(self, unit: &str) -> String {
        match self {
            Goal::Below(limit) => format!("< {} {unit}", number(limit)),
            Goal::Above(limit) => format!("> {} {unit}", number(limit)),
        }
    }
}

/// One line of the results table.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub name: String,
    pub unit: String,
    pub summary: Summary,
    pub goal: Option<Goal>,
    pub note: String,
}

impl Row {
    pub fn new(name: impl Into<String>, unit: impl Into<String>, summary: Summary) -> Row {
        Row {
            name: name.into(),
            unit: unit.into(),
            summary,
            goal: None,
            note: String::new(),
        }
    }

    pub fn goal(mut self, goal: Goal) -> Row {
        self.goal = Some(goal);
        self
    }

    pub fn note(mut self, text: impl Into<String>) -> Row {
        self.note = text.into();
        self
    }

    /// `None` when the row has no goal.
    pub fn meets_goal(&self) -> Option<bool> {
        self.goal.map(|goal| goal.met_by(self.summary.median))
    }
}

/// Three significant digits or so, without trailing noise.
pub fn number(value: f64) -> String {
    let magnitude = value.abs();
    if magnitude >= 1000.0 {
        let rounded = value.round() as i64;
        group_thousands(rounded)
    } else if magnitude >= 100.0 {
        format!("{value:.0}")
    } else if magnitude >= 10.0 {
        format!("{value:.1}")
    } else if magnitude >= 1.0 {
        format!("{value:.2}")
    } else {
        format!("{value:.3}")
    }
}

fn group_thousands(value: i64) -> String {
    let digits = value.unsigned_abs().to_string();
    let mut grouped = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    if value < 0 {
        format!("-{grouped}")
    } else {
        grouped
    }
}

/// The Markdown results table.
pub fn table(rows: &[Row]) -> String {
    let mut out = String::new();
    out.push_str("| measurement | median | spread (min – max) | runs | goal | met |\n");
    out.push_str("|---|---:|---:|---:|---|---|\n");
    for row in rows {
        let goal = row
            .goal
            .map(|goal| goal.text(&row.unit))
            .unwrap_or_else(|| "–".to_owned());
        let met = match row.meets_goal() {
            Some(true) => "yes",
            Some(false) => "**no**",
            None => "–",
        };
        let _ = writeln!(
            out,
            "| {} | {} {} | {} – {} | {} | {} | {} |",
            row.name,
            number(row.summary.median),
            row.unit,
            number(row.summary.min),
            number(row.summary.max),
            row.summary.runs,
            goal,
            met,
        );
    }
    let notes: Vec<&Row> = rows.iter().filter(|row| !row.note.is_empty()).collect();
    if !notes.is_empty() {
        out.push('\n');
        for row in notes {
            let _ = writeln!(out, "- {}: {}", row.name, row.note);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_keep_about_three_digits() {
        assert_eq!(number(0.0712), "0.071");
        assert_eq!(number(4.567), "4.57");
        assert_eq!(number(45.67), "45.7");
        assert_eq!(number(456.7), "457");
        assert_eq!(number(1_234_567.0), "1,234,567");
    }

    #[test]
    fn table_marks_missed_goals() {
        let summary = Summary::of(&[310.0, 320.0, 330.0]).unwrap();
        let missed = Row::new("lint", "ms", summary).goal(Goal::Below(300.0));
        let met = Row::new("verify", "entries/s", summary)
            .goal(Goal::Above(200.0))
            .note("in-process");
        assert_eq!(missed.meets_goal(), Some(false));
        assert_eq!(met.meets_goal(), Some(true));
        let text = table(&[missed, met]);
        assert!(
            text.contains("| lint | 320 ms | 310 – 330 | 3 | < 300 ms | **no** |"),
            "{text}"
        );
        assert!(text.contains("| > 200 entries/s | yes |"), "{text}");
        assert!(text.contains("- verify: in-process"), "{text}");
    }
}
