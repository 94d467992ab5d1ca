//! `agentctl resume TASK_OR_RUN`: continue a paused or interrupted run exactly where it stopped.

use clap::Args;

use agentctl_config::Overrides;
use agentctl_protocol::RunId;

use crate::cli::GlobalArgs;
use crate::commands::run::{build_context, finish, load_task};
use crate::commands::{load_config, load_library, runs};
use crate::exit::Exit;
use crate::output;
use crate::progress::TerminalProgress;

#[derive(Debug, Args)]
pub struct ResumeArgs {
    /// A task id (its latest open run) or a run id.
    pub task_or_run: String,
    /// Print a JSON run summary on stdout instead of the final answer.
    #[arg(long)]
    pub json: bool,
}

pub async fn execute(global: &GlobalArgs, args: ResumeArgs) -> Exit {
    let probe = match load_config(global, &Overrides::default()) {
        Ok(config) => config,
        Err(exit) => return exit,
    };
    let state = match runs::find_open_run(&probe, &args.task_or_run) {
        Ok(state) => state,
        Err(exit) => return exit,
    };
    // The run keeps the model and variables it started with.
    let overrides = Overrides {
        model: state.model_override.clone(),
        vars: state.vars.clone(),
    };
    let config = match load_config(global, &overrides) {
        Ok(config) => config,
        Err(exit) => return exit,
    };
    let library = match load_library(&config) {
        Ok(library) => library,
        Err(exit) => return exit,
    };
    let task = match load_task(&config, state.task_id.as_str()) {
        Ok(task) => task,
        Err(exit) => return exit,
    };
    let context = match build_context(config, library, task) {
        Ok(context) => context,
        Err(exit) => return exit,
    };
    let mut progress = TerminalProgress::new();
    let result = agentctl_core::resume(
        &context,
        &RunId::new(state.run_id.to_string()),
        &mut progress,
    )
    .await;
    if let Err(agentctl_core::CoreError::Refused { message, hint }) = &result {
        output::error(message, Some(hint));
        // Still waiting for a human is a pause, not a failure.
        return if message.contains("is waiting for a human") {
            Exit::Paused
        } else {
            Exit::Failure
        };
    }
    finish(&context.config, result, args.json)
}
