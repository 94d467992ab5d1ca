//! `execute_bash`: one approved shell command, run by bash in the workspace.
//!
//! Owns: the bash invocation (no profile, no rc files, `-c`) and its stripped environment. Does
//! not parse or judge the command; the policy engine already did, and the process module
//! enforces the time limit and output cap.

use std::ffi::{OsStr, OsString};

use agentctl_protocol::ToolName;

use crate::context::{ToolContext, ToolOutput};
use crate::environment::{child_environment, ChildKind};
use crate::error::ToolError;
use crate::process::{run_bounded, ProcessRequest};

/// Runs `bash --noprofile --norc -c COMMAND` with the workspace as working directory.
pub async fn execute_bash(ctx: &ToolContext, command: &str) -> Result<ToolOutput, ToolError> {
    if command.trim().is_empty() {
        return Err(ToolError::InvalidArguments {
            tool: ToolName::ExecuteBash,
            problem: "field `command` is empty".to_owned(),
            schema: crate::specs::schema_text(ToolName::ExecuteBash),
        });
    }
    let environment = child_environment(ChildKind::Shell, &ctx.extra_env_denylist, |name| {
        std::env::var_os(name)
    });
    run_bounded(ProcessRequest {
        program: OsStr::new("bash"),
        arguments: ["--noprofile", "--norc", "-c", command]
            .into_iter()
            .map(OsString::from)
            .collect(),
        working_directory: &ctx.workspace,
        environment,
        timeout: ctx.bash_timeout,
        output_cap_bytes: ctx.output_cap_bytes,
        label: command.to_owned(),
    })
    .await
}
