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
use crate::run_lock::RunLock;
use crate::run_loop::{Engine, RunContext, RunReport};
use crate::run_state::{ActivePersona, RunMode, RunState, RunStatus};
use crate::store;
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

/// Opens a new session with `target` active. Nothing is sent to the model yet. The returned
/// lock makes this process the session's driver until it is dropped.
pub fn open(
    context: &RunContext,
    target: &Target,
    with_task: bool,
    vars: BTreeMap<String, String>,
    model_override: Option<String>,
) -> Result<(RunState, RunLock), CoreError> {
    let session_id = RunId::new(store::new_run_id("s"));
    let lock = store::blocking(|| RunLock::acquire(&context.config.paths.state_dir, &session_id))?;
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
    store::blocking(|| {
        state.save(lock.run_dir())?;
        recorder.flush(&mut state)
    })?;
    Ok((state, lock))
}

/// Takes a saved session for this process: its lock, then its state.
pub fn claim(context: &RunContext, session_id: &RunId) -> Result<(RunState, RunLock), CoreError> {
    let lock = store::blocking(|| RunLock::acquire(&context.config.paths.state_dir, session_id))?;
    let state = load(context, &lock)?;
    Ok((state, lock))
}

/// Reads the state of the session this process holds.
pub fn load(_context: &RunContext, lock: &RunLock) -> Result<RunState, CoreError> {
    let (state, _) = RunState::load(lock.run_dir())?;
    if !matches!(state.mode, RunMode::Chat { .. }) {
        return Err(CoreError::NotAChatSession {
            run_id: lock.run_id().to_string(),
        });
    }
    Ok(state)
}

/// Sends one human message and drives the session until the persona answers, a gate pauses it,
/// a limit ends it, or the reply is interrupted.
pub async fn send(
    context: &RunContext,
    lock: &RunLock,
    message: &str,
    observer: &mut dyn RunObserver,
) -> Result<RunReport, CoreError> {
    let mut engine = Engine::load(context, lock, observer)?;
    match engine.state.status {
        RunStatus::Waiting | RunStatus::Interrupted | RunStatus::Running => {}
        RunStatus::Paused => {
            let pending = engine.state.pending.clone();
            return Err(CoreError::AwaitingDecision {
                run_id: lock.run_id().to_string(),
                task_id: engine.state.task_id.to_string(),
                gate: pending
                    .as_ref()
                    .map_or(agentctl_protocol::Gate::S08, |pending| pending.gate),
                waiting: pending.map_or_else(String::new, |pending| pending.describe()),
            });
        }
        status => {
            return Err(CoreError::RunEnded {
                run_id: lock.run_id().to_string(),
                status: status.as_str().to_owned(),
            })
        }
    }
    engine.state.inbox.push(message.to_owned());
    engine.state.status = RunStatus::Running;
    engine.save_and_flush()?;
    engine.drive().await
}

/// A human switches the session to any persona. The new persona starts with its own prompt and
/// permissions, briefed that the human switched to it.
pub fn switch(context: &RunContext, lock: &RunLock, to: &str, by: &str) -> Result<(), CoreError> {
    let mut observer = crate::events::IgnoreEvents;
    let mut engine = Engine::load(context, lock, &mut observer)?;
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
pub fn close(context: &RunContext, lock: &RunLock) -> Result<RunReport, CoreError> {
    let mut observer = crate::events::IgnoreEvents;
    let mut engine = Engine::load(context, lock, &mut observer)?;
    if engine.state.status.is_terminal() {
        return Ok(engine.report());
    }
    engine.end(
        RunStatus::Finished,
        "the human ended the session".to_owned(),
        None,
    )
}
