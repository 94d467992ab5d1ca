//! The read–send–render loop of one chat session: every line is a message to the active
//! persona or a slash command; a paused session asks the human in place; leaving closes the
//! session unless a gate still waits for a decision. The engine (`agentctl_core::chat`) does
//! the work and persists everything; this loop only talks to the human.

use std::collections::BTreeSet;
use std::sync::Arc;

use agentctl_core::approvals::{self, Decision, DecisionRequest, Verdict};
use agentctl_core::project_state::ProjectState;
use agentctl_core::{
    activation, chat, personas, store, CoreError, PendingApproval, RunContext, RunLock, RunReport,
    RunState, RunStatus,
};
use agentctl_persona::PersonaKind;
use agentctl_protocol::{Role, RunId};

use super::input::{Line, LineSource};
use super::interrupt::Interrupt;
use super::render::ChatObserver;
use super::slash::{self, SlashCommand};
use crate::cli::GlobalArgs;
use crate::commands::audit::{self, AuditCommand, ShowArgs};
use crate::commands::relative_diagnostics;
use crate::exit::Exit;
use crate::output;

/// Whether the session goes on after a line.
enum Flow {
    Continue,
    End(Exit),
}

/// What the human said at a gate.
enum GateAnswer {
    Decided,
    Later,
    EndOfInput,
}

pub struct Session<'a> {
    context: &'a RunContext,
    global: &'a GlobalArgs,
    session_id: RunId,
    /// Held for the whole session: no other process drives it meanwhile.
    lock: RunLock,
    persona: String,
    with_task: bool,
    paused: bool,
    input: LineSource,
    observer: ChatObserver,
    interrupt: Arc<Interrupt>,
    /// Models the endpoint preflight checked in this process; a switch checks the others.
    checked_models: BTreeSet<String>,
}

impl<'a> Session<'a> {
    pub fn new(
        context: &'a RunContext,
        global: &'a GlobalArgs,
        state: &RunState,
        lock: RunLock,
        input: LineSource,
        observer: ChatObserver,
        interrupt: Arc<Interrupt>,
    ) -> Session<'a> {
        Session {
            context,
            global,
            session_id: state.run_id.clone(),
            lock,
            persona: state.active.name.clone(),
            with_task: matches!(state.mode, agentctl_core::RunMode::Chat { with_task: true }),
            paused: state.status == RunStatus::Paused,
            input,
            observer,
            interrupt,
            checked_models: BTreeSet::new(),
        }
    }

    /// The models the preflight already checked at the start of the session.
    pub fn with_checked_models(mut self, models: BTreeSet<String>) -> Session<'a> {
        self.checked_models = models;
        self
    }

    /// Runs the session until the human leaves or the engine ends it.
    pub async fn run(mut self, pending: Option<PendingApproval>) -> Exit {
        if let Some(pending) = pending {
            if let Flow::End(exit) = self.start_at_gate(pending).await {
                return exit;
            }
        }
        loop {
            let prompt = format!("[{}] > ", self.persona);
            // Waiting for a human line blocks: it runs off the async worker, so the Ctrl-C
            // listener keeps running meanwhile.
            let flow = match store::blocking(|| self.input.read_message(&prompt)) {
                Line::End => return self.leave().await,
                Line::Interrupted => continue,
                Line::Text(text) => self.handle(text).await,
            };
            if let Flow::End(exit) = flow {
                return exit;
            }
        }
    }

    async fn handle(&mut self, text: String) -> Flow {
        let trimmed = text.trim_start();
        if trimmed.trim().is_empty() {
            return Flow::Continue;
        }
        if trimmed.starts_with("//") {
            let literal = trimmed[1..].to_owned();
            return self.send(literal).await;
        }
        if trimmed.starts_with('/') {
            return match slash::parse(trimmed) {
                Ok(command) => self.slash(command).await,
                Err(message) => {
                    self.error(&message, None);
                    Flow::Continue
                }
            };
        }
        self.send(text).await
    }

    async fn send(&mut self, message: String) -> Flow {
        self.observer.start_reply();
        self.interrupt.begin();
        let result = chat::send(self.context, &self.lock, &message, &mut self.observer).await;
        self.interrupt.end();
        self.settle(result).await
    }

    /// Renders what the engine returned; at a gate, asks and continues until it settles.
    async fn settle(&mut self, mut result: Result<RunReport, CoreError>) -> Flow {
        loop {
            let report = match result {
                Ok(report) => report,
                Err(error) => {
                    self.observer.finish_reply(None);
                    return self.engine_error(error);
                }
            };
            self.persona = report.persona.clone();
            self.paused = report.status == RunStatus::Paused;
            match report.status {
                RunStatus::Waiting | RunStatus::Running => {
                    self.observer.finish_reply(report.answer.as_deref());
                    return Flow::Continue;
                }
                RunStatus::Interrupted => {
                    self.observer.finish_reply(None);
                    self.observer
                        .quiet("(reply stopped; the session goes on — type your next message)");
                    return Flow::Continue;
                }
                RunStatus::Paused => {
                    self.observer.finish_reply(None);
                    let Some(pending) = report.pending else {
                        return Flow::Continue;
                    };
                    match self.at_gate(&pending) {
                        GateAnswer::Decided => result = self.continue_after_decision().await,
                        GateAnswer::Later => return Flow::Continue,
                        GateAnswer::EndOfInput => return Flow::End(self.leave_paused(&pending)),
                    }
                }
                RunStatus::Finished | RunStatus::Failed | RunStatus::Rejected => {
                    self.observer.finish_reply(report.answer.as_deref());
                    self.observer.note(&format!(
                        "session {} ended: {}",
                        self.session_id,
                        output::line(&report.reason)
                    ));
                    self.observer.summary(&report);
                    return Flow::End(Exit::for_status(report.status));
                }
            }
        }
    }

    /// A resumed session that was paused: a decision taken meanwhile (`agentctl approve`) is
    /// used at once; otherwise the human is asked.
    async fn start_at_gate(&mut self, pending: PendingApproval) -> Flow {
        if let Ok(Some(decision)) = Decision::load(self.lock.run_dir()) {
            if decision.digest == pending.digest && !decision.used {
                self.observer.quiet(&format!(
                    "{} was {} by {}; continuing",
                    pending.gate,
                    verdict_word(decision.verdict),
                    decision.by
                ));
                let result = self.continue_after_decision().await;
                return self.settle(result).await;
            }
        }
        match self.at_gate(&pending) {
            GateAnswer::Decided => {
                let result = self.continue_after_decision().await;
                self.settle(result).await
            }
            GateAnswer::Later => Flow::Continue,
            GateAnswer::EndOfInput => Flow::End(self.leave_paused(&pending)),
        }
    }

    /// Shows what waits; on a terminal asks `approve? [y/N]` and records the answer.
    fn at_gate(&mut self, pending: &PendingApproval) -> GateAnswer {
        self.observer.banner(&format!(
            "waiting for a human at {} ({})",
            pending.gate,
            pending.gate.title()
        ));
        self.observer
            .note(&format!("   {}", output::line(&pending.describe())));
        if !self.input.is_terminal() {
            self.observer.note(
                "   answer with /approve [--by NAME] [--note TEXT] or /reject [--by NAME] REASON",
            );
            return GateAnswer::Later;
        }
        loop {
            let answer = match store::blocking(|| self.input.read_answer("approve? [y/N] ")) {
                Line::Text(answer) => answer.trim().to_owned(),
                Line::End => return GateAnswer::EndOfInput,
                Line::Interrupted => {
                    self.observer
                        .quiet("still waiting; answer with /approve or /reject when ready");
                    return GateAnswer::Later;
                }
            };
            let decided = match answer.to_ascii_lowercase().as_str() {
                "y" | "yes" => self.decide(Verdict::Approved, None, None),
                "" | "n" | "no" => match store::blocking(|| {
                    self.input
                        .read_answer("reason for rejecting (empty: decide later): ")
                }) {
                    Line::Text(reason) if !reason.trim().is_empty() => {
                        self.decide(Verdict::Rejected, None, Some(reason.trim().to_owned()))
                    }
                    Line::End => return GateAnswer::EndOfInput,
                    _ => {
                        self.observer
                            .quiet("still waiting; answer with /approve or /reject when ready");
                        return GateAnswer::Later;
                    }
                },
                _ => match slash::parse(&answer) {
                    Ok(SlashCommand::Approve { by, note }) => {
                        self.decide(Verdict::Approved, by, note)
                    }
                    Ok(SlashCommand::Reject { by, reason }) => {
                        self.decide(Verdict::Rejected, by, Some(reason))
                    }
                    _ => {
                        self.error(
                            "answer y or n (or /approve --by NAME, /reject REASON)",
                            None,
                        );
                        false
                    }
                },
            };
            if decided {
                return GateAnswer::Decided;
            }
        }
    }

    /// Records a human decision on the pending action through the same core function as
    /// `agentctl approve`/`reject`; without `--by` the decision is in the OS user's name.
    fn decide(&mut self, verdict: Verdict, by: Option<String>, note: Option<String>) -> bool {
        let request = DecisionRequest {
            verdict,
            by,
            note,
            gate: None,
            digest_prefix: None,
        };
        match store::blocking(|| approvals::decide(&self.context.config, &self.lock, request)) {
            Ok(recorded) => {
                self.observer.note(&format!(
                    "{} by {} (os user {}): {}",
                    verdict_word(verdict),
                    output::line(&recorded.decision.by),
                    output::line(&recorded.decision.os_user),
                    output::line(&recorded.pending.describe())
                ));
                true
            }
            Err(CoreError::NotWaiting { .. }) => {
                self.error(
                    "nothing is waiting for a decision",
                    Some("a gate shows here when a persona reaches one"),
                );
                false
            }
            Err(CoreError::NotAnApprover { name, approvers }) => {
                self.error(
                    &format!("`{name}` may not decide gates in this project"),
                    Some(&format!(
                        "approvers: {}; answer with /approve --by NAME or /reject --by NAME REASON",
                        approvers.join(", ")
                    )),
                );
                false
            }
            Err(error) => {
                self.core_error(&error);
                false
            }
        }
    }

    async fn continue_after_decision(&mut self) -> Result<RunReport, CoreError> {
        self.observer.start_reply();
        self.interrupt.begin();
        let result = agentctl_core::resume(self.context, &self.lock, &mut self.observer).await;
        self.interrupt.end();
        result
    }

    async fn slash(&mut self, command: SlashCommand) -> Flow {
        match command {
            SlashCommand::Help => output::stdout(slash::HELP),
            SlashCommand::Personas => {
                output::stdout(&slash::personas(&self.context.library, &self.persona));
            }
            SlashCommand::Switch(name) => self.switch(&name).await,
            SlashCommand::Tools => self.tools(),
            SlashCommand::Prompt => self.prompt(),
            SlashCommand::Gates => self.gates(),
            SlashCommand::Approve { by, note } => {
                if self.decide(Verdict::Approved, by, note) {
                    let result = self.continue_after_decision().await;
                    return self.settle(result).await;
                }
            }
            SlashCommand::Reject { by, reason } => {
                if self.decide(Verdict::Rejected, by, Some(reason)) {
                    let result = self.continue_after_decision().await;
                    return self.settle(result).await;
                }
            }
            SlashCommand::Audit => {
                let show = ShowArgs {
                    task: None,
                    run: Some(self.session_id.to_string()),
                    persona: None,
                    event: None,
                    since: None,
                    until: None,
                    follow: false,
                    json: false,
                };
                audit::execute(self.global, AuditCommand::Show(show));
            }
            SlashCommand::Exit => return Flow::End(self.leave().await),
        }
        Flow::Continue
    }

    async fn switch(&mut self, name: &str) {
        if self.paused {
            self.error(
                "a gate is waiting for your decision",
                Some("answer it with /approve or /reject first"),
            );
            return;
        }
        match self.context.library.get(name) {
            Some(persona) if persona.kind == PersonaKind::Persona => {}
            Some(_) => {
                self.error(
                    &format!("`{name}` is a stage command, not a persona"),
                    Some("run stage commands with `agentctl run NAME --task ID`"),
                );
                return;
            }
            None => {
                self.error(
                    &format!("no persona named `{name}`"),
                    Some("/personas lists them"),
                );
                return;
            }
        }
        if name == self.persona {
            self.observer.quiet(&format!("already talking to {name}"));
            return;
        }
        // The new persona's model (and those it can hand off to) before it talks: a model the
        // endpoint does not serve refuses the switch, and the session goes on as it was.
        let uses: Vec<_> = crate::preflight::model_uses(
            &self.context.config,
            self.context.library.reachable(name),
        )
        .into_iter()
        .filter(|used| !self.checked_models.contains(&used.model))
        .collect();
        if !uses.is_empty() {
            self.observer.end_stdout_line();
            // A switch is rare: a client of its own asks, the run's keeps its connection.
            let Ok(client) = crate::commands::run::model_client(&self.context.config) else {
                return;
            };
            if crate::preflight::check(&client, &self.context.config, &uses)
                .await
                .is_err()
            {
                return;
            }
            self.checked_models
                .extend(uses.into_iter().map(|used| used.model));
        }
        let by = agentctl_core::os_user::current();
        match chat::switch(self.context, &self.lock, name, &by) {
            Ok(()) => {
                self.observer
                    .banner(&format!("switched {} → {name}", self.persona));
                self.persona = name.to_owned();
            }
            Err(error) => self.core_error(&error),
        }
    }

    /// `/tools`: the effective policy of the active persona under its handoff edge's ceiling.
    fn tools(&mut self) {
        let state = match chat::load(self.context, &self.lock) {
            Ok(state) => state,
            Err(error) => return self.core_error(&error),
        };
        let Some(persona) = self.context.library.get(&state.active.name) else {
            return self.error(
                &format!("persona `{}` is not in the library", state.active.name),
                None,
            );
        };
        let persona = personas::with_ceiling(persona.clone(), state.active.ceiling.as_deref());
        match personas::policy_for(&self.context.config, &persona) {
            Ok(engine) => output::stdout(&slash::policy(&persona.name, &engine.describe())),
            Err(error) => self.core_error(&error),
        }
    }

    /// `/prompt`: the system prompt the active persona got, or will get with its next message.
    fn prompt(&mut self) {
        let state = match chat::load(self.context, &self.lock) {
            Ok(state) => state,
            Err(error) => return self.core_error(&error),
        };
        let sent = state
            .messages
            .first()
            .filter(|message| state.active.started && message.role == Role::System)
            .and_then(|message| message.content.clone());
        if let Some(text) = sent {
            return output::stdout(&format!("{}\n", text.trim_end()));
        }
        let Some(persona) = self.context.library.get(&state.active.name) else {
            return self.error(
                &format!("persona `{}` is not in the library", state.active.name),
                None,
            );
        };
        // As the engine does: a stage command frames only the persona it started with.
        let command = self
            .context
            .library
            .get(&state.entry)
            .filter(|entry| entry.command.is_some() && state.trail.len() == 1)
            .cloned();
        let target = activation::Target {
            persona: personas::with_ceiling(persona.clone(), state.active.ceiling.as_deref()),
            command,
            params: state.params.clone(),
        };
        let mut config = self.context.config.clone();
        config.vars.extend(state.vars.clone());
        match activation::build_prompt(&config, &target, Some(&self.context.task)) {
            Ok(prompt) => output::stdout(&format!("{}\n", prompt.text.trim_end())),
            Err(diagnostics) => {
                output::diagnostics(&relative_diagnostics(&self.context.config, diagnostics));
            }
        }
    }

    fn gates(&mut self) {
        if !self.with_task {
            self.observer.note(
                "this session has no task, so no gates apply; `agentctl gates` shows every task's",
            );
            return;
        }
        match ProjectState::load(&self.context.config.paths.state_file) {
            Ok(state) => output::stdout(&slash::gates(&state, &self.context.task.id)),
            Err(error) => self.core_error(&error),
        }
    }

    /// Ctrl-D, the end of piped input or `/exit`: closes the session, unless a gate still
    /// waits; then it stays paused for `agentctl approve` and `--resume`.
    async fn leave(&mut self) -> Exit {
        self.observer.end_stdout_line();
        if self.paused {
            if let Ok(state) = chat::load(self.context, &self.lock) {
                if let Some(pending) = state.pending {
                    return self.leave_paused(&pending);
                }
            }
        }
        match chat::close(self.context, &self.lock) {
            Ok(report) => {
                self.observer
                    .quiet(&format!("session {} ended", self.session_id));
                self.observer.summary(&report);
                Exit::Success
            }
            Err(error) => {
                self.core_error(&error);
                Exit::Failure
            }
        }
    }

    fn leave_paused(&mut self, pending: &PendingApproval) -> Exit {
        let id = self.session_id.clone();
        if let Ok(state) = chat::load(self.context, &self.lock) {
            self.observer.summary(&RunReport::of_state(&state));
        }
        self.observer.note(&format!(
            "session {id} stays paused at {}: {}\n  decide in the session: agentctl chat --resume {id}\n  or:                    agentctl approve {id} --gate {} --by NAME, then agentctl chat --resume {id}",
            pending.gate,
            output::line(&pending.describe()),
            pending.gate
        ));
        Exit::Paused
    }

    fn engine_error(&mut self, error: CoreError) -> Flow {
        match error {
            // The state or the audit log cannot be read or written: going on would act
            // unrecorded.
            CoreError::Io(_)
            | CoreError::StateFile { .. }
            | CoreError::RunState { .. }
            | CoreError::Audit(_) => {
                self.core_error(&error);
                Flow::End(Exit::Failure)
            }
            CoreError::AwaitingDecision { .. } => {
                self.error(
                    "the session is waiting for a human decision",
                    Some("answer it with /approve or /reject first"),
                );
                Flow::Continue
            }
            // Refusals the human can act on; the session goes on.
            refused => {
                self.core_error(&refused);
                Flow::Continue
            }
        }
    }

    fn core_error(&mut self, error: &CoreError) {
        match error {
            CoreError::Input(diagnostics) => {
                self.observer.end_stdout_line();
                output::diagnostics(&relative_diagnostics(
                    &self.context.config,
                    diagnostics.clone(),
                ));
            }
            other => self.error(&other.to_string(), other.hint().as_deref()),
        }
    }

    fn error(&mut self, message: &str, hint: Option<&str>) {
        self.observer.end_stdout_line();
        output::error(message, hint);
    }
}

fn verdict_word(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Approved => "approved",
        Verdict::Rejected => "rejected",
    }
}
