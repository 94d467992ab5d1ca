//! Turns a scripted answer into OpenAI Chat Completions bytes: one JSON completion, or a series
//! of SSE chunks.
//!
//! Owns: the wire shape the mock speaks, how text and tool-call arguments are cut into deltas,
//! and the deterministic token counts it reports. Does not know about sockets or the script.

use serde_json::{json, Value};

/// The assistant output of one scripted reply.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Output {
    Text(String),
    ToolCalls(Vec<(String, String)>),
}

/// Everything about the request that shapes the answer.
#[derive(Debug, Clone)]
pub(crate) struct Answering {
    pub(crate) model: String,
    /// Sequence number of the request, used in ids so they are stable across runs.
    pub(crate) number: usize,
    pub(crate) request_bytes: usize,
    pub(crate) include_usage: bool,
}

/// Tokens are estimated as one per four bytes, rounded up, so tests can predict them.
pub(crate) fn estimate_tokens(bytes: usize) -> u64 {
    u64::try_from(bytes.div_ceil(4)).unwrap_or(u64::MAX).max(1)
}

fn output_bytes(output: &Output) -> usize {
    match output {
        Output::Text(text) => text.len(),
        Output::ToolCalls(calls) => calls
            .iter()
            .map(|(name, arguments)| name.len() + arguments.len())
            .sum(),
    }
}

fn usage(answering: &Answering, output: &Output) -> Value {
    let prompt = estimate_tokens(answering.request_bytes);
    let completion = estimate_tokens(output_bytes(output));
    json!({
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    })
}

fn call_id(answering: &Answering, index: usize) -> String {
    format!("call_{}_{}", answering.number, index)
}

fn finish_reason(output: &Output) -> &'static str {
    match output {
        Output::Text(_) => "stop",
        Output::ToolCalls(_) => "tool_calls",
    }
}

/// A complete, non-streaming chat completion.
pub(crate) fn completion(answering: &Answering, output: &Output) -> Value {
    let message = match output {
        Output::Text(text) => json!({"role": "assistant", "content": text}),
        Output::ToolCalls(calls) => {
            let calls: Vec<Value> = calls
                .iter()
                .enumerate()
                .map(|(index, (name, arguments))| {
                    json!({
                        "id": call_id(answering, index),
                        "type": "function",
                        "function": {"name": name, "arguments": arguments},
                    })
                })
                .collect();
            json!({"role": "assistant", "content": null, "tool_calls": calls})
        }
    };
    json!({
        "id": format!("chatcmpl-mock-{}", answering.number),
        "object": "chat.completion",
        "created": 0,
        "model": answering.model,
        "choices": [{"index": 0, "message": message, "finish_reason": finish_reason(output)}],
        "usage": usage(answering, output),
    })
}

/// Cuts `text` into at most `pieces` non-empty parts on character boundaries, so multi-byte
/// characters survive and the client really has to concatenate deltas.
pub(crate) fn split_text(text: &str, pieces: usize) -> Vec<String> {
    let characters: Vec<char> = text.chars().collect();
    if characters.is_empty() {
        return Vec::new();
    }
    let size = characters.len().div_ceil(pieces.max(1));
    characters
        .chunks(size)
        .map(|chunk| chunk.iter().collect())
        .collect()
}

fn chunk(answering: &Answering, delta: Value, finish_reason: Option<&str>) -> Value {
    json!({
        "id": format!("chatcmpl-mock-{}", answering.number),
        "object": "chat.completion.chunk",
        "created": 0,
        "model": answering.model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
    })
}

/// The chunks of a streamed completion, in order, without SSE framing.
pub(crate) fn stream_chunks(answering: &Answering, output: &Output) -> Vec<Value> {
    let mut chunks = vec![chunk(
        answering,
        json!({"role": "assistant", "content": ""}),
        None,
    )];
    match output {
        Output::Text(text) => {
            for piece in split_text(text, 3) {
                chunks.push(chunk(answering, json!({"content": piece}), None));
            }
        }
        Output::ToolCalls(calls) => {
            for (index, (name, arguments)) in calls.iter().enumerate() {
                let opening = json!({"tool_calls": [{
                    "index": index,
                    "id": call_id(answering, index),
                    "type": "function",
                    "function": {"name": name, "arguments": ""},
                }]});
                chunks.push(chunk(answering, opening, None));
                for fragment in split_text(arguments, 3) {
                    let more = json!({"tool_calls": [{
                        "index": index,
                        "function": {"arguments": fragment},
                    }]});
                    chunks.push(chunk(answering, more, None));
                }
            }
        }
    }
    chunks.push(chunk(answering, json!({}), Some(finish_reason(output))));
    if answering.include_usage {
        chunks.push(json!({
            "id": format!("chatcmpl-mock-{}", answering.number),
            "object": "chat.completion.chunk",
            "created": 0,
            "model": answering.model,
            "choices": [],
            "usage": usage(answering, output),
        }));
    }
    chunks
}

/// SSE framing: each chunk as a `data:` event, then the `[DONE]` sentinel.
pub(crate) fn sse_events(chunks: &[Value]) -> Vec<String> {
    chunks
        .iter()
        .map(|chunk| format!("data: {chunk}\n\n"))
        .chain(std::iter::once("data: [DONE]\n\n".to_owned()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answering(include_usage: bool) -> Answering {
        Answering {
            model: "mock-model".into(),
            number: 7,
            request_bytes: 10,
            include_usage,
        }
    }

    #[test]
    fn split_text_keeps_characters_whole() {
        assert_eq!(split_text("héllo wörld", 3), vec!["héll", "o wö", "rld"]);
        assert_eq!(split_text("ab", 3), vec!["a", "b"]);
        assert!(split_text("", 3).is_empty());
    }

    #[test]
    fn completion_carries_tool_calls_and_usage() {
        let output = Output::ToolCalls(vec![("fs_read".into(), r#"{"path":"x"}"#.into())]);
        let body = completion(&answering(false), &output);
        assert_eq!(
            body["choices"][0]["message"]["tool_calls"][0]["id"],
            "call_7_0"
        );
        assert_eq!(
            body["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"],
            r#"{"path":"x"}"#
        );
        assert_eq!(body["choices"][0]["finish_reason"], "tool_calls");
        assert_eq!(body["usage"]["prompt_tokens"], 3);
        assert_eq!(body["usage"]["completion_tokens"], 5);
    }

    #[test]
    fn stream_splits_arguments_over_several_chunks() {
        let output = Output::ToolCalls(vec![("fs_read".into(), r#"{"path":"x"}"#.into())]);
        let chunks = stream_chunks(&answering(true), &output);
        let fragments: Vec<&str> = chunks
            .iter()
            .filter_map(|chunk| {
                chunk["choices"][0]["delta"]["tool_calls"][0]["function"]["arguments"].as_str()
            })
            .filter(|fragment| !fragment.is_empty())
            .collect();
        assert_eq!(fragments, vec![r#"{"pa"#, r#"th":"#, r#""x"}"#]);
        let last = chunks.last().unwrap();
        assert_eq!(last["usage"]["completion_tokens"], 5);
        let events = sse_events(&chunks);
        assert_eq!(events.last().unwrap(), "data: [DONE]\n\n");
    }
}
