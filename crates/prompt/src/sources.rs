//! The source map of an assembled prompt: which file (and first line) every byte came from.
//!
//! Owns [`SourceSpan`], the builder that appends text while recording spans, and the
//! `--sources` rendering. It does not know about includes or variables; it records whatever
//! origin the assembler hands it.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::AssembledPrompt;

/// The pseudo-path of text agentctl writes itself (section headings, the parameter list).
/// Spans with this path have line 0.
pub const GENERATED_SOURCE: &str = "<agentctl>";

/// A byte range of the assembled text and the file it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceSpan {
    /// Start byte offset in the text, inclusive.
    pub start: usize,
    /// End byte offset in the text, exclusive.
    pub end: usize,
    /// The file: the persona's source path, a path relative to the library root,
    /// `/branch/…` for the workspace, or [`GENERATED_SOURCE`].
    pub path: PathBuf,
    /// The 1-based line of that file where the span starts; 0 for generated text.
    pub line: usize,
}

/// Renders one span per line: `0..812 personas/devops.md:1`, `812..824 <agentctl>`.
pub fn render_sources(prompt: &AssembledPrompt) -> String {
    let mut rendered = String::new();
    for span in &prompt.sources {
        // Writing to a String cannot fail.
        let _ = write!(
            rendered,
            "{}..{} {}",
            span.start,
            span.end,
            span.path.display()
        );
        if span.line > 0 {
            let _ = write!(rendered, ":{}", span.line);
        }
        rendered.push('\n');
    }
    rendered
}

/// Appends text and records where each piece came from; adjacent pieces from the same file
/// merge into one span that keeps the first piece's line.
#[derive(Debug, Default)]
pub(crate) struct SourceMapBuilder {
    text: String,
    spans: Vec<SourceSpan>,
}

impl SourceMapBuilder {
    pub(crate) fn push(&mut self, piece: &str, path: &Path, line: usize) {
        if piece.is_empty() {
            return;
        }
        let start = self.text.len();
        self.text.push_str(piece);
        let end = self.text.len();
        if let Some(last) = self.spans.last_mut() {
            if last.path == path && last.end == start {
                last.end = end;
                return;
            }
        }
        self.spans.push(SourceSpan {
            start,
            end,
            path: path.to_path_buf(),
            line,
        });
    }

    pub(crate) fn push_generated(&mut self, piece: &str) {
        self.push(piece, Path::new(GENERATED_SOURCE), 0);
    }

    /// Ends the text with a newline unless it is empty or already does.
    pub(crate) fn finish_line(&mut self) {
        if !self.text.is_empty() && !self.text.ends_with('\n') {
            self.push_generated("\n");
        }
    }

    pub(crate) fn into_parts(self) -> (String, Vec<SourceSpan>) {
        (self.text, self.spans)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adjacent_pieces_of_one_file_merge_and_keep_the_first_line() {
        let mut builder = SourceMapBuilder::default();
        builder.push("a\n", Path::new("personas/x.md"), 1);
        builder.push("b\n", Path::new("personas/x.md"), 2);
        builder.push("", Path::new("contexts/empty.md"), 1);
        builder.push("c", Path::new("contexts/c.md"), 1);
        builder.finish_line();
        builder.push("d\n", Path::new("personas/x.md"), 3);
        let (text, spans) = builder.into_parts();
        assert_eq!(text, "a\nb\nc\nd\n");
        let rendered: Vec<String> = spans
            .iter()
            .map(|span| {
                format!(
                    "{}..{} {}:{}",
                    span.start,
                    span.end,
                    span.path.display(),
                    span.line
                )
            })
            .collect();
        assert_eq!(
            rendered,
            [
                "0..4 personas/x.md:1",
                "4..5 contexts/c.md:1",
                "5..6 <agentctl>:0",
                "6..8 personas/x.md:3"
            ]
        );
    }
}
