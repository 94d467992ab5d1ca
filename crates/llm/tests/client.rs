#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The real client against the in-repo mock endpoint, over real sockets.

use std::time::{Duration, Instant};

use agentctl_llm::{
    ChatRequest, EndpointSettings, ModelClient, ModelError, OpenAiClient, SilentObserver,
    StreamObserver, ToolSpec,
};
use agentctl_protocol::{Message, ToolCall};
use agentctl_test_support::{MockEndpoint, MockReply, STREAMING_REFUSAL_MESSAGE};
use serde_json::{json, Value};

fn settings(base_url: String) -> EndpointSettings {
    EndpointSettings {
        timeout: Duration::from_secs(5),
        max_retries: 2,
        backoff_base: Duration::from_millis(10),
        backoff_max: Duration::from_millis(50),
        ..EndpointSettings::new(base_url)
    }
}

fn client(endpoint: &MockEndpoint) -> OpenAiClient {
    OpenAiClient::new(settings(endpoint.base_url())).unwrap()
}

fn read_tool() -> ToolSpec {
    ToolSpec {
        name: "fs_read".into(),
        description: "Read a file inside the workspace".into(),
        parameters: json!({
            "type": "object",
            "properties": {"path": {"type": "string"}},
            "required": ["path"],
        }),
    }
}

fn request(stream: bool, tools: Vec<ToolSpec>) -> ChatRequest<'static> {
    ChatRequest {
        model: "test-model".into(),
        // Leaked: each test builds a handful of these, and a request borrows its conversation.
        messages: Vec::leak(vec![
            Message::system("You are the QA engineer."),
            Message::user("Check the README."),
        ]),
        tools: Vec::leak(tools),
        tool_choice: agentctl_llm::ToolChoice::Auto,
        stream,
    }
}

#[derive(Default)]
struct Recorder {
    text: Vec<String>,
    retries: Vec<(u32, Duration, String)>,
    fallbacks: Vec<String>,
}

impl StreamObserver for Recorder {
    fn on_text(&mut self, delta: &str) {
        self.text.push(delta.to_owned());
    }
    fn on_retry(&mut self, attempt: u32, _attempts: u32, wait: Duration, reason: &str) {
        self.retries.push((attempt, wait, reason.to_owned()));
    }
    fn on_fallback(&mut self, reason: &str) {
        self.fallbacks.push(reason.to_owned());
    }
}

fn mock_tokens(bytes: usize) -> u64 {
    bytes.div_ceil(4).max(1) as u64
}

#[tokio::test]
async fn plain_text_reply_with_usage() {
    let endpoint = MockEndpoint::start(vec![MockReply::text("Hello there")]).await;
    let response = client(&endpoint)
        .complete(&request(false, Vec::new()), &mut SilentObserver)
        .await
        .unwrap();
    assert_eq!(response.content.as_deref(), Some("Hello there"));
    assert!(response.tool_calls.is_empty());
    assert_eq!(response.model, "mock-model");
    assert_eq!(response.finish_reason.as_deref(), Some("stop"));
    assert_eq!(response.attempts, 1);
    assert!(!response.streamed);

    let sent = endpoint.chat_requests();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].path, "/v1/chat/completions");
    // No key configured: no Authorization header at all, not an empty bearer token.
    assert!(!sent[0].headers.contains_key("authorization"));
    let body_bytes = serde_json::to_string(&sent[0].body).unwrap().len();
    assert_eq!(response.usage.prompt_tokens, mock_tokens(body_bytes));
    assert_eq!(response.usage.completion_tokens, 3);
}

#[tokio::test]
async fn api_key_is_sent_as_bearer_token() {
    let endpoint = MockEndpoint::start(vec![MockReply::text("ok")]).await;
    let client = OpenAiClient::new(EndpointSettings {
        api_key: Some("sk-test-123".into()),
        ..settings(endpoint.base_url())
    })
    .unwrap();
    client
        .complete(&request(false, Vec::new()), &mut SilentObserver)
        .await
        .unwrap();
    assert_eq!(
        endpoint.chat_requests()[0].headers["authorization"],
        "Bearer sk-test-123"
    );
    assert_eq!(client.endpoint_host(), endpoint.address().to_string());
}

#[tokio::test]
async fn tool_calls_come_back_and_the_request_carries_schemas() {
    let endpoint = MockEndpoint::start(vec![MockReply::ToolCalls(vec![
        ("fs_read".into(), r#"{"path":"README.md"}"#.into()),
        ("fs_read".into(), "{not json".into()),
    ])])
    .await;
    let mut conversation = request(false, vec![read_tool()]);
    let mut messages = conversation.messages.to_vec();
    messages.push(Message::assistant(
        Some("Looking.".into()),
        vec![ToolCall {
            id: "call_a".into(),
            name: "fs_list".into(),
            arguments: "{}".into(),
        }],
    ));
    messages.push(Message::tool_result("call_a", "README.md\nsrc/"));
    conversation.messages = &messages;
    let response = client(&endpoint)
        .complete(&conversation, &mut SilentObserver)
        .await
        .unwrap();
    assert_eq!(
        response.tool_calls,
        vec![
            ToolCall {
                id: "call_1_0".into(),
                name: "fs_read".into(),
                arguments: r#"{"path":"README.md"}"#.into(),
            },
            ToolCall {
                id: "call_1_1".into(),
                name: "fs_read".into(),
                arguments: "{not json".into(),
            },
        ]
    );
    assert_eq!(response.content, None);
    assert_eq!(response.finish_reason.as_deref(), Some("tool_calls"));

    let body = &endpoint.chat_requests()[0].body;
    assert_eq!(body["model"], "test-model");
    assert_eq!(body["stream"], false);
    assert_eq!(body["tool_choice"], "auto");
    assert_eq!(
        body["tools"],
        json!([{"type": "function", "function": {
            "name": "fs_read",
            "description": "Read a file inside the workspace",
            "parameters": {"type": "object", "properties": {"path": {"type": "string"}},
                           "required": ["path"]},
        }}])
    );
    assert_eq!(
        body["messages"],
        json!([
            {"role": "system", "content": "You are the QA engineer."},
            {"role": "user", "content": "Check the README."},
            {"role": "assistant", "content": "Looking.", "tool_calls": [
                {"id": "call_a", "type": "function",
                 "function": {"name": "fs_list", "arguments": "{}"}}]},
            {"role": "tool", "tool_call_id": "call_a", "content": "README.md\nsrc/"},
        ])
    );
}

#[tokio::test]
async fn streaming_passes_deltas_to_the_observer() {
    let endpoint = MockEndpoint::start(vec![MockReply::text("streaming works fine")]).await;
    let mut recorder = Recorder::default();
    let response = client(&endpoint)
        .complete(&request(true, Vec::new()), &mut recorder)
        .await
        .unwrap();
    assert_eq!(recorder.text, vec!["streami", "ng work", "s fine"]);
    assert_eq!(response.content.as_deref(), Some("streaming works fine"));
    assert!(response.streamed);
    assert_eq!(response.finish_reason.as_deref(), Some("stop"));
    assert_eq!(response.usage.completion_tokens, 5);

    let sent = &endpoint.chat_requests()[0];
    assert_eq!(sent.body["stream"], true);
    assert_eq!(sent.body["stream_options"], json!({"include_usage": true}));
    let body_bytes = serde_json::to_string(&sent.body).unwrap().len();
    assert_eq!(response.usage.prompt_tokens, mock_tokens(body_bytes));
}

#[tokio::test]
async fn streamed_tool_call_fragments_are_assembled() {
    let endpoint = MockEndpoint::start(vec![MockReply::ToolCalls(vec![
        ("fs_read".into(), r#"{"path":"docs/guide.md"}"#.into()),
        ("execute_bash".into(), r#"{"command":"cargo test"}"#.into()),
    ])])
    .await;
    let mut recorder = Recorder::default();
    let response = client(&endpoint)
        .complete(&request(true, vec![read_tool()]), &mut recorder)
        .await
        .unwrap();
    assert!(response.streamed);
    assert!(recorder.text.is_empty());
    assert_eq!(
        response.tool_calls,
        vec![
            ToolCall {
                id: "call_1_0".into(),
                name: "fs_read".into(),
                arguments: r#"{"path":"docs/guide.md"}"#.into(),
            },
            ToolCall {
                id: "call_1_1".into(),
                name: "execute_bash".into(),
                arguments: r#"{"command":"cargo test"}"#.into(),
            },
        ]
    );
}

#[tokio::test]
async fn rate_limit_waits_for_retry_after_then_succeeds() {
    let endpoint = MockEndpoint::start(vec![
        MockReply::Status {
            code: 429,
            body: r#"{"error":{"message":"Rate limit reached","type":"requests"}}"#.into(),
            retry_after: Some("1".into()),
        },
        MockReply::text("after the wait"),
    ])
    .await;
    let client = OpenAiClient::new(EndpointSettings {
        backoff_max: Duration::from_secs(2),
        ..settings(endpoint.base_url())
    })
    .unwrap();
    let mut recorder = Recorder::default();
    let started = Instant::now();
    let response = client
        .complete(&request(false, Vec::new()), &mut recorder)
        .await
        .unwrap();
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(response.content.as_deref(), Some("after the wait"));
    assert_eq!(response.attempts, 2);
    assert!(response.latency_ms >= 1000);
    assert_eq!(recorder.retries.len(), 1);
    let (attempt, wait, reason) = &recorder.retries[0];
    assert_eq!((*attempt, *wait), (1, Duration::from_secs(1)));
    assert_eq!(reason, "HTTP 429: Rate limit reached");
    assert_eq!(endpoint.chat_requests().len(), 2);
}

#[tokio::test]
async fn server_error_is_retried() {
    let endpoint = MockEndpoint::start(vec![
        MockReply::status(500, "upstream crashed"),
        MockReply::text("fine now"),
    ])
    .await;
    let mut recorder = Recorder::default();
    let response = client(&endpoint)
        .complete(&request(false, Vec::new()), &mut recorder)
        .await
        .unwrap();
    assert_eq!(response.content.as_deref(), Some("fine now"));
    assert_eq!(response.attempts, 2);
    assert_eq!(recorder.retries.len(), 1);
    assert_eq!(recorder.retries[0].2, "HTTP 500: upstream crashed");
    assert!(recorder.retries[0].1 <= Duration::from_millis(10));
}

#[tokio::test]
async fn retries_are_bounded() {
    let endpoint = MockEndpoint::start(vec![
        MockReply::status(503, "overloaded"),
        MockReply::status(503, "overloaded"),
        MockReply::status(503, "still overloaded"),
        MockReply::text("never reached"),
    ])
    .await;
    let mut recorder = Recorder::default();
    let error = client(&endpoint)
        .complete(&request(false, Vec::new()), &mut recorder)
        .await
        .unwrap_err();
    assert_eq!(
        error,
        ModelError::RetriesExhausted {
            attempts: 3,
            last: "HTTP 503: still overloaded".into()
        }
    );
    assert_eq!(endpoint.chat_requests().len(), 3);
    assert_eq!(endpoint.remaining(), 1);
    let attempts: Vec<u32> = recorder.retries.iter().map(|retry| retry.0).collect();
    assert_eq!(attempts, vec![1, 2]);
}

#[tokio::test]
async fn client_error_fails_at_once_with_the_server_message() {
    let endpoint = MockEndpoint::start(vec![
        MockReply::status(
            400,
            r#"{"error":{"message":"Unrecognized request argument supplied: foo","type":"invalid_request_error"}}"#,
        ),
        MockReply::text("never reached"),
    ])
    .await;
    let error = client(&endpoint)
        .complete(&request(false, Vec::new()), &mut SilentObserver)
        .await
        .unwrap_err();
    assert_eq!(
        error,
        ModelError::Rejected {
            status: 400,
            message: "Unrecognized request argument supplied: foo".into()
        }
    );
    assert_eq!(endpoint.chat_requests().len(), 1);
}

#[tokio::test]
async fn plain_text_error_body_is_kept_verbatim() {
    let endpoint = MockEndpoint::start(vec![MockReply::status(404, "model 'x' not found")]).await;
    let error = client(&endpoint)
        .complete(&request(false, Vec::new()), &mut SilentObserver)
        .await
        .unwrap_err();
    assert_eq!(
        error,
        ModelError::Rejected {
            status: 404,
            message: "model 'x' not found".into()
        }
    );
    assert!(error.to_string().contains("[endpoint] base_url"), "{error}");
}

#[tokio::test]
async fn hanging_server_times_out_and_is_not_sent_again() {
    // A single-slot local server may still be working on the first copy: a second one would
    // only queue behind it. The timeout ends the call at once, naming the setting to raise.
    let endpoint = MockEndpoint::start(vec![MockReply::Hang, MockReply::Hang]).await;
    let client = OpenAiClient::new(EndpointSettings {
        first_token_timeout: Duration::from_millis(300),
        max_retries: 3,
        ..settings(endpoint.base_url())
    })
    .unwrap();
    let started = Instant::now();
    let mut recorder = Recorder::default();
    let error = client
        .complete(&request(false, Vec::new()), &mut recorder)
        .await
        .unwrap_err();
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert!(started.elapsed() < Duration::from_millis(2000));
    assert_eq!(
        error,
        ModelError::NoAnswer {
            detail: "nothing came back for 0.3s while waiting for the reply \
                     ([endpoint] first_token_timeout_s)"
                .into()
        }
    );
    assert!(error.to_string().contains("not sent again"), "{error}");
    assert!(recorder.retries.is_empty());
    assert_eq!(endpoint.chat_requests().len(), 1);
    assert_eq!(endpoint.remaining(), 1);
}

#[tokio::test]
async fn slow_first_token_within_its_timeout_is_not_cut_by_the_silence_timeout() {
    // The silence limit is short, the first-token wait long: a server that reads the prompt
    // for longer than `timeout` still answers once.
    let endpoint = MockEndpoint::start(vec![MockReply::Delay(
        Duration::from_millis(600),
        Box::new(MockReply::text("thought about it")),
    )])
    .await;
    let client = OpenAiClient::new(EndpointSettings {
        timeout: Duration::from_millis(200),
        first_token_timeout: Duration::from_secs(5),
        ..settings(endpoint.base_url())
    })
    .unwrap();
    for streaming in [false, true] {
        if streaming {
            endpoint.push(MockReply::Delay(
                Duration::from_millis(600),
                Box::new(MockReply::text("thought about it")),
            ));
        }
        let response = client
            .complete(&request(streaming, Vec::new()), &mut SilentObserver)
            .await
            .unwrap();
        assert_eq!(response.content.as_deref(), Some("thought about it"));
        assert_eq!(response.attempts, 1);
    }
    assert_eq!(endpoint.chat_requests().len(), 2);
}

#[tokio::test]
async fn stalled_stream_times_out() {
    let endpoint = MockEndpoint::start(vec![MockReply::Hang]).await;
    let client = OpenAiClient::new(EndpointSettings {
        first_token_timeout: Duration::from_millis(200),
        max_retries: 2,
        ..settings(endpoint.base_url())
    })
    .unwrap();
    let error = client
        .complete(&request(true, Vec::new()), &mut SilentObserver)
        .await
        .unwrap_err();
    assert_eq!(
        error,
        ModelError::NoAnswer {
            detail: "nothing came back for 0.2s while waiting for the start of the stream \
                     ([endpoint] first_token_timeout_s)"
                .into()
        }
    );
    assert_eq!(endpoint.chat_requests().len(), 1);
}

#[tokio::test]
async fn body_that_is_not_json_is_malformed_and_not_retried() {
    let endpoint = MockEndpoint::start(vec![
        MockReply::Malformed("<html><body>Bad gateway page</body></html>".into()),
        MockReply::text("never reached"),
    ])
    .await;
    let error = client(&endpoint)
        .complete(&request(false, Vec::new()), &mut SilentObserver)
        .await
        .unwrap_err();
    let ModelError::Malformed { detail } = &error else {
        panic!("expected Malformed, got {error:?}");
    };
    assert!(detail.contains("<html><body>Bad gateway page"), "{detail}");
    assert_eq!(endpoint.chat_requests().len(), 1);
}

#[tokio::test]
async fn json_without_choices_is_malformed() {
    let endpoint =
        MockEndpoint::start(vec![MockReply::Malformed(r#"{"object":"list"}"#.into())]).await;
    let error = client(&endpoint)
        .complete(&request(false, Vec::new()), &mut SilentObserver)
        .await
        .unwrap_err();
    assert_eq!(
        error,
        ModelError::Malformed {
            detail: r#"no choices in the reply: {"object":"list"}"#.into()
        }
    );
}

#[tokio::test]
async fn quirky_reply_is_read_leniently() {
    // No usage, no tool call id, arguments as an object, no model name.
    let quirky = json!({"choices": [{"message": {"role": "assistant", "tool_calls": [
        {"type": "function", "function": {"name": "fs_read", "arguments": {"path": "a.md"}}}
    ]}}]});
    let endpoint = MockEndpoint::start(vec![MockReply::Malformed(quirky.to_string())]).await;
    let response = client(&endpoint)
        .complete(&request(false, vec![read_tool()]), &mut SilentObserver)
        .await
        .unwrap();
    assert_eq!(
        response.tool_calls,
        vec![ToolCall {
            id: "call_0".into(),
            name: "fs_read".into(),
            arguments: r#"{"path":"a.md"}"#.into(),
        }]
    );
    assert_eq!(response.usage.total(), 0);
    assert_eq!(response.model, "test-model");
    assert_eq!(response.finish_reason, None);
}

#[tokio::test]
async fn broken_stream_chunk_is_malformed() {
    let endpoint = MockEndpoint::start(vec![MockReply::Malformed(
        "data: {\"choices\": [\n\ndata: [DONE]\n\n".into(),
    )])
    .await;
    let error = client(&endpoint)
        .complete(&request(true, Vec::new()), &mut SilentObserver)
        .await
        .unwrap_err();
    let ModelError::Malformed { detail } = &error else {
        panic!("expected Malformed, got {error:?}");
    };
    assert!(detail.contains(r#"{"choices": ["#), "{detail}");
}

#[tokio::test]
async fn dropped_connection_is_retried() {
    let endpoint = MockEndpoint::start(vec![MockReply::Close, MockReply::text("recovered")]).await;
    let mut recorder = Recorder::default();
    let response = client(&endpoint)
        .complete(&request(false, Vec::new()), &mut recorder)
        .await
        .unwrap();
    assert_eq!(response.content.as_deref(), Some("recovered"));
    assert_eq!(response.attempts, 2);
    assert_eq!(recorder.retries.len(), 1);
    assert!(
        recorder.retries[0]
            .2
            .contains("connection closed before message completed"),
        "{}",
        recorder.retries[0].2
    );
    assert_eq!(endpoint.chat_requests().len(), 2);
}

#[tokio::test]
async fn delayed_reply_counts_in_latency() {
    let endpoint = MockEndpoint::start(vec![MockReply::Delay(
        Duration::from_millis(120),
        Box::new(MockReply::text("slow")),
    )])
    .await;
    let response = client(&endpoint)
        .complete(&request(false, Vec::new()), &mut SilentObserver)
        .await
        .unwrap();
    assert_eq!(response.content.as_deref(), Some("slow"));
    assert!(response.latency_ms >= 120, "{}", response.latency_ms);
}

#[tokio::test]
async fn refused_streaming_falls_back_and_is_remembered() {
    let endpoint = MockEndpoint::builder()
        .refuse_streaming_with_tools(true)
        .script(vec![MockReply::text("first"), MockReply::text("second")])
        .start()
        .await;
    let client = client(&endpoint);
    let mut recorder = Recorder::default();
    let first = client
        .complete(&request(true, vec![read_tool()]), &mut recorder)
        .await
        .unwrap();
    assert_eq!(first.content.as_deref(), Some("first"));
    assert!(!first.streamed);
    assert_eq!(first.attempts, 1);
    assert!(recorder.retries.is_empty());
    assert_eq!(
        recorder.fallbacks,
        vec![format!("HTTP 500: {STREAMING_REFUSAL_MESSAGE}")]
    );
    assert!(client.streaming_disabled());

    let mut later = Recorder::default();
    let second = client
        .complete(&request(true, vec![read_tool()]), &mut later)
        .await
        .unwrap();
    assert_eq!(second.content.as_deref(), Some("second"));
    assert!(later.fallbacks.is_empty());

    let streaming: Vec<bool> = endpoint
        .chat_requests()
        .iter()
        .map(|sent| sent.is_streaming())
        .collect();
    // Refused stream, its immediate plain repeat, then the second call goes plain at once.
    assert_eq!(streaming, vec![true, false, false]);
}

#[tokio::test]
async fn scripted_refusal_step_also_triggers_fallback() {
    let endpoint = MockEndpoint::start(vec![
        MockReply::RefuseStreamingWithTools,
        MockReply::tool_call("fs_read", r#"{"path":"x"}"#),
    ])
    .await;
    let mut recorder = Recorder::default();
    let response = client(&endpoint)
        .complete(&request(true, vec![read_tool()]), &mut recorder)
        .await
        .unwrap();
    assert_eq!(response.tool_calls[0].arguments, r#"{"path":"x"}"#);
    assert_eq!(recorder.fallbacks.len(), 1);
    assert_eq!(endpoint.chat_requests().len(), 2);
}

#[tokio::test]
async fn unreachable_endpoint_names_the_url() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let base_url = format!("http://127.0.0.1:{port}/v1");
    let client = OpenAiClient::new(settings(base_url.clone())).unwrap();
    let mut recorder = Recorder::default();
    let error = client
        .complete(&request(false, Vec::new()), &mut recorder)
        .await
        .unwrap_err();
    let ModelError::Unreachable { url, detail } = &error else {
        panic!("expected Unreachable, got {error:?}");
    };
    assert_eq!(url, &base_url);
    assert!(detail.to_lowercase().contains("refused"), "{detail}");
    let message = error.to_string();
    assert!(message.contains(&base_url), "{message}");
    assert!(message.contains("OPENAI_BASE_URL"), "{message}");
    // Refused connections are retried too: the server may still be starting.
    assert_eq!(recorder.retries.len(), 2);
}

#[tokio::test]
async fn exhausted_script_is_a_server_error() {
    let endpoint = MockEndpoint::start(Vec::new()).await;
    let client = OpenAiClient::new(EndpointSettings {
        max_retries: 0,
        ..settings(endpoint.base_url())
    })
    .unwrap();
    let error = client
        .complete(&request(false, Vec::new()), &mut SilentObserver)
        .await
        .unwrap_err();
    assert_eq!(
        error,
        ModelError::RetriesExhausted {
            attempts: 1,
            last: "HTTP 500: mock script exhausted".into()
        }
    );
}

#[test]
fn invalid_settings_are_reported() {
    let error = OpenAiClient::new(EndpointSettings::new("localhost 8080")).unwrap_err();
    assert!(
        matches!(&error, ModelError::InvalidSettings { detail } if detail.contains("\"localhost 8080\"")),
        "{error}"
    );
    let error = OpenAiClient::new(EndpointSettings::new("ftp://example.com/v1")).unwrap_err();
    assert!(matches!(error, ModelError::InvalidSettings { .. }));
    let error = OpenAiClient::new(EndpointSettings {
        api_key: Some("sk-abc\n".into()),
        ..EndpointSettings::new("http://127.0.0.1:8080/v1")
    })
    .unwrap_err();
    assert!(error.to_string().contains("API key"), "{error}");
}

#[test]
fn endpoint_host_has_host_and_port() {
    let client = OpenAiClient::new(EndpointSettings::new("https://api.example.com/v1/")).unwrap();
    assert_eq!(client.endpoint_host(), "api.example.com");
    assert_eq!(client.settings().base_url, "https://api.example.com/v1");
    let local = OpenAiClient::new(EndpointSettings::new("http://localhost:11434/v1")).unwrap();
    assert_eq!(local.endpoint_host(), "localhost:11434");
}

#[tokio::test]
async fn models_route_lists_the_mock_model() {
    // The client never calls it, but `agentctl` diagnostics may; keep the mock honest.
    let endpoint = MockEndpoint::start(Vec::new()).await;
    let url = format!("{}/models", endpoint.base_url());
    let text = tokio::task::spawn_blocking(move || {
        use std::io::{Read, Write};
        let address = url
            .trim_start_matches("http://")
            .split('/')
            .next()
            .unwrap()
            .to_owned();
        let mut socket = std::net::TcpStream::connect(address).unwrap();
        write!(
            socket,
            "GET /v1/models HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut text = String::new();
        socket.read_to_string(&mut text).unwrap();
        text
    })
    .await
    .unwrap();
    let body: Value = serde_json::from_str(text.split("\r\n\r\n").nth(1).unwrap()).unwrap();
    assert_eq!(body["data"][0]["id"], "mock-model");
}

#[tokio::test]
async fn preflight_knows_a_listed_model_and_names_an_unknown_one_with_did_you_mean() {
    let endpoint = MockEndpoint::builder()
        .model("qwen2.5-coder-1.5b")
        .serves(Vec::<String>::new())
        .start()
        .await;
    let client = OpenAiClient::new(EndpointSettings::new(endpoint.base_url())).unwrap();
    let report = client
        .preflight(&["qwen2.5-coder-1.5b".to_owned()])
        .await
        .unwrap();
    assert_eq!(
        report.models,
        vec![(
            "qwen2.5-coder-1.5b".to_owned(),
            agentctl_llm::ModelStatus::Known
        )]
    );
    assert!(!report.key_needed);
    let problem = client
        .preflight(&["qwen2.5-codr-1.5b".to_owned()])
        .await
        .unwrap_err();
    assert_eq!(
        problem.to_string(),
        format!(
            "the endpoint at {} does not serve the model `qwen2.5-codr-1.5b`; did you mean `qwen2.5-coder-1.5b`?",
            endpoint.base_url()
        )
    );
    assert!(endpoint.chat_requests().is_empty());
}

#[tokio::test]
async fn preflight_of_a_closed_port_is_unreachable_and_a_remote_https_endpoint_needs_a_key() {
    let closed = OpenAiClient::new(EndpointSettings::new("http://127.0.0.1:9/v1")).unwrap();
    let problem = closed.preflight(&["m".to_owned()]).await.unwrap_err();
    assert!(
        matches!(problem, agentctl_llm::PreflightProblem::Unreachable { .. }),
        "{problem}"
    );
    // Decided before any connection: the host need not exist.
    let remote = OpenAiClient::new(EndpointSettings::new("https://models.invalid/v1")).unwrap();
    let problem = remote.preflight(&["m".to_owned()]).await.unwrap_err();
    assert_eq!(
        problem,
        agentctl_llm::PreflightProblem::MissingKey {
            base_url: "https://models.invalid/v1".to_owned()
        }
    );
}
