//! How a chat session looks: replies stream to stdout token by token; tool calls, handoffs,
//! gates and notes are short lines on stderr (dim or highlighted on a terminal, plain when
//! piped). While the model works, the same live status line as `run` (or, off a terminal, the
//! same plain "waiting"/"still waiting" lines) shows on stderr, until the reply starts
//! streaming; the session's summary is `run`'s too ([`crate::progress`]). Knows nothing about
//! where lines come from or what slash commands do.
//!
//! Content is escaped before it is shown (replies as a block, everything inside a status line
//! as one line); the colours are agentctl's own ([`crate::style`]), added around text that is
//! already escaped, and dropped by the same rules as everywhere (`NO_COLOR`, no terminal).

use agentctl_core::{RunEvent, RunObserver, RunReport};

use crate::output::{self, line as one};
use crate::progress::activity::ModelActivity;
use crate::progress::{summary, Verbosity};
use crate::style;

/// Renders one session's run events.
pub struct ChatObserver {
    colour: bool,
    /// The model at work: status line, plain lines, or nothing with `--quiet`.
    activity: ModelActivity,
    /// Streamed text left stdout in the middle of a line.
    mid_line: bool,
    /// Whether the model turn in progress has streamed text.
    turn_streamed: bool,
    /// Whether the last finished model turn streamed its text.
    last_turn_streamed: bool,
    /// A stderr line waiting for the streamed line on stdout to end.
    after_line: Option<String>,
}

impl ChatObserver {
    pub fn new(colour: bool, verbosity: Verbosity) -> ChatObserver {
        ChatObserver {
            colour,
            activity: ModelActivity::new(verbosity),
            mid_line: false,
            turn_streamed: false,
            last_turn_streamed: false,
            after_line: None,
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
        self.activity.stop();
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
        self.styled(None, text);
    }

    /// A line that matters less than the conversation: dim on a terminal.
    pub fn quiet(&mut self, text: &str) {
        self.styled(Some(style::DIM), text);
    }

    /// A refused tool call: red on a terminal, like in `run`.
    fn denied(&mut self, text: &str) {
        self.styled(Some(style::DENIED), text);
    }

    /// A line the human must not miss: a handoff, a gate waiting for them.
    pub fn banner(&mut self, text: &str) {
        self.styled(Some(style::PAUSED), &format!("── {text} ──"));
    }

    /// One line on stderr, in `style` on a terminal, with the status line out of its way.
    fn styled(&mut self, line_style: Option<anstyle::Style>, text: &str) {
        self.end_stdout_line();
        let line_style = line_style.filter(|_| self.colour);
        self.activity.suspend(|| match line_style {
            Some(line_style) => output::note_styled(&[(Some(line_style), text)]),
            None => output::note(text),
        });
    }

    /// The session's summary, as `run` prints one (the whole session, every process that
    /// drove it).
    pub fn summary(&mut self, report: &RunReport) {
        self.activity.stop();
        self.end_stdout_line();
        summary::print(report, summary::Subject::Session);
    }

    /// Ends a streamed line on stdout before anything else is written.
    pub fn end_stdout_line(&mut self) {
        if self.mid_line {
            output::stdout("\n");
            self.mid_line = false;
        }
        if let Some(line) = self.after_line.take() {
            output::note(&line);
        }
    }
}

impl RunObserver for ChatObserver {
    fn on_event(&mut self, event: &RunEvent) {
        match event {
            RunEvent::ModelText { delta } => {
                if !delta.is_empty() {
                    // The reply itself now shows that the model works.
                    self.activity.hide();
                    output::stdout(delta);
                    self.mid_line = !delta.ends_with('\n');
                    self.turn_streamed = true;
                }
            }
            RunEvent::ModelWaiting { persona, turn } => {
                self.end_stdout_line();
                self.activity.start(persona, *turn);
            }
            RunEvent::ModelTokens { tokens } => self.activity.tokens(*tokens),
            RunEvent::ModelTurn {
                usage,
                latency_ms,
                tool_calls,
                ..
            } => {
                self.last_turn_streamed = self.turn_streamed;
                self.turn_streamed = false;
                let label = self.activity.stop();
                // Off a terminal the "waiting" line gets its answer; on one the status line
                // just goes.
                if let Some(label) = label.filter(|_| self.activity.is_plain()) {
                    let line = format!(
                        "{label}: reply complete, {} completion tokens, {latency_ms} ms, {tool_calls} tool call(s)",
                        usage.completion_tokens
                    );
                    // Not in the middle of the reply's last line (stdout and stderr may be one
                    // log): it follows once that line ends.
                    if self.mid_line {
                        self.after_line = Some(line);
                    } else {
                        output::note(&line);
                    }
                }
            }
            RunEvent::ModelRetry {
                attempt,
                attempts,
                wait_ms,
                reason,
            } => {
                // Text already shown belonged to the failed attempt; the retry streams anew.
                self.turn_streamed = false;
                let text = format!(
                    "endpoint: {}; retrying in {:.1}s (attempt {} of {attempts})",
                    one(reason),
                    std::time::Duration::from_millis(*wait_ms).as_secs_f64(),
                    attempt + 1
                );
                self.activity.message(&text);
                self.quiet(&format!("  {text}"));
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
            | RunEvent::FileChanged { .. } => {}
            RunEvent::Paused { .. } | RunEvent::Finished { .. } => {
                self.activity.stop();
            }
        }
    }
}
