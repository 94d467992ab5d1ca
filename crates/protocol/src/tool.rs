//! The built-in tools a persona may be granted.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A built-in tool. The model is offered exactly the persona's tools, plus `handoff` when the
/// persona has handoff targets and `gate_report` when it reports gates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ToolName {
    FsRead,
    FsList,
    FsWrite,
    ExecuteBash,
    UseAws,
    Handoff,
    GateReport,
}

impl ToolName {
    pub const ALL: [ToolName; 7] = [
        ToolName::FsRead,
        ToolName::FsList,
        ToolName::FsWrite,
        ToolName::ExecuteBash,
        ToolName::UseAws,
        ToolName::Handoff,
        ToolName::GateReport,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ToolName::FsRead => "fs_read",
            ToolName::FsList => "fs_list",
            ToolName::FsWrite => "fs_write",
            ToolName::ExecuteBash => "execute_bash",
            ToolName::UseAws => "use_aws",
            ToolName::Handoff => "handoff",
            ToolName::GateReport => "gate_report",
        }
    }

    /// Tools granted by the runtime from other fields (`handoffs`, `reports`), never listed in
    /// a persona's `tools`.
    pub fn is_derived(self) -> bool {
        matches!(self, ToolName::Handoff | ToolName::GateReport)
    }
}

impl fmt::Display for ToolName {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

/// A name that is not a built-in tool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseToolNameError(pub String);

impl fmt::Display for ParseToolNameError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            formatter,
            "`{}` is not a tool; the tools are fs_read, fs_list, fs_write, execute_bash, use_aws, handoff and gate_report",
            self.0
        )
    }
}

impl std::error::Error for ParseToolNameError {}

impl FromStr for ToolName {
    type Err = ParseToolNameError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let wanted = text.trim();
        ToolName::ALL
            .into_iter()
            .find(|tool| tool.as_str() == wanted)
            .ok_or_else(|| ParseToolNameError(text.to_owned()))
    }
}
