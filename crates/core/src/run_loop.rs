//! The run loop: model → tool calls → policy → (human) → tool → audit → model, persona after
//! persona, until a final answer, a gate, a limit, or an interruption.
//!
//! After every step the run state is saved and the step's audit records are appended, so a run
//! killed at any point resumes from the last completed step (see `recorder` and `run_state`).

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use agentctl_config::Config;
use agentctl_llm::{ChatRequest, ChatResponse, ModelClient, StreamObserver, ToolChoice};
use agentctl_persona::{Library, Persona, Task};
use agentctl_policy::PolicyEngine;
use agentctl_protocol::{EventKind, Message, RunId, TaskId, ToolName, Usage};
use agentctl_tools::ToolContext;
use serde::Serialize;
use serde_json::Value;

use crate::activation::{self, Target};
use crate::approvals::Decision;
use crate::events::{RunEvent, RunObserver};
use crate::recorder::Recorder;
use crate::run_lock::RunLock;
use crate::run_state::{PendingApproval, RunMode, RunState, RunStatus};
use crate::tool_call::WayOn;
use crate::{details, personas, repeated_call, store, CoreError};

/// Everything a run needs that does not change while it runs.
pub struct RunContext {
    pub config: Config,
    pub library: Library,
    pub task: Task,
    pub client: Arc<dyn ModelClient>,
    /// Host of the endpoint, for the audit log (never the key).
    pub endpoint_host: String,
    pub tools: ToolContext,
    /// The project's MCP servers; each starts when a persona first needs its tools.
    pub mcp: Arc<agentctl_mcp::McpHub>,
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
    /// Actions a human rejected during the run that the persona was told about.
    pub rejections: Vec<String>,
    /// What the user can do next when a gate stopped the run: who may record it and the
    /// exact commands.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub next_steps: Vec<String>,
    /// Every persona that worked in the run, in the order they first did.
    pub personas: Vec<String>,
    /// Workspace files the run's tool calls changed (every process that drove it).
    pub files_changed: Vec<String>,
    /// Milliseconds the engine worked on the run, over every process that drove it.
    pub worked_ms: u64,
    /// How many processes drove the run (1 for a run never resumed).
    pub sessions: u32,
}

/// The run in progress.
pub struct Engine<'a> {
    pub(crate) context: &'a RunContext,
    pub(crate) state: RunState,
    pub(crate) run_dir: PathBuf,
    pub(crate) recorder: Recorder,
    /// The run's journal: every save appends one record to it.
    pub(crate) journal: crate::run_journal::Journal,
    pub(crate) observer: &'a mut dyn RunObserver,
    /// The active persona with its edge ceiling applied, and its policy engine.
    pub(crate) persona: Option<(Persona, PolicyEngine)>,
    /// A human decision taken into this process by `resume`.
    pub(crate) decision: Option<Decision>,
    /// The MCP tools offered to the active persona, listed on its first model turn.
    pub(crate) mcp_offer: Option<crate::mcp_tools::McpOffer>,
    /// System prompts already assembled in this process, by digest of their inputs.
    pub(crate) prompts: Vec<(String, agentctl_prompt::AssembledPrompt)>,
    /// Personas loaded when a handoff first reached them (not in the context's library).
    pub(crate) reached: std::sync::Mutex<BTreeMap<String, Persona>>,
    /// A model reply with tool calls is in memory but not yet saved: it is saved together
    /// with the answers to its calls (one save, one fsync, per tool turn), or earlier by the
    /// in-flight mark of a call with effects. A crash before that save loses only the reply,
    /// and `resume` asks the model again: nothing it asked for had happened yet.
    pub(crate) unsaved_reply: bool,
    /// The tools offered to the active persona (its own and its MCP tools), built on its
    /// first model turn, with their estimated tokens; emptied whenever the persona or its MCP
    /// offer changes.
    pub(crate) offered_tools: Option<(Vec<agentctl_llm::ToolSpec>, usize)>,
    /// Work time not yet added to the state's `worked_ms` starts here.
    pub(crate) work_clock: std::time::Instant,
    /// This process has not yet counted itself in the state's `sessions`.
    pub(crate) count_session: bool,
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
    // Nobody else can know this new id yet, so taking its lock does not wait; holding it shows
    // the run as driven (not abandoned) to `runs` for as long as this process works on it.
    let lock = store::blocking(|| RunLock::acquire(&context.config.paths.state_dir, &run_id))?;
    let directory = lock.run_dir().to_path_buf();
    let recorder = Recorder::open(&context.config.paths)?;
    let journal = crate::run_journal::Journal::create(&directory);
    let mut engine = Engine {
        context,
        state,
        run_dir: directory,
        recorder,
        journal,
        observer,
        persona: None,
        decision: None,
        mcp_offer: None,
        prompts: Vec::new(),
        reached: Default::default(),
        unsaved_reply: false,
        offered_tools: None,
        work_clock: std::time::Instant::now(),
        count_session: lock.first_session_save(),
    };
    let model = engine.model_for(&target.persona);
    let prompt = engine.prompt_for(&context.config, target)?;
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
        "sandbox" => if context.config.sandbox.off { "off" } else { "enforce" },
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
    let report = engine.drive().await;
    drop(lock);
    report
}

/// Continues a paused or interrupted run (or a chat session at a gate). The caller holds the
/// run's lock, so the state read here, the single use of the human decision and every write
/// after it belong to this process alone.
pub async fn resume(
    context: &RunContext,
    lock: &RunLock,
    observer: &mut dyn RunObserver,
) -> Result<RunReport, CoreError> {
    let run_id = lock.run_id();
    let directory = lock.run_dir().to_path_buf();
    let replayed = store::blocking(|| crate::run_journal::replay(&directory))?;
    let state_digest = replayed.digest.clone();
    let torn_bytes = replayed.torn_bytes;
    if replayed.state.status.is_terminal() {
        return Err(CoreError::RunEnded {
            run_id: run_id.to_string(),
            status: replayed.state.status.as_str().to_owned(),
        });
    }
    let (recorder, entries) =
        store::blocking(|| Recorder::open_for_resume(&context.config.paths, run_id))?;
    crate::run_decisions::check_state_unchanged(&replayed.state, &state_digest, &entries)?;
    let journal = store::blocking(|| crate::run_journal::Journal::open(&directory, &replayed))?;
    let mut engine = Engine {
        context,
        state: replayed.state,
        run_dir: directory,
        recorder,
        journal,
        observer,
        persona: None,
        decision: None,
        mcp_offer: None,
        prompts: Vec::new(),
        reached: Default::default(),
        unsaved_reply: false,
        offered_tools: None,
        work_clock: std::time::Instant::now(),
        count_session: lock.first_session_save(),
    };
    if engine.state.status == RunStatus::Paused {
        engine.take_decision()?;
    }
    let was = engine.state.status;
    engine.state.status = RunStatus::Running;
    let model = match engine.context.library.get(&engine.state.active.name) {
        Some(persona) => engine.model_for(persona),
        None => engine.state.model_override.clone().unwrap_or_default(),
    };
    let started_with = entries
        .iter()
        .find(|entry| entry.event == EventKind::RunStarted)
        .and_then(|entry| entry.details.get("endpoint"))
        .and_then(Value::as_str)
        .filter(|started| *started != context.endpoint_host)
        .map(str::to_owned);
    engine.observer.on_event(&RunEvent::RunResumed {
        run_id: run_id.to_string(),
        persona: engine.state.active.name.clone(),
        model,
        endpoint: context.endpoint_host.clone(),
        started_with,
        journal_torn_bytes: torn_bytes,
    });
    let persona = engine.state.active.name.clone();
    let mut resumed = details! { "from" => was.as_str() };
    if torn_bytes > 0 {
        resumed.insert("journal_torn_bytes".to_owned(), Value::from(torn_bytes));
    }
    Recorder::queue(
        &mut engine.state,
        Some(&persona),
        EventKind::RunResumed,
        resumed,
    );
    engine.save_and_flush()?;
    engine.drive().await
}

impl<'a> Engine<'a> {
    /// An engine over a saved run or session, for chat operations between messages.
    pub(crate) fn load(
        context: &'a RunContext,
        lock: &RunLock,
        observer: &'a mut dyn RunObserver,
    ) -> Result<Engine<'a>, CoreError> {
        let run_id = lock.run_id();
        let directory = lock.run_dir().to_path_buf();
        let replayed = crate::run_journal::replay(&directory)?;
        let journal = crate::run_journal::Journal::open(&directory, &replayed)?;
        let torn_bytes = replayed.torn_bytes;
        let mut state = replayed.state;
        if torn_bytes > 0 {
            // A crash cut the journal's last record: say so in the log, as `resume` does.
            let persona = state.active.name.clone();
            let from = state.status.as_str();
            Recorder::queue(
                &mut state,
                Some(&persona),
                EventKind::RunResumed,
                details! { "from" => from, "journal_torn_bytes" => torn_bytes },
            );
        }
        // Reading the log back (to skip steps already written) is needed only when a crash left
        // records in the outbox; between chat messages it is normally empty.
        let recorder = if state.outbox.is_empty() {
            Recorder::open(&context.config.paths)?
        } else {
            Recorder::open_for_resume(&context.config.paths, run_id)?.0
        };
        let mut engine = Engine {
            context,
            state,
            run_dir: directory,
            recorder,
            journal,
            observer,
            persona: None,
            decision: None,
            mcp_offer: None,
            prompts: Vec::new(),
            reached: Default::default(),
            unsaved_reply: false,
            offered_tools: None,
            work_clock: std::time::Instant::now(),
            count_session: lock.first_session_save(),
        };
        // Records a crash left unwritten go out first.
        store::blocking(|| engine.recorder.flush(&mut engine.state))?;
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

    /// A persona by name: from the context's library, else loaded from disk the first time a
    /// run reaches it (a run starts with only its first persona parsed) and kept for the rest
    /// of this process.
    pub(crate) fn lookup(&self, name: &str) -> Result<Persona, CoreError> {
        if let Some(persona) = self.context.library.get(name) {
            return Ok(persona.clone());
        }
        let mut reached = self
            .reached
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(persona) = reached.get(name) {
            return Ok(persona.clone());
        }
        let config = &self.context.config;
        let paths = agentctl_persona::LibraryPaths {
            root: config.paths.library.clone(),
            personas: config.paths.personas.clone(),
            prompts: config.paths.prompts.clone(),
        };
        let gone = |detail: String| CoreError::PersonaUnloadable {
            name: name.to_owned(),
            detail,
        };
        let persona = match Library::load_for_run(&paths, &config.overlays, name) {
            Ok((persona, _)) if persona.kind == agentctl_persona::PersonaKind::Persona => persona,
            Ok(_) => return Err(gone("it is a stage command, not a persona".to_owned())),
            Err(diagnostics) => {
                let detail = diagnostics
                    .iter()
                    .map(|diagnostic| diagnostic.message.clone())
                    .collect::<Vec<_>>()
                    .join("; ");
                return Err(gone(detail));
            }
        };
        reached.insert(name.to_owned(), persona.clone());
        Ok(persona)
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
        self.offered_tools = None;
        Ok(())
    }

    /// The system prompt of `target`, assembled once per process for the same persona, command,
    /// parameters and variables (the task is the run's own): the start of a run and the
    /// persona's activation, or a persona handed the task again, reuse it.
    pub(crate) fn prompt_for(
        &mut self,
        config: &Config,
        target: &Target,
    ) -> Result<agentctl_prompt::AssembledPrompt, CoreError> {
        let inputs = serde_json::to_vec(&(
            &target.persona,
            &target.command,
            &target.params,
            &config.vars,
        ))
        .unwrap_or_default();
        let key = store::sha256_hex(&inputs);
        if let Some((_, prompt)) = self.prompts.iter().find(|(known, _)| *known == key) {
            return Ok(prompt.clone());
        }
        let prompt = activation::build_prompt(config, target, Some(&self.context.task))
            .map_err(CoreError::Input)?;
        self.prompts.push((key, prompt.clone()));
        Ok(prompt)
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
        // In a run, `[limits] max_turns` counts every turn of the run and a persona's own
        // `limits.max_turns` only that persona's turns since it started, so a persona late in
        // a long chain still gets its own turns.
        let turn_limit = if chat {
            (turns >= limits.max_turns).then_some(limits.max_turns)
        } else {
            let run_limit = self.context.config.limits.max_turns;
            let own = self
                .persona
                .as_ref()
                .and_then(|(persona, _)| persona.limits.max_turns);
            let own_turns = turns.saturating_sub(self.state.turns_before_persona);
            if turns >= run_limit {
                Some(run_limit)
            } else {
                own.filter(|own| own_turns >= *own)
            }
        };
        let per_message = if let Some(limit) = turn_limit {
            Some(format!("turn limit reached ({limit} model turns)"))
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
        self.ensure_mcp_tools().await?;
        let Some((persona, _)) = self.persona.as_ref() else {
            return Ok(None);
        };
        let persona_name = persona.name.clone();
        if self.offered_tools.is_none() {
            let mut tools = personas::tool_specs(persona);
            tools.extend(self.mcp_tool_specs());
            // The tool definitions go with every request and take their share of the window;
            // measuring them serialises them, so it is done once per set.
            let tokens = crate::context_window::estimate_tools(&tools);
            self.offered_tools = Some((tools, tokens));
        }
        // After a reply with a refused repeat, the persona is asked in a message of its own how
        // it goes on, and that request offers only the way on: the handoff tool, or no call at
        // all. Derived from the conversation, so a resume asks the same way.
        if repeated_call::needs_asking(&self.state.messages) {
            let next = match self.way_on()? {
                WayOn::HandOff { to, .. } => Some(to),
                WayOn::Finish { .. } => None,
            };
            self.state
                .messages
                .push(repeated_call::ask(next.as_deref()));
        }
        let narrowed = if repeated_call::asked(&self.state.messages) {
            Some(self.way_on()?)
        } else {
            None
        };
        let (offered, offered_tokens) = self
            .offered_tools
            .as_ref()
            .map_or((&[][..], 0), |(tools, tokens)| (tools.as_slice(), *tokens));
        let (tools, tool_choice) = match &narrowed {
            None => (Cow::Borrowed(offered), ToolChoice::Auto),
            Some(WayOn::HandOff { .. }) => (
                Cow::Owned(
                    offered
                        .iter()
                        .filter(|tool| tool.name == ToolName::Handoff.as_str())
                        .cloned()
                        .collect(),
                ),
                ToolChoice::Auto,
            ),
            Some(WayOn::Finish { .. }) => (Cow::Borrowed(offered), ToolChoice::None),
        };
        let tools_tokens = match &tools {
            Cow::Borrowed(_) => offered_tokens,
            Cow::Owned(narrowed) => crate::context_window::estimate_tools(narrowed),
        };
        let dropped = crate::context_window::fit(
            &mut self.state.messages,
            self.context
                .config
                .endpoint
                .context_window
                .saturating_sub(tools_tokens),
        );
        let Some((persona, _)) = self.persona.as_ref() else {
            return Ok(None);
        };
        let request = ChatRequest {
            model: self.model_for(persona),
            messages: &self.state.messages,
            tools: &tools,
            tool_choice,
            stream: self.context.config.endpoint.stream,
        };
        self.state.turns += 1;
        let turn = self.state.turns;
        let mut interrupt = self.context.interrupt.clone();
        let client = Arc::clone(&self.context.client);
        self.observer.on_event(&RunEvent::ModelWaiting {
            persona: persona_name.clone(),
            turn,
        });
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
                Value::from(agentctl_audit::cut(&self.redactor().text(text), 2000)),
            );
        }
        if dropped > 0 {
            recorded.insert("dropped_messages".to_owned(), Value::from(dropped));
        }
        if let Some(way_on) = &narrowed {
            // The request after a refused repeat offered only the way on.
            let offered = match way_on {
                WayOn::HandOff { .. } => "the handoff tool only",
                WayOn::Finish { .. } => "no tool call (tool_choice none)",
            };
            recorded.insert("asked_after_repeat".to_owned(), Value::from(offered));
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
        self.deny_calls_over_cap(&persona_name, &response.tool_calls);
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
        self.unsaved_reply = true;
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
        for call in &calls {
            if self.state.answered.contains(&call.id) {
                continue;
            }
            answered_any = true;
            let denials_before = self.state.denials;
            match self.handle_call(call).await? {
                crate::tool_call::CallOutcome::Answered => {}
                crate::tool_call::CallOutcome::Switched => return Ok(None),
                crate::tool_call::CallOutcome::Stop(report) => return Ok(Some(*report)),
            }
            // The denial limit holds inside a reply too: once a denial reaches it, the rest of
            // the reply is not run and `check_limits` stops the run (or the chat reply).
            if self.state.denials > denials_before && self.denial_limit_reached() {
                let persona = self.state.active.name.clone();
                self.refuse_rest_of_reply(&persona, &calls);
                break;
            }
        }
        // Reads and denials of this message were answered in memory; persist them once, with
        // the reply that asked for them when it is not saved yet.
        if answered_any || self.unsaved_reply {
            self.save_and_flush()?;
        }
        Ok(None)
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

    fn on_tokens(&mut self, tokens: u64) {
        self.observer.on_event(&RunEvent::ModelTokens { tokens });
    }

    fn on_retry(&mut self, attempt: u32, attempts: u32, wait: std::time::Duration, reason: &str) {
        self.observer.on_event(&RunEvent::ModelRetry {
            attempt,
            attempts,
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
