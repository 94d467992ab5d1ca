//! A server's tool as agentctl offers it: namespaced, with its description and input schema
//! treated as untrusted input and cut to size.

use agentctl_protocol::offered_tool_name;
use serde::Serialize;
use serde_json::Value;

/// Longest tool description passed on to the model; a server controls this text.
pub const MAX_DESCRIPTION_BYTES: usize = 1024;
/// Largest input schema passed on to the model; a larger one is replaced by a bare object
/// schema and the tool is noted as such.
pub const MAX_SCHEMA_BYTES: usize = 16 * 1024;

/// One tool of one server.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct McpTool {
    pub server: String,
    /// The tool's own name on its server.
    pub name: String,
    /// The name the model sees: `mcp__SERVER__TOOL`.
    pub offered_name: String,
    pub description: String,
    pub input_schema: Value,
    /// What was cut or replaced, for `agentctl mcp tools` and `lint`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

impl McpTool {
    pub(crate) fn from_listing(server: &str, listed: &rmcp::model::Tool) -> McpTool {
        let mut notes = Vec::new();
        let name = listed.name.to_string();
        let raw_description = listed.description.as_deref().unwrap_or_default();
        let mut description = agentctl_display::block(raw_description).into_owned();
        if description.len() > MAX_DESCRIPTION_BYTES {
            let mut end = MAX_DESCRIPTION_BYTES;
            while !description.is_char_boundary(end) {
                end -= 1;
            }
            description.truncate(end);
            description.push_str(" …");
            notes.push(format!(
                "description cut to {MAX_DESCRIPTION_BYTES} bytes (was {})",
                raw_description.len()
            ));
        }
        let schema = Value::Object((*listed.input_schema).clone());
        let size = schema.to_string().len();
        let input_schema = if size > MAX_SCHEMA_BYTES {
            notes.push(format!(
                "input schema of {size} bytes replaced by a bare object (limit {MAX_SCHEMA_BYTES})"
            ));
            serde_json::json!({"type": "object"})
        } else {
            schema
        };
        McpTool {
            server: server.to_owned(),
            offered_name: offered_tool_name(server, &name),
            name,
            description: format!("[MCP server `{server}`] {description}"),
            input_schema,
            notes,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_and_bidi_overrides_are_shown_escaped() {
        let listed: rmcp::model::Tool = serde_json::from_value(serde_json::json!({
            "name": "t",
            "description": "a\u{1b}[2Kb\u{202e}c\nd",
            "inputSchema": {"type": "object"}
        }))
        .unwrap();
        let tool = McpTool::from_listing("s", &listed);
        assert_eq!(tool.description, "[MCP server `s`] a␛[2Kb\\u{202e}c\nd");
    }
}
