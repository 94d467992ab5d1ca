//! Resolving raw settings into one [`Config`]: defaults < agentctl.toml < environment < flags.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use agentctl_persona::PersonaOverlay;
use agentctl_protocol::{Diagnostic, Gate};

use crate::raw::{RawConfig, RawEndpoint, RawLimits, RawOpenToAgents, RawPaths};
use crate::{ConfigError, EnvVars, GateEvidence};

pub const CONFIG_FILE_NAME: &str = "agentctl.toml";
const DEFAULT_BASE_URL: &str = "https://api.openai.com/v1";
const DEFAULT_MODEL: &str = "gpt-4.1-mini";
/// A conservative window most servers accept; set `[endpoint] context_window` for yours.
const DEFAULT_CONTEXT_WINDOW: usize = 32_768;
/// `base_url = "local"` names the endpoint started by `scripts/local-model.sh up`.
const LOCAL_BASE_URL: &str = "local";
/// The context `scripts/local-model.sh` gives the local server unless told otherwise.
const LOCAL_CONTEXT_WINDOW: usize = 8192;

/// Absolute paths of everything agentctl reads and writes in a project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectPaths {
    pub root: PathBuf,
    pub config_file: PathBuf,
    pub library: PathBuf,
    pub personas: PathBuf,
    pub contexts: PathBuf,
    pub templates: PathBuf,
    pub prompts: PathBuf,
    pub tasks: PathBuf,
    pub workspace: PathBuf,
    pub audit_log: PathBuf,
    pub state_file: PathBuf,
    pub state_dir: PathBuf,
}

/// Where to send chat completions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointConfig {
    /// As configured; `local` is resolved by [`Config::base_url`].
    pub base_url: String,
    pub api_key_env: String,
    pub api_key: Option<String>,
    /// The endpoint-wide model, after `--model` and `AGENTCTL_MODEL`.
    pub model: String,
    /// Whether `--model` or `AGENTCTL_MODEL` forced the model for every persona.
    pub model_forced: bool,
    pub stream: bool,
    /// Connecting, and the silence allowed inside a reply once it has started.
    pub timeout: Duration,
    /// The wait for the first byte of a reply after the request was sent.
    pub first_token_timeout: Duration,
    /// Retries after the first attempt, made only when the server is not working on the
    /// request (no connection, 408, 429, 5xx).
    pub max_retries: u32,
    /// Tokens the model can take in; conversations are trimmed to fit (docs/chat.md).
    pub context_window: usize,
}

/// Run-wide limits (a persona's own `limits` can lower the first four).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunLimits {
    pub max_turns: u32,
    pub max_handoffs: u32,
    pub token_budget: u64,
    pub max_denials: u32,
    pub max_ping_pong: u32,
    /// Caps on everything one model reply controls; none may be 0.
    pub reply: ReplyCaps,
}

/// Caps on what one model reply can make agentctl hold, run, store or pass on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplyCaps {
    /// Bytes of one reply body, streamed or not.
    pub max_reply_bytes: u64,
    /// Completion tokens of one reply.
    pub max_reply_tokens: u64,
    /// Wall time of one reply, retries included.
    pub max_reply_time: Duration,
    /// Tool calls run from one reply; the rest are denied.
    pub max_tool_calls_per_reply: u32,
    /// Bytes of one tool call's arguments; a larger call is denied.
    pub max_tool_argument_bytes: usize,
    /// Bytes of a handoff summary passed on; the rest is cut.
    pub max_handoff_summary_bytes: usize,
    /// Items of a handoff passed on; the rest are dropped.
    pub max_handoff_items: usize,
    /// Bytes of one handoff item passed on; the rest is cut.
    pub max_handoff_item_bytes: usize,
    /// Bytes of gate evidence stored in PROJECT_STATE.md; the rest is cut.
    pub max_gate_evidence_bytes: usize,
}

impl Default for ReplyCaps {
    fn default() -> Self {
        ReplyCaps {
            max_reply_bytes: 4 * 1024 * 1024,
            max_reply_tokens: 32_768,
            max_reply_time: Duration::from_secs(600),
            max_tool_calls_per_reply: 32,
            max_tool_argument_bytes: 1024 * 1024,
            max_handoff_summary_bytes: 16 * 1024,
            max_handoff_items: 64,
            max_handoff_item_bytes: 2048,
            max_gate_evidence_bytes: 4096,
        }
    }
}

impl Default for RunLimits {
    fn default() -> Self {
        RunLimits {
            max_turns: 40,
            max_handoffs: 8,
            token_budget: 200_000,
            max_denials: 10,
            max_ping_pong: 3,
            reply: ReplyCaps::default(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ToolSettings {
    pub bash_timeout: Duration,
    pub output_cap_bytes: usize,
}

/// The default cap on one tool result: 64 KiB, or a quarter of the context window (at four
/// bytes a token, the window's token count in bytes) when that is smaller, so one command's
/// output cannot fill a small local model's context on its own.
pub fn output_cap_for_window(context_window_tokens: usize) -> usize {
    ToolSettings::default()
        .output_cap_bytes
        .min(context_window_tokens.max(MIN_OUTPUT_CAP_BYTES))
}

/// The smallest default cap, whatever the window: a result shorter than this is rarely useful.
const MIN_OUTPUT_CAP_BYTES: usize = 1024;

impl Default for ToolSettings {
    fn default() -> Self {
        ToolSettings {
            bash_timeout: Duration::from_secs(60),
            output_cap_bytes: 64 * 1024,
        }
    }
}

/// `[sandbox]`: how the processes personas start are confined.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SandboxSettings {
    /// False only when agentctl.toml says `mode = "off"`.
    pub off: bool,
    /// Absolute paths every sandboxed process may also read.
    pub read: Vec<PathBuf>,
    /// The 1-based line of `mode = "off"`, for warnings that point at it.
    pub off_line: Option<usize>,
}

/// What happens when a human rejects a pending call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnReject {
    /// The rejection goes back to the model as a tool error and the run continues.
    #[default]
    TellModel,
    /// The run ends with exit code 1.
    EndRun,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GateSettings {
    pub on_reject: OnReject,
    /// Empty: anyone may approve.
    pub approvers: Vec<String>,
    /// `[gates.S06]`, `[gates.S07]`: what a persona's "passed" report needs.
    pub evidence: BTreeMap<Gate, GateEvidence>,
}

/// Personas a project lets write state that is protected from agents by default
/// (`[open_to_agents]`). Each still needs a `write` scope covering the files.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OpenToAgents {
    /// May write task files; a change to a task's gate fields still waits for a human.
    pub tasks: Vec<String>,
    /// May write the persona library (personas/, contexts/, templates/, prompts/).
    pub library: Vec<String>,
}

impl OpenToAgents {
    fn from_raw(raw: Option<RawOpenToAgents>) -> OpenToAgents {
        let raw = raw.unwrap_or_default();
        OpenToAgents {
            tasks: raw.tasks,
            library: raw.library,
        }
    }

    pub fn tasks_open_to(&self, persona: &str) -> bool {
        self.tasks.iter().any(|name| name == persona)
    }

    pub fn library_open_to(&self, persona: &str) -> bool {
        self.library.iter().any(|name| name == persona)
    }
}

/// Command-line values that beat everything else.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub model: Option<String>,
    pub vars: BTreeMap<String, String>,
}

/// The resolved configuration of one project.
#[derive(Debug, Clone)]
pub struct Config {
    pub paths: ProjectPaths,
    pub endpoint: EndpointConfig,
    /// Persona model names → endpoint model names.
    pub models: BTreeMap<String, String>,
    /// `[vars]` with `--var` layered on top.
    pub vars: BTreeMap<String, String>,
    pub limits: RunLimits,
    pub tools: ToolSettings,
    pub gates: GateSettings,
    pub sandbox: SandboxSettings,
    pub overlays: BTreeMap<String, PersonaOverlay>,
    /// State protected by default that the project opened to named personas.
    pub open_to_agents: OpenToAgents,
    /// The cache directory (for the managed local endpoint), if one could be determined.
    pub cache_dir: Option<PathBuf>,
    /// Exact values of the secrets agentctl holds: the endpoint's API key and the AWS
    /// credentials in its environment ([`EnvVars::aws_secrets`]). Redacted wherever they appear.
    pub held_secrets: Vec<String>,
    /// The environment agentctl was started with; the tools pass allowlisted names from it to
    /// the processes they start.
    pub process_environment: Vec<(String, String)>,
    /// `[mcp.servers.NAME]`, resolved; nothing is started until a persona needs it.
    pub mcp_servers: Vec<agentctl_protocol::McpServerSpec>,
    /// The allowlisted variables MCP server processes inherit (`mcp::MCP_PASSED_THROUGH`).
    pub mcp_base_env: Vec<(String, String)>,
}

/// The project root: `explicit` when given (it must hold agentctl.toml), else the nearest
/// ancestor of `start` holding one.
pub fn discover_root(start: &Path, explicit: Option<&Path>) -> Result<PathBuf, ConfigError> {
    if let Some(root) = explicit {
        let root = absolute(start, root);
        if root.join(CONFIG_FILE_NAME).is_file() {
            return Ok(root);
        }
        return Err(ConfigError::NotFound { start: root });
    }
    let mut current = Some(start);
    while let Some(directory) = current {
        if directory.join(CONFIG_FILE_NAME).is_file() {
            return Ok(directory.to_path_buf());
        }
        current = directory.parent();
    }
    Err(ConfigError::NotFound {
        start: start.to_path_buf(),
    })
}

impl Config {
    /// Reads `ROOT/agentctl.toml` and layers the environment and flags over it.
    pub fn load(root: &Path, env: &EnvVars, overrides: &Overrides) -> Result<Config, ConfigError> {
        let config_file = root.join(CONFIG_FILE_NAME);
        let text = fs_err::read_to_string(&config_file).map_err(|source| ConfigError::Io {
            path: config_file.clone(),
            source,
        })?;
        let raw = RawConfig::parse(&config_file, &text)?;
        Config::from_raw(root, config_file, raw, env, overrides, &text)
    }

    fn from_raw(
        root: &Path,
        config_file: PathBuf,
        raw: RawConfig,
        env: &EnvVars,
        overrides: &Overrides,
        text: &str,
    ) -> Result<Config, ConfigError> {
        let paths = resolve_paths(root, config_file.clone(), raw.paths.unwrap_or_default());
        let endpoint = resolve_endpoint(raw.endpoint.unwrap_or_default(), env, overrides);
        let limits = resolve_limits(raw.limits.unwrap_or_default(), &config_file, text)?;
        let raw_tools = raw.tools.unwrap_or_default();
        let tools = ToolSettings {
            bash_timeout: raw_tools
                .bash_timeout_s
                .map(Duration::from_secs)
                .unwrap_or(ToolSettings::default().bash_timeout),
            output_cap_bytes: raw_tools
                .output_cap_bytes
                .unwrap_or_else(|| output_cap_for_window(endpoint.context_window)),
        };
        let raw_gates = raw.gates.unwrap_or_default();
        let evidence = crate::gate_evidence::resolve(
            [(Gate::S06, raw_gates.s06), (Gate::S07, raw_gates.s07)],
            &config_file,
            text,
        )?;
        let on_reject = match raw_gates.on_reject.as_deref() {
            None | Some("tell_model") => OnReject::TellModel,
            Some("end_run") => OnReject::EndRun,
            Some(other) => {
                let line = find_line(text, "on_reject");
                return Err(ConfigError::Invalid(
                    Diagnostic::error(
                        &config_file,
                        line,
                        format!("`on_reject = \"{other}\"` is not a choice"),
                    )
                    .with_hint("use \"tell_model\" or \"end_run\""),
                ));
            }
        };
        let sandbox = resolve_sandbox(
            root,
            &config_file,
            raw.sandbox.unwrap_or_default(),
            env,
            text,
        )?;
        let mut overlays = BTreeMap::new();
        let mut persona_servers = BTreeMap::new();
        for (name, table) in raw.personas {
            if !table.mcp_servers.is_empty() {
                persona_servers.insert(name.clone(), table.mcp_servers);
            }
            overlays.insert(name, table.overlay);
        }
        let mcp_servers = crate::mcp::resolve(
            raw.mcp.unwrap_or_default(),
            persona_servers,
            &config_file,
            text,
            &paths.workspace,
            env,
        )?;
        let mut vars = raw.vars;
        for (key, value) in &overrides.vars {
            vars.insert(key.clone(), value.clone());
        }
        let held_secrets = env
            .aws_secrets()
            .into_iter()
            .chain(endpoint.api_key.clone())
            .collect();
        Ok(Config {
            paths,
            endpoint,
            models: raw.models,
            vars,
            limits,
            tools,
            gates: GateSettings {
                on_reject,
                approvers: raw.approvers.unwrap_or_default(),
                evidence,
            },
            sandbox,
            overlays: overlays
                .into_iter()
                .map(|(name, mut overlay)| {
                    overlay.line = overlay_line(text, &name);
                    (name, overlay)
                })
                .collect(),
            open_to_agents: OpenToAgents::from_raw(raw.open_to_agents),
            held_secrets,
            cache_dir: env.cache_dir.clone(),
            process_environment: env.others.clone(),
            mcp_servers,
            mcp_base_env: crate::mcp::base_env(env),
        })
    }

    /// The endpoint model for a persona: `--model`/`AGENTCTL_MODEL` if given, else the
    /// persona's model mapped through `[models]`, else the endpoint's model.
    pub fn model_for(&self, persona_model: Option<&str>) -> String {
        if self.endpoint.model_forced {
            return self.endpoint.model.clone();
        }
        match persona_model {
            Some(name) => self.models.get(name).cloned().unwrap_or_else(|| {
                // An unmapped persona model only makes sense if the endpoint serves it; when the
                // endpoint model was configured, prefer it so one setting points a whole team at
                // a server.
                if self.endpoint.model == DEFAULT_MODEL {
                    name.to_owned()
                } else {
                    self.endpoint.model.clone()
                }
            }),
            None => self.endpoint.model.clone(),
        }
    }

    /// The base URL to call, resolving `local` to the managed local endpoint.
    pub fn base_url(&self) -> Result<String, ConfigError> {
        if self.endpoint.base_url != LOCAL_BASE_URL {
            return Ok(self.endpoint.base_url.trim_end_matches('/').to_owned());
        }
        let port_file = self.local_endpoint_port_file();
        let not_running = || {
            ConfigError::Invalid(
                Diagnostic::error(
                    &self.paths.config_file,
                    None,
                    "`base_url = \"local\"` but the managed local model endpoint is not running",
                )
                .with_hint("in a clone of the agentctl repository, start it with `scripts/local-model.sh up` (the first run builds it, about 5 minutes); otherwise set `base_url` to an OpenAI-compatible server (`agentctl docs endpoints`)"),
            )
        };
        let port_file = port_file.ok_or_else(not_running)?;
        match fs_err::read_to_string(&port_file).map(|text| text.trim().parse::<u16>()) {
            Ok(Ok(port)) => Ok(format!("http://127.0.0.1:{port}/v1")),
            _ => Err(not_running()),
        }
    }

    /// Where `scripts/local-model.sh up` writes the port of the running local endpoint.
    pub fn local_endpoint_port_file(&self) -> Option<PathBuf> {
        self.cache_dir
            .as_ref()
            .map(|dir| dir.join("local-model").join("server.port"))
    }

    /// Workspace-relative globs no agent may write, whatever its `write` scope: the audit log,
    /// the state file, the state directory, agentctl.toml, the task files and the persona
    /// library, wherever they fall inside the workspace. The OS sandbox keeps all of them
    /// read-only; [`Config::protected_globs_for`] is the list for one persona's policy.
    pub fn protected_globs(&self) -> Vec<String> {
        let mut globs = self.state_globs();
        globs.extend(self.task_globs());
        globs.extend(self.library_globs());
        globs
    }

    /// The protected list for `persona`: [`Config::protected_globs`] less what
    /// `[open_to_agents]` opened to it.
    pub fn protected_globs_for(&self, persona: &str) -> Vec<String> {
        let mut globs = self.state_globs();
        if !self.open_to_agents.tasks_open_to(persona) {
            globs.extend(self.task_globs());
        }
        if !self.open_to_agents.library_open_to(persona) {
            globs.extend(self.library_globs());
        }
        globs
    }

    /// Globs of the task files inside the workspace (empty when the tasks directory is
    /// elsewhere, where no agent can write anyway).
    pub fn task_globs(&self) -> Vec<String> {
        directory_globs(&self.paths.workspace, &[&self.paths.tasks])
    }

    fn library_globs(&self) -> Vec<String> {
        directory_globs(
            &self.paths.workspace,
            &[
                &self.paths.personas,
                &self.paths.contexts,
                &self.paths.templates,
                &self.paths.prompts,
            ],
        )
    }

    fn state_globs(&self) -> Vec<String> {
        let workspace = &self.paths.workspace;
        let mut globs = Vec::new();
        let files = [
            &self.paths.audit_log,
            &self.paths.state_file,
            &self.paths.config_file,
        ];
        for file in files {
            if let Some(relative) = relative_inside(workspace, file) {
                globs.push(relative);
            }
        }
        globs.extend(directory_globs(workspace, &[&self.paths.state_dir]));
        globs
    }
}

fn directory_globs(workspace: &Path, directories: &[&PathBuf]) -> Vec<String> {
    let mut globs = Vec::new();
    for directory in directories {
        match relative_inside(workspace, directory) {
            Some(relative) if relative.is_empty() => globs.push("**".to_owned()),
            Some(relative) => {
                globs.push(relative.clone());
                globs.push(format!("{relative}/**"));
            }
            None => {}
        }
    }
    globs
}

fn resolve_paths(root: &Path, config_file: PathBuf, raw: RawPaths) -> ProjectPaths {
    let at_root = |value: Option<String>, default: &str| {
        absolute(root, Path::new(value.as_deref().unwrap_or(default)))
    };
    let library = at_root(raw.library, ".");
    let in_library = |value: Option<String>, default: &str| {
        absolute(&library, Path::new(value.as_deref().unwrap_or(default)))
    };
    ProjectPaths {
        personas: in_library(raw.personas, "personas"),
        contexts: in_library(raw.contexts, "contexts"),
        templates: in_library(raw.templates, "templates"),
        prompts: in_library(raw.prompts, "prompts"),
        library: library.clone(),
        tasks: at_root(raw.tasks, "tasks"),
        workspace: at_root(raw.workspace, "."),
        audit_log: at_root(raw.audit_log, "AUDIT_LOG.md"),
        state_file: at_root(raw.state_file, "PROJECT_STATE.md"),
        state_dir: at_root(raw.state_dir, ".agentctl"),
        root: root.to_path_buf(),
        config_file,
    }
}

fn resolve_endpoint(raw: RawEndpoint, env: &EnvVars, overrides: &Overrides) -> EndpointConfig {
    let api_key_env = raw
        .api_key_env
        .unwrap_or_else(|| crate::env::OPENAI_API_KEY.to_owned());
    let forced = overrides
        .model
        .clone()
        .or_else(|| env.agentctl_model.clone());
    let base_url = env
        .openai_base_url
        .clone()
        .or(raw.base_url)
        .unwrap_or_else(|| DEFAULT_BASE_URL.to_owned());
    // The managed local server has a small context (scripts/local-model.sh starts it with
    // AGENTCTL_LOCAL_MODEL_N_CTX tokens, 8192 unless set): a request past it is refused outright,
    // so the conversation is kept within that instead of the general default.
    let default_window = if base_url == LOCAL_BASE_URL {
        env.lookup(crate::env::AGENTCTL_LOCAL_MODEL_N_CTX)
            .and_then(|tokens| tokens.trim().parse().ok())
            .unwrap_or(LOCAL_CONTEXT_WINDOW)
    } else {
        DEFAULT_CONTEXT_WINDOW
    };
    EndpointConfig {
        base_url,
        api_key: env.lookup(&api_key_env),
        api_key_env,
        model_forced: forced.is_some(),
        model: forced
            .or(raw.model)
            .unwrap_or_else(|| DEFAULT_MODEL.to_owned()),
        stream: raw.stream.unwrap_or(true),
        timeout: Duration::from_secs(raw.timeout_s.unwrap_or(120)),
        first_token_timeout: Duration::from_secs(raw.first_token_timeout_s.unwrap_or(600)),
        max_retries: raw.max_retries.unwrap_or(3),
        context_window: raw.context_window.unwrap_or(default_window),
    }
}

fn resolve_sandbox(
    root: &Path,
    config_file: &Path,
    raw: crate::raw::RawSandbox,
    env: &EnvVars,
    text: &str,
) -> Result<SandboxSettings, ConfigError> {
    let off = match raw.mode.as_deref() {
        None | Some("enforce") => false,
        Some("off") => true,
        Some(other) => {
            return Err(ConfigError::Invalid(
                Diagnostic::error(
                    config_file,
                    find_line(text, "mode"),
                    format!("`[sandbox] mode = \"{other}\"` is not a choice"),
                )
                .with_hint("use \"enforce\" (the default) or \"off\""),
            ))
        }
    };
    let home = env.lookup(crate::env::HOME).map(PathBuf::from);
    let mut read = Vec::new();
    for entry in raw.read.unwrap_or_default() {
        let path = match (entry.strip_prefix("~/"), &home) {
            (Some(rest), Some(home)) => home.join(rest),
            (Some(_), None) => {
                return Err(ConfigError::Invalid(
                    Diagnostic::error(
                        config_file,
                        find_line(text, "read"),
                        format!(
                            "`[sandbox] read` entry `{entry}` starts with `~/` but HOME is not set"
                        ),
                    )
                    .with_hint("write the path in full"),
                ))
            }
            (None, _) => absolute(root, Path::new(&entry)),
        };
        read.push(path);
    }
    Ok(SandboxSettings {
        off,
        read,
        off_line: if off { find_line(text, "mode") } else { None },
    })
}

fn resolve_limits(
    raw: RawLimits,
    config_file: &Path,
    text: &str,
) -> Result<RunLimits, ConfigError> {
    let default = RunLimits::default();
    let caps = default.reply;
    let zero = [
        ("max_reply_bytes", raw.max_reply_bytes == Some(0)),
        ("max_reply_tokens", raw.max_reply_tokens == Some(0)),
        ("max_reply_seconds", raw.max_reply_seconds == Some(0)),
        (
            "max_tool_calls_per_reply",
            raw.max_tool_calls_per_reply == Some(0),
        ),
        (
            "max_tool_argument_bytes",
            raw.max_tool_argument_bytes == Some(0),
        ),
        (
            "max_handoff_summary_bytes",
            raw.max_handoff_summary_bytes == Some(0),
        ),
        (
            "max_handoff_item_bytes",
            raw.max_handoff_item_bytes == Some(0),
        ),
        (
            "max_gate_evidence_bytes",
            raw.max_gate_evidence_bytes == Some(0),
        ),
    ];
    if let Some((key, _)) = zero.iter().find(|(_, is_zero)| *is_zero) {
        return Err(ConfigError::Invalid(
            Diagnostic::error(
                config_file,
                find_line(text, key),
                format!("[limits] {key} = 0 would refuse every model reply"),
            )
            .with_hint("use a positive number, or remove the key for the default"),
        ));
    }
    Ok(RunLimits {
        max_turns: raw.max_turns.unwrap_or(default.max_turns),
        max_handoffs: raw.max_handoffs.unwrap_or(default.max_handoffs),
        token_budget: raw.token_budget.unwrap_or(default.token_budget),
        max_denials: raw.max_denials.unwrap_or(default.max_denials),
        max_ping_pong: raw.max_ping_pong.unwrap_or(default.max_ping_pong),
        reply: ReplyCaps {
            max_reply_bytes: raw.max_reply_bytes.unwrap_or(caps.max_reply_bytes),
            max_reply_tokens: raw.max_reply_tokens.unwrap_or(caps.max_reply_tokens),
            max_reply_time: raw
                .max_reply_seconds
                .map(Duration::from_secs)
                .unwrap_or(caps.max_reply_time),
            max_tool_calls_per_reply: raw
                .max_tool_calls_per_reply
                .unwrap_or(caps.max_tool_calls_per_reply),
            max_tool_argument_bytes: raw
                .max_tool_argument_bytes
                .unwrap_or(caps.max_tool_argument_bytes),
            max_handoff_summary_bytes: raw
                .max_handoff_summary_bytes
                .unwrap_or(caps.max_handoff_summary_bytes),
            max_handoff_items: raw.max_handoff_items.unwrap_or(caps.max_handoff_items),
            max_handoff_item_bytes: raw
                .max_handoff_item_bytes
                .unwrap_or(caps.max_handoff_item_bytes),
            max_gate_evidence_bytes: raw
                .max_gate_evidence_bytes
                .unwrap_or(caps.max_gate_evidence_bytes),
        },
    })
}

/// `path` joined to `base` unless absolute, with `.` components removed and `..` folded
/// lexically (the paths come from the user's own config, so lexical folding is what they mean).
fn absolute(base: &Path, path: &Path) -> PathBuf {
    let joined = if path.is_absolute() {
        path.to_path_buf()
    } else {
        base.join(path)
    };
    let mut normal = PathBuf::new();
    for component in joined.components() {
        match component {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                normal.pop();
            }
            other => normal.push(other),
        }
    }
    normal
}

/// `path` relative to `base` with forward slashes, if it lies inside it.
fn relative_inside(base: &Path, path: &Path) -> Option<String> {
    let relative = path.strip_prefix(base).ok()?;
    let parts: Vec<String> = relative
        .components()
        .map(|part| part.as_os_str().to_string_lossy().into_owned())
        .collect();
    Some(parts.join("/"))
}

/// The 1-based line where `[personas.NAME]` (or its first sub-table, or `NAME = {…}` under
/// `[personas]`) starts. The toml crate gives no spans for map keys, so this reads the text.
fn overlay_line(text: &str, name: &str) -> Option<usize> {
    let unquote = |key: &str| -> String {
        key.split('.')
            .map(|part| part.trim().trim_matches('"').trim_matches('\''))
            .collect::<Vec<_>>()
            .join(".")
    };
    let table = format!("personas.{name}");
    let mut current_table = String::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim_start();
        if let Some(header) = line.strip_prefix('[').filter(|rest| !rest.starts_with('[')) {
            current_table = unquote(header.split(']').next().unwrap_or_default());
            if current_table == table || current_table.starts_with(&format!("{table}.")) {
                return Some(index + 1);
            }
            continue;
        }
        let Some((key, _)) = line.split_once('=') else {
            continue;
        };
        let key = unquote(key);
        let full_key = if current_table.is_empty() {
            key
        } else {
            format!("{current_table}.{key}")
        };
        if full_key == table || full_key.starts_with(&format!("{table}.")) {
            return Some(index + 1);
        }
    }
    None
}

pub(crate) fn find_line(text: &str, key: &str) -> Option<usize> {
    text.lines()
        .position(|line| line.trim_start().starts_with(key))
        .map(|index| index + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config_from(
        text: &str,
        env: &EnvVars,
        overrides: &Overrides,
    ) -> Result<Config, ConfigError> {
        let root = Path::new("/project");
        let raw = RawConfig::parse(&root.join(CONFIG_FILE_NAME), text)?;
        Config::from_raw(root, root.join(CONFIG_FILE_NAME), raw, env, overrides, text)
    }

    #[test]
    fn defaults_apply_to_an_empty_file() {
        let config = config_from("", &EnvVars::default(), &Overrides::default()).unwrap();
        assert_eq!(config.paths.personas, Path::new("/project/personas"));
        assert_eq!(config.paths.audit_log, Path::new("/project/AUDIT_LOG.md"));
        assert_eq!(config.endpoint.base_url, DEFAULT_BASE_URL);
        assert_eq!(config.endpoint.max_retries, 3);
        assert_eq!(config.limits, RunLimits::default());
    }

    #[test]
    fn reply_caps_are_read_from_limits() {
        let text = "[limits]\nmax_reply_bytes = 1000\nmax_reply_tokens = 50\nmax_reply_seconds = 7\n\
                    max_tool_calls_per_reply = 3\nmax_tool_argument_bytes = 99\n\
                    max_handoff_summary_bytes = 10\nmax_handoff_items = 2\nmax_handoff_item_bytes = 5\n\
                    max_gate_evidence_bytes = 20\n";
        let config = config_from(text, &EnvVars::default(), &Overrides::default()).unwrap();
        let caps = config.limits.reply;
        assert_eq!(caps.max_reply_bytes, 1000);
        assert_eq!(caps.max_reply_tokens, 50);
        assert_eq!(caps.max_reply_time, Duration::from_secs(7));
        assert_eq!(caps.max_tool_calls_per_reply, 3);
        assert_eq!(caps.max_tool_argument_bytes, 99);
        assert_eq!(caps.max_handoff_summary_bytes, 10);
        assert_eq!(caps.max_handoff_items, 2);
        assert_eq!(caps.max_handoff_item_bytes, 5);
        assert_eq!(caps.max_gate_evidence_bytes, 20);
    }

    #[test]
    fn a_zero_reply_cap_is_refused_with_its_line() {
        let text = "[limits]\nmax_turns = 3\nmax_reply_bytes = 0\n";
        let error = config_from(text, &EnvVars::default(), &Overrides::default()).unwrap_err();
        let ConfigError::Invalid(diagnostic) = error else {
            panic!("expected Invalid")
        };
        assert_eq!(diagnostic.line, Some(3));
        assert!(
            diagnostic.message.contains("max_reply_bytes"),
            "{}",
            diagnostic.message
        );
    }

    #[test]
    fn one_tool_result_is_capped_at_a_quarter_of_a_small_context_window() {
        // The local server's 8192 tokens: at most 8 KiB of one command's output.
        let local = "[endpoint]\nbase_url = \"local\"\n";
        let config = config_from(local, &EnvVars::default(), &Overrides::default()).unwrap();
        assert_eq!(config.tools.output_cap_bytes, 8192);
        let small = "[endpoint]\ncontext_window = 2048\n";
        let config = config_from(small, &EnvVars::default(), &Overrides::default()).unwrap();
        assert_eq!(config.tools.output_cap_bytes, 2048);
        // The general 32768-token window: 32 KiB; 64 KiB at most; a cap set in the file wins.
        let remote = "[endpoint]\nbase_url = \"http://remote/v1\"\n";
        let config = config_from(remote, &EnvVars::default(), &Overrides::default()).unwrap();
        assert_eq!(config.tools.output_cap_bytes, 32 * 1024);
        let large = "[endpoint]\ncontext_window = 200000\n";
        let config = config_from(large, &EnvVars::default(), &Overrides::default()).unwrap();
        assert_eq!(config.tools.output_cap_bytes, 64 * 1024);
        let set = "[endpoint]\nbase_url = \"local\"\n[tools]\noutput_cap_bytes = 100000\n";
        let config = config_from(set, &EnvVars::default(), &Overrides::default()).unwrap();
        assert_eq!(config.tools.output_cap_bytes, 100_000);
    }

    #[test]
    fn the_local_server_keeps_conversations_within_its_own_context() {
        let local = "[endpoint]\nbase_url = \"local\"\n";
        let config = config_from(local, &EnvVars::default(), &Overrides::default()).unwrap();
        assert_eq!(config.endpoint.context_window, 8192);
        let env = EnvVars {
            others: vec![("AGENTCTL_LOCAL_MODEL_N_CTX".into(), "16384".into())],
            ..EnvVars::default()
        };
        let config = config_from(local, &env, &Overrides::default()).unwrap();
        assert_eq!(config.endpoint.context_window, 16384);
        // A window set in the file wins; any other endpoint keeps the general default.
        let set = "[endpoint]\nbase_url = \"local\"\ncontext_window = 4096\n";
        let config = config_from(set, &env, &Overrides::default()).unwrap();
        assert_eq!(config.endpoint.context_window, 4096);
        let remote = "[endpoint]\nbase_url = \"http://remote/v1\"\n";
        let config = config_from(remote, &env, &Overrides::default()).unwrap();
        assert_eq!(config.endpoint.context_window, DEFAULT_CONTEXT_WINDOW);
    }

    #[test]
    fn layers_file_then_env_then_flags() {
        let text = "[endpoint]\nbase_url = \"http://file/v1\"\nmodel = \"file-model\"\n";
        let env = EnvVars {
            openai_base_url: Some("http://env/v1".into()),
            agentctl_model: Some("env-model".into()),
            ..EnvVars::default()
        };
        let config = config_from(text, &env, &Overrides::default()).unwrap();
        assert_eq!(config.endpoint.base_url, "http://env/v1");
        assert_eq!(config.endpoint.model, "env-model");
        let flags = Overrides {
            model: Some("flag-model".into()),
            ..Overrides::default()
        };
        let config = config_from(text, &env, &flags).unwrap();
        assert_eq!(config.endpoint.model, "flag-model");
        assert_eq!(config.model_for(Some("claude-sonnet-4.5")), "flag-model");
    }

    #[test]
    fn persona_models_map_through_the_models_table() {
        let text = "[endpoint]\nmodel = \"smollm2\"\n[models]\n\"claude-sonnet-4.5\" = \"big\"\n";
        let config = config_from(text, &EnvVars::default(), &Overrides::default()).unwrap();
        assert_eq!(config.model_for(Some("claude-sonnet-4.5")), "big");
        assert_eq!(config.model_for(Some("unmapped")), "smollm2");
        assert_eq!(config.model_for(None), "smollm2");
    }

    #[test]
    fn library_paths_are_relative_to_the_library_root() {
        let text = "[paths]\nlibrary = \"..\"\nworkspace = \".\"\n";
        let config = config_from(text, &EnvVars::default(), &Overrides::default()).unwrap();
        assert_eq!(config.paths.personas, Path::new("/personas"));
        assert_eq!(config.paths.workspace, Path::new("/project"));
        // The library lies outside the workspace, so only the state files are protected.
        assert_eq!(
            config.protected_globs(),
            vec![
                "AUDIT_LOG.md",
                "PROJECT_STATE.md",
                "agentctl.toml",
                ".agentctl",
                ".agentctl/**",
                "tasks",
                "tasks/**"
            ]
        );
    }

    #[test]
    fn protected_globs_cover_the_library_inside_the_workspace() {
        let config = config_from("", &EnvVars::default(), &Overrides::default()).unwrap();
        let globs = config.protected_globs();
        for expected in [
            "personas/**",
            "contexts/**",
            "templates/**",
            "prompts/**",
            ".agentctl/**",
            "agentctl.toml",
        ] {
            assert!(
                globs.iter().any(|glob| glob == expected),
                "missing {expected} in {globs:?}"
            );
        }
    }

    #[test]
    fn sandbox_is_enforced_unless_turned_off() {
        let config = config_from("", &EnvVars::default(), &Overrides::default()).unwrap();
        assert!(!config.sandbox.off);
        let env = EnvVars {
            others: vec![("HOME".into(), "/home/dev".into())],
            ..EnvVars::default()
        };
        let text = "[sandbox]\nmode = \"off\"\nread = [\"~/.rustup\", \"tools\"]\n";
        let config = config_from(text, &env, &Overrides::default()).unwrap();
        assert!(config.sandbox.off);
        assert_eq!(config.sandbox.off_line, Some(2));
        assert_eq!(
            config.sandbox.read,
            vec![
                PathBuf::from("/home/dev/.rustup"),
                PathBuf::from("/project/tools")
            ]
        );
        let error = config_from(
            "[sandbox]\nmode = \"maybe\"\n",
            &EnvVars::default(),
            &Overrides::default(),
        )
        .unwrap_err();
        let ConfigError::Invalid(diagnostic) = error else {
            panic!("expected Invalid")
        };
        assert_eq!(diagnostic.line, Some(2));
    }

    #[test]
    fn bad_on_reject_is_an_error_with_a_line() {
        let text = "[gates]\non_reject = \"maybe\"\n";
        let error = config_from(text, &EnvVars::default(), &Overrides::default()).unwrap_err();
        let ConfigError::Invalid(diagnostic) = error else {
            panic!("expected Invalid")
        };
        assert_eq!(diagnostic.line, Some(2));
    }

    #[test]
    fn api_key_comes_from_the_named_variable() {
        let text = "[endpoint]\napi_key_env = \"MY_KEY\"\n";
        let env = EnvVars {
            others: vec![("MY_KEY".into(), "secret".into())],
            ..EnvVars::default()
        };
        let config = config_from(text, &env, &Overrides::default()).unwrap();
        assert_eq!(config.endpoint.api_key.as_deref(), Some("secret"));
    }

    #[test]
    fn local_base_url_without_a_running_endpoint_says_how_to_start_it() {
        let directory = tempfile::tempdir().unwrap();
        let text = "[endpoint]\nbase_url = \"local\"\n";
        let env = EnvVars {
            cache_dir: Some(directory.path().to_path_buf()),
            ..EnvVars::default()
        };
        let config = config_from(text, &env, &Overrides::default()).unwrap();
        let error = config.base_url().unwrap_err();
        assert!(error
            .hint()
            .unwrap_or_default()
            .contains("local-model.sh up"));
        fs_err::create_dir_all(directory.path().join("local-model")).unwrap();
        fs_err::write(directory.path().join("local-model/server.port"), "8765\n").unwrap();
        assert_eq!(config.base_url().unwrap(), "http://127.0.0.1:8765/v1");
    }

    #[test]
    fn each_overlay_knows_the_line_of_its_table() {
        let text = "[vars]\nA = \"1\"\n\n[personas.ops-devops.commands]\nallow = [\"git status\"]\n\n[personas.\"qa-engineer\"]\nmodel = \"m\"\n\n[personas]\nsec-reviewer = { model = \"m\" }\n";
        let config = config_from(text, &EnvVars::default(), &Overrides::default()).unwrap();
        assert_eq!(config.overlays["ops-devops"].line, Some(4));
        assert_eq!(config.overlays["qa-engineer"].line, Some(7));
        assert_eq!(config.overlays["sec-reviewer"].line, Some(11));
    }
}
