//! The tool descriptions and JSON schemas offered to the model.
//!
//! Owns: what each built-in tool's arguments look like on the wire. Does not know which tools a
//! persona has; the run loop picks from [`tool_specs`].

use agentctl_protocol::{Gate, ToolName};
use serde_json::{json, Value};

/// Every built-in tool with its description and the JSON schema of its arguments. Schemas
/// forbid unknown fields and list the required ones.
pub fn tool_specs() -> Vec<(ToolName, &'static str, Value)> {
    ToolName::ALL
        .into_iter()
        .map(|tool| (tool, description(tool), schema(tool)))
        .collect()
}

/// The description shown to the model for `tool`.
pub fn description(tool: ToolName) -> &'static str {
    match tool {
        ToolName::FsRead => {
            "Read a UTF-8 text file in the workspace. Long files are cut at the output limit; binary files are refused."
        }
        ToolName::FsList => {
            "List a directory in the workspace, sorted by name. Directories end with `/`."
        }
        ToolName::FsWrite => {
            "Replace a text file in the workspace with the given content, creating it and its parent directories if needed. Returns a summary of the change."
        }
        ToolName::ExecuteBash => {
            "Run one bash command in the workspace directory. It has a time limit, its output (stdout and stderr together) is cut at a size limit, and secrets are not in its environment."
        }
        ToolName::UseAws => {
            "Call one AWS API operation through the AWS CLI. Give the service (e.g. `ecs`), the API operation name (e.g. `DescribeServices`) and its input parameters as a JSON object."
        }
        ToolName::Handoff => {
            "Hand the task to another persona. It starts fresh with the task, this summary and these items, not this conversation. Your own work ends with the handoff."
        }
        ToolName::GateReport => {
            "Record whether a quality or security gate passed or failed for the current task, with the evidence."
        }
    }
}

/// The JSON schema of `tool`'s arguments.
pub fn schema(tool: ToolName) -> Value {
    match tool {
        ToolName::FsRead => object(
            json!({"path": {"type": "string", "description": "Workspace-relative path of the file."}}),
            &["path"],
        ),
        ToolName::FsList => object(
            json!({"path": {"type": "string", "description": "Workspace-relative path of the directory; `.` for the workspace itself."}}),
            &["path"],
        ),
        ToolName::FsWrite => object(
            json!({
                "path": {"type": "string", "description": "Workspace-relative path of the file."},
                "content": {"type": "string", "description": "The complete new content of the file."}
            }),
            &["path", "content"],
        ),
        ToolName::ExecuteBash => object(
            json!({"command": {"type": "string", "description": "The command line, as typed at a bash prompt."}}),
            &["command"],
        ),
        ToolName::UseAws => object(
            json!({
                "service": {"type": "string", "description": "Service name as the AWS CLI spells it, e.g. `ecs`, `cloudwatch`."},
                "operation": {"type": "string", "description": "API operation name, e.g. `UpdateService`."},
                "parameters": {"type": "object", "description": "The operation's input, with the API's parameter names."},
                "region": {"type": "string", "description": "AWS region, e.g. `eu-west-1`; the profile's region when omitted."}
            }),
            &["service", "operation"],
        ),
        ToolName::Handoff => object(
            json!({
                "to": {"type": "string", "description": "Name of the persona to hand off to."},
                "summary": {"type": "string", "description": "What was done and what the next persona should do, in at most three sentences. The next persona receives the task itself too: do not copy it."},
                "items": {"type": "array", "items": {"type": "string"}, "description": "A few short, concrete points the next persona needs: files, findings, open questions."}
            }),
            &["to", "summary", "items"],
        ),
        ToolName::GateReport => {
            let gates: Vec<&str> = Gate::ALL.into_iter().map(Gate::as_str).collect();
            object(
                json!({
                    "gate": {"type": "string", "enum": gates, "description": "The gate, e.g. `S06`."},
                    "status": {"type": "string", "enum": ["passed", "failed"]},
                    "evidence": {"type": "string", "description": "What shows the result: commands run, their outcome, findings."}
                }),
                &["gate", "status", "evidence"],
            )
        }
    }
}

/// The schema as compact JSON, for error messages sent back to the model.
pub(crate) fn schema_text(tool: ToolName) -> String {
    schema(tool).to_string()
}

fn object(properties: Value, required: &[&str]) -> Value {
    json!({
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": false
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_tool_has_a_closed_object_schema() {
        let specs = tool_specs();
        assert_eq!(specs.len(), ToolName::ALL.len());
        for (tool, description, schema) in specs {
            assert!(!description.is_empty(), "{tool}");
            assert_eq!(schema["type"], "object", "{tool}");
            assert_eq!(schema["additionalProperties"], false, "{tool}");
            let required = schema["required"].as_array().cloned().unwrap_or_default();
            for field in &required {
                let name = field.as_str().unwrap_or_default();
                assert!(schema["properties"].get(name).is_some(), "{tool}: {name}");
            }
        }
        assert_eq!(
            schema(ToolName::UseAws)["required"],
            json!(["service", "operation"])
        );
        assert_eq!(
            schema(ToolName::GateReport)["properties"]["gate"]["enum"][5],
            "S06"
        );
    }
}
