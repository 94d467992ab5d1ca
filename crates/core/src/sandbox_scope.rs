//! What the OS sandbox protects for a project, and what one persona's processes may touch.
//!
//! Owns: the list of paths no sandboxed process may change ([`protected_paths`]: the audit log,
//! the state file, agentctl.toml, the state directory, the persona library, the task files,
//! `.git` and git's configured hooks directory — whether they exist yet or not), and the
//! summary of a persona's sandbox that `show` prints and each call's `tool.allowed` entry
//! records. Independent of the policy's protected list on purpose: the sandbox must hold even
//! when the policy is wrong. Does not apply anything (the tools crate and the exec helper do).

use std::path::{Path, PathBuf};

use agentctl_config::Config;
use agentctl_persona::Persona;
use agentctl_protocol::Diagnostic;
use serde_json::{json, Value};

/// Absolute paths no process a persona starts may change.
pub fn protected_paths(config: &Config) -> Vec<PathBuf> {
    let paths = &config.paths;
    let mut protected = vec![
        paths.audit_log.clone(),
        paths.state_file.clone(),
        paths.config_file.clone(),
        paths.state_dir.clone(),
        paths.personas.clone(),
        paths.contexts.clone(),
        paths.templates.clone(),
        paths.prompts.clone(),
        paths.tasks.clone(),
        paths.workspace.join(".git"),
    ];
    if let Some(hooks) = git_hooks_path(&paths.workspace) {
        protected.push(hooks);
    }
    protected.sort();
    protected.dedup();
    protected
}

/// `core.hooksPath` from the workspace's `.git/config`, when it names a directory of its own
/// (relative paths are relative to the workspace, as git reads them).
fn git_hooks_path(workspace: &Path) -> Option<PathBuf> {
    let text = std::fs::read_to_string(workspace.join(".git").join("config")).ok()?;
    let mut in_core = false;
    let mut found = None;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_core = line
                .trim_start_matches('[')
                .trim_end_matches(']')
                .trim()
                .eq_ignore_ascii_case("core");
            continue;
        }
        if !in_core {
            continue;
        }
        if let Some((key, value)) = line.split_once('=') {
            if key.trim().eq_ignore_ascii_case("hookspath") {
                let value = value.trim().trim_matches('"');
                if !value.is_empty() {
                    found = Some(value.to_owned());
                }
            }
        }
    }
    // A hooks directory under someone's home is outside the workspace, so no sandboxed
    // process can write it anyway.
    let value = found?;
    if value.starts_with('~') {
        return None;
    }
    Some(workspace.join(value))
}

/// The sandbox a persona's processes get, as `show` prints it and `tool.allowed` records it.
pub fn summary(config: &Config, persona: &Persona) -> Value {
    if config.sandbox.off {
        return json!({
            "mode": "off",
            "warning": "[sandbox] mode = \"off\" in agentctl.toml: processes run with the user's full rights",
        });
    }
    json!({
        "mode": "enforce",
        "network": persona.sandbox.network,
        "env": persona.sandbox.env,
    })
}

/// Warnings about the project's sandbox settings: it being off.
pub fn lint(config: &Config) -> Vec<Diagnostic> {
    if !config.sandbox.off {
        return Vec::new();
    }
    vec![Diagnostic::warning(
        &config.paths.config_file,
        config.sandbox.off_line,
        "`[sandbox] mode = \"off\"`: commands personas run are not confined by the OS sandbox; only the policy stands between a model and this machine",
    )
    .with_hint("remove the setting to enforce the sandbox; `agentctl doctor` shows what this machine supports")]
}
