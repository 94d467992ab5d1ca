//! Kiro / Amazon Q Developer CLI agents: one JSON object per file with `name`, `description`,
//! `prompt` (inline text or `file://PATH`), `tools`, `allowedTools`, `resources`
//! (`file://PATH`), `toolsSettings` (`fs_read`/`fs_write` `allowedPaths`/`deniedPaths`,
//! `execute_bash` `allowedCommands`/`deniedCommands`, `use_aws`
//! `allowedServices`/`deniedServices`), `mcpServers`, `hooks` and `model`.
//!
//! The mapping onto agentctl (documented in docs/formats.md) keeps agentctl's rule: what is not
//! allowed is denied. Kiro asks the user about tools and commands it does not trust; agentctl
//! has nobody to ask mid-run, so anything Kiro would ask about is denied, and every part of the
//! file that has no counterpart becomes a warning at its line (`Persona::warnings`).
//! `mcpServers` are parsed into `Persona::mcp_servers`; the binary starts them, for this persona
//! only, on its first need.
//!
//! Does not know about: the files `file://` names (a `file://` prompt becomes an
//! `{{include:…}}` the prompt crate resolves), overlays, or other personas.

use std::path::{Component, Path};

use agentctl_protocol::{Diagnostic, Permissions, ToolName};
use serde_json::{Map, Value};

use crate::formats::claude_agent::warn_empty_scopes;
use crate::formats::{check_name, new_persona, record, record_default_permissions, set_metadata};
use crate::model::{ContextRef, McpServer, Persona, PersonaKind, SourceFormat};

const HOW: &str = "Kiro agent JSON";

/// Kiro built-in tool names and the agentctl tools each becomes.
pub const KIRO_TOOLS: [(&str, &[ToolName]); 5] = [
    ("fs_read", &[ToolName::FsRead, ToolName::FsList]),
    ("fs_write", &[ToolName::FsWrite]),
    ("execute_bash", &[ToolName::ExecuteBash]),
    ("execute_cmd", &[ToolName::ExecuteBash]),
    ("use_aws", &[ToolName::UseAws]),
];

/// Kiro built-ins agentctl has no counterpart for.
pub const UNMAPPED_KIRO_TOOLS: [&str; 9] = [
    "knowledge",
    "thinking",
    "introspect",
    "todo_list",
    "report_issue",
    "delegate",
    "web_search",
    "web_fetch",
    "dummy",
];

/// Top-level keys that are read (the rest are warned about and kept as metadata).
const KNOWN_KEYS: [&str; 12] = [
    "$schema",
    "name",
    "description",
    "prompt",
    "model",
    "tools",
    "allowedTools",
    "resources",
    "toolsSettings",
    "mcpServers",
    "hooks",
    "toolAliases",
];

/// Whether `text` is a JSON object, the only shape of a Kiro agent file: `{` followed by a
/// quoted key or `}`. A Markdown persona may start with `{{include:…}}`, which is not.
pub(crate) fn looks_like(text: &str) -> bool {
    text.trim_start_matches('\u{feff}')
        .trim_start()
        .strip_prefix('{')
        .is_some_and(|rest| rest.trim_start().starts_with(['"', '}']))
}

/// Parses a Kiro agent file.
pub fn parse(path: &Path, text: &str) -> Result<Persona, Vec<Diagnostic>> {
    let root: Value = serde_json::from_str(text).map_err(|error| {
        vec![Diagnostic::error(
            path,
            Some(error.line().max(1)),
            format!("invalid JSON: {}", strip_position(&error.to_string())),
        )
        .with_hint(
            "a Kiro agent file is one JSON object; check commas, quotes and brackets on this line",
        )]
    })?;
    let Value::Object(object) = root else {
        return Err(vec![Diagnostic::error(
            path,
            Some(1),
            "a Kiro agent file must be one JSON object",
        )]);
    };
    let locate = Locator { text };
    let (name, name_line, name_how) = match object.get("name").and_then(Value::as_str) {
        Some(name) => (name.trim().to_owned(), locate.key(&["name"]), HOW),
        None => (
            path.file_stem()
                .and_then(|stem| stem.to_str())
                .unwrap_or_default()
                .to_owned(),
            None,
            "file name (the JSON has no `name`, as Kiro allows)",
        ),
    };
    if let Some(problem) = check_name(path, &name, name_line) {
        return Err(vec![problem]);
    }
    let (body, body_how) = prompt_body(path, &object, &locate);
    let mut persona = new_persona(
        &name,
        PersonaKind::Persona,
        SourceFormat::KiroAgent,
        path.to_path_buf(),
        body.text,
        1,
    );
    persona.warnings.extend(body.warnings);
    record(&mut persona, "name", name_line, name_how);
    record(&mut persona, "body", locate.key(&["prompt"]), body_how);
    let mut errors = Vec::new();
    for key in ["description", "model"] {
        match object.get(key) {
            None | Some(Value::Null) => {}
            Some(Value::String(value)) => {
                let value = value.trim().to_owned();
                if key == "description" {
                    persona.description = Some(value);
                } else {
                    persona.model = Some(value);
                }
                record(&mut persona, key, locate.key(&[key]), HOW);
            }
            Some(_) => errors.push(wrong_type(path, locate.key(&[key]), key, "a string")),
        }
    }
    set_permissions(&mut persona, &object, &locate, &mut errors);
    set_resources(&mut persona, &object, &locate, &mut errors);
    set_mcp_servers(&mut persona, &object, &locate, &mut errors);
    keep_the_rest(&mut persona, &object, &locate);
    if errors.is_empty() {
        Ok(persona)
    } else {
        Err(errors)
    }
}

fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(index) => message[..index].to_owned(),
        None => message.to_owned(),
    }
}

fn wrong_type(path: &Path, line: Option<usize>, key: &str, expected: &str) -> Diagnostic {
    Diagnostic::error(path, line, format!("`{key}` must be {expected}"))
        .with_hint("fix the value on this line")
}

/// Finds the line of a key or value in the JSON text (serde_json keeps no positions).
struct Locator<'a> {
    text: &'a str,
}

impl Locator<'_> {
    /// The byte offset just past `"key"` followed by `:`, searching from `from`.
    fn find_key(&self, key: &str, from: usize) -> Option<usize> {
        let quoted = format!("\"{key}\"");
        let mut start = from;
        while let Some(found) = self.text.get(start..)?.find(&quoted) {
            let end = start + found + quoted.len();
            if self.text[end..].trim_start().starts_with(':') {
                return Some(end);
            }
            start = end;
        }
        None
    }

    fn offset_of(&self, keys: &[&str]) -> Option<usize> {
        let mut offset = 0;
        for key in keys {
            offset = self.find_key(key, offset)?;
        }
        Some(offset)
    }

    fn line_at(&self, offset: usize) -> usize {
        self.text[..offset].matches('\n').count() + 1
    }

    /// The line of the last key of `keys`, each searched after the one before.
    fn key(&self, keys: &[&str]) -> Option<usize> {
        self.offset_of(keys).map(|offset| self.line_at(offset))
    }

    /// The line where the string `value` is written inside `keys`' value, else the key's line.
    fn value(&self, keys: &[&str], value: &str) -> Option<usize> {
        let offset = self.offset_of(keys)?;
        let quoted = serde_json::to_string(value).unwrap_or_default();
        let found = self.text[offset..]
            .find(&quoted)
            .map(|position| offset + position);
        Some(self.line_at(found.unwrap_or(offset)))
    }
}

struct Body {
    text: String,
    warnings: Vec<Diagnostic>,
}

/// An inline prompt is the body; `file://PATH` (relative to the agent file, as Kiro reads it)
/// becomes an include the prompt crate resolves from the library root.
fn prompt_body(
    path: &Path,
    object: &Map<String, Value>,
    locate: &Locator<'_>,
) -> (Body, &'static str) {
    let line = locate.key(&["prompt"]);
    let mut warnings = Vec::new();
    let prompt = match object.get("prompt") {
        Some(Value::String(prompt)) => prompt.clone(),
        None | Some(Value::Null) => {
            warnings.push(
                Diagnostic::warning(
                    path,
                    None,
                    "no `prompt`: the persona has an empty system prompt",
                )
                .with_hint(
                    "add `\"prompt\": \"You are …\"` or `\"prompt\": \"file://./my-prompt.md\"`",
                ),
            );
            return (
                Body {
                    text: String::new(),
                    warnings,
                },
                "no `prompt`",
            );
        }
        Some(_) => {
            warnings.push(Diagnostic::warning(
                path,
                line,
                "`prompt` is not a string; ignored",
            ));
            return (
                Body {
                    text: String::new(),
                    warnings,
                },
                "no usable `prompt`",
            );
        }
    };
    let Some(target) = prompt.strip_prefix("file://") else {
        let mut text = prompt;
        if !text.ends_with('\n') {
            text.push('\n');
        }
        return (Body { text, warnings }, "`prompt` (inline)");
    };
    match library_relative(path, target) {
        Some(include) => (
            Body {
                text: format!("{{{{include:{include}}}}}\n"),
                warnings,
            },
            "`prompt` file:// (an include)",
        ),
        None => {
            warnings.push(
                Diagnostic::warning(
                    path,
                    line,
                    format!("`prompt` names `{prompt}` outside the persona library; the persona has an empty system prompt"),
                )
                .with_hint("copy the prompt file into the library (e.g. next to this file) and name it relatively, e.g. `file://./prompt.md`"),
            );
            (
                Body {
                    text: String::new(),
                    warnings,
                },
                "no usable `prompt`",
            )
        }
    }
}

/// `./x.md` relative to the directory of `path` (itself relative to the library root), as a
/// library-relative path; `None` for absolute, `~` or escaping paths.
fn library_relative(path: &Path, target: &str) -> Option<String> {
    if target.starts_with('/') || target.starts_with('~') {
        return None;
    }
    let joined = path.parent().unwrap_or(Path::new("")).join(target);
    let mut parts: Vec<String> = Vec::new();
    for component in joined.components() {
        match component {
            Component::Normal(part) => parts.push(part.to_string_lossy().into_owned()),
            Component::CurDir => {}
            Component::ParentDir => {
                parts.pop()?;
            }
            Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    (!parts.is_empty()).then(|| parts.join("/"))
}

fn string_list(
    path: &Path,
    value: &Value,
    line: Option<usize>,
    key: &str,
    errors: &mut Vec<Diagnostic>,
) -> Vec<String> {
    match value {
        Value::Array(items) => {
            let mut strings = Vec::new();
            for item in items {
                match item.as_str() {
                    Some(text) => strings.push(text.to_owned()),
                    None => errors.push(wrong_type(path, line, key, "a list of strings")),
                }
            }
            strings
        }
        Value::Null => Vec::new(),
        _ => {
            errors.push(wrong_type(path, line, key, "a list of strings"));
            Vec::new()
        }
    }
}

fn set_permissions(
    persona: &mut Persona,
    object: &Map<String, Value>,
    locate: &Locator<'_>,
    errors: &mut Vec<Diagnostic>,
) {
    let path = persona.source.clone();
    let Some(tools_value) = object.get("tools") else {
        record_default_permissions(persona);
        if object.contains_key("toolsSettings") {
            persona.warnings.push(Diagnostic::warning(
                &path,
                locate.key(&["toolsSettings"]),
                "`toolsSettings` without `tools`: the persona gets the read-only default and these settings are unused",
            ).with_hint("list the tools it may use under `tools`"));
        }
        return;
    };
    let names = string_list(&path, tools_value, locate.key(&["tools"]), "tools", errors);
    // Kiro asks the user before a tool that `allowedTools` does not trust: an MCP tool listed
    // only in `tools` maps to an `approve` rule (a human decides each call), one also in
    // `allowedTools` to `allow`.
    let trusted: Vec<String> = match object.get("allowedTools") {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .filter_map(kiro_mcp_pattern)
            .collect(),
        _ => Vec::new(),
    };
    let mut mcp_approve: Vec<String> = Vec::new();
    let mut granted: Vec<ToolName> = Vec::new();
    let mut grant = |tools: &[ToolName]| {
        for tool in tools {
            if !granted.contains(tool) {
                granted.push(*tool);
            }
        }
    };
    for name in &names {
        let line = locate.value(&["tools"], name);
        if let Some((_, mapped)) = KIRO_TOOLS.iter().find(|(kiro, _)| kiro == name) {
            grant(mapped);
        } else if name == "*" || name == "@builtin" {
            grant(&[
                ToolName::FsRead,
                ToolName::FsList,
                ToolName::FsWrite,
                ToolName::ExecuteBash,
                ToolName::UseAws,
            ]);
        } else if let Some(pattern) = kiro_mcp_pattern(name) {
            let server = pattern.split(':').next().unwrap_or_default().to_owned();
            let some_trusted = trusted
                .iter()
                .any(|allowed| allowed.split(':').next() == Some(server.as_str()));
            if trusted.iter().any(|allowed| allowed == &pattern) {
                // Trusted as it stands: an allow rule.
            } else if pattern.ends_with(":*") && some_trusted {
                // agentctl's order is deny > approve > allow, so `SERVER:*` behind an approve
                // rule would also stop the tools Kiro trusts. Keep the trusted ones; the rest
                // are denied (deny by default) and the user is told how to ask for a human.
                persona.warnings.push(
                    Diagnostic::warning(
                        &path,
                        line,
                        format!("tools of MCP server `{server}` that `allowedTools` does not trust are denied (Kiro would ask first)"),
                    )
                    .with_hint(format!("to have a human approve them instead, list them under `mcp.approve` (e.g. `{server}:git_commit`) in a `[personas.NAME.mcp]` overlay")),
                );
            } else {
                mcp_approve.push(pattern);
            }
        } else if UNMAPPED_KIRO_TOOLS.contains(&name.as_str()) {
            persona.warnings.push(
                Diagnostic::warning(
                    &path,
                    line,
                    format!("Kiro tool `{name}` has no agentctl counterpart and is left out"),
                )
                .with_hint("agentctl's tools are fs_read, fs_list, fs_write, execute_bash, use_aws (plus handoff and gate_report)"),
            );
        } else {
            persona.warnings.push(
                Diagnostic::warning(&path, line, format!("unknown Kiro tool `{name}` is left out"))
                    .with_hint("the tools agentctl maps are fs_read, fs_write, execute_bash, use_aws, `*` and `@builtin`"),
            );
        }
    }
    granted.sort();
    persona.permissions_declared = true;
    persona.permissions = Permissions {
        tools: granted.clone(),
        read: vec!["**".to_owned()],
        mcp: agentctl_protocol::McpRules {
            allow: trusted,
            approve: mcp_approve,
            ..agentctl_protocol::McpRules::default()
        },
        ..Permissions::default()
    };
    record(
        persona,
        "permissions.tools",
        locate.key(&["tools"]),
        "Kiro `tools`, mapped",
    );
    for key in ["read", "write", "deny", "commands", "aws"] {
        record(
            persona,
            &format!("permissions.{key}"),
            None,
            if key == "read" {
                "default: ** when permissions are declared without `read`"
            } else {
                "default: empty when permissions are declared without it"
            },
        );
    }
    if let Some(allowed) = object.get("allowedTools") {
        let line = locate.key(&["allowedTools"]);
        let names = string_list(&path, allowed, line, "allowedTools", errors);
        if !names.is_empty() {
            let list = names.iter().map(|n| Value::String(n.clone())).collect();
            set_metadata(persona, "allowed_tools", Value::Array(list), line, HOW);
            persona.warnings.push(
                Diagnostic::warning(
                    &path,
                    line,
                    "`allowedTools` (trusted without asking) has no counterpart: agentctl checks every call against the persona's rules",
                )
                .with_hint("kept as metadata.allowed_tools; what `toolsSettings` allows is allowed, the rest denied"),
            );
        }
    }
    if let Some(settings) = object.get("toolsSettings") {
        match settings {
            Value::Object(settings) => apply_settings(persona, settings, locate, errors),
            _ => errors.push(wrong_type(
                &path,
                locate.key(&["toolsSettings"]),
                "toolsSettings",
                "an object",
            )),
        }
    }
    let line = locate.key(&["tools"]);
    warn_empty_scopes(persona, &granted, line);
}

fn apply_settings(
    persona: &mut Persona,
    settings: &Map<String, Value>,
    locate: &Locator<'_>,
    errors: &mut Vec<Diagnostic>,
) {
    let path = persona.source.clone();
    for (tool, value) in settings {
        let tool_line = locate.key(&["toolsSettings", tool]);
        let Value::Object(options) = value else {
            errors.push(wrong_type(&path, tool_line, tool, "an object"));
            continue;
        };
        for (option, value) in options {
            let keys = ["toolsSettings", tool.as_str(), option.as_str()];
            let line = locate.key(&keys);
            let list =
                |errors: &mut Vec<Diagnostic>| string_list(&path, value, line, option, errors);
            let how = format!("Kiro `toolsSettings.{tool}.{option}`");
            match (tool.as_str(), option.as_str()) {
                ("fs_read", "allowedPaths") => {
                    let paths = paths(persona, list(errors), &keys, locate);
                    persona.permissions.read = paths;
                    record(persona, "permissions.read", line, &how);
                }
                ("fs_write", "allowedPaths") => {
                    let paths = paths(persona, list(errors), &keys, locate);
                    persona.permissions.write = paths;
                    record(persona, "permissions.write", line, &how);
                }
                ("fs_read" | "fs_write", "deniedPaths") => {
                    let paths = paths(persona, list(errors), &keys, locate);
                    for denied in paths {
                        if !persona.permissions.deny.contains(&denied) {
                            persona.permissions.deny.push(denied);
                        }
                    }
                    record(persona, "permissions.deny", line, &how);
                }
                ("execute_bash" | "execute_cmd", "allowedCommands" | "deniedCommands") => {
                    let globs = commands(persona, list(errors), &keys, locate);
                    if option == "allowedCommands" {
                        persona.permissions.commands.allow.extend(globs);
                    } else {
                        persona.permissions.commands.deny.extend(globs);
                    }
                    let field = if option == "allowedCommands" { "allow" } else { "deny" };
                    record(persona, &format!("permissions.commands.{field}"), line, &how);
                }
                ("use_aws", "allowedServices" | "deniedServices") => {
                    let rules: Vec<String> = list(errors)
                        .into_iter()
                        .map(|service| format!("{}:*", service.trim()))
                        .collect();
                    if option == "allowedServices" {
                        persona.permissions.aws.allow.extend(rules);
                    } else {
                        persona.permissions.aws.deny.extend(rules);
                    }
                    let field = if option == "allowedServices" { "allow" } else { "deny" };
                    record(persona, &format!("permissions.aws.{field}"), line, &how);
                }
                (_, "denyByDefault") => {}
                (_, "autoAllowReadonly") if value == &Value::Bool(false) => {}
                _ => persona.warnings.push(
                    Diagnostic::warning(
                        &path,
                        line,
                        format!("`toolsSettings.{tool}.{option}` has no agentctl counterpart; ignored"),
                    )
                    .with_hint("agentctl allows only what is listed (allowedPaths, allowedCommands, allowedServices) and denies the rest"),
                ),
            }
        }
    }
}

/// Kiro paths → workspace-relative globs; `./` dropped; absolute and `~` paths warned about.
fn paths(
    persona: &mut Persona,
    items: Vec<String>,
    keys: &[&str],
    locate: &Locator<'_>,
) -> Vec<String> {
    let mut globs = Vec::new();
    for item in items {
        let trimmed = item.trim().trim_start_matches("./");
        let escapes = trimmed.split('/').any(|part| part == "..");
        if trimmed.starts_with('/') || trimmed.starts_with('~') || escapes {
            persona.warnings.push(
                Diagnostic::warning(
                    &persona.source,
                    locate.value(keys, &item),
                    format!("path `{item}` is outside the workspace; agentctl rules are relative to the workspace, so it is left out"),
                )
                .with_hint("name the path relative to the project root"),
            );
            continue;
        }
        if !trimmed.is_empty() {
            globs.push(trimmed.to_owned());
        }
    }
    globs
}

fn commands(
    persona: &mut Persona,
    items: Vec<String>,
    keys: &[&str],
    locate: &Locator<'_>,
) -> Vec<String> {
    let mut globs = Vec::new();
    for item in items {
        match regex_to_glob(&item) {
            Some(glob) => globs.push(glob),
            None => persona.warnings.push(
                Diagnostic::warning(
                    &persona.source,
                    locate.value(keys, &item),
                    format!("command pattern `{item}` uses regular-expression syntax agentctl patterns cannot express; left out"),
                )
                .with_hint("agentctl command patterns are globs: `*` matches any text, e.g. `cargo test*`"),
            ),
        }
    }
    globs
}

/// Kiro command patterns are anchored regular expressions. The common ones — literal text with
/// `.*` — become globs (`cargo test.*` → `cargo test*`); anything else is refused, never guessed.
pub(crate) fn regex_to_glob(pattern: &str) -> Option<String> {
    let pattern = pattern.strip_prefix('^').unwrap_or(pattern);
    let pattern = pattern.strip_suffix('$').unwrap_or(pattern);
    let mut glob = String::new();
    let mut characters = pattern.chars().peekable();
    while let Some(character) = characters.next() {
        match character {
            '.' if characters.peek() == Some(&'*') => {
                characters.next();
                glob.push('*');
            }
            '\\' => {
                let escaped = characters.next()?;
                if escaped.is_alphanumeric() {
                    return None; // `\s`, `\d`: classes, not literals
                }
                if escaped == '*' || escaped == '?' || escaped == '[' {
                    return None; // a literal glob character cannot be written as a glob
                }
                glob.push(escaped);
            }
            '.' | '*' | '+' | '?' | '(' | ')' | '[' | ']' | '{' | '}' | '|' | '^' | '$' => {
                return None
            }
            other => glob.push(other),
        }
    }
    (!glob.is_empty()).then_some(glob)
}

fn set_resources(
    persona: &mut Persona,
    object: &Map<String, Value>,
    locate: &Locator<'_>,
    errors: &mut Vec<Diagnostic>,
) {
    let Some(value) = object.get("resources") else {
        return;
    };
    let path = persona.source.clone();
    let line = locate.key(&["resources"]);
    for resource in string_list(&path, value, line, "resources", errors) {
        let resource_line = locate.value(&["resources"], &resource);
        let Some(file) = resource.strip_prefix("file://") else {
            persona.warnings.push(
                Diagnostic::warning(
                    &path,
                    resource_line,
                    format!("resource `{resource}` is not a `file://` path; left out"),
                )
                .with_hint("only `file://` resources become context files"),
            );
            continue;
        };
        let file = file.trim_start_matches("./");
        if file.starts_with('/')
            || file.starts_with('~')
            || file.split('/').any(|part| part == "..")
        {
            persona.warnings.push(
                Diagnostic::warning(
                    &path,
                    resource_line,
                    format!("resource `{resource}` is outside the project; left out"),
                )
                .with_hint("name resources relative to the project root, e.g. `file://README.md`"),
            );
            continue;
        }
        if file.contains(['*', '?', '[']) {
            persona.warnings.push(
                Diagnostic::warning(
                    &path,
                    resource_line,
                    format!("resource `{resource}` is a glob; agentctl context entries name one file each, so it is left out"),
                )
                .with_hint("list the files one by one"),
            );
            continue;
        }
        // Kiro reads resources from the project (the workspace) and skips missing ones.
        persona.context.push(ContextRef {
            path: format!("/branch/{file}"),
            optional: true,
            note: None,
        });
    }
    record(
        persona,
        "context",
        line,
        "Kiro `resources` (file://, from the workspace, optional)",
    );
}

/// `@server` → `server:*`, `@server/tool` → `server:tool`; anything else is not an MCP tool.
fn kiro_mcp_pattern(name: &str) -> Option<String> {
    let rest = name.strip_prefix('@')?;
    if rest == "builtin" || rest.is_empty() {
        return None;
    }
    Some(match rest.split_once('/') {
        Some((server, tool)) => format!("{server}:{tool}"),
        None => format!("{rest}:*"),
    })
}

fn set_mcp_servers(
    persona: &mut Persona,
    object: &Map<String, Value>,
    locate: &Locator<'_>,
    errors: &mut Vec<Diagnostic>,
) {
    let Some(value) = object.get("mcpServers") else {
        return;
    };
    let path = persona.source.clone();
    let Value::Object(servers) = value else {
        errors.push(wrong_type(
            &path,
            locate.key(&["mcpServers"]),
            "mcpServers",
            "an object",
        ));
        return;
    };
    for (name, server) in servers {
        let line = locate.key(&["mcpServers", name]);
        match serde_json::from_value::<McpServer>(server.clone()) {
            Ok(server) => {
                persona.mcp_servers.insert(name.clone(), server);
            }
            Err(error) => errors.push(
                Diagnostic::error(&path, line, format!("MCP server `{name}`: {error}")).with_hint(
                    "a server has `command`, `args`, `env` (or `url`), `timeout` and `disabled`",
                ),
            ),
        }
    }
    record(persona, "mcp_servers", locate.key(&["mcpServers"]), HOW);
}

/// `hooks`, `toolAliases` and unknown keys: kept as metadata, with a warning.
fn keep_the_rest(persona: &mut Persona, object: &Map<String, Value>, locate: &Locator<'_>) {
    let path = persona.source.clone();
    for (key, value) in object {
        let line = locate.key(&[key]);
        let is_empty = match value {
            Value::Object(map) => map.is_empty(),
            Value::Array(items) => items.is_empty(),
            Value::Null => true,
            _ => false,
        };
        let message = match key.as_str() {
            "hooks" if !is_empty => {
                "`hooks` run commands agentctl's policy never sees; they are not run".to_owned()
            }
            "toolAliases" if !is_empty => {
                "`toolAliases` has no agentctl counterpart; the tools keep their names".to_owned()
            }
            "useLegacyMcpJson" if value == &Value::Bool(true) => {
                "`useLegacyMcpJson`: agentctl does not read Kiro's global MCP file; declare those servers in agentctl.toml [mcp.servers]"
                    .to_owned()
            }
            known if KNOWN_KEYS.contains(&known) || known == "useLegacyMcpJson" => continue,
            _ => format!("Kiro key `{key}` has no agentctl counterpart; kept as metadata only"),
        };
        set_metadata(persona, key, value.clone(), line, HOW);
        persona
            .warnings
            .push(Diagnostic::warning(&path, line, message));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_json_object_looks_like_a_kiro_agent() {
        assert!(looks_like("\u{feff}  {\n  \"name\": \"x\"}"));
        assert!(looks_like("{}"));
        assert!(!looks_like("{{include:contexts/role.md}}\n# Role: QA\n"));
        assert!(!looks_like("# Role: QA\n{\"a\": 1}"));
    }

    #[test]
    fn simple_regular_expressions_become_globs() {
        assert_eq!(regex_to_glob("git status").as_deref(), Some("git status"));
        assert_eq!(
            regex_to_glob("cargo test.*").as_deref(),
            Some("cargo test*")
        );
        assert_eq!(
            regex_to_glob("^npm run lint$").as_deref(),
            Some("npm run lint")
        );
        assert_eq!(regex_to_glob(r"ls \-la").as_deref(), Some("ls -la"));
        assert_eq!(regex_to_glob("git (status|diff)"), None);
        assert_eq!(regex_to_glob(r"rm\s+.*"), None);
        assert_eq!(regex_to_glob("make ."), None);
    }

    #[test]
    fn paths_outside_the_workspace_are_left_out() {
        let text = "{\"tools\": [\"fs_write\"], \"toolsSettings\": {\"fs_write\": {\"allowedPaths\": [\"./out/**\", \"../secrets/**\", \"/etc/**\", \"~/.aws/**\"]}}}";
        let persona = parse(Path::new("personas/w.json"), text).unwrap();
        assert_eq!(persona.permissions.write, vec!["out/**".to_owned()]);
        let outside = persona
            .warnings
            .iter()
            .filter(|warning| warning.message.contains("is outside the workspace"))
            .count();
        assert_eq!(outside, 3, "{:?}", persona.warnings);
    }

    #[test]
    fn prompt_files_resolve_from_the_agent_file() {
        let path = Path::new("personas/kiro/reviewer.json");
        assert_eq!(
            library_relative(path, "./prompts/reviewer.md").as_deref(),
            Some("personas/kiro/prompts/reviewer.md")
        );
        assert_eq!(
            library_relative(path, "../../contexts/x.md").as_deref(),
            Some("contexts/x.md")
        );
        assert_eq!(library_relative(path, "/etc/passwd"), None);
        assert_eq!(library_relative(path, "../../../x.md"), None);
    }

    #[test]
    fn lines_are_found_in_the_text() {
        let text = "{\n  \"name\": \"a\",\n  \"toolsSettings\": {\n    \"fs_write\": {\n      \"allowedPaths\": [\n        \"src/**\"\n      ]\n    }\n  }\n}\n";
        let locate = Locator { text };
        assert_eq!(locate.key(&["name"]), Some(2));
        assert_eq!(
            locate.key(&["toolsSettings", "fs_write", "allowedPaths"]),
            Some(5)
        );
        assert_eq!(
            locate.value(&["toolsSettings", "fs_write", "allowedPaths"], "src/**"),
            Some(6)
        );
    }
}
