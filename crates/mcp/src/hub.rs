//! The servers of one run: started on first need, restarted within a budget, stopped at the end.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use agentctl_protocol::McpServerSpec;
use rmcp::model::CallToolRequestParams;
use rmcp::service::ServiceError;
use serde::Serialize;
use tokio::sync::Mutex;

use crate::connect::{connect, Connection};
use crate::{McpCallOutput, McpError, McpTool};

/// How often one server may be started again after it stopped, per run.
pub const MAX_RESTARTS: u32 = 2;

/// What a launcher needs to build a stdio server's command.
pub struct StdioLaunch<'a> {
    pub spec: &'a McpServerSpec,
    pub program: &'a str,
    pub args: &'a [String],
    /// The server's whole environment: the caller's allowlisted variables, then the
    /// configuration's literal ones, then the secrets it names.
    pub env: Vec<(String, String)>,
    pub working_directory: PathBuf,
}

/// Builds the command that starts a stdio server. The agentctl binary passes one that wraps the
/// server in the same OS sandbox as shell commands; [`DirectLauncher`] runs it as it is.
pub trait Launcher: Send + Sync {
    /// The command, not yet spawned; stdio pipes are set by the caller.
    fn command(&self, launch: &StdioLaunch<'_>) -> Result<tokio::process::Command, String>;
}

/// Runs the server directly with exactly the given environment, in its own process group.
#[derive(Debug, Clone, Copy, Default)]
pub struct DirectLauncher;

impl Launcher for DirectLauncher {
    fn command(&self, launch: &StdioLaunch<'_>) -> Result<tokio::process::Command, String> {
        let mut command = tokio::process::Command::new(launch.program);
        command
            .args(launch.args)
            .current_dir(&launch.working_directory)
            .env_clear()
            .envs(launch.env.iter().map(|(name, value)| (name, value)))
            .process_group(0);
        Ok(command)
    }
}

/// One server's state, as `agentctl mcp list` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServerStatus {
    pub name: String,
    pub running: bool,
    pub starts: u32,
}

struct Slot {
    spec: McpServerSpec,
    state: Mutex<SlotState>,
}

#[derive(Default)]
struct SlotState {
    connection: Option<Connection>,
    tools: Option<Vec<McpTool>>,
    starts: u32,
}

/// The configured servers of one run or command.
pub struct McpHub {
    slots: BTreeMap<String, Arc<Slot>>,
    workspace: PathBuf,
    base_env: Vec<(String, String)>,
    launcher: Arc<dyn Launcher>,
    output_cap: usize,
}

impl McpHub {
    /// Nothing starts here; a server starts when its tools are first listed or called.
    pub fn new(
        specs: Vec<McpServerSpec>,
        workspace: impl Into<PathBuf>,
        base_env: Vec<(String, String)>,
        launcher: Arc<dyn Launcher>,
        output_cap: usize,
    ) -> McpHub {
        let slots = specs
            .into_iter()
            .map(|spec| {
                (
                    spec.name.clone(),
                    Arc::new(Slot {
                        spec,
                        state: Mutex::new(SlotState::default()),
                    }),
                )
            })
            .collect();
        McpHub {
            slots,
            workspace: workspace.into(),
            base_env,
            launcher,
            output_cap,
        }
    }

    /// A hub with no servers.
    pub fn empty() -> McpHub {
        McpHub::new(
            Vec::new(),
            PathBuf::from("."),
            Vec::new(),
            Arc::new(DirectLauncher),
            0,
        )
    }

    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    pub fn server_names(&self) -> Vec<String> {
        self.slots.keys().cloned().collect()
    }

    pub fn spec(&self, server: &str) -> Option<&McpServerSpec> {
        self.slots.get(server).map(|slot| &slot.spec)
    }

    pub fn workspace(&self) -> &Path {
        &self.workspace
    }

    /// The server's tools, starting it if needed. Listed once per start.
    pub async fn tools(&self, server: &str) -> Result<Vec<McpTool>, McpError> {
        let slot = self.slot(server)?;
        let mut state = slot.state.lock().await;
        self.ensure_running(&slot.spec, &mut state).await?;
        if let Some(tools) = &state.tools {
            return Ok(tools.clone());
        }
        let Some(connection) = state.connection.as_ref() else {
            return Err(stopped(&slot.spec, "tools/list", String::new()));
        };
        let listing = connection.service.list_all_tools().await;
        match listing {
            Ok(listed) => {
                let tools: Vec<McpTool> = listed
                    .iter()
                    .map(|tool| McpTool::from_listing(server, tool))
                    .collect();
                state.tools = Some(tools.clone());
                Ok(tools)
            }
            Err(error) => {
                let tail = connection.stderr_tail();
                state.connection = None;
                Err(match error {
                    ServiceError::TransportClosed | ServiceError::TransportSend(_) => {
                        stopped(&slot.spec, "tools/list", tail)
                    }
                    other => McpError::Start {
                        server: server.to_owned(),
                        reason: format!("listing its tools failed: {other}"),
                    },
                })
            }
        }
    }

    /// Calls one tool with the server's call timeout. The caller has already decided the call
    /// may run.
    pub async fn call(
        &self,
        server: &str,
        tool: &str,
        arguments: serde_json::Map<String, serde_json::Value>,
    ) -> Result<McpCallOutput, McpError> {
        let slot = self.slot(server)?;
        let mut state = slot.state.lock().await;
        self.ensure_running(&slot.spec, &mut state).await?;
        let Some(connection) = state.connection.as_ref() else {
            return Err(stopped(&slot.spec, tool, String::new()));
        };
        let limit = Duration::from_secs(slot.spec.call_timeout_s.max(1));
        let mut request = CallToolRequestParams::new(tool.to_owned());
        request.arguments = Some(arguments);
        let answered = tokio::time::timeout(limit, connection.service.call_tool(request)).await;
        match answered {
            Err(_) => {
                // The server may still be working on it; start afresh next time.
                state.connection = None;
                state.tools = None;
                Err(McpError::CallTimeout {
                    server: server.to_owned(),
                    tool: tool.to_owned(),
                    limit,
                })
            }
            Ok(Ok(result)) => Ok(McpCallOutput::from_result(&result, self.output_cap)),
            Ok(Err(ServiceError::McpError(error))) => Err(McpError::Call {
                server: server.to_owned(),
                tool: tool.to_owned(),
                reason: error.message.to_string(),
            }),
            Ok(Err(other)) => {
                // Give a crashing process a moment to flush its last words to stderr.
                tokio::time::sleep(Duration::from_millis(50)).await;
                let tail = connection.stderr_tail();
                state.connection = None;
                state.tools = None;
                match other {
                    ServiceError::TransportClosed | ServiceError::TransportSend(_) => {
                        Err(stopped(&slot.spec, tool, tail))
                    }
                    other => Err(McpError::Call {
                        server: server.to_owned(),
                        tool: tool.to_owned(),
                        reason: other.to_string(),
                    }),
                }
            }
        }
    }

    pub async fn status(&self) -> Vec<ServerStatus> {
        let mut statuses = Vec::new();
        for (name, slot) in &self.slots {
            let state = slot.state.lock().await;
            statuses.push(ServerStatus {
                name: name.clone(),
                running: state.connection.is_some(),
                starts: state.starts,
            });
        }
        statuses
    }

    /// Stops every running server: the MCP session is closed, then the process group killed.
    pub async fn shutdown(&self) {
        for slot in self.slots.values() {
            let mut state = slot.state.lock().await;
            if let Some(connection) = state.connection.take() {
                let _ =
                    tokio::time::timeout(Duration::from_secs(2), connection.service.cancel()).await;
                if let Some(mut child) = connection.child {
                    let _ = child.start_kill();
                    let _ = tokio::time::timeout(Duration::from_secs(2), child.wait()).await;
                }
            }
            state.tools = None;
        }
    }

    fn slot(&self, server: &str) -> Result<Arc<Slot>, McpError> {
        self.slots
            .get(server)
            .cloned()
            .ok_or_else(|| McpError::UnknownServer {
                server: server.to_owned(),
            })
    }

    async fn ensure_running(
        &self,
        spec: &McpServerSpec,
        state: &mut SlotState,
    ) -> Result<(), McpError> {
        let alive = state
            .connection
            .as_mut()
            .is_some_and(|connection| !connection.service.is_closed() && process_alive(connection));
        if alive {
            return Ok(());
        }
        if state.connection.take().is_some() {
            state.tools = None;
        }
        if state.starts > MAX_RESTARTS {
            return Err(McpError::RestartBudget {
                server: spec.name.clone(),
                restarts: state.starts.saturating_sub(1),
            });
        }
        state.starts += 1;
        tracing::debug!(server = %spec.name, start = state.starts, "starting MCP server");
        let connection = connect(
            spec,
            &self.workspace,
            &self.base_env,
            self.launcher.as_ref(),
        )
        .await?;
        state.connection = Some(connection);
        Ok(())
    }
}

fn process_alive(connection: &mut Connection) -> bool {
    match connection.child.as_mut() {
        Some(child) => matches!(child.try_wait(), Ok(None)),
        None => true,
    }
}

fn stopped(spec: &McpServerSpec, tool: &str, stderr: String) -> McpError {
    McpError::Stopped {
        server: spec.name.clone(),
        tool: tool.to_owned(),
        stderr,
    }
}
