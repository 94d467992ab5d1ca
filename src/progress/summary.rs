//! The summary printed when a run or a chat session ends or rests: who worked, how much, and
//! how it ended. Printed with `--quiet` too.
//!
//! Every number comes from the run's saved state (through [`RunReport`]), so after `resume` (or
//! `chat --resume`) the summary covers the whole run, every process that drove it, not only
//! this one. Does not print the answer or the next commands; the command does.

use std::time::Duration;

use agentctl_core::{RunReport, RunStatus};

use crate::output::{self, line as one};
use crate::style;

/// What is summed up: a task run or a chat session (the heading names it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    Run,
    Session,
}

/// Prints the summary of `report` on stderr.
pub fn print(report: &RunReport, subject: Subject) {
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
    let heading = match subject {
        Subject::Run => format!(" run {} on task {}", report.run_id, one(&report.task_id)),
        Subject::Session => format!(" session {}", report.run_id),
    };
    output::note_styled(&[(Some(style::HEADING), "summary:"), (None, &heading)]);
    let ended = format!(": {ending}");
    output::note_styled(&[(Some(label_style), &format!("  {label}")), (None, &ended)]);
    let personas = if report.personas.is_empty() {
        one(&report.persona).into_owned()
    } else {
        report
            .personas
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
        report.files_changed.len(),
        report.usage.total(),
        report.usage.prompt_tokens,
        report.usage.completion_tokens,
        time(report),
    ));
}

/// `1m 05s`, and `across N sessions` when more than one process drove the run.
fn time(report: &RunReport) -> String {
    let worked = duration(Duration::from_millis(report.worked_ms));
    if report.sessions > 1 {
        format!("{worked} across {} sessions", report.sessions)
    } else {
        worked
    }
}

/// `3.2s` under a minute, `2m 05s` above.
pub fn duration(elapsed: Duration) -> String {
    let total = elapsed.as_secs();
    if total >= 60 {
        format!("{}m {:02}s", total / 60, total % 60)
    } else {
        format!("{:.1}s", elapsed.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_seconds_then_minutes() {
        assert_eq!(duration(Duration::from_millis(3240)), "3.2s");
        assert_eq!(duration(Duration::from_secs(125)), "2m 05s");
    }
}
