//! `agentctl gates`: phase and gate status (S01–S10) per task, from the project state file.

use clap::Args;
use serde::Serialize;

use agentctl_core::project_state::ProjectState;
use agentctl_protocol::{Gate, GateStatus};

use crate::cli::GlobalArgs;
use crate::commands::load_config;
use crate::exit::Exit;
use crate::output;

#[derive(Debug, Args)]
pub struct GatesArgs {
    /// Only this task.
    #[arg(long, value_name = "ID")]
    pub task: Option<String>,
    /// Print JSON: an array of `{ task, title, phase, gates: { "S01": {status, by, at, evidence}, … } }`.
    #[arg(long)]
    pub json: bool,
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
