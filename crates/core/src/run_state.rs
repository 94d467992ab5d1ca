//! What is persisted about one run after every step: the snapshot
//! `.agentctl/runs/RUN_ID/state.json` and the journal beside it (see [`crate::run_journal`]).
//!
//! The state is the single source of truth for `resume`: the active persona, its
//! conversation, counters, the call waiting for a human, and the audit records not yet known to
//! be in the log (the outbox). A pause writes it whole as the snapshot; the snapshot's SHA-256
//! is put in the audit log, so a state file edited during the pause is refused on resume.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use agentctl_audit::AuditRecord;
use agentctl_protocol::{Gate, Message, RunId, TaskId, ToolCall, ToolName, Usage};
use serde::{Deserialize, Serialize};

use crate::store::{atomic_write, sha256_hex};
use crate::CoreError;

pub const STATE_FILE_NAME: &str = "state.json";
const STATE_VERSION: u32 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    Running,
    /// Waiting for a human at a gate.
    Paused,
    Finished,
    Failed,
    /// Ended because a human rejected its pending action (with `on_reject = "end_run"`) or a
    /// persona's start gate.
    Rejected,
    /// Stopped by Ctrl-C or a crash; `resume` continues.
    Interrupted,
    /// A chat session whose persona answered; waiting for the human's next message.
    Waiting,
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Running => "running",
            RunStatus::Paused => "paused",
            RunStatus::Finished => "finished",
            RunStatus::Failed => "failed",
            RunStatus::Rejected => "rejected",
            RunStatus::Interrupted => "interrupted",
            RunStatus::Waiting => "waiting",
        }
    }

    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            RunStatus::Finished | RunStatus::Failed | RunStatus::Rejected
        )
    }
}

/// A run works a task to its end; a chat session waits for the human after every answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunMode {
    #[default]
    Task,
    /// `with_task`: the session was opened with `--task`, so personas are briefed on it.
    Chat { with_task: bool },
}

/// The persona currently working.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivePersona {
    pub name: String,
    pub prompt_sha256: String,
    /// Tool ceiling of the handoff edge it was entered through.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ceiling: Option<Vec<ToolName>>,
    /// Whether it has started (gates checked, prompt sent).
    pub started: bool,
}

/// What a pending approval is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PendingKind {
    /// A tool call that matched an `approve` rule.
    Call {
        call: ToolCall,
        rule: String,
        reason: String,
    },
    /// A persona that may not start before a human approves the gate.
    Start { because: String },
}

/// The single thing a paused run waits for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingApproval {
    pub gate: Gate,
    pub persona: String,
    /// SHA-256 binding an approval to exactly this action.
    pub digest: String,
    pub created_at: String,
    #[serde(flatten)]
    pub kind: PendingKind,
}

impl PendingApproval {
    /// One line saying what waits, for terminals and `runs`.
    ///
    /// The arguments are shown canonical (parsed and written again as compact JSON, so
    /// whitespace the model put between tokens — a carriage return included — is gone), redacted,
    /// and with every control, bidi or invisible character inside a string written as a `\uXXXX`
    /// escape: what a human approves is what they read.
    pub fn describe(&self) -> String {
        match &self.kind {
            // A task-file edit says what it changes: the arguments alone bury it.
            PendingKind::Call { call, rule, reason } if rule == "task gates" => {
                format!(
                    "{} wants to run {} on a task file: {reason}",
                    self.persona, call.name
                )
            }
            PendingKind::Call { call, rule, .. } => {
                format!(
                    "{} wants to run {} {} (matches `{rule}`)",
                    self.persona,
                    call.name,
                    canonical_arguments(&call.arguments)
                )
            }
            PendingKind::Start { because } => format!("{} to start ({because})", self.persona),
        }
    }
}

/// A call's arguments as a human should read them: see [`PendingApproval::describe`]. Text
/// that is not JSON is redacted and escaped for one line.
pub fn canonical_arguments(arguments: &str) -> String {
    let redactor = agentctl_audit::Redactor::default();
    match serde_json::from_str::<serde_json::Value>(arguments) {
        Ok(mut value) => {
            redactor.value(&mut value);
            agentctl_display::json_compact(&value)
                .unwrap_or_else(|_| agentctl_display::line(arguments).into_owned())
        }
        Err(_) => agentctl_display::line(&redactor.text(arguments)).into_owned(),
    }
}

/// How the run ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunEnd {
    pub status: RunStatus,
    pub reason: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer: Option<String>,
}

/// Everything `resume` needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunState {
    pub version: u32,
    pub run_id: RunId,
    pub task_id: TaskId,
    /// What the user typed after `run` (a persona or stage command name).
    pub entry: String,
    pub params: BTreeMap<String, String>,
    pub vars: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_override: Option<String>,
    pub production: bool,
    #[serde(default)]
    pub mode: RunMode,
    pub status: RunStatus,
    pub started_at: String,
    pub updated_at: String,
    pub active: ActivePersona,
    /// The active persona's conversation.
    pub messages: Vec<Message>,
    /// Earlier personas' conversations, oldest first, for `context = "full"` handoffs and review.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub earlier: Vec<(String, Vec<Message>)>,
    pub turns: u32,
    /// `turns` when the latest human message arrived (chat sessions limit turns per message).
    #[serde(default)]
    pub turns_before_message: u32,
    /// `turns` when the active persona started: its own `limits.max_turns` counts from here.
    #[serde(default)]
    pub turns_before_persona: u32,
    /// `denials` when the latest human message arrived.
    #[serde(default)]
    pub denials_before_message: u32,
    pub handoffs: u32,
    pub denials: u32,
    pub tool_calls: u32,
    pub usage: Usage,
    /// Personas in the order they worked, for ping-pong detection.
    pub trail: Vec<String>,
    /// Tool call ids of the last assistant message already answered.
    pub answered: BTreeSet<String>,
    /// A mutating call that was started but not recorded as done (a crash in between).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_flight: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending: Option<PendingApproval>,
    /// Messages typed by the human in a chat session, not yet in the conversation.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inbox: Vec<String>,
    /// The rendered handoff packet waiting for the next persona's first message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub packet: Option<String>,
    /// The next audit step number of this run; every audit record carries one so a replay after
    /// a crash never writes an entry twice.
    pub next_step: u64,
    /// Audit records made since the last save, written to the log right after the save.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub outbox: Vec<AuditRecord>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<RunEnd>,
    /// Actions a human rejected whose rejection went back to the model (`on_reject =
    /// "tell_model"`): `bob rejected execute_bash `…`: reason`, so the run's end says so.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rejections: Vec<String>,
    /// The head of the audit chain after this run's last write that was saved: one more
    /// anchor `audit verify` checks the log against.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audit_head: Option<agentctl_audit::AuditHead>,
    /// The last journal record folded into this state (0: none; a state file written before
    /// the journal existed has none).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub journal_seq: u64,
    /// Workspace files the run's tool calls changed, for its summary (every process that drove
    /// the run; absent in runs saved before it was kept).
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub files_changed: BTreeSet<String>,
    /// Milliseconds the engine worked on the run, summed over every process that drove it
    /// (time waiting for a human or for the next chat message is not counted).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub worked_ms: u64,
    /// How many processes drove the run (`run`, each `resume`, each chat process).
    #[serde(default, skip_serializing_if = "is_zero_u32")]
    pub sessions: u32,
}

fn is_zero(number: &u64) -> bool {
    *number == 0
}

fn is_zero_u32(number: &u32) -> bool {
    *number == 0
}

impl RunState {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        run_id: RunId,
        task_id: TaskId,
        entry: String,
        params: BTreeMap<String, String>,
        vars: BTreeMap<String, String>,
        model_override: Option<String>,
        production: bool,
        persona: String,
        now: String,
    ) -> RunState {
        RunState {
            version: STATE_VERSION,
            run_id,
            task_id,
            entry,
            params,
            vars,
            model_override,
            production,
            mode: RunMode::Task,
            status: RunStatus::Running,
            started_at: now.clone(),
            updated_at: now,
            active: ActivePersona {
                name: persona.clone(),
                prompt_sha256: String::new(),
                ceiling: None,
                started: false,
            },
            messages: Vec::new(),
            earlier: Vec::new(),
            turns: 0,
            turns_before_message: 0,
            turns_before_persona: 0,
            denials_before_message: 0,
            handoffs: 0,
            denials: 0,
            tool_calls: 0,
            usage: Usage::default(),
            trail: vec![persona],
            answered: BTreeSet::new(),
            in_flight: None,
            pending: None,
            packet: None,
            inbox: Vec::new(),
            next_step: 1,
            outbox: Vec::new(),
            end: None,
            rejections: Vec::new(),
            audit_head: None,
            journal_seq: 0,
            files_changed: BTreeSet::new(),
            worked_ms: 0,
            sessions: 0,
        }
    }

    pub fn path(run_dir: &Path) -> PathBuf {
        run_dir.join(STATE_FILE_NAME)
    }

    /// Writes the whole state as a new snapshot with an empty journal (tests and tools; the
    /// engine saves through its [`crate::run_journal::Journal`]). Returns the SHA-256 of the
    /// bytes written.
    pub fn save(&self, run_dir: &Path) -> Result<String, CoreError> {
        let bytes = serde_json::to_vec(self).map_err(|error| CoreError::RunState {
            path: RunState::path(run_dir),
            message: error.to_string(),
        })?;
        atomic_write(&RunState::path(run_dir), &bytes)?;
        let journal = crate::run_journal::path(run_dir);
        if journal.exists() {
            crate::own_files::open_for_appending(&journal)?.set_len(0)?;
        }
        Ok(sha256_hex(&bytes))
    }

    /// Reads a run: its snapshot, then its journal replayed over it. Returns the state with the
    /// digest a `run.paused` entry records (see [`crate::run_journal::Replayed::digest`]).
    pub fn load(run_dir: &Path) -> Result<(RunState, String), CoreError> {
        let replayed = crate::run_journal::replay(run_dir)?;
        Ok((replayed.state, replayed.digest))
    }

    /// Parses a snapshot's bytes.
    pub(crate) fn from_snapshot(path: &Path, bytes: &[u8]) -> Result<RunState, CoreError> {
        let state: RunState =
            serde_json::from_slice(bytes).map_err(|error| CoreError::RunState {
                path: path.to_path_buf(),
                message: error.to_string(),
            })?;
        if state.version != STATE_VERSION {
            return Err(CoreError::RunState {
                path: path.to_path_buf(),
                message: format!(
                    "version {} is not supported (expected {STATE_VERSION})",
                    state.version
                ),
            });
        }
        Ok(state)
    }
}

#[cfg(test)]
mod tests {
    use super::canonical_arguments;

    #[test]
    fn arguments_a_human_approves_are_canonical_redacted_and_escaped() {
        // A carriage return between tokens would let the note overwrite `desiredCount` on a
        // terminal; re-writing the JSON drops it, and escapes the one inside the string.
        let raw = "{\"cluster\":\"production\",\"desiredCount\":0,\r\"note\":\"\\r\u{1b}x \u{202e}\",\"password\":\"hunter2\"}";
        let raw = raw.replace('\u{1b}', "\\u001b");
        assert_eq!(
            canonical_arguments(&raw),
            "{\"cluster\":\"production\",\"desiredCount\":0,\"note\":\"\\r\\u001bx \\u202e\",\"password\":\"«redacted»\"}"
        );
        // Not JSON: redacted and escaped for one line.
        assert_eq!(
            canonical_arguments("oops\r\u{1b}[2K password=x"),
            "oops␍␛[2K password=«redacted»"
        );
    }
}
