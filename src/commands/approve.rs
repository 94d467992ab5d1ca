//! `agentctl approve` and `agentctl reject`: a human decides on a paused run's pending action.
//!
//! Everything is checked and recorded by `agentctl_core::approvals::decide`, under the run's
//! lock; this module finds the run, prints the outcome and maps it to an exit code. `approve`
//! for a task with no open run approves S08 ahead of the run (a change window).

use clap::Args;

use agentctl_core::approvals::{self, DecisionRequest, Verdict};
use agentctl_core::registry::{self, Want};
use agentctl_core::CoreError;
use agentctl_protocol::{Gate, RunId};

use crate::cli::GlobalArgs;
use crate::commands::{claim_run, core_error, load_config};
use crate::exit::Exit;
use crate::output;

#[derive(Debug, Args)]
pub struct ApproveArgs {
    /// A task id (its run waiting for a human), a run id or the start of one. A task with no
    /// open run gets S08 approved ahead of its run.
    pub task_or_run: String,
    /// The gate being approved; must match the pending one.
    #[arg(long, default_value = "S08")]
    pub gate: Gate,
    /// Who approves (checked against `approvers` in agentctl.toml); must not be empty.
    #[arg(long)]
    pub by: String,
    /// Why, or under what conditions; recorded in the audit log.
    #[arg(long)]
    pub note: Option<String>,
    /// The first characters of the pending action's digest (`agentctl runs show` prints it), to
    /// be sure what you approve.
    #[arg(long, value_name = "DIGEST")]
    pub call: Option<String>,
}

#[derive(Debug, Args)]
pub struct RejectArgs {
    /// A task id (its run waiting for a human), a run id or the start of one.
    pub task_or_run: String,
    /// Who rejects; must not be empty.
    #[arg(long)]
    pub by: String,
    /// Why; recorded in the audit log, and the model is told (or the run ends, per [gates]
    /// on_reject).
    #[arg(long)]
    pub reason: String,
}

pub async fn execute_approve(global: &GlobalArgs, args: ApproveArgs) -> Exit {
    let request = DecisionRequest {
        verdict: Verdict::Approved,
        by: Some(args.by),
        note: args.note,
        gate: Some(args.gate),
        digest_prefix: args.call,
    };
    decide(global, &args.task_or_run, request).await
}

pub async fn execute_reject(global: &GlobalArgs, args: RejectArgs) -> Exit {
    let request = DecisionRequest {
        verdict: Verdict::Rejected,
        by: Some(args.by),
        note: Some(args.reason),
        gate: None,
        digest_prefix: None,
    };
    decide(global, &args.task_or_run, request).await
}

async fn decide(global: &GlobalArgs, task_or_run: &str, request: DecisionRequest) -> Exit {
    let config = match load_config(global, &Default::default()) {
        Ok(config) => config,
        Err(exit) => return exit,
    };
    let run_id: RunId = match registry::find(&config.paths.state_dir, task_or_run, Want::Open) {
        Ok(entry) => entry.state.run_id,
        Err(CoreError::RunNotFound { .. } | CoreError::NoOpenRun { .. })
            if request.verdict == Verdict::Approved
                && agentctl_persona::load_task(&config.paths.tasks, task_or_run).is_ok() =>
        {
            return approve_ahead(&config, task_or_run, request);
        }
        Err(error) => return core_error(&config, &error),
    };
    // Decided under the run's lock: a run being driven (a chat session at its gate, a `resume`
    // in progress) is refused, and two decisions cannot race past the single-use check.
    let lock = match claim_run(&config, &run_id).await {
        Ok(lock) => lock,
        Err(exit) => return exit,
    };
    match agentctl_core::store::blocking(|| approvals::decide(&config, &lock, request)) {
        Ok(recorded) => {
            let decision = &recorded.decision;
            output::note(&format!(
                "{}: {}\nrecorded for {} (os user {}); continue with: agentctl resume {}",
                decision.verdict.as_str(),
                output::line(&recorded.pending.describe()),
                output::line(&decision.by),
                output::line(&decision.os_user),
                recorded.run_id
            ));
            Exit::Success
        }
        Err(error) => core_error(&config, &error),
    }
}

/// `approve T-155` before any run of T-155: S08 approved for the task in the project state.
fn approve_ahead(
    config: &agentctl_config::Config,
    task_id: &str,
    request: DecisionRequest,
) -> Exit {
    let gate = request.gate.unwrap_or(Gate::S08);
    let by = request.by.unwrap_or_default();
    match approvals::approve_ahead(config, task_id, gate, &by, request.note) {
        Ok(approved) => {
            output::note(&format!(
                "approved {gate} for task {task_id} ahead of its run\nrecorded for {} (os user {}) in {}; a production persona on {task_id} starts without pausing",
                approved.by,
                approved.os_user,
                config.paths.state_file.display()
            ));
            Exit::Success
        }
        Err(error) => core_error(config, &error),
    }
}
