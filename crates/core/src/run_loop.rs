//! The run loop: model → tool calls → policy → (human) → tool → audit → model, persona after
//! persona, until a final answer, a gate, a limit, or an interruption.
//!
//! After every step the run state is saved and the step's audit records are appended, so a run
//! killed at any point resumes from the last completed step (see `recorder` and `run_state`).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use agentctl_config::Config;
use agentctl_llm::{ChatRequest, ChatResponse, ModelClient, StreamObserver};
use agentctl_persona::{Library, Persona, Task};
use agentctl_policy::PolicyEngine;
use agentctl_protocol::{EventKind, Gate, Message, RunId, TaskId, Usage};
use agentctl_tools::ToolContext;
use serde::Serialize;
use serde_json::Value;

use crate::activation::{self, Target};
use crate::approvals::{Decision, Verdict};
use crate::events::{RunEvent, RunObserver};
use crate::gates::{self, GateVerdict};
use crate::project_state::ProjectState;
use crate::recorder::Recorder;
use crate::run_state::{PendingApproval, PendingKind, RunEnd, RunMode, RunState, RunStatus};
use crate::store::{self, run_dir};
use crate::{briefing, details, personas, CoreError};

/// Everything a run needs that does not change while it runs.
pub struct RunContext {
    pub config: Config,
    pub library: Library,
    pub task: Task,
    pub client: Arc<dyn ModelClient>,
    /// Host of the endpoint, for the audit log (never the key).
    pub endpoint_host: String,
    pub tools: ToolContext,
    /// Flips to true on Ctrl-C.
    pub interrupt: tokio::sync::watch::Receiver<bool>,
}

/// What `run`/`resume` report when they stop.
#[derive(Debug, Clone, Serialize)]
pub struct RunReport {
    pub run_id: String,
    pub task_id: String,
    pub status: RunStatus,
    pub reason: String,
    pub answer: Option<String>,
    pub persona: String,
    pub turns: u32,
    pub handoffs: u32,
    pub tool_calls: u32,
    pub denials: u32,
    pub usage: Usage,
    pub audit_first_seq: Option<u64>,
    pub audit_last_seq: Option<u64>,
    pub pending: Option<PendingApproval>,
}

/// The run in progress.
pub struct Engine<'a> {
    pub(crate) context: &'a RunContext,
    pub(crate) state: RunState,
    pub(crate) run_dir: PathBuf,
    pub(crate) recorder: Recorder,
    pub(crate) observer: &'a mut dyn RunObserver,
    /// The active persona with its edge ceiling applied, and its policy engine.
    pub(crate) persona: Option<(Persona, PolicyEngine)>,
    /// A human decision taken into this process by `resume`.
    pub(crate) decision: Option<Decision>,
}

/// Starts a new run of `target` on the context's task.
pub async fn start(
    context: &RunContext,
    target: &Target,
    vars: BTreeMap<String, String>,
    model_override: Option<String>,
    observer: &mut dyn RunObserver,
) -> Result<RunReport, CoreError> {
    let run_id = RunId::new(store::new_run_id("r"));
    let production = target.is_production(Some(&context.task));
    let state = RunState::new(
        run_id.clone(),
        TaskId::new(context.task.id.clone()),
        target.entry_name().to_owned(),
        target.params.clone(),
        vars,
        model_override,
        production,
        target.persona.name.clone(),
        store::now_rfc3339(),
    );
    let directory = run_dir(&context.config.paths.state_dir, run_id.as_str());
    let recorder = Recorder::open(&context.config.paths.audit_log)?;
    let mut engine = Engine {
        context,
        state,
        run_dir: directory,
        recorder,
        observer,
        persona: None,
        decision: None,
    };
    let model = engine.model_for(&target.persona);
    let prompt = activation::build_prompt(&context.config, target, Some(&context.task))
        .map_err(CoreError::Input)?;
    engine.observer.on_event(&RunEvent::RunStarted {
        run_id: run_id.to_string(),
        task_id: context.task.id.clone(),
        persona: target.persona.name.clone(),
        model: model.clone(),
        endpoint: context.endpoint_host.clone(),
    });
    let mut started = details! {
        "entry" => target.entry_name(),
        "persona" => target.persona.name.clone(),
        "model" => model,
        "endpoint" => context.endpoint_host.clone(),
        "prompt_sha256" => prompt.sha256.clone(),
        "production" => production,
    };
    if !target.params.is_empty() {
        started.insert(
            "params".to_owned(),
            serde_json::to_value(&target.params).unwrap_or(Value::Null),
        );
    }
    Recorder::queue(
        &mut engine.state,
        Some(&target.persona.name),
        EventKind::RunStarted,
        started,
    );
    engine.save_and_flush()?;
    engine.drive().await
}

/// Continues a paused or interrupted run.
pub async fn resume(
    context: &RunContext,
    run_id: &RunId,
    observer: &mut dyn RunObserver,
) -> Result<RunReport, CoreError> {
    let directory = run_dir(&context.config.paths.state_dir, run_id.as_str());
    let (state, state_digest) = RunState::load(&directory)?;
    if state.status.is_terminal() {
        return Err(CoreError::refused(
            format!("run {run_id} already {}", state.status.as_str()),
            "start a new run with `agentctl run`",
        ));
    }
    let (recorder, entries) = Recorder::open_for_resume(&context.config.paths.audit_log, run_id)?;
    check_state_unchanged(&state, &state_digest, &entries)?;
    let mut engine = Engine {
        context,
        state,
        run_dir: directory,
        recorder,
        observer,
        persona: None,
        decision: None,
    };
    if engine.state.status == RunStatus::Paused {
        engine.take_decision()?;
    }
    let was = engine.state.status;
    engine.state.status = RunStatus::Running;
    engine.observer.on_event(&RunEvent::RunResumed {
        run_id: run_id.to_string(),
        persona: engine.state.active.name.clone(),
    });
    let persona = engine.state.active.name.clone();
    Recorder::queue(
        &mut engine.state,
        Some(&persona),
        EventKind::RunResumed,
        details! { "from" => was.as_str() },
    );
    engine.save_and_flush()?;
    engine.drive().await
}

/// A paused run's state must be byte-identical to what was recorded when it paused.
fn check_state_unchanged(
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

impl<'a> Engine<'a> {
    /// An engine over a saved run or session, for chat operations between messages.
    pub(crate) fn load(
        context: &'a RunContext,
        run_id: &RunId,
        observer: &'a mut dyn RunObserver,
    ) -> Result<Engine<'a>, CoreError> {
        let directory = run_dir(&context.config.paths.state_dir, run_id.as_str());
        let (state, _) = RunState::load(&directory)?;
        let (recorder, _) = Recorder::open_for_resume(&context.config.paths.audit_log, run_id)?;
        let mut engine = Engine {
            context,
            state,
            run_dir: directory,
            recorder,
            observer,
            persona: None,
            decision: None,
        };
        // Records a crash left unwritten go out first.
        engine.recorder.flush(&mut engine.state)?;
        Ok(engine)
    }
}

impl Engine<'_> {
    /// The main loop.
    pub(crate) async fn drive(&mut self) -> Result<RunReport, CoreError> {
        loop {
            if *self.context.interrupt.borrow() {
                return self.interrupt();
            }
            if !self.state.active.started {
                if let Some(report) = self.begin_persona()? {
                    return Ok(report);
                }
                continue;
            }
            self.ensure_persona()?;
            if let Some(report) = self.answer_open_calls().await? {
                return Ok(report);
            }
            if !self.state.active.started {
                continue; // a handoff switched persona
            }
            for line in std::mem::take(&mut self.state.inbox) {
                self.state.messages.push(Message::user(line));
                self.state.turns_before_message = self.state.turns;
                self.state.denials_before_message = self.state.denials;
            }
            if let Some(report) = self.check_limits()? {
                return Ok(report);
            }
            if let Some(report) = self.model_turn().await? {
                return Ok(report);
            }
        }
    }

    /// Gate checks and the first messages of the active persona.
    fn begin_persona(&mut self) -> Result<Option<RunReport>, CoreError> {
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
                return self.end(RunStatus::Failed, reason, None).map(Some);
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
                    return self.end(RunStatus::Failed, reason, None).map(Some);
                }
                if !self.decision_approves_start(&persona.name, requirement.gate) {
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
                if matches!(
                    self.state.pending.as_ref().map(|pending| &pending.kind),
                    Some(PendingKind::Start { .. })
                ) {
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
        let prompt = activation::build_prompt(&config, &target, Some(&self.context.task))
            .map_err(CoreError::Input)?;
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
        }
        self.state.messages = vec![Message::system(prompt.text)];
        if !first_message.is_empty() {
            self.state.messages.push(Message::user(first_message));
        }
        self.state.active.prompt_sha256 = prompt.sha256.clone();
        self.state.active.started = true;
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
                EventKind::GateChecked,
                details! {
                    "persona_started" => persona.name.clone(), "prompt_sha256" => prompt.sha256, "tools" => tools,
                },
            );
        }
        self.persona = None;
        self.save_and_flush()?;
        Ok(None)
    }

    /// The stage command of this run, if the entry was one and `persona` is its active role.
    fn command_for(&self, persona: &Persona) -> Result<Option<Persona>, CoreError> {
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

    pub(crate) fn lookup(&self, name: &str) -> Result<Persona, CoreError> {
        self.context.library.get(name).cloned().ok_or_else(|| {
            CoreError::refused(
                format!("persona `{name}` is not in the library any more"),
                "restore it, or start a new run",
            )
        })
    }

    /// Builds the active persona and its policy engine once per activation.
    pub(crate) fn ensure_persona(&mut self) -> Result<(), CoreError> {
        if self
            .persona
            .as_ref()
            .is_some_and(|(persona, _)| persona.name == self.state.active.name)
        {
            return Ok(());
        }
        let persona = personas::with_ceiling(
            self.lookup(&self.state.active.name)?,
            self.state.active.ceiling.as_deref(),
        );
        let engine = personas::policy_for(&self.context.config, &persona)?;
        self.persona = Some((persona, engine));
        Ok(())
    }

    pub(crate) fn model_for(&self, persona: &Persona) -> String {
        self.state
            .model_override
            .clone()
            .unwrap_or_else(|| self.context.config.model_for(persona.model.as_deref()))
    }

    fn check_limits(&mut self) -> Result<Option<RunReport>, CoreError> {
        let limits = personas::effective_limits(
            &self.context.config,
            self.persona.as_ref().map(|(persona, _)| persona),
        );
        let chat = matches!(self.state.mode, RunMode::Chat { .. });
        // In a chat session turns and denials are limited per human message: hitting a limit
        // stops that reply and waits for the human. A run's limits cover the whole run.
        let (turns, denials) = if chat {
            (
                self.state
                    .turns
                    .saturating_sub(self.state.turns_before_message),
                self.state
                    .denials
                    .saturating_sub(self.state.denials_before_message),
            )
        } else {
            (self.state.turns, self.state.denials)
        };
        let per_message = if turns >= limits.max_turns {
            Some(format!(
                "turn limit reached ({} model turns)",
                limits.max_turns
            ))
        } else if denials >= limits.max_denials {
            Some(format!(
                "{denials} tool calls were denied (limit {}); the persona keeps asking for what it may not do",
                limits.max_denials
            ))
        } else {
            None
        };
        if let Some(reason) = per_message {
            if chat {
                let note = format!(
                    "[agentctl: this reply was stopped: {reason}. Send another message to go on.]"
                );
                return self.wait_for_user(note).map(Some);
            }
            return self.end(RunStatus::Failed, reason, None).map(Some);
        }
        if self.state.usage.total() >= limits.token_budget {
            let reason = format!(
                "token budget spent ({} of {} tokens)",
                self.state.usage.total(),
                limits.token_budget
            );
            return self.end(RunStatus::Failed, reason, None).map(Some);
        }
        Ok(None)
    }

    /// One model call and what follows directly from it.
    async fn model_turn(&mut self) -> Result<Option<RunReport>, CoreError> {
        let Some((persona, _)) = self.persona.as_ref() else {
            return Ok(None);
        };
        let persona_name = persona.name.clone();
        let dropped = crate::context_window::fit(
            &mut self.state.messages,
            self.context.config.endpoint.context_window,
        );
        let Some((persona, _)) = self.persona.as_ref() else {
            return Ok(None);
        };
        let request = ChatRequest {
            model: self.model_for(persona),
            messages: self.state.messages.clone(),
            tools: personas::tool_specs(persona),
            stream: self.context.config.endpoint.stream,
        };
        self.state.turns += 1;
        let turn = self.state.turns;
        let mut interrupt = self.context.interrupt.clone();
        let client = Arc::clone(&self.context.client);
        let outcome = {
            let mut relay = Relay {
                observer: &mut *self.observer,
            };
            tokio::select! {
                response = client.complete(&request, &mut relay) => Some(response),
                _ = interrupt.wait_for(|stop| *stop) => None,
            }
        };
        let response: ChatResponse = match outcome {
            None => {
                self.state.turns -= 1;
                return self.interrupt().map(Some);
            }
            Some(Err(error)) => {
                Recorder::queue(
                    &mut self.state,
                    Some(&persona_name),
                    EventKind::ModelError,
                    details! { "turn" => turn, "error" => error.to_string() },
                );
                return self
                    .end(
                        RunStatus::Failed,
                        format!("the model endpoint failed: {error}"),
                        None,
                    )
                    .map(Some);
            }
            Some(Ok(response)) => response,
        };
        self.state.usage.add(response.usage);
        self.observer.on_event(&RunEvent::ModelTurn {
            turn,
            usage: response.usage,
            latency_ms: response.latency_ms,
            tool_calls: response.tool_calls.len(),
        });
        let mut recorded = details! {
            "turn" => turn, "model" => response.model.clone(),
            "prompt_tokens" => response.usage.prompt_tokens, "completion_tokens" => response.usage.completion_tokens,
            "latency_ms" => response.latency_ms, "streamed" => response.streamed, "attempts" => response.attempts,
            "tool_calls" => response.tool_calls.len(),
        };
        if let Some(reason) = &response.finish_reason {
            recorded.insert("finish_reason".to_owned(), Value::from(reason.clone()));
        }
        if let Some(text) = &response.content {
            recorded.insert(
                "text".to_owned(),
                Value::from(agentctl_audit::cut(&agentctl_audit::redact(text), 2000)),
            );
        }
        if dropped > 0 {
            recorded.insert("dropped_messages".to_owned(), Value::from(dropped));
        }
        Recorder::queue(
            &mut self.state,
            Some(&persona_name),
            EventKind::ModelResponse,
            recorded,
        );
        self.state.answered.clear();
        self.state.messages.push(Message::assistant(
            response.content.clone(),
            response.tool_calls.clone(),
        ));
        if response.tool_calls.is_empty() {
            let answer = response.content.unwrap_or_default();
            if matches!(self.state.mode, RunMode::Chat { .. }) {
                return self.wait_for_user(answer).map(Some);
            }
            return self
                .end(
                    RunStatus::Finished,
                    "the persona answered without a tool call".to_owned(),
                    Some(answer),
                )
                .map(Some);
        }
        self.save_and_flush()?;
        Ok(None)
    }

    /// Answers every tool call of the last assistant message not yet answered.
    async fn answer_open_calls(&mut self) -> Result<Option<RunReport>, CoreError> {
        let calls = match self.state.messages.last() {
            Some(message) if message.role == agentctl_protocol::Role::Assistant => {
                message.tool_calls.clone()
            }
            _ => {
                // Tool results already follow the last assistant message; find it.
                let last_assistant = self
                    .state
                    .messages
                    .iter()
                    .rev()
                    .find(|message| message.role == agentctl_protocol::Role::Assistant);
                last_assistant
                    .map(|message| message.tool_calls.clone())
                    .unwrap_or_default()
            }
        };
        let mut answered_any = false;
        for call in calls {
            if self.state.answered.contains(&call.id) {
                continue;
            }
            answered_any = true;
            match self.handle_call(&call).await? {
                crate::tool_call::CallOutcome::Answered => {}
                crate::tool_call::CallOutcome::Switched => return Ok(None),
                crate::tool_call::CallOutcome::Stop(report) => return Ok(Some(*report)),
            }
        }
        // Reads and denials of this message were answered in memory; persist them once.
        if answered_any {
            self.save_and_flush()?;
        }
        Ok(None)
    }

    /// Reads the human decision of a paused run into this process, checking it fits.
    fn take_decision(&mut self) -> Result<(), CoreError> {
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
    fn rejected_start(&mut self, persona: &str) -> Option<Decision> {
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

    fn decision_approves_start(&mut self, persona: &str, gate: Gate) -> bool {
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

    /// Pauses for a human: state saved, `gate.pending` and `run.paused` audited.
    pub(crate) fn pause(&mut self, pending: PendingApproval) -> Result<RunReport, CoreError> {
        let persona = pending.persona.clone();
        let mut pending_details = details! {
            "gate" => pending.gate.as_str(), "digest" => pending.digest.clone(), "waiting" => pending.describe(),
        };
        if let PendingKind::Call { call, rule, .. } = &pending.kind {
            pending_details.insert("call_id".to_owned(), Value::from(call.id.clone()));
            pending_details.insert("tool".to_owned(), Value::from(call.name.clone()));
            pending_details.insert(
                "arguments".to_owned(),
                Value::from(agentctl_audit::redact(&call.arguments)),
            );
            pending_details.insert("rule".to_owned(), Value::from(rule.clone()));
        }
        Recorder::queue(
            &mut self.state,
            Some(&persona),
            EventKind::GatePending,
            pending_details,
        );
        self.state.pending = Some(pending.clone());
        self.state.status = RunStatus::Paused;
        self.mark_paused("waiting for human approval")?;
        self.observer.on_event(&RunEvent::Paused { pending });
        Ok(self.report())
    }

    fn interrupt(&mut self) -> Result<RunReport, CoreError> {
        self.state.status = RunStatus::Interrupted;
        self.mark_paused("interrupted")?;
        self.observer.on_event(&RunEvent::Finished {
            status: RunStatus::Interrupted,
            reason: "interrupted".to_owned(),
        });
        Ok(self.report())
    }

    /// Saves the state and records its digest in a `run.paused` entry, which `resume` checks.
    fn mark_paused(&mut self, reason: &str) -> Result<(), CoreError> {
        self.state.updated_at = store::now_rfc3339();
        let step = self.state.next_step;
        self.state.next_step += 1;
        let digest = self.state.save(&self.run_dir)?;
        self.recorder.flush(&mut self.state)?;
        let persona = self.state.active.name.clone();
        self.recorder.append(crate::recorder::standalone_record(
            Some(self.state.run_id.clone()),
            Some(self.state.task_id.clone()),
            Some(persona),
            EventKind::RunPaused,
            details! { "reason" => reason, "state_sha256" => digest, "step" => step },
        ))
    }

    /// A chat persona answered: the session waits for the human's next message.
    fn wait_for_user(&mut self, answer: String) -> Result<RunReport, CoreError> {
        self.state.status = RunStatus::Waiting;
        self.state.end = None;
        self.save_and_flush()?;
        let mut report = self.report();
        report.answer = Some(answer);
        Ok(report)
    }

    /// Ends the run for good.
    pub(crate) fn end(
        &mut self,
        status: RunStatus,
        reason: String,
        answer: Option<String>,
    ) -> Result<RunReport, CoreError> {
        self.state.status = status;
        let persona = self.state.active.name.clone();
        let finished = details! {
            "status" => status.as_str(), "reason" => reason.clone(), "turns" => self.state.turns,
            "handoffs" => self.state.handoffs, "tool_calls" => self.state.tool_calls, "denials" => self.state.denials,
            "prompt_tokens" => self.state.usage.prompt_tokens, "completion_tokens" => self.state.usage.completion_tokens,
        };
        Recorder::queue(
            &mut self.state,
            Some(&persona),
            EventKind::RunFinished,
            finished,
        );
        self.state.end = Some(RunEnd {
            status,
            reason: reason.clone(),
            answer,
        });
        self.save_and_flush()?;
        self.observer
            .on_event(&RunEvent::Finished { status, reason });
        Ok(self.report())
    }

    pub(crate) fn save_and_flush(&mut self) -> Result<(), CoreError> {
        self.state.updated_at = store::now_rfc3339();
        self.state.save(&self.run_dir)?;
        self.recorder.flush(&mut self.state)
    }

    pub(crate) fn report(&self) -> RunReport {
        let end = self.state.end.clone();
        RunReport {
            run_id: self.state.run_id.to_string(),
            task_id: self.state.task_id.to_string(),
            status: self.state.status,
            reason: end
                .as_ref()
                .map(|end| end.reason.clone())
                .unwrap_or_else(|| match &self.state.pending {
                    Some(pending) => pending.describe(),
                    None => self.state.status.as_str().to_owned(),
                }),
            answer: end.and_then(|end| end.answer),
            persona: self.state.active.name.clone(),
            turns: self.state.turns,
            handoffs: self.state.handoffs,
            tool_calls: self.state.tool_calls,
            denials: self.state.denials,
            usage: self.state.usage,
            audit_first_seq: self.recorder.first_seq,
            audit_last_seq: self.recorder.last_seq,
            pending: self.state.pending.clone(),
        }
    }
}

/// Passes the model client's streaming callbacks on as run events.
struct Relay<'a> {
    observer: &'a mut dyn RunObserver,
}

impl StreamObserver for Relay<'_> {
    fn on_text(&mut self, delta: &str) {
        self.observer.on_event(&RunEvent::ModelText {
            delta: delta.to_owned(),
        });
    }

    fn on_retry(&mut self, attempt: u32, wait: std::time::Duration, reason: &str) {
        self.observer.on_event(&RunEvent::ModelRetry {
            attempt,
            wait_ms: u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
            reason: reason.to_owned(),
        });
    }

    fn on_fallback(&mut self, reason: &str) {
        self.observer.on_event(&RunEvent::ModelFallback {
            reason: reason.to_owned(),
        });
    }
}
