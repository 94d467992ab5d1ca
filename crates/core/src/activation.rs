//! Turning a name typed by the user into something runnable: a persona, or a stage command
//! bound to its active persona with checked parameters, and the system prompt it gets.

use std::collections::BTreeMap;

use agentctl_config::Config;
use agentctl_persona::{Library, LibraryPaths, Persona, PersonaKind, Task};
use agentctl_prompt::{AssembledPrompt, PromptInputs};
use agentctl_protocol::Diagnostic;

/// What `run` or `prompt` was asked to start.
#[derive(Debug, Clone)]
pub struct Target {
    /// The persona that acts (for a stage command: its active role).
    pub persona: Persona,
    /// The stage command, when one was named.
    pub command: Option<Persona>,
    /// Command parameters after defaults were applied.
    pub params: BTreeMap<String, String>,
}

impl Target {
    /// The name the user typed (the command's name for a stage command).
    pub fn entry_name(&self) -> &str {
        self.command
            .as_ref()
            .map_or(self.persona.name.as_str(), |command| command.name.as_str())
    }

    /// Whether this target runs against production: the task says `env: production`, or the
    /// stage command's parameters match one of its production markers (`env=production`, in any
    /// letter case).
    pub fn is_production(&self, task: Option<&Task>) -> bool {
        let task_production =
            task.and_then(|task| task.env) == Some(agentctl_persona::Environment::Production);
        let command_production = self
            .command
            .as_ref()
            .and_then(|command| command.command.as_ref())
            .is_some_and(|spec| {
                spec.production_when.iter().any(|(name, value)| {
                    // `--param env=PRODUCTION` is production as much as `env: Production` in a
                    // task: names and values compare without regard to case or outer spaces.
                    self.params.iter().any(|(given_name, given_value)| {
                        given_name.trim().eq_ignore_ascii_case(name.trim())
                            && given_value.trim().eq_ignore_ascii_case(value.trim())
                    })
                })
            });
        task_production || command_production
    }
}

/// Resolves `name` in a loaded library.
pub fn resolve_in_library(
    library: &Library,
    name: &str,
    given_params: &BTreeMap<String, String>,
) -> Result<Target, Vec<Diagnostic>> {
    let Some(found) = library.get(name) else {
        let known: Vec<&str> = library
            .iter()
            .map(|persona| persona.name.as_str())
            .collect();
        return Err(vec![agentctl_persona::unknown_persona(name, known)]);
    };
    if found.kind == PersonaKind::Persona {
        return finish_persona(found.clone(), given_params);
    }
    let role = found
        .command
        .as_ref()
        .and_then(|spec| spec.resolved_role.clone());
    let Some(persona) = role.as_deref().and_then(|role| library.get(role)) else {
        return Err(vec![unbound_command(found)]);
    };
    finish_command(found.clone(), persona.clone(), given_params)
}

/// Resolves `name` while parsing as few library files as possible (for `prompt`).
pub fn resolve_quickly(
    paths: &LibraryPaths,
    config: &Config,
    name: &str,
    given_params: &BTreeMap<String, String>,
) -> Result<Target, Vec<Diagnostic>> {
    let (found, active) = Library::load_one(paths, &config.overlays, name)?;
    finish(found, active, given_params)
}

/// Resolves the persona a run starts with, parsing only it and the personas it can reach through
/// handoffs; unlike [`resolve_quickly`], a handoff target that matches no persona, or a file the
/// run would reach that does not parse, is an error. Also returns those reachable personas, as
/// the check parsed them (the run loads each one again when it reaches it).
pub fn resolve_for_run(
    paths: &LibraryPaths,
    config: &Config,
    name: &str,
    given_params: &BTreeMap<String, String>,
) -> Result<(Target, Vec<Persona>), Vec<Diagnostic>> {
    let start = Library::load_run_start(paths, &config.overlays, name)?;
    let target = finish(start.persona, start.active, given_params)?;
    Ok((target, start.reachable))
}

fn finish(
    found: Persona,
    active: Option<Persona>,
    given_params: &BTreeMap<String, String>,
) -> Result<Target, Vec<Diagnostic>> {
    match (found.kind, active) {
        (PersonaKind::Persona, _) => finish_persona(found, given_params),
        (PersonaKind::Command, Some(persona)) => finish_command(found, persona, given_params),
        (PersonaKind::Command, None) => Err(vec![unbound_command(&found)]),
    }
}

fn finish_persona(
    persona: Persona,
    given_params: &BTreeMap<String, String>,
) -> Result<Target, Vec<Diagnostic>> {
    if let Some(name) = given_params.keys().next() {
        return Err(vec![Diagnostic::error(
            &persona.source,
            None,
            format!(
                "`--param {name}=…` was given, but `{}` is a persona, not a stage command",
                persona.name
            ),
        )
        .with_hint(
            "parameters belong to stage commands in prompts/; use --var for prompt variables",
        )]);
    }
    Ok(Target {
        persona,
        command: None,
        params: BTreeMap::new(),
    })
}

fn finish_command(
    command: Persona,
    persona: Persona,
    given_params: &BTreeMap<String, String>,
) -> Result<Target, Vec<Diagnostic>> {
    let params = check_params(&command, given_params)?;
    Ok(Target {
        persona,
        command: Some(command),
        params,
    })
}

/// Applies declared defaults; a missing required parameter or an unknown one is an error.
pub fn check_params(
    command: &Persona,
    given: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, String>, Vec<Diagnostic>> {
    let declared = command
        .command
        .as_ref()
        .map(|spec| spec.params.as_slice())
        .unwrap_or_default();
    let mut problems = Vec::new();
    for name in given.keys() {
        if !declared.iter().any(|param| &param.name == name) {
            let names: Vec<&str> = declared.iter().map(|param| param.name.as_str()).collect();
            problems.push(
                Diagnostic::error(
                    &command.source,
                    None,
                    format!("unknown parameter `{name}` for `{}`", command.name),
                )
                .with_hint(if names.is_empty() {
                    "this command declares no parameters".to_owned()
                } else {
                    format!("declared parameters: {}", names.join(", "))
                }),
            );
        }
    }
    let mut params = BTreeMap::new();
    for param in declared {
        match (given.get(&param.name), &param.default) {
            (Some(value), _) => {
                params.insert(param.name.clone(), value.clone());
            }
            (None, Some(default)) => {
                params.insert(param.name.clone(), default.clone());
            }
            (None, None) if param.required => problems.push(
                Diagnostic::error(
                    &command.source,
                    None,
                    format!(
                        "missing required parameter `{}` for `{}`",
                        param.name, command.name
                    ),
                )
                .with_hint(format!(
                    "pass --param {}=VALUE{}",
                    param.name,
                    param
                        .description
                        .as_deref()
                        .map(|text| format!(" ({text})"))
                        .unwrap_or_default()
                )),
            ),
            (None, None) => {}
        }
    }
    if problems.is_empty() {
        Ok(params)
    } else {
        Err(problems)
    }
}

/// The exact system prompt for a target.
pub fn build_prompt(
    config: &Config,
    target: &Target,
    task: Option<&Task>,
) -> Result<AssembledPrompt, Vec<Diagnostic>> {
    agentctl_prompt::assemble(&PromptInputs {
        library_root: &config.paths.library,
        workspace: &config.paths.workspace,
        persona: &target.persona,
        command: target.command.as_ref(),
        task,
        vars: &config.vars,
        params: &target.params,
    })
}

fn unbound_command(command: &Persona) -> Diagnostic {
    let written = command
        .command
        .as_ref()
        .and_then(|spec| spec.active_role.clone())
        .unwrap_or_default();
    Diagnostic::error(
        &command.source,
        None,
        format!(
            "stage command `{}` names active role `{written}`, which matches no persona",
            command.name
        ),
    )
    .with_hint("give a persona that name, role or prefix, or fix the `## Active Role:` line")
}
