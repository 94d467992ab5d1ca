//! `agentctl mcp list|tools`: the project's MCP servers, what they offer, and what each persona
//! may do with it.

use agentctl_persona::{Library, Persona};
use agentctl_protocol::{DecisionKind, McpServerSpec, McpTransport};
use clap::{Args, Subcommand};
use serde::Serialize;

use crate::cli::GlobalArgs;
use crate::commands::{load_config, load_library};
use crate::exit::Exit;
use crate::output;

#[derive(Debug, Subcommand)]
pub enum McpCommand {
    /// The configured servers and which personas may use them (starts nothing).
    #[command(after_help = "Example:\n  agentctl mcp list")]
    List(ListArgs),
    /// Start one server, list its tools and each persona's decision for each tool.
    #[command(after_help = "Example:\n  agentctl mcp tools git --json")]
    Tools(ToolsArgs),
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Print JSON: an array of `{ name, transport, target, env_from, personas }`.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ToolsArgs {
    /// The server's name in `[mcp.servers.NAME]`.
    pub server: String,
    /// Print JSON: an array of `{ name, offered_name, description, notes, personas: {NAME: decision} }`.
    #[arg(long)]
    pub json: bool,
}

#[derive(Serialize)]
struct ServerRow {
    name: String,
    transport: &'static str,
    target: String,
    env_from: Vec<String>,
    personas: Vec<String>,
}

#[derive(Serialize)]
struct ToolRow {
    name: String,
    offered_name: String,
    description: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    notes: Vec<String>,
    /// Persona → `allow`, `approve` or `deny`, for personas whose rules reach this server.
    personas: std::collections::BTreeMap<String, String>,
}

pub async fn execute(global: &GlobalArgs, command: McpCommand) -> Exit {
    let config = match load_config(global, &Default::default()) {
        Ok(config) => config,
        Err(exit) => return exit,
    };
    let library = match load_library(&config) {
        Ok(library) => library,
        Err(exit) => return exit,
    };
    match command {
        McpCommand::List(args) => {
            let hub = crate::mcp_launch::hub(&config, &library);
            let servers: Vec<McpServerSpec> = hub
                .server_names()
                .iter()
                .filter_map(|name| hub.spec(name).cloned())
                .collect();
            list(&servers, &library, args.json)
        }
        McpCommand::Tools(args) => tools(&config, &library, &args.server, args.json).await,
    }
}

/// The personas that may use a server: it serves them (a persona's own server serves only that
/// persona) and their `mcp` rules reach it.
fn users_of<'a>(library: &'a Library, spec: &McpServerSpec) -> Vec<&'a Persona> {
    library
        .personas()
        .filter(|persona| {
            spec.serves(&persona.name)
                && agentctl_policy::rules_reach_server(&persona.permissions.mcp, &spec.name)
        })
        .collect()
}

fn list(servers: &[McpServerSpec], library: &Library, json: bool) -> Exit {
    let rows: Vec<ServerRow> = servers
        .iter()
        .map(|spec| {
            let (transport, target, env_from) = match &spec.transport {
                McpTransport::Stdio {
                    command,
                    args,
                    env_from,
                    ..
                } => (
                    "stdio",
                    std::iter::once(command.as_str())
                        .chain(args.iter().map(String::as_str))
                        .collect::<Vec<_>>()
                        .join(" "),
                    env_from.clone(),
                ),
                McpTransport::Http {
                    url,
                    headers_from_env,
                    ..
                } => ("http", url.clone(), headers_from_env.clone()),
            };
            ServerRow {
                name: spec.name.clone(),
                transport,
                target,
                env_from,
                personas: users_of(library, spec)
                    .iter()
                    .map(|persona| persona.name.clone())
                    .collect(),
            }
        })
        .collect();
    if json {
        output::json(&rows);
        return Exit::Success;
    }
    if rows.is_empty() {
        output::note("no MCP servers are configured; declare them as [mcp.servers.NAME] in agentctl.toml (see `agentctl help mcp` or docs/mcp.md)");
        return Exit::Success;
    }
    for row in rows {
        let personas = if row.personas.is_empty() {
            "no persona".to_owned()
        } else {
            row.personas.join(", ")
        };
        output::stdout(&format!(
            "{}  ({})  {}\n  used by: {personas}\n",
            row.name, row.transport, row.target
        ));
        if !row.env_from.is_empty() {
            output::stdout(&format!(
                "  from the environment: {}\n",
                row.env_from.join(", ")
            ));
        }
    }
    Exit::Success
}

async fn tools(
    config: &agentctl_config::Config,
    library: &Library,
    server: &str,
    json: bool,
) -> Exit {
    let hub = crate::mcp_launch::hub(config, library);
    if !hub.server_names().iter().any(|name| name == server) {
        let known = hub.server_names();
        output::error(
            &format!("no MCP server named `{server}` is configured"),
            Some(&if known.is_empty() {
                "declare one as [mcp.servers.NAME] in agentctl.toml".to_owned()
            } else {
                format!("configured: {}", known.join(", "))
            }),
        );
        return Exit::BadInput;
    }
    let listed = hub.tools(server).await;
    hub.shutdown().await;
    let listed = match listed {
        Ok(listed) => listed,
        Err(error) => {
            output::error(
                &error.to_string(),
                Some("check the command and its arguments in agentctl.toml; `-v` shows more"),
            );
            return Exit::Failure;
        }
    };
    let Some(spec) = hub.spec(server).cloned() else {
        return Exit::Failure;
    };
    let mut policies = Vec::new();
    for persona in users_of(library, &spec) {
        match agentctl_core::personas::policy_for(config, persona) {
            Ok(policy) => policies.push((persona.name.clone(), policy)),
            Err(error) => {
                output::error(&error.to_string(), error.hint().as_deref());
                return Exit::BadInput;
            }
        }
    }
    let rows: Vec<ToolRow> = listed
        .into_iter()
        .map(|tool| {
            let personas = policies
                .iter()
                .map(|(name, policy)| {
                    let decision = policy.decide(&agentctl_policy::ToolRequest::Mcp {
                        server: server.to_owned(),
                        tool: tool.name.clone(),
                        arguments: serde_json::Value::Object(Default::default()),
                    });
                    let kind = match decision.decision.kind() {
                        DecisionKind::Allow => "allow",
                        DecisionKind::Approve => "approve (a human decides)",
                        DecisionKind::Deny => "deny",
                    };
                    (name.clone(), kind.to_owned())
                })
                .collect();
            ToolRow {
                name: tool.name,
                offered_name: tool.offered_name,
                description: tool.description,
                notes: tool.notes,
                personas,
            }
        })
        .collect();
    if json {
        output::json(&rows);
        return Exit::Success;
    }
    for row in rows {
        let description = row
            .description
            .split_once("] ")
            .map_or(row.description.as_str(), |(_, rest)| rest);
        let first_line = description.lines().next().unwrap_or_default();
        output::stdout(&format!("{}  — {first_line}\n", row.name));
        for (persona, decision) in &row.personas {
            output::stdout(&format!("  {persona}: {decision}\n"));
        }
        for note in &row.notes {
            output::stdout(&format!("  note: {note}\n"));
        }
    }
    Exit::Success
}
