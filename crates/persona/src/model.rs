//! The one persona model every supported style is parsed into.

use std::collections::BTreeMap;
use std::path::PathBuf;

use agentctl_protocol::{Diagnostic, Gate, Permissions, ToolName};
use serde::{Deserialize, Serialize};

/// A persona (a role the model plays) or a stage command (a prompt bound to a persona).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PersonaKind {
    Persona,
    Command,
}

/// Which style a file was written in. Detected from the file's content, never its name.
// Serialized with the same kebab-case names as [`SourceFormat::as_str`], so `show --json` and
// `personas --json` spell a format the same way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SourceFormat {
    /// Markdown with YAML front matter using agentctl's fields.
    Canonical,
    /// `# Role:` sheet with Metadata bullets and `Handoff To`.
    RoleSheet,
    /// Stage command with `params` front matter and `## Active Role:`.
    StageCommand,
    /// Heading-only role prompt with `{{include:…}}` lines and `{{VARIABLES}}`.
    RolePrompt,
    /// Agent front matter with `capabilities`, `use_when`, `avoid_when`, `tools`.
    AgentFrontMatter,
    /// `# Persona: name` swarm persona with `## Does NOT`, `## Context Scope`.
    SwarmPersona,
    /// A Claude Code subagent: front matter `name`, `description`, `tools` as a comma list of
    /// Claude tool names (`Read, Grep, Bash`), `model` aliases (`sonnet`, `inherit`).
    ClaudeAgent,
    /// A Kiro / Amazon Q CLI agent: a JSON object with `prompt`, `tools`, `allowedTools`,
    /// `resources`, `toolsSettings`, `mcpServers`.
    KiroAgent,
}

impl SourceFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceFormat::Canonical => "canonical",
            SourceFormat::RoleSheet => "role-sheet",
            SourceFormat::StageCommand => "stage-command",
            SourceFormat::RolePrompt => "role-prompt",
            SourceFormat::AgentFrontMatter => "agent-front-matter",
            SourceFormat::SwarmPersona => "swarm-persona",
            SourceFormat::ClaudeAgent => "claude-agent",
            SourceFormat::KiroAgent => "kiro-agent",
        }
    }
}

/// Where a field's value came from, so `agentctl show` can explain every field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Origin {
    /// The file, relative to the project root where possible.
    pub path: PathBuf,
    /// 1-based line, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// How it was obtained, e.g. `front matter`, `Metadata bullet "Prefix"`, `heading`,
    /// `[personas.ops-devops] overlay`, `default`.
    pub how: String,
}

/// A file loaded into the persona's context when it becomes active.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContextRef {
    /// Path relative to the library root (or, starting with `/branch/`, to the workspace).
    pub path: String,
    /// Skipped without error when missing (`(if exists)`, `(optional)`).
    pub optional: bool,
    /// Free text that came with the reference, e.g. `(gate status)`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// How much of the previous persona's conversation a handoff target receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HandoffContext {
    /// Only the rendered handoff packet (the default).
    #[default]
    Packet,
    /// The packet plus the previous persona's transcript.
    Full,
}

/// One allowed handoff edge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandoffTarget {
    /// The target as written (`release-manager`, `Release Manager [RM]`).
    pub written: String,
    /// The persona name it resolves to; filled by the library, `None` while unresolved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved: Option<String>,
    /// A ceiling on the tools the target may use when entered through this edge.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tools: Option<Vec<ToolName>>,
    #[serde(default)]
    pub context: HandoffContext,
    /// Items the sender is expected to pass along (seed 000 `Handoff Items`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<String>,
}

impl HandoffTarget {
    /// The name to route to: the resolved persona when known, else what was written.
    pub fn name(&self) -> &str {
        self.resolved.as_deref().unwrap_or(&self.written)
    }
}

/// Run limits declared by a persona (`limits:`); the config's `[limits]` fills the rest.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_turns: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_handoffs: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_budget: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_denials: Option<u32>,
}

/// What the OS sandbox lets this persona's processes do beyond the default (`sandbox:` in
/// front matter, `[personas.NAME.sandbox]` in agentctl.toml).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SandboxNeeds {
    /// Keep network access; off by default (the process gets an empty network namespace).
    #[serde(default)]
    pub network: bool,
    /// Environment variable names passed to the persona's processes on top of the built-in
    /// allowlist, e.g. `KUBECONFIG`. Names that look like secrets are never passed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub env: Vec<String>,
}

/// A stage command parameter (seed 001 `params`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Param {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default)]
    pub required: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
}

/// What makes a stage command a command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandSpec {
    pub params: Vec<Param>,
    /// The role as written after `## Active Role:` (e.g. `DEVOPS`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active_role: Option<String>,
    /// The persona it resolves to; filled by the library.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved_role: Option<String>,
    /// Parameter values that make a run a production run needing S08 (e.g. `env=production`),
    /// found from `--env=production` with a `CHECKPOINT` marker or declared.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub production_when: Vec<(String, String)>,
}

/// An MCP server a persona file declares (Kiro `mcpServers`). The binary starts it like a
/// project server, for the declaring persona only, with no network and no write scope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct McpServer {
    /// The program to start (local servers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub env: BTreeMap<String, String>,
    /// The address of a remote server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Request timeout in milliseconds, as Kiro writes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<u64>,
    #[serde(default)]
    pub disabled: bool,
}

/// A persona or stage command, whatever style it was written in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Persona {
    pub name: String,
    pub kind: PersonaKind,
    pub format: SourceFormat,
    /// The file it was loaded from, relative to the project root where possible.
    pub source: PathBuf,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// Short tag such as `[DEVOPS]`, used to resolve handoffs written as `Release Manager [RM]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
    pub stages: Vec<Gate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    pub permissions: Permissions,
    /// Whether `permissions` were declared anywhere (file or overlay) or are the safe default.
    pub permissions_declared: bool,
    pub handoffs: Vec<HandoffTarget>,
    pub context: Vec<ContextRef>,
    /// Gates this persona may record through `gate_report` (only S06 and S07 are honoured).
    pub reports: Vec<Gate>,
    pub limits: Limits,
    /// What the OS sandbox allows this persona's processes beyond the default.
    #[serde(default)]
    pub sandbox: SandboxNeeds,
    /// Present for stage commands.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<CommandSpec>,
    /// The system prompt template: the file's body, with includes and variables unresolved.
    pub body: String,
    /// The 1-based line of the file where `body` starts (for diagnostics in includes).
    pub body_line: usize,
    /// Everything else the style says, kept and shown: `capabilities`, `use_when`,
    /// `avoid_when`, `tags`, `priority`, `entry_criteria`, `exit_criteria`, `does_not`,
    /// `constraints`, `primary_outputs`, `templates_used`, `checklists_used`,
    /// `slash_commands`, … Lists are JSON arrays of strings, scalars JSON strings.
    pub metadata: BTreeMap<String, serde_json::Value>,
    /// For each field name above (`name`, `prefix`, `permissions.write`, `metadata.tags`, …),
    /// where its value came from.
    pub origins: BTreeMap<String, Origin>,
    /// MCP servers the file declares, by name; they serve this persona only.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub mcp_servers: BTreeMap<String, McpServer>,
    /// Warnings from parsing: parts of a foreign style that do not map onto agentctl (a Claude
    /// tool with no counterpart, an MCP server). The library reports them as diagnostics.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<Diagnostic>,
}

impl Persona {
    /// The tools offered to a model: the granted tools, plus `handoff` when there are targets
    /// and `gate_report` when it reports gates. Sorted and without duplicates.
    pub fn offered_tools(&self) -> Vec<ToolName> {
        let mut tools: Vec<ToolName> = self
            .permissions
            .tools
            .iter()
            .copied()
            .filter(|tool| !tool.is_derived())
            .collect();
        if !self.handoffs.is_empty() {
            tools.push(ToolName::Handoff);
        }
        if !self.reports.is_empty() {
            tools.push(ToolName::GateReport);
        }
        tools.sort();
        tools.dedup();
        tools
    }
}

/// `env` of a task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Environment {
    Staging,
    Production,
}

/// A task file `tasks/ID.md`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Task {
    pub id: String,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub env: Option<Environment>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<Gate>,
    /// Gates every persona at a later stage must see passed.
    #[serde(default)]
    pub prerequisites: Vec<Gate>,
    #[serde(default)]
    pub acceptance: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollback: Option<String>,
    /// Variables the task supplies to prompts (`vars:` in front matter), lowest precedence.
    #[serde(default)]
    pub vars: BTreeMap<String, String>,
    /// The Markdown body: the task's description.
    pub description: String,
    pub source: PathBuf,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_format_serializes_as_its_display_name() {
        for format in [
            SourceFormat::Canonical,
            SourceFormat::RoleSheet,
            SourceFormat::StageCommand,
            SourceFormat::RolePrompt,
            SourceFormat::AgentFrontMatter,
            SourceFormat::SwarmPersona,
            SourceFormat::ClaudeAgent,
            SourceFormat::KiroAgent,
        ] {
            let json = serde_json::to_value(format).unwrap();
            assert_eq!(json, serde_json::Value::from(format.as_str()));
            let back: SourceFormat = serde_json::from_value(json).unwrap();
            assert_eq!(back, format);
        }
    }
}
