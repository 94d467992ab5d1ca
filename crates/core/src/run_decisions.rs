//! Human decisions taken into a paused run: checking that the state is the one audited at the
//! pause, that the decision is for the pending action and unused, and consuming it once.
//!
//! Does not know about: how decisions are recorded (`approvals`) or what runs after them.

use agentctl_protocol::{EventKind, Gate};
use serde_json::Value;

use crate::approvals::{Decision, Verdict};
use crate::run_loop::Engine;
use crate::run_state::{PendingKind, RunState, RunStatus};
use crate::CoreError;

/// A paused run's state must be byte-identical to what was recorded when it paused.
pub(crate) fn check_state_unchanged(
    state: &RunState,
    digest: &str,
    entries: &[agentctl_audit::AuditEntry],
) -> Result<(), CoreError> {
    if state.status != RunStatus::Paused && state.status != RunStatus::Interrupted {
        return Ok(());
    }
    let recorded = entries
        .iter()
        .rev()
        .find(|entry| entry.event == EventKind::RunPaused)
        .and_then(|entry| {
            entry
                .details
                .get("state_sha256")
                .and_then(Value::as_str)
                .map(str::to_owned)
        });
    match recorded {
        Some(recorded) if recorded != digest => Err(CoreError::refused(
            format!("the state of run {} was changed after it paused (recorded {}…, found {}…)", state.run_id, &recorded[..12.min(recorded.len())], &digest[..12]),
            "restore .agentctl/runs/RUN_ID/state.json or start a new run; a paused run resumes only from the state that was audited",
        )),
        _ => Ok(()),
    }
}

impl Engine<'_> {
    /// Reads the human decision of a paused run into this process, checking it fits.
    pub(crate) fn take_decision(&mut self) -> Result<(), CoreError> {
        let Some(pending) = self.state.pending.clone() else {
            return Err(CoreError::refused(
                "the run is paused but records no pending action",
                "start a new run",
            ));
        };
        let Some(decision) = Decision::load(&self.run_dir)? else {
            return Err(CoreError::refused(
                format!("run {} is waiting for a human: {}", self.state.run_id, pending.describe()),
                format!("agentctl approve {} --gate {} --by NAME   (or: agentctl reject {} --by NAME --reason TEXT)", self.state.task_id, pending.gate, self.state.task_id),
            ));
        };
        if decision.digest != pending.digest {
            return Err(CoreError::refused(
                format!(
                    "the recorded decision is for a different pending action ({}…, waiting: {}…)",
                    &decision.digest[..12.min(decision.digest.len())],
                    &pending.digest[..12]
                ),
                "approve or reject the action that is pending now; `agentctl runs` shows it",
            ));
        }
        if decision.used {
            return Err(CoreError::refused(
                "the recorded decision was already used",
                "a decision applies to one action once; approve again if needed",
            ));
        }
        if decision.verdict == Verdict::Rejected
            && self.context.config.gates.on_reject == agentctl_config::OnReject::EndRun
        {
            // Ended here rather than in the loop: nothing more may happen in this run.
            self.decision = Some(decision);
            return Ok(());
        }
        self.decision = Some(decision);
        Ok(())
    }

    /// The human's rejection of this persona's pending start gate, consumed.
    pub(crate) fn rejected_start(&mut self, persona: &str) -> Option<Decision> {
        let pending = self.state.pending.as_ref()?;
        let is_start =
            pending.persona == persona && matches!(pending.kind, PendingKind::Start { .. });
        let decision = self.decision.clone()?;
        if !is_start || decision.digest != pending.digest || decision.verdict != Verdict::Rejected {
            return None;
        }
        self.consume_decision();
        Some(decision)
    }

    pub(crate) fn decision_approves_start(&mut self, persona: &str, gate: Gate) -> bool {
        let Some(pending) = &self.state.pending else {
            return false;
        };
        let matches = pending.persona == persona
            && pending.gate == gate
            && matches!(pending.kind, PendingKind::Start { .. });
        if !matches {
            return false;
        }
        match self.decision.as_ref() {
            Some(decision)
                if decision.digest == pending.digest && decision.verdict == Verdict::Approved =>
            {
                self.consume_decision();
                true
            }
            _ => false,
        }
    }

    /// Marks the in-memory decision used, on disk too, and clears the pending action.
    pub(crate) fn consume_decision(&mut self) {
        if let Some(mut decision) = self.decision.take() {
            decision.used = true;
            if let Err(error) = decision.save(&self.run_dir) {
                tracing::warn!("cannot mark the decision used: {error}");
            }
        }
        self.state.pending = None;
    }
}
