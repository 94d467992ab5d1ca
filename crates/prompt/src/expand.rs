//! Expands one file's text: replaces `{{include:…}}` with the included file's expanded text and
//! `{{NAME}}` with its value, copying everything else byte for byte into a source-mapped output.
//!
//! Owns the include chain (for cycle detection and for showing how a file was reached), the
//! wording of include and variable diagnostics, and the notes for skipped optional files. It
//! does not know the layout of the whole prompt (sections, headings) nor where variable values
//! come from.

use std::fmt;
use std::path::PathBuf;

use agentctl_protocol::Diagnostic;

use crate::directive::{scan, DirectiveKind};
use crate::include::{IncludeError, IncludeRoots};
use crate::sources::SourceMapBuilder;
use crate::variables::{unresolved_hint, VariableScope};

/// A file's text to expand, with what it is called and where its text starts.
#[derive(Debug)]
pub(crate) struct FileText<'text> {
    /// The name shown in diagnostics, notes and the source map.
    pub display: String,
    /// The canonical path, when known; identifies the file for cycle detection.
    pub identity: Option<PathBuf>,
    pub text: &'text str,
    /// The 1-based line of the file where `text` starts.
    pub first_line: usize,
}

/// A file that was found inside its root and read.
#[derive(Debug)]
pub(crate) struct LoadedFile {
    pub display: String,
    pub identity: PathBuf,
    pub text: String,
}

/// Why a file is being loaded; changes only the wording of notes and diagnostics.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Purpose {
    Include,
    Context,
}

impl fmt::Display for Purpose {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(match self {
            Purpose::Include => "include",
            Purpose::Context => "context file",
        })
    }
}

/// A file on the include chain and, once it includes something, the line that does.
#[derive(Debug, Clone)]
pub(crate) struct ChainLink {
    pub display: String,
    pub identity: Option<PathBuf>,
    pub line: Option<usize>,
}

impl fmt::Display for ChainLink {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.display)?;
        match self.line {
            Some(line) => write!(formatter, ":{line}"),
            None => Ok(()),
        }
    }
}

/// Accumulates the assembled text, its diagnostics and notes.
#[derive(Debug)]
pub(crate) struct Expander<'a> {
    roots: &'a IncludeRoots,
    scope: &'a VariableScope<'a>,
    pub output: SourceMapBuilder,
    diagnostics: Vec<Diagnostic>,
    pub(crate) notes: Vec<String>,
    chain: Vec<ChainLink>,
}

impl<'a> Expander<'a> {
    pub(crate) fn new(roots: &'a IncludeRoots, scope: &'a VariableScope<'a>) -> Expander<'a> {
        Expander {
            roots,
            scope,
            output: SourceMapBuilder::default(),
            diagnostics: Vec::new(),
            notes: Vec::new(),
            chain: Vec::new(),
        }
    }

    /// Appends `file` to the output with its directives resolved.
    pub(crate) fn expand(&mut self, file: FileText<'_>) {
        self.chain.push(ChainLink {
            display: file.display.clone(),
            identity: file.identity.clone(),
            line: None,
        });
        let lines = LineIndex::new(file.text, file.first_line);
        let source = PathBuf::from(&file.display);
        let mut copied_up_to = 0;
        for directive in scan(file.text) {
            self.output.push(
                &file.text[copied_up_to..directive.start],
                &source,
                lines.line_of(copied_up_to),
            );
            let line = lines.line_of(directive.start);
            match directive.kind {
                DirectiveKind::Variable { name } => {
                    let scope = self.scope;
                    match scope.lookup(name) {
                        // Appended as-is: a value is never scanned for directives itself.
                        Some(value) => self.output.push(&value, &source, line),
                        None => {
                            self.diagnostics.push(
                                Diagnostic::error(
                                    &file.display,
                                    Some(line),
                                    format!("unresolved variable {{{{{name}}}}}"),
                                )
                                .with_hint(unresolved_hint(name)),
                            );
                            let written = &file.text[directive.start..directive.end];
                            self.output.push(written, &source, line);
                        }
                    }
                }
                DirectiveKind::Include { path, optional } => {
                    if let Some(link) = self.chain.last_mut() {
                        link.line = Some(line);
                    }
                    if let Some(loaded) = self.load(path, optional, Purpose::Include) {
                        self.expand(FileText {
                            display: loaded.display,
                            identity: Some(loaded.identity),
                            text: strip_final_newline(&loaded.text),
                            first_line: 1,
                        });
                    }
                }
            }
            copied_up_to = directive.end;
        }
        self.output.push(
            &file.text[copied_up_to..],
            &source,
            lines.line_of(copied_up_to),
        );
        self.chain.pop();
    }

    /// Runs `work` as if `referrer` (a persona file at the line naming its context files) were
    /// the including file, so chains and cycle checks start from it.
    pub(crate) fn within<T>(
        &mut self,
        referrer: &ChainLink,
        work: impl FnOnce(&mut Self) -> T,
    ) -> T {
        self.chain.push(referrer.clone());
        let result = work(self);
        self.chain.pop();
        result
    }

    /// Whether `written` names an existing file under its root (nothing is recorded).
    pub(crate) fn exists(&self, written: &str) -> bool {
        self.roots
            .resolve(written)
            .ok()
            .and_then(|resolved| self.roots.locate(&resolved).ok().flatten())
            .is_some()
    }

    /// Finds, checks and reads the file `written` names, on behalf of the innermost file of
    /// the chain at its current line. `None` when it was skipped or refused (recorded).
    pub(crate) fn load(
        &mut self,
        written: &str,
        optional: bool,
        purpose: Purpose,
    ) -> Option<LoadedFile> {
        let refused = |expander: &mut Self, error: IncludeError| {
            let chain = expander.chain_text(written);
            expander.error_here(
                format!("{purpose} `{written}` refused: {error} (chain: {chain})"),
                Some(error.hint().to_owned()),
            );
            None
        };
        let resolved = match self.roots.resolve(written) {
            Ok(resolved) => resolved,
            Err(error) => return refused(self, error),
        };
        let found = match self.roots.locate(&resolved) {
            Ok(Some(found)) => found,
            Ok(None) if optional => {
                let site = self.site();
                self.notes.push(format!(
                    "skipped optional {purpose} {} (not found) at {site}",
                    resolved.display
                ));
                return None;
            }
            Ok(None) => {
                self.error_here(
                    format!(
                        "{purpose} {} not found (looked for {})",
                        resolved.display,
                        resolved.candidate.display()
                    ),
                    Some(format!(
                        "create {}, or write ` (if exists)` after the reference to make it optional",
                        resolved.display
                    )),
                );
                return None;
            }
            Err(error) => return refused(self, error),
        };
        let identity = Some(&found.canonical);
        if self
            .chain
            .iter()
            .any(|link| link.identity.as_ref() == identity)
        {
            let chain = self.chain_text(&resolved.display);
            self.error_here(
                format!("include cycle: {chain}"),
                Some("remove one of the includes in the cycle".to_owned()),
            );
            return None;
        }
        match self.roots.read(&resolved, &found) {
            Ok(text) => Some(LoadedFile {
                display: resolved.display,
                identity: found.canonical,
                text,
            }),
            Err(error) => refused(self, error),
        }
    }

    /// The diagnostics (duplicates removed, first occurrence kept) and notes.
    pub(crate) fn finish(self) -> (SourceMapBuilder, Vec<Diagnostic>, Vec<String>) {
        let mut diagnostics: Vec<Diagnostic> = Vec::with_capacity(self.diagnostics.len());
        // A file included from two places would otherwise report its problems twice.
        for diagnostic in self.diagnostics {
            if !diagnostics.contains(&diagnostic) {
                diagnostics.push(diagnostic);
            }
        }
        (self.output, diagnostics, self.notes)
    }

    /// `a.md:3 → b.md:1 → target`.
    fn chain_text(&self, target: &str) -> String {
        let mut text = String::new();
        for link in &self.chain {
            text.push_str(&link.to_string());
            text.push_str(" → ");
        }
        text.push_str(target);
        text
    }

    /// `file:line` of the innermost file of the chain.
    fn site(&self) -> String {
        self.chain
            .last()
            .map(ToString::to_string)
            .unwrap_or_default()
    }

    fn error_here(&mut self, message: String, hint: Option<String>) {
        let (path, line) = match self.chain.last() {
            Some(link) => (PathBuf::from(&link.display), link.line),
            None => (PathBuf::new(), None),
        };
        let mut diagnostic = Diagnostic::error(path, line, message);
        diagnostic.hint = hint;
        self.diagnostics.push(diagnostic);
    }
}

/// An included file ends where its directive ends: one final line break (`\n` or `\r\n`) is
/// dropped so that `- {{include:x}}` followed by a newline does not gain a blank line.
pub(crate) fn strip_final_newline(text: &str) -> &str {
    text.strip_suffix("\r\n")
        .or_else(|| text.strip_suffix('\n'))
        .unwrap_or(text)
}

/// Maps byte offsets of a text to 1-based lines of its file.
struct LineIndex {
    first_line: usize,
    newlines: Vec<usize>,
}

impl LineIndex {
    fn new(text: &str, first_line: usize) -> LineIndex {
        let newlines = text
            .bytes()
            .enumerate()
            .filter(|(_, byte)| *byte == b'\n')
            .map(|(offset, _)| offset)
            .collect();
        LineIndex {
            first_line,
            newlines,
        }
    }

    fn line_of(&self, offset: usize) -> usize {
        self.first_line + self.newlines.partition_point(|newline| *newline < offset)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_index_counts_from_the_first_line() {
        let index = LineIndex::new("a\nb\n\nc", 5);
        assert_eq!(index.line_of(0), 5);
        assert_eq!(index.line_of(1), 5);
        assert_eq!(index.line_of(2), 6);
        assert_eq!(index.line_of(5), 8);
    }

    #[test]
    fn only_one_final_newline_is_dropped() {
        assert_eq!(strip_final_newline("a\n"), "a");
        assert_eq!(strip_final_newline("a\r\n"), "a");
        assert_eq!(strip_final_newline("a\n\n"), "a\n");
        assert_eq!(strip_final_newline("a"), "a");
    }
}
