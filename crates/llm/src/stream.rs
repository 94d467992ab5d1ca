//! Assembling a streamed reply from its SSE chunks.
//!
//! Owns: [`StreamAssembly`], which folds chat-completion chunks into one [`Completion`]: text
//! deltas in order, tool-call fragments joined by index, usage from whichever chunk carries it.
//! Does not know about HTTP, SSE framing (async-openai parses that) or the observer.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::response::{self, Completion};

#[derive(Debug, Default)]
struct PartialCall {
    id: Option<String>,
    name: String,
    arguments: String,
}

/// Folds chunks into a completion.
#[derive(Debug, Default)]
pub(crate) struct StreamAssembly {
    content: String,
    calls: BTreeMap<u64, PartialCall>,
    last_index: Option<u64>,
    usage: Option<agentctl_protocol::Usage>,
    model: Option<String>,
    finish_reason: Option<String>,
    chunks: usize,
    pieces: u64,
}

impl StreamAssembly {
    /// How many chunks were accepted.
    pub(crate) fn chunks(&self) -> usize {
        self.chunks
    }

    /// Completion tokens so far: the server's count if it sent one, and at least the number of
    /// text and tool-call pieces received (a server sends about one token per piece).
    pub(crate) fn tokens(&self) -> u64 {
        let reported = self.usage.map_or(0, |usage| usage.completion_tokens);
        reported.max(self.pieces)
    }

    /// Takes one chunk; returns its text delta, if any, for the observer. An error chunk
    /// (`{"error": …}`) mid-stream is returned as `Err` with the server's message.
    pub(crate) fn accept(&mut self, chunk: &Value) -> Result<Option<String>, String> {
        if let Some(message) = response::error_message(chunk) {
            return Err(message);
        }
        self.chunks += 1;
        if self.model.is_none() {
            self.model = response::non_empty(chunk["model"].as_str());
        }
        if chunk["usage"].is_object() {
            self.usage = Some(response::usage(&chunk["usage"]));
        }
        let Some(choice) = response::first_choice(chunk) else {
            return Ok(None);
        };
        if let Some(reason) = response::non_empty(choice["finish_reason"].as_str()) {
            self.finish_reason = Some(reason);
        }
        let delta = &choice["delta"];
        if let Some(calls) = delta["tool_calls"].as_array() {
            for call in calls {
                self.pieces += 1;
                self.accept_tool_call(call);
            }
        } else if delta["function_call"].is_object() {
            self.pieces += 1;
            self.accept_tool_call(&serde_json::json!({
                "index": 0, "function": delta["function_call"].clone()
            }));
        }
        let text = response::content_text(&delta["content"]);
        if let Some(text) = &text {
            self.pieces += 1;
            self.content.push_str(text);
        }
        Ok(text)
    }

    fn accept_tool_call(&mut self, call: &Value) {
        let id = response::non_empty(call["id"].as_str());
        let index = match call["index"].as_u64() {
            Some(index) => index,
            // No index: a new id starts a new call, anything else continues the last one.
            None => match (self.last_index, &id) {
                (Some(last), Some(id))
                    if self.calls.get(&last).and_then(|c| c.id.as_ref()) == Some(id) =>
                {
                    last
                }
                (Some(last), None) => last,
                _ => self.calls.len() as u64,
            },
        };
        self.last_index = Some(index);
        let partial = self.calls.entry(index).or_default();
        if partial.id.is_none() {
            partial.id = id;
        }
        let function = &call["function"];
        if let Some(name) = function["name"].as_str() {
            if partial.name.is_empty() {
                partial.name = name.to_owned();
            }
        }
        match &function["arguments"] {
            Value::String(fragment) => partial.arguments.push_str(fragment),
            Value::Null => {}
            // Some servers send the whole arguments object in one chunk.
            other => partial.arguments = other.to_string(),
        }
    }

    pub(crate) fn finish(self) -> Completion {
        let tool_calls = self
            .calls
            .into_values()
            .enumerate()
            .map(|(position, partial)| agentctl_protocol::ToolCall {
                id: partial
                    .id
                    .unwrap_or_else(|| response::generated_call_id(position)),
                name: partial.name,
                arguments: if partial.arguments.is_empty() {
                    "{}".to_owned()
                } else {
                    partial.arguments
                },
            })
            .collect();
        Completion {
            content: response::non_empty(Some(&self.content)),
            tool_calls,
            usage: self.usage.unwrap_or_default(),
            model: self.model,
            finish_reason: self.finish_reason,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn delta(delta: Value) -> Value {
        json!({"model": "m", "choices": [{"index": 0, "delta": delta, "finish_reason": null}]})
    }

    #[test]
    fn joins_text_and_interleaved_tool_call_fragments() {
        let mut assembly = StreamAssembly::default();
        let chunks = vec![
            delta(json!({"role": "assistant", "content": "Hel"})),
            delta(json!({"content": "lo"})),
            delta(
                json!({"tool_calls": [{"index": 0, "id": "a", "function": {"name": "fs_read", "arguments": ""}}]}),
            ),
            delta(
                json!({"tool_calls": [{"index": 1, "id": "b", "function": {"name": "fs_list", "arguments": "{\"pa"}}]}),
            ),
            delta(json!({"tool_calls": [{"index": 0, "function": {"arguments": "{\"path\":"}}]})),
            delta(json!({"tool_calls": [{"index": 1, "function": {"arguments": "th\":\".\"}"}}]})),
            delta(json!({"tool_calls": [{"index": 0, "function": {"arguments": "\"x\"}"}}]})),
            json!({"choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]}),
            json!({"choices": [], "usage": {"prompt_tokens": 5, "completion_tokens": 7}}),
        ];
        let deltas: Vec<Option<String>> =
            chunks.iter().map(|c| assembly.accept(c).unwrap()).collect();
        assert_eq!(deltas[0].as_deref(), Some("Hel"));
        assert_eq!(deltas[1].as_deref(), Some("lo"));
        assert_eq!(assembly.chunks(), 9);
        // Seven pieces, but the server's own count of 7 completion tokens is what it reported.
        assert_eq!(assembly.tokens(), 7);
        let completion = assembly.finish();
        assert_eq!(completion.content.as_deref(), Some("Hello"));
        assert_eq!(completion.finish_reason.as_deref(), Some("tool_calls"));
        assert_eq!(completion.usage.prompt_tokens, 5);
        assert_eq!(completion.usage.completion_tokens, 7);
        assert_eq!(completion.model.as_deref(), Some("m"));
        let calls: Vec<(&str, &str, &str)> = completion
            .tool_calls
            .iter()
            .map(|c| (c.id.as_str(), c.name.as_str(), c.arguments.as_str()))
            .collect();
        assert_eq!(
            calls,
            vec![
                ("a", "fs_read", r#"{"path":"x"}"#),
                ("b", "fs_list", r#"{"path":"."}"#),
            ]
        );
    }

    #[test]
    fn calls_without_index_or_id_still_assemble() {
        let mut assembly = StreamAssembly::default();
        for chunk in [
            delta(
                json!({"tool_calls": [{"function": {"name": "fs_read", "arguments": {"path": "a"}}}]}),
            ),
            delta(
                json!({"tool_calls": [{"id": "second", "function": {"name": "fs_list", "arguments": "{"}}]}),
            ),
            delta(json!({"tool_calls": [{"function": {"arguments": "}"}}]})),
        ] {
            assembly.accept(&chunk).unwrap();
        }
        let completion = assembly.finish();
        assert_eq!(completion.tool_calls.len(), 2);
        assert_eq!(completion.tool_calls[0].id, "call_0");
        assert_eq!(completion.tool_calls[0].arguments, r#"{"path":"a"}"#);
        assert_eq!(completion.tool_calls[1].id, "second");
        assert_eq!(completion.tool_calls[1].arguments, "{}");
        assert_eq!(completion.usage, agentctl_protocol::Usage::default());
    }

    #[test]
    fn llama_server_streamed_tool_call_assembles_with_its_bare_id_and_usage() {
        let sample = crate::response::tests::llama_server_sample(
            "qwen2.5-coder-1.5b/21-chat-tools-auto-stream-include-usage.response.sse",
        );
        let mut assembly = StreamAssembly::default();
        let mut sent_ids = Vec::new();
        for line in sample.lines() {
            let Some(data) = line.strip_prefix("data: ") else {
                continue;
            };
            if data == "[DONE]" {
                break;
            }
            let chunk: Value = serde_json::from_str(data).unwrap();
            for call in chunk["choices"][0]["delta"]["tool_calls"]
                .as_array()
                .into_iter()
                .flatten()
            {
                sent_ids.extend(call["id"].as_str().map(str::to_owned));
            }
            assembly.accept(&chunk).unwrap();
        }
        // The server sends the id once, on the call's first fragment, without `call_`.
        assert_eq!(sent_ids.len(), 1, "{sent_ids:?}");
        assert!(!sent_ids[0].starts_with("call_"));
        let completion = assembly.finish();
        assert_eq!(completion.content, None);
        assert_eq!(completion.tool_calls.len(), 1);
        assert_eq!(completion.tool_calls[0].id, sent_ids[0]);
        assert_eq!(completion.tool_calls[0].name, "fs_read");
        let arguments: Value = serde_json::from_str(&completion.tool_calls[0].arguments).unwrap();
        assert_eq!(arguments["path"], "CHANGELOG.md");
        assert_eq!(completion.finish_reason.as_deref(), Some("tool_calls"));
        assert!(
            completion.usage.prompt_tokens > 0,
            "usage arrives in the last chunk"
        );
    }

    #[test]
    fn error_chunk_is_reported() {
        let mut assembly = StreamAssembly::default();
        assert_eq!(
            assembly.accept(&json!({"error": {"message": "backend died"}})),
            Err("backend died".to_owned())
        );
    }
}
