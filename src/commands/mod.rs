//! One module per subcommand, and what they share: finding the project, loading its
//! configuration and library, and turning failures into `error:`/`hint:` plus an exit code.

pub mod approve;
pub mod audit;
pub mod audit_export;
pub mod audit_time;
pub mod chat;
pub mod completions;
pub mod docs;
pub mod doctor;
pub mod gates;
pub mod import;
pub mod init;
pub mod lint;
pub mod mcp;
pub mod personas;
pub mod prompt;
pub mod resume;
pub mod run;
pub mod runs;
pub mod show;

use std::collections::BTreeMap;

use agentctl_config::{Config, EnvVars, Overrides};
use agentctl_persona::{Library, LibraryPaths};
use agentctl_protocol::Diagnostic;

use crate::cli::{Cli, Command, GlobalArgs};
use crate::exit::Exit;
use crate::output;

pub async fn dispatch(cli: Cli) -> Exit {
    let global = cli.global;
    match cli.command {
        Command::Init(args) => init::execute(&global, args),
        Command::Personas(args) => personas::execute(&global, args),
        Command::Show(args) => show::execute(&global, args),
        Command::Prompt(args) => prompt::execute(&global, args),
        Command::Import(args) => import::execute(&global, args),
        Command::Docs(args) => docs::execute(&global, args),
        Command::Lint(args) => lint::execute(&global, args),
        Command::Run(args) => run::execute(&global, args).await,
        Command::Chat(args) => chat::execute(&global, args).await,
        Command::Runs(args) => runs::execute(&global, args),
        Command::Approve(args) => approve::execute_approve(&global, args).await,
        Command::Reject(args) => approve::execute_reject(&global, args).await,
        Command::Resume(args) => resume::execute(&global, args).await,
        Command::Gates(args) => gates::execute(&global, args),
        Command::Audit(command) => audit::execute(&global, command),
        Command::Doctor(args) => doctor::execute(&global, args).await,
        Command::Mcp(command) => mcp::execute(&global, command).await,
        Command::Completions(args) => completions::completions(args),
        Command::Man(args) => completions::man(args),
    }
}

/// Finds the project root and loads its configuration, or explains why not (exit 2).
pub fn load_config(global: &GlobalArgs, overrides: &Overrides) -> Result<Config, Exit> {
    let current = std::env::current_dir().map_err(|error| {
        output::error(&format!("cannot read the current directory: {error}"), None);
        Exit::BadInput
    })?;
    let root =
        agentctl_config::discover_root(&current, global.root.as_deref()).map_err(|error| {
            output::error(&error.to_string(), error.hint().as_deref());
            Exit::BadInput
        })?;
    let config = Config::load(&root, &EnvVars::from_process(), overrides).map_err(|error| {
        output::error(&error.to_string(), error.hint().as_deref());
        Exit::BadInput
    })?;
    // agentctl's own files below the root are never written through links it did not make.
    agentctl_core::own_files::trust_project_root(&config.paths.root);
    Ok(config)
}

pub fn library_paths(config: &Config) -> LibraryPaths {
    LibraryPaths {
        root: config.paths.library.clone(),
        personas: config.paths.personas.clone(),
        prompts: config.paths.prompts.clone(),
    }
}

/// Loads the whole library. Errors are printed and mean exit 2; warnings are printed and kept.
pub fn load_library(config: &Config) -> Result<Library, Exit> {
    let (library, diagnostics) = Library::load(&library_paths(config), &config.overlays);
    let diagnostics = relative_diagnostics(config, diagnostics);
    output::diagnostics(&diagnostics);
    if diagnostics.iter().any(Diagnostic::is_error) {
        output::error(
            "the persona library has errors",
            Some("fix the problems above; `agentctl lint` lists every one"),
        );
        return Err(Exit::BadInput);
    }
    Ok(library)
}

/// Loads the library to start `name`: only problems in the files `name` may need (its own, those
/// of the personas it can hand off to, the broken files any of them waits for) and outside the
/// persona files (agentctl.toml) stop it. Problems in unrelated persona files are summed up in
/// one warning, so a typo in one file does not block the rest of the team.
pub fn load_library_for(config: &Config, name: &str) -> Result<Library, Exit> {
    let problems = NeededProblems::load(config, name);
    output::diagnostics(&problems.relevant);
    if problems.stop_it() {
        refuse_needed(name);
        return Err(Exit::BadInput);
    }
    if !problems.skipped.is_empty() {
        let one = problems.skipped.len() == 1;
        let (has, was, it) = if one {
            ("has", "was", "it")
        } else {
            ("have", "were", "them")
        };
        let reason = if problems.known {
            format!(": `{name}` does not need {it}")
        } else {
            String::new()
        };
        output::warning(&format!(
            "{} {has} errors and {was} skipped{reason} (`agentctl lint` lists the problems)",
            problems.skipped.join(", ")
        ));
    }
    Ok(problems.library)
}

/// Reports why a run of `name` cannot start, once the start-up check (which parses only what
/// the run can reach) found `found`. Only on this error path is the whole library loaded, so a
/// broken file is named first with every persona it blocks grouped under it, exactly as `lint`
/// and `show` say it. When the whole library shows nothing wrong with what `name` needs (a bad
/// `--param`, an unknown name), the start-up check's own diagnostics are printed. Always exit 2.
pub fn refuse_run(config: &Config, name: &str, found: Vec<Diagnostic>) -> Exit {
    let problems = NeededProblems::load(config, name);
    if problems.stop_it() {
        output::diagnostics(&problems.relevant);
        refuse_needed(name);
    } else {
        output::diagnostics(&relative_diagnostics(config, found));
    }
    Exit::BadInput
}

fn refuse_needed(name: &str) {
    output::error(
        &format!("the persona files `{name}` needs have errors"),
        Some("fix the first problem above; `agentctl lint` lists every one"),
    );
}

/// The whole library, with its problems split into those that concern `name` and the broken
/// files it does not need.
struct NeededProblems {
    library: Library,
    /// Whether `name` is a loaded persona or command (or the name of a broken file).
    known: bool,
    /// Problems in the files `name` may need and outside the persona files, paths relative.
    relevant: Vec<Diagnostic>,
    /// Broken persona files `name` does not need, as shown to the user.
    skipped: Vec<String>,
}

impl NeededProblems {
    fn load(config: &Config, name: &str) -> NeededProblems {
        let (library, diagnostics) = Library::load(&library_paths(config), &config.overlays);
        let needed = library.needed_files(name);
        let (relevant, unrelated): (Vec<Diagnostic>, Vec<Diagnostic>) =
            diagnostics.into_iter().partition(|diagnostic| {
                !library.is_library_file(&diagnostic.path)
                    || needed
                        .as_ref()
                        .is_some_and(|needed| needed.contains(&diagnostic.path))
            });
        let skipped: std::collections::BTreeSet<String> = relative_diagnostics(config, unrelated)
            .iter()
            .filter(|diagnostic| diagnostic.is_error())
            .map(|diagnostic| diagnostic.path.display().to_string())
            .collect();
        NeededProblems {
            library,
            known: needed.is_some(),
            relevant: relative_diagnostics(config, relevant),
            skipped: skipped.into_iter().collect(),
        }
    }

    fn stop_it(&self) -> bool {
        self.relevant.iter().any(Diagnostic::is_error)
    }
}

/// Diagnostics with paths shown relative to the project root where possible.
pub fn relative_diagnostics(config: &Config, diagnostics: Vec<Diagnostic>) -> Vec<Diagnostic> {
    diagnostics
        .into_iter()
        .map(|mut diagnostic| {
            if let Ok(relative) = diagnostic.path.strip_prefix(&config.paths.root) {
                diagnostic.path = relative.to_path_buf();
            } else if diagnostic.path.is_relative()
                && config.paths.library != config.paths.root
                && !config.paths.root.join(&diagnostic.path).exists()
                && config.paths.library.join(&diagnostic.path).exists()
            {
                // Library diagnostics are relative to the library root; when that is not the
                // project root, name the file as seen from the project root.
                diagnostic.path = relative_to(
                    &config.paths.root,
                    &config.paths.library.join(&diagnostic.path),
                );
            }
            diagnostic
        })
        .collect()
}

/// Prints an engine error (`error:` and `hint:`, or the diagnostics of bad input) and returns
/// its exit code from the one mapping in `exit.rs`.
pub fn core_error(config: &Config, error: &agentctl_core::CoreError) -> Exit {
    match error {
        agentctl_core::CoreError::Input(diagnostics) => {
            output::diagnostics(&relative_diagnostics(config, diagnostics.clone()));
        }
        other => output::error(&other.to_string(), other.hint().as_deref()),
    }
    Exit::for_error(error)
}

/// Takes the lock of a run for this process, off the async workers (acquiring may wait a
/// moment for a liveness probe to let go).
pub async fn claim_run(
    config: &Config,
    run_id: &agentctl_protocol::RunId,
) -> Result<agentctl_core::RunLock, Exit> {
    let state_dir = config.paths.state_dir.clone();
    let id = run_id.clone();
    let claimed =
        tokio::task::spawn_blocking(move || agentctl_core::RunLock::acquire(&state_dir, &id))
            .await
            .map_err(|error| {
                output::error(&format!("cannot take the run lock: {error}"), None);
                Exit::Failure
            })?;
    claimed.map_err(|error| core_error(config, &error))
}

/// Parses repeated `K=V` arguments.
pub fn parse_pairs(flag: &str, pairs: &[String]) -> Result<BTreeMap<String, String>, Exit> {
    let mut map = BTreeMap::new();
    for pair in pairs {
        let Some((key, value)) = pair.split_once('=') else {
            output::error(
                &format!("`{flag} {pair}` is not KEY=VALUE"),
                Some(&format!("write it as `{flag} NAME=value`")),
            );
            return Err(Exit::BadInput);
        };
        map.insert(key.trim().to_owned(), value.to_owned());
    }
    Ok(map)
}

/// `path` as seen from `base` (both absolute), with `..` where needed.
fn relative_to(base: &std::path::Path, path: &std::path::Path) -> std::path::PathBuf {
    let base: Vec<_> = base.components().collect();
    let target: Vec<_> = path.components().collect();
    let common = base
        .iter()
        .zip(&target)
        .take_while(|(left, right)| left == right)
        .count();
    let mut relative = std::path::PathBuf::new();
    for _ in common..base.len() {
        relative.push("..");
    }
    for part in &target[common..] {
        relative.push(part);
    }
    relative
}

/// Ctrl-C as a stream, its handler installed by this call (not when first awaited).
#[cfg(unix)]
pub(crate) fn ctrl_c_signals() -> std::io::Result<tokio::signal::unix::Signal> {
    tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())
}

/// Ctrl-C as a stream, its handler installed by this call (not when first awaited).
#[cfg(windows)]
pub(crate) fn ctrl_c_signals() -> std::io::Result<tokio::signal::windows::CtrlC> {
    tokio::signal::windows::ctrl_c()
}
