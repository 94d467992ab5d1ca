//! Renders run events as progress lines on stderr. Streamed model text is shown only when
//! stderr is a terminal; the final answer is printed on stdout by the command.
#![allow(clippy::print_stderr)]

use agentctl_core::{RunEvent, RunObserver, RunStatus};

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
            eprintln!();
            self.mid_line = false;
        }
        eprintln!("{text}");
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
                self.line(&format!("run {run_id}: task {task_id}, starting with {persona} (model {model} at {endpoint})"));
            }
            RunEvent::RunResumed { run_id, persona } => {
                self.active = persona.clone();
                self.line(&format!("resuming run {run_id} with {persona}"));
            }
            RunEvent::PersonaStarted { persona, tools, .. } => {
                self.active = persona.clone();
                let tools = if tools.is_empty() {
                    "no tools".to_owned()
                } else {
                    tools.join(", ")
                };
                self.line(&format!("[{persona}] started; tools: {tools}"));
            }
            RunEvent::GateChecked {
                persona,
                gate,
                status,
                satisfied,
            } => {
                let mark = if *satisfied { "ok" } else { "NOT MET" };
                self.line(&format!(
                    "[{persona}] gate {gate} ({}): {status} — {mark}",
                    gate.title()
                ));
            }
            RunEvent::ModelText { delta } => {
                if self.stream_text {
                    eprint!("{delta}");
                    self.mid_line = !delta.ends_with('\n');
                }
            }
            RunEvent::ModelRetry {
                attempt,
                wait_ms,
                reason,
            } => {
                self.line(&format!(
                    "  endpoint: {reason}; retry {attempt} in {wait_ms} ms"
                ));
            }
            RunEvent::ModelFallback { reason } => {
                self.line(&format!(
                    "  endpoint: {reason}; continuing without streaming"
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
                    "[{active}] turn {turn}: {} prompt + {} completion tokens, {latency_ms} ms, {tool_calls} tool call(s)",
                    usage.prompt_tokens, usage.completion_tokens
                ));
            }
            RunEvent::ToolAllowed { summary, .. } => self.line(&format!("  allowed  {summary}")),
            RunEvent::ToolDenied {
                summary, reason, ..
            } => {
                // The model gets the full reason (with the expected schema); people need the gist.
                let gist = reason
                    .split("; expected a JSON object")
                    .next()
                    .unwrap_or(reason);
                self.line(&format!("  DENIED   {summary}\n           {gist}"))
            }
            RunEvent::ToolFinished { ok, summary, .. } => {
                if !ok {
                    self.line(&format!("           failed: {summary}"));
                }
            }
            RunEvent::GateReported { gate, status, by } => {
                self.line(&format!("  gate {gate} recorded as {status} by {by}"))
            }
            RunEvent::Handoff { from, to, summary } => {
                self.line(&format!(
                    "handoff {from} → {to}: {}",
                    summary.lines().next().unwrap_or_default()
                ));
            }
            RunEvent::Paused { pending } => {
                self.line(&format!(
                    "paused at {}: {}",
                    pending.gate,
                    pending.describe()
                ));
            }
            RunEvent::McpServerFailed { server, error } => {
                self.line(&format!("  MCP server {server} unavailable: {error}"));
            }
            RunEvent::Finished { status, reason } => {
                let label = match status {
                    RunStatus::Finished => "finished",
                    RunStatus::Failed => "FAILED",
                    RunStatus::Interrupted => "interrupted",
                    RunStatus::Paused => "paused",
                    RunStatus::Running => "running",
                    RunStatus::Waiting => "waiting",
                };
                self.line(&format!("run {label}: {reason}"));
            }
        }
    }
}
