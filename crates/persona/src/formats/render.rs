//! Writing a persona in the canonical style (YAML front matter + Markdown body), for
//! `agentctl import`. Parsing the output with the canonical parser gives back the same name,
//! description, permissions, handoffs, context, reports, limits, model, metadata, MCP servers
//! and body.
//!
//! Does not know about: where the text is written, or stage commands (they stay in their own
//! style; a command's parameters have no canonical persona form).

use std::collections::BTreeMap;

use agentctl_protocol::{Gate, PatternRules, ToolName};
use serde::Serialize;

use crate::model::{ContextRef, HandoffContext, Limits, McpServer, Persona, PersonaKind};
use crate::overlay::{HandoffEdge, HandoffSpec};

/// Why a persona cannot be written in the canonical style.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RenderError {
    /// Stage commands have parameters and an active role, which canonical personas do not.
    StageCommand,
    /// The YAML encoder failed (a message from `serde_norway`).
    Yaml(String),
}

impl std::fmt::Display for RenderError {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RenderError::StageCommand => formatter.write_str(
                "this file is a stage command; only personas can be written in the canonical persona style",
            ),
            RenderError::Yaml(message) => write!(formatter, "cannot encode YAML: {message}"),
        }
    }
}

impl std::error::Error for RenderError {}

#[derive(Serialize)]
struct Canonical<'a> {
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    role: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    prefix: Option<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    stages: Vec<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    model: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tools: Option<Vec<ToolName>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    read: Option<&'a [String]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    write: Option<&'a [String]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    deny: Option<&'a [String]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    commands: Option<&'a PatternRules>,
    #[serde(skip_serializing_if = "Option::is_none")]
    aws: Option<&'a PatternRules>,
    #[serde(skip_serializing_if = "Option::is_none")]
    mcp: Option<&'a agentctl_protocol::McpRules>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    handoffs: Vec<HandoffSpec>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    context: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    reports: Vec<&'static str>,
    #[serde(skip_serializing_if = "is_default_limits")]
    limits: &'a Limits,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    mcp_servers: &'a BTreeMap<String, McpServer>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    metadata: &'a BTreeMap<String, serde_json::Value>,
}

fn is_default_limits(limits: &&Limits) -> bool {
    **limits == Limits::default()
}

fn gate_names(gates: &[Gate]) -> Vec<&'static str> {
    gates.iter().map(|gate| gate.as_str()).collect()
}

fn context_text(reference: &ContextRef) -> String {
    match (&reference.note, reference.optional) {
        (Some(note), _) => format!("{} {note}", reference.path),
        (None, true) => format!("{} (if exists)", reference.path),
        (None, false) => reference.path.clone(),
    }
}

/// The persona as a canonical Markdown file. `comment` (e.g. where it was imported from) is
/// written as a YAML comment on the first line of the front matter.
pub fn to_canonical(persona: &Persona, comment: Option<&str>) -> Result<String, RenderError> {
    if persona.kind == PersonaKind::Command {
        return Err(RenderError::StageCommand);
    }
    let permissions = &persona.permissions;
    let declared = persona.permissions_declared;
    let handoffs = persona
        .handoffs
        .iter()
        .map(|handoff| {
            if handoff.tools.is_none() && handoff.context == HandoffContext::Packet {
                HandoffSpec::Name(handoff.written.clone())
            } else {
                HandoffSpec::Edge(HandoffEdge {
                    to: handoff.written.clone(),
                    tools: handoff.tools.clone(),
                    context: handoff.context,
                })
            }
        })
        .collect();
    let document = Canonical {
        name: &persona.name,
        description: persona.description.as_deref(),
        role: persona.role.as_deref(),
        prefix: persona.prefix.as_deref(),
        stages: gate_names(&persona.stages),
        model: persona.model.as_deref(),
        tools: declared.then(|| {
            permissions
                .tools
                .iter()
                .copied()
                .filter(|tool| !tool.is_derived())
                .collect()
        }),
        read: declared.then_some(permissions.read.as_slice()),
        write: (declared && !permissions.write.is_empty()).then_some(permissions.write.as_slice()),
        deny: (!permissions.deny.is_empty()).then_some(permissions.deny.as_slice()),
        commands: (!permissions.commands.is_empty()).then_some(&permissions.commands),
        aws: (!permissions.aws.is_empty()).then_some(&permissions.aws),
        mcp: (!permissions.mcp.is_empty()).then_some(&permissions.mcp),
        handoffs,
        context: persona.context.iter().map(context_text).collect(),
        reports: gate_names(&persona.reports),
        limits: &persona.limits,
        mcp_servers: &persona.mcp_servers,
        metadata: &persona.metadata,
    };
    let yaml =
        serde_norway::to_string(&document).map_err(|error| RenderError::Yaml(error.to_string()))?;
    let mut text = String::from("---\n");
    if let Some(comment) = comment {
        for line in comment.lines() {
            text.push_str(&format!("# {line}\n"));
        }
    }
    text.push_str(&yaml);
    if !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str("---\n");
    text.push_str(&persona.body);
    Ok(text)
}
