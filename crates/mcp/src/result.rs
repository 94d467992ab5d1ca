//! A tool's result as the model and the audit log get it: one bounded text.
//!
//! Content blocks are read from the result's JSON form rather than the SDK's structs, so a newer
//! server's block kinds degrade to a short note instead of failing the call.

use serde::Serialize;
use serde_json::Value;

/// What one MCP tool call returned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct McpCallOutput {
    /// Text blocks in order, structured content as JSON, and a note for each block that is not
    /// text (images, audio, binary resources are not passed on).
    pub text: String,
    /// The server marked the result as an error (`isError`).
    pub is_error: bool,
    /// The text was cut at the output cap.
    pub truncated: bool,
}

impl McpCallOutput {
    pub(crate) fn from_result(result: &rmcp::model::CallToolResult, cap: usize) -> McpCallOutput {
        let value = serde_json::to_value(result).unwrap_or(Value::Null);
        let mut parts: Vec<String> = Vec::new();
        if let Some(blocks) = value.get("content").and_then(Value::as_array) {
            parts.extend(blocks.iter().map(describe_block));
        }
        if let Some(structured) = value.get("structuredContent") {
            let json = structured.to_string();
            // Servers usually repeat structured content as a text block; say it only once.
            if !parts.iter().any(|part| part.trim() == json) {
                parts.push(format!("structured content: {json}"));
            }
        }
        if parts.is_empty() {
            parts.push("(the tool returned no content)".to_owned());
        }
        let is_error = value
            .get("isError")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let (text, truncated) = cut(parts.join("\n"), cap);
        McpCallOutput {
            text,
            is_error,
            truncated,
        }
    }
}

fn describe_block(block: &Value) -> String {
    let kind = block
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("unknown");
    let field = |name: &str| block.get(name).and_then(Value::as_str).unwrap_or_default();
    match kind {
        "text" => field("text").to_owned(),
        "image" | "audio" => format!(
            "[{kind} content ({}, {} bytes of base64) not passed on]",
            block
                .get("mimeType")
                .and_then(Value::as_str)
                .unwrap_or("unknown type"),
            field("data").len()
        ),
        "resource" => {
            let resource = block.get("resource").cloned().unwrap_or(Value::Null);
            let uri = resource.get("uri").and_then(Value::as_str).unwrap_or("?");
            match resource.get("text").and_then(Value::as_str) {
                Some(text) => format!("[resource {uri}]\n{text}"),
                None => format!("[binary resource {uri} not passed on]"),
            }
        }
        "resource_link" => format!("[resource link {}]", field("uri")),
        other => format!("[{other} content not passed on]"),
    }
}

/// Keeps at most `cap` bytes (on a character boundary) and says so.
fn cut(text: String, cap: usize) -> (String, bool) {
    if text.len() <= cap {
        return (text, false);
    }
    let mut end = cap;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let total = text.len();
    (
        format!("{}\n[output cut at {cap} bytes of {total}]", &text[..end]),
        true,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(json: Value) -> rmcp::model::CallToolResult {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn text_and_structured_content_are_kept_once() {
        let output = McpCallOutput::from_result(
            &result(serde_json::json!({
                "content": [{"type": "text", "text": "{\"a\":1}"}],
                "structuredContent": {"a": 1}
            })),
            1000,
        );
        assert_eq!(output.text, "{\"a\":1}");
        assert!(!output.is_error);
    }

    #[test]
    fn errors_images_and_caps_are_reported() {
        let output = McpCallOutput::from_result(
            &result(serde_json::json!({
                "content": [
                    {"type": "text", "text": "x".repeat(50)},
                    {"type": "image", "data": "AAAA", "mimeType": "image/png"}
                ],
                "isError": true
            })),
            20,
        );
        assert!(output.is_error);
        assert!(output.truncated);
        assert!(output.text.starts_with(&"x".repeat(20)));
        assert!(output.text.contains("[output cut at 20 bytes of"));
    }
}
