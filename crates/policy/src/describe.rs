//! The effective policy of a persona as data, for `agentctl show` and `--dry-run`.
//!
//! Owns: the shape of the summary. Does not know how it is rendered.

use std::path::PathBuf;

use agentctl_protocol::{Gate, McpRules, PatternRules, ToolName};
use serde::{Deserialize, Serialize};

/// What a persona may do once its policy is compiled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EffectivePolicy {
    /// The canonical workspace all paths resolve in.
    pub workspace: PathBuf,
    /// Tools the model is offered, including `handoff` and `gate_report` when they apply.
    pub tools: Vec<ToolName>,
    pub read: Vec<String>,
    pub write: Vec<String>,
    pub deny: Vec<String>,
    /// Never writable: the caller's list plus what the engine always protects.
    pub protected: Vec<String>,
    pub commands: PatternRules,
    pub aws: PatternRules,
    /// `server:tool` rules for MCP tools, and which of their arguments are checked as paths.
    #[serde(default, skip_serializing_if = "McpRules::is_empty")]
    pub mcp: McpRules,
    pub handoff_targets: Vec<String>,
    /// Gates the persona may report; only S06 and S07 ever appear.
    pub reports: Vec<Gate>,
}
