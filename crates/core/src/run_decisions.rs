//! Human decisions taken into a paused run: checking that the state is the one audited at the
//! pause, that the decision is for the pending action and unused, and consuming it once.
//!
//! Does not know about: how decisions are recorded (`approvals`) or what runs after them.

use agentctl_protocol::{EventKind, Gate};
use serde_json::Value;

use crate::approvals::{Decision, Verdict};
use crate::error::short;
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
        Some(recorded) if recorded != digest => Err(CoreError::StateChangedAfterPause {
            run_id: state.run_id.to_string(),
            recorded: short(&recorded),
            found: short(digest),
        }),
        _ => Ok(()),
    }
}

impl Engine<'_> {
    /// Reads the human decision of a paused run into this process, checking it fits.
    pub(crate) fn take_decision(&mut self) -> Result<(), CoreError> {
        let Some(pending) = self.state.pending.clone() else {
            return Err(CoreError::NoPendingAction {
                run_id: self.state.run_id.to_string(),
            });
        };
        let waiting = || CoreError::AwaitingDecision {
            run_id: self.state.run_id.to_string(),
            task_id: self.state.task_id.to_string(),
            gate: pending.gate,
            waiting: pending.describe(),
        };
        // A used decision was consumed by an earlier `resume` (which then crashed before its
        // save): it cannot be used again, so the run waits for a new one.
        let Some(decision) = Decision::load(&self.run_dir)?.filter(|decision| !decision.used)
        else {
            return Err(waiting());
        };
        if decision.digest != pending.digest {
            return Err(CoreError::DecisionMismatch {
                decided: short(&decision.digest),
                pending: short(&pending.digest),
            });
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
            if let Err(error) = crate::store::blocking(|| decision.save(&self.run_dir)) {
                tracing::warn!("cannot mark the decision used: {error}");
            }
        }
        self.state.pending = None;
    }
}
