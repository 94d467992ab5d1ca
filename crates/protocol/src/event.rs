//! The kinds of event written to the audit log.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Every audit entry has exactly one kind. Names are stable: they appear in `AUDIT_LOG.md`, in
/// `agentctl audit show --event`, and in JSON output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EventKind {
    #[serde(rename = "run.started")]
    RunStarted,
    #[serde(rename = "run.paused")]
    RunPaused,
    #[serde(rename = "run.resumed")]
    RunResumed,
    #[serde(rename = "run.finished")]
    RunFinished,
    #[serde(rename = "model.response")]
    ModelResponse,
    #[serde(rename = "model.error")]
    ModelError,
    #[serde(rename = "tool.allowed")]
    ToolAllowed,
    #[serde(rename = "tool.denied")]
    ToolDenied,
    #[serde(rename = "tool.result")]
    ToolResult,
    #[serde(rename = "file.diff")]
    FileDiff,
    #[serde(rename = "handoff")]
    Handoff,
    #[serde(rename = "gate.checked")]
    GateChecked,
    #[serde(rename = "gate.pending")]
    GatePending,
    #[serde(rename = "gate.approved")]
    GateApproved,
    #[serde(rename = "gate.rejected")]
    GateRejected,
    #[serde(rename = "gate.reported")]
    GateReported,
    #[serde(rename = "session.switched")]
    SessionSwitched,
    /// A persona began work after a handoff, a switch or a resumed start gate.
    #[serde(rename = "persona.started")]
    PersonaStarted,
    /// An MCP server started for a persona (with the tools it offers) or failed to.
    #[serde(rename = "mcp.server")]
    McpServer,
    /// A cap on something the model controls was hit (reply size, tool calls per reply,
    /// handoff or gate evidence size): what was cut or refused, and the `[limits]` key.
    #[serde(rename = "limit.reached")]
    LimitReached,
}

impl EventKind {
    pub const ALL: [EventKind; 20] = [
        EventKind::RunStarted,
        EventKind::RunPaused,
        EventKind::RunResumed,
        EventKind::RunFinished,
        EventKind::ModelResponse,
        EventKind::ModelError,
        EventKind::ToolAllowed,
        EventKind::ToolDenied,
        EventKind::ToolResult,
        EventKind::FileDiff,
        EventKind::Handoff,
        EventKind::GateChecked,
        EventKind::GatePending,
        EventKind::GateApproved,
        EventKind::GateRejected,
        EventKind::GateReported,
        EventKind::SessionSwitched,
        EventKind::PersonaStarted,
        EventKind::McpServer,
        EventKind::LimitReached,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::RunStarted => "run.started",
            EventKind::RunPaused => "run.paused",
            EventKind::RunResumed => "run.resumed",
            EventKind::RunFinished => "run.finished",
            EventKind::ModelResponse => "model.response",
            EventKind::ModelError => "model.error",
            EventKind::ToolAllowed => "tool.allowed",
            EventKind::ToolDenied => "tool.denied",
            EventKind::ToolResult => "tool.result",
            EventKind::FileDiff => "file.diff",
            EventKind::Handoff => "handoff",
            EventKind::GateChecked => "gate.checked",
            EventKind::GatePending => "gate.pending",
            EventKind::GateApproved => "gate.approved",
            EventKind::GateRejected => "gate.rejected",
            EventKind::GateReported => "gate.reported",
            EventKind::SessionSwitched => "session.switched",
            EventKind::PersonaStarted => "persona.started",
            EventKind::McpServer => "mcp.server",
            EventKind::LimitReached => "limit.reached",
        }
    }

    pub fn parse(text: &str) -> Option<EventKind> {
        EventKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == text)
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}
