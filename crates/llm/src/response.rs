//! Reading a model's reply: the non-streaming completion body, leniently.
//!
//! Owns: [`ChatResponse`], the internal [`Completion`] both reply paths produce, and the
//! tolerant readers for content, tool calls and usage shared with `stream.rs`. Does not know
//! about HTTP or retries. Nothing here panics on any input: every server quirk becomes either a
//! sensible default or a `Malformed` description.

use agentctl_protocol::{ToolCall, Usage};
use serde_json::Value;

/// A model's reply to one [`crate::ChatRequest`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatResponse {
    /// The assistant text; `None` when empty.
    pub content: Option<String>,
    /// Tool calls in the order the model gave them; `arguments` is the model's text verbatim.
    pub tool_calls: Vec<ToolCall>,
    /// Zero counts when the server reports none.
    pub usage: Usage,
    /// The model that answered, as the server names it (the requested one if it does not say).
    pub model: String,
    pub finish_reason: Option<String>,
    /// Wall time of the whole call, retries and waits included.
    pub latency_ms: u64,
    /// Whether the reply arrived as a stream.
    pub streamed: bool,
    /// Attempts counted against the retry budget (1 when the first one succeeded). The
    /// immediate non-streaming repeat after a streaming refusal is not counted.
    pub attempts: u32,
}

/// What one successful attempt produced, before timing and attempt counts are added.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Completion {
    pub(crate) content: Option<String>,
    pub(crate) tool_calls: Vec<ToolCall>,
    pub(crate) usage: Usage,
    pub(crate) model: Option<String>,
    pub(crate) finish_reason: Option<String>,
}

/// At most this many characters of a bad body go into an error message.
const EXCERPT_CHARS: usize = 200;

/// The start of `text`, on one line, for error messages.
pub(crate) fn excerpt(text: &str) -> String {
    let flattened: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flattened.is_empty() {
        return "(empty body)".to_owned();
    }
    let mut characters = flattened.chars();
    let head: String = characters.by_ref().take(EXCERPT_CHARS).collect();
    if characters.next().is_some() {
        format!("{head}…")
    } else {
        head
    }
}

/// Reads a non-streaming chat completion.
pub(crate) fn parse_completion(body: &Value) -> Result<Completion, String> {
    if !body.is_object() {
        return Err(format!(
            "expected a JSON object, got: {}",
            excerpt(&body.to_string())
        ));
    }
    if let Some(message) = error_message(body) {
        return Err(format!("the reply is an error object: {message}"));
    }
    let Some(choice) = first_choice(body) else {
        return Err(format!(
            "no choices in the reply: {}",
            excerpt(&body.to_string())
        ));
    };
    let message = &choice["message"];
    let mut tool_calls: Vec<ToolCall> = match message["tool_calls"].as_array() {
        Some(calls) => calls
            .iter()
            .enumerate()
            .map(|(position, call)| {
                tool_call(
                    call["id"].as_str(),
                    &call["function"]["name"],
                    &call["function"]["arguments"],
                    position,
                )
            })
            .collect(),
        None => Vec::new(),
    };
    // The pre-tools `function_call` field, still produced by some older servers.
    if tool_calls.is_empty() && message["function_call"].is_object() {
        let call = &message["function_call"];
        tool_calls.push(tool_call(None, &call["name"], &call["arguments"], 0));
    }
    Ok(Completion {
        content: content_text(&message["content"]),
        tool_calls,
        usage: usage(&body["usage"]),
        model: non_empty(body["model"].as_str()),
        finish_reason: non_empty(choice["finish_reason"].as_str()),
    })
}

/// The choice with index 0, or the first one if the server numbers them oddly.
pub(crate) fn first_choice(body: &Value) -> Option<&Value> {
    let choices = body["choices"].as_array()?;
    choices
        .iter()
        .find(|choice| choice["index"].as_u64() == Some(0))
        .or_else(|| choices.first())
}

/// The message of an OpenAI-style (`{error:{message}}`), Ollama-style (`{error:"…"}`) or
/// FastAPI-style (`{detail:…}`) error body.
pub(crate) fn error_message(body: &Value) -> Option<String> {
    match &body["error"] {
        Value::String(message) => return Some(message.clone()),
        Value::Object(error) => {
            return Some(match error.get("message") {
                Some(Value::String(message)) => message.clone(),
                _ => Value::Object(error.clone()).to_string(),
            })
        }
        _ => {}
    }
    match &body["detail"] {
        Value::String(detail) => Some(detail.clone()),
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

/// Text content; also accepts the array-of-parts form some servers use.
pub(crate) fn content_text(content: &Value) -> Option<String> {
    match content {
        Value::String(text) => non_empty(Some(text)),
        Value::Array(parts) => {
            let joined: String = parts
                .iter()
                .filter_map(|part| part["text"].as_str().or_else(|| part.as_str()))
                .collect();
            non_empty(Some(&joined))
        }
        _ => None,
    }
}

pub(crate) fn non_empty(text: Option<&str>) -> Option<String> {
    text.filter(|text| !text.is_empty()).map(str::to_owned)
}

/// Token counts, zero when absent or not numbers.
pub(crate) fn usage(usage: &Value) -> Usage {
    let count = |value: &Value| {
        value
            .as_u64()
            .or_else(|| value.as_f64().filter(|v| *v >= 0.0).map(|v| v as u64))
            .unwrap_or(0)
    };
    Usage {
        prompt_tokens: count(&usage["prompt_tokens"]),
        completion_tokens: count(&usage["completion_tokens"]),
    }
}

/// Arguments as text: a string verbatim (even if it is not valid JSON), any other JSON value
/// serialized, nothing at all as an empty object.
pub(crate) fn arguments_text(arguments: &Value) -> String {
    match arguments {
        Value::String(text) => text.clone(),
        Value::Null => "{}".to_owned(),
        other => other.to_string(),
    }
}

/// A tool call id for a call the server gave none: stable, so a retried or resumed turn
/// produces the same ids.
pub(crate) fn generated_call_id(position: usize) -> String {
    format!("call_{position}")
}

pub(crate) fn tool_call(
    id: Option<&str>,
    name: &Value,
    arguments: &Value,
    position: usize,
) -> ToolCall {
    ToolCall {
        id: non_empty(id).unwrap_or_else(|| generated_call_id(position)),
        name: name.as_str().unwrap_or_default().to_owned(),
        arguments: arguments_text(arguments),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_a_plain_completion() {
        let body = json!({
            "model": "served-model",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "hello"},
                         "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 12, "completion_tokens": 3}
        });
        let completion = parse_completion(&body).unwrap();
        assert_eq!(completion.content.as_deref(), Some("hello"));
        assert_eq!(completion.model.as_deref(), Some("served-model"));
        assert_eq!(completion.finish_reason.as_deref(), Some("stop"));
        assert_eq!(completion.usage.total(), 15);
        assert!(completion.tool_calls.is_empty());
    }

    #[test]
    fn tolerates_missing_ids_object_arguments_and_missing_usage() {
        let body = json!({"choices": [{"message": {"content": null, "tool_calls": [
            {"function": {"name": "fs_read", "arguments": {"path": "a"}}},
            {"id": "", "function": {"name": "fs_list", "arguments": "{broken"}},
            {"id": "x9", "function": {"name": "gate_report"}}
        ]}}]});
        let completion = parse_completion(&body).unwrap();
        assert_eq!(completion.usage, Usage::default());
        assert_eq!(completion.content, None);
        let calls: Vec<(&str, &str, &str)> = completion
            .tool_calls
            .iter()
            .map(|c| (c.id.as_str(), c.name.as_str(), c.arguments.as_str()))
            .collect();
        assert_eq!(
            calls,
            vec![
                ("call_0", "fs_read", r#"{"path":"a"}"#),
                ("call_1", "fs_list", "{broken"),
                ("x9", "gate_report", "{}"),
            ]
        );
    }

    #[test]
    fn reads_legacy_function_call_and_content_parts() {
        let body = json!({"choices": [{"message": {
            "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}],
            "function_call": {"name": "fs_read", "arguments": "{}"}
        }}]});
        let completion = parse_completion(&body).unwrap();
        assert_eq!(completion.content.as_deref(), Some("ab"));
        assert_eq!(completion.tool_calls[0].name, "fs_read");
        assert_eq!(completion.tool_calls[0].id, "call_0");
    }

    #[test]
    fn bodies_without_choices_are_described() {
        assert_eq!(
            parse_completion(&json!({"object": "list"})).unwrap_err(),
            r#"no choices in the reply: {"object":"list"}"#
        );
        assert_eq!(
            parse_completion(&json!({"error": {"message": "model overloaded"}})).unwrap_err(),
            "the reply is an error object: model overloaded"
        );
        assert_eq!(
            parse_completion(&json!([1, 2])).unwrap_err(),
            "expected a JSON object, got: [1,2]"
        );
    }

    /// A sample recorded from the managed llama-server by `scripts/local-model/probe.sh`.
    pub(crate) fn llama_server_sample(name: &str) -> String {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../test-support/fixtures/llama-server")
            .join(name);
        std::fs::read_to_string(&path)
            .unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()))
    }

    #[test]
    fn llama_server_tool_call_keeps_its_bare_id_and_empty_content_means_no_text() {
        let body: Value = serde_json::from_str(&llama_server_sample(
            "qwen2.5-coder-1.5b/03-chat-tools-auto.response.json",
        ))
        .unwrap();
        let message = &body["choices"][0]["message"];
        // What the server sent: a 32-character id without OpenAI's `call_` prefix, and
        // `content: ""` beside the call.
        let sent_id = message["tool_calls"][0]["id"].as_str().unwrap();
        assert!(!sent_id.starts_with("call_"), "{sent_id}");
        assert_eq!(sent_id.len(), 32);
        assert_eq!(message["content"], "");

        let completion = parse_completion(&body).unwrap();
        assert_eq!(completion.content, None, "an empty string is no text");
        assert_eq!(completion.tool_calls.len(), 1);
        assert_eq!(
            completion.tool_calls[0].id, sent_id,
            "the id is kept verbatim"
        );
        assert_eq!(completion.tool_calls[0].name, "fs_read");
        let arguments: Value = serde_json::from_str(&completion.tool_calls[0].arguments).unwrap();
        assert_eq!(arguments["path"], "CHANGELOG.md");
        assert_eq!(completion.finish_reason.as_deref(), Some("tool_calls"));
        assert!(completion.usage.prompt_tokens > 0);
    }

    #[test]
    fn excerpt_is_short_and_single_line() {
        assert_eq!(excerpt("a\n  b"), "a b");
        assert_eq!(excerpt("   "), "(empty body)");
        let long = "x".repeat(500);
        assert_eq!(excerpt(&long).chars().count(), EXCERPT_CHARS + 1);
    }

    #[test]
    fn error_message_reads_common_shapes() {
        assert_eq!(
            error_message(&json!({"error": "no model"})).as_deref(),
            Some("no model")
        );
        assert_eq!(
            error_message(&json!({"detail": [{"msg": "field required"}]})).as_deref(),
            Some(r#"[{"msg":"field required"}]"#)
        );
        assert_eq!(error_message(&json!({"choices": []})), None);
    }
}
