//! Errors of the engine that are not tool errors (those go back to the model).
//!
//! Every way a command can be refused has its own variant, so the binary maps outcomes to exit
//! codes by kind (in `src/exit.rs`), never by reading a message. Each variant says what to do
//! next through [`CoreError::hint`].

use std::path::PathBuf;

use agentctl_protocol::{Diagnostic, Gate};

#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error("{path}:{line}: {message}")]
    StateFile {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("{path} is not a valid run state: {message}")]
    RunState { path: PathBuf, message: String },
    /// A record in the middle of a run's journal is damaged (a torn last record is not an
    /// error: it is dropped).
    #[error("the run journal {path} is damaged at byte {offset}: {problem}")]
    Journal {
        path: PathBuf,
        offset: u64,
        problem: String,
    },
    #[error("the audit log cannot be written: {0}")]
    Audit(#[from] agentctl_audit::AuditError),
    #[error("bad input")]
    Input(Vec<Diagnostic>),
    /// One of agentctl's own files (audit log, state, locks) is reached through a link.
    #[error(transparent)]
    UnsafeOwnFile(agentctl_safe_fs::SafeFsError),

    // --- finding a run ---
    #[error("no run, chat session or task named `{query}` in {runs_dir}")]
    RunNotFound { query: String, runs_dir: PathBuf },
    #[error("`{query}` is the start of several run ids: {}", candidates.join(", "))]
    AmbiguousRun {
        query: String,
        candidates: Vec<String>,
    },
    #[error("every run of task {task_id} has already ended")]
    NoOpenRun { task_id: String },
    #[error("run {run_id} already {status}")]
    RunEnded { run_id: String, status: String },
    #[error("`{run_id}` is a run, not a chat session")]
    NotAChatSession { run_id: String },

    // --- who drives a run ---
    #[error("run {run_id} is being driven by another process (pid {pid}: {command}); nothing was changed")]
    RunBusy {
        run_id: String,
        pid: String,
        command: String,
    },

    // --- a paused run and human decisions ---
    #[error("run {run_id} is waiting for a human: {waiting}")]
    AwaitingDecision {
        run_id: String,
        task_id: String,
        gate: Gate,
        waiting: String,
    },
    #[error("run {run_id} is {status}, not waiting for a human")]
    NotWaiting { run_id: String, status: String },
    #[error("run {run_id} waits at {waiting}, not {given}")]
    GateMismatch {
        run_id: String,
        waiting: Gate,
        given: Gate,
    },
    #[error("the pending action has digest {pending}…, not {given}…")]
    DigestMismatch { pending: String, given: String },
    #[error("a decision needs the name of the human who takes it; --by is empty")]
    EmptyName,
    #[error("`{name}` may not decide gates in this project")]
    NotAnApprover {
        name: String,
        approvers: Vec<String>,
    },
    #[error("run {run_id}'s pending action was already {verdict} by {by} at {at}")]
    AlreadyDecided {
        run_id: String,
        verdict: String,
        by: String,
        at: String,
    },
    #[error("{gate} of task {task_id} was already approved by {by} at {at}")]
    AlreadyApproved {
        task_id: String,
        gate: Gate,
        by: String,
        at: String,
    },
    #[error("only S08 can be approved before a run exists; {given} is reported by the persona that does the work")]
    NotApprovableAhead { given: Gate },
    #[error("{given} is not recorded with `gates record`; only S06 and S07 are recorded from outside evidence")]
    NotRecordableByHuman { given: Gate },
    #[error("evidence for {gate}: {message}")]
    Evidence { gate: Gate, message: String },
    #[error("the state of run {run_id} was changed after it paused (recorded {recorded}…, found {found}…)")]
    StateChangedAfterPause {
        run_id: String,
        recorded: String,
        found: String,
    },
    #[error("run {run_id} is paused but records no pending action")]
    NoPendingAction { run_id: String },
    #[error(
        "the recorded decision is for a different pending action ({decided}…, waiting: {pending}…)"
    )]
    DecisionMismatch { decided: String, pending: String },

    // --- the persona library and templates as a run sees them ---
    #[error("persona `{name}` is not in the library any more")]
    PersonaMissing { name: String },
    #[error("persona `{name}` cannot be loaded from the library: {detail}")]
    PersonaUnloadable { name: String, detail: String },
    #[error("the run has no active persona")]
    NoActivePersona,
    #[error("cannot render the handoff packet: {message}")]
    HandoffTemplate { message: String },
}

impl CoreError {
    /// What the user can do about it, when there is something.
    pub fn hint(&self) -> Option<String> {
        let hint = match self {
            CoreError::RunNotFound { .. } => {
                "`agentctl runs` lists runs and sessions; pass a run id, the start of one, or a task id".to_owned()
            }
            CoreError::AmbiguousRun { .. } => "give more characters of the run id".to_owned(),
            CoreError::NoOpenRun { .. } | CoreError::RunEnded { .. } => {
                "start a new run with `agentctl run PERSONA --task ID`".to_owned()
            }
            CoreError::NotAChatSession { run_id } => {
                format!("continue a run with: agentctl resume {run_id}")
            }
            CoreError::RunBusy { .. } => {
                "one process drives a run at a time; wait for it to end (or stop it), then try again"
                    .to_owned()
            }
            CoreError::AwaitingDecision {
                run_id, gate, ..
            } => format!(
                "review it with `agentctl runs show {run_id}`, then: agentctl approve {run_id} --gate {gate} --by NAME   (or: agentctl reject {run_id} --by NAME --reason TEXT)"
            ),
            CoreError::NotWaiting { .. } => {
                "`agentctl runs` shows what each run is doing".to_owned()
            }
            CoreError::GateMismatch { waiting, .. } => format!("pass --gate {waiting}"),
            CoreError::DigestMismatch { .. } => {
                "the action you meant to decide is no longer the one waiting; review it with `agentctl runs show`".to_owned()
            }
            CoreError::EmptyName => "pass --by NAME".to_owned(),
            CoreError::NotAnApprover { approvers, .. } => {
                format!("approvers: {}", approvers.join(", "))
            }
            CoreError::AlreadyDecided { run_id, .. } => {
                format!("a decision is taken once; continue with: agentctl resume {run_id}")
            }
            CoreError::AlreadyApproved { task_id, .. } => {
                format!("start the run: agentctl run PERSONA --task {task_id}")
            }
            CoreError::NotApprovableAhead { .. } => "pass --gate S08".to_owned(),
            CoreError::NotRecordableByHuman { .. } => {
                "S08 is a human approval: agentctl approve TASK --gate S08 --by NAME".to_owned()
            }
            CoreError::Evidence { .. } => {
                "pass --evidence URL (a CI run) or --evidence-file FILE (a report to hash)".to_owned()
            }
            CoreError::StateChangedAfterPause { .. } => {
                "restore .agentctl/runs/RUN_ID/state.json or start a new run; a paused run resumes only from the state that was audited".to_owned()
            }
            CoreError::Journal { .. } => {
                "the records after that byte cannot be trusted, so the run cannot go on from them: keep the run directory for inspection and start a new run (removing the run directory drops the run from `agentctl runs`)".to_owned()
            }
            CoreError::NoPendingAction { .. } | CoreError::NoActivePersona => {
                "start a new run".to_owned()
            }
            CoreError::DecisionMismatch { .. } => {
                "approve or reject the action that is pending now; `agentctl runs show` shows it"
                    .to_owned()
            }
            CoreError::PersonaMissing { .. } => "restore it, or start a new run".to_owned(),
            CoreError::PersonaUnloadable { .. } => {
                "restore it (`agentctl lint` checks the library), or start a new run".to_owned()
            }
            CoreError::HandoffTemplate { .. } => {
                "fix templates/handoff_packet.md; `agentctl lint` checks templates".to_owned()
            }
            CoreError::UnsafeOwnFile(error) => error.hint(),
            _ => return None,
        };
        Some(hint)
    }
}

/// The first characters of a digest, for messages.
pub(crate) fn short(digest: &str) -> String {
    digest.chars().take(12).collect()
}
