//! `agentctl chat [PERSONA] [--task ID] [--resume SESSION]`: an interactive session with the
//! team. This module opens or restores the session and wires the terminal; `repl` runs it.
//!
//! The session itself — handoffs, policy, gates, approvals, persistence, the audit log — is
//! `agentctl_core::chat`, the same engine as `agentctl run`; nothing here decides what a
//! persona may do.

mod input;
mod interrupt;
mod render;
mod repl;
mod slash;

use std::collections::{BTreeMap, BTreeSet};

use clap::Args;

use agentctl_config::Overrides;
use agentctl_core::registry;
use agentctl_core::{chat, CoreError, RunContext, RunLock, RunMode, RunState, RunStatus};

use crate::cli::GlobalArgs;
use crate::commands::run::{build_context_with_interrupt, load_task, model_client};
use crate::commands::{core_error, load_config, load_library, parse_pairs, relative_diagnostics};
use crate::exit::Exit;
use crate::output;

/// The persona a session starts with when none is named.
const DEFAULT_PERSONA: &str = "orch-planner";
/// Line-editor history, under the state directory (`.agentctl/`).
const HISTORY_FILE: &str = "chat_history";

#[derive(Debug, Args)]
pub struct ChatArgs {
    /// Persona to talk to first (default: orch-planner).
    pub persona: Option<String>,
    /// Brief the session on a task (tasks/ID.md); the task's gates apply to every persona.
    #[arg(long, value_name = "ID", conflicts_with = "resume")]
    pub task: Option<String>,
    /// Continue a saved session: its persona, history and any pending gate (ids start with
    /// `s-`; `agentctl runs` lists them).
    #[arg(long, value_name = "SESSION", conflicts_with_all = ["persona", "vars", "model"])]
    pub resume: Option<String>,
    /// Prompt variable, overriding [vars] in agentctl.toml. Repeatable.
    #[arg(long = "var", value_name = "K=V")]
    pub vars: Vec<String>,
    /// Model for every persona of this session (beats AGENTCTL_MODEL and agentctl.toml).
    #[arg(long)]
    pub model: Option<String>,
}

/// A session ready to talk: its context, the sender of its interrupt flag, and its state.
struct Opened {
    context: RunContext,
    interrupt: tokio::sync::watch::Sender<bool>,
    state: RunState,
    /// This process drives the session until it leaves.
    lock: RunLock,
    /// The models the endpoint preflight already checked.
    checked_models: BTreeSet<String>,
}

pub async fn execute(global: &GlobalArgs, args: ChatArgs) -> Exit {
    let opened = match &args.resume {
        Some(session_id) => restore(global, session_id).await,
        None => open(global, &args).await,
    };
    let Opened {
        context,
        interrupt,
        state,
        lock,
        checked_models,
    } = match opened {
        Ok(opened) => opened,
        Err(exit) => return exit,
    };
    let interrupt = interrupt::Interrupt::listen(
        interrupt,
        state.run_id.to_string(),
        context.config.paths.state_dir.clone(),
    );
    let input = input::LineSource::for_stdin(context.config.paths.state_dir.join(HISTORY_FILE));
    // Colours follow the shared rules (a terminal, NO_COLOR, CLICOLOR_FORCE); a piped session
    // is plain.
    let colour = input.is_terminal() && crate::style::stderr_has_colour();
    let mut observer = render::ChatObserver::new(colour, global.verbosity());
    observer.quiet(&header(
        &context,
        &state,
        args.resume.is_some(),
        input.is_terminal(),
    ));
    let pending = state
        .pending
        .clone()
        .filter(|_| state.status == RunStatus::Paused);
    repl::Session::new(&context, global, &state, lock, input, observer, interrupt)
        .with_checked_models(checked_models)
        .run(pending)
        .await
}

/// The endpoint preflight for a session about to talk to `persona`: the model of `persona` and
/// of every persona it can hand off to, each once. Prints the problem and returns its exit
/// code; the models checked otherwise.
async fn preflight(
    client: &agentctl_llm::OpenAiClient,
    config: &agentctl_config::Config,
    library: &agentctl_persona::Library,
    persona: &str,
) -> Result<BTreeSet<String>, Exit> {
    let uses = crate::preflight::model_uses(config, library.reachable(persona));
    crate::preflight::check(client, config, &uses).await?;
    Ok(uses.into_iter().map(|used| used.model).collect())
}

/// A new session with PERSONA (or the default) active.
async fn open(global: &GlobalArgs, args: &ChatArgs) -> Result<Opened, Exit> {
    let vars = parse_pairs("--var", &args.vars)?;
    let overrides = Overrides {
        model: args.model.clone(),
        vars: vars.clone(),
    };
    let config = load_config(global, &overrides)?;
    let library = load_library(&config)?;
    let name = match &args.persona {
        Some(name) => name.clone(),
        None if library.get(DEFAULT_PERSONA).is_some() => DEFAULT_PERSONA.to_owned(),
        None => {
            let known: Vec<&str> = library
                .iter()
                .filter(|persona| persona.kind == agentctl_persona::PersonaKind::Persona)
                .map(|persona| persona.name.as_str())
                .collect();
            output::error(
                &format!("no persona named and the library has no `{DEFAULT_PERSONA}`"),
                Some(&format!(
                    "name one: agentctl chat PERSONA   (personas: {})",
                    if known.is_empty() {
                        "none; `agentctl init` scaffolds the default team".to_owned()
                    } else {
                        known.join(", ")
                    }
                )),
            );
            return Err(Exit::BadInput);
        }
    };
    let target = agentctl_core::activation::resolve_in_library(&library, &name, &BTreeMap::new())
        .map_err(|diagnostics| {
        output::diagnostics(&relative_diagnostics(&config, diagnostics));
        Exit::BadInput
    })?;
    let (task, with_task) = match &args.task {
        Some(id) => (load_task(&config, id)?, true),
        None => (chat::untasked_session(), false),
    };
    // Before the session exists (no state, no audit entry): key, endpoint, models.
    let client = model_client(&config)?;
    let checked_models = preflight(&client, &config, &library, &target.persona.name).await?;
    let (context, interrupt) = build_context_with_interrupt(config, library, task, client);
    let (state, lock) = chat::open(&context, &target, with_task, vars, args.model.clone())
        .map_err(|error| core_error(&context.config, &error))?;
    Ok(Opened {
        context,
        interrupt,
        state,
        lock,
        checked_models,
    })
}

/// A saved session, with the model and variables it was opened with.
async fn restore(global: &GlobalArgs, session_id: &str) -> Result<Opened, Exit> {
    let probe = load_config(global, &Overrides::default())?;
    let saved = match registry::get(&probe.paths.state_dir, session_id) {
        Ok(entry) => entry.state,
        Err(CoreError::RunNotFound { runs_dir, .. }) => {
            output::error(
                &format!("no chat session `{session_id}` in {}", runs_dir.display()),
                Some("`agentctl runs` lists sessions (kind chat)"),
            );
            return Err(Exit::BadInput);
        }
        Err(error) => return Err(core_error(&probe, &error)),
    };
    let RunMode::Chat { with_task } = saved.mode else {
        return Err(core_error(
            &probe,
            &CoreError::NotAChatSession {
                run_id: session_id.to_owned(),
            },
        ));
    };
    if saved.status.is_terminal() {
        let reason = saved.end.as_ref().map_or("", |end| end.reason.as_str());
        output::error(
            &format!(
                "session {session_id} has ended ({}: {reason})",
                saved.status.as_str()
            ),
            Some("start a new one with `agentctl chat`"),
        );
        return Err(Exit::BadInput);
    }
    let overrides = Overrides {
        model: saved.model_override.clone(),
        vars: saved.vars.clone(),
    };
    let config = load_config(global, &overrides)?;
    let library = load_library(&config)?;
    let task = if with_task {
        load_task(&config, saved.task_id.as_str())?
    } else {
        chat::untasked_session()
    };
    // Before the session exists (no state, no audit entry): key, endpoint, models.
    let client = model_client(&config)?;
    let checked_models = preflight(&client, &config, &library, &saved.active.name).await?;
    let (context, interrupt) = build_context_with_interrupt(config, library, task, client);
    // Read again under the lock: another process may have driven it meanwhile.
    let (state, lock) = chat::claim(&context, &saved.run_id)
        .map_err(|error| core_error(&context.config, &error))?;
    Ok(Opened {
        context,
        interrupt,
        state,
        lock,
        checked_models,
    })
}

/// The first line on stderr: which session, with whom, and on a terminal how to get help.
fn header(context: &RunContext, state: &RunState, resumed: bool, terminal: bool) -> String {
    let task = match state.mode {
        RunMode::Chat { with_task: true } => format!(" on task {}", state.task_id),
        _ => String::new(),
    };
    let verb = if resumed { "resumed" } else { "chat" };
    let mut text = format!(
        "{verb} session {}{task} with {} (model {} at {})",
        state.run_id,
        state.active.name,
        state.model_override.clone().unwrap_or_else(|| {
            let persona = context.library.get(&state.active.name);
            context
                .config
                .model_for(persona.and_then(|persona| persona.model.as_deref()))
        }),
        context.endpoint_host
    );
    if terminal {
        text.push_str("\n/help lists commands; Ctrl-C stops a reply; Ctrl-D ends the session");
    }
    text
}
