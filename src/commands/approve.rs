//! `agentctl approve` and `agentctl reject`: a human decides on a paused run's pending action.
//!
//! The decision is bound to the digest of the exact action that is waiting and recorded with
//! the name given, the operating-system user, the time and the note. Approving a production
//! start gate (S08) also records S08 for the task in the project state file.

use clap::Args;

use agentctl_config::EnvVars;
use agentctl_core::approvals::{self, Decision, Verdict};
use agentctl_core::{store, RunStatus};
use agentctl_protocol::Gate;

use crate::cli::GlobalArgs;
use crate::commands::{load_config, runs};
use crate::exit::Exit;
use crate::output;

#[derive(Debug, Args)]
pub struct ApproveArgs {
    /// A task id (its paused run) or a run id.
    pub task_or_run: String,
    /// The gate being approved; must match the pending one.
    #[arg(long, default_value = "S08")]
    pub gate: Gate,
    /// Who approves (checked against `approvers` in agentctl.toml).
    #[arg(long)]
    pub by: String,
    /// Why, or under what conditions.
    #[arg(long)]
    pub note: Option<String>,
    /// The first characters of the pending action's digest, to be sure what you approve.
    #[arg(long, value_name = "DIGEST")]
    pub call: Option<String>,
}

#[derive(Debug, Args)]
pub struct RejectArgs {
    /// A task id (its paused run) or a run id.
    pub task_or_run: String,
    /// Who rejects.
    #[arg(long)]
    pub by: String,
    /// Why; the model is told (or the run ends, per [gates] on_reject).
    #[arg(long)]
    pub reason: String,
}

pub fn execute_approve(global: &GlobalArgs, args: ApproveArgs) -> Exit {
    decide(
        global,
        &args.task_or_run,
        Verdict::Approved,
        &args.by,
        args.note,
        Some(args.gate),
        args.call.as_deref(),
    )
}

pub fn execute_reject(global: &GlobalArgs, args: RejectArgs) -> Exit {
    decide(
        global,
        &args.task_or_run,
        Verdict::Rejected,
        &args.by,
        Some(args.reason),
        None,
        None,
    )
}

fn decide(
    global: &GlobalArgs,
    task_or_run: &str,
    verdict: Verdict,
    by: &str,
    note: Option<String>,
    gate: Option<Gate>,
    call_prefix: Option<&str>,
) -> Exit {
    let config = match load_config(global, &Default::default()) {
        Ok(config) => config,
        Err(exit) => return exit,
    };
    let state = match runs::find_open_run(&config, task_or_run) {
        Ok(state) => state,
        Err(exit) => return exit,
    };
    let Some(pending) = state
        .pending
        .clone()
        .filter(|_| state.status == RunStatus::Paused)
    else {
        output::error(
            &format!(
                "run {} is {}, not waiting for a human",
                state.run_id,
                state.status.as_str()
            ),
            Some("`agentctl runs` shows what each run is doing"),
        );
        return Exit::BadInput;
    };
    if let Some(gate) = gate.filter(|gate| *gate != pending.gate) {
        output::error(
            &format!("run {} waits at {}, not {gate}", state.run_id, pending.gate),
            Some(&format!("pass --gate {}", pending.gate)),
        );
        return Exit::BadInput;
    }
    if let Some(prefix) = call_prefix.filter(|prefix| !pending.digest.starts_with(prefix.trim())) {
        output::error(
            &format!("the pending action has digest {}…, not {prefix}…", &pending.digest[..12]),
            Some("the action you meant to approve is no longer the one waiting; review it with `agentctl runs`"),
        );
        return Exit::BadInput;
    }
    if !approvals::may_approve(&config.gates.approvers, by) {
        output::error(
            &format!("`{by}` may not decide gates in this project"),
            Some(&format!("approvers: {}", config.gates.approvers.join(", "))),
        );
        return Exit::BadInput;
    }
    let os_user = EnvVars::from_process()
        .user
        .unwrap_or_else(|| "unknown".to_owned());
    let decision = Decision {
        verdict,
        gate: pending.gate,
        digest: pending.digest.clone(),
        by: by.trim().to_owned(),
        os_user: os_user.clone(),
        at: store::now_rfc3339(),
        note: note.clone(),
        used: false,
    };
    match approvals::record_decision(&config, &state, &decision) {
        Ok(()) => {
            let word = if verdict == Verdict::Approved {
                "approved"
            } else {
                "rejected"
            };
            output::note(&format!(
                "{word}: {}\nrecorded for {} (os user {}); continue with: agentctl resume {}",
                output::line(&pending.describe()),
                output::line(by),
                output::line(&os_user),
                state.task_id
            ));
            Exit::Success
        }
        Err(error) => {
            output::error(&error.to_string(), error.hint());
            Exit::Failure
        }
    }
}
