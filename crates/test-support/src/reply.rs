//! Scripted replies of the mock endpoint and their JSON form for script files.
//!
//! Owns: [`MockReply`] and how a script file spells each variant. Does not know about sockets,
//! HTTP or the OpenAI wire format; `render.rs` and `server.rs` turn a reply into bytes.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// What the mock answers to one chat-completion request, popped from the script in order.
///
/// In a JSON script file each reply is written like this:
///
/// ```json
/// [
///   {"text": "hello"},
///   {"tool_calls": [{"name": "fs_read", "arguments": {"path": "README.md"}}]},
///   {"status": {"code": 429, "body": "slow down", "retry_after": "1"}},
///   {"delay": {"ms": 200, "then": {"text": "late"}}},
///   {"malformed": "not json"},
///   "hang", "close", "refuse_streaming_with_tools", "endless"
/// ]
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(from = "ScriptStep", into = "ScriptStep")]
pub enum MockReply {
    /// An assistant message with this text.
    Text(String),
    /// An assistant message asking for these tool calls: `(name, arguments text)`.
    ToolCalls(Vec<(String, String)>),
    /// An HTTP error status with this body and an optional `Retry-After` header value.
    Status {
        code: u16,
        body: String,
        retry_after: Option<String>,
    },
    /// Wait, then answer with the inner reply.
    Delay(Duration, Box<MockReply>),
    /// HTTP 200 whose body is exactly this text.
    Malformed(String),
    /// Never answer; the client has to time out.
    Hang,
    /// For a streaming request offering tools: HTTP 500 saying streaming with tools is not
    /// supported, the way llama-cpp-python answers. Any other request gets a 500 explaining
    /// that the script reached this step unexpectedly.
    RefuseStreamingWithTools,
    /// Drop the connection without answering.
    Close,
    /// HTTP 200 whose body never ends, sent as fast as the client reads: for a streaming
    /// request an endless run of text deltas, otherwise a JSON completion whose content
    /// string never closes. For testing that the client's caps hold.
    Endless,
}

impl MockReply {
    /// A text reply.
    pub fn text(text: impl Into<String>) -> Self {
        MockReply::Text(text.into())
    }

    /// A reply with one tool call.
    pub fn tool_call(name: impl Into<String>, arguments: impl Into<String>) -> Self {
        MockReply::ToolCalls(vec![(name.into(), arguments.into())])
    }

    /// An error status without `Retry-After`.
    pub fn status(code: u16, body: impl Into<String>) -> Self {
        MockReply::Status {
            code,
            body: body.into(),
            retry_after: None,
        }
    }
}

/// The serde shape of a reply in a script file (externally tagged, snake_case).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
enum ScriptStep {
    Text(String),
    ToolCalls(Vec<ScriptToolCall>),
    Status {
        code: u16,
        #[serde(default)]
        body: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        retry_after: Option<String>,
    },
    Delay {
        ms: u64,
        then: Box<ScriptStep>,
    },
    Malformed(String),
    Hang,
    RefuseStreamingWithTools,
    Close,
    Endless,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ScriptToolCall {
    name: String,
    /// A string is sent verbatim; any other JSON value is sent as its compact text, which is
    /// easier to write by hand in a script.
    #[serde(default = "empty_arguments")]
    arguments: serde_json::Value,
}

fn empty_arguments() -> serde_json::Value {
    serde_json::Value::String("{}".to_owned())
}

impl From<ScriptStep> for MockReply {
    fn from(step: ScriptStep) -> Self {
        match step {
            ScriptStep::Text(text) => MockReply::Text(text),
            ScriptStep::ToolCalls(calls) => MockReply::ToolCalls(
                calls
                    .into_iter()
                    .map(|call| {
                        let arguments = match call.arguments {
                            serde_json::Value::String(text) => text,
                            other => other.to_string(),
                        };
                        (call.name, arguments)
                    })
                    .collect(),
            ),
            ScriptStep::Status {
                code,
                body,
                retry_after,
            } => MockReply::Status {
                code,
                body,
                retry_after,
            },
            ScriptStep::Delay { ms, then } => {
                MockReply::Delay(Duration::from_millis(ms), Box::new(MockReply::from(*then)))
            }
            ScriptStep::Malformed(body) => MockReply::Malformed(body),
            ScriptStep::Hang => MockReply::Hang,
            ScriptStep::RefuseStreamingWithTools => MockReply::RefuseStreamingWithTools,
            ScriptStep::Close => MockReply::Close,
            ScriptStep::Endless => MockReply::Endless,
        }
    }
}

impl From<MockReply> for ScriptStep {
    fn from(reply: MockReply) -> Self {
        match reply {
            MockReply::Text(text) => ScriptStep::Text(text),
            MockReply::ToolCalls(calls) => ScriptStep::ToolCalls(
                calls
                    .into_iter()
                    .map(|(name, arguments)| ScriptToolCall {
                        name,
                        arguments: serde_json::Value::String(arguments),
                    })
                    .collect(),
            ),
            MockReply::Status {
                code,
                body,
                retry_after,
            } => ScriptStep::Status {
                code,
                body,
                retry_after,
            },
            MockReply::Delay(wait, then) => ScriptStep::Delay {
                ms: u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                then: Box::new(ScriptStep::from(*then)),
            },
            MockReply::Malformed(body) => ScriptStep::Malformed(body),
            MockReply::Hang => ScriptStep::Hang,
            MockReply::RefuseStreamingWithTools => ScriptStep::RefuseStreamingWithTools,
            MockReply::Close => ScriptStep::Close,
            MockReply::Endless => ScriptStep::Endless,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_file_spelling_parses_every_variant() {
        let script = r#"[
            {"text": "hello"},
            {"tool_calls": [{"name": "fs_read", "arguments": {"path": "a.md"}},
                            {"name": "fs_list", "arguments": "{not json"}]},
            {"status": {"code": 429, "body": "slow down", "retry_after": "2"}},
            {"delay": {"ms": 150, "then": "close"}},
            {"malformed": "<html>"},
            "hang", "refuse_streaming_with_tools", "endless"
        ]"#;
        let replies: Vec<MockReply> = serde_json::from_str(script).unwrap();
        assert_eq!(
            replies,
            vec![
                MockReply::text("hello"),
                MockReply::ToolCalls(vec![
                    ("fs_read".into(), r#"{"path":"a.md"}"#.into()),
                    ("fs_list".into(), "{not json".into()),
                ]),
                MockReply::Status {
                    code: 429,
                    body: "slow down".into(),
                    retry_after: Some("2".into())
                },
                MockReply::Delay(Duration::from_millis(150), Box::new(MockReply::Close)),
                MockReply::Malformed("<html>".into()),
                MockReply::Hang,
                MockReply::RefuseStreamingWithTools,
                MockReply::Endless,
            ]
        );
    }

    #[test]
    fn replies_round_trip_through_json() {
        let reply = MockReply::Delay(
            Duration::from_millis(20),
            Box::new(MockReply::tool_call("execute_bash", r#"{"command":"ls"}"#)),
        );
        let text = serde_json::to_string(&reply).unwrap();
        assert_eq!(
            text,
            r#"{"delay":{"ms":20,"then":{"tool_calls":[{"name":"execute_bash","arguments":"{\"command\":\"ls\"}"}]}}}"#
        );
        assert_eq!(serde_json::from_str::<MockReply>(&text).unwrap(), reply);
    }

    #[test]
    fn unknown_fields_are_rejected() {
        let error = serde_json::from_str::<MockReply>(r#"{"status": {"code": 500, "bdy": "x"}}"#)
            .unwrap_err();
        assert!(error.to_string().contains("bdy"), "{error}");
    }
}
