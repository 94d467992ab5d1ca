//! `agentctl runs` (runs and chat sessions with their status, filtered) and `agentctl runs show`
//! (what a human needs before approving). Finding runs is `agentctl_core::registry`; the review
//! is `agentctl_core::review`; this module renders them.

use std::fmt::Write as _;

use clap::{Args, Subcommand};
use serde::Serialize;

use agentctl_core::registry::{self, RunEntry, Want};
use agentctl_core::review::{self, CommandChange, RunReview};
use agentctl_core::RunStatus;

use crate::cli::GlobalArgs;
use crate::commands::{core_error, load_config};
use crate::exit::Exit;
use crate::output;

const STATUSES: [&str; 7] = [
    "running",
    "paused",
    "waiting",
    "interrupted",
    "finished",
    "failed",
    "rejected",
];

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct RunsArgs {
    #[command(subcommand)]
    pub command: Option<RunsCommand>,
    /// Only runs of this task (chat sessions without a task have task `chat`).
    #[arg(long, value_name = "ID")]
    pub task: Option<String>,
    /// Only runs with this status, as shown (a `running` run no process drives shows as
    /// `interrupted`).
    #[arg(long, value_parser = STATUSES)]
    pub status: Option<String>,
    /// Only the newest N runs.
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// Print JSON: an array of `{ run_id, kind, task_id, entry, persona, status, driven, turns,
    /// tool_calls, denials, started_at, updated_at, waiting, reason }`.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum RunsCommand {
    /// Everything a human needs before deciding: personas and handoffs, the pending action with
    /// its full arguments and digest, files changed with diffs, denials, tokens and time.
    #[command(
        after_help = "Examples:\n  agentctl runs show T-155\n  agentctl runs show r-20261122-050012 --json"
    )]
    Show(ShowArgs),
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// A run id, the start of one, or a task id (its run waiting for a human, else its newest).
    pub run_or_task: String,
    /// Print the review as JSON.
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
    /// Whether a process drives it right now.
    driven: bool,
    turns: u32,
    tool_calls: u32,
    denials: u32,
    started_at: String,
    updated_at: String,
    waiting: Option<String>,
    reason: Option<String>,
}

impl RunRow {
    fn from_entry(entry: &RunEntry) -> RunRow {
        let state = &entry.state;
        RunRow {
            run_id: state.run_id.to_string(),
            kind: entry.kind(),
            task_id: state.task_id.to_string(),
            entry: state.entry.clone(),
            persona: state.active.name.clone(),
            status: entry.status(),
            driven: entry.driven,
            turns: state.turns,
            tool_calls: state.tool_calls,
            denials: state.denials,
            started_at: state.started_at.clone(),
            updated_at: state.updated_at.clone(),
            waiting: state
                .pending
                .as_ref()
                .filter(|_| state.status == RunStatus::Paused)
                .map(|pending| format!("{}: {}", pending.gate, pending.describe())),
            reason: state.end.as_ref().map(|end| end.reason.clone()),
        }
    }
}

pub fn execute(global: &GlobalArgs, args: RunsArgs) -> Exit {
    let config = match load_config(global, &Default::default()) {
        Ok(config) => config,
        Err(exit) => return exit,
    };
    if let Some(RunsCommand::Show(show)) = args.command {
        return execute_show(&config, &show);
    }
    let registry = registry::list(&config.paths.state_dir);
    for (path, error) in &registry.unreadable {
        output::warning(&format!("skipping {}: {error}", path.display()));
    }
    let mut rows: Vec<RunRow> = registry
        .entries
        .iter()
        .filter(|entry| {
            args.task
                .as_deref()
                .is_none_or(|task| entry.state.task_id.as_str() == task)
        })
        .filter(|entry| {
            args.status
                .as_deref()
                .is_none_or(|status| entry.status().as_str() == status)
        })
        .map(RunRow::from_entry)
        .collect();
    if let Some(limit) = args.limit {
        // Oldest first: the newest N are at the end.
        rows.drain(..rows.len().saturating_sub(limit));
    }
    if args.json {
        output::json(&rows);
        return Exit::Success;
    }
    if rows.is_empty() {
        let filtered = args.task.is_some() || args.status.is_some();
        output::note(if filtered {
            "no runs match"
        } else {
            "no runs yet; start one with `agentctl run PERSONA --task ID` or `agentctl chat`"
        });
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

fn execute_show(config: &agentctl_config::Config, args: &ShowArgs) -> Exit {
    let entry = match registry::find(&config.paths.state_dir, &args.run_or_task, Want::Any) {
        Ok(entry) => entry,
        Err(error) => return core_error(config, &error),
    };
    let audit = match agentctl_audit::read_entries(&config.paths.audit_log) {
        Ok(entries) => entries,
        Err(error) => {
            output::warning(&format!(
                "the audit log cannot be read ({error}); showing the run's state only"
            ));
            Vec::new()
        }
    };
    let review = review::review(&entry, &audit);
    if args.json {
        output::json(&review);
    } else {
        output::stdout(&render(&review));
    }
    Exit::Success
}

/// The human view of a review. Plain text; arguments and diffs are printed as recorded.
fn render(review: &RunReview) -> String {
    let mut text = String::new();
    let _ = writeln!(
        text,
        "{} {} · task {} · {} · {}{}",
        review.kind,
        review.run_id,
        review.task_id,
        review.entry,
        review.status.as_str(),
        if review.driven {
            " (a process drives it now)"
        } else {
            ""
        }
    );
    let elapsed = review
        .elapsed_seconds
        .map(|seconds| format!(" ({seconds} s)"))
        .unwrap_or_default();
    let _ = writeln!(
        text,
        "started {} · last saved {}{elapsed}",
        review.started_at, review.updated_at
    );
    let _ = writeln!(
        text,
        "turns {} · tool calls {} · handoffs {} · denials {} · tokens {} prompt + {} completion",
        review.turns,
        review.tool_calls,
        review.handoffs,
        review.denials.len(),
        review.usage.prompt_tokens,
        review.usage.completion_tokens
    );
    text.push_str("\npersonas:\n");
    for (index, step) in review.personas.iter().enumerate() {
        let _ = writeln!(text, "  {}. {}", index + 1, step.persona);
        if let Some(summary) = &step.handoff_summary {
            for line in summary.lines() {
                let _ = writeln!(text, "       handed over: {line}");
            }
        }
    }
    if let Some(pending) = &review.pending {
        let _ = writeln!(
            text,
            "\nwaiting for a human at {} since {}:",
            pending.gate, pending.since
        );
        let _ = writeln!(text, "  persona: {}", pending.persona);
        match (&pending.tool, &pending.arguments) {
            (Some(tool), Some(arguments)) => {
                let _ = writeln!(text, "  action:  {tool}, with arguments:");
                for line in arguments.lines() {
                    let _ = writeln!(text, "    {line}");
                }
            }
            _ => {
                let _ = writeln!(text, "  action:  start work on the task");
            }
        }
        if let Some(rule) = &pending.rule {
            let _ = writeln!(text, "  rule:    {rule}");
        }
        let _ = writeln!(text, "  why:     {}", pending.why);
        if let Some(reason) = &pending.persona_reason {
            let _ = writeln!(text, "  persona said:");
            for line in reason.lines() {
                let _ = writeln!(text, "    {line}");
            }
        }
        let _ = writeln!(text, "  digest:  {}", pending.digest);
        let short: String = pending.digest.chars().take(12).collect();
        let _ = writeln!(
            text,
            "  approve: agentctl approve {} --gate {} --call {short} --by NAME [--note TEXT]\n  reject:  agentctl reject {} --by NAME --reason TEXT",
            review.run_id, pending.gate, review.run_id
        );
    }
    if let Some(end) = &review.end {
        let _ = writeln!(text, "\nended {}: {}", end.status.as_str(), end.reason);
    }
    if review.files_changed.is_empty() {
        text.push_str("\nfiles changed: none\n");
    } else {
        text.push_str("\nfiles changed:\n");
        for change in &review.files_changed {
            if let Some(kind) = change.by_command {
                let what = match kind {
                    CommandChange::Created => "new",
                    CommandChange::Modified => "changed",
                    CommandChange::Removed => "removed",
                };
                let _ = writeln!(
                    text,
                    "  {} ({what} by a command of {})",
                    output::line(&change.path),
                    change.persona
                );
                continue;
            }
            let _ = writeln!(
                text,
                "  {} ({}lines +{} -{}, by {})",
                output::line(&change.path),
                if change.created { "new, " } else { "" },
                change.added_lines,
                change.removed_lines,
                change.persona
            );
            for line in change.diff.lines() {
                let _ = writeln!(text, "    {line}");
            }
        }
    }
    if !review.denials.is_empty() {
        text.push_str("\ndenials:\n");
        for denial in &review.denials {
            let _ = writeln!(
                text,
                "  {} {} {}: {}",
                denial.persona, denial.tool, denial.arguments, denial.reason
            );
        }
    }
    text
}
