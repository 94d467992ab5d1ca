//! `agentctl lint`: every problem in the project in one pass.
//!
//! Checks the persona library (formats, duplicates, handoffs, tools), every persona's and stage
//! command's prompt (includes, cycles, escapes, variables), the policy patterns, the templates
//! and the task files. Problems in one file never hide problems in another.

use std::collections::BTreeMap;

use agentctl_config::Config;
use agentctl_persona::{Library, LibraryPaths, PersonaKind};
use agentctl_protocol::{Diagnostic, Severity};

use crate::activation::{self, Target};

/// What lint found and how much it looked at.
#[derive(Debug, Default)]
pub struct LintOutcome {
    pub diagnostics: Vec<Diagnostic>,
    pub personas: usize,
    pub commands: usize,
    pub tasks: usize,
}

pub fn lint_project(config: &Config) -> LintOutcome {
    let paths = LibraryPaths {
        root: config.paths.library.clone(),
        personas: config.paths.personas.clone(),
        prompts: config.paths.prompts.clone(),
    };
    let (library, library_diagnostics) = Library::load(&paths, &config.overlays);
    let mut diagnostics = Vec::new();
    let mut outcome = LintOutcome::default();
    for persona in library.iter() {
        match persona.kind {
            PersonaKind::Persona => outcome.personas += 1,
            PersonaKind::Command => outcome.commands += 1,
        }
        // A persona or command waiting for a broken file is reported under that file's error.
        if library.blocked_by(&persona.name).is_none() {
            diagnostics.extend(check_prompt(config, &library, &persona.name));
        }
        if persona.kind == PersonaKind::Persona {
            if let Err(crate::CoreError::Input(found)) =
                crate::personas::checked_policy_for(config, persona)
            {
                diagnostics.extend(found);
            }
            diagnostics.extend(check_mcp_rules(config, persona));
        }
    }
    diagnostics.extend(check_open_to_agents(config, &library));
    // With a persona file that failed to parse, "no persona reports this gate" may be a knock-on
    // of that error (the broken file may be the reporter), so it is not said then.
    let library_broken = library_diagnostics
        .iter()
        .any(|diagnostic| diagnostic.severity == agentctl_protocol::Severity::Error);
    diagnostics.extend(check_gate_evidence(config, &library, library_broken));
    diagnostics.extend(crate::sandbox_scope::lint(config));
    diagnostics.extend(check_templates(config));
    let (tasks, task_diagnostics) = check_tasks(config);
    outcome.tasks = tasks;
    diagnostics.extend(task_diagnostics);
    diagnostics.sort_by(|left, right| (&left.path, left.line).cmp(&(&right.path, right.line)));
    diagnostics.dedup();
    diagnostics.retain(|diagnostic| !library_diagnostics.contains(diagnostic));
    // The library's own order comes first: files that failed to parse lead, since problems
    // elsewhere may follow from them.
    let mut ordered = library_diagnostics;
    ordered.append(&mut diagnostics);
    outcome.diagnostics = ordered;
    outcome
}

/// `[gates.S06]` evidence no persona can produce: no persona reports the gate, or a reporter's
/// policy would not let it run the command (checked with the pattern's fixed words, `*` removed).
fn check_gate_evidence(
    config: &Config,
    library: &Library,
    library_broken: bool,
) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    for (gate, evidence) in &config.gates.evidence {
        let line = std::fs::read_to_string(&config.paths.config_file)
            .ok()
            .and_then(|text| {
                text.lines()
                    .position(|line| line.trim() == format!("[gates.{gate}]"))
                    .map(|index| index + 1)
            });
        let reporters: Vec<_> = library
            .personas()
            .filter(|persona| persona.reports.contains(gate))
            .collect();
        if reporters.is_empty() {
            if library_broken {
                continue;
            }
            found.push(
                Diagnostic::warning(
                    &config.paths.config_file,
                    line,
                    format!("[gates.{gate}] asks for evidence, but no persona lists {gate} in `reports`"),
                )
                .with_hint(format!("only `agentctl gates record {gate}` can record it; add {gate} to a persona's `reports`")),
            );
            continue;
        }
        for pattern in &evidence.commands {
            let command = pattern
                .replace('*', " ")
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            let able = reporters.iter().any(|persona| {
                crate::personas::policy_for(config, persona).is_ok_and(|policy| {
                    matches!(
                        policy
                            .decide(&agentctl_policy::ToolRequest::ExecuteBash {
                                command: command.clone()
                            })
                            .decision,
                        agentctl_protocol::Decision::Allow { .. }
                    )
                })
            });
            if !able {
                let names: Vec<&str> = reporters
                    .iter()
                    .map(|persona| persona.name.as_str())
                    .collect();
                found.push(
                    Diagnostic::warning(
                        &config.paths.config_file,
                        line,
                        format!(
                            "[gates.{gate}] wants `{pattern}`, but {} may not run `{command}`",
                            names.join(", ")
                        ),
                    )
                    .with_hint("allow the command in the reporting persona's `commands.allow` (or a `[personas.NAME]` overlay), or the gate can only be recorded by a human"),
                );
            }
        }
    }
    found
}

/// `[open_to_agents]` must name personas of the library: a misspelt name would silently open
/// nothing, and a later persona of that name would silently get write access to gate state.
fn check_open_to_agents(config: &Config, library: &Library) -> Vec<Diagnostic> {
    let open = &config.open_to_agents;
    let lists = [("tasks", &open.tasks), ("library", &open.library)];
    let mut found = Vec::new();
    for (list, names) in lists {
        for name in names {
            if library.get(name).is_none() {
                found.push(
                    Diagnostic::error(
                        &config.paths.config_file,
                        None,
                        format!("`[open_to_agents] {list}` names `{name}`, which is not a persona"),
                    )
                    .with_hint("name a persona of the library (`agentctl list` shows them), or remove the entry"),
                );
            } else {
                found.push(Diagnostic::warning(
                    &config.paths.config_file,
                    None,
                    format!(
                        "`{name}` may write {}: protected from every other agent",
                        if list == "tasks" {
                            "task files (gate-field changes still need a human)"
                        } else {
                            "the persona library"
                        }
                    ),
                ));
            }
        }
    }
    found
}

/// A persona's `mcp` patterns that can reach no configured server (a typo in a server name
/// would otherwise silently offer nothing). Nothing is started.
fn check_mcp_rules(config: &Config, persona: &agentctl_persona::Persona) -> Vec<Diagnostic> {
    let rules = &persona.permissions.mcp;
    let mut configured: Vec<&str> = config
        .mcp_servers
        .iter()
        .filter(|spec| spec.serves(&persona.name))
        .map(|spec| spec.name.as_str())
        .collect();
    // Servers a persona file declares (Kiro `mcpServers`) serve the persona that declares them.
    configured.extend(persona.mcp_servers.keys().map(String::as_str));
    rules
        .allow
        .iter()
        .chain(&rules.approve)
        .filter(|pattern| {
            !configured
                .iter()
                .any(|name| agentctl_policy::pattern_names_server(pattern, name))
        })
        .map(|pattern| {
            Diagnostic::warning(
                &persona.source,
                None,
                format!("MCP pattern `{pattern}` matches no server in agentctl.toml"),
            )
            .with_hint(if configured.is_empty() {
                "declare the server as [mcp.servers.NAME] in agentctl.toml".to_owned()
            } else {
                format!("configured servers: {}", configured.join(", "))
            })
        })
        .collect()
}

/// Assembles a persona's (or command's) prompt with the configured variables. Variables that
/// only a run can supply (`--var`, the task, parameters) are warnings here, errors at run time.
fn check_prompt(config: &Config, library: &Library, name: &str) -> Vec<Diagnostic> {
    let target = match activation::resolve_in_library(library, name, &BTreeMap::new()) {
        Ok(target) => target,
        Err(found) => {
            return found
                .into_iter()
                .filter(|diagnostic| !is_missing_parameter(diagnostic))
                .collect()
        }
    };
    let target = Target {
        params: default_params(&target),
        ..target
    };
    let source = target
        .command
        .as_ref()
        .unwrap_or(&target.persona)
        .source
        .clone();
    match activation::build_prompt(config, &target, None) {
        Ok(prompt) => prompt
            .notes
            .iter()
            .filter(|note| note.starts_with(agentctl_prompt::MISSING_CONTEXT_NOTE))
            .map(|note| {
                // The note ends with the declaring site (` at personas/x.md:16`); that site
                // becomes the diagnostic's location instead of repeating inside the message.
                let (message, line) = split_site(note);
                Diagnostic::warning(&source, line, message).with_hint(
                    "create the file, or mark the reference optional with ` (if exists)`",
                )
            })
            .collect(),
        Err(found) => found
            .into_iter()
            .map(|mut diagnostic| {
                if is_unresolved_variable(&diagnostic) {
                    diagnostic.severity = Severity::Warning;
                    diagnostic
                        .message
                        .push_str(" (supply it with --var, [vars] or the task before running)");
                }
                diagnostic
            })
            .collect(),
    }
}

/// Required parameters without defaults get a placeholder so the prompt can still be checked.
fn default_params(target: &Target) -> BTreeMap<String, String> {
    let mut params = target.params.clone();
    if let Some(spec) = target
        .command
        .as_ref()
        .and_then(|command| command.command.as_ref())
    {
        for param in &spec.params {
            params
                .entry(param.name.clone())
                .or_insert_with(|| format!("<{}>", param.name));
        }
    }
    params
}

/// `"… (not found) at personas/x.md:16"` → (`"… (not found)"`, `Some(16)`).
fn split_site(note: &str) -> (String, Option<usize>) {
    match note.rsplit_once(" at ") {
        Some((message, site)) => {
            let line = site
                .rsplit_once(':')
                .and_then(|(_, line)| line.parse().ok());
            (message.to_owned(), line)
        }
        None => (note.to_owned(), None),
    }
}

fn is_missing_parameter(diagnostic: &Diagnostic) -> bool {
    diagnostic.message.starts_with("missing required parameter")
}

fn is_unresolved_variable(diagnostic: &Diagnostic) -> bool {
    diagnostic.message.contains("unresolved variable")
}

fn check_templates(config: &Config) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    let Ok(entries) = fs_err::read_dir(&config.paths.templates) else {
        return diagnostics;
    };
    let mut files: Vec<_> = entries
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.is_file())
        .collect();
    files.sort();
    for path in files {
        let name = path
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default();
        if name.eq_ignore_ascii_case("README.md") {
            continue;
        }
        let text = match fs_err::read_to_string(&path) {
            Ok(text) => text,
            Err(error) => {
                diagnostics.push(Diagnostic::error(
                    &path,
                    None,
                    format!("cannot read template: {error}"),
                ));
                continue;
            }
        };
        let mut tera = tera::Tera::default();
        if let Err(error) = tera.add_raw_template(&name, &text) {
            let detail = std::error::Error::source(&error)
                .map(ToString::to_string)
                .unwrap_or_else(|| error.to_string());
            diagnostics.push(
                Diagnostic::error(&path, template_line(&detail), format!("template does not parse: {}", detail.lines().next().unwrap_or_default()))
                    .with_hint("templates use Tera syntax: {{ task.id }}, {% for item in handoff.items %}…{% endfor %}"),
            );
        }
    }
    diagnostics
}

/// Tera reports positions as ` --> LINE:COLUMN`.
fn template_line(detail: &str) -> Option<usize> {
    let position = detail.split("--> ").nth(1)?;
    position.split(':').next()?.trim().parse().ok()
}

fn check_tasks(config: &Config) -> (usize, Vec<Diagnostic>) {
    let mut diagnostics = Vec::new();
    let Ok(entries) = fs_err::read_dir(&config.paths.tasks) else {
        return (0, diagnostics);
    };
    let mut ids: Vec<String> = entries
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|extension| extension == "md"))
        .filter(|path| {
            !path
                .file_name()
                .is_some_and(|name| name.eq_ignore_ascii_case("README.md"))
        })
        .filter_map(|path| {
            path.file_stem()
                .map(|stem| stem.to_string_lossy().into_owned())
        })
        .collect();
    ids.sort();
    for id in &ids {
        if let Err(diagnostic) = agentctl_persona::load_task(&config.paths.tasks, id) {
            diagnostics.push(diagnostic);
        }
    }
    (ids.len(), diagnostics)
}
