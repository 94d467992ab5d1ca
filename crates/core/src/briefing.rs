//! The first user message a persona gets: the task, and after a handoff the handoff packet.
//!
//! The packet is rendered from `templates/handoff_packet.md` when the library has one, else
//! from a built-in layout, so the receiving persona sees the same structure either way.

use std::fmt::Write as _;
use std::path::Path;

use agentctl_persona::{Persona, Task};
use agentctl_protocol::Gate;
use serde_json::json;

use crate::project_state::ProjectState;

pub const PACKET_TEMPLATE: &str = "handoff_packet.md";

/// The task as the first user message.
pub fn task_message(task: &Task, params: &std::collections::BTreeMap<String, String>) -> String {
    let mut text = format!("Task {}: {}\n", task.id, task.title);
    if let Some(env) = task.env {
        let _ = writeln!(
            text,
            "Environment: {}",
            if env == agentctl_persona::Environment::Production {
                "production"
            } else {
                "staging"
            }
        );
    }
    if let Some(phase) = task.phase {
        let _ = writeln!(text, "Phase: {phase} ({})", phase.title());
    }
    if !task.prerequisites.is_empty() {
        let gates: Vec<String> = task.prerequisites.iter().map(ToString::to_string).collect();
        let _ = writeln!(text, "Prerequisites: {}", gates.join(", "));
    }
    for (name, value) in params {
        let _ = writeln!(text, "Parameter {name}: {value}");
    }
    let description = task.description.trim();
    if !description.is_empty() {
        let _ = write!(text, "\n{description}\n");
    }
    if !task.acceptance.is_empty() {
        text.push_str("\nAcceptance criteria:\n");
        for criterion in &task.acceptance {
            let _ = writeln!(text, "- {criterion}");
        }
    }
    if let Some(rollback) = &task.rollback {
        let _ = write!(text, "\nRollback: {rollback}\n");
    }
    text
}

/// The task's gate status, one gate a line, for the first persona of a run (after a handoff
/// the packet carries it): which role works next depends on it, and a persona should not
/// have to find and parse PROJECT_STATE.md to learn it.
/// Listed: the task's prerequisites, the quality and security gates every deployment needs,
/// and S08 on a production task.
pub fn gate_status(task: &Task, production: bool, state: &ProjectState) -> String {
    let mut text = String::from("\nGate status for this task:\n");
    for gate in Gate::ALL {
        let listed = task.prerequisites.contains(&gate)
            || matches!(gate, Gate::S06 | Gate::S07)
            || (production && gate == Gate::S08);
        if listed {
            let _ = writeln!(text, "- {gate}: {}", state.status(&task.id, gate).as_str());
        }
    }
    text
}

/// For a persona that starts only now because a human answered the gate the run paused at:
/// who approved it, when, with what note, and the gate status as it stands now. The handoff
/// packet before it was written before the pause, when the gate was still open.
pub fn since_the_pause(
    task: &Task,
    production: bool,
    state: &ProjectState,
    gate: Gate,
    decision: Option<&crate::approvals::Decision>,
) -> String {
    let mut text = format!(
        "\n## Since the handoff\n\nThe run paused before you started, for {gate} ({}).",
        gate.title()
    );
    let record = state.tasks.get(&task.id).and_then(|gates| gates.get(&gate));
    match (decision, record) {
        (Some(decision), _) => {
            let _ = write!(text, " {} approved it at {}", decision.by, decision.at);
            match decision.note.as_deref().map(str::trim) {
                Some(note) if !note.is_empty() => {
                    let _ = write!(text, " with the note \"{note}\".");
                }
                _ => text.push('.'),
            }
        }
        (None, Some(record)) => {
            let _ = write!(
                text,
                " It is {} (by {} at {}).",
                record.status.as_str(),
                record.by,
                record.at
            );
        }
        (None, None) => {
            let _ = write!(text, " It is {}.", state.status(&task.id, gate).as_str());
        }
    }
    text.push_str(" You may start now; the gate table above is from before the pause.\n");
    text.push_str(&gate_status(task, production, state));
    text
}

/// The last line of the first message of a persona that records no gate (one that does ends
/// with its part): small models act on the end of the conversation, so it says what to do next.
pub const START_NOW: &str =
    "\nStart now with the first step of your instructions, as one tool call.\n";

/// The gates `persona` records that are still open for `task`, and what agentctl will accept
/// as evidence, so the persona's first message ends with its own part of the task rather than
/// the whole team's list of acceptance criteria. Empty for a persona that records no gate.
pub fn your_part(
    persona: &Persona,
    task: &Task,
    state: &ProjectState,
    evidence: &std::collections::BTreeMap<Gate, agentctl_config::GateEvidence>,
) -> String {
    let mut text = String::new();
    for gate in &persona.reports {
        if !matches!(gate, Gate::S06 | Gate::S07) || state.status(&task.id, *gate).is_satisfied() {
            continue;
        }
        let required = evidence.get(gate).filter(|required| !required.is_empty());
        match required.filter(|required| !required.commands.is_empty()) {
            // The command comes first: a small model told "record S06" reports at once, is
            // refused, and only then runs the command.
            Some(required) => {
                let commands: Vec<String> = required
                    .commands
                    .iter()
                    .map(|pattern| format!("`{pattern}`"))
                    .collect();
                let _ = write!(
                    text,
                    "\nYour part: first run, with `execute_bash`, one plain command matching {} \
                     (`*` stands for any further words); once it exits 0, record {gate} ({}) with \
                     `gate_report`. A report before that is refused.",
                    commands.join(" or "),
                    gate.title()
                );
            }
            None => {
                let _ = write!(
                    text,
                    "\nYour part: record {gate} ({}) with `gate_report`.",
                    gate.title()
                );
            }
        }
        match required {
            Some(required) => {
                for file in &required.files {
                    let _ = write!(text, " The file `{}` must exist.", file.path);
                }
            }
            None => text.push_str(" Base it on evidence you gathered in this session."),
        }
        text.push('\n');
    }
    text
}

/// What is handed from one persona to the next.
pub struct Handoff<'a> {
    pub from: &'a str,
    pub to: &'a Persona,
    pub summary: &'a str,
    pub items: &'a [String],
    pub task: &'a Task,
    pub production: bool,
    pub state: &'a ProjectState,
    /// Earlier transcript, for `context = "full"` edges.
    pub transcript: Option<String>,
}

/// Renders the handoff packet.
pub fn render_packet(templates_dir: &Path, handoff: &Handoff<'_>) -> Result<String, String> {
    let gates: serde_json::Map<String, serde_json::Value> = Gate::ALL
        .iter()
        .map(|gate| {
            (
                gate.to_string(),
                json!(handoff.state.status(&handoff.task.id, *gate).as_str()),
            )
        })
        .collect();
    let mut packet = if templates_dir.join(PACKET_TEMPLATE).is_file() {
        let context = json!({
            "task": {
                "id": handoff.task.id, "title": handoff.task.title,
                "env": if handoff.production { "production" } else { "staging" },
                "acceptance": handoff.task.acceptance, "rollback": handoff.task.rollback,
                "description": handoff.task.description,
            },
            "persona": { "name": handoff.to.name, "role": handoff.to.role, "prefix": handoff.to.prefix },
            "env": if handoff.production { "production" } else { "staging" },
            "gates": gates,
            "handoff": { "from": handoff.from, "to": handoff.to.name, "summary": handoff.summary, "items": handoff.items },
        });
        agentctl_prompt::render_template(templates_dir, PACKET_TEMPLATE, &context)
            .map_err(|error| error.to_string())?
    } else {
        builtin_packet(handoff, &gates)
    };
    if let Some(transcript) = &handoff.transcript {
        let _ = write!(packet, "\n\n## Previous transcript\n\n{transcript}");
    }
    Ok(packet)
}

fn builtin_packet(
    handoff: &Handoff<'_>,
    gates: &serde_json::Map<String, serde_json::Value>,
) -> String {
    let mut text = format!(
        "## Handoff from {} to {}\n\n{}\n",
        handoff.from,
        handoff.to.name,
        handoff.summary.trim()
    );
    if !handoff.items.is_empty() {
        text.push_str("\nItems:\n");
        for item in handoff.items {
            let _ = writeln!(text, "- {item}");
        }
    }
    text.push_str("\nGate status for this task:\n");
    for (gate, status) in gates {
        let _ = writeln!(text, "- {gate}: {}", status.as_str().unwrap_or_default());
    }
    text
}
