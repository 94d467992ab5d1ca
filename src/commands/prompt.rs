//! `agentctl prompt PERSONA`: the exact system prompt the model will get.
//!
//! Parses only the files it needs (the persona, its active role for a stage command, and their
//! includes), never the whole library.

use clap::Args;
use serde::Serialize;

use agentctl_config::Overrides;

use crate::cli::GlobalArgs;
use crate::commands::{library_paths, load_config, parse_pairs, relative_diagnostics};
use crate::exit::Exit;
use crate::output;

#[derive(Debug, Args)]
pub struct PromptArgs {
    /// Persona or stage command name (see `agentctl personas`).
    pub persona: String,
    /// Task id: its variables (`vars:`, TASK_ID, TASK_TITLE, TASK_ENV) become available.
    #[arg(long, value_name = "ID")]
    pub task: Option<String>,
    /// Prompt variable, overriding [vars] in agentctl.toml. Repeatable.
    #[arg(long = "var", value_name = "K=V")]
    pub vars: Vec<String>,
    /// Stage command parameter. Repeatable.
    #[arg(long = "param", value_name = "K=V")]
    pub params: Vec<String>,
    /// Print which file each span of the prompt came from instead of the prompt.
    #[arg(long)]
    pub sources: bool,
    /// Print JSON: `{ "persona", "command", "sha256", "bytes", "tokens_estimate", "text", "sources", "notes" }`.
    #[arg(long)]
    pub json: bool,
}

#[derive(Serialize)]
struct PromptJson<'a> {
    persona: &'a str,
    command: Option<&'a str>,
    sha256: &'a str,
    bytes: usize,
    tokens_estimate: usize,
    text: &'a str,
    sources: &'a [agentctl_prompt::SourceSpan],
    notes: &'a [String],
}

pub fn execute(global: &GlobalArgs, args: PromptArgs) -> Exit {
    let vars = match parse_pairs("--var", &args.vars) {
        Ok(vars) => vars,
        Err(exit) => return exit,
    };
    let params = match parse_pairs("--param", &args.params) {
        Ok(params) => params,
        Err(exit) => return exit,
    };
    let config = match load_config(
        global,
        &Overrides {
            vars,
            ..Overrides::default()
        },
    ) {
        Ok(config) => config,
        Err(exit) => return exit,
    };
    let target = match agentctl_core::activation::resolve_quickly(
        &library_paths(&config),
        &config,
        &args.persona,
        &params,
    ) {
        Ok(target) => target,
        Err(diagnostics) => {
            output::diagnostics(&relative_diagnostics(&config, diagnostics));
            return Exit::BadInput;
        }
    };
    let task = match &args.task {
        Some(id) => match agentctl_persona::load_task(&config.paths.tasks, id) {
            Ok(task) => Some(task),
            Err(diagnostic) => {
                output::diagnostics(&relative_diagnostics(&config, vec![diagnostic]));
                return Exit::BadInput;
            }
        },
        None => None,
    };
    let prompt = match agentctl_core::activation::build_prompt(&config, &target, task.as_ref()) {
        Ok(prompt) => prompt,
        Err(diagnostics) => {
            output::diagnostics(&relative_diagnostics(&config, diagnostics));
            output::error(
                "the prompt cannot be assembled",
                Some("fix the problems above, or pass the missing values with --var"),
            );
            return Exit::BadInput;
        }
    };
    for note in &prompt.notes {
        output::note(&format!("note: {note}"));
    }
    let tokens = agentctl_prompt::estimate_tokens(&prompt.text);
    output::note(&format!(
        "{} bytes, about {tokens} tokens, sha256 {}",
        prompt.text.len(),
        prompt.sha256
    ));
    if args.json {
        output::json(&PromptJson {
            persona: &target.persona.name,
            command: target.command.as_ref().map(|command| command.name.as_str()),
            sha256: &prompt.sha256,
            bytes: prompt.text.len(),
            tokens_estimate: tokens,
            text: &prompt.text,
            sources: &prompt.sources,
            notes: &prompt.notes,
        });
    } else if args.sources {
        output::stdout(&agentctl_prompt::render_sources(&prompt));
    } else {
        output::stdout(&prompt.text);
    }
    Exit::Success
}
