//! `agentctl resume TASK_OR_RUN`: continue a paused or interrupted run exactly where it stopped.

use clap::Args;

use agentctl_config::Overrides;
use agentctl_core::registry::{self, Want};

use crate::cli::GlobalArgs;
use crate::commands::run::{build_context, finish, load_task, model_client};
use crate::commands::{claim_run, core_error, load_config, load_library};
use crate::exit::Exit;
use crate::progress::TerminalProgress;

#[derive(Debug, Args)]
pub struct ResumeArgs {
    /// A task id (its run waiting for a human, else its newest open run), a run id, or the
    /// start of one.
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
    let found = match registry::find(&probe.paths.state_dir, &args.task_or_run, Want::Open) {
        Ok(entry) => entry,
        Err(error) => return core_error(&probe, &error),
    };
    // From here until the last write this process alone drives the run; a second `resume`, or
    // one during a live `run`, is refused and changes nothing.
    let lock = match claim_run(&probe, &found.state.run_id).await {
        Ok(lock) => lock,
        Err(exit) => return exit,
    };
    // Read again under the lock: what was found above may have moved on meanwhile.
    let state = match registry::get(&probe.paths.state_dir, found.state.run_id.as_str()) {
        Ok(entry) => entry.state,
        Err(error) => return core_error(&probe, &error),
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
    let entry_model = |persona: &str| {
        config.model_for(
            library
                .get(persona)
                .and_then(|persona| persona.model.as_deref()),
        )
    };
    let client = match model_client(&config) {
        Ok(client) => client,
        Err(exit) => return exit,
    };
    // The active persona's model and that of every persona it can still hand off to.
    let mut uses =
        crate::preflight::model_uses(&config, library.reachable(state.active.name.as_str()));
    if uses.is_empty() {
        uses.push(crate::preflight::ModelUse {
            model: entry_model(state.active.name.as_str()),
            personas: vec![state.active.name.clone()],
        });
    }
    if let Err(exit) = crate::preflight::check(&client, &config, &uses).await {
        return exit;
    }
    crate::preflight::warn_if_changed(
        &config,
        state.run_id.as_str(),
        &client.endpoint_host(),
        entry_model,
    );
    let context = build_context(config, library, task, client);
    let mut progress = TerminalProgress::new(global.verbosity());
    let result = agentctl_core::resume(&context, &lock, &mut progress).await;
    if let Err(error) = &result {
        return core_error(&context.config, error);
    }
    finish(&context.config, result, args.json, &mut progress)
}
