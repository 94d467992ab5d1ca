//! A persona beginning work on a task: the gate checks of SPEC §8, then its prompt and first
//! message (the task, and after a handoff the packet).
//!
//! Does not know about: model calls or tool calls (the loop in `run_loop` does those).

use agentctl_persona::Persona;
use agentctl_protocol::{EventKind, Message};

use crate::activation::Target;
use crate::events::RunEvent;
use crate::gates::{self, GateVerdict};
use crate::project_state::ProjectState;
use crate::recorder::Recorder;
use crate::run_loop::{Engine, RunReport};
use crate::run_state::{PendingApproval, PendingKind, RunMode, RunStatus};
use crate::store;
use crate::{briefing, details, personas, CoreError};

impl Engine<'_> {
    /// Gate checks and the first messages of the active persona.
    pub(crate) fn begin_persona(&mut self) -> Result<Option<RunReport>, CoreError> {
        let persona = personas::with_ceiling(
            self.lookup(&self.state.active.name)?,
            self.state.active.ceiling.as_deref(),
        );
        let project_state = ProjectState::load(&self.context.config.paths.state_file)?;
        // A chat session without a task has no task to gate: personas only talk.
        let requirements = if matches!(self.state.mode, RunMode::Chat { with_task: false }) {
            Vec::new()
        } else {
            gates::requirements(
                &persona,
                &self.context.task,
                self.state.production,
                &project_state,
            )
        };
        for requirement in &requirements {
            let satisfied = requirement.status.is_satisfied();
            self.observer.on_event(&RunEvent::GateChecked {
                persona: persona.name.clone(),
                gate: requirement.gate,
                status: requirement.status,
                satisfied,
            });
            Recorder::queue(
                &mut self.state,
                Some(&persona.name),
                EventKind::GateChecked,
                details! {
                    "gate" => requirement.gate.as_str(), "status" => requirement.status.as_str(),
                    "satisfied" => satisfied, "because" => requirement.because.clone(),
                },
            );
        }
        // The gate a human answered for this persona to start, and their decision.
        let mut answered: Option<(agentctl_protocol::Gate, Option<crate::approvals::Decision>)> =
            None;
        match gates::verdict(&requirements) {
            GateVerdict::Blocked(requirement) => {
                let reason = format!(
                    "gate {} ({}) is {} for task {}: {}",
                    requirement.gate,
                    requirement.gate.title(),
                    requirement.status,
                    self.context.task.id,
                    requirement.because
                );
                let next_steps = self.gate_next_steps(requirement.gate);
                let mut report = self.end(RunStatus::Failed, reason, None)?;
                report.next_steps = next_steps;
                return Ok(Some(report));
            }
            GateVerdict::NeedsApproval(requirement) => {
                if let Some(decision) = self.rejected_start(&persona.name) {
                    let reason = format!(
                        "{} rejected {} for {} to start on task {}: {}",
                        decision.by,
                        requirement.gate,
                        persona.name,
                        self.context.task.id,
                        decision.note.unwrap_or_default()
                    );
                    return self.end(RunStatus::Rejected, reason, None).map(Some);
                }
                let decision = self.decision.clone();
                if self.decision_approves_start(&persona.name, requirement.gate) {
                    answered = Some((requirement.gate, decision));
                } else {
                    let digest = store::sha256_hex(
                        format!(
                            "start\n{}\n{}\n{}\n{}",
                            self.state.run_id, self.context.task.id, persona.name, requirement.gate
                        )
                        .as_bytes(),
                    );
                    let pending = PendingApproval {
                        gate: requirement.gate,
                        persona: persona.name.clone(),
                        digest,
                        created_at: store::now_rfc3339(),
                        kind: PendingKind::Start {
                            because: requirement.because.clone(),
                        },
                    };
                    return self.pause(pending).map(Some);
                }
            }
            GateVerdict::Clear => {
                // An approval recorded S08 in the project state: the start gate is answered.
                if let Some(pending) = self
                    .state
                    .pending
                    .as_ref()
                    .filter(|pending| matches!(pending.kind, PendingKind::Start { .. }))
                {
                    answered = Some((pending.gate, self.decision.clone()));
                    self.consume_decision();
                }
            }
        }
        let target = Target {
            persona: persona.clone(),
            command: self.command_for(&persona)?,
            params: self.state.params.clone(),
        };
        let mut config = self.context.config.clone();
        config.vars.extend(self.state.vars.clone());
        let prompt = self.prompt_for(&config, &target)?;
        let briefed = !matches!(self.state.mode, RunMode::Chat { with_task: false });
        let mut first_message = if briefed {
            briefing::task_message(&self.context.task, &self.state.params)
        } else {
            String::new()
        };
        if let Some(packet) = self.state.packet.take() {
            if !first_message.is_empty() {
                first_message.push('\n');
            }
            first_message.push_str(&packet);
        } else if briefed {
            first_message.push_str(&briefing::gate_status(
                &self.context.task,
                self.state.production,
                &project_state,
            ));
        }
        if let Some((gate, decision)) = answered.filter(|_| briefed) {
            first_message.push_str(&briefing::since_the_pause(
                &self.context.task,
                self.state.production,
                &project_state,
                gate,
                decision.as_ref(),
            ));
        }
        let your_part = if briefed {
            briefing::your_part(
                &persona,
                &self.context.task,
                &project_state,
                &self.context.config.gates.evidence,
            )
        } else {
            String::new()
        };
        // The message ends with what to do next: the persona's own gate, else its first step.
        if !your_part.is_empty() {
            first_message.push_str(&your_part);
        } else if self.state.mode == RunMode::Task {
            first_message.push_str(briefing::START_NOW);
        }
        self.state.messages = vec![Message::system(prompt.text)];
        if !first_message.is_empty() {
            self.state.messages.push(Message::user(first_message));
        }
        self.state.active.prompt_sha256 = prompt.sha256.clone();
        self.state.active.started = true;
        self.state.turns_before_persona = self.state.turns;
        self.state.answered.clear();
        let tools: Vec<String> = persona
            .offered_tools()
            .iter()
            .map(ToString::to_string)
            .collect();
        self.observer.on_event(&RunEvent::PersonaStarted {
            persona: persona.name.clone(),
            prompt_sha256: prompt.sha256.clone(),
            tools: tools.clone(),
        });
        if self.state.trail.len() > 1 || self.state.turns > 0 {
            Recorder::queue(
                &mut self.state,
                Some(&persona.name),
                EventKind::PersonaStarted,
                details! {
                    "persona" => persona.name.clone(), "prompt_sha256" => prompt.sha256, "tools" => tools,
                },
            );
        }
        self.persona = None;
        self.offered_tools = None;
        self.save_and_flush()?;
        Ok(None)
    }

    /// Who may record `gate` and the commands to do it, from the whole library (the run
    /// itself loads only the personas it reaches).
    fn gate_next_steps(&self, gate: agentctl_protocol::Gate) -> Vec<String> {
        let config = &self.context.config;
        let paths = agentctl_persona::LibraryPaths {
            root: config.paths.library.clone(),
            personas: config.paths.personas.clone(),
            prompts: config.paths.prompts.clone(),
        };
        let (library, _) = agentctl_persona::Library::load(&paths, &config.overlays);
        gates::next_steps(&library, gate, &self.context.task.id)
    }

    /// The stage command of this run, if the entry was one and `persona` is its active role.
    pub(crate) fn command_for(&self, persona: &Persona) -> Result<Option<Persona>, CoreError> {
        match self.context.library.get(&self.state.entry) {
            Some(command)
                if command.command.is_some()
                    && self.state.trail.first() == Some(&persona.name)
                    && self.state.trail.len() == 1 =>
            {
                Ok(Some(command.clone()))
            }
            _ => Ok(None),
        }
    }
}
