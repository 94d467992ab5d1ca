//! Terminal output: tracing setup, `error:`/`hint:` messages, diagnostics and JSON on stdout.
//!
//! stdout carries data only; everything else goes to stderr. A closed stdout (`| head`) ends
//! the program quietly.
//!
//! Every function here passes its text through [`agentctl_display::block`] last, so no control
//! character, escape sequence or bidi override from a model, a tool or a file reaches the
//! terminal, whatever the caller forgot. Renderers escape the parts of a line that come from
//! content with [`agentctl_display::line`] first, so content can neither start a new line nor
//! move the cursor; agentctl's own colours are added after that ([`note_styled`], through
//! [`crate::style`]).
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::{IsTerminal, Write};

use agentctl_protocol::{Diagnostic, Severity};
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;

/// Whether tracing prints lines of its own (so no live status line may share the terminal).
pub fn tracing_requested(verbose: u8) -> bool {
    verbose > 0
        || [
            agentctl_config::env::AGENTCTL_LOG,
            agentctl_config::env::RUST_LOG,
        ]
        .into_iter()
        .any(|name| std::env::var(name).is_ok_and(|value| !value.trim().is_empty()))
}

pub fn init_tracing(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "info",
        _ => "debug,hyper=info,hyper_util=info,rustls=info,reqwest=info",
    };
    // AGENTCTL_LOG first, then RUST_LOG; `-v` sets the level when neither is set.
    let filter = [
        agentctl_config::env::AGENTCTL_LOG,
        agentctl_config::env::RUST_LOG,
    ]
    .into_iter()
    .filter_map(|name| std::env::var(name).ok())
    .find(|value| !value.trim().is_empty())
    .and_then(|value| value.parse::<Targets>().ok())
    .unwrap_or_else(|| default.parse().unwrap_or_default());
    // `Targets` (`warn`, `agentctl_llm=debug,hyper=info`) rather than `EnvFilter`: the latter
    // pulls in regex-automata's full-DFA builder, which then compiles every regex of the process
    // (policy globs, redaction patterns) into a dense DFA at start-up.
    let layer = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(crate::style::stderr_has_colour())
        .with_target(verbose > 1)
        .with_timer(tracing_subscriber::fmt::time::uptime());
    let _ = tracing_subscriber::registry()
        .with(layer)
        .with(filter)
        .try_init();
}

/// `error: MESSAGE` and an optional `hint: …` on stderr.
pub fn error(message: &str, hint: Option<&str>) {
    eprintln!("error: {}", safe(message));
    if let Some(hint) = hint {
        eprintln!("hint: {}", safe(hint));
    }
}

pub fn warning(message: &str) {
    eprintln!("warning: {}", safe(message));
}

/// Progress and notes for the human on stderr.
pub fn note(message: &str) {
    let message = safe(message);
    let mut line = String::with_capacity(message.len() + 1);
    line.push_str(&message);
    line.push('\n');
    stderr_write(&line);
}

/// `text` on stderr in one `write` (stderr is unbuffered: `eprintln!` writes the text and its
/// newline separately). A failed write is ignored where `eprintln!` would panic: a broken
/// stderr must not end a run.
pub fn stderr_write(text: &str) {
    let mut handle = std::io::stderr().lock();
    let _ = handle.write_all(text.as_bytes());
}

/// One line on stderr made of parts, some in agentctl's colours: each part is made safe first,
/// then painted (see [`crate::style`]; colours are dropped where they must not appear).
pub fn note_styled(parts: &[(Option<anstyle::Style>, &str)]) {
    let mut text = String::new();
    for (style, part) in parts {
        let part = safe(part);
        match style {
            Some(style) => text.push_str(&crate::style::paint(*style, &part)),
            None => text.push_str(&part),
        }
    }
    crate::style::stderr_line(&text);
}

/// Text on stderr as it comes, without a newline (streamed model text).
pub fn stderr_fragment(text: &str) {
    let mut handle = std::io::stderr().lock();
    let _ = handle
        .write_all(safe(text).as_bytes())
        .and_then(|()| handle.flush());
}

/// Text made safe for a terminal: see the module doc.
pub fn safe(text: &str) -> std::borrow::Cow<'_, str> {
    agentctl_display::block(text)
}

/// Diagnostics as `error: path:line: message` / `  hint: …` lines on stderr.
pub fn diagnostics(diagnostics: &[Diagnostic]) {
    for diagnostic in diagnostics {
        let label = match diagnostic.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        eprintln!("{label}: {}", safe(&diagnostic.to_string()));
        // A diagnostic without a file is about what was typed: it reads like `error`/`hint`.
        let indent = if diagnostic.path.as_os_str().is_empty() {
            ""
        } else {
            "  "
        };
        if let Some(hint) = &diagnostic.hint {
            eprintln!("{indent}hint: {}", safe(hint));
        }
    }
}

/// Writes data to stdout, made safe for a terminal; a broken pipe exits quietly with success.
pub fn stdout(text: &str) {
    stdout_exact(&safe(text));
}

/// Writes text agentctl generated itself from its own definitions (completion scripts, the
/// manual page), which holds nothing from a model, a tool or a file, to stdout as it is.
pub fn stdout_raw(text: &str) {
    stdout_exact(text);
}

/// Writes text that is already safe (JSON from [`json`]) to stdout.
fn stdout_exact(text: &str) {
    let mut handle = std::io::stdout().lock();
    if let Err(error) = handle
        .write_all(text.as_bytes())
        .and_then(|()| handle.flush())
    {
        if error.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
    }
}

/// Pretty JSON plus a newline on stdout. Strings are exact once parsed; controls, C1 and
/// invisible characters inside them are written as `\uXXXX` escapes.
pub fn json<T: serde::Serialize>(value: &T) {
    match agentctl_display::json_pretty(value) {
        Ok(text) => stdout_exact(&format!("{text}\n")),
        Err(error) => self::error(&format!("cannot encode JSON output: {error}"), None),
    }
}

pub fn stderr_is_terminal() -> bool {
    std::io::stderr().is_terminal()
}

/// A denial reason for people: the model gets the full text (with the expected JSON schema of
/// the tool); the terminal shows what went wrong.
pub fn denial_gist(reason: &str) -> &str {
    reason
        .split("; expected a JSON object")
        .next()
        .unwrap_or(reason)
}

/// Content for one line of agentctl's layout: see [`agentctl_display::line`].
pub fn line(text: &str) -> std::borrow::Cow<'_, str> {
    agentctl_display::line(text)
}
