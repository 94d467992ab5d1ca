//! Claude Code subagents (`.claude/agents/NAME.md`): YAML front matter with `name`,
//! `description`, `tools` (a comma-separated list of Claude tool names such as
//! `Read, Grep, Glob, Bash`) and `model` (an alias such as `sonnet` or `inherit`); the body is
//! the system prompt.
//!
//! Claude tool names are mapped onto agentctl's tools by [`CLAUDE_TOOLS`]; every name that has
//! no counterpart, every alias that names no model, and every permission the file cannot express
//! (Claude Code asks the user; agentctl denies what is not allowed) becomes a warning at its
//! line in `Persona::warnings`. Such a file loads as it is: warnings never stop it.
//!
//! Does not know about: other files, overlays, or which model an endpoint serves.

use std::path::Path;

use agentctl_protocol::{Diagnostic, Permissions, ToolName};
use serde_norway::Value;

use crate::formats::{
    check_name, new_persona, record, record_default_permissions, set_metadata, ExtraMetadata,
};
use crate::front_matter::{self, metadata_value, FrontMatter, Split, StringList};
use crate::model::{Persona, PersonaKind, SourceFormat};

const HOW: &str = "Claude Code front matter";

/// Keys a Claude Code subagent file may have.
pub(crate) const CLAUDE_KEYS: [&str; 4] = ["name", "description", "tools", "model"];

/// Claude Code tool names and the agentctl tools each one becomes.
pub const CLAUDE_TOOLS: [(&str, &[ToolName]); 10] = [
    ("Read", &[ToolName::FsRead]),
    ("NotebookRead", &[ToolName::FsRead]),
    ("Glob", &[ToolName::FsList]),
    ("LS", &[ToolName::FsList]),
    ("Grep", &[ToolName::FsRead, ToolName::FsList]),
    ("Write", &[ToolName::FsWrite]),
    ("Edit", &[ToolName::FsWrite]),
    ("MultiEdit", &[ToolName::FsWrite]),
    ("NotebookEdit", &[ToolName::FsWrite]),
    ("Bash", &[ToolName::ExecuteBash]),
];

/// Claude Code tools agentctl has no counterpart for, with what to do instead.
pub const UNMAPPED_CLAUDE_TOOLS: [(&str, &str); 10] = [
    ("WebFetch", "agentctl tools do not reach the network"),
    ("WebSearch", "agentctl tools do not reach the network"),
    (
        "Task",
        "list the personas this one may pass work to under `handoffs:` instead",
    ),
    ("TodoWrite", "agentctl keeps no to-do list"),
    ("BashOutput", "commands run to completion in execute_bash"),
    ("KillShell", "commands run to completion in execute_bash"),
    ("SlashCommand", "stage commands are run with `agentctl run`"),
    ("ExitPlanMode", "agentctl has no plan mode"),
    (
        "Skill",
        "agentctl has no skills; include the text with `{{include:…}}`",
    ),
    (
        "ListMcpResources",
        "agentctl offers MCP tools, not MCP resources",
    ),
];

/// Claude Code `model` aliases: a model family, not a model id an endpoint serves.
pub const CLAUDE_MODEL_ALIASES: [&str; 4] = ["sonnet", "opus", "haiku", "inherit"];

/// Whether front matter looks like a Claude Code subagent: only Claude's keys (and the common
/// ecosystem ones), and a Claude tool name in `tools` or a Claude alias in `model`.
pub(crate) fn looks_like(front_matter: &FrontMatter<'_>) -> bool {
    let Ok(Value::Mapping(mapping)) = serde_norway::from_str::<Value>(front_matter.yaml) else {
        return false;
    };
    let tools = mapping
        .get("tools")
        .map(tool_names)
        .unwrap_or_default()
        .into_iter()
        .any(|name| is_claude_tool(&name));
    let alias = mapping
        .get("model")
        .and_then(Value::as_str)
        .is_some_and(|model| CLAUDE_MODEL_ALIASES.contains(&model.trim()));
    tools || alias
}

fn is_claude_tool(name: &str) -> bool {
    name.starts_with("mcp__")
        || CLAUDE_TOOLS.iter().any(|(claude, _)| *claude == name)
        || UNMAPPED_CLAUDE_TOOLS
            .iter()
            .any(|(claude, _)| *claude == name)
}

/// `Read, Grep` or `[Read, Grep]` → the names.
fn tool_names(value: &Value) -> Vec<String> {
    match value {
        Value::String(text) => split_commas(text),
        Value::Sequence(items) => items
            .iter()
            .filter_map(Value::as_str)
            .flat_map(split_commas)
            .collect(),
        _ => Vec::new(),
    }
}

fn split_commas(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .map(str::to_owned)
        .collect()
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
struct Fields {
    name: Option<String>,
    description: Option<String>,
    tools: Option<StringList>,
    model: Option<String>,
    metadata: Option<std::collections::BTreeMap<String, serde_json::Value>>,
    color: Option<serde_json::Value>,
    version: Option<serde_json::Value>,
    author: Option<serde_json::Value>,
    license: Option<serde_json::Value>,
}

/// Parses a Claude Code subagent file.
pub fn parse(path: &Path, text: &str) -> Result<Persona, Vec<Diagnostic>> {
    let front_matter = match front_matter::split(text) {
        Split::Present(front_matter) => front_matter,
        Split::Unclosed => return Err(vec![front_matter::unclosed(path)]),
        Split::Absent => {
            return Err(vec![Diagnostic::error(
                path,
                Some(1),
                "expected YAML front matter starting with `---` on line 1",
            )])
        }
    };
    let mapping = front_matter.mapping(path).map_err(|error| vec![error])?;
    let fields: Fields = front_matter
        .deserialize(path)
        .map_err(|error| vec![error])?;
    let line = |key: &str| front_matter.key_line(key);
    let (name, name_line, name_how) = match &fields.name {
        Some(name) => (name.trim().to_owned(), line("name"), HOW),
        None => (
            crate::markdown::slugify(
                path.file_stem()
                    .and_then(|stem| stem.to_str())
                    .unwrap_or_default(),
            ),
            None,
            "file name (the front matter has no `name`)",
        ),
    };
    if let Some(problem) = check_name(path, &name, name_line) {
        return Err(vec![problem]);
    }
    let mut persona = new_persona(
        &name,
        PersonaKind::Persona,
        SourceFormat::ClaudeAgent,
        path.to_path_buf(),
        front_matter.body.to_owned(),
        front_matter.body_line,
    );
    record(&mut persona, "name", name_line, name_how);
    record(
        &mut persona,
        "body",
        Some(front_matter.body_line),
        "text after the front matter",
    );
    if let Some(description) = &fields.description {
        persona.description = Some(description.trim().to_owned());
        record(&mut persona, "description", line("description"), HOW);
    }
    set_model(&mut persona, &front_matter, fields.model.as_deref());
    set_tools(&mut persona, &front_matter, fields.tools);
    keep_other_keys(&mut persona, &front_matter, &mapping);
    ExtraMetadata {
        color: fields.color,
        version: fields.version,
        author: fields.author,
        license: fields.license,
        metadata: fields.metadata,
    }
    .apply(&mut persona, &front_matter);
    Ok(persona)
}

fn set_model(persona: &mut Persona, front_matter: &FrontMatter<'_>, model: Option<&str>) {
    let Some(model) = model.map(str::trim).filter(|model| !model.is_empty()) else {
        return;
    };
    let line = front_matter.key_line("model");
    if model == "inherit" {
        record(persona, "model", line, "`model: inherit`: the run's model");
        return;
    }
    if CLAUDE_MODEL_ALIASES.contains(&model) {
        set_metadata(
            persona,
            "claude_model",
            serde_json::Value::String(model.to_owned()),
            line,
            HOW,
        );
        let warning = Diagnostic::warning(
            &persona.source,
            line,
            format!("model alias `{model}` names a Claude model family, not a model id; this persona uses the run's model"),
        )
        .with_hint(format!(
            "to pin one, set `[personas.{}] model = \"…\"` in agentctl.toml (or `model:` after `agentctl import`)",
            persona.name
        ));
        persona.warnings.push(warning);
        return;
    }
    persona.model = Some(model.to_owned());
    record(persona, "model", line, HOW);
}

fn set_tools(persona: &mut Persona, front_matter: &FrontMatter<'_>, tools: Option<StringList>) {
    let Some(tools) = tools else {
        record_default_permissions(persona);
        let warning = Diagnostic::warning(
            &persona.source,
            front_matter.key_line("name"),
            "no `tools`: in Claude Code this agent would inherit every tool; here it gets the read-only default (fs_read, fs_list)",
        )
        .with_hint("add `tools: Read, Grep, Glob, …` to say what it may use");
        persona.warnings.push(warning);
        return;
    };
    let names: Vec<String> = tools
        .into_vec()
        .iter()
        .flat_map(|t| split_commas(t))
        .collect();
    let mut granted: Vec<ToolName> = Vec::new();
    let mut mcp_allow: Vec<String> = Vec::new();
    for name in &names {
        let line = front_matter.value_line("tools", name);
        if let Some((_, mapped)) = CLAUDE_TOOLS.iter().find(|(claude, _)| claude == name) {
            for tool in *mapped {
                if !granted.contains(tool) {
                    granted.push(*tool);
                }
            }
            continue;
        }
        // `mcp__SERVER__TOOL` is Claude Code's name for an MCP tool, and agentctl's too.
        if let Some((server, tool)) = name
            .strip_prefix("mcp__")
            .and_then(|rest| rest.split_once("__"))
        {
            mcp_allow.push(format!("{server}:{tool}"));
            continue;
        }
        let warning = unmapped_tool(&persona.source, line, name);
        persona.warnings.push(warning);
    }
    granted.sort();
    persona.permissions_declared = true;
    persona.permissions = Permissions {
        tools: granted.clone(),
        read: vec!["**".to_owned()],
        mcp: agentctl_protocol::McpRules {
            allow: mcp_allow,
            ..agentctl_protocol::McpRules::default()
        },
        ..Permissions::default()
    };
    let tools_line = front_matter.key_line("tools");
    record(
        persona,
        "permissions.tools",
        tools_line,
        "Claude Code `tools`, mapped",
    );
    record(
        persona,
        "permissions.read",
        None,
        "default: ** when permissions are declared without `read`",
    );
    for key in ["write", "deny", "commands", "aws"] {
        record(
            persona,
            &format!("permissions.{key}"),
            None,
            "default: empty (Claude Code files cannot declare it)",
        );
    }
    warn_empty_scopes(persona, &granted, tools_line);
}

/// A tool granted with no scope can do nothing here; say so, since in Claude Code it would ask.
pub(crate) fn warn_empty_scopes(persona: &mut Persona, granted: &[ToolName], line: Option<usize>) {
    let name = persona.name.clone();
    if granted.contains(&ToolName::FsWrite) && persona.permissions.write.is_empty() {
        persona.warnings.push(
            Diagnostic::warning(
                &persona.source,
                line,
                "fs_write is granted but no path is writable: every write will be denied",
            )
            .with_hint(format!(
                "list writable globs with `[personas.{name}] write = [\"src/**\"]` in agentctl.toml, or `write:` after `agentctl import`"
            )),
        );
    }
    if granted.contains(&ToolName::ExecuteBash) && persona.permissions.commands.allow.is_empty() {
        persona.warnings.push(
            Diagnostic::warning(
                &persona.source,
                line,
                "execute_bash is granted but no command is allowed: every command will be denied",
            )
            .with_hint(format!(
                "list allowed commands with `[personas.{name}.commands] allow = [\"cargo test*\"]` in agentctl.toml, or `commands:` after `agentctl import`"
            )),
        );
    }
    if granted.contains(&ToolName::UseAws) && persona.permissions.aws.allow.is_empty() {
        persona.warnings.push(
            Diagnostic::warning(
                &persona.source,
                line,
                "use_aws is granted but no AWS call is allowed: every call will be denied",
            )
            .with_hint("list allowed calls as `service:Operation` globs under `aws.allow`"),
        );
    }
}

fn unmapped_tool(source: &Path, line: Option<usize>, name: &str) -> Diagnostic {
    if let Some((_, instead)) = UNMAPPED_CLAUDE_TOOLS
        .iter()
        .find(|(claude, _)| *claude == name)
    {
        return Diagnostic::warning(
            source,
            line,
            format!("Claude Code tool `{name}` has no agentctl counterpart and is left out"),
        )
        .with_hint(*instead);
    }
    let known: Vec<&str> = CLAUDE_TOOLS.iter().map(|(claude, _)| *claude).collect();
    let suggestion = crate::suggest::closest(name, known.iter().copied())
        .map(|candidate| format!("did you mean `{candidate}`? "))
        .unwrap_or_default();
    Diagnostic::warning(
        source,
        line,
        format!("unknown Claude Code tool `{name}` is left out"),
    )
    .with_hint(format!(
        "{suggestion}the tools agentctl maps are {}",
        known.join(", ")
    ))
}

/// Keys Claude Code knows that agentctl does not use (`permissionMode`, `skills`, …) are kept in
/// metadata, with a warning, so nothing in the file is silently lost.
fn keep_other_keys(
    persona: &mut Persona,
    front_matter: &FrontMatter<'_>,
    mapping: &serde_norway::Mapping,
) {
    for (key, value) in mapping {
        let Some(key) = key.as_str() else { continue };
        if CLAUDE_KEYS.contains(&key) || front_matter::ECOSYSTEM_KEYS.contains(&key) {
            continue;
        }
        let line = front_matter.key_line(key);
        if let Ok(value) = serde_json::to_value(value) {
            set_metadata(persona, key, metadata_value(value), line, HOW);
        }
        persona.warnings.push(
            Diagnostic::warning(
                &persona.source,
                line,
                format!(
                    "Claude Code key `{key}` has no agentctl counterpart; kept as metadata only"
                ),
            )
            .with_hint("agentctl decides permissions from the persona's rules, never by asking"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tool_lists_split_on_commas() {
        let value: Value = serde_norway::from_str("Read, Grep,Glob").unwrap();
        assert_eq!(tool_names(&value), vec!["Read", "Grep", "Glob"]);
        let value: Value = serde_norway::from_str("[Read, 'Bash']").unwrap();
        assert_eq!(tool_names(&value), vec!["Read", "Bash"]);
    }
}
