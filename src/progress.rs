//! What `run` and `resume` show on stderr while a run goes on, and the summary at its end.
//!
//! Owns: the event lines (`allowed`/`DENIED`, gates, handoffs) of `run`/`resume`. The model
//! at work (the live status line on a terminal, the plain "waiting"/"still waiting" lines
//! elsewhere) is [`activity`], the summary [`summary`]; the chat REPL uses both too. Does not
//! print the final answer (the command does, on stdout).
//!
//! On a terminal the status line is one line at the bottom, redrawn in place by indicatif and
//! cleared before any other line is written, so it never mixes with them. Off a terminal, with
//! `-v` (tracing writes its own lines) or with `TERM=dumb` or `AGENTCTL_STATUS_LINE=off`, there
//! is no status line and every line is plain text. `--quiet` keeps only the summary.
//!
//! Every part of a line that comes from a model, a tool or a file is escaped for one line
//! ([`output::line`]) before agentctl adds its colours, so content cannot erase, move over or
//! forge the `allowed`/`DENIED` lines.

pub mod activity;
pub mod summary;

use std::time::Duration;

use agentctl_core::{RunEvent, RunObserver, RunReport};

use crate::output::{self, line as one};
use crate::style;
use activity::ModelActivity;

/// How much `run`/`resume`/`chat` print on stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verbosity {
    /// `--quiet`: the summary and errors only.
    pub quiet: bool,
    /// `-v`/`-vv`: tracing writes lines of its own, so there is no status line.
    pub tracing: bool,
}

pub struct TerminalProgress {
    quiet: bool,
    /// Streamed model text is shown (on a terminal only), a line at a time.
    stream_text: bool,
    activity: ModelActivity,
    /// Streamed text not yet ended by a newline.
    pending_text: String,
    active: String,
}

impl TerminalProgress {
    pub fn new(verbosity: Verbosity) -> TerminalProgress {
        let terminal = output::stderr_is_terminal();
        TerminalProgress {
            quiet: verbosity.quiet,
            stream_text: terminal && !verbosity.quiet,
            activity: ModelActivity::new(verbosity),
            pending_text: String::new(),
            active: String::new(),
        }
    }

    /// A plain line (content already escaped by the caller).
    fn line(&mut self, text: &str) {
        if self.quiet {
            return;
        }
        self.flush_text();
        self.activity.suspend(|| output::note(text));
    }

    /// A line starting with a coloured label.
    fn painted(&mut self, label_style: anstyle::Style, label: &str, rest: &str) {
        self.parts(&[(Some(label_style), label), (None, rest)]);
    }

    /// A line of parts, some coloured (content in them already escaped).
    fn parts(&mut self, parts: &[(Option<anstyle::Style>, &str)]) {
        if self.quiet {
            return;
        }
        self.flush_text();
        self.activity.suspend(|| output::note_styled(parts));
    }

    /// Ends streamed text that stopped mid-line.
    fn flush_text(&mut self) {
        if !self.pending_text.is_empty() {
            let text = std::mem::take(&mut self.pending_text);
            self.activity.suspend(|| output::note(&text));
        }
    }

    fn stream(&mut self, delta: &str) {
        if !self.stream_text {
            return;
        }
        self.pending_text.push_str(delta);
        if let Some(end) = self.pending_text.rfind('\n') {
            let complete: String = self.pending_text.drain(..=end).collect();
            self.activity.suspend(|| output::stderr_fragment(&complete));
        }
    }

    fn met(&mut self, persona: &str) {
        self.active = persona.to_owned();
    }

    /// Prints the run summary (see [`summary`]): the whole run's numbers, a resumed run's
    /// earlier parts included. Printed with `--quiet` too.
    pub fn summary(&mut self, report: &RunReport) {
        self.flush_text();
        self.activity.stop();
        summary::print(report, summary::Subject::Run);
    }
}

impl RunObserver for TerminalProgress {
    fn on_event(&mut self, event: &RunEvent) {
        match event {
            RunEvent::RunStarted {
                run_id,
                task_id,
                persona,
                model,
                endpoint,
            } => {
                self.met(persona);
                self.line(&format!(
                    "run {run_id}: task {}, starting with {} (model {} at {})",
                    one(task_id),
                    one(persona),
                    one(model),
                    one(endpoint)
                ));
            }
            RunEvent::RunResumed {
                run_id,
                persona,
                model,
                endpoint,
                started_with,
                journal_torn_bytes,
            } => {
                self.met(persona);
                self.line(&format!(
                    "resuming run {run_id} with {} (model {} at {})",
                    one(persona),
                    one(model),
                    one(endpoint)
                ));
                if *journal_torn_bytes > 0 {
                    self.line(&format!(
                        "note: the run's journal ended in a record cut short by a crash ({journal_torn_bytes} bytes); it was dropped and the run continues from the last whole record"
                    ));
                }
                if let Some(started) = started_with {
                    self.line(&format!(
                        "note: the run started against {started}; it continues against {endpoint}, the endpoint configured now", started = one(started), endpoint = one(endpoint)
                    ));
                }
            }
            RunEvent::PersonaStarted { persona, tools, .. } => {
                self.met(persona);
                let tools = if tools.is_empty() {
                    "no tools".to_owned()
                } else {
                    tools.join(", ")
                };
                self.line(&format!(
                    "[{}] started; tools: {}",
                    one(persona),
                    one(&tools)
                ));
            }
            RunEvent::GateChecked {
                persona,
                gate,
                status,
                satisfied,
            } => {
                let text = format!(
                    "[{}] gate {gate} ({}): {status} — ",
                    one(persona),
                    gate.title()
                );
                if *satisfied {
                    self.line(&format!("{text}ok"));
                } else {
                    self.parts(&[(None, &text), (Some(style::PAUSED), "NOT MET")]);
                }
            }
            RunEvent::ModelWaiting { persona, turn } => {
                self.flush_text();
                self.activity.start(persona, *turn);
            }
            RunEvent::ModelText { delta } => self.stream(delta),
            RunEvent::ModelTokens { tokens } => self.activity.tokens(*tokens),
            RunEvent::ModelRetry {
                attempt,
                attempts,
                wait_ms,
                reason,
            } => {
                // Text shown so far belonged to the failed attempt.
                self.flush_text();
                let wait = Duration::from_millis(*wait_ms);
                let text = format!(
                    "endpoint: {}; retrying in {} (attempt {} of {attempts})",
                    one(reason),
                    summary::duration(wait),
                    attempt + 1
                );
                self.activity.message(&text);
                self.line(&format!("  {text}"));
            }
            RunEvent::ModelFallback { reason } => {
                self.line(&format!(
                    "  endpoint: {}; continuing without streaming",
                    one(reason)
                ));
            }
            RunEvent::ModelTurn {
                turn,
                usage,
                latency_ms,
                tool_calls,
            } => {
                self.flush_text();
                let label = self
                    .activity
                    .stop()
                    .unwrap_or_else(|| format!("[{}] turn {turn}", one(&self.active)));
                self.line(&format!(
                    "{label}: {} prompt + {} completion tokens, {latency_ms} ms, {tool_calls} tool call(s)",
                    usage.prompt_tokens, usage.completion_tokens
                ));
            }
            RunEvent::ToolAllowed { summary, .. } => {
                self.painted(style::ALLOWED, "  allowed", &format!("  {}", one(summary)));
            }
            RunEvent::ToolDenied {
                summary, reason, ..
            } => {
                // The model gets the full reason (with the expected schema); people need the gist.
                let gist = output::denial_gist(reason);
                self.painted(
                    style::DENIED,
                    "  DENIED",
                    &format!("   {}\n           {}", one(summary), one(gist)),
                );
            }
            RunEvent::ToolFinished { ok, summary, .. } => {
                if !ok {
                    self.line(&format!("           failed: {}", one(summary)));
                }
            }
            RunEvent::FileChanged {
                path,
                created,
                added_lines,
                removed_lines,
            } => {
                let verb = if *created { "created" } else { "changed" };
                self.line(&format!(
                    "           {verb} {} (+{added_lines} −{removed_lines})",
                    one(path)
                ));
            }
            RunEvent::GateReported { gate, status, by } => self.line(&format!(
                "  gate {gate} recorded as {status} by {}",
                one(by)
            )),
            RunEvent::Handoff { from, to, summary } => {
                self.met(to);
                self.painted(
                    style::PAUSED,
                    "handoff",
                    &format!(
                        " {} → {}: {}",
                        one(from),
                        one(to),
                        agentctl_display::cut_line(summary, 160)
                    ),
                );
            }
            RunEvent::Paused { pending } => {
                self.activity.stop();
                self.painted(
                    style::PAUSED,
                    &format!("paused at {}", pending.gate),
                    &format!(": {}", one(&pending.describe())),
                );
            }
            RunEvent::McpServerFailed { server, error } => {
                self.line(&format!("  MCP server {server} unavailable: {error}"));
            }
            // The summary says how the run ended (printed by the command with the report).
            RunEvent::Finished { .. } => {
                self.flush_text();
                self.activity.stop();
            }
        }
    }
}
