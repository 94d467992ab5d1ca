//! MCP tools in a run: which ones the active persona is offered, and carrying out an allowed
//! call.
//!
//! Owns: listing the servers a persona's `mcp` rules could reach (which starts them, on the
//! persona's first model turn — their first need), filtering each server's tools by the
//! persona's policy before the model sees them, recognising an MCP call by its offered name,
//! and running an allowed call through the run's [`agentctl_mcp::McpHub`], recording the
//! result like any other tool's. The decision itself (deny > approve > allow, path arguments)
//! is the policy engine's; pausing for a human and resuming exactly once are the same code as
//! for built-in tools (`tool_call.rs`).
//!
//! Does not know how a server is spoken to or confined (`agentctl-mcp` and the launcher the
//! binary gives it).

use agentctl_llm::ToolSpec;
use agentctl_mcp::McpTool;
use agentctl_protocol::{EventKind, ToolCall};
use agentctl_tools::ParsedArguments;
use serde_json::Value;

use crate::events::RunEvent;
use crate::recorder::Recorder;
use crate::run_loop::Engine;
use crate::{details, CoreError};

/// Largest MCP result recorded in the audit log (the model gets up to the output cap).
const AUDIT_OUTPUT_BYTES: usize = 4096;

/// The MCP tools offered to one persona in this process.
pub(crate) struct McpOffer {
    persona: String,
    tools: Vec<McpTool>,
}

impl Engine<'_> {
    /// Lists, starting servers as needed, the MCP tools the active persona may be offered. Runs
    /// once per persona activation; a server that fails to start is recorded and left out, and
    /// the persona carries on with the tools it has.
    pub(crate) async fn ensure_mcp_tools(&mut self) -> Result<(), CoreError> {
        let Some((persona, policy)) = self.persona.as_ref() else {
            return Ok(());
        };
        if self
            .mcp_offer
            .as_ref()
            .is_some_and(|offer| offer.persona == persona.name)
        {
            return Ok(());
        }
        let persona_name = persona.name.clone();
        let hub = std::sync::Arc::clone(&self.context.mcp);
        let servers: Vec<String> = hub
            .server_names()
            .into_iter()
            .filter(|server| {
                hub.spec(server)
                    .is_some_and(|spec| spec.serves(&persona.name))
                    && agentctl_policy::rules_reach_server(&persona.permissions.mcp, server)
            })
            .collect();
        let mut tools = Vec::new();
        let mut events = Vec::new();
        for server in servers {
            match hub.tools(&server).await {
                Ok(listed) => {
                    let total = listed.len();
                    let offered: Vec<McpTool> = listed
                        .into_iter()
                        .filter(|tool| policy.may_offer_mcp_tool(&server, &tool.name))
                        .collect();
                    events.push(details! {
                        "server" => server.clone(), "status" => "ready",
                        "tools_listed" => total,
                        "tools_offered" => offered.iter().map(|tool| Value::from(tool.name.clone())).collect::<Vec<Value>>(),
                        "sandbox" => sandbox_note(hub.spec(&server)),
                    });
                    tools.extend(offered);
                }
                Err(error) => {
                    events.push(details! {
                        "server" => server.clone(), "status" => "failed",
                        "error_kind" => error.kind(),
                        "error" => agentctl_audit::redact(&error.to_string()),
                    });
                    self.observer.on_event(&RunEvent::McpServerFailed {
                        server: server.clone(),
                        error: error.to_string(),
                    });
                }
            }
        }
        for event in events {
            Recorder::queue(
                &mut self.state,
                Some(&persona_name),
                EventKind::McpServer,
                event,
            );
        }
        self.offered_tools = None;
        self.mcp_offer = Some(McpOffer {
            persona: persona_name,
            tools,
        });
        Ok(())
    }

    /// The MCP tool offered under `name` to the active persona, if any.
    pub(crate) fn offered_mcp_tool(&self, name: &str) -> Option<&McpTool> {
        let persona = self.persona.as_ref().map(|(persona, _)| &persona.name)?;
        self.mcp_offer
            .as_ref()
            .filter(|offer| &offer.persona == persona)?
            .tools
            .iter()
            .find(|tool| tool.offered_name == name.trim())
    }

    /// The schemas of the MCP tools offered to the active persona.
    pub(crate) fn mcp_tool_specs(&self) -> Vec<ToolSpec> {
        let persona = self
            .persona
            .as_ref()
            .map(|(persona, _)| persona.name.clone());
        self.mcp_offer
            .iter()
            .filter(|offer| Some(&offer.persona) == persona.as_ref())
            .flat_map(|offer| offer.tools.iter())
            .map(|tool| ToolSpec {
                name: tool.offered_name.clone(),
                description: tool.description.clone(),
                parameters: tool.input_schema.clone(),
            })
            .collect()
    }

    /// An allowed MCP call: run it and record the result. Returns whether the server reported
    /// success and the text for the model, or `None` when Ctrl-C came during the call: then
    /// every server is stopped (so the call cannot finish behind the run's back), nothing is
    /// recorded, and the call stays in flight for `resume` to report as interrupted.
    pub(crate) async fn run_mcp_call(
        &mut self,
        call: &ToolCall,
        persona: &str,
        parsed: &ParsedArguments,
    ) -> Option<(bool, String)> {
        let ParsedArguments::Mcp {
            server,
            tool,
            arguments,
        } = parsed
        else {
            return Some((false, "error: not an MCP call".to_owned()));
        };
        let hub = std::sync::Arc::clone(&self.context.mcp);
        let mut interrupt = self.context.interrupt.clone();
        let stopped = async move {
            // A dropped sender means nobody can interrupt any more: wait for the call.
            if interrupt.wait_for(|stopped| *stopped).await.is_err() {
                std::future::pending::<()>().await;
            }
        };
        let result = tokio::select! {
            result = hub.call(server, tool, arguments.clone()) => Some(result),
            () = stopped => None,
        };
        let Some(result) = result else {
            hub.shutdown().await;
            return None;
        };
        let (ok, text, recorded) = match result {
            Ok(output) => {
                let recorded = details! {
                    "call_id" => call.id.clone(), "tool" => call.name.clone(),
                    "server" => server.clone(), "mcp_tool" => tool.clone(),
                    "ok" => !output.is_error, "is_error" => output.is_error,
                    "output" => agentctl_audit::cut(&agentctl_audit::redact(&output.text), AUDIT_OUTPUT_BYTES),
                    "truncated" => output.truncated,
                };
                let text = if output.is_error {
                    format!("error (the MCP tool reported an error): {}", output.text)
                } else {
                    output.text
                };
                (!output.is_error, text, recorded)
            }
            Err(error) => {
                let recorded = details! {
                    "call_id" => call.id.clone(), "tool" => call.name.clone(),
                    "server" => server.clone(), "mcp_tool" => tool.clone(), "ok" => false,
                    "error_kind" => error.kind(), "error" => agentctl_audit::redact(&error.to_string()),
                };
                (
                    false,
                    format!("error ({}): {error}", error.kind()),
                    recorded,
                )
            }
        };
        Recorder::queue(
            &mut self.state,
            Some(persona),
            EventKind::ToolResult,
            recorded,
        );
        Some((ok, text))
    }
}

/// How a server's process is confined, for its `mcp.server` audit entry.
fn sandbox_note(spec: Option<&agentctl_protocol::McpServerSpec>) -> Value {
    match spec {
        Some(spec) => match &spec.transport {
            agentctl_protocol::McpTransport::Stdio { .. } => serde_json::json!({
                "transport": "stdio", "network": spec.network, "write": spec.write,
            }),
            agentctl_protocol::McpTransport::Http { url, .. } => serde_json::json!({
                "transport": "http", "url": url,
            }),
        },
        None => Value::Null,
    }
}
