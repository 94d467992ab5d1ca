//! What every tool handler is given, and what it gives back.
//!
//! Owns: [`ToolContext`] (workspace, limits, the `aws` program, the sandbox mode and the
//! environment children may inherit from), [`SandboxMode`] and [`ToolOutput`]. Does not know
//! where the values come from; the config crate resolves them and the run loop builds the
//! context.

use std::path::PathBuf;
use std::time::Duration;

/// How the processes a persona starts are confined.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SandboxMode {
    /// Every process runs inside the OS sandbox, started through `helper` (the `agentctl`
    /// binary, whose hidden `__sandbox-exec` subcommand applies the profile and execs the
    /// program). A call whose sandbox cannot be set up is refused, never run unconfined.
    Enforce { helper: PathBuf },
    /// No OS sandbox: only the policy stands between the model and the machine. Only an
    /// explicit `[sandbox] mode = "off"` selects this.
    Off,
}

/// Limits and locations shared by every call of one run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolContext {
    /// The directory commands run in and relative paths resolve against.
    pub workspace: PathBuf,
    /// Wall-clock limit for `execute_bash` and `use_aws`.
    pub bash_timeout: Duration,
    /// Most bytes of file content or command output returned to the model.
    pub output_cap_bytes: usize,
    /// The AWS CLI; a bare name is looked up on PATH.
    pub aws_program: PathBuf,
    /// Extra fragments of environment variable names to strip from child processes, on top of
    /// the built-in secret patterns. Matched case-insensitively anywhere in the name.
    pub extra_env_denylist: Vec<String>,
    /// How `execute_bash` and `use_aws` processes are confined.
    pub sandbox: SandboxMode,
    /// Absolute paths (besides the system directories and the workspace) every sandboxed
    /// process may read, e.g. a toolchain under the user's home (`[sandbox] read`).
    pub sandbox_read: Vec<PathBuf>,
    /// The environment agentctl was started with. Children get only allowlisted names from it;
    /// the handlers never read the process environment themselves.
    pub parent_environment: Vec<(String, String)>,
    /// Where per-call scratch directories (`HOME`, `TMPDIR`) are created; the system temporary
    /// directory when `None`. Must lie outside the workspace.
    pub scratch_base: Option<PathBuf>,
}

impl ToolContext {
    /// The documented defaults of `[tools]` in agentctl.toml: 60 s, 64 KiB, `aws` on PATH; the
    /// sandbox enforced with no helper configured yet (so commands are refused until the
    /// caller names one or turns the sandbox off) and an empty parent environment.
    pub fn new(workspace: impl Into<PathBuf>) -> ToolContext {
        ToolContext {
            workspace: workspace.into(),
            bash_timeout: Duration::from_secs(60),
            output_cap_bytes: 65_536,
            aws_program: PathBuf::from("aws"),
            extra_env_denylist: Vec::new(),
            sandbox: SandboxMode::Enforce {
                helper: PathBuf::new(),
            },
            sandbox_read: Vec::new(),
            parent_environment: Vec::new(),
            scratch_base: None,
        }
    }

    /// A variable of the environment agentctl was started with.
    pub(crate) fn parent_variable(&self, name: &str) -> Option<std::ffi::OsString> {
        self.parent_environment
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| std::ffi::OsString::from(value))
    }
}

/// The result of a tool call that ran. A non-zero exit status is still an `Ok` output: the model
/// needs to see what the command printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolOutput {
    /// What goes back to the model, including any notes about truncation, timeout or exit status.
    pub text: String,
    /// Whether content or output was cut at `output_cap_bytes` (or a listing at its entry limit).
    pub truncated: bool,
    /// The process exit code, for commands that exited normally.
    pub exit_code: Option<i32>,
    /// Whether the command was killed at its time limit.
    pub timed_out: bool,
    /// The sandbox applied to the process, as recorded in the audit log (`None` for calls
    /// that start no process).
    pub sandbox: Option<serde_json::Value>,
    /// The files a command created, modified or removed in the trees it may write (`None`
    /// for calls that start no process).
    pub changed_files: Option<crate::changes::CommandChanges>,
}

impl ToolOutput {
    pub(crate) fn text(text: String, truncated: bool) -> ToolOutput {
        ToolOutput {
            text,
            truncated,
            exit_code: None,
            timed_out: false,
            sandbox: None,
            changed_files: None,
        }
    }
}
