//! `[mcp.servers.NAME]`: the MCP servers a project declares, resolved into
//! [`McpServerSpec`]s.
//!
//! Owns: checking each table (exactly one of `command` or `url`, a usable name, sane timeouts),
//! substituting `${WORKSPACE}` in arguments, and reading the secrets named by `env_from` and
//! `headers_from_env` from the environment snapshot — by reference, so agentctl.toml never holds
//! a secret and the values are never serialised. Does not start anything.

use std::collections::BTreeMap;
use std::path::Path;

use agentctl_protocol::{Diagnostic, McpServerSpec, McpTransport};
use serde::Deserialize;

use crate::{ConfigError, EnvVars};

/// Default time for a server to start and finish the MCP handshake (npm servers start slowly).
pub const DEFAULT_STARTUP_TIMEOUT_S: u64 = 30;
/// Default time for one tool call.
pub const DEFAULT_CALL_TIMEOUT_S: u64 = 60;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMcp {
    #[serde(default)]
    pub servers: BTreeMap<String, RawMcpServer>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMcpServer {
    /// A stdio server's program (looked up on PATH when it has no `/`).
    pub command: Option<String>,
    #[serde(default)]
    pub args: Vec<String>,
    /// Literal variables for the server's process.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Names of variables copied from agentctl's own environment (secrets by reference).
    #[serde(default)]
    pub env_from: Vec<String>,
    /// Working directory relative to the workspace.
    pub cwd: Option<String>,
    /// A streamable HTTP server's URL.
    pub url: Option<String>,
    /// Header name → environment variable holding its value.
    #[serde(default)]
    pub headers_from_env: BTreeMap<String, String>,
    pub startup_timeout_s: Option<u64>,
    pub call_timeout_s: Option<u64>,
    /// Whether the server's process may use the network; off by default.
    pub network: Option<bool>,
    /// Workspace-relative globs the server's process may write; nothing by default.
    #[serde(default)]
    pub write: Vec<String>,
}

/// Variables a server's process inherits from agentctl's environment; everything else (API
/// keys, cloud credentials, `*_CONFIG` pointers) stays behind. HOME, TMPDIR and XDG_* are set
/// to a private scratch directory by the MCP client.
pub const MCP_PASSED_THROUGH: [&str; 5] = ["PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ"];

/// The allowlisted variables present in `env`.
pub fn base_env(env: &EnvVars) -> Vec<(String, String)> {
    MCP_PASSED_THROUGH
        .iter()
        .filter_map(|name| env.lookup(name).map(|value| ((*name).to_owned(), value)))
        .collect()
}

/// Resolves the project's `[mcp.servers.NAME]` tables and the servers declared for one persona
/// in `[personas.PERSONA.mcp_servers.NAME]` (`persona_servers`: persona name → its tables). A
/// persona's server is used by that persona only; one name cannot be declared twice.
pub(crate) fn resolve(
    raw: RawMcp,
    persona_servers: BTreeMap<String, BTreeMap<String, RawMcpServer>>,
    config_file: &Path,
    text: &str,
    workspace: &Path,
    env: &EnvVars,
) -> Result<Vec<McpServerSpec>, ConfigError> {
    let declared = raw
        .servers
        .into_iter()
        .map(|(name, server)| (name, server, None))
        .chain(persona_servers.into_iter().flat_map(|(persona, servers)| {
            servers
                .into_iter()
                .map(move |(name, server)| (name, server, Some(persona.clone())))
        }));
    let mut specs: Vec<McpServerSpec> = Vec::new();
    for (name, server, persona) in declared {
        let heading = match &persona {
            None => format!("[mcp.servers.{name}]"),
            Some(persona) => format!("[personas.{persona}.mcp_servers.{name}]"),
        };
        let line = crate::resolve::find_line(text, &heading);
        if let Some(first) = specs.iter().find(|spec| spec.name == name) {
            let first_heading = match first.personas.first() {
                None => format!("[mcp.servers.{name}]"),
                Some(persona) => format!("[personas.{persona}.mcp_servers.{name}]"),
            };
            return Err(ConfigError::Invalid(
                Diagnostic::error(
                    config_file,
                    line,
                    format!("MCP server `{name}` is declared twice: {first_heading} and {heading}"),
                )
                .with_hint(
                    "give one of them another name (personas' `mcp` rules name servers by it), \
                     or declare it once in [mcp.servers] for every persona",
                ),
            ));
        }
        let invalid = |message: String, hint: &str| {
            ConfigError::Invalid(Diagnostic::error(config_file, line, message).with_hint(hint))
        };
        let name_ok = !name.is_empty()
            && name.len() <= 24
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !name_ok {
            return Err(invalid(
                format!("MCP server name `{name}` cannot be used"),
                "use up to 24 lower-case letters, digits and `-`, e.g. [mcp.servers.git]",
            ));
        }
        if let Some(cwd) = &server.cwd {
            let escapes = Path::new(cwd).is_absolute()
                || Path::new(cwd)
                    .components()
                    .any(|part| matches!(part, std::path::Component::ParentDir));
            if escapes {
                return Err(invalid(
                    format!("MCP server `{name}`: `cwd = \"{cwd}\"` leaves the workspace"),
                    "give a directory relative to the workspace, without `..`",
                ));
            }
        }
        let transport = match (&server.command, &server.url) {
            (Some(command), None) => {
                let workspace_text = workspace.display().to_string();
                McpTransport::Stdio {
                    command: command.clone(),
                    args: server
                        .args
                        .iter()
                        .map(|arg| arg.replace("${WORKSPACE}", &workspace_text))
                        .collect(),
                    env: server.env.clone(),
                    secret_env: server
                        .env_from
                        .iter()
                        .filter_map(|variable| {
                            env.lookup(variable).map(|value| (variable.clone(), value))
                        })
                        .collect(),
                    env_from: server.env_from.clone(),
                    cwd: server.cwd.clone(),
                }
            }
            (None, Some(url)) => {
                if !(url.starts_with("http://") || url.starts_with("https://")) {
                    return Err(invalid(
                        format!("MCP server `{name}`: `url = \"{url}\"` is not an http(s) URL"),
                        "streamable HTTP servers are named by their http:// or https:// URL",
                    ));
                }
                McpTransport::Http {
                    url: url.clone(),
                    secret_headers: server
                        .headers_from_env
                        .iter()
                        .filter_map(|(header, variable)| {
                            env.lookup(variable).map(|value| (header.clone(), value))
                        })
                        .collect(),
                    headers_from_env: server.headers_from_env.keys().cloned().collect(),
                }
            }
            _ => {
                return Err(invalid(
                    format!("MCP server `{name}` needs exactly one of `command` or `url`"),
                    "a stdio server has `command` (and `args`); an HTTP server has `url`",
                ))
            }
        };
        let timeout = |value: Option<u64>, default: u64, key: &str| match value.unwrap_or(default) {
            0 => Err(invalid(
                format!("MCP server `{name}`: `{key} = 0` would never wait"),
                "use a number of seconds of at least 1",
            )),
            seconds => Ok(seconds),
        };
        specs.push(McpServerSpec {
            startup_timeout_s: timeout(
                server.startup_timeout_s,
                DEFAULT_STARTUP_TIMEOUT_S,
                "startup_timeout_s",
            )?,
            call_timeout_s: timeout(
                server.call_timeout_s,
                DEFAULT_CALL_TIMEOUT_S,
                "call_timeout_s",
            )?,
            network: server.network.unwrap_or(false),
            write: server.write.clone(),
            name,
            transport,
            personas: persona.into_iter().collect(),
        });
    }
    Ok(specs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str, env: &EnvVars) -> Result<Vec<McpServerSpec>, ConfigError> {
        let raw: crate::RawConfig =
            crate::RawConfig::parse(Path::new("agentctl.toml"), text).unwrap();
        let persona_servers = raw
            .personas
            .into_iter()
            .map(|(name, table)| (name, table.mcp_servers))
            .collect();
        resolve(
            raw.mcp.unwrap_or_default(),
            persona_servers,
            Path::new("agentctl.toml"),
            text,
            Path::new("/work/project"),
            env,
        )
    }

    #[test]
    fn stdio_servers_take_secrets_by_reference() {
        let env = EnvVars {
            others: vec![("GIT_TOKEN".into(), "s3cret".into())],
            ..EnvVars::default()
        };
        let specs = parse(
            "[mcp.servers.git]\ncommand = \"mcp-server-git\"\nargs = [\"--repository\", \"${WORKSPACE}\"]\nenv_from = [\"GIT_TOKEN\", \"MISSING\"]\n",
            &env,
        )
        .unwrap();
        let McpTransport::Stdio {
            args,
            secret_env,
            env_from,
            ..
        } = &specs[0].transport
        else {
            panic!("stdio expected")
        };
        assert_eq!(args, &["--repository", "/work/project"]);
        assert_eq!(
            secret_env.get("GIT_TOKEN").map(String::as_str),
            Some("s3cret")
        );
        assert!(!secret_env.contains_key("MISSING"));
        assert_eq!(env_from.len(), 2);
        // The secret never reaches serialised forms (run state, audit, --json).
        let json = serde_json::to_string(&specs[0]).unwrap();
        assert!(!json.contains("s3cret"), "{json}");
        assert!(!specs[0].network);
        assert_eq!(specs[0].startup_timeout_s, DEFAULT_STARTUP_TIMEOUT_S);
    }

    #[test]
    fn a_server_needs_exactly_one_transport_and_a_clean_name() {
        let error = parse("[mcp.servers.x]\n", &EnvVars::default()).unwrap_err();
        assert!(error
            .to_string()
            .contains("exactly one of `command` or `url`"));
        let error = parse(
            "[mcp.servers.\"Bad Name\"]\ncommand = \"x\"\n",
            &EnvVars::default(),
        )
        .unwrap_err();
        assert!(error.to_string().contains("cannot be used"), "{error}");
        let error = parse(
            "[mcp.servers.web]\nurl = \"ftp://x\"\n",
            &EnvVars::default(),
        )
        .unwrap_err();
        assert!(error.to_string().contains("not an http(s) URL"));
        for cwd in ["/etc", "../other", "sub/../../x"] {
            let error = parse(
                &format!("[mcp.servers.x]\ncommand = \"x\"\ncwd = \"{cwd}\"\n"),
                &EnvVars::default(),
            )
            .unwrap_err();
            assert!(
                error.to_string().contains("leaves the workspace"),
                "{error}"
            );
        }
    }

    #[test]
    fn a_persona_table_declares_a_server_for_that_persona_only() {
        let text = "[mcp.servers.git]\ncommand = \"mcp-server-git\"\n\n[personas.release-manager.mcp_servers.tickets]\ncommand = \"tickets-server\"\nwrite = [\"notes/**\"]\n";
        let specs = parse(text, &EnvVars::default()).unwrap();
        assert_eq!(specs.len(), 2);
        assert!(specs[0].personas.is_empty() && specs[0].serves("qa-engineer"));
        assert_eq!(specs[1].name, "tickets");
        assert_eq!(specs[1].personas, vec!["release-manager".to_owned()]);
        assert!(specs[1].serves("release-manager"));
        assert!(!specs[1].serves("qa-engineer"));
        assert_eq!(specs[1].write, vec!["notes/**".to_owned()]);
    }

    #[test]
    fn one_server_name_declared_twice_is_an_error_naming_both_tables() {
        let text = "[mcp.servers.git]\ncommand = \"a\"\n\n[personas.release-manager.mcp_servers.git]\ncommand = \"b\"\n";
        let ConfigError::Invalid(diagnostic) = parse(text, &EnvVars::default()).unwrap_err() else {
            panic!("expected Invalid")
        };
        assert!(
            diagnostic.message.contains("[mcp.servers.git]")
                && diagnostic
                    .message
                    .contains("[personas.release-manager.mcp_servers.git]"),
            "{}",
            diagnostic.message
        );
        assert_eq!(diagnostic.line, Some(4));
    }
}
