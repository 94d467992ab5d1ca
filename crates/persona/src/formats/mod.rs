//! One parser per persona style, each `parse(path, text) -> Result<Persona, Vec<Diagnostic>>`,
//! and the helpers they share (origins, context references, gates, tool names).
//!
//! Does not know about: which style a file is in (see `detect`), other files, overlays or
//! handoff resolution (the library does those after parsing).

pub mod agent;
pub mod canonical;
pub mod claude_agent;
pub mod kiro_agent;
pub mod render;
pub mod role_prompt;
pub mod role_sheet;
pub mod stage_command;
pub mod swarm;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use agentctl_protocol::{Diagnostic, Gate, Permissions, ToolName};

use crate::model::{ContextRef, Limits, Origin, Persona, PersonaKind, SandboxNeeds, SourceFormat};

/// A persona with nothing but its identity and body; every other field at its default.
pub(crate) fn new_persona(
    name: &str,
    kind: PersonaKind,
    format: SourceFormat,
    source: PathBuf,
    body: String,
    body_line: usize,
) -> Persona {
    Persona {
        name: name.to_owned(),
        kind,
        format,
        source,
        description: None,
        role: None,
        prefix: None,
        stages: Vec::new(),
        model: None,
        permissions: Permissions::default(),
        permissions_declared: false,
        handoffs: Vec::new(),
        context: Vec::new(),
        reports: Vec::new(),
        limits: Limits::default(),
        sandbox: SandboxNeeds::default(),
        command: None,
        body,
        body_line,
        metadata: BTreeMap::new(),
        origins: BTreeMap::new(),
        mcp_servers: BTreeMap::new(),
        warnings: Vec::new(),
    }
}

/// Records where `field` came from, in the persona's own file.
pub(crate) fn record(persona: &mut Persona, field: &str, line: Option<usize>, how: &str) {
    persona.origins.insert(
        field.to_owned(),
        Origin {
            path: persona.source.clone(),
            line,
            how: how.to_owned(),
        },
    );
}

/// Records the origin of the safe default permissions.
pub(crate) fn record_default_permissions(persona: &mut Persona) {
    record(
        persona,
        "permissions",
        None,
        "default: read-only (fs_read, fs_list over **), nothing declared",
    );
}

/// Sets a metadata list and its origin.
pub(crate) fn set_metadata_list(
    persona: &mut Persona,
    key: &str,
    items: Vec<String>,
    line: Option<usize>,
    how: &str,
) {
    if items.is_empty() {
        return;
    }
    let values = items.into_iter().map(serde_json::Value::String).collect();
    persona
        .metadata
        .insert(key.to_owned(), serde_json::Value::Array(values));
    record(persona, &format!("metadata.{key}"), line, how);
}

/// Sets a metadata value and its origin.
pub(crate) fn set_metadata(
    persona: &mut Persona,
    key: &str,
    value: serde_json::Value,
    line: Option<usize>,
    how: &str,
) {
    persona.metadata.insert(key.to_owned(), value);
    record(persona, &format!("metadata.{key}"), line, how);
}

/// Front-matter data kept as metadata: the common ecosystem keys and the `metadata:` map.
/// Shared by the styles that have YAML front matter.
pub(crate) struct ExtraMetadata {
    pub(crate) color: Option<serde_json::Value>,
    pub(crate) version: Option<serde_json::Value>,
    pub(crate) author: Option<serde_json::Value>,
    pub(crate) license: Option<serde_json::Value>,
    pub(crate) metadata: Option<BTreeMap<String, serde_json::Value>>,
}

impl ExtraMetadata {
    pub(crate) fn apply(
        self,
        persona: &mut Persona,
        front_matter: &crate::front_matter::FrontMatter<'_>,
    ) {
        let scalars = [
            ("color", self.color),
            ("version", self.version),
            ("author", self.author),
            ("license", self.license),
        ];
        for (key, value) in scalars {
            if let Some(value) = value {
                let value = crate::front_matter::metadata_value(value);
                set_metadata(
                    persona,
                    key,
                    value,
                    front_matter.key_line(key),
                    "front matter",
                );
            }
        }
        for (key, value) in self.metadata.unwrap_or_default() {
            let line = front_matter.value_line("metadata", &key);
            set_metadata(
                persona,
                &key,
                crate::front_matter::metadata_value(value),
                line,
                "front matter `metadata`",
            );
        }
    }
}

/// Whether a token names a file: it has a `/` or ends in a short extension.
pub(crate) fn looks_like_path(token: &str) -> bool {
    if token.contains('/') {
        return true;
    }
    match token.rsplit_once('.') {
        Some((stem, extension)) => {
            !stem.is_empty()
                && (1..=8).contains(&extension.len())
                && extension.chars().all(|c| c.is_ascii_alphanumeric())
        }
        None => false,
    }
}

fn is_optional_note(note: &str) -> bool {
    let note = note.to_lowercase();
    note.contains("if exists") || note.contains("optional")
}

/// `path`, `path (if exists)`, `path (optional)` or `path (any note)` → a context reference.
/// The path is the first word; paths with spaces are not supported.
pub(crate) fn context_ref_from_text(text: &str) -> ContextRef {
    let text = text.trim();
    let split_at = text
        .find(|c: char| c.is_whitespace() || c == '(')
        .unwrap_or(text.len());
    let path = text[..split_at].trim().to_owned();
    let rest = text[split_at..].trim();
    if rest.is_empty() {
        return ContextRef {
            path,
            optional: false,
            note: None,
        };
    }
    let inner = rest
        .strip_prefix('(')
        .and_then(|inner| inner.strip_suffix(')'))
        .map(str::trim);
    let exact_marker = inner.is_some_and(|inner| {
        inner.eq_ignore_ascii_case("if exists") || inner.eq_ignore_ascii_case("optional")
    });
    ContextRef {
        path,
        optional: is_optional_note(rest),
        note: (!exact_marker).then(|| rest.to_owned()),
    }
}

/// The tools a persona may list in `tools` (the derived ones are granted by other fields).
pub(crate) fn grantable_tools() -> String {
    ToolName::ALL
        .iter()
        .filter(|tool| !tool.is_derived())
        .map(|tool| tool.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Parses tool names, reporting each unknown or derived one at `line_of(name)`.
pub(crate) fn parse_tools(
    path: &Path,
    names: &[String],
    line_of: impl Fn(&str) -> Option<usize>,
) -> (Vec<ToolName>, Vec<Diagnostic>) {
    let mut tools = Vec::new();
    let mut diagnostics = Vec::new();
    for name in names {
        match name.parse::<ToolName>() {
            Ok(tool) if tool.is_derived() => {
                let granted_by = if tool == ToolName::Handoff {
                    "`handoffs`"
                } else {
                    "`reports`"
                };
                diagnostics.push(
                    Diagnostic::error(
                        path,
                        line_of(name),
                        format!("`{tool}` cannot be listed in `tools`"),
                    )
                    .with_hint(format!(
                        "remove it: `{tool}` is offered when {granted_by} is not empty"
                    )),
                );
            }
            Ok(tool) => {
                if !tools.contains(&tool) {
                    tools.push(tool);
                }
            }
            Err(_) => diagnostics.push(
                Diagnostic::error(path, line_of(name), format!("unknown tool `{name}`"))
                    .with_hint(format!("valid tools are {}", grantable_tools())),
            ),
        }
    }
    (tools, diagnostics)
}

/// Parses gate names such as `S09`, reporting each bad one at `line_of(text)`.
pub(crate) fn parse_gates(
    path: &Path,
    field: &str,
    texts: &[String],
    line_of: impl Fn(&str) -> Option<usize>,
) -> (Vec<Gate>, Vec<Diagnostic>) {
    let mut gates = Vec::new();
    let mut diagnostics = Vec::new();
    for text in texts {
        match text.parse::<Gate>() {
            Ok(gate) => gates.push(gate),
            Err(error) => diagnostics.push(
                Diagnostic::error(path, line_of(text), format!("`{field}`: {error}"))
                    .with_hint("write gates as S01 … S10, e.g. `[S09, S10]`"),
            ),
        }
    }
    gates.sort();
    gates.dedup();
    (gates, diagnostics)
}

/// Names are used on the command line and in file names: letters, digits, `.`, `_`, `-`.
pub(crate) fn check_name(path: &Path, name: &str, line: Option<usize>) -> Option<Diagnostic> {
    let valid = name
        .chars()
        .next()
        .is_some_and(|first| first.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    (!valid).then(|| {
        Diagnostic::error(
            path,
            line,
            format!("persona name `{name}` is not a valid name"),
        )
        .with_hint(format!(
            "use letters, digits, `.`, `_` and `-`, e.g. `{}`",
            crate::markdown::slugify(name)
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn context_references() {
        let reference = context_ref_from_text("AGENTS.md (if exists)");
        assert_eq!(reference.path, "AGENTS.md");
        assert!(reference.optional);
        assert_eq!(reference.note, None);

        let reference = context_ref_from_text("agents/memory/PROJECT_STATE.md (gate status)");
        assert_eq!(reference.path, "agents/memory/PROJECT_STATE.md");
        assert!(!reference.optional);
        assert_eq!(reference.note.as_deref(), Some("(gate status)"));

        let reference = context_ref_from_text("contexts/technical_context.md");
        assert!(!reference.optional);
        assert_eq!(reference.note, None);
    }

    #[test]
    fn path_detection() {
        assert!(looks_like_path("AGENTS.md"));
        assert!(looks_like_path("agents/memory"));
        assert!(!looks_like_path("Current"));
        assert!(!looks_like_path(".env"));
    }

    #[test]
    fn unknown_and_derived_tools_are_reported() {
        let names = vec![
            "fs_read".to_owned(),
            "fs_raed".to_owned(),
            "handoff".to_owned(),
        ];
        let (tools, diagnostics) = parse_tools(Path::new("p.md"), &names, |_| Some(4));
        assert_eq!(tools, vec![ToolName::FsRead]);
        assert_eq!(diagnostics.len(), 2);
        assert_eq!(diagnostics[0].message, "unknown tool `fs_raed`");
        assert_eq!(
            diagnostics[0].hint.as_deref(),
            Some("valid tools are fs_read, fs_list, fs_write, execute_bash, use_aws")
        );
        assert!(diagnostics[1]
            .message
            .contains("`handoff` cannot be listed"));
    }
}
