//! The MCP servers of a command, as the binary starts them.
//!
//! Owns: building the run's [`McpHub`] from the configuration and how a stdio server's process
//! is started: inside the same OS sandbox as shell commands (its own `write` scope from
//! `[mcp.servers.NAME]`, the protected files read-only, network only when the table says so),
//! or directly when the project turned the sandbox off. Servers start only when a persona
//! first needs them.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use agentctl_config::Config;
use agentctl_mcp::{DirectLauncher, Launcher, McpHub, StdioLaunch};
use agentctl_sandbox::{build_profile, helper_arguments, ProfileRequest};

/// The project's servers (including those `[personas.NAME.mcp_servers]` declares for one
/// persona) and those persona files declare (Kiro agents' `mcpServers`, used by the persona that
/// declares them), none started yet. A configured server wins over a persona file's server of
/// the same name.
pub fn hub(config: &Config, library: &agentctl_persona::Library) -> McpHub {
    let launcher: Arc<dyn Launcher> = match crate::commands::run::sandbox_mode(config) {
        agentctl_tools::SandboxMode::Off => Arc::new(DirectLauncher),
        agentctl_tools::SandboxMode::Enforce { helper } => Arc::new(SandboxedLauncher {
            helper,
            workspace: config.paths.workspace.clone(),
            protected: agentctl_core::sandbox_scope::protected_paths(config),
            extra_read: config.sandbox.read.clone(),
        }),
    };
    let mut servers = config.mcp_servers.clone();
    for persona in library.iter() {
        for (name, declared) in &persona.mcp_servers {
            if declared.disabled {
                continue;
            }
            let Some(mut spec) = persona_server(name, declared) else {
                continue;
            };
            match servers.iter_mut().find(|known| &known.name == name) {
                // Two persona files declaring the same server share one process.
                Some(known) if !known.personas.is_empty() && known.transport == spec.transport => {
                    known.personas.push(persona.name.clone());
                }
                // The project's server (or a different one of that name) wins.
                Some(_) => {}
                None => {
                    spec.personas = vec![persona.name.clone()];
                    servers.push(spec);
                }
            }
        }
    }
    McpHub::new(
        servers,
        config.paths.workspace.clone(),
        config.mcp_base_env.clone(),
        launcher,
        config.tools.output_cap_bytes,
    )
}

/// A server a persona file declares, as a project server with the defaults: no network, no
/// write scope, no secrets (a persona file's `env` values are literal).
fn persona_server(
    name: &str,
    declared: &agentctl_persona::McpServer,
) -> Option<agentctl_protocol::McpServerSpec> {
    use agentctl_protocol::McpTransport;
    let transport = match (&declared.command, &declared.url) {
        (Some(command), _) => McpTransport::Stdio {
            command: command.clone(),
            args: declared.args.clone(),
            env: declared.env.clone(),
            secret_env: Default::default(),
            env_from: Vec::new(),
            cwd: None,
        },
        (None, Some(url)) => McpTransport::Http {
            url: url.clone(),
            secret_headers: Default::default(),
            headers_from_env: Vec::new(),
        },
        (None, None) => return None,
    };
    Some(agentctl_protocol::McpServerSpec {
        name: name.to_owned(),
        transport,
        startup_timeout_s: agentctl_config::mcp::DEFAULT_STARTUP_TIMEOUT_S,
        call_timeout_s: declared
            .timeout
            .map_or(agentctl_config::mcp::DEFAULT_CALL_TIMEOUT_S, |ms| {
                ms.div_ceil(1000).max(1)
            }),
        network: false,
        write: Vec::new(),
        personas: Vec::new(),
    })
}

/// Starts a stdio server through agentctl's exec helper with a profile of its own.
struct SandboxedLauncher {
    helper: PathBuf,
    workspace: PathBuf,
    protected: Vec<PathBuf>,
    extra_read: Vec<PathBuf>,
}

impl Launcher for SandboxedLauncher {
    fn command(&self, launch: &StdioLaunch<'_>) -> Result<tokio::process::Command, String> {
        let scratch = launch
            .env
            .iter()
            .find(|(name, _)| name == "HOME")
            .map(|(_, value)| PathBuf::from(value))
            .ok_or("the server has no scratch HOME")?;
        let protected = server_protected(&self.protected, &self.workspace, &launch.spec.write);
        let mut extra_read = self.extra_read.clone();
        extra_read.extend(installation_roots(
            launch.program,
            launch.args,
            &self.workspace,
        ));
        let profile = build_profile(&ProfileRequest {
            workspace: &self.workspace,
            read_globs: &["**".to_owned()],
            write_globs: &launch.spec.write,
            protected: &protected,
            denied: &|_| false,
            extra_read: &extra_read,
            network: launch.spec.network,
            scratch: &scratch,
        })
        .map_err(|error| format!("the OS sandbox cannot be set up for it: {error}"))?;
        let program = resolve_program(launch.program, &launch.env);
        let arguments: Vec<std::ffi::OsString> =
            launch.args.iter().map(std::ffi::OsString::from).collect();
        let wrapped = helper_arguments(&profile, program.as_os_str(), &arguments)
            .map_err(|error| format!("the OS sandbox cannot be set up for it: {error}"))?;
        let mut command = tokio::process::Command::new(&self.helper);
        command
            .args(wrapped)
            .current_dir(&launch.working_directory)
            .env_clear()
            .envs(launch.env.iter().map(|(name, value)| (name, value)))
            .process_group(0);
        Ok(command)
    }
}

/// The protected paths for one server. A server whose `write` scope names `.git` (a git
/// server that commits or creates branches) may write the repository, but never its hooks or
/// its config — what would run code at the next human `git` command stays read-only.
fn server_protected(protected: &[PathBuf], workspace: &Path, write: &[String]) -> Vec<PathBuf> {
    let opens_git = write
        .iter()
        .any(|glob| glob == ".git" || glob.starts_with(".git/"));
    if !opens_git {
        return protected.to_vec();
    }
    let git = workspace.join(".git");
    let mut kept: Vec<PathBuf> = protected
        .iter()
        .filter(|path| **path != git)
        .cloned()
        .collect();
    kept.push(git.join("hooks"));
    kept.push(git.join("config"));
    kept
}

/// The program as an absolute path, looked up on the server's own PATH.
fn resolve_program(program: &str, env: &[(String, String)]) -> PathBuf {
    if program.contains('/') {
        return PathBuf::from(program);
    }
    let path = env
        .iter()
        .find(|(name, _)| name == "PATH")
        .map(|(_, value)| value.as_str())
        .unwrap_or("/usr/bin:/bin");
    std::env::split_paths(path)
        .map(|directory| directory.join(program))
        .find(|candidate| candidate.is_file())
        .unwrap_or_else(|| PathBuf::from(program))
}

/// Where a server outside the system directories is installed: for the program and every
/// absolute path among its arguments that lies outside the workspace (a script, a virtualenv's
/// entry point), the installation root it belongs to, and the same for the interpreter its
/// `#!` line names — the server must be able to read its own code, nothing more of the user's.
fn installation_roots(program: &str, args: &[String], workspace: &Path) -> Vec<PathBuf> {
    let mut roots = Vec::new();
    let candidates = std::iter::once(program).chain(args.iter().map(String::as_str));
    for candidate in candidates {
        let path = Path::new(candidate);
        if !path.is_absolute() || path.starts_with(workspace) || !path.exists() {
            continue;
        }
        roots.extend(root_of(path));
        // The path itself may be a link into another installation (a virtualenv's python).
        if let Ok(real) = std::fs::canonicalize(path) {
            roots.extend(root_of(&real));
        }
        if let Some(interpreter) = shebang(path) {
            roots.extend(root_of(&interpreter));
            if let Ok(real) = std::fs::canonicalize(&interpreter) {
                roots.extend(root_of(&real));
            }
        }
    }
    roots.sort();
    roots.dedup();
    roots
}

/// `…/bin/x` → `…` (a virtualenv or prefix); `…/node_modules/pkg/dist/x.js` → `…/node_modules`;
/// anything else → its directory.
fn root_of(path: &Path) -> Option<PathBuf> {
    let text = path.to_string_lossy();
    if let Some(index) = text.find("/node_modules/") {
        return Some(PathBuf::from(&text[..index + "/node_modules".len()]));
    }
    let parent = path.parent()?;
    if parent.file_name().is_some_and(|name| name == "bin") {
        return parent.parent().map(Path::to_path_buf);
    }
    Some(parent.to_path_buf())
}

/// The interpreter named on a script's `#!` line, if it is an absolute path.
fn shebang(path: &Path) -> Option<PathBuf> {
    use std::io::Read;
    let mut head = [0_u8; 256];
    let read = std::fs::File::open(path).ok()?.read(&mut head).ok()?;
    let text = std::str::from_utf8(head.get(..read)?).ok()?;
    let line = text.strip_prefix("#!")?.lines().next()?;
    let interpreter = line.split_whitespace().next()?;
    interpreter
        .starts_with('/')
        .then(|| PathBuf::from(interpreter))
}
