//! The stage command style (seed 001): front matter with `params`, a `## Active Role: X` line
//! naming the persona that runs it, and a body of instructions.
//!
//! A parameter value makes a run a production run (needing S08) when front matter says so
//! (`production_when: { env: production }`) or when the body writes `--PARAM=VALUE` on a line
//! that mentions a checkpoint, approval or extra validation, or that has such a line indented
//! under it.
//!
//! Does not know about: which persona the active role is (the library resolves it) or the
//! command's permissions, which come from that persona at run time.

use std::collections::BTreeMap;
use std::path::Path;

use agentctl_protocol::Diagnostic;
use serde::Deserialize;

use crate::formats::{
    check_name, context_ref_from_text, new_persona, parse_gates, record, set_metadata_list,
    ExtraMetadata,
};
use crate::front_matter::{self, metadata_value, Split, StringList, ECOSYSTEM_KEYS};
use crate::markdown::{self, Line};
use crate::model::{CommandSpec, Param, Persona, PersonaKind, SourceFormat};

const KEYS: [&str; 7] = [
    "name",
    "description",
    "params",
    "production_when",
    "model",
    "stages",
    "context",
];

/// Keys that belong on the persona a command runs as, not on the command.
const PERSONA_ONLY_KEYS: [&str; 10] = [
    "tools", "read", "write", "deny", "commands", "aws", "handoffs", "reports", "limits", "prefix",
];

const HOW: &str = "front matter";

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Fields {
    name: Option<String>,
    description: Option<String>,
    params: Vec<RawParam>,
    production_when: BTreeMap<String, serde_json::Value>,
    model: Option<String>,
    stages: Option<StringList>,
    context: Option<StringList>,
    metadata: Option<BTreeMap<String, serde_json::Value>>,
    color: Option<serde_json::Value>,
    version: Option<serde_json::Value>,
    author: Option<serde_json::Value>,
    license: Option<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawParam {
    name: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    required: bool,
    #[serde(default)]
    default: Option<serde_json::Value>,
}

/// Parses a stage command.
pub fn parse(path: &Path, text: &str) -> Result<Persona, Vec<Diagnostic>> {
    let front_matter = match front_matter::split(text) {
        Split::Present(front_matter) => front_matter,
        Split::Unclosed => return Err(vec![front_matter::unclosed(path)]),
        Split::Absent => {
            return Err(vec![Diagnostic::error(
                path,
                Some(1),
                "a stage command needs YAML front matter starting with `---` on line 1",
            )
            .with_hint("start the file with `---`, `name: my-command`, `---`")])
        }
    };
    let mapping = front_matter.mapping(path).map_err(|error| vec![error])?;
    let mut diagnostics = Vec::new();
    for key in PERSONA_ONLY_KEYS {
        if mapping.contains_key(key) {
            diagnostics.push(
                Diagnostic::error(
                    path,
                    front_matter.key_line(key),
                    format!("`{key}` cannot be set on a stage command"),
                )
                .with_hint("a stage command runs as its active role; set it on that persona or in its `[personas.NAME]` overlay"),
            );
        }
    }
    let known: Vec<&str> = KEYS
        .iter()
        .chain(&ECOSYSTEM_KEYS)
        .chain(&PERSONA_ONLY_KEYS)
        .copied()
        .collect();
    diagnostics.extend(front_matter.unknown_keys(path, &mapping, &known));
    let fields: Fields = match front_matter.deserialize(path) {
        Ok(fields) => fields,
        Err(error) => {
            diagnostics.push(error);
            return Err(diagnostics);
        }
    };
    let body_lines = markdown::lines(front_matter.body, front_matter.body_line);
    let line = |key: &str| front_matter.key_line(key);

    let (name, name_line, name_how) = match &fields.name {
        Some(name) => (name.trim().to_owned(), line("name"), HOW),
        None => match markdown::first_title(&body_lines) {
            Some((title, title_line)) => (
                markdown::name_from_title(&title),
                Some(title_line),
                "heading",
            ),
            None => {
                diagnostics.push(
                    Diagnostic::error(path, Some(1), "stage command has no `name`")
                        .with_hint("add `name: my-command` to the front matter"),
                );
                return Err(diagnostics);
            }
        },
    };
    diagnostics.extend(check_name(path, &name, name_line));
    let mut persona = new_persona(
        &name,
        PersonaKind::Command,
        SourceFormat::StageCommand,
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
    record(
        &mut persona,
        "permissions",
        None,
        "a stage command runs with its active role's permissions",
    );
    if let Some(description) = fields.description {
        persona.description = Some(description.trim().to_owned());
        record(&mut persona, "description", line("description"), HOW);
    }
    if let Some(model) = fields.model {
        persona.model = Some(model);
        record(&mut persona, "model", line("model"), HOW);
    }
    if let Some(stages) = fields.stages {
        let (gates, problems) = parse_gates(path, "stages", &stages.into_vec(), |text| {
            front_matter.value_line("stages", text)
        });
        persona.stages = gates;
        diagnostics.extend(problems);
        record(&mut persona, "stages", line("stages"), HOW);
    }
    if let Some(context) = fields.context {
        persona.context = context
            .into_vec()
            .iter()
            .map(|entry| context_ref_from_text(entry))
            .collect();
        record(&mut persona, "context", line("context"), HOW);
    }

    let params = params(path, &front_matter, fields.params, &mut diagnostics);
    if !params.is_empty() {
        record(&mut persona, "command.params", line("params"), HOW);
    }
    let active_role = active_role(&body_lines);
    if let Some((_, role_line)) = &active_role {
        record(
            &mut persona,
            "command.active_role",
            Some(*role_line),
            "`## Active Role:` heading",
        );
    }
    let mut production_when: Vec<(String, String)> = fields
        .production_when
        .into_iter()
        .map(|(key, value)| (key, scalar_text(value)))
        .collect();
    if !production_when.is_empty() {
        record(
            &mut persona,
            "command.production_when",
            line("production_when"),
            HOW,
        );
    } else {
        let found = production_flags(&body_lines, &params);
        if let Some((_, _, flag_line)) = found.first() {
            record(
                &mut persona,
                "command.production_when",
                Some(*flag_line),
                "`--PARAM=VALUE` beside a checkpoint or approval marker",
            );
        }
        production_when = found
            .into_iter()
            .map(|(key, value, _)| (key, value))
            .collect();
    }
    persona.command = Some(CommandSpec {
        params,
        active_role: active_role.map(|(role, _)| role),
        resolved_role: None,
        production_when,
    });

    let sections = markdown::sections(&body_lines);
    if let Some(section) = markdown::find_section(&sections, &["Exit Criteria"]) {
        let items = markdown::top_level_items(&section.lines)
            .into_iter()
            .map(|(_, text)| markdown::plain(&text))
            .collect();
        set_metadata_list(
            &mut persona,
            "exit_criteria",
            items,
            Some(section.line),
            "section `## Exit Criteria`",
        );
    }
    ExtraMetadata {
        color: fields.color,
        version: fields.version,
        author: fields.author,
        license: fields.license,
        metadata: fields.metadata,
    }
    .apply(&mut persona, &front_matter);

    if diagnostics.is_empty() {
        Ok(persona)
    } else {
        Err(diagnostics)
    }
}

fn params(
    path: &Path,
    front_matter: &front_matter::FrontMatter<'_>,
    raw: Vec<RawParam>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<Param> {
    let mut params: Vec<Param> = Vec::new();
    for param in raw {
        if params.iter().any(|known| known.name == param.name) {
            diagnostics.push(
                Diagnostic::error(
                    path,
                    front_matter.value_line("params", &param.name),
                    format!("parameter `{}` is declared twice", param.name),
                )
                .with_hint("remove one of the two declarations"),
            );
            continue;
        }
        params.push(Param {
            name: param.name,
            description: param.description,
            required: param.required,
            default: param.default.map(scalar_text),
        });
    }
    params
}

fn scalar_text(value: serde_json::Value) -> String {
    match metadata_value(value) {
        serde_json::Value::String(text) => text,
        other => other.to_string(),
    }
}

/// `(role, line)` from a `## Active Role: X` heading (any level) or an `Active Role: X` line.
fn active_role(lines: &[Line<'_>]) -> Option<(String, usize)> {
    lines.iter().filter(|line| !line.in_fence).find_map(|line| {
        let text = match markdown::heading(line) {
            Some((_, title)) => title,
            None => markdown::plain(line.text),
        };
        let (label, value) = text.split_once(':')?;
        (label.trim().eq_ignore_ascii_case("active role") && !value.trim().is_empty())
            .then(|| (value.trim().to_owned(), line.number))
    })
}

fn mentions_production_gate(text: &str) -> bool {
    let lower = text.to_lowercase();
    text.contains("CHECKPOINT")
        || lower.contains("requires extra validation")
        || lower.contains("approval")
}

/// `--NAME=VALUE` flags written in `text`.
fn flags(text: &str) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("--") {
        rest = &rest[start + 2..];
        let name_length = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
            .unwrap_or(rest.len());
        let Some(after) = rest[name_length..].strip_prefix('=') else {
            continue;
        };
        let value_length = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')))
            .unwrap_or(after.len());
        if name_length > 0 && value_length > 0 {
            found.push((
                rest[..name_length].to_owned(),
                after[..value_length].to_owned(),
            ));
        }
        rest = &after[value_length..];
    }
    found
}

fn indent(text: &str) -> usize {
    text.len() - text.trim_start().len()
}

/// Flags that mark a production run: on a line with a checkpoint/approval marker, or with such
/// a line indented directly under it. Flags naming no declared parameter are ignored.
fn production_flags(lines: &[Line<'_>], params: &[Param]) -> Vec<(String, String, usize)> {
    let mut found: Vec<(String, String, usize)> = Vec::new();
    for (index, line) in lines.iter().enumerate() {
        if line.in_fence {
            continue;
        }
        let line_flags = flags(line.text);
        if line_flags.is_empty() {
            continue;
        }
        let next_is_marker = lines.get(index + 1).is_some_and(|next| {
            !next.in_fence
                && indent(next.text) > indent(line.text)
                && flags(next.text).is_empty()
                && mentions_production_gate(next.text)
        });
        if !(mentions_production_gate(line.text) || next_is_marker) {
            continue;
        }
        for (name, value) in line_flags {
            let declared = params.is_empty() || params.iter().any(|param| param.name == name);
            let seen = found.iter().any(|(n, v, _)| *n == name && *v == value);
            if declared && !seen {
                found.push((name, value, line.number));
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_are_read_from_text() {
        assert_eq!(
            flags("- `--env=production`: deploy (requires extra validation)"),
            vec![("env".to_owned(), "production".to_owned())]
        );
        assert_eq!(
            flags("--verbose and -- alone"),
            Vec::<(String, String)>::new()
        );
    }

    #[test]
    fn a_marker_on_the_next_indented_line_counts() {
        let text = "- `--env=staging` — plan\n- `--env=production` — plan\n  - **⏸️ CHECKPOINT: needs a human**\n";
        let lines = markdown::lines(text, 1);
        assert_eq!(
            production_flags(&lines, &[]),
            vec![("env".to_owned(), "production".to_owned(), 2)]
        );
    }

    #[test]
    fn declared_production_when_wins() {
        let text = "---\nname: ship\nparams:\n  - name: target\nproduction_when: { target: prod }\n---\n## Active Role: RM\n";
        let persona = parse(Path::new("prompts/ship.md"), text).unwrap();
        let command = persona.command.unwrap();
        assert_eq!(
            command.production_when,
            vec![("target".to_owned(), "prod".to_owned())]
        );
        assert_eq!(command.active_role.as_deref(), Some("RM"));
        assert_eq!(persona.origins["command.production_when"].line, Some(5));
    }

    #[test]
    fn persona_only_keys_are_rejected() {
        let text = "---\nname: ship\ntools: [fs_read]\n---\n## Active Role: RM\n";
        let diagnostics = parse(Path::new("prompts/ship.md"), text).unwrap_err();
        assert_eq!(diagnostics.len(), 1);
        assert_eq!(diagnostics[0].line, Some(3));
        assert_eq!(
            diagnostics[0].message,
            "`tools` cannot be set on a stage command"
        );
    }

    #[test]
    fn unknown_param_fields_are_located() {
        let text = "---\nname: ship\nparams:\n  - name: env\n    requird: true\n---\n";
        let diagnostics = parse(Path::new("prompts/ship.md"), text).unwrap_err();
        assert!(
            diagnostics[0].message.contains("requird"),
            "{:?}",
            diagnostics[0]
        );
        assert_eq!(diagnostics[0].line, Some(5));
    }
}
