//! What can go wrong with an MCP server. Every variant names the server and says what to do;
//! the run loop sends the text back to the model as a tool error.

use std::time::Duration;

#[derive(Debug, Clone, thiserror::Error)]
pub enum McpError {
    #[error("no MCP server named `{server}` is configured; add `[mcp.servers.{server}]` to agentctl.toml")]
    UnknownServer { server: String },
    #[error("MCP server `{server}` did not start: {reason}")]
    Start { server: String, reason: String },
    #[error("MCP server `{server}` did not finish starting within {limit:?}; raise `startup_timeout_s` or check the command")]
    StartTimeout { server: String, limit: Duration },
    #[error("MCP server `{server}` stopped and was restarted {restarts} times in this run; it is not started again")]
    RestartBudget { server: String, restarts: u32 },
    #[error("MCP tool `{tool}` of server `{server}` did not answer within {limit:?}; its effects are unknown")]
    CallTimeout {
        server: String,
        tool: String,
        limit: Duration,
    },
    #[error("MCP server `{server}` stopped during the call to `{tool}`; its effects are unknown{stderr}")]
    Stopped {
        server: String,
        tool: String,
        /// The end of what the server wrote on stderr, prefixed with `: `, or empty.
        stderr: String,
    },
    #[error("MCP tool `{tool}` of server `{server}` failed: {reason}")]
    Call {
        server: String,
        tool: String,
        reason: String,
    },
}

impl McpError {
    /// A stable word for the audit log and for the model.
    pub fn kind(&self) -> &'static str {
        match self {
            McpError::UnknownServer { .. } => "unknown_server",
            McpError::Start { .. } | McpError::StartTimeout { .. } => "server_start",
            McpError::RestartBudget { .. } => "restart_budget",
            McpError::CallTimeout { .. } => "timeout",
            McpError::Stopped { .. } => "server_stopped",
            McpError::Call { .. } => "call_failed",
        }
    }
}
