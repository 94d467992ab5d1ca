//! Model Context Protocol servers and the rules for their tools.
//!
//! Owns: how a configured MCP server is described once resolved ([`McpServerSpec`]), the rules
//! a persona has for MCP tools ([`McpRules`]), and the name a server's tool is offered under
//! ([`offered_tool_name`]). Does not know how a server is started or spoken to (the
//! `agentctl-mcp` crate) or how a call is judged (the policy crate).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Prefix of every MCP tool name offered to a model. Built-in tool names never contain `__`,
/// so an MCP tool can never shadow one.
pub const MCP_TOOL_PREFIX: &str = "mcp__";

/// The longest function name the OpenAI Chat Completions API accepts.
const MAX_TOOL_NAME: usize = 64;

/// One configured MCP server, resolved from `agentctl.toml`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct McpServerSpec {
    /// The server's name in `[mcp.servers.NAME]`: lowercase letters, digits and `-`.
    pub name: String,
    pub transport: McpTransport,
    /// How long starting the server (process start plus the MCP handshake) may take.
    pub startup_timeout_s: u64,
    /// How long one tool call may take.
    pub call_timeout_s: u64,
    /// Whether the server's process may use the network (stdio servers only).
    pub network: bool,
    /// Workspace-relative globs the server's process may write (stdio servers only).
    pub write: Vec<String>,
    /// The personas that may use the server when it was declared for them (a
    /// `[personas.NAME.mcp_servers.SERVER]` table or a persona file's own servers); empty for a
    /// project server, which every persona whose `mcp` rules reach it may use.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub personas: Vec<String>,
}

impl McpServerSpec {
    /// Whether `persona` may use this server at all (its `mcp` rules still decide each tool).
    pub fn serves(&self, persona: &str) -> bool {
        self.personas.is_empty() || self.personas.iter().any(|name| name == persona)
    }
}

/// How agentctl reaches a server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "transport", rename_all = "snake_case")]
pub enum McpTransport {
    /// A child process speaking MCP on stdin/stdout.
    Stdio {
        command: String,
        args: Vec<String>,
        /// Literal variables from the configuration.
        env: BTreeMap<String, String>,
        /// Variables whose values agentctl copies from its own environment (secrets by
        /// reference). Values are never serialised: not into run state, not into the audit log.
        #[serde(skip)]
        secret_env: BTreeMap<String, String>,
        /// Names of the variables in `secret_env`, for display.
        env_from: Vec<String>,
        /// Working directory, relative to the workspace; the workspace when absent.
        cwd: Option<String>,
    },
    /// Streamable HTTP.
    Http {
        url: String,
        /// Header name → value, resolved from environment variables named in the
        /// configuration. Never serialised.
        #[serde(skip)]
        secret_headers: BTreeMap<String, String>,
        /// Header names set from the environment, for display.
        headers_from_env: Vec<String>,
    },
}

/// What a persona may do with MCP tools: `server:tool` patterns ordered deny > approve > allow
/// (`*` matches any run of characters), and which arguments of which tools are workspace paths
/// checked against the persona's `read` or `write` scopes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct McpRules {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allow: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub approve: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deny: Vec<String>,
    /// `server:tool` pattern → names of arguments that are paths the persona must be able to
    /// read.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub read_paths: BTreeMap<String, Vec<String>>,
    /// `server:tool` pattern → names of arguments that are paths the persona must be able to
    /// write.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub write_paths: BTreeMap<String, Vec<String>>,
}

impl McpRules {
    pub fn is_empty(&self) -> bool {
        self.allow.is_empty()
            && self.approve.is_empty()
            && self.deny.is_empty()
            && self.read_paths.is_empty()
            && self.write_paths.is_empty()
    }
}

/// The function name a server's tool is offered under: `mcp__SERVER__TOOL`, with characters the
/// API does not accept replaced by `_`, cut to 64 characters (a cut name ends with a short
/// digest of the original so two long names stay apart).
pub fn offered_tool_name(server: &str, tool: &str) -> String {
    let clean = |text: &str| -> String {
        text.chars()
            .map(|character| {
                if character.is_ascii_alphanumeric() || character == '_' || character == '-' {
                    character
                } else {
                    '_'
                }
            })
            .collect()
    };
    let name = format!("{MCP_TOOL_PREFIX}{}__{}", clean(server), clean(tool));
    if name.len() <= MAX_TOOL_NAME {
        return name;
    }
    // FNV-1a: a stable, dependency-free fingerprint; not a security boundary (the run keeps a
    // table from offered name to server and tool, and a collision is reported, not guessed).
    let mut hash: u32 = 0x811c_9dc5;
    for byte in format!("{server}\n{tool}").bytes() {
        hash ^= u32::from(byte);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    format!("{}_{hash:08x}", &name[..MAX_TOOL_NAME - 9])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offered_names_are_namespaced_and_api_safe() {
        assert_eq!(
            offered_tool_name("git", "git_status"),
            "mcp__git__git_status"
        );
        assert_eq!(
            offered_tool_name("fs", "read.file/x"),
            "mcp__fs__read_file_x"
        );
        let long = offered_tool_name("server", &"t".repeat(100));
        assert_eq!(long.len(), 64);
        assert_ne!(long, offered_tool_name("server", &"t".repeat(101)));
        assert!(long.starts_with(MCP_TOOL_PREFIX));
    }
}
