//! Human decisions on a paused run, kept in `.agentctl/runs/RUN_ID/decision.json`.
//!
//! A decision is bound to the digest of the exact pending action and is used once: `resume`
//! marks it used before performing the action. Only `agentctl approve`/`reject` (or a human at
//! the chat prompt) write decisions; no agent tool can reach `.agentctl/`.

use std::path::{Path, PathBuf};

use agentctl_protocol::Gate;
use serde::{Deserialize, Serialize};

use crate::store::atomic_write;
use crate::CoreError;

pub const DECISION_FILE_NAME: &str = "decision.json";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Approved,
    Rejected,
}

/// One human decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    pub verdict: Verdict,
    pub gate: Gate,
    /// The digest of the pending action this decision is about.
    pub digest: String,
    /// The name given with `--by`.
    pub by: String,
    /// The operating-system user who ran the command.
    pub os_user: String,
    pub at: String,
    /// `--note` for approvals, `--reason` for rejections.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Set when `resume` consumed it.
    #[serde(default)]
    pub used: bool,
}

impl Decision {
    pub fn path(run_dir: &Path) -> PathBuf {
        run_dir.join(DECISION_FILE_NAME)
    }

    pub fn load(run_dir: &Path) -> Result<Option<Decision>, CoreError> {
        let path = Decision::path(run_dir);
        match fs_err::read(&path) {
            Ok(bytes) => {
                serde_json::from_slice(&bytes)
                    .map(Some)
                    .map_err(|error| CoreError::RunState {
                        path,
                        message: error.to_string(),
                    })
            }
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(error) => Err(CoreError::Io(error)),
        }
    }

    pub fn save(&self, run_dir: &Path) -> Result<(), CoreError> {
        let bytes = serde_json::to_vec_pretty(self).map_err(|error| CoreError::RunState {
            path: Decision::path(run_dir),
            message: error.to_string(),
        })?;
        atomic_write(&Decision::path(run_dir), &bytes)
    }

    pub fn remove(run_dir: &Path) -> Result<(), CoreError> {
        match fs_err::remove_file(Decision::path(run_dir)) {
            Ok(()) => Ok(()),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(error) => Err(CoreError::Io(error)),
        }
    }
}

/// Whether `name` may approve under `approvers` (empty: anyone). Case-insensitive.
pub fn may_approve(approvers: &[String], name: &str) -> bool {
    approvers.is_empty()
        || approvers
            .iter()
            .any(|approver| approver.eq_ignore_ascii_case(name.trim()))
}

/// Records a human decision on a paused run: the decision file, S08 in the project state when
/// it decides a production start gate, and a `gate.approved`/`gate.rejected` audit entry.
/// Used by `agentctl approve`/`reject` and by the chat prompt.
pub fn record_decision(
    config: &agentctl_config::Config,
    state: &crate::RunState,
    decision: &Decision,
) -> Result<(), CoreError> {
    use agentctl_protocol::{EventKind, GateStatus};

    let run_dir = crate::store::run_dir(&config.paths.state_dir, state.run_id.as_str());
    decision.save(&run_dir)?;
    let start_gate = state
        .pending
        .as_ref()
        .is_some_and(|pending| matches!(pending.kind, crate::PendingKind::Start { .. }));
    if start_gate && decision.gate == Gate::S08 {
        let status = if decision.verdict == Verdict::Approved {
            GateStatus::Approved
        } else {
            GateStatus::Rejected
        };
        let record = crate::project_state::GateRecord {
            status,
            by: format!("{} ({})", decision.by, decision.os_user),
            at: decision.at.clone(),
            evidence: decision.note.clone().unwrap_or_default(),
        };
        crate::project_state::record_gate(
            &config.paths.state_file,
            &crate::project_state::lock_dir(&config.paths.state_dir),
            state.task_id.as_str(),
            Gate::S08,
            record,
        )?;
    }
    let event = if decision.verdict == Verdict::Approved {
        EventKind::GateApproved
    } else {
        EventKind::GateRejected
    };
    let mut recorded = crate::details! {
        "gate" => decision.gate.as_str(), "digest" => decision.digest.clone(),
        "by" => decision.by.clone(), "os_user" => decision.os_user.clone(),
        // The task as the human judged it, so a later edit of its gates is visible.
        "task_sha256" => crate::task_file::digest(&config.paths.tasks, state.task_id.as_str()),
    };
    if let Some(note) = &decision.note {
        recorded.insert("note".to_owned(), serde_json::Value::from(note.clone()));
    }
    let mut writer = crate::recorder::open_writer(&config.paths)?;
    writer.append(crate::recorder::standalone_record(
        Some(state.run_id.clone()),
        Some(state.task_id.clone()),
        state
            .pending
            .as_ref()
            .map(|pending| pending.persona.clone()),
        event,
        recorded,
    ))?;
    Ok(())
}
