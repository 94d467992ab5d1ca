//! What every tool handler is given, and what it gives back.
//!
//! Owns: [`ToolContext`] (workspace, limits, the `aws` program) and [`ToolOutput`]. Does not
//! know where the values come from; the config crate resolves them and the run loop builds the
//! context.

use std::path::PathBuf;
use std::time::Duration;

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
}

impl ToolContext {
    /// The documented defaults of `[tools]` in agentctl.toml: 60 s, 64 KiB, `aws` on PATH.
    pub fn new(workspace: impl Into<PathBuf>) -> ToolContext {
        ToolContext {
            workspace: workspace.into(),
            bash_timeout: Duration::from_secs(60),
            output_cap_bytes: 65_536,
            aws_program: PathBuf::from("aws"),
            extra_env_denylist: Vec::new(),
        }
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
}

impl ToolOutput {
    pub(crate) fn text(text: String, truncated: bool) -> ToolOutput {
        ToolOutput {
            text,
            truncated,
            exit_code: None,
            timed_out: false,
        }
    }
}
