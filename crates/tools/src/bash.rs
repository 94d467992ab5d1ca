//! `execute_bash`: one approved shell command, run by bash in the workspace.
//!
//! Owns: the bash invocation (no profile, no rc files, `-c`) and its stripped environment. Does
//! not parse or judge the command; the policy engine already did, the sandbox confines what it
//! can touch, and the process module enforces the time limit and output cap.

use std::ffi::{OsStr, OsString};

use agentctl_protocol::ToolName;

use crate::confine::{CallScope, Confinement};
use crate::context::{ToolContext, ToolOutput};
use crate::environment::{child_environment, ChildKind};
use crate::error::ToolError;
use crate::process::{run_bounded, ProcessRequest};

/// Runs `bash --noprofile --norc -c COMMAND` with the workspace as working directory, inside
/// the sandbox `scope` describes.
pub async fn execute_bash(
    ctx: &ToolContext,
    scope: &CallScope<'_>,
    command: &str,
) -> Result<ToolOutput, ToolError> {
    if command.trim().is_empty() {
        return Err(ToolError::InvalidArguments {
            tool: ToolName::ExecuteBash,
            problem: "field `command` is empty".to_owned(),
            schema: crate::specs::schema_text(ToolName::ExecuteBash),
        });
    }
    let confinement = Confinement::prepare(ctx, scope, &[])?;
    let environment = child_environment(
        ChildKind::Shell,
        &ctx.extra_env_denylist,
        scope.env,
        Some(confinement.scratch()),
        |name| ctx.parent_variable(name),
    );
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
        confinement: &confinement,
    })
    .await
}
