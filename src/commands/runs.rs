//! `agentctl runs`: runs with their status, and finding the run a task id or run id names.

use clap::Args;
use serde::Serialize;

use agentctl_config::Config;
use agentctl_core::{RunMode, RunState, RunStatus};

use crate::cli::GlobalArgs;
use crate::commands::load_config;
use crate::exit::Exit;
use crate::output;

#[derive(Debug, Args)]
pub struct RunsArgs {
    /// Print JSON: an array of `{ run_id, kind, task_id, entry, persona, status, turns, tool_calls, denials, started_at, updated_at, waiting }`.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Serialize)]
struct RunRow {
    run_id: String,
    /// `run` (agentctl run) or `chat` (agentctl chat).
    kind: &'static str,
    task_id: String,
    entry: String,
    persona: String,
    status: RunStatus,
    turns: u32,
    tool_calls: u32,
    denials: u32,
    started_at: String,
    updated_at: String,
    waiting: Option<String>,
    reason: Option<String>,
}

pub fn execute(global: &GlobalArgs, args: RunsArgs) -> Exit {
    let config = match load_config(global, &Default::default()) {
        Ok(config) => config,
        Err(exit) => return exit,
    };
    let rows: Vec<RunRow> = all_runs(&config)
        .into_iter()
        .map(|state| RunRow {
            run_id: state.run_id.to_string(),
            kind: kind(&state),
            task_id: state.task_id.to_string(),
            entry: state.entry.clone(),
            persona: state.active.name.clone(),
            status: state.status,
            turns: state.turns,
            tool_calls: state.tool_calls,
            denials: state.denials,
            started_at: state.started_at.clone(),
            updated_at: state.updated_at.clone(),
            waiting: state
                .pending
                .as_ref()
                .map(|pending| format!("{}: {}", pending.gate, pending.describe())),
            reason: state.end.as_ref().map(|end| end.reason.clone()),
        })
        .collect();
    if args.json {
        output::json(&rows);
        return Exit::Success;
    }
    if rows.is_empty() {
        output::note(
            "no runs yet; start one with `agentctl run PERSONA --task ID` or `agentctl chat`",
        );
        return Exit::Success;
    }
    let mut text = String::from("RUN                        KIND  TASK      STATUS       PERSONA          TURNS  CALLS  DENIED  DETAIL\n");
    for row in &rows {
        let detail = row
            .waiting
            .clone()
            .or_else(|| row.reason.clone())
            .unwrap_or_default();
        text.push_str(&format!(
            "{:<26} {:<5} {:<9} {:<12} {:<16} {:>5}  {:>5}  {:>6}  {}\n",
            row.run_id,
            row.kind,
            output::line(&row.task_id),
            row.status.as_str(),
            output::line(&row.persona),
            row.turns,
            row.tool_calls,
            row.denials,
            output::line(&detail)
        ));
    }
    output::stdout(&text);
    Exit::Success
}

fn kind(state: &RunState) -> &'static str {
    match state.mode {
        RunMode::Task => "run",
        RunMode::Chat { .. } => "chat",
    }
}

/// Every run under `.agentctl/runs/`, oldest first. Unreadable ones are reported and skipped.
pub fn all_runs(config: &Config) -> Vec<RunState> {
    let directory = config.paths.state_dir.join("runs");
    let Ok(entries) = fs_err::read_dir(&directory) else {
        return Vec::new();
    };
    let mut paths: Vec<_> = entries
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.is_dir())
        .collect();
    paths.sort();
    paths
        .into_iter()
        .filter_map(|path| match RunState::load(&path) {
            Ok((state, _)) => Some(state),
            Err(error) => {
                output::warning(&format!("skipping {}: {error}", path.display()));
                None
            }
        })
        .collect()
}

/// The run `task_or_run` names: a run id, or the latest run of a task that is not finished.
pub fn find_open_run(config: &Config, task_or_run: &str) -> Result<RunState, Exit> {
    let runs = all_runs(config);
    if let Some(state) = runs
        .iter()
        .find(|state| state.run_id.as_str() == task_or_run)
    {
        return Ok(state.clone());
    }
    let of_task: Vec<&RunState> = runs
        .iter()
        .filter(|state| state.task_id.as_str() == task_or_run)
        .collect();
    if of_task.is_empty() {
        output::error(
            &format!(
                "no run or task named `{task_or_run}` in {}",
                config.paths.state_dir.join("runs").display()
            ),
            Some("`agentctl runs` lists runs; pass a run id or a task id"),
        );
        return Err(Exit::BadInput);
    }
    match of_task
        .iter()
        .rev()
        .find(|state| !state.status.is_terminal())
    {
        Some(state) => Ok((*state).clone()),
        None => {
            output::error(
                &format!("every run of task {task_or_run} has already ended"),
                Some("start a new run with `agentctl run PERSONA --task ID`"),
            );
            Err(Exit::BadInput)
        }
    }
}
