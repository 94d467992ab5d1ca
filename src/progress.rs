//! Renders run events as progress lines on stderr. Streamed model text is shown only when
//! stderr is a terminal; the final answer is printed on stdout by the command.
//!
//! Every part of a line that comes from a model, a tool or a file is escaped for one line
//! ([`output::line`]), so it cannot erase, move over or forge the `allowed`/`DENIED` lines.
#![allow(clippy::print_stderr)]

use agentctl_core::{RunEvent, RunObserver, RunStatus};

use crate::output::{self, line as one};

pub struct TerminalProgress {
    stream_text: bool,
    /// Whether streamed text left the cursor mid-line.
    mid_line: bool,
    active: String,
}

impl TerminalProgress {
    pub fn new() -> TerminalProgress {
        TerminalProgress {
            stream_text: crate::output::stderr_is_terminal(),
            mid_line: false,
            active: String::new(),
        }
    }

    fn line(&mut self, text: &str) {
        if self.mid_line {
            output::note("");
            self.mid_line = false;
        }
        output::note(text);
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
                self.active = persona.clone();
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
                self.active = persona.clone();
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
                self.active = persona.clone();
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
                let mark = if *satisfied { "ok" } else { "NOT MET" };
                self.line(&format!(
                    "[{}] gate {gate} ({}): {status} — {mark}",
                    one(persona),
                    gate.title()
                ));
            }
            RunEvent::ModelText { delta } => {
                if self.stream_text {
                    output::stderr_fragment(delta);
                    self.mid_line = !delta.ends_with('\n');
                }
            }
            RunEvent::ModelRetry {
                attempt,
                wait_ms,
                reason,
            } => {
                self.line(&format!(
                    "  endpoint: {}; retry {attempt} in {wait_ms} ms",
                    one(reason)
                ));
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
                let active = self.active.clone();
                self.line(&format!(
                    "[{}] turn {turn}: {} prompt + {} completion tokens, {latency_ms} ms, {tool_calls} tool call(s)",
                    one(&active), usage.prompt_tokens, usage.completion_tokens
                ));
            }
            RunEvent::ToolAllowed { summary, .. } => {
                self.line(&format!("  allowed  {}", one(summary)))
            }
            RunEvent::ToolDenied {
                summary, reason, ..
            } => {
                // The model gets the full reason (with the expected schema); people need the gist.
                let gist = output::denial_gist(reason);
                self.line(&format!(
                    "  DENIED   {}\n           {}",
                    one(summary),
                    one(gist)
                ))
            }
            RunEvent::ToolFinished { ok, summary, .. } => {
                if !ok {
                    self.line(&format!("           failed: {}", one(summary)));
                }
            }
            RunEvent::GateReported { gate, status, by } => self.line(&format!(
                "  gate {gate} recorded as {status} by {}",
                one(by)
            )),
            RunEvent::Handoff { from, to, summary } => {
                self.line(&format!(
                    "handoff {} → {}: {}",
                    one(from),
                    one(to),
                    agentctl_display::cut_line(summary, 160)
                ));
            }
            RunEvent::Paused { pending } => {
                self.line(&format!(
                    "paused at {}: {}",
                    pending.gate,
                    one(&pending.describe())
                ));
            }
            RunEvent::McpServerFailed { server, error } => {
                self.line(&format!("  MCP server {server} unavailable: {error}"));
            }
            RunEvent::Finished { status, reason } => {
                let label = match status {
                    RunStatus::Finished => "finished",
                    RunStatus::Failed => "FAILED",
                    RunStatus::Rejected => "REJECTED",
                    RunStatus::Interrupted => "interrupted",
                    RunStatus::Paused => "paused",
                    RunStatus::Running => "running",
                    RunStatus::Waiting => "waiting",
                };
                self.line(&format!("run {label}: {}", one(reason)));
            }
        }
    }
}
