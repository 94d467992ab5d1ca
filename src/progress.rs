//! What `run` and `resume` show on stderr while a run goes on, and the summary at its end.
//!
//! Owns: the event lines (`allowed`/`DENIED`, gates, handoffs), the live status line on a
//! terminal (persona, elapsed time, tokens streamed, "waiting for the model", retries), and
//! the run summary. Does not print the final answer (the command does, on stdout).
//!
//! On a terminal the status line is one line at the bottom, redrawn in place by indicatif and
//! cleared before any other line is written, so it never mixes with them. Off a terminal, with
//! `-v` (tracing writes its own lines) or with `TERM=dumb` or `AGENTCTL_STATUS_LINE=off`, there
//! is no status line and every line is plain text. `--quiet` keeps only the summary.
//!
//! Every part of a line that comes from a model, a tool or a file is escaped for one line
//! ([`output::line`]) before agentctl adds its colours, so content cannot erase, move over or
//! forge the `allowed`/`DENIED` lines.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use agentctl_core::{RunEvent, RunObserver, RunReport, RunStatus};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};

use crate::output::{self, line as one};
use crate::style;

/// How much `run`/`resume` print on stderr.
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
    status: StatusLine,
    /// Streamed text not yet ended by a newline.
    pending_text: String,
    active: String,
    started: Instant,
    personas: Vec<String>,
    files_changed: BTreeSet<String>,
}

impl TerminalProgress {
    pub fn new(verbosity: Verbosity) -> TerminalProgress {
        let terminal = output::stderr_is_terminal();
        let status_line =
            terminal && !verbosity.quiet && !verbosity.tracing && status_line_wanted();
        TerminalProgress {
            quiet: verbosity.quiet,
            stream_text: terminal && !verbosity.quiet,
            status: StatusLine::new(status_line),
            pending_text: String::new(),
            active: String::new(),
            started: Instant::now(),
            personas: Vec::new(),
            files_changed: BTreeSet::new(),
        }
    }

    /// A plain line (content already escaped by the caller).
    fn line(&mut self, text: &str) {
        if self.quiet {
            return;
        }
        self.flush_text();
        self.status.suspend(|| output::note(text));
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
        self.status.suspend(|| output::note_styled(parts));
    }

    /// Ends streamed text that stopped mid-line.
    fn flush_text(&mut self) {
        if !self.pending_text.is_empty() {
            let text = std::mem::take(&mut self.pending_text);
            self.status.suspend(|| output::note(&text));
        }
    }

    fn stream(&mut self, delta: &str) {
        if !self.stream_text {
            return;
        }
        self.pending_text.push_str(delta);
        if let Some(end) = self.pending_text.rfind('\n') {
            let complete: String = self.pending_text.drain(..=end).collect();
            self.status.suspend(|| output::stderr_fragment(&complete));
        }
    }

    fn met(&mut self, persona: &str) {
        self.active = persona.to_owned();
        if !self.personas.iter().any(|known| known == persona) {
            self.personas.push(persona.to_owned());
        }
    }

    /// Prints the run summary: who worked, how much, and how the run ended. Printed with
    /// `--quiet` too; numbers of turns, calls and tokens are the whole run's (a resumed run
    /// counts its earlier parts), files and time are this command's.
    pub fn summary(&mut self, report: &RunReport) {
        self.flush_text();
        self.status.clear();
        let (label_style, label) = match report.status {
            RunStatus::Finished => (style::SUCCESS, "finished"),
            RunStatus::Failed => (style::FAILURE, "FAILED"),
            RunStatus::Rejected => (style::FAILURE, "REJECTED"),
            RunStatus::Interrupted => (style::PAUSED, "interrupted"),
            RunStatus::Paused => (style::PAUSED, "paused"),
            RunStatus::Waiting => (style::PAUSED, "waiting"),
            RunStatus::Running => (style::PAUSED, "running"),
        };
        let ending = match (&report.status, &report.pending) {
            (RunStatus::Paused, Some(pending)) => format!(
                "at gate {} for a human's decision on what {} asked (approve or reject, then resume)",
                pending.gate,
                one(&pending.persona)
            ),
            _ => one(&report.reason).into_owned(),
        };
        let heading = format!(" run {} on task {}", report.run_id, one(&report.task_id));
        output::note_styled(&[(Some(style::HEADING), "summary:"), (None, &heading)]);
        let ended = format!(": {ending}");
        output::note_styled(&[(Some(label_style), &format!("  {label}")), (None, &ended)]);
        let personas = if self.personas.is_empty() {
            one(&report.persona).into_owned()
        } else {
            self.personas
                .iter()
                .map(|persona| one(persona).into_owned())
                .collect::<Vec<_>>()
                .join(" → ")
        };
        let allowed = report.tool_calls.saturating_sub(report.denials);
        output::note(&format!(
            "  personas: {personas}\n  turns: {}, handoffs: {}, tool calls: {allowed} allowed, {} denied\n  files changed: {}\n  tokens: {} ({} prompt + {} completion)\n  time: {}",
            report.turns,
            report.handoffs,
            report.denials,
            self.files_changed.len(),
            report.usage.total(),
            report.usage.prompt_tokens,
            report.usage.completion_tokens,
            seconds(self.started.elapsed()),
        ));
    }
}

/// `AGENTCTL_STATUS_LINE=off` or `TERM=dumb` turns the live status line off (a screen reader,
/// a recorded terminal session).
fn status_line_wanted() -> bool {
    let off = std::env::var(agentctl_config::env::AGENTCTL_STATUS_LINE)
        .is_ok_and(|value| matches!(value.trim(), "off" | "0" | "false" | "no"));
    let dumb = std::env::var("TERM").is_ok_and(|term| term == "dumb");
    !off && !dumb
}

fn seconds(elapsed: Duration) -> String {
    let total = elapsed.as_secs();
    if total >= 60 {
        format!("{}m {:02}s", total / 60, total % 60)
    } else {
        format!("{:.1}s", elapsed.as_secs_f64())
    }
}

/// The live line at the bottom of a terminal while the model works.
struct StatusLine {
    enabled: bool,
    bar: Option<ProgressBar>,
}

impl StatusLine {
    fn new(enabled: bool) -> StatusLine {
        StatusLine { enabled, bar: None }
    }

    /// Shows `[persona] turn N: waiting for the model …`, ticking on its own.
    fn start(&mut self, persona: &str, turn: u32) {
        self.clear();
        if !self.enabled {
            return;
        }
        let style = ProgressStyle::with_template("{spinner} [{prefix}] turn {turn}: {work}{msg}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner())
            .with_key(
                "turn",
                move |_: &ProgressState, writer: &mut dyn std::fmt::Write| {
                    let _ = write!(writer, "{turn}");
                },
            )
            .with_key(
                "work",
                |state: &ProgressState, writer: &mut dyn std::fmt::Write| {
                    let waited = state.elapsed().as_secs();
                    let _ = if state.pos() == 0 {
                        write!(
                            writer,
                            "waiting for the model (no first token yet, {waited}s)"
                        )
                    } else {
                        write!(writer, "{} tokens, {waited}s", state.pos())
                    };
                },
            );
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        bar.set_style(style);
        bar.set_prefix(one(persona).into_owned());
        bar.enable_steady_tick(Duration::from_millis(200));
        self.bar = Some(bar);
    }

    fn tokens(&mut self, tokens: u64) {
        if let Some(bar) = &self.bar {
            if bar.position() == 0 && tokens > 0 {
                bar.set_message("");
            }
            bar.set_position(tokens);
        }
    }

    fn message(&mut self, text: &str) {
        if let Some(bar) = &self.bar {
            bar.set_message(format!(" — {}", one(text)));
        }
    }

    /// Clears the line for good (the model turn is over).
    fn clear(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }

    /// Runs `write` with the status line out of the way, then draws it again.
    fn suspend(&self, write: impl FnOnce()) {
        match &self.bar {
            Some(bar) => bar.suspend(write),
            None => write(),
        }
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
                self.status.start(persona, *turn);
            }
            RunEvent::ModelText { delta } => self.stream(delta),
            RunEvent::ModelTokens { tokens } => self.status.tokens(*tokens),
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
                    seconds(wait),
                    attempt + 1
                );
                self.status.tokens(0);
                self.status.message(&text);
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
                self.status.clear();
                let active = self.active.clone();
                self.line(&format!(
                    "[{}] turn {turn}: {} prompt + {} completion tokens, {latency_ms} ms, {tool_calls} tool call(s)",
                    one(&active), usage.prompt_tokens, usage.completion_tokens
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
                self.files_changed.insert(path.clone());
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
                self.status.clear();
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
                self.status.clear();
            }
        }
    }
}

impl Drop for TerminalProgress {
    fn drop(&mut self) {
        self.status.clear();
    }
}
