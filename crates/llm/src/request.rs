//! What agentctl asks a model for, and its Chat Completions wire form.
//!
//! Owns: [`ChatRequest`], [`ToolSpec`] and their translation to the JSON body an
//! OpenAI-compatible server expects. Does not know about HTTP, retries or replies.

use agentctl_protocol::{Message, Role, ToolCall};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A tool offered to the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolSpec {
    pub name: String,
    pub description: String,
    /// JSON schema of the arguments object.
    pub parameters: Value,
}

/// One chat-completion request. It borrows the conversation: a run sends the whole of it every
/// turn, and copying it first would cost a turn more than the request itself.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChatRequest<'a> {
    pub model: String,
    pub messages: &'a [Message],
    pub tools: &'a [ToolSpec],
    /// Whether the model may call them (sent only with tools).
    pub tool_choice: ToolChoice,
    /// Ask for a streamed reply; the client may still answer without streaming when the
    /// server refuses it.
    pub stream: bool,
}

/// Whether the model may call the offered tools: OpenAI's `tool_choice`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub enum ToolChoice {
    /// The model calls tools or answers in text, as it chooses.
    #[default]
    Auto,
    /// The model answers in text; the tools stay listed so the conversation's earlier calls
    /// keep their definitions.
    None,
}

impl ToolChoice {
    fn as_str(self) -> &'static str {
        match self {
            ToolChoice::Auto => "auto",
            ToolChoice::None => "none",
        }
    }
}

/// The JSON body for `POST /chat/completions`, serialized straight from the request (no
/// intermediate JSON tree). Keys in the order OpenAI documents them.
#[derive(Serialize)]
pub(crate) struct WireBody<'a> {
    model: &'a str,
    messages: WireMessages<'a>,
    #[serde(skip_serializing_if = "<[_]>::is_empty", serialize_with = "tool_list")]
    tools: &'a [ToolSpec],
    /// Only with tools: some servers reject tool_choice when no tools are offered.
    #[serde(skip_serializing_if = "Option::is_none")]
    tool_choice: Option<&'static str>,
    stream: bool,
    /// Without this OpenAI sends no usage in a stream. A server that rejects the field says so
    /// mentioning "stream", which sends the client to its non-streaming fallback.
    #[serde(skip_serializing_if = "Option::is_none")]
    stream_options: Option<StreamOptions>,
}

#[derive(Serialize)]
struct StreamOptions {
    include_usage: bool,
}

/// The JSON body for `POST /chat/completions`.
pub(crate) fn wire_body<'a>(request: &'a ChatRequest<'_>, stream: bool) -> WireBody<'a> {
    WireBody {
        model: &request.model,
        messages: WireMessages(request.messages),
        tools: request.tools,
        tool_choice: (!request.tools.is_empty()).then_some(request.tool_choice.as_str()),
        stream,
        stream_options: stream.then_some(StreamOptions {
            include_usage: true,
        }),
    }
}

fn tool_list<S: Serializer>(tools: &&[ToolSpec], serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_seq(tools.iter().map(|tool| WireTool {
        kind: "function",
        function: WireFunction {
            name: &tool.name,
            description: &tool.description,
            parameters: &tool.parameters,
        },
    }))
}

#[derive(Serialize)]
struct WireTool<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    function: WireFunction<'a>,
}

#[derive(Serialize)]
struct WireFunction<'a> {
    name: &'a str,
    description: &'a str,
    parameters: &'a Value,
}

struct WireMessages<'a>(&'a [Message]);

impl Serialize for WireMessages<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(WireMessage))
    }
}

struct WireMessage<'a>(&'a Message);

impl Serialize for WireMessage<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let message = self.0;
        // Always a string, for assistants too: llama-cpp-python rejects a null or missing
        // content even beside tool calls (HTTP 500, pydantic "Input should be a valid string";
        // fixture 08-followup-assistant-content-null), and OpenAI accepts "" there.
        let content = message.content.as_deref().unwrap_or_default();
        let mut map = serializer.serialize_map(None)?;
        match message.role {
            Role::System => map.serialize_entry("role", "system")?,
            Role::User => map.serialize_entry("role", "user")?,
            Role::Assistant => map.serialize_entry("role", "assistant")?,
            Role::Tool => {
                map.serialize_entry("role", "tool")?;
                let id = message.tool_call_id.as_deref().unwrap_or_default();
                map.serialize_entry("tool_call_id", id)?;
            }
        }
        map.serialize_entry("content", content)?;
        if message.role == Role::Assistant && !message.tool_calls.is_empty() {
            map.serialize_entry("tool_calls", &WireToolCalls(&message.tool_calls))?;
        }
        map.end()
    }
}

struct WireToolCalls<'a>(&'a [ToolCall]);

impl Serialize for WireToolCalls<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(|call| WireToolCall {
            id: &call.id,
            kind: "function",
            function: WireCalled {
                name: &call.name,
                arguments: &call.arguments,
            },
        }))
    }
}

#[derive(Serialize)]
struct WireToolCall<'a> {
    id: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    function: WireCalled<'a>,
}

#[derive(Serialize)]
struct WireCalled<'a> {
    name: &'a str,
    arguments: &'a str,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn body(request: &ChatRequest<'_>, stream: bool) -> Value {
        serde_json::to_value(wire_body(request, stream)).unwrap()
    }

    fn conversation() -> Vec<Message> {
        vec![
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
        ]
    }

    fn request<'a>(messages: &'a [Message], tools: &'a [ToolSpec]) -> ChatRequest<'a> {
        ChatRequest {
            model: "m".into(),
            messages,
            tools,
            tool_choice: ToolChoice::Auto,
            stream: false,
        }
    }

    #[test]
    fn messages_take_the_openai_shape() {
        let messages = conversation();
        let body = body(&request(&messages, &[]), false);
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
        let messages = conversation();
        let body = body(&request(&messages, &[tool]), true);
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
    fn a_text_only_request_keeps_its_tools_and_says_none() {
        let tools = [ToolSpec {
            name: "fs_read".into(),
            description: "Read a file".into(),
            parameters: json!({"type": "object"}),
        }];
        let messages = conversation();
        let text_only = ChatRequest {
            tool_choice: ToolChoice::None,
            ..request(&messages, &tools)
        };
        let body = body(&text_only, false);
        assert_eq!(body["tool_choice"], "none");
        assert_eq!(body["tools"][0]["function"]["name"], "fs_read");
    }

    #[test]
    fn plain_assistant_turn_without_content_sends_empty_text() {
        let messages = vec![Message::assistant(None, Vec::new())];
        let body = body(&request(&messages, &[]), false);
        assert_eq!(
            body["messages"],
            json!([{"role": "assistant", "content": ""}])
        );
    }
}
