//! Strict parsing of the argument text a model wrote for a tool call.
//!
//! Owns: [`ParsedArguments`] and [`parse_arguments`], which turn the raw JSON into typed
//! arguments or an `invalid_arguments` error naming the field at fault and the expected schema,
//! so the run loop can send it back and the model can correct itself. Does not know whether
//! the call is allowed or what it does.

use agentctl_protocol::{Gate, GateStatus, ToolName};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::aws::AwsCall;
use crate::error::ToolError;
use crate::specs::schema_text;

/// A tool call's arguments, checked against the tool's schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParsedArguments {
    FsRead {
        path: String,
    },
    FsList {
        path: String,
    },
    FsWrite {
        path: String,
        content: String,
    },
    ExecuteBash {
        command: String,
    },
    UseAws(AwsCall),
    Handoff {
        to: String,
        summary: String,
        items: Vec<String>,
    },
    /// `status` is only ever `Passed` or `Failed`.
    GateReport {
        gate: Gate,
        status: GateStatus,
        evidence: String,
    },
    /// A tool of an MCP server. The arguments are the model's JSON object, passed on as they
    /// are; the server validates them against its own schema.
    Mcp {
        server: String,
        tool: String,
        arguments: Map<String, Value>,
    },
}

impl ParsedArguments {
    /// The built-in tool the call is for; `None` for an MCP tool.
    pub fn tool(&self) -> Option<ToolName> {
        match self {
            ParsedArguments::FsRead { .. } => Some(ToolName::FsRead),
            ParsedArguments::FsList { .. } => Some(ToolName::FsList),
            ParsedArguments::FsWrite { .. } => Some(ToolName::FsWrite),
            ParsedArguments::ExecuteBash { .. } => Some(ToolName::ExecuteBash),
            ParsedArguments::UseAws(_) => Some(ToolName::UseAws),
            ParsedArguments::Handoff { .. } => Some(ToolName::Handoff),
            ParsedArguments::GateReport { .. } => Some(ToolName::GateReport),
            ParsedArguments::Mcp { .. } => None,
        }
    }

    /// An MCP call from the model's argument text, which must be one JSON object (or empty,
    /// meaning no arguments). The error says what was wrong, for the model to correct.
    pub fn mcp(server: &str, tool: &str, text: &str) -> Result<ParsedArguments, String> {
        let arguments = if text.trim().is_empty() {
            Map::new()
        } else {
            match serde_json::from_str::<Value>(text) {
                Ok(Value::Object(map)) => map,
                Ok(_) => return Err("the arguments must be one JSON object".to_owned()),
                Err(error) => return Err(format!("the arguments are not valid JSON: {error}")),
            }
        };
        Ok(ParsedArguments::Mcp {
            server: server.to_owned(),
            tool: tool.to_owned(),
            arguments,
        })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a JSON object")]
struct PathArguments {
    path: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a JSON object")]
struct WriteArguments {
    path: String,
    content: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a JSON object")]
struct CommandArguments {
    command: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a JSON object")]
struct AwsArguments {
    service: String,
    operation: String,
    #[serde(default)]
    parameters: Option<Map<String, Value>>,
    #[serde(default)]
    region: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a JSON object")]
struct HandoffArguments {
    to: String,
    summary: String,
    items: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a JSON object")]
struct GateReportArguments {
    gate: String,
    status: String,
    evidence: String,
}

/// Parses `arguments` (surrounding whitespace allowed) as `tool`'s arguments. Unknown fields,
/// missing required fields, wrong types and empty required strings are `invalid_arguments`.
pub fn parse_arguments(tool: ToolName, arguments: &str) -> Result<ParsedArguments, ToolError> {
    let text = arguments.trim();
    let invalid = |problem: String| ToolError::InvalidArguments {
        tool,
        problem,
        schema: schema_text(tool),
    };
    let parsed = match tool {
        ToolName::FsRead | ToolName::FsList => {
            let PathArguments { path } = decode(tool, text)?;
            require_text("path", &path).map_err(invalid)?;
            if tool == ToolName::FsRead {
                ParsedArguments::FsRead { path }
            } else {
                ParsedArguments::FsList { path }
            }
        }
        ToolName::FsWrite => {
            let WriteArguments { path, content } = decode(tool, text)?;
            require_text("path", &path).map_err(invalid)?;
            ParsedArguments::FsWrite { path, content }
        }
        ToolName::ExecuteBash => {
            let CommandArguments { command } = decode(tool, text)?;
            require_text("command", &command).map_err(invalid)?;
            ParsedArguments::ExecuteBash { command }
        }
        ToolName::UseAws => {
            let fields: AwsArguments = decode(tool, text)?;
            let call = AwsCall {
                service: fields.service,
                operation: fields.operation,
                parameters: fields.parameters.unwrap_or_default(),
                region: fields.region,
            };
            // Builds the argument vector once so a malformed name is reported now, while the
            // model can still fix it, rather than after policy and approval.
            crate::aws::aws_arguments(&call)?;
            ParsedArguments::UseAws(call)
        }
        ToolName::Handoff => {
            let HandoffArguments { to, summary, items } = decode(tool, text)?;
            require_text("to", &to).map_err(invalid)?;
            require_text("summary", &summary).map_err(invalid)?;
            ParsedArguments::Handoff { to, summary, items }
        }
        ToolName::GateReport => {
            let fields: GateReportArguments = decode(tool, text)?;
            let gate: Gate = fields
                .gate
                .parse()
                .map_err(|error| invalid(format!("field `gate`: {error}")))?;
            let status = match fields.status.as_str() {
                "passed" => GateStatus::Passed,
                "failed" => GateStatus::Failed,
                other => {
                    return Err(invalid(format!(
                        "field `status` is `{other}`; it must be `passed` or `failed`"
                    )))
                }
            };
            require_text("evidence", &fields.evidence).map_err(invalid)?;
            ParsedArguments::GateReport {
                gate,
                status,
                evidence: fields.evidence,
            }
        }
    };
    Ok(parsed)
}

fn decode<T: DeserializeOwned>(tool: ToolName, text: &str) -> Result<T, ToolError> {
    serde_json::from_str(text).map_err(|error| {
        let problem = if text.is_empty() {
            "the arguments are empty".to_owned()
        } else {
            error.to_string()
        };
        ToolError::InvalidArguments {
            tool,
            problem,
            schema: schema_text(tool),
        }
    })
}

fn require_text(field: &str, value: &str) -> Result<(), String> {
    if value.trim().is_empty() {
        Err(format!("field `{field}` is empty"))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gate_report_parses_gate_and_status() {
        let parsed = parse_arguments(
            ToolName::GateReport,
            r#"{"gate":"S06","status":"passed","evidence":"cargo test: 120 passed"}"#,
        );
        assert_eq!(
            parsed.ok(),
            Some(ParsedArguments::GateReport {
                gate: Gate::S06,
                status: GateStatus::Passed,
                evidence: "cargo test: 120 passed".to_owned(),
            })
        );
        let approved = parse_arguments(
            ToolName::GateReport,
            r#"{"gate":"S08","status":"approved","evidence":"x"}"#,
        );
        let message = approved
            .err()
            .map(|error| error.to_string())
            .unwrap_or_default();
        assert!(
            message.contains("field `status` is `approved`"),
            "{message}"
        );
    }

    #[test]
    fn empty_required_text_is_refused() {
        let error = parse_arguments(ToolName::ExecuteBash, r#"{"command":"  "}"#).err();
        let message = error.map(|error| error.to_string()).unwrap_or_default();
        assert!(
            message.starts_with("invalid arguments for execute_bash: field `command` is empty"),
            "{message}"
        );
    }
}
