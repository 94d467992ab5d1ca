//! `agentctl run PERSONA --task ID`: run a task, following handoffs and stopping at gates.

use std::sync::Arc;

use clap::Args;
use serde::Serialize;

use agentctl_config::{Config, Overrides};
use agentctl_core::{RunContext, RunReport, RunStatus};
use agentctl_persona::{Library, Task};

use crate::cli::GlobalArgs;
use crate::commands::{
    core_error, library_paths, load_config, parse_pairs, refuse_run, relative_diagnostics,
};
use crate::exit::Exit;
use crate::output;
use crate::progress::TerminalProgress;

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Persona or stage command to start with (see `agentctl personas`).
    pub persona: String,
    /// The task to work on: tasks/ID.md.
    #[arg(long, value_name = "ID")]
    pub task: String,
    /// Prompt variable, overriding [vars] in agentctl.toml. Repeatable.
    #[arg(long = "var", value_name = "K=V")]
    pub vars: Vec<String>,
    /// Stage command parameter, e.g. `--param env=production`. Repeatable.
    #[arg(long = "param", value_name = "K=V")]
    pub params: Vec<String>,
    /// Model for every persona of this run (beats AGENTCTL_MODEL and agentctl.toml).
    #[arg(long)]
    pub model: Option<String>,
    /// Show the prompt, the tools offered and the effective policy; call no model.
    #[arg(long)]
    pub dry_run: bool,
    /// Print a JSON run summary on stdout instead of the final answer.
    #[arg(long)]
    pub json: bool,
}

pub async fn execute(global: &GlobalArgs, args: RunArgs) -> Exit {
    let (vars, params) = match (
        parse_pairs("--var", &args.vars),
        parse_pairs("--param", &args.params),
    ) {
        (Ok(vars), Ok(params)) => (vars, params),
        (Err(exit), _) | (_, Err(exit)) => return exit,
    };
    let overrides = Overrides {
        model: args.model.clone(),
        vars: vars.clone(),
    };
    let config = match load_config(global, &overrides) {
        Ok(config) => config,
        Err(exit) => return exit,
    };
    // Only the starting persona (and a stage command's active role) and the personas it can
    // reach through handoffs are parsed, once: the run uses them as they were checked here.
    // Unrelated files are never parsed, so a broken one neither stops the run nor is mentioned;
    // `agentctl lint` checks the whole library.
    let (target, reachable) = match agentctl_core::activation::resolve_for_run(
        &library_paths(&config),
        &config,
        &args.persona,
        &params,
    ) {
        Ok(target) => target,
        Err(diagnostics) => return refuse_run(&config, &args.persona, diagnostics),
    };
    let task = match load_task(&config, &args.task) {
        Ok(task) => task,
        Err(exit) => return exit,
    };
    let library = Library::from_personas(
        std::iter::once(target.persona.clone())
            .chain(target.command.clone())
            // A stage command a handoff names stays out: reaching it is refused when reached.
            .chain(
                reachable
                    .iter()
                    .filter(|persona| persona.kind == agentctl_persona::PersonaKind::Persona)
                    .cloned(),
            ),
    );
    if args.dry_run {
        return dry_run(&config, &target, &task, args.json);
    }
    // Before any gate check, audit entry or model call: key, endpoint, and the model of every
    // persona the run can reach (each distinct model once). The run's own client asks, so its
    // connection is reused for the first model call.
    let client = match model_client(&config) {
        Ok(client) => client,
        Err(exit) => return exit,
    };
    let uses = crate::preflight::model_uses(
        &config,
        std::iter::once(&target.persona).chain(reachable.iter()),
    );
    if let Err(exit) = crate::preflight::check(&client, &config, &uses).await {
        return exit;
    }
    let context = build_context(config, library, task, client);
    let mut progress = TerminalProgress::new(global.verbosity());
    let result = agentctl_core::start(&context, &target, vars, args.model, &mut progress).await;
    finish(&context.config, result, args.json, &mut progress)
}

pub fn load_task(config: &Config, id: &str) -> Result<Task, Exit> {
    agentctl_persona::load_task(&config.paths.tasks, id).map_err(|diagnostic| {
        output::diagnostics(&relative_diagnostics(config, vec![diagnostic]));
        Exit::BadInput
    })
}

/// The model client of a run from the project's endpoint settings; a bad setting is printed
/// with its hint (exit 2).
pub fn model_client(config: &Config) -> Result<agentctl_llm::OpenAiClient, Exit> {
    crate::preflight::client(config).map_err(|(message, hint)| {
        output::error(&message, hint.as_deref());
        Exit::BadInput
    })
}

/// The tool settings and Ctrl-C wiring of a run around its model `client`: the first Ctrl-C
/// interrupts it.
pub fn build_context(
    config: Config,
    library: Library,
    task: Task,
    client: agentctl_llm::OpenAiClient,
) -> RunContext {
    let (context, sender) = build_context_with_interrupt(config, library, task, client);
    // Registered now, not when the listening task first runs: on the one-thread runtime that
    // is only at the run's first wait, and a Ctrl-C before it would kill the process unsaved.
    match crate::commands::ctrl_c_signals() {
        Ok(mut signals) => {
            tokio::spawn(async move {
                if signals.recv().await.is_some() {
                    let _ = sender.send(true);
                }
            });
        }
        Err(error) => output::warning(&format!("Ctrl-C cannot stop this run cleanly: {error}")),
    }
    context
}

/// The tool settings of a run around its model `client`, with the sender of its interrupt
/// flag. The caller decides what Ctrl-C does (the chat REPL cancels one reply at a time).
pub fn build_context_with_interrupt(
    config: Config,
    library: Library,
    task: Task,
    client: agentctl_llm::OpenAiClient,
) -> (RunContext, tokio::sync::watch::Sender<bool>) {
    let endpoint_host = client.endpoint_host();
    let mut tools = agentctl_tools::ToolContext::new(config.paths.workspace.clone());
    tools.bash_timeout = config.tools.bash_timeout;
    tools.output_cap_bytes = config.tools.output_cap_bytes;
    tools.sandbox = sandbox_mode(&config);
    tools.sandbox_read = config.sandbox.read.clone();
    tools.parent_environment = config.process_environment.clone();
    let (sender, interrupt) = tokio::sync::watch::channel(false);
    let mcp = Arc::new(crate::mcp_launch::hub(&config, &library));
    let context = RunContext {
        config,
        library,
        task,
        client: Arc::new(client),
        endpoint_host,
        tools,
        mcp,
        interrupt,
    };
    (context, sender)
}

/// The sandbox mode of the project: enforced through this very binary's hidden exec helper,
/// unless agentctl.toml turned it off.
pub fn sandbox_mode(config: &Config) -> agentctl_tools::SandboxMode {
    if config.sandbox.off {
        return agentctl_tools::SandboxMode::Off;
    }
    // Without a path to this binary the helper cannot start, and every command is refused.
    let helper = std::env::current_exe().unwrap_or_default();
    agentctl_tools::SandboxMode::Enforce { helper }
}

/// Prints the outcome and maps it to an exit code.
pub fn finish(
    config: &Config,
    result: Result<RunReport, agentctl_core::CoreError>,
    json: bool,
    progress: &mut TerminalProgress,
) -> Exit {
    let report = match result {
        Ok(report) => report,
        Err(error) => return core_error(config, &error),
    };
    progress.summary(&report);
    if json {
        output::json(&report);
    } else if let Some(answer) = &report.answer {
        output::stdout(&format!("{}\n", answer.trim_end()));
    }
    if !report.next_steps.is_empty() {
        output::note(&format!("next:\n  {}", report.next_steps.join("\n  ")));
    }
    for rejection in &report.rejections {
        output::note(&format!("rejected by a human: {rejection}"));
    }
    match report.status {
        RunStatus::Paused => {
            if let Some(pending) = &report.pending {
                output::note(&format!(
                    "waiting for a human at {}.\n  review:  agentctl runs show {}\n  approve: agentctl approve {} --gate {} --by NAME [--note TEXT]\n  reject:  agentctl reject {} --by NAME --reason TEXT\n  then:    agentctl resume {}",
                    pending.gate, report.run_id, report.task_id, pending.gate, report.task_id, report.task_id
                ));
            }
        }
        RunStatus::Interrupted => {
            output::note(&format!(
                "state saved; continue with: agentctl resume {}",
                report.run_id
            ));
        }
        RunStatus::Waiting => {
            // `resume` of a chat session drives it to its next answer; the human continues there.
            output::note(&format!(
                "the session waits for your next message: agentctl chat --resume {}",
                report.run_id
            ));
        }
        RunStatus::Finished | RunStatus::Failed | RunStatus::Rejected | RunStatus::Running => {}
    }
    Exit::for_status(report.status)
}

#[derive(Serialize)]
struct DryRun<'a> {
    persona: &'a str,
    command: Option<&'a str>,
    task: &'a str,
    production: bool,
    model: String,
    prompt_sha256: &'a str,
    prompt: &'a str,
    tools: Vec<agentctl_llm::ToolSpec>,
    effective_policy: agentctl_policy::EffectivePolicy,
}

fn dry_run(
    config: &Config,
    target: &agentctl_core::activation::Target,
    task: &Task,
    json: bool,
) -> Exit {
    let prompt = match agentctl_core::activation::build_prompt(config, target, Some(task)) {
        Ok(prompt) => prompt,
        Err(diagnostics) => {
            output::diagnostics(&relative_diagnostics(config, diagnostics));
            return Exit::BadInput;
        }
    };
    let policy = match agentctl_core::personas::policy_for(config, &target.persona) {
        Ok(policy) => policy.describe(),
        Err(error) => {
            output::error(&error.to_string(), error.hint().as_deref());
            return Exit::BadInput;
        }
    };
    let report = DryRun {
        persona: &target.persona.name,
        command: target.command.as_ref().map(|command| command.name.as_str()),
        task: &task.id,
        production: target.is_production(Some(task)),
        model: config.model_for(target.persona.model.as_deref()),
        prompt_sha256: &prompt.sha256,
        prompt: &prompt.text,
        tools: agentctl_core::personas::tool_specs(&target.persona),
        effective_policy: policy,
    };
    if json {
        output::json(&report);
        return Exit::Success;
    }
    let mut text = format!(
        "dry run: {} on task {} ({}), model {}\n\n--- system prompt (sha256 {}) ---\n{}\n--- first user message ---\n{}\n--- tools offered ---\n",
        report.persona,
        report.task,
        if report.production { "production" } else { "staging" },
        report.model,
        report.prompt_sha256,
        prompt.text.trim_end(),
        agentctl_core::briefing::task_message(task, &target.params).trim_end()
    );
    for tool in &report.tools {
        text.push_str(&format!("{}: {}\n", tool.name, tool.description));
    }
    text.push_str("--- effective policy ---\n");
    text.push_str(&serde_json::to_string_pretty(&report.effective_policy).unwrap_or_default());
    text.push('\n');
    output::stdout(&text);
    Exit::Success
}
