//! Which gates must hold before a persona begins work on a task (SPEC §8).
//!
//! Checked at run start and at every handoff. A persona whose stages include S09 needs the
//! task's S06 and S07; one whose stages include S10 on a production task also needs S08; a
//! task's `prerequisites` add gates that every persona at a later stage must see passed.

use agentctl_persona::{Library, Persona, Task};
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

/// What a user can do about an unmet S06 or S07: who may record it (the personas whose
/// `reports` list it, and a human from outside evidence) and the exact commands, one a line.
pub fn next_steps(library: &Library, gate: Gate, task_id: &str) -> Vec<String> {
    let reporters: Vec<&Persona> = library
        .personas()
        .filter(|persona| persona.reports.contains(&gate))
        .collect();
    let mut steps = Vec::new();
    if reporters.is_empty() {
        steps.push(format!(
            "no persona of this library lists {gate} in `reports`, so only a human can record it"
        ));
    } else {
        let names: Vec<&str> = reporters
            .iter()
            .map(|persona| persona.name.as_str())
            .collect();
        steps.push(format!(
            "{gate} ({}) is recorded by {} through `gate_report`, or by a human",
            gate.title(),
            names.join(", ")
        ));
        // A persona before the gate that hands off to a reporter starts the whole chain.
        let team_entry = library.personas().find(|persona| {
            persona
                .stages
                .iter()
                .min()
                .is_some_and(|earliest| *earliest < gate)
                && persona
                    .handoffs
                    .iter()
                    .any(|to| names.contains(&to.resolved.as_deref().unwrap_or(&to.written)))
        });
        if let Some(entry) = team_entry {
            steps.push(format!(
                "run the team from the start:  agentctl run {} --task {task_id}",
                entry.name
            ));
        }
        for name in &names {
            steps.push(format!(
                "or let {name} record it:  agentctl run {name} --task {task_id}"
            ));
        }
    }
    if matches!(gate, Gate::S06 | Gate::S07) {
        steps.push(format!(
            "or record it from CI:  agentctl gates record {gate} --task {task_id} --evidence URL  (or --evidence-file FILE)"
        ));
    }
    steps.push(format!("see the gates:  agentctl gates --task {task_id}"));
    steps
}
