//! Which gates must hold before a persona begins work on a task (SPEC §8).
//!
//! Checked at run start and at every handoff. A persona whose stages include S09 needs the
//! task's S06 and S07; one whose stages include S10 on a production task also needs S08; a
//! task's `prerequisites` add gates that every persona at a later stage must see passed.

use agentctl_persona::{Persona, Task};
use agentctl_protocol::{Gate, GateStatus};

use crate::project_state::ProjectState;

/// One required gate and what the state file says about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GateRequirement {
    pub gate: Gate,
    pub status: GateStatus,
    /// Why it is required, for the audit log and the user.
    pub because: String,
}

/// The result of checking a persona against a task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GateVerdict {
    /// Every required gate holds.
    Clear,
    /// A gate other than S08 is not passed: the run ends (exit 1).
    Blocked(GateRequirement),
    /// S08 is not approved: the run pauses before the persona starts (exit 3).
    NeedsApproval(GateRequirement),
}

/// Every gate `persona` needs for `task`, in gate order, with its current status.
pub fn requirements(
    persona: &Persona,
    task: &Task,
    production: bool,
    state: &ProjectState,
) -> Vec<GateRequirement> {
    let mut needed: Vec<(Gate, String)> = Vec::new();
    let mut add = |gate: Gate, because: String| {
        if !needed.iter().any(|(existing, _)| *existing == gate) {
            needed.push((gate, because));
        }
    };
    if persona.stages.contains(&Gate::S09) || persona.stages.contains(&Gate::S10) {
        add(
            Gate::S06,
            format!(
                "{} works at S09/S10, which needs quality gates",
                persona.name
            ),
        );
        add(
            Gate::S07,
            format!(
                "{} works at S09/S10, which needs security review",
                persona.name
            ),
        );
    }
    if production && persona.stages.contains(&Gate::S10) {
        add(
            Gate::S08,
            format!(
                "{} deploys to production (S10), which needs human approval",
                persona.name
            ),
        );
    }
    if let Some(earliest) = persona.stages.iter().min() {
        for prerequisite in &task.prerequisites {
            if prerequisite < earliest {
                add(
                    *prerequisite,
                    format!("task {} lists {prerequisite} as a prerequisite", task.id),
                );
            }
        }
    }
    needed.sort_by_key(|(gate, _)| *gate);
    needed
        .into_iter()
        .map(|(gate, because)| GateRequirement {
            gate,
            status: state.status(&task.id, gate),
            because,
        })
        .collect()
}

/// The verdict for `requirements`: the first unmet non-S08 gate blocks; otherwise an unmet S08
/// asks for approval.
pub fn verdict(requirements: &[GateRequirement]) -> GateVerdict {
    if let Some(blocked) = requirements
        .iter()
        .find(|requirement| requirement.gate != Gate::S08 && !requirement.status.is_satisfied())
    {
        return GateVerdict::Blocked(blocked.clone());
    }
    if let Some(pending) = requirements
        .iter()
        .find(|requirement| requirement.gate == Gate::S08 && !requirement.status.is_satisfied())
    {
        return GateVerdict::NeedsApproval(pending.clone());
    }
    GateVerdict::Clear
}
