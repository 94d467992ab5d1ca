//! agentctl's own colours: one style per kind of line, written through anstream so they show
//! only where they should.
//!
//! Owns: the styles ([`DENIED`], [`ALLOWED`], …) and writing a styled line to stderr. Whether
//! colour is used is anstream's decision: a terminal, unless `NO_COLOR` is set (any value) or
//! `CLICOLOR=0`; `CLICOLOR_FORCE=1` forces it on; piped output never carries it. Off a terminal
//! the styles are stripped and the bytes are plain text.
//!
//! Does not escape content: callers pass text that went through [`crate::output::safe`] or
//! [`crate::output::line`] first, so the only escape sequences on a line are these styles.
#![allow(clippy::print_stderr)]

use std::io::Write;

use anstyle::{AnsiColor, Style};

/// A refused tool call: it must stand out.
pub const DENIED: Style = Style::new()
    .bold()
    .fg_color(Some(anstyle::Color::Ansi(AnsiColor::Red)));
/// An allowed tool call.
pub const ALLOWED: Style = Style::new().fg_color(Some(anstyle::Color::Ansi(AnsiColor::Green)));
/// A run waiting for a human, a gate not met, a handoff: the human must not miss it.
pub const PAUSED: Style = Style::new()
    .bold()
    .fg_color(Some(anstyle::Color::Ansi(AnsiColor::Yellow)));
/// A run that finished.
pub const SUCCESS: Style = Style::new()
    .bold()
    .fg_color(Some(anstyle::Color::Ansi(AnsiColor::Green)));
/// A run that failed or was rejected.
pub const FAILURE: Style = DENIED;
/// Lines that matter less than the conversation.
pub const DIM: Style = Style::new().dimmed();
/// Headings (the run summary).
pub const HEADING: Style = Style::new().bold();

/// `text` between `style` and its reset; stripped again by [`stderr_line`] when colour is off.
pub fn paint(style: Style, text: &str) -> String {
    format!("{style}{text}{style:#}")
}

/// Writes one line (already escaped, possibly painted) to stderr, keeping the colours only
/// where anstream allows them. The line and its newline go out in one `write`: stderr is
/// unbuffered, and a line written in pieces costs a system call per piece (and can interleave
/// with another process writing to the same file).
pub fn stderr_line(text: &str) {
    let mut line = String::with_capacity(text.len() + 1);
    line.push_str(text);
    line.push('\n');
    if stderr_has_colour() {
        let mut stderr = anstream::stderr().lock();
        let _ = stderr.write_all(line.as_bytes());
        let _ = stderr.flush();
    } else {
        let plain = anstream::adapter::strip_str(&line).to_string();
        crate::output::stderr_write(&plain);
    }
}

/// Whether painted text keeps its colours on stderr: anstream's choice, asked once per
/// process (it looks at the environment and whether stderr is a terminal, neither of which
/// changes while agentctl runs).
pub fn stderr_has_colour() -> bool {
    static CHOICE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *CHOICE.get_or_init(|| {
        anstream::AutoStream::choice(&std::io::stderr()) != anstream::ColorChoice::Never
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paint_wraps_text_in_the_style_and_a_reset() {
        let painted = paint(DENIED, "DENIED");
        assert!(painted.starts_with("\u{1b}["), "{painted:?}");
        assert!(painted.contains("DENIED"));
        assert!(painted.ends_with("\u{1b}[0m"), "{painted:?}");
    }
}
