//! The canonical style (SPEC §4): YAML front matter with agentctl's fields, body = prompt.
//! The agent style (seed 003) is the same shape with `capabilities`, `use_when`, `avoid_when`
//! and `tags`, so both go through `parse_front_matter_persona`; only `format` differs.
//!
//! Does not know about: other files (handoffs stay unresolved here) or overlays.

use std::collections::BTreeMap;
use std::path::Path;

use agentctl_protocol::{Diagnostic, Gate, McpRules, PatternRules, Permissions};
use serde::Deserialize;

use crate::formats::{
    check_name, context_ref_from_text, new_persona, parse_gates, parse_tools, record,
    record_default_permissions, set_metadata_list, ExtraMetadata,
};
use crate::front_matter::{self, FrontMatter, Split, StringList, ECOSYSTEM_KEYS};
use crate::markdown;
use crate::model::{Limits, McpServer, Persona, PersonaKind, SandboxNeeds, SourceFormat};
use crate::overlay::HandoffSpec;

/// Keys only the canonical style uses; their presence makes a file canonical.
pub(crate) const CANONICAL_ONLY_KEYS: [&str; 15] = [
    "role",
    "prefix",
    "stages",
    "read",
    "write",
    "deny",
    "commands",
    "aws",
    "mcp",
    "handoffs",
    "context",
    "reports",
    "limits",
    "mcp_servers",
    "sandbox",
];
/// Keys both styles use.
pub(crate) const SHARED_KEYS: [&str; 4] = ["name", "description", "model", "tools"];
/// Keys of the agent style, kept in `metadata`.
pub(crate) const AGENT_KEYS: [&str; 4] = ["capabilities", "use_when", "avoid_when", "tags"];

const HOW: &str = "front matter";

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Fields {
    name: Option<String>,
    description: Option<String>,
    role: Option<String>,
    prefix: Option<String>,
    stages: Option<StringList>,
    model: Option<String>,
    tools: Option<StringList>,
    read: Option<StringList>,
    write: Option<StringList>,
    deny: Option<StringList>,
    commands: Option<PatternRules>,
    aws: Option<PatternRules>,
    mcp: Option<McpRules>,
    handoffs: Option<Vec<HandoffSpec>>,
    context: Option<StringList>,
    reports: Option<StringList>,
    limits: Option<Limits>,
    mcp_servers: Option<BTreeMap<String, McpServer>>,
    sandbox: Option<SandboxNeeds>,
    capabilities: Option<StringList>,
    use_when: Option<StringList>,
    avoid_when: Option<StringList>,
    tags: Option<StringList>,
    metadata: Option<BTreeMap<String, serde_json::Value>>,
    color: Option<serde_json::Value>,
    version: Option<serde_json::Value>,
    author: Option<serde_json::Value>,
    license: Option<serde_json::Value>,
}

/// Parses a canonical persona.
pub fn parse(path: &Path, text: &str) -> Result<Persona, Vec<Diagnostic>> {
    parse_front_matter_persona(path, text, SourceFormat::Canonical)
}

/// Parses a front-matter persona, recording `format` as the style it was written in.
pub(crate) fn parse_front_matter_persona(
    path: &Path,
    text: &str,
    format: SourceFormat,
) -> Result<Persona, Vec<Diagnostic>> {
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
    let known: Vec<&str> = SHARED_KEYS
        .iter()
        .chain(&CANONICAL_ONLY_KEYS)
        .chain(&AGENT_KEYS)
        .chain(&ECOSYSTEM_KEYS)
        .copied()
        .collect();
    let mut diagnostics = front_matter.unknown_keys(path, &mapping, &known);
    let fields: Fields = match front_matter.deserialize(path) {
        Ok(fields) => fields,
        Err(error) => {
            diagnostics.push(error);
            return Err(diagnostics);
        }
    };
    match build(path, &front_matter, fields, format, &mut diagnostics) {
        Some(persona) if diagnostics.is_empty() => Ok(persona),
        _ => Err(diagnostics),
    }
}

fn build(
    path: &Path,
    front_matter: &FrontMatter<'_>,
    fields: Fields,
    format: SourceFormat,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<Persona> {
    let line = |key: &str| front_matter.key_line(key);
    let (name, name_line, name_how) = match fields.name {
        Some(name) => (name.trim().to_owned(), line("name"), HOW),
        None => {
            let body_lines = markdown::lines(front_matter.body, front_matter.body_line);
            let Some((title, title_line)) = markdown::first_title(&body_lines) else {
                diagnostics.push(
                    Diagnostic::error(path, Some(1), "front matter has no `name`")
                        .with_hint("add `name: my-persona` to the front matter"),
                );
                return None;
            };
            (
                markdown::name_from_title(&title),
                Some(title_line),
                "heading",
            )
        }
    };
    diagnostics.extend(check_name(path, &name, name_line));
    let mut persona = new_persona(
        &name,
        PersonaKind::Persona,
        format,
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

    if let Some(description) = fields.description {
        persona.description = Some(description.trim().to_owned());
        record(&mut persona, "description", line("description"), HOW);
    }
    if let Some(role) = fields.role {
        persona.role = Some(role);
        record(&mut persona, "role", line("role"), HOW);
    }
    if let Some(prefix) = fields.prefix {
        persona.prefix = Some(prefix);
        record(&mut persona, "prefix", line("prefix"), HOW);
    }
    if let Some(model) = fields.model {
        persona.model = Some(model);
        record(&mut persona, "model", line("model"), HOW);
    }
    if let Some(stages) = fields.stages {
        persona.stages = gates(path, front_matter, "stages", stages, diagnostics);
        record(&mut persona, "stages", line("stages"), HOW);
    }
    if let Some(reports) = fields.reports {
        persona.reports = gates(path, front_matter, "reports", reports, diagnostics);
        check_reports(path, front_matter, &persona.reports, diagnostics);
        record(&mut persona, "reports", line("reports"), HOW);
    }
    if let Some(limits) = fields.limits {
        persona.limits = limits;
        record(&mut persona, "limits", line("limits"), HOW);
    }
    if let Some(sandbox) = fields.sandbox {
        persona.sandbox = sandbox;
        record(&mut persona, "sandbox", line("sandbox"), HOW);
    }
    if let Some(context) = fields.context {
        persona.context = context
            .into_vec()
            .iter()
            .map(|entry| context_ref_from_text(entry))
            .collect();
        record(&mut persona, "context", line("context"), HOW);
    }
    if let Some(handoffs) = fields.handoffs {
        set_handoffs(front_matter, &mut persona, &handoffs);
    }
    if let Some(servers) = fields.mcp_servers {
        // Started like `[mcp.servers.NAME]` when a persona's `mcp` rules reach them.
        persona.mcp_servers = servers;
        record(&mut persona, "mcp_servers", line("mcp_servers"), HOW);
    }
    set_permissions(
        path,
        front_matter,
        &mut persona,
        PermissionFields {
            tools: fields.tools,
            read: fields.read,
            write: fields.write,
            deny: fields.deny,
            commands: fields.commands,
            aws: fields.aws,
            mcp: fields.mcp,
        },
        diagnostics,
    );

    let lists = [
        ("capabilities", fields.capabilities),
        ("use_when", fields.use_when),
        ("avoid_when", fields.avoid_when),
        ("tags", fields.tags),
    ];
    for (key, list) in lists {
        if let Some(list) = list {
            set_metadata_list(&mut persona, key, list.into_vec(), line(key), HOW);
        }
    }
    ExtraMetadata {
        color: fields.color,
        version: fields.version,
        author: fields.author,
        license: fields.license,
        metadata: fields.metadata,
    }
    .apply(&mut persona, front_matter);
    Some(persona)
}

fn gates(
    path: &Path,
    front_matter: &FrontMatter<'_>,
    key: &str,
    values: StringList,
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<Gate> {
    let (gates, problems) = parse_gates(path, key, &values.into_vec(), |text| {
        front_matter.value_line(key, text)
    });
    diagnostics.extend(problems);
    gates
}

/// Only S06 and S07 can be reported by a persona; S08 is a human's alone.
fn check_reports(
    path: &Path,
    front_matter: &FrontMatter<'_>,
    reports: &[Gate],
    diagnostics: &mut Vec<Diagnostic>,
) {
    for gate in reports {
        if matches!(gate, Gate::S06 | Gate::S07) {
            continue;
        }
        let hint = if *gate == Gate::S08 {
            "S08 is recorded only by a human through `agentctl approve`; remove it"
        } else {
            "a persona may report S06 (quality gates) and S07 (security review) only"
        };
        diagnostics.push(
            Diagnostic::error(
                path,
                front_matter.value_line("reports", gate.as_str()),
                format!("`reports` lists {gate}, which no persona can report"),
            )
            .with_hint(hint),
        );
    }
}

fn set_handoffs(front_matter: &FrontMatter<'_>, persona: &mut Persona, handoffs: &[HandoffSpec]) {
    persona.handoffs = handoffs
        .iter()
        .map(HandoffSpec::to_handoff_target)
        .collect();
    record(persona, "handoffs", front_matter.key_line("handoffs"), HOW);
    for handoff in persona.handoffs.clone() {
        let line = front_matter.value_line("handoffs", &handoff.written);
        record(persona, &format!("handoffs.{}", handoff.written), line, HOW);
    }
}

struct PermissionFields {
    tools: Option<StringList>,
    read: Option<StringList>,
    write: Option<StringList>,
    deny: Option<StringList>,
    commands: Option<PatternRules>,
    aws: Option<PatternRules>,
    mcp: Option<McpRules>,
}

impl PermissionFields {
    fn any(&self) -> bool {
        self.tools.is_some()
            || self.read.is_some()
            || self.write.is_some()
            || self.deny.is_some()
            || self.commands.is_some()
            || self.aws.is_some()
            || self.mcp.is_some()
    }
}

/// Declaring any permission field makes the rest explicit: `read` defaults to everything, the
/// others to nothing. Declaring none keeps the read-only default.
fn set_permissions(
    path: &Path,
    front_matter: &FrontMatter<'_>,
    persona: &mut Persona,
    fields: PermissionFields,
    diagnostics: &mut Vec<Diagnostic>,
) {
    if !fields.any() {
        persona.permissions = Permissions::default();
        record_default_permissions(persona);
        return;
    }
    persona.permissions_declared = true;
    let mut permissions = Permissions {
        tools: Vec::new(),
        read: vec!["**".to_owned()],
        write: Vec::new(),
        deny: Vec::new(),
        commands: PatternRules::default(),
        aws: PatternRules::default(),
        mcp: McpRules::default(),
    };
    let origin = |persona: &mut Persona, key: &str, given: bool| {
        let (line, how) = if given {
            (front_matter.key_line(key), HOW)
        } else if key == "read" {
            (
                None,
                "default: ** when permissions are declared without `read`",
            )
        } else {
            (
                None,
                "default: empty when permissions are declared without it",
            )
        };
        record(persona, &format!("permissions.{key}"), line, how);
    };
    origin(persona, "tools", fields.tools.is_some());
    origin(persona, "read", fields.read.is_some());
    origin(persona, "write", fields.write.is_some());
    origin(persona, "deny", fields.deny.is_some());
    origin(persona, "commands", fields.commands.is_some());
    origin(persona, "aws", fields.aws.is_some());
    origin(persona, "mcp", fields.mcp.is_some());
    if let Some(tools) = fields.tools {
        let (tools, problems) = parse_tools(path, &tools.into_vec(), |name| {
            front_matter.value_line("tools", name)
        });
        permissions.tools = tools;
        diagnostics.extend(problems);
    }
    if let Some(read) = fields.read {
        permissions.read = read.into_vec();
    }
    if let Some(write) = fields.write {
        permissions.write = write.into_vec();
    }
    if let Some(deny) = fields.deny {
        permissions.deny = deny.into_vec();
    }
    if let Some(commands) = fields.commands {
        permissions.commands = commands;
    }
    if let Some(aws) = fields.aws {
        permissions.aws = aws;
    }
    if let Some(mcp) = fields.mcp {
        permissions.mcp = mcp;
    }
    persona.permissions = permissions;
}

#[cfg(test)]
mod tests {
    use super::*;
    use agentctl_protocol::ToolName;

    use crate::model::HandoffContext;

    const OPS: &str = "---
name: ops-devops
role: DevOps
prefix: \"[DEVOPS]\"
description: Deploys things.
stages: [S09, S10]
tools: [fs_read, fs_list, fs_write, execute_bash]
write: [\"infra/**\"]
deny: [\".env\"]
commands:
  allow: [\"git status\"]
  approve: [\"terraform apply *\"]
handoffs:
  - release-manager
  - { to: qa-engineer, tools: [fs_read], context: full }
context: [contexts/technical_context.md, \"AGENTS.md (if exists)\"]
reports: [S06]
limits: { max_turns: 40 }
color: blue
---
You are the DevOps engineer.
";

    #[test]
    fn parses_every_canonical_field() {
        let persona = parse(Path::new("personas/ops.md"), OPS).unwrap();
        assert_eq!(persona.name, "ops-devops");
        assert_eq!(persona.format, SourceFormat::Canonical);
        assert_eq!(persona.prefix.as_deref(), Some("[DEVOPS]"));
        assert_eq!(persona.stages, vec![Gate::S09, Gate::S10]);
        assert!(persona.permissions_declared);
        assert_eq!(persona.permissions.read, vec!["**".to_owned()]);
        assert_eq!(persona.permissions.write, vec!["infra/**".to_owned()]);
        assert_eq!(
            persona.permissions.commands.approve,
            vec!["terraform apply *".to_owned()]
        );
        assert_eq!(persona.handoffs.len(), 2);
        assert_eq!(persona.handoffs[1].written, "qa-engineer");
        assert_eq!(persona.handoffs[1].tools, Some(vec![ToolName::FsRead]));
        assert_eq!(persona.handoffs[1].context, HandoffContext::Full);
        assert!(persona.context[1].optional);
        assert_eq!(persona.reports, vec![Gate::S06]);
        assert_eq!(persona.limits.max_turns, Some(40));
        assert_eq!(persona.metadata["color"], serde_json::json!("blue"));
        assert_eq!(persona.body, "You are the DevOps engineer.\n");
        assert_eq!(persona.body_line, 21);
        assert_eq!(persona.origins["prefix"].line, Some(4));
        assert_eq!(persona.origins["handoffs.qa-engineer"].line, Some(15));
        assert_eq!(persona.origins["permissions.aws"].line, None);
    }

    #[test]
    fn reporting_s08_is_an_error() {
        let text = "---\nname: x\nreports: [S06, S08]\n---\n";
        let diagnostics = parse(Path::new("x.md"), text).unwrap_err();
        assert_eq!(diagnostics.len(), 1);
        assert_eq!(diagnostics[0].line, Some(3));
        assert!(diagnostics[0].message.contains("S08"));
    }

    #[test]
    fn a_bad_limit_is_located() {
        let text = "---\nname: x\nlimits:\n  max_turns: many\n---\n";
        let diagnostics = parse(Path::new("x.md"), text).unwrap_err();
        assert_eq!(diagnostics[0].line, Some(4), "{:?}", diagnostics[0]);
    }

    #[test]
    fn a_name_can_come_from_the_heading() {
        let text = "---\ndescription: d\n---\n# Role: QA Engineer\n";
        let persona = parse(Path::new("x.md"), text).unwrap();
        assert_eq!(persona.name, "qa-engineer");
        assert_eq!(persona.origins["name"].line, Some(4));
        assert_eq!(persona.permissions, Permissions::default());
        assert!(!persona.permissions_declared);
    }
}
