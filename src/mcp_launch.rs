//! The MCP servers of a command, as the binary starts them.
//!
//! Owns: building the run's [`McpHub`] from the configuration and choosing how a stdio server's
//! process is started. Servers start only when a persona first needs them.

use std::sync::Arc;

use agentctl_config::Config;
use agentctl_mcp::{DirectLauncher, McpHub};

/// The project's servers, none started yet.
pub fn hub(config: &Config) -> McpHub {
    McpHub::new(
        config.mcp_servers.clone(),
        config.paths.workspace.clone(),
        config.mcp_base_env.clone(),
        Arc::new(DirectLauncher),
        config.tools.output_cap_bytes,
    )
}
