//! The engine's inputs and outputs: what a persona may do, one tool call, one verdict.
//!
//! Owns: plain data. Does not know how a decision is reached.

use std::path::PathBuf;

use agentctl_protocol::{Decision, Gate, Permissions, ToolName};
use serde::{Deserialize, Serialize};

/// Everything the engine needs to judge one persona's tool calls.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicySpec {
    pub permissions: Permissions,
    /// The directory tools act on. Must be absolute and exist.
    pub workspace: PathBuf,
    /// Workspace-relative globs no agent may write, whatever its `write` scope says: the audit
    /// log, the project state file, `.agentctl/**`, `agentctl.toml` and the persona library
    /// when it lives inside the workspace. The caller computes the list from the configuration;
    /// the engine always adds `.git`.
    pub protected: Vec<String>,
    /// Workspace-relative globs this persona may write only with `fs_write`, never through a
    /// shell redirection: the task files when the project opened them to it. The caller sends
    /// a change to a task's gate fields to a human; that needs the new text, which only
    /// `fs_write` carries.
    #[serde(default)]
    pub guarded: Vec<String>,
    /// Persona names this persona may hand off to.
    pub handoff_targets: Vec<String>,
    /// Gates this persona may report. Only S06 and S07 ever take effect.
    pub reports: Vec<Gate>,
}

/// One tool call, typed. Arguments the policy does not judge (file contents, handoff summary,
/// gate evidence) are not part of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "tool", rename_all = "snake_case")]
pub enum ToolRequest {
    FsRead {
        path: String,
    },
    FsList {
        path: String,
    },
    FsWrite {
        path: String,
    },
    ExecuteBash {
        command: String,
    },
    UseAws {
        service: String,
        operation: String,
    },
    Handoff {
        to: String,
    },
    GateReport {
        gate: String,
    },
    /// A tool of an MCP server, with the arguments the model wrote (path arguments are judged
    /// by the persona's `mcp.read_paths` / `mcp.write_paths`).
    Mcp {
        server: String,
        #[serde(rename = "mcp_tool")]
        tool: String,
        arguments: serde_json::Value,
    },
    /// A tool name the model made up or that agentctl does not know.
    Unknown {
        name: String,
    },
}

impl ToolRequest {
    /// The built-in tool this call is for; `None` for MCP tools and [`ToolRequest::Unknown`].
    pub fn tool(&self) -> Option<ToolName> {
        match self {
            ToolRequest::FsRead { .. } => Some(ToolName::FsRead),
            ToolRequest::FsList { .. } => Some(ToolName::FsList),
            ToolRequest::FsWrite { .. } => Some(ToolName::FsWrite),
            ToolRequest::ExecuteBash { .. } => Some(ToolName::ExecuteBash),
            ToolRequest::UseAws { .. } => Some(ToolName::UseAws),
            ToolRequest::Handoff { .. } => Some(ToolName::Handoff),
            ToolRequest::GateReport { .. } => Some(ToolName::GateReport),
            ToolRequest::Unknown { .. } | ToolRequest::Mcp { .. } => None,
        }
    }
}

/// The decision about one call and, for `fs_*` calls whose path resolved inside the
/// workspace, the absolute path (symbolic links resolved) the tool must use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verdict {
    pub decision: Decision,
    pub resolved_path: Option<PathBuf>,
}

impl Verdict {
    pub(crate) fn without_path(decision: Decision) -> Verdict {
        Verdict {
            decision,
            resolved_path: None,
        }
    }
}

pub(crate) fn deny(rule: impl Into<String>, reason: impl Into<String>) -> Decision {
    Decision::Deny {
        rule: rule.into(),
        reason: reason.into(),
    }
}
