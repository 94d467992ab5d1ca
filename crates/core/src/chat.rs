//! Chat sessions: the same engine as `run`, driven one human message at a time.
//!
//! A session is a run in [`RunMode::Chat`]: when the active persona answers without a tool
//! call, the run waits (status `waiting`) instead of ending; the next human message goes into
//! its inbox and the loop continues. Handoffs, policy, gates, approvals and the audit log are
//! exactly those of `agentctl run`. Sessions persist under `.agentctl/runs/` like runs (ids
//! start with `s-`), so `agentctl chat --resume ID` restores persona, history and pending gates.

use std::collections::BTreeMap;

use agentctl_persona::Task;
use agentctl_protocol::{EventKind, RunId, TaskId};

use crate::activation::Target;
use crate::events::RunObserver;
use crate::recorder::Recorder;
use crate::run_loop::{Engine, RunContext, RunReport};
use crate::run_state::{ActivePersona, RunMode, RunState, RunStatus};
use crate::store::{self, run_dir};
use crate::{details, CoreError};

/// The task of a session opened without `--task`: nothing to brief, no gates to check.
pub fn untasked_session() -> Task {
    Task {
        id: "chat".to_owned(),
        title: "Interactive session".to_owned(),
        env: None,
        phase: None,
        prerequisites: Vec::new(),
        acceptance: Vec::new(),
        rollback: None,
        vars: BTreeMap::new(),
        description: String::new(),
        source: std::path::PathBuf::new(),
    }
}

/// Opens a new session with `target` active. Nothing is sent to the model yet.
pub fn open(
    context: &RunContext,
    target: &Target,
    with_task: bool,
    vars: BTreeMap<String, String>,
    model_override: Option<String>,
) -> Result<RunState, CoreError> {
    let session_id = RunId::new(store::new_run_id("s"));
    let mut state = RunState::new(
        session_id.clone(),
        TaskId::new(context.task.id.clone()),
        target.entry_name().to_owned(),
        target.params.clone(),
        vars,
        model_override,
        with_task && target.is_production(Some(&context.task)),
        target.persona.name.clone(),
        store::now_rfc3339(),
    );
    state.mode = RunMode::Chat { with_task };
    state.status = RunStatus::Waiting;
    let mut recorder = Recorder::open(&context.config.paths)?;
    Recorder::queue(
        &mut state,
        Some(&target.persona.name),
        EventKind::RunStarted,
        details! { "entry" => target.entry_name(), "persona" => target.persona.name.clone(), "mode" => "chat", "endpoint" => context.endpoint_host.clone() },
    );
    state.save(&run_dir(
        &context.config.paths.state_dir,
        session_id.as_str(),
    ))?;
    recorder.flush(&mut state)?;
    Ok(state)
}

/// Loads a session.
pub fn load(context: &RunContext, session_id: &RunId) -> Result<RunState, CoreError> {
    let (state, _) = RunState::load(&run_dir(
        &context.config.paths.state_dir,
        session_id.as_str(),
    ))?;
    if !matches!(state.mode, RunMode::Chat { .. }) {
        return Err(CoreError::refused(
            format!("{session_id} is a run, not a chat session"),
            "continue a run with `agentctl resume`",
        ));
    }
    Ok(state)
}

/// Sends one human message and drives the session until the persona answers, a gate pauses it,
/// a limit ends it, or the reply is interrupted.
pub async fn send(
    context: &RunContext,
    session_id: &RunId,
    message: &str,
    observer: &mut dyn RunObserver,
) -> Result<RunReport, CoreError> {
    let mut engine = Engine::load(context, session_id, observer)?;
    match engine.state.status {
        RunStatus::Waiting | RunStatus::Interrupted | RunStatus::Running => {}
        RunStatus::Paused => {
            return Err(CoreError::refused(
                "the session is waiting for a human decision",
                "answer it with /approve or /reject first",
            ))
        }
        RunStatus::Finished | RunStatus::Failed => {
            return Err(CoreError::refused(
                "the session has ended",
                "start a new one with `agentctl chat`",
            ))
        }
    }
    engine.state.inbox.push(message.to_owned());
    engine.state.status = RunStatus::Running;
    engine.save_and_flush()?;
    engine.drive().await
}

/// A human switches the session to any persona. The new persona starts with its own prompt and
/// permissions, briefed that the human switched to it.
pub fn switch(
    context: &RunContext,
    session_id: &RunId,
    to: &str,
    by: &str,
) -> Result<(), CoreError> {
    let mut observer = crate::events::IgnoreEvents;
    let mut engine = Engine::load(context, session_id, &mut observer)?;
    let target = engine.lookup(to)?;
    let from = engine.state.active.name.clone();
    Recorder::queue(
        &mut engine.state,
        Some(&from),
        EventKind::SessionSwitched,
        details! { "from" => from.clone(), "to" => target.name.clone(), "by" => by },
    );
    let finished = std::mem::take(&mut engine.state.messages);
    engine.state.earlier.push((from.clone(), finished));
    engine.state.active = ActivePersona {
        name: target.name.clone(),
        prompt_sha256: String::new(),
        ceiling: None,
        started: false,
    };
    engine.state.packet = Some(format!(
        "The human switched this session from {from} to you."
    ));
    engine.state.trail.push(target.name);
    engine.state.answered.clear();
    engine.save_and_flush()
}

/// Ends a session for good.
pub fn close(context: &RunContext, session_id: &RunId) -> Result<RunReport, CoreError> {
    let mut observer = crate::events::IgnoreEvents;
    let mut engine = Engine::load(context, session_id, &mut observer)?;
    if engine.state.status.is_terminal() {
        return Ok(engine.report());
    }
    engine.end(
        RunStatus::Finished,
        "the human ended the session".to_owned(),
        None,
    )
}
