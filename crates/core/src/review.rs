//! What a human needs to see before deciding on a run (`agentctl runs show`): the persona chain
//! with handoff summaries, the pending action with its full arguments, the persona's own words
//! before it, the digest, the files changed so far with their diffs, the denials, tokens and time.
//!
//! Built from the run's saved state and its entries in the audit log; changes nothing.
//!
//! Does not know about: terminals or escaping (the binary renders a [`RunReview`]).

use agentctl_audit::AuditEntry;
use agentctl_protocol::{EventKind, Gate, Role, Usage};
use serde::Serialize;
use serde_json::Value;

use crate::registry::RunEntry;
use crate::run_state::{PendingKind, RunEnd, RunStatus};

/// One persona of the run, in the order they worked.
#[derive(Debug, Clone, Serialize)]
pub struct PersonaStep {
    pub persona: String,
    /// The summary the previous persona handed over with, for every persona after the first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub handoff_summary: Option<String>,
}

/// The action waiting for a human.
#[derive(Debug, Clone, Serialize)]
pub struct PendingReview {
    pub gate: Gate,
    pub persona: String,
    /// Approve with `--call` and the start of this to be sure of what you approve.
    pub digest: String,
    /// `call` (a tool call) or `start` (a persona that may not start yet).
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool: Option<String>,
    /// The call's arguments exactly as they will be executed, pretty-printed when they are JSON.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arguments: Option<String>,
    /// The rule the call matched.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// Why a human must decide (the policy's reason, or the start gate's).
    pub why: String,
    /// What the persona wrote with the call, if anything.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub persona_reason: Option<String>,
    pub since: String,
}

/// A file a persona wrote.
#[derive(Debug, Clone, Serialize)]
pub struct FileChange {
    pub persona: String,
    pub path: String,
    pub created: bool,
    pub added_lines: u64,
    pub removed_lines: u64,
    pub diff: String,
    /// Changed by a command the persona ran, not by `fs_write`: no diff or line counts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by_command: Option<CommandChange>,
}

/// How a command changed a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CommandChange {
    Created,
    Modified,
    Removed,
}

/// A tool call the policy (or a human) refused.
#[derive(Debug, Clone, Serialize)]
pub struct DenialReview {
    pub persona: String,
    pub tool: String,
    pub arguments: String,
    pub reason: String,
}

/// Everything `runs show` prints.
#[derive(Debug, Clone, Serialize)]
pub struct RunReview {
    pub run_id: String,
    pub kind: &'static str,
    pub task_id: String,
    pub entry: String,
    pub status: RunStatus,
    /// Whether a process drives the run right now.
    pub driven: bool,
    pub started_at: String,
    pub updated_at: String,
    /// Seconds from start to the last save.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub elapsed_seconds: Option<i64>,
    pub personas: Vec<PersonaStep>,
    pub active_persona: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pending: Option<PendingReview>,
    pub files_changed: Vec<FileChange>,
    pub denials: Vec<DenialReview>,
    pub turns: u32,
    pub tool_calls: u32,
    pub handoffs: u32,
    pub usage: Usage,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end: Option<RunEnd>,
}

/// Builds the review of `entry` from its state and the audit entries of the whole log.
pub fn review(entry: &RunEntry, audit: &[AuditEntry]) -> RunReview {
    let state = &entry.state;
    let ours: Vec<&AuditEntry> = audit
        .iter()
        .filter(|audited| audited.run.as_ref() == Some(&state.run_id))
        .collect();
    let text = |audited: &AuditEntry, key: &str| {
        audited
            .details
            .get(key)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let number = |audited: &AuditEntry, key: &str| {
        audited
            .details
            .get(key)
            .and_then(Value::as_u64)
            .unwrap_or_default()
    };
    let mut personas = vec![PersonaStep {
        persona: state.trail.first().cloned().unwrap_or_default(),
        handoff_summary: None,
    }];
    for handoff in ours
        .iter()
        .filter(|audited| audited.event == EventKind::Handoff)
    {
        personas.push(PersonaStep {
            persona: text(handoff, "to"),
            handoff_summary: Some(text(handoff, "summary")),
        });
    }
    let mut files_changed = Vec::new();
    for audited in &ours {
        let persona = audited.persona.clone().unwrap_or_default();
        if audited.event == EventKind::FileDiff {
            files_changed.push(FileChange {
                persona,
                path: text(audited, "path"),
                created: audited
                    .details
                    .get("created")
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
                added_lines: number(audited, "added_lines"),
                removed_lines: number(audited, "removed_lines"),
                diff: text(audited, "diff"),
                by_command: None,
            });
        } else if let Some(changed) = audited.details.get("changed_files") {
            for (key, kind) in [
                ("created", CommandChange::Created),
                ("modified", CommandChange::Modified),
                ("removed", CommandChange::Removed),
            ] {
                let paths = changed.get(key).and_then(Value::as_array);
                for path in paths.into_iter().flatten().filter_map(Value::as_str) {
                    files_changed.push(FileChange {
                        persona: persona.clone(),
                        path: path.to_owned(),
                        created: kind == CommandChange::Created,
                        added_lines: 0,
                        removed_lines: 0,
                        diff: String::new(),
                        by_command: Some(kind),
                    });
                }
            }
        }
    }
    let denials = ours
        .iter()
        .filter(|audited| audited.event == EventKind::ToolDenied)
        .map(|audited| DenialReview {
            persona: audited.persona.clone().unwrap_or_default(),
            tool: text(audited, "tool"),
            arguments: text(audited, "arguments"),
            reason: text(audited, "reason"),
        })
        .collect();
    RunReview {
        run_id: state.run_id.to_string(),
        kind: entry.kind(),
        task_id: state.task_id.to_string(),
        entry: state.entry.clone(),
        status: entry.status(),
        driven: entry.driven,
        started_at: state.started_at.clone(),
        updated_at: state.updated_at.clone(),
        elapsed_seconds: elapsed(&state.started_at, &state.updated_at),
        personas,
        active_persona: state.active.name.clone(),
        pending: pending(entry),
        files_changed,
        denials,
        turns: state.turns,
        tool_calls: state.tool_calls,
        handoffs: state.handoffs,
        usage: state.usage,
        end: state.end.clone(),
    }
}

fn pending(entry: &RunEntry) -> Option<PendingReview> {
    let state = &entry.state;
    let pending = state
        .pending
        .as_ref()
        .filter(|_| state.status == RunStatus::Paused)?;
    let mut review = PendingReview {
        gate: pending.gate,
        persona: pending.persona.clone(),
        digest: pending.digest.clone(),
        kind: "start",
        tool: None,
        arguments: None,
        rule: None,
        why: String::new(),
        persona_reason: None,
        since: pending.created_at.clone(),
    };
    match &pending.kind {
        PendingKind::Call { call, rule, reason } => {
            review.kind = "call";
            review.tool = Some(call.name.clone());
            review.arguments = Some(
                serde_json::from_str::<Value>(&call.arguments)
                    .ok()
                    .and_then(|value| serde_json::to_string_pretty(&value).ok())
                    .unwrap_or_else(|| call.arguments.clone()),
            );
            review.rule = Some(rule.clone());
            review.why = reason.clone();
            // The assistant message that made the call: its text is the persona's own reason.
            review.persona_reason = state
                .messages
                .iter()
                .rev()
                .find(|message| {
                    message.role == Role::Assistant
                        && message.tool_calls.iter().any(|made| made.id == call.id)
                })
                .and_then(|message| message.content.clone())
                .map(|text| text.trim().to_owned())
                .filter(|text| !text.is_empty());
        }
        PendingKind::Start { because } => review.why = because.clone(),
    }
    Some(review)
}

fn elapsed(started_at: &str, updated_at: &str) -> Option<i64> {
    let format = time::format_description::well_known::Rfc3339;
    let started = time::OffsetDateTime::parse(started_at, &format).ok()?;
    let updated = time::OffsetDateTime::parse(updated_at, &format).ok()?;
    Some((updated - started).whole_seconds())
}
