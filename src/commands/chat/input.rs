//! Where the human's lines come from: a line editor on a terminal (history in
//! `.agentctl/chat_history`, Ctrl-C and Ctrl-D read as keys), or plain lines from piped stdin
//! with no prompt and no terminal features. A line ending in `\` continues on the next one in
//! both. Knows nothing about sessions, personas or slash commands.
//!
//! The editor lives only while a line is read: rustyline installs its own SIGINT handler for
//! as long as an editor exists and puts the previous one back when it is dropped. Keeping one
//! editor for the whole session would leave Ctrl-C during a reply to rustyline instead of the
//! interrupt listener (see `interrupt.rs`).

use std::io::{BufRead, IsTerminal, Lines, StdinLock};
use std::path::PathBuf;

use rustyline::error::ReadlineError;
use rustyline::history::{FileHistory, History};
use rustyline::DefaultEditor;

use crate::output;

/// What one read produced.
#[derive(Debug, PartialEq, Eq)]
pub enum Line {
    Text(String),
    /// Ctrl-C at the prompt.
    Interrupted,
    /// Ctrl-D, or the end of piped input.
    End,
}

pub enum LineSource {
    Terminal { history: PathBuf },
    Piped { lines: Lines<StdinLock<'static>> },
}

const CONTINUATION_PROMPT: &str = "... ";

impl LineSource {
    /// A line editor when stdin is a terminal, plain lines otherwise.
    pub fn for_stdin(history: PathBuf) -> LineSource {
        let piped = || LineSource::Piped {
            lines: std::io::stdin().lock().lines(),
        };
        if !std::io::stdin().is_terminal() {
            return piped();
        }
        match DefaultEditor::new() {
            Ok(_) => LineSource::Terminal { history },
            Err(error) => {
                output::warning(&format!(
                    "no line editing on this terminal ({error}); reading plain lines"
                ));
                piped()
            }
        }
    }

    pub fn is_terminal(&self) -> bool {
        matches!(self, LineSource::Terminal { .. })
    }

    /// One message: lines ending in `\` are joined with the next by a newline. Input that ends
    /// inside a continued message sends what was typed.
    pub fn read_message(&mut self, prompt: &str) -> Line {
        let mut message = String::new();
        let mut current_prompt = prompt;
        loop {
            match self.read_line(current_prompt) {
                Line::Text(line) => match line.strip_suffix('\\') {
                    Some(continued) => {
                        message.push_str(continued);
                        message.push('\n');
                        current_prompt = CONTINUATION_PROMPT;
                    }
                    None => {
                        message.push_str(&line);
                        break;
                    }
                },
                Line::Interrupted => return Line::Interrupted,
                Line::End if message.is_empty() => return Line::End,
                Line::End => break,
            }
        }
        self.remember(&message);
        Line::Text(message)
    }

    /// One line answering a question (`approve? [y/N]`); not kept in the history.
    pub fn read_answer(&mut self, prompt: &str) -> Line {
        self.read_line(prompt)
    }

    fn read_line(&mut self, prompt: &str) -> Line {
        match self {
            // Blocking is fine here: the engine is idle while the human types.
            LineSource::Terminal { history } => {
                let read = DefaultEditor::new().and_then(|mut editor| {
                    // A first session has no history yet.
                    let _ = editor.load_history(history.as_path());
                    editor.readline(prompt)
                });
                match read {
                    Ok(line) => Line::Text(line),
                    Err(ReadlineError::Interrupted) => Line::Interrupted,
                    Err(ReadlineError::Eof) => Line::End,
                    Err(error) => {
                        output::error(&format!("cannot read the terminal: {error}"), None);
                        Line::End
                    }
                }
            }
            LineSource::Piped { lines } => match lines.next() {
                Some(Ok(line)) => Line::Text(line.trim_end_matches('\r').to_owned()),
                Some(Err(error)) => {
                    output::error(&format!("cannot read standard input: {error}"), None);
                    Line::End
                }
                None => Line::End,
            },
        }
    }

    fn remember(&mut self, message: &str) {
        let LineSource::Terminal { history } = self else {
            return;
        };
        if message.trim().is_empty() {
            return;
        }
        if let Some(parent) = history.parent() {
            let _ = fs_err::create_dir_all(parent);
        }
        let mut entries = FileHistory::new();
        let saved = entries
            .add(message)
            // Appending keeps the entries of sessions running side by side.
            .and_then(|_| entries.append(history.as_path()));
        if let Err(error) = saved {
            tracing::debug!("cannot save the chat history: {error}");
        }
    }
}
