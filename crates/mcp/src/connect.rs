//! Reaching one server: spawning a stdio server through the caller's launcher, or opening a
//! streamable HTTP session, and completing the MCP handshake within the startup timeout.

use std::collections::VecDeque;
use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use agentctl_protocol::{McpServerSpec, McpTransport};
use rmcp::service::{RoleClient, RunningService};
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::ServiceExt;
use tokio::io::AsyncReadExt;

use crate::hub::{Launcher, StdioLaunch};
use crate::McpError;

/// How much of a server's stderr is kept for error messages.
const STDERR_TAIL_BYTES: usize = 2048;

/// A live connection to one server.
pub(crate) struct Connection {
    pub(crate) service: RunningService<RoleClient, ()>,
    /// The server process, for stdio servers; killed with its process group on drop.
    pub(crate) child: Option<tokio::process::Child>,
    /// The server's private HOME and TMPDIR, removed when the connection ends.
    pub(crate) _scratch: Option<tempfile::TempDir>,
    pub(crate) stderr: Arc<Mutex<VecDeque<u8>>>,
}

impl Connection {
    /// The end of what the server wrote on stderr, as `: …`, or empty.
    pub(crate) fn stderr_tail(&self) -> String {
        let tail = self
            .stderr
            .lock()
            .map(|bytes| bytes.iter().copied().collect::<Vec<u8>>())
            .unwrap_or_default();
        let text = String::from_utf8_lossy(&tail);
        let text = text.trim();
        if text.is_empty() {
            String::new()
        } else {
            format!("; the server's stderr ends: {}", text.replace('\n', " | "))
        }
    }
}

pub(crate) async fn connect(
    spec: &McpServerSpec,
    workspace: &Path,
    base_env: &[(String, String)],
    launcher: &dyn Launcher,
) -> Result<Connection, McpError> {
    let limit = Duration::from_secs(spec.startup_timeout_s.max(1));
    let started = tokio::time::timeout(limit, open(spec, workspace, base_env, launcher)).await;
    match started {
        Ok(result) => result,
        Err(_) => Err(McpError::StartTimeout {
            server: spec.name.clone(),
            limit,
        }),
    }
}

async fn open(
    spec: &McpServerSpec,
    workspace: &Path,
    base_env: &[(String, String)],
    launcher: &dyn Launcher,
) -> Result<Connection, McpError> {
    let failed = |reason: String| McpError::Start {
        server: spec.name.clone(),
        reason,
    };
    match &spec.transport {
        McpTransport::Stdio {
            command,
            args,
            env,
            secret_env,
            cwd,
            ..
        } => {
            // A private HOME, TMPDIR and XDG_* per start: a server's own config and caches never
            // come from, or go to, the user's.
            let scratch = tempfile::Builder::new()
                .prefix(&format!("agentctl-mcp-{}-", spec.name))
                .tempdir()
                .map_err(|error| failed(format!("cannot create its scratch directory: {error}")))?;
            let home = scratch.path().display().to_string();
            let mut variables: Vec<(String, String)> = base_env.to_vec();
            for name in [
                "HOME",
                "TMPDIR",
                "XDG_CONFIG_HOME",
                "XDG_CACHE_HOME",
                "XDG_DATA_HOME",
                "XDG_STATE_HOME",
            ] {
                variables.push((name.to_owned(), home.clone()));
            }
            variables.extend(env.iter().map(|(k, v)| (k.clone(), v.clone())));
            variables.extend(secret_env.iter().map(|(k, v)| (k.clone(), v.clone())));
            let working_directory = match cwd {
                Some(relative) => workspace.join(relative),
                None => workspace.to_path_buf(),
            };
            let launch = StdioLaunch {
                spec,
                program: command,
                args,
                env: variables,
                working_directory,
            };
            let mut command = launcher.command(&launch).map_err(failed)?;
            command
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .kill_on_drop(true);
            let mut child = command
                .spawn()
                .map_err(|error| failed(format!("cannot run `{}`: {error}", launch.program)))?;
            let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
                return Err(failed("the process has no stdin/stdout pipes".to_owned()));
            };
            let stderr = Arc::new(Mutex::new(VecDeque::new()));
            if let Some(mut pipe) = child.stderr.take() {
                let tail = Arc::clone(&stderr);
                tokio::spawn(async move {
                    let mut chunk = [0_u8; 1024];
                    while let Ok(read) = pipe.read(&mut chunk).await {
                        if read == 0 {
                            break;
                        }
                        if let Ok(mut bytes) = tail.lock() {
                            bytes.extend(&chunk[..read]);
                            let excess = bytes.len().saturating_sub(STDERR_TAIL_BYTES);
                            bytes.drain(..excess);
                        }
                    }
                });
            }
            match ().serve((stdout, stdin)).await {
                Ok(service) => Ok(Connection {
                    service,
                    child: Some(child),
                    _scratch: Some(scratch),
                    stderr,
                }),
                Err(error) => {
                    // Give the process a moment to say why it quit.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    let _ = child.start_kill();
                    let tail = {
                        let bytes = stderr
                            .lock()
                            .map(|bytes| bytes.iter().copied().collect::<Vec<u8>>())
                            .unwrap_or_default();
                        String::from_utf8_lossy(&bytes).trim().replace('\n', " | ")
                    };
                    let mut reason = format!("the MCP handshake failed: {error}");
                    if !tail.is_empty() {
                        reason.push_str(&format!("; its stderr ends: {tail}"));
                    }
                    Err(failed(reason))
                }
            }
        }
        McpTransport::Http {
            url,
            secret_headers,
            ..
        } => {
            // rustls is built without a default provider; the model client installs the same
            // one, so an error here only means it is already installed.
            let _ = rustls::crypto::ring::default_provider().install_default();
            let mut headers = reqwest::header::HeaderMap::new();
            for (name, value) in secret_headers {
                let name = reqwest::header::HeaderName::from_bytes(name.as_bytes())
                    .map_err(|error| failed(format!("header `{name}`: {error}")))?;
                let mut value = reqwest::header::HeaderValue::from_str(value)
                    .map_err(|error| failed(format!("header `{name}`: {error}")))?;
                value.set_sensitive(true);
                headers.insert(name, value);
            }
            let http = reqwest::Client::builder()
                .default_headers(headers)
                .build()
                .map_err(|error| failed(format!("HTTP client: {error}")))?;
            let transport = StreamableHttpClientTransport::with_client(
                http,
                StreamableHttpClientTransportConfig::with_uri(url.as_str()),
            );
            let service = ()
                .serve(transport)
                .await
                .map_err(|error| failed(format!("the MCP handshake with {url} failed: {error}")))?;
            Ok(Connection {
                service,
                child: None,
                _scratch: None,
                stderr: Arc::new(Mutex::new(VecDeque::new())),
            })
        }
    }
}
