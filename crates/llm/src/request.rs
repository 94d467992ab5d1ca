//! What agentctl asks a model for, and its Chat Completions wire form.
//!
//! Owns: [`ChatRequest`], [`ToolSpec`] and their translation to the JSON body an
//! OpenAI-compatible server expects. Does not know about HTTP, retries or replies.

use agentctl_protocol::{Message, Role, ToolCall};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

/// A tool offered to the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolSpec {
    pub name: String,
    pub description: String,
    /// JSON schema of the arguments object.
    pub parameters: Value,
}

/// One chat-completion request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatRequest {
    pub model: String,
    pub messages: Vec<Message>,
    pub tools: Vec<ToolSpec>,
    /// Ask for a streamed reply; the client may still answer without streaming when the
    /// server refuses it.
    pub stream: bool,
}

/// The JSON body for `POST /chat/completions`.
pub(crate) fn wire_body(request: &ChatRequest, stream: bool) -> Value {
    let mut body = Map::new();
    body.insert("model".into(), Value::String(request.model.clone()));
    body.insert(
        "messages".into(),
        Value::Array(request.messages.iter().map(wire_message).collect()),
    );
    if !request.tools.is_empty() {
        body.insert(
            "tools".into(),
            Value::Array(request.tools.iter().map(wire_tool).collect()),
        );
        // Only with tools: some servers reject tool_choice when no tools are offered.
        body.insert("tool_choice".into(), Value::String("auto".into()));
    }
    body.insert("stream".into(), Value::Bool(stream));
    if stream {
        // Without this OpenAI sends no usage in a stream. A server that rejects the field
        // says so mentioning "stream", which sends the client to its non-streaming fallback.
        body.insert("stream_options".into(), json!({"include_usage": true}));
    }
    Value::Object(body)
}

fn wire_tool(tool: &ToolSpec) -> Value {
    json!({
        "type": "function",
        "function": {
            "name": tool.name,
            "description": tool.description,
            "parameters": tool.parameters,
        }
    })
}

fn wire_tool_call(call: &ToolCall) -> Value {
    json!({
        "id": call.id,
        "type": "function",
        "function": {"name": call.name, "arguments": call.arguments},
    })
}

fn wire_message(message: &Message) -> Value {
    let text = || Value::String(message.content.clone().unwrap_or_default());
    match message.role {
        Role::System => json!({"role": "system", "content": text()}),
        Role::User => json!({"role": "user", "content": text()}),
        Role::Assistant => {
            let mut wire = Map::new();
            wire.insert("role".into(), Value::String("assistant".into()));
            // Always a string: llama-cpp-python rejects a null or missing content even beside
            // tool calls (HTTP 500, pydantic "Input should be a valid string"; fixture
            // 08-followup-assistant-content-null), and OpenAI accepts "" there.
            let content = Value::String(message.content.clone().unwrap_or_default());
            wire.insert("content".into(), content);
            if !message.tool_calls.is_empty() {
                wire.insert(
                    "tool_calls".into(),
                    Value::Array(message.tool_calls.iter().map(wire_tool_call).collect()),
                );
            }
            Value::Object(wire)
        }
        Role::Tool => json!({
            "role": "tool",
            "tool_call_id": message.tool_call_id.clone().unwrap_or_default(),
            "content": text(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(tools: Vec<ToolSpec>) -> ChatRequest {
        ChatRequest {
            model: "m".into(),
            messages: vec![
                Message::system("rules"),
                Message::user("hi"),
                Message::assistant(
                    None,
                    vec![ToolCall {
                        id: "call_1".into(),
                        name: "fs_read".into(),
                        arguments: r#"{"path":"a"}"#.into(),
                    }],
                ),
                Message::tool_result("call_1", "contents"),
            ],
            tools,
            stream: false,
        }
    }

    #[test]
    fn messages_take_the_openai_shape() {
        let body = wire_body(&request(Vec::new()), false);
        assert_eq!(
            body["messages"],
            json!([
                {"role": "system", "content": "rules"},
                {"role": "user", "content": "hi"},
                {"role": "assistant", "content": "", "tool_calls": [
                    {"id": "call_1", "type": "function",
                     "function": {"name": "fs_read", "arguments": "{\"path\":\"a\"}"}}
                ]},
                {"role": "tool", "tool_call_id": "call_1", "content": "contents"},
            ])
        );
        assert!(body.get("tools").is_none());
        assert!(body.get("tool_choice").is_none());
        assert!(body.get("stream_options").is_none());
        assert_eq!(body["stream"], false);
    }

    #[test]
    fn tools_bring_tool_choice_and_streaming_asks_for_usage() {
        let tool = ToolSpec {
            name: "fs_read".into(),
            description: "Read a file".into(),
            parameters: json!({"type": "object", "properties": {"path": {"type": "string"}}}),
        };
        let body = wire_body(&request(vec![tool]), true);
        assert_eq!(
            body["tools"],
            json!([{"type": "function", "function": {
                "name": "fs_read", "description": "Read a file",
                "parameters": {"type": "object", "properties": {"path": {"type": "string"}}}
            }}])
        );
        assert_eq!(body["tool_choice"], "auto");
        assert_eq!(body["stream"], true);
        assert_eq!(body["stream_options"], json!({"include_usage": true}));
    }

    #[test]
    fn plain_assistant_turn_without_content_sends_empty_text() {
        let mut request = request(Vec::new());
        request.messages = vec![Message::assistant(None, Vec::new())];
        let body = wire_body(&request, false);
        assert_eq!(
            body["messages"],
            json!([{"role": "assistant", "content": ""}])
        );
    }
}
