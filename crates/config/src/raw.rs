//! `agentctl.toml` exactly as written: every key optional, unknown keys rejected.

use std::collections::BTreeMap;
use std::path::Path;

use agentctl_persona::{Limits, PersonaOverlay};
use agentctl_protocol::Diagnostic;
use serde::Deserialize;

use crate::ConfigError;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    /// Who may approve gates; empty means anyone.
    pub approvers: Option<Vec<String>>,
    pub paths: Option<RawPaths>,
    pub endpoint: Option<RawEndpoint>,
    #[serde(default)]
    pub models: BTreeMap<String, String>,
    #[serde(default)]
    pub vars: BTreeMap<String, String>,
    pub limits: Option<RawLimits>,
    pub tools: Option<RawTools>,
    pub gates: Option<RawGates>,
    pub open_to_agents: Option<RawOpenToAgents>,
    pub sandbox: Option<RawSandbox>,
    #[serde(default)]
    pub personas: BTreeMap<String, RawPersonaTable>,
    /// `[mcp.servers.NAME]` tables.
    pub mcp: Option<crate::mcp::RawMcp>,
}

/// One `[personas.NAME]` table: the overlay the persona crate applies, and the MCP servers
/// declared for that persona only (`[personas.NAME.mcp_servers.SERVER]`, the same keys as
/// `[mcp.servers.SERVER]`).
#[derive(Debug, Clone, Default)]
pub struct RawPersonaTable {
    pub mcp_servers: BTreeMap<String, crate::mcp::RawMcpServer>,
    /// Every other key.
    pub overlay: PersonaOverlay,
}

// By hand rather than `#[serde(flatten)]`: a flattened struct silently accepts unknown keys, and
// a misspelt permission key must stay an error.
impl<'de> Deserialize<'de> for RawPersonaTable {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let mut table = toml::Table::deserialize(deserializer)?;
        let mcp_servers = match table.remove("mcp_servers") {
            None => BTreeMap::new(),
            Some(value) => value.try_into().map_err(|error: toml::de::Error| {
                D::Error::custom(format!("in `mcp_servers`: {}", error.message().trim()))
            })?,
        };
        let overlay = toml::Value::Table(table)
            .try_into()
            .map_err(|error: toml::de::Error| D::Error::custom(error.message().trim()))?;
        Ok(RawPersonaTable {
            mcp_servers,
            overlay,
        })
    }
}

/// `[open_to_agents]`: personas allowed to write state that is protected by default.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawOpenToAgents {
    #[serde(default)]
    pub tasks: Vec<String>,
    #[serde(default)]
    pub library: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPaths {
    pub library: Option<String>,
    pub personas: Option<String>,
    pub contexts: Option<String>,
    pub templates: Option<String>,
    pub prompts: Option<String>,
    pub tasks: Option<String>,
    pub workspace: Option<String>,
    pub audit_log: Option<String>,
    pub state_file: Option<String>,
    pub state_dir: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEndpoint {
    pub base_url: Option<String>,
    pub api_key_env: Option<String>,
    pub model: Option<String>,
    pub stream: Option<bool>,
    pub timeout_s: Option<u64>,
    pub first_token_timeout_s: Option<u64>,
    pub max_retries: Option<u32>,
    pub context_window: Option<usize>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLimits {
    pub max_turns: Option<u32>,
    pub max_handoffs: Option<u32>,
    pub token_budget: Option<u64>,
    pub max_denials: Option<u32>,
    pub max_ping_pong: Option<u32>,
    pub max_reply_bytes: Option<u64>,
    pub max_reply_tokens: Option<u64>,
    pub max_reply_seconds: Option<u64>,
    pub max_tool_calls_per_reply: Option<u32>,
    pub max_tool_argument_bytes: Option<usize>,
    pub max_handoff_summary_bytes: Option<usize>,
    pub max_handoff_items: Option<usize>,
    pub max_handoff_item_bytes: Option<usize>,
    pub max_gate_evidence_bytes: Option<usize>,
}

impl RawLimits {
    /// The persona-level subset, for merging with a persona's own `limits`.
    pub fn as_persona_limits(&self) -> Limits {
        Limits {
            max_turns: self.max_turns,
            max_handoffs: self.max_handoffs,
            token_budget: self.token_budget,
            max_denials: self.max_denials,
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTools {
    pub bash_timeout_s: Option<u64>,
    pub output_cap_bytes: Option<usize>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSandbox {
    /// `"enforce"` (the default) or `"off"`.
    pub mode: Option<String>,
    /// Further paths every sandboxed process may read (absolute, `~/…`, or relative to the
    /// project root).
    pub read: Option<Vec<String>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawGates {
    pub on_reject: Option<String>,
    /// `[gates.S06]`: the evidence a persona's S06 report needs.
    #[serde(rename = "S06")]
    pub s06: Option<crate::gate_evidence::RawGateEvidence>,
    /// `[gates.S07]`: the evidence a persona's S07 report needs.
    #[serde(rename = "S07")]
    pub s07: Option<crate::gate_evidence::RawGateEvidence>,
}

impl RawConfig {
    /// Parses the text of `path`. Errors name the file, the line and the offending key.
    pub fn parse(path: &Path, text: &str) -> Result<RawConfig, ConfigError> {
        toml::from_str(text).map_err(|error| {
            let line = error.span().map(|span| line_of(text, span.start));
            let message = error.message().trim().to_owned();
            let hint = if message.starts_with("unknown field") {
                "remove the key or fix its spelling; `agentctl docs configuration` lists every key"
            } else {
                "fix the TOML at that line; `agentctl docs configuration` shows a complete example"
            };
            ConfigError::Invalid(Diagnostic::error(path, line, message).with_hint(hint))
        })
    }
}

/// 1-based line of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|byte| **byte == b'\n')
        .count()
        + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_key_names_its_line() {
        let text = "[endpoint]\nmodel = \"m\"\nmodle = \"x\"\n";
        let error = RawConfig::parse(Path::new("agentctl.toml"), text).unwrap_err();
        let ConfigError::Invalid(diagnostic) = error else {
            panic!("expected Invalid")
        };
        assert_eq!(diagnostic.line, Some(3));
        assert!(
            diagnostic.message.contains("modle"),
            "{}",
            diagnostic.message
        );
    }

    #[test]
    fn malformed_toml_names_its_line() {
        let text = "approvers = [\"a\"]\n\n[vars]\nX = \n";
        let error = RawConfig::parse(Path::new("agentctl.toml"), text).unwrap_err();
        let ConfigError::Invalid(diagnostic) = error else {
            panic!("expected Invalid")
        };
        assert_eq!(diagnostic.line, Some(4));
    }

    #[test]
    fn unknown_key_in_a_persona_table_names_its_line() {
        let text = "[personas.ops-devops]\nmodel = \"m\"\nwirte = [\"x\"]\n";
        let error = RawConfig::parse(Path::new("agentctl.toml"), text).unwrap_err();
        let ConfigError::Invalid(diagnostic) = error else {
            panic!("expected Invalid")
        };
        assert!(
            diagnostic.message.contains("wirte"),
            "{}",
            diagnostic.message
        );
        assert!(
            matches!(diagnostic.line, Some(1..=3)),
            "{:?}",
            diagnostic.line
        );
    }

    #[test]
    fn a_persona_table_carries_its_own_mcp_servers() {
        let text = "[personas.ops-devops]\nmodel = \"m\"\n\n[personas.ops-devops.mcp_servers.git]\ncommand = \"mcp-server-git\"\n";
        let raw = RawConfig::parse(Path::new("agentctl.toml"), text).unwrap();
        let table = &raw.personas["ops-devops"];
        assert_eq!(table.overlay.model.as_deref(), Some("m"));
        assert_eq!(
            table.mcp_servers["git"].command.as_deref(),
            Some("mcp-server-git")
        );
    }

    #[test]
    fn empty_file_is_valid() {
        let raw = RawConfig::parse(Path::new("agentctl.toml"), "").unwrap();
        assert!(raw.endpoint.is_none());
        assert!(raw.personas.is_empty());
    }
}
