//! `agentctl gates`: phase and gate status (S01–S10) per task, from the project state file;
//! `agentctl gates record`: a human records S06/S07 from outside evidence (checked and written
//! by `agentctl_core::approvals::record_from_evidence`).

use std::path::PathBuf;

use clap::{Args, Subcommand};
use serde::Serialize;

use agentctl_core::project_state::ProjectState;
use agentctl_protocol::{Gate, GateStatus};

use crate::cli::GlobalArgs;
use agentctl_core::approvals::{self, OutsideEvidence};

use crate::commands::{core_error, load_config};
use crate::exit::Exit;
use crate::output;

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct GatesArgs {
    #[command(subcommand)]
    pub action: Option<GatesAction>,
    /// Only this task.
    #[arg(long, value_name = "ID")]
    pub task: Option<String>,
    /// Print JSON: an array of `{ task, title, phase, gates: { "S01": {status, by, at, evidence}, … } }`.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum GatesAction {
    /// Record S06 or S07 from evidence produced outside agentctl (a CI run, a test report).
    ///
    /// Example: agentctl gates record S06 --task T-154 --by alice --evidence https://ci.example.com/runs/123
    Record(RecordArgs),
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("source").required(true).args(["evidence", "evidence_file"])))]
pub struct RecordArgs {
    /// The gate: S06 (quality gates) or S07 (security review).
    pub gate: Gate,
    /// The task it is recorded for: tasks/ID.md.
    #[arg(long, value_name = "ID")]
    pub task: String,
    /// The address of the CI run or report, recorded as given.
    #[arg(long, value_name = "URL")]
    pub evidence: Option<String>,
    /// A report file (JUnit XML, a scanner's output): recorded with its SHA-256.
    #[arg(long, value_name = "FILE")]
    pub evidence_file: Option<PathBuf>,
    /// `passed` or `failed`.
    #[arg(long, default_value = "passed")]
    pub status: GateStatus,
    /// Who records it (checked against `approvers` in agentctl.toml; default: your OS user).
    #[arg(long)]
    pub by: Option<String>,
    /// Anything a reviewer should know; recorded in the audit log.
    #[arg(long)]
    pub note: Option<String>,
}

#[derive(Serialize)]
struct TaskGates {
    task: String,
    title: Option<String>,
    phase: Option<Gate>,
    gates: std::collections::BTreeMap<Gate, agentctl_core::project_state::GateRecord>,
}

pub fn execute(global: &GlobalArgs, args: GatesArgs) -> Exit {
    let config = match load_config(global, &Default::default()) {
        Ok(config) => config,
        Err(exit) => return exit,
    };
    if let Some(GatesAction::Record(record)) = args.action {
        return execute_record(&config, record);
    }
    let state = match ProjectState::load(&config.paths.state_file) {
        Ok(state) => state,
        Err(error) => {
            output::error(
                &error.to_string(),
                Some("PROJECT_STATE.md is written by agentctl; restore it from version control"),
            );
            return Exit::BadInput;
        }
    };
    let mut task_ids: Vec<String> = state.tasks.keys().cloned().collect();
    if let Ok(entries) = fs_err::read_dir(&config.paths.tasks) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|extension| extension == "md") {
                if let Some(stem) = path
                    .file_stem()
                    .map(|stem| stem.to_string_lossy().into_owned())
                {
                    if stem != "README" && !task_ids.contains(&stem) {
                        task_ids.push(stem);
                    }
                }
            }
        }
    }
    task_ids.sort();
    if let Some(only) = &args.task {
        task_ids.retain(|id| id == only);
    }
    let rows: Vec<TaskGates> = task_ids
        .iter()
        .map(|id| {
            let task = agentctl_persona::load_task(&config.paths.tasks, id).ok();
            TaskGates {
                task: id.clone(),
                title: task.as_ref().map(|task| task.title.clone()),
                phase: task.as_ref().and_then(|task| task.phase),
                gates: state.tasks.get(id).cloned().unwrap_or_default(),
            }
        })
        .collect();
    if args.json {
        output::json(&rows);
        return Exit::Success;
    }
    if rows.is_empty() {
        output::note(&format!(
            "no tasks and no gates recorded in {}",
            config.paths.state_file.display()
        ));
        return Exit::Success;
    }
    let mut text =
        String::from("TASK      PHASE  S01 S02 S03 S04 S05 S06 S07 S08 S09 S10  TITLE\n");
    for row in &rows {
        let cells: Vec<&str> = Gate::ALL
            .iter()
            .map(|gate| {
                symbol(
                    row.gates
                        .get(gate)
                        .map_or(GateStatus::NotStarted, |record| record.status),
                )
            })
            .collect();
        text.push_str(&format!(
            "{:<9} {:<6} {}  {}\n",
            row.task,
            row.phase
                .map(|phase| phase.to_string())
                .unwrap_or_else(|| "-".to_owned()),
            cells
                .iter()
                .map(|cell| format!("{cell:<3}"))
                .collect::<Vec<_>>()
                .join(" "),
            row.title.as_deref().unwrap_or("")
        ));
    }
    text.push_str(
        "\n  ok = passed/approved   x = failed/rejected   .. = pending   - = not started\n",
    );
    for row in &rows {
        for (gate, record) in &row.gates {
            text.push_str(&format!(
                "{} {gate} {}: by {} at {}{}\n",
                output::line(&row.task),
                record.status,
                output::line(&record.by),
                output::line(&record.at),
                if record.evidence.is_empty() {
                    String::new()
                } else {
                    // Evidence is a model's text: one line, escaped.
                    format!(" — {}", output::line(&record.evidence))
                }
            ));
        }
    }
    output::stdout(&text);
    Exit::Success
}

fn symbol(status: GateStatus) -> &'static str {
    match status {
        GateStatus::Passed | GateStatus::Approved => "ok",
        GateStatus::Failed | GateStatus::Rejected => "x",
        GateStatus::Pending => "..",
        GateStatus::NotStarted => "-",
    }
}

fn execute_record(config: &agentctl_config::Config, args: RecordArgs) -> Exit {
    if let Err(exit) = crate::commands::run::load_task(config, &args.task) {
        return exit;
    }
    let evidence = match (args.evidence, args.evidence_file) {
        (Some(address), _) => OutsideEvidence::Url(address),
        (None, Some(path)) => OutsideEvidence::File(path),
        // clap requires one of the two.
        (None, None) => return Exit::BadInput,
    };
    let by = args.by.unwrap_or_else(agentctl_core::os_user::current);
    match approvals::record_from_evidence(
        config,
        &args.task,
        args.gate,
        args.status,
        &by,
        &evidence,
        args.note,
    ) {
        Ok(recorded) => {
            output::note(&format!(
                "recorded {} {} for task {} by {} (os user {}) from {}",
                recorded.gate,
                recorded.status,
                args.task,
                recorded.by,
                recorded.os_user,
                recorded.evidence
            ));
            Exit::Success
        }
        Err(error) => core_error(config, &error),
    }
}
