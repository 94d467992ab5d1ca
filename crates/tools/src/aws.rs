//! `use_aws`: one approved AWS API call through the `aws` CLI, never through a shell.
//!
//! Owns: [`AwsCall`], the mapping of API names to CLI names (`UpdateService` →
//! `update-service`), the argument vector, and the environment the CLI gets (the shell's
//! allowlist plus `AWS_PROFILE`, `AWS_REGION` and `AWS_DEFAULT_REGION`, so credentials come
//! from a profile or the instance role, not from the agent's environment). Inside the sandbox
//! the CLI always keeps the network (calling the AWS API is its whole job; no shell is involved)
//! and may read the user's `~/.aws` directory, which `AWS_CONFIG_FILE` and
//! `AWS_SHARED_CREDENTIALS_FILE` point at, since its `HOME` is the call's scratch directory.
//! Does not know which calls are allowed; the policy engine checked `service:Operation`.

use std::ffi::OsString;

use agentctl_protocol::ToolName;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::confine::{CallScope, Confinement};
use crate::context::{ToolContext, ToolOutput};
use crate::environment::{child_environment, ChildKind};
use crate::error::ToolError;
use crate::process::{run_bounded, ProcessRequest};

/// A structured AWS API call as the model asked for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AwsCall {
    /// Service as the CLI or the API names it: `ecs`, `cloudwatch`, `rds`.
    pub service: String,
    /// API operation, e.g. `UpdateService`; a CLI name such as `update-service` also works.
    pub operation: String,
    /// The operation's input, passed verbatim as `--cli-input-json`.
    #[serde(default)]
    pub parameters: Map<String, Value>,
    #[serde(default)]
    pub region: Option<String>,
}

/// Runs `aws SERVICE OPERATION --cli-input-json JSON --output json [--region R]` inside the
/// sandbox `scope` describes.
pub async fn use_aws(
    ctx: &ToolContext,
    scope: &CallScope<'_>,
    call: &AwsCall,
) -> Result<ToolOutput, ToolError> {
    let arguments = aws_arguments(call)?;
    let aws_directory = ctx
        .parent_variable("HOME")
        .map(|home| std::path::PathBuf::from(home).join(".aws"))
        .filter(|directory| directory.is_dir());
    let with_network = CallScope {
        network: true,
        ..*scope
    };
    let extra_read: Vec<std::path::PathBuf> = aws_directory.iter().cloned().collect();
    let confinement = Confinement::prepare(ctx, &with_network, &extra_read)?;
    let mut environment = child_environment(
        ChildKind::AwsCli,
        &ctx.extra_env_denylist,
        scope.env,
        Some(confinement.scratch()),
        |name| ctx.parent_variable(name),
    );
    if let Some(directory) = aws_directory {
        environment.push((
            "AWS_CONFIG_FILE".to_owned(),
            directory.join("config").into_os_string(),
        ));
        environment.push((
            "AWS_SHARED_CREDENTIALS_FILE".to_owned(),
            directory.join("credentials").into_os_string(),
        ));
    }
    run_bounded(ProcessRequest {
        program: ctx.aws_program.as_os_str(),
        label: format!("aws {} {}", arguments[0], arguments[1]),
        arguments: arguments.into_iter().map(OsString::from).collect(),
        working_directory: &ctx.workspace,
        environment,
        timeout: ctx.bash_timeout,
        output_cap_bytes: ctx.output_cap_bytes,
        confinement: &confinement,
    })
    .await
}

/// The CLI's argument vector for `call`, after checking that no name could be read as an option
/// or smuggle in extra words.
pub fn aws_arguments(call: &AwsCall) -> Result<Vec<String>, ToolError> {
    check_name("service", &call.service)?;
    check_name("operation", &call.operation)?;
    let input = serde_json::to_string(&call.parameters).map_err(|error| {
        invalid(format!(
            "field `parameters` could not be encoded as JSON: {error}"
        ))
    })?;
    let mut arguments = vec![
        cli_name(&call.service),
        cli_name(&call.operation),
        "--cli-input-json".to_owned(),
        input,
        "--output".to_owned(),
        "json".to_owned(),
    ];
    if let Some(region) = &call.region {
        check_name("region", region)?;
        arguments.push("--region".to_owned());
        arguments.push(region.clone());
    }
    Ok(arguments)
}

/// Converts an API name to the CLI's kebab case: a hyphen goes before an upper-case letter that
/// follows a lower-case letter or digit, and before the last capital of an acronym that starts
/// a new word (`ListDBInstances` → `list-db-instances`). Names already in kebab case pass
/// through unchanged.
pub fn cli_name(name: &str) -> String {
    let characters: Vec<char> = name.chars().collect();
    let mut converted = String::with_capacity(name.len() + 4);
    for (index, character) in characters.iter().enumerate() {
        if character.is_ascii_uppercase() && index > 0 {
            let previous = characters[index - 1];
            let next_is_lower = characters
                .get(index + 1)
                .is_some_and(|next| next.is_ascii_lowercase());
            let starts_word = previous.is_ascii_lowercase()
                || previous.is_ascii_digit()
                || (previous.is_ascii_uppercase() && next_is_lower);
            if starts_word {
                converted.push('-');
            }
        }
        converted.push(character.to_ascii_lowercase());
    }
    converted
}

fn check_name(field: &str, value: &str) -> Result<(), ToolError> {
    let well_formed = !value.is_empty()
        && !value.starts_with('-')
        && value
            .chars()
            .all(|character| character.is_ascii_alphanumeric() || character == '-');
    if well_formed {
        Ok(())
    } else {
        Err(invalid(format!(
            "field `{field}` is `{value}`; it must be letters, digits and hyphens, not starting with a hyphen"
        )))
    }
}

fn invalid(problem: String) -> ToolError {
    ToolError::InvalidArguments {
        tool: ToolName::UseAws,
        problem,
        schema: crate::specs::schema_text(ToolName::UseAws),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_names_become_cli_names() {
        assert_eq!(cli_name("UpdateService"), "update-service");
        assert_eq!(cli_name("DescribeServices"), "describe-services");
        assert_eq!(cli_name("GetMetricData"), "get-metric-data");
        assert_eq!(cli_name("ListDBInstances"), "list-db-instances");
        assert_eq!(
            cli_name("DescribeDBClusterSnapshots"),
            "describe-db-cluster-snapshots"
        );
        assert_eq!(cli_name("DescribeEC2Instances"), "describe-ec2-instances");
        assert_eq!(cli_name("update-service"), "update-service");
        assert_eq!(cli_name("ECS"), "ecs");
        assert_eq!(cli_name("ecs"), "ecs");
    }

    #[test]
    fn option_like_names_are_refused() {
        let call = AwsCall {
            service: "--endpoint-url".to_owned(),
            operation: "ListBuckets".to_owned(),
            parameters: Map::new(),
            region: None,
        };
        let error = aws_arguments(&call).err().map(|error| error.kind());
        assert_eq!(error, Some("invalid_arguments"));
        let spaced = AwsCall {
            service: "s3api".to_owned(),
            operation: "ListBuckets --debug".to_owned(),
            ..call
        };
        assert!(aws_arguments(&spaced).is_err());
    }
}
