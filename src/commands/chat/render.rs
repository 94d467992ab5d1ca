//! How a chat session looks: replies stream to stdout token by token; tool calls, handoffs,
//! gates and notes are short lines on stderr (dim or highlighted on a terminal, plain when
//! piped). Knows nothing about where lines come from or what slash commands do.
//!
//! Content is escaped before it is shown (replies as a block, everything inside a status line
//! as one line); the colours are agentctl's own ([`crate::style`]), added around text that is
//! already escaped, and dropped by the same rules as everywhere (`NO_COLOR`, no terminal).

use agentctl_core::{RunEvent, RunObserver};

use crate::output::{self, line as one};
use crate::style;

/// Renders one session's run events.
pub struct ChatObserver {
    colour: bool,
    /// Streamed text left stdout in the middle of a line.
    mid_line: bool,
    /// Whether the model turn in progress has streamed text.
    turn_streamed: bool,
    /// Whether the last finished model turn streamed its text.
    last_turn_streamed: bool,
}

impl ChatObserver {
    pub fn new(colour: bool) -> ChatObserver {
        ChatObserver {
            colour,
            mid_line: false,
            turn_streamed: false,
            last_turn_streamed: false,
        }
    }

    /// Call before the engine works on a message or a decision.
    pub fn start_reply(&mut self) {
        self.turn_streamed = false;
        self.last_turn_streamed = false;
    }

    /// Call when the engine returned: prints the answer if it was not streamed (an endpoint
    /// without streaming) and leaves stdout at the start of a line.
    pub fn finish_reply(&mut self, answer: Option<&str>) {
        if let Some(answer) = answer.filter(|answer| !answer.trim().is_empty()) {
            if !self.last_turn_streamed {
                self.end_stdout_line();
                output::stdout(answer.trim_end());
                self.mid_line = true;
            }
        }
        self.end_stdout_line();
    }

    /// A plain line on stderr.
    pub fn note(&mut self, text: &str) {
        self.end_stdout_line();
        output::note(text);
    }

    /// A line that matters less than the conversation: dim on a terminal.
    pub fn quiet(&mut self, text: &str) {
        self.end_stdout_line();
        if self.colour {
            output::note_styled(&[(Some(style::DIM), text)]);
        } else {
            output::note(text);
        }
    }

    /// A refused tool call: red on a terminal, like in `run`.
    fn denied(&mut self, text: &str) {
        self.end_stdout_line();
        if self.colour {
            output::note_styled(&[(Some(style::DENIED), text)]);
        } else {
            output::note(text);
        }
    }

    /// A line the human must not miss: a handoff, a gate waiting for them.
    pub fn banner(&mut self, text: &str) {
        self.end_stdout_line();
        let text = format!("── {text} ──");
        if self.colour {
            output::note_styled(&[(Some(style::PAUSED), &text)]);
        } else {
            output::note(&text);
        }
    }

    /// Ends a streamed line on stdout before anything else is written.
    pub fn end_stdout_line(&mut self) {
        if self.mid_line {
            output::stdout("\n");
            self.mid_line = false;
        }
    }
}

impl RunObserver for ChatObserver {
    fn on_event(&mut self, event: &RunEvent) {
        match event {
            RunEvent::ModelText { delta } => {
                if !delta.is_empty() {
                    output::stdout(delta);
                    self.mid_line = !delta.ends_with('\n');
                    self.turn_streamed = true;
                }
            }
            RunEvent::ModelTurn { .. } => {
                self.last_turn_streamed = self.turn_streamed;
                self.turn_streamed = false;
            }
            RunEvent::ModelRetry {
                attempt,
                attempts,
                wait_ms,
                reason,
            } => {
                // Text already shown belonged to the failed attempt; the retry streams anew.
                self.turn_streamed = false;
                self.quiet(&format!(
                    "  endpoint: {}; retrying in {:.1}s (attempt {} of {attempts})",
                    one(reason),
                    std::time::Duration::from_millis(*wait_ms).as_secs_f64(),
                    attempt + 1
                ));
            }
            RunEvent::ModelFallback { reason } => {
                self.quiet(&format!(
                    "  endpoint: {}; continuing without streaming",
                    one(reason)
                ));
            }
            RunEvent::ToolAllowed { summary, .. } => self.quiet(&format!("  ▸ {}", one(summary))),
            RunEvent::ToolDenied {
                summary, reason, ..
            } => self.denied(&format!(
                "  ✗ denied {}: {}",
                one(summary),
                one(crate::output::denial_gist(reason))
            )),
            RunEvent::ToolFinished { ok, summary, .. } => {
                if !ok {
                    self.quiet(&format!("    failed: {}", one(summary)));
                }
            }
            RunEvent::GateChecked {
                persona,
                gate,
                status,
                satisfied,
            } => {
                if !satisfied {
                    self.note(&format!(
                        "[{}] gate {gate} ({}) is {status}",
                        one(persona),
                        gate.title()
                    ));
                }
            }
            RunEvent::GateReported { gate, status, by } => {
                self.quiet(&format!(
                    "  gate {gate} recorded as {status} by {}",
                    one(by)
                ));
            }
            RunEvent::Handoff { from, to, summary } => {
                self.banner(&format!("handoff {} → {}", one(from), one(to)));
                for line in summary.split('\n').filter(|line| !line.trim().is_empty()) {
                    self.note(&format!(
                        "   {}",
                        one(line.strip_suffix('\r').unwrap_or(line))
                    ));
                }
            }
            RunEvent::McpServerFailed { server, error } => {
                self.note(&format!("MCP server {server} unavailable: {error}"));
            }
            // The REPL reports pauses, interruptions and endings from the run report.
            RunEvent::RunStarted { .. }
            | RunEvent::RunResumed { .. }
            | RunEvent::PersonaStarted { .. }
            | RunEvent::ModelWaiting { .. }
            | RunEvent::ModelTokens { .. }
            | RunEvent::FileChanged { .. }
            | RunEvent::Paused { .. }
            | RunEvent::Finished { .. } => {}
        }
    }
}
