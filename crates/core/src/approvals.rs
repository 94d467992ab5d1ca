//! Human decisions on a paused run, kept in `.agentctl/runs/RUN_ID/decision.json`.
//!
//! [`decide`] is the one place a human decision is validated and recorded — `agentctl
//! approve`/`reject` and the chat prompt's `/approve`/`/reject` both call it. It runs under the
//! run's lock ([`RunLock`]) and checks, in order: the run is paused with a pending action, the
//! gate and (if given) the digest match that action, the name is not empty and is an approver,
//! and the action was not decided already. It records who decided by name and by operating-system
//! user (from the real uid), and writes the `gate.approved`/`gate.rejected` audit entry with the
//! note or reason.
//!
//! A decision is bound to the digest of the exact pending action and is used once: `resume`,
//! under the same lock, marks it used before performing the action. [`approve_ahead`] records
//! S08 for a task before any run exists (a change window); [`record_from_evidence`] records S06
//! or S07 from outside evidence (a CI run's address, a report file's SHA-256). Both check the
//! name like [`decide`] does. No agent tool can reach `.agentctl/`.
//!
//! Does not know about: terminals or flags; what the run does after the decision.

use std::path::{Path, PathBuf};

use agentctl_protocol::{EventKind, Gate, GateStatus, RunId, TaskId};
use serde::{Deserialize, Serialize};

use crate::project_state::{self, GateRecord};
use crate::run_lock::RunLock;
use crate::run_state::{PendingApproval, PendingKind, RunState, RunStatus};
use crate::store::{self, atomic_write};
use crate::{details, CoreError};

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

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Approved => "approved",
            Verdict::Rejected => "rejected",
        }
    }
}

/// What a human asks for.
#[derive(Debug, Clone)]
pub struct DecisionRequest {
    pub verdict: Verdict,
    /// The name given with `--by`; `None` (the chat prompt without `--by`) means the OS user.
    pub by: Option<String>,
    /// `--note` of an approval, `--reason` of a rejection.
    pub note: Option<String>,
    /// The gate the human means; must be the pending one when given.
    pub gate: Option<Gate>,
    /// The first characters of the digest the human reviewed; must match when given.
    pub digest_prefix: Option<String>,
}

/// A decision as recorded, with the action it decided.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub decision: Decision,
    pub pending: PendingApproval,
    pub run_id: RunId,
    pub task_id: TaskId,
}

/// Validates and records a human decision on the run `lock` holds. The only writer of
/// decisions.
pub fn decide(
    config: &agentctl_config::Config,
    lock: &RunLock,
    request: DecisionRequest,
) -> Result<Recorded, CoreError> {
    let (state, _) = RunState::load(lock.run_dir())?;
    let pending = match (&state.pending, state.status) {
        (Some(pending), RunStatus::Paused) => pending.clone(),
        _ => {
            return Err(CoreError::NotWaiting {
                run_id: state.run_id.to_string(),
                status: state.status.as_str().to_owned(),
            })
        }
    };
    if let Some(given) = request.gate.filter(|given| *given != pending.gate) {
        return Err(CoreError::GateMismatch {
            run_id: state.run_id.to_string(),
            waiting: pending.gate,
            given,
        });
    }
    if let Some(prefix) = request.digest_prefix.as_deref().map(str::trim) {
        if prefix.is_empty() || !pending.digest.starts_with(prefix) {
            return Err(CoreError::DigestMismatch {
                pending: crate::error::short(&pending.digest),
                given: prefix.to_owned(),
            });
        }
    }
    let os_user = crate::os_user::current();
    let by = checked_name(config, request.by.unwrap_or_else(|| os_user.clone()))?;
    if let Some(earlier) = Decision::load(lock.run_dir())?
        .filter(|earlier| earlier.digest == pending.digest && !earlier.used)
    {
        return Err(CoreError::AlreadyDecided {
            run_id: state.run_id.to_string(),
            verdict: earlier.verdict.as_str().to_owned(),
            by: earlier.by,
            at: earlier.at,
        });
    }
    let decision = Decision {
        verdict: request.verdict,
        gate: pending.gate,
        digest: pending.digest.clone(),
        by,
        os_user,
        at: store::now_rfc3339(),
        note: request
            .note
            .map(|note| note.trim().to_owned())
            .filter(|note| !note.is_empty()),
        used: false,
    };
    record(config, &state, &pending, &decision)?;
    Ok(Recorded {
        decision,
        pending,
        run_id: state.run_id,
        task_id: state.task_id,
    })
}

/// A trimmed, non-empty name that may decide gates here.
fn checked_name(config: &agentctl_config::Config, by: String) -> Result<String, CoreError> {
    let by = by.trim().to_owned();
    if by.is_empty() {
        return Err(CoreError::EmptyName);
    }
    if !may_approve(&config.gates.approvers, &by) {
        return Err(CoreError::NotAnApprover {
            name: by,
            approvers: config.gates.approvers.clone(),
        });
    }
    Ok(by)
}

/// The decision file, S08 in the project state when it decides a production start gate, and the
/// audit entry.
fn record(
    config: &agentctl_config::Config,
    state: &RunState,
    pending: &PendingApproval,
    decision: &Decision,
) -> Result<(), CoreError> {
    let run_dir = store::run_dir(&config.paths.state_dir, state.run_id.as_str());
    decision.save(&run_dir)?;
    if matches!(pending.kind, PendingKind::Start { .. }) && decision.gate == Gate::S08 {
        let status = match decision.verdict {
            Verdict::Approved => GateStatus::Approved,
            Verdict::Rejected => GateStatus::Rejected,
        };
        project_state::record_gate(
            &config.paths.state_file,
            &project_state::lock_dir(&config.paths.state_dir),
            state.task_id.as_str(),
            Gate::S08,
            GateRecord {
                status,
                by: format!("{} ({})", decision.by, decision.os_user),
                at: decision.at.clone(),
                evidence: decision.note.clone().unwrap_or_default(),
            },
        )?;
    }
    let mut recorded = details! {
        "gate" => decision.gate.as_str(), "digest" => decision.digest.clone(),
        "by" => decision.by.clone(), "os_user" => decision.os_user.clone(),
        "waiting" => pending.describe(),
        // The task as the human judged it, so a later edit of its gates is visible.
        "task_sha256" => crate::task_file::digest(&config.paths.tasks, state.task_id.as_str()),
    };
    if let Some(note) = &decision.note {
        let key = match decision.verdict {
            Verdict::Approved => "note",
            Verdict::Rejected => "reason",
        };
        recorded.insert(key.to_owned(), serde_json::Value::from(note.clone()));
    }
    append(
        config,
        Some(state.run_id.clone()),
        state.task_id.clone(),
        Some(pending.persona.clone()),
        decision.verdict,
        recorded,
    )
}

fn append(
    config: &agentctl_config::Config,
    run: Option<RunId>,
    task: TaskId,
    persona: Option<String>,
    verdict: Verdict,
    details: serde_json::Map<String, serde_json::Value>,
) -> Result<(), CoreError> {
    let event = match verdict {
        Verdict::Approved => EventKind::GateApproved,
        Verdict::Rejected => EventKind::GateRejected,
    };
    let mut writer = crate::recorder::open_writer(&config.paths)?;
    writer.append(crate::recorder::standalone_record(
        run,
        Some(task),
        persona,
        event,
        details,
    ))?;
    Ok(())
}

/// What [`approve_ahead`] recorded.
#[derive(Debug, Clone)]
pub struct ApprovedAhead {
    pub by: String,
    pub os_user: String,
    pub at: String,
}

/// Approves S08 for a task that has no open run yet — a change window agreed before the work
/// starts. Recorded in the project state as S08 approved for the task (so the production
/// persona starts without pausing) and in the audit log. Refused for other gates, for an empty
/// or unlisted name, and when S08 is already approved.
pub fn approve_ahead(
    config: &agentctl_config::Config,
    task_id: &str,
    gate: Gate,
    by: &str,
    note: Option<String>,
) -> Result<ApprovedAhead, CoreError> {
    if gate != Gate::S08 {
        return Err(CoreError::NotApprovableAhead { given: gate });
    }
    let by = checked_name(config, by.to_owned())?;
    let os_user = crate::os_user::current();
    let at = store::now_rfc3339();
    let note = note
        .map(|note| note.trim().to_owned())
        .filter(|note| !note.is_empty());
    project_state::record_gate_if(
        &config.paths.state_file,
        &project_state::lock_dir(&config.paths.state_dir),
        task_id,
        Gate::S08,
        GateRecord {
            status: GateStatus::Approved,
            by: format!("{by} ({os_user})"),
            at: at.clone(),
            evidence: note.clone().unwrap_or_default(),
        },
        |current| match current {
            Some(current) if current.status == GateStatus::Approved => {
                Err(CoreError::AlreadyApproved {
                    task_id: task_id.to_owned(),
                    gate: Gate::S08,
                    by: current.by.clone(),
                    at: current.at.clone(),
                })
            }
            _ => Ok(()),
        },
    )?;
    let mut recorded = details! {
        "gate" => Gate::S08.as_str(), "by" => by.clone(), "os_user" => os_user.clone(),
        "ahead_of_run" => true,
    };
    if let Some(note) = &note {
        recorded.insert("note".to_owned(), serde_json::Value::from(note.clone()));
    }
    append(
        config,
        None,
        TaskId::new(task_id.to_owned()),
        None,
        Verdict::Approved,
        recorded,
    )?;
    Ok(ApprovedAhead { by, os_user, at })
}

/// Outside evidence a human records a gate from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutsideEvidence {
    /// The address of a CI run or report, recorded as given.
    Url(String),
    /// A report file, recorded by its path and SHA-256.
    File(PathBuf),
}

/// What [`record_from_evidence`] recorded.
#[derive(Debug, Clone)]
pub struct RecordedGate {
    pub gate: Gate,
    pub status: GateStatus,
    pub by: String,
    pub os_user: String,
    pub at: String,
    /// The text in the Evidence column: the address, or `FILE sha256:DIGEST`.
    pub evidence: String,
    /// The file's SHA-256, for `--evidence-file`.
    pub sha256: Option<String>,
}

/// A human records S06 or S07 for a task from evidence produced outside agentctl (a CI run, a
/// test report): in the project state, with who (the `--by` name, checked like an approval, and
/// the OS user from the real uid), when and the evidence, and in the audit log as
/// `gate.reported` with `recorded_by = "human"` and the evidence digest.
pub fn record_from_evidence(
    config: &agentctl_config::Config,
    task_id: &str,
    gate: Gate,
    status: GateStatus,
    by: &str,
    evidence: &OutsideEvidence,
    note: Option<String>,
) -> Result<RecordedGate, CoreError> {
    if !matches!(gate, Gate::S06 | Gate::S07) {
        return Err(CoreError::NotRecordableByHuman { given: gate });
    }
    if !matches!(status, GateStatus::Passed | GateStatus::Failed) {
        return Err(CoreError::Evidence {
            gate,
            message: format!("a gate is recorded as passed or failed, not {status}"),
        });
    }
    let by = checked_name(config, by.to_owned())?;
    let (text, sha256) = match evidence {
        OutsideEvidence::Url(address) => {
            let address = address.trim();
            let is_url = ["https://", "http://"]
                .iter()
                .any(|scheme| address.starts_with(scheme) && address.len() > scheme.len());
            if !is_url || address.contains(char::is_whitespace) {
                return Err(CoreError::Evidence {
                    gate,
                    message: format!("`{address}` is not an http(s) address"),
                });
            }
            (address.to_owned(), None)
        }
        OutsideEvidence::File(path) => {
            let bytes = fs_err::read(path).map_err(|error| CoreError::Evidence {
                gate,
                message: error.to_string(),
            })?;
            let digest = store::sha256_hex(&bytes);
            (format!("{} sha256:{digest}", path.display()), Some(digest))
        }
    };
    let note = note
        .map(|note| note.trim().to_owned())
        .filter(|note| !note.is_empty());
    let os_user = crate::os_user::current();
    let at = store::now_rfc3339();
    let column = match &note {
        Some(note) => format!("{text} — {note}"),
        None => text.clone(),
    };
    project_state::record_gate(
        &config.paths.state_file,
        &project_state::lock_dir(&config.paths.state_dir),
        task_id,
        gate,
        GateRecord {
            status,
            by: format!("{by} ({os_user})"),
            at: at.clone(),
            evidence: column,
        },
    )?;
    let mut recorded = details! {
        "gate" => gate.as_str(), "status" => status.as_str(), "recorded_by" => "human",
        "by" => by.clone(), "os_user" => os_user.clone(), "evidence" => text.clone(),
        "task_sha256" => crate::task_file::digest(&config.paths.tasks, task_id),
    };
    match (&sha256, evidence) {
        (Some(digest), _) => {
            recorded.insert(
                "evidence_sha256".to_owned(),
                serde_json::Value::from(digest.clone()),
            );
        }
        (None, OutsideEvidence::Url(address)) => {
            recorded.insert(
                "evidence_url".to_owned(),
                serde_json::Value::from(address.trim()),
            );
        }
        (None, OutsideEvidence::File(_)) => {}
    }
    if let Some(note) = &note {
        recorded.insert("note".to_owned(), serde_json::Value::from(note.clone()));
    }
    let mut writer = crate::recorder::open_writer(&config.paths)?;
    writer.append(crate::recorder::standalone_record(
        None,
        Some(TaskId::new(task_id.to_owned())),
        None,
        EventKind::GateReported,
        recorded,
    ))?;
    Ok(RecordedGate {
        gate,
        status,
        by,
        os_user,
        at,
        evidence: text,
        sha256,
    })
}
